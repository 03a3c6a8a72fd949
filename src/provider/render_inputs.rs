//! Attributes shared by the render data sources (the loopback and agent
//! inputs appear in `ecshost_agent_options` and again, flattened, in
//! `ecshost_user_data`), and the one place render problems become
//! Terraform diagnostics.

use std::collections::BTreeMap;

use crate::render::agent::{AgentInput, DEFAULT_IMAGE};
use crate::render::loopback::{LoopbackFormat, LoopbackInput};
use crate::render::metadata_guard::FirewallBackend;
use crate::render::problem::{Problem, RenderError, Severity};
use crate::render::CREDENTIALS_ADDRESS;
use crate::sdk::duration::{self, IsDuration};
use crate::sdk::schema::validators::{Each, IntBetween, NonEmpty, OneOf};
use crate::sdk::{Attribute, AttributePath, Diagnostics, Type, Value};

/// Loopback formats by their Terraform spelling.
pub(crate) const LOOPBACK_FORMATS: &[&str] = &[
    "networkd",
    "ignition",
    "coreos_cloud_config",
    "cloud_init",
    "ifupdown",
    "netplan",
    "networkmanager",
    "shell",
];

/// The attribute path a render problem points at. A problem inside a list
/// element stops at the element (`extra_parts[1]`): Terraform places an
/// index step on the element's expression, but a step past it into the
/// element's fields falls back to the whole block, so the field is named
/// by the diagnostic's text instead.
fn problem_path(p: &Problem) -> AttributePath {
    let mut path = AttributePath::root(p.attribute);
    if let Some(k) = &p.key {
        path = path.key(k);
    }
    if let Some((i, _field)) = p.element {
        path = path.index(i);
    }
    path
}

/// Render problems as diagnostics on their attributes.
pub(crate) fn problems_to_diags(problems: &[Problem], diags: &mut Diagnostics) {
    for p in problems {
        let path = problem_path(p);
        match p.severity {
            Severity::Error => diags.attribute_error(path, p.summary.clone(), p.detail.clone()),
            Severity::Warning => diags.attribute_warning(path, p.summary.clone(), p.detail.clone()),
        }
    }
}

/// A render error as diagnostics.
pub(crate) fn render_error(e: &RenderError) -> Diagnostics {
    let mut d = Diagnostics::new();
    problems_to_diags(&e.problems, &mut d);
    if d.is_empty() {
        d.error("Rendering failed", e.to_string());
    }
    d
}

/// `address`, `device`, `allow_custom_address`.
pub(crate) fn loopback_attributes(address_name: &str) -> Vec<Attribute> {
    vec![
        Attribute::string(address_name).default(CREDENTIALS_ADDRESS).description(
            "The ECS credentials endpoint address to put on the loopback device, as a bare IPv4 address or with `/32`. \
             Defaults to `169.254.170.2`, the address every AWS SDK uses; another address needs `allow_custom_address = true`.",
        ),
        Attribute::string("device").default("lo").description("The loopback device. Defaults to `lo`."),
        Attribute::bool("allow_custom_address").default(false).description(
            "Accept a credentials address other than `169.254.170.2` (tasks' SDKs will not find it unless told). Defaults to `false`.",
        ),
    ]
}

