//! Agent settings in `config`, checked the way the ECS agent parses them, so
//! a value the agent would refuse (it then exits and the host never joins the
//! cluster) or silently ignore (it logs a warning and uses its default) is a
//! plan-time diagnostic on `config["KEY"]` instead.
//!
//! Source of truth: aws/amazon-ecs-agent **1.105.1** (commit `8dfceca6cf38`):
//! the README's environment-variable table, `agent/config/parse.go`,
//! `parse_linux.go`, `config.go` (`environmentConfig`,
//! `validateAndOverrideBounds`), `config_unix.go` (minimums on Linux),
//! `agent/dockerclient/logging_drivers.go` and
//! `agent/dockerclient/dockerauth/dockerauth.go`; ECS's attribute limits from
//! the ECS API reference (`Attribute`, `AttributeLimitExceededException`)
//! and ECS's tag rules from the same reference (`Tag`).
//!
//! How values reach the agent: `docker run --env-file /etc/ecs/ecs.config`
//! passes each `KEY=VALUE` line verbatim — no unquoting, no trimming — so a
//! value wrapped in quotes arrives with its quotes.
//!
//! Checks never repeat a secret: the value of `ECS_ENGINE_AUTH_DATA` and of
//! the proxy variables is never part of a diagnostic.

use std::collections::BTreeMap;

use super::problem::Problem;

/// The agent version the table below was read from.
pub const AGENT_VERSION: &str = "1.105.1";

/// What else the checks need to know about the rendered host.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Every `config` entry (for settings that depend on another one).
    pub config: &'a BTreeMap<String, String>,
    /// `block_task_metadata`: whether the docker0 guard is rendered.
    pub block_task_metadata: bool,
    /// `reserved_ports_udp` is set, so the provider writes `ECS_RESERVED_PORTS_UDP`.
    pub reserved_ports_udp_attribute: bool,
}

/// How the agent reads one setting.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `strconv.ParseBool` after `strings.TrimSpace`.
    Bool,
    /// `time.ParseDuration` (untrimmed), with the agent's bound, if any.
    Duration(Option<Bound>),
    /// Exact match of one of these.
    OneOf(&'static [&'static str]),
    /// `strings.ToLower(strings.TrimSpace(v))` is one of these.
    OneOfIgnoreCase(&'static [&'static str]),
    /// `strconv.ParseUint(v, 10, 16)`.
    Uint16,
    /// `strconv.Atoi` (after trimming when `trim`), within `[min, max]`.
    Int { min: i64, max: i64, trim: bool },
    /// `strconv.ParseFloat(v, 64)`.
    Float,
    /// A JSON array of ports (`json.Decoder` into `[]uint16`).
    PortList,
    /// A JSON array of logging driver names the agent knows.
    LoggingDrivers,
    /// A JSON object of strings (`json.Unmarshal` into `map[string]string`).
    StringMap { key_max: usize, value_max: usize },
    /// `ECS_INSTANCE_ATTRIBUTES`: a string map within ECS's attribute limits.
    InstanceAttributes,
    /// `ECS_CONTAINER_INSTANCE_TAGS`: a string map within ECS's tag rules.
    InstanceTags,
    /// A JSON array of strings.
    StringList,
    /// A JSON array of CIDRs.
    CidrList,
    /// `"rate,burst"`, both integers.
    RpsLimit,
    /// `"start-end"` or one port.
    PortRange,
    /// `ECS_ENGINE_AUTH_DATA`, shaped by `ECS_ENGINE_AUTH_TYPE`.
    AuthData,
    /// Free text (paths, names, URLs): nothing to parse.
    Text,
}

/// A lower (and optional upper) bound the agent applies to a duration, and
/// what it does with a value outside.
#[derive(Debug, Clone, Copy)]
struct Bound {
    min_ns: i128,
    max_ns: Option<i128>,
    /// e.g. "raises it to 45s"
    action: &'static str,
}

const NS: i128 = 1;
const MS: i128 = 1_000_000;
const SEC: i128 = 1_000_000_000;
const MIN: i128 = 60 * SEC;

/// Logging drivers the agent accepts in `ECS_AVAILABLE_LOGGING_DRIVERS`
/// (`LoggingDriverMinimumVersion` keys, plus `awsfirelens`); any other name
/// makes `validateAndOverrideBounds` fail and the agent exit.
pub const LOGGING_DRIVERS: [&str; 11] = [
    "awsfirelens",
    "awslogs",
    "fluentd",
    "gelf",
    "journald",
    "json-file",
    "logentries",
    "none",
    "splunk",
    "sumologic",
    "syslog",
];

/// ECS allows 10 custom attributes per container instance
/// (`AttributeLimitExceededException`).
pub const MAX_INSTANCE_ATTRIBUTES: usize = 10;

