//! `credit_specification` as hashicorp/aws 5.100.0 treats it: it only
//! means something on a burstable instance type, so it is sent only for
//! one, and on any other type (or without `instance_type`) the configured
//! block stays in state whatever EC2 holds.
//!
//! Source: hashicorp/terraform-provider-aws v5.100.0,
//! `internal/service/ec2/ec2_launch_template.go`:
//! `expandRequestLaunchTemplateData` sets `CreditSpecification` only when
//! `instance_type` is set and `DescribeInstanceTypes` says
//! `BurstablePerformanceSupported`; `flattenResponseLaunchTemplateData`
//! reads it back only under the same condition ("Don't overwrite any
//! configured value"). So an `aws_launch_template` with
//! `credit_specification` on `m6i.large` has the block in state while EC2
//! holds none, and a `moved` block must plan no changes for it.
//!
//! One case hashicorp/aws does not meet: a template made outside Terraform
//! that holds a credit option on a type without credits (for the T types
//! of an Auto Scaling group's overrides). There the block follows what EC2
//! holds like any other argument — read as EC2 holds it, compared, and
//! written as configured (removing it removes it) — so nothing EC2 holds
//! is dropped or kept against the configuration.

use serde_json::{Map, Value as Json};

use crate::sdk::Value;

/// The argument and its EC2 member.
const ARG: &str = "credit_specification";
const MEMBER: &str = "CreditSpecification";

/// Whether `instance_type` earns CPU credits: the T families (T2, T3,
/// T3a, T4g), "burstable performance instances" in the Amazon EC2 User
/// Guide (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/burstable-performance-instances.html>).
/// hashicorp/aws asks `DescribeInstanceTypes` instead; the family rule
/// answers the same without another API call or IAM permission. T1 (the
/// previous-generation `t1.micro`) has no credit options. Null (no
/// instance type in the template) takes none, as in hashicorp/aws; an
/// unknown type is taken to take them (the plan is judged once known).
pub(crate) fn takes_credits(instance_type: &Value) -> bool {
    match instance_type {
        Value::Unknown => true,
        Value::String(t) => {
            let family = t.split('.').next().unwrap_or_default();
            let mut c = family.chars();
            c.next() == Some('t') && c.next().is_some_and(|d| d.is_ascii_digit() && d != '1')
        }
        _ => false,
    }
}

/// Whether the version data `data` holds a credit option on a type without
/// credits (or without an instance type).
pub(crate) fn held_off_type(data: &Map<String, Json>) -> bool {
    data.contains_key(MEMBER)
        && !takes_credits(
            &data
                .get("InstanceType")
                .and_then(Json::as_str)
                .map_or(Value::Null, Value::from),
        )
}

/// After a read: on a type without credits the prior block stays (what
/// hashicorp/aws keeps), except on import, where there is no prior and
/// the state says what EC2 holds, and where EC2 holds a credit option
/// there (the state says which).
pub(crate) fn keep_prior(state: &mut std::collections::BTreeMap<String, Value>, prior: &Value) {
    if prior.is_null() {
        return;
    }
    let ty = state.get("instance_type").cloned().unwrap_or(Value::Null);
    if takes_credits(&ty) {
        return;
    }
    if matches!(state.get(ARG), Some(Value::List(items)) if !items.is_empty()) {
        return;
    }
    let kept = match prior.attr(ARG) {
        Value::Null => Value::List(Vec::new()),
        v => v.clone(),
    };
    state.insert(ARG.to_owned(), kept);
}

/// `v` without the block when `v`'s type takes no credits and the current
/// version holds none there (`held`: it does): what two values are compared
/// by (the block then changes nothing EC2 holds).
pub(crate) fn compared(v: &Value, held: bool) -> Value {
    let mut out = v.clone();
    if !held && !takes_credits(v.attr("instance_type")) {
        if let Value::Object(m) = &mut out {
            m.insert(ARG.to_owned(), Value::List(Vec::new()));
        }
    }
    out
}