/// The agent inputs (`cluster` … `task_iam_role_network_host`).
pub(crate) fn agent_attributes() -> Vec<Attribute> {
    vec![
        Attribute::string("cluster").required().validator(NonEmpty).description("The ECS cluster the agent joins (`ECS_CLUSTER`)."),
        Attribute::string("image").default(DEFAULT_IMAGE).description(&format!(
            "The ECS agent image. Defaults to `{DEFAULT_IMAGE}`."
        )),
        Attribute::number("credentials_port").default(80i64).validator(IntBetween(1, 65535)).description(
            "The port the agent's credentials endpoint is published on. Defaults to `80` (AWS SDKs use it); it is added to `ECS_RESERVED_PORTS`.",
        ),
        Attribute::bool("agent_network").default(true).description(
            "Run the agent on its own bridge network (`agent_network_name`) so it reaches the instance metadata service while tasks on `docker0` cannot. Defaults to `true`. The agent never runs with `--net host`.",
        ),
        Attribute::string("agent_network_name").default("ecs-agent").description("Name of the agent's own bridge network. Defaults to `ecs-agent`."),
        Attribute::bool("block_task_metadata").default(true).description(
            "Drop traffic from task containers on `docker0` to the instance metadata service (`169.254.169.254`). Defaults to `true`.",
        ),
        Attribute::string("firewall_backend").default("iptables").validator(OneOf(&["iptables", "nftables"])).description(
            "How the metadata block is written: `iptables` (a rule in Docker's `DOCKER-USER` chain and the same rule in `raw PREROUTING`) or `nftables` (an own table; Docker's nftables backend has no `DOCKER-USER`). Defaults to `iptables`.",
        ),
        Attribute::string_map("config").optional().description(
            "Extra agent settings written to `/etc/ecs/ecs.config` (`ECS_*` keys, `NON_ECS_IMAGE_MINIMUM_CLEANUP_AGE`, `NONECS_NUM_CONTAINERS_DELETE_PER_CYCLE` and the proxy variables), sorted by key. Keys the provider sets itself are refused. \
             Values are checked the way ECS agent 1.105.1 parses them, each on `config[\"KEY\"]`: no surrounding quotes (`docker --env-file` would pass them on), booleans and Go durations where the agent expects them, \
             enumerations (`ECS_IMAGE_PULL_BEHAVIOR`, `ECS_INSTANCE_IP_COMPATIBILITY`, …), and JSON of the agent's shape (`ECS_INSTANCE_ATTRIBUTES` within ECS's attribute limits, `ECS_AVAILABLE_LOGGING_DRIVERS` with known drivers, `ECS_RESERVED_PORTS_UDP`, `ECS_ENGINE_AUTH_DATA` by `ECS_ENGINE_AUTH_TYPE`); `ECS_AWSVPC_*` settings, which need task ENIs, get a warning. \
             On IPv6-only hosts set `ECS_INSTANCE_IP_COMPATIBILITY = \"ipv6\"`: inside its bridge network the agent sees an IPv4 default route and would pick IPv4-only AWS endpoints.",
        ),
        Attribute::string("log_level").default("info").validator(OneOf(&["crit", "error", "warn", "info", "debug"])).description("`ECS_LOGLEVEL`. Defaults to `info`."),
        Attribute::string("restart_policy").default("no").description(
            "Docker restart policy of the agent container. Defaults to `no`: systemd supervises the agent, because a restart by Docker would skip re-applying the endpoint forwarding.",
        ),
        Attribute::string("log_driver").default("json-file").description("Docker log driver of the agent container. Defaults to `json-file`."),
        Attribute::string_map("log_opts").optional().computed().description(
            "Docker log options of the agent container. Defaults to `{ max-size = \"16m\", max-file = \"4\" }` as ecs-init uses.",
        ),
        Attribute::bool("task_iam_role_network_host").default(false).description(
            "Enable task IAM roles for `host`-network tasks (`ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST`). No network rule can keep host-network tasks away from the metadata service. Defaults to `false`.",
        ),
        Attribute::new("reserved_ports", Type::list(Type::Number)).optional().validator(Each(IntBetween(1, 65535))).description(
            "Extra TCP ports ECS must not place tasks on (a host daemon's ports), added to `ECS_RESERVED_PORTS`. The provider writes that whole list — the agent's defaults (22, 2375, 2376, 51678, 51679), the credentials port and these — because setting the variable replaces the defaults.",
        ),
        Attribute::new("reserved_ports_udp", Type::list(Type::Number)).optional().validator(Each(IntBetween(1, 65535))).description(
            "UDP ports ECS must not place tasks on (`ECS_RESERVED_PORTS_UDP`, sorted). Not written when empty (the agent's default is none).",
        ),
        Attribute::string("metadata_guard_recheck_interval").default("1m").validator(IsDuration).description(
            "How often a systemd timer re-checks the metadata block and re-applies it when something removed it (an `iptables-restore`, `nft flush ruleset`, a firewall manager), logging that it had to — the bound on how long tasks can reach the metadata service after such a rewrite. firewalld reloads and restarts are caught at once by a watcher unit. At least `1s`; defaults to `1m`.",
        ),
    ]
}

fn s(v: &Value, name: &str) -> String {
    v.attr(name).as_str().unwrap_or_default().to_owned()
}

fn b(v: &Value, name: &str, default: bool) -> bool {
    match v.attr(name) {
        Value::Bool(x) => *x,
        _ => default,
    }
}

