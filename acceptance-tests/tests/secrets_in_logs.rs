//! Secrets never reach the logs. The test plants unique secrets — an AWS
//! secret access key and session token in the environment (against moto),
//! and a private-registry credential in the agent `config` map
//! (`ECS_ENGINE_AUTH_DATA`, through `ecshost_agent_options` and
//! `ecshost_user_data` into a launch template's user data) — runs
//! init/plan/apply/plan/destroy and a failing apply with `TF_LOG=TRACE`, and
//! asserts none of them appears in any `TF_LOG_PATH` file or on terraform's
//! stderr, in plain text or base64 (user data travels base64-encoded).
//!
//! The whole log is checked, Terraform core's lines and the provider's
//! (go-plugin relays every line the provider writes to stderr into it, tagged
//! `provider.terraform-provider-ecshost`): core does not log attribute
//! values, so nothing needs to be excluded. What the check does not cover:
//! the plan on stdout and the state show `config`, `ecs_config`, `rendered`,
//! `base64` and `user_data_base64` in clear, because none of them is marked
//! sensitive — that is Terraform showing configuration, not logging.

use std::path::{Path, PathBuf};

use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{Run, Workdir};
use base64::Engine as _;
use serde_json::Value as Json;

/// Attributes the schema marks sensitive, and that this test therefore
/// plants a value in. There are none today; a new one fails the test until
/// it is planted here too.
const PLANTED_SENSITIVE: &[&str] = &[];

/// A value no log could contain by chance.
fn unique(label: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "{label}Planted{:x}{:x}",
        t.as_nanos() & 0xffff_ffff_ffff,
        std::process::id()
    )
}

/// The secret and the three forms it takes inside any base64 text,
/// whatever its offset: the characters that encode only the secret's bytes.
fn needles(secret: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![secret.to_owned()];
    for offset in 0..3usize {
        let mut bytes = vec![0u8; offset];
        bytes.extend_from_slice(secret.as_bytes());
        let enc = b64.encode(&bytes);
        // Skip the group mixing in the prefix, and the last group, which
        // mixes in what follows.
        let start = if offset == 0 { 0 } else { 4 };
        let end = bytes.len() / 3 * 4;
        out.push(enc[start..end].to_owned());
    }
    out
}

struct Secrets(Vec<(&'static str, String)>);

impl Secrets {
    /// Every (secret name, needle) found in `text`.
    fn found_in(&self, text: &str) -> Vec<String> {
        let mut hits = Vec::new();
        for (name, secret) in &self.0 {
            for n in needles(secret) {
                if text.contains(&n) {
                    hits.push(format!("{name} (as {n:?})"));
                }
            }
        }
        hits
    }
}

/// Runs `args` with TRACE logging into a log file of its own.
fn logged(wd: &mut Workdir, logs: &Path, step: &str, args: &[&str]) -> (Run, PathBuf) {
    let log = logs.join(format!("{step}.log"));
    wd.env("TF_LOG", "TRACE")
        .env("TF_LOG_PATH", log.to_str().unwrap());
    let r = wd.run(args);
    (r, log)
}

fn config(engine_auth: &str) -> String {
    let auth_data = format!(
        r#"{{\"https://registry.example.com\":{{\"auth\":\"{engine_auth}\",\"email\":\"ops@example.com\"}}}}"#
    );
    let provider = acceptance_tests::terraform::provider_block(&[], &[("max_attempts", "1")]);
    format!(
        r#"{provider}locals {{
  agent_config = {{
    ECS_ENGINE_AUTH_TYPE = "dockercfg"
    ECS_ENGINE_AUTH_DATA = "{auth_data}"
  }}
}}
data "ecshost_agent_options" "agent" {{
  cluster = "secrets"
  config  = local.agent_config
}}
data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "secrets"
  config      = local.agent_config
}}
resource "ecshost_launch_template" "hosts" {{
  name             = "secrets"
  user_data        = data.ecshost_user_data.hosts.base64
}}
"#
    )
}

fn sensitive_attributes(schema: &Json) -> Vec<String> {
    fn walk(prefix: &str, block: &Json, out: &mut Vec<String>) {
        for (name, a) in block["attributes"].as_object().into_iter().flatten() {
            if a["sensitive"] == Json::Bool(true) {
                out.push(format!("{prefix}.{name}"));
            }
        }
        for (name, b) in block["block_types"].as_object().into_iter().flatten() {
            walk(&format!("{prefix}.{name}"), &b["block"], out);
        }
    }
    let p = &schema["provider_schemas"]["registry.terraform.io/ecshost/ecshost"];
    let mut out = Vec::new();
    walk("provider", &p["provider"]["block"], &mut out);
    for key in ["resource_schemas", "data_source_schemas"] {
        for (ty, s) in p[key].as_object().into_iter().flatten() {
            walk(ty, &s["block"], &mut out);
        }
    }
    out
}

