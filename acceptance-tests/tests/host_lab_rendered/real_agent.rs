//! The product's claim, end to end, with the real ECS agent 1.105.1: on a
//! host whose user data the provider rendered (through Terraform's
//! `ecshost_user_data`), a task container that the agent starts from an ACS
//! message gets its IAM role credentials from `169.254.170.2:80` — the
//! agent on its own bridge network, not the host's — and cannot reach
//! instance metadata.
//!
//! The peers, all on this machine:
//! - moto through the harness's ECS launcher
//!   (`acceptance-tests/moto/ecs_launcher.py`): EC2 and ECS for Terraform
//!   and the agent, plus the ACS websocket endpoint that sends the task
//!   (`docs/guides/testing-against-moto.md`);
//! - the lab (`acceptance_tests::hostlab`): Debian's dockerd in a network
//!   namespace, the instance-metadata stand-in serving the identity of an
//!   instance moto launched from the template, and relays that let the
//!   agent reach moto and ACS at `169.254.254.2` (the stand-in's side of its
//!   link, "the network outside the host");
//! - the agent image built from `../shared/ecs-agent/`
//!   ([`acceptance_tests::hostlab::agent_image`]). Without it the test says
//!   so and does not run: the stand-in cannot start tasks.
//!
//! What the lab sets beyond the provider's defaults, each in `config` (so
//! through the provider's own checks) and each for a reason of the lab,
//! not of the product: `ECS_BACKEND_HOST` (moto instead of ECS),
//! `ECS_IMAGE_PULL_BEHAVIOR = "prefer-cached"` (no registry: the task's image
//! is the lab's local busybox), and `ECS_ENABLE_TASK_CPU_MEM_LIMIT = "false"`
//! (the lab mounts a directory of its own as the agent's `/sys/fs/cgroup`,
//! where no task cgroup can be made).

use std::time::{Duration, Instant};

use acceptance_tests::ec2_proxy::Ec2Proxy;
use acceptance_tests::hostlab::agent_image::{AgentSource, AGENT_IMAGE, AGENT_VERSION};
use acceptance_tests::hostlab::images::BUSYBOX_IMAGE;
use acceptance_tests::hostlab::imds::{InstanceFacts, IMDS_LINK_ADDR};
use acceptance_tests::hostlab::relay::Relay;
use acceptance_tests::hostlab::{LabConfig, DELETE_IMDS_BLOCK};
use acceptance_tests::moto::{Launch, Moto};
use acceptance_tests::user_data_edit::strip_loopback;
use base64::Engine as _;

use super::{observe, ok, user_data_input, Host};

/// The cluster the agent joins.
const CLUSTER: &str = "hostlab";
/// moto's account.
const ACCOUNT: &str = "123456789012";
/// How long the agent may take from `docker run` to an open ACS connection.
const REGISTER_BOUND: Duration = Duration::from_secs(150);
/// How long from the ACS message to the task's output.
const TASK_BOUND: Duration = Duration::from_secs(150);

/// What the task container prints: its relative URI, the credentials
/// endpoint's answer between markers, then whether instance metadata
/// answered the way an attacker would ask (IMDSv2: a token `PUT` by hand
/// with busybox `nc`, then a `GET` with it; the instance requires tokens).
const TASK_SCRIPT: &str = r#"echo "RELATIVE_URI=$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
echo CREDENTIALS_BEGIN
timeout 10 wget -qO- "http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
echo
echo CREDENTIALS_END
tok=$(printf 'PUT /latest/api/token HTTP/1.0\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n' | timeout 5 nc 169.254.169.254 80 | tail -n 1)
if [ -n "$tok" ] && timeout 5 wget -qO- --header "X-aws-ec2-metadata-token: $tok" http://169.254.169.254/latest/meta-data/instance-id; then echo; echo IMDS_REACHED; else echo IMDS_UNREACHABLE; fi
sleep 600
"#;

/// The role credentials ACS hands the agent for the task.
struct RoleCredentials {
    credentials_id: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
    role_arn: String,
}

impl RoleCredentials {
    fn new(n: u32) -> Self {
        let pid = std::process::id();
        RoleCredentials {
            credentials_id: format!("hostlab-creds-{pid}-{n}"),
            access_key_id: format!("ASIAHOSTLABTASK{n:05}"),
            secret_access_key: format!("task-secret-{pid}-{n}-wJalrXUtnFEMI"),
            session_token: format!("task-session-token-{pid}-{n}-FwoGZXIvYXdzE"),
            expiration: "2099-01-01T00:00:00Z".into(),
            role_arn: format!("arn:aws:iam::{ACCOUNT}:role/hostlab-task-role"),
        }
    }

