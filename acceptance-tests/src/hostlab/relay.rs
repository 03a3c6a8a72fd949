//! A TCP relay from inside a lab namespace to a server on this machine's
//! `127.0.0.1`, so a process in the lab (the real ECS agent) reaches moto
//! and the ACS endpoint the harness runs in the test's own namespace.
//!
//! Two `socat` processes (Debian's `socat`) joined by a Unix socket in the
//! lab directory: the namespaces share the filesystem, not their network,
//! so nothing is routed between them and no address of this machine's own
//! namespace is exposed to the lab. Traffic stays on this machine:
//! `listen_addr` is an address of a namespace the lab created, the target is
//! loopback.
//!
//! ```text
//! [lab netns] socat TCP-LISTEN:<port>,bind=<listen_addr>,fork  UNIX-CONNECT:<sock>
//! [this netns] socat UNIX-LISTEN:<sock>,fork                    TCP:127.0.0.1:<port>
//! ```

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::hostlab::netns::NetNs;
use crate::hostlab::{sys, Error, Result};

/// A running relay; stopped (both processes, the socket) on drop.
#[derive(Debug)]
pub struct Relay {
    children: Vec<Child>,
    sock: PathBuf,
}

impl Relay {
    /// `listen_addr:port` inside `ns` → `127.0.0.1:port` here. Waits until
    /// the lab side accepts a connection (bounded: 10 s).
    pub fn start(ns: &NetNs, listen_addr: &str, port: u16, dir: &Path) -> Result<Relay> {
        let sock = dir.join(format!("relay-{port}.sock"));
        let _ = std::fs::remove_file(&sock);
        let mut relay = Relay {
            children: Vec::new(),
            sock: sock.clone(),
        };
        let mut here = sys::command("socat")?;
        here.arg(format!("UNIX-LISTEN:{},fork", sock.display()))
            .arg(format!("TCP:127.0.0.1:{port}"));
        relay.children.push(spawn(here, "socat (local side)")?);
        let t0 = Instant::now();
        while !sock.exists() {
            if t0.elapsed() > Duration::from_secs(10) {
                return Err(Error::new(format!(
                    "relay socket {} never appeared",
                    sock.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut there = ns.command(sys::tool("socat")?)?;
        there
            .env_clear()
            .env("PATH", sys::TOOL_PATH)
            .arg(format!(
                "TCP-LISTEN:{port},bind={listen_addr},fork,reuseaddr"
            ))
            .arg(format!("UNIX-CONNECT:{}", sock.display()));
        relay.children.push(spawn(there, "socat (lab side)")?);
        let probe = format!(
            "python3 -c 'import socket; socket.create_connection((\"{listen_addr}\", {port}), 2).close()'"
        );
        loop {
            let out = ns.sh(&probe, Duration::from_secs(5))?;
            if out.success() {
                return Ok(relay);
            }
            if t0.elapsed() > Duration::from_secs(10) {
                return Err(Error::new(format!(
                    "relay {listen_addr}:{port} not accepting: {out}"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn spawn(mut c: std::process::Command, what: &str) -> Result<Child> {
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::new(format!("spawn {what}: {e}")))
}

impl Drop for Relay {
    fn drop(&mut self) {
        for c in self.children.iter_mut().rev() {
            sys::stop_child(c, Duration::from_secs(2));
        }
        let _ = std::fs::remove_file(&self.sock);
    }
}
