//! `ecshost_instance_verification`, as a data source (for `check` blocks:
//! failures become warnings) and as a resource (fails the apply, one error
//! per failing instance, for pipelines that gate on it). Both share the
//! schema and [`verify`]; the facts come from [`crate::ec2::instances`], the
//! judgement from [`crate::verify`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::config::{error_chain, ProviderState};
use crate::ec2::client::Ec2;
use crate::ec2::error::Ec2Error;
use crate::ec2::instances::{Instance, InstanceQuery};
use crate::ec2::launch_templates::user_data_sha256;
use crate::ec2::template_data::LaunchTemplateData;
use crate::render::self_check::{find_report, CheckStatus, ReportError};
use crate::sdk::duration::{self, IsDuration};
use crate::sdk::schema::validators::{IntBetween, OneOf};
use crate::sdk::schema::Validator as _;
use crate::sdk::typed::{decode, encode};
use crate::sdk::{
    Attribute, AttributePath, Block, DataSource, Diagnostics, Nesting, Resource, Schema,
    StateResponse, StopSignal, TfValue, Value,
};
use crate::verify::{
    judge, Expectation, Facts, Imds, Launched, Promise, Runtime, UserData, VolumeSpec,
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
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Model {
    launch_template_id: TfValue<String>,
    instance_ids: TfValue<Vec<String>>,
    expected_user_data_sha256: TfValue<String>,
    expected_version: TfValue<i64>,
    require_runtime_report: TfValue<bool>,
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
            Attribute::string_map("checks").computed().description("Check name → `pass`, `fail`, `warn` or `skip` (alias, endpoint, agent_network, metadata_guard, userland_proxy, task_path, imds_blocked)."),
        ],
    )
    .computed()
    .description("The last self-check report on the instance's console output.");
    let instance = vec![
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
    ];
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
        input(Attribute::string_list("states").default(Value::List(vec![Value::from("running")])).description(
            "Instance states to look for and to accept. Defaults to `[\"running\"]`.",
        )),
        input(s("user_data_source").default("instance").validator(OneOf(&["instance", "template"])).description(
            "`instance` (default) reads and hashes each instance's own user data (one DescribeInstanceAttribute per instance): correct even when RunInstances overrode the template's user data. \
             `template` trusts the launch-template tags and hashes the tagged template version's user data (one call per version): cheap for very large fleets, but **cannot see overrides**.",
        )),
        input(s("timeout").default(timeout).validator(IsDuration).description(&format!(
            "How long to wait for self-check reports of running instances, e.g. `5m` (only with `require_runtime_report`). Defaults to `{timeout}` ({timeout_why})."
        ))),
        input(s("poll_interval").default("15s").validator(IsDuration).description(
            "Pause between console reads while waiting. At least `1s`. Defaults to `15s`.",
        )),
        input(Attribute::number("concurrency").default(8i64).validator(IntBetween(1, 64)).description(
            "Per-instance calls (DescribeInstanceAttribute, GetConsoleOutput) in flight at once; each is retried under the provider's retry policy. Defaults to `8`.",
        )),
        Attribute::nested("instances", Nesting::List, instance).computed().description("One entry per instance, sorted by ID."),
        Attribute::bool("all_ok").computed().description("Every instance is ok (true for an empty fleet: check `instance_count` too)."),
        Attribute::number("instance_count").computed().description("Instances verified."),
        Attribute::number("ok_count").computed().description("Instances without problems."),
        Attribute::number("reporting_count").computed().description("Instances with a usable self-check report."),
        Attribute::new("api_calls", crate::sdk::Type::map(crate::sdk::Type::Number)).computed().description(
            "EC2 calls this verification made, by action (retries not counted).",
        ),
    ];
    let description = match kind {
        Kind::DataSource => "Verifies that instances launched from a launch template really run the applied configuration: their own user data, their metadata options and the boot-time self-check report on their console. \
                             Problems are reported in attributes, not as errors: use it in a `check` block (failed assertions are warnings) or in `precondition`s.",
        Kind::Resource => "Verifies instances like the `ecshost_instance_verification` data source, but **fails the apply** with one error per failing instance: for pipelines that must gate on the fleet. \
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
    if let Value::List(items) = config.attr("states") {
        for (i, v) in items.iter().enumerate() {
            OneOf(STATES).validate(v, &AttributePath::root("states").index(i), diags);
        }
    }
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
}

