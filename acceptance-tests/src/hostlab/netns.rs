//! Named network namespaces (`ip netns add`), entered with
//! `nsenter --net=/var/run/netns/<name>`.
//!
//! `ip netns exec` is avoided on purpose: it unshares the mount namespace and
//! remounts `/sys`, which hides the cgroup mounts dockerd needs. `nsenter
//! --net` switches only the network namespace and then execs the program, so
//! the PID of the spawned child is the PID of the program itself.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::hostlab::sys::{self, CmdOutput};
use crate::hostlab::{Error, Result};

const NETNS_DIR: &str = "/var/run/netns";
const T: Duration = Duration::from_secs(20);

/// A named network namespace. Dropping it does **not** delete it; call
/// [`NetNs::delete`] (the [`crate::hostlab::Lab`] does).
#[derive(Debug, Clone)]
pub struct NetNs {
    name: String,
}

impl NetNs {
    /// `ip netns add <name>` and bring up its `lo`.
    pub fn create(name: &str) -> Result<NetNs> {
        if name.is_empty() || name.len() > 200 || name.contains('/') {
            return Err(Error::new(format!("bad netns name {name:?}")));
        }
        sys::run_ok(
            sys::command("ip")?.args(["netns", "add", name]),
            T,
            &format!("ip netns add {name}"),
        )?;
        let ns = NetNs {
            name: name.to_string(),
        };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// Refer to an existing namespace by name (no check).
    pub fn attach(name: &str) -> NetNs {
        NetNs {
            name: name.to_string(),
        }
    }

    /// Names of all named namespaces.
    pub fn list() -> Vec<String> {
        std::fs::read_dir(NETNS_DIR)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `/var/run/netns/<name>` exists.
    pub fn exists(name: &str) -> bool {
        Path::new(NETNS_DIR).join(name).exists()
    }

    /// Namespace name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `/var/run/netns/<name>`.
    pub fn path(&self) -> PathBuf {
        Path::new(NETNS_DIR).join(&self.name)
    }

    /// `nsenter --net=<path> -- <program>` with a clean environment
    /// (`PATH=`[`sys::TOOL_PATH`]). Add args/env to it and run it with
    /// [`sys::run`].
    pub fn command(&self, program: impl AsRef<OsStr>) -> Result<Command> {
        let mut c = sys::command("nsenter")?;
        c.arg(format!("--net={}", self.path().display()))
            .arg("--")
            .arg(program);
        Ok(c)
    }

    /// `ip <args>` inside the namespace; must succeed.
    pub fn ip(&self, args: &[&str]) -> Result<CmdOutput> {
        let mut c = self.command(sys::tool("ip")?)?;
        c.args(args);
        sys::run_ok(&mut c, T, &format!("[{}] ip {}", self.name, args.join(" ")))
    }

    /// `/bin/sh -c <script>` inside the namespace (not checked).
    pub fn sh(&self, script: &str, timeout: Duration) -> Result<CmdOutput> {
        let mut c = self.command(sys::tool("sh")?)?;
        c.args(["-c", script]);
        sys::run(&mut c, timeout)
    }

    /// Write a `net.*` sysctl of this namespace (e.g. `net.ipv4.ip_forward`).
    /// `/proc/sys/net` resolves to the namespace of the writing task.
    pub fn sysctl(&self, key: &str, value: &str) -> Result<()> {
        if !key.starts_with("net.") || key.contains("..") || key.contains('/') {
            return Err(Error::new(format!("refusing non-net sysctl {key}")));
        }
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let script = format!("echo {} > {}", sys::sh_quote(value), sys::sh_quote(&path));
        self.sh(&script, T)?
            .check(&format!("[{}] sysctl {key}={value}", self.name))?;
        Ok(())
    }

    /// Read a `net.*` sysctl of this namespace.
    pub fn sysctl_get(&self, key: &str) -> Result<String> {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let out = self
            .sh(&format!("cat {}", sys::sh_quote(&path)), T)?
            .check(&format!("[{}] read {key}", self.name))?;
        Ok(out.stdout.trim().to_string())
    }

    /// `ip netns delete <name>` (idempotent).
    pub fn delete(&self) -> Result<()> {
        if !Self::exists(&self.name) {
            return Ok(());
        }
        let out = sys::run(sys::command("ip")?.args(["netns", "delete", &self.name]), T)?;
        if out.success() || !Self::exists(&self.name) {
            Ok(())
        } else {
            Err(Error::new(format!("ip netns delete {}: {out}", self.name)))
        }
    }
}

/// Create a veth pair: `a_if` in `a`, `b_if` in `b`, both up.
pub fn veth_pair(a: &NetNs, a_if: &str, b: &NetNs, b_if: &str) -> Result<()> {
    a.ip(&[
        "link",
        "add",
        a_if,
        "type",
        "veth",
        "peer",
        "name",
        b_if,
        "netns",
        b.name(),
    ])?;
    a.ip(&["link", "set", a_if, "up"])?;
    b.ip(&["link", "set", b_if, "up"])?;
    Ok(())
}

/// `ip addr replace <cidr> dev <ifname>` inside `ns`.
pub fn add_addr(ns: &NetNs, ifname: &str, cidr: &str) -> Result<()> {
    ns.ip(&["addr", "replace", cidr, "dev", ifname]).map(|_| ())
}

/// `ip route replace <dest> via <via> [dev <dev>]` inside `ns`.
pub fn add_route(ns: &NetNs, dest: &str, via: &str, dev: Option<&str>) -> Result<()> {
    let mut args = vec!["route", "replace", dest, "via", via];
    if let Some(d) = dev {
        args.extend(["dev", d]);
    }
    ns.ip(&args).map(|_| ())
}
