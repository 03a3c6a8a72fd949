//! Between Terraform values and EC2's launch template data, driven by
//! [`super::fields::FIELDS`].
//!
//! Three rules keep adoption byte-exact and plans quiet:
//!
//! 1. **Read keeps the user's spelling.** When EC2's value means the same
//!    as the prior state's (`"true"` and `true`, `0` and absent for a
//!    count, `""` and absent, a set in another order), the prior value
//!    stays, so a refresh never invents a diff.
//! 2. **Write keeps EC2's spelling.** When the planned value means the
//!    same as what the current version holds, the held JSON is sent
//!    verbatim — `NetworkCardIndex: 0`, `Primary: false`,
//!    `EnableResourceNameDnsAAAARecord: false`, a price written `"0.085"` —
//!    so a new version differs from the last only where the plan said.
//! 3. **Absent-equivalent values are explicit.** Fields whose "unset"
//!    EC2 treats as `false`/`0` are optional+computed and always hold that
//!    value in state ([`super::fields::Zero`]), planned as it when the
//!    configuration is null.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value as Json};

use super::fields::{Field, Kind, ZeroSent};
use crate::ec2::template_data::{member, Member, SHAPE};
use crate::sdk::Value;

// ----- leaf conversions ------------------------------------------------------

/// EC2's JSON for a leaf as a Terraform value.
pub(crate) fn json_to_tf(kind: Kind, j: &Json) -> Value {
    match (kind, j) {
        (_, Json::Null) => Value::Null,
        (Kind::BoolStr, Json::Bool(b)) => Value::from(if *b { "true" } else { "false" }),
        (Kind::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Kind::Int | Kind::Float, Json::Number(n)) => Value::Number(n.clone()),
        (Kind::StrSet, Json::Array(a)) => Value::Set(
            a.iter()
                .filter_map(|x| x.as_str().map(Value::from))
                .collect(),
        ),
        (Kind::StrSetOf(key), Json::Array(a)) => Value::Set(
            a.iter()
                .filter_map(|x| x.get(key).and_then(Json::as_str).map(Value::from))
                .collect(),
        ),
        (Kind::Tags, Json::Array(a)) => Value::Map(
            a.iter()
                .filter_map(|t| {
                    Some((
                        t.get("Key")?.as_str()?.to_owned(),
                        Value::from(t.get("Value").and_then(Json::as_str).unwrap_or_default()),
                    ))
                })
                .collect(),
        ),
        (Kind::Time, Json::String(s)) => Value::from(rfc3339(s).unwrap_or_else(|| s.clone())),
        (_, Json::String(s)) => Value::from(s.as_str()),
        (_, other) => Value::from(other.to_string()),
    }
}

/// An instant as hashicorp/aws spells it in state (Go's `time.RFC3339`,
/// whole seconds, `Z` for UTC): EC2 answers `2030-01-01T00:00:00.000Z`,
/// a configuration says `2030-01-01T00:00:00Z`, and an import (no prior
/// value to keep) must read as the latter, as `aws_launch_template` does.
fn rfc3339(s: &str) -> Option<String> {
    use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
    DateTime::from_secs(instant(s)?)
        .fmt(DateTimeFormat::DateTime)
        .ok()
}

/// A Terraform leaf value as EC2's JSON; `None` when it sends nothing.
fn tf_to_json(kind: Kind, v: &Value) -> Option<Json> {
    let strings = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    match (kind, v) {
        (Kind::BoolStr, Value::String(s)) => match s.as_str() {
            "true" => Some(Json::Bool(true)),
            "false" => Some(Json::Bool(false)),
            _ => None,
        },
        (Kind::Str | Kind::Time, Value::String(s)) => {
            (!s.is_empty()).then(|| Json::String(s.clone()))
        }
        (Kind::Bool, Value::Bool(b)) => Some(Json::Bool(*b)),
        (Kind::Int, Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(Json::from),
        (Kind::Float, Value::Number(n)) => Some(Json::Number(
            n.as_f64()
                .and_then(Number::from_f64)
                .unwrap_or_else(|| n.clone()),
        )),
        (Kind::StrSet, Value::Set(a) | Value::List(a)) if !a.is_empty() => Some(Json::Array(
            strings(a).into_iter().map(Json::from).collect(),
        )),
        (Kind::StrSetOf(key), Value::Set(a) | Value::List(a)) if !a.is_empty() => {
            Some(Json::Array(
                strings(a)
                    .into_iter()
                    .map(|s| {
                        let mut o = Map::new();
                        o.insert(key.to_owned(), Json::from(s));
                        Json::Object(o)
                    })
                    .collect(),
            ))
        }
        (Kind::Tags, Value::Map(m)) if !m.is_empty() => Some(Json::Array(
            m.iter()
                .map(
                    |(k, v)| serde_json::json!({"Key": k, "Value": v.as_str().unwrap_or_default()}),
                )
                .collect(),
        )),
        _ => None,
    }
}

/// True when `v` stands for "EC2 holds nothing" for this field.
pub(crate) fn absent_like(x: &Field, v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::List(a) | Value::Set(a) => a.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => x.zero.is_some_and(|z| v.semantically_eq(&z.value())),
    }
}