    fn acs(&self) -> serde_json::Value {
        serde_json::json!({
            "credentialsId": self.credentials_id,
            "roleArn": self.role_arn,
            "accessKeyId": self.access_key_id,
            "secretAccessKey": self.secret_access_key,
            "sessionToken": self.session_token,
            "expiration": self.expiration,
        })
    }
}

/// One bridge-mode task as ACS sends it (`ecs-agent/acs/model/api/api-2.json`,
/// `Task`), its container on the lab's busybox image.
fn task(arn: &str, creds: &RoleCredentials) -> serde_json::Value {
    serde_json::json!({
        "arn": arn,
        "family": "hostlab-credentials-reader",
        "version": "1",
        "desiredStatus": "RUNNING",
        "networkMode": "bridge",
        "launchType": "EC2",
        "taskDefinitionAccountId": ACCOUNT,
        "containers": [{
            "name": "reader",
            "image": BUSYBOX_IMAGE,
            "cpu": 0,
            "memory": 64,
            "essential": true,
            "command": ["sh", "-c", TASK_SCRIPT],
            "environment": {},
            "portMappings": [],
            "mountPoints": [],
            "volumesFrom": [],
            "links": [],
        }],
        "volumes": [],
        "roleCredentials": creds.acs(),
    })
}

/// The lab's host, moto through the launcher, the relays, and an instance
/// moto launched from a template whose user data Terraform rendered.
struct AgentHost {
    h: Host,
    moto: Moto,
    proxy: Ec2Proxy,
    _relays: Vec<Relay>,
    wd: acceptance_tests::terraform::Workdir,
    head: String,
    instance_id: String,
}

/// The Terraform configuration: provider, `ecshost_user_data` with the
/// lab's settings, a launch template carrying it.
fn head(ec2: &str, ecs: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    ecshost = {{ source = "ecshost/ecshost" }}
  }}
}}
provider "ecshost" {{
  region = "us-east-1"
  endpoints {{
    ec2 = "{ec2}"
    ecs = "{ecs}"
  }}
}}
data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "{CLUSTER}"
  image       = "{AGENT_IMAGE}"
  config = {{
    ECS_BACKEND_HOST              = "http://{IMDS_LINK_ADDR}:__ECS_PORT__"
    ECS_IMAGE_PULL_BEHAVIOR       = "prefer-cached"
    ECS_ENABLE_TASK_CPU_MEM_LIMIT = "false"
  }}
}}
resource "ecshost_launch_template" "hosts" {{
  name      = "lab-agent-hosts"
  user_data = data.ecshost_user_data.hosts.base64
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
}}
"#
    )
}

/// What a negative variant breaks before the user data runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Break {
    Nothing,
    /// The loopback pieces cut out of the bytes EC2 holds, as a hand edit
    /// of the template would ([`acceptance_tests::user_data_edit::strip_loopback`]).
    Loopback,
    /// The instance's metadata hop limit is 1 (EC2's default, what a
    /// template version made out of band gives; the provider refuses it
    /// for bridged user data): the metadata stand-in sends token answers
    /// with IP TTL 1, so they die one forward before the agent's bridge.
    HopLimit,
}

