//! Faults between the provider and EC2, injected by the proxy in front of
//! moto (`acceptance_tests::ec2_proxy`; moto itself never throttles):
//! - a throttling storm is retried and the apply succeeds;
//! - exhausted retries give one diagnostic naming the action and AWS code,
//!   and nothing is created;
//! - a CreateLaunchTemplate that reached EC2 but whose answer was lost
//!   leaves nothing orphaned: the template is adopted in the same apply, or,
//!   when even the lookup failed, saved as a pending tainted object that the
//!   next plan finds by its creation token and replaces;
//! - Ctrl-C (SIGINT to terraform → StopProvider) during a long verification
//!   wait stops promptly and leaves a consistent state.

use std::time::{Duration, Instant};

use acceptance_tests::ec2_proxy::{Ec2Proxy, Fault};
use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{find_resource, Workdir};
use serde_json::json;

fn setup() -> (Moto, Ec2Proxy, Workdir) {
    let moto = Moto::start();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let wd = moto.workdir();
    (moto, proxy, wd)
}

fn config(proxy: &Ec2Proxy, max_attempts: u32, body: &str) -> String {
    let attempts = max_attempts.to_string();
    format!(
        r#"{}data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "faults"
}}
resource "ecshost_launch_template" "hosts" {{
  name                   = "fault-hosts"
  user_data              = data.ecshost_user_data.hosts.base64
  update_default_version = true
}}
{body}
"#,
        acceptance_tests::terraform::provider_block(
            &[("ec2", proxy.url())],
            &[("max_attempts", &attempts)]
        )
    )
}

/// Templates named `fault-hosts` in moto (out of band, not through the proxy).
fn templates_in_ec2(moto: &Moto) -> usize {
    moto.with_ec2(async |ec2| {
        usize::from(
            ec2.describe_template_by_name("fault-hosts")
                .await
                .expect("describe")
                .is_some(),
        )
    })
}

#[test]
fn a_denied_call_names_the_iam_action_it_needs_and_creates_nothing() {
    let (moto, proxy, wd) = setup();
    proxy.inject("CreateLaunchTemplate", 1, Fault::DENIED);
    wd.write_config(&config(&proxy, 3, ""));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0);
    let err = r.stderr.replace('\n', " ");
    assert!(err.contains("Unable to Create Launch Template"), "{err}");
    assert!(
        err.contains("`ec2:CreateLaunchTemplate`"),
        "names the IAM action: {err}"
    );
    assert!(
        err.contains("IAM permissions"),
        "points at the policy: {err}"
    );
    assert_eq!(
        proxy.faults_served()["CreateLaunchTemplate"],
        1,
        "not retried"
    );
    assert_eq!(templates_in_ec2(&moto), 0, "nothing was created");
    // Granted (the fault is spent), the same apply succeeds.
    wd.apply();
    assert_eq!(templates_in_ec2(&moto), 1);
}

#[test]
fn throttling_storm_is_retried_and_exhausted_retries_name_action_and_code() {
    let (moto, proxy, wd) = setup();
    // Exhausted: 2 attempts, 5 throttles.
    proxy.inject("CreateLaunchTemplate", 5, Fault::THROTTLE);
    wd.write_config(&config(&proxy, 2, ""));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0);
    let err = r.stderr.replace('\n', " ");
    assert!(err.contains("Unable to Create Launch Template"), "{err}");
    assert!(
        err.contains("CreateLaunchTemplate failed: RequestLimitExceeded"),
        "names action and code: {err}"
    );
    assert!(
        err.contains("max_attempts") && err.contains("-parallelism"),
        "says what to change: {err}"
    );
    assert!(!err.contains("panic"), "{err}");
    assert_eq!(
        proxy.faults_served()["CreateLaunchTemplate"],
        2,
        "both attempts throttled"
    );
    assert_eq!(templates_in_ec2(&moto), 0, "nothing was created");
    assert!(find_resource(&wd.show(), "ecshost_launch_template.hosts").is_none());

    // A storm the retry policy rides out: the 3 remaining throttles, 5 attempts.
    wd.write_config(&config(&proxy, 5, ""));
    let t = Instant::now();
    wd.apply();
    eprintln!(
        "OBSERVED throttling storm (3 x RequestLimitExceeded) ridden out in {:?}",
        t.elapsed()
    );
    assert_eq!(proxy.faults_served()["CreateLaunchTemplate"], 5);
    assert_eq!(templates_in_ec2(&moto), 1);
    wd.assert_empty_plan();

    // 500s on reads during refresh are retried the same way.
    proxy.inject("DescribeLaunchTemplates", 2, Fault::INTERNAL);
    wd.assert_empty_plan();
    assert_eq!(proxy.faults_served()["DescribeLaunchTemplates"], 2);
}

