//! Existing users' state keeps working: every state fixture written by a
//! released version (`acceptance-tests/state-fixtures/`, one per release and
//! scenario) is planned by the current build against the same EC2 objects
//! (moto, with the fixture's recorded requests replayed), with its
//! configuration (or the migrated one a later release added). The plan must
//! succeed with no change to any resource — except the changes a later
//! release declares in the migrated configuration's `changes.json`, each
//! announced under Breaking in the CHANGELOG, and no attribute beyond them —
//! and every resource instance must have been upgraded to the current schema
//! version on the way.
//!
//! Writing a release's fixtures (once per release, never rewritten):
//! `cargo test -p acceptance-tests --test state_upgrades -- --ignored write_state_fixtures`
//! (see the fixtures README).

use std::collections::BTreeMap;

use acceptance_tests::moto::{Launch, Moto};
use acceptance_tests::state_fixtures::{self, Fixture, Recording};
use acceptance_tests::terraform::Workdir;
use serde_json::Value as Json;

const AMI: &str = "ami-05fb4f257abd42992";

fn workdir(moto: &Moto) -> Workdir {
    let mut wd = Workdir::new();
    for (k, v) in moto.env() {
        wd.env(&k, &v);
    }
    wd
}

/// `type → schema version` of the current build's managed resources.
fn current_schema_versions() -> BTreeMap<String, u64> {
    let wd = Workdir::new();
    wd.write_config(
        "terraform {\n  required_providers {\n    ecshost = { source = \"ecshost/ecshost\" }\n  }\n}\n",
    );
    wd.init();
    let s: Json = serde_json::from_str(&wd.ok(&["providers", "schema", "-json"]).stdout)
        .expect("schema JSON");
    s["provider_schemas"]["registry.terraform.io/ecshost/ecshost"]["resource_schemas"]
        .as_object()
        .expect("resource schemas")
        .iter()
        .map(|(t, v)| (t.clone(), v["version"].as_u64().unwrap_or(0)))
        .collect()
}

/// Plans `f` with the current build; `Err` says what went wrong.
fn plan_fixture(f: &Fixture, current: &BTreeMap<String, u64>) -> Result<String, String> {
    let (moto, _rec) = f.replay();
    // The replay must have recreated the objects under the same IDs
    // (otherwise refresh would find them gone and plan to create them).
    for r in f.state()["resources"].as_array().into_iter().flatten() {
        if r["mode"] == "managed" && r["type"] == "ecshost_launch_template" {
            for i in r["instances"].as_array().into_iter().flatten() {
                let id = i["attributes"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if !moto.template_exists(&id) {
                    return Err(format!(
                        "replaying {} did not recreate {id}: moto's ID generation changed (fixture written with moto {}, see .ci/moto-requirements.txt)",
                        f.id(),
                        f.meta["moto"]
                    ));
                }
            }
        }
    }
    let wd = workdir(&moto);
    let label = f.install_into(&wd);
    wd.init();
    let r = wd.run(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        "-out=upgrade.tfplan",
    ]);
    let declared = declared_changes(&f.config_dir().0);
    if r.code != 0 && (r.code != 2 || declared.is_empty()) {
        return Err(format!(
            "{} ({label} configuration): plan exit {} (2 = changes, 1 = error):\n{}\n{}",
            f.id(),
            r.code,
            r.stdout,
            r.stderr
        ));
    }
    let plan: Json = serde_json::from_str(
        &wd.ok(&["show", "-json", "-no-color", "upgrade.tfplan"])
            .stdout,
    )
    .expect("plan JSON");
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for rc in plan["resource_changes"].as_array().into_iter().flatten() {
        if rc["mode"] != "managed" || rc["change"]["actions"] == serde_json::json!(["no-op"]) {
            continue;
        }
        let address = rc["address"].as_str().unwrap_or_default();
        let Some(allowed) = declared.get(address) else {
            problems.push(format!("{address}: {}", rc["change"]["actions"]));
            continue;
        };
        seen.insert(address.to_owned());
        let changed = changed_attributes(&rc["change"]);
        let outside: Vec<&String> = changed.iter().filter(|a| !allowed.contains(*a)).collect();
        if !outside.is_empty() {
            let how: Vec<String> = outside
                .iter()
                .map(|a| {
                    let c = &rc["change"];
                    format!(
                        "{a}: {} -> {} (unknown: {})",
                        c["before"][a.as_str()],
                        c["after"][a.as_str()],
                        c["after_unknown"][a.as_str()]
                    )
                })
                .collect();
            problems.push(format!(
                "{address}: {} changes {outside:?}, which changes.json does not declare (declared: {allowed:?}): {}",
                rc["change"]["actions"],
                how.join("; ")
            ));
        }
    }
    for address in declared.keys().filter(|a| !seen.contains(*a)) {
        problems.push(format!(
            "{address}: declared in changes.json but planned no change (remove it from changes.json)"
        ));
    }
    // The prior state in the plan is the upgraded, refreshed one.
    let mut upgraded = 0;
    for r in plan
        .pointer("/prior_state/values/root_module/resources")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        if r["mode"] != "managed" {
            continue;
        }
        let ty = r["type"].as_str().unwrap_or_default();
        let want = current.get(ty).copied();
        let got = r["schema_version"].as_u64();
        if got != want {
            problems.push(format!(
                "{}: schema version {got:?} after the upgrade, current is {want:?}",
                r["address"]
            ));
        }
        upgraded += 1;
    }
    let in_fixture = f.resource_versions().len();
    if upgraded != in_fixture {
        problems.push(format!(
            "{upgraded} managed instances in the plan's prior state, {in_fixture} in the fixture"
        ));
    }
    if !problems.is_empty() {
        return Err(format!(
            "{} ({label} configuration): {}",
            f.id(),
            problems.join("; ")
        ));
    }
    let warnings = r.stdout.matches("Warning: ").count() + r.stderr.matches("Warning: ").count();
    Ok(format!(
        "{} ({label} configuration): {in_fixture} resource instances upgraded, {}, {warnings} warnings",
        f.id(),
        if declared.is_empty() {
            "no changes".to_owned()
        } else {
            format!("only the declared changes ({})", declared.len())
        }
    ))
}

