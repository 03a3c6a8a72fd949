//! Boot-test disk images, one per Debian distribution, built from Debian's
//! packages by `acceptance-tests/boot/build-image.sh` (mmdebstrap) and cached
//! under `target/boot-images/<suite>-<key>/`.
//!
//! The key is a SHA-256 of everything that makes the image: the suite, the
//! package list, the build script, every file of `acceptance-tests/boot/guest/`
//! and the image archives it carries (the real ECS agent from
//! `../shared/ecs-agent` where it is, else the agent stand-in; the task
//! image). A second run with the
//! same key reuses the image (seconds); another key builds anew and removes
//! the older image of that suite (each is ~1 GiB on disk).
//!
//! Every image carries four network stacks (systemd-networkd, netplan,
//! ifupdown, NetworkManager); a boot enables exactly one of them, named on
//! the kernel command line (`ecshost_test.net=…`), by the image's generator
//! `guest/etc/systemd/system-generators/ecshost-test-net`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::hostlab::{agent_image, archive, sys, Error, Result};
use crate::terraform::{target_dir, workspace_root};

/// Tag of the agent stand-in image inside the guests, in images built
/// where the real agent is missing (the user data's `image` input names
/// [`Image::agent_image`]).
pub const AGENT_IMAGE: &str = "ecshost-test/ecs-agent-standin:1";
/// Tag of the real ECS agent inside the guests (from `../shared/ecs-agent`,
/// [`archive::real_agent`]).
pub const REAL_AGENT_IMAGE: &str = "ecshost-test/amazon-ecs-agent:1.105.1";
/// Tag of the task image the witness runs on `docker0`.
pub const TASK_IMAGE: &str = "ecshost-test/task:1";

/// Packages every image gets: a cloud kernel (needs the initrd mmdebstrap's
/// kernel install generates), systemd, cloud-init, Docker, the firewall tools
/// and the four network stacks.
pub const COMMON_PACKAGES: &[&str] = &[
    "linux-image-cloud-amd64",
    "initramfs-tools",
    "systemd-sysv",
    "udev",
    "dbus",
    "kmod",
    "e2fsprogs",
    "procps",
    "netbase",
    "ca-certificates",
    "cloud-init",
    "docker.io",
    // Debian's cloud kernels enable AppArmor; without apparmor_parser
    // Docker cannot load its docker-default profile and runs no container.
    "apparmor",
    "iptables",
    "nftables",
    "iproute2",
    "curl",
    "netplan.io",
    "ifupdown",
    "isc-dhcp-client",
    "network-manager",
];

/// A Debian distribution the boot tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Distribution {
    /// Suite name, also the case-name prefix: `bookworm`, `trixie`.
    pub suite: &'static str,
    /// Debian version, for the output.
    pub version: &'static str,
    /// Docker generation it ships, for the output and the docs.
    pub docker: &'static str,
}

/// Debian 12 (Docker 20.10) and Debian 13 (Docker 26).
pub const DISTRIBUTIONS: [Distribution; 2] = [
    Distribution {
        suite: "bookworm",
        version: "12",
        docker: "20.10",
    },
    Distribution {
        suite: "trixie",
        version: "13",
        docker: "26",
    },
];

/// A built image.
#[derive(Debug, Clone)]
pub struct Image {
    /// The distribution.
    pub dist: Distribution,
    /// Cache directory.
    pub dir: PathBuf,
    /// ext4 root filesystem (use through a qcow2 overlay only).
    pub raw: PathBuf,
    /// Kernel.
    pub kernel: PathBuf,
    /// Initramfs.
    pub initrd: PathBuf,
    /// Cache key (hex).
    pub key: String,
    /// Build time, when this call built it.
    pub built_in: Option<Duration>,
    /// The agent image the guest loads at boot, by tag: [`REAL_AGENT_IMAGE`]
    /// or, where the real agent is missing, the stand-in's [`AGENT_IMAGE`].
    pub agent_image: &'static str,
}

impl Image {
    /// Whether the guest carries the real ECS agent.
    pub fn real_agent(&self) -> bool {
        self.agent_image == REAL_AGENT_IMAGE
    }
}

impl Image {
    /// `name version` of a package in the image.
    pub fn package_version(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join("packages.txt"))
            .ok()?
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(' ')?;
                (n == name).then(|| v.to_owned())
            })
    }
}

fn boot_dir() -> PathBuf {
    workspace_root().join("acceptance-tests/boot")
}

