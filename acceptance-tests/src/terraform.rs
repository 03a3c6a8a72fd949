//! Running the real `terraform` CLI against locally built providers.
//!
//! Each test gets its own working directory and CLI configuration whose
//! `provider_installation` lists only filesystem mirrors, so nothing is
//! fetched from a registry. Provider binaries are built once per test
//! process (cargo's own locking serializes parallel test binaries).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value as Json;

/// Version under which the built binaries are installed in the mirror:
/// the provider's own (`Cargo.toml`), so the handshake, the lock file and
/// the mirror agree.
pub const MIRROR_VERSION: &str = ecshost::VERSION;

/// The configuration every test starts with: `required_providers` naming
/// `ecshost/ecshost` and its `provider "ecshost"` block in `us-east-1`,
/// with `args` (`("max_attempts", "1")`, values as HCL) and an
/// `endpoints` block of `endpoints` (`("ec2", url)`, `("ecs", url)`; none:
/// no block). One place, so a change of the provider's arguments is made
/// once for every test and bench.
pub fn provider_block(endpoints: &[(&str, &str)], args: &[(&str, &str)]) -> String {
    format!(
        "{}{}",
        required_providers(false),
        ecshost_provider(endpoints, args)
    )
}

/// A `moved` block from address `from` to address `to`.
pub fn moved_block(from: &str, to: &str) -> String {
    format!("moved {{\n  from = {from}\n  to   = {to}\n}}\n")
}

/// The configuration of the interop tests: `required_providers` naming
/// hashicorp/aws 5.100.0 (from the filesystem mirror) and ecshost; a
/// `provider "aws"` block in `us-east-1` with the checks a local endpoint
/// cannot answer skipped, `aws_args` and `aws_endpoints`; and ecshost's
/// block as [`provider_block`] writes it with `ecshost_endpoints`.
pub fn aws_and_ecshost_blocks(
    aws_endpoints: &[(&str, &str)],
    aws_args: &[(&str, &str)],
    ecshost_endpoints: &[(&str, &str)],
) -> String {
    let mut aws = String::from(
        "provider \"aws\" {\n  region = \"us-east-1\"\n  skip_credentials_validation = true\n  skip_requesting_account_id = true\n  skip_metadata_api_check = true\n",
    );
    push_args_and_endpoints(&mut aws, aws_endpoints, aws_args);
    format!(
        "{}{aws}{}",
        required_providers(true),
        ecshost_provider(ecshost_endpoints, &[])
    )
}

fn required_providers(aws: bool) -> String {
    format!(
        "terraform {{\n  required_providers {{\n{}    ecshost = {{ source = \"ecshost/ecshost\" }}\n  }}\n}}\n",
        if aws {
            "    aws = { source = \"hashicorp/aws\", version = \"5.100.0\" }\n"
        } else {
            ""
        }
    )
}

fn ecshost_provider(endpoints: &[(&str, &str)], args: &[(&str, &str)]) -> String {
    let mut s = String::from("provider \"ecshost\" {\n  region = \"us-east-1\"\n");
    push_args_and_endpoints(&mut s, endpoints, args);
    s
}

/// `args` as `k = v` lines, an `endpoints` block (none when empty) and the
/// closing brace of a provider block.
fn push_args_and_endpoints(s: &mut String, endpoints: &[(&str, &str)], args: &[(&str, &str)]) {
    for (k, v) in args {
        s.push_str(&format!("  {k} = {v}\n"));
    }
    if !endpoints.is_empty() {
        s.push_str("  endpoints {\n");
        for (k, v) in endpoints {
            s.push_str(&format!("    {k} = \"{v}\"\n"));
        }
        s.push_str("  }\n");
    }
    s.push_str("}\n");
}

/// The workspace root (parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("crate has a parent")
        .to_path_buf()
}