/// The changes a later release declares for a fixture
/// (`migrated/<release>/changes.json`: `{"why": "…", "changes":
/// {"<address>": ["<attribute>", …]}}`), address → the attributes that may
/// change (for a replacement: the attributes that force it). Empty when
/// the file is absent: then no change is allowed at all.
fn declared_changes(dir: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let path = dir.join("changes.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return BTreeMap::new();
    };
    let v: Json =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    assert!(
        v["why"].as_str().is_some_and(|w| w.contains("CHANGELOG")),
        "{}: `why` must say which CHANGELOG entry announces the change",
        path.display()
    );
    v["changes"]
        .as_object()
        .unwrap_or_else(|| panic!("{}: no `changes` object", path.display()))
        .iter()
        .map(|(a, attrs)| {
            let attrs = attrs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect();
            (a.clone(), attrs)
        })
        .collect()
}

/// The top-level attributes a planned change touches: for a replacement,
/// the ones that force it (`replace_paths`); for an update, every one whose
/// planned value differs from the prior one or is unknown.
fn changed_attributes(change: &Json) -> Vec<String> {
    let actions = &change["actions"];
    if actions.as_array().is_some_and(|a| a.len() == 2) {
        return change["replace_paths"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p[0].as_str().map(str::to_owned))
            .collect();
    }
    let (before, after) = (&change["before"], &change["after"]);
    let unknown = &change["after_unknown"];
    let mut keys: Vec<String> = before
        .as_object()
        .into_iter()
        .flatten()
        .chain(after.as_object().into_iter().flatten())
        .map(|(k, _)| k.clone())
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| {
            unknown[k] == Json::Bool(true)
                || before[k] != known_or_prior(&after[k], &unknown[k], &before[k])
        })
        .collect()
}