fn api_error(summary: &str, e: &Ec2Error, attribute: Option<&str>) -> Diagnostics {
    let mut d = Diagnostics::new();
    match attribute {
        Some(a) if e.is_not_found() => {
            d.attribute_error(AttributePath::root(a), summary, error_chain(e));
        }
        _ => d.error(summary, error_chain(e)),
    }
    d
}

/// Console reads until every running instance has a report (or a final
/// verdict) or the deadline passes. A truncated report is read again: the
/// host may be in the middle of writing it.
async fn read_consoles(
    ec2: &Ec2,
    running: &[String],
    concurrency: usize,
    timeout: Duration,
    poll: Duration,
) -> Result<HashMap<String, Runtime>, Ec2Error> {
    let deadline = Instant::now() + timeout;
    let mut results: HashMap<String, Runtime> = HashMap::new();
    let mut pending: Vec<String> = running.to_vec();
    loop {
        let texts = ec2
            .for_each_instance(&pending, concurrency, |ec2, id| ec2.console_output(id))
            .await?;
        let mut still = Vec::new();
        for (id, text) in pending.iter().zip(texts) {
            let r = match text.as_deref().and_then(find_report) {
                None => Runtime::Missing,
                Some(Ok(rep)) => Runtime::Reported(rep),
                Some(Err(e)) => Runtime::Unusable(e),
            };
            if matches!(
                r,
                Runtime::Missing | Runtime::Unusable(ReportError::Truncated)
            ) {
                still.push(id.clone());
            }
            results.insert(id.clone(), r);
        }
        pending = still;
        if pending.is_empty() || Instant::now() + poll > deadline {
            return Ok(results);
        }
        tokio::time::sleep(poll).await;
    }
}