/// Whether two leaf values mean the same to EC2.
pub(crate) fn leaf_equiv(x: &Field, a: &Value, b: &Value) -> bool {
    if a.is_unknown() || b.is_unknown() {
        return false;
    }
    if absent_like(x, a) && absent_like(x, b) {
        return true;
    }
    if let (Kind::Time, Some(sa), Some(sb)) = (x.kind, a.as_str(), b.as_str()) {
        if let (Some(ta), Some(tb)) = (instant(sa), instant(sb)) {
            return ta == tb;
        }
    }
    a.semantically_eq(b)
}

/// Seconds since the epoch of an RFC 3339 / ISO 8601 time (EC2 answers
/// with milliseconds, users write without).
fn instant(s: &str) -> Option<i64> {
    use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
    DateTime::from_str(s, DateTimeFormat::DateTimeWithOffset)
        .or_else(|_| DateTime::from_str(s, DateTimeFormat::DateTime))
        .ok()
        .map(|t| t.secs())
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::List(a) | Value::Set(a) => a,
        _ => &[],
    }
}

fn collection(set: bool, items: Vec<Value>) -> Value {
    if set {
        Value::Set(items)
    } else {
        Value::List(items)
    }
}

/// EC2's items of a block field: a structure is one item (none when
/// empty), a list is its structures.
fn ec2_items(j: Option<&Json>) -> Vec<&Map<String, Json>> {
    match j {
        Some(Json::Object(o)) if !o.is_empty() => vec![o],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_object).collect(),
        _ => Vec::new(),
    }
}

// ----- read -------------------------------------------------------------------

/// True when a block value says nothing EC2 would hold (unknowns count as
/// nothing: they are what EC2 did not fill in).
fn block_says_nothing(fields: &[Field], v: &Value) -> bool {
    fields.iter().all(|x| {
        let a = v.attr(x.tf);
        match x.kind {
            Kind::Block { fields, .. } => items(a).iter().all(|i| block_says_nothing(fields, i)),
            _ => a.is_unknown() || absent_like(x, a),
        }
    })
}

/// A block value with its unknowns replaced by what EC2 holding nothing
/// reads as.
fn settle(fields: &[Field], v: &Value) -> Value {
    let mut out = BTreeMap::new();
    for x in fields {
        let a = v.attr(x.tf);
        let r = match x.kind {
            Kind::Block { set, fields, .. } => {
                collection(set, items(a).iter().map(|i| settle(fields, i)).collect())
            }
            _ if a.is_unknown() || a.is_null() => x.zero.map_or(Value::Null, |z| z.value()),
            _ => a.clone(),
        };
        out.insert(x.tf.to_owned(), r);
    }
    Value::Object(out)
}

/// The state of `fields` for EC2's `data`, keeping `prior`'s spelling
/// where it means the same (rule 1). `prior` may be the planned value
/// (after a write: its unknowns are resolved from EC2) or null (import).
pub(crate) fn read(
    fields: &[Field],
    data: &Map<String, Json>,
    prior: &Value,
) -> BTreeMap<String, Value> {
    fields
        .iter()
        .map(|x| {
            (
                x.tf.to_owned(),
                read_field(x, data.get(x.ec2), prior.attr(x.tf)),
            )
        })
        .collect()
}