/// Every environment variable agent {AGENT_VERSION} reads from its
/// configuration: what its `agent/config` package reads on Linux
/// (`testdata/agent-config-keys/keys.txt`, extracted from the agent's source;
/// the oracle test checks this list holds all of them) and what its logger,
/// CNI, credentials and HTTP clients read (`ECS_LOG*`, `ECS_CNI_LOG*`,
/// `ECS_ALTERNATE_CREDENTIAL_PROFILE`, `ECS_PAUSE_LABELS`, the proxy variables).
pub const AGENT_KEYS: [&str; 100] = [
    "AWS_DEFAULT_REGION",
    "CREDENTIALS_FETCHER_HOST_DIR",
    "CREDENTIALS_FETCHER_SECRET_NAME_FOR_DOMAINLESS_GMSA",
    "DOCKER_HOST",
    "ECS_AGENT_CONFIG_FILE_PATH",
    "ECS_ALTERNATE_CREDENTIAL_PROFILE",
    "ECS_APPARMOR_CAPABLE",
    "ECS_AUDIT_LOGFILE",
    "ECS_AUDIT_LOGFILE_DISABLED",
    "ECS_AVAILABLE_LOGGING_DRIVERS",
    "ECS_AWSVPC_ADDITIONAL_LOCAL_ROUTES",
    "ECS_AWSVPC_BLOCK_IMDS",
    "ECS_BACKEND_HOST",
    "ECS_CGROUP_CPU_PERIOD",
    "ECS_CGROUP_PATH",
    "ECS_CHECKPOINT",
    "ECS_CLUSTER",
    "ECS_CNI_LOGLEVEL",
    "ECS_CNI_LOG_FILE",
    "ECS_CNI_PLUGINS_PATH",
    "ECS_CONTAINER_CREATE_TIMEOUT",
    "ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM",
    "ECS_CONTAINER_INSTANCE_TAGS",
    "ECS_CONTAINER_START_TIMEOUT",
    "ECS_CONTAINER_STOP_TIMEOUT",
    "ECS_DATADIR",
    "ECS_DETAILED_OS_FAMILY",
    "ECS_DISABLE_DOCKER_HEALTH_CHECK",
    "ECS_DISABLE_IMAGE_CLEANUP",
    "ECS_DISABLE_METRICS",
    "ECS_DISABLE_PRIVILEGED",
    "ECS_DISABLE_TASK_METADATA_AZ",
    "ECS_DOMAIN_JOINED_LINUX_INSTANCE",
    "ECS_DYNAMIC_HOST_PORT_RANGE",
    "ECS_EBSTA_SUPPORTED",
    "ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE",
    "ECS_ENABLE_CONTAINER_METADATA",
    "ECS_ENABLE_FIRELENS_ASYNC",
    "ECS_ENABLE_GPU_SUPPORT",
    "ECS_ENABLE_HIGH_DENSITY_ENI",
    "ECS_ENABLE_INF_SUPPORT",
    "ECS_ENABLE_PROMETHEUS_METRICS",
    "ECS_ENABLE_RUNTIME_STATS",
    "ECS_ENABLE_SPOT_INSTANCE_DRAINING",
    "ECS_ENABLE_TASK_CPU_MEM_LIMIT",
    "ECS_ENABLE_TASK_ENI",
    "ECS_ENABLE_TASK_IAM_ROLE",
    "ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST",
    "ECS_ENABLE_UNTRACKED_IMAGE_CLEANUP",
    "ECS_ENGINE_AUTH_DATA",
    "ECS_ENGINE_AUTH_TYPE",
    "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION",
    "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION_JITTER",
    "ECS_EXCLUDE_IPV6_PORTBINDING",
    "ECS_EXCLUDE_UNTRACKED_IMAGE",
    "ECS_EXTERNAL",
    "ECS_GMSA_SUPPORTED",
    "ECS_HOST_DATA_DIR",
    "ECS_IMAGE_CLEANUP_INTERVAL",
    "ECS_IMAGE_MINIMUM_CLEANUP_AGE",
    "ECS_IMAGE_PULL_BEHAVIOR",
    "ECS_IMAGE_PULL_INACTIVITY_TIMEOUT",
    "ECS_IMAGE_PULL_TIMEOUT",
    "ECS_INSTANCE_ATTRIBUTES",
    "ECS_INSTANCE_IP_COMPATIBILITY",
    "ECS_LOGFILE",
    "ECS_LOGLEVEL",
    "ECS_LOGLEVEL_ON_INSTANCE",
    "ECS_LOG_DRIVER",
    "ECS_LOG_MAX_FILE_SIZE_MB",
    "ECS_LOG_MAX_ROLL_COUNT",
    "ECS_LOG_OPTS",
    "ECS_LOG_OUTPUT_FORMAT",
    "ECS_LOG_ROLLOVER_TYPE",
    "ECS_MANIFEST_PULL_TIMEOUT",
    "ECS_NUM_IMAGES_DELETE_PER_CYCLE",
    "ECS_NVIDIA_RUNTIME",
    "ECS_PAUSE_LABELS",
    "ECS_POLLING_METRICS_WAIT_DURATION",
    "ECS_POLL_METRICS",
    "ECS_PROPAGATE_TASK_MEMORY_LIMIT_CGROUPV2",
    "ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT",
    "ECS_RESERVED_MEMORY",
    "ECS_RESERVED_PORTS",
    "ECS_RESERVED_PORTS_UDP",
    "ECS_SELINUX_CAPABLE",
    "ECS_SHARED_VOLUME_MATCH_FULL_CONFIG",
    "ECS_TASK_METADATA_RPS_LIMIT",
    "ECS_TASK_PIDS_LIMIT",
    "ECS_UPDATES_ENABLED",
    "ECS_UPDATE_DOWNLOAD_DIR",
    "ECS_VOLUME_PLUGIN_CAPABILITIES",
    "ECS_WARM_POOLS_CHECK",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NONECS_NUM_CONTAINERS_DELETE_PER_CYCLE",
    "NON_ECS_IMAGE_MINIMUM_CLEANUP_AGE",
    "NO_PROXY",
    "ZZZ_SKIP_DOMAIN_JOIN_CHECK_NOT_SUPPORTED_IN_PRODUCTION",
    "ZZZ_SKIP_DOMAIN_LESS_CHECK_NOT_SUPPORTED_IN_PRODUCTION",
];

/// Whether the agent reads `key` at all.
pub fn is_agent_key(key: &str) -> bool {
    AGENT_KEYS.binary_search(&key).is_ok()
}

/// Why an agent setting outside `ECS_*` that the agent does read is refused
/// here (`None`: the provider passes it on).
pub fn unsupported_reason(key: &str) -> Option<&'static str> {
    Some(match key {
        "DOCKER_HOST" => "The start script mounts the host's Docker socket where the agent looks for it by default; DOCKER_HOST pointed anywhere else leaves the agent without Docker.",
        "CREDENTIALS_FETCHER_HOST_DIR" | "CREDENTIALS_FETCHER_SECRET_NAME_FOR_DOMAINLESS_GMSA" => "ecs-init sets it for gMSA through credentials-fetcher, whose socket directory the start script does not mount into the agent.",
        k if k.starts_with("ZZZ_") => "The agent reads it only to skip a check in its own tests (\"should not be set for any non-test use-case\", agent/config/parse.go).",
        _ => return None,
    })
}

/// ecs-init's settings for the agent's introspection API (port 51678), which
/// the agent itself never reads (aws/amazon-ecs-agent README, "ecs-init"
/// table; `ecs-init/exec/iptables/iptables.go`). ecs-init runs the agent on
/// the host network, where the API listens on every address, and drops
/// off-host access on `ECS_OFFHOST_INTROSPECTION_INTERFACE_NAME` unless
/// `ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS` is true. Here the agent is on its
/// own bridge and the API is published on the host's `127.0.0.1:51678` only
/// ([`crate::agent::AGENT_INTROSPECTION_PORT`]): asking for more access is
/// an error (it would silently not happen), asking for none is a warning.
/// `None` for every other key.
pub fn introspection_setting(key: &str, value: &str) -> Option<Problem> {
    const REACH: &str = "Here the agent runs on its own bridge network and its introspection API is published on the host's 127.0.0.1:51678 only, so bridge-mode containers and other hosts cannot reach it. A daemon task that reads the API (a monitoring agent) reaches it with network_mode = \"host\" at http://127.0.0.1:51678.";
    match key {
        "ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS" => Some(
            if go_parse_bool(value.trim()) == Some(false) {
                warn(
                    key,
                    "Setting has no effect on this host",
                    format!("ecs-init reads {key} to keep its INPUT rule that blocks off-host access to the agent's introspection API; the agent ignores it. {REACH} Remove it."),
                )
            } else {
                err(
                    key,
                    "Not supported on this host",
                    format!("ecs-init reads {key} to let off-host clients and bridge-mode containers reach the agent's introspection API; the agent ignores it, so it would change nothing. {REACH} Remove it."),
                )
            },
        ),
        "ECS_OFFHOST_INTROSPECTION_INTERFACE_NAME" => Some(warn(
            key,
            "Setting has no effect on this host",
            format!("ecs-init reads {key} to name the interface of its INPUT rule that blocks off-host access to the agent's introspection API; the agent ignores it and this host needs no such rule. {REACH} Remove it."),
        )),
        _ => None,
    }
}