/// The cargo target directory (`CARGO_TARGET_DIR` or `<workspace>/target`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace_root().join(p)
            }
        })
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Builds (once per process) the binaries the tests install, and returns
/// the path of `name`. `ECSHOST_SKIP_BUILD=1` trusts an earlier build
/// (the CI script builds everything once up front).
pub fn built_binary(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if std::env::var("ECSHOST_SKIP_BUILD").as_deref() == Ok("1") {
            return;
        }
        let mut cmd = Command::new(env!("CARGO"));
        // `cargo test` sets CARGO_* variables for the test process; build
        // scripts that watch such variables would rebuild half the tree (and
        // the outer cargo's build again afterwards), so hide them.
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if (k.starts_with("CARGO_") && k != "CARGO_HOME" && k != "CARGO_TARGET_DIR")
                || k == "OUT_DIR"
            {
                cmd.env_remove(&k);
            }
        }
        let st = cmd
            .current_dir(workspace_root())
            .args(["build", "--workspace", "--bins"])
            .status()
            .expect("running cargo build");
        assert!(st.success(), "building the provider binaries failed");
    });
    let p = target_dir().join("debug").join(name);
    assert!(p.exists(), "{} was not built", p.display());
    p
}

/// Where the real hashicorp/aws provider's filesystem mirror is, if the
/// machine image carries one (`ECSHOST_AWS_MIRROR` overrides).
pub fn aws_provider_mirror() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ECSHOST_AWS_MIRROR") {
        return Some(PathBuf::from(p));
    }
    // Where this project's machine image keeps it.
    let image = PathBuf::from("/opt/tf-plugins");
    image
        .join("registry.terraform.io/hashicorp/aws")
        .is_dir()
        .then_some(image)
}

/// Whether a test that runs hashicorp/aws can: true when
/// [`aws_provider_mirror`] finds the mirror; otherwise prints the SKIP line
/// saying why and returns false (`if !require_aws_mirror() { return; }`).
pub fn require_aws_mirror() -> bool {
    if aws_provider_mirror().is_some() {
        return true;
    }
    eprintln!(
        "SKIP: no filesystem mirror of hashicorp/aws on this machine (set ECSHOST_AWS_MIRROR)"
    );
    false
}

/// A test's private Terraform working directory.
pub struct Workdir {
    dir: tempfile::TempDir,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

/// The result of one terraform command.
#[derive(Debug)]
pub struct Run {
    /// exit status code
    pub code: i32,
    /// stdout
    pub stdout: String,
    /// stderr
    pub stderr: String,
}

impl Workdir {
    /// A working directory with the ecshost and sdktest providers
    /// installed in a private filesystem mirror.
    pub fn new() -> Self {
        Self::with_providers(&[
            ("ecshost", built_binary("terraform-provider-ecshost")),
            ("sdktest", built_binary("terraform-provider-sdktest")),
        ])
    }

