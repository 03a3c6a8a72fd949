//! moto in server mode: the EC2 emulator the acceptance tests run against.
//!
//! Each [`Moto`] is its own server process on a free 127.0.0.1 port (≈0.5 s
//! to start, ≈1.5 s for the first EC2 call), stopped by PID on drop, so
//! tests never share state. moto is installed once into a virtualenv by
//! `.ci/install-moto` (pinned in `.ci/moto-requirements.txt`).
//!
//! Known gaps of moto that the tests must not paper over are listed in
//! `ec2-emulator-moto.md` of the shared reference; the ones that matter
//! here: ClientToken idempotency is not implemented, DescribeLaunchTemplates
//! returns the tags as of creation (the provider reads tags with
//! DescribeTags), and instances run no user data.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ecshost::ec2::client::{Ec2, Ec2Settings};
use ecshost::ec2::launch_templates::Version;
use ecshost::ec2::template_data::LaunchTemplateData;
use ecshost::ecs::client::Ecs;

use crate::terraform::workspace_root;

/// Installs moto (once per process) and returns its `moto_server`.
pub fn moto_server() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let out = Command::new("bash")
            .arg(workspace_root().join(".ci/install-moto"))
            .stderr(Stdio::inherit())
            .output()
            .expect("running .ci/install-moto");
        assert!(out.status.success(), "installing moto failed");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}

/// A running moto server.
pub struct Moto {
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    acs_port: Option<u16>,
    child: Child,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A minimal HTTP request to the local server; returns the status code.
fn http(port: u16, method: &str, path: &str, body: &str, timeout: Duration) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split_whitespace().nth(1)?.parse().ok()
}

/// A minimal HTTP request with a body; returns status and body (bounded: 30 s).
fn http_text(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let code = resp.split_whitespace().nth(1)?.parse().ok()?;
    let text = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((code, text))
}

impl Moto {
    /// Starts a server and waits until it answers (bounded: 60 s).
    pub fn start() -> Moto {
        Self::start_with_env(&[])
    }

    /// Like [`Moto::start`], with extra environment for the server (e.g.
    /// `MOTO_RECORDER_FILEPATH`).
    pub fn start_with_env(env: &[(&str, &str)]) -> Moto {
        let port = free_port();
        let mut cmd = Command::new(moto_server());
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .envs(env.iter().copied());
        Self::spawn(cmd, port, None)
    }