/// The setting the agent reads whose name is closest to `key` (at most 3
/// edits away), for "did you mean".
pub fn nearest_agent_key(key: &str) -> Option<&'static str> {
    AGENT_KEYS
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Settings the agent parses as something other than free text, by name.
/// Keys the provider manages (`MANAGED_KEYS`) are absent: they are refused
/// before this table is consulted.
const SETTINGS: &[(&str, Kind)] = &[
    ("ECS_APPARMOR_CAPABLE", Kind::Bool),
    ("ECS_AUDIT_LOGFILE_DISABLED", Kind::Bool),
    ("ECS_AVAILABLE_LOGGING_DRIVERS", Kind::LoggingDrivers),
    ("ECS_AWSVPC_ADDITIONAL_LOCAL_ROUTES", Kind::CidrList),
    ("ECS_AWSVPC_BLOCK_IMDS", Kind::Bool),
    (
        "ECS_CGROUP_CPU_PERIOD",
        Kind::Duration(Some(Bound {
            min_ns: 8 * MS,
            max_ns: Some(100 * MS),
            action: "uses its default of 100ms instead",
        })),
    ),
    ("ECS_CHECKPOINT", Kind::Bool),
    (
        "ECS_CONTAINER_CREATE_TIMEOUT",
        Kind::Duration(Some(Bound {
            min_ns: MIN,
            max_ns: None,
            action: "raises it to 1m",
        })),
    ),
    (
        "ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM",
        Kind::OneOf(&["none", "ec2_instance"]),
    ),
    ("ECS_CONTAINER_INSTANCE_TAGS", Kind::InstanceTags),
    (
        "ECS_CONTAINER_START_TIMEOUT",
        Kind::Duration(Some(Bound {
            min_ns: 45 * SEC,
            max_ns: None,
            action: "raises it to 45s",
        })),
    ),
    (
        "ECS_CONTAINER_STOP_TIMEOUT",
        Kind::Duration(Some(Bound {
            min_ns: SEC,
            max_ns: None,
            action: "raises it to 1s",
        })),
    ),
    ("ECS_DISABLE_DOCKER_HEALTH_CHECK", Kind::Bool),
    ("ECS_DISABLE_IMAGE_CLEANUP", Kind::Bool),
    ("ECS_DISABLE_METRICS", Kind::Bool),
    ("ECS_DISABLE_PRIVILEGED", Kind::Bool),
    ("ECS_DISABLE_TASK_METADATA_AZ", Kind::Bool),
    ("ECS_DOMAIN_JOINED_LINUX_INSTANCE", Kind::Bool),
    ("ECS_DYNAMIC_HOST_PORT_RANGE", Kind::PortRange),
    ("ECS_EBSTA_SUPPORTED", Kind::Bool),
    ("ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE", Kind::Bool),
    ("ECS_ENABLE_CONTAINER_METADATA", Kind::Bool),
    ("ECS_ENABLE_FIRELENS_ASYNC", Kind::Bool),
    ("ECS_ENABLE_GPU_SUPPORT", Kind::Bool),
    ("ECS_ENABLE_HIGH_DENSITY_ENI", Kind::Bool),
    ("ECS_ENABLE_INF_SUPPORT", Kind::Bool),
    ("ECS_ENABLE_PROMETHEUS_METRICS", Kind::Bool),
    ("ECS_ENABLE_RUNTIME_STATS", Kind::Bool),
    ("ECS_ENABLE_SPOT_INSTANCE_DRAINING", Kind::Bool),
    ("ECS_ENABLE_TASK_CPU_MEM_LIMIT", Kind::Bool),
    ("ECS_ENABLE_UNTRACKED_IMAGE_CLEANUP", Kind::Bool),
    ("ECS_ENGINE_AUTH_DATA", Kind::AuthData),
    (
        "ECS_ENGINE_AUTH_TYPE",
        Kind::OneOf(&["docker", "dockercfg"]),
    ),
    (
        "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION",
        Kind::Duration(Some(Bound {
            min_ns: SEC,
            max_ns: None,
            action: "uses its default of 3h instead",
        })),
    ),
    (
        "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION_JITTER",
        Kind::Duration(None),
    ),
    ("ECS_EXCLUDE_IPV6_PORTBINDING", Kind::Bool),
    ("ECS_EXTERNAL", Kind::Bool),
    ("ECS_GMSA_SUPPORTED", Kind::Bool),
    (
        "ECS_IMAGE_CLEANUP_INTERVAL",
        Kind::Duration(Some(Bound {
            min_ns: 10 * MIN,
            max_ns: None,
            action: "uses its default of 30m instead",
        })),
    ),
    ("ECS_IMAGE_MINIMUM_CLEANUP_AGE", Kind::Duration(None)),
    (
        "ECS_IMAGE_PULL_BEHAVIOR",
        Kind::OneOf(&["default", "always", "once", "prefer-cached"]),
    ),
    (
        "ECS_IMAGE_PULL_INACTIVITY_TIMEOUT",
        Kind::Duration(Some(Bound {
            min_ns: MIN,
            max_ns: None,
            action: "raises it to 1m",
        })),
    ),
    ("ECS_IMAGE_PULL_TIMEOUT", Kind::Duration(None)),
    ("ECS_INSTANCE_ATTRIBUTES", Kind::InstanceAttributes),
    (
        "ECS_INSTANCE_IP_COMPATIBILITY",
        Kind::OneOfIgnoreCase(&["ipv4", "ipv6"]),
    ),
    ("ECS_LOG_MAX_FILE_SIZE_MB", Kind::Float),
    (
        "ECS_LOG_MAX_ROLL_COUNT",
        Kind::Int {
            min: i64::MIN,
            max: i64::MAX,
            trim: false,
        },
    ),
    (
        "ECS_LOG_OPTS",
        Kind::StringMap {
            key_max: usize::MAX,
            value_max: usize::MAX,
        },
    ),
    (
        "ECS_MANIFEST_PULL_TIMEOUT",
        Kind::Duration(Some(Bound {
            min_ns: 30 * SEC,
            max_ns: None,
            action: "raises it to 30s",
        })),
    ),
    (
        "ECS_NUM_IMAGES_DELETE_PER_CYCLE",
        Kind::Int {
            min: 1,
            max: i64::MAX,
            trim: false,
        },
    ),
    (
        "ECS_PAUSE_LABELS",
        Kind::StringMap {
            key_max: usize::MAX,
            value_max: usize::MAX,
        },
    ),
    (
        "ECS_POLLING_METRICS_WAIT_DURATION",
        Kind::Duration(Some(Bound {
            min_ns: 5 * SEC,
            max_ns: Some(20 * SEC),
            action: "clamps it to 5s–20s",
        })),
    ),
    ("ECS_POLL_METRICS", Kind::Bool),
    ("ECS_PROPAGATE_TASK_MEMORY_LIMIT_CGROUPV2", Kind::Bool),
    ("ECS_PULL_DEPENDENT_CONTAINERS_UPFRONT", Kind::Bool),
    ("ECS_RESERVED_MEMORY", Kind::Uint16),
    ("ECS_RESERVED_PORTS_UDP", Kind::PortList),
    ("ECS_SELINUX_CAPABLE", Kind::Bool),
    ("ECS_SHARED_VOLUME_MATCH_FULL_CONFIG", Kind::Bool),
    ("ECS_TASK_METADATA_RPS_LIMIT", Kind::RpsLimit),
    (
        "ECS_TASK_PIDS_LIMIT",
        Kind::Int {
            min: 1,
            max: 4_194_304,
            trim: true,
        },
    ),
    ("ECS_VOLUME_PLUGIN_CAPABILITIES", Kind::StringList),
    ("ECS_WARM_POOLS_CHECK", Kind::Bool),
    (
        "NONECS_NUM_CONTAINERS_DELETE_PER_CYCLE",
        Kind::Int {
            min: i64::MIN,
            max: i64::MAX,
            trim: false,
        },
    ),
    ("NON_ECS_IMAGE_MINIMUM_CLEANUP_AGE", Kind::Duration(None)),
];

/// Settings that only act on `awsvpc` tasks, which need task ENIs: this
/// design runs the agent with `ECS_ENABLE_TASK_ENI=false`.
const AWSVPC_ONLY: [&str; 4] = [
    "ECS_AWSVPC_ADDITIONAL_LOCAL_ROUTES",
    "ECS_AWSVPC_BLOCK_IMDS",
    "ECS_CNI_PLUGINS_PATH",
    "ECS_ENABLE_HIGH_DENSITY_ENI",
];

