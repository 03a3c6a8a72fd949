//! Fleet verification through real Terraform against moto (EC2, ECS and
//! Auto Scaling), with the test proxy in front: ECS membership problems
//! named on the right instance (not registered, registered elsewhere,
//! draining, agent disconnected), `ecs_cluster` unset costing no ECS call,
//! the sample's exact call counts at 2,000 instances, a plan and its apply
//! drawing the same sample, and the rollout gate following an Auto Scaling
//! group's instance refresh.
//!
//! moto gaps handled here (see docs/guides/testing-against-moto.md): the
//! test plays the ECS agent (RegisterContainerInstance, as the agent does
//! at boot); moto always reports `agentConnected: true`, so the proxy
//! rewrites it for the instance a test disconnects; moto's Auto Scaling
//! has no StartInstanceRefresh (the proxy answers it) and cannot launch
//! from versions made by CreateLaunchTemplateVersion with user data, so the
//! test plays the refresh: it launches the new version's instances out of
//! band and drains and terminates the old ones.

use acceptance_tests::verification::{by_id, hosts_config, problems, AMI};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance_tests::ec2_proxy::{Ec2Proxy, Fault};
use acceptance_tests::moto::{Launch, Moto};
use acceptance_tests::terraform::{aws_and_ecshost_blocks, find_resource, require_aws_mirror};
use serde_json::{json, Value as Json};

const ECS_ACTIONS: &[&str] = &[
    "ListContainerInstances",
    "DescribeContainerInstances",
    "ListClusters",
];

fn config(endpoint: &str, cluster: &str, body: &str) -> String {
    hosts_config(endpoint, true, cluster, body)
}

fn ecs_calls(actions: &BTreeMap<String, u64>) -> u64 {
    ECS_ACTIONS
        .iter()
        .map(|a| actions.get(*a).copied().unwrap_or(0))
        .sum()
}

