//! The ECS agent container: `docker run` options, start script, systemd unit and
//! `/etc/ecs/ecs.config`, for an agent on **its own bridge network** (never
//! `--net host`), published on `<address>:<port>:51679`.
//!
//! Since agent 1.26 the credentials server listens on `127.0.0.1:51679` inside
//! the agent's netns, so publishing alone reaches nothing (aws/amazon-ecs-agent
//! `ecs-agent/tmds/server.go`, `IPv4 = "127.0.0.1"`; the real agent in
//! `acceptance-tests/tests/host_lab_rendered/real_agent.rs` gets no credentials
//! without the DNAT). The
//! start script adds one DNAT rule *inside the agent's netns* (via `nsenter`
//! into the container's pid) from `!lo tcp/51679` to `127.0.0.1:51679`, with
//! `net.ipv4.conf.all.route_localnet=1` set only in that netns by
//! `--sysctl`. The host's `route_localnet` stays 0. Why this and not a forwarder
//! container: `docs/design/endpoint-reachability.md`.
//!
//! The rule dies with the netns, so the agent is supervised the ecs-init way:
//! no Docker restart policy by default; systemd restarts the unit, whose
//! `run` step recreates the rule on every start (and `ExecStartPost=` re-applies
//! it). A Docker-initiated restart would come back without the rule.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::agent_config;
use super::gpu;
use super::host::{self, Header};
use super::loopback::validate_address;
use super::metadata_guard;
pub use super::metadata_guard::FirewallBackend;
use super::problem::{Problem, RenderError};
use super::task_dnat;
use super::{CREDENTIALS_ADDRESS, SYSTEMD_DIR};

/// Where the start script is installed.
pub const START_SCRIPT_PATH: &str = "/opt/ecshost/ecs-agent.sh";
/// Where the agent configuration is written (read by `docker --env-file`).
pub const ECS_CONFIG_PATH: &str = "/etc/ecs/ecs.config";
/// Name of the systemd unit.
pub const UNIT_NAME: &str = "ecs-agent.service";
/// Container name (the one ecs-init uses).
pub const CONTAINER_NAME: &str = "ecs-agent";
/// Port of the agent's credentials / task metadata server (bound to 127.0.0.1).
pub const AGENT_CREDENTIALS_PORT: u16 = 51679;
/// Port of the agent's introspection API, published on the host's 127.0.0.1.
pub const AGENT_INTROSPECTION_PORT: u16 = 51678;
/// Default image: ECR Public avoids Docker Hub's anonymous pull limits.
pub const DEFAULT_IMAGE: &str = "public.ecr.aws/ecs/amazon-ecs-agent:latest";
/// Docker label holding the hash of the rendered configuration.
pub const CONFIG_LABEL: &str = "io.ecshost.config-sha256";
/// The agent's default reserved ports (`agent/config/config_unix.go`).
pub const DEFAULT_RESERVED_PORTS: [u16; 5] = [22, 2375, 2376, 51678, 51679];

/// Keys the provider writes itself; setting them in `config` is an error.
pub const MANAGED_KEYS: [&str; 9] = [
    "ECS_CLUSTER",
    "ECS_DATADIR",
    "ECS_ENABLE_TASK_ENI",
    "ECS_ENABLE_TASK_IAM_ROLE",
    "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST",
    "ECS_LOGFILE",
    "ECS_LOGLEVEL",
    "ECS_RESERVED_PORTS",
    "ECS_UPDATES_ENABLED",
];

/// Non-`ECS_` keys the agent reads (agent README); anything else is an error.
pub const ALLOWED_OTHER_KEYS: [&str; 6] = [
    "AWS_DEFAULT_REGION",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NONECS_NUM_CONTAINERS_DELETE_PER_CYCLE",
    "NON_ECS_IMAGE_MINIMUM_CLEANUP_AGE",
    "NO_PROXY",
];

/// Where cloud-init records the data source it used. Agents since 1.105.0
/// refuse to start when it says `DataSourceNone` while IMDS holds user data;
/// ecs-init bind-mounts it read-only into the agent when it exists
/// (`ecs-init/docker/docker_config.go`, `getCloudInitResultBinds`), and so do we.
pub const CLOUD_INIT_RESULT_PATH: &str = "/var/lib/cloud/data/result.json";

/// Default interval of the metadata guard's periodic re-check, in seconds.
pub const DEFAULT_GUARD_RECHECK_SECONDS: u32 = 60;

/// Defaults the user may override through `config`.
pub const DEFAULTED_KEYS: [(&str, &str); 1] = [(
    "ECS_AVAILABLE_LOGGING_DRIVERS",
    r#"["json-file","awslogs","syslog","none"]"#,
)];

const LOG_LEVELS: [&str; 5] = ["crit", "error", "warn", "info", "debug"];

/// Terraform attributes of the agent renderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInput {
    /// ECS cluster name (`ECS_CLUSTER`). Required.
    pub cluster: String,
    /// Agent image.
    pub image: String,
    /// Address the agent is published on; must be on `lo` (see `loopback`).
    pub credentials_address: String,
    /// Port the agent is published on (SDKs use 80).
    pub credentials_port: u16,
    /// Run the agent on its own bridge network (`agent_network_name`); when
    /// false it runs on Docker's default bridge.
    pub agent_network: bool,
    /// Name of the agent's own bridge network.
    pub agent_network_name: String,
    /// Drop `docker0` → IMDS (see `metadata_guard`).
    pub block_task_metadata: bool,
    /// Firewall used for the metadata guard and the in-netns DNAT.
    pub firewall_backend: FirewallBackend,
    /// Extra agent settings (`ECS_*`, `HTTP_PROXY`, ...), written sorted by key.
    pub config: BTreeMap<String, String>,
    /// Allow a credentials address/port other than `169.254.170.2:80`.
    pub allow_custom_address: bool,
    /// `ECS_LOGLEVEL`: crit, error, warn, info, debug.
    pub log_level: String,
    /// Docker restart policy. `no` by default: systemd supervises, because a
    /// Docker-initiated restart loses the in-netns DNAT.
    pub restart_policy: String,
    /// Docker log driver for the agent container (ecs-init: json-file).
    pub log_driver: String,
    /// Docker log options (ecs-init: max-size=16m, max-file=4).
    pub log_opts: BTreeMap<String, String>,
    /// `ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST`: task roles for host-mode tasks,
    /// which no network rule can keep away from IMDS. Off by default.
    pub task_iam_role_network_host: bool,
    /// Extra TCP ports for `ECS_RESERVED_PORTS` (host daemons' ports), added
    /// to the agent's defaults and the published port. 0 marks a value the
    /// schema refused (out of range).
    pub reserved_ports: Vec<u16>,
    /// UDP ports for `ECS_RESERVED_PORTS_UDP` (written only when not empty).
    pub reserved_ports_udp: Vec<u16>,
    /// Seconds between two runs of the metadata guard's re-check timer.
    pub guard_recheck_seconds: u32,
}