/// Keys whose values are secrets and never appear in a diagnostic.
fn is_secret(key: &str) -> bool {
    matches!(
        key,
        "ECS_ENGINE_AUTH_DATA" | "HTTP_PROXY" | "HTTPS_PROXY" | "NO_PROXY"
    )
}

fn kind(key: &str) -> Kind {
    SETTINGS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(Kind::Text, |(_, kind)| *kind)
}

/// The value without one pair of surrounding quotes, when it has them.
fn unquoted(value: &str) -> Option<&str> {
    let v = value.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return Some(&v[1..v.len() - 1]);
        }
    }
    None
}

/// An HCL string literal for `s`, to show what to write instead.
fn hcl(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn err(key: &str, summary: &str, detail: String) -> Problem {
    Problem::error("config", summary, detail).with_key(key)
}

fn warn(key: &str, summary: &str, detail: String) -> Problem {
    Problem::warning("config", summary, detail).with_key(key)
}

/// Problems with one `config` entry whose key is a well-formed agent setting
/// the provider does not manage. At most one error per entry.
pub fn check(key: &str, value: &str, ctx: &Context<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    if value.is_empty() {
        out.push(warn(
            key,
            "Empty value",
            format!("The agent reads an empty {key} as not set and uses its default. Remove the entry, or give it a value."),
        ));
        return out;
    }
    if let Some(inner) = unquoted(value) {
        let instead = if is_secret(key) {
            "Write the value without the surrounding quotes.".to_owned()
        } else {
            format!("Write {key} = {} instead.", hcl(inner))
        };
        out.push(err(
            key,
            "Quotes reach the agent",
            format!(
                "ecs.config is passed to the agent by docker --env-file, which keeps quotes: the agent would read the quotes as part of {key} and cannot use it. {instead}"
            ),
        ));
        return out;
    }
    if let Some(p) = check_kind(key, value, ctx) {
        out.push(p);
    }
    if AWSVPC_ONLY.contains(&key) {
        let guard = if ctx.block_task_metadata {
            "block_task_metadata is on: the docker0 guard keeps bridge-mode tasks away from instance metadata."
        } else {
            "block_task_metadata is off, so nothing keeps bridge-mode tasks away from instance metadata: set block_task_metadata = true."
        };
        let why = if key == "ECS_AWSVPC_BLOCK_IMDS" {
            format!("{key} only blocks instance metadata for awsvpc tasks, and the bridged agent runs with task ENIs off (ECS_ENABLE_TASK_ENI=false), so it protects nothing here. {guard}")
        } else {
            format!("{key} only acts on awsvpc tasks, and the bridged agent runs with task ENIs off (ECS_ENABLE_TASK_ENI=false). Remove it.")
        };
        out.push(warn(key, "Setting has no effect on this host", why));
    }
    if let Some((_, flag, fix)) = READ_ONLY_WITH.iter().find(|(k, _, _)| *k == key) {
        if !switch_on(ctx.config, flag) {
            out.push(warn(
                key,
                "Setting has no effect on this host",
                format!("The agent reads {key} only when {flag} is true; without it the value is ignored. {fix}"),
            ));
        }
    }
    if key == "ECS_RESERVED_PORTS_UDP" && ctx.reserved_ports_udp_attribute {
        out.push(err(
            key,
            "ECS_RESERVED_PORTS_UDP is set twice",
            "reserved_ports_udp writes ECS_RESERVED_PORTS_UDP; remove it from config and list the ports in reserved_ports_udp.".into(),
        ));
    }
    out
}

fn check_kind(key: &str, value: &str, ctx: &Context<'_>) -> Option<Problem> {
    let shown = || {
        if is_secret(key) {
            "the value".to_owned()
        } else {
            hcl(value)
        }
    };
    match kind(key) {
        Kind::Text => None,
        Kind::Bool => go_parse_bool(value.trim()).is_none().then(|| {
            err(
                key,
                "Not a boolean",
                format!(
                    "The agent reads {key} with Go's strconv.ParseBool and ignores {} with a warning. Write \"true\" or \"false\".",
                    shown()
                ),
            )
        }),
        Kind::Duration(bound) => match go_parse_duration(value) {
            None => Some(err(
                key,
                "Not a duration",
                format!(
                    "The agent reads {key} with Go's time.ParseDuration and ignores {} with a warning. Write a number with a unit, such as \"30s\", \"5m\" or \"1h30m\".",
                    shown()
                ),
            )),
            Some(0) => Some(warn(
                key,
                "Zero means not set",
                format!(
                    "The agent reads a zero {key} as not set and uses its default of {} instead.",
                    duration_default(key)
                ),
            )),
            Some(ns) => bound.and_then(|b| {
                let out_of_bounds = ns != 0 && (ns < b.min_ns || b.max_ns.is_some_and(|m| ns > m));
                out_of_bounds.then(|| {
                    let range = match b.max_ns {
                        Some(m) => format!("{} to {}", fmt_ns(b.min_ns), fmt_ns(m)),
                        None => format!("at least {}", fmt_ns(b.min_ns)),
                    };
                    warn(
                        key,
                        "Outside the agent's bounds",
                        format!("The agent accepts {range} for {key} and {} for {}.", b.action, shown()),
                    )
                })
            }),
        },
        Kind::OneOf(allowed) => (!allowed.contains(&value)).then(|| {
            err(
                key,
                "Invalid value",
                format!(
                    "The agent accepts {} for {key} and uses its default instead of {} without a word.",
                    quoted_list(allowed),
                    shown()
                ),
            )
        }),
        Kind::OneOfIgnoreCase(allowed) => {
            let v = value.trim().to_ascii_lowercase();
            (!allowed.contains(&v.as_str())).then(|| {
                err(
                    key,
                    "Invalid value",
                    format!(
                        "The agent accepts {} for {key} and ignores {} with a warning.",
                        quoted_list(allowed),
                        shown()
                    ),
                )
            })
        }
        Kind::Uint16 => (!is_go_uint(value) || value.parse::<u16>().is_err()).then(|| {
            err(
                key,
                "Not a whole number",
                format!(
                    "The agent reads {key} as a whole number from 0 to 65535 and ignores {} with a warning.",
                    shown()
                ),
            )
        }),
        Kind::Int { min, max, trim } => {
            let v = if trim { value.trim() } else { value };
            match go_atoi(v) {
                // The agent merges its default over a zero count.
                Some(0) if key == "NONECS_NUM_CONTAINERS_DELETE_PER_CYCLE" => Some(warn(
                    key,
                    "Zero means not set",
                    format!("The agent reads a zero {key} as not set and uses its default of 5 instead."),
                )),
                Some(n) if (min..=max).contains(&n) => None,
                parsed => {
                    let range = match (min, max) {
                        (i64::MIN, i64::MAX) => "a whole number".to_owned(),
                        (m, i64::MAX) => format!("a whole number of at least {m}"),
                        (m, x) => format!("a whole number from {m} to {x}"),
                    };
                    Some(err(
                        key,
                        if parsed.is_some() { "Outside the agent's bounds" } else { "Not a whole number" },
                        format!("The agent expects {range} for {key} and ignores {} with a warning.", shown()),
                    ))
                }
            }
        }
        Kind::Float => value.parse::<f64>().is_err().then(|| {
            err(
                key,
                "Not a number",
                format!("The agent reads {key} as a number and ignores {} with a warning.", shown()),
            )
        }),
        Kind::PortList => first_json::<Vec<u16>>(value).err().map(|e| {
            err(
                key,
                "Not the JSON the agent expects",
                format!(
                    "{key} must be a JSON array of port numbers such as [53,123] (jsonencode([53, 123])); the agent ignores {} with a warning ({e}).",
                    shown()
                ),
            )
        }),
        Kind::LoggingDrivers => match first_json::<Vec<String>>(value) {
            Err(e) => Some(err(
                key,
                "Not the JSON the agent expects",
                format!(
                    "{key} must be a JSON array of logging driver names such as [\"json-file\",\"awslogs\"] (jsonencode([\"json-file\", \"awslogs\"])); the agent ignores {} with a warning ({e}).",
                    shown()
                ),
            )),
            Ok(drivers) => {
                let unknown: Vec<&String> = drivers
                    .iter()
                    .filter(|d| !LOGGING_DRIVERS.contains(&d.as_str()))
                    .collect();
                (!unknown.is_empty()).then(|| {
                    err(
                        key,
                        "Unknown logging driver",
                        format!(
                            "The agent refuses to start with \"Invalid logging drivers: {}\". It knows {}.",
                            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                            LOGGING_DRIVERS.join(", ")
                        ),
                    )
                })
            }
        },
        Kind::StringMap { key_max, value_max } => match serde_json::from_str::<BTreeMap<String, String>>(value) {
            Err(e) => Some(err(
                key,
                "Not the JSON the agent expects",
                format!(
                    "{key} must be a JSON object of strings such as {{\"team\":\"payments\"}} (jsonencode({{ team = \"payments\" }})); the agent reports \"Expected a json hash\" for {} ({e}).",
                    shown()
                ),
            )),
            Ok(m) => m
                .iter()
                .find(|(k, v)| k.chars().count() > key_max || v.chars().count() > value_max)
                .map(|(k, _)| {
                    err(
                        key,
                        "Entry too long",
                        format!("{key}: keys may have at most {key_max} characters and values at most {value_max}; the entry {k:?} is longer."),
                    )
                }),
        },
        Kind::InstanceAttributes => match serde_json::from_str::<BTreeMap<String, String>>(value) {
            Err(e) => Some(err(
                key,
                "Not the JSON the agent expects",
                format!(
                    "ECS_INSTANCE_ATTRIBUTES must be a JSON object of string values such as {{\"stack\":\"prod\"}} (jsonencode({{ stack = \"prod\" }})); the agent refuses to start with \"Invalid format for ECS_INSTANCE_ATTRIBUTES. Expected a json hash\" ({e})."
                ),
            )),
            Ok(m) => check_attributes(&m).map(|why| {
                err(
                    key,
                    "Invalid instance attribute",
                    format!("{why} ECS refuses the registration and the agent exits."),
                )
            }),
        },
        Kind::InstanceTags => match serde_json::from_str::<BTreeMap<String, String>>(value) {
            Err(e) => Some(err(
                key,
                "Not the JSON the agent expects",
                format!(
                    "{key} must be a JSON object of strings such as {{\"team\":\"payments\"}} (jsonencode({{ team = \"payments\" }})); the agent reports \"Expected a json hash\" for {} ({e}).",
                    shown()
                ),
            )),
            Ok(m) => check_tags(&m).map(|(summary, why)| err(key, summary, why)),
        },
        Kind::StringList => first_json::<Vec<String>>(value).err().map(|e| {
            err(
                key,
                "Not the JSON the agent expects",
                format!("{key} must be a JSON array of strings such as [\"efsAuth\"]; the agent ignores {} with a warning ({e}).", shown()),
            )
        }),
        Kind::CidrList => match serde_json::from_str::<Vec<String>>(value) {
            Err(e) => Some(err(
                key,
                "Not the JSON the agent expects",
                format!("{key} must be a JSON array of CIDRs such as [\"10.0.15.0/24\"]; the agent refuses to start with {} ({e}).", shown()),
            )),
            Ok(cidrs) => cidrs.iter().find(|c| !is_cidr(c)).map(|c| {
                err(
                    key,
                    "Not a CIDR",
                    format!("{c:?} in {key} is not a CIDR such as \"10.0.15.0/24\"; the agent refuses to start."),
                )
            }),
        },
        Kind::RpsLimit => {
            // Both must be above 0, or the agent warns and uses 40,60.
            let positive = |s: &str| go_atoi(s.trim()).is_some_and(|n| n > 0);
            let ok = value
                .split_once(',')
                .is_some_and(|(a, b)| !b.contains(',') && positive(a) && positive(b));
            (!ok).then(|| {
                err(
                    key,
                    "Invalid value",
                    format!("{key} is \"rate,burst\", two whole numbers above 0 such as \"100,150\"; the agent ignores {} with a warning and uses 40,60.", shown()),
                )
            })
        }
        Kind::PortRange => (!is_port_range(value)).then(|| {
            err(
                key,
                "Invalid value",
                format!("{key} is a port range such as \"32768-60999\"; the agent ignores {} with a warning and uses the kernel's ephemeral range.", shown()),
            )
        }),
        Kind::AuthData => check_auth_data(ctx.config.get("ECS_ENGINE_AUTH_TYPE").map(String::as_str), value)
            .map(|(summary, detail)| err(key, summary, detail)),
    }
}

/// The agent's default for a duration setting (`DefaultConfig` on Linux,
/// as `ecs-agent-config-check` prints it without the key).
fn duration_default(key: &str) -> &'static str {
    match key {
        "ECS_CGROUP_CPU_PERIOD" => "100ms",
        "ECS_CONTAINER_CREATE_TIMEOUT" => "4m",
        "ECS_CONTAINER_START_TIMEOUT" => "3m",
        "ECS_CONTAINER_STOP_TIMEOUT" => "30s",
        "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION" => "3h",
        "ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION_JITTER" => "0s (no jitter)",
        "ECS_IMAGE_CLEANUP_INTERVAL" => "30m",
        "ECS_IMAGE_MINIMUM_CLEANUP_AGE" | "NON_ECS_IMAGE_MINIMUM_CLEANUP_AGE" => "1h",
        "ECS_IMAGE_PULL_INACTIVITY_TIMEOUT" | "ECS_MANIFEST_PULL_TIMEOUT" => "1m",
        "ECS_IMAGE_PULL_TIMEOUT" => "2h",
        "ECS_POLLING_METRICS_WAIT_DURATION" => "10s",
        _ => "its own",
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first JSON value of `s`, as Go's `json.Decoder.Decode` reads it
/// (trailing text after a complete value is not looked at).
fn first_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    let mut it = serde_json::Deserializer::from_str(s).into_iter::<T>();
    match it.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("empty value".into()),
    }
}