/// A list of ports; an element that is not a port becomes 0, which the
/// renderer refuses (the schema validator has already said why).
fn ports(v: &Value, name: &str) -> Vec<u16> {
    match v.attr(name) {
        Value::List(items) => items
            .iter()
            .map(|x| match x {
                Value::Number(n) => n.as_i64().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
                _ => 0,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn map(v: &Value, name: &str) -> Option<BTreeMap<String, String>> {
    match v.attr(name) {
        Value::Map(m) => Some(
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect(),
        ),
        _ => None,
    }
}

/// The loopback input from a config whose defaults are filled in.
pub(crate) fn loopback_input(cfg: &Value, address_name: &str) -> LoopbackInput {
    LoopbackInput {
        address: s(cfg, address_name),
        device: s(cfg, "device"),
        allow_custom_address: b(cfg, "allow_custom_address", false),
    }
}

/// The agent input from a config whose defaults are filled in. A port that
/// is not a valid u16 is reported by the schema validator; 0 here makes the
/// renderer refuse it too.
pub(crate) fn agent_input(cfg: &Value, address_name: &str) -> AgentInput {
    let d = AgentInput::default();
    let port = match cfg.attr("credentials_port") {
        Value::Number(n) => n.as_i64().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        _ => d.credentials_port,
    };
    AgentInput {
        cluster: s(cfg, "cluster"),
        image: s(cfg, "image"),
        credentials_address: s(cfg, address_name),
        credentials_port: port,
        agent_network: b(cfg, "agent_network", d.agent_network),
        agent_network_name: s(cfg, "agent_network_name"),
        block_task_metadata: b(cfg, "block_task_metadata", d.block_task_metadata),
        firewall_backend: FirewallBackend::parse(&s(cfg, "firewall_backend"))
            .unwrap_or(d.firewall_backend),
        config: map(cfg, "config").unwrap_or_default(),
        allow_custom_address: b(cfg, "allow_custom_address", false),
        log_level: s(cfg, "log_level"),
        restart_policy: s(cfg, "restart_policy"),
        log_driver: s(cfg, "log_driver"),
        log_opts: map(cfg, "log_opts").unwrap_or(d.log_opts),
        task_iam_role_network_host: b(cfg, "task_iam_role_network_host", false),
        reserved_ports: ports(cfg, "reserved_ports"),
        reserved_ports_udp: ports(cfg, "reserved_ports_udp"),
        guard_recheck_seconds: match cfg.attr("metadata_guard_recheck_interval").as_str() {
            // Whole seconds, rounded up (the timer's resolution); a value the
            // schema refused keeps the default so it is reported once.
            Some(s) => duration::parse(s).map_or(d.guard_recheck_seconds, |x| {
                u32::try_from(x.as_millis().div_ceil(1000)).unwrap_or(u32::MAX)
            }),
            None => d.guard_recheck_seconds,
        },
    }
}

/// Runs validation that needs only known inputs, during validate/plan:
/// unknown attributes are skipped by leaving them at harmless defaults and
/// dropping problems that point at them.
///
/// `diags` already holds the schema validators' findings. An attribute the
/// schema already refused gets no second error from the renderer: it would
/// describe the placeholder the mapping put in its place (a port of 70000
/// reaches the renderer as 0), not what the user wrote.
pub(crate) fn validate_known(cfg: &Value, problems: Vec<Problem>, diags: &mut Diagnostics) {
    let refused: Vec<AttributePath> = diags
        .iter()
        .filter(|d| d.severity == crate::sdk::Severity::Error)
        .filter_map(|d| d.attribute.clone())
        .collect();
    let known: Vec<Problem> = problems
        .into_iter()
        .filter(|p| {
            let v = cfg.attr(p.attribute);
            !v.is_unknown() && (v.is_fully_known() || (p.key.is_none() && p.element.is_none()))
        })
        .filter(|p| !(p.is_error() && refused.contains(&problem_path(p))))
        .collect();
    problems_to_diags(&known, diags);
}

/// A warning on `ignition_version` when the configuration sets it and the
/// format (attribute `format_attr`, known) is not `ignition`: only the
/// Ignition renderer reads it, so the value would be silently ignored.
pub(crate) fn unused_ignition_version(config: &Value, format_attr: &str, diags: &mut Diagnostics) {
    let (Value::String(_), Value::String(format)) =
        (config.attr("ignition_version"), config.attr(format_attr))
    else {
        return;
    };
    if format != "ignition" {
        diags.attribute_warning(
            AttributePath::root("ignition_version"),
            "Setting Has No Effect",
            format!(
                "ignition_version is read only with {format_attr} = \"ignition\"; with {format_attr} = \"{format}\" nothing uses it. Remove it, or set {format_attr} = \"ignition\"."
            ),
        );
    }
}

/// The loopback format `v` names; `None` when it is unknown, null or not
/// one of [`LOOPBACK_FORMATS`].
pub(crate) fn parse_format(v: &Value) -> Option<LoopbackFormat> {
    v.as_str().and_then(LoopbackFormat::parse)
}

/// Sets `name` on an object value.
pub(crate) fn set(state: &mut Value, name: &str, v: impl Into<Value>) {
    if let Value::Object(m) = state {
        m.insert(name.to_owned(), v.into());
    }
}

/// A list of strings.
pub(crate) fn string_list(items: &[String]) -> Value {
    Value::List(items.iter().map(|s| Value::from(s.as_str())).collect())
}

/// A map of strings.
pub(crate) fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}