impl Default for AgentInput {
    fn default() -> Self {
        Self {
            cluster: String::new(),
            image: DEFAULT_IMAGE.to_owned(),
            credentials_address: CREDENTIALS_ADDRESS.to_owned(),
            credentials_port: 80,
            agent_network: true,
            agent_network_name: "ecs-agent".to_owned(),
            block_task_metadata: true,
            firewall_backend: FirewallBackend::Iptables,
            config: BTreeMap::new(),
            allow_custom_address: false,
            log_level: "info".to_owned(),
            restart_policy: "no".to_owned(),
            log_driver: "json-file".to_owned(),
            log_opts: BTreeMap::from([
                ("max-file".to_owned(), "4".to_owned()),
                ("max-size".to_owned(), "16m".to_owned()),
            ]),
            task_iam_role_network_host: false,
            reserved_ports: Vec::new(),
            reserved_ports_udp: Vec::new(),
            guard_recheck_seconds: DEFAULT_GUARD_RECHECK_SECONDS,
        }
    }
}

/// Validates a Terraform number for `credentials_port` (Terraform numbers are i64).
pub fn validate_port(port: i64) -> Option<Problem> {
    if (1..=65535).contains(&port) {
        return None;
    }
    Some(Problem::error(
        "credentials_port",
        "Port out of range",
        format!("{port} is not a TCP port (1-65535); AWS SDKs use 80."),
    ))
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

fn is_token(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

impl AgentInput {
    /// Problems with the input.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if self.cluster.trim().is_empty() {
            out.push(Problem::error(
                "cluster",
                "Cluster is required",
                "Set cluster to the ECS cluster name (ECS_CLUSTER).",
            ));
        } else if !is_token(&self.cluster, b"_-:/.") || self.cluster.len() > 2048 {
            out.push(Problem::error(
                "cluster",
                "Invalid cluster name",
                "Use the ECS cluster name (letters, digits, '-' and '_') or its ARN.",
            ));
        }
        if !is_token(&self.image, b"_-:/.@") {
            out.push(Problem::error(
                "image",
                "Invalid image reference",
                format!(
                    "{:?} is not a Docker image reference such as {DEFAULT_IMAGE}.",
                    self.image
                ),
            ));
        }
        out.extend(validate_address(
            "credentials_address",
            &self.credentials_address,
            self.allow_custom_address,
        ));
        if let Some(p) = validate_port(i64::from(self.credentials_port)) {
            out.push(p);
        } else if self.credentials_port != 80 {
            let detail = format!(
                "AWS SDKs build http://{CREDENTIALS_ADDRESS} + the relative URI, i.e. port 80; port {} is only useful for labs.",
                self.credentials_port
            );
            out.push(if self.allow_custom_address {
                Problem::warning("credentials_port", "SDKs only use port 80", detail)
            } else {
                Problem::error(
                    "credentials_port",
                    "SDKs only use port 80",
                    detail + " Set allow_custom_address = true to allow it.",
                )
            });
        }
        if self.agent_network {
            let name = &self.agent_network_name;
            if !is_token(name, b"_.-") || name.len() > 64 {
                out.push(Problem::error(
                    "agent_network_name",
                    "Invalid network name",
                    "Use letters, digits, '_', '.', '-' (Docker network name).",
                ));
            } else if ["host", "none", "bridge", "default"].contains(&name.as_str()) {
                out.push(Problem::error(
                    "agent_network_name",
                    "Agent network must be its own bridge",
                    format!("{name:?} is a Docker built-in network; the agent runs on a bridge network of its own (never host)."),
                ));
            }
        } else if self.block_task_metadata {
            out.push(Problem::error(
                "agent_network",
                "Agent on docker0 would lose IMDS",
                "block_task_metadata drops docker0 -> 169.254.169.254, and the agent needs IMDS to register. Keep agent_network = true.",
            ));
        }
        let ctx = agent_config::Context {
            config: &self.config,
            block_task_metadata: self.block_task_metadata,
            reserved_ports_udp_attribute: !self.reserved_ports_udp.is_empty(),
        };
        for (key, value) in &self.config {
            out.extend(validate_config_entry(key, value, &ctx));
        }
        for (attribute, ports) in [
            ("reserved_ports", &self.reserved_ports),
            ("reserved_ports_udp", &self.reserved_ports_udp),
        ] {
            for (i, p) in ports.iter().enumerate() {
                if *p == 0 {
                    out.push(
                        Problem::error(
                            attribute,
                            "Port out of range",
                            "Ports are whole numbers from 1 to 65535.",
                        )
                        .in_element(i, ""),
                    );
                }
            }
        }
        if self.block_task_metadata && self.guard_recheck_seconds == 0 {
            out.push(Problem::error(
                "metadata_guard_recheck_interval",
                "Re-check interval too short",
                "The metadata guard is re-checked at most once a second; use 1s or more (default 1m).",
            ));
        }
        let http_proxy = self
            .config
            .get("HTTP_PROXY")
            .or(self.config.get("HTTPS_PROXY"));
        if http_proxy.is_some() {
            let no_proxy = self
                .config
                .get("NO_PROXY")
                .map(String::as_str)
                .unwrap_or("");
            if !(no_proxy.contains("169.254.169.254")
                && no_proxy.contains(&self.credentials_address))
            {
                out.push(
                    Problem::warning(
                        "config",
                        "NO_PROXY should exclude the metadata addresses",
                        format!("With a proxy set, NO_PROXY must include 169.254.169.254,{},/var/run/docker.sock.", self.credentials_address),
                    )
                    .with_key("NO_PROXY"),
                );
            }
        }
        if !LOG_LEVELS.contains(&self.log_level.as_str()) {
            out.push(Problem::error(
                "log_level",
                "Invalid log level",
                format!("Use one of {}.", LOG_LEVELS.join(", ")),
            ));
        }
        out.extend(validate_restart_policy(&self.restart_policy));
        if !is_token(&self.log_driver, b"_.-") {
            out.push(Problem::error(
                "log_driver",
                "Invalid log driver",
                "Use a Docker log driver name such as json-file.",
            ));
        }
        for (k, v) in &self.log_opts {
            if !is_token(k, b"_.-") || has_control(v) || v.is_empty() {
                out.push(
                    Problem::error(
                        "log_opts",
                        "Invalid log option",
                        "Keys are option names, values are non-empty single-line strings.",
                    )
                    .with_key(k.clone()),
                );
            }
        }
        if self.task_iam_role_network_host {
            // The agent's IMDS delivery of task credentials: capability
            // `ecs.capability.imds-iam-roles` (ecs-agent/capability/capability.go),
            // enabled by `determineIMDSIAMRolesConfig` whenever IMDS is
            // reachable (agent/config/config.go), no ECS_* variable to refuse it.
            out.push(Problem::warning(
                "task_iam_role_network_host",
                "Host-mode tasks can still reach IMDS",
                "No network rule separates host-network tasks from the host: block_task_metadata protects docker0 tasks only. \
                 Once the ECS agent delivers task credentials through instance metadata (it then registers ecs.capability.imds-iam-roles; the agent turns this on whenever instance metadata is reachable and has no setting to refuse it), \
                 every host-network task can read the IAM role credentials of every task on the host, and ecshost_instance_verification fails such hosts. \
                 Run the tasks that need a role in bridge or awsvpc mode and leave this false.",
            ));
        }
        out
    }

    /// The sorted, de-duplicated `ECS_RESERVED_PORTS` list: the agent's defaults
    /// plus the published port. Setting the variable replaces the default list,
    /// so the whole list is written (`Config.Merge` in
    /// `agent/config/config.go` of aws/amazon-ecs-agent keeps a non-zero value).
    pub fn reserved_ports(&self) -> Vec<u16> {
        let mut set: BTreeSet<u16> = DEFAULT_RESERVED_PORTS.into_iter().collect();
        set.insert(self.credentials_port);
        set.extend(self.reserved_ports.iter().copied().filter(|p| *p != 0));
        set.into_iter().collect()
    }

    /// The sorted, de-duplicated `reserved_ports_udp`.
    pub fn reserved_ports_udp(&self) -> Vec<u16> {
        let set: BTreeSet<u16> = self.reserved_ports_udp.iter().copied().collect();
        set.into_iter().filter(|p| *p != 0).collect()
    }

    fn address(&self) -> &str {
        let a = self.credentials_address.trim();
        a.strip_suffix("/32").unwrap_or(a)
    }

    fn network(&self) -> &str {
        if self.agent_network {
            &self.agent_network_name
        } else {
            "bridge"
        }
    }
}