/// `after` with every nested value that is unknown until apply (a computed
/// attribute inside a block, e.g. what EC2 fills in for a new version) taken
/// from `before`: such a value is not a planned change of the attribute.
fn known_or_prior(after: &Json, unknown: &Json, before: &Json) -> Json {
    match (after, unknown) {
        (_, Json::Bool(true)) => before.clone(),
        (Json::Array(a), Json::Array(u)) => Json::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| known_or_prior(x, u.get(i).unwrap_or(&Json::Null), &before[i]))
                .collect(),
        ),
        (Json::Object(a), Json::Object(u)) => {
            let mut out = a.clone();
            for (k, uk) in u {
                let x = a.get(k).unwrap_or(&Json::Null);
                let v = known_or_prior(x, uk, &before[k.as_str()]);
                if !(v.is_null() && !a.contains_key(k) && before.get(k).is_none()) {
                    out.insert(k.clone(), v);
                }
            }
            Json::Object(out)
        }
        _ => after.clone(),
    }
}

#[test]
fn every_release_state_plans_without_changes() {
    let fixtures = state_fixtures::all();
    assert!(
        !fixtures.is_empty(),
        "no fixtures under {}",
        state_fixtures::root().display()
    );
    let current = current_schema_versions();
    // Fixtures are independent (own moto, own work dir): plan them side by side.
    let results: Vec<Result<String, String>> = std::thread::scope(|s| {
        let hs: Vec<_> = fixtures
            .iter()
            .map(|f| s.spawn(|| plan_fixture(f, &current)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("panicked".into())))
            .collect()
    });
    let mut failed = Vec::new();
    for r in results {
        match r {
            Ok(line) => eprintln!("{line}"),
            Err(e) => failed.push(e),
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// Every managed resource type of the current build is in some fixture, and
/// no fixture claims a schema version newer than the current one (state
/// from a newer provider cannot be planned by an older one).
#[test]
fn fixtures_cover_every_resource_type() {
    let current = current_schema_versions();
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for f in state_fixtures::all() {
        assert!(
            f.meta["written_by"] == Json::String(f.release.clone()),
            "{}: fixture.json written_by {} does not match its directory",
            f.id(),
            f.meta["written_by"]
        );
        for (ty, v) in f.resource_versions() {
            let cur = current.get(&ty).copied();
            assert!(
                cur.is_some_and(|c| v <= c),
                "{}: {ty} at schema version {v}, current build has {cur:?}",
                f.id()
            );
            seen.entry(ty).or_default().push(v);
        }
    }
    let missing: Vec<&String> = current.keys().filter(|t| !seen.contains_key(*t)).collect();
    assert!(
        missing.is_empty(),
        "resource types without a state fixture: {missing:?} (write the release's fixtures, see acceptance-tests/state-fixtures/README.md)"
    );
}

// ---------------------------------------------------------------------------
// Writing the current release's fixtures. Each scenario drives real Terraform
// against a recording moto; the last configuration applied becomes main.tf.

const PROVIDER: &str = r#"terraform {
  required_providers {
    ecshost = { source = "ecshost/ecshost" }
  }
}

# The EC2 endpoint comes from AWS_ENDPOINT_URL (moto in the tests).
provider "ecshost" {
  region = "us-east-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}
"#;

/// Launch templates: every argument set, the defaults only, and a template
/// whose default version stays behind its latest.
fn launch_templates_config(step: u8) -> String {
    let (full_cluster, pinned_cluster) = if step == 1 {
        ("production-1", "batch-blue")
    } else {
        ("production", "batch-green")
    };
    format!(
        r#"{PROVIDER}
data "ecshost_user_data" "full" {{
  host_format = "cloud_init"
  cluster     = "{full_cluster}"
  gzip        = true
}}

data "ecshost_user_data" "minimal" {{
  host_format = "shell"
  cluster     = "minimal"
}}

data "ecshost_user_data" "pinned" {{
  host_format = "shell"
  cluster     = "{pinned_cluster}"
}}

# Every argument of schema version 0. Applied twice: latest_version = 2.
resource "ecshost_launch_template" "full" {{
  name                   = "ecs-hosts-full"
  description            = "ECS container hosts"
  image_id               = "{AMI}"
  instance_type          = "t3.small"
  iam_instance_profile   = "ecs-host"
  security_group_ids     = ["sg-0123456789abcdef0", "sg-0fedcba987654321f"]
  key_name               = "ops"
  user_data_base64       = data.ecshost_user_data.full.base64
  update_default_version = true

  tags = {{
    team = "platform"
  }}

  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 3
    http_endpoint               = "enabled"
    instance_metadata_tags      = "enabled"
  }}
}}

# Defaults only: a generated name, update_default_version and
# metadata_options as the provider fills them in.
resource "ecshost_launch_template" "minimal" {{
  name_prefix      = "ecs-hosts-"
  user_data_base64 = data.ecshost_user_data.minimal.base64
}}

# Instance profile by ARN; new versions do not become the default, so after
# the second apply latest_version = 2 and default_version = 1.
resource "ecshost_launch_template" "pinned" {{
  name                   = "ecs-hosts-pinned"
  image_id               = "{AMI}"
  instance_type          = "m6i.large"
  iam_instance_profile   = "arn:aws:iam::123456789012:instance-profile/ecs-batch"
  security_group_ids     = ["sg-0123456789abcdef0"]
  user_data_base64       = data.ecshost_user_data.pinned.base64
  update_default_version = false
}}

data "ecshost_loopback_config" "networkd" {{
  format = "networkd"
}}

data "ecshost_agent_options" "agent" {{
  cluster = "production"
}}
"#
    )
}

/// The gating resource (and the data source) verifying two instances
/// launched from a template.
fn verification_config(with_gate: bool) -> String {
    let gate = if with_gate {
        r#"
resource "ecshost_instance_verification" "gate" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  require_runtime_report    = false
  timeout                   = "0s"

  triggers = {
    deployment = "2026-11-29.1"
  }
}

data "ecshost_instance_verification" "fleet" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  require_runtime_report    = false

  depends_on = [ecshost_instance_verification.gate]
}
"#
    } else {
        ""
    };
    format!(
        r#"{PROVIDER}
data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "verified"
}}