#[test]
fn a_lost_create_answer_is_adopted_in_the_same_apply() {
    let (moto, proxy, wd) = setup();
    // The create reaches moto, its answer never comes back; the SDK's retry
    // then meets the existing name (moto has no ClientToken idempotency).
    proxy.inject("CreateLaunchTemplate", 1, Fault::LoseResponse);
    wd.write_config(&config(&proxy, 3, ""));
    wd.init();
    let r = wd.apply();
    let out = format!("{}{}", r.stdout, r.stderr).replace('\n', " ");
    assert!(
        out.contains("Adopted a Launch Template Whose Creation Was Not Confirmed"),
        "{out}"
    );
    assert_eq!(templates_in_ec2(&moto), 1, "exactly one template");
    let v = wd.values("ecshost_launch_template.hosts");
    assert!(v["id"].as_str().unwrap().starts_with("lt-"));
    assert!(
        v["tags_all"].as_object().unwrap().is_empty(),
        "the creation token stays hidden: {v:#}"
    );
    wd.assert_empty_plan();
}

#[test]
fn a_lost_version_answer_is_adopted_in_the_same_update() {
    let (moto, proxy, wd) = setup();
    wd.write_config(&config(&proxy, 1, ""));
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // New user data makes a version. One attempt: EC2 creates version 2,
    // its answer never comes back.
    proxy.inject("CreateLaunchTemplateVersion", 1, Fault::LoseResponse);
    let changed =
        config(&proxy, 1, "").replace(r#"cluster     = "faults""#, r#"cluster     = "faults-2""#);
    assert_ne!(changed, config(&proxy, 1, ""));
    wd.write_config(&changed);
    let r = wd.apply();
    let out = format!("{}{}", r.stdout, r.stderr).replace('\n', " ");
    assert!(
        out.contains("Adopted a Launch Template Version Whose Creation Was Not Confirmed"),
        "{out}"
    );
    assert_eq!(
        proxy.faults_served().get("CreateLaunchTemplateVersion"),
        Some(&1),
        "the fault was really served"
    );
    let v = wd.values("ecshost_launch_template.hosts");
    assert_eq!(v["latest_version"], json!(2), "{v:#}");
    assert_eq!(
        v["default_version"],
        json!(2),
        "the adopted version became the default: {v:#}"
    );
    let t = moto.with_ec2(async |ec2| ec2.describe_template_by_id(&id).await.unwrap().unwrap());
    assert_eq!(
        (t.latest_version, t.default_version),
        (2, 2),
        "one new version, made default"
    );
    wd.assert_empty_plan();
}

#[test]
fn a_lost_create_is_saved_tainted_and_found_by_the_next_plan_when_even_the_lookup_failed() {
    let (moto, proxy, wd) = setup();
    // One attempt: the create takes effect, its answer is lost, and the
    // lookup by name is dropped too. The apply fails, but the state keeps a
    // pending (tainted) object that knows the create's token.
    proxy.inject("CreateLaunchTemplate", 1, Fault::LoseResponse);
    proxy.inject("DescribeLaunchTemplates", 1, Fault::Drop);
    wd.write_config(&config(&proxy, 1, ""));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    let err = r.stderr.replace('\n', " ");
    assert!(
        err.contains("Launch Template Creation Unconfirmed"),
        "{err}"
    );
    assert!(!err.contains("inconsistent"), "{err}");
    let orphan = moto.with_ec2(async |ec2| {
        ec2.describe_template_by_name("fault-hosts")
            .await
            .unwrap()
            .expect("EC2 made it")
            .id
    });
    let st = wd.show();
    let pending = find_resource(&st, "ecshost_launch_template.hosts").expect("saved");
    assert_eq!(pending["values"]["id"], json!(""), "{pending:#}");
    assert_eq!(pending["tainted"], json!(true), "{pending:#}");

    // The next plan finds it by its token and replaces it: one template,
    // the orphan gone, a clean plan after.
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("must be replaced") || plan.contains("is tainted"),
        "{plan}"
    );
    wd.apply();
    let v = wd.values("ecshost_launch_template.hosts");
    assert_ne!(v["id"], json!(orphan));
    assert!(!moto.template_exists(&orphan), "the orphan was deleted");
    assert_eq!(templates_in_ec2(&moto), 1, "exactly one template");
    wd.assert_empty_plan();
}