fn hash_tree(h: &mut Sha256, root: &Path, dir: &Path) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("read {}: {e}", dir.display())))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let rel = p
            .strip_prefix(root)
            .expect("below root")
            .to_string_lossy()
            .into_owned();
        let meta = std::fs::symlink_metadata(&p).map_err(|e| Error::new(e.to_string()))?;
        h.update(rel.as_bytes());
        h.update([0]);
        if meta.file_type().is_symlink() {
            let t = std::fs::read_link(&p).map_err(|e| Error::new(e.to_string()))?;
            h.update(b"link:");
            h.update(t.to_string_lossy().as_bytes());
        } else if meta.is_dir() {
            hash_tree(h, root, &p)?;
        } else {
            use std::os::unix::fs::PermissionsExt;
            h.update(format!("mode:{:o}", meta.permissions().mode() & 0o7777).as_bytes());
            h.update(std::fs::read(&p).map_err(|e| Error::new(e.to_string()))?);
        }
        h.update([0]);
    }
    Ok(())
}

/// The package list of `dist`.
pub fn packages(dist: &Distribution) -> Vec<&'static str> {
    let mut p = COMMON_PACKAGES.to_vec();
    if dist.suite != "bookworm" {
        // Since Debian 13 the `docker` command is its own package, only
        // recommended by docker.io: without it dockerd runs and nothing can
        // talk to it.
        p.push("docker-cli");
    }
    p
}

/// Builds (or finds in the cache) the image of `dist`. Several test
/// processes may call this at once: the build runs under `flock`.
pub fn ensure(dist: &Distribution) -> Result<Image> {
    let cache = target_dir().join("boot-images");
    let payload = cache.join(format!("payload-{}-{}", dist.suite, std::process::id()));
    std::fs::create_dir_all(&payload).map_err(|e| Error::new(e.to_string()))?;
    let work = cache.join(format!("work-{}-{}", dist.suite, std::process::id()));
    let result = (|| {
        // The agent the guest loads: the real one where `../shared` has
        // it, else the stand-in (the caller says which it booted).
        let (agent_def, agent_image) = match agent_image::AgentSource::locate() {
            agent_image::AgentSource::Real(d) => (
                archive::real_agent(REAL_AGENT_IMAGE, &d, &work)?,
                REAL_AGENT_IMAGE,
            ),
            agent_image::AgentSource::Missing(_) => {
                (archive::agent_standin(AGENT_IMAGE), AGENT_IMAGE)
            }
        };
        archive::write(&agent_def, &work, &payload.join("agent.tar"))?;
        drop(agent_def);
        archive::write(&archive::task(TASK_IMAGE), &work, &payload.join("task.tar"))?;
        let pkgs = packages(dist);
        let mut h = Sha256::new();
        h.update(format!("suite={}\npackages={}\n", dist.suite, pkgs.join(",")).as_bytes());
        hash_tree(&mut h, &boot_dir(), &boot_dir())?;
        hash_tree(&mut h, &payload, &payload)?;
        let key: String = h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = cache.join(format!("{}-{key}", dist.suite));
        let image = |built_in| Image {
            dist: *dist,
            raw: dir.join("image.raw"),
            kernel: dir.join("vmlinuz"),
            initrd: dir.join("initrd.img"),
            dir: dir.clone(),
            key: key.clone(),
            built_in,
            agent_image,
        };
        if dir.join("key").exists() {
            return Ok(image(None));
        }
        let lock = cache.join(format!("{}.lock", dist.suite));
        let t = Instant::now();
        let log = cache.join(format!("{}-{key}.build.log", dist.suite));
        // flock … bash -c SCRIPT build OUT SUITE OUT PAYLOAD PACKAGES…: the
        // first OUT is for the cache check after the lock is taken, the rest
        // are build-image.sh's arguments.
        let script = format!(
            "out=$1; shift; [ -f \"$out/key\" ] && exit 0; bash {} \"$@\" >{log} 2>&1 || {{ tail -n 40 {log}; exit 1; }}; echo {key} >\"$out/key\"",
            sys::sh_quote(&boot_dir().join("build-image.sh").display().to_string()),
            log = sys::sh_quote(&log.display().to_string()),
        );
        let mut c = Command::new(sys::tool("flock")?);
        c.arg(&lock)
            .args(["bash", "-c", &script, "build"])
            .arg(&dir)
            .arg(dist.suite)
            .arg(&dir)
            .arg(&payload)
            .args(&pkgs)
            .env("PATH", sys::TOOL_PATH);
        let out = sys::run(&mut c, Duration::from_secs(1800))?;
        if !out.success() {
            return Err(Error::new(format!(
                "building the {} image failed: {out}",
                dist.suite
            )));
        }
        // Older images of this suite are stale.
        for e in std::fs::read_dir(&cache).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!("{}-", dist.suite))
                && !name.starts_with(&format!("{}-{key}", dist.suite))
                && e.path().is_dir()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        Ok(image(Some(t.elapsed())))
    })();
    let _ = std::fs::remove_dir_all(&payload);
    let _ = std::fs::remove_dir_all(&work);
    result
}
