//! [`Lab`]: host namespace + dockerd + IMDS stand-in + images, torn down on
//! `Drop`.
//!
//! Concurrency: every lab has a unique name `hostlab-<pid>-<seq>` (netns,
//! directory, cgroup parent), so labs in parallel threads or processes do not
//! collide; no lock is taken. Stale labs (owner PID gone) are swept once per
//! process, when the first lab starts.

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use crate::hostlab::dockerd::{self, Dockerd, DockerdConfig};
use crate::hostlab::firewalld::{self, Backend, Firewalld};
use crate::hostlab::imds::Imds;
use crate::hostlab::netns::NetNs;
use crate::hostlab::sys::{self, CmdOutput};
use crate::hostlab::{agent_image, images, Error, Result, ECS_CREDENTIALS_ADDR};

/// Prefix of every lab name (netns, directory, cgroup parent).
pub const LAB_PREFIX: &str = "hostlab-";
/// Default timeout of [`Lab::host_sh`] and [`Lab::docker`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Timeout for one throwaway task container.
pub const TASK_TIMEOUT: Duration = Duration::from_secs(60);

static SEQ: AtomicU32 = AtomicU32::new(0);
static SWEEP: Once = Once::new();

/// What to bring up.
#[derive(Debug, Clone)]
pub struct LabConfig {
    /// dockerd `--userland-proxy`.
    pub userland_proxy: bool,
    /// dockerd `--storage-driver` (`None`: dockerd picks; env `HOSTLAB_STORAGE_DRIVER`).
    pub storage_driver: Option<String>,
    /// dockerd `--bip`.
    pub bip: Option<String>,
    /// Build [`images::BUSYBOX_IMAGE`] and [`images::AGENT_STANDIN_IMAGE`].
    pub build_images: bool,
    /// Start the IMDS stand-in namespace.
    pub imds: bool,
    /// Run a real firewalld (this backend) on a private bus in the host
    /// namespace, started before dockerd as on a host.
    pub firewalld: Option<Backend>,
    /// Where lab directories go (env `HOSTLAB_BASE`, default `/var/tmp/hostlab`).
    /// Must be a filesystem overlay2 (or vfs) works on — not overlayfs itself.
    pub base_dir: PathBuf,
    /// Also build the real agent's image ([`agent_image::AGENT_IMAGE`])
    /// from this agent directory (see [`agent_image::AgentSource`]).
    pub real_agent: Option<PathBuf>,
    /// Run this dockerd instead of the system's (another Docker
    /// generation; [`DockerdConfig::dockerd`]).
    pub dockerd: Option<PathBuf>,
}

impl Default for LabConfig {
    fn default() -> Self {
        LabConfig {
            userland_proxy: true,
            storage_driver: std::env::var("HOSTLAB_STORAGE_DRIVER")
                .ok()
                .filter(|s| !s.is_empty()),
            bip: None,
            build_images: true,
            imds: true,
            firewalld: None,
            base_dir: std::env::var("HOSTLAB_BASE")
                .map(PathBuf::from)
                .unwrap_or_else(|_| PathBuf::from("/var/tmp/hostlab")),
            real_agent: None,
            dockerd: None,
        }
    }
}

/// Measured durations of [`Lab::start`].
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Host namespace + IMDS namespace, veth, routes, httpd answering.
    pub netns: Duration,
    /// dockerd spawn until its API answers.
    pub dockerd_start: Duration,
    /// Both images.
    pub image_build: Duration,
    /// Whole `Lab::start`, including the stale sweep.
    pub total: Duration,
    /// Each [`Lab::restart_dockerd`] (stop + start until ready).
    pub restarts: Vec<Duration>,
}

/// A disposable container host. See the crate docs.
#[derive(Debug)]
pub struct Lab {
    name: String,
    dir: PathBuf,
    host: Option<NetNs>,
    imds: Option<Imds>,
    firewalld: Option<Firewalld>,
    dockerd: Option<Dockerd>,
    timings: Timings,
    down: bool,
}

/// A process running in the lab's host namespace in the background
/// ([`Lab::spawn_host_sh`]); its process group is killed on drop.
#[derive(Debug)]
pub struct Background {
    child: std::process::Child,
    log: PathBuf,
}