fn validate_config_entry(key: &str, value: &str, ctx: &agent_config::Context<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    let well_formed = key.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        out.push(
            Problem::error(
                "config",
                "Invalid setting name",
                "Agent settings are upper-case names such as ECS_LOGLEVEL_ON_INSTANCE.",
            )
            .with_key(key),
        );
    } else if MANAGED_KEYS.contains(&key) {
        out.push(
            Problem::error(
                "config",
                format!("{key} is set by the provider"),
                match key {
                    "ECS_RESERVED_PORTS" => "The provider writes the whole list (it replaces the agent's defaults) including the published port. List extra ports in the reserved_ports attribute.".to_owned(),
                    "ECS_CLUSTER" => "Use the cluster attribute.".to_owned(),
                    "ECS_LOGLEVEL" => "Use the log_level attribute.".to_owned(),
                    "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST" => "Use the task_iam_role_network_host attribute.".to_owned(),
                    _ => "The bridged-agent design depends on this value; remove it from config.".to_owned(),
                },
            )
            .with_key(key),
        );
    } else if let Some(p) = agent_config::introspection_setting(key, value) {
        out.push(p);
    } else if let Some(why) = agent_config::unsupported_reason(key) {
        out.push(
            Problem::error("config", "Not supported on this host", why.to_owned()).with_key(key),
        );
    } else if !key.starts_with("ECS_") && !ALLOWED_OTHER_KEYS.contains(&key) {
        let hint = agent_config::nearest_agent_key(key)
            .map(|k| format!(" The agent does not read {key}; did you mean {k}?"))
            .unwrap_or_default();
        out.push(
            Problem::error(
                "config",
                "Not an agent setting",
                format!(
                    "Only ECS_* keys and {} are passed to the agent.{hint}",
                    ALLOWED_OTHER_KEYS.join(", ")
                ),
            )
            .with_key(key),
        );
    } else if !agent_config::is_agent_key(key) {
        let hint = agent_config::nearest_agent_key(key)
            .map(|k| format!(" Check the name: did you mean {k}?"))
            .unwrap_or_default();
        out.push(
            Problem::warning(
                "config",
                "Unknown agent setting",
                format!(
                    "ECS agent {} does not read {key}: it is written to ecs.config and ignored.{hint}",
                    agent_config::AGENT_VERSION
                ),
            )
            .with_key(key),
        );
    }
    if has_control(value) {
        out.push(
            Problem::error(
                "config",
                "Value must be a single line",
                "ecs.config is read line by line; newlines and control characters would split it.",
            )
            .with_key(key),
        );
    } else if out.is_empty() {
        let checked = agent_config::check(key, value, ctx);
        if checked.is_empty() && value.trim() != value {
            out.push(
                Problem::warning(
                    "config",
                    "Value is used verbatim",
                    "ecs.config values are not trimmed; the spaces become part of the value.",
                )
                .with_key(key),
            );
        }
        out.extend(checked);
    }
    out
}

fn validate_restart_policy(p: &str) -> Vec<Problem> {
    let valid = matches!(p, "no" | "always" | "unless-stopped" | "on-failure")
        || p.strip_prefix("on-failure:")
            .is_some_and(|n| n.parse::<u16>().is_ok_and(|n| n > 0));
    if !valid {
        return vec![Problem::error(
            "restart_policy",
            "Invalid restart policy",
            "Use no, on-failure[:N], always or unless-stopped.",
        )];
    }
    if p != "no" {
        return vec![Problem::warning(
            "restart_policy",
            "Docker restarts lose the endpoint DNAT",
            "The DNAT inside the agent's netns is re-applied by the ecs-agent.service unit; a restart done by Docker itself comes back without it. Prefer \"no\" and let systemd supervise.",
        )];
    }
    vec![]
}

/// Everything needed to run the agent on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentOptions {
    /// Arguments to `docker run` (without `docker run` itself); the image is last.
    pub docker_run_args: Vec<String>,
    /// POSIX sh script at [`START_SCRIPT_PATH`]: `start|run|reapply|guard|stop`.
    pub start_script: String,
    /// `ecs-agent.service`, a thin wrapper around the start script.
    pub systemd_unit: String,
    /// Content of [`ECS_CONFIG_PATH`].
    pub ecs_config: String,
    /// Standalone idempotent script applying the metadata guard
    /// ([`metadata_guard::SCRIPT_PATH`]); empty when `block_task_metadata` is off.
    pub firewall_rules: String,
    /// `ecshost-metadata-guard.service` running the start script's `guard` step
    /// whenever Docker (re)starts; empty when `block_task_metadata` is off.
    pub firewall_unit: String,
    /// `ecshost-metadata-guard-recheck.service`: the start script's `recheck`
    /// step (re-apply when missing, and log it); empty when blocking is off.
    pub firewall_recheck_unit: String,
    /// `ecshost-metadata-guard-recheck.timer`: runs the recheck unit every
    /// `guard_recheck_seconds`; empty when blocking is off.
    pub firewall_recheck_timer: String,
    /// `ecshost-metadata-guard-watch.service`: the start script's `watch` step,
    /// re-applying right after firewalld reloads or restarts; empty when
    /// blocking is off.
    pub firewall_watch_unit: String,
}

