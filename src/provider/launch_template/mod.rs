//! `ecshost_launch_template`: the EC2 launch template that carries the
//! rendered user data, with every argument of hashicorp/aws's
//! `aws_launch_template` (5.100.0) under the same names, so an existing
//! block can be pasted, moved or imported unchanged.
//!
//! Template data changes create a new version that carries the complete
//! data — every field EC2 holds is read back, planned and written again,
//! and a field this provider cannot express stops the write with an error
//! instead of being dropped. Renames replace; tags update in place.
//!
//! # Layout
//! - [`fields`]: the argument table (names, EC2 members, docs, checks)
//! - [`mapping`]: Terraform values ⇄ EC2 data (read, plan, write)
//! - [`guards`]: validation and the design's guard rails
//! - [`adopt`]: state from `aws_launch_template` (`moved`) and older schemas
//! - [`credits`]: `credit_specification`, which only burstable types take
//! - [`import_id`]: import IDs

mod adopt;
mod credits;
pub(crate) mod fields;
mod guards;
mod import_id;
pub(crate) mod mapping;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use self::fields::FIELDS;
use self::import_id::{parse_import_id, ImportId};
use super::aws_errors;
use super::config::ProviderState;
use crate::ec2::client::Ec2;
use crate::ec2::launch_templates::{user_data_sha256, Template, Version};
use crate::ec2::template_data::LaunchTemplateData;
use crate::render::analyse::analyse_base64;
use crate::sdk::{
    Attribute, AttributePath, Diagnostics, MoveRequest, PlanRequest, PlanResponse, Resource,
    Schema, StateResponse, StopSignal, Value,
};

/// The state layout: 0 was the first release's (`iam_instance_profile` a
/// string, a handful of arguments); 1 has every argument of
/// `aws_launch_template`. [`adopt::upgrade_v0`] moves states across.
const SCHEMA_VERSION: i64 = 1;

/// Tag carrying the token of the create call that made a template (also
/// sent as its ClientToken, so EC2 answers a retried create with the same
/// template). Unique per create: a create whose answer was lost is
/// recognised by it — adopted in the same apply, or saved as a pending,
/// tainted object whose next refresh finds it — and a same-named template of
/// another resource never is. Hidden from `tags` and `tags_all`.
const CREATE_TOKEN_TAG: &str = "ecshost:create-token";

/// The resource.
pub(crate) struct LaunchTemplate {
    pub(crate) state: Arc<ProviderState>,
}

/// Private state: what the next plan or apply must know that state does
/// not show.
#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct Private {
    /// the token of a create whose outcome is unknown
    #[serde(default, skip_serializing_if = "Option::is_none")]
    create_token: Option<String>,
    /// fields the current version holds that this provider cannot write
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unknown_fields: Vec<String>,
    /// `update_default_version` in state was inferred by an import (the
    /// default was the latest version), not configured: a configuration
    /// that leaves it unset follows hashicorp/aws's rule and is not warned
    /// about (cleared once the configuration sets it)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    default_flag_from_import: bool,
    /// the current version holds a credit option on a type without CPU
    /// credits (set outside Terraform, for an Auto Scaling group's T-type
    /// overrides): `credit_specification` then counts in comparisons, so
    /// removing or changing it writes a version (`credits.rs`)
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    credits_held: bool,
}

impl Private {
    /// Reads private state; the first release stored a bare token.
    fn parse(b: &[u8]) -> Private {
        if b.first() == Some(&b'{') {
            serde_json::from_slice(b).unwrap_or_default()
        } else if b.is_empty() {
            Private::default()
        } else {
            Private {
                create_token: Some(String::from_utf8_lossy(b).into_owned()),
                ..Default::default()
            }
        }
    }
    fn bytes(&self) -> Vec<u8> {
        if *self == Private::default() {
            Vec::new()
        } else {
            serde_json::to_vec(self).unwrap_or_default()
        }
    }
}

fn set(v: &mut Value, k: &str, x: Value) {
    if let Value::Object(m) = v {
        m.insert(k.to_owned(), x);
    }
}

fn known_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// The deprecated aliases: (argument, its deprecated spelling). The
/// mapping, the state and the version-0 upgrade all fold them the same way.
pub(crate) const ALIASES: [(&str, &str); 2] = [
    ("user_data", "user_data_base64"),
    ("vpc_security_group_ids", "security_group_ids"),
];

/// `v` with the deprecated aliases folded into the arguments they spell
/// (`user_data_base64` → `user_data`, `security_group_ids` →
/// `vpc_security_group_ids`), which is what the mapping reads.
fn canonical(v: &Value) -> Value {
    let mut out = v.clone();
    for (main, alias) in ALIASES {
        if v.attr(main).is_null() && !v.attr(alias).is_null() {
            set(&mut out, main, v.attr(alias).clone());
        }
    }
    out
}