/// Each ECS problem is named on its instance; within `registration_grace`
/// a missing registration is pending, not a problem; without
/// `ecs_cluster` nothing reaches ECS.
#[test]
fn ecs_membership_problems_are_named_per_instance() {
    let moto = Moto::start();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let wd = moto.workdir();
    wd.write_config(&config(proxy.url(), "blue", ""));
    wd.init();
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    moto.create_cluster("blue");
    moto.create_cluster("green");
    let ids = moto.run_instances(&Launch::new(&lt, "$Latest", 5));
    let (serving, draining, elsewhere, missing, disconnected) =
        (&ids[0], &ids[1], &ids[2], &ids[3], &ids[4]);
    let blue = moto.register_container_instances(
        "blue",
        &[serving.clone(), draining.clone(), disconnected.clone()],
    );
    // moto places both tasks on the first ACTIVE container instance.
    moto.run_tasks("blue", 2);
    moto.drain("blue", &blue[1..2]);
    proxy.disconnect_agent(&blue[2]);
    moto.register_container_instances("green", std::slice::from_ref(elsewhere));

    let verification = |name: &str, grace: &str| {
        format!(
            r#"
data "ecshost_instance_verification" "{name}" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = "blue"
  registration_grace        = "{grace}"
  require_runtime_report    = false
}}
"#
        )
    };
    let body = format!(
        "{}{}",
        verification("past", "0s"),
        verification("early", "1h")
    );
    wd.write_config(&config(proxy.url(), "blue", &body));
    wd.apply();

    let v = wd.values("data.ecshost_instance_verification.past");
    let got = by_id(&v);
    let s = &got[serving];
    assert_eq!(s["ok"], json!(true), "{}", problems(s));
    assert_eq!(s["healthy"], json!(true));
    assert_eq!(
        s["ecs"],
        json!({
            "registered": true,
            "cluster": "blue",
            "container_instance_arn": blue[0],
            "status": "ACTIVE",
            "agent_connected": true,
            "agent_version": "1.0.0",
            "running_tasks_count": 2,
            "imds_iam_roles": false,
            "summary": "ACTIVE, agent 1.0.0, 2 tasks running",
        })
    );
    let expect = [
        (
            draining,
            "draining in ECS cluster blue: ECS places no new tasks on it",
            "DRAINING",
        ),
        (
            elsewhere,
            "registered in ECS cluster green (container instance arn:aws:ecs:us-east-1:",
            "ACTIVE",
        ),
        (
            missing,
            "not registered in ECS cluster blue, and registration_grace (0s) since launch has passed: is the ECS agent running, and does ECS_CLUSTER name this cluster?",
            "",
        ),
        (
            disconnected,
            "the ECS agent (1.0.0) is disconnected from cluster blue",
            "ACTIVE",
        ),
    ];
    for (id, want, status) in expect {
        let i = &got[id];
        assert_eq!(i["ok"], json!(false), "{id}");
        assert_eq!(
            problems(i).matches(" | ").count(),
            0,
            "one problem: {}",
            problems(i)
        );
        assert!(
            problems(i).contains(want),
            "{id}: want {want:?} in {}",
            problems(i)
        );
        assert_eq!(
            i["ecs"]["status"],
            if status.is_empty() {
                Json::Null
            } else {
                json!(status)
            },
            "{id}"
        );
    }
    assert_eq!(got[elsewhere]["ecs"]["cluster"], json!("green"));
    assert_eq!(got[missing]["ecs"]["summary"], json!("not registered"));
    assert_eq!(got[disconnected]["ecs"]["agent_connected"], json!(false));
    assert_eq!(v["healthy_count"], json!(1));
    // Pages and batches: the cluster once; the other clusters only for the
    // two hosts missing from it past their grace.
    let calls = &v["api_calls"];
    for (op, n) in [
        ("DescribeInstances", 1),
        ("ListContainerInstances", 2),
        ("DescribeContainerInstances", 2),
        ("ListClusters", 1),
        ("DescribeInstanceAttribute", 5),
        ("GetConsoleOutput", 5),
    ] {
        assert_eq!(calls[op], json!(n), "{op}: {calls}");
    }
    let table = v["summary_table"].as_str().unwrap();
    assert!(
        table.lines().next().unwrap().contains("INSTANCE"),
        "{table}"
    );
    assert!(
        table.lines().last().unwrap().contains(serving.as_str()),
        "healthy last: {table}"
    );

    // Within the grace a missing host is pending: not a problem, not healthy,
    // and nobody searches the other clusters for it yet.
    let early = wd.values("data.ecshost_instance_verification.early");
    let e = by_id(&early);
    for id in [missing, elsewhere] {
        assert_eq!(e[id]["ok"], json!(true), "{}", problems(&e[id]));
        assert_eq!(e[id]["healthy"], json!(false));
        assert_eq!(
            e[id]["pending"],
            json!(["not registered in ECS cluster blue yet (registration_grace 1h since launch has not passed)"])
        );
    }
    assert!(
        early["api_calls"].get("ListClusters").is_none(),
        "{early:#}"
    );

    // Without ecs_cluster: no ECS call at all, on the wire or counted.
    let plain = r#"
data "ecshost_instance_verification" "plain" {
  launch_template_id     = ecshost_launch_template.hosts.id
  require_runtime_report = false
}
"#;
    wd.write_config(&config(proxy.url(), "blue", plain));
    let before = ecs_calls(&proxy.actions());
    assert!(before >= 7, "the ECS reads above went through the proxy");
    wd.apply();
    assert_eq!(ecs_calls(&proxy.actions()), before, "{:?}", proxy.actions());
    let p = wd.values("data.ecshost_instance_verification.plain");
    assert_eq!(p["instance_count"], json!(5));
    assert!(
        p["api_calls"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !ECS_ACTIONS.contains(&k.as_str())),
        "{p:#}"
    );
    assert!(by_id(&p).values().all(|i| i["ecs"].is_null()));
}

