//! What the real ECS agent needs around a lab to run as on EC2: ECS (moto
//! through the harness's ECS launcher, with its ACS endpoint), an EC2
//! instance that moto knows and whose identity the metadata stand-in
//! serves (IMDSv2 only, as the provider's templates say), and relays that
//! let the agent reach moto and ACS from its bridge at
//! [`IMDS_LINK_ADDR`] — the stand-in's side of its link, "the network
//! outside the host". Everything stays on this machine
//! ([`crate::hostlab::relay`]).
//!
//! The agent learns where ECS is from `ECS_BACKEND_HOST`; [`AgentPeers::config`]
//! gives the `ecs.config` entries the lab adds to the provider's, each for
//! a reason of the lab and none of the product:
//! - `ECS_BACKEND_HOST`: moto instead of ECS;
//! - `ECS_IMAGE_PULL_BEHAVIOR = prefer-cached`: no registry, task images
//!   are the lab's local ones;
//! - `ECS_ENABLE_TASK_CPU_MEM_LIMIT = false`: the lab mounts a directory of
//!   its own as the agent's `/sys/fs/cgroup` (never the machine's), where
//!   no task cgroup can be made.
//!
//! Tasks come from ACS: [`AgentPeers::run_task`] sends one bridge-mode task
//! with fresh role credentials (`ecs-agent/acs/model/api/api-2.json`,
//! `Task`) and returns what its container printed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::hostlab::images::BUSYBOX_IMAGE;
use crate::hostlab::imds::{InstanceFacts, IMDS_LINK_ADDR};
use crate::hostlab::relay::Relay;
use crate::hostlab::{Error, Lab, Result};
use crate::moto::Moto;

/// moto's account.
pub const ACCOUNT: &str = "123456789012";
/// Name of the agent container (the provider's default).
const AGENT: &str = "ecs-agent";
/// How long from the ACS message to the task's verdict on instance metadata.
const TASK_BOUND: Duration = Duration::from_secs(150);

/// moto (launcher), the relays into the lab, the cluster.
pub struct AgentPeers {
    /// moto through the ECS launcher (local side: `127.0.0.1`)
    pub moto: Moto,
    /// the cluster the agent joins (created)
    pub cluster: String,
    _relays: Vec<Relay>,
}

/// The role credentials ACS hands the agent for a task.
#[derive(Debug, Clone)]
pub struct RoleCredentials {
    pub credentials_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: String,
    pub role_arn: String,
}

impl RoleCredentials {
    /// Distinct credentials for task `n` of this process.
    pub fn new(n: u32) -> Self {
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

    /// ACS's `IAMRoleCredentials`.
    pub fn acs(&self) -> serde_json::Value {
        serde_json::json!({
            "credentialsId": self.credentials_id,
            "roleArn": self.role_arn,
            "accessKeyId": self.access_key_id,
            "secretAccessKey": self.secret_access_key,
            "sessionToken": self.session_token,
            "expiration": self.expiration,
        })
    }

    /// `text` with the secret parts cut (test logs are read by people).
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.secret_access_key, "<secret>")
            .replace(&self.session_token, "<token>")
    }
}

/// What the task container prints: its relative URI, the credentials
/// endpoint's answer between markers, then whether instance metadata
/// answered the way an attacker would ask (IMDSv2: a token `PUT` by hand
/// with busybox `nc`, then a `GET` with it; the instance requires tokens).
pub const TASK_SCRIPT: &str = r#"echo "RELATIVE_URI=$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
echo CREDENTIALS_BEGIN
timeout 10 wget -qO- "http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
echo
echo CREDENTIALS_END
tok=$(printf 'PUT /latest/api/token HTTP/1.0\r\nX-aws-ec2-metadata-token-ttl-seconds: 60\r\n\r\n' | timeout 5 nc 169.254.169.254 80 | tail -n 1)
if [ -n "$tok" ] && timeout 5 wget -qO- --header "X-aws-ec2-metadata-token: $tok" http://169.254.169.254/latest/meta-data/instance-id; then echo; echo IMDS_REACHED; else echo IMDS_UNREACHABLE; fi
sleep 600
"#;