fn merged_tags(
    defaults: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = defaults.clone();
    all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

fn tag_value(m: &BTreeMap<String, String>) -> Value {
    Value::Map(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

fn string_map(v: &Value) -> Option<BTreeMap<String, String>> {
    match v {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect(),
        _ => None,
    }
}

/// The problems of a version holding fields this provider cannot write.
fn unknown_fields_detail(id: &str, fields: &[String]) -> String {
    format!(
        "Launch template {id}'s current version holds {} that ecshost_launch_template has no argument for: {}. A new version written from this configuration would drop {}, so none is written. To proceed, either make a version without {} outside Terraform (for example in the EC2 console, or `aws ec2 create-launch-template-version` with the full data), or keep managing this template with hashicorp/aws until ecshost supports {}.",
        if fields.len() == 1 { "a field" } else { "fields" },
        fields.join(", "),
        if fields.len() == 1 { "it" } else { "them" },
        if fields.len() == 1 { "it" } else { "them" },
        if fields.len() == 1 { "it" } else { "them" },
    )
}

impl LaunchTemplate {
    /// The state for template `t` whose latest version is `v`, keeping the
    /// spelling of `prior` (the prior state, the plan after a write, or
    /// null on import) wherever it means the same.
    fn state_of(&self, region: &str, t: &Template, v: &Version, prior: &Value) -> Value {
        let canon = canonical(prior);
        let mut m = mapping::read(FIELDS, &v.data.0, &canon);
        m.insert("region".into(), Value::from(region));
        credits::keep_prior(&mut m, prior);
        // Deprecated aliases stay where the configuration put them.
        for (main, alias) in ALIASES {
            if prior.attr(main).is_null() && !prior.attr(alias).is_null() {
                let x = m
                    .insert(main.to_owned(), Value::Null)
                    .unwrap_or(Value::Null);
                m.insert(alias.to_owned(), x);
            } else {
                m.insert(alias.to_owned(), Value::Null);
            }
        }
        let description = match (&v.description, prior.attr("description")) {
            (None, p @ (Value::Null | Value::String(_)))
                if p.as_str().is_none_or(str::is_empty) =>
            {
                p.clone()
            }
            (Some(d), _) => Value::from(d.as_str()),
            (None, _) => Value::Null,
        };
        m.insert("description".into(), description);
        let defaults = self.state.default_tags();
        let mut all_tags = t.tags.clone();
        all_tags.remove(CREATE_TOKEN_TAG);
        let own: BTreeMap<String, String> = all_tags
            .iter()
            .filter(|(k, v)| defaults.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let tags = if own.is_empty() && prior.attr("tags").is_null() {
            Value::Null
        } else {
            tag_value(&own)
        };
        m.insert("tags".into(), tags);
        m.insert("tags_all".into(), tag_value(&all_tags));
        m.insert("id".into(), Value::from(t.id.as_str()));
        m.insert("arn".into(), Value::from(t.arn.as_str()));
        m.insert("name".into(), Value::from(t.name.as_str()));
        let prefix = match prior.attr("name_prefix") {
            Value::String(s) => Value::from(s.as_str()),
            // Import: what the name says, as hashicorp/aws reads it, so a
            // configuration with name_prefix plans no replacement.
            _ if prior.is_null() => name_prefix_of(&t.name).map_or(Value::Null, Value::from),
            _ => Value::Null,
        };
        m.insert("name_prefix".into(), prefix);
        m.insert("latest_version".into(), Value::from(t.latest_version));
        m.insert("default_version".into(), Value::from(t.default_version));
        // Configuration-only: kept from the prior state; on import, what
        // the template's versions say (default = latest reads as "moves
        // with new versions"), so a matching configuration plans nothing.
        let udv = match prior.attr("update_default_version") {
            Value::Bool(b) => Value::Bool(*b),
            Value::Null if prior.is_null() => Value::Bool(t.default_version == t.latest_version),
            _ => Value::Null,
        };
        m.insert("update_default_version".into(), udv);
        let sha = v
            .data
            .user_data()
            .and_then(user_data_sha256)
            .map_or(Value::Null, Value::from);
        m.insert("user_data_sha256".into(), sha);
        Value::Object(m)
    }

    /// Reads the template and its latest version.
    async fn fetch(&self, ec2: &Ec2, id: &str) -> Result<Option<(Template, Version)>, Diagnostics> {
        let t = match ec2.describe_template_by_id(id).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => return Err(aws_errors::error("Unable to Read Launch Template", &e)),
        };
        let v = ec2
            .template_version(&t.id, t.latest_version)
            .await
            .map_err(|e| aws_errors::error("Unable to Read Launch Template Version", &e))?;
        Ok(Some((t, v)))
    }

    /// A state response for `value` with private state and diagnostics.
    fn respond(&self, value: Value, private: &Private, diags: Diagnostics) -> StateResponse {
        StateResponse {
            state: Some(value),
            private: private.bytes(),
            diags,
        }
    }

    /// The state of a create with an unknown outcome: `id` empty, the
    /// token in private state, and an error (Terraform saves it tainted).
    fn pending_create(
        &self,
        planned: &Value,
        name: &str,
        token: &str,
        e: &crate::ec2::error::Ec2Error,
    ) -> StateResponse {
        let mut v = settle_unknowns(planned);
        set(&mut v, "id", Value::from(""));
        set(&mut v, "arn", Value::from(""));
        set(&mut v, "name", Value::from(name));
        set(&mut v, "latest_version", Value::from(0i64));
        set(&mut v, "default_version", Value::from(0i64));
        let mut d = Diagnostics::new();
        d.error(
            "Launch Template Creation Unconfirmed",
            format!(
                "CreateLaunchTemplate for {name:?} got no answer ({}), and the template could not be looked up. Terraform saves it as tainted: the next plan looks for it by its creation token and replaces it if EC2 made it, or creates it if not. Nothing is orphaned.",
                aws_errors::chain(e)
            ),
        );
        self.respond(
            v,
            &Private {
                create_token: Some(token.to_owned()),
                ..Default::default()
            },
            d,
        )
    }

    /// A pending create: the template of that name carrying `token`, if
    /// EC2 made it.
    async fn find_pending(
        &self,
        prior: &Value,
        token: Option<&str>,
    ) -> Result<Option<Template>, Diagnostics> {
        let ec2 = self.state.ec2_in(prior.attr("region").as_str()).await?;
        let (Some(name), Some(token)) =
            (prior.attr("name").as_str(), token.filter(|t| !t.is_empty()))
        else {
            return Ok(None);
        };
        let t = ec2
            .describe_template_by_name(name)
            .await
            .map_err(|e| aws_errors::error("Unable to Read Launch Template", &e))?;
        Ok(t.filter(|t| t.tags.get(CREATE_TOKEN_TAG).map(String::as_str) == Some(token)))
    }
}

/// Unknowns replaced by null (the state of an object whose create failed).
fn settle_unknowns(v: &Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(a) => Value::List(a.iter().map(settle_unknowns).collect()),
        Value::Set(a) => Value::Set(a.iter().map(settle_unknowns).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), settle_unknowns(x)))
                .collect(),
        ),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, x)| (k.clone(), settle_unknowns(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Create refused because the name is taken: on the attribute that chose
/// the name, with the two ways out.
fn name_taken(name_configured: bool, name: &str) -> Diagnostics {
    let attr = if name_configured {
        "name"
    } else {
        "name_prefix"
    };
    let mut d = Diagnostics::new();
    d.attribute_error(
        AttributePath::root(attr),
        "Launch Template Name Already in Use",
        format!("A launch template named {name:?} already exists in this account and Region. Import it (terraform import <address> {name}, or an import block) or choose another name."),
    );
    d
}

/// Warnings about a template this provider did not write, for import.
fn explain_user_data(user_data_base64: Option<&str>, diags: &mut Diagnostics) {
    let Some(ud) = user_data_base64 else {
        diags.warning(
            "Imported Launch Template Has No User Data",
            "The template carries no user data, so instances from it do not get the ECS credentials endpoint set up by this provider. Set user_data from data.ecshost_user_data.",
        );
        return;
    };
    let a = analyse_base64(ud);
    if a.follows_design() {
        diags.warning(
            "Imported Launch Template Follows the Design",
            format!(
                "Its user data ({}) puts 169.254.170.2 on lo, runs the ECS agent off the host network and keeps task containers away from instance metadata{}.",
                a.format,
                if a.self_check { ", and reports a self-check" } else { "" }
            ),
        );
    } else {
        diags.warning(
            "Imported Launch Template Does Not Follow the Design",
            format!(
                "Its user data ({}) differs from the design this provider renders: {}. Plan with user_data from data.ecshost_user_data to replace it with a new version.",
                a.format,
                a.findings().join("; ")
            ),
        );
    }
}

/// A warning for fields a version holds that cannot be written back.
fn warn_unknown_fields(id: &str, fields: &[String], diags: &mut Diagnostics) {
    if !fields.is_empty() {
        diags.warning(
            "Launch Template Holds Fields This Provider Cannot Write",
            format!(
                "{} Until then, plans that change template data fail rather than lose them; tags and the default version can still change.",
                unknown_fields_detail(id, fields)
            ),
        );
    }
}

/// Members of two versions' data that differ, for a warning.
fn differing_members(a: &LaunchTemplateData, b: &LaunchTemplateData) -> Vec<String> {
    let mut keys: Vec<&String> = a.0.keys().chain(b.0.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| {
            let one =
                |d: &LaunchTemplateData| d.0.get(*k).map(crate::ec2::template_data::canonical);
            one(a) != one(b)
        })
        .cloned()
        .collect()
}

#[async_trait]
impl Resource for LaunchTemplate {
    fn type_name(&self) -> String {
        "ecshost_launch_template".into()
    }

    fn schema(&self) -> Schema {
        let s = Attribute::string;
        let mut block = fields::block_of(FIELDS);
        let mut top = vec![
            s("id").computed().use_state_for_unknown().description("The launch template ID (`lt-…`)."),
            s("arn").computed().use_state_for_unknown().description("The launch template ARN."),
            s("name").optional().computed().requires_replace().use_state_for_unknown().validator(guards::TemplateName { prefix: false }).description(
                "The launch template name; changing it replaces the template. Conflicts with `name_prefix` unless it begins with it (as in a configuration generated by an import, which writes both); a unique name is generated when both are omitted.",
            ),
            s("name_prefix").optional().computed().requires_replace().use_state_for_unknown().validator(guards::TemplateName { prefix: true }).description("Creates a unique name beginning with this prefix. An import reads it from a name hashicorp/aws or this provider generated (the prefix and 26 digits)."),
            s("region").optional().computed().requires_replace().validator(crate::provider::config::AwsRegion).description(
                "Region where the template is managed (hashicorp/aws 6.x's per-resource `region`); changing it replaces the template. Unset, a new template goes to the provider's Region, and an existing one stays in the Region its state records (hashicorp/aws 6.x would replace it when the provider's Region changes; this provider keeps it). Import from another Region with `<id>@<region>`.",
            ),
            s("description").optional().description("Description of each template version this resource creates (EC2's `VersionDescription`)."),
            Attribute::string_map("tags").optional().description("Tags of the launch template itself (updated in place; `tag_specifications` tags what instances launch)."),
            Attribute::string_map("tags_all").computed().description("`tags` merged with the provider's `default_tags`."),
            Attribute::bool("update_default_version").optional().computed().description(
                "Make each new version the default version, as in hashicorp/aws; an apply that writes no version leaves the default alone (one rolled back outside Terraform stays). Unset (or `false`): the default version stays where it is, so instances that launch `$Default` keep the old data — use `$Latest` or set this. Conflicts with a `default_version` other than the version it makes the default, except the current default: a configuration generated by an import writes both, and `default_version` then pins the default (a warning says so). Configuration-only; after an import it reads as whether the default is the latest version.",
            ),
            Attribute::number("default_version").optional().computed().description(
                "The default version. Set it to pin a version (it must exist, or be the one this apply creates); see `update_default_version` for the two together.",
            ),
            Attribute::number("latest_version").computed().description("The latest version number."),
            s("user_data_sha256").computed().description(
                "Hex SHA-256 of the decoded user data: compare with `data.ecshost_user_data.x.sha256` or verify instances with it.",
            ),
            s("user_data_base64").optional().deprecated().validator(guards::UserDataBase64).description(
                "Deprecated spelling of `user_data` (both take base64). Use `user_data`. Conflicts with it.",
            ),
            Attribute::string_set("security_group_ids").optional().deprecated().description(
                "Deprecated spelling of `vpc_security_group_ids`. Use `vpc_security_group_ids`. Conflicts with it.",
            ),
        ];
        top.append(&mut block.attributes);
        block.attributes = top;
        Schema::new(block.description(
            "Manages an EC2 launch template carrying the rendered host configuration, with every argument of hashicorp/aws's `aws_launch_template` under the same names: paste an existing block, or adopt it with a `moved` block, `terraform import` or an `import` block, and the plan shows no changes. \
             Template data changes create a new version holding the complete data: every field EC2 holds is read, compared and written back, and a field this provider cannot express stops the plan with an error instead of being dropped. Renames replace the template; tags update in place. \
             A create whose answer is lost (timeout, dropped connection) orphans nothing: each create carries a unique token (its ClientToken and the hidden tag `ecshost:create-token`) by which the same apply adopts the template, or, when even the lookup fails, the object is saved tainted and the next plan finds it and replaces it. A new version whose answer is lost is adopted by the same apply when the template's newest version is new and holds exactly the requested data.",
        ))
        .version(SCHEMA_VERSION)
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        guards::conflicts(config, diags);
        guards::volumes(config, diags);
        if !guards::user_data(config).is_unknown() {
            guards::metadata(config, diags);
        }
    }

    async fn modify_plan(&self, req: PlanRequest<'_>, planned: &mut Value) -> PlanResponse {
        let mut resp = PlanResponse::default();
        let (prior, config) = (req.prior_state, req.config);
        // Validate saw an unknown user data: judge it now that it is known.
        if !guards::user_data(config).is_unknown() {
            let mut d = Diagnostics::new();
            guards::metadata(config, &mut d);
            guards::volumes(config, &mut d);
            for x in d.into_vec() {
                if x.severity == crate::sdk::Severity::Error {
                    resp.diags.push(x);
                }
            }
            guards::design(config, &mut resp.diags);
        }
        mapping::plan(FIELDS, config, prior, planned, false);
        let prior_credits_held = Private::parse(req.prior_private).credits_held;
        let description_changed = !prior.is_null()
            && !matches!(
                (planned.attr("description"), prior.attr("description")),
                (a, b) if a.as_str().unwrap_or_default() == b.as_str().unwrap_or_default() && !a.is_unknown()
            );
        let new_version = prior.is_null()
            || description_changed
            || !mapping::same(
                FIELDS,
                &credits::compared(&canonical(planned), prior_credits_held),
                &credits::compared(&canonical(prior), prior_credits_held),
            );
        if new_version && !prior.is_null() {
            mapping::plan(FIELDS, config, prior, planned, true);
        }
        drop_unfit_volume_settings(config, prior, planned);
        // user_data_sha256 is known at plan time whenever the user data is.
        let sha = match canonical(planned).attr("user_data") {
            Value::String(s) if s.is_empty() => Value::Null,
            Value::String(s) => user_data_sha256(s).map_or(Value::Null, Value::from),
            Value::Null => Value::Null,
            _ => Value::Unknown,
        };
        set(planned, "user_data_sha256", sha);
        let defaults = self.state.default_tags();
        let tags_all = match planned.attr("tags") {
            Value::Null => Some(defaults.clone()),
            v => string_map(v).map(|own| merged_tags(&defaults, &own)),
        };
        set(
            planned,
            "tags_all",
            tags_all.as_ref().map_or(Value::Unknown, tag_value),
        );
        // Configuration-only flag: a null configuration keeps the state.
        if config.attr("update_default_version").is_null() {
            set(
                planned,
                "update_default_version",
                prior.attr("update_default_version").clone(),
            );
        }
        if config.attr("name_prefix").is_null() {
            set(planned, "name_prefix", prior.attr("name_prefix").clone());
        }
        if config.attr("region").is_null() {
            let region = match prior.attr("region") {
                Value::String(r) => Value::from(r.as_str()),
                _ => match self.state.ec2().await {
                    Ok(c) if !c.region().is_empty() => Value::from(c.region()),
                    _ => Value::Unknown,
                },
            };
            set(planned, "region", region);
        }
        let udv = config.attr("update_default_version") == &Value::Bool(true);
        let pinned = number(config.attr("default_version"));
        if prior.is_null() {
            if let Some(n) = config.attr("name").as_str() {
                set(planned, "name", Value::from(n));
            }
            set(planned, "latest_version", Value::from(1i64));
            set(planned, "default_version", Value::from(1i64));
            if let Some(n) = pinned.filter(|n| *n != 1) {
                resp.diags.push(if udv {
                    default_conflict(n, 1)
                } else {
                    crate::sdk::Diagnostic {
                        severity: crate::sdk::Severity::Error,
                        summary: "Default Version Does Not Exist".into(),
                        detail: "A new launch template has only version 1: set default_version = 1 or leave it unset.".into(),
                        attribute: Some(AttributePath::root("default_version")),
                    }
                });
            }
            return resp;
        }
        if new_version
            && !udv
            && pinned.is_none()
            && config.attr("update_default_version").is_null()
            && prior.attr("update_default_version") == &Value::Bool(true)
            && !Private::parse(req.prior_private).default_flag_from_import
        {
            resp.diags.attribute_warning(
                AttributePath::root("update_default_version"),
                "New Version Will Not Become the Default",
                "update_default_version is not set, so the version this apply writes does not become the default version: instances that launch the template's $Default version keep the old data. The state still says true because earlier releases of this provider defaulted it to true; hashicorp/aws's meaning (unset = leave the default alone) applies now. Set update_default_version = true to move the default with each new version.",
            );
        }
        let prior_latest = number(prior.attr("latest_version")).unwrap_or_default();
        let prior_default = prior.attr("default_version").clone();
        set(
            planned,
            "latest_version",
            if new_version {
                Value::Unknown
            } else {
                Value::from(prior_latest)
            },
        );
        let follows = if new_version {
            prior_latest + 1
        } else {
            prior_latest
        };
        let default = match pinned {
            // The pair an import's generated configuration holds after a
            // new version: default_version keeps the default where it is.
            Some(n) if udv && n != follows && number(&prior_default) == Some(n) => {
                resp.diags.push(default_pinned(n, follows));
                Value::from(n)
            }
            Some(n) if udv && n != follows => {
                resp.diags.push(default_conflict(n, follows));
                Value::from(n)
            }
            Some(n) => {
                let highest = prior_latest + i64::from(new_version);
                if n < 1 || n > highest {
                    resp.diags.attribute_error(
                        AttributePath::root("default_version"),
                        "Default Version Does Not Exist",
                        format!("default_version = {n}, but the template's versions are 1 to {prior_latest}{}. Pin one of those, or use update_default_version = true to follow new versions.", if new_version { format!(" ({highest} once this apply writes one)") } else { String::new() }),
                    );
                }
                Value::from(n)
            }
            // hashicorp/aws's meaning: a new version becomes the default.
            // Without one the default stays where it is, also where someone
            // pointed it back at an older version (a rollback in the
            // console is not drift to undo).
            None if udv && new_version => Value::Unknown,
            None => prior_default,
        };
        set(planned, "default_version", default);
        // A template data change must not drop what the version holds.
        let private = Private::parse(req.prior_private);
        if new_version && !private.unknown_fields.is_empty() {
            resp.diags.error(
                "Launch Template Holds Fields This Provider Cannot Write",
                unknown_fields_detail(
                    prior.attr("id").as_str().unwrap_or_default(),
                    &private.unknown_fields,
                ),
            );
        }
        resp.private = Some(req.prior_private.to_vec());
        resp
    }

    async fn create(&self, _config: &Value, planned: &Value, stop: &StopSignal) -> StateResponse {
        if stop.is_stopped() {
            return StateResponse::from_diags(Diagnostics::from_error(
                "Interrupted",
                "Terraform asked the provider to stop.",
            ));
        }
        let ec2 = match self.state.ec2_in(planned.attr("region").as_str()).await {
            Ok(c) => c,
            Err(d) => return StateResponse::from_diags(d),
        };
        let name = match (planned.attr("name"), planned.attr("name_prefix")) {
            (Value::String(n), _) => n.clone(),
            (_, Value::String(p)) => format!("{p}{}", unique_suffix()),
            _ => format!("terraform-{}", unique_suffix()),
        };
        let own = string_map(planned.attr("tags")).unwrap_or_default();
        let mut tags = merged_tags(&self.state.default_tags(), &own);
        let mut sent = mapping::write(FIELDS, &canonical(planned), None);
        credits::unsent(&mut sent, planned, None);
        let data = LaunchTemplateData(sent);
        let token = create_token(&name);
        tags.insert(CREATE_TOKEN_TAG.to_owned(), token.clone());
        let description = known_str(planned.attr("description")).filter(|d| !d.is_empty());
        let mut diags = Diagnostics::new();
        let t = match ec2
            .create_template(&name, description.as_deref(), &data, &tags, &token)
            .await
        {
            Ok(t) => t,
            Err(e) => match adopt_lost_create(&ec2, &name, &token).await {
                Some(t) => {
                    diags.warning(
                        "Adopted a Launch Template Whose Creation Was Not Confirmed",
                        format!(
                            "CreateLaunchTemplate did not answer cleanly ({}), but launch template {} named {name:?} carries this call's creation token, so this apply created it. It is now in the state.",
                            aws_errors::chain(&e),
                            t.id
                        ),
                    );
                    t
                }
                None if e.code() == Some("InvalidLaunchTemplateName.AlreadyExistsException") => {
                    return StateResponse::from_diags(name_taken(
                        planned.attr("name").as_str().is_some(),
                        &name,
                    ))
                }
                None if e.code().is_some() || !e.may_have_reached_ec2() => {
                    return StateResponse::from_diags(aws_errors::error(
                        "Unable to Create Launch Template",
                        &e,
                    ))
                }
                None => return self.pending_create(planned, &name, &token, &e),
            },
        };
        // Read back what EC2 stored, so state is EC2's truth.
        let v = match ec2.template_version(&t.id, t.latest_version).await {
            Ok(v) => v,
            Err(e) => {
                // The template exists: save what was asked, with the error.
                let mut st = settle_unknowns(planned);
                set(&mut st, "id", Value::from(t.id.as_str()));
                set(&mut st, "arn", Value::from(t.arn.as_str()));
                set(&mut st, "name", Value::from(t.name.as_str()));
                diags.extend(aws_errors::error(
                    "Unable to Read Launch Template Version",
                    &e,
                ));
                return self.respond(st, &Private::default(), diags);
            }
        };
        if !v.data.same_as(&data) {
            diags.warning(
                "EC2 Stored Different Launch Template Data",
                format!(
                    "Launch template {} version {} holds other values than were sent for: {}. The state shows what EC2 holds; the next plan shows any difference from the configuration.",
                    t.id,
                    v.number,
                    differing_members(&data, &v.data).join(", ")
                ),
            );
        }
        let mut st = self.state_of(ec2.region(), &t, &v, planned);
        set(
            &mut st,
            "update_default_version",
            planned.attr("update_default_version").clone(),
        );
        set(
            &mut st,
            "name_prefix",
            settle_unknowns(planned.attr("name_prefix")),
        );
        set(&mut st, "tags", planned.attr("tags").clone());
        self.respond(st, &Private::default(), diags)
    }

    async fn read(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> StateResponse {
        let mut private = Private::parse(private);
        let Some(mut id) = known_str(state.attr("id")) else {
            return StateResponse::default();
        };
        if id.is_empty() {
            match self
                .find_pending(state, private.create_token.as_deref())
                .await
            {
                Err(d) => return StateResponse::from_diags(d),
                Ok(None) => {
                    let mut d = Diagnostics::new();
                    d.warning(
                        "Unconfirmed Launch Template Was Not Created",
                        "The create whose answer was lost did not take effect; it is removed from the state and will be created.",
                    );
                    return StateResponse {
                        state: None,
                        private: Vec::new(),
                        diags: d,
                    };
                }
                Ok(Some(t)) => id = t.id,
            }
        }
        let ec2 = match self.state.ec2_in(state.attr("region").as_str()).await {
            Ok(c) => c,
            Err(d) => return StateResponse::from_diags(d),
        };
        match self.fetch(&ec2, &id).await {
            Ok(Some((t, v))) => {
                let mut diags = Diagnostics::new();
                warn_unknown_fields(&t.id, &v.unknown, &mut diags);
                private.unknown_fields = v.unknown.clone();
                private.credits_held = credits::held_off_type(&v.data.0);
                private.create_token = None;
                let st = self.state_of(ec2.region(), &t, &v, state);
                self.respond(st, &private, diags)
            }
            Ok(None) => {
                let mut d = Diagnostics::new();
                d.warning(
                    "Launch Template Deleted Outside Terraform",
                    format!("Launch template {id} no longer exists; it was removed from the state and will be re-created."),
                );
                StateResponse {
                    state: None,
                    private: Vec::new(),
                    diags: d,
                }
            }
            Err(d) => StateResponse::from_diags(d),
        }
    }

    async fn update(
        &self,
        prior: &Value,
        config: &Value,
        planned: &Value,
        private: &[u8],
        _stop: &StopSignal,
    ) -> StateResponse {
        let mut private = Private::parse(private);
        if !config.attr("update_default_version").is_null() {
            private.default_flag_from_import = false;
        }
        let ec2 = match self.state.ec2_in(prior.attr("region").as_str()).await {
            Ok(c) => c,
            Err(d) => return StateResponse::from_diags(d),
        };
        let id = known_str(prior.attr("id")).unwrap_or_default();
        let mut diags = Diagnostics::new();
        let old_tags = string_map(prior.attr("tags_all")).unwrap_or_default();
        let new_tags = merged_tags(
            &self.state.default_tags(),
            &string_map(planned.attr("tags")).unwrap_or_default(),
        );
        if old_tags != new_tags {
            if let Err(e) = ec2.set_tags(&id, &old_tags, &new_tags).await {
                return StateResponse::from_diags(aws_errors::error(
                    "Unable to Update Launch Template Tags",
                    &e,
                ));
            }
        }
        let prior_latest = number(prior.attr("latest_version"));
        let mut version = None;
        if planned.attr("latest_version").is_unknown() {
            // What EC2 holds now, and whether all of it can be written back.
            let current = match prior_latest {
                Some(n) => match ec2.template_version(&id, n).await {
                    Ok(v) => Some(v),
                    Err(e) => {
                        return StateResponse::from_diags(aws_errors::error(
                            "Unable to Read Launch Template Version",
                            &e,
                        ))
                    }
                },
                None => None,
            };
            if let Some(cur) = current.as_ref().filter(|c| !c.unknown.is_empty()) {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Launch Template Holds Fields This Provider Cannot Write",
                    unknown_fields_detail(&id, &cur.unknown),
                ));
            }
            let held = current.as_ref().map(|c| &c.data.0);
            let mut sent = mapping::write(FIELDS, &canonical(planned), held);
            credits::unsent(&mut sent, planned, held);
            let data = LaunchTemplateData(sent);
            let token = create_token(&id);
            let description = known_str(planned.attr("description")).filter(|d| !d.is_empty());
            match ec2
                .create_version(&id, description.as_deref(), &data, &token)
                .await
            {
                Ok(v) => version = Some(v),
                Err(e) => {
                    let adopted = if e.may_have_reached_ec2() {
                        adopt_lost_version(&ec2, &id, prior_latest, &data).await
                    } else {
                        None
                    };
                    let Some(v) = adopted else {
                        return StateResponse::from_diags(aws_errors::error(
                            "Unable to Create Launch Template Version",
                            &e,
                        ));
                    };
                    diags.warning(
                        "Adopted a Launch Template Version Whose Creation Was Not Confirmed",
                        format!(
                            "CreateLaunchTemplateVersion on {id} failed ({}), but version {v} \
                             appeared since version {} and holds exactly the requested data, \
                             so it is taken as this update's version.",
                            aws_errors::chain(&e),
                            prior_latest.unwrap_or_default()
                        ),
                    );
                    version = Some(v);
                }
            }
        }
        let target = match number(config.attr("default_version")) {
            Some(n) => (number(prior.attr("default_version")) != Some(n)).then_some(n),
            None if config.attr("update_default_version") == &Value::Bool(true) => version,
            None => None,
        };
        if let Some(v) = target {
            if let Err(e) = ec2.set_default_version(&id, v).await {
                diags.extend(aws_errors::error("Unable to Set the Default Version", &e));
            }
        }
        match self.fetch(&ec2, &id).await {
            Ok(Some((t, v))) => {
                private.unknown_fields = v.unknown.clone();
                private.credits_held = credits::held_off_type(&v.data.0);
                let mut st = self.state_of(ec2.region(), &t, &v, planned);
                set(&mut st, "tags", planned.attr("tags").clone());
                set(
                    &mut st,
                    "update_default_version",
                    planned.attr("update_default_version").clone(),
                );
                set(&mut st, "name_prefix", planned.attr("name_prefix").clone());
                self.respond(st, &private, diags)
            }
            Ok(None) => StateResponse::from_diags(Diagnostics::from_error(
                "Launch Template Vanished",
                format!("{id} disappeared during the update."),
            )),
            Err(d) => StateResponse::from_diags(d),
        }
    }

    async fn delete(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> Diagnostics {
        let Some(mut id) = known_str(state.attr("id")) else {
            return Diagnostics::new();
        };
        if id.is_empty() {
            // A pending create that was never refreshed.
            let p = Private::parse(private);
            match self.find_pending(state, p.create_token.as_deref()).await {
                Err(d) => return d,
                Ok(None) => return Diagnostics::new(),
                Ok(Some(t)) => id = t.id,
            }
        }
        let ec2 = match self.state.ec2_in(state.attr("region").as_str()).await {
            Ok(c) => c,
            Err(d) => return d,
        };
        match ec2.delete_template(&id).await {
            Ok(()) => Diagnostics::new(),
            Err(e) if e.is_not_found() => Diagnostics::new(),
            Err(e) => aws_errors::error("Unable to Delete Launch Template", &e),
        }
    }

    async fn import(&self, id: &str, _stop: &StopSignal) -> StateResponse {
        let (id, region) = match import_id::split_region(id) {
            Ok(x) => x,
            Err(detail) => {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Invalid Import ID",
                    detail,
                ))
            }
        };
        let parsed = match parse_import_id(id) {
            Ok(p) => p,
            Err(detail) => {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Invalid Import ID",
                    detail,
                ))
            }
        };
        let ec2 = match self.state.ec2_in(region).await {
            Ok(c) => c,
            Err(d) => return StateResponse::from_diags(d),
        };
        let found = match parsed {
            ImportId::Id(id) => ec2.describe_template_by_id(id).await,
            ImportId::Name(name) => ec2.describe_template_by_name(name).await,
        };
        let t = match found {
            Ok(Some(t)) => t,
            Ok(None) => {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Launch Template Not Found",
                    format!("No launch template with ID or name {id:?} exists in this account and Region. Import by ID (lt-0123456789abcdef0) or by name."),
                ))
            }
            Err(e) => return StateResponse::from_diags(aws_errors::error("Unable to Import Launch Template", &e)),
        };
        let v = match ec2.template_version(&t.id, t.latest_version).await {
            Ok(v) => v,
            Err(e) => {
                return StateResponse::from_diags(aws_errors::error(
                    "Unable to Read Launch Template Version",
                    &e,
                ))
            }
        };
        let mut diags = Diagnostics::new();
        // (Fields that cannot be written back are warned about by the
        // refresh that follows every import.)
        explain_user_data(v.data.user_data(), &mut diags);
        let st = self.state_of(ec2.region(), &t, &v, &Value::Null);
        self.respond(
            st,
            &Private {
                unknown_fields: v.unknown.clone(),
                default_flag_from_import: true,
                credits_held: credits::held_off_type(&v.data.0),
                ..Default::default()
            },
            diags,
        )
    }

    async fn move_state(&self, req: MoveRequest<'_>) -> Option<StateResponse> {
        if req.source_type_name != "aws_launch_template"
            || !req.source_provider_address.ends_with("hashicorp/aws")
        {
            return None;
        }
        Some(
            match adopt::from_aws(req.source_state_json, &self.schema()) {
                Ok(v) => StateResponse {
                    state: Some(v),
                    ..Default::default()
                },
                Err(detail) => StateResponse::from_diags(Diagnostics::from_error(
                    "Unable to Read aws_launch_template State",
                    detail,
                )),
            },
        )
    }

    async fn upgrade_state(&self, version: i64, json: &[u8]) -> StateResponse {
        let schema = self.schema();
        let upgraded = match version {
            0 => adopt::upgrade_v0(json, &schema),
            SCHEMA_VERSION => adopt::load(json, &schema),
            _ => Err(format!(
                "ecshost_launch_template has no upgrade from schema version {version} to {SCHEMA_VERSION}: the state was written by a newer release."
            )),
        };
        match upgraded {
            Ok(v) => StateResponse {
                state: Some(v),
                ..Default::default()
            },
            Err(detail) => StateResponse::from_diags(Diagnostics::from_error(
                "Unable to Upgrade Resource State",
                detail,
            )),
        }
    }
}

