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
//! What the lab sets beyond the provider's defaults goes through `config`
//! (so through the provider's own checks), each entry for a reason of the
//! lab, not of the product ([`AgentPeers::config`]).

use std::time::Duration;

use acceptance_tests::ec2_proxy::Ec2Proxy;
use acceptance_tests::hostlab::agent_image::{AgentSource, AGENT_VERSION};
use acceptance_tests::hostlab::agent_peers::{served_credentials, AgentPeers, RoleCredentials};
use acceptance_tests::hostlab::DELETE_IMDS_BLOCK;
use acceptance_tests::moto::Launch;
use acceptance_tests::terraform::{provider_block, Workdir};
use acceptance_tests::user_data_edit::strip_loopback;
use base64::Engine as _;
use ecshost::verify::ecs::{IMDS_IAM_ROLES, TASK_IAM_ROLE, TASK_IAM_ROLE_NETWORK_HOST};

use super::{observe, ok, user_data_input, Host, LabConfig};

/// The cluster the agent joins (the lab's).
const CLUSTER: &str = "hostlab";

/// The Terraform configuration: provider, `ecshost_user_data` with the
/// lab's `config`, a launch template carrying it (IMDSv2, hop limit 2).
fn head(ec2: &str, ecs: &str, image: &str, config: &str) -> String {
    let provider = provider_block(&[("ec2", ec2), ("ecs", ecs)], &[]);
    format!(
        r#"{provider}data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "{CLUSTER}"
  image       = "{image}"
{config}}}
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
    /// of the template would ([`strip_loopback`]).
    Loopback,
    /// The instance's metadata hop limit is 1 (EC2's default, what a
    /// template version made out of band gives; the provider refuses it
    /// for bridged user data): the metadata stand-in sends token answers
    /// with IP TTL 1, so they die one forward before the agent's bridge.
    HopLimit,
}

/// The lab's host with the real agent's peers, and an instance moto
/// launched from a template whose user data Terraform rendered.
struct AgentHost {
    h: Host,
    proxy: Ec2Proxy,
    wd: Workdir,
    head: String,
    instance_id: String,
}

impl AgentHost {
    /// Brings everything up and runs the user data EC2 holds for the
    /// instance, as cloud-init would, after breaking what `brk` says.
    /// `None` (with the reason printed) where the lab or the real agent is
    /// not available: the stand-in cannot start tasks.
    fn start(brk: Break) -> Option<AgentHost> {
        AgentHost::start_on(brk, None)
    }