fn read_field(x: &Field, j: Option<&Json>, p: &Value) -> Value {
    if let Kind::Block { set, fields, .. } = x.kind {
        let found = ec2_items(j);
        let prior_items = items(p);
        if found.is_empty() {
            // EC2 holds nothing; a configured block that says nothing
            // either (`monitoring {}`) stays.
            if !prior_items.is_empty() && prior_items.iter().all(|i| block_says_nothing(fields, i))
            {
                return collection(set, prior_items.iter().map(|i| settle(fields, i)).collect());
            }
            return collection(set, Vec::new());
        }
        let out = found
            .iter()
            .enumerate()
            .map(|(i, it)| {
                let pi = if set {
                    // Sets have no positions: the prior element that reads
                    // the same, if any.
                    prior_items
                        .iter()
                        .find(|pi| Value::Object(read(fields, it, pi)).semantically_eq(pi))
                        .unwrap_or(&Value::Null)
                } else {
                    prior_items.get(i).unwrap_or(&Value::Null)
                };
                Value::Object(read(fields, it, pi))
            })
            .collect();
        return collection(set, out);
    }
    let v = match j {
        Some(j) => {
            let v = json_to_tf(x.kind, j);
            if leaf_equiv(x, &v, p) {
                p.clone()
            } else {
                v
            }
        }
        None if !p.is_unknown() && absent_like(x, p) => p.clone(),
        None => Value::Null,
    };
    match (x.zero, &v) {
        (Some(z), Value::Null) => z.value(),
        _ => v,
    }
}

// ----- plan -------------------------------------------------------------------

/// Adjusts the planned values of `fields` (rule 3, and hashicorp/aws's
/// computed arguments keeping what EC2 holds). With `new_version`, a
/// computed argument that EC2 did not hold before is unknown where EC2 may
/// fill it in: in a block item that is new or changed. An item the prior
/// version holds unchanged (the same apart from computed arguments left
/// to EC2) is written back as EC2 holds it ([`write`], rule 2), so EC2
/// holds the same afterwards: its unset computed arguments stay null, and
/// the plan does not show them as "known after apply" beside a change
/// elsewhere (a user data change, say).
pub(crate) fn plan(
    fields: &[Field],
    config: &Value,
    prior: &Value,
    planned: &mut Value,
    new_version: bool,
) {
    plan_item(fields, config, prior, planned, new_version, false);
}

/// [`plan`] of one object of `fields`; `held_unchanged`: the prior version
/// holds this very item (see [`unchanged`]).
fn plan_item(
    fields: &[Field],
    config: &Value,
    prior: &Value,
    planned: &mut Value,
    new_version: bool,
    held_unchanged: bool,
) {
    let Value::Object(map) = planned else { return };
    for x in fields {
        let c = config.attr(x.tf);
        let p = prior.attr(x.tf);
        let Some(pl) = map.get_mut(x.tf) else {
            continue;
        };
        match x.kind {
            Kind::Block { set, fields, .. } => {
                let cs = items(c).to_vec();
                let ps = items(p).to_vec();
                if let Value::List(v) | Value::Set(v) = pl {
                    for (i, el) in v.iter_mut().enumerate() {
                        let ci = cs.get(i).unwrap_or(&Value::Null);
                        // Set items pair by content (Terraform keeps
                        // proposed set items in configuration order), so
                        // a paired set item is unchanged by definition.
                        let (pi, same_item) = if set {
                            ps.iter()
                                .find(|pi| unchanged(fields, ci, el, pi))
                                .map_or((&Value::Null, false), |pi| (pi, true))
                        } else {
                            let pi = ps.get(i).unwrap_or(&Value::Null);
                            (pi, !pi.is_null() && unchanged(fields, ci, el, pi))
                        };
                        plan_item(fields, ci, pi, el, new_version, same_item);
                    }
                }
            }
            _ if x.computed_here() && c.is_null() => {
                *pl = if let Some(z) = x.zero {
                    z.value()
                } else if !p.is_null() && !p.is_unknown() {
                    p.clone()
                } else if new_version && !held_unchanged {
                    Value::Unknown
                } else {
                    Value::Null
                };
            }
            _ => {}
        }
    }
}