impl Background {
    /// What it printed so far (stdout and stderr).
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stop it (its whole process group).
    pub fn stop(&mut self) {
        sys::signal_group(self.child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        sys::signal_group(self.child.id(), "KILL");
        let _ = self.child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Checks that do not change anything: root, tools, static busybox.
pub fn preflight() -> std::result::Result<(), String> {
    match sys::euid() {
        Some(0) => {}
        Some(u) => return Err(format!("not root (euid {u})")),
        None => return Err("cannot read euid".into()),
    }
    for t in [
        "ip", "nsenter", "dockerd", "iptables", "umount", "kill", "timeout", "sh", "python3",
    ] {
        sys::tool(t).map_err(|e| e.to_string())?;
    }
    let cli = dockerd::docker_cli().map_err(|e| e.to_string())?;
    if !cli.is_file() {
        return Err(format!("docker CLI {} missing", cli.display()));
    }
    images::busybox_path().map_err(|e| e.to_string())?;
    if !Path::new("/proc/self/ns/net").exists() {
        return Err("no network namespace support (/proc/self/ns/net)".into());
    }
    Ok(())
}

/// Start a lab, or print `SKIP: …` and return `None` when the machine
/// cannot host one — unless `ECSHOST_REQUIRE_LAB=1`, then panic.
pub fn lab_or_skip(cfg: LabConfig) -> Option<Lab> {
    let res = preflight().and_then(|()| Lab::start(cfg).map_err(|e| e.to_string()));
    match res {
        Ok(lab) => Some(lab),
        Err(reason) => {
            if std::env::var("ECSHOST_REQUIRE_LAB").as_deref() == Ok("1") {
                panic!("host lab required (ECSHOST_REQUIRE_LAB=1) but unavailable: {reason}");
            }
            eprintln!("SKIP: host lab needs root and network namespaces: {reason}");
            None
        }
    }
}

/// `printf 'GET <path> HTTP/1.0…' | timeout <t> nc <host> <port>` — a raw
/// HTTP/1.0 request that shows status line, headers and body even for 4xx.
/// Works in the host namespace (busybox) and in task containers.
pub fn http_raw_script(host: &str, port: u16, path: &str, timeout_s: u32) -> String {
    format!(
        "printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n' {} {} | timeout {timeout_s} busybox nc {} {port}",
        sys::sh_quote(path),
        sys::sh_quote(host),
        sys::sh_quote(host)
    )
}

/// Status code of a raw HTTP response (`HTTP/1.x NNN …`).
pub fn http_status(raw: &str) -> Option<u16> {
    let first = raw.lines().next()?;
    if !first.starts_with("HTTP/") {
        return None;
    }
    first.split_whitespace().nth(1)?.parse().ok()
}

/// Body of a raw HTTP response.
pub fn http_body(raw: &str) -> &str {
    raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("")
}

impl Lab {
    /// Bring a lab up. On error everything created so far is torn down.
    pub fn start(cfg: LabConfig) -> Result<Lab> {
        let t0 = Instant::now();
        SWEEP.call_once(|| {
            let swept = sweep_stale(&cfg.base_dir);
            if !swept.is_empty() {
                eprintln!("hostlab: swept stale labs {swept:?}");
            }
        });
        let name = format!(
            "{LAB_PREFIX}{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let dir = cfg.base_dir.join(&name);
        let mut lab = Lab {
            name: name.clone(),
            dir: dir.clone(),
            host: None,
            imds: None,
            firewalld: None,
            dockerd: None,
            timings: Timings::default(),
            down: false,
        };
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", bin.display())))?;
        symlink(dockerd::docker_cli()?, bin.join("docker"))
            .map_err(|e| Error::new(format!("symlink docker: {e}")))?;

        let t = Instant::now();
        let host = NetNs::create(&name)?;
        lab.host = Some(host.clone());
        if cfg.imds {
            lab.imds = Some(Imds::start(&host, &format!("{name}-imds"), &dir)?);
        }
        lab.timings.netns = t.elapsed();

        let mut env = Vec::new();
        if let Some(backend) = cfg.firewalld {
            if !firewalld::available() {
                return Err(Error::new(
                    "firewalld, firewall-cmd, dbus-daemon or dbus-monitor missing (.ci/install-deps installs them)",
                ));
            }
            let fw = Firewalld::start(&host, &dir, backend)?;
            env.push(("DBUS_SYSTEM_BUS_ADDRESS".to_owned(), fw.bus_address()));
            lab.firewalld = Some(fw);
        }
        // A second API socket where a host has it (`/var/run/docker.sock`)
        // below the lab's host root: the rendered start script mounts
        // `ECSHOST_RUN_DIR` (tests point it at `<lab>/root/var/run`) as the
        // agent's `/var/run`, and the real agent talks to Docker there.
        let run_dir = dir.join("root/var/run");
        std::fs::create_dir_all(&run_dir)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", run_dir.display())))?;
        let dcfg = DockerdConfig {
            extra_args: vec![format!(
                "--host=unix://{}",
                run_dir.join("docker.sock").display()
            )],
            userland_proxy: cfg.userland_proxy,
            storage_driver: cfg.storage_driver.clone(),
            bip: cfg.bip.clone(),
            cgroup_parent: Some(format!("/{name}")),
            env,
            dockerd: cfg.dockerd.clone(),
            ..DockerdConfig::default()
        };
        lab.dockerd = Some(Dockerd::new(&host.path(), &dir.join("docker"), dcfg));
        lab.timings.dockerd_start = lab.dockerd_mut().start()?;
        if cfg.build_images {
            lab.timings.image_build = images::build_all(lab.dockerd_ref(), &dir)?;
        }
        if let Some(agent_dir) = &cfg.real_agent {
            let t = Instant::now();
            agent_image::build(lab.dockerd_ref(), &dir, agent_dir)?;
            lab.timings.image_build += t.elapsed();
        }
        lab.timings.total = t0.elapsed();
        Ok(lab)
    }

    fn dockerd_ref(&self) -> &Dockerd {
        self.dockerd.as_ref().expect("lab dockerd")
    }

    fn dockerd_mut(&mut self) -> &mut Dockerd {
        self.dockerd.as_mut().expect("lab dockerd")
    }

    /// Unique lab name (= host netns name = cgroup parent).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Lab directory (dockerd state, logs, build contexts).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The namespace playing the container host.
    pub fn host_netns(&self) -> &NetNs {
        self.host.as_ref().expect("lab host netns")
    }

    /// The IMDS stand-in, if started.
    pub fn imds(&self) -> Option<&Imds> {
        self.imds.as_ref()
    }

    /// The lab's dockerd.
    pub fn dockerd(&self) -> &Dockerd {
        self.dockerd_ref()
    }

    /// The lab's firewalld, if configured.
    pub fn firewalld(&self) -> Option<&Firewalld> {
        self.firewalld.as_ref()
    }

    /// The lab's firewalld, mutable (restarts).
    pub fn firewalld_mut(&mut self) -> Option<&mut Firewalld> {
        self.firewalld.as_mut()
    }

    /// Run a POSIX `sh` script in the host namespace in the background, with
    /// [`Lab::script_env`] plus `env`; output goes to `<lab>/bg-<label>.log`.
    /// This is how the tests run what systemd would keep running (the guard
    /// watcher, a timer's loop).
    pub fn spawn_host_sh(
        &self,
        label: &str,
        script: &str,
        env: &[(&str, &str)],
    ) -> Result<Background> {
        let log = self.dir.join(format!("bg-{label}.log"));
        let out = std::fs::File::create(&log)
            .map_err(|e| Error::new(format!("create {}: {e}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(|e| Error::new(format!("dup: {e}")))?;
        let mut c = self.host_netns().command(sys::tool("sh")?)?;
        c.args(["-c", script]);
        for (k, v) in self.script_env() {
            c.env(k, v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        use std::os::unix::process::CommandExt as _;
        c.stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = c
            .spawn()
            .map_err(|e| Error::new(format!("spawn background {label}: {e}")))?;
        Ok(Background { child, log })
    }

    /// `unix://…/docker.sock`.
    pub fn docker_host(&self) -> String {
        self.dockerd_ref().docker_host()
    }

    /// Measured start-up durations.
    pub fn timings(&self) -> &Timings {
        &self.timings
    }

    /// `PATH` for scripts: the lab's `bin/` (Debian's `docker`) then
    /// [`sys::TOOL_PATH`] (ip, iptables, nsenter, busybox, …).
    pub fn script_path(&self) -> String {
        format!("{}:{}", self.dir.join("bin").display(), sys::TOOL_PATH)
    }

    /// Environment every lab script gets.
    pub fn script_env(&self) -> Vec<(String, String)> {
        let d = self.dockerd_ref();
        vec![
            ("PATH".into(), self.script_path()),
            ("LANG".into(), "C".into()),
            ("HOME".into(), self.dir.display().to_string()),
            ("DOCKER_HOST".into(), d.docker_host()),
            ("DOCKER_BUILDKIT".into(), "0".into()),
            (
                "DOCKER_CONFIG".into(),
                self.dir.join("docker/docker-config").display().to_string(),
            ),
            ("HOSTLAB_NAME".into(), self.name.clone()),
            ("HOSTLAB_DIR".into(), self.dir.display().to_string()),
        ]
        .into_iter()
        .chain(
            self.firewalld
                .as_ref()
                .map(|f| ("DBUS_SYSTEM_BUS_ADDRESS".to_owned(), f.bus_address())),
        )
        .collect()
    }

    /// Run a POSIX `sh` script in the host namespace with [`Lab::script_env`]
    /// plus `env`, bounded by `timeout`. This is how rendered provider
    /// scripts (`start_script` etc.) are executed.
    pub fn try_host_sh(
        &self,
        script: &str,
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<CmdOutput> {
        let mut c = self.host_netns().command(sys::tool("sh")?)?;
        c.args(["-c", script]);
        for (k, v) in self.script_env() {
            c.env(k, v);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        sys::run(&mut c, timeout)
    }

    /// [`Lab::try_host_sh`] with no extra env and [`DEFAULT_TIMEOUT`]; panics
    /// only if `nsenter` cannot be spawned.
    pub fn host_sh(&self, script: &str) -> CmdOutput {
        self.try_host_sh(script, &[], DEFAULT_TIMEOUT)
            .expect("spawn host_sh")
    }

    /// `docker <args>` against the lab's dockerd (from the host namespace).
    pub fn docker(&self, args: &[&str]) -> CmdOutput {
        self.docker_timeout(args, DEFAULT_TIMEOUT)
    }

    /// `docker <args>` with an explicit timeout.
    pub fn docker_timeout(&self, args: &[&str], timeout: Duration) -> CmdOutput {
        let script = std::iter::once("docker".to_string())
            .chain(args.iter().map(|a| sys::sh_quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        self.try_host_sh(&script, &[], timeout)
            .expect("spawn docker")
    }

    /// Throwaway task container: `docker run --rm --network <network>
    /// lab/busybox:1 sh -c <cmd>`.
    pub fn run_task(&self, network: &str, cmd: &str) -> CmdOutput {
        self.run_task_with(&["--network", network], cmd)
    }

    /// Like [`Lab::run_task`] with arbitrary `docker run` options.
    pub fn run_task_with(&self, run_args: &[&str], cmd: &str) -> CmdOutput {
        // --init: tini is PID 1, so `timeout N cmd` can signal cmd (a PID 1
        // without handlers ignores SIGTERM, and busybox timeout signals the
        // process that exec'd cmd).
        let mut args = vec!["run", "--rm", "--init"];
        args.extend_from_slice(run_args);
        args.extend([images::BUSYBOX_IMAGE, "sh", "-c", cmd]);
        self.docker_timeout(&args, TASK_TIMEOUT)
    }

    /// `timeout 5 busybox wget -qO- <url>` in the host namespace (body on
    /// stdout; non-2xx → non-zero exit).
    pub fn http_from_host(&self, url: &str) -> CmdOutput {
        self.host_sh(&format!(
            "timeout 5 busybox wget -qO- {}",
            sys::sh_quote(url)
        ))
    }

    /// Raw HTTP/1.0 GET from the host namespace (see [`http_raw_script`]).
    pub fn http_raw_from_host(&self, host: &str, port: u16, path: &str) -> CmdOutput {
        self.host_sh(&http_raw_script(host, port, path, 5))
    }

    /// PID of a running container (`docker inspect -f {{.State.Pid}}`).
    pub fn container_pid(&self, name: &str) -> Result<u32> {
        let out = self
            .docker(&["inspect", "-f", "{{.State.Pid}}", name])
            .check(&format!("inspect {name}"))?;
        match out.stdout.trim().parse::<u32>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(Error::new(format!(
                "container {name} not running: {}",
                out.stdout.trim()
            ))),
        }
    }

    /// IPv4 address of a container on `network`.
    pub fn container_ip(&self, name: &str, network: &str) -> Result<String> {
        let fmt = format!("{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}");
        let out = self
            .docker(&["inspect", "-f", &fmt, name])
            .check("inspect ip")?;
        Ok(out.stdout.trim().to_string())
    }

    /// Run a script with the host's tools inside a container's network
    /// namespace (`nsenter -t <pid> -n`), e.g. `iptables -t nat …`.
    pub fn in_container_netns(&self, name: &str, script: &str) -> Result<CmdOutput> {
        let pid = self.container_pid(name)?;
        let mut c = sys::command("nsenter")?;
        c.args(["-t", &pid.to_string(), "-n", "--"])
            .arg(sys::tool("sh")?)
            .args(["-c", script]);
        for (k, v) in self.script_env() {
            c.env(k, v);
        }
        sys::run(&mut c, DEFAULT_TIMEOUT)
    }

    /// `ip addr replace 169.254.170.2/32 dev lo` in the host namespace.
    pub fn add_lo_alias(&self) -> Result<()> {
        self.host_sh(&format!("ip addr replace {ECS_CREDENTIALS_ADDR}/32 dev lo"))
            .check("lo alias")
            .map(|_| ())
    }

    /// Restart dockerd keeping its data root; returns stop+start time.
    pub fn restart_dockerd(&mut self) -> Result<Duration> {
        let t = Instant::now();
        self.dockerd_mut().restart()?;
        let d = t.elapsed();
        self.timings.restarts.push(d);
        Ok(d)
    }

    /// Change `--userland-proxy` and restart dockerd.
    pub fn set_userland_proxy(&mut self, on: bool) -> Result<Duration> {
        self.dockerd_mut().config.userland_proxy = on;
        self.restart_dockerd()
    }

    /// PID of the running dockerd.
    pub fn dockerd_pid(&mut self) -> Option<u32> {
        self.dockerd_mut().pid()
    }

    /// `docker info --format {{.Driver}}`.
    pub fn storage_driver(&self) -> Result<String> {
        let out = self
            .docker(&["info", "--format", "{{.Driver}}"])
            .check("docker info")?;
        Ok(out.stdout.trim().to_string())
    }

    /// Everything this lab might have left behind (empty after a clean
    /// [`Lab::shutdown`]).
    pub fn leftovers(&self) -> Vec<String> {
        leftovers(&self.name, &self.dir)
    }

    /// Stop all processes, unmount, delete namespaces and the directory.
    /// Idempotent; also run by `Drop`.
    pub fn shutdown(&mut self) -> Result<()> {
        if self.down {
            return Ok(());
        }
        self.down = true;
        let mut errs = Vec::new();
        let t = Instant::now();
        // Kill container processes first: dockerd would otherwise give each
        // running container its 10 s stop timeout.
        sys::kill_cgroup_tree(&self.name);
        if let Some(mut d) = self.dockerd.take() {
            if let Err(e) = d.stop() {
                errs.push(e.to_string());
            }
        }
        sys::trace(&format!(
            "{}: dockerd stopped in {:?}",
            self.name,
            t.elapsed()
        ));
        if let Some(mut f) = self.firewalld.take() {
            f.stop();
        }
        if let Some(mut i) = self.imds.take() {
            if let Err(e) = i.stop() {
                errs.push(e.to_string());
            }
        }
        sys::trace(&format!("{}: imds stopped at {:?}", self.name, t.elapsed()));
        errs.extend(teardown_named(&self.name, &self.dir));
        sys::trace(&format!(
            "{}: teardown done at {:?}",
            self.name,
            t.elapsed()
        ));
        self.host = None;
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Error::new(format!(
                "lab {} teardown: {}",
                self.name,
                errs.join("; ")
            )))
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            eprintln!("hostlab: {e}");
        }
    }
}

/// Tear down whatever exists of lab `name` with directory `dir`; returns errors.
fn teardown_named(name: &str, dir: &Path) -> Vec<String> {
    let mut errs = Vec::new();
    let needle = format!("{}/", dir.display());
    // containers first (their cgroup), then dockerd/containerd/shims/httpd
    sys::kill_cgroup_tree(name);
    sys::kill_cmdline_matches(&needle, Duration::from_secs(10));
    sys::kill_cgroup_tree(name);
    if let Err(e) = sys::unmount_under(dir) {
        errs.push(e.to_string());
    }
    for ns in [name.to_string(), format!("{name}-imds")] {
        if let Err(e) = NetNs::attach(&ns).delete() {
            errs.push(e.to_string());
        }
    }
    if let Err(e) = sys::remove_tree(dir) {
        errs.push(e.to_string());
    }
    errs
}

/// What remains of lab `name`: namespaces, directory, mounts, processes, cgroups.
pub fn leftovers(name: &str, dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for ns in [name.to_string(), format!("{name}-imds")] {
        if NetNs::exists(&ns) {
            v.push(format!("netns {ns}"));
        }
    }
    if dir.exists() {
        v.push(format!("dir {}", dir.display()));
    }
    for m in sys::mounts_under(dir) {
        v.push(format!("mount {}", m.display()));
    }
    for p in sys::pids_with_cmdline_containing(&format!("{}/", dir.display())) {
        v.push(format!("pid {p}"));
    }
    for c in sys::cgroup_dirs(name) {
        v.push(format!("cgroup {}", c.display()));
    }
    v
}

/// Owner PID encoded in a lab name `hostlab-<pid>-<seq>[-imds]`.
fn owner_pid(name: &str) -> Option<(u32, String)> {
    let rest = name.strip_prefix(LAB_PREFIX)?;
    let mut it = rest.split('-');
    let pid = it.next()?.parse::<u32>().ok()?;
    let seq = it.next()?.parse::<u32>().ok()?;
    match it.next() {
        None | Some("imds") if it.next().is_none() => {
            Some((pid, format!("{LAB_PREFIX}{pid}-{seq}")))
        }
        _ => None,
    }
}

/// Tear down labs whose owner process is gone. Returns their names.
pub fn sweep_stale(base_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = NetNs::list();
    if let Ok(rd) = std::fs::read_dir(base_dir) {
        names.extend(
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string)),
        );
    }
    if let Ok(rd) = std::fs::read_dir("/sys/fs/cgroup") {
        for h in rd.flatten() {
            if let Ok(inner) = std::fs::read_dir(h.path()) {
                names.extend(
                    inner
                        .flatten()
                        .filter_map(|e| e.file_name().to_str().map(str::to_string)),
                );
            }
        }
    }
    let mut stale: Vec<String> = names
        .iter()
        .filter_map(|n| owner_pid(n))
        .filter(|(pid, _)| !sys::pid_alive(*pid))
        .map(|(_, base)| base)
        .collect();
    stale.sort();
    stale.dedup();
    for name in &stale {
        let errs = teardown_named(name, &base_dir.join(name));
        if !errs.is_empty() {
            eprintln!("hostlab: sweeping {name}: {}", errs.join("; "));
        }
    }
    stale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pid_parsing() {
        assert_eq!(owner_pid("hostlab-12-3"), Some((12, "hostlab-12-3".into())));
        assert_eq!(
            owner_pid("hostlab-12-3-imds"),
            Some((12, "hostlab-12-3".into()))
        );
        assert_eq!(owner_pid("hostlab-12"), None);
        assert_eq!(owner_pid("hostlab-12-3-x"), None);
        assert_eq!(owner_pid("other-12-3"), None);
    }

    #[test]
    fn raw_http_parsing() {
        let raw = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"a\":1}";
        assert_eq!(http_status(raw), Some(400));
        assert_eq!(http_body(raw), "{\"a\":1}");
        assert_eq!(http_status(""), None);
    }

    #[test]
    fn raw_script_quotes() {
        let s = http_raw_script("169.254.170.2", 80, "/v2/credentials/", 3);
        assert!(s.contains("'/v2/credentials/'"), "{s}");
        assert!(
            s.ends_with("timeout 3 busybox nc '169.254.170.2' 80"),
            "{s}"
        );
    }
}
