//! What fleet verification adds to `ecshost_instance_verification`: ECS
//! membership (`ecs_cluster`, `registration_grace`), the sample of
//! deep-checked instances (`sample_size`, `sample_seed`), the rollout
//! gate's conditions and counts, and the table people read. Schema,
//! models and mapping only; the ECS calls are in [`crate::ecs`], the
//! judgement in [`crate::verify`].

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{InstanceModel, Kind};
use crate::ec2::instances::Instance;
use crate::ecs::client::Ecs;
use crate::ecs::container_instances::{cluster_name, ContainerInstance};
use crate::sdk::duration::{self, IsDuration};
use crate::sdk::schema::validators::IntBetween;
use crate::sdk::typed::TfValue;
use crate::sdk::{Attribute, AttributePath, Diagnostics, Nesting, Value};
use crate::verify::ecs::{summary, EcsExpectation, EcsFacts, Membership, Registration};
use crate::verify::rollout::{Counts, Goal};
use crate::verify::sample::{self, Candidate};
use crate::verify::table::{self, Row};
use crate::verify::{Facts, Verdict};

/// Rows of `summary_table` and of the gate's failure.
pub(super) const TABLE_ROWS: usize = 100;

/// An instance's container-instance record, as the `ecs` attribute.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(super) struct EcsModel {
    registered: bool,
    cluster: TfValue<String>,
    container_instance_arn: TfValue<String>,
    status: TfValue<String>,
    agent_connected: TfValue<bool>,
    agent_version: TfValue<String>,
    running_tasks_count: TfValue<i64>,
    imds_iam_roles: TfValue<bool>,
    pub(super) summary: String,
}

/// Per-instance attributes this module adds (flattened into
/// [`InstanceModel`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(super) struct InstanceFleetModel {
    pub(super) deep_checked: bool,
    pub(super) healthy: bool,
    pub(super) pending: Vec<String>,
    pub(super) ecs: TfValue<EcsModel>,
}

/// Top-level attributes this module adds (flattened into the model).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(super) struct FleetModel {
    ecs_cluster: TfValue<String>,
    registration_grace: TfValue<String>,
    task_iam_role_network_host: TfValue<bool>,
    sample_size: TfValue<i64>,
    pub(super) sample_seed: TfValue<String>,
    pub(super) deep_checked_count: TfValue<i64>,
    pub(super) deep_checked_ids: TfValue<Vec<String>>,
    pub(super) healthy_count: TfValue<i64>,
    pub(super) expected_version_count: TfValue<i64>,
    pub(super) old_version_count: TfValue<i64>,
    pub(super) summary_table: TfValue<String>,
    /// resource only
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_healthy: Option<TfValue<i64>>,
    /// resource only
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_healthy_percent: Option<TfValue<i64>>,
    /// resource only
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_old_versions: Option<TfValue<i64>>,
}