/// One `docker run` argument: literal text and host paths the script lets the
/// environment override.
enum Part {
    Lit(String),
    Path(&'static str, &'static str),
}

/// Host paths the start script reads from the environment (name, default).
pub const PATH_VARS: [(&str, &str); 8] = [
    ("ECSHOST_ECS_CONFIG", ECS_CONFIG_PATH),
    ("ECSHOST_RUN_DIR", "/var/run"),
    ("ECSHOST_LOG_DIR", "/var/log/ecs"),
    ("ECSHOST_DATA_DIR", "/var/lib/ecs/data"),
    ("ECSHOST_ETC_DIR", "/etc/ecs"),
    ("ECSHOST_CGROUP_DIR", "/sys/fs/cgroup"),
    ("ECSHOST_CLOUD_INIT_RESULT", CLOUD_INIT_RESULT_PATH),
    ("ECSHOST_GPU_DIR", gpu::GPU_INFO_DIR),
];

fn path_var(name: &'static str) -> Part {
    let default = PATH_VARS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .unwrap_or("");
    Part::Path(name, default)
}

fn lit(s: impl Into<String>) -> Vec<Part> {
    vec![Part::Lit(s.into())]
}

fn run_args(input: &AgentInput, config_hash: Option<&str>) -> Vec<Vec<Part>> {
    let mut args = vec![
        lit(format!("--name={CONTAINER_NAME}")),
        lit("--detach"),
        lit("--init"),
        lit(format!("--restart={}", input.restart_policy)),
        lit(format!("--network={}", input.network())),
        lit(format!(
            "--publish={}:{}:{AGENT_CREDENTIALS_PORT}",
            input.address(),
            input.credentials_port
        )),
        lit(format!(
            "--publish=127.0.0.1:{AGENT_INTROSPECTION_PORT}:{AGENT_INTROSPECTION_PORT}"
        )),
        lit("--sysctl=net.ipv4.conf.all.route_localnet=1"),
        // SELinux hosts (Fedora CoreOS, RHEL): no label confinement for the
        // agent (it runs as spc_t), which holds the Docker socket and so is
        // root on the host whatever its label. As container_t it could not
        // use the socket, write its log and data directories or manage
        // cgroups; relabelling its mounts instead (`:z`) is refused for
        // /var/run (it is /run) and would relabel the host's /sys/fs/cgroup.
        // Docker ignores it where SELinux is off. Fedora's label of each
        // mount, with sources, and the test holding this run to them:
        // `selinux.rs`; docs/guides/how-it-works.md.
        lit("--security-opt=label=disable"),
    ];
    for (var, target) in [
        ("ECSHOST_RUN_DIR", "/var/run"),
        ("ECSHOST_LOG_DIR", "/log"),
        ("ECSHOST_DATA_DIR", "/data"),
        ("ECSHOST_ETC_DIR", "/etc/ecs"),
        ("ECSHOST_CGROUP_DIR", "/sys/fs/cgroup"),
    ] {
        args.push(vec![
            Part::Lit("--volume=".into()),
            path_var(var),
            Part::Lit(format!(":{target}")),
        ]);
    }
    if gpu::enabled(input) {
        // Read-only: the agent only reads the GPU file (see `gpu`).
        args.push(vec![
            Part::Lit("--volume=".into()),
            path_var("ECSHOST_GPU_DIR"),
            Part::Lit(format!(":{}:ro", gpu::GPU_INFO_DIR)),
        ]);
    }
    args.push(vec![
        Part::Lit("--env-file=".into()),
        path_var("ECSHOST_ECS_CONFIG"),
    ]);
    args.push(lit(format!("--log-driver={}", input.log_driver)));
    for (k, v) in &input.log_opts {
        args.push(lit(format!("--log-opt={k}={v}")));
    }
    if let Some(h) = config_hash {
        args.push(lit(format!("--label={CONFIG_LABEL}={h}")));
    }
    args.push(lit(input.image.clone()));
    args
}

fn plain(args: &[Vec<Part>]) -> Vec<String> {
    args.iter()
        .map(|parts| {
            parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => s.clone(),
                    Part::Path(_, d) => (*d).to_owned(),
                })
                .collect()
        })
        .collect()
}

/// One double-quoted sh word; literal text escaped, paths as `${VAR}`.
fn script_word(parts: &[Part]) -> String {
    let mut s = String::from("\"");
    for p in parts {
        match p {
            Part::Lit(t) => {
                for c in t.chars() {
                    if matches!(c, '"' | '\\' | '$' | '`') {
                        s.push('\\');
                    }
                    s.push(c);
                }
            }
            Part::Path(name, _) => s.push_str(&format!("${{{name}}}")),
        }
    }
    s.push('"');
    s
}

/// `/etc/ecs/ecs.config`: provider settings, then defaults merged with the
/// user's `config`, each block sorted by key. Unquoted `KEY=VALUE` lines, as
/// both `docker --env-file` and ecs-init read them (ecs-init's
/// `ecs-init/config/common.go` in aws/amazon-ecs-agent).
fn ecs_config(input: &AgentInput) -> String {
    let ports: Vec<String> = input.reserved_ports().iter().map(u16::to_string).collect();
    let managed: BTreeMap<&str, String> = BTreeMap::from([
        ("ECS_CLUSTER", input.cluster.clone()),
        ("ECS_DATADIR", "/data".to_owned()),
        ("ECS_ENABLE_TASK_ENI", "false".to_owned()),
        ("ECS_ENABLE_TASK_IAM_ROLE", "true".to_owned()),
        (
            "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST",
            input.task_iam_role_network_host.to_string(),
        ),
        ("ECS_LOGFILE", "/log/ecs-agent.log".to_owned()),
        ("ECS_LOGLEVEL", input.log_level.clone()),
        ("ECS_RESERVED_PORTS", format!("[{}]", ports.join(","))),
        ("ECS_UPDATES_ENABLED", "false".to_owned()),
    ]);
    debug_assert!(managed.keys().eq(MANAGED_KEYS.iter()));
    let udp: Vec<String> = input
        .reserved_ports_udp()
        .iter()
        .map(u16::to_string)
        .collect();
    let udp = format!("[{}]", udp.join(","));
    let mut user: BTreeMap<&str, &str> = DEFAULTED_KEYS.into_iter().collect();
    for (k, v) in &input.config {
        user.insert(k, v);
    }
    if !input.reserved_ports_udp().is_empty() {
        user.insert("ECS_RESERVED_PORTS_UDP", &udp);
    }
    let mut s = String::from(
        "# Managed by terraform-provider-ecshost. Unquoted KEY=VALUE lines (docker --env-file).\n\
         # ECS_RESERVED_PORTS lists every port: setting it replaces the agent's defaults, and\n\
         # the credentials port is taken on the host by the published endpoint.\n",
    );
    for (k, v) in managed {
        s.push_str(&format!("{k}={v}\n"));
    }
    s.push_str("# Settings (defaults and the config attribute), sorted by key.\n");
    for (k, v) in user {
        s.push_str(&format!("{k}={v}\n"));
    }
    s
}

