//! Local images built from Debian's static busybox (no registry needed).
//!
//! * [`BUSYBOX_IMAGE`] — `FROM scratch`, `/bin/busybox` plus one symlink per
//!   applet (`sh`, `wget`, `nc`, `httpd`, `timeout`, …). Task containers.
//! * [`AGENT_STANDIN_IMAGE`] — behaves like ECS agent >= 1.26 where it
//!   matters: the credentials/TMDS server listens on **127.0.0.1:51679 inside
//!   its own netns** (`TMDS_LISTEN`, overridable only for contrast tests) and
//!   answers `GET /v2/credentials/` with 400 + the agent's JSON body; the
//!   introspection API answers `GET /v1/metadata` on `0.0.0.0:51678`.
//!
//! Note: Debian's busybox 1.35 is built without `FEATURE_WGET_TIMEOUT`, and
//! `wget -T N` segfaults; wrap with `timeout N wget …` instead.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::hostlab::dockerd::Dockerd;
use crate::hostlab::sys;
use crate::hostlab::{Error, Result};

/// Task-container image.
pub const BUSYBOX_IMAGE: &str = "lab/busybox:1";
/// ECS agent stand-in image.
pub const AGENT_STANDIN_IMAGE: &str = "lab/ecs-agent-standin:1";

/// Exact body of the agent's answer to `GET /v2/credentials/`
/// (`ecs-agent/tmds/handlers/credentials_handler_test.go` of aws/amazon-ecs-agent).
pub const NO_ID_BODY: &str = r#"{"code":"NoIdInRequest","message":"CredentialsV2Request: No Credential ID in the request","HTTPErrorCode":400}"#;

/// Body of the stand-in's `GET /v1/metadata` on port 51678.
pub const INTROSPECTION_BODY: &str = r#"{"Cluster":"hostlab","ContainerInstanceArn":"arn:aws:ecs:us-east-1:000000000000:container-instance/hostlab/00000000000000000000000000000000","Version":"Amazon ECS Agent - v1.105.1 (hostlab stand-in)"}"#;

pub(crate) const BUILD_TIMEOUT: Duration = Duration::from_secs(120);

/// Static busybox from `busybox-static` (`HOSTLAB_BUSYBOX` overrides).
pub fn busybox_path() -> Result<PathBuf> {
    let p = std::env::var("HOSTLAB_BUSYBOX")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/bin/busybox"));
    if !p.is_file() {
        return Err(Error::new(format!(
            "{} missing (apt-get install busybox-static)",
            p.display()
        )));
    }
    if !sys::is_static_elf(&p)? {
        return Err(Error::new(format!(
            "{} is dynamically linked; install busybox-static",
            p.display()
        )));
    }
    Ok(p)
}

fn write(path: &Path, content: &str, mode: u32) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", d.display())))?;
    }
    std::fs::write(path, content)
        .map_err(|e| Error::new(format!("write {}: {e}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::new(format!("chmod {}: {e}", path.display())))
}

/// `<ctx>/bin/busybox` plus a symlink per applet.
pub fn stage_busybox(ctx: &Path) -> Result<()> {
    let bb = busybox_path()?;
    let bin = ctx.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| Error::new(format!("mkdir: {e}")))?;
    std::fs::copy(&bb, bin.join("busybox"))
        .map_err(|e| Error::new(format!("copy busybox: {e}")))?;
    let list = sys::run_ok(
        std::process::Command::new(&bb).arg("--list"),
        Duration::from_secs(10),
        "busybox --list",
    )?;
    for applet in list
        .stdout
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "busybox")
    {
        let link = bin.join(applet);
        if !link.exists() {
            symlink("busybox", &link).map_err(|e| Error::new(format!("symlink {applet}: {e}")))?;
        }
    }
    Ok(())
}

/// `docker build -q --network=none -t <tag> <ctx>` against the lab's dockerd.
pub fn build_context(d: &Dockerd, ctx: &Path, tag: &str) -> Result<()> {
    let ctx_s = ctx.to_string_lossy();
    let out = d.docker(
        &["build", "-q", "--network=none", "-t", tag, &ctx_s],
        BUILD_TIMEOUT,
    )?;
    out.check(&format!("docker build {tag}"))?;
    Ok(())
}