/// The input attributes (wrapped by `input`: the resource replaces on
/// change) and the computed ones.
pub(super) fn attributes(kind: Kind, input: &dyn Fn(Attribute) -> Attribute) -> Vec<Attribute> {
    let mut a = vec![
        input(Attribute::string("ecs_cluster").optional().description(
            "Name or ARN of the ECS cluster every running instance must be a container instance of (normally the `cluster` its user data renders, e.g. `data.ecshost_user_data.x.cluster`): \
             registered there (not elsewhere, not missing), `ACTIVE` (not `DRAINING`) and with its agent connected; each instance's `ecs` reports status, agent version and running tasks. \
             Read with ListContainerInstances (pages of 100) and DescribeContainerInstances (batches of 100), never per instance. Unset: ECS is not asked, at no cost.",
        )),
        input(Attribute::string("registration_grace").default("5m").validator(IsDuration).description(
            "How long after launch (EC2's `LaunchTime`) a running instance may still be missing from `ecs_cluster`: within it the instance is *pending* (listed in `pending`, not healthy, not a problem), after it a problem. Defaults to `5m`.",
        )),
        input(Attribute::bool("task_iam_role_network_host").optional().description(
            "Whether the hosts' configuration enables task IAM roles for `host`-network tasks (normally `data.ecshost_user_data.x.task_iam_role_network_host`). \
             With `ecs_cluster`, what each agent registered is judged against it: an agent without the `com.amazonaws.ecs.capability.task-iam-role` capability gives tasks no credentials, \
             and one with `com.amazonaws.ecs.capability.task-iam-role-network-host` when this is not `true` exposes role credentials to host-network tasks, which no network rule can keep from instance metadata; both are problems. Unset: `false`.",
        )),
        input(Attribute::number("sample_size").optional().validator(IntBetween(0, 100_000)).description(
            "Deep-check (own user data, console self-check report: one DescribeInstanceAttribute and one GetConsoleOutput each) only this many instances per launch template version, drawn at random by `sample_seed`; \
             every instance still gets the page-priced checks (state, template and version tags, metadata options, what the version promises, ECS). `0`: page-priced checks only. Unset (default): every instance is deep-checked.",
        )),
        input(Attribute::string("sample_seed").optional().computed().use_state_for_unknown().description(
            "Seed of the sample: the same seed and fleet draw the same instances. \
             Default: derived from the arguments that say which fleet is verified and how (and the resource's `triggers`), so a plan and its apply judge the same instances (the resource's plan shows the seed whenever those are known) and a gate run with new `triggers` draws a new sample. Set it, e.g. to a pipeline run ID, to rotate the data source's sample.",
        )),
    ];
    if kind == Kind::Resource {
        a.extend([
            input(Attribute::number("min_healthy").optional().validator(IntBetween(0, i64::from(i32::MAX))).description(
                "Rollout gate: at least this many instances launched from `expected_version` must be healthy (no problems, nothing pending). \
                 With any of `min_healthy`, `min_healthy_percent` and `max_old_versions` set, the gate judges the rollout rather than every instance: it polls every `poll_interval` until they hold (then passes) or `timeout` passes (then fails the apply with a table of the fleet). \
                 A failure that waiting cannot mend ends the wait at once: an instance of `expected_version` whose self-check report says `fail` (the error quotes each failing check's reason) or that is stopped or terminated. Needs `expected_version`.",
            )),
            input(Attribute::number("min_healthy_percent").optional().validator(IntBetween(0, 100)).description(
                "Rollout gate: at least this share (percent, rounded up, at least one instance) of the instances launched from `expected_version` must be healthy. Needs `expected_version`.",
            )),
            input(Attribute::number("max_old_versions").optional().validator(IntBetween(0, i64::from(i32::MAX))).description(
                "Rollout gate: at most this many instances of the template's other versions may still serve (running, and not `DRAINING` or deregistering in `ecs_cluster`). Default: unlimited. Needs `expected_version`.",
            )),
        ]);
    }
    let n = |name: &str, what: &str| Attribute::number(name).computed().description(what);
    a.extend([
        n("deep_checked_count", "Instances deep-checked (own user data and console report read)."),
        Attribute::string_list("deep_checked_ids").computed().description("The deep-checked instances, sorted."),
        n("healthy_count", "Instances with no problems and nothing pending (with `expected_version`, only its instances can be)."),
        n("expected_version_count", "Instances launched from `expected_version` (null without it)."),
        n("old_version_count", "Instances of the template's other versions still serving: running and not leaving ECS (null without `expected_version`)."),
        Attribute::string("summary_table").computed().description(
            "The fleet as a text table (instance, version, state, ECS status, deep-checked, failing checks), unhealthy instances first, at most 100 rows.",
        ),
    ]);
    a
}