    /// [`AgentHost::start`] with `dockerd` instead of the system's.
    fn start_on(brk: Break, dockerd: Option<std::path::PathBuf>) -> Option<AgentHost> {
        if let AgentSource::Missing(why) = AgentSource::locate() {
            acceptance_tests::hostlab::agent_image::say(&format!(
                "SKIP real_agent: {why}; the stand-in cannot start tasks from ACS"
            ));
            return None;
        }
        let cfg = LabConfig {
            dockerd,
            ..LabConfig::default()
        };
        let h = Host::start_for_user_data_with(cfg, user_data_input())?;
        let peers = h.peers.as_ref().expect("the real agent's peers");
        let moto = &peers.moto;
        let config = h.config_hcl();
        let proxy = Ec2Proxy::start(&moto.endpoint);
        let wd = moto.workdir();
        let head = head(proxy.url(), &moto.endpoint, &h.input.agent.image, &config);
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
                metadata: Some(("required", i32::from(hop_limit))),
                ..Launch::new(&id, "$Latest", 1)
            })
            .pop()
            .expect("one instance");
        peers
            .serve_instance(&h.lab, &instance_id, "required", hop_limit)
            .expect("serve the instance's metadata");
        let b64 = moto.with_ec2(async |ec2| {
            ec2.instance_user_data(&instance_id)
                .await
                .expect("DescribeInstanceAttribute")
                .expect("instance has user data")
        });
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64 user data");
        assert_eq!(
            bytes,
            ecshost::render::user_data::render(&h.input).unwrap().bytes,
            "Terraform rendered what the lab's input renders"
        );
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
            proxy,
            wd,
            head,
            instance_id,
        })
    }

    fn peers(&self) -> &AgentPeers {
        self.h.peers.as_ref().expect("peers")
    }

    fn agent_log(&self) -> std::path::PathBuf {
        self.h.root.join("var/log/ecs/ecs-agent.log")
    }

    fn wait_for_acs(&self, bound: Duration) -> Result<String, String> {
        self.peers()
            .wait_for_acs(&self.h.lab, &self.agent_log(), bound)
    }

    fn run_task(&self, n: u32) -> Result<(RoleCredentials, String), String> {
        let r = self.peers().run_task(&self.h.lab, &self.agent_log(), n);
        if let Ok((c, out)) = &r {
            observe(&format!("task {n} output"), &c.redact(out));
        }
        r
    }

    /// The data source's verdict on the instance (its console as the lab printed it).
    fn verify(&self) -> serde_json::Value {
        let console = std::fs::read_to_string(&self.h.console).unwrap_or_default();
        self.proxy.set_console_output(&self.instance_id, &console);
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
            self.head
        );
        self.wd.write_config(&verify);
        self.wd.apply();
        let v = self.wd.values("data.ecshost_instance_verification.lab");
        v["instances"]
            .as_array()
            .and_then(|is| is.iter().find(|i| i["id"] == self.instance_id.as_str()))
            .unwrap_or_else(|| panic!("{} in {v:#}", self.instance_id))
            .clone()
    }
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
    let redact = |out: &str, c: &RoleCredentials| c.redact(out);
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
    let state = a.peers().moto.acs_state();
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
    let inst = a.verify();
    observe("verification with the real agent", &format!("{inst:#}"));
    assert_eq!(inst["ecs"]["status"], "ACTIVE", "{inst:#}");
    assert_eq!(inst["ecs"]["agent_version"], AGENT_VERSION, "{inst:#}");
    assert_eq!(inst["ok"], true, "{inst:#}");
    // What the agent registered is really there to judge (an empty list
    // would not be judged at all).
    let arns = a.peers().moto.container_instance_arns(CLUSTER);
    let attributes = a.peers().moto.with_ecs(async |ecs| {
        ecs.sdk()
            .describe_container_instances()
            .cluster(CLUSTER)
            .set_container_instances(Some(arns))
            .send()
            .await
            .expect("DescribeContainerInstances")
            .container_instances()
            .iter()
            .flat_map(|c| c.attributes().iter().map(|a| a.name().to_owned()))
            .collect::<Vec<_>>()
    });
    observe(
        "registered attributes",
        &format!("{} {attributes:?}", attributes.len()),
    );
    assert!(
        attributes.iter().any(|n| n == TASK_IAM_ROLE)
            && !attributes.iter().any(|n| n == TASK_IAM_ROLE_NETWORK_HOST),
        "the agent registered task-iam-role and not task-iam-role-network-host: {attributes:?}"
    );
    // Agent 1.105.1 keeps task credentials out of instance metadata
    // (`IMDSIAMRolesEnabled` is never set at this version): the day an agent
    // registers the capability, verification judges it (fleet_verification.rs).
    assert!(
        !attributes.iter().any(|n| n == IMDS_IAM_ROLES),
        "agent 1.105.1 registered {IMDS_IAM_ROLES}: task credentials are now in instance metadata, read docs/guides/how-it-works.md: {attributes:?}"
    );

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

    // The agent exits: ECS (the launcher) sees its ACS connection close,
    // and verification names the host's problem.
    ok(a.h.lab.docker(&["stop", super::AGENT]), "stop the agent");
    let t0 = std::time::Instant::now();
    while a.peers().moto.acs_state()["connections"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["kind"] == "acs" && c["open"] == true))
    {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "ACS connection still open"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let inst = a.verify();
    observe("verification after the agent exited", &format!("{inst:#}"));
    assert!(
        inst["ok"] == false
            && inst["problems"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p
                    .as_str()
                    .is_some_and(|p| p.contains("is disconnected from cluster")))),
        "a host whose agent exited is a problem: {inst:#}"
    );
}

