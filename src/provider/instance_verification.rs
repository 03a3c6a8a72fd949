//! `ecshost_instance_verification`, as a data source (for `check` blocks:
//! failures become warnings) and as a resource (fails the apply, one error
//! per failing instance, or, with rollout conditions, one error with the
//! fleet's table: for pipelines that gate on it). Both share the schema
//! and [`verify`]; the facts come from [`crate::ec2::instances`] and
//! [`crate::ecs`], the judgement from [`crate::verify`]. ECS membership,
//! sampling and the rollout gate are mapped in [`fleet`].

mod fleet;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::aws_errors;
use super::config::ProviderState;
use crate::ec2::client::Ec2;
use crate::ec2::instances::{Instance, InstanceQuery};
use crate::ec2::launch_templates::user_data_sha256;
use crate::ec2::template_data::LaunchTemplateData;
use crate::ecs::client::Ecs;
use crate::render::analyse::{analyse_base64, Analysis};
use crate::render::self_check::{find_report, ReportError, CHECKS};
use crate::sdk::duration::{self, IsDuration};
use crate::sdk::schema::validators::{IntBetween, OneOf};
use crate::sdk::schema::Validator as _;
use crate::sdk::typed::{decode, encode};
use crate::sdk::{
    Attribute, AttributePath, Block, DataSource, Diagnostics, Nesting, PlanRequest, PlanResponse,
    Resource, Schema, StateResponse, StopSignal, TfValue, Value,
};
use crate::verify::ecs::EcsExpectation;
use crate::verify::rollout::Counts;
use crate::verify::{
    judge, Expectation, Facts, Imds, Launched, Promise, Runtime, UserData, Verdict, VolumeSpec,
    DEFAULT_REQUIRED_CHECKS,
};

const STATES: &[&str] = &[
    "pending",
    "running",
    "shutting-down",
    "terminated",
    "stopping",
    "stopped",
];

