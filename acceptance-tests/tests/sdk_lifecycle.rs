//! The SDK through the real Terraform CLI, with the test-only `sdktest`
//! provider: create → empty re-plan → update in place → replace → drift
//! (object deleted out of band) → import → moved from `terraform_data` →
//! state upgrade → destroy; plus validation, unknowns and panics.

use acceptance_tests::terraform::Workdir;
use serde_json::json;

fn config(store: &std::path::Path, body: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    sdktest = {{ source = "ecshost/sdktest" }}
  }}
}}
provider "sdktest" {{
  store_dir = {store:?}
}}
{body}
"#
    )
}

#[test]
fn resource_lifecycle_through_terraform() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_thing" "t" {
  name   = "one"
  port   = 8080
  tags   = { team = "a" }
  secret = "hunter2"
  settings {}
}
"#,
    ));
    wd.init();
    wd.apply();
    let v = wd.values("sdktest_thing.t");
    assert_eq!(v["id"], json!("thing-one"));
    assert_eq!(v["mode"], json!("a"), "schema default applied");
    assert_eq!(
        v["settings"][0]["level"],
        json!(1),
        "nested block default applied"
    );
    assert_eq!(v["revision"], json!(1));
    assert!(store.join("thing-one.json").exists());
    wd.assert_empty_plan();

    // Update in place: computed `revision` becomes unknown, `id` keeps its value.
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_thing" "t" {
  name   = "one"
  mode   = "b"
  port   = 8080
  tags   = { team = "b" }
  secret = "hunter2"
  settings {}
}
"#,
    ));
    let plan = wd.plan_with_changes();
    assert!(plan.contains("will be updated in-place"), "{plan}");
    assert!(
        plan.contains("revision") && plan.contains("(known after apply)"),
        "{plan}"
    );
    assert!(!plan.contains("id       = (known after apply)"), "{plan}");
    assert!(!plan.contains("hunter2"), "secret never shown: {plan}");
    let st = wd.show();
    let r = acceptance_tests::terraform::find_resource(&st, "sdktest_thing.t").unwrap();
    assert_eq!(
        r["sensitive_values"]["secret"],
        json!(true),
        "schema marks secret sensitive"
    );
    wd.apply();
    assert_eq!(wd.values("sdktest_thing.t")["revision"], json!(2));
    wd.assert_empty_plan();

    // Drift: the object vanishes out of band → warning + planned re-create.
    std::fs::remove_file(store.join("thing-one.json")).unwrap();
    let plan = wd.plan_with_changes();
    assert!(plan.contains("will be created"), "{plan}");
    wd.apply();
    wd.assert_empty_plan();

    // Rename replaces.
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_thing" "t" {
  name   = "two"
  mode   = "b"
  port   = 8080
  tags   = { team = "b" }
  secret = "hunter2"
  settings {}
}
"#,
    ));
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("must be replaced") && plan.contains("forces replacement"),
        "{plan}"
    );
    wd.apply();
    assert!(!store.join("thing-one.json").exists());
    assert_eq!(wd.values("sdktest_thing.t")["id"], json!("thing-two"));

    // Import into a fresh state gives the same values.
    let before = wd.values("sdktest_thing.t");
    wd.ok(&["state", "rm", "sdktest_thing.t"]);
    wd.ok(&["import", "-no-color", "sdktest_thing.t", "thing-two"]);
    let after = wd.values("sdktest_thing.t");
    for k in ["id", "name", "mode", "port", "tags", "revision", "settings"] {
        assert_eq!(before[k], after[k], "attribute {k} differs after import");
    }
    // `secret` is not readable back, as with real write-once secrets.
    let bad = wd.run(&["import", "-no-color", "sdktest_thing.other", "nope"]);
    assert_ne!(bad.code, 0);

    wd.destroy();
    assert!(
        !store.join("thing-two.json").exists(),
        "destroy removed the object"
    );
}

#[test]
fn validation_errors_point_at_attributes() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_thing" "t" {
  name = "forbidden"
  mode = "c"
  port = 70000
}
"#,
    ));
    wd.init();
    let r = wd.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    let e = r.stderr;
    assert!(
        e.contains("mode must be one of \"a\", \"b\"; got \"c\""),
        "{e}"
    );
    assert!(
        e.contains("port must be a whole number from 1 to 65535"),
        "{e}"
    );
    assert!(e.contains("Forbidden name"), "{e}");
    assert!(
        e.contains("on main.tf line"),
        "diagnostics carry a source location: {e}"
    );
}