#[test]
fn planted_secrets_never_reach_the_logs() {
    let t0 = std::time::Instant::now();
    let moto = Moto::start();
    let secret_key = unique("SecretAccessKey");
    let session_token = unique("SessionToken");
    let engine_auth = unique("EngineAuth");
    let secrets = Secrets(vec![
        ("AWS_SECRET_ACCESS_KEY", secret_key.clone()),
        ("AWS_SESSION_TOKEN", session_token.clone()),
        ("ECS_ENGINE_AUTH_DATA", engine_auth.clone()),
    ]);

    let mut wd = moto.workdir();
    // moto accepts any credentials; the access key ID is an identifier, not
    // a secret (the SDK logs it, with the secret key redacted).
    wd.env("AWS_ACCESS_KEY_ID", "AKIAECSHOSTTEST00001")
        .env("AWS_SECRET_ACCESS_KEY", &secret_key)
        .env("AWS_SESSION_TOKEN", &session_token);
    let logs = wd.scratch("logs");
    wd.write_config(&config(&engine_auth));

    let mut runs: Vec<(String, Run, PathBuf)> = Vec::new();
    let steps: &[(&str, &[&str])] = &[
        ("init", &["init", "-input=false", "-no-color"]),
        ("plan", &["plan", "-input=false", "-no-color"]),
        (
            "apply",
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        ),
        (
            "replan",
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"],
        ),
    ];
    for (step, args) in steps {
        let (r, log) = logged(&mut wd, &logs, step, args);
        assert!(r.code == 0, "{step} failed:\n{}\n{}", r.stdout, r.stderr);
        runs.push(((*step).to_owned(), r, log));
    }

    // The secrets really went through the provider: the state holds the
    // registry credential, in clear in ecs_config and base64-encoded in the
    // template's user data (which is what the base64 needles must find).
    let state = std::fs::read_to_string(wd.path().join("terraform.tfstate")).unwrap();
    let st: Json = serde_json::from_str(&state).unwrap();
    let lt_user_data = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "ecshost_launch_template")
        .map(|r| r["instances"][0]["attributes"]["user_data"].clone())
        .unwrap();
    assert!(
        state.contains(&engine_auth),
        "the credential is in the state"
    );
    assert!(
        !Secrets(vec![("ECS_ENGINE_AUTH_DATA", engine_auth.clone())])
            .found_in(lt_user_data.as_str().unwrap())
            .is_empty(),
        "the base64 needles find the credential in the template's user data"
    );

    let (r, log) = logged(
        &mut wd,
        &logs,
        "destroy",
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_eq!(r.code, 0, "destroy:\n{}\n{}", r.stdout, r.stderr);
    runs.push(("destroy".into(), r, log));

    // A failing call: an endpoint the SDK cannot use. The SDK's error quotes
    // the whole request, user data (and so the credential, in base64)
    // included; until the EC2 layer cut that off, this step failed with the
    // credential's base64 form in the diagnostic on terraform's stderr.
    let mut failing = moto.workdir();
    failing
        .env("AWS_ACCESS_KEY_ID", "AKIAECSHOSTTEST00001")
        .env("AWS_SECRET_ACCESS_KEY", &secret_key)
        .env("AWS_SESSION_TOKEN", &session_token)
        .env("AWS_ENDPOINT_URL", "http://not a host");
    failing.write_config(&config(&engine_auth));
    failing.init();
    let (r, log) = logged(
        &mut failing,
        &logs,
        "failing-apply",
        &["apply", "-auto-approve", "-input=false", "-no-color"],
    );
    assert_ne!(r.code, 0, "apply against a bad endpoint must fail");
    assert!(
        // Terraform wraps diagnostic text: compare with whitespace joined.
        r.stderr
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("no answer from EC2"),
        "the failure is the endpoint's:\n{}",
        r.stderr
    );
    runs.push(("failing-apply".into(), r, log));

    let mut leaks = Vec::new();
    let mut provider_lines = 0;
    let mut redacted_credentials = false;
    for (step, r, log) in &runs {
        let text = std::fs::read_to_string(log)
            .unwrap_or_else(|e| panic!("{step}: no log at {}: {e}", log.display()));
        for line in text.lines() {
            if line.contains("provider.terraform-provider-ecshost") {
                provider_lines += 1;
                redacted_credentials |= line.contains("secret_access_key: \\\"** redacted **\\\"");
            }
            for hit in secrets.found_in(line) {
                leaks.push(format!("{step} log: {hit} in: {line}"));
            }
        }
        for hit in secrets.found_in(&r.stderr) {
            leaks.push(format!("{step} stderr: {hit}"));
        }
    }
    assert!(leaks.is_empty(), "secrets in logs:\n{}", leaks.join("\n"));
    // The check is not vacuous: the provider (and the AWS SDK inside it)
    // logged at TRACE, including the credentials it resolved, redacted.
    assert!(provider_lines > 100, "{provider_lines} provider log lines");
    assert!(
        redacted_credentials,
        "the SDK's resolved credentials appear, redacted, in the provider's log"
    );

    // Every attribute marked sensitive gets a planted value above.
    let schema: Json =
        serde_json::from_str(&wd.ok(&["providers", "schema", "-json"]).stdout).unwrap();
    assert_eq!(
        sensitive_attributes(&schema),
        PLANTED_SENSITIVE,
        "plant a value for each sensitive attribute in this test"
    );
    eprintln!("secrets test in {:.1?}", t0.elapsed());
}