/// Data source or resource: they differ in defaults and plan behaviour.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    DataSource,
    Resource,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct RuntimeModel {
    reported: bool,
    ok: TfValue<bool>,
    summary: String,
    checks: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct InstanceModel {
    id: String,
    state: String,
    launch_template_id: TfValue<String>,
    launch_template_version: TfValue<String>,
    user_data_sha256: TfValue<String>,
    user_data_matches: TfValue<bool>,
    metadata_options_ok: bool,
    http_tokens: TfValue<String>,
    http_put_response_hop_limit: TfValue<i64>,
    runtime: RuntimeModel,
    ok: bool,
    problems: Vec<String>,
    #[serde(flatten)]
    fleet: fleet::InstanceFleetModel,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Model {
    launch_template_id: TfValue<String>,
    instance_ids: TfValue<Vec<String>>,
    expected_user_data_sha256: TfValue<String>,
    expected_version: TfValue<i64>,
    require_runtime_report: TfValue<bool>,
    required_checks: TfValue<Vec<String>>,
    states: TfValue<Vec<String>>,
    user_data_source: TfValue<String>,
    timeout: TfValue<String>,
    poll_interval: TfValue<String>,
    concurrency: TfValue<i64>,
    instances: TfValue<Vec<InstanceModel>>,
    all_ok: TfValue<bool>,
    instance_count: TfValue<i64>,
    ok_count: TfValue<i64>,
    reporting_count: TfValue<i64>,
    api_calls: TfValue<BTreeMap<String, i64>>,
    /// resource only
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<TfValue<String>>,
    /// resource only
    #[serde(default, skip_serializing_if = "Option::is_none")]
    triggers: Option<TfValue<BTreeMap<String, String>>>,
    #[serde(flatten)]
    fleet: fleet::FleetModel,
}

fn schema(kind: Kind) -> Schema {
    let s = Attribute::string;
    let input = |a: Attribute| {
        if kind == Kind::Resource {
            a.requires_replace()
        } else {
            a
        }
    };
    let (timeout, timeout_why) = match kind {
        Kind::DataSource => (
            "0s",
            "one look, no waiting: the data source is read on every plan",
        ),
        Kind::Resource => (
            "10m",
            "hosts need a few minutes to boot and print the report",
        ),
    };
    let runtime = Attribute::nested(
        "runtime",
        Nesting::Single,
        vec![
            Attribute::bool("reported").computed().description("A self-check report was found on the console."),
            Attribute::bool("ok").computed().description("The report's verdict (no check failed); null without a report."),
            s("summary").computed().description("`pass`, `pass with warnings: …`, `fail: <checks>`, `no report yet`, `unusable report: …` or `not read (instance not running)`."),
            Attribute::string_map("checks").computed().description(&format!("Check name → `pass`, `fail`, `warn` or `skip` ({}).", CHECKS.join(", "))),
        ],
    )
    .computed()
    .description("The last self-check report on the instance's console output.");
    let instance: Vec<Attribute> = vec![
        s("id").computed().description("Instance ID."),
        s("state").computed().description("Instance state."),
        s("launch_template_id").computed().description("From the `aws:ec2launchtemplate:id` tag EC2 puts on the instance."),
        s("launch_template_version").computed().description("From the `aws:ec2launchtemplate:version` tag."),
        s("user_data_sha256").computed().description("Hex SHA-256 of the user data compared (the instance's own, or the template version's with `user_data_source = \"template\"`)."),
        Attribute::bool("user_data_matches").computed().description("The user data hash equals `expected_user_data_sha256`; null when none is expected."),
        Attribute::bool("metadata_options_ok").computed().description("IMDSv2 tokens required, endpoint enabled, hop limit as the template renders (2 by default)."),
        s("http_tokens").computed().description("The instance's metadata `http_tokens`."),
        Attribute::number("http_put_response_hop_limit").computed().description("The instance's metadata hop limit."),
        runtime,
        Attribute::bool("ok").computed().description("No problems."),
        Attribute::string_list("problems").computed().description("Human-readable reasons this instance does not match."),
    ]
    .into_iter()
    .chain(fleet::instance_attributes())
    .collect();
    let mut attrs = vec![
        input(s("launch_template_id").optional().description(
            "Verify the instances launched from this template (found by the `aws:ec2launchtemplate:id` tag EC2 puts on them, in `states`). Instances of `instance_ids` must then come from it too.",
        )),
        input(Attribute::string_list("instance_ids").optional().description(
            "Verify these instances (any state; a state outside `states` is a problem). At least one of `launch_template_id` and `instance_ids` is required.",
        )),
        input(s("expected_user_data_sha256").optional().description(
            "Hex SHA-256 of the decoded user data instances must run, normally `ecshost_launch_template.x.user_data_sha256`.",
        )),
        input(Attribute::number("expected_version").optional().validator(IntBetween(1, i64::from(i32::MAX))).description(
            "Launch template version instances must come from (their `aws:ec2launchtemplate:version` tag), e.g. `ecshost_launch_template.x.latest_version`.",
        )),
        input(Attribute::bool("require_runtime_report").default(true).description(
            "An instance without a self-check report on its console is a problem. A failing report is always a problem. Defaults to `true`.",
        )),
        input(Attribute::string_list("required_checks").default(Value::List(
            DEFAULT_REQUIRED_CHECKS.iter().map(|c| Value::from(*c)).collect(),
        )).description(&format!(
            "Self-check checks that must report `pass`: a required check at `skip` or `warn` proved nothing, and is a problem naming the check and the script's reason (a `fail` is always a problem). \
             Defaults to `[{}]`; the checks are described in the self-check report guide. Use `[]` to accept whatever did not fail.",
            DEFAULT_REQUIRED_CHECKS.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ")
        ))),
        input(Attribute::string_list("states").default(Value::List(vec![Value::from("running")])).description(
            "Instance states to look for and to accept. Defaults to `[\"running\"]`.",
        )),
        input(s("user_data_source").default("instance").validator(OneOf(&["instance", "template"])).description(
            "`instance` (default) reads and hashes each deep-checked instance's own user data (one DescribeInstanceAttribute per instance): correct even when RunInstances overrode the template's user data; instances outside a `sample_size` sample are judged by their version's user data. \
             `template` trusts the launch-template tags and hashes the tagged template version's user data (one call per version): cheap for very large fleets, but **cannot see overrides**.",
        )),
        input(s("timeout").default(timeout).validator(IsDuration).description(&format!(
            "How long to wait, e.g. `5m`: for self-check reports of running deep-checked instances (with `require_runtime_report`), for instances pending ECS registration, and, on the gate with rollout conditions, for them to hold. Defaults to `{timeout}` ({timeout_why})."
        ))),
        input(s("poll_interval").default("15s").validator(IsDuration).description(
            "Pause between looks while waiting. Each look lists the fleet again (its page-priced calls) and reads the consoles still without a report. At least `1s`. Defaults to `15s`.",
        )),
        input(Attribute::number("concurrency").default(8i64).validator(IntBetween(1, 64)).description(
            "Per-instance calls (DescribeInstanceAttribute, GetConsoleOutput) and DescribeContainerInstances batches in flight at once; each is retried under the provider's retry policy. Defaults to `8`.",
        )),
    ];
    attrs.extend(fleet::attributes(kind, &input));
    attrs.extend([
        Attribute::nested("instances", Nesting::List, instance).computed().description("One entry per instance, sorted by ID."),
        Attribute::bool("all_ok").computed().description("Every instance is ok (true for an empty fleet: check `instance_count` too)."),
        Attribute::number("instance_count").computed().description("Instances verified."),
        Attribute::number("ok_count").computed().description("Instances without problems."),
        Attribute::number("reporting_count").computed().description("Instances with a usable self-check report."),
        Attribute::new("api_calls", crate::sdk::Type::map(crate::sdk::Type::Number)).computed().description(
            "EC2 and ECS calls this verification made, by action, over all its looks (retries not counted).",
        ),
    ]);
    let description = match kind {
        Kind::DataSource => "Verifies that instances launched from a launch template really run the applied configuration and serve their ECS cluster: their own user data and its design (the analysis `ecshost_launch_template` runs at plan: an agent on a bridge network needs the credentials address on `lo`, the metadata guard and hop limit 2, whatever hop limit its template sets), their metadata options, what their template version promises, the boot-time self-check report on their console and (with `ecs_cluster`) their ECS container instance. \
                             Every instance gets the checks DescribeInstances and ECS answer in pages; the per-instance ones run for all or for a sample (`sample_size`). \
                             Problems are reported in attributes, not as errors: use it in a `check` block (failed assertions are warnings) or in `precondition`s.",
        Kind::Resource => "Verifies instances like the `ecshost_instance_verification` data source, but **fails the apply**: with one error per failing instance, or, as a rollout gate (`min_healthy`, `min_healthy_percent`, `max_old_versions`), when the instances of `expected_version` are not healthy enough or old versions still serve after `timeout`, with the fleet's table. For pipelines that must gate on the fleet. \
                           Verification runs on create; any input change (or a change of `triggers`) replaces it and verifies again. Nothing is created in AWS.",
    };
    if kind == Kind::Resource {
        attrs.push(
            s("id")
                .computed()
                .use_state_for_unknown()
                .description("An identifier of this verification run."),
        );
        attrs.push(
            Attribute::string_map("triggers")
                .optional()
                .requires_replace()
                .description("Arbitrary values; changing any re-runs the verification (e.g. a deployment ID)."),
        );
    }
    Schema::new(Block::new(attrs).description(description))
}

fn validate(config: &Value, diags: &mut Diagnostics) {
    let lt = config.attr("launch_template_id");
    let ids = config.attr("instance_ids");
    if lt.is_null() && ids.is_null() {
        diags.attribute_error(
            AttributePath::root("launch_template_id"),
            "Missing Instances to Verify",
            "Set launch_template_id (instances launched from it), instance_ids, or both.",
        );
    }
    if let Some(s) = lt.as_str() {
        if !s.starts_with("lt-") {
            diags.attribute_error(
                AttributePath::root("launch_template_id"),
                "Invalid Launch Template ID",
                format!("launch_template_id must be a template ID like lt-0123456789abcdef0 (use ecshost_launch_template.x.id); got {s:?}."),
            );
        }
    }
    if let Value::List(items) = ids {
        for (i, v) in items.iter().enumerate() {
            if let Some(s) = v.as_str() {
                if !s.starts_with("i-") {
                    diags.attribute_error(
                        AttributePath::root("instance_ids").index(i),
                        "Invalid Instance ID",
                        format!("Instance IDs look like i-0123456789abcdef0; got {s:?}."),
                    );
                }
            }
        }
    }
    if let Some(s) = config.attr("expected_user_data_sha256").as_str() {
        if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            diags.attribute_error(
                AttributePath::root("expected_user_data_sha256"),
                "Invalid SHA-256",
                "expected_user_data_sha256 must be 64 hex digits, e.g. ecshost_launch_template.x.user_data_sha256 or data.ecshost_user_data.x.sha256.",
            );
        }
    }
    if let Value::List(items) = config.attr("required_checks") {
        for (i, v) in items.iter().enumerate() {
            OneOf(&CHECKS).validate(v, &AttributePath::root("required_checks").index(i), diags);
        }
    }
    if let Value::List(items) = config.attr("states") {
        for (i, v) in items.iter().enumerate() {
            OneOf(STATES).validate(v, &AttributePath::root("states").index(i), diags);
        }
    }
    fleet::validate(config, diags);
    if let Some(s) = config.attr("poll_interval").as_str() {
        if duration::parse(s).is_ok_and(|d| d < Duration::from_secs(1)) {
            diags.attribute_error(
                AttributePath::root("poll_interval"),
                "Poll Interval Too Short",
                "poll_interval must be at least 1s: GetConsoleOutput is throttled per account.",
            );
        }
    }
}

/// What one verification found.
struct Outcome {
    instances: Vec<InstanceModel>,
    api_calls: BTreeMap<String, i64>,
    /// the seed the sample was drawn with
    seed: String,
    /// rollout counts (with `expected_version`)
    counts: Option<Counts>,
    /// why the rollout is not done (gate conditions set); empty: done
    shortfalls: Vec<String>,
    /// instances of the expected version that cannot become healthy by
    /// waiting (gate conditions set, not done): the wait ended on them
    finals: Vec<String>,
    /// how long it waited for, and how many looks it took
    waited: Duration,
    looks: u32,
}

/// Everything a verification's arguments ask for, read once.
struct Settings {
    query: InstanceQuery,
    exp: Expectation,
    concurrency: usize,
    from_template: bool,
    timeout: Duration,
    poll: Duration,
    fleet: fleet::FleetSettings,
}

/// What the judgement expects, from the arguments.
fn expectation(m: &Model, ecs: Option<EcsExpectation>) -> Expectation {
    Expectation {
        launch_template_id: m.launch_template_id.known().cloned(),
        version: m.expected_version.known().map(i64::to_string),
        user_data_sha256: m.expected_user_data_sha256.known().cloned(),
        states: m.states.known().cloned().unwrap_or_default(),
        require_runtime_report: m.require_runtime_report.known().copied().unwrap_or(true),
        required_checks: m.required_checks.known().cloned().unwrap_or_default(),
        ecs,
    }
}

/// The arguments the default `sample_seed` is made of: which fleet is
/// verified, how, and (the resource) its `triggers`.
const SEED_OF: &[&str] = &[
    "launch_template_id",
    "instance_ids",
    "expected_version",
    "expected_user_data_sha256",
    "ecs_cluster",
    "sample_size",
    "triggers",
];

/// `v` with `sample_seed` filled in when it is not set: derived from
/// [`SEED_OF`], so the resource's plan and its apply (and the data
/// source's reads at plan and at apply time) draw the same sample, and a
/// gate replaced with new `triggers` draws a new one. Left unknown while
/// any of those arguments is.
fn with_default_seed(v: &Value) -> Value {
    let mut out = v.clone();
    let parts: Option<Vec<String>> = SEED_OF
        .iter()
        .map(|a| {
            let x = v.attr(a);
            x.is_fully_known().then(|| x.to_json().to_string())
        })
        .collect();
    if let Some(seed) = out.attr_mut("sample_seed") {
        if seed.is_null() || seed.is_unknown() {
            *seed = match parts {
                Some(p) => {
                    let refs: Vec<&str> = p.iter().map(String::as_str).collect();
                    Value::from(crate::verify::sample::seed_from(&refs))
                }
                None => Value::Unknown,
            };
        }
    }
    out
}

fn settings(m: &Model) -> Settings {
    // Reads and creates fill the seed in first (`with_default_seed`).
    let fleet = m.fleet.settings(String::new);
    let exp = expectation(m, fleet.ecs.clone());
    Settings {
        query: InstanceQuery {
            launch_template_id: m.launch_template_id.known().cloned(),
            states: exp.states.clone(),
            instance_ids: m.instance_ids.known().cloned().unwrap_or_default(),
        },
        concurrency: usize::try_from(m.concurrency.known().copied().unwrap_or(8)).unwrap_or(8),
        from_template: m.user_data_source.known().map(String::as_str) == Some("template"),
        timeout: m
            .timeout
            .known()
            .and_then(|s| duration::parse(s).ok())
            .unwrap_or_default(),
        poll: m
            .poll_interval
            .known()
            .and_then(|s| duration::parse(s).ok())
            .unwrap_or(Duration::from_secs(15)),
        exp,
        fleet,
    }
}

/// What later looks of one verification reuse: template versions, and
/// per instance what cannot change while it runs (its own user data, a
/// complete console report).
#[derive(Default)]
struct Memo {
    versions: BTreeMap<(String, String), Option<LaunchTemplateData>>,
    /// the design analysis of each version's user data
    version_designs: BTreeMap<(String, String), Option<Analysis>>,
    /// an instance's own user data: its hash and its design analysis
    user_data: HashMap<String, (UserData, Option<Analysis>)>,
    reports: HashMap<String, Runtime>,
}

/// The (template, version) an instance was launched from, by its tags.
fn version_key(i: &Instance) -> Option<(String, String)> {
    Some((
        i.launch_template_id.clone()?,
        i.launch_template_version.clone()?,
    ))
}

/// One look at the fleet: list it (DescribeInstances pages, and the ECS
/// cluster's pages at the same time), read the versions, the deep checks
/// of the sample and the volumes, and judge every instance.
async fn look(
    ec2: &Ec2,
    ecs: Option<&Ecs>,
    s: &Settings,
    memo: &mut Memo,
) -> Result<(Vec<(Facts, Verdict)>, BTreeSet<String>), Diagnostics> {
    let members = async {
        match (ecs, &s.exp.ecs) {
            (Some(ecs), Some(e)) => ecs
                .cluster_members(&e.cluster, None, s.concurrency)
                .await
                .map(Some),
            _ => Ok(None),
        }
    };
    let (found, members) = tokio::join!(ec2.find_instances(&s.query), members);
    let found = found.map_err(|e| {
        aws_errors::error_on_missing("Unable to List Instances", &e, "instance_ids")
    })?;
    let members = members.map_err(|e| {
        let mut d = Diagnostics::new();
        if e.is_cluster_not_found() {
            d.attribute_error(
                AttributePath::root("ecs_cluster"),
                "ECS Cluster Not Found",
                format!(
                    "{}. ecs_cluster must name a cluster of this account and Region (the cluster the user data renders).",
                    aws_errors::chain(&e)
                ),
            );
        } else {
            d.extend(aws_errors::error("Unable to List ECS Container Instances", &e));
        }
        d
    })?;

    // One DescribeLaunchTemplateVersions per distinct (template, version).
    for i in &found {
        if let (Some(t), Some(v)) = (&i.launch_template_id, &i.launch_template_version) {
            let key = (t.clone(), v.clone());
            if memo.versions.contains_key(&key) {
                continue;
            }
            let data = match v.parse::<i64>() {
                Err(_) => None,
                Ok(n) => match ec2.template_version(t, n).await {
                    Ok(v) => Some(v.data),
                    // The template or version is gone: the instance is judged without it.
                    Err(e) if e.is_not_found() => None,
                    Err(e) => {
                        return Err(aws_errors::error(
                            "Unable to Read Launch Template Version",
                            &e,
                        ))
                    }
                },
            };
            memo.version_designs.insert(
                key.clone(),
                data.as_ref()
                    .and_then(LaunchTemplateData::user_data)
                    .map(analyse_base64),
            );
            memo.versions.insert(key, data);
        }
    }
    let versions = &memo.versions;
    let version_of =
        |i: &Instance| -> Option<&LaunchTemplateData> { versions.get(&version_key(i)?)?.as_ref() };
    let template_user_data = |i: &Instance| {
        version_of(i)
            .and_then(|d| d.user_data())
            .and_then(user_data_sha256)
    };

    let deep = fleet::sample(&found, &s.fleet);

    // The deep checks: own user data (unless `template` mode) and console.
    if !s.from_template {
        let to_read: Vec<String> = found
            .iter()
            .filter(|i| deep.contains(&i.id) && !memo.user_data.contains_key(&i.id))
            .map(|i| i.id.clone())
            .collect();
        let read = ec2
            .for_each_instance(&to_read, s.concurrency, |ec2, id| {
                ec2.instance_user_data(id)
            })
            .await
            .map_err(|e| aws_errors::error("Unable to Read Instance User Data", &e))?;
        for (id, ud) in to_read.into_iter().zip(read) {
            let design = ud.as_deref().map(analyse_base64);
            // Base64 that does not decode cannot match any hash; hash its
            // text so the problem still shows a value.
            let h = ud.map(|b| {
                user_data_sha256(&b).unwrap_or_else(|| {
                    use sha2::Digest as _;
                    sha2::Sha256::digest(b.as_bytes())
                        .iter()
                        .map(|x| format!("{x:02x}"))
                        .collect()
                })
            });
            memo.user_data.insert(id, (UserData::Instance(h), design));
        }
    }
    let consoles: Vec<String> = found
        .iter()
        .filter(|i| {
            i.state == "running" && deep.contains(&i.id) && !memo.reports.contains_key(&i.id)
        })
        .map(|i| i.id.clone())
        .collect();
    let texts = ec2
        .for_each_instance(&consoles, s.concurrency, |ec2, id| ec2.console_output(id))
        .await
        .map_err(|e| aws_errors::error("Unable to Read Console Output", &e))?;
    let mut fresh: HashMap<String, Runtime> = HashMap::new();
    for (id, text) in consoles.into_iter().zip(texts) {
        let r = match text.as_deref().and_then(find_report) {
            None => Runtime::Missing,
            Some(Ok(rep)) => Runtime::Reported(rep),
            Some(Err(e)) => Runtime::Unusable(e),
        };
        // A truncated report is read again: the host may be writing it.
        if matches!(
            r,
            Runtime::Missing | Runtime::Unusable(ReportError::Truncated)
        ) {
            fresh.insert(id, r);
        } else {
            memo.reports.insert(id, r);
        }
    }

    let mut ecs_facts = match (ecs, &s.exp.ecs, members) {
        (Some(ecs), Some(e), Some(members)) => {
            fleet::ecs_facts(
                ecs,
                e,
                &found,
                members,
                s.concurrency,
                std::time::SystemTime::now(),
            )
            .await?
        }
        _ => HashMap::new(),
    };

    // Volumes are read only when some version promises a size, type or
    // encryption, and only for running instances.
    let running: Vec<String> = found
        .iter()
        .filter(|i| i.state == "running")
        .map(|i| i.id.clone())
        .collect();
    let promises: BTreeMap<&str, Promise> = found
        .iter()
        .filter_map(|i| Some((i.id.as_str(), promise_of(version_of(i)?))))
        .collect();
    let volumes: Option<BTreeMap<String, Vec<VolumeSpec>>> =
        if promises.values().any(|p| !p.volumes.is_empty()) {
            let mut by_instance: BTreeMap<String, Vec<VolumeSpec>> =
                running.iter().map(|id| (id.clone(), Vec::new())).collect();
            let attached = ec2
                .attached_volumes(&running)
                .await
                .map_err(|e| aws_errors::error("Unable to Read Volumes", &e))?;
            for v in attached {
                by_instance
                    .entry(v.instance_id)
                    .or_default()
                    .push(VolumeSpec {
                        device_name: v.device_name,
                        size_gib: v.size_gib,
                        volume_type: v.volume_type,
                        encrypted: v.encrypted,
                    });
            }
            Some(by_instance)
        } else {
            None
        };

    let mut judged = Vec::with_capacity(found.len());
    for i in &found {
        let is_deep = deep.contains(&i.id);
        let (user_data, design) = match memo.user_data.get(&i.id) {
            Some(ud) if is_deep => ud.clone(),
            _ => (
                UserData::Template(template_user_data(i)),
                version_key(i).and_then(|k| memo.version_designs.get(&k)?.clone()),
            ),
        };
        let runtime = if i.state != "running" {
            Runtime::NotRead
        } else if !is_deep {
            Runtime::NotSampled
        } else {
            memo.reports
                .get(&i.id)
                .cloned()
                .or_else(|| fresh.remove(&i.id))
                .unwrap_or(Runtime::Missing)
        };
        let facts = Facts {
            id: i.id.clone(),
            state: i.state.clone(),
            launch_template_id: i.launch_template_id.clone(),
            launch_template_version: i.launch_template_version.clone(),
            imds: i.metadata.as_ref().map(|md| Imds {
                http_tokens: md.http_tokens.clone(),
                hop_limit: md.http_put_response_hop_limit,
                http_endpoint: md.http_endpoint.clone(),
            }),
            template_hop_limit: version_of(i).and_then(LaunchTemplateData::hop_limit),
            design,
            user_data_sha256: user_data,
            runtime,
            launched: Launched {
                image_id: i.image_id.clone(),
                instance_type: i.instance_type.clone(),
                key_name: i.key_name.clone(),
                instance_profile_arn: i.instance_profile_arn.clone(),
                security_group_ids: i.security_group_ids.clone(),
                tags: i.tags.clone(),
                volumes: volumes.as_ref().and_then(|v| v.get(&i.id).cloned()),
            },
            promise: promises.get(i.id.as_str()).cloned(),
            ecs: ecs_facts.remove(&i.id),
        };
        let verdict = judge(&s.exp, &facts);
        judged.push((facts, verdict));
    }
    Ok((judged, deep))
}

/// True while waiting could still change the verdict of a plain
/// verification (no rollout conditions): a deep-checked running instance
/// without a (complete) report when reports are required, or anything
/// pending.
fn still_waiting(s: &Settings, judged: &[(Facts, Verdict)]) -> bool {
    judged.iter().any(|(f, v)| {
        !v.pending.is_empty()
            || (s.exp.require_runtime_report
                && matches!(
                    f.runtime,
                    Runtime::Missing | Runtime::Unusable(ReportError::Truncated)
                ))
    })
}

/// The whole verification: looks at the fleet until nothing it waits for
/// is missing (a plain verification) or the rollout conditions hold (the
/// gate's), or `timeout` passes; one look when the timeout is `0s`.
async fn verify(state: &ProviderState, m: &Model) -> Result<Outcome, Diagnostics> {
    let started = Instant::now();
    let s = settings(m);
    // Own counters: data sources of one plan are read concurrently.
    let ec2 = state.ec2().await?.with_fresh_counters();
    // No ECS client (and no ECS call) without ecs_cluster.
    let ecs = match &s.exp.ecs {
        Some(_) => Some(state.ecs().await.with_fresh_counters()),
        None => None,
    };
    let deadline = started + s.timeout;
    let mut memo = Memo::default();
    let mut looks = 0u32;
    let (judged, deep, counts, shortfalls, finals) = loop {
        let (judged, deep) = look(&ec2, ecs.as_ref(), &s, &mut memo).await?;
        looks += 1;
        let counts = s
            .exp
            .version
            .as_deref()
            .map(|v| fleet::counts(&judged, s.query.launch_template_id.as_deref(), v));
        let shortfalls = match (&counts, &s.exp.version) {
            (Some(c), Some(v)) if s.fleet.goal.is_set() => {
                crate::verify::rollout::shortfalls(&s.fleet.goal, c, v)
            }
            _ => Vec::new(),
        };
        let done = if s.fleet.goal.is_set() {
            shortfalls.is_empty()
        } else {
            !still_waiting(&s, &judged)
        };
        // A rollout that is not done, with an instance of the expected
        // version that waiting cannot make healthy: fail now.
        let finals: Vec<String> = match &s.exp.version {
            Some(v) if !done && s.fleet.goal.is_set() => {
                fleet::final_failures(&judged, s.query.launch_template_id.as_deref(), v)
            }
            _ => Vec::new(),
        };
        if done || !finals.is_empty() || Instant::now() + s.poll > deadline {
            break (judged, deep, counts, shortfalls, finals);
        }
        tracing::debug!(
            looks,
            waiting_for = ?shortfalls,
            "instance verification: waiting {:?} before the next look",
            s.poll
        );
        tokio::time::sleep(s.poll).await;
    };

    let instances: Vec<InstanceModel> = judged
        .iter()
        .map(|(f, v)| instance_model(f, v, deep.contains(&f.id)))
        .collect();
    let mut api_calls: BTreeMap<String, i64> = BTreeMap::new();
    let ecs_calls = ecs.as_ref().map(Ecs::call_counts).unwrap_or_default();
    for (k, n) in ec2.call_counts().into_iter().chain(ecs_calls) {
        api_calls.insert(k.to_owned(), i64::try_from(n).unwrap_or(i64::MAX));
    }
    tracing::debug!(
        instances = instances.len(),
        deep_checked = deep.len(),
        looks,
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        api_calls = ?api_calls,
        "instance verification: EC2 and ECS calls by operation"
    );
    Ok(Outcome {
        instances,
        api_calls,
        seed: s.fleet.seed.clone(),
        counts,
        shortfalls,
        finals,
        waited: started.elapsed(),
        looks,
    })
}

fn instance_model(f: &Facts, v: &crate::verify::Verdict, deep: bool) -> InstanceModel {
    let opt = |s: &Option<String>| s.clone().map_or(TfValue::Null, TfValue::Known);
    let (reported, ok, checks) = match &f.runtime {
        Runtime::Reported(r) => (
            true,
            TfValue::Known(r.ok),
            r.checks
                .iter()
                .map(|(k, s)| (k.clone(), s.as_str().to_owned()))
                .collect(),
        ),
        _ => (false, TfValue::Null, BTreeMap::new()),
    };
    InstanceModel {
        id: f.id.clone(),
        state: f.state.clone(),
        launch_template_id: opt(&f.launch_template_id),
        launch_template_version: opt(&f.launch_template_version),
        user_data_sha256: match &f.user_data_sha256 {
            UserData::Instance(h) | UserData::Template(h) => opt(h),
        },
        user_data_matches: v.user_data_matches.map_or(TfValue::Null, TfValue::Known),
        metadata_options_ok: v.metadata_options_ok,
        http_tokens: f
            .imds
            .as_ref()
            .map_or(TfValue::Null, |m| TfValue::Known(m.http_tokens.clone())),
        http_put_response_hop_limit: f
            .imds
            .as_ref()
            .map_or(TfValue::Null, |m| TfValue::Known(m.hop_limit)),
        runtime: RuntimeModel {
            reported,
            ok,
            summary: v.runtime_summary.clone(),
            checks,
        },
        ok: v.ok,
        problems: v.problems.clone(),
        fleet: fleet::instance_fleet(f, v, deep),
    }
}

/// Runs [`verify`] unless Terraform asks the provider to stop first.
async fn verify_or_stop(
    state: &ProviderState,
    m: &Model,
    stop: &StopSignal,
) -> Result<Outcome, Diagnostics> {
    tokio::select! {
        r = verify(state, m) => r,
        () = stop.stopped() => Err(Diagnostics::from_error(
            "Verification Interrupted",
            "Terraform asked the provider to stop (Ctrl-C) while instances were being verified; nothing was changed.",
        )),
    }
}

fn fill(m: &mut Model, o: Outcome) {
    let count = |f: &dyn Fn(&InstanceModel) -> bool| {
        TfValue::Known(i64::try_from(o.instances.iter().filter(|i| f(i)).count()).unwrap_or(0))
    };
    m.instance_count = count(&|_| true);
    m.ok_count = count(&|i| i.ok);
    m.reporting_count = count(&|i| i.runtime.reported);
    m.all_ok = TfValue::Known(o.instances.iter().all(|i| i.ok));
    m.api_calls = TfValue::Known(o.api_calls);
    let deep: Vec<String> = o
        .instances
        .iter()
        .filter(|i| i.fleet.deep_checked)
        .map(|i| i.id.clone())
        .collect();
    let f = &mut m.fleet;
    f.deep_checked_count = TfValue::Known(i64::try_from(deep.len()).unwrap_or(0));
    f.deep_checked_ids = TfValue::Known(deep);
    f.sample_seed = TfValue::Known(o.seed);
    f.healthy_count = count(&|i| i.fleet.healthy);
    let known = |n: u64| TfValue::Known(i64::try_from(n).unwrap_or(i64::MAX));
    f.expected_version_count = o.counts.map_or(TfValue::Null, |c| known(c.launched));
    f.old_version_count = o.counts.map_or(TfValue::Null, |c| known(c.old_serving));
    f.summary_table = TfValue::Known(fleet::summary_table(&o.instances));
    m.instances = TfValue::Known(o.instances);
}

/// The data source.
pub(crate) struct InstanceVerificationData {
    pub(crate) state: Arc<ProviderState>,
}

#[async_trait]
impl DataSource for InstanceVerificationData {
    fn type_name(&self) -> String {
        "ecshost_instance_verification".into()
    }

    fn schema(&self) -> Schema {
        schema(Kind::DataSource)
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    async fn read(&self, config: &Value, stop: &StopSignal) -> StateResponse {
        let mut m: Model = match decode(&with_default_seed(config)) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        match verify_or_stop(&self.state, &m, stop).await {
            Err(d) => StateResponse::from_diags(d),
            Ok(o) => {
                fill(&mut m, o);
                match encode(&m, &self.schema().value_type()) {
                    Ok(v) => StateResponse {
                        state: Some(v),
                        ..Default::default()
                    },
                    Err(d) => StateResponse::from_diags(d),
                }
            }
        }
    }
}

/// Why the gate fails the apply. Plain: one error per instance that has
/// problems or is still pending. With rollout conditions: one error when
/// they do not hold, with the fleet's table.
fn gate_errors(m: &Model, o: &Outcome) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if m.fleet.settings(String::new).goal.is_set() {
        if !o.finals.is_empty() {
            diags.error(
                "Rollout Failed",
                format!(
                    "{}. Waiting cannot make {} healthy, so the gate stopped after {} ({} look{}) instead of waiting out timeout: {}. Roll back to the last good version (point what launches instances at it), or fix the version and apply again. The fleet:\n\n{}",
                    o.finals.join("; "),
                    if o.finals.len() == 1 { "this instance" } else { "these instances" },
                    crate::verify::ecs::human(o.waited),
                    o.looks,
                    if o.looks == 1 { "" } else { "s" },
                    o.shortfalls.join("; "),
                    fleet::summary_table(&o.instances)
                ),
            );
            return diags;
        }
        if !o.shortfalls.is_empty() {
            diags.error(
                "Rollout Not Complete",
                format!(
                    "{}. Waited {} ({} look{}, every poll_interval). The fleet:\n\n{}",
                    o.shortfalls.join("; "),
                    crate::verify::ecs::human(o.waited),
                    o.looks,
                    if o.looks == 1 { "" } else { "s" },
                    fleet::summary_table(&o.instances)
                ),
            );
        }
        return diags;
    }
    for i in o.instances.iter().filter(|i| !i.fleet.healthy) {
        let mut why = i.problems.clone();
        why.extend(i.fleet.pending.iter().map(|p| format!("pending: {p}")));
        diags.error(
            format!("Instance {} Fails Verification", i.id),
            format!("{}.", why.join("; ")),
        );
    }
    diags
}

/// The gating resource.
pub(crate) struct InstanceVerificationGate {
    pub(crate) state: Arc<ProviderState>,
}

#[async_trait]
impl Resource for InstanceVerificationGate {
    fn type_name(&self) -> String {
        "ecshost_instance_verification".into()
    }

    fn schema(&self) -> Schema {
        schema(Kind::Resource)
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        validate(config, diags);
    }

    /// The sample's seed is in the plan whenever the arguments it is made
    /// of are known, so the plan says which instances the apply deep-checks.
    async fn modify_plan(&self, _req: PlanRequest<'_>, planned: &mut Value) -> PlanResponse {
        *planned = with_default_seed(planned);
        PlanResponse::default()
    }

    async fn create(&self, _config: &Value, planned: &Value, stop: &StopSignal) -> StateResponse {
        let mut m: Model = match decode(&with_default_seed(planned)) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        let o = match verify_or_stop(&self.state, &m, stop).await {
            Ok(o) => o,
            Err(d) => return StateResponse::from_diags(d),
        };
        let diags = gate_errors(&m, &o);
        if diags.has_error() {
            // Nothing exists in AWS for this resource: no state, so the next
            // apply verifies again.
            return StateResponse::from_diags(diags);
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        m.id = Some(TfValue::Known(format!("verification-{stamp:x}")));
        fill(&mut m, o);
        match encode(&m, &self.schema().value_type()) {
            Ok(v) => StateResponse {
                state: Some(v),
                diags,
                ..Default::default()
            },
            Err(d) => StateResponse::from_diags(d),
        }
    }

    /// The verification is a record of a past run: nothing to refresh.
    async fn read(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> StateResponse {
        StateResponse {
            state: Some(state.clone()),
            private: private.to_vec(),
            diags: Diagnostics::new(),
        }
    }

    /// Every input replaces, so only unchanged plans reach here.
    async fn update(
        &self,
        prior: &Value,
        _config: &Value,
        _planned: &Value,
        private: &[u8],
        _stop: &StopSignal,
    ) -> StateResponse {
        StateResponse {
            state: Some(prior.clone()),
            private: private.to_vec(),
            diags: Diagnostics::new(),
        }
    }

    async fn delete(&self, _state: &Value, _private: &[u8], _stop: &StopSignal) -> Diagnostics {
        Diagnostics::new()
    }
}

/// What a launch template version promises that EC2 shows on an instance
/// (see [`crate::verify`]): read from its data by EC2 API names.
fn promise_of(d: &LaunchTemplateData) -> Promise {
    let text = |path: &[&str]| {
        d.at(path)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut groups = strings(d.get("SecurityGroupIds"));
    if let Some(nis) = d
        .get("NetworkInterfaces")
        .and_then(serde_json::Value::as_array)
    {
        for ni in nis {
            groups.extend(strings(ni.get("Groups")));
        }
    }
    let instance_tags = d
        .get("TagSpecifications")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|s| s.get("ResourceType").and_then(serde_json::Value::as_str) == Some("instance"))
        .flat_map(|s| {
            s.get("Tags")
                .and_then(serde_json::Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|t| {
            Some((
                t.get("Key")?.as_str()?.to_owned(),
                t.get("Value")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    let volumes = d
        .get("BlockDeviceMappings")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let ebs = m.get("Ebs")?;
            let v = VolumeSpec {
                device_name: m.get("DeviceName")?.as_str()?.to_owned(),
                size_gib: ebs.get("VolumeSize").and_then(serde_json::Value::as_i64),
                volume_type: ebs
                    .get("VolumeType")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned),
                encrypted: ebs.get("Encrypted").and_then(serde_json::Value::as_bool),
            };
            (v.size_gib.is_some() || v.volume_type.is_some() || v.encrypted == Some(true))
                .then_some(v)
        })
        .collect();
    Promise {
        image_id: text(&["ImageId"]),
        instance_type: text(&["InstanceType"]),
        key_name: text(&["KeyName"]),
        instance_profile: text(&["IamInstanceProfile", "Arn"])
            .or_else(|| text(&["IamInstanceProfile", "Name"])),
        security_group_ids: groups,
        instance_tags,
        volumes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, Value)]) -> Value {
        let ty = schema(Kind::DataSource).value_type();
        let mut v = Value::from_json_bytes(b"{}", &ty).expect("empty object");
        for (k, x) in pairs {
            *v.attr_mut(k).expect("attribute exists") = x.clone();
        }
        v
    }

    fn errors(v: &Value) -> Vec<(String, String)> {
        let mut d = Diagnostics::new();
        validate(v, &mut d);
        d.iter()
            .map(|d| {
                (
                    d.attribute
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    d.summary.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn validation_points_at_the_attribute() {
        assert_eq!(
            errors(&config(&[])),
            [(
                "launch_template_id".to_owned(),
                "Missing Instances to Verify".to_owned()
            )]
        );
        assert!(errors(&config(&[("launch_template_id", "lt-1".into())])).is_empty());
        assert_eq!(
            errors(&config(&[("launch_template_id", "my-template".into())]))[0].1,
            "Invalid Launch Template ID"
        );
        assert_eq!(
            errors(&config(&[(
                "instance_ids",
                Value::List(vec!["i-1".into(), "web-1".into()])
            )])),
            [(
                "instance_ids[1]".to_owned(),
                "Invalid Instance ID".to_owned()
            )]
        );
        let e = errors(&config(&[
            ("launch_template_id", "lt-1".into()),
            ("expected_user_data_sha256", "abc".into()),
            ("states", Value::List(vec!["runing".into()])),
            ("poll_interval", "500ms".into()),
        ]));
        let attrs: Vec<&str> = e.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            attrs,
            ["expected_user_data_sha256", "states[0]", "poll_interval"]
        );
        assert_eq!(
            errors(&config(&[
                ("launch_template_id", "lt-1".into()),
                (
                    "required_checks",
                    Value::List(vec!["task_path".into(), "imds_block".into()])
                ),
            ])),
            [(
                "required_checks[1]".to_owned(),
                "Invalid Attribute Value".to_owned()
            )]
        );
    }

    #[test]
    fn rollout_conditions_need_the_expected_version_and_clusters_are_checked() {
        let ty = schema(Kind::Resource).value_type();
        let mut v = Value::from_json_bytes(b"{}", &ty).expect("empty object");
        for (k, x) in [
            ("launch_template_id", Value::from("lt-1")),
            ("min_healthy_percent", Value::from(90i64)),
            ("max_old_versions", Value::from(0i64)),
            ("ecs_cluster", Value::from("prod cluster")),
        ] {
            *v.attr_mut(k).expect("attribute exists") = x;
        }
        assert_eq!(
            errors(&v),
            [
                ("ecs_cluster".to_owned(), "Invalid ECS Cluster".to_owned()),
                (
                    "min_healthy_percent".to_owned(),
                    "Missing Expected Version".to_owned()
                ),
                (
                    "max_old_versions".to_owned(),
                    "Missing Expected Version".to_owned()
                ),
            ]
        );
        *v.attr_mut("expected_version").unwrap() = Value::Unknown;
        *v.attr_mut("ecs_cluster").unwrap() = Value::from("arn:aws:ecs:eu-west-1:1:cluster/prod");
        assert!(errors(&v).is_empty(), "{:?}", errors(&v));
        // The data source has no rollout conditions.
        assert!(schema(Kind::DataSource)
            .block
            .attribute("min_healthy")
            .is_none());
        let seed = schema(Kind::Resource);
        let a = seed.block.attribute("sample_seed").unwrap();
        assert!(a.optional && a.computed);
    }

    #[test]
    fn unknown_values_are_not_judged_at_validate_time() {
        assert!(errors(&config(&[
            ("launch_template_id", Value::Unknown),
            ("expected_user_data_sha256", Value::Unknown),
        ]))
        .is_empty());
    }

    #[test]
    fn resource_inputs_replace_and_data_source_waits_less() {
        let r = schema(Kind::Resource);
        for a in ["launch_template_id", "timeout", "triggers"] {
            let attr = r.block.attribute(a).expect(a);
            assert!(
                attr.plan_modifiers
                    .contains(&crate::sdk::PlanModifier::RequiresReplace),
                "{a}"
            );
        }
        let ds = schema(Kind::DataSource);
        assert_eq!(
            ds.block.attribute("timeout").unwrap().default,
            Some("0s".into())
        );
        assert_eq!(
            r.block.attribute("timeout").unwrap().default,
            Some("10m".into())
        );
        assert!(ds.block.attribute("triggers").is_none());
    }
}