    /// moto through the harness's ECS launcher
    /// (`acceptance-tests/moto/ecs_launcher.py`,
    /// `docs/guides/testing-against-moto.md`): moto as the real ECS agent
    /// needs it (registration keeps the agent's attributes and resources,
    /// task state changes are acknowledged and recorded) plus an ACS
    /// websocket endpoint on a second port, [`Moto::acs_port`].
    /// `DiscoverPollEndpoint` answers `http://<agent_side_host>:<acs port>`:
    /// the address at which the agent reaches that port (a relay into its
    /// namespace listens on the same port number).
    pub fn start_ecs_launcher(agent_side_host: &str) -> Moto {
        let port = free_port();
        let acs_port = free_port();
        let python = moto_server().with_file_name("python");
        let mut cmd = Command::new(python);
        cmd.arg(workspace_root().join("acceptance-tests/moto/ecs_launcher.py"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--acs-port", &acs_port.to_string()])
            .args(["--acs-url", &format!("http://{agent_side_host}:{acs_port}")]);
        if let Some(log) = std::env::var_os("ECSHOST_LAUNCHER_LOG") {
            let f = std::fs::File::create(log).expect("ECSHOST_LAUNCHER_LOG");
            cmd.stderr(f);
        }
        let m = Self::spawn(cmd, port, Some(acs_port));
        let t0 = Instant::now();
        while http_text(acs_port, "GET", "/harness/state", "").map(|r| r.0) != Some(200) {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "the ECS launcher's ACS port {acs_port} did not come up"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        m
    }

    fn spawn(mut cmd: Command, port: u16, acs_port: Option<u16>) -> Moto {
        if acs_port.is_none() || std::env::var_os("ECSHOST_LAUNCHER_LOG").is_none() {
            cmd.stderr(Stdio::null());
        }
        let child = cmd.stdout(Stdio::null()).spawn().expect("starting moto");
        let m = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            acs_port,
            child,
        };
        let t0 = Instant::now();
        while http(port, "GET", "/moto-api/", "", Duration::from_secs(10)) != Some(200) {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "moto did not come up on port {port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        m
    }

    /// The server's port on `127.0.0.1` (the one in [`Moto::endpoint`]).
    pub fn port(&self) -> u16 {
        self.endpoint
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in moto's endpoint")
    }

    /// The launcher's ACS endpoint and control API (local side).
    pub fn acs_port(&self) -> Option<u16> {
        self.acs_port
    }

    /// `GET /harness/state` of the launcher: the agent's ACS connections,
    /// every message it sent, every task state change it submitted.
    pub fn acs_state(&self) -> serde_json::Value {
        let port = self.acs_port.expect("started with start_ecs_launcher");
        let (code, body) = http_text(port, "GET", "/harness/state", "").expect("harness state");
        assert_eq!(code, 200, "GET /harness/state: {body}");
        serde_json::from_str(&body).expect("harness state is JSON")
    }

    /// The container instance ARNs of the agents whose ACS connection to
    /// the launcher is open now, oldest connection first.
    pub fn open_acs_connections(&self) -> Vec<String> {
        self.acs_state()["connections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["kind"] == "acs" && c["open"] == true)
            .filter_map(|c| c["containerInstanceArn"].as_str().map(str::to_owned))
            .collect()
    }

    /// `ListContainerInstances` of `cluster` (out of band; one page, which
    /// holds every instance a test registers).
    pub fn container_instance_arns(&self, cluster: &str) -> Vec<String> {
        self.with_ecs(async |ecs| {
            ecs.sdk()
                .list_container_instances()
                .cluster(cluster)
                .send()
                .await
                .expect("ListContainerInstances")
                .container_instance_arns()
                .to_vec()
        })
    }

    /// `POST /harness/payload`: the ACS endpoint sends the agent a
    /// `PayloadMessage` with `tasks`; returns its message id, or the
    /// launcher's reason (no ACS connection yet, …).
    pub fn acs_send_tasks(&self, tasks: serde_json::Value) -> Result<String, String> {
        self.acs_send(serde_json::json!({ "tasks": tasks }))
    }

    /// [`Moto::acs_send_tasks`] to the ACS connection of one container
    /// instance (when several agents are connected, as in parallel boots).
    pub fn acs_send_tasks_to(
        &self,
        container_instance_arn: &str,
        tasks: serde_json::Value,
    ) -> Result<String, String> {
        self.acs_send(serde_json::json!({
            "tasks": tasks,
            "containerInstanceArn": container_instance_arn,
        }))
    }

    fn acs_send(&self, body: serde_json::Value) -> Result<String, String> {
        let port = self.acs_port.expect("started with start_ecs_launcher");
        let body = body.to_string();
        let (code, text) = http_text(port, "POST", "/harness/payload", &body)
            .ok_or("no answer from the launcher")?;
        if code != 200 {
            return Err(format!("{code}: {text}"));
        }
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        v["messageId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no messageId in {text}"))
    }

    /// POSTs to moto's own API (`/moto-api/…`, e.g. `seed?a=42` or
    /// `recorder/start-recording`); panics unless it answers 200 within
    /// 5 minutes (a replay runs every recorded request first).
    pub fn api_post(&self, path: &str) {
        let status = http(
            self.port(),
            "POST",
            &format!("/moto-api/{path}"),
            "",
            Duration::from_secs(300),
        );
        assert_eq!(status, Some(200), "POST /moto-api/{path}");
    }

    /// A terraform work dir whose commands get [`Moto::env`].
    pub fn workdir(&self) -> crate::terraform::Workdir {
        let mut wd = crate::terraform::Workdir::new();
        wd.envs(self.env());
        wd
    }

    /// The environment terraform (and the provider) needs for this server:
    /// static test credentials and a region; no real endpoint.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .chain([("AWS_ENDPOINT_URL".to_owned(), self.endpoint.clone())])
        .collect()
    }

    /// Runs `f` with an EC2 client of this server ("out of band": not
    /// through Terraform).
    pub fn with_ec2<T>(&self, f: impl AsyncFnOnce(&Ec2) -> T) -> T {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        // Fixed test credentials: no process-wide environment changes
        // (tests run on many threads).
        let s = self.settings();
        rt.block_on(async {
            let ec2 = Ec2::connect(&s).await.expect("client");
            f(&ec2).await
        })
    }

    fn settings(&self) -> Ec2Settings {
        Ec2Settings {
            region: Some("us-east-1".into()),
            endpoint: Some(self.endpoint.clone()),
            static_credentials: Some(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            )),
            ..Default::default()
        }
    }

    /// The configuration header of the interop tests:
    /// [`crate::terraform::aws_and_ecshost_blocks`] with hashicorp/aws
    /// 5.100.0 calling this server for EC2 and STS and ecshost calling it
    /// for EC2, both in us-east-1.
    pub fn aws_and_ecshost_providers(&self) -> String {
        let ep = self.endpoint.as_str();
        crate::terraform::aws_and_ecshost_blocks(&[("ec2", ep), ("sts", ep)], &[], &[("ec2", ep)])
    }

    /// Version `n` of template `id` in `region`, as EC2 holds it (read out
    /// of band; panics when it cannot be read).
    pub fn template_version(&self, region: &str, id: &str, n: i64) -> Version {
        self.with_ec2(async |ec2| {
            ec2.in_region(region)
                .template_version(id, n)
                .await
                .expect("read version")
        })
    }

    /// Runs `f` with an ECS client of this server (out of band).
    pub fn with_ecs<T>(&self, f: impl AsyncFnOnce(&Ecs) -> T) -> T {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let s = self.settings();
        rt.block_on(async {
            let ecs = Ecs::connect(&s).await;
            f(&ecs).await
        })
    }

    /// Creates an ECS cluster; returns its ARN.
    pub fn create_cluster(&self, name: &str) -> String {
        self.with_ecs(async |ecs| {
            ecs.sdk()
                .create_cluster()
                .cluster_name(name)
                .send()
                .await
                .expect("CreateCluster")
                .cluster()
                .and_then(|c| c.cluster_arn())
                .expect("cluster ARN")
                .to_owned()
        })
    }

    /// Plays the ECS agent: registers each instance in `cluster`
    /// (RegisterContainerInstance with its instance identity document, one
    /// call each, as every agent does); returns the container instance
    /// ARNs in the order of `ids`.
    pub fn register_container_instances(&self, cluster: &str, ids: &[String]) -> Vec<String> {
        self.register_container_instances_with(cluster, ids, &[])
    }

    /// Like [`Moto::register_container_instances`], sending `attributes`
    /// (name-only, as the agent sends its capabilities) with each
    /// registration. Plain moto keeps only attributes of its own; through
    /// [`Moto::start_ecs_launcher`] they stay on the container instance.
    pub fn register_container_instances_with(
        &self,
        cluster: &str,
        ids: &[String],
        attributes: &[&str],
    ) -> Vec<String> {
        let attributes: Vec<aws_sdk_ecs::types::Attribute> = attributes
            .iter()
            .map(|a| {
                aws_sdk_ecs::types::Attribute::builder()
                    .name(*a)
                    .build()
                    .expect("attribute name")
            })
            .collect();
        self.with_ecs(async |ecs| {
            let mut arns = Vec::with_capacity(ids.len());
            for id in ids {
                let doc = format!(r#"{{"instanceId": "{id}", "region": "us-east-1"}}"#);
                let out = ecs
                    .sdk()
                    .register_container_instance()
                    .cluster(cluster)
                    .instance_identity_document(doc)
                    .set_attributes((!attributes.is_empty()).then(|| attributes.clone()))
                    .send()
                    .await
                    .expect("RegisterContainerInstance");
                arns.push(
                    out.container_instance()
                        .and_then(|c| c.container_instance_arn())
                        .expect("container instance ARN")
                        .to_owned(),
                );
            }
            arns
        })
    }

    /// Sets container instances to `DRAINING` (UpdateContainerInstancesState,
    /// as a scale-in or an instance refresh's lifecycle hook would).
    pub fn drain(&self, cluster: &str, arns: &[String]) {
        self.with_ecs(async |ecs| {
            ecs.sdk()
                .update_container_instances_state()
                .cluster(cluster)
                .set_container_instances(Some(arns.to_vec()))
                .status(aws_sdk_ecs::types::ContainerInstanceStatus::Draining)
                .send()
                .await
                .expect("UpdateContainerInstancesState");
        });
    }

    /// Runs `count` tasks of a small task definition in `cluster` (moto
    /// places them on the first ACTIVE container instance with room).
    pub fn run_tasks(&self, cluster: &str, count: i32) {
        use aws_sdk_ecs::types::ContainerDefinition;
        self.with_ecs(async |ecs| {
            ecs.sdk()
                .register_task_definition()
                .family("sleeper")
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("sleep")
                        .image("busybox")
                        .cpu(256)
                        .memory(128)
                        .build(),
                )
                .send()
                .await
                .expect("RegisterTaskDefinition");
            ecs.sdk()
                .run_task()
                .cluster(cluster)
                .task_definition("sleeper")
                .count(count)
                .send()
                .await
                .expect("RunTask");
        });
    }

    /// Terminates instances (moto terminates them at once).
    pub fn terminate_instances(&self, ids: &[String]) {
        self.with_ec2(async |ec2| {
            ec2.sdk()
                .terminate_instances()
                .set_instance_ids(Some(ids.to_vec()))
                .send()
                .await
                .expect("TerminateInstances");
        });
    }

    /// Sets what real EC2 would have copied from the template (moto does
    /// not): IMDSv2 required, hop limit 2. For instances moto's Auto
    /// Scaling launched.
    pub fn apply_template_metadata_options(&self, ids: &[String]) {
        use aws_sdk_ec2::types::HttpTokensState;
        self.with_ec2(async |ec2| {
            for id in ids {
                ec2.sdk()
                    .modify_instance_metadata_options()
                    .instance_id(id)
                    .http_tokens(HttpTokensState::Required)
                    .http_put_response_hop_limit(2)
                    .http_endpoint(aws_sdk_ec2::types::InstanceMetadataEndpointState::Enabled)
                    .send()
                    .await
                    .expect("ModifyInstanceMetadataOptions");
            }
        });
    }

    /// Running instances tagged with `template_id` and their version tag.
    pub fn running_instances_of(&self, template_id: &str) -> Vec<(String, Option<String>)> {
        self.with_ec2(async |ec2| {
            ec2.find_instances(&ecshost::ec2::instances::InstanceQuery {
                launch_template_id: Some(template_id.to_owned()),
                states: vec!["running".into()],
                instance_ids: vec![],
            })
            .await
            .expect("DescribeInstances")
            .into_iter()
            .map(|i| (i.id, i.launch_template_version))
            .collect()
        })
    }

    /// Creates a template directly in EC2; returns its id.
    pub fn create_template_out_of_band(&self, name: &str, user_data_base64: &str) -> String {
        self.create_template_out_of_band_data(name, user_data_only(user_data_base64))
    }

    /// Creates a template with `data` (CreateLaunchTemplate's
    /// `LaunchTemplateData`, API names) directly in EC2, as another tool or
    /// a module would; returns its id.
    pub fn create_template_out_of_band_data(&self, name: &str, data: LaunchTemplateData) -> String {
        self.with_ec2(async |ec2| {
            ec2.create_template(name, None, &data, &BTreeMap::new(), &format!("oob-{name}"))
                .await
                .expect("create")
                .id
        })
    }

    /// Adds a version with other user data, as a person in the console would.
    pub fn create_version_out_of_band(&self, id: &str, user_data_base64: &str) {
        let data = user_data_only(user_data_base64);
        self.with_ec2(async |ec2| {
            let v = ec2
                .create_version(
                    id,
                    Some("changed by hand"),
                    &data,
                    &format!("by-hand-{id}-{}", std::process::id()),
                )
                .await
                .expect("create version");
            ec2.set_default_version(id, v).await.expect("set default");
        });
    }

    /// Deletes a template behind Terraform's back.
    pub fn delete_template_out_of_band(&self, id: &str) {
        self.with_ec2(async |ec2| ec2.delete_template(id).await.expect("delete"));
    }

    /// `n` instances of `template_id`'s `$Latest` version, launched 100 per
    /// RunInstances call (a fleet for the scale benches); their ids.
    pub fn launch_fleet(&self, template_id: &str, n: usize) -> Vec<String> {
        let mut all = Vec::with_capacity(n);
        let mut left = n;
        while left > 0 {
            let c = left.min(100);
            all.extend(self.run_instances(&Launch::new(template_id, "$Latest", c as i32)));
            left -= c;
        }
        all
    }

    /// RunInstances from a template, as an Auto Scaling group or a person
    /// would; returns the new instance ids.
    pub fn run_instances(&self, l: &Launch<'_>) -> Vec<String> {
        use aws_sdk_ec2::types::{
            HttpTokensState, InstanceMetadataOptionsRequest, LaunchTemplateSpecification,
        };
        self.with_ec2(async |ec2| {
            let mut req = ec2
                .sdk()
                .run_instances()
                .min_count(l.count)
                .max_count(l.count)
                .launch_template(
                    LaunchTemplateSpecification::builder()
                        .launch_template_id(l.template_id)
                        .version(l.version)
                        .build(),
                )
                .set_user_data(l.user_data_base64.map(str::to_owned))
                .set_instance_type(l.instance_type.map(Into::into));
            if let Some((tokens, hops)) = l.metadata {
                req = req.metadata_options(
                    InstanceMetadataOptionsRequest::builder()
                        .http_tokens(HttpTokensState::from(tokens))
                        .http_put_response_hop_limit(hops)
                        .build(),
                );
            }
            let out = req.send().await.expect("RunInstances");
            out.instances()
                .iter()
                .filter_map(|i| i.instance_id().map(str::to_owned))
                .collect()
        })
    }

    /// Stops instances (moto stops them at once).
    pub fn stop_instances(&self, ids: &[String]) {
        self.with_ec2(async |ec2| {
            ec2.sdk()
                .stop_instances()
                .set_instance_ids(Some(ids.to_vec()))
                .send()
                .await
                .expect("StopInstances");
        });
    }

    /// The template's latest version number (0 when it does not exist).
    pub fn latest_version(&self, id: &str) -> i64 {
        self.with_ec2(async |ec2| {
            ec2.describe_template_by_id(id)
                .await
                .expect("describe")
                .map_or(0, |t| t.latest_version)
        })
    }

    /// True when the template exists in EC2.
    pub fn template_exists(&self, id: &str) -> bool {
        self.with_ec2(async |ec2| {
            ec2.describe_template_by_id(id)
                .await
                .expect("describe")
                .is_some()
        })
    }
}

/// One RunInstances call.
pub struct Launch<'a> {
    /// `lt-…`
    pub template_id: &'a str,
    /// `"1"`, `"$Latest"`, `"$Default"`
    pub version: &'a str,
    /// instances in this reservation
    pub count: i32,
    /// overrides the template's user data (RunInstances allows it)
    pub user_data_base64: Option<&'a str>,
    /// `(http_tokens, hop_limit)`: moto does not copy the template's
    /// metadata options to the instance (real EC2 does), so tests pass
    /// what EC2 would have inherited
    pub metadata: Option<(&'a str, i32)>,
    /// overrides the template's instance type (RunInstances allows it)
    pub instance_type: Option<&'a str>,
}

impl<'a> Launch<'a> {
    /// `count` instances of `template_id` at `version`, with the metadata
    /// options a template of this provider carries by default.
    pub fn new(template_id: &'a str, version: &'a str, count: i32) -> Self {
        Launch {
            template_id,
            version,
            count,
            user_data_base64: None,
            metadata: Some(("required", 2)),
            instance_type: None,
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Launch template data holding only user data.
fn user_data_only(user_data_base64: &str) -> LaunchTemplateData {
    let mut m = serde_json::Map::new();
    m.insert("UserData".into(), serde_json::Value::from(user_data_base64));
    LaunchTemplateData(m)
}