/// Whether the planned block item `planned` (configured as `config`) is the
/// prior item `prior` unchanged: every argument the configuration sets, and
/// every one that is not computed, means the same in both, nested blocks
/// alike. Computed arguments the configuration leaves null are EC2's and
/// not compared.
fn unchanged(fields: &[Field], config: &Value, planned: &Value, prior: &Value) -> bool {
    fields.iter().all(|x| {
        let (c, a, b) = (config.attr(x.tf), planned.attr(x.tf), prior.attr(x.tf));
        match x.kind {
            Kind::Block { set, fields, .. } => {
                let (ia, ib, ic) = (items(a), items(b), items(c));
                ia.len() == ib.len()
                    && ia.iter().enumerate().all(|(i, ea)| {
                        let ec = ic.get(i).unwrap_or(&Value::Null);
                        if set {
                            ib.iter().any(|eb| unchanged(fields, ec, ea, eb))
                        } else {
                            unchanged(fields, ec, ea, &ib[i])
                        }
                    })
            }
            _ if x.computed_here() && c.is_null() => true,
            _ => leaf_equiv(x, a, b),
        }
    })
}

/// Whether two values of `fields` mean the same to EC2 (no new version
/// is needed between them).
pub(crate) fn same(fields: &[Field], a: &Value, b: &Value) -> bool {
    fields.iter().all(|x| {
        let (va, vb) = (a.attr(x.tf), b.attr(x.tf));
        match x.kind {
            Kind::Block { set, fields, .. } => {
                if va.is_unknown() || vb.is_unknown() {
                    return false;
                }
                let (ia, ib) = (items(va), items(vb));
                let meaningful = |v: &[Value]| v.iter().any(|i| !block_says_nothing(fields, i));
                if ia.is_empty() || ib.is_empty() {
                    return !meaningful(ia) && !meaningful(ib);
                }
                if ia.len() != ib.len() {
                    return false;
                }
                if set {
                    ia.iter().all(|x| ib.iter().any(|y| same(fields, x, y)))
                        && ib.iter().all(|y| ia.iter().any(|x| same(fields, x, y)))
                } else {
                    ia.iter().zip(ib).all(|(x, y)| same(fields, x, y))
                }
            }
            _ => leaf_equiv(x, va, vb),
        }
    })
}

// ----- write ------------------------------------------------------------------

/// The launch template data for the planned values of `fields` (the
/// top-level table, [`super::fields::FIELDS`], whose EC2 structure is
/// [`SHAPE`]), keeping `held`'s JSON wherever it means the same (rule 2).
/// Unknown values send nothing: EC2 decides them.
pub(crate) fn write(
    fields: &[Field],
    planned: &Value,
    held: Option<&Map<String, Json>>,
) -> Map<String, Json> {
    write_shaped(fields, SHAPE, planned, held)
}