/// `iops` and `throughput` are kept as EC2 holds them when the
/// configuration leaves them unset; but when a volume's type changes to one
/// that does not take them (`io1` → `gp2`: iops only on gp3, io1 and io2,
/// throughput only on gp3), the old value would ride along into the new
/// version, and EC2 refuses the launch. They are planned null then, so the
/// plan shows them going away and the version does not carry them.
fn drop_unfit_volume_settings(config: &Value, prior: &Value, planned: &mut Value) {
    let Value::Object(top) = planned else { return };
    let Some(Value::List(bdms)) = top.get_mut("block_device_mappings") else {
        return;
    };
    let (cb, pb) = (
        config.attr("block_device_mappings"),
        prior.attr("block_device_mappings"),
    );
    for (i, bdm) in bdms.iter_mut().enumerate() {
        let Value::Object(b) = bdm else { continue };
        let Some(Value::List(ebss)) = b.get_mut("ebs") else {
            continue;
        };
        for (j, ebs) in ebss.iter_mut().enumerate() {
            let cfg = guards::nth(guards::nth(cb, i).attr("ebs"), j);
            let was = guards::nth(guards::nth(pb, i).attr("ebs"), j);
            let Value::Object(e) = ebs else { continue };
            let Some(vt) = e
                .get("volume_type")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            if was.attr("volume_type").as_str() == Some(vt.as_str()) {
                continue;
            }
            for (attr, takes) in guards::TYPE_BOUND_SETTINGS {
                if !takes.contains(&vt.as_str()) && cfg.attr(attr).is_null() {
                    e.insert(attr.to_owned(), Value::Null);
                }
            }
        }
    }
}

