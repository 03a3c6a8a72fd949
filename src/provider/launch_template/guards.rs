//! Configuration checks of `ecshost_launch_template` beyond types: value
//! validators, conflicting arguments, and the guard rails of this design
//! (the hop limit the agent needs, instance metadata left open).

use base64::Engine as _;

use crate::render::analyse::analyse_base64;
use crate::render::user_data::MAX_USER_DATA_BYTES;
use crate::sdk::schema::Validator;
use crate::sdk::{AttributePath, Diagnostics, Value};

/// A decimal number ≥ 0 written as a string (`spot_options.max_price`).
pub(crate) struct DecimalString;

impl Validator for DecimalString {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str().filter(|s| !s.is_empty()) else {
            return;
        };
        let ok = s.parse::<f64>().is_ok_and(|f| f.is_finite() && f >= 0.0)
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if !ok {
            diags.attribute_error(
                path.clone(),
                "Invalid Price",
                format!("{path} must be a price in USD per hour written as a decimal number, such as \"0.085\"; got {s:?}."),
            );
        }
    }
    fn description(&self) -> String {
        "A decimal number such as `\"0.085\"`.".into()
    }
}

/// An RFC 3339 time (`spot_options.valid_until`).
pub(crate) struct Rfc3339;

impl Validator for Rfc3339 {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        use aws_sdk_ec2::primitives::{DateTime, DateTimeFormat};
        let Some(s) = value.as_str().filter(|s| !s.is_empty()) else {
            return;
        };
        if DateTime::from_str(s, DateTimeFormat::DateTimeWithOffset).is_err() {
            diags.attribute_error(
                path.clone(),
                "Invalid Time",
                format!(
                    "{path} must be an RFC 3339 time such as \"2026-12-31T23:59:59Z\"; got {s:?}."
                ),
            );
        }
    }
    fn description(&self) -> String {
        "An RFC 3339 time.".into()
    }
}

/// Base64 user data of at most 16 KiB decoded (`user_data`).
pub(crate) struct UserDataBase64;

impl Validator for UserDataBase64 {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(ud) = value.as_str().filter(|s| !s.is_empty()) else {
            return;
        };
        match base64::engine::general_purpose::STANDARD.decode(ud.trim()) {
            Err(_) => diags.attribute_error(
                path.clone(),
                "Invalid Base64",
                format!("{path} is base64-encoded user data, as in hashicorp/aws's aws_launch_template: write data.ecshost_user_data.x.base64 or base64encode(\"...\"), not the plain text."),
            ),
            Ok(b) if b.len() > MAX_USER_DATA_BYTES => diags.attribute_error(
                path.clone(),
                "User Data Too Large",
                format!("{path} decodes to {} bytes but EC2 accepts at most {MAX_USER_DATA_BYTES}. Render it with data.ecshost_user_data and gzip = true (cloud-init formats), or drop extra parts.", b.len()),
            ),
            Ok(_) => {}
        }
    }
    fn description(&self) -> String {
        "Base64 of at most 16 KiB decoded.".into()
    }
}

/// EC2's rule for launch template names: 3 to 128 characters of
/// `[a-zA-Z0-9().\-/_]`. Source: Amazon EC2 API Reference,
/// `CreateLaunchTemplate` / `LaunchTemplate`, member `LaunchTemplateName`
/// ("Length Constraints: Minimum length of 3. Maximum length of 128.
/// Pattern: `[a-zA-Z0-9\(\)\.\-/_]+`",
/// <https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LaunchTemplate.html>).
/// For `name_prefix` the generated suffix adds [`super::NAME_SUFFIX_LEN`]
/// characters, so the prefix may have at most 128 minus that.
pub(crate) struct TemplateName {
    pub(crate) prefix: bool,
}

/// Characters EC2 allows in a launch template name.
pub(crate) fn is_template_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "().-/_".contains(c)
}