impl AgentHost {
    /// Brings everything up and runs the user data EC2 holds for the
    /// instance, as cloud-init would, after breaking what `brk` says.
    /// `None` (with the reason printed) where the lab or the real agent is
    /// not available.
    fn start(brk: Break) -> Option<AgentHost> {
        let source = AgentSource::locate();
        source.announce("real_agent");
        let agent_dir = source.dir()?.to_path_buf();
        let cfg = LabConfig {
            real_agent: Some(agent_dir),
            ..LabConfig::default()
        };
        let mut input = user_data_input();
        input.agent.image = AGENT_IMAGE.into();
        let h = Host::start_for_user_data_with(cfg, input)?;
        let moto = Moto::start_ecs_launcher(IMDS_LINK_ADDR);
        let port = moto
            .endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("moto port");
        let imds_ns = h.lab.imds().expect("lab has the IMDS stand-in").netns();
        let dir = h.lab.dir().to_path_buf();
        let relays = vec![
            Relay::start(imds_ns, IMDS_LINK_ADDR, port, &dir).expect("relay to moto"),
            Relay::start(imds_ns, IMDS_LINK_ADDR, moto.acs_port().expect("acs"), &dir)
                .expect("relay to ACS"),
        ];
        moto.create_cluster(CLUSTER);
        let proxy = Ec2Proxy::start(&moto.endpoint);
        let wd = moto.workdir();
        let head = head(proxy.url(), &moto.endpoint).replace("__ECS_PORT__", &port.to_string());
        wd.write_config(&head);
        wd.init();
        wd.apply();
        let lt = wd.values("ecshost_launch_template.hosts");
        let id = lt["id"].as_str().expect("template id").to_owned();
        let hop_limit = if brk == Break::HopLimit { 1 } else { 2 };
        let instance_id = moto
            .run_instances(&Launch {
                // moto does not copy the template's metadata options to the
                // instance; pass what EC2 would have given it.
                metadata: Some(("required", hop_limit)),
                ..Launch::new(&id, "$Latest", 1)
            })
            .pop()
            .expect("one instance");
        let facts = instance_facts(&moto, &instance_id);
        let imds = h.lab.imds().expect("imds");
        imds.serve_instance(&facts)
            .expect("serve the instance's metadata");
        imds.set_http_tokens("required")
            .expect("IMDSv2 only, as the template says");
        imds.set_hop_limit(u8::try_from(hop_limit).expect("hop limit"))
            .expect("hop limit");
        let b64 = moto.with_ec2(async |ec2| {
            ec2.instance_user_data(&instance_id)
                .await
                .expect("DescribeInstanceAttribute")
                .expect("instance has user data")
        });
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64 user data");
        if brk == Break::Loopback {
            let text = std::str::from_utf8(&bytes).expect("plain user data");
            bytes = strip_loopback(text).into_bytes();
        }
        std::fs::write(&h.console, "").expect("console");
        let file = h.stage("user-data-from-ec2", &bytes);
        let booted = h.sh(&format!("sh {}", file.display()));
        observe("user data with the real agent", &booted.combined());
        Some(AgentHost {
            h,
            moto,
            proxy,
            _relays: relays,
            wd,
            head,
            instance_id,
        })
    }