/// The members of the structure that `name`'s value (or each item of it,
/// for a list) is in `shape`; none when `shape` has no such member or it
/// holds no structure.
fn structure_of(shape: &'static [Member], name: &str) -> &'static [Member] {
    member(shape, name)
        .and_then(|m| m.shape.structure())
        .unwrap_or(&[])
}

/// [`write`] of `fields`, whose EC2 structure has the members `shape`.
fn write_shaped(
    fields: &[Field],
    shape: &'static [Member],
    planned: &Value,
    held: Option<&Map<String, Json>>,
) -> Map<String, Json> {
    let mut out = Map::new();
    for x in fields {
        let pv = planned.attr(x.tf);
        let h = held.and_then(|m| m.get(x.ec2));
        if let Kind::Block {
            set,
            max,
            ec2_list,
            fields,
            ..
        } = x.kind
        {
            let planned_items = items(pv);
            if planned_items.is_empty() {
                continue;
            }
            let held_items = ec2_items(h);
            let item_shape = structure_of(shape, x.ec2);
            let mut sent = Vec::new();
            for (i, it) in planned_items.iter().enumerate() {
                let hi = if set {
                    held_items
                        .iter()
                        .copied()
                        .find(|hi| same(fields, &Value::Object(read(fields, hi, &Value::Null)), it))
                } else {
                    held_items.get(i).copied()
                };
                sent.push(write_shaped(fields, item_shape, it, hi));
            }
            if max == 1 && !ec2_list {
                if let Some(one) = sent.into_iter().next().filter(|o| !o.is_empty()) {
                    out.insert(x.ec2.to_owned(), Json::Object(one));
                }
            } else {
                out.insert(
                    x.ec2.to_owned(),
                    Json::Array(sent.into_iter().map(Json::Object).collect()),
                );
            }
            continue;
        }
        if pv.is_unknown() {
            continue;
        }
        if let Some(hj) = h {
            if leaf_equiv(x, &json_to_tf(x.kind, hj), pv) {
                out.insert(x.ec2.to_owned(), hj.clone());
                continue;
            }
        }
        if absent_like(x, pv) {
            // An item EC2 already holds without the member keeps it absent
            // (rule 2: the same meaning, EC2's spelling); hashicorp/aws's
            // explicit zero goes only into items EC2 does not hold yet.
            if held.is_some() && h.is_none() {
                continue;
            }
            if let Some(z) = x.zero.filter(|_| zero_sent(x, planned)) {
                if let Some(j) = tf_to_json(x.kind, &z.value()) {
                    out.insert(x.ec2.to_owned(), j);
                }
            }
            continue;
        }
        let Some(mut j) = tf_to_json(x.kind, pv) else {
            continue;
        };
        if let (Kind::StrSetOf(key), Some(Json::Array(held_items)), Json::Array(new_items)) =
            (x.kind, h, &mut j)
        {
            // Items EC2 already holds keep their other members.
            for it in new_items.iter_mut() {
                let k = it.get(key).cloned();
                if let Some(hi) = held_items.iter().find(|hi| hi.get(key) == k.as_ref()) {
                    *it = hi.clone();
                }
            }
        }
        let has_primary = member(structure_of(shape, x.ec2), "Primary").is_some();
        if let (true, Json::Array(new_items)) = (has_primary, &mut j) {
            // Items with a `Primary` member (a network interface's private
            // IPv4 addresses; a secondary interface's have none):
            // hashicorp/aws marks the address that is also the block's
            // private_ip_address as primary, and the rest as not.
            let primary = planned
                .attr("private_ip_address")
                .as_str()
                .map(str::to_owned);
            for it in new_items.iter_mut() {
                if let Json::Object(o) = it {
                    if !o.contains_key("Primary") {
                        let addr = o.get("PrivateIpAddress").and_then(Json::as_str);
                        o.insert(
                            "Primary".into(),
                            Json::Bool(addr.is_some() && addr == primary.as_deref()),
                        );
                    }
                }
            }
        }
        out.insert(x.ec2.to_owned(), j);
    }
    out
}

/// Whether an absent-equivalent planned value is sent on a new version
/// (when EC2 does not hold it already).
fn zero_sent(x: &Field, block: &Value) -> bool {
    match x.zero_sent {
        ZeroSent::Never => false,
        ZeroSent::WithBlock => true,
        ZeroSent::RangeMax => match block.attr("min") {
            Value::Number(n) => n.as_f64().is_none_or(|m| m <= 0.0),
            _ => true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::fields::FIELDS;
    use super::*;
    use crate::ec2::template_data::Shape;

    fn data(j: Json) -> Map<String, Json> {
        j.as_object().cloned().unwrap()
    }

    fn obj(j: Json) -> Value {
        // Terraform-shaped value via the schema's type, so sets are sets.
        let ty = super::super::fields::block_of(FIELDS).value_type();
        Value::from_json_bytes(j.to_string().as_bytes(), &ty).unwrap()
    }

    /// The corpus's spot template as hashicorp/aws writes it.
    fn spot() -> Map<String, Json> {
        data(serde_json::json!({
            "ImageId": "ami-1",
            "UserData": "",
            "IamInstanceProfile": {"Arn": "arn:aws:iam::1:instance-profile/x"},
            "InstanceMarketOptions": {"MarketType": "spot", "SpotOptions": {"MaxPrice": "0.085", "SpotInstanceType": "one-time"}},
            "NetworkInterfaces": [{"DeviceIndex": 0, "NetworkCardIndex": 0, "AssociatePublicIpAddress": false, "DeleteOnTermination": true, "Groups": ["sg-2", "sg-1"]}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 40, "VolumeType": "gp3", "Encrypted": true}}],
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
            "PrivateDnsNameOptions": {"HostnameType": "resource-name", "EnableResourceNameDnsARecord": true, "EnableResourceNameDnsAAAARecord": false},
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]}]
        }))
    }

    #[test]
    fn import_then_write_sends_back_exactly_what_ec2_holds() {
        let held = spot();
        let state = Value::Object(read(FIELDS, &held, &Value::Null));
        // Zero fields read as their zero, tri-state booleans as strings.
        let ni = &items(state.attr("network_interfaces"))[0];
        assert_eq!(ni.attr("network_card_index"), &Value::from(0i64));
        assert_eq!(
            ni.attr("associate_public_ip_address"),
            &Value::from("false")
        );
        assert_eq!(state.attr("disable_api_termination"), &Value::Bool(false));
        // hashicorp/aws sends UserData "" when unset: it reads as unset.
        assert_eq!(state.attr("user_data"), &Value::Null);
        let sent = write(FIELDS, &state, Some(&held));
        assert_eq!(Json::Object(sent), Json::Object(held.clone()));
        // Without the held version, nothing absent-equivalent is invented
        // beyond what hashicorp/aws sends with a block.
        let fresh = write(FIELDS, &state, None);
        assert_eq!(fresh.get("DisableApiTermination"), None);
        assert_eq!(fresh.get("UserData"), None);
        assert_eq!(
            fresh["NetworkInterfaces"][0].get("DeviceIndex"),
            Some(&Json::from(0))
        );
        assert_eq!(
            fresh["PrivateDnsNameOptions"].get("EnableResourceNameDnsAAAARecord"),
            Some(&Json::Bool(false))
        );
    }

    /// An item EC2 holds without a zero member (made outside Terraform)
    /// is written back without it; a new item gets hashicorp/aws's zero.
    #[test]
    fn a_held_item_without_a_zero_member_stays_without_it() {
        let mut held = spot();
        held["PrivateDnsNameOptions"]
            .as_object_mut()
            .unwrap()
            .remove("EnableResourceNameDnsAAAARecord");
        let state = Value::Object(read(FIELDS, &held, &Value::Null));
        let mut planned = state.clone();
        if let Value::Object(m) = &mut planned {
            m.insert("user_data".into(), Value::from("IyEvYmluL3NoCg=="));
        }
        let sent = write(FIELDS, &planned, Some(&held));
        assert_eq!(sent["PrivateDnsNameOptions"], held["PrivateDnsNameOptions"]);
        let fresh = write(FIELDS, &planned, None);
        assert_eq!(
            fresh["PrivateDnsNameOptions"].get("EnableResourceNameDnsAAAARecord"),
            Some(&Json::Bool(false))
        );
    }

    #[test]
    fn a_pasted_configuration_reads_back_without_a_difference() {
        // What a user writes (Terraform turns `false` into "false").
        let config = obj(serde_json::json!({
            "image_id": "ami-1",
            "iam_instance_profile": [{"arn": "arn:aws:iam::1:instance-profile/x"}],
            "instance_market_options": [{"market_type": "spot", "spot_options": [{"max_price": "0.085", "spot_instance_type": "one-time"}]}],
            "network_interfaces": [{"device_index": 0, "associate_public_ip_address": "false", "delete_on_termination": "true", "security_groups": ["sg-1", "sg-2"]}],
            "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": [{"volume_size": 40, "volume_type": "gp3", "encrypted": "true"}]}],
            "metadata_options": [{"http_tokens": "required", "http_put_response_hop_limit": 2}],
            "private_dns_name_options": [{"hostname_type": "resource-name", "enable_resource_name_dns_a_record": true}],
            "tag_specifications": [{"resource_type": "instance", "tags": {"a": "1", "b": "2"}}]
        }));
        let state = Value::Object(read(FIELDS, &spot(), &Value::Null));
        let mut planned = config.clone();
        plan(FIELDS, &config, &state, &mut planned, false);
        assert!(same(FIELDS, &planned, &state), "no new version");
        // A user-data change writes everything else back verbatim.
        if let Value::Object(m) = &mut planned {
            m.insert("user_data".into(), Value::from("IyEvYmluL3NoCg=="));
        }
        assert!(!same(FIELDS, &planned, &state));
        let mut want = spot();
        want.insert("UserData".into(), Json::from("IyEvYmluL3NoCg=="));
        assert_eq!(
            Json::Object(write(FIELDS, &planned, Some(&spot()))),
            Json::Object(want)
        );
    }

    #[test]
    fn a_new_version_leaves_unchanged_items_computed_arguments_as_ec2_holds_them() {
        let config = obj(serde_json::json!({
            "image_id": "ami-1",
            "user_data": "IyEvYmluL3NoCg==",
            "block_device_mappings": [{"device_name": "/dev/xvda", "ebs": [{"volume_size": 40, "volume_type": "gp3", "encrypted": "true"}]}],
            "metadata_options": [{"http_tokens": "required", "http_put_response_hop_limit": 2}]
        }));
        let state = Value::Object(read(FIELDS, &spot(), &Value::Null));
        let planned_for = |config: &Value| {
            let mut planned = config.clone();
            plan(FIELDS, config, &state, &mut planned, true);
            planned
        };
        let at = |v: &Value, block: &str, leaf: &str| items(v.attr(block))[0].attr(leaf).clone();
        // Only the user data changes: the metadata options and the volume
        // are the held ones, whose unset computed arguments stay null.
        let planned = planned_for(&config);
        for leaf in [
            "http_endpoint",
            "http_protocol_ipv6",
            "instance_metadata_tags",
        ] {
            assert_eq!(
                at(&planned, "metadata_options", leaf),
                Value::Null,
                "{leaf}"
            );
        }
        let ebs =
            |v: &Value| items(items(v.attr("block_device_mappings"))[0].attr("ebs"))[0].clone();
        assert_eq!(ebs(&planned).attr("iops"), &Value::Null);
        assert_eq!(ebs(&planned).attr("throughput"), &Value::Null);
        // A changed item is EC2's to fill in again: unknown until applied.
        let mut changed = config.clone();
        if let Value::Object(m) = &mut changed {
            m.insert(
                "metadata_options".into(),
                obj(serde_json::json!({"metadata_options": [{"http_tokens": "optional", "http_put_response_hop_limit": 2}]}))
                    .attr("metadata_options")
                    .clone(),
            );
        }
        let planned = planned_for(&changed);
        assert_eq!(
            at(&planned, "metadata_options", "http_endpoint"),
            Value::Unknown
        );
        assert_eq!(
            ebs(&planned).attr("iops"),
            &Value::Null,
            "the volume did not change"
        );
        // So is a new item of a set block.
        let mut more = config.clone();
        if let Value::Object(m) = &mut more {
            m.insert(
                "block_device_mappings".into(),
                obj(serde_json::json!({"block_device_mappings": [
                    {"device_name": "/dev/xvda", "ebs": [{"volume_size": 40, "volume_type": "gp3", "encrypted": "true"}]},
                    {"device_name": "/dev/xvdb", "ebs": [{"volume_size": 10, "volume_type": "gp3"}]}
                ]}))
                .attr("block_device_mappings")
                .clone(),
            );
        }
        let planned = planned_for(&more);
        let iops: Vec<Value> = items(planned.attr("block_device_mappings"))
            .iter()
            .map(|b| items(b.attr("ebs"))[0].attr("iops").clone())
            .collect();
        assert!(
            iops.contains(&Value::Null) && iops.contains(&Value::Unknown),
            "{iops:?}"
        );
    }

    #[test]
    fn drift_on_any_field_is_a_difference() {
        let before = Value::Object(read(FIELDS, &spot(), &Value::Null));
        let mut changed = spot();
        changed["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] = Json::from(41);
        let after = Value::Object(read(FIELDS, &changed, &before));
        assert!(!same(FIELDS, &before, &after));
        let mut gone = spot();
        gone.remove("InstanceMarketOptions");
        let after = Value::Object(read(FIELDS, &gone, &before));
        assert!(!same(FIELDS, &before, &after));
        assert_eq!(after.attr("instance_market_options"), &Value::List(vec![]));
    }

    #[test]
    fn ranges_send_a_zero_max_only_when_it_means_none() {
        let planned = obj(serde_json::json!({
            "instance_requirements": [{
                "accelerator_count": [{"max": 0, "min": 0}],
                "memory_mib": [{"min": 1024, "max": 0}],
                "vcpu_count": [{"min": 2, "max": 0}]
            }]
        }));
        let ir = &write(FIELDS, &planned, None)["InstanceRequirements"];
        assert_eq!(
            ir["AcceleratorCount"],
            serde_json::json!({"Max": 0, "Min": 0})
        );
        assert_eq!(ir["MemoryMiB"], serde_json::json!({"Min": 1024}));
    }

    #[test]
    fn an_imported_spot_valid_until_reads_as_a_configuration_spells_it() {
        // EC2 (and moto) answer with milliseconds; hashicorp/aws's state
        // and a pasted configuration say whole seconds.
        let held = data(serde_json::json!({
            "InstanceMarketOptions": {"MarketType": "spot", "SpotOptions": {"ValidUntil": "2030-01-01T00:00:00.000Z"}}
        }));
        let state = Value::Object(read(FIELDS, &held, &Value::Null));
        let market = &items(state.attr("instance_market_options"))[0];
        let spot = &items(market.attr("spot_options"))[0];
        assert_eq!(
            spot.attr("valid_until"),
            &Value::from("2030-01-01T00:00:00Z")
        );
        // The held spelling is still what a new version sends.
        let sent = write(FIELDS, &state, Some(&held));
        assert_eq!(Json::Object(sent), Json::Object(held));
    }

    /// hashicorp/aws's `Primary` flag goes on the items of a list whose
    /// EC2 item shape has a `Primary` member, whatever the argument is
    /// called: with [`SHAPE`] a network interface's `ipv4_addresses`
    /// (marked against its `private_ip_address`), not a secondary
    /// interface's `private_ip_addresses`; with a shape that has it the
    /// other way round, the other way round.
    #[test]
    fn the_primary_flag_follows_the_ec2_item_shape() {
        let planned = obj(serde_json::json!({
            "network_interfaces": [{
                "device_index": 0,
                "private_ip_address": "10.0.0.5",
                "ipv4_addresses": ["10.0.0.5", "10.0.0.6"]
            }],
            "secondary_interfaces": [{
                "device_index": 1,
                "private_ip_addresses": ["10.1.0.5"]
            }]
        }));
        let ips = |sent: &Map<String, Json>, list: &str, key: &str| sent[list][0][key].clone();

        let sent = write(FIELDS, &planned, None);
        assert_eq!(
            ips(&sent, "NetworkInterfaces", "PrivateIpAddresses"),
            serde_json::json!([
                {"PrivateIpAddress": "10.0.0.5", "Primary": true},
                {"PrivateIpAddress": "10.0.0.6", "Primary": false}
            ])
        );
        assert_eq!(
            ips(&sent, "SecondaryInterfaces", "PrivateIpAddresses"),
            serde_json::json!([{"PrivateIpAddress": "10.1.0.5"}])
        );

        const fn m(name: &'static str, shape: Shape) -> Member {
            Member {
                name,
                xml: name,
                shape,
            }
        }
        const WITHOUT: &[Member] = &[m("PrivateIpAddress", Shape::String)];
        const WITH: &[Member] = &[
            m("Primary", Shape::Boolean),
            m("PrivateIpAddress", Shape::String),
        ];
        const NI: &[Member] = &[m(
            "PrivateIpAddresses",
            Shape::List(&Shape::Structure(WITHOUT)),
        )];
        const SI: &[Member] = &[m(
            "PrivateIpAddresses",
            Shape::List(&Shape::Structure(WITH)),
        )];
        const SWAPPED: &[Member] = &[
            m("NetworkInterfaces", Shape::List(&Shape::Structure(NI))),
            m("SecondaryInterfaces", Shape::List(&Shape::Structure(SI))),
        ];
        let sent = write_shaped(FIELDS, SWAPPED, &planned, None);
        assert_eq!(
            ips(&sent, "NetworkInterfaces", "PrivateIpAddresses"),
            serde_json::json!([
                {"PrivateIpAddress": "10.0.0.5"},
                {"PrivateIpAddress": "10.0.0.6"}
            ])
        );
        // A secondary interface has no private_ip_address: none is primary.
        assert_eq!(
            ips(&sent, "SecondaryInterfaces", "PrivateIpAddresses"),
            serde_json::json!([{"PrivateIpAddress": "10.1.0.5", "Primary": false}])
        );
    }

    #[test]
    fn a_block_that_says_nothing_survives_a_read() {
        let prior = obj(serde_json::json!({"monitoring": [{"enabled": false}]}));
        let state = Value::Object(read(FIELDS, &Map::new(), &prior));
        assert_eq!(state.attr("monitoring"), prior.attr("monitoring"));
        // … and is not a difference from no block at all.
        let none = Value::Object(read(FIELDS, &Map::new(), &Value::Null));
        assert!(same(FIELDS, &state, &none));
    }
}
