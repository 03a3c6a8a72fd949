//! Debian's `dockerd` run inside a lab network namespace.
//!
//! Everything dockerd owns lives below one directory (`data/`, `exec/`,
//! `docker.sock`, `dockerd.pid`, `dockerd.log`, `daemon.json`), so labs in
//! parallel processes never share state. dockerd starts its own (supervised)
//! containerd below the exec root. Containers go into a lab-specific cgroup
//! parent so teardown can kill stragglers.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::hostlab::sys::{self, CmdOutput};
use crate::hostlab::{Error, Result};

/// Debian's Docker CLI (20.10); `/usr/local/bin/docker` may be a newer one.
pub const DEBIAN_DOCKER_CLI: &str = "/usr/bin/docker";

/// Options for one dockerd.
#[derive(Debug, Clone)]
pub struct DockerdConfig {
    /// `--userland-proxy` (Docker's default is true).
    pub userland_proxy: bool,
    /// `--storage-driver`; `None` lets dockerd pick (overlay2 here, vfs as its own fallback).
    pub storage_driver: Option<String>,
    /// `--bip` for docker0 (e.g. `172.17.0.1/16`); `None` = Docker default.
    pub bip: Option<String>,
    /// `--cgroup-parent` for containers (lab-unique).
    pub cgroup_parent: Option<String>,
    /// Extra raw dockerd arguments.
    pub extra_args: Vec<String>,
    /// Extra environment (e.g. `DBUS_SYSTEM_BUS_ADDRESS` of the lab's bus).
    pub env: Vec<(String, String)>,
    /// A dockerd other than the system's (`None`: `dockerd` from the
    /// tool path): another Docker generation, such as Debian unstable's
    /// (`.ci/install-docker28`). Its directory goes first on `PATH`, so
    /// dockerd finds the `docker-proxy` shipped beside it.
    pub dockerd: Option<PathBuf>,
    /// Bound on waiting for the API after start.
    pub start_timeout: Duration,
    /// Bound on waiting for exit after SIGTERM before SIGKILL.
    pub stop_timeout: Duration,
}

impl Default for DockerdConfig {
    fn default() -> Self {
        DockerdConfig {
            userland_proxy: true,
            storage_driver: std::env::var("HOSTLAB_STORAGE_DRIVER")
                .ok()
                .filter(|s| !s.is_empty()),
            bip: None,
            cgroup_parent: None,
            extra_args: Vec::new(),
            env: Vec::new(),
            dockerd: None,
            start_timeout: Duration::from_secs(60),
            stop_timeout: Duration::from_secs(30),
        }
    }
}

/// Path of the Docker CLI the lab uses (`HOSTLAB_DOCKER` overrides).
pub fn docker_cli() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("HOSTLAB_DOCKER") {
        return Ok(PathBuf::from(p));
    }
    if Path::new(DEBIAN_DOCKER_CLI).is_file() {
        return Ok(PathBuf::from(DEBIAN_DOCKER_CLI));
    }
    sys::tool("docker")
}

/// One dockerd process (at most one at a time) and its directories.
#[derive(Debug)]
pub struct Dockerd {
    netns_path: PathBuf,
    root: PathBuf,
    /// Current configuration; changes take effect at the next start.
    pub config: DockerdConfig,
    child: Option<Child>,
    starts: u32,
}

impl Dockerd {
    /// Prepare (do not start) a dockerd in the namespace at `netns_path`
    /// keeping its state under `root`.
    pub fn new(netns_path: &Path, root: &Path, config: DockerdConfig) -> Dockerd {
        Dockerd {
            netns_path: netns_path.to_path_buf(),
            root: root.to_path_buf(),
            config,
            child: None,
            starts: 0,
        }
    }

    /// `--data-root` (kept across restarts).
    pub fn data_root(&self) -> PathBuf {
        self.root.join("data")
    }
    /// `--exec-root`.
    pub fn exec_root(&self) -> PathBuf {
        self.root.join("exec")
    }
    /// API socket path.
    pub fn socket(&self) -> PathBuf {
        self.root.join("docker.sock")
    }
    /// Value for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }
    /// `--pidfile`.
    pub fn pidfile(&self) -> PathBuf {
        self.root.join("dockerd.pid")
    }
    /// dockerd's stdout+stderr (appended across restarts).
    pub fn log_path(&self) -> PathBuf {
        self.root.join("dockerd.log")
    }
    /// How many times it was started.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// PID of the running dockerd.
    pub fn pid(&mut self) -> Option<u32> {
        self.is_running()
            .then(|| self.child.as_ref().map(Child::id))
            .flatten()
    }

    /// True while our dockerd child has not exited.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let s = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// A Docker CLI command talking to this dockerd (clean env, classic builder).
    pub fn cli(&self) -> Result<Command> {
        let mut c = Command::new(docker_cli()?);
        c.env_clear()
            .env("PATH", sys::TOOL_PATH)
            .env("LANG", "C")
            .env("HOME", &self.root)
            .env("DOCKER_CONFIG", self.root.join("docker-config"))
            .env("DOCKER_BUILDKIT", "0")
            .env("DOCKER_HOST", self.docker_host());
        Ok(c)
    }