    /// The agent's own log (`ECS_LOGFILE`, in the lab's log directory), for
    /// failure messages.
    fn agent_log_tail(&self) -> String {
        let log = self.h.root.join("var/log/ecs/ecs-agent.log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The metadata stand-in's request log, last lines.
    fn imds_log_tail(&self) -> String {
        let log = self.h.lab.imds().map(|i| i.log()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits for the agent's ACS connection; returns the container
    /// instance ARN it connected as.
    fn wait_for_acs(&self) -> Result<String, String> {
        self.wait_for_acs_within(REGISTER_BOUND)
    }

    fn wait_for_acs_within(&self, bound: Duration) -> Result<String, String> {
        let t0 = Instant::now();
        loop {
            let state = self.moto.acs_state();
            if let Some(c) = state["connections"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["kind"] == "acs" && c["open"] == true))
            {
                observe(
                    "ACS connection",
                    &format!("{} after {:?}", c["query"], t0.elapsed()),
                );
                return Ok(c["containerInstanceArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned());
            }
            if t0.elapsed() > bound
                || (t0.elapsed() > Duration::from_secs(20) && !self.agent_running())
            {
                return Err(format!(
                    "no ACS connection from the agent after {:?}; agent container: {}\nagent log:\n{}\nmetadata requests:\n{}",
                    t0.elapsed(),
                    self.h.lab.docker(&["ps", "-a"]).combined(),
                    self.agent_log_tail(),
                    self.imds_log_tail()
                ));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Whether the agent container is running.
    fn agent_running(&self) -> bool {
        self.h
            .lab
            .docker(&["inspect", "-f", "{{.State.Running}}", super::AGENT])
            .stdout
            .trim()
            == "true"
    }

    /// Container instances moto holds for the cluster.
    fn registered(&self) -> usize {
        self.moto.with_ecs(async |ecs| {
            ecs.sdk()
                .list_container_instances()
                .cluster(CLUSTER)
                .send()
                .await
                .expect("ListContainerInstances")
                .container_instance_arns()
                .len()
        })
    }

    /// The task's container (found by the agent's task-ARN label) and its
    /// output once it printed its verdict on instance metadata.
    fn task_output(&self, arn: &str) -> Result<String, String> {
        let t0 = Instant::now();
        let filter = format!("label=com.amazonaws.ecs.task-arn={arn}");
        loop {
            let names =
                self.h
                    .lab
                    .docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]);
            if let Some(name) = names.stdout.lines().next().filter(|n| !n.is_empty()) {
                let logs = self.h.lab.docker(&["logs", name]);
                if logs.stdout.contains("IMDS_") {
                    // NetworkMode is "default" (Docker's word for docker0's
                    // network when none is named): check the attachment.
                    let net = self.h.lab.docker(&[
                        "inspect",
                        "-f",
                        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                        name,
                    ]);
                    assert_eq!(
                        net.stdout.trim(),
                        "bridge",
                        "the task runs on docker0: {net}"
                    );
                    return Ok(logs.stdout);
                }
            }
            if t0.elapsed() > TASK_BOUND {
                return Err(format!(
                    "the task printed nothing within {TASK_BOUND:?}; containers:\n{}\nlauncher state: {:#}\nagent log:\n{}",
                    self.h.lab.docker(&["ps", "-a"]).combined(),
                    self.moto.acs_state(),
                    self.agent_log_tail()
                ));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Sends one task with fresh credentials; returns them and the task's output.
    fn run_task(&self, n: u32) -> Result<(RoleCredentials, String), String> {
        self.wait_for_acs()?;
        let creds = RoleCredentials::new(n);
        let arn = format!(
            "arn:aws:ecs:us-east-1:{ACCOUNT}:task/{CLUSTER}/{:032x}",
            u128::from(std::process::id()) << 32 | u128::from(n)
        );
        let t0 = Instant::now();
        self.moto
            .acs_send_tasks(serde_json::json!([task(&arn, &creds)]))
            .map_err(|e| format!("ACS payload: {e}"))?;
        let out = self.task_output(&arn)?;
        observe(
            "task output",
            &format!("after {:?}: {}", t0.elapsed(), redact(&out, &creds)),
        );
        Ok((creds, out))
    }
}

/// The task's output with the secret parts cut (test logs are read by people).
fn redact(out: &str, creds: &RoleCredentials) -> String {
    out.replace(&creds.secret_access_key, "<secret>")
        .replace(&creds.session_token, "<token>")
}

/// What moto knows of the instance, served by the metadata stand-in.
fn instance_facts(moto: &Moto, id: &str) -> InstanceFacts {
    moto.with_ec2(async |ec2| {
        let out = ec2
            .sdk()
            .describe_instances()
            .instance_ids(id)
            .send()
            .await
            .expect("DescribeInstances");
        let i = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .next()
            .expect("the instance")
            .clone();
        let nic = i.network_interfaces().first();
        InstanceFacts {
            instance_id: id.to_owned(),
            account_id: ACCOUNT.into(),
            image_id: i.image_id().unwrap_or("ami-12c6146b").to_owned(),
            instance_type: i
                .instance_type()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_else(|| "m6i.large".into()),
            private_ip: i.private_ip_address().unwrap_or("10.0.0.10").to_owned(),
            mac: nic
                .and_then(|n| n.mac_address())
                .unwrap_or("0e:00:00:00:00:01")
                .to_owned(),
            vpc_id: i.vpc_id().unwrap_or("vpc-12345678").to_owned(),
            subnet_id: i.subnet_id().unwrap_or("subnet-12345678").to_owned(),
        }
    })
}

/// The `CREDENTIALS_BEGIN … CREDENTIALS_END` part of the output as JSON.
fn served_credentials(out: &str) -> Option<serde_json::Value> {
    let body = out
        .split_once("CREDENTIALS_BEGIN")?
        .1
        .split_once("CREDENTIALS_END")?
        .0;
    serde_json::from_str(body.trim()).ok()
}

/// Issue 23, item 4 and the first Done-when line: the real agent registers
/// with moto, ACS sends it a task with role credentials, the task container
/// on `docker0` reads exactly those credentials at
/// `http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` and cannot
/// reach `169.254.169.254`; the verification data source reports the
/// instance `ACTIVE` with agent 1.105.1.
#[test]
fn real_agent_task_gets_its_role_credentials_and_no_instance_metadata() {
    let Some(a) = AgentHost::start(Break::Nothing) else {
        return;
    };
    let (creds, out) = a.run_task(1).unwrap_or_else(|e| panic!("{e}"));
    let uri = format!("/v2/credentials/{}", creds.credentials_id);
    assert!(
        out.contains(&format!("RELATIVE_URI={uri}\n")),
        "the agent gave the task its relative URI: {}",
        redact(&out, &creds)
    );
    let served = served_credentials(&out).unwrap_or_else(|| {
        panic!(
            "no credentials JSON in the task's output: {}",
            redact(&out, &creds)
        )
    });
    assert_eq!(served["AccessKeyId"], creds.access_key_id.as_str());
    assert_eq!(served["SecretAccessKey"], creds.secret_access_key.as_str());
    assert_eq!(served["Token"], creds.session_token.as_str());
    assert_eq!(served["Expiration"], creds.expiration.as_str());
    assert_eq!(served["RoleArn"], creds.role_arn.as_str());
    assert!(
        out.contains("IMDS_UNREACHABLE") && !out.contains(&a.instance_id),
        "the task reached instance metadata: {}",
        redact(&out, &creds)
    );

    // The agent reported the task running to "ECS" (the launcher records it).
    let state = a.moto.acs_state();
    let changes = state["state_changes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        changes.iter().any(|c| c["request"]["status"] == "RUNNING"
            || c["request"]["containers"]
                .as_array()
                .is_some_and(|cs| cs.iter().any(|x| x["status"] == "RUNNING"))),
        "no RUNNING state change from the agent: {changes:#?}"
    );

    // Verification: the instance serves the cluster, with the real agent.
    let console = std::fs::read_to_string(&a.h.console).unwrap_or_default();
    a.proxy.set_console_output(&a.instance_id, &console);
    let verify = format!(
        r#"{}
data "ecshost_instance_verification" "lab" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  ecs_cluster               = "{CLUSTER}"
  timeout                   = "3s"
  poll_interval             = "1s"
}}
"#,
        a.head
    );
    a.wd.write_config(&verify);
    a.wd.apply();
    let v = a.wd.values("data.ecshost_instance_verification.lab");
    let inst = v["instances"]
        .as_array()
        .and_then(|is| is.iter().find(|i| i["id"] == a.instance_id.as_str()))
        .unwrap_or_else(|| panic!("{} in {v:#}", a.instance_id))
        .clone();
    observe("verification with the real agent", &format!("{inst:#}"));
    assert_eq!(inst["ecs"]["status"], "ACTIVE", "{inst:#}");
    assert_eq!(inst["ecs"]["agent_version"], AGENT_VERSION, "{inst:#}");
    assert_eq!(inst["ok"], true, "{inst:#}");

    // Negative variants on the same host, one piece removed at a time and
    // repaired by the start script's own subcommand.
    let agent_netns = |cmd: &str| {
        format!("nsenter -t \"$(\"$DOCKER\" inspect -f '{{{{.State.Pid}}}}' ecs-agent)\" -n {cmd}")
    };
    let dnat = "iptables -w -t nat -D PREROUTING ! -i lo -p tcp --dport 51679 -j DNAT --to-destination 127.0.0.1:51679";
    ok(
        a.h.sh(&agent_netns(dnat)),
        "delete the DNAT in the agent's namespace",
    );
    let (creds, out) = a.run_task(2).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        served_credentials(&out).is_none() && out.contains("IMDS_UNREACHABLE"),
        "without the DNAT in the agent's namespace the task must get no credentials (and still no metadata): {}",
        redact(&out, &creds)
    );
    ok(a.h.agent_sh("reapply"), "reapply");

    ok(a.h.sh(DELETE_IMDS_BLOCK), "delete the metadata block");
    let (creds, out) = a.run_task(3).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        served_credentials(&out).is_some()
            && out.contains("IMDS_REACHED")
            && out.contains(&a.instance_id),
        "without the metadata block the task must reach instance metadata (and the test must see it): {}",
        redact(&out, &creds)
    );
    ok(a.h.agent_sh("guard"), "guard");
}

/// Issue 23, item 4, negative: user data without the loopback pieces. The
/// agent cannot be published on `169.254.170.2:80` (no such local address),
/// so it never serves: no ACS connection, no container instance.
#[test]
fn real_agent_without_the_loopback_piece_never_serves() {
    let Some(a) = AgentHost::start(Break::Loopback) else {
        return;
    };
    let r = a.wait_for_acs_within(Duration::from_secs(90));
    observe("without the loopback piece", &format!("{r:?}"));
    // Docker created the container but could not start it: its published
    // address is not on the host.
    let status =
        a.h.lab
            .docker(&["inspect", "-f", "{{.State.Status}}", super::AGENT]);
    assert!(
        r.is_err() && status.stdout.trim() == "created" && a.registered() == 0,
        "user data without the loopback piece must leave an agent that never started: {r:?} / {status}"
    );
}

/// Issue 23, item 4, negative: hop limit 1. The agent on its bridge never
/// gets an IMDSv2 token (the answer's TTL runs out one forward short), so
/// it cannot read the instance identity and never registers.
#[test]
fn real_agent_with_hop_limit_1_cannot_register() {
    let Some(a) = AgentHost::start(Break::HopLimit) else {
        return;
    };
    let r = a.wait_for_acs_within(Duration::from_secs(120));
    observe("hop limit 1", &format!("{r:?}"));
    let why = r.as_ref().err().cloned().unwrap_or_default();
    assert!(
        why.contains("Unable to communicate with EC2 Metadata service") && a.registered() == 0,
        "with hop limit 1 the agent must fail on instance metadata and not register: {r:?}"
    );
}