/// Renders the agent options; fails with every error problem found.
pub fn render(input: &AgentInput) -> Result<AgentOptions, RenderError> {
    RenderError::check(input.validate())?;
    let ecs_config = ecs_config(input);
    let unhashed = plain(&run_args(input, None));
    let mut h = Sha256::new();
    for a in &unhashed {
        h.update(a.as_bytes());
        h.update([0]);
    }
    h.update(ecs_config.as_bytes());
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let args = run_args(input, Some(&hash));
    let step = |s: &str| format!("/bin/sh {START_SCRIPT_PATH} {s}");
    let block = input.block_task_metadata;
    let if_block = |f: &dyn Fn() -> String| if block { f() } else { String::new() };
    Ok(AgentOptions {
        docker_run_args: plain(&args),
        start_script: start_script(input, &args, &hash),
        systemd_unit: systemd_unit(input),
        ecs_config,
        firewall_rules: if_block(&|| metadata_guard::render_script(input.firewall_backend)),
        firewall_unit: if_block(&|| {
            metadata_guard::render_unit(input.firewall_backend, &step("guard"))
        }),
        firewall_recheck_unit: if_block(&|| metadata_guard::render_recheck_unit(&step("recheck"))),
        firewall_recheck_timer: if_block(&|| {
            metadata_guard::render_recheck_timer(input.guard_recheck_seconds)
        }),
        firewall_watch_unit: if_block(&|| metadata_guard::render_watch_unit(&step("watch"))),
    })
}

/// The start script (`src/host/ecs-agent.sh`) with this host's header:
/// the tools and host paths (overridable from the environment), the
/// agent's container, network and endpoint, the configuration hash the
/// container is labelled with, the metadata guard's and both DNATs'
/// functions for the chosen backend, the shared ones, and
/// `run_agent_container`, the agent's `docker run` with `args` (one per
/// line, host paths as `${ECSHOST_…}` so tests and other layouts can move
/// them).
fn start_script(input: &AgentInput, args: &[Vec<Part>], hash: &str) -> String {
    let mut header = Header::new().firewall_tools();
    for (name, default) in PATH_VARS {
        if name != "ECSHOST_GPU_DIR" || gpu::enabled(input) {
            header = header.env_default(name, default);
        }
    }
    let url = crate::credentials_url(input.address(), input.credentials_port);
    header = header
        .set("NAME", CONTAINER_NAME)
        .set("NETWORK", input.network())
        .set(
            "OWN_NETWORK",
            if input.agent_network { "yes" } else { "no" },
        )
        .set("ENDPOINT_URL", &url)
        .set("CONFIG_SHA256", hash)
        .set("ADDRESS", input.address())
        .set("PORT", &input.credentials_port.to_string())
        .set("AGENT_PORT", &AGENT_CREDENTIALS_PORT.to_string())
        .guard_values();
    header =
        metadata_guard::guard_functions(header, input.firewall_backend, input.block_task_metadata);
    header = header.function(
        host::backend_functions(input.firewall_backend),
        "apply_endpoint_dnat",
    );
    header = task_dnat::functions(header, input.firewall_backend);
    header = if gpu::enabled(input) {
        gpu::functions(header.set("GPU_SUPPORT", "yes"), input)
    } else {
        header.set("GPU_SUPPORT", "no")
    };
    header = header
        .http_client()
        .function(host::FUNCTIONS, "probe_endpoint");
    let mut run = vec![
        "run_agent_container() {".to_owned(),
        "    \"$DOCKER\" run \"$@\" \\".to_owned(),
    ];
    let last = args.len().saturating_sub(1);
    for (i, a) in args.iter().enumerate() {
        let cont = if i == last { "" } else { " \\" };
        run.push(format!("        {}{cont}", script_word(a)));
    }
    run.push("}".to_owned());
    header.generated(&run).fill(host::ECS_AGENT)
}

fn systemd_unit(input: &AgentInput) -> String {
    let guard_unit = if input.block_task_metadata {
        format!(" {}", metadata_guard::UNIT_NAME)
    } else {
        String::new()
    };
    format!(
        "[Unit]\n\
         Description=Amazon ECS agent on its own bridge network (terraform-provider-ecshost)\n\
         Documentation=https://github.com/aws/amazon-ecs-agent\n\
         Requires=docker.service\n\
         Wants=network-online.target {lo}{guard_unit}\n\
         After=docker.service network-online.target systemd-networkd.service cloud-final.service {lo}{guard_unit}\n\
         \n\
         [Service]\n\
         # ready = the endpoint answers; the start script calls systemd-notify\n\
         Type=notify\n\
         NotifyAccess=all\n\
         ExecStart=/bin/sh {START_SCRIPT_PATH} run\n\
         # the DNAT lives in the container's netns: re-assert it after every start\n\
         ExecStartPost=/bin/sh {START_SCRIPT_PATH} reapply\n\
         ExecStop=/bin/sh {START_SCRIPT_PATH} stop\n\
         Restart=on-failure\n\
         RestartSec=10\n\
         # exit code 5 is the agent's terminal error (as in ecs-init)\n\
         RestartPreventExitStatus=5\n\
         TimeoutStartSec=600\n\
         TimeoutStopSec=60\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        lo = super::loopback::shell::UNIT_NAME,
    )
}