/// Build [`BUSYBOX_IMAGE`] in a context below `work`.
pub fn build_busybox(d: &Dockerd, work: &Path) -> Result<()> {
    let ctx = work.join("ctx-busybox");
    let _ = std::fs::remove_dir_all(&ctx);
    stage_busybox(&ctx)?;
    write(
        &ctx.join("Dockerfile"),
        "FROM scratch\nCOPY bin /bin\nENV PATH=/bin\nCMD [\"sh\"]\n",
        0o644,
    )?;
    build_context(d, &ctx, BUSYBOX_IMAGE)
}

/// CGI answering like the agent's credentials handler; busybox httpd runs
/// `/cgi-bin/index.cgi` for any directory URL without an index.html.
fn index_cgi() -> String {
    format!(
        r#"#!/bin/sh
# ECS agent stand-in: credentials handler (ecs-agent/tmds/handlers/v1/credentials_handler.go)
case "$REQUEST_URI" in
  /v2/credentials/)
    printf 'Status: 400 Bad Request\r\nContent-Type: application/json\r\n\r\n%s' '{NO_ID_BODY}' ;;
  *)
    printf 'Status: 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n404 page not found\n' ;;
esac
"#
    )
}

const ENTRYPOINT: &str = r#"#!/bin/sh
# ECS agent stand-in. Like agent >= 1.26 (PR aws/amazon-ecs-agent#1901) the
# credentials/TMDS server binds 127.0.0.1:51679 inside the container's own
# network namespace; introspection binds :51678 on all addresses.
httpd -p "$INTROSPECTION_LISTEN" -h /intro || exit 1
echo "ecs-agent stand-in: tmds on $TMDS_LISTEN, introspection on $INTROSPECTION_LISTEN"
exec httpd -f -vv -p "$TMDS_LISTEN" -h /www
"#;

/// The agent stand-in's own files besides busybox: `(path in the image,
/// content, mode)`. Shared with the boot tests, which carry the same
/// stand-in into their guests as a `docker load` archive.
pub fn agent_standin_files() -> Vec<(&'static str, String, u32)> {
    vec![
        ("www/cgi-bin/index.cgi", index_cgi(), 0o755),
        ("intro/v1/metadata", INTROSPECTION_BODY.to_owned(), 0o644),
        ("entrypoint.sh", ENTRYPOINT.to_owned(), 0o755),
    ]
}

/// Environment of the agent stand-in image (`ENV`).
pub const AGENT_STANDIN_ENV: [&str; 3] = [
    "PATH=/bin",
    "TMDS_LISTEN=127.0.0.1:51679",
    "INTROSPECTION_LISTEN=0.0.0.0:51678",
];

/// Build [`AGENT_STANDIN_IMAGE`] in a context below `work`.
pub fn build_agent_standin(d: &Dockerd, work: &Path) -> Result<()> {
    let ctx = work.join("ctx-agent");
    let _ = std::fs::remove_dir_all(&ctx);
    stage_busybox(&ctx)?;
    for (path, content, mode) in agent_standin_files() {
        write(&ctx.join(path), &content, mode)?;
    }
    write(
        &ctx.join("Dockerfile"),
        &format!(
            "FROM scratch\n\
             COPY bin /bin\n\
             COPY www /www\n\
             COPY intro /intro\n\
             COPY entrypoint.sh /entrypoint.sh\n\
             ENV {}\n\
             EXPOSE 51678 51679\n\
             ENTRYPOINT [\"/bin/sh\", \"/entrypoint.sh\"]\n",
            AGENT_STANDIN_ENV.join(" ")
        ),
        0o644,
    )?;
    build_context(d, &ctx, AGENT_STANDIN_IMAGE)
}

/// Build both images; returns the time taken.
pub fn build_all(d: &Dockerd, work: &Path) -> Result<Duration> {
    let t = Instant::now();
    build_busybox(d, work)?;
    build_agent_standin(d, work)?;
    Ok(t.elapsed())
}
