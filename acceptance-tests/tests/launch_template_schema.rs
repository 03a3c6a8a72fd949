//! Issue 12, item 1: every argument of hashicorp/aws 5.100.0's
//! `aws_launch_template` exists in `ecshost_launch_template` with the same
//! name, nesting, item limits and type, and is settable wherever it is in
//! hashicorp/aws — so the body of an existing block pastes unchanged.
//!
//! Both schemas come from one `terraform providers schema -json` with
//! hashicorp/aws from the filesystem mirror and the provider built here.
//! The gap list is printed and must be empty; the reverse direction may
//! only list this provider's documented extras.

use std::collections::BTreeMap;

use acceptance_tests::terraform::{aws_provider_mirror, Workdir};
use serde_json::Value as Json;

/// Deliberate differences, by dotted path, with the reason. Anything
/// else that differs is a gap.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "id",
        "optional+computed in hashicorp/aws only because SDKv2 declares every `id` so; a configured id is ignored there. Computed-only here.",
    ),
    (
        "tags_all",
        "optional+computed in hashicorp/aws only because SDKv2 lets a computed attribute be written; its value is always `tags` merged with default_tags. Computed-only here.",
    ),
];

/// Attributes only `ecshost_launch_template` has, with the reason.
const OUR_EXTRAS: &[(&str, &str)] = &[
    (
        "user_data_sha256",
        "hex SHA-256 of the decoded user data, to compare with data.ecshost_user_data and verify instances",
    ),
    (
        "user_data_base64",
        "deprecated alias of user_data (the first release's spelling)",
    ),
    (
        "security_group_ids",
        "deprecated alias of vpc_security_group_ids (the first release's spelling)",
    ),
    // hashicorp/aws 6.x's additions (its `aws_launch_template` page; the
    // shapes are checked against EC2 through moto in tests/aws6_interop.rs).
    ("region", "hashicorp/aws 6.0's per-resource Region"),
    (
        "network_performance_options",
        "hashicorp/aws 6.x (terraform-aws-autoscaling 9.2.0 sets it)",
    ),
    (
        "secondary_interfaces",
        "hashicorp/aws 6.x (hashicorp/terraform-provider-aws#46540)",
    ),
    (
        "cpu_options.nested_virtualization",
        "hashicorp/aws 6.x (hashicorp/terraform-provider-aws#46540)",
    ),
    (
        "network_interfaces.ena_queue_count",
        "hashicorp/aws 6.x (hashicorp/terraform-provider-aws#48892)",
    ),
    ("placement.group_id", "hashicorp/aws 6.x"),
];

fn flag(a: &Json, k: &str) -> bool {
    a.get(k) == Some(&Json::Bool(true))
}

fn settable(a: &Json) -> bool {
    flag(a, "optional") || flag(a, "required")
}

fn mode(a: &Json) -> &'static str {
    match (
        flag(a, "required"),
        flag(a, "optional"),
        flag(a, "computed"),
    ) {
        (true, _, _) => "required",
        (_, true, true) => "optional+computed",
        (_, true, false) => "optional",
        _ => "computed",
    }
}

/// Compares block `theirs` (hashicorp/aws) with `ours` at `at`; pushes gaps.
fn compare(theirs: &Json, ours: &Json, at: &str, gaps: &mut Vec<String>, extras: &mut Vec<String>) {
    let empty = serde_json::Map::new();
    let attrs = |b: &Json, k: &str| b.get(k).and_then(Json::as_object).unwrap_or(&empty).clone();
    let (ta, oa) = (attrs(theirs, "attributes"), attrs(ours, "attributes"));
    let (tb, ob) = (attrs(theirs, "block_types"), attrs(ours, "block_types"));
    for (k, t) in &ta {
        let p = format!("{at}{k}");
        let Some(o) = oa.get(k) else {
            gaps.push(format!("{p}: missing ({} {})", mode(t), t["type"]));
            continue;
        };
        if t["type"] != o["type"] {
            gaps.push(format!(
                "{p}: type {} here, {} in hashicorp/aws",
                o["type"], t["type"]
            ));
        }
        if settable(t) && !settable(o) {
            gaps.push(format!(
                "{p}: {} here, settable ({}) in hashicorp/aws",
                mode(o),
                mode(t)
            ));
        }
        if flag(o, "required") && !flag(t, "required") {
            gaps.push(format!(
                "{p}: required here, {} in hashicorp/aws (a pasted body may omit it)",
                mode(t)
            ));
        }
        if flag(t, "required") && !flag(o, "required") {
            gaps.push(format!("{p}: {} here, required in hashicorp/aws", mode(o)));
        }
        if !settable(t) && settable(o) {
            gaps.push(format!(
                "{p}: settable ({}) here, computed-only in hashicorp/aws",
                mode(o)
            ));
        }
    }
    for (k, t) in &tb {
        let p = format!("{at}{k}");
        let Some(o) = ob.get(k) else {
            gaps.push(format!("{p}: block missing"));
            continue;
        };
        for f in ["nesting_mode", "min_items", "max_items"] {
            let norm = |v: Option<&Json>| match v {
                // Terraform omits a zero limit.
                None => Json::from(0),
                Some(v) => v.clone(),
            };
            if norm(t.get(f)) != norm(o.get(f)) {
                gaps.push(format!(
                    "{p}: block {f} {} here, {} in hashicorp/aws",
                    norm(o.get(f)),
                    norm(t.get(f))
                ));
            }
        }
        compare(&t["block"], &o["block"], &format!("{p}."), gaps, extras);
    }
    for k in oa.keys().chain(ob.keys()) {
        if !ta.contains_key(k) && !tb.contains_key(k) {
            extras.push(format!("{at}{k}"));
        }
    }
}