/// The ECS agent's coming delivery of task credentials through instance
/// metadata (`ecs.capability.imds-iam-roles`, no opt-out): with it
/// registered, a host whose self-check does not show `imds_blocked` passing
/// is a problem even where `required_checks` leaves the check out, and so is
/// a host that gives host-network tasks role credentials — registered by the
/// agent or asked for by `task_iam_role_network_host`, which also warns at
/// plan. The registrations go through the harness's ECS launcher, which
/// keeps what the agent registers (plain moto drops it).
#[test]
fn imds_delivered_credentials_make_every_path_to_metadata_a_problem() {
    const IMDS_ROLES: &str = "ecs.capability.imds-iam-roles";
    const TASK_ROLE: &str = "com.amazonaws.ecs.capability.task-iam-role";
    const HOST_ROLE: &str = "com.amazonaws.ecs.capability.task-iam-role-network-host";
    let moto = Moto::start_ecs_launcher("127.0.0.1");
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let wd = moto.workdir();
    wd.write_config(&config(proxy.url(), "imds", ""));
    wd.init();
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    moto.create_cluster("imds");
    let ids = moto.run_instances(&Launch::new(&lt, "$Latest", 4));
    let (guarded, open, old_agent, host_tasks) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    moto.register_container_instances_with(
        "imds",
        &[guarded.clone(), open.clone()],
        &[TASK_ROLE, IMDS_ROLES],
    );
    moto.register_container_instances_with("imds", std::slice::from_ref(old_agent), &[TASK_ROLE]);
    moto.register_container_instances_with(
        "imds",
        std::slice::from_ref(host_tasks),
        &[TASK_ROLE, HOST_ROLE, IMDS_ROLES],
    );
    let pass = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"pass","endpoint":"pass","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"pass","imds_blocked":"pass","agent_imds":"pass"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;
    let skipped = pass.replace(r#""imds_blocked":"pass""#, r#""imds_blocked":"skip""#);
    for (id, report) in [
        (guarded, pass),
        (open, skipped.as_str()),
        (old_agent, skipped.as_str()),
        (host_tasks, pass),
    ] {
        proxy.set_console_output(id, &format!("[  3.1] boot\r\n{report}\r\n"));
    }
    // Lenient on purpose: imds_blocked is not required here.
    let verification = |name: &str, extra: &str| {
        format!(
            r#"
data "ecshost_instance_verification" "{name}" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  ecs_cluster               = "imds"
  required_checks           = ["alias", "endpoint"]
{extra}
}}
"#
        )
    };
    let body = [
        verification("lenient", ""),
        verification(
            "asked",
            &format!("  instance_ids = [\"{guarded}\"]\n  task_iam_role_network_host = true"),
        ),
    ]
    .concat();
    wd.write_config(&config(proxy.url(), "imds", &body));
    let r = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let out = r.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        out.contains("Host-Network Task Roles Expose Credentials")
            && out.contains("every host-network task can read the IAM role credentials of every task on the host"),
        "the plan warns about task_iam_role_network_host = true: {}",
        r.stdout
    );

    let got = by_id(&wd.values("data.ecshost_instance_verification.lenient"));
    for (id, imds) in [
        (guarded, true),
        (open, true),
        (old_agent, false),
        (host_tasks, true),
    ] {
        assert_eq!(
            got[id]["ecs"]["imds_iam_roles"],
            json!(imds),
            "{id}: {:#}",
            got[id]
        );
    }
    assert_eq!(
        got[guarded]["ok"],
        json!(true),
        "{}",
        problems(&got[guarded])
    );
    // Without the capability the lenient settings stay lenient.
    assert_eq!(
        got[old_agent]["ok"],
        json!(true),
        "{}",
        problems(&got[old_agent])
    );
    let p = problems(&got[open]);
    assert!(
        p.starts_with("the ECS agent registered ecs.capability.imds-iam-roles: it delivers every task's IAM role credentials through instance metadata, and its self-check's imds_blocked is skip")
            && !p.contains(" | "),
        "{p}"
    );
    let p = problems(&got[host_tasks]);
    assert!(
        p.contains("gives host-network tasks IAM role credentials")
            && p.contains("each of them can read every task's role credentials")
            && !p.contains(" | "),
        "{p}"
    );
    // Asked for, it is still an exposure.
    let asked = by_id(&wd.values("data.ecshost_instance_verification.asked"));
    let p = problems(&asked[guarded]);
    assert!(
        p.contains("gives host-network tasks IAM role credentials"),
        "{p}"
    );
}

