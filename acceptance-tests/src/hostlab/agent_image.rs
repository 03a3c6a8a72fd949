//! The real Amazon ECS agent 1.105.1 as a lab image, built from the static
//! binary in `../shared/ecs-agent/` (or `$ECSHOST_ECS_AGENT_DIR`): the
//! official image's shape (`FROM scratch`, `/agent` as entrypoint, the CA
//! bundle at `/etc/ssl/certs/ca-certificates.crt`), without the pause
//! tarball and CNI plugins, which only `awsvpc` tasks use. Provenance,
//! licence and how the binary was built: that directory's `README.md`.
//!
//! The binary's checksum is checked against `SHA256SUMS.uncompressed` before
//! it goes into an image, so a test never runs a file it did not expect.
//!
//! Where no agent directory exists (a clone without `../shared` beside it),
//! [`AgentSource::locate`] says so, with the reason, and tests that can fall
//! back to the stand-in say in their output that they did
//! ([`AgentSource::announce`]). `ECSHOST_REQUIRE_AGENT=1` (set by
//! `.ci/test` whenever `../shared/ecs-agent/` is present) turns a missing
//! agent into a failure.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use super::archive;
use crate::hostlab::dockerd::Dockerd;
use crate::hostlab::{images, Error, Result};
use crate::terraform::workspace_root;

/// The real agent's image in the lab.
pub const AGENT_IMAGE: &str = "lab/amazon-ecs-agent:1.105.1";
/// The version the binary reports (`agent -version`) and registers with.
pub const AGENT_VERSION: &str = "1.105.1";
/// File names in the agent directory.
pub const AGENT_GZ: &str = "ecs-agent-1.105.1-linux-amd64.gz";
const CONFIG_CHECK_GZ: &str = "ecs-agent-config-check-1.105.1-linux-amd64.gz";
const SUMS: &str = "SHA256SUMS.uncompressed";
/// The CA bundle the official image carries (Debian's `ca-certificates`).
pub const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Where the agent comes from for this run.
#[derive(Debug, Clone)]
pub enum AgentSource {
    /// The directory holding the real agent (`ecs-agent-1.105.1-linux-amd64.gz`).
    Real(PathBuf),
    /// No agent directory: why (the stand-in serves instead where it can).
    Missing(String),
}

impl AgentSource {
    /// `$ECSHOST_ECS_AGENT_DIR`, else `../shared/ecs-agent` beside the
    /// workspace. Panics when `ECSHOST_REQUIRE_AGENT=1` and neither holds
    /// the agent.
    pub fn locate() -> AgentSource {
        let (dir, how) = match std::env::var_os("ECSHOST_ECS_AGENT_DIR") {
            Some(d) => (PathBuf::from(d), "ECSHOST_ECS_AGENT_DIR"),
            None => (
                workspace_root().join("../shared/ecs-agent"),
                "../shared/ecs-agent beside the repository",
            ),
        };
        if dir.join(AGENT_GZ).is_file() {
            return AgentSource::Real(dir);
        }
        let why = format!(
            "no real ECS agent: {} ({how}) holds no {AGENT_GZ}",
            dir.display()
        );
        if std::env::var("ECSHOST_REQUIRE_AGENT").as_deref() == Ok("1") {
            panic!("the real ECS agent is required (ECSHOST_REQUIRE_AGENT=1): {why}");
        }
        AgentSource::Missing(why)
    }

    /// The agent directory, if the real agent is here.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            AgentSource::Real(d) => Some(d),
            AgentSource::Missing(_) => None,
        }
    }

    /// One line on stderr saying which agent `test` runs against and why,
    /// so a fallback to the stand-in is never silent. Written past the test
    /// harness's capture ([`say`]), which shows `eprintln!` output only for
    /// failing tests.
    pub fn announce(&self, test: &str) {
        let line = match self {
            AgentSource::Real(d) => format!(
                "AGENT {test}: the real ECS agent {AGENT_VERSION} from {}",
                d.display()
            ),
            AgentSource::Missing(why) => format!(
                "AGENT {test}: ran against the stand-in {} ({why})",
                images::AGENT_STANDIN_IMAGE
            ),
        };
        say(&line);
    }
}

/// A line on this process's stderr, past the test harness's capture.
pub fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The expected checksum of `name` from `SHA256SUMS.uncompressed`.
fn expected_sum(dir: &Path, name: &str) -> Result<String> {
    let path = dir.join(SUMS);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::new(format!("read {}: {e}", path.display())))?;
    text.lines()
        .filter_map(|l| l.split_once(char::is_whitespace))
        .find(|(_, file)| file.trim().trim_start_matches('*') == name)
        .map(|(sum, _)| sum.to_owned())
        .ok_or_else(|| Error::new(format!("{}: no line for {name}", path.display())))
}

/// `gzip -dc <dir>/<gz>` into `out`, checked against the sums file under
/// `name`; mode 0755.
pub fn unpack_checked(dir: &Path, gz: &str, name: &str, out: &Path) -> Result<()> {
    let src = dir.join(gz);
    let mut child = Command::new("gzip")
        .arg("-dc")
        .arg(&src)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("gzip -dc {}: {e}", src.display())))?;
    let mut bytes = Vec::new();
    child
        .stdout
        .take()
        .expect("piped")
        .read_to_end(&mut bytes)
        .map_err(|e| Error::new(format!("reading gzip -dc {}: {e}", src.display())))?;
    let status = child
        .wait()
        .map_err(|e| Error::new(format!("gzip -dc {}: {e}", src.display())))?;
    if !status.success() {
        return Err(Error::new(format!("gzip -dc {}: {status}", src.display())));
    }
    let want = expected_sum(dir, name)?;
    let got = sha256_hex(&bytes);
    if got != want {
        return Err(Error::new(format!(
            "{}: sha256 {got}, {SUMS} says {want}: refusing to run it",
            src.display()
        )));
    }
    if let Some(d) = out.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", d.display())))?;
    }
    std::fs::write(out, &bytes).map_err(|e| Error::new(format!("write {}: {e}", out.display())))?;
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(out, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::new(format!("chmod {}: {e}", out.display())))
}

/// The agent's configuration loader as a command (`ecs-agent-config-check`),
/// unpacked and checked into `out`.
pub fn unpack_config_check(dir: &Path, out: &Path) -> Result<()> {
    unpack_checked(dir, CONFIG_CHECK_GZ, "ecs-agent-config-check", out)
}

/// Loads [`AGENT_IMAGE`] into the lab's dockerd: the archive the boot
/// guests carry ([`archive::real_agent`], one definition of
/// the image for both), written below `work` and removed once loaded.
pub fn build(d: &Dockerd, work: &Path, agent_dir: &Path) -> Result<()> {
    let stage = work.join("real-agent-archive");
    let tar = work.join("real-agent.tar");
    let result = (|| {
        let def = archive::real_agent(AGENT_IMAGE, agent_dir, &stage)?;
        archive::write(&def, &stage, &tar)?;
        d.docker(
            &["load", "-q", "-i", &tar.to_string_lossy()],
            images::BUILD_TIMEOUT,
        )?
        .check("docker load (the real agent)")?;
        Ok(())
    })();
    // Each holds a 60 MB copy of the binary: not needed once loaded.
    let _ = std::fs::remove_dir_all(&stage);
    let _ = std::fs::remove_file(&tar);
    result
}