/// ECS `Attribute` rules: name 1–128 of `[A-Za-z0-9_./\-\\]`; value 1–128 of
/// letters, digits and `-_.@/\: `, not starting or ending with a space; at
/// most 10 custom attributes.
fn check_attributes(m: &BTreeMap<String, String>) -> Option<String> {
    if m.len() > MAX_INSTANCE_ATTRIBUTES {
        return Some(format!(
            "ECS allows {MAX_INSTANCE_ATTRIBUTES} custom attributes per container instance; ECS_INSTANCE_ATTRIBUTES has {}.",
            m.len()
        ));
    }
    for (k, v) in m {
        let name_ok = (1..=128).contains(&k.chars().count())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/\\.".contains(c));
        if !name_ok {
            return Some(format!(
                "Attribute name {k:?} must have 1–128 letters, digits, '-', '_', '/', '\\' or '.'."
            ));
        }
        let value_ok = (1..=128).contains(&v.chars().count())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@/\\: ".contains(c))
            && !v.starts_with(' ')
            && !v.ends_with(' ');
        if !value_ok {
            return Some(format!("The value of attribute {k:?} must have 1–128 letters, digits, spaces or '-', '_', '.', '@', '/', '\\', ':', and may not start or end with a space."));
        }
    }
    None
}