#[test]
fn a_pending_create_that_never_happened_is_dropped_and_created() {
    let (moto, proxy, wd) = setup();
    // The request never reaches EC2 (dropped before forwarding) and the
    // lookup is dropped too: outcome unknown to the provider.
    proxy.inject("CreateLaunchTemplate", 1, Fault::Drop);
    proxy.inject("DescribeLaunchTemplates", 1, Fault::Drop);
    wd.write_config(&config(&proxy, 1, ""));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0);
    assert_eq!(templates_in_ec2(&moto), 0);
    let r = wd.apply();
    let out = format!("{}{}", r.stdout, r.stderr).replace('\n', " ");
    assert!(
        out.contains("Unconfirmed Launch Template Was Not Created"),
        "{out}"
    );
    assert_eq!(templates_in_ec2(&moto), 1);
    wd.assert_empty_plan();
}

#[test]
fn someone_elses_template_of_the_same_name_is_not_adopted() {
    let (moto, proxy, wd) = setup();
    let theirs = moto.create_template_out_of_band("fault-hosts", "IyEvYmluL3NoCg==");
    wd.write_config(&config(&proxy, 2, ""));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0);
    let err = r.stderr.replace('\n', " ");
    assert!(err.contains("Launch Template Name Already in Use"), "{err}");
    assert!(err.contains("Import it (terraform import"), "{err}");
    assert!(moto.template_exists(&theirs), "theirs is untouched");
}

#[test]
fn ctrl_c_during_a_verification_wait_stops_promptly_and_saves_a_consistent_state() {
    let (moto, proxy, wd) = setup();
    wd.write_config(&config(&proxy, 2, ""));
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    moto.run_instances(&acceptance_tests::moto::Launch::new(&id, "$Latest", 2));
    // moto's console never holds a report: the gate would wait 10 minutes.
    let gate = r#"
resource "ecshost_instance_verification" "gate" {
  launch_template_id = ecshost_launch_template.hosts.id
  timeout            = "10m"
  poll_interval      = "1s"
}
"#;
    wd.write_config(&config(&proxy, 2, gate));
    let child = wd
        .command(&["apply", "-auto-approve", "-no-color"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("terraform apply");
    // Wait until the provider is polling consoles.
    let t0 = Instant::now();
    while proxy
        .actions()
        .get("GetConsoleOutput")
        .copied()
        .unwrap_or(0)
        < 4
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "verification never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = Instant::now();
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let out = child.wait_with_output().expect("terraform exits");
    let stopped_after = sent.elapsed();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace('\n', " ");
    eprintln!("OBSERVED SIGINT → terraform exited in {stopped_after:?}: {text}");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stopped_after < Duration::from_secs(15),
        "stopped in {stopped_after:?}, not after the 10m timeout"
    );
    assert!(text.contains("Verification Interrupted"), "{text}");
    // Consistent state: the template is there, the gate is not.
    let st = wd.show();
    assert!(find_resource(&st, "ecshost_launch_template.hosts").is_some());
    assert!(find_resource(&st, "ecshost_instance_verification.gate").is_none());
    let lt = wd.values("ecshost_launch_template.hosts");
    assert_eq!(lt["id"], json!(id));
}

#[test]
fn verification_rides_out_throttled_per_instance_calls() {
    let (moto, proxy, wd) = setup();
    wd.write_config(&config(&proxy, 5, ""));
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    moto.run_instances(&acceptance_tests::moto::Launch::new(&id, "$Latest", 6));
    // Throttling is normal at fleet scale: per-instance calls in flight
    // (concurrency 3) meet RequestLimitExceeded and are retried one by one.
    proxy.inject("DescribeInstanceAttribute", 4, Fault::THROTTLE);
    proxy.inject("GetConsoleOutput", 4, Fault::THROTTLE);
    proxy.inject("DescribeInstances", 1, Fault::INTERNAL);
    let body = r#"
data "ecshost_instance_verification" "fleet" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  require_runtime_report    = false
  concurrency               = 3
}
"#;
    wd.write_config(&config(&proxy, 5, body));
    wd.apply();
    let v = wd.values("data.ecshost_instance_verification.fleet");
    assert_eq!(v["instance_count"], json!(6));
    assert_eq!(v["all_ok"], json!(true), "{v:#}");
    let served = proxy.faults_served();
    assert_eq!(served["DescribeInstanceAttribute"], 4);
    assert_eq!(served["GetConsoleOutput"], 4);
    assert_eq!(served["DescribeInstances"], 1);
    // `api_calls` counts calls, not attempts.
    assert_eq!(v["api_calls"]["DescribeInstanceAttribute"], json!(6));
}