/// One bridge-mode task as ACS sends it, its container on the lab's busybox
/// image running `command`. What agent 1.105.1 requires of it
/// (`agent/api/task/task.go`, `TaskFromACS`): a task ARN with `/` in its
/// resource, a known `desiredStatus`, `version` as a string, `environment`
/// as a map, a `credentialsId`.
pub fn task_json(arn: &str, creds: &RoleCredentials, command: &[&str]) -> serde_json::Value {
    task_json_on(BUSYBOX_IMAGE, arn, creds, command)
}

/// [`task_json`] with the container on `image` (a busybox image the host
/// has loaded, e.g. a boot guest's task image).
pub fn task_json_on(
    image: &str,
    arn: &str,
    creds: &RoleCredentials,
    command: &[&str],
) -> serde_json::Value {
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
            "image": image,
            "cpu": 0,
            "memory": 64,
            "essential": true,
            "command": command,
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

/// The `CREDENTIALS_BEGIN … CREDENTIALS_END` part of a task's output as JSON.
pub fn served_credentials(out: &str) -> Option<serde_json::Value> {
    let body = out
        .split_once("CREDENTIALS_BEGIN")?
        .1
        .split_once("CREDENTIALS_END")?
        .0;
    serde_json::from_str(body.trim()).ok()
}

/// The last `n` lines of a file (empty when absent).
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl AgentPeers {
    /// Starts moto through the launcher, relays its two ports into the
    /// lab's metadata namespace and creates `cluster`. The lab must have
    /// the metadata stand-in.
    pub fn start(lab: &Lab, cluster: &str) -> Result<AgentPeers> {
        let imds = lab
            .imds()
            .ok_or_else(|| Error::new("the real agent needs the lab's metadata stand-in"))?;
        let moto = Moto::start_ecs_launcher(IMDS_LINK_ADDR);
        let acs = moto.acs_port().expect("launcher has an ACS port");
        let relays = vec![
            Relay::start(imds.netns(), IMDS_LINK_ADDR, moto.port(), lab.dir())?,
            Relay::start(imds.netns(), IMDS_LINK_ADDR, acs, lab.dir())?,
        ];
        moto.create_cluster(cluster);
        Ok(AgentPeers {
            moto,
            cluster: cluster.to_owned(),
            _relays: relays,
        })
    }

    /// The `ecs.config` entries the lab adds (see the module documentation).
    pub fn config(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            (
                "ECS_BACKEND_HOST".to_owned(),
                format!("http://{IMDS_LINK_ADDR}:{}", self.moto.port()),
            ),
            (
                "ECS_IMAGE_PULL_BEHAVIOR".to_owned(),
                "prefer-cached".to_owned(),
            ),
            (
                "ECS_ENABLE_TASK_CPU_MEM_LIMIT".to_owned(),
                "false".to_owned(),
            ),
        ])
    }

    /// RunInstances without a template (for tests that render the user
    /// data themselves); returns the instance id.
    pub fn launch_instance(&self) -> String {
        self.moto.with_ec2(async |ec2| {
            ec2.sdk()
                .run_instances()
                .image_id("ami-12c6146b")
                .instance_type(aws_sdk_ec2::types::InstanceType::M6iLarge)
                .min_count(1)
                .max_count(1)
                .send()
                .await
                .expect("RunInstances")
                .instances()
                .first()
                .and_then(|i| i.instance_id())
                .expect("an instance id")
                .to_owned()
        })
    }

    /// The metadata stand-in serves `instance_id` (as moto describes it),
    /// with `http_tokens` (`required` or `optional`), answering token
    /// requests with IP TTL `hop_limit`.
    pub fn serve_instance(
        &self,
        lab: &Lab,
        instance_id: &str,
        http_tokens: &str,
        hop_limit: u8,
    ) -> Result<()> {
        let facts = self.instance_facts(instance_id);
        let imds = lab
            .imds()
            .ok_or_else(|| Error::new("the lab has no metadata stand-in"))?;
        imds.serve_instance(&facts)?;
        imds.set_http_tokens(http_tokens)?;
        imds.set_hop_limit(hop_limit)
    }

    fn instance_facts(&self, id: &str) -> InstanceFacts {
        instance_facts(&self.moto, id)
    }

    /// Whether the lab's agent container is running.
    pub fn agent_running(lab: &Lab) -> bool {
        lab.docker(&["inspect", "-f", "{{.State.Running}}", AGENT])
            .stdout
            .trim()
            == "true"
    }

    /// Waits (at most `bound`, or 20 s once the agent container stopped)
    /// for the agent's open ACS connection; returns its container instance
    /// ARN, or why not with the agent's log and the metadata requests.
    pub fn wait_for_acs(
        &self,
        lab: &Lab,
        agent_log: &Path,
        bound: Duration,
    ) -> std::result::Result<String, String> {
        let t0 = Instant::now();
        loop {
            if let Some(arn) = self.moto.open_acs_connections().into_iter().next() {
                return Ok(arn);
            }
            let stopped = t0.elapsed() > Duration::from_secs(20) && !Self::agent_running(lab);
            if t0.elapsed() > bound || stopped {
                let imds = lab.imds().map(|i| i.log()).unwrap_or_default();
                let imds: Vec<&str> = imds.lines().collect();
                return Err(format!(
                    "no ACS connection from the agent after {:?}; containers:\n{}\nagent log:\n{}\nmetadata requests:\n{}",
                    t0.elapsed(),
                    lab.docker(&["ps", "-a"]).combined(),
                    tail(agent_log, 40),
                    imds[imds.len().saturating_sub(30)..].join("\n")
                ));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// Container instances moto holds for the cluster.
    pub fn registered(&self) -> usize {
        self.moto.container_instance_arns(&self.cluster).len()
    }

    /// A task ARN of this cluster for task `n` ([`task_arn`]).
    pub fn task_arn(&self, n: u32) -> String {
        task_arn(&self.cluster, n)
    }

    /// Sends task `n` ([`TASK_SCRIPT`], fresh credentials) once the agent's
    /// ACS connection is open; returns the credentials and the task's
    /// output once it printed its verdict on instance metadata. The task's
    /// container must be on `docker0`'s network.
    pub fn run_task(
        &self,
        lab: &Lab,
        agent_log: &Path,
        n: u32,
    ) -> std::result::Result<(RoleCredentials, String), String> {
        self.wait_for_acs(lab, agent_log, Duration::from_secs(150))?;
        let creds = RoleCredentials::new(n);
        let arn = self.task_arn(n);
        self.moto
            .acs_send_tasks(serde_json::json!([task_json(
                &arn,
                &creds,
                &["sh", "-c", TASK_SCRIPT]
            )]))
            .map_err(|e| format!("ACS payload: {e}"))?;
        let out = self.task_output(lab, agent_log, &arn)?;
        Ok((creds, out))
    }

    /// The output of the task's container (found by the agent's task-ARN
    /// label) once it printed `IMDS_…`.
    fn task_output(
        &self,
        lab: &Lab,
        agent_log: &Path,
        arn: &str,
    ) -> std::result::Result<String, String> {
        let t0 = Instant::now();
        let filter = format!("label=com.amazonaws.ecs.task-arn={arn}");
        loop {
            let names = lab.docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]);
            if let Some(name) = names.stdout.lines().next().filter(|n| !n.is_empty()) {
                let logs = lab.docker(&["logs", name]);
                if logs.stdout.contains("IMDS_") {
                    // NetworkMode is "default" (Docker's word for docker0's
                    // network when none is named): check the attachment.
                    let net = lab.docker(&[
                        "inspect",
                        "-f",
                        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
                        name,
                    ]);
                    if net.stdout.trim() != "bridge" {
                        return Err(format!("the task is not on docker0's network: {net}"));
                    }
                    return Ok(logs.stdout);
                }
            }
            if t0.elapsed() > TASK_BOUND {
                return Err(format!(
                    "the task printed nothing within {TASK_BOUND:?}; containers:\n{}\nlauncher state: {:#}\nagent log:\n{}",
                    lab.docker(&["ps", "-a"]).combined(),
                    self.moto.acs_state(),
                    tail(agent_log, 40)
                ));
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// A task ARN of `cluster` for task `n`, unique to this test process (its
/// pid in the high bits), so tasks of parallel runs never share an ARN.
pub fn task_arn(cluster: &str, n: u32) -> String {
    format!(
        "arn:aws:ecs:us-east-1:{ACCOUNT}:task/{cluster}/{:032x}",
        u128::from(std::process::id()) << 32 | u128::from(n)
    )
}

/// The facts of EC2 instance `id` as moto describes it, for a metadata
/// stand-in to serve ([`crate::hostlab::imds::write_instance_files`]).
pub fn instance_facts(moto: &Moto, id: &str) -> InstanceFacts {
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