    /// A working directory whose mirror holds the given `ecshost/<type>`
    /// binaries (e.g. a release build for the benchmarks), plus the
    /// hashicorp/aws mirror when the machine has one.
    pub fn with_providers(providers: &[(&str, PathBuf)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ecshost-acc-")
            .tempdir()
            .expect("temp dir");
        let mirror = dir.path().join("mirror");
        for (ty, bin) in providers {
            let d = mirror.join(format!(
                "registry.terraform.io/ecshost/{ty}/{MIRROR_VERSION}/linux_amd64"
            ));
            std::fs::create_dir_all(&d).expect("mirror dir");
            // A copy, not a symlink: the lock file pins the binary's hash.
            std::fs::copy(
                bin,
                d.join(format!("terraform-provider-{ty}_v{MIRROR_VERSION}")),
            )
            .expect("installing provider into mirror");
        }
        let mut cfg = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/ecshost/*\"]\n  }}\n",
            mirror.display()
        );
        if let Some(aws) = aws_provider_mirror() {
            cfg.push_str(&format!(
                "  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/hashicorp/*\"]\n  }}\n",
                aws.display()
            ));
        }
        cfg.push_str("}\n");
        let cli_config = dir.path().join("terraformrc");
        std::fs::write(&cli_config, cfg).expect("cli config");
        std::fs::create_dir_all(dir.path().join("work")).expect("work dir");
        Workdir {
            dir,
            cli_config,
            env: Vec::new(),
        }
    }

    /// A working directory whose CLI configuration is exactly `cli_config`
    /// (e.g. a `provider_installation` with a network mirror); nothing is
    /// installed for it.
    pub fn with_cli_config(cli_config: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ecshost-acc-")
            .tempdir()
            .expect("temp dir");
        let path = dir.path().join("terraformrc");
        std::fs::write(&path, cli_config).expect("cli config");
        std::fs::create_dir_all(dir.path().join("work")).expect("work dir");
        Workdir {
            dir,
            cli_config: path,
            env: Vec::new(),
        }
    }

    /// The directory terraform runs in.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// A scratch directory beside the work dir (for test fixtures).
    pub fn scratch(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(&p).expect("scratch dir");
        p
    }

    /// Adds an environment variable for every terraform command.
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.to_owned(), v.to_owned()));
        self
    }

    /// Adds every variable of `vars` (e.g. [`crate::moto::Moto::env`]).
    pub fn envs(&mut self, vars: impl IntoIterator<Item = (String, String)>) -> &mut Self {
        self.env.extend(vars);
        self
    }

    /// Replaces `main.tf`.
    pub fn write_config(&self, hcl: &str) {
        std::fs::write(self.path().join("main.tf"), hcl).expect("writing main.tf");
    }

    /// Writes another file into the work dir.
    pub fn write_file(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).expect("writing file");
    }

    /// Runs terraform with `args`, returning whatever happened.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    /// Like [`Workdir::run`], with extra environment for this command only
    /// (after the work dir's own, so it wins).
    pub fn run_with_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        for (k, v) in extra {
            c.env(k, v);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = c.output().expect("running terraform (is it on PATH?)");
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// The terraform command `run` uses, for tests that must signal it.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("terraform");
        c.current_dir(self.path())
            .args(args)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_REATTACH_PROVIDERS")
            // Nothing a test runs may reach a real AWS endpoint or the real
            // instance metadata service: unless a test names an endpoint
            // (moto), AWS calls go to a closed local port.
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_REGION", "us-east-1");
        // Later entries win: a test may set TF_LOG or TF_REATTACH_PROVIDERS.
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Runs terraform and panics with its own output unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "terraform {args:?} failed:\n--- stderr\n{}\n--- stdout\n{}",
            r.stderr, r.stdout
        );
        r
    }

    /// `terraform init`, offline from the mirror.
    pub fn init(&self) {
        self.ok(&["init", "-input=false", "-no-color"]);
    }

    /// `terraform apply -auto-approve`.
    pub fn apply(&self) -> Run {
        self.ok(&["apply", "-auto-approve", "-input=false", "-no-color"])
    }

    /// Asserts that a plan is empty (`-detailed-exitcode` 0).
    pub fn assert_empty_plan(&self) {
        let r = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(
            r.code, 0,
            "expected an empty plan, got exit {}:\n{}\n{}",
            r.code, r.stdout, r.stderr
        );
    }

    /// Asserts that a plan has changes (`-detailed-exitcode` 2) and
    /// returns its text.
    pub fn plan_with_changes(&self) -> String {
        let r = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(
            r.code, 2,
            "expected a plan with changes, got exit {}:\n{}\n{}",
            r.code, r.stdout, r.stderr
        );
        r.stdout
    }

    /// `terraform show -json` of the state.
    pub fn show(&self) -> Json {
        let r = self.ok(&["show", "-json", "-no-color"]);
        serde_json::from_str(&r.stdout).expect("show -json output is JSON")
    }

    /// The attribute values of `address` (e.g. `data.ecshost_user_data.x`)
    /// in the root module of the state.
    pub fn values(&self, address: &str) -> Json {
        let state = self.show();
        find_resource(&state, address)
            .unwrap_or_else(|| panic!("{address} not in state: {state:#}"))
            .get("values")
            .cloned()
            .unwrap_or(Json::Null)
    }

    /// `terraform destroy -auto-approve`.
    pub fn destroy(&self) {
        self.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    }
}

impl Default for Workdir {
    fn default() -> Self {
        Self::new()
    }
}

/// Finds a resource by address in `terraform show -json` output.
pub fn find_resource<'a>(state: &'a Json, address: &str) -> Option<&'a Json> {
    state
        .pointer("/values/root_module/resources")?
        .as_array()?
        .iter()
        .find(|r| r.get("address").and_then(Json::as_str) == Some(address))
}