impl Validator for TemplateName {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str() else {
            return;
        };
        let n = s.chars().count();
        let max = if self.prefix {
            128 - super::NAME_SUFFIX_LEN
        } else {
            128
        };
        let mut bad: Vec<char> = s.chars().filter(|c| !is_template_name_char(*c)).collect();
        let mut seen = Vec::new();
        bad.retain(|c| {
            let new = !seen.contains(c);
            seen.push(*c);
            new
        });
        let what = if !bad.is_empty() {
            format!(
                "{s:?} has {}.",
                bad.iter()
                    .map(|c| format!("{c:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if n > max || (!self.prefix && n < 3) {
            format!("{s:?} has {n}.")
        } else {
            return;
        };
        let rule = if self.prefix {
            format!("name_prefix starts a generated name ({} more characters): EC2 accepts launch template names of 3 to 128 characters: letters, digits and ( ) . - / _, so the prefix may have at most {max}", super::NAME_SUFFIX_LEN)
        } else {
            "EC2 accepts launch template names of 3 to 128 characters: letters, digits and ( ) . - / _".to_owned()
        };
        diags.attribute_error(
            path.clone(),
            "Invalid Launch Template Name",
            format!("{rule}; {what} CreateLaunchTemplate would refuse it."),
        );
    }
    fn description(&self) -> String {
        if self.prefix {
            format!("At most {} characters of those EC2 allows in a name (letters, digits and `( ) . - / _`): the generated suffix adds {}.", 128 - super::NAME_SUFFIX_LEN, super::NAME_SUFFIX_LEN)
        } else {
            "3 to 128 characters: letters, digits and `( ) . - / _` (EC2's rule).".into()
        }
    }
}

/// EBS volume types that take `iops` (EC2 API Reference,
/// `LaunchTemplateEbsBlockDeviceRequest.Iops`: gp3, io1 and io2).
pub(crate) const IOPS_VOLUME_TYPES: &[&str] = &["gp3", "io1", "io2"];
/// EBS volume types that take `throughput` (`...Throughput`: gp3 only).
pub(crate) const THROUGHPUT_VOLUME_TYPES: &[&str] = &["gp3"];
/// The `ebs` settings only some volume types take, with those types: what
/// the plan-time check refuses and what a type change plans away.
pub(crate) const TYPE_BOUND_SETTINGS: [(&str, &[&str]); 2] = [
    ("iops", IOPS_VOLUME_TYPES),
    ("throughput", THROUGHPUT_VOLUME_TYPES),
];

/// The element `i` of a block list, or null.
pub(crate) fn nth(v: &Value, i: usize) -> &Value {
    match v {
        Value::List(a) | Value::Set(a) => a.get(i).unwrap_or(&Value::Null),
        _ => &Value::Null,
    }
}

/// `iops` or `throughput` configured on a volume whose type does not take
/// it: EC2 stores it in the template, then refuses every launch
/// (InvalidParameterCombination). One error on the attribute.
pub(crate) fn volumes(config: &Value, diags: &mut Diagnostics) {
    let Value::List(bdms) = config.attr("block_device_mappings") else {
        return;
    };
    for (i, bdm) in bdms.iter().enumerate() {
        let Value::List(ebss) = bdm.attr("ebs") else {
            continue;
        };
        for (j, ebs) in ebss.iter().enumerate() {
            let Some(vt) = ebs.attr("volume_type").as_str() else {
                continue;
            };
            for (attr, takes) in TYPE_BOUND_SETTINGS {
                let summary = if attr == "iops" {
                    "Volume Type Takes No IOPS"
                } else {
                    "Volume Type Takes No Throughput"
                };
                if matches!(ebs.attr(attr), Value::Number(_)) && !takes.contains(&vt) {
                    let only = match takes {
                        [one] => format!("only {one} does"),
                        _ => format!(
                            "only {} and {} do",
                            takes[..takes.len() - 1].join(", "),
                            takes[takes.len() - 1]
                        ),
                    };
                    diags.attribute_error(
                        AttributePath::root("block_device_mappings")
                            .index(i)
                            .attr("ebs")
                            .index(j)
                            .attr(attr),
                        summary,
                        format!("volume_type = {vt:?} takes no {attr} ({only}): EC2 keeps it in the template and then refuses every launch from it (InvalidParameterCombination). Remove {attr}, or choose a volume type that takes it."),
                    );
                }
            }
        }
    }
}

/// Pairs of arguments of which at most one may be set: the second is
/// reported (it is the one the message tells to remove or keep).
/// `update_default_version` and `default_version` are judged at plan time
/// by what they mean (an import writes both when they agree), and `name`
/// with `name_prefix` by [`name_and_prefix`].
const CONFLICTS: &[(&str, &str, &str)] = &[
    (
        "user_data",
        "user_data_base64",
        "user_data_base64 is the deprecated spelling of user_data (both are base64): keep user_data only.",
    ),
    (
        "vpc_security_group_ids",
        "security_group_ids",
        "security_group_ids is the deprecated spelling of vpc_security_group_ids: keep vpc_security_group_ids only.",
    ),
    // hashicorp/aws 5.100.0 (internal/service/ec2/ec2_launch_template.go)
    // refuses these pairs with ConflictsWith; EC2 refuses them at launch.
    (
        "instance_requirements",
        "instance_type",
        "Set instance_type or instance_requirements, not both: instance_requirements lets EC2 choose the instance type (attribute-based selection), so it cannot be combined with a fixed instance_type.",
    ),
    (
        "vpc_security_group_ids",
        "security_group_names",
        "Set vpc_security_group_ids or security_group_names, not both: security group names work only in a default VPC or EC2-Classic; use vpc_security_group_ids.",
    ),
    (
        "security_group_ids",
        "security_group_names",
        "Set vpc_security_group_ids or security_group_names, not both: security group names work only in a default VPC or EC2-Classic; use vpc_security_group_ids.",
    ),
];

/// Pairs of arguments inside one block of which at most one may be set
/// (hashicorp/aws 5.100.0's ConflictsWith): block, first, second (reported),
/// why.
const NESTED_CONFLICTS: &[(&str, &str, &str, &str)] = &[
    (
        "iam_instance_profile",
        "arn",
        "name",
        "Set the instance profile's arn or its name, not both.",
    ),
    (
        "instance_requirements",
        "allowed_instance_types",
        "excluded_instance_types",
        "Set allowed_instance_types or excluded_instance_types, not both (EC2 refuses the pair).",
    ),
    (
        "instance_requirements",
        "spot_max_price_percentage_over_lowest_price",
        "max_spot_price_as_percentage_of_optimal_on_demand_price",
        "Set spot_max_price_percentage_over_lowest_price or max_spot_price_as_percentage_of_optimal_on_demand_price, not both (EC2 refuses the pair).",
    ),
];

/// Whether `v` counts as set for a conflict: not null, not unknown (judged
/// again once known), and not an empty collection (a block list with no
/// element is an omitted block).
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null | Value::Unknown => false,
        Value::Set(x) | Value::List(x) => !x.is_empty(),
        _ => true,
    }
}