/// ECS allows 50 tags per resource (ECS API reference, `Tag`).
pub const MAX_CONTAINER_INSTANCE_TAGS: usize = 50;

/// Whether `s` starts with the prefix ECS reserves for AWS's own tags:
/// `aws:` in any mix of case.
fn has_reserved_prefix(s: &str) -> bool {
    s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
}

/// ECS `Tag` rules (ECS API reference, `Tag`): at most 50 tags, keys of
/// 1–128 and values of at most 256 characters, and neither a key nor a
/// value may begin with `aws:` (any case), which is reserved for AWS. The
/// agent sends these tags with `RegisterContainerInstance`, so ECS refuses
/// the registration of every host that carries one of them.
fn check_tags(m: &BTreeMap<String, String>) -> Option<(&'static str, String)> {
    const KEY: &str = "ECS_CONTAINER_INSTANCE_TAGS";
    if m.len() > MAX_CONTAINER_INSTANCE_TAGS {
        return Some((
            "Too many tags",
            format!("ECS allows {MAX_CONTAINER_INSTANCE_TAGS} tags per container instance; {KEY} has {}. ECS refuses the registration of every host and none joins the cluster.", m.len()),
        ));
    }
    for (k, v) in m {
        let (what, reserved) = if has_reserved_prefix(k) {
            ("key", k)
        } else if has_reserved_prefix(v) {
            ("value", v)
        } else {
            continue;
        };
        let rest = reserved[4..].trim_start_matches(':');
        let instead = match (what, rest.is_empty()) {
            (_, true) => format!("Rename the tag {what} {reserved:?} without the prefix."),
            ("key", false) => format!("Write the key {rest:?} (or another without the prefix) instead of {reserved:?}."),
            _ => format!("Write the value of {k:?} as {rest:?} (or another without the prefix) instead of {reserved:?}."),
        };
        return Some((
            "Reserved tag prefix",
            format!("ECS reserves the prefix \"aws:\" (in any mix of case) for AWS's own tags, in keys and values: the agent sends {KEY} with RegisterContainerInstance, and ECS refuses the registration of every host, so none joins the cluster. {instead}"),
        ));
    }
    if let Some((k, _)) = m
        .iter()
        .find(|(k, v)| k.is_empty() || k.chars().count() > 128 || v.chars().count() > 256)
    {
        return Some((
            "Entry too long",
            format!("{KEY}: tag keys have 1–128 characters and values at most 256; the entry {k:?} does not fit. ECS refuses the registration of every host."),
        ));
    }
    None
}

/// `ECS_ENGINE_AUTH_DATA` as `dockerauth.parseAuthData` reads it. Never
/// quotes the value or a JSON error (which could quote it).
fn check_auth_data(auth_type: Option<&str>, value: &str) -> Option<(&'static str, String)> {
    let Some(t) = auth_type.filter(|t| !t.is_empty()) else {
        return Some((
            "ECS_ENGINE_AUTH_DATA needs ECS_ENGINE_AUTH_TYPE",
            "Without ECS_ENGINE_AUTH_TYPE the agent ignores ECS_ENGINE_AUTH_DATA without a word. Set ECS_ENGINE_AUTH_TYPE to \"dockercfg\" or \"docker\".".into(),
        ));
    };
    let shape_ok = match t {
        "dockercfg" => serde_json::from_str::<BTreeMap<String, serde_json::Value>>(value)
            .is_ok_and(|m| {
                m.values()
                    .all(|e| e.get("auth").is_some_and(serde_json::Value::is_string))
            }),
        "docker" => serde_json::from_str::<BTreeMap<String, serde_json::Value>>(value)
            .is_ok_and(|m| m.values().all(serde_json::Value::is_object)),
        // An unknown type is reported on ECS_ENGINE_AUTH_TYPE itself.
        _ => true,
    };
    if shape_ok {
        return None;
    }
    let example = if t == "dockercfg" {
        "{\"https://registry.example.com\":{\"auth\":\"<base64 of user:password>\"}}"
    } else {
        "{\"https://registry.example.com\":{\"username\":\"…\",\"password\":\"…\"}}"
    };
    Some((
        "Not the JSON the agent expects",
        format!("With ECS_ENGINE_AUTH_TYPE = \"{t}\", ECS_ENGINE_AUTH_DATA is a JSON object such as {example}; the agent ignores the whole value (\"Could not parse '{t}' type auth config\")."),
    ))
}

fn is_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else {
        return false;
    };
    match (addr.parse::<std::net::IpAddr>(), len.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(l)) => l <= 32 && !len.starts_with('+'),
        (Ok(std::net::IpAddr::V6(_)), Ok(l)) => l <= 128 && !len.starts_with('+'),
        _ => false,
    }
}

fn is_go_uint(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Go's `strconv.Atoi`: optional sign, decimal digits, within int64.
fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !is_go_uint(digits) {
        return None;
    }
    s.strip_prefix('+').unwrap_or(s).parse().ok()
}

/// `nat.ParsePortRangeToInt`: `"port"` or `"start-end"` with start <= end.
fn is_port_range(s: &str) -> bool {
    let port = |p: &str| is_go_uint(p).then(|| p.parse::<u16>().ok()).flatten();
    match s.split_once('-') {
        None => port(s).is_some(),
        Some((a, b)) => matches!((port(a), port(b)), (Some(a), Some(b)) if a <= b),
    }
}

/// Settings the agent reads only while another is true: (key, the switch,
/// what to do). ECS_DOMAIN_JOINED_LINUX_INSTANCE: `agent/config/parse_linux.go`,
/// read inside the gMSA check once ECS_GMSA_SUPPORTED is true;
/// ECS_NVIDIA_RUNTIME: `agent/api/task/task.go` `addGPUResource`, under
/// `cfg.GPUSupportEnabled`.
const READ_ONLY_WITH: [(&str, &str, &str); 2] = [
    (
        "ECS_DOMAIN_JOINED_LINUX_INSTANCE",
        "ECS_GMSA_SUPPORTED",
        "Remove it, or set ECS_GMSA_SUPPORTED.",
    ),
    (
        "ECS_NVIDIA_RUNTIME",
        "ECS_ENABLE_GPU_SUPPORT",
        "Remove it, or set ECS_ENABLE_GPU_SUPPORT = \"true\" on hosts with NVIDIA GPUs.",
    ),
];

/// Whether `config` turns the agent's boolean setting `key` on, read as the
/// agent reads booleans (surrounding blanks trimmed, then Go's
/// `strconv.ParseBool`; unset or unparsable is off, the agent's defaults
/// for the switches asked about here).
pub fn switch_on(config: &BTreeMap<String, String>, key: &str) -> bool {
    config.get(key).and_then(|v| go_parse_bool(v.trim())) == Some(true)
}

