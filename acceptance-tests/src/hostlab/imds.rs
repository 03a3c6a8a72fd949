//! Instance-metadata stand-in.
//!
//! A second namespace `<lab>-imds` is joined to the lab's host namespace by a
//! veth pair (`imds0` in the host ns, `eth0` in the IMDS ns) with the link
//! pair [`HOST_LINK_ADDR`]/[`IMDS_LINK_ADDR`] (`169.254.254.0/30`).
//! `169.254.169.254/32` sits on the IMDS namespace's `lo`, and the host
//! namespace routes `169.254.169.254 via 169.254.254.2` — so metadata
//! traffic from bridge containers is *forwarded* by the host namespace, as
//! on EC2. busybox `httpd` answers on `169.254.169.254:80`.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::hostlab::netns::{self, NetNs};
use crate::hostlab::{images, sys, Error, Result, IMDS_ADDR};

/// Host side of the link (`imds0` in the lab's host namespace).
pub const HOST_LINK_ADDR: &str = "169.254.254.1";
/// IMDS side of the link (`eth0` in the IMDS namespace).
pub const IMDS_LINK_ADDR: &str = "169.254.254.2";
/// Interface name in the host namespace.
pub const HOST_IF: &str = "imds0";
/// Instance id served at `/latest/meta-data/instance-id`.
pub const INSTANCE_ID: &str = "i-0123456789abcdef0";
/// Region served at `/latest/meta-data/placement/region`.
pub const REGION: &str = "us-east-1";

/// The running stand-in.
#[derive(Debug)]
pub struct Imds {
    ns: NetNs,
    child: Option<Child>,
    docroot: PathBuf,
    log: PathBuf,
}

fn write(path: &Path, content: &str) -> Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)
            .map_err(|e| Error::new(format!("mkdir {}: {e}", d.display())))?;
    }
    std::fs::write(path, content).map_err(|e| Error::new(format!("write {}: {e}", path.display())))
}

impl Imds {
    /// Create namespace `ns_name`, wire it to `host`, start httpd; wait until
    /// it answers (from inside its own namespace).
    pub fn start(host: &NetNs, ns_name: &str, dir: &Path) -> Result<Imds> {
        let ns = NetNs::create(ns_name)?;
        let mut imds = Imds {
            ns,
            child: None,
            docroot: dir.join("imds-www"),
            log: dir.join("imds-httpd.log"),
        };
        imds.wire(host)?;
        imds.serve()?;
        Ok(imds)
    }

    fn wire(&self, host: &NetNs) -> Result<()> {
        netns::veth_pair(host, HOST_IF, &self.ns, "eth0")?;
        netns::add_addr(host, HOST_IF, &format!("{HOST_LINK_ADDR}/30"))?;
        netns::add_addr(&self.ns, "eth0", &format!("{IMDS_LINK_ADDR}/30"))?;
        netns::add_addr(&self.ns, "lo", &format!("{IMDS_ADDR}/32"))?;
        netns::add_route(&self.ns, "default", HOST_LINK_ADDR, Some("eth0"))?;
        netns::add_route(
            host,
            &format!("{IMDS_ADDR}/32"),
            IMDS_LINK_ADDR,
            Some(HOST_IF),
        )?;
        host.sysctl("net.ipv4.ip_forward", "1")?;
        Ok(())
    }

    fn serve(&mut self) -> Result<()> {
        let md = self.docroot.join("latest/meta-data");
        write(&md.join("instance-id"), INSTANCE_ID)?;
        write(&md.join("placement/region"), REGION)?;
        write(&md.join("local-ipv4"), HOST_LINK_ADDR)?;
        write(
            &self
                .docroot
                .join("latest/dynamic/instance-identity/document"),
            &format!(
                r#"{{"instanceId":"{INSTANCE_ID}","region":"{REGION}","accountId":"000000000000","availabilityZone":"{REGION}a"}}"#
            ),
        )?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| Error::new(format!("open imds log: {e}")))?;
        let log2 = log
            .try_clone()
            .map_err(|e| Error::new(format!("dup: {e}")))?;
        let mut c = self.ns.command(images::busybox_path()?)?;
        c.args(["httpd", "-f", "-vv", "-p", &format!("{IMDS_ADDR}:80"), "-h"])
            .arg(&self.docroot)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        self.child = Some(
            c.spawn()
                .map_err(|e| Error::new(format!("spawn imds httpd: {e}")))?,
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let probe =
            format!("timeout 2 busybox wget -qO- http://{IMDS_ADDR}/latest/meta-data/instance-id");
        loop {
            let out = self.ns.sh(&probe, Duration::from_secs(5))?;
            if out.success() && out.stdout.trim() == INSTANCE_ID {
                return Ok(());
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(Child::try_wait) {
                return Err(Error::new(format!("imds httpd exited: {st}")));
            }
            if Instant::now() >= deadline {
                return Err(Error::new(format!("imds stand-in not answering: {out}")));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The stand-in's namespace.
    pub fn netns(&self) -> &NetNs {
        &self.ns
    }

    /// httpd PID.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// httpd's request log (`-vv`): one line per request with the client address.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stop httpd by PID and delete the namespace (its veth goes with it).
    pub fn stop(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            sys::stop_child(&mut c, Duration::from_secs(5));
        }
        self.ns.delete()
    }
}

impl Drop for Imds {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