/// Where the unit is installed.
pub fn unit_path() -> String {
    format!("{SYSTEMD_DIR}/{UNIT_NAME}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools::{self, fake_command, run_sh, temp_dir};
    use crate::problem::Severity;

    fn base() -> AgentInput {
        AgentInput {
            cluster: "prod".into(),
            ..Default::default()
        }
    }

    type Case = (
        &'static str,
        fn(&mut AgentInput),
        &'static [(Severity, &'static str, Option<&'static str>)],
    );
    const CASES: &[Case] = &[
        ("valid", |_| {}, &[]),
        (
            "empty cluster",
            |i| i.cluster.clear(),
            &[(Severity::Error, "cluster", None)],
        ),
        (
            "cluster newline",
            |i| i.cluster = "a\nECS_X=1".into(),
            &[(Severity::Error, "cluster", None)],
        ),
        (
            "cluster arn",
            |i| i.cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod".into(),
            &[],
        ),
        (
            "image space",
            |i| i.image = "a b".into(),
            &[(Severity::Error, "image", None)],
        ),
        (
            "image flag",
            |i| i.image = "--privileged".into(),
            &[(Severity::Error, "image", None)],
        ),
        (
            "typo address",
            |i| i.credentials_address = "169.254.70.2".into(),
            &[(Severity::Error, "credentials_address", None)],
        ),
        (
            "port 0",
            |i| i.credentials_port = 0,
            &[(Severity::Error, "credentials_port", None)],
        ),
        (
            "port 8080",
            |i| i.credentials_port = 8080,
            &[(Severity::Error, "credentials_port", None)],
        ),
        (
            "port 8080 lab",
            |i| {
                i.credentials_port = 8080;
                i.allow_custom_address = true;
            },
            &[(Severity::Warning, "credentials_port", None)],
        ),
        (
            "network host",
            |i| i.agent_network_name = "host".into(),
            &[(Severity::Error, "agent_network_name", None)],
        ),
        (
            "network bad",
            |i| i.agent_network_name = "a b".into(),
            &[(Severity::Error, "agent_network_name", None)],
        ),
        (
            "docker0 agent blocked",
            |i| i.agent_network = false,
            &[(Severity::Error, "agent_network", None)],
        ),
        (
            "docker0 agent unblocked",
            |i| {
                i.agent_network = false;
                i.block_task_metadata = false;
            },
            &[],
        ),
        (
            "managed key",
            |i| {
                i.config.insert("ECS_CLUSTER".into(), "x".into());
            },
            &[(Severity::Error, "config", Some("ECS_CLUSTER"))],
        ),
        (
            "reserved ports key",
            |i| {
                i.config.insert("ECS_RESERVED_PORTS".into(), "[22]".into());
            },
            &[(Severity::Error, "config", Some("ECS_RESERVED_PORTS"))],
        ),
        (
            "non ecs key",
            |i| {
                i.config.insert("FOO".into(), "x".into());
            },
            &[(Severity::Error, "config", Some("FOO"))],
        ),
        (
            "lower key",
            |i| {
                i.config.insert("ecs_cluster".into(), "x".into());
            },
            &[(Severity::Error, "config", Some("ecs_cluster"))],
        ),
        (
            "newline value",
            |i| {
                i.config.insert("ECS_NVIDIA_RUNTIME".into(), "a\nb".into());
            },
            &[(Severity::Error, "config", Some("ECS_NVIDIA_RUNTIME"))],
        ),
        (
            "quoted value",
            |i| {
                i.config.insert("ECS_NVIDIA_RUNTIME".into(), "\"a\"".into());
            },
            &[(Severity::Error, "config", Some("ECS_NVIDIA_RUNTIME"))],
        ),
        (
            "single-quoted JSON",
            |i| {
                i.config.insert(
                    "ECS_AVAILABLE_LOGGING_DRIVERS".into(),
                    r#"'["json-file","journald"]'"#.into(),
                );
            },
            &[(
                Severity::Error,
                "config",
                Some("ECS_AVAILABLE_LOGGING_DRIVERS"),
            )],
        ),
        (
            "attributes as an array",
            |i| {
                i.config.insert(
                    "ECS_INSTANCE_ATTRIBUTES".into(),
                    r#"[{"env":"dev"}]"#.into(),
                );
            },
            &[(Severity::Error, "config", Some("ECS_INSTANCE_ATTRIBUTES"))],
        ),
        (
            "awsvpc imds block",
            |i| {
                i.config
                    .insert("ECS_AWSVPC_BLOCK_IMDS".into(), "true".into());
            },
            &[(Severity::Warning, "config", Some("ECS_AWSVPC_BLOCK_IMDS"))],
        ),
        (
            "trailing space",
            |i| {
                i.config.insert("ECS_NVIDIA_RUNTIME".into(), "a ".into());
            },
            &[(Severity::Warning, "config", Some("ECS_NVIDIA_RUNTIME"))],
        ),
        (
            "udp ports twice",
            |i| {
                i.reserved_ports_udp = vec![53];
                i.config
                    .insert("ECS_RESERVED_PORTS_UDP".into(), "[123]".into());
            },
            &[(Severity::Error, "config", Some("ECS_RESERVED_PORTS_UDP"))],
        ),
        (
            "reserved port refused by the schema",
            |i| i.reserved_ports = vec![8080, 0],
            &[(Severity::Error, "reserved_ports", None)],
        ),
        (
            "recheck interval zero",
            |i| i.guard_recheck_seconds = 0,
            &[(Severity::Error, "metadata_guard_recheck_interval", None)],
        ),
        (
            "non-ECS agent setting",
            |i| {
                i.config
                    .insert("NON_ECS_IMAGE_MINIMUM_CLEANUP_AGE".into(), "30m".into());
            },
            &[],
        ),
        (
            "user setting",
            |i| {
                i.config
                    .insert("ECS_ENABLE_SPOT_INSTANCE_DRAINING".into(), "true".into());
            },
            &[],
        ),
        (
            "proxy no no_proxy",
            |i| {
                i.config.insert("HTTP_PROXY".into(), "http://p:3128".into());
            },
            &[(Severity::Warning, "config", Some("NO_PROXY"))],
        ),
        (
            "proxy ok",
            |i| {
                i.config.insert("HTTP_PROXY".into(), "http://p:3128".into());
                i.config.insert(
                    "NO_PROXY".into(),
                    "169.254.169.254,169.254.170.2,/var/run/docker.sock".into(),
                );
            },
            &[],
        ),
        (
            "log level",
            |i| i.log_level = "verbose".into(),
            &[(Severity::Error, "log_level", None)],
        ),
        (
            "restart bad",
            |i| i.restart_policy = "sometimes".into(),
            &[(Severity::Error, "restart_policy", None)],
        ),
        (
            "restart docker",
            |i| i.restart_policy = "on-failure:10".into(),
            &[(Severity::Warning, "restart_policy", None)],
        ),
        (
            "log driver",
            |i| i.log_driver = "".into(),
            &[(Severity::Error, "log_driver", None)],
        ),
        (
            "log opt",
            |i| {
                i.log_opts.insert("max-size".into(), "".into());
            },
            &[(Severity::Error, "log_opts", Some("max-size"))],
        ),
        (
            "host tasks",
            |i| i.task_iam_role_network_host = true,
            &[(Severity::Warning, "task_iam_role_network_host", None)],
        ),
    ];

    #[test]
    fn validate_table() {
        for (name, mutate, want) in CASES {
            let mut input = base();
            mutate(&mut input);
            let got = input.validate();
            let got: Vec<_> = got
                .iter()
                .map(|p| (p.severity, p.attribute, p.key.as_deref()))
                .collect();
            assert_eq!(got, want.to_vec(), "{name}");
            assert_eq!(
                render(&input).is_ok(),
                !want.iter().any(|w| w.0 == Severity::Error),
                "{name}"
            );
        }
    }

    /// The warning says why host-network task roles become unsafe, with or
    /// without the docker0 guard.
    #[test]
    fn host_network_task_roles_warn_about_imds_delivered_credentials() {
        for guard in [true, false] {
            let mut i = base();
            i.task_iam_role_network_host = true;
            i.block_task_metadata = guard;
            let got = i.validate();
            let w = got
                .iter()
                .find(|p| p.attribute == "task_iam_role_network_host")
                .unwrap_or_else(|| {
                    panic!("no warning with block_task_metadata = {guard}: {got:?}")
                });
            assert_eq!(w.severity, Severity::Warning);
            assert!(
                w.detail.contains("ecs.capability.imds-iam-roles")
                    && w.detail.contains(
                        "every host-network task can read the IAM role credentials of every task"
                    ),
                "{w:?}"
            );
        }
    }

    #[test]
    fn validate_port_range() {
        for (port, ok) in [
            (0, false),
            (1, true),
            (80, true),
            (65535, true),
            (65536, false),
            (-1, false),
            (i64::MAX, false),
        ] {
            assert_eq!(validate_port(port).is_none(), ok, "{port}");
        }
    }

    #[test]
    fn reserved_ports_table() {
        let cases: [(u16, &[u16], &str); 6] = [
            (80, &[], "[22,80,2375,2376,51678,51679]"),
            (8080, &[], "[22,2375,2376,8080,51678,51679]"),
            (22, &[], "[22,2375,2376,51678,51679]"),
            (51679, &[], "[22,2375,2376,51678,51679]"),
            (
                80,
                &[9100, 443, 9100],
                "[22,80,443,2375,2376,9100,51678,51679]",
            ),
            (80, &[22], "[22,80,2375,2376,51678,51679]"),
        ];
        for (port, extra, want) in cases {
            let input = AgentInput {
                credentials_port: port,
                allow_custom_address: true,
                reserved_ports: extra.to_vec(),
                ..base()
            };
            assert!(
                ecs_config(&input).contains(&format!("ECS_RESERVED_PORTS={want}\n")),
                "{port} {extra:?}"
            );
        }
    }

    #[test]
    fn udp_ports_are_written_only_when_set() {
        assert!(!ecs_config(&base()).contains("ECS_RESERVED_PORTS_UDP"));
        let input = AgentInput {
            reserved_ports_udp: vec![123, 53, 123],
            ..base()
        };
        assert!(ecs_config(&input).contains("\nECS_RESERVED_PORTS_UDP=[53,123]\n"));
        let mut input = base();
        input
            .config
            .insert("ECS_RESERVED_PORTS_UDP".into(), "[53]".into());
        assert!(ecs_config(&input).contains("\nECS_RESERVED_PORTS_UDP=[53]\n"));
    }

    #[test]
    fn run_args_never_host_network() {
        for (agent_network, block) in [(true, true), (true, false), (false, false)] {
            let input = AgentInput {
                agent_network,
                block_task_metadata: block,
                ..base()
            };
            let out = render(&input).unwrap();
            let args = &out.docker_run_args;
            for forbidden in ["--net=host", "--network=host", "--privileged"] {
                assert!(
                    !args.iter().any(|a| a == forbidden),
                    "{forbidden} in {args:?}"
                );
            }
            assert!(args.contains(&"--publish=169.254.170.2:80:51679".to_owned()));
            assert!(args.contains(&"--sysctl=net.ipv4.conf.all.route_localnet=1".to_owned()));
            assert_eq!(args.last().unwrap(), DEFAULT_IMAGE);
            let net = if agent_network {
                "--network=ecs-agent"
            } else {
                "--network=bridge"
            };
            assert!(args.contains(&net.to_owned()), "{args:?}");
            assert_eq!(out.firewall_rules.is_empty(), !block);
        }
    }

    #[test]
    fn ecs_config_sorted_and_overridable() {
        let mut input = base();
        input
            .config
            .insert("ECS_ENABLE_SPOT_INSTANCE_DRAINING".into(), "true".into());
        input.config.insert(
            "ECS_AVAILABLE_LOGGING_DRIVERS".into(),
            r#"["json-file"]"#.into(),
        );
        let cfg = ecs_config(&input);
        let keys: Vec<&str> = cfg
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('=').next().unwrap())
            .collect();
        let (managed, user) = keys.split_at(MANAGED_KEYS.len());
        assert_eq!(managed, MANAGED_KEYS);
        assert_eq!(
            user,
            [
                "ECS_AVAILABLE_LOGGING_DRIVERS",
                "ECS_ENABLE_SPOT_INSTANCE_DRAINING"
            ]
        );
        assert!(cfg.contains("ECS_AVAILABLE_LOGGING_DRIVERS=[\"json-file\"]\n"));
        assert!(cfg.contains("ECS_ENABLE_TASK_ENI=false\n"));
    }

    #[test]
    fn config_hash_tracks_changes() {
        let a = render(&base()).unwrap();
        let b = render(&AgentInput {
            log_level: "debug".into(),
            ..base()
        })
        .unwrap();
        let label = |o: &AgentOptions| {
            o.docker_run_args
                .iter()
                .find(|a| a.contains(CONFIG_LABEL))
                .cloned()
        };
        assert_ne!(label(&a), label(&b));
        assert_eq!(a, render(&base()).unwrap());
    }

    #[test]
    fn golden_default() {
        let out = render(&base()).unwrap();
        consumer_tools::golden("agent/ecs-agent.sh", &out.start_script);
        consumer_tools::golden("agent/ecs-agent.service", &out.systemd_unit);
        consumer_tools::golden("agent/ecs.config", &out.ecs_config);
        consumer_tools::golden(
            "agent/docker_run_args.txt",
            &(out.docker_run_args.join("\n") + "\n"),
        );
    }

    /// The source spells the label and the mount point these constants give
    /// (kept literal: a variable for each would cost user-data bytes).
    #[test]
    fn the_source_spells_the_constants() {
        assert!(host::ECS_AGENT.contains(&format!(
            "'{{{{.State.Running}}}} {{{{index .Config.Labels \"{CONFIG_LABEL}\"}}}}'"
        )));
        assert!(host::ECS_AGENT.contains(&format!(
            "\"--volume=$ECSHOST_CLOUD_INIT_RESULT:{CLOUD_INIT_RESULT_PATH}:ro\""
        )));
    }

    /// SELinux hosts: the agent runs without label confinement (see the
    /// comment in `run_args`), in every configuration, before the image.
    #[test]
    fn selinux_label_confinement_is_off_for_the_agent() {
        for agent_network in [true, false] {
            let out = render(&AgentInput {
                agent_network,
                block_task_metadata: agent_network,
                ..base()
            })
            .unwrap();
            let args = &out.docker_run_args;
            let at = args
                .iter()
                .position(|a| a == "--security-opt=label=disable")
                .expect("label=disable in docker run");
            assert!(at < args.len() - 1, "after the image: {args:?}");
            assert!(
                !args.iter().any(|a| a.contains(":z") || a.contains(":Z")),
                "{args:?}"
            );
        }
    }

    #[test]
    fn scripts_pass_shellcheck() {
        for backend in [FirewallBackend::Iptables, FirewallBackend::Nftables] {
            for (agent_network, block) in [(true, true), (false, false)] {
                let input = AgentInput {
                    firewall_backend: backend,
                    agent_network,
                    block_task_metadata: block,
                    ..base()
                };
                let out = render(&input).unwrap();
                consumer_tools::shellcheck(&out.start_script);
                if block {
                    consumer_tools::shellcheck(&out.firewall_rules);
                }
            }
        }
        let mut gpu = base();
        gpu.config
            .insert("ECS_ENABLE_GPU_SUPPORT".into(), "true".into());
        let out = render(&gpu).unwrap();
        assert!(out.start_script.contains("    write_gpu_info ||"));
        assert!(out
            .docker_run_args
            .iter()
            .any(|a| a == "--volume=/var/lib/ecs/gpu:/var/lib/ecs/gpu:ro"));
        consumer_tools::shellcheck(&out.start_script);
    }

    #[test]
    fn units_verify() {
        let out = render(&base()).unwrap();
        consumer_tools::systemd_analyze_verify(&[
            (UNIT_NAME, &out.systemd_unit),
            (metadata_guard::UNIT_NAME, &out.firewall_unit),
            (
                crate::loopback::shell::UNIT_NAME,
                &crate::loopback::shell::render_unit(),
            ),
        ]);
        assert!(unit_path().ends_with(UNIT_NAME));
    }

    /// Fake docker keeping the container state in `$FAKE_DIR`.
    const FAKE_DOCKER: &str = r#"d="$FAKE_DIR"
echo "$*" >> "$d/docker.log"
case "$1" in
  info) exit 0 ;;
  network)
    case "$2" in
      inspect) [ -f "$d/net" ] ;;
      create) : > "$d/net" ;;
    esac ;;
  inspect)
    [ -f "$d/ctr" ] || exit 1
    case "$3" in
      *Pid*) echo 4242 ;;
      *IPAddress*) echo 172.18.0.2 ;;
      *Labels*) cat "$d/ctr" ;;
      *) echo true ;;
    esac ;;
  rm) rm -f "$d/ctr" ;;
  run)
    for a in "$@"; do
      case "$a" in --label=io.ecshost.config-sha256=*) echo "true ${a#*=*=}" > "$d/ctr" ;; esac
    done ;;
  *) exit 0 ;;
