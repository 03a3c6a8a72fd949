//! Judging one instance against what was applied. Pure: the facts come in
//! already gathered (by the EC2 layer), the verdict goes out as plain data
//! with reasons a person can act on. No I/O, so every rule is unit-tested.
//!
//! The rules, and why:
//! - **state** must be one of the expected states: a stopped host runs no
//!   tasks, but a pipeline gating on "the fleet is configured" must see it;
//! - **template and version** come from the tags EC2 puts on instances
//!   launched from a template;
//! - **user data** is compared by SHA-256 of the decoded bytes. By default
//!   the instance's own attribute is hashed: RunInstances can override the
//!   template's user data while the template tags stay;
//! - **metadata options**: tokens required (IMDSv1 lets any process that can
//!   reach the address read role credentials), the endpoint enabled (the
//!   agent needs it) and the hop limit the template renders (2 by default:
//!   the agent sits one hop away on its bridge network);
//! - **the design of the user data** (the analysis `ecshost_launch_template`
//!   runs at plan, [`crate::analyse`], on the user data judged, whoever
//!   wrote it): an agent started on a bridge network needs the credentials
//!   address on `lo` (its port is published there), task containers kept
//!   from instance metadata, and a hop limit of at least 2 (it is one hop
//!   away) — a template that sets hop limit 1 does not make 1 right;
//! - **what the template version promises** and DescribeInstances shows
//!   (image, instance type, key pair, instance profile, security groups,
//!   the instance tags of its `tag_specifications`, and volume size, type
//!   and encryption per device from DescribeVolumes): RunInstances
//!   overrides and later changes leave the instance unlike its template;
//! - **runtime**: the last self-check report on the console: no check may
//!   fail, and each *required* check must `pass` — a `skip` or `warn` proves
//!   nothing, so it is a problem naming the check and the script's reason;
//! - **ECS membership** ([`ecs`]): a running host is an `ACTIVE`,
//!   connected container instance of the expected cluster;
//! - **credentials in instance metadata**: an agent that registered
//!   [`ecs::IMDS_IAM_ROLES`] puts every task's credentials into instance
//!   metadata, so a host whose report does not show tasks kept from it
//!   (`imds_blocked` not `pass`, or no usable report) exposes them all to
//!   any task — a problem whatever `required_checks` says.
//!
//! Around the judgement of one instance: which instances get the
//! per-instance checks ([`sample`]), whether a rollout is done
//! ([`rollout`]) and the table people read ([`table`]).

pub mod ecs;
pub mod rollout;
pub mod sample;
pub mod table;

use std::collections::BTreeMap;

use crate::self_check::{CheckStatus, Report, ReportError};

/// The hop limit this provider renders when the template does not say.
pub const DEFAULT_HOP_LIMIT: i64 = 2;

/// Self-check checks that must `pass` unless `required_checks` says
/// otherwise: the claims the design makes, that is every check of
/// [`crate::self_check::CHECKS`] except the advice
/// ([`crate::self_check::ADVISORY_CHECKS`]: `userland_proxy`).
pub const DEFAULT_REQUIRED_CHECKS: [&str;
    crate::self_check::CHECKS.len() - crate::self_check::ADVISORY_CHECKS.len()] = {
    let all = crate::self_check::CHECKS;
    let mut out = [""; crate::self_check::CHECKS.len() - crate::self_check::ADVISORY_CHECKS.len()];
    let (mut i, mut n) = (0, 0);
    while i < all.len() {
        if !crate::self_check::is_advisory(all[i]) {
            out[n] = all[i];
            n += 1;
        }
        i += 1;
    }
    out
};

/// What the applied configuration says instances should look like.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// instances must carry this template's tag
    pub launch_template_id: Option<String>,
    /// and this version (number as EC2 tags it)
    pub version: Option<String>,
    /// hex SHA-256 of the decoded user data
    pub user_data_sha256: Option<String>,
    /// acceptable states, e.g. `running`
    pub states: Vec<String>,
    /// a missing self-check report is a problem
    pub require_runtime_report: bool,
    /// ECS membership to check (`None`: ECS is not asked)
    pub ecs: Option<ecs::EcsExpectation>,
    /// self-check checks that must be `pass` in a report (a `skip`, `warn`
    /// or absent one is a problem)
    pub required_checks: Vec<String>,
}

/// Metadata service settings as EC2 reports them for the instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imds {
    /// `required` or `optional`
    pub http_tokens: String,
    /// token hop limit
    pub hop_limit: i64,
    /// `enabled` or `disabled`
    pub http_endpoint: String,
}

/// Where the user data that was hashed came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserData {
    /// the instance's own `userData` attribute (`None`: it has none)
    Instance(Option<String>),
    /// the launch template version the instance was tagged with (cheap
    /// mode: cannot see RunInstances overrides); `None`: that version has
    /// no user data or the instance carries no template tags
    Template(Option<String>),
}

/// What the console said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// not read (the instance is not running)
    NotRead,
    /// not read: the instance is not in the sample of deep-checked ones
    NotSampled,
    /// no report line (yet)
    Missing,
    /// the last report line is unusable
    Unusable(ReportError),
    /// the last report
    Reported(Report),
}