/// The per-instance attributes this module adds.
pub(super) fn instance_attributes() -> Vec<Attribute> {
    let s = Attribute::string;
    vec![
        Attribute::bool("deep_checked").computed().description("Its own user data and console report were read (it is in the sample)."),
        Attribute::bool("healthy").computed().description("No problems and nothing pending."),
        Attribute::string_list("pending").computed().description("What is not done yet but not a problem yet, e.g. not registered in `ecs_cluster` within `registration_grace`."),
        Attribute::nested(
            "ecs",
            Nesting::Single,
            vec![
                Attribute::bool("registered").computed().description("A container instance of some cluster."),
                s("cluster").computed().description("The cluster it is registered in."),
                s("container_instance_arn").computed().description("Its container instance ARN."),
                s("status").computed().description("`ACTIVE`, `DRAINING`, `REGISTERING`, `DEREGISTERING`, `REGISTRATION_FAILED` or `INACTIVE`."),
                Attribute::bool("agent_connected").computed().description("The ECS agent is connected."),
                s("agent_version").computed().description("The ECS agent's version."),
                Attribute::number("running_tasks_count").computed().description("Tasks in `RUNNING` on it."),
                Attribute::bool("imds_iam_roles").computed().description(
                    "The agent registered `ecs.capability.imds-iam-roles`: it delivers every task's IAM role credentials through instance metadata as well (`ecs-agent/capability/capability.go` of aws/amazon-ecs-agent). \
                     Such a host must show task containers kept from instance metadata (self-check `imds_blocked` at `pass`, whatever `required_checks` says) and must not give host-network tasks role credentials; otherwise each is a problem naming the exposure. Null when not registered.",
                ),
                s("summary").computed().description("One line, e.g. `ACTIVE, agent 1.89.0, 3 tasks running`, `DRAINING, …`, `in cluster other (ACTIVE)`, `not registered`."),
            ],
        )
        .computed()
        .description("Its ECS container instance (DescribeContainerInstances); null without `ecs_cluster`."),
    ]
}

