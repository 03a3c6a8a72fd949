//! `ecshost_launch_template`: the EC2 launch template that carries the
//! rendered user data. Template data changes create a new version (and move
//! the default when asked); renames replace; tags update in place.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::config::{error_chain, ProviderState};
use crate::ec2::launch_templates::{user_data_sha256, MetadataOptions, Template, TemplateData};
use crate::render::analyse::analyse_base64;
use crate::render::user_data::MAX_USER_DATA_BYTES;
use crate::sdk::schema::validators::{IntBetween, OneOf};
use crate::sdk::typed::{decode, encode};
use crate::sdk::{
    Attribute, AttributePath, Block, Diagnostics, MoveRequest, NestedBlock, Nesting, PlanRequest,
    PlanResponse, Resource, Schema, StateResponse, StopSignal, TfValue, Value,
};

/// Attributes whose change makes a new template version.
const VERSIONED: &[&str] = &[
    "description",
    "image_id",
    "instance_type",
    "iam_instance_profile",
    "security_group_ids",
    "key_name",
    "user_data_base64",
    "metadata_options",
];

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

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
struct MetadataModel {
    http_tokens: TfValue<String>,
    http_put_response_hop_limit: TfValue<i64>,
    http_endpoint: TfValue<String>,
    instance_metadata_tags: TfValue<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Model {
    id: TfValue<String>,
    arn: TfValue<String>,
    name: TfValue<String>,
    name_prefix: TfValue<String>,
    description: TfValue<String>,
    image_id: TfValue<String>,
    instance_type: TfValue<String>,
    iam_instance_profile: TfValue<String>,
    security_group_ids: TfValue<Vec<String>>,
    key_name: TfValue<String>,
    user_data_base64: TfValue<String>,
    metadata_options: Vec<MetadataModel>,
    tags: TfValue<BTreeMap<String, String>>,
    tags_all: TfValue<BTreeMap<String, String>>,
    update_default_version: TfValue<bool>,
    latest_version: TfValue<i64>,
    default_version: TfValue<i64>,
    user_data_sha256: TfValue<String>,
}

fn known(v: &TfValue<String>) -> Option<String> {
    v.known().cloned()
}

/// The secure defaults sent when `metadata_options` is omitted.
fn default_metadata() -> MetadataOptions {
    MetadataOptions {
        http_tokens: "required".into(),
        http_put_response_hop_limit: 2,
        http_endpoint: "enabled".into(),
        instance_metadata_tags: "disabled".into(),
    }
}

fn metadata_from_model(m: &[MetadataModel]) -> MetadataOptions {
    let d = default_metadata();
    match m.first() {
        None => d,
        Some(b) => MetadataOptions {
            http_tokens: b.http_tokens.known().cloned().unwrap_or(d.http_tokens),
            http_put_response_hop_limit: b
                .http_put_response_hop_limit
                .known()
                .copied()
                .unwrap_or(d.http_put_response_hop_limit),
            http_endpoint: b.http_endpoint.known().cloned().unwrap_or(d.http_endpoint),
            instance_metadata_tags: b
                .instance_metadata_tags
                .known()
                .cloned()
                .unwrap_or(d.instance_metadata_tags),
        },
    }
}

fn metadata_model(m: &MetadataOptions) -> MetadataModel {
    MetadataModel {
        http_tokens: TfValue::Known(m.http_tokens.clone()),
        http_put_response_hop_limit: TfValue::Known(m.http_put_response_hop_limit),
        http_endpoint: TfValue::Known(m.http_endpoint.clone()),
        instance_metadata_tags: TfValue::Known(m.instance_metadata_tags.clone()),
    }
}

fn template_data(m: &Model) -> TemplateData {
    TemplateData {
        image_id: known(&m.image_id),
        instance_type: known(&m.instance_type),
        iam_instance_profile: known(&m.iam_instance_profile),
        security_group_ids: m.security_group_ids.known().cloned().unwrap_or_default(),
        key_name: known(&m.key_name),
        user_data_base64: known(&m.user_data_base64),
        metadata_options: Some(metadata_from_model(&m.metadata_options)),
    }
}

fn opt(v: Option<String>) -> TfValue<String> {
    v.map_or(TfValue::Null, TfValue::Known)
}

fn merged_tags(
    defaults: &BTreeMap<String, String>,
    own: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut all = defaults.clone();
    all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

impl LaunchTemplate {
    fn ty(&self) -> crate::sdk::Type {
        self.schema().value_type()
    }

    fn to_state(&self, m: &Model) -> StateResponse {
        match encode(m, &self.ty()) {
            Ok(s) => StateResponse {
                state: Some(s),
                ..Default::default()
            },
            Err(d) => StateResponse::from_diags(d),
        }
    }

    /// The model for what EC2 holds now, keeping config-only attributes
    /// (`name_prefix`, `update_default_version`) and the shape the user
    /// chose (an omitted `metadata_options` block stays omitted while EC2
    /// holds the defaults) from `prior`.
    fn model_from_remote(&self, t: &Template, data: &TemplateData, prior: Option<&Model>) -> Model {
        let defaults = self.state.default_tags();
        let mut all_tags = t.tags.clone();
        all_tags.remove(CREATE_TOKEN_TAG);
        let own: BTreeMap<String, String> = all_tags
            .iter()
            .filter(|(k, v)| defaults.get(*k) != Some(v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let prior_tags_null = prior.is_some_and(|p| p.tags.is_null());
        // A template without metadata options is not "the defaults": the
        // instance then gets the account's or AMI's settings (maybe IMDSv1),
        // so that shows as drift.
        // On import (no prior) the secure defaults read as an omitted block,
        // which is what a config relying on them says.
        let keep_block_omitted = prior.is_none_or(|p| p.metadata_options.is_empty())
            && data.metadata_options.as_ref() == Some(&default_metadata());
        let remote_md = data
            .metadata_options
            .as_ref()
            .map(metadata_model)
            .unwrap_or(MetadataModel {
                http_tokens: TfValue::Null,
                http_put_response_hop_limit: TfValue::Null,
                http_endpoint: TfValue::Null,
                instance_metadata_tags: TfValue::Null,
            });
        let sgs = if data.security_group_ids.is_empty()
            && prior.is_none_or(|p| p.security_group_ids.is_null())
        {
            TfValue::Null
        } else {
            TfValue::Known(data.security_group_ids.clone())
        };
        Model {
            id: TfValue::Known(t.id.clone()),
            arn: TfValue::Known(t.arn.clone()),
            name: TfValue::Known(t.name.clone()),
            name_prefix: prior.map_or(TfValue::Null, |p| p.name_prefix.clone()),
            description: prior.map_or(TfValue::Null, |p| p.description.clone()),
            image_id: opt(data.image_id.clone()),
            instance_type: opt(data.instance_type.clone()),
            iam_instance_profile: opt(data.iam_instance_profile.clone()),
            security_group_ids: sgs,
            key_name: opt(data.key_name.clone()),
            user_data_base64: opt(data.user_data_base64.clone()),
            metadata_options: if keep_block_omitted {
                vec![]
            } else {
                vec![remote_md]
            },
            tags: if own.is_empty() && prior_tags_null {
                TfValue::Null
            } else {
                TfValue::Known(own)
            },
            tags_all: TfValue::Known(all_tags),
            update_default_version: prior.map_or(TfValue::Known(true), |p| {
                match p.update_default_version {
                    TfValue::Known(b) => TfValue::Known(b),
                    _ => TfValue::Known(true),
                }
            }),
            latest_version: TfValue::Known(t.latest_version),
            default_version: TfValue::Known(t.default_version),
            user_data_sha256: opt(data.user_data_base64.as_deref().and_then(user_data_sha256)),
        }
    }

    /// The state of a create with an unknown outcome: `id` empty, the
    /// token in private state, and an error (Terraform saves it tainted).
    fn pending_create(
        &self,
        m: &Model,
        name: &str,
        data: &TemplateData,
        tags: &BTreeMap<String, String>,
        token: &str,
        e: &crate::ec2::error::Ec2Error,
    ) -> StateResponse {
        let t = Template {
            id: String::new(),
            name: name.to_owned(),
            default_version: 0,
            latest_version: 0,
            tags: tags.clone(),
            arn: String::new(),
        };
        let mut out = self.model_from_remote(&t, data, Some(m));
        out.metadata_options = m.metadata_options.clone();
        out.security_group_ids = m.security_group_ids.clone();
        out.tags = m.tags.clone();
        let mut resp = self.to_state(&out);
        resp.private = token.as_bytes().to_vec();
        resp.diags.error(
            "Launch Template Creation Unconfirmed",
            format!(
                "CreateLaunchTemplate for {name:?} got no answer ({}), and the template could not be looked up. Terraform saves it as tainted: the next plan looks for it by its creation token and replaces it if EC2 made it, or creates it if not. Nothing is orphaned.",
                error_chain(e)
            ),
        );
        resp
    }

    /// A pending create (see [`Self::pending_create`]): the template of that
    /// name carrying `token`, if EC2 made it.
    async fn find_pending(
        &self,
        prior: &Model,
        token: &[u8],
    ) -> Result<Option<Template>, Diagnostics> {
        let ec2 = self.state.ec2().await?;
        let Some(name) = prior.name.known() else {
            return Ok(None);
        };
        let token = String::from_utf8_lossy(token);
        let t = ec2.describe_template_by_name(name).await.map_err(|e| {
            Diagnostics::from_error("Unable to Read Launch Template", error_chain(&e))
        })?;
        Ok(t.filter(|t| {
            !token.is_empty() && t.tags.get(CREATE_TOKEN_TAG).map(String::as_str) == Some(&*token)
        }))
    }

    async fn read_remote(
        &self,
        id: &str,
        prior: Option<&Model>,
    ) -> Result<Option<Model>, Diagnostics> {
        let ec2 = self.state.ec2().await?;
        let t = match ec2.describe_template_by_id(id).await {
            Ok(Some(t)) => t,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(Diagnostics::from_error(
                    "Unable to Read Launch Template",
                    error_chain(&e),
                ))
            }
        };
        let data = ec2
            .template_data(&t.id, t.latest_version)
            .await
            .map_err(|e| {
                Diagnostics::from_error("Unable to Read Launch Template Version", error_chain(&e))
            })?;
        Ok(Some(self.model_from_remote(&t, &data, prior)))
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

/// How an import ID names a template.
#[derive(Debug, PartialEq, Eq)]
enum ImportId<'a> {
    /// `lt-` and 17 hex digits
    Id(&'a str),
    /// anything else EC2 accepts as a template name (which may start with
    /// `lt-` too)
    Name(&'a str),
}

/// EC2 ID prefixes of other resource types, for a pointed message.
const OTHER_ID_PREFIXES: &[(&str, &str)] = &[
    ("ami", "an AMI"),
    ("i", "an instance"),
    ("sg", "a security group"),
    ("subnet", "a subnet"),
    ("vpc", "a VPC"),
    ("eni", "a network interface"),
    ("vol", "a volume"),
    ("snap", "a snapshot"),
    ("key", "a key pair"),
];

fn is_template_id(id: &str) -> bool {
    id.strip_prefix("lt-")
        .is_some_and(|h| h.len() == 17 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses an import ID, refusing before any EC2 call what can name no
/// launch template: another resource's ID, an ARN, or a string EC2 would
/// not accept as a template name. The error is the diagnostic's detail.
fn parse_import_id(id: &str) -> Result<ImportId<'_>, String> {
    const FORMS: &str = "Import by launch template ID (lt- and 17 hex digits, e.g. lt-0123456789abcdef0) or by name";
    if is_template_id(id) {
        return Ok(ImportId::Id(id));
    }
    if id.trim() != id {
        return Err(format!("{id:?} has surrounding whitespace. {FORMS}."));
    }
    if let Some(arn_id) = id
        .strip_prefix("arn:")
        .map(|rest| rest.rsplit('/').next().unwrap_or_default())
    {
        return Err(if is_template_id(arn_id) {
            format!("{id:?} is an ARN. Import by the ID it ends with: {arn_id}.")
        } else {
            format!("{id:?} is an ARN, not a launch template ID. {FORMS}.")
        });
    }
    if let Some((prefix, hex)) = id.split_once('-') {
        if let Some((_, what)) = OTHER_ID_PREFIXES.iter().find(|(p, _)| *p == prefix) {
            if (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!(
                    "{id} is {what} ID, not a launch template ID. {FORMS}."
                ));
            }
        }
    }
    let name_ok = (3..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"().-/_".contains(&b));
    if !name_ok {
        return Err(format!(
            "{id:?} is neither a launch template ID nor a launch template name (3 to 128 letters, digits and ( ) . - / _). {FORMS}."
        ));
    }
    Ok(ImportId::Name(id))
}

/// Warnings about a template this provider did not write, for import.
fn explain_user_data(user_data_base64: Option<&str>, diags: &mut Diagnostics) {
    let Some(ud) = user_data_base64 else {
        diags.warning(
            "Imported Launch Template Has No User Data",
            "The template carries no user data, so instances from it do not get the ECS credentials endpoint set up by this provider. Set user_data_base64 from data.ecshost_user_data.",
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
                "Its user data ({}) differs from the design this provider renders: {}. Plan with user_data_base64 from data.ecshost_user_data to replace it with a new version.",
                a.format,
                a.findings().join("; ")
            ),
        );
    }
}

#[async_trait]
impl Resource for LaunchTemplate {
    fn type_name(&self) -> String {
        "ecshost_launch_template".into()
    }

    fn schema(&self) -> Schema {
        let s = Attribute::string;
        Schema::new(
            Block::new(vec![
                s("id").computed().use_state_for_unknown().description("The launch template ID (`lt-…`)."),
                s("arn").computed().use_state_for_unknown().description("The launch template ARN."),
                s("name").optional().computed().requires_replace().description(
                    "The launch template name; changing it replaces the template. Conflicts with `name_prefix`; one of them is generated when both are omitted.",
                ),
                s("name_prefix").optional().requires_replace().description("Creates a unique name beginning with this prefix."),
                s("description").optional().description("Description of each template version this resource creates."),
                s("image_id").optional().description("AMI ID."),
                s("instance_type").optional().description("Instance type."),
                s("iam_instance_profile").optional().description("IAM instance profile, by name or ARN."),
                Attribute::string_set("security_group_ids").optional().description("Security group IDs."),
                s("key_name").optional().description("Key pair name."),
                s("user_data_base64").optional().description(
                    "Base64 user data, typically `data.ecshost_user_data.x.base64`. A change creates a new template version.",
                ),
                Attribute::string_map("tags").optional().description("Tags of the launch template (updated in place)."),
                Attribute::string_map("tags_all").computed().description("`tags` merged with the provider's `default_tags`."),
                Attribute::bool("update_default_version").default(true).description(
                    "Make each new version the default version. Defaults to `true`.",
                ),
                Attribute::number("latest_version").computed().description("The latest version number."),
                Attribute::number("default_version").computed().description("The default version number."),
                s("user_data_sha256").computed().description(
                    "Hex SHA-256 of the decoded user data: compare with `data.ecshost_user_data.x.sha256` or verify instances with it.",
                ),
            ])
            .with_blocks(vec![NestedBlock::new(
                "metadata_options",
                Nesting::List,
                Block::new(vec![
                    s("http_tokens").default("required").validator(OneOf(&["required", "optional"])).description(
                        "`required` (IMDSv2 only) or `optional`. Defaults to `required`. When the block is omitted the same secure defaults are sent.",
                    ),
                    Attribute::number("http_put_response_hop_limit").default(2i64).validator(IntBetween(1, 64)).description(
                        "IMDSv2 token hop limit. Defaults to `2`: the agent on a bridge network is one hop away and needs tokens; the DOCKER-USER rule keeps tasks away instead.",
                    ),
                    s("http_endpoint").default("enabled").validator(OneOf(&["enabled", "disabled"])).description("Defaults to `enabled`."),
                    s("instance_metadata_tags").default("disabled").validator(OneOf(&["enabled", "disabled"])).description("Defaults to `disabled`."),
                ]),
            )
            .items(0, 1)])
            .description(
                "Manages an EC2 launch template carrying the rendered host configuration. Template data changes create a new version; renames replace the template; tags update in place. Imports by ID (`lt-…`) or name, and adopts `aws_launch_template` via `moved` blocks. \
                 A create whose answer is lost (timeout, dropped connection) orphans nothing: each create carries a unique token (its ClientToken and the hidden tag `ecshost:create-token`) by which the same apply adopts the template, or, when even the lookup fails, the object is saved tainted and the next plan finds it and replaces it. A new version whose answer is lost is adopted by the same apply when the template's newest version is new and holds exactly the requested data (CreateLaunchTemplateVersion also carries a ClientToken, so the SDK's retries are idempotent on EC2).",
            ),
        )
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if !config.attr("name").is_null() && !config.attr("name_prefix").is_null() {
            diags.attribute_error(
                AttributePath::root("name_prefix"),
                "Conflicting Attributes",
                "Set name or name_prefix, not both.",
            );
        }
        if let Some(ud) = config.attr("user_data_base64").as_str() {
            use base64::Engine as _;
            if base64::engine::general_purpose::STANDARD
                .decode(ud.trim())
                .is_err()
            {
                diags.attribute_error(AttributePath::root("user_data_base64"), "Invalid Base64", "user_data_base64 must be standard base64 (use data.ecshost_user_data.x.base64 or base64encode()).");
            } else if let Some(n) = base64::engine::general_purpose::STANDARD
                .decode(ud.trim())
                .ok()
                .map(|b| b.len())
                .filter(|n| *n > MAX_USER_DATA_BYTES)
            {
                diags.attribute_error(
                    AttributePath::root("user_data_base64"),
                    "User Data Too Large",
                    format!("user_data_base64 decodes to {n} bytes but EC2 accepts at most {MAX_USER_DATA_BYTES}. Render it with data.ecshost_user_data and gzip = true (cloud-init formats), or drop extra parts."),
                );
            }
        }
        let md = match config.attr("metadata_options") {
            Value::List(items) => items.first().cloned(),
            _ => None,
        };
        let Some(md) = md else { return };
        let p = AttributePath::root("metadata_options").index(0);
        if let Value::Number(n) = md.attr("http_put_response_hop_limit") {
            if n.as_i64() == Some(1) {
                let host_net = config
                    .attr("user_data_base64")
                    .as_str()
                    .is_some_and(|u| analyse_base64(u).agent_host_network);
                if !host_net {
                    diags.attribute_error(
                        p.attr("http_put_response_hop_limit"),
                        "Hop Limit 1 Starves the ECS Agent",
                        "With the agent on a bridge network (the design this provider renders) the agent is one hop away from the instance metadata service, so with hop limit 1 it cannot obtain IMDSv2 tokens, region or instance-role credentials. Use 2: the DOCKER-USER rule already keeps task containers away from metadata.",
                    );
                }
            }
        }
        if md.attr("http_tokens").as_str() == Some("optional") {
            diags.attribute_warning(
                p.attr("http_tokens"),
                "IMDSv1 Allowed",
                "http_tokens = \"optional\" lets anything on the instance use IMDSv1, and the hop limit does nothing against IMDSv1 GETs. Prefer \"required\".",
            );
        }
    }

    async fn modify_plan(&self, req: PlanRequest<'_>, planned: &mut Value) -> PlanResponse {
        let mut resp = PlanResponse::default();
        let prior = req.prior_state;
        let set = |planned: &mut Value, k: &str, v: Value| {
            if let Some(x) = planned.attr_mut(k) {
                *x = v;
            }
        };
        // user_data_sha256 is known at plan time whenever the user data is.
        let sha = match planned.attr("user_data_base64") {
            Value::String(s) => user_data_sha256(s).map_or(Value::Null, Value::from),
            Value::Null => Value::Null,
            _ => Value::Unknown,
        };
        set(planned, "user_data_sha256", sha);
        // tags_all likewise.
        let defaults = self.state.default_tags();
        let tags_all = match planned.attr("tags") {
            Value::Map(m) if m.values().all(|v| v.as_str().is_some()) => {
                let own = m
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect();
                Some(merged_tags(&defaults, &own))
            }
            Value::Null => Some(defaults.clone()),
            _ => None,
        };
        set(
            planned,
            "tags_all",
            tags_all.map_or(Value::Unknown, |t| {
                Value::Map(t.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }),
        );
        if prior.is_null() {
            if let Some(n) = req.config.attr("name").as_str() {
                set(planned, "name", Value::from(n));
            }
            return resp;
        }
        // Only template data makes a new version; tags do not.
        let versioned = VERSIONED
            .iter()
            .any(|k| !planned.attr(k).semantically_eq(prior.attr(k)));
        let default_off = !matches!(planned.attr("update_default_version"), Value::Bool(true));
        let default_drifted = !default_off
            && !prior
                .attr("default_version")
                .semantically_eq(prior.attr("latest_version"));
        for k in ["latest_version", "default_version"] {
            set(planned, k, prior.attr(k).clone());
        }
        if versioned {
            set(planned, "latest_version", Value::Unknown);
            if !default_off {
                set(planned, "default_version", Value::Unknown);
            }
        } else if default_drifted {
            // The default version was moved outside Terraform: move it back.
            set(planned, "default_version", Value::Unknown);
        }
        resp.diags = Diagnostics::new();
        resp
    }

    async fn create(&self, _config: &Value, planned: &Value, stop: &StopSignal) -> StateResponse {
        let m: Model = match decode(planned) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        if stop.is_stopped() {
            return StateResponse::from_diags(Diagnostics::from_error(
                "Interrupted",
                "Terraform asked the provider to stop.",
            ));
        }
        let ec2 = match self.state.ec2().await {
            Ok(c) => c,
            Err(d) => return StateResponse::from_diags(d),
        };
        let name = match (&m.name, &m.name_prefix) {
            (TfValue::Known(n), _) => n.clone(),
            (_, TfValue::Known(p)) => format!("{p}{}", unique_suffix()),
            _ => format!("terraform-{}", unique_suffix()),
        };
        let own = m.tags.known().cloned().unwrap_or_default();
        let mut tags = merged_tags(&self.state.default_tags(), &own);
        let data = template_data(&m);
        let token = create_token(&name);
        tags.insert(CREATE_TOKEN_TAG.to_owned(), token.clone());
        let mut diags = Diagnostics::new();
        let t = match ec2
            .create_template(
                &name,
                m.description.known().map(String::as_str),
                &data,
                &tags,
                &token,
            )
            .await
        {
            Ok(t) => t,
            Err(e) => match adopt_lost_create(ec2, &name, &token).await {
                Some(t) => {
                    diags.warning(
                        "Adopted a Launch Template Whose Creation Was Not Confirmed",
                        format!(
                            "CreateLaunchTemplate did not answer cleanly ({}), but launch template {} named {name:?} carries this call's creation token, so this apply created it. It is now in the state.",
                            error_chain(&e),
                            t.id
                        ),
                    );
                    t
                }
                // Taken by a template this configuration did not create.
                None if e.code() == Some("InvalidLaunchTemplateName.AlreadyExistsException") => {
                    return StateResponse::from_diags(name_taken(m.name.known().is_some(), &name))
                }
                // EC2 answered with an error, or the request never left:
                // nothing was created.
                None if e.code().is_some() || !e.may_have_reached_ec2() => {
                    return StateResponse::from_diags(Diagnostics::from_error(
                        "Unable to Create Launch Template",
                        error_chain(&e),
                    ))
                }
                // No answer: it may exist. Save what is known (Terraform
                // keeps it, tainted) so the next refresh finds it by token.
                None => return self.pending_create(&m, &name, &data, &tags, &token, &e),
            },
        };
        let mut out = self.model_from_remote(&t, &data, Some(&m));
        out.name_prefix = m.name_prefix.clone();
        out.update_default_version = m.update_default_version.clone();
        out.metadata_options = m
            .metadata_options
            .iter()
            .map(|_| metadata_model(&metadata_from_model(&m.metadata_options)))
            .collect();
        out.security_group_ids = m.security_group_ids.clone();
        out.tags = m.tags.clone();
        let mut resp = self.to_state(&out);
        diags.extend(resp.diags);
        resp.diags = diags;
        resp
    }

    async fn read(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> StateResponse {
        let prior: Model = match decode(state) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        let Some(mut id) = prior.id.known().cloned() else {
            return StateResponse::default();
        };
        if id.is_empty() {
            match self.find_pending(&prior, private).await {
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
        match self.read_remote(&id, Some(&prior)).await {
            Ok(Some(m)) => self.to_state(&m),
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
        _config: &Value,
        planned: &Value,
        _private: &[u8],
        _stop: &StopSignal,
    ) -> StateResponse {
        let (old, new): (Model, Model) = match (decode(prior), decode(planned)) {
            (Ok(o), Ok(n)) => (o, n),
            (Err(d), _) | (_, Err(d)) => return StateResponse::from_diags(d),
        };
        let ec2 = match self.state.ec2().await {
            Ok(c) => c,
            Err(d) => return StateResponse::from_diags(d),
        };
        let id = old.id.known().cloned().unwrap_or_default();
        let mut diags = Diagnostics::new();
        let old_tags = old.tags_all.known().cloned().unwrap_or_default();
        let new_tags = merged_tags(
            &self.state.default_tags(),
            &new.tags.known().cloned().unwrap_or_default(),
        );
        if old_tags != new_tags {
            if let Err(e) = ec2.set_tags(&id, &old_tags, &new_tags).await {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Unable to Update Launch Template Tags",
                    error_chain(&e),
                ));
            }
        }
        let versioned = VERSIONED
            .iter()
            .any(|k| !planned.attr(k).semantically_eq(prior.attr(k)));
        let mut version = None;
        if versioned {
            let data = template_data(&new);
            let token = create_token(&id);
            match ec2
                .create_version(
                    &id,
                    new.description.known().map(String::as_str),
                    &data,
                    &token,
                )
                .await
            {
                Ok(v) => version = Some(v),
                Err(e) => {
                    let prior_latest = old.latest_version.known().copied();
                    let adopted = if e.may_have_reached_ec2() {
                        adopt_lost_version(ec2, &id, prior_latest, &data).await
                    } else {
                        None
                    };
                    let Some(v) = adopted else {
                        return StateResponse::from_diags(Diagnostics::from_error(
                            "Unable to Create Launch Template Version",
                            error_chain(&e),
                        ));
                    };
                    diags.warning(
                        "Adopted a Launch Template Version Whose Creation Was Not Confirmed",
                        format!(
                            "CreateLaunchTemplateVersion on {id} failed ({}), but version {v} \
                             appeared since version {} and holds exactly the requested data, \
                             so it is taken as this update's version.",
                            error_chain(&e),
                            prior_latest.unwrap_or_default()
                        ),
                    );
                    version = Some(v);
                }
            }
        }
        if new.update_default_version.known() == Some(&true) {
            let target = match version {
                Some(v) => Some(v),
                None if old.default_version != old.latest_version => {
                    old.latest_version.known().copied()
                }
                None => None,
            };
            if let Some(v) = target {
                if let Err(e) = ec2.set_default_version(&id, v).await {
                    diags.error("Unable to Set the Default Version", error_chain(&e));
                }
            }
        }
        match self.read_remote(&id, Some(&new)).await {
            Ok(Some(mut m)) => {
                m.tags = new.tags.clone();
                let r = self.to_state(&m);
                StateResponse {
                    diags: {
                        let mut d = diags;
                        d.extend(r.diags);
                        d
                    },
                    ..r
                }
            }
            Ok(None) => StateResponse::from_diags(Diagnostics::from_error(
                "Launch Template Vanished",
                format!("{id} disappeared during the update."),
            )),
            Err(d) => StateResponse::from_diags(d),
        }
    }

    async fn delete(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> Diagnostics {
        let Some(mut id) = state.attr("id").as_str().map(str::to_owned) else {
            return Diagnostics::new();
        };
        if id.is_empty() {
            // A pending create that was never refreshed.
            let Ok(prior) = decode::<Model>(state) else {
                return Diagnostics::new();
            };
            match self.find_pending(&prior, private).await {
                Err(d) => return d,
                Ok(None) => return Diagnostics::new(),
                Ok(Some(t)) => id = t.id,
            }
        }
        let id = id.as_str();
        let ec2 = match self.state.ec2().await {
            Ok(c) => c,
            Err(d) => return d,
        };
        match ec2.delete_template(id).await {
            Ok(()) => Diagnostics::new(),
            Err(e) if e.is_not_found() => Diagnostics::new(),
            Err(e) => Diagnostics::from_error("Unable to Delete Launch Template", error_chain(&e)),
        }
    }

    async fn import(&self, id: &str, _stop: &StopSignal) -> StateResponse {
        let parsed = match parse_import_id(id) {
            Ok(p) => p,
            Err(detail) => {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Invalid Import ID",
                    detail,
                ))
            }
        };
        let ec2 = match self.state.ec2().await {
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
            Err(e) => return StateResponse::from_diags(Diagnostics::from_error("Unable to Import Launch Template", error_chain(&e))),
        };
        let data = match ec2.template_data(&t.id, t.latest_version).await {
            Ok(d) => d,
            Err(e) => {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Unable to Read Launch Template Version",
                    error_chain(&e),
                ))
            }
        };
        let m = self.model_from_remote(&t, &data, None);
        let mut r = self.to_state(&m);
        explain_user_data(data.user_data_base64.as_deref(), &mut r.diags);
        r
    }

    async fn move_state(&self, req: MoveRequest<'_>) -> Option<StateResponse> {
        if req.source_type_name != "aws_launch_template"
            || !req.source_provider_address.ends_with("hashicorp/aws")
        {
            return None;
        }
        let j: serde_json::Value = match serde_json::from_slice(req.source_state_json) {
            Ok(j) => j,
            Err(e) => {
                return Some(StateResponse::from_diags(Diagnostics::from_error(
                    "Unable to Read aws_launch_template State",
                    e.to_string(),
                )))
            }
        };
        Some(self.to_state(&model_from_aws(&j)))
    }
}

/// Maps `aws_launch_template` state (hashicorp/aws 5.x, schema version 0)
/// onto ours. No remote calls: Terraform moves state before it configures
/// providers; the refresh that follows reads the rest.
fn model_from_aws(j: &serde_json::Value) -> Model {
    let st = |k: &str| {
        j.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let num = |k: &str| j.get(k).and_then(serde_json::Value::as_i64);
    let map = |k: &str| {
        j.get(k).and_then(|v| v.as_object()).map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect::<BTreeMap<_, _>>()
        })
    };
    let profile = j.pointer("/iam_instance_profile/0").and_then(|p| {
        p.get("arn")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .or_else(|| {
                p.get("name")
                    .and_then(|v| v.as_str())
                    .filter(|s| !s.is_empty())
            })
    });
    let sgs: Vec<String> = j
        .get("vpc_security_group_ids")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let md = j.pointer("/metadata_options/0").map(|m| MetadataModel {
        http_tokens: m
            .get("http_tokens")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map_or(TfValue::Null, |s| TfValue::Known(s.to_owned())),
        http_put_response_hop_limit: m
            .get("http_put_response_hop_limit")
            .and_then(serde_json::Value::as_i64)
            .filter(|n| *n > 0)
            .map_or(TfValue::Null, TfValue::Known),
        http_endpoint: m
            .get("http_endpoint")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map_or(TfValue::Null, |s| TfValue::Known(s.to_owned())),
        instance_metadata_tags: m
            .get("instance_metadata_tags")
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map_or(TfValue::Null, |s| TfValue::Known(s.to_owned())),
    });
    let user_data = st("user_data");
    Model {
        id: opt(st("id")),
        arn: opt(st("arn")),
        name: opt(st("name")),
        name_prefix: opt(st("name_prefix")),
        description: opt(st("description")),
        image_id: opt(st("image_id")),
        instance_type: opt(st("instance_type")),
        iam_instance_profile: opt(profile.map(str::to_owned)),
        security_group_ids: if sgs.is_empty() {
            TfValue::Null
        } else {
            TfValue::Known(sgs)
        },
        key_name: opt(st("key_name")),
        user_data_sha256: opt(user_data.as_deref().and_then(user_data_sha256)),
        user_data_base64: opt(user_data),
        metadata_options: md.into_iter().collect(),
        tags: map("tags")
            .filter(|m| !m.is_empty())
            .map_or(TfValue::Null, TfValue::Known),
        tags_all: map("tags_all").map_or(TfValue::Null, TfValue::Known),
        // Config-only, and this resource's default is true; taking the AWS
        // provider's default (false) would put a diff into every moved stack.
        update_default_version: TfValue::Known(true),
        latest_version: num("latest_version").map_or(TfValue::Null, TfValue::Known),
        default_version: num("default_version").map_or(TfValue::Null, TfValue::Known),
    }
}

/// A name suffix for `name_prefix`, unique enough across processes.
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
async fn adopt_lost_create(
    ec2: &crate::ec2::client::Ec2,
    name: &str,
    token: &str,
) -> Option<Template> {
    let t = ec2.describe_template_by_name(name).await.ok()??;
    (t.tags.get(CREATE_TOKEN_TAG).map(String::as_str) == Some(token)).then_some(t)
}

/// After a failed CreateLaunchTemplateVersion that may have reached EC2: the
/// template's newest version, if it is newer than `prior_latest` and holds
/// exactly `data` (made by this very call, its answer lost). Anything else,
/// lookup errors included, means "no": the update then fails as it would
/// have, and the next refresh reads whatever EC2 holds.
async fn adopt_lost_version(
    ec2: &crate::ec2::client::Ec2,
    id: &str,
    prior_latest: Option<i64>,
    data: &TemplateData,
) -> Option<i64> {
    let prior_latest = prior_latest?;
    let t = ec2.describe_template_by_id(id).await.ok()??;
    if t.latest_version <= prior_latest {
        return None;
    }
    let held = ec2.template_data(id, t.latest_version).await.ok()?;
    (held == *data).then_some(t.latest_version)
}

fn unique_suffix() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{:x}{:05x}",
        t.as_secs(),
        (t.subsec_nanos() ^ std::process::id()) & 0xfffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testing::{errors, obj, schema_diags};

    #[test]
    fn import_ids() {
        let ok: &[(&str, ImportId<'_>)] = &[
            ("lt-0123456789abcdef0", ImportId::Id("lt-0123456789abcdef0")),
            ("ecs-hosts", ImportId::Name("ecs-hosts")),
            // A name may start with lt- too.
            ("lt-web", ImportId::Name("lt-web")),
            ("team/app_(v2).x", ImportId::Name("team/app_(v2).x")),
        ];
        for (id, want) in ok {
            assert_eq!(parse_import_id(id).as_ref(), Ok(want), "{id}");
        }
        let bad: &[(&str, &str)] = &[
            (
                "sg-0123456789abcdef0",
                "is a security group ID, not a launch template ID",
            ),
            ("ami-05fb4f25", "is an AMI ID"),
            (
                "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0123456789abcdef0",
                "Import by the ID it ends with: lt-0123456789abcdef0",
            ),
            (
                "arn:aws:iam::123456789012:role/x",
                "is an ARN, not a launch template ID",
            ),
            (
                "my template",
                "is neither a launch template ID nor a launch template name",
            ),
            ("ab", "is neither"),
            (" lt-0123456789abcdef0", "has surrounding whitespace"),
        ];
        for (id, want) in bad {
            let got = parse_import_id(id).expect_err(id);
            assert!(got.contains(want), "{id}: {got}");
            assert!(got.contains("lt-"), "{id}: names the ID form: {got}");
        }
    }

    async fn validate(attrs: &[(&str, Value)]) -> Diagnostics {
        let lt = LaunchTemplate {
            state: Arc::default(),
        };
        let cfg = obj(attrs);
        let mut d = schema_diags(&lt.schema(), &cfg);
        lt.validate(&cfg, &mut d).await;
        d
    }

    #[tokio::test]
    async fn oversized_user_data_is_refused_on_the_attribute() {
        use base64::Engine as _;
        let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![b'#'; n]);
        let d = validate(&[("user_data_base64", Value::from(b64(MAX_USER_DATA_BYTES)))]).await;
        assert_eq!(errors(&d), []);
        let d = validate(&[(
            "user_data_base64",
            Value::from(b64(MAX_USER_DATA_BYTES + 1)),
        )])
        .await;
        assert_eq!(
            errors(&d),
            [(
                "user_data_base64".to_owned(),
                "User Data Too Large".to_owned()
            )]
        );
    }

    #[test]
    fn a_taken_name_points_at_the_attribute_that_chose_it() {
        let d = name_taken(true, "hosts");
        assert_eq!(
            errors(&d),
            [(
                "name".to_owned(),
                "Launch Template Name Already in Use".to_owned()
            )]
        );
        assert!(d
            .iter()
            .all(|x| x.detail.contains("terraform import <address> hosts")));
        assert_eq!(errors(&name_taken(false, "h-1"))[0].0, "name_prefix");
    }
}