/// `name` and `name_prefix` together: refused unless the name begins with
/// the prefix. Terraform's `-generate-config-out` writes every
/// optional+computed attribute an import read, and an import reads
/// `name_prefix` from a generated name (as hashicorp/aws does, so a
/// configuration written with `name_prefix` plans no replacement): both
/// then agree, and the name is the one created. Unknown values are judged
/// when known.
fn name_and_prefix(config: &Value, diags: &mut Diagnostics) {
    if let (Value::String(name), Value::String(prefix)) =
        (config.attr("name"), config.attr("name_prefix"))
    {
        if !name.starts_with(prefix.as_str()) {
            diags.attribute_error(
                AttributePath::root("name_prefix"),
                "Conflicting Attributes",
                "Set name or name_prefix, not both.",
            );
        }
    }
}

/// Conflicting arguments: one error each, on the attribute to change.
pub(crate) fn conflicts(config: &Value, diags: &mut Diagnostics) {
    name_and_prefix(config, diags);
    for (a, b, why) in CONFLICTS {
        if is_set(config.attr(a)) && is_set(config.attr(b)) {
            diags.attribute_error(AttributePath::root(b), "Conflicting Attributes", *why);
        }
    }
    for (block, a, b, why) in NESTED_CONFLICTS {
        if let Value::List(items) = config.attr(block) {
            for (i, item) in items.iter().enumerate() {
                if is_set(item.attr(a)) && is_set(item.attr(b)) {
                    diags.attribute_error(
                        AttributePath::root(block).index(i).attr(b),
                        "Conflicting Attributes",
                        *why,
                    );
                }
            }
        }
    }
    // Inside a network interface, counts and lists of the same thing.
    if let Value::List(nis) = config.attr("network_interfaces") {
        for (i, ni) in nis.iter().enumerate() {
            for (count, list) in [
                ("ipv4_address_count", "ipv4_addresses"),
                ("ipv4_prefix_count", "ipv4_prefixes"),
                ("ipv6_address_count", "ipv6_addresses"),
                ("ipv6_prefix_count", "ipv6_prefixes"),
            ] {
                let set = |k: &str| match ni.attr(k) {
                    Value::Null => false,
                    Value::Number(n) => n.as_f64() != Some(0.0),
                    Value::Set(v) | Value::List(v) => !v.is_empty(),
                    _ => true,
                };
                if set(count) && set(list) {
                    diags.attribute_error(
                        AttributePath::root("network_interfaces").index(i).attr(list),
                        "Conflicting Attributes",
                        format!("Set {count} or {list}, not both: EC2 takes either a number of addresses to assign or the addresses themselves."),
                    );
                }
            }
        }
    }
}