/// A volume as a template promises it or as an instance has it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    /// device name (`/dev/xvda`)
    pub device_name: String,
    /// size in GiB
    pub size_gib: Option<i64>,
    /// `gp3`, `io2`, …
    pub volume_type: Option<String>,
    /// encrypted at rest
    pub encrypted: Option<bool>,
}

/// What an instance's launch template version promises that EC2 shows on
/// the instance. `None`/empty: the version does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Promise {
    /// `ImageId`
    pub image_id: Option<String>,
    /// `InstanceType`
    pub instance_type: Option<String>,
    /// `KeyName`
    pub key_name: Option<String>,
    /// `IamInstanceProfile`: an ARN, or a name
    pub instance_profile: Option<String>,
    /// `SecurityGroupIds` and the network interfaces' `Groups`
    pub security_group_ids: Vec<String>,
    /// tags of the `instance` tag specification
    pub instance_tags: BTreeMap<String, String>,
    /// EBS volumes by device
    pub volumes: Vec<VolumeSpec>,
}

/// What DescribeInstances (and DescribeVolumes) show of an instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Launched {
    /// image
    pub image_id: Option<String>,
    /// instance type
    pub instance_type: Option<String>,
    /// key pair
    pub key_name: Option<String>,
    /// the instance profile's ARN
    pub instance_profile_arn: Option<String>,
    /// security groups of all its interfaces
    pub security_group_ids: Vec<String>,
    /// its tags
    pub tags: BTreeMap<String, String>,
    /// its EBS volumes; `None` when they were not read (nothing to judge)
    pub volumes: Option<Vec<VolumeSpec>>,
}

/// Everything known about one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// `i-…`
    pub id: String,
    /// EC2 state name
    pub state: String,
    /// from the `aws:ec2launchtemplate:id` tag
    pub launch_template_id: Option<String>,
    /// from the `aws:ec2launchtemplate:version` tag
    pub launch_template_version: Option<String>,
    /// `None` when EC2 did not report metadata options
    pub imds: Option<Imds>,
    /// hop limit of the template version the instance came from, if known
    pub template_hop_limit: Option<i64>,
    /// what the design analysis ([`crate::analyse`]) found in the user data
    /// judged (the instance's own, or its template version's); `None`: no
    /// user data was read
    pub design: Option<crate::analyse::Analysis>,
    /// hex SHA-256 of the user data, and its source
    pub user_data_sha256: UserData,
    /// the console
    pub runtime: Runtime,
    /// what EC2 shows of the instance
    pub launched: Launched,
    /// what its template version promises (`None`: version unknown)
    pub promise: Option<Promise>,
    /// its ECS container instance record (`None`: ECS was not asked)
    pub ecs: Option<ecs::EcsFacts>,
}

/// The verdict on one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// `None` when no hash was expected
    pub user_data_matches: Option<bool>,
    /// metadata options as the design needs them
    pub metadata_options_ok: bool,
    /// one-line summary of the runtime report
    pub runtime_summary: String,
    /// no problems
    pub ok: bool,
    /// reasons, in the order of the rules above
    pub problems: Vec<String>,
    /// not problems yet, but not done either (e.g. not registered in ECS
    /// within `registration_grace`)
    pub pending: Vec<String>,
}