#[test]
fn unknown_values_validate_and_plan() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    wd.write_config(&config(
        &store,
        r#"
resource "terraform_data" "later" {
  input = "b"
}
resource "sdktest_thing" "t" {
  name = "u"
  mode = terraform_data.later.output
  port = length(terraform_data.later.output) + 79
}
"#,
    ));
    wd.init();
    wd.ok(&["validate", "-no-color"]);
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("mode") && plan.contains("(known after apply)"),
        "{plan}"
    );
    wd.apply();
    assert_eq!(wd.values("sdktest_thing.t")["mode"], json!("b"));
    wd.assert_empty_plan();
    wd.destroy();
}

#[test]
fn moved_from_another_providers_type() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    wd.write_config(&config(
        &store,
        r#"
resource "terraform_data" "x" {
  input = "adopted"
}
"#,
    ));
    wd.init();
    wd.apply();
    // The remote object exists (as if made by the other resource type).
    std::fs::write(
        store.join("thing-adopted.json"),
        r#"{"id":"thing-adopted","name":"adopted","mode":"a","port":null,"tags":null,"secret":null,"revision":7,"settings":[]}"#,
    )
    .unwrap();
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_thing" "x" {
  name = "adopted"
}
moved {
  from = terraform_data.x
  to   = sdktest_thing.x
}
"#,
    ));
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert!(
        r.stdout.contains("has moved to sdktest_thing.x"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // A move alone counts as a change for -detailed-exitcode; nothing else may.
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "no replacement: {}",
        r.stdout
    );
    wd.apply();
    assert_eq!(
        wd.values("sdktest_thing.x")["revision"],
        json!(7),
        "refreshed after the move"
    );
    wd.assert_empty_plan();
}

#[test]
fn old_state_versions_are_upgraded() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    std::fs::write(
        store.join("thing-old.json"),
        r#"{"id":"thing-old","name":"old","mode":"a","port":null,"tags":null,"secret":null,"revision":3,"settings":[]}"#,
    )
    .unwrap();
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_thing" "o" {
  name = "old"
}
"#,
    ));
    wd.init();
    // A state file written by schema version 0, where `name` was `label`.
    let state = json!({
        "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": "5e1f3b2a-0000-4000-8000-000000000001",
        "outputs": {}, "check_results": null,
        "resources": [{
            "mode": "managed", "type": "sdktest_thing", "name": "o",
            "provider": "provider[\"registry.terraform.io/ecshost/sdktest\"]",
            "instances": [{
                "schema_version": 0,
                "attributes": {"id": "thing-old", "label": "old", "mode": "a", "revision": 3, "settings": []},
                "private": base64_private()
            }]
        }]
    });
    wd.write_file("terraform.tfstate", &state.to_string());
    wd.assert_empty_plan();
}

fn base64_private() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b"sdktest-private-v1")
}

#[test]
fn a_panicking_provider_gives_a_diagnostic_not_a_crash() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    wd.write_config(&config(
        &store,
        r#"
data "sdktest_echo" "p" {
  value = "panic"
}
"#,
    ));
    wd.init();
    let r = wd.run(&["plan", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Provider Internal Error"), "{}", r.stderr);
    assert!(r.stderr.contains("asked to panic"), "{}", r.stderr);
    assert!(
        !r.stderr.contains("plugin exited"),
        "the plugin survived: {}",
        r.stderr
    );

    wd.write_config(&config(
        &store,
        r#"
data "sdktest_echo" "ok" {
  value = "hi"
}
output "r" { value = data.sdktest_echo.ok.result }
"#,
    ));
    wd.apply();
    let out = wd.ok(&["output", "-raw", "r"]);
    assert_eq!(out.stdout, "hi!", "data source default filled");
}

#[test]
fn unknown_type_names_are_diagnostics() {
    let wd = Workdir::new();
    let store = wd.scratch("store");
    wd.write_config(&config(
        &store,
        r#"
resource "sdktest_nope" "n" {}
"#,
    ));
    wd.init();
    let r = wd.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("sdktest_nope"), "{}", r.stderr);
}