/// The gate's seed is known at plan time and the apply uses it: the plan
/// says which sample the apply judges. A run with new `triggers` draws a
/// new sample.
#[test]
fn the_gate_draws_its_sample_seed_at_plan_time() {
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&config(&moto.endpoint, "seeded", ""));
    wd.init();
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    moto.run_instances(&Launch::new(&lt, "$Latest", 6));
    let gate = |run: &str| {
        format!(
            r#"
resource "ecshost_instance_verification" "gate" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  require_runtime_report    = false
  sample_size               = 2
  timeout                   = "0s"
  triggers                  = {{ deployment = "{run}" }}
}}
"#
        )
    };
    wd.write_config(&config(&moto.endpoint, "seeded", &gate("1")));
    wd.ok(&["plan", "-input=false", "-no-color", "-out=gate.plan"]);
    let plan: Json =
        serde_json::from_str(&wd.ok(&["show", "-json", "gate.plan"]).stdout).expect("plan JSON");
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == json!("ecshost_instance_verification.gate"))
        .expect("gate in plan");
    let seed = change["change"]["after"]["sample_seed"]
        .as_str()
        .expect("seed known at plan time")
        .to_owned();
    assert_eq!(seed.len(), 16);
    wd.ok(&["apply", "-input=false", "-no-color", "gate.plan"]);
    let g = wd.values("ecshost_instance_verification.gate");
    assert_eq!(g["sample_seed"], json!(seed));
    assert_eq!(g["deep_checked_count"], json!(2), "{g:#}");
    assert_eq!(g["api_calls"]["DescribeInstanceAttribute"], json!(2));
    assert_eq!(g["api_calls"]["GetConsoleOutput"], json!(2));
    wd.assert_empty_plan();
    wd.write_config(&config(&moto.endpoint, "seeded", &gate("2")));
    wd.apply();
    let g2 = wd.values("ecshost_instance_verification.gate");
    assert_ne!(g2["sample_seed"], g["sample_seed"], "a new run draws anew");
    assert_eq!(g2["deep_checked_count"], json!(2));
}

/// Item 4's formula, exactly, with moto's page sizes: 2,000 instances in
/// 20 reservations of 100 (moto pages DescribeInstances by reservation, up
/// to 1,000 a page: one page) over two template versions, all registered in
/// the cluster (moto answers ListContainerInstances in one page), 20
/// sampled per version.
#[test]
fn sample_mode_costs_match_the_formula_at_two_thousand() {
    const N: usize = 2000;
    const PER_VERSION: usize = 20;
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&config(&moto.endpoint, "fleet-v1", ""));
    wd.init();
    wd.apply();
    wd.write_config(&config(&moto.endpoint, "fleet-v2", ""));
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let t = Instant::now();
    let mut all = Vec::new();
    for v in ["1", "2"] {
        for _ in 0..N / 2 / 100 {
            all.extend(moto.run_instances(&Launch::new(&lt, v, 100)));
        }
    }
    assert_eq!(all.len(), N);
    moto.create_cluster("fleet");
    moto.register_container_instances("fleet", &all);
    let setup = t.elapsed();

    let body = r#"
data "ecshost_instance_verification" "fleet" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = "fleet"
  sample_size               = 20
  require_runtime_report    = false
  concurrency               = 16
}
"#;
    wd.write_config(&config(&moto.endpoint, "fleet-v2", body));
    // The plan reads the data source once; the apply reads it again.
    let t = Instant::now();
    wd.ok(&["plan", "-input=false", "-no-color", "-out=fleet.plan"]);
    let plan_s = t.elapsed();
    let plan: Json =
        serde_json::from_str(&wd.ok(&["show", "-json", "fleet.plan"]).stdout).expect("plan JSON");
    let planned = find_resource(
        &plan["prior_state"],
        "data.ecshost_instance_verification.fleet",
    )
    .expect("read at plan time")["values"]
        .clone();
    wd.apply();
    let v = wd.values("data.ecshost_instance_verification.fleet");
    assert_eq!(v["instance_count"], json!(N));

    let versions = 2;
    let sampled = versions * PER_VERSION;
    let reservations = N / 100;
    let want: BTreeMap<&str, usize> = [
        // ⌈reservations / 1000⌉: moto's page holds 1,000 reservations
        ("DescribeInstances", reservations.div_ceil(1000)),
        // one per distinct version
        ("DescribeLaunchTemplateVersions", versions),
        // ⌈N/100⌉ on ECS; moto answers in one page
        ("ListContainerInstances", 1),
        // ⌈N/100⌉ batches of 100
        ("DescribeContainerInstances", N.div_ceil(100)),
        // 2 × sample
        ("DescribeInstanceAttribute", sampled),
        ("GetConsoleOutput", sampled),
    ]
    .into_iter()
    .collect();
    let got: BTreeMap<&str, usize> = v["api_calls"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.as_str(), n.as_u64().unwrap() as usize))
        .collect();
    assert_eq!(got, want);

    let deep: BTreeSet<String> = serde_json::from_value(v["deep_checked_ids"].clone()).unwrap();
    assert_eq!(deep.len(), sampled);
    let all_i = by_id(&v);
    for version in ["1", "2"] {
        let n = deep
            .iter()
            .filter(|id| all_i[*id]["launch_template_version"] == json!(version))
            .count();
        assert_eq!(n, PER_VERSION, "version {version}");
    }
    // The plan's read and the apply's read drew the same sample.
    assert_eq!(planned["sample_seed"], v["sample_seed"]);
    assert_eq!(planned["deep_checked_ids"], v["deep_checked_ids"]);
    // Page-priced checks judged everyone: version 1 is old, version 2 healthy.
    assert_eq!(v["expected_version_count"], json!(N / 2));
    assert_eq!(v["healthy_count"], json!(N / 2), "{:#}", v["instances"][0]);
    assert_eq!(v["old_version_count"], json!(N / 2));
    eprintln!(
        "FLEET {N}: setup {:.1}s (launch + {N} registrations), plan {:.1}s, calls {}",
        setup.as_secs_f64(),
        plan_s.as_secs_f64(),
        v["api_calls"]
    );
}