#[test]
fn every_aws_launch_template_argument_exists_with_the_same_shape() {
    assert!(
        aws_provider_mirror().is_some(),
        "no filesystem mirror of hashicorp/aws 5.100.0 (/opt/tf-plugins, or set ECSHOST_AWS_MIRROR): this test compares with it"
    );
    let wd = Workdir::new();
    wd.write_config(
        r#"terraform {
  required_providers {
    aws     = { source = "hashicorp/aws", version = "5.100.0" }
    ecshost = { source = "ecshost/ecshost" }
  }
}
"#,
    );
    wd.init();
    let r = wd.ok(&["providers", "schema", "-json"]);
    let s: Json = serde_json::from_str(&r.stdout).expect("schema JSON");
    let schemas = &s["provider_schemas"];
    let aws = &schemas["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
        ["aws_launch_template"]["block"];
    let ours = &schemas["registry.terraform.io/ecshost/ecshost"]["resource_schemas"]
        ["ecshost_launch_template"]["block"];
    assert!(aws.is_object(), "hashicorp/aws reports aws_launch_template");
    assert!(ours.is_object(), "ecshost reports ecshost_launch_template");

    let mut gaps = Vec::new();
    let mut extras = Vec::new();
    compare(aws, ours, "", &mut gaps, &mut extras);
    let known: BTreeMap<&str, &str> = KNOWN_DIFFERENCES.iter().copied().collect();
    let (deliberate, gaps): (Vec<String>, Vec<String>) = gaps
        .into_iter()
        .partition(|g| known.contains_key(g.split(':').next().unwrap_or_default()));
    for d in &deliberate {
        let k = d.split(':').next().unwrap_or_default();
        println!("deliberate: {d} — {}", known[k]);
    }
    for g in &gaps {
        println!("GAP: {g}");
    }
    println!(
        "gap list: {} entr{}",
        gaps.len(),
        if gaps.len() == 1 { "y" } else { "ies" }
    );
    // Every known difference still exists (otherwise the list is stale).
    for (k, _) in KNOWN_DIFFERENCES {
        assert!(
            deliberate.iter().any(|d| d.starts_with(&format!("{k}:"))),
            "{k} is listed as a deliberate difference but no longer differs: remove it from KNOWN_DIFFERENCES"
        );
    }
    assert!(
        gaps.is_empty(),
        "ecshost_launch_template differs from aws_launch_template 5.100.0:\n{}",
        gaps.join("\n")
    );

    let documented: Vec<&str> = OUR_EXTRAS.iter().map(|(k, _)| *k).collect();
    let undocumented: Vec<&String> = extras
        .iter()
        .filter(|e| !documented.contains(&e.as_str()))
        .collect();
    for (k, why) in OUR_EXTRAS {
        println!("extra here: {k} — {why}");
    }
    assert!(
        undocumented.is_empty(),
        "arguments only ecshost_launch_template has, not documented as extras: {undocumented:?}"
    );
    for k in &documented {
        assert!(
            extras.iter().any(|e| e == k),
            "{k} is listed as an extra but the schema lacks it"
        );
    }
    // The deprecated aliases say so in the schema.
    for k in ["user_data_base64", "security_group_ids"] {
        assert!(
            flag(&ours["attributes"][k], "deprecated"),
            "{k} is marked deprecated"
        );
    }
}