impl Verdict {
    /// No problems and nothing pending: counts towards a rollout.
    pub fn healthy(&self) -> bool {
        self.ok && self.pending.is_empty()
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// One-line summary of what the console said.
pub fn runtime_summary(r: &Runtime) -> String {
    match r {
        Runtime::NotRead => "not read (instance not running)".into(),
        Runtime::NotSampled => "not read (not in the sample)".into(),
        Runtime::Missing => "no report yet".into(),
        Runtime::Unusable(e) => format!("unusable report: {e}"),
        Runtime::Reported(rep) if rep.ok => {
            let warned: Vec<&str> = rep
                .checks
                .iter()
                .filter(|(_, s)| **s == CheckStatus::Warn)
                .map(|(k, _)| k.as_str())
                .collect();
            if warned.is_empty() {
                "pass".into()
            } else {
                format!("pass with warnings: {}", warned.join(", "))
            }
        }
        Runtime::Reported(rep) => format!("fail: {}", rep.failed().join(", ")),
    }
}

/// Judges one instance.
pub fn judge(exp: &Expectation, f: &Facts) -> Verdict {
    let mut problems = Vec::new();

    if !exp.states.is_empty() && !exp.states.contains(&f.state) {
        problems.push(format!(
            "state is {}, expected {}",
            if f.state.is_empty() {
                "unknown"
            } else {
                &f.state
            },
            exp.states.join(" or ")
        ));
    }

    if let Some(want) = &exp.launch_template_id {
        match &f.launch_template_id {
            None => problems.push(format!(
                "not launched from a launch template (no aws:ec2launchtemplate:id tag), expected {want}"
            )),
            Some(got) if got != want => {
                problems.push(format!("launched from {got}, expected {want}"));
            }
            Some(_) => {}
        }
    }
    if let Some(want) = &exp.version {
        match &f.launch_template_version {
            Some(got) if got == want => {}
            Some(got) => problems.push(format!(
                "launched from template version {got}, expected version {want}"
            )),
            None => problems.push(format!(
                "launch template version unknown (no aws:ec2launchtemplate:version tag), expected version {want}"
            )),
        }
    }

    let user_data_matches = exp.user_data_sha256.as_ref().map(|want| {
        let (got, whose) = match &f.user_data_sha256 {
            UserData::Instance(h) => (h, "the instance's user data"),
            UserData::Template(h) => (h, "the template version's user data"),
        };
        match got {
            Some(h) if h.eq_ignore_ascii_case(want) => true,
            Some(h) => {
                problems.push(format!(
                    "{whose} differs from the applied configuration (sha256 {}…, expected {}…)",
                    short(h),
                    short(want)
                ));
                false
            }
            None => {
                problems.push(format!(
                    "{} has no user data, expected sha256 {}…",
                    match f.user_data_sha256 {
                        UserData::Instance(_) => "the instance",
                        UserData::Template(_) => "its launch template version",
                    },
                    short(want)
                ));
                false
            }
        }
    });

    let want_hops = f.template_hop_limit.unwrap_or(DEFAULT_HOP_LIMIT);
    let metadata_options_ok = match &f.imds {
        None => {
            problems.push("EC2 reported no metadata options for the instance".into());
            false
        }
        Some(m) => {
            let mut ok = true;
            if m.http_tokens != "required" {
                ok = false;
                problems.push(format!(
                    "IMDSv1 allowed (http_tokens = {}): anything that reaches 169.254.169.254 can read the instance role's credentials without a token",
                    m.http_tokens
                ));
            }
            if m.http_endpoint != "enabled" {
                ok = false;
                problems.push(format!(
                    "metadata endpoint {} (the ECS agent needs it for its region and credentials)",
                    m.http_endpoint
                ));
            }
            if m.hop_limit != want_hops {
                ok = false;
                problems.push(format!(
                    "metadata hop limit is {}, the template renders {want_hops}{}",
                    m.hop_limit,
                    if m.hop_limit < DEFAULT_HOP_LIMIT {
                        " (the agent on its bridge network is one hop away and gets no IMDSv2 token)"
                    } else {
                        ""
                    }
                ));
            }
            ok
        }
    };

    if let Some(a) = f.design.as_ref().filter(|a| a.agent_on_bridge()) {
        design_problems(a, f.imds.as_ref(), want_hops, &mut problems);
    }

    if let Some(p) = &f.promise {
        promise_problems(p, &f.launched, &mut problems);
    }

    let mut pending = Vec::new();
    if let (Some(want), Some(got)) = (&exp.ecs, &f.ecs) {
        ecs::judge(want, got, f.state == "running", &mut problems, &mut pending);
    }

    match &f.runtime {
        Runtime::NotRead | Runtime::NotSampled => {}
        Runtime::Missing => {
            if exp.require_runtime_report {
                problems.push(
                    "no self-check report on the console yet (is the self-check enabled in the user data, and has the host finished booting?)"
                        .into(),
                );
            }
        }
        Runtime::Unusable(ReportError::UnsupportedVersion { found }) => problems.push(format!(
            "self-check report version {found} is newer than this provider understands: upgrade the provider"
        )),
        Runtime::Unusable(e) => problems.push(format!("self-check report unusable: {e}")),
        Runtime::Reported(rep) => {
            if !rep.ok {
                problems.push(self_check_failure(rep));
            }
            for check in &exp.required_checks {
                let reason = rep
                    .reasons
                    .get(check)
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                match rep.checks.get(check) {
                    None => problems.push(format!(
                        "required self-check {check} is not in the report (the host runs an older self-check script)"
                    )),
                    Some(CheckStatus::Skip) => problems.push(format!(
                        "required self-check {check} was skipped{reason}"
                    )),
                    Some(CheckStatus::Warn) => problems.push(format!(
                        "required self-check {check} only warned{reason}"
                    )),
                    Some(CheckStatus::Pass | CheckStatus::Fail) => {}
                }
            }
        }
    }

    if let Some(r) = f.ecs.as_ref().and_then(ecs::EcsFacts::registration) {
        if r.imds_iam_roles() {
            imds_exposure(&f.runtime, &mut problems);
        }
    }

    Verdict {
        user_data_matches,
        metadata_options_ok,
        runtime_summary: runtime_summary(&f.runtime),
        ok: problems.is_empty(),
        problems,
        pending,
    }
}

/// The faults of user data that runs the ECS agent on a bridge network.
/// `want_hops`: the hop limit the metadata rule above already held the
/// instance to (a mismatch is named there, not twice).
fn design_problems(
    a: &crate::analyse::Analysis,
    imds: Option<&Imds>,
    want_hops: i64,
    problems: &mut Vec<String>,
) {
    if !a.alias {
        problems.push(format!(
            "its user data runs the ECS agent on a bridge network but does not put {} on the loopback device: the agent's credentials port cannot be published there, so it never starts serving (render the user data with ecshost_user_data, or add the address to lo)",
            crate::CREDENTIALS_ADDRESS
        ));
    }
    if !a.metadata_blocked {
        problems.push(format!(
            "its user data runs the ECS agent on a bridge network but does not keep task containers away from instance metadata ({}): any task can take the instance role's credentials and pose as the agent (render the metadata guard with ecshost_user_data, block_task_metadata = true)",
            crate::IMDS_ADDRESS
        ));
    }
    if let Some(m) = imds.filter(|m| m.hop_limit < DEFAULT_HOP_LIMIT && m.hop_limit == want_hops) {
        problems.push(format!(
            "metadata hop limit is {}, and its user data runs the ECS agent on a bridge network, one hop away from instance metadata: the agent gets no IMDSv2 token, so it cannot learn its Region or obtain the instance role's credentials (set metadata_options.http_put_response_hop_limit = 2 in the template; the metadata guard keeps task containers away)",
            m.hop_limit
        ));
    }
}

/// With task credentials in instance metadata ([`ecs::IMDS_IAM_ROLES`]),
/// anything short of a report whose `imds_blocked` passed is an exposure.
fn imds_exposure(runtime: &Runtime, problems: &mut Vec<String>) {
    let why = match runtime {
        Runtime::NotRead | Runtime::NotSampled => return,
        Runtime::Reported(rep) => match rep.checks.get("imds_blocked") {
            Some(CheckStatus::Pass) => return,
            Some(s) => format!(
                "its self-check's imds_blocked is {}{}",
                s.as_str(),
                rep.reasons
                    .get("imds_blocked")
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
            None => "its self-check report has no imds_blocked (an older self-check script)".into(),
        },
        Runtime::Missing | Runtime::Unusable(_) => {
            "no usable self-check report shows task containers kept from instance metadata".into()
        }
    };
    problems.push(format!(
        "the ECS agent registered {}: it delivers every task's IAM role credentials through instance metadata, and {why}: any task that reaches 169.254.169.254 can read the credentials of every task on the host (render the metadata guard with ecshost_user_data, block_task_metadata = true, and keep imds_blocked passing)",
        ecs::IMDS_IAM_ROLES
    ));
}

/// The problem of a report that says `fail`: the failing checks, then each
/// one's own reason from the report, when it gave one.
pub fn self_check_failure(rep: &crate::self_check::Report) -> String {
    let failed = rep.failed();
    let reasons: Vec<String> = failed
        .iter()
        .filter_map(|c| rep.reasons.get(*c).map(|r| format!("{c}: {r}")))
        .collect();
    format!(
        "self-check failed: {}{} (see the self-check report guide for each check)",
        failed.join(", "),
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" — {}", reasons.join("; "))
        }
    )
}

/// Where the instance is unlike what its template version promises.
fn promise_problems(p: &Promise, l: &Launched, problems: &mut Vec<String>) {
    let scalar = |what: &str,
                  want: &Option<String>,
                  got: &Option<String>,
                  problems: &mut Vec<String>| {
        if let Some(w) = want {
            match got {
                Some(g) if g == w => {}
                Some(g) => problems.push(format!("{what} is {g}, its template version says {w}")),
                None => problems.push(format!("{what} is not set, its template version says {w}")),
            }
        }
    };
    scalar("image", &p.image_id, &l.image_id, problems);
    scalar(
        "instance type",
        &p.instance_type,
        &l.instance_type,
        problems,
    );
    scalar("key pair", &p.key_name, &l.key_name, problems);
    if let Some(want) = &p.instance_profile {
        // By ARN, or by name: an ARN ends in `instance-profile/[path/]name`.
        let matches = l.instance_profile_arn.as_deref().is_some_and(|arn| {
            arn == want
                || (!want.starts_with("arn:") && arn.rsplit('/').next() == Some(want.as_str()))
        });
        if !matches {
            problems.push(format!(
                "instance profile is {}, its template version says {want}",
                l.instance_profile_arn.as_deref().unwrap_or("none")
            ));
        }
    }
    if !p.security_group_ids.is_empty() {
        let mut want = p.security_group_ids.clone();
        let mut got = l.security_group_ids.clone();
        want.sort();
        want.dedup();
        got.sort();
        got.dedup();
        if want != got {
            problems.push(format!(
                "security groups are [{}], its template version says [{}]",
                got.join(", "),
                want.join(", ")
            ));
        }
    }
    // EC2 reserves the aws: prefix; such tags are EC2's own.
    let missing: Vec<String> = p
        .instance_tags
        .iter()
        .filter(|(k, _)| !k.starts_with("aws:"))
        .filter(|(k, v)| l.tags.get(*k) != Some(v))
        .map(|(k, v)| match l.tags.get(k) {
            Some(g) => format!("{k} = {g:?} (template: {v:?})"),
            None => format!("{k} missing (template: {v:?})"),
        })
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "instance tags differ from its template version: {}",
            missing.join(", ")
        ));
    }
    if let Some(have) = &l.volumes {
        for want in &p.volumes {
            let Some(got) = have.iter().find(|v| v.device_name == want.device_name) else {
                problems.push(format!(
                    "no volume at {}, its template version maps one there",
                    want.device_name
                ));
                continue;
            };
            let mut diffs = Vec::new();
            if want.size_gib.is_some() && want.size_gib != got.size_gib {
                diffs.push(format!(
                    "{} GiB (template: {} GiB)",
                    got.size_gib.map_or("?".into(), |n| n.to_string()),
                    want.size_gib.unwrap_or_default()
                ));
            }
            if want.volume_type.is_some() && want.volume_type != got.volume_type {
                diffs.push(format!(
                    "type {} (template: {})",
                    got.volume_type.as_deref().unwrap_or("?"),
                    want.volume_type.as_deref().unwrap_or_default()
                ));
            }
            if want.encrypted == Some(true) && got.encrypted != Some(true) {
                diffs.push("not encrypted (template: encrypted)".into());
            }
            if !diffs.is_empty() {
                problems.push(format!("volume {}: {}", want.device_name, diffs.join(", ")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::self_check::parse_report_line;

    const SHA: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const OTHER: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const PASS: &str = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"pass","endpoint":"pass","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"pass","imds_blocked":"pass","agent_imds":"pass"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;
    const FAIL: &str = r#"ECSHOST_SELF_CHECK {"v":1,"ok":false,"checks":{"alias":"fail","endpoint":"fail","agent_network":"pass","metadata_guard":"pass","userland_proxy":"warn","task_path":"fail","imds_blocked":"pass","agent_imds":"pass"}}"#;
    /// What 0.1.0's self-check printed on a host without a
    /// probe image: every check it could run passed, the two task-side ones
    /// were skipped, and `ok` was true.
    const SKIPPED: &str = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"pass","endpoint":"pass","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"skip","imds_blocked":"skip"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;

    fn exp() -> Expectation {
        Expectation {
            launch_template_id: Some("lt-1".into()),
            version: Some("2".into()),
            user_data_sha256: Some(SHA.into()),
            states: vec!["running".into()],
            require_runtime_report: true,
            ecs: None,
            required_checks: DEFAULT_REQUIRED_CHECKS.map(String::from).to_vec(),
        }
    }

    fn good() -> Facts {
        Facts {
            id: "i-1".into(),
            state: "running".into(),
            launch_template_id: Some("lt-1".into()),
            launch_template_version: Some("2".into()),
            imds: Some(Imds {
                http_tokens: "required".into(),
                hop_limit: 2,
                http_endpoint: "enabled".into(),
            }),
            template_hop_limit: Some(2),
            design: None,
            user_data_sha256: UserData::Instance(Some(SHA.into())),
            runtime: Runtime::Reported(parse_report_line(PASS).unwrap()),
            launched: Launched {
                image_id: Some("ami-1".into()),
                instance_type: Some("m6i.large".into()),
                key_name: Some("ops".into()),
                instance_profile_arn: Some("arn:aws:iam::1:instance-profile/ecs/hosts".into()),
                security_group_ids: vec!["sg-2".into(), "sg-1".into()],
                tags: [
                    ("Name", "ecs"),
                    ("team", "platform"),
                    ("aws:autoscaling:groupName", "g"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
                volumes: Some(vec![VolumeSpec {
                    device_name: "/dev/xvda".into(),
                    size_gib: Some(30),
                    volume_type: Some("gp3".into()),
                    encrypted: Some(true),
                }]),
            },
            promise: Some(Promise {
                image_id: Some("ami-1".into()),
                instance_type: Some("m6i.large".into()),
                key_name: Some("ops".into()),
                instance_profile: Some("hosts".into()),
                security_group_ids: vec!["sg-1".into(), "sg-2".into()],
                instance_tags: [("Name", "ecs"), ("aws:x", "ignored")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                volumes: vec![VolumeSpec {
                    device_name: "/dev/xvda".into(),
                    size_gib: Some(30),
                    volume_type: Some("gp3".into()),
                    encrypted: Some(true),
                }],
            }),
            ecs: None,
        }
    }

    #[test]
    fn what_the_template_promises_is_checked() {
        type Case = (&'static str, fn(&mut Facts), &'static str);
        let cases: [Case; 9] = [
            (
                "image",
                |f| f.launched.image_id = Some("ami-9".into()),
                "image is ami-9, its template version says ami-1",
            ),
            (
                "type",
                |f| f.launched.instance_type = Some("t3.nano".into()),
                "instance type is t3.nano",
            ),
            (
                "key",
                |f| f.launched.key_name = None,
                "key pair is not set, its template version says ops",
            ),
            (
                "profile",
                |f| f.launched.instance_profile_arn = None,
                "instance profile is none, its template version says hosts",
            ),
            (
                "groups",
                |f| f.launched.security_group_ids = vec!["sg-1".into()],
                "security groups are [sg-1], its template version says [sg-1, sg-2]",
            ),
            (
                "tag",
                |f| {
                    f.launched.tags.remove("Name");
                },
                "instance tags differ from its template version: Name missing",
            ),
            (
                "size",
                |f| f.launched.volumes.as_mut().unwrap()[0].size_gib = Some(8),
                "volume /dev/xvda: 8 GiB (template: 30 GiB)",
            ),
            (
                "encryption",
                |f| f.launched.volumes.as_mut().unwrap()[0].encrypted = Some(false),
                "volume /dev/xvda: not encrypted",
            ),
            (
                "device",
                |f| f.launched.volumes = Some(vec![]),
                "no volume at /dev/xvda",
            ),
        ];
        for (name, change, want) in cases {
            let mut f = good();
            change(&mut f);
            let got = problems(&f);
            assert!(got.len() == 1 && got[0].contains(want), "{name}: {got:?}");
        }
        // A profile by ARN compares the whole ARN; unread volumes judge nothing.
        let mut f = good();
        f.promise.as_mut().unwrap().instance_profile =
            Some("arn:aws:iam::1:instance-profile/ecs/hosts".into());
        f.launched.volumes = None;
        assert!(problems(&f).is_empty(), "{:?}", problems(&f));
    }

    fn problems(f: &Facts) -> Vec<String> {
        judge(&exp(), f).problems
    }

    #[test]
    fn a_matching_instance_is_ok() {
        let v = judge(&exp(), &good());
        assert!(v.ok, "{:?}", v.problems);
        assert_eq!(v.user_data_matches, Some(true));
        assert!(v.metadata_options_ok);
        assert_eq!(v.runtime_summary, "pass");
    }

    #[test]
    fn each_rule_names_its_problem() {
        type Case = (&'static str, fn(&mut Facts), &'static str);
        let cases: [Case; 14] = [
            ("stopped", |f| f.state = "stopped".into(), "state is stopped, expected running"),
            ("untagged", |f| f.launch_template_id = None, "not launched from a launch template"),
            ("other template", |f| f.launch_template_id = Some("lt-9".into()), "launched from lt-9, expected lt-1"),
            ("old version", |f| f.launch_template_version = Some("1".into()), "template version 1, expected version 2"),
            ("no version tag", |f| f.launch_template_version = None, "version unknown"),
            ("override", |f| f.user_data_sha256 = UserData::Instance(Some(OTHER.into())), "the instance's user data differs from the applied configuration (sha256 bbbbbbbbbbbb…, expected aaaaaaaaaaaa…)"),
            ("no user data", |f| f.user_data_sha256 = UserData::Instance(None), "the instance has no user data"),
            ("template mode", |f| f.user_data_sha256 = UserData::Template(Some(OTHER.into())), "the template version's user data differs"),
            ("imdsv1", |f| f.imds.as_mut().unwrap().http_tokens = "optional".into(), "IMDSv1 allowed"),
            ("hop 1", |f| f.imds.as_mut().unwrap().hop_limit = 1, "hop limit is 1, the template renders 2 (the agent"),
            ("imds off", |f| f.imds.as_mut().unwrap().http_endpoint = "disabled".into(), "metadata endpoint disabled"),
            ("no report", |f| f.runtime = Runtime::Missing, "no self-check report on the console yet"),
            ("truncated", |f| f.runtime = Runtime::Unusable(ReportError::Truncated), "self-check report unusable: self-check report is truncated"),
            ("failed checks", |f| f.runtime = Runtime::Reported(parse_report_line(FAIL).unwrap()), "self-check failed: alias, endpoint, task_path"),
        ];
        for (what, change, want) in cases {
            let mut f = good();
            change(&mut f);
            let v = judge(&exp(), &f);
            assert!(!v.ok, "{what}");
            assert_eq!(v.problems.len(), 1, "{what}: {:?}", v.problems);
            assert!(v.problems[0].contains(want), "{what}: {:?}", v.problems);
        }
    }

    #[test]
    fn a_failed_report_carries_each_checks_reason() {
        let mut f = good();
        let line = FAIL.replace(
            r#""agent_imds":"pass"}"#,
            r#""agent_imds":"pass"},"reasons":{"endpoint":"no answer from the agent","alias":"169.254.170.2 is not on lo","imds_blocked":"unused"}"#,
        );
        f.runtime = Runtime::Reported(parse_report_line(&line).unwrap());
        assert_eq!(
            problems(&f),
            ["self-check failed: alias, endpoint, task_path — alias: 169.254.170.2 is not on lo; endpoint: no answer from the agent (see the self-check report guide for each check)"]
        );
    }

    #[test]
    fn final_failures_are_failing_reports_and_stopped_instances() {
        use super::rollout::final_failure;
        assert_eq!(final_failure(&good()), None);
        let mut f = good();
        f.runtime = Runtime::Missing;
        assert_eq!(final_failure(&f), None, "still booting");
        f.state = "terminated".into();
        assert_eq!(final_failure(&f).as_deref(), Some("i-1 is terminated"));
        let mut f = good();
        f.runtime = Runtime::Reported(parse_report_line(FAIL).unwrap());
        assert!(final_failure(&f)
            .unwrap()
            .starts_with("i-1: self-check failed: alias, endpoint, task_path"));
        let mut f = good();
        f.imds.as_mut().unwrap().hop_limit = 1;
        assert!(!judge(&exp(), &f).ok);
        assert_eq!(final_failure(&f), None, "not final by itself");
    }

    #[test]
    fn future_report_versions_ask_for_an_upgrade() {
        let mut f = good();
        f.runtime = Runtime::Unusable(ReportError::UnsupportedVersion { found: 2 });
        assert_eq!(
            problems(&f),
            ["self-check report version 2 is newer than this provider understands: upgrade the provider"]
        );
    }

    #[test]
    fn optional_expectations_are_not_checked() {
        let e = Expectation {
            require_runtime_report: false,
            ..Expectation::default()
        };
        let mut f = good();
        f.launch_template_id = None;
        f.launch_template_version = None;
        f.user_data_sha256 = UserData::Instance(None);
        f.runtime = Runtime::Missing;
        f.state = "stopped".into();
        let v = judge(&e, &f);
        assert!(v.ok, "{:?}", v.problems);
        assert_eq!(v.user_data_matches, None);
        assert_eq!(v.runtime_summary, "no report yet");
    }

    #[test]
    fn a_failing_report_counts_even_when_reports_are_optional() {
        let e = Expectation {
            require_runtime_report: false,
            ..exp()
        };
        let mut f = good();
        f.runtime = Runtime::Reported(parse_report_line(FAIL).unwrap());
        assert!(!judge(&e, &f).ok);
        assert_eq!(
            judge(&e, &f).runtime_summary,
            "fail: alias, endpoint, task_path"
        );
    }

    #[test]
    fn hop_limit_follows_the_template_and_defaults_to_two() {
        let mut f = good();
        f.template_hop_limit = Some(3);
        assert!(problems(&f)[0].contains("hop limit is 2, the template renders 3"));
        f.template_hop_limit = None;
        f.imds.as_mut().unwrap().hop_limit = 2;
        assert!(judge(&exp(), &f).ok);
        f.imds = None;
        assert_eq!(
            problems(&f),
            ["EC2 reported no metadata options for the instance"]
        );
    }

    #[test]
    fn summaries_mention_warnings_and_hash_case_is_ignored() {
        let line = PASS.replace(r#""userland_proxy":"pass""#, r#""userland_proxy":"warn""#);
        let mut f = good();
        f.runtime = Runtime::Reported(parse_report_line(&line).unwrap());
        f.user_data_sha256 = UserData::Instance(Some(SHA.to_uppercase()));
        let v = judge(&exp(), &f);
        assert!(v.ok);
        assert_eq!(v.runtime_summary, "pass with warnings: userland_proxy");
        assert_eq!(
            runtime_summary(&Runtime::NotRead),
            "not read (instance not running)"
        );
    }

    /// Skip is not a pass: with the default required checks, the report the
    /// self-check printed on hosts without a probe image (every check it ran
    /// passed, `ok: true`) fails verification, naming each skipped check and
    /// the script's reason; an older script without `agent_imds` too.
    #[test]
    fn a_required_check_that_was_skipped_or_warned_is_a_problem() {
        let mut f = good();
        f.runtime = Runtime::Reported(parse_report_line(SKIPPED).unwrap());
        assert_eq!(
            problems(&f),
            [
                "required self-check task_path was skipped",
                "required self-check imds_blocked was skipped",
                "required self-check agent_imds is not in the report (the host runs an older self-check script)",
            ]
        );
        let with_reasons = PASS
            .replace(r#""task_path":"pass""#, r#""task_path":"skip""#)
            .replace(r#""agent_imds":"pass""#, r#""agent_imds":"warn""#)
            .replace(
                r#""probe":"curl""#,
                r#""probe":"curl","reasons":{"task_path":"no docker0 bridge with an IPv4 subnet","agent_imds":"busybox wget cannot send the token PUT"}"#,
            );
        f.runtime = Runtime::Reported(parse_report_line(&with_reasons).unwrap());
        assert_eq!(
            problems(&f),
            [
                "required self-check task_path was skipped: no docker0 bridge with an IPv4 subnet",
                "required self-check agent_imds only warned: busybox wget cannot send the token PUT",
            ]
        );
        // Not required: not a problem.
        let e = Expectation {
            required_checks: vec!["alias".into()],
            ..exp()
        };
        assert!(judge(&e, &f).ok, "{:?}", judge(&e, &f).problems);
        // A warning outside the required set stays a note in the summary.
        let line = PASS.replace(r#""userland_proxy":"pass""#, r#""userland_proxy":"warn""#);
        f.runtime = Runtime::Reported(parse_report_line(&line).unwrap());
        assert!(judge(&exp(), &f).ok);
    }

    #[test]
    fn ecs_membership_is_judged_only_when_asked() {
        use std::time::Duration;
        let mut f = good();
        f.ecs = Some(ecs::EcsFacts {
            membership: ecs::Membership::NotRegistered,
            since_launch: Some(Duration::from_secs(30)),
        });
        let v = judge(&exp(), &f);
        assert!(v.ok && v.pending.is_empty(), "not asked: {v:?}");
        let asked = Expectation {
            ecs: Some(ecs::EcsExpectation {
                cluster: "prod".into(),
                registration_grace: Duration::from_secs(300),
                task_iam_role_network_host: false,
            }),
            ..exp()
        };
        let v = judge(&asked, &f);
        assert!(v.ok && !v.healthy(), "within grace: {v:?}");
        assert_eq!(v.pending.len(), 1);
        f.ecs.as_mut().unwrap().since_launch = Some(Duration::from_secs(301));
        let v = judge(&asked, &f);
        assert!(!v.ok && v.pending.is_empty(), "{v:?}");
        assert!(v.problems[0].starts_with("not registered in ECS cluster prod"));
    }

    /// With the agent delivering task credentials through instance
    /// metadata, anything but a passing `imds_blocked` is an exposure, even
    /// where `required_checks` leaves it out; without the capability the
    /// lenient settings stay lenient.
    #[test]
    fn imds_delivered_credentials_need_a_passing_imds_blocked() {
        use std::time::Duration;
        let registered = |attributes: &[&str]| {
            Some(ecs::EcsFacts {
                membership: ecs::Membership::InCluster(ecs::Registration {
                    cluster: "prod".into(),
                    status: "ACTIVE".into(),
                    agent_connected: true,
                    attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
                    ..Default::default()
                }),
                since_launch: Some(Duration::from_secs(900)),
            })
        };
        let lenient = Expectation {
            required_checks: vec!["alias".into()],
            require_runtime_report: false,
            ecs: Some(ecs::EcsExpectation {
                cluster: "prod".into(),
                registration_grace: Duration::from_secs(300),
                task_iam_role_network_host: false,
            }),
            ..exp()
        };
        let skipped = PASS
            .replace(r#""imds_blocked":"pass""#, r#""imds_blocked":"skip""#)
            .replace(
                r#""probe":"curl""#,
                r#""probe":"curl","reasons":{"imds_blocked":"no probe image"}"#,
            );
        let mut f = good();
        for runtime in [
            Runtime::Reported(parse_report_line(&skipped).unwrap()),
            Runtime::Missing,
        ] {
            f.runtime = runtime;
            f.ecs = registered(&[ecs::TASK_IAM_ROLE]);
            assert!(judge(&lenient, &f).ok, "{:?}", judge(&lenient, &f).problems);
            f.ecs = registered(&[ecs::TASK_IAM_ROLE, ecs::IMDS_IAM_ROLES]);
            let v = judge(&lenient, &f);
            assert_eq!(v.problems.len(), 1, "{v:?}");
            assert!(
                v.problems[0].starts_with("the ECS agent registered ecs.capability.imds-iam-roles: it delivers every task's IAM role credentials through instance metadata, and ")
                    && v.problems[0].contains("can read the credentials of every task on the host"),
                "{v:?}"
            );
        }
        f.runtime = Runtime::Reported(parse_report_line(&skipped).unwrap());
        assert!(
            judge(&lenient, &f).problems[0]
                .contains("its self-check's imds_blocked is skip (no probe image)"),
            "{:?}",
            judge(&lenient, &f).problems
        );
        // A passing imds_blocked is the proof; an unread console is no
        // evidence either way.
        for runtime in [
            Runtime::Reported(parse_report_line(PASS).unwrap()),
            Runtime::NotSampled,
        ] {
            f.runtime = runtime;
            assert!(judge(&lenient, &f).ok, "{:?}", judge(&lenient, &f).problems);
        }
    }

    /// The plan-time design analysis judges what instances run, whoever
    /// wrote the template: a bridged agent without the loopback address or
    /// the metadata block, or behind hop limit 1 that its template asked
    /// for, is a problem; the same faults in a host-network agent's user
    /// data are not this rule's, and a hop-limit mismatch is named once.
    #[test]
    fn the_design_of_the_user_data_is_judged() {
        use crate::analyse::Analysis;
        let bridged = Analysis {
            agent: true,
            alias: true,
            metadata_blocked: true,
            ..Default::default()
        };
        let mut f = good();
        f.design = Some(bridged.clone());
        assert!(problems(&f).is_empty(), "{:?}", problems(&f));

        f.design = Some(Analysis {
            alias: false,
            metadata_blocked: false,
            ..bridged.clone()
        });
        let p = problems(&f);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].contains("does not put 169.254.170.2 on the loopback device"),
            "{p:?}"
        );
        assert!(
            p[1].contains(
                "does not keep task containers away from instance metadata (169.254.169.254)"
            ),
            "{p:?}"
        );

        // A third-party template with hop limit 1: the instance matches its
        // template, and is still starved.
        f.design = Some(bridged.clone());
        f.template_hop_limit = Some(1);
        f.imds.as_mut().unwrap().hop_limit = 1;
        let p = problems(&f);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with(
                "metadata hop limit is 1, and its user data runs the ECS agent on a bridge network"
            ),
            "{p:?}"
        );
        // A template that renders 2 and an instance at 1: named once, by
        // the metadata rule.
        f.template_hop_limit = Some(2);
        let p = problems(&f);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("metadata hop limit is 1, the template renders 2"),
            "{p:?}"
        );

        // ecs-init's agent on the host network at hop limit 1: fine here.
        f.template_hop_limit = Some(1);
        f.design = Some(Analysis {
            agent_host_network: true,
            ecs_init: true,
            alias: false,
            metadata_blocked: false,
            ..bridged
        });
        assert!(problems(&f).is_empty(), "{:?}", problems(&f));
    }

    #[test]
    fn the_default_required_checks_are_every_claim_of_the_report() {
        assert_eq!(
            DEFAULT_REQUIRED_CHECKS,
            [
                "alias",
                "endpoint",
                "agent_network",
                "metadata_guard",
                "task_path",
                "imds_blocked",
                "agent_imds"
            ]
        );
    }

    #[test]
    fn instances_outside_the_sample_need_no_report() {
        let mut f = good();
        f.runtime = Runtime::NotSampled;
        let v = judge(&exp(), &f);
        assert!(v.healthy(), "{v:?}");
        assert_eq!(v.runtime_summary, "not read (not in the sample)");
    }

    #[test]
    fn every_problem_is_reported_not_only_the_first() {
        let mut f = good();
        f.state = "stopped".into();
        f.launch_template_id = Some("lt-9".into());
        f.user_data_sha256 = UserData::Instance(None);
        f.imds.as_mut().unwrap().http_tokens = "optional".into();
        f.runtime = Runtime::Missing;
        assert_eq!(problems(&f).len(), 5);
    }
}