/// Plays the ECS agent of every running instance of `template` until
/// stopped: registers it in `cluster` (skipping `refuse`), after giving it
/// the metadata options real EC2 copies from the template (moto's Auto
/// Scaling does not). Errors (the cluster not created yet) are retried.
struct Agent {
    stop: Arc<AtomicBool>,
    refuse: Arc<Mutex<BTreeSet<String>>>,
    registered: Arc<Mutex<BTreeMap<String, String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Agent {
    fn start(endpoint: &str, template: &str, cluster: &str) -> Agent {
        let stop = Arc::new(AtomicBool::new(false));
        let refuse: Arc<Mutex<BTreeSet<String>>> = Arc::default();
        let registered: Arc<Mutex<BTreeMap<String, String>>> = Arc::default();
        let (s, r, reg) = (stop.clone(), refuse.clone(), registered.clone());
        let (endpoint, template, cluster) =
            (endpoint.to_owned(), template.to_owned(), cluster.to_owned());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let settings = ecshost::ec2::client::Ec2Settings {
                    region: Some("us-east-1".into()),
                    endpoint: Some(endpoint),
                    static_credentials: Some(aws_sdk_ec2::config::Credentials::new(
                        "testing", "testing", None, None, "agent",
                    )),
                    ..Default::default()
                };
                let ec2 = ecshost::ec2::client::Ec2::connect(&settings)
                    .await
                    .expect("ec2");
                let ecs = ecshost::ecs::client::Ecs::connect(&settings).await;
                while !s.load(Ordering::Relaxed) {
                    let found = ec2
                        .find_instances(&ecshost::ec2::instances::InstanceQuery {
                            launch_template_id: Some(template.clone()),
                            states: vec!["running".into()],
                            instance_ids: vec![],
                        })
                        .await
                        .unwrap_or_default();
                    for i in found {
                        if reg.lock().unwrap().contains_key(&i.id)
                            || r.lock().unwrap().contains(&i.id)
                        {
                            continue;
                        }
                        let _ = ec2
                            .sdk()
                            .modify_instance_metadata_options()
                            .instance_id(&i.id)
                            .http_tokens(aws_sdk_ec2::types::HttpTokensState::Required)
                            .http_put_response_hop_limit(2)
                            .http_endpoint(
                                aws_sdk_ec2::types::InstanceMetadataEndpointState::Enabled,
                            )
                            .send()
                            .await;
                        let doc = format!(r#"{{"instanceId": "{}"}}"#, i.id);
                        if let Ok(out) = ecs
                            .sdk()
                            .register_container_instance()
                            .cluster(&cluster)
                            .instance_identity_document(doc)
                            .send()
                            .await
                        {
                            let arn = out
                                .container_instance()
                                .and_then(|c| c.container_instance_arn())
                                .unwrap_or_default()
                                .to_owned();
                            reg.lock().unwrap().insert(i.id.clone(), arn);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            });
        });
        Agent {
            stop,
            refuse,
            registered,
            thread: Some(thread),
        }
    }

    fn arn(&self, id: &str) -> Option<String> {
        self.registered.lock().unwrap().get(id).cloned()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Plays an instance refresh once Auto Scaling was asked for one: per old
/// instance, launches one of `version` (out of band: moto's Auto Scaling
/// cannot launch versions made by CreateLaunchTemplateVersion with user
/// data), waits until the agent registered it, then drains and terminates
/// the old one. `launch` new instances in all, `replace` old ones.
#[allow(clippy::too_many_arguments)]
fn refresh(
    moto: &Moto,
    proxy: &Ec2Proxy,
    agent: &Agent,
    template: &str,
    version: &str,
    launch: usize,
    replace: bool,
    refreshes_before: u64,
) -> Vec<String> {
    let t = Instant::now();
    while proxy
        .actions()
        .get("StartInstanceRefresh")
        .copied()
        .unwrap_or(0)
        <= refreshes_before
    {
        assert!(
            t.elapsed() < Duration::from_secs(240),
            "hashicorp/aws never started the instance refresh: {:?}",
            proxy.actions()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let old: Vec<String> = moto
        .running_instances_of(template)
        .into_iter()
        .filter(|(_, v)| v.as_deref() != Some(version))
        .map(|(id, _)| id)
        .collect();
    let mut new = Vec::new();
    for k in 0..launch {
        let id = moto
            .run_instances(&Launch::new(template, version, 1))
            .remove(0);
        new.push(id.clone());
        if agent.refuse.lock().unwrap().contains(&id) {
            continue;
        }
        let t = Instant::now();
        while agent.arn(&id).is_none() && !agent.refuse.lock().unwrap().contains(&id) {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "agent never registered {id}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        if replace {
            if let Some(o) = old.get(k) {
                if let Some(arn) = agent.arn(o) {
                    moto.drain("web", &[arn]);
                }
                moto.terminate_instances(std::slice::from_ref(o));
            }
        }
    }
    new
}

const REFRESH_ID: &str = "08b91cf7-8fa6-48af-b6a6-d227f40f1b9b";

fn asg_config(proxy: &str, release: u32, gate: &str) -> String {
    let providers = aws_and_ecshost_blocks(
        &[
            ("autoscaling", proxy),
            ("ec2", proxy),
            ("ecs", proxy),
            ("sts", proxy),
        ],
        &[("max_retries", "1")],
        &[("ec2", proxy), ("ecs", proxy)],
    );
    format!(
        r#"{providers}data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = aws_ecs_cluster.web.name
}}
resource "aws_ecs_cluster" "web" {{
  name = "web"
}}
resource "ecshost_launch_template" "hosts" {{
  name                   = "web-hosts"
  image_id               = "{AMI}"
  instance_type          = "t3.small"
  user_data              = data.ecshost_user_data.hosts.base64
  update_default_version = true
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
  tag_specifications {{
    resource_type = "instance"
    tags          = {{ release = "{release}" }}
  }}
}}
resource "aws_autoscaling_group" "hosts" {{
  name                      = "web-hosts"
  min_size                  = 2
  max_size                  = 4
  desired_capacity          = 2
  availability_zones        = ["us-east-1a"]
  wait_for_capacity_timeout = "0"
  launch_template {{
    id      = ecshost_launch_template.hosts.id
    version = ecshost_launch_template.hosts.latest_version
  }}
  instance_refresh {{
    strategy = "Rolling"
    preferences {{
      min_healthy_percentage = 50
    }}
  }}
}}
{gate}"#
    )
}

fn gate(timeout: &str) -> String {
    format!(
        r#"
# The rollout gate: every instance of the new version serves the cluster,
# no instance of an older version still does.
resource "ecshost_instance_verification" "rollout" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = aws_ecs_cluster.web.name
  min_healthy_percent       = 100
  max_old_versions          = 0
  require_runtime_report    = false
  timeout                   = "{timeout}"
  poll_interval             = "1s"
  triggers = {{
    group_version = aws_autoscaling_group.hosts.launch_template[0].version
  }}
}}
"#
    )
}

/// An Auto Scaling group with `instance_refresh` (hashicorp/aws 5.100.0)
/// rolls out each new template version; the gate waits until the new
/// version's instances serve the cluster and the old ones are gone, and
/// fails with the fleet's table when the refresh stalls.
#[test]
fn the_gate_follows_an_auto_scaling_instance_refresh() {
    if !require_aws_mirror() {
        return;
    }
    let moto = Moto::start();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let reply = format!(
        r#"<StartInstanceRefreshResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><StartInstanceRefreshResult><InstanceRefreshId>{REFRESH_ID}</InstanceRefreshId></StartInstanceRefreshResult><ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata></StartInstanceRefreshResponse>"#
    );
    proxy.inject("StartInstanceRefresh", 100, Fault::Reply(reply));
    let wd = moto.workdir();

    // Release 1: the group launches version 1 (moto's Auto Scaling can:
    // CreateLaunchTemplate made it); no gate yet.
    wd.write_config(&asg_config(proxy.url(), 1, ""));
    wd.init();
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let agent = Agent::start(&moto.endpoint, &lt, "web");
    let v1 = moto.running_instances_of(&lt);
    assert_eq!(v1.len(), 2, "the group launched its two: {v1:?}");

    // Release 2: a new version, an instance refresh, and the gate, which
    // must wait for the refresh (played beside the apply).
    wd.write_config(&asg_config(proxy.url(), 2, &gate("90s")));
    let v2 = std::thread::scope(|s| {
        let r = s.spawn(|| refresh(&moto, &proxy, &agent, &lt, "2", 2, true, 0));
        let t = Instant::now();
        wd.apply();
        eprintln!("release 2 apply: {:.1}s", t.elapsed().as_secs_f64());
        r.join().unwrap()
    });
    let g = wd.values("ecshost_instance_verification.rollout");
    assert_eq!(g["expected_version_count"], json!(2), "{g:#}");
    assert_eq!(g["healthy_count"], json!(2), "{}", g["summary_table"]);
    assert_eq!(g["old_version_count"], json!(0));
    let seen: BTreeSet<String> = by_id(&g).into_keys().collect();
    assert_eq!(seen, v2.iter().cloned().collect(), "only version 2 left");
    assert!(
        g["api_calls"]["DescribeInstances"].as_i64().unwrap() > 1,
        "the gate looked more than once while the refresh ran: {}",
        g["api_calls"]
    );
    assert_eq!(proxy.actions()["StartInstanceRefresh"], 1);

    // Release 3: the refresh stalls (one new host never registers, the old
    // ones stay): the gate fails the apply with the table.
    wd.write_config(&asg_config(proxy.url(), 3, &gate("6s")));
    let (failed, v3) = std::thread::scope(|s| {
        let r = s.spawn(|| {
            let t = Instant::now();
            while proxy
                .actions()
                .get("StartInstanceRefresh")
                .copied()
                .unwrap_or(0)
                < 2
            {
                assert!(t.elapsed() < Duration::from_secs(240), "no refresh");
                std::thread::sleep(Duration::from_millis(100));
            }
            // The second new instance's agent never comes up.
            let first = moto.run_instances(&Launch::new(&lt, "3", 1)).remove(0);
            let stuck = moto.run_instances(&Launch::new(&lt, "3", 1)).remove(0);
            agent.refuse.lock().unwrap().insert(stuck.clone());
            (first, stuck)
        });
        let failed = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        (failed, r.join().unwrap())
    });
    assert_ne!(failed.code, 0, "the gate must fail: {}", failed.stdout);
    let err = &failed.stderr;
    // Terraform wraps a diagnostic's prose at 78 columns: match it with
    // whitespace collapsed; the table's lines are matched as printed.
    let prose = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(prose.contains("Rollout Not Complete"), "{err}");
    assert!(
        prose.contains(
            "1 of 2 instances of version 3 healthy; 2 needed (min_healthy_percent = 100)"
        ),
        "{err}"
    );
    assert!(
        prose.contains(
            "2 instances of other versions still serving; at most 0 allowed (max_old_versions)"
        ),
        "{err}"
    );
    // The table: instance, version, state, ECS status, failing checks.
    assert!(
        err.contains("INSTANCE") && err.contains("FAILING CHECKS"),
        "{err}"
    );
    let line = |id: &str| {
        err.lines()
            .find(|l| l.contains(id))
            .unwrap_or_else(|| panic!("{id} not in the table: {err}"))
            .to_owned()
    };
    let stuck = line(&v3.1);
    assert!(
        stuck.contains(" 3 ") && stuck.contains("running"),
        "{stuck}"
    );
    assert!(stuck.contains("not registered"), "{stuck}");
    assert!(
        stuck.contains("pending: not registered in ECS cluster web yet"),
        "{stuck}"
    );
    for old in &v2 {
        let l = line(old);
        assert!(l.contains(" 2 ") && l.contains("ACTIVE"), "{l}");
        assert!(
            l.contains("launched from template version 2, expected version 3"),
            "{l}"
        );
    }
    assert!(
        find_resource(&wd.show(), "ecshost_instance_verification.rollout").is_none(),
        "a failed gate stores nothing"
    );
    drop(agent);
}
