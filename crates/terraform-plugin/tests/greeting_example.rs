//! Drives `examples/greeting.rs` through the real `terraform` CLI, offline:
//! the test installs the example into a filesystem mirror that the CLI
//! configuration it writes (`TF_CLI_CONFIG_FILE`) names as the only
//! installation source, then runs init, apply, plan, an in-place update, a
//! replacement, a rejected configuration and destroy. Needs `terraform`
//! (1.0 or newer) on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = "0.1.0";

/// Builds the example (a no-op when it is fresh) and returns its path.
fn example_binary() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "terraform-plugin",
            "--example",
            "terraform-provider-greeting",
            "--message-format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo build");
    assert!(
        out.status.success(),
        "building the example failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The artifact message of the example names its executable.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .find(|p| p.ends_with("terraform-provider-greeting"))
        .expect("cargo reported the example's executable")
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

struct Tf {
    _dir: tempfile::TempDir,
    work: PathBuf,
    cli_config: PathBuf,
}

impl Tf {
    fn new(binary: &Path) -> Tf {
        let dir = tempfile::Builder::new()
            .prefix("terraform-plugin-greeting-")
            .tempdir()
            .expect("temp dir");
        let pkg = dir.path().join(format!(
            "mirror/registry.terraform.io/example/greeting/{VERSION}/{}",
            platform()
        ));
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::copy(
            binary,
            pkg.join(format!("terraform-provider-greeting_v{VERSION}")),
        )
        .expect("installing the example into the mirror");
        let cli_config = dir.path().join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "disable_checkpoint = true\nprovider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/example/*\"]\n  }}\n}}\n",
                dir.path().join("mirror").display()
            ),
        )
        .unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        Tf {
            _dir: dir,
            work,
            cli_config,
        }
    }

    fn config(&self, resource_body: &str) {
        std::fs::write(
            self.work.join("main.tf"),
            format!(
                "terraform {{\n  required_providers {{\n    greeting = {{\n      source  = \"example/greeting\"\n      version = \"{VERSION}\"\n    }}\n  }}\n}}\n\n\
                 resource \"greeting_message\" \"hi\" {{\n{resource_body}\n}}\n\n\
                 output \"text\" {{\n  value = greeting_message.hi.text\n}}\n"
            ),
        )
        .unwrap();
    }

    /// Runs terraform; returns (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("terraform")
            .args(args)
            .current_dir(&self.work)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_REATTACH_PROVIDERS")
            .output()
            .expect("running terraform (is it on PATH?)");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "terraform {args:?} failed:\n{out}\n{err}");
        out
    }

    fn output_text(&self) -> String {
        self.ok(&["output", "-raw", "text"])
    }
}

#[test]
fn greeting_provider_runs_under_terraform() {
    let tf = Tf::new(&example_binary());

    tf.config("  name = \"world\"");
    tf.ok(&["init", "-input=false", "-no-color"]);
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    // modify_plan shows the text before apply.
    assert!(plan.contains("\"Hello, world!\""), "{plan}");
    tf.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(tf.output_text(), "Hello, world!");

    // Applied state matches the configuration: no changes.
    let (code, out, err) = tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(code, 0, "expected an empty plan:\n{out}\n{err}");

    // punctuation changes in place, name replaces.
    tf.config("  name        = \"world\"\n  punctuation = \".\"");
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    assert!(plan.contains("1 to change, 0 to destroy"), "{plan}");
    tf.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(tf.output_text(), "Hello, world.");

    tf.config("  name        = \"Terraform\"\n  punctuation = \".\"");
    let plan = tf.ok(&["plan", "-input=false", "-no-color"]);
    assert!(plan.contains("must be replaced"), "{plan}");
    assert!(
        plan.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(tf.output_text(), "Hello, Terraform.");

    // The provider's validation arrives as one diagnostic on the attribute.
    tf.config("  name = \"\"");
    let (code, out, err) = tf.run(&["validate", "-no-color"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("Error: Empty name"), "{err}");
    assert!(
        err.contains("name = \"\""),
        "diagnostic not on the attribute:\n{err}"
    );

    tf.config("  name = \"Terraform\"\n  punctuation = \".\"");
    let out = tf.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(out.contains("1 destroyed"), "{out}");
}