/// The user data, from `user_data` or its deprecated alias.
pub(crate) fn user_data(config: &Value) -> &Value {
    match config.attr("user_data") {
        Value::Null => config.attr("user_data_base64"),
        v => v,
    }
}

/// Where the user data was configured, for diagnostics.
fn user_data_attr(config: &Value) -> &'static str {
    if config.attr("user_data").is_null() && !config.attr("user_data_base64").is_null() {
        "user_data_base64"
    } else {
        "user_data"
    }
}

/// The guard rails of this design, on known values (run at validate and
/// again at plan, when values a data source provides are known):
/// hop limit 1 is refused for user data that runs the agent on a bridge
/// network, and instance metadata left open is warned about.
pub(crate) fn metadata(config: &Value, diags: &mut Diagnostics) {
    let ud = user_data(config);
    let md = match config.attr("metadata_options") {
        Value::List(items) => items.first().cloned(),
        Value::Unknown => return,
        _ => None,
    };
    let Some(md) = md else {
        diags.attribute_warning(
            AttributePath::root("metadata_options"),
            "Instance Metadata Options Not Set",
            "Without metadata_options, instances launched from this template get the AMI's or the account's instance metadata defaults, which may allow IMDSv1. Add metadata_options { http_tokens = \"required\", http_put_response_hop_limit = 2 } (the agent on its bridge network needs hop limit 2; the DOCKER-USER guard keeps task containers away).",
        );
        return;
    };
    let p = AttributePath::root("metadata_options").index(0);
    let analysis = ud.as_str().map(analyse_base64);
    // User data this provider rendered, or that runs the ECS agent, needs
    // instance metadata: cloud-init (and Ignition) fetch the user data
    // from it, the agent its Region and the instance role's credentials.
    if md.attr("http_endpoint").as_str() == Some("disabled")
        && analysis.as_ref().is_some_and(|a| a.ecshost || a.agent)
    {
        diags.attribute_error(
            p.attr("http_endpoint"),
            "Instance Metadata Disabled",
            format!(
                "http_endpoint = \"disabled\" turns the instance metadata service off, but the user data in {} needs it: cloud-init cannot read the user data (cloud-init and Ignition fetch it from instance metadata), so none of it runs, and the ECS agent cannot learn its Region or obtain the instance role's credentials, so no host joins its cluster. Use http_endpoint = \"enabled\" with http_tokens = \"required\" and hop limit 2: the DOCKER-USER rule keeps task containers away from instance metadata.",
                user_data_attr(config)
            ),
        );
    }
    if let (Value::Number(n), Some(a)) = (md.attr("http_put_response_hop_limit"), &analysis) {
        if n.as_i64() == Some(1) && a.agent_on_bridge() {
            diags.attribute_error(
                p.attr("http_put_response_hop_limit"),
                "Hop Limit 1 Starves the ECS Agent",
                format!(
                    "The user data in {} runs the ECS agent on a bridge network, one hop away from the instance metadata service: with hop limit 1 it cannot obtain IMDSv2 tokens, the Region or the instance role's credentials. Use 2 — the DOCKER-USER rule already keeps task containers away from metadata. (Hop limit 1 is right for an agent on the host network, such as ecs-init on ECS-optimized AMIs.)",
                    user_data_attr(config)
                ),
            );
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

/// The design analysis of the user data ([`crate::render::analyse`], the
/// one import and `ecshost_instance_verification` run): user data that
/// starts the ECS agent on a bridge network needs the credentials address
/// on `lo` (the agent's port is published there; without it the agent
/// container never starts) and the metadata guard (without it any task can
/// take the instance role and pose as the agent). Warnings, not errors:
/// the analyser reads text, and an image can bring either piece itself.
/// Run at plan only, where user data from data sources is known, so a
/// warning is shown once.
pub(crate) fn design(config: &Value, diags: &mut Diagnostics) {
    let Some(a) = user_data(config).as_str().map(analyse_base64) else {
        return;
    };
    if !a.agent_on_bridge() {
        return;
    }
    let attr = user_data_attr(config);
    if !a.alias {
        diags.attribute_warning(
            AttributePath::root(attr),
            "ECS Agent Without Its Credentials Address",
            format!(
                "The user data in {attr} runs the ECS agent on a bridge network but does not add {} to the loopback device: its credentials port is published on that address, so the agent container cannot start and no task gets credentials. Render the user data with data.ecshost_user_data (it adds the address in the host's network language), or add it yourself (ip address add {}/32 dev lo) before the agent starts.",
                crate::render::CREDENTIALS_ADDRESS,
                crate::render::CREDENTIALS_ADDRESS
            ),
        );
    }
    if !a.metadata_blocked {
        diags.attribute_warning(
            AttributePath::root(attr),
            "Task Containers Can Reach Instance Metadata",
            format!(
                "The user data in {attr} runs the ECS agent on a bridge network but does not keep task containers away from instance metadata ({}): any task can take the instance role's credentials and pose as the agent, and once the agent delivers task credentials through instance metadata, read every task's. Render the user data with data.ecshost_user_data and block_task_metadata = true (the default).",
                crate::render::IMDS_ADDRESS
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diags_of(v: &dyn Validator, s: &str) -> Vec<String> {
        let mut d = Diagnostics::new();
        v.validate(&Value::from(s), &AttributePath::root("x"), &mut d);
        d.iter().map(|x| x.summary.clone()).collect()
    }

    #[test]
    fn prices_times_and_user_data() {
        assert!(diags_of(&DecimalString, "0.085").is_empty());
        assert!(diags_of(&DecimalString, "1").is_empty());
        assert_eq!(diags_of(&DecimalString, "cheap"), ["Invalid Price"]);
        assert_eq!(diags_of(&DecimalString, "-1"), ["Invalid Price"]);
        assert_eq!(diags_of(&DecimalString, "1e3"), ["Invalid Price"]);
        assert!(diags_of(&Rfc3339, "2026-12-31T23:59:59Z").is_empty());
        assert_eq!(diags_of(&Rfc3339, "tomorrow"), ["Invalid Time"]);
        assert!(diags_of(&UserDataBase64, "IyEvYmluL3NoCg==").is_empty());
        assert_eq!(diags_of(&UserDataBase64, "#!/bin/sh"), ["Invalid Base64"]);
    }

    /// The design analysis at plan: a bridged agent without the loopback
    /// address and without the metadata guard gets one warning each on the
    /// user data attribute; ecs-init's host-network agent and user data
    /// that starts no agent get none.
    #[test]
    fn design_faults_of_a_bridged_agent_warn_on_the_user_data() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let config = |attr: &str, ud: &str| {
            Value::Object(
                [(attr.to_owned(), Value::from(b64(ud)))]
                    .into_iter()
                    .collect(),
            )
        };
        let bridged = "#!/bin/sh\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent\n";
        let mut d = Diagnostics::new();
        design(&config("user_data_base64", bridged), &mut d);
        let got: Vec<(String, String)> = d
            .iter()
            .map(|x| {
                assert_eq!(x.severity, crate::sdk::Severity::Warning);
                (x.summary.clone(), format!("{:?}", x.attribute))
            })
            .collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, "ECS Agent Without Its Credentials Address");
        assert_eq!(got[1].0, "Task Containers Can Reach Instance Metadata");
        assert!(
            got.iter().all(|(_, a)| a.contains("user_data_base64")),
            "{got:?}"
        );

        let fixed = format!(
            "{bridged}ip addr add 169.254.170.2/32 dev lo\niptables -I DOCKER-USER -i docker0 -d 169.254.169.254 -j DROP\n"
        );
        for ud in [
            fixed.as_str(),
            "#!/bin/sh\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n",
            "#!/bin/sh\necho hello\n",
        ] {
            let mut d = Diagnostics::new();
            design(&config("user_data", ud), &mut d);
            assert!(
                d.is_empty(),
                "{ud}: {:?}",
                d.iter().map(|x| &x.summary).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn template_names_follow_ec2s_rule() {
        let name = TemplateName { prefix: false };
        let prefix = TemplateName { prefix: true };
        for ok in ["ecs-hosts", "a.b_c/d(e)", "abc", &"x".repeat(128)] {
            assert!(diags_of(&name, ok).is_empty(), "{ok}");
        }
        for bad in ["ecs hosts", "ecs:hosts", "hösts", "ab", &"x".repeat(129)] {
            assert_eq!(
                diags_of(&name, bad),
                ["Invalid Launch Template Name"],
                "{bad}"
            );
        }
        assert!(diags_of(&prefix, "a").is_empty());
        assert!(diags_of(&prefix, &"x".repeat(102)).is_empty());
        assert_eq!(
            diags_of(&prefix, &"x".repeat(103)),
            ["Invalid Launch Template Name"]
        );
        assert_eq!(
            diags_of(&prefix, "ecs:hosts-"),
            ["Invalid Launch Template Name"]
        );
    }
}