/// The data a version is written with: on a type without credits nothing
/// is sent for the block (hashicorp/aws's rule), except where the current
/// version already holds a credit option for this instance type or for
/// another type without credits: the template carries one there on
/// purpose, so the configured block is written as it says (EC2's own JSON
/// where it means the same), and removing the block removes it. One held
/// for a T type is not carried to a type without credits.
pub(crate) fn unsent(
    data: &mut Map<String, Json>,
    planned: &Value,
    held: Option<&Map<String, Json>>,
) {
    if takes_credits(planned.attr("instance_type")) {
        return;
    }
    let carried = held.is_some_and(|h| {
        h.contains_key(MEMBER)
            && (h.get("InstanceType").and_then(Json::as_str)
                == planned.attr("instance_type").as_str()
                || held_off_type(h))
    });
    let planned_credits = match planned.attr(ARG) {
        Value::List(items) => items
            .first()
            .and_then(|i| i.attr("cpu_credits").as_str().map(str::to_owned)),
        _ => None,
    };
    match (carried, planned_credits) {
        (true, Some(c)) => {
            let held_json = held.and_then(|h| h.get(MEMBER));
            let same = held_json
                .and_then(|m| m.get("CpuCredits"))
                .and_then(Json::as_str)
                == Some(c.as_str());
            let value = match held_json {
                Some(j) if same => j.clone(),
                _ => serde_json::json!({ "CpuCredits": c }),
            };
            data.insert(MEMBER.to_owned(), value);
        }
        _ => {
            data.remove(MEMBER);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testing::obj;

    fn credits(c: &str) -> Value {
        Value::List(vec![obj(&[("cpu_credits", c.into())])])
    }

    #[test]
    fn only_t_families_from_t2_take_credits() {
        for t in ["t2.micro", "t3.small", "t3a.large", "t4g.nano"] {
            assert!(takes_credits(&Value::from(t)), "{t}");
        }
        for t in ["m6i.large", "t1.micro", "c7g.xlarge", "trn1.2xlarge"] {
            assert!(!takes_credits(&Value::from(t)), "{t}");
        }
        assert!(!takes_credits(&Value::Null));
        assert!(takes_credits(&Value::Unknown));
    }

    /// EC2 holds no CreditSpecification for an m6i template (hashicorp/aws
    /// never sent it): a refresh keeps the configured block, so neither the
    /// `moved` state nor a refresh ever shows a difference. On a T type the
    /// same absence is drift, and shows.
    #[test]
    fn a_refresh_keeps_the_block_only_where_it_means_nothing() {
        let prior = obj(&[
            ("instance_type", "m6i.large".into()),
            ("credit_specification", credits("standard")),
        ]);
        let mut read = std::collections::BTreeMap::from([
            ("instance_type".to_owned(), Value::from("m6i.large")),
            ("credit_specification".to_owned(), Value::List(vec![])),
        ]);
        keep_prior(&mut read, &prior);
        assert_eq!(read["credit_specification"], credits("standard"));
        read.insert("instance_type".into(), "t3.small".into());
        read.insert("credit_specification".into(), Value::List(vec![]));
        keep_prior(&mut read, &prior);
        assert_eq!(read["credit_specification"], Value::List(vec![]));
        // EC2 holds one on m6i (set outside Terraform): the state says so.
        read.insert("instance_type".into(), "m6i.large".into());
        read.insert("credit_specification".into(), credits("unlimited"));
        keep_prior(&mut read, &prior);
        assert_eq!(read["credit_specification"], credits("unlimited"));
        read.insert("credit_specification".into(), Value::List(vec![]));
        // Import: what EC2 holds.
        keep_prior(&mut read, &Value::Null);
        assert_eq!(read["credit_specification"], Value::List(vec![]));
    }

    #[test]
    fn compared_values_ignore_the_block_where_it_means_nothing() {
        let m6i = |c: Value| {
            obj(&[
                ("instance_type", "m6i.large".into()),
                ("credit_specification", c),
            ])
        };
        assert_eq!(
            compared(&m6i(credits("standard")), false),
            compared(&m6i(Value::List(vec![])), false)
        );
        // Where the version holds one (set outside Terraform), it counts.
        assert_ne!(
            compared(&m6i(credits("standard")), true),
            compared(&m6i(Value::List(vec![])), true)
        );
        let t3 = |c: Value| {
            obj(&[
                ("instance_type", "t3.small".into()),
                ("credit_specification", c),
            ])
        };
        assert_ne!(
            compared(&t3(credits("standard")), false),
            compared(&t3(Value::List(vec![])), false)
        );
    }

    /// Written like hashicorp/aws: not for m6i, yes for t3; and what the
    /// current version holds for the same type is written back.
    #[test]
    fn writes_send_the_block_only_to_a_type_that_takes_it() {
        let member = || {
            let mut m = Map::new();
            m.insert(MEMBER.into(), serde_json::json!({"CpuCredits": "standard"}));
            m
        };
        let planned = |ty: &str| {
            obj(&[
                ("instance_type", ty.into()),
                ("credit_specification", credits("standard")),
            ])
        };
        let mut d = member();
        unsent(&mut d, &planned("m6i.large"), None);
        assert_eq!(d.get(MEMBER), None);
        let mut d = member();
        unsent(&mut d, &planned("t3.small"), None);
        assert!(d.get(MEMBER).is_some());
        let mut held = member();
        held.insert("InstanceType".into(), "m6i.large".into());
        let mut d = Map::new();
        unsent(&mut d, &planned("m6i.large"), Some(&held));
        assert_eq!(d.get(MEMBER), held.get(MEMBER), "nothing held is dropped");
        // Another type without credits, the same cpu_credits configured
        // (an import's configuration): kept.
        let mut d = Map::new();
        unsent(&mut d, &planned("m6i.xlarge"), Some(&held));
        assert_eq!(d.get(MEMBER), held.get(MEMBER), "kept across m6i sizes");
        // The configuration removed the block: removed.
        let mut none = planned("m6i.xlarge");
        if let Value::Object(m) = &mut none {
            m.insert(ARG.into(), Value::List(vec![]));
        }
        let mut d = Map::new();
        unsent(&mut d, &none, Some(&held));
        assert_eq!(d.get(MEMBER), None, "removed by the configuration");
        let mut other = planned("m6i.xlarge");
        if let Value::Object(m) = &mut other {
            m.insert(ARG.into(), credits("unlimited"));
        }
        let mut d = Map::new();
        unsent(&mut d, &other, Some(&held));
        assert_eq!(
            d.get(MEMBER),
            Some(&serde_json::json!({"CpuCredits": "unlimited"})),
            "changed by the configuration: written as it says"
        );
        assert!(held_off_type(&held));
        held.insert("InstanceType".into(), "t3.small".into());
        let mut d = member();
        unsent(&mut d, &planned("m6i.large"), Some(&held));
        assert_eq!(d.get(MEMBER), None, "not carried to a type that takes none");
        assert!(!held_off_type(&held));
    }
}