/// `update_default_version = true` and a `default_version` that is not
/// the version it moves the default to.
fn default_conflict(pinned: i64, follows: i64) -> crate::sdk::Diagnostic {
    crate::sdk::Diagnostic {
        severity: crate::sdk::Severity::Error,
        summary: "Conflicting Attributes".into(),
        detail: format!("update_default_version = true makes version {follows} the default, but default_version = {pinned}. Remove one of them: default_version pins a version, update_default_version follows each new version."),
        attribute: Some(AttributePath::root("default_version")),
    }
}

/// `update_default_version = true` and a `default_version` that is the
/// current default: what `-generate-config-out` writes after an import
/// (both are optional+computed, so both are written) once a new version
/// is planned. Terraform keeps a configured value as planned, so the
/// default stays pinned; the warning says which line to remove for which
/// behaviour.
fn default_pinned(pinned: i64, follows: i64) -> crate::sdk::Diagnostic {
    crate::sdk::Diagnostic {
        severity: crate::sdk::Severity::Warning,
        summary: "Default Version Stays Pinned".into(),
        detail: format!("default_version = {pinned} pins the default version, so update_default_version = true does not move it to version {follows}: instances that launch the template's $Default version keep version {pinned}. Remove default_version to make each new version the default, or remove update_default_version to keep pinning without this warning."),
        attribute: Some(AttributePath::root("update_default_version")),
    }
}

