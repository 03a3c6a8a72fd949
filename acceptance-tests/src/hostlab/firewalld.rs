//! A real firewalld (Debian's 1.3) managing the lab's host namespace, on a
//! private D-Bus system bus, so the lab can do what breaks the metadata
//! guard on real hosts: `firewall-cmd --reload` and a firewalld restart, on
//! either firewalld backend.
//!
//! Nothing is shared with this machine: `dbus-daemon` listens on a socket
//! in the lab directory (policy: everything allowed, it is the lab's own
//! bus), firewalld runs in the lab's host namespace (`nsenter --net`) with
//! `--system-config` pointing at a copy of `/etc/firewalld` in the lab
//! directory (`FirewallBackend` set there), `--nopid` and its log in the lab
//! directory. dockerd, `firewall-cmd` and the rendered watcher find the bus
//! through `DBUS_SYSTEM_BUS_ADDRESS` ([`Firewalld::bus_address`]); dockerd
//! started with it integrates with firewalld exactly as on a host (docker0
//! in firewalld's `docker` zone, its chains re-created on every reload).

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::hostlab::netns::NetNs;
use crate::hostlab::sys::{self, CmdOutput};
use crate::hostlab::{Error, Result};

/// Which backend firewalld writes its rules with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `FirewallBackend=nftables` (firewalld's default since 0.6).
    Nftables,
    /// `FirewallBackend=iptables`.
    Iptables,
}

impl Backend {
    /// The `firewalld.conf` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Nftables => "nftables",
            Backend::Iptables => "iptables",
        }
    }
}

const BUS_CONF: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=SOCKET</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"#;

/// dbus-daemon + firewalld for one lab.
#[derive(Debug)]
pub struct Firewalld {
    ns: NetNs,
    dir: PathBuf,
    backend: Backend,
    bus: Option<Child>,
    daemon: Option<Child>,
}

/// True when firewalld and dbus-daemon are installed (`.ci/install-deps`).
pub fn available() -> bool {
    ["firewalld", "firewall-cmd", "dbus-daemon", "dbus-monitor"]
        .iter()
        .all(|t| sys::tool(t).is_ok())
}

impl Firewalld {
    /// Start the bus and firewalld for the namespace `ns`; state under `dir`.
    pub fn start(ns: &NetNs, dir: &Path, backend: Backend) -> Result<Firewalld> {
        let dir = dir.join("firewalld");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", dir.display())))?;
        let mut fw = Firewalld {
            ns: ns.clone(),
            dir,
            backend,
            bus: None,
            daemon: None,
        };
        fw.start_bus()?;
        fw.start_daemon()?;
        Ok(fw)
    }

    /// `unix:path=…`, for `DBUS_SYSTEM_BUS_ADDRESS`.
    pub fn bus_address(&self) -> String {
        format!("unix:path={}", self.dir.join("bus.sock").display())
    }

    /// The backend firewalld runs with now.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// firewalld's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("firewalld.log")).unwrap_or_default()
    }

    fn start_bus(&mut self) -> Result<()> {
        let sock = self.dir.join("bus.sock");
        let _ = std::fs::remove_file(&sock);
        let conf = self.dir.join("bus.conf");
        std::fs::write(&conf, BUS_CONF.replace("SOCKET", &sock.to_string_lossy()))
            .map_err(|e| Error::new(format!("write bus.conf: {e}")))?;
        let log = self.log_file("dbus.log")?;
        let mut c = sys::command("dbus-daemon")?;
        c.arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| Error::new(e.to_string()))?)
            .stderr(log);
        self.bus = Some(
            c.spawn()
                .map_err(|e| Error::new(format!("spawn dbus-daemon: {e}")))?,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !sock.exists() {
            if Instant::now() >= deadline {
                return Err(Error::new("lab dbus-daemon did not create its socket"));
            }
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn log_file(&self, name: &str) -> Result<std::fs::File> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join(name))
            .map_err(|e| Error::new(format!("open {name}: {e}")))
    }

    fn write_config(&self) -> Result<PathBuf> {
        let conf_dir = self.dir.join("etc");
        let _ = std::fs::remove_dir_all(&conf_dir);
        std::fs::create_dir_all(&conf_dir).map_err(|e| Error::new(format!("mkdir: {e}")))?;
        let stock = std::fs::read_to_string("/etc/firewalld/firewalld.conf").unwrap_or_default();
        let mut conf: Vec<String> = stock
            .lines()
            .filter(|l| !l.starts_with("FirewallBackend="))
            .map(str::to_owned)
            .collect();
        conf.push(format!("FirewallBackend={}", self.backend.as_str()));
        std::fs::write(conf_dir.join("firewalld.conf"), conf.join("\n") + "\n")
            .map_err(|e| Error::new(format!("write firewalld.conf: {e}")))?;
        Ok(conf_dir)
    }

    fn start_daemon(&mut self) -> Result<()> {
        let conf_dir = self.write_config()?;
        let log = self.log_file("firewalld.out")?;
        let mut c = self.ns.command(sys::tool("firewalld")?)?;
        c.args(["--nofork", "--nopid", "--log-target", "file", "--log-file"])
            .arg(self.dir.join("firewalld.log"))
            .arg("--system-config")
            .arg(&conf_dir)
            .env_clear()
            .env("PATH", sys::TOOL_PATH)
            .env("LANG", "C")
            .env("DBUS_SYSTEM_BUS_ADDRESS", self.bus_address())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| Error::new(e.to_string()))?)
            .stderr(log);
        self.daemon = Some(
            c.spawn()
                .map_err(|e| Error::new(format!("spawn firewalld: {e}")))?,
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.cmd(&["--state"])?;
            if out.success() && out.stdout.trim() == "running" {
                return Ok(());
            }
            if let Some(Ok(Some(st))) = self.daemon.as_mut().map(Child::try_wait) {
                return Err(Error::new(format!(
                    "firewalld exited: {st}\n{}",
                    std::fs::read_to_string(self.dir.join("firewalld.out")).unwrap_or_default()
                )));
            }
            if Instant::now() >= deadline {
                return Err(Error::new(format!("firewalld not running: {out}")));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }

    /// `firewall-cmd <args>` against this firewalld.
    pub fn cmd(&self, args: &[&str]) -> Result<CmdOutput> {
        let mut c = sys::command("firewall-cmd")?;
        c.args(args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", self.bus_address());
        sys::run(&mut c, Duration::from_secs(60))
    }

    /// `firewall-cmd --reload` (what an administrator or a config tool runs).
    pub fn reload(&self) -> Result<()> {
        self.cmd(&["--reload"])?.check("firewall-cmd --reload")?;
        Ok(())
    }

    /// Stop firewalld (SIGTERM: it cleans up its rules on exit, as
    /// `systemctl stop firewalld` does) and start it again, with `backend`.
    pub fn restart(&mut self, backend: Backend) -> Result<Duration> {
        let t = Instant::now();
        if let Some(mut c) = self.daemon.take() {
            sys::stop_child(&mut c, Duration::from_secs(30));
        }
        self.backend = backend;
        self.start_daemon()?;
        Ok(t.elapsed())
    }

    /// Stop firewalld and the bus, by PID.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.daemon.take() {
            sys::stop_child(&mut c, Duration::from_secs(30));
        }
        if let Some(mut c) = self.bus.take() {
            sys::stop_child(&mut c, Duration::from_secs(5));
        }
    }
}

impl Drop for Firewalld {
    fn drop(&mut self) {
        self.stop();
    }
}