    /// Run `docker <args>` against this dockerd (not checked).
    pub fn docker(&self, args: &[&str], timeout: Duration) -> Result<CmdOutput> {
        let mut c = self.cli()?;
        c.args(args);
        sys::run(&mut c, timeout)
    }

    fn args(&self) -> Vec<String> {
        let c = &self.config;
        let mut a = vec![
            format!("--data-root={}", self.data_root().display()),
            format!("--exec-root={}", self.exec_root().display()),
            format!("--host=unix://{}", self.socket().display()),
            format!("--pidfile={}", self.pidfile().display()),
            format!("--config-file={}", self.root.join("daemon.json").display()),
            "--iptables=true".into(),
            "--ip-forward=true".into(),
            format!("--userland-proxy={}", c.userland_proxy),
            // busybox/httpd as PID 1 ignore SIGTERM; do not wait 15 s per container
            "--shutdown-timeout=2".into(),
        ];
        if let Some(d) = &c.storage_driver {
            a.push(format!("--storage-driver={d}"));
        }
        if let Some(b) = &c.bip {
            a.push(format!("--bip={b}"));
        }
        if let Some(p) = &c.cgroup_parent {
            a.push(format!("--cgroup-parent={p}"));
        }
        a.extend(c.extra_args.iter().cloned());
        a
    }

    /// Start dockerd (stopping a running one first) and wait until its API
    /// answers. Returns the time from spawn to ready.
    pub fn start(&mut self) -> Result<Duration> {
        self.stop()?;
        for d in [
            self.root.clone(),
            self.data_root(),
            self.exec_root(),
            self.root.join("docker-config"),
        ] {
            std::fs::create_dir_all(&d)
                .map_err(|e| Error::new(format!("mkdir {}: {e}", d.display())))?;
        }
        let cfg = self.root.join("daemon.json");
        if !cfg.exists() {
            std::fs::write(&cfg, "{}\n")
                .map_err(|e| Error::new(format!("write {}: {e}", cfg.display())))?;
        }
        let _ = std::fs::remove_file(self.socket());
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| Error::new(format!("open log: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| Error::new(format!("dup log: {e}")))?;
        let mut cmd = sys::command("nsenter")?;
        let dockerd = match &self.config.dockerd {
            Some(d) => {
                let dir = d.parent().unwrap_or(Path::new("/"));
                cmd.env("PATH", format!("{}:{}", dir.display(), sys::TOOL_PATH));
                d.clone()
            }
            None => sys::tool("dockerd")?,
        };
        cmd.arg(format!("--net={}", self.netns_path.display()))
            .arg("--")
            .arg(dockerd)
            .args(self.args())
            .envs(self.config.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| Error::new(format!("spawn dockerd: {e}")))?;
        self.child = Some(child);
        self.starts += 1;
        let deadline = started + self.config.start_timeout;
        loop {
            if !self.is_running() {
                let tail = self.log_tail(25);
                self.child = None;
                return Err(Error::new(format!(
                    "dockerd exited during start; log tail:\n{tail}"
                )));
            }
            let out = self.docker(
                &["version", "--format", "{{.Server.Version}}"],
                Duration::from_secs(5),
            )?;
            if out.success() && !out.stdout.trim().is_empty() {
                return Ok(started.elapsed());
            }
            if Instant::now() >= deadline {
                let tail = self.log_tail(25);
                let _ = self.stop();
                return Err(Error::new(format!(
                    "dockerd API not ready within {:?}; log tail:\n{tail}",
                    self.config.start_timeout
                )));
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stop dockerd by PID: SIGTERM, wait up to `stop_timeout`, SIGKILL; then
    /// stop any process still referring to the exec root (containerd, shims).
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            let t = Instant::now();
            sys::stop_child(&mut child, self.config.stop_timeout);
            sys::trace(&format!(
                "dockerd {} exited {:?} after SIGTERM",
                child.id(),
                t.elapsed()
            ));
        }
        // stale pidfile from a crashed holder of this root
        if let Ok(s) = std::fs::read_to_string(self.pidfile()) {
            if let Ok(pid) = s.trim().parse::<u32>() {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                if String::from_utf8_lossy(&cmdline).contains(&*self.root.to_string_lossy()) {
                    sys::stop_pid(pid, self.config.stop_timeout);
                }
            }
        }
        sys::kill_cmdline_matches(
            &format!("{}/", self.exec_root().display()),
            Duration::from_secs(5),
        );
        Ok(())
    }

    /// Stop and start again; the data root (images, containers, volumes) is kept.
    pub fn restart(&mut self) -> Result<Duration> {
        self.stop()?;
        self.start()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