fn valid_cluster(s: &str) -> bool {
    if s.starts_with("arn:") {
        return s.split(':').nth(2) == Some("ecs")
            && s.contains(":cluster/")
            && !cluster_name(s).is_empty();
    }
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks beyond the attribute validators (unknown values are skipped).
pub(super) fn validate(config: &Value, diags: &mut Diagnostics) {
    if let Some(c) = config.attr("ecs_cluster").as_str() {
        if !valid_cluster(c) {
            diags.attribute_error(
                AttributePath::root("ecs_cluster"),
                "Invalid ECS Cluster",
                format!("ecs_cluster must be a cluster name (letters, digits, - and _, e.g. data.ecshost_user_data.x.cluster) or a cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME); got {c:?}."),
            );
        }
    }
    if matches!(config.attr("task_iam_role_network_host"), Value::Bool(true)) {
        diags.attribute_warning(
            AttributePath::root("task_iam_role_network_host"),
            "Host-Network Task Roles Expose Credentials",
            "No network rule keeps host-network tasks from instance metadata. Once the ECS agent delivers task credentials through instance metadata \
             (it registers ecs.capability.imds-iam-roles; the agent turns this on whenever instance metadata is reachable and has no setting to refuse it), \
             every host-network task can read the IAM role credentials of every task on the host, and this verification reports each such host as a problem. \
             Run the tasks that need a role in bridge or awsvpc mode and set task_iam_role_network_host = false in ecshost_user_data.",
        );
    }
    if config.attr("expected_version").is_null() {
        for a in ["min_healthy", "min_healthy_percent", "max_old_versions"] {
            if !config.attr(a).is_null() && !config.attr(a).is_unknown() {
                diags.attribute_error(
                    AttributePath::root(a),
                    "Missing Expected Version",
                    format!("{a} counts instances by launch template version: set expected_version too, e.g. expected_version = ecshost_launch_template.x.latest_version."),
                );
            }
        }
    }
}

/// What this module's inputs ask for.
pub(super) struct FleetSettings {
    pub(super) ecs: Option<EcsExpectation>,
    pub(super) sample_size: Option<usize>,
    pub(super) seed: String,
    pub(super) goal: Goal,
}

impl FleetModel {
    /// The settings, with `default_seed` when no seed is known.
    pub(super) fn settings(&self, default_seed: impl FnOnce() -> String) -> FleetSettings {
        let num = |v: &Option<TfValue<i64>>| {
            v.as_ref()
                .and_then(|t| t.known())
                .and_then(|n| u64::try_from(*n).ok())
        };
        FleetSettings {
            ecs: self.ecs_cluster.known().map(|c| EcsExpectation {
                cluster: c.clone(),
                registration_grace: self
                    .registration_grace
                    .known()
                    .and_then(|s| duration::parse(s).ok())
                    .unwrap_or(Duration::from_secs(300)),
                task_iam_role_network_host: self
                    .task_iam_role_network_host
                    .known()
                    .copied()
                    .unwrap_or(false),
            }),
            sample_size: self
                .sample_size
                .known()
                .and_then(|n| usize::try_from(*n).ok()),
            seed: self
                .sample_seed
                .known()
                .cloned()
                .unwrap_or_else(default_seed),
            goal: Goal {
                min_healthy: num(&self.min_healthy),
                min_healthy_percent: num(&self.min_healthy_percent),
                max_old_versions: num(&self.max_old_versions),
            },
        }
    }
}

/// The instances that get the deep checks.
pub(super) fn sample(found: &[Instance], s: &FleetSettings) -> BTreeSet<String> {
    match s.sample_size {
        None => found.iter().map(|i| i.id.clone()).collect(),
        Some(k) => {
            let c: Vec<Candidate<'_>> = found
                .iter()
                .map(|i| Candidate {
                    id: &i.id,
                    group: (
                        i.launch_template_id.as_deref(),
                        i.launch_template_version.as_deref(),
                    ),
                    running: i.state == "running",
                })
                .collect();
            sample::draw(&s.seed, &c, k)
        }
    }
}

/// The record as the judgement sees it; the cluster by name.
fn registration(c: ContainerInstance) -> Registration {
    Registration {
        cluster: cluster_name(&c.cluster).to_owned(),
        container_instance_arn: c.arn,
        status: c.status,
        status_reason: c.status_reason,
        agent_connected: c.agent_connected,
        agent_version: c.agent_version,
        running_tasks_count: c.running_tasks_count,
        attributes: c.attributes,
    }
}

/// Where each instance is registered: `members` of the expected cluster
/// (already listed), and, for running instances missing there once
/// `registration_grace` has passed, the other clusters
/// ([`Ecs::registrations_elsewhere`]).
pub(super) async fn ecs_facts(
    ecs: &Ecs,
    exp: &EcsExpectation,
    found: &[Instance],
    members: Vec<ContainerInstance>,
    concurrency: usize,
    now: SystemTime,
) -> Result<HashMap<String, EcsFacts>, Diagnostics> {
    let mut by_id: HashMap<String, Membership> = HashMap::new();
    for m in members {
        if let Some(id) = m.ec2_instance_id.clone() {
            by_id.insert(id, Membership::InCluster(registration(m)));
        }
    }
    let age = |i: &Instance| i.launch_time.and_then(|t| now.duration_since(t).ok());
    let missing: Vec<String> = found
        .iter()
        .filter(|i| i.state == "running" && !by_id.contains_key(&i.id))
        .filter(|i| age(i).is_none_or(|a| a >= exp.registration_grace))
        .map(|i| i.id.clone())
        .collect();
    if !missing.is_empty() {
        let elsewhere = ecs
            .registrations_elsewhere(&exp.cluster, &missing, concurrency)
            .await
            .map_err(|e| {
                super::super::aws_errors::error("Unable to Search the Other ECS Clusters", &e)
            })?;
        for m in elsewhere {
            if let Some(id) = m.ec2_instance_id.clone() {
                by_id.insert(id, Membership::Elsewhere(registration(m)));
            }
        }
    }
    Ok(found
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                EcsFacts {
                    membership: by_id.remove(&i.id).unwrap_or(Membership::NotRegistered),
                    since_launch: age(i),
                },
            )
        })
        .collect())
}