/// Docker 28 (Debian unstable's docker.io 28.5.2, `.ci/install-docker28`),
/// the third Docker generation: it adds raw-table drops of packets sent
/// straight to a container's address from outside its bridge (moby's
/// "direct access" protection), which could stop a path that reaches the
/// agent by its container address. The same end-to-end task as on 20.10:
/// the credentials ACS sent, through `169.254.170.2:80`, and no instance
/// metadata — then the metadata block removed, to show the guard (not
/// Docker 28's own rules) is what keeps the task out.
#[test]
fn real_agent_task_on_docker_28() {
    let dir = std::env::var_os("ECSHOST_DOCKER28_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| acceptance_tests::terraform::target_dir().join("docker-28"));
    let dockerd = dir.join("dockerd");
    if !dockerd.is_file() {
        acceptance_tests::hostlab::agent_image::say(&format!(
            "SKIP real_agent_task_on_docker_28: no {} (bash .ci/install-docker28 downloads it; its output says why it could not)",
            dockerd.display()
        ));
        return;
    }
    let Some(a) = AgentHost::start_on(Break::Nothing, Some(dockerd)) else {
        return;
    };
    let version = ok(
        a.h.lab
            .docker(&["version", "--format", "{{.Server.Version}}"]),
        "docker version",
    );
    observe("dockerd", &version.stdout);
    assert!(
        version.stdout.trim().starts_with("28."),
        "the lab runs Docker 28: {}",
        version.stdout
    );
    let raw = ok(a.h.sh("iptables -w -t raw -S PREROUTING"), "raw table");
    observe("Docker 28's raw PREROUTING", &raw.stdout);
    assert!(
        raw.stdout
            .lines()
            .any(|l| l.contains(" ! -i br-") && l.ends_with("-j DROP")),
        "Docker 28 drops direct access to the agent's container address from outside its bridge (the protection this test runs against): {}",
        raw.stdout
    );
    let (creds, out) = a.run_task(1).unwrap_or_else(|e| panic!("{e}"));
    let served = served_credentials(&out)
        .unwrap_or_else(|| panic!("no credentials on Docker 28: {}", creds.redact(&out)));
    assert_eq!(served["AccessKeyId"], creds.access_key_id.as_str());
    assert_eq!(served["Token"], creds.session_token.as_str());
    assert!(
        out.contains("IMDS_UNREACHABLE") && !out.contains(&a.instance_id),
        "the task reached instance metadata on Docker 28: {}",
        creds.redact(&out)
    );
    ok(a.h.sh(DELETE_IMDS_BLOCK), "delete the metadata block");
    let (creds, out) = a.run_task(2).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.contains("IMDS_REACHED") && out.contains(&a.instance_id),
        "without the metadata block the task reaches instance metadata on Docker 28 too: {}",
        creds.redact(&out)
    );
    ok(a.h.agent_sh("guard"), "guard");
    let (creds, out) = a.run_task(3).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        served_credentials(&out).is_some() && out.contains("IMDS_UNREACHABLE"),
        "the guard subcommand restores the block on Docker 28: {}",
        creds.redact(&out)
    );
}

/// Issue 23, item 4, negative: user data without the loopback pieces. The
/// agent cannot be published on `169.254.170.2:80` (no such local address),
/// so it never serves: no ACS connection, no container instance.
#[test]
fn real_agent_without_the_loopback_piece_never_serves() {
    let Some(a) = AgentHost::start(Break::Loopback) else {
        return;
    };
    let r = a.wait_for_acs(Duration::from_secs(90));
    observe("without the loopback piece", &format!("{r:?}"));
    // Docker created the container but could not start it: its published
    // address is not on the host.
    let status =
        a.h.lab
            .docker(&["inspect", "-f", "{{.State.Status}}", super::AGENT]);
    assert!(
        r.is_err() && status.stdout.trim() == "created" && a.peers().registered() == 0,
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
    let r = a.wait_for_acs(Duration::from_secs(120));
    observe("hop limit 1", &format!("{r:?}"));
    let why = r.as_ref().err().cloned().unwrap_or_default();
    assert!(
        why.contains("Unable to communicate with EC2 Metadata service")
            && a.peers().registered() == 0,
        "with hop limit 1 the agent must fail on instance metadata and not register: {r:?}"
    );
}