/// Go's `strconv.ParseBool`.
pub fn go_parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `time.ParseDuration`, in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`
/// with units ns, us, µs, μs, ms, s, m, h; `"0"` needs no unit; the total
/// must fit an int64.
pub fn go_parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let b = rest.as_bytes()[0];
        if !(b == b'.' || b.is_ascii_digit()) {
            return None;
        }
        let int_len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let int_part: i128 = if int_len == 0 {
            0
        } else {
            let v: u128 = rest[..int_len].parse().ok()?;
            if v > 1u128 << 63 {
                return None;
            }
            i128::try_from(v).ok()?
        };
        rest = &rest[int_len..];
        let mut frac_digits = "";
        if let Some(r) = rest.strip_prefix('.') {
            let n = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            frac_digits = &r[..n];
            rest = &r[n..];
            if int_len == 0 && n == 0 {
                return None;
            }
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        if unit_len == 0 {
            return None;
        }
        let unit: i128 = match &rest[..unit_len] {
            "ns" => NS,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => MS,
            "s" => SEC,
            "m" => MIN,
            "h" => 60 * MIN,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let mut v = int_part.checked_mul(unit)?;
        // Go keeps at most the digits that can matter (fraction * unit < 1<<63).
        let mut scale: i128 = 1;
        let mut frac: i128 = 0;
        for d in frac_digits.bytes().take(30) {
            frac = frac * 10 + i128::from(d - b'0');
            scale *= 10;
        }
        v += frac * unit / scale;
        total = total.checked_add(v)?;
        if total > (1i128 << 63) {
            return None;
        }
    }
    if !neg && total > i128::from(i64::MAX) {
        return None;
    }
    Some(if neg { -total } else { total })
}

fn fmt_ns(ns: i128) -> String {
    match ns {
        n if n % MIN == 0 => format!("{}m", n / MIN),
        n if n % SEC == 0 => format!("{}s", n / SEC),
        n if n % MS == 0 => format!("{}ms", n / MS),
        n => format!("{n}ns"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Severity;

    fn ctx(config: &BTreeMap<String, String>) -> Context<'_> {
        Context {
            config,
            block_task_metadata: true,
            reserved_ports_udp_attribute: false,
        }
    }

    fn one(key: &str, value: &str) -> Vec<(Severity, String)> {
        let cfg = BTreeMap::from([(key.to_owned(), value.to_owned())]);
        check(key, value, &ctx(&cfg))
            .into_iter()
            .map(|p| (p.severity, p.summary))
            .collect()
    }

    #[test]
    fn go_durations() {
        for (s, want) in [
            ("0", Some(0)),
            ("-0", Some(0)),
            ("5m", Some(5 * MIN)),
            ("1h30m", Some(90 * MIN)),
            ("1.5h", Some(90 * MIN)),
            (".5s", Some(SEC / 2)),
            ("300ms", Some(300 * MS)),
            ("2us", Some(2_000)),
            ("2µs", Some(2_000)),
            ("-1.5h", Some(-90 * MIN)),
            ("+5s", Some(5 * SEC)),
            ("1h2m3s4ms5us6ns", Some(3_723_004_005_006)),
            ("", None),
            ("5", None),
            ("5 m", None),
            ("five minutes", None),
            (".s", None),
            ("1d", None),
            ("5m ", None),
            ("9223372036854775807ns", Some(i128::from(i64::MAX))),
            ("9223372036854775808ns", None),
            ("3000000h", None),
        ] {
            assert_eq!(go_parse_duration(s), want, "{s:?}");
        }
    }

    #[test]
    fn table_is_sorted_and_has_no_managed_keys() {
        let keys: Vec<&str> = SETTINGS.iter().map(|(k, _)| *k).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(keys, sorted);
        for k in keys {
            assert!(!super::super::agent::MANAGED_KEYS.contains(&k), "{k}");
        }
        let mut agent_keys = AGENT_KEYS.to_vec();
        agent_keys.sort_unstable();
        agent_keys.dedup();
        assert_eq!(
            agent_keys, AGENT_KEYS,
            "AGENT_KEYS must be sorted and unique"
        );
        for (k, _) in SETTINGS {
            assert!(is_agent_key(k), "{k} is in SETTINGS but not in AGENT_KEYS");
        }
    }

    #[test]
    fn each_kind_refuses_what_the_agent_refuses() {
        use Severity::{Error as E, Warning as W};
        type Case = (
            &'static str,
            &'static str,
            &'static [(Severity, &'static str)],
        );
        let cases: &[Case] = &[
            (
                "ECS_AVAILABLE_LOGGING_DRIVERS",
                r#"["json-file","journald"]"#,
                &[],
            ),
            (
                "ECS_AVAILABLE_LOGGING_DRIVERS",
                r#"'["json-file","journald"]'"#,
                &[(E, "Quotes reach the agent")],
            ),
            (
                "ECS_AVAILABLE_LOGGING_DRIVERS",
                r#""json-file""#,
                &[(E, "Quotes reach the agent")],
            ),
            (
                "ECS_AVAILABLE_LOGGING_DRIVERS",
                "json-file,awslogs",
                &[(E, "Not the JSON the agent expects")],
            ),
            (
                "ECS_AVAILABLE_LOGGING_DRIVERS",
                r#"["json-file","loki"]"#,
                &[(E, "Unknown logging driver")],
            ),
            ("ECS_INSTANCE_ATTRIBUTES", r#"{"env":"dev"}"#, &[]),
            (
                "ECS_INSTANCE_ATTRIBUTES",
                r#"[{"env":"dev"}]"#,
                &[(E, "Not the JSON the agent expects")],
            ),
            (
                "ECS_INSTANCE_ATTRIBUTES",
                r#"{"env":1}"#,
                &[(E, "Not the JSON the agent expects")],
            ),
            (
                "ECS_INSTANCE_ATTRIBUTES",
                r#"{"env":" dev"}"#,
                &[(E, "Invalid instance attribute")],
            ),
            (
                "ECS_INSTANCE_ATTRIBUTES",
                r#"{"a b":"dev"}"#,
                &[(E, "Invalid instance attribute")],
            ),
            ("ECS_RESERVED_PORTS_UDP", "[53,123]", &[]),
            (
                "ECS_RESERVED_PORTS_UDP",
                "[53,70000]",
                &[(E, "Not the JSON the agent expects")],
            ),
            ("ECS_IMAGE_PULL_BEHAVIOR", "prefer-cached", &[]),
            ("ECS_IMAGE_PULL_BEHAVIOR", "cached", &[(E, "Invalid value")]),
            ("ECS_INSTANCE_IP_COMPATIBILITY", "IPv6", &[]),
            (
                "ECS_INSTANCE_IP_COMPATIBILITY",
                "dual",
                &[(E, "Invalid value")],
            ),
            ("ECS_ENABLE_SPOT_INSTANCE_DRAINING", "True", &[]),
            (
                "ECS_ENABLE_SPOT_INSTANCE_DRAINING",
                "yes",
                &[(E, "Not a boolean")],
            ),
            ("ECS_CONTAINER_STOP_TIMEOUT", "2m", &[]),
            (
                "ECS_CONTAINER_STOP_TIMEOUT",
                "2 minutes",
                &[(E, "Not a duration")],
            ),
            (
                "ECS_CONTAINER_STOP_TIMEOUT",
                "120",
                &[(E, "Not a duration")],
            ),
            (
                "ECS_CONTAINER_START_TIMEOUT",
                "10s",
                &[(W, "Outside the agent's bounds")],
            ),
            (
                "ECS_CONTAINER_STOP_TIMEOUT",
                "0s",
                &[(W, "Zero means not set")],
            ),
            ("ECS_UPDATE_DOWNLOAD_DIR", "", &[(W, "Empty value")]),
            (
                "ECS_ENABLE_SPOT_INSTANCE_DRAINING",
                "",
                &[(W, "Empty value")],
            ),
            ("ECS_TASK_PIDS_LIMIT", "100", &[]),
            (
                "ECS_TASK_PIDS_LIMIT",
                "0",
                &[(E, "Outside the agent's bounds")],
            ),
            ("ECS_RESERVED_MEMORY", "-1", &[(E, "Not a whole number")]),
            ("ECS_TASK_METADATA_RPS_LIMIT", "100,150", &[]),
            (
                "ECS_TASK_METADATA_RPS_LIMIT",
                "-1,5",
                &[(E, "Invalid value")],
            ),
            (
                "NONECS_NUM_CONTAINERS_DELETE_PER_CYCLE",
                "0",
                &[(W, "Zero means not set")],
            ),
            (
                "ECS_TASK_METADATA_RPS_LIMIT",
                "100",
                &[(E, "Invalid value")],
            ),
            ("ECS_DYNAMIC_HOST_PORT_RANGE", "100-200", &[]),
            (
                "ECS_DYNAMIC_HOST_PORT_RANGE",
                "200-100",
                &[(E, "Invalid value")],
            ),
            (
                "ECS_CONTAINER_INSTANCE_TAGS",
                r#"["a"]"#,
                &[(E, "Not the JSON the agent expects")],
            ),
            ("ECS_CONTAINER_INSTANCE_TAGS", r#"{"team":"a:b"}"#, &[]),
            (
                "ECS_CONTAINER_INSTANCE_TAGS",
                r#"{"aws:team":"a"}"#,
                &[(E, "Reserved tag prefix")],
            ),
            (
                "ECS_CONTAINER_INSTANCE_TAGS",
                r#"{"team":"AWS:platform"}"#,
                &[(E, "Reserved tag prefix")],
            ),
            (
                "ECS_CONTAINER_INSTANCE_TAGS",
                r#"{"Aws:Team":"a"}"#,
                &[(E, "Reserved tag prefix")],
            ),
            // An attribute name may not hold ':' at all, so ECS refuses
            // "aws:…" names by the character rule; values may hold it.
            (
                "ECS_INSTANCE_ATTRIBUTES",
                r#"{"aws:stack":"prod"}"#,
                &[(E, "Invalid instance attribute")],
            ),
            ("ECS_INSTANCE_ATTRIBUTES", r#"{"stack":"aws:prod"}"#, &[]),
            (
                "ECS_AWSVPC_BLOCK_IMDS",
                "true",
                &[(W, "Setting has no effect on this host")],
            ),
            (
                "ECS_AWSVPC_ADDITIONAL_LOCAL_ROUTES",
                r#"["10.0.0.0/33"]"#,
                &[(E, "Not a CIDR"), (W, "Setting has no effect on this host")],
            ),
            (
                "ECS_ENGINE_AUTH_DATA",
                r#"{"r":{"auth":"x"}}"#,
                &[(E, "ECS_ENGINE_AUTH_DATA needs ECS_ENGINE_AUTH_TYPE")],
            ),
            ("ECS_ENGINE_AUTH_TYPE", "basic", &[(E, "Invalid value")]),
            ("ECS_LOGLEVEL_ON_INSTANCE", "whatever", &[]),
        ];
        for (key, value, want) in cases {
            let got = one(key, value);
            let want: Vec<(Severity, String)> =
                want.iter().map(|(s, m)| (*s, (*m).to_owned())).collect();
            assert_eq!(got, want, "{key} = {value}");
        }
    }

    #[test]
    fn misspelt_keys_have_a_nearest_key() {
        assert_eq!(
            nearest_agent_key("ECS_ENABLE_SPOT_INSTANCE_DRANING"),
            Some("ECS_ENABLE_SPOT_INSTANCE_DRAINING")
        );
        assert_eq!(nearest_agent_key("ECS_CLUSTR"), Some("ECS_CLUSTER"));
        assert_eq!(nearest_agent_key("ECS_SOMETHING_ELSE_ENTIRELY"), None);
        assert!(unsupported_reason("DOCKER_HOST").is_some());
        assert!(unsupported_reason("AWS_DEFAULT_REGION").is_none());
    }

    #[test]
    fn introspection_access_beyond_the_host_is_refused_and_none_is_a_warning() {
        use crate::problem::Severity;
        let sev = |k: &str, v: &str| introspection_setting(k, v).map(|p| p.severity);
        let allow = "ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS";
        assert_eq!(sev(allow, "true"), Some(Severity::Error));
        assert_eq!(sev(allow, "1"), Some(Severity::Error));
        assert_eq!(
            sev(allow, "yes"),
            Some(Severity::Error),
            "unparsable: refused, not guessed"
        );
        assert_eq!(sev(allow, "false"), Some(Severity::Warning));
        assert_eq!(
            sev("ECS_OFFHOST_INTROSPECTION_INTERFACE_NAME", "eth0"),
            Some(Severity::Warning)
        );
        assert_eq!(sev("ECS_LOGLEVEL_ON_INSTANCE", "info"), None);
        let d = introspection_setting(allow, "true").unwrap().detail;
        assert!(
            d.contains("network_mode = \"host\"") && d.contains("127.0.0.1:51678"),
            "{d}"
        );
    }

    #[test]
    fn auth_data_follows_its_type_and_is_never_quoted() {
        let secret = "s3cr3tValue";
        for (t, data, ok) in [
            (
                "dockercfg",
                format!(r#"{{"https://r":{{"auth":"{secret}"}}}}"#),
                true,
            ),
            ("dockercfg", format!(r#"{{"https://r":"{secret}"}}"#), false),
            (
                "docker",
                format!(r#"{{"https://r":{{"username":"u","password":"{secret}"}}}}"#),
                true,
            ),
            ("docker", format!(r#"["{secret}"]"#), false),
            ("docker", format!("'{secret}'"), false),
        ] {
            let cfg = BTreeMap::from([
                ("ECS_ENGINE_AUTH_TYPE".to_owned(), t.to_owned()),
                ("ECS_ENGINE_AUTH_DATA".to_owned(), data.clone()),
            ]);
            let got = check("ECS_ENGINE_AUTH_DATA", &data, &ctx(&cfg));
            assert_eq!(got.is_empty(), ok, "{t} {data}: {got:?}");
            for p in got {
                assert!(
                    !p.detail.contains(secret) && !p.summary.contains(secret),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn quotes_say_the_unquoted_form() {
        let cfg = BTreeMap::new();
        let p = &check(
            "ECS_AVAILABLE_LOGGING_DRIVERS",
            r#"'["json-file","journald"]'"#,
            &ctx(&cfg),
        )[0];
        assert!(
            p.detail.contains(
                r#"Write ECS_AVAILABLE_LOGGING_DRIVERS = "[\"json-file\",\"journald\"]" instead."#
            ),
            "{}",
            p.detail
        );
    }

    #[test]
    fn block_imds_warning_says_whether_the_guard_is_on() {
        let cfg = BTreeMap::new();
        for (block, says) in [
            (true, "block_task_metadata is on"),
            (false, "set block_task_metadata = true"),
        ] {
            let c = Context {
                block_task_metadata: block,
                ..ctx(&cfg)
            };
            let p = &check("ECS_AWSVPC_BLOCK_IMDS", "true", &c)[0];
            assert_eq!(p.severity, Severity::Warning);
            assert!(p.detail.contains(says), "{}", p.detail);
        }
    }
}
