//! States that come from elsewhere: hashicorp/aws's `aws_launch_template`
//! (a `moved` block) and this resource's first schema (version 0).
//!
//! No remote calls: Terraform moves and upgrades state before it
//! configures providers. The refresh that follows reads EC2 and keeps
//! every value that means the same ([`super::mapping::read`]), so what
//! matters here is that each value has the right type and no spelling
//! that would differ from a matching configuration.

use serde_json::{Map, Value as Json};

use super::fields::{Field, Kind, FIELDS};
use crate::ec2::launch_templates::user_data_sha256;
use crate::sdk::{Block, Nesting, Schema, Value};

/// Loads JSON state of the current schema (absent attributes are null,
/// absent blocks empty).
pub(crate) fn load(json: &[u8], schema: &Schema) -> Result<Value, String> {
    let mut v = Value::from_json_bytes(json, &schema.value_type())
        .map_err(|e| format!("The stored state could not be decoded: {e}."))?;
    empty_blocks(&schema.block, &mut v);
    Ok(v)
}

/// Null block collections become empty ones, as Terraform stores them.
fn empty_blocks(block: &Block, v: &mut Value) {
    let Value::Object(m) = v else { return };
    for b in &block.blocks {
        let slot = m.entry(b.name.clone()).or_insert(Value::Null);
        if slot.is_null() {
            *slot = match b.nesting {
                Nesting::Set => Value::Set(Vec::new()),
                _ => Value::List(Vec::new()),
            };
        }
        if let Value::List(items) | Value::Set(items) = slot {
            for it in items {
                empty_blocks(&b.block, it);
            }
        }
    }
}

/// hashicorp/aws (SDKv2) stores an unset argument as its type's zero
/// value: `""`, `0`, `false`, `[]`, `{}`. Here unset is null, except for
/// arguments whose zero EC2 treats as unset too (those keep it).
fn normalize_fields(fields: &[Field], src: &Map<String, Json>) -> Map<String, Json> {
    let mut out = Map::new();
    for x in fields {
        let v = src.get(x.tf).cloned().unwrap_or(Json::Null);
        let v = match (x.kind, v) {
            (Kind::Block { fields, .. }, Json::Array(items)) => Json::Array(
                items
                    .iter()
                    .filter_map(Json::as_object)
                    .map(|o| Json::Object(normalize_fields(fields, o)))
                    .collect(),
            ),
            (Kind::Block { .. }, _) => Json::Array(Vec::new()),
            (_, v) if x.zero.is_some() => v,
            (_, Json::String(s)) if s.is_empty() => Json::Null,
            (Kind::Int | Kind::Float, Json::Number(n))
                if n.as_f64() == Some(0.0) && !x.aws_computed =>
            {
                Json::Null
            }
            (_, Json::Array(a)) if a.is_empty() => Json::Null,
            (_, Json::Object(o)) if o.is_empty() => Json::Null,
            (_, v) => v,
        };
        out.insert(x.tf.to_owned(), v);
    }
    out
}

/// The state of an `aws_launch_template` (hashicorp/aws 5.x or 6.x, schema
/// version 0 in both; 6.x adds `region` and the arguments of
/// [`FIELDS`] it introduced, and has no `elastic_*` blocks) as this resource's: the same names and nesting, SDKv2's
/// zero values for unset arguments turned into nulls.
pub(crate) fn from_aws(json: &[u8], schema: &Schema) -> Result<Value, String> {
    let src: Map<String, Json> = serde_json::from_slice(json)
        .map_err(|e| format!("The aws_launch_template state is not JSON: {e}."))?;
    let mut out = normalize_fields(FIELDS, &src);
    let text = |k: &str| {
        src.get(k)
            .and_then(Json::as_str)
            .filter(|s| !s.is_empty())
            .map_or(Json::Null, Json::from)
    };
    // `region`: hashicorp/aws 6.x's per-resource Region (absent in 5.x
    // state; the refresh then records the provider's).
    for k in ["id", "arn", "name", "name_prefix", "description", "region"] {
        out.insert(k.into(), text(k));
    }
    for k in ["latest_version", "default_version"] {
        out.insert(k.into(), src.get(k).cloned().unwrap_or(Json::Null));
    }
    let tags = src
        .get("tags")
        .filter(|t| t.as_object().is_some_and(|o| !o.is_empty()))
        .cloned()
        .unwrap_or(Json::Null);
    out.insert("tags".into(), tags);
    out.insert(
        "tags_all".into(),
        src.get("tags_all").cloned().unwrap_or(Json::Null),
    );
    // Configuration-only; kept as hashicorp/aws stored it (false when the
    // configuration left it out), which a matching configuration plans
    // as no change.
    out.insert(
        "update_default_version".into(),
        src.get("update_default_version")
            .cloned()
            .unwrap_or(Json::Null),
    );
    let sha = out
        .get("user_data")
        .and_then(Json::as_str)
        .and_then(user_data_sha256)
        .map_or(Json::Null, Json::from);
    out.insert("user_data_sha256".into(), sha);
    load(Json::Object(out).to_string().as_bytes(), schema)
}

/// State of schema version 0 (the first release) as version 1:
/// `iam_instance_profile` was a string (a name, or an ARN when it starts
/// with `arn:`) and is now hashicorp/aws's block; `user_data_base64` and
/// `security_group_ids` (deprecated aliases now) move to `user_data` and
/// `vpc_security_group_ids`, the names the 0.2 migration guide has users
/// write — the upgrade cannot see the configuration, and a configuration
/// must change anyway (`iam_instance_profile` is a block), so the state
/// follows the guide and a migrated configuration plans no change (a
/// configuration that keeps the old names plans a rename that writes no
/// version); every other version-0 attribute kept its name and meaning,
/// and the new arguments start unset.
pub(crate) fn upgrade_v0(json: &[u8], schema: &Schema) -> Result<Value, String> {
    let mut src: Map<String, Json> = serde_json::from_slice(json)
        .map_err(|e| format!("The stored state (schema version 0) is not JSON: {e}."))?;
    for (main, alias) in super::ALIASES {
        let aliased = src.remove(alias).unwrap_or(Json::Null);
        if src.get(main).is_none_or(Json::is_null) {
            src.insert(main.into(), aliased);
        }
    }
    let profile = match src.remove("iam_instance_profile") {
        Some(Json::String(p)) if p.starts_with("arn:") => {
            serde_json::json!([{"arn": p, "name": null}])
        }
        Some(Json::String(p)) if !p.is_empty() => serde_json::json!([{"arn": null, "name": p}]),
        _ => serde_json::json!([]),
    };
    src.insert("iam_instance_profile".into(), profile);
    if let Some(Json::Array(mds)) = src.get_mut("metadata_options") {
        for md in mds.iter_mut().filter_map(Json::as_object_mut) {
            md.entry("http_protocol_ipv6").or_insert(Json::Null);
        }
    }
    load(Json::Object(src).to_string().as_bytes(), schema)
}