esac
"#;

    #[test]
    fn start_twice_creates_once_and_applies_rules() {
        let dir = temp_dir("agent-start");
        let bin = dir.join("bin");
        fake_command(&bin, "docker", FAKE_DOCKER);
        fake_command(&bin, "nsenter", "shift 3\necho \"netns $*\" >> \"$FAKE_DIR/fw.log\"\ncase \"$*\" in *-C*) exit 1 ;; esac\n");
        fake_command(
            &bin,
            "iptables",
            "echo \"$*\" >> \"$FAKE_DIR/fw.log\"\ncase \" $* \" in *\" -C \"* | *\" -D \"*) exit 1 ;; esac\n",
        );
        fake_command(&bin, "ip6tables", "exit 1\n");
        fake_command(
            &bin,
            "curl",
            "printf '%s' '{\"code\":\"NoIdInRequest\"} HTTP_STATUS=400'\n",
        );
        let cfg = dir.join("ecs.config");
        std::fs::write(&cfg, "ECS_CLUSTER=prod\n").unwrap();
        let env = [
            ("FAKE_DIR", dir.display().to_string()),
            ("ECSHOST_ECS_CONFIG", cfg.display().to_string()),
            ("ECSHOST_LOG_DIR", dir.join("log").display().to_string()),
            ("ECSHOST_DATA_DIR", dir.join("data").display().to_string()),
            ("ECSHOST_ETC_DIR", dir.join("etc").display().to_string()),
            (
                "ECSHOST_CLOUD_INIT_RESULT",
                dir.join("result.json").display().to_string(),
            ),
        ];
        let script = render(&base()).unwrap().start_script;
        for _ in 0..2 {
            let (rc, out) = run_sh(&script, &["start"], &env, &bin);
            assert_eq!(rc, 0, "{out}");
        }
        let docker_log = std::fs::read_to_string(dir.join("docker.log")).unwrap();
        assert_eq!(
            docker_log.lines().filter(|l| l.starts_with("run ")).count(),
            1,
            "{docker_log}"
        );
        assert!(
            !docker_log.contains("result.json"),
            "no cloud-init result, no bind: {docker_log}"
        );
        assert_eq!(
            docker_log
                .lines()
                .filter(|l| l.starts_with("network create"))
                .count(),
            1
        );
        assert!(
            docker_log.contains(&format!("--env-file={}", cfg.display())),
            "path override: {docker_log}"
        );
        let fw = std::fs::read_to_string(dir.join("fw.log")).unwrap();
        assert!(
            fw.contains("-I DOCKER-USER 1 -i docker0 -d 169.254.169.254/32 -j DROP"),
            "{fw}"
        );
        assert!(fw.contains("netns iptables -w -t nat -A PREROUTING ! -i lo -p tcp --dport 51679 -j DNAT --to-destination 127.0.0.1:51679"), "{fw}");
        // The kernel path for tasks, to the address the container has.
        for rule in [
            "-t nat -A ECSHOST-CREDENTIALS -p tcp -j DNAT --to-destination 172.18.0.2:51679",
            "-t nat -I PREROUTING 1 -i docker0 -d 169.254.170.2/32 -p tcp --dport 80 -j ECSHOST-CREDENTIALS",
            "-A ECSHOST-CREDENTIALS -i docker0 -d 172.18.0.2/32 -p tcp --dport 51679 -m conntrack --ctstate DNAT --ctorigdst 169.254.170.2/32 --ctorigdstport 80 -j ACCEPT",
            "-A ECSHOST-CREDENTIALS -o docker0 -s 172.18.0.2/32 -p tcp --sport 51679 -m conntrack --ctstate DNAT --ctorigdst 169.254.170.2/32 --ctorigdstport 80 -j ACCEPT",
            "-I DOCKER-USER 1 -j ECSHOST-CREDENTIALS",
        ] {
            assert!(fw.contains(rule), "{rule}: {fw}");
        }

        // A cloud-init host: the result file exists, so a new container
        // (the configuration changed) gets it read-only, like ecs-init does.
        std::fs::write(dir.join("result.json"), "{}").unwrap();
        std::fs::write(dir.join("ctr"), "true other-config").unwrap();
        let (rc, out) = run_sh(&script, &["start"], &env, &bin);
        assert_eq!(rc, 0, "{out}");
        let docker_log = std::fs::read_to_string(dir.join("docker.log")).unwrap();
        let run = docker_log.lines().rfind(|l| l.starts_with("run ")).unwrap();
        assert!(
            run.starts_with(&format!(
                "run --volume={}:{CLOUD_INIT_RESULT_PATH}:ro --name=ecs-agent ",
                dir.join("result.json").display()
            )),
            "{run}"
        );
    }
}