resource "ecshost_launch_template" "hosts" {{
  name             = "ecs-hosts-verified"
  image_id         = "{AMI}"
  instance_type    = "t3.small"
  user_data_base64 = data.ecshost_user_data.hosts.base64
}}
{gate}"#
    )
}

fn apply_serially(wd: &Workdir, config: &str) {
    wd.write_config(config);
    // One call at a time, so moto hands out IDs in the order the recording
    // replays them.
    wd.ok(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=1",
    ]);
}

#[test]
#[ignore = "writes acceptance-tests/state-fixtures/<version>/ once per release (see its README)"]
fn write_state_fixtures() {
    {
        let rec = Recording::start(1701);
        let wd = workdir(&rec.moto);
        wd.write_config(&launch_templates_config(1));
        wd.init();
        apply_serially(&wd, &launch_templates_config(1));
        apply_serially(&wd, &launch_templates_config(2));
        wd.assert_empty_plan();
        let d = rec.write_fixture(
            &wd,
            "launch-templates",
            "Three ecshost_launch_template instances: every argument set (two versions), defaults only (name_prefix), and an instance profile by ARN with update_default_version = false (latest 2, default 1); default_tags; the render data sources.",
        );
        eprintln!("wrote {}", d.display());
    }
    {
        let rec = Recording::start(1702);
        let wd = workdir(&rec.moto);
        wd.write_config(&verification_config(false));
        wd.init();
        apply_serially(&wd, &verification_config(false));
        let id = wd.values("ecshost_launch_template.hosts")["id"]
            .as_str()
            .expect("template id")
            .to_owned();
        let launched = rec.moto.run_instances(&Launch::new(&id, "$Latest", 2));
        assert_eq!(launched.len(), 2);
        apply_serially(&wd, &verification_config(true));
        let gate = wd.values("ecshost_instance_verification.gate");
        assert_eq!(gate["all_ok"], Json::Bool(true), "{gate:#}");
        assert_eq!(gate["instance_count"], serde_json::json!(2));
        wd.assert_empty_plan();
        let d = rec.write_fixture(
            &wd,
            "instance-verification",
            "ecshost_instance_verification (gating resource) over two instances launched from an ecshost_launch_template, plus the data source.",
        );
        eprintln!("wrote {}", d.display());
    }
}
