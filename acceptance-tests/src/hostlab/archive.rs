//! `docker load` archives built without a Docker daemon: one layer of an
//! image's own files, over Debian's static busybox (applets as symlinks)
//! unless the image is `FROM scratch` (the real ECS agent's),
//! a config and a `manifest.json` — the layout `docker save` writes, which
//! Docker 20.10 and 26 both load. Deterministic: fixed mtimes, owners and
//! order, so the image cache key does not change between runs.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::{agent_image, images, sys, Error, Result};

/// One image of an archive.
#[derive(Debug, Clone)]
pub struct ImageDef {
    /// `repository:tag`
    pub tag: String,
    /// Whether the layer carries busybox (`false`: `FROM scratch`).
    pub busybox: bool,
    /// Files besides busybox: path inside the image, content, mode.
    pub files: Vec<(String, Vec<u8>, u32)>,
    /// `ENV` entries (`KEY=value`).
    pub env: Vec<String>,
    /// `ENTRYPOINT`, if any.
    pub entrypoint: Vec<String>,
    /// `CMD`, if any.
    pub cmd: Vec<String>,
    /// `EXPOSE`d TCP ports.
    pub exposed_tcp: Vec<u16>,
}

/// The ECS agent stand-in of the host lab (`hostlab::images`), as `tag`.
pub fn agent_standin(tag: &str) -> ImageDef {
    ImageDef {
        tag: tag.to_owned(),
        busybox: true,
        files: images::agent_standin_files()
            .into_iter()
            .map(|(p, c, m)| (p.to_owned(), c.into_bytes(), m))
            .collect(),
        env: images::AGENT_STANDIN_ENV
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        entrypoint: vec!["/bin/sh".into(), "/entrypoint.sh".into()],
        cmd: vec![],
        exposed_tcp: vec![51678, 51679],
    }
}

/// A busybox task image (`sh`, `wget`, `timeout`, …), as `tag`.
pub fn task(tag: &str) -> ImageDef {
    ImageDef {
        tag: tag.to_owned(),
        busybox: true,
        files: vec![],
        env: vec!["PATH=/bin".into()],
        entrypoint: vec![],
        cmd: vec!["sh".into()],
        exposed_tcp: vec![],
    }
}

/// The real ECS agent from `agent_dir` (`../shared/ecs-agent`), as `tag`,
/// in the official image's shape, for the guests and the lab alike
/// ([`crate::hostlab::agent_image::build`] loads it): `FROM scratch`, `/agent`
/// (checked against `SHA256SUMS.uncompressed`) as entrypoint, the CA
/// bundle at `/etc/ssl/certs/ca-certificates.crt`. `work` is used to unpack.
pub fn real_agent(tag: &str, agent_dir: &Path, work: &Path) -> Result<ImageDef> {
    let bin = work.join("agent-unpacked");
    agent_image::unpack_checked(agent_dir, agent_image::AGENT_GZ, "ecs-agent", &bin)?;
    let agent = io(std::fs::read(&bin), "read the unpacked agent")?;
    let _ = std::fs::remove_file(&bin);
    let ca = io(
        std::fs::read(agent_image::CA_BUNDLE),
        "read the CA bundle (apt-get install ca-certificates)",
    )?;
    Ok(ImageDef {
        tag: tag.to_owned(),
        busybox: false,
        files: vec![
            ("agent".into(), agent, 0o755),
            (
                agent_image::CA_BUNDLE.trim_start_matches('/').into(),
                ca,
                0o644,
            ),
        ],
        env: vec![],
        entrypoint: vec!["/agent".into()],
        cmd: vec![],
        exposed_tcp: vec![51678, 51679],
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn io<T>(r: std::io::Result<T>, what: &str) -> Result<T> {
    r.map_err(|e| Error::new(format!("{what}: {e}")))
}

/// Deterministic `tar -cf out -C dir names...`.
fn tar(dir: &Path, names: &[String], out: &Path) -> Result<()> {
    let mut c = Command::new(sys::tool("tar")?);
    c.args([
        "--sort=name",
        "--mtime=@0",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        "--format=gnu",
        "-cf",
    ])
    .arg(out)
    .arg("-C")
    .arg(dir)
    .args(names);
    sys::run_ok(&mut c, Duration::from_secs(60), "tar")?;
    Ok(())
}

/// Writes `def` as a `docker load` archive at `out`, using `work` (emptied)
/// for staging.
pub fn write(def: &ImageDef, work: &Path, out: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(work);
    let ctx = work.join("rootfs");
    if def.busybox {
        images::stage_busybox(&ctx)?;
    } else {
        io(std::fs::create_dir_all(&ctx), "mkdir rootfs")?;
    }
    for (path, content, mode) in &def.files {
        let p = ctx.join(path);
        io(
            std::fs::create_dir_all(p.parent().expect("a path in the image")),
            "mkdir",
        )?;
        io(std::fs::write(&p, content), "write image file")?;
        use std::os::unix::fs::PermissionsExt;
        io(
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)),
            "chmod",
        )?;
    }
    let mut top: Vec<String> = io(std::fs::read_dir(&ctx), "read_dir")?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    let pack = work.join("archive");
    io(std::fs::create_dir_all(&pack), "mkdir")?;
    let layer_tmp = work.join("layer.tar");
    tar(&ctx, &top, &layer_tmp)?;
    let layer = io(std::fs::read(&layer_tmp), "read layer")?;
    let layer_id = sha256_hex(&layer);
    io(std::fs::create_dir_all(pack.join(&layer_id)), "mkdir")?;
    io(
        std::fs::rename(&layer_tmp, pack.join(&layer_id).join("layer.tar")),
        "move layer",
    )?;
    let mut config = serde_json::Map::new();
    config.insert("Env".into(), json!(def.env));
    if !def.entrypoint.is_empty() {
        config.insert("Entrypoint".into(), json!(def.entrypoint));
    }
    if !def.cmd.is_empty() {
        config.insert("Cmd".into(), json!(def.cmd));
    }
    if !def.exposed_tcp.is_empty() {
        let ports: serde_json::Map<String, serde_json::Value> = def
            .exposed_tcp
            .iter()
            .map(|p| (format!("{p}/tcp"), json!({})))
            .collect();
        config.insert("ExposedPorts".into(), serde_json::Value::Object(ports));
    }
    let image_config = json!({
        "architecture": "amd64",
        "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{layer_id}")]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "terraform-provider-ecshost boot tests"}],
    });
    let config_bytes = serde_json::to_vec(&image_config).expect("json");
    let config_name = format!("{}.json", sha256_hex(&config_bytes));
    io(
        std::fs::write(pack.join(&config_name), &config_bytes),
        "write config",
    )?;
    let manifest = json!([{
        "Config": config_name,
        "RepoTags": [def.tag],
        "Layers": [format!("{layer_id}/layer.tar")],
    }]);
    io(
        std::fs::write(
            pack.join("manifest.json"),
            serde_json::to_vec(&manifest).expect("json"),
        ),
        "write manifest",
    )?;
    tar(&pack, &["manifest.json".into(), config_name, layer_id], out)
}