/// The whole verification: list, read what the mode needs, judge.
async fn verify(state: &ProviderState, m: &Model) -> Result<Outcome, Diagnostics> {
    let started = Instant::now();
    // Own counters: data sources of one plan are read concurrently.
    let counted = state.ec2().await?.with_fresh_counters();
    let ec2 = &counted;
    let concurrency = usize::try_from(m.concurrency.known().copied().unwrap_or(8)).unwrap_or(8);
    let states = m.states.known().cloned().unwrap_or_default();
    let q = InstanceQuery {
        launch_template_id: m.launch_template_id.known().cloned(),
        states: states.clone(),
        instance_ids: m.instance_ids.known().cloned().unwrap_or_default(),
    };
    let found = ec2
        .find_instances(&q)
        .await
        .map_err(|e| api_error("Unable to List Instances", &e, Some("instance_ids")))?;

    // One DescribeLaunchTemplateVersions per distinct (template, version).
    let mut versions: BTreeMap<(String, String), Option<LaunchTemplateData>> = BTreeMap::new();
    for i in &found {
        if let (Some(t), Some(v)) = (&i.launch_template_id, &i.launch_template_version) {
            versions.entry((t.clone(), v.clone())).or_insert(None);
        }
    }
    for ((t, v), data) in versions.iter_mut() {
        let Ok(n) = v.parse::<i64>() else { continue };
        match ec2.template_version(t, n).await {
            Ok(v) => *data = Some(v.data),
            // The template or version is gone: the instance is judged without it.
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                return Err(api_error(
                    "Unable to Read Launch Template Version",
                    &e,
                    None,
                ))
            }
        }
    }
    let version_of = |i: &Instance| -> Option<&LaunchTemplateData> {
        let key = (
            i.launch_template_id.clone()?,
            i.launch_template_version.clone()?,
        );
        versions.get(&key)?.as_ref()
    };

    let ids: Vec<String> = found.iter().map(|i| i.id.clone()).collect();
    let from_template = m.user_data_source.known().map(String::as_str) == Some("template");
    let user_data: Vec<UserData> = if from_template {
        found
            .iter()
            .map(|i| {
                UserData::Template(
                    version_of(i)
                        .and_then(|d| d.user_data())
                        .and_then(user_data_sha256),
                )
            })
            .collect()
    } else {
        ec2.for_each_instance(&ids, concurrency, |ec2, id| ec2.instance_user_data(id))
            .await
            .map_err(|e| api_error("Unable to Read Instance User Data", &e, None))?
            .into_iter()
            .map(|ud| {
                // Base64 that does not decode cannot match any hash; hash its
                // text so the problem still shows a value.
                UserData::Instance(ud.map(|b| {
                    user_data_sha256(&b).unwrap_or_else(|| {
                        use sha2::Digest as _;
                        sha2::Sha256::digest(b.as_bytes())
                            .iter()
                            .map(|x| format!("{x:02x}"))
                            .collect()
                    })
                }))
            })
            .collect()
    };

    let running: Vec<String> = found
        .iter()
        .filter(|i| i.state == "running")
        .map(|i| i.id.clone())
        .collect();
    let require_report = m.require_runtime_report.known().copied().unwrap_or(true);
    // Without required reports one look is enough: waiting could only turn
    // "no report" into a report, which is not asked for.
    let timeout = if require_report {
        m.timeout
            .known()
            .and_then(|s| duration::parse(s).ok())
            .unwrap_or_default()
    } else {
        Duration::ZERO
    };
    let poll = m
        .poll_interval
        .known()
        .and_then(|s| duration::parse(s).ok())
        .unwrap_or(Duration::from_secs(15));
    let mut consoles = read_consoles(ec2, &running, concurrency, timeout, poll)
        .await
        .map_err(|e| api_error("Unable to Read Console Output", &e, None))?;

    let exp = Expectation {
        launch_template_id: q.launch_template_id.clone(),
        version: m.expected_version.known().map(i64::to_string),
        user_data_sha256: m.expected_user_data_sha256.known().cloned(),
        states,
        require_runtime_report: require_report,
    };
    // Volumes are read only when some version promises a size, type or
    // encryption, and only for running instances.
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
                .map_err(|e| api_error("Unable to Read Volumes", &e, None))?;
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
    let mut instances = Vec::with_capacity(found.len());
    for (i, ud) in found.iter().zip(user_data) {
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
            user_data_sha256: ud,
            runtime: consoles.remove(&i.id).unwrap_or(Runtime::NotRead),
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
        };
        instances.push(instance_model(&facts, &judge(&exp, &facts)));
    }

    let api_calls: BTreeMap<String, i64> = ec2
        .call_counts()
        .into_iter()
        .map(|(k, n)| (k.to_owned(), i64::try_from(n).unwrap_or(i64::MAX)))
        .collect();
    tracing::debug!(
        instances = instances.len(),
        elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        api_calls = ?api_calls,
        "instance verification: EC2 calls by operation"
    );
    Ok(Outcome {
        instances,
        api_calls,
    })
}

fn instance_model(f: &Facts, v: &crate::verify::Verdict) -> InstanceModel {
    let opt = |s: &Option<String>| s.clone().map_or(TfValue::Null, TfValue::Known);
    let (reported, ok, checks) = match &f.runtime {
        Runtime::Reported(r) => (
            true,
            TfValue::Known(r.ok),
            r.checks
                .iter()
                .map(|(k, s)| {
                    let s = match s {
                        CheckStatus::Pass => "pass",
                        CheckStatus::Fail => "fail",
                        CheckStatus::Warn => "warn",
                        CheckStatus::Skip => "skip",
                    };
                    (k.clone(), s.to_owned())
                })
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
        let mut m: Model = match decode(config) {
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

    async fn create(&self, _config: &Value, planned: &Value, stop: &StopSignal) -> StateResponse {
        let mut m: Model = match decode(planned) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        let o = match verify_or_stop(&self.state, &m, stop).await {
            Ok(o) => o,
            Err(d) => return StateResponse::from_diags(d),
        };
        let mut diags = Diagnostics::new();
        for i in o.instances.iter().filter(|i| !i.ok) {
            diags.error(
                format!("Instance {} Fails Verification", i.id),
                format!("{}.", i.problems.join("; ")),
            );
        }
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