/// The per-instance attributes of this module.
pub(super) fn instance_fleet(f: &Facts, v: &Verdict, deep: bool) -> InstanceFleetModel {
    let opt = |s: Option<&str>| s.map_or(TfValue::Null, |x| TfValue::Known(x.to_owned()));
    InstanceFleetModel {
        deep_checked: deep,
        healthy: v.healthy(),
        pending: v.pending.clone(),
        ecs: f.ecs.as_ref().map_or(TfValue::Null, |e| {
            let r = e.registration();
            TfValue::Known(EcsModel {
                registered: r.is_some(),
                cluster: opt(r.map(|r| r.cluster.as_str())),
                container_instance_arn: opt(r.map(|r| r.container_instance_arn.as_str())),
                status: opt(r.map(|r| r.status.as_str())),
                agent_connected: r.map_or(TfValue::Null, |r| TfValue::Known(r.agent_connected)),
                agent_version: opt(r.and_then(|r| r.agent_version.as_deref())),
                running_tasks_count: r
                    .map_or(TfValue::Null, |r| TfValue::Known(r.running_tasks_count)),
                imds_iam_roles: r.map_or(TfValue::Null, |r| TfValue::Known(r.imds_iam_roles())),
                summary: summary(e),
            })
        }),
    }
}

/// What the rollout gate counts: instances of `expected` (of the
/// template `template`, when given), how many of them are healthy, and
/// the template's instances of other versions still serving.
pub(super) fn counts(found: &[(Facts, Verdict)], template: Option<&str>, expected: &str) -> Counts {
    let mut c = Counts::default();
    for (f, v) in found {
        let ours = template.is_none_or(|t| f.launch_template_id.as_deref() == Some(t));
        match f.launch_template_version.as_deref() {
            Some(x) if x == expected && ours => {
                c.launched += 1;
                c.healthy += u64::from(v.healthy());
            }
            Some(_) if ours && f.launch_template_id.is_some() => {
                let leaving = f.ecs.as_ref().is_some_and(EcsFacts::leaving);
                if f.state == "running" && !leaving {
                    c.old_serving += 1;
                }
            }
            _ => {}
        }
    }
    c
}

/// The final failures ([`crate::verify::rollout::final_failure`]) among
/// the instances of `expected` (of the template `template`, when given).
pub(super) fn final_failures(
    found: &[(Facts, Verdict)],
    template: Option<&str>,
    expected: &str,
) -> Vec<String> {
    found
        .iter()
        .filter(|(f, _)| {
            template.is_none_or(|t| f.launch_template_id.as_deref() == Some(t))
                && f.launch_template_version.as_deref() == Some(expected)
        })
        .filter_map(|(f, _)| crate::verify::rollout::final_failure(f))
        .collect()
}

/// The table: unhealthy instances first, then by id; at most
/// [`TABLE_ROWS`] rows.
pub(super) fn summary_table(instances: &[InstanceModel]) -> String {
    let mut order: Vec<&InstanceModel> = instances.iter().collect();
    order.sort_by(|a, b| (a.fleet.healthy, &a.id).cmp(&(b.fleet.healthy, &b.id)));
    let rows: Vec<Row> = order
        .into_iter()
        .map(|i| {
            let mut failing: Vec<String> = i.problems.clone();
            failing.extend(i.fleet.pending.iter().map(|p| format!("pending: {p}")));
            Row {
                instance: i.id.clone(),
                version: i
                    .launch_template_version
                    .known()
                    .cloned()
                    .unwrap_or_else(|| "-".into()),
                state: i.state.clone(),
                ecs: i
                    .fleet
                    .ecs
                    .known()
                    .map_or_else(|| "-".into(), |e| e.summary.clone()),
                deep: if i.fleet.deep_checked { "yes" } else { "no" }.into(),
                failing: if failing.is_empty() {
                    "ok".into()
                } else {
                    failing.join("; ")
                },
            }
        })
        .collect();
    table::render(&rows, TABLE_ROWS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_and_arns() {
        for (c, ok) in [
            ("prod", true),
            ("prod-eu_1", true),
            ("arn:aws:ecs:eu-west-1:123456789012:cluster/prod", true),
            ("arn:aws:ec2:eu-west-1:123456789012:cluster/prod", false),
            ("arn:aws:ecs:eu-west-1:123456789012:cluster/", false),
            ("prod cluster", false),
            ("", false),
        ] {
            assert_eq!(valid_cluster(c), ok, "{c}");
        }
    }
}