/// A token unique to one create call (≤ 64 characters, EC2's ClientToken
/// limit): name, time, process and a counter, hashed.
fn create_token(name: &str) -> String {
    use sha2::{Digest as _, Sha256};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let n = CALLS.fetch_add(1, Ordering::Relaxed);
    let d = Sha256::digest(format!(
        "{name}\0{}\0{}\0{n}",
        t.as_nanos(),
        std::process::id()
    ));
    format!(
        "ecshost-{}",
        d.iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// After a failed create: the template of this name, if it carries `token`
/// (made by this very call, answer lost). Lookup errors mean "no".
async fn adopt_lost_create(ec2: &Ec2, name: &str, token: &str) -> Option<Template> {
    let t = ec2.describe_template_by_name(name).await.ok()??;
    (t.tags.get(CREATE_TOKEN_TAG).map(String::as_str) == Some(token)).then_some(t)
}

/// After a failed CreateLaunchTemplateVersion that may have reached EC2: the
/// template's newest version, if it is newer than `prior_latest` and holds
/// exactly `data` (made by this very call, its answer lost). Anything else,
/// lookup errors included, means "no": the update then fails as it would
/// have, and the next refresh reads whatever EC2 holds.
async fn adopt_lost_version(
    ec2: &Ec2,
    id: &str,
    prior_latest: Option<i64>,
    data: &LaunchTemplateData,
) -> Option<i64> {
    let prior_latest = prior_latest?;
    let t = ec2.describe_template_by_id(id).await.ok()??;
    if t.latest_version <= prior_latest {
        return None;
    }
    let held = ec2.template_version(id, t.latest_version).await.ok()?;
    held.data.same_as(data).then_some(t.latest_version)
}

/// Hex digits of a generated name's suffix: hashicorp/aws's length
/// (terraform-plugin-sdk's `id.UniqueIDSuffixLength`).
const NAME_SUFFIX_LEN: usize = 26;

/// A name suffix for `name_prefix`, unique enough across processes:
/// [`NAME_SUFFIX_LEN`] hex digits (time, process, call), the shape
/// hashicorp/aws's generated names end in, so that [`name_prefix_of`]
/// reads the prefix back whichever provider made the name.
fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{:016x}{:05x}{:05x}",
        t.as_nanos() as u64,
        std::process::id() & 0xfffff,
        CALLS.fetch_add(1, Ordering::Relaxed) & 0xfffff
    )
}

/// The `name_prefix` a generated name was made from, by hashicorp/aws's
/// rule (`create.NamePrefixFromName`): a non-empty prefix followed by
/// [`NAME_SUFFIX_LEN`] hex digits. `None` for other names.
fn name_prefix_of(name: &str) -> Option<&str> {
    let cut = name.len().checked_sub(NAME_SUFFIX_LEN).filter(|n| *n > 0)?;
    let (prefix, suffix) = (name.get(..cut)?, name.get(cut..)?);
    suffix
        .bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then_some(prefix)
}

#[cfg(test)]
mod tests;
