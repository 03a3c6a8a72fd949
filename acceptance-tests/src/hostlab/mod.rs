//! Host lab: a disposable "ECS container host" on this machine.
//!
//! A [`Lab`] is a network namespace (`hostlab-<pid>-<n>`) holding Debian's
//! `dockerd` (own data root, exec root, socket, cgroup parent), a second
//! namespace with an instance-metadata stand-in on `169.254.169.254:80`
//! reached *through* the host namespace (forwarded, as on EC2), and two local
//! images built from Debian's static busybox: [`images::BUSYBOX_IMAGE`] and
//! [`images::AGENT_STANDIN_IMAGE`] (answers like ECS agent >= 1.26 on
//! `127.0.0.1:51679` inside its own netns).
//!
//! The host namespace has no uplink: only `lo`, the veth towards the
//! metadata stand-in and the bridges dockerd creates. Nothing the lab runs
//! can reach an address outside the namespaces it created.
//!
//! Teardown ([`Lab::shutdown`], also run by `Drop`) stops every process it
//! started by PID, kills what is left in the lab's cgroup parent, unmounts
//! and removes the lab directory and deletes the namespaces. Labs left by
//! crashed runs (owner PID gone) are swept when the next lab starts.
//!
//! Needs root, `ip`, `nsenter`, Debian `docker.io` (dockerd 20.10),
//! `iptables`, `busybox-static`, `python3` (the metadata stand-in); labs
//! with [`LabConfig::firewalld`] also `firewalld` and `dbus-daemon`.

use std::fmt;

pub mod agent_image;
pub mod agent_peers;
pub mod archive;
pub mod dockerd;
pub mod firewalld;
pub mod images;
pub mod imds;
pub mod lab;
pub mod netns;
pub mod relay;
pub mod sys;

pub use lab::{lab_or_skip, preflight, Lab, LabConfig, Timings, LAB_PREFIX};
pub use sys::CmdOutput;

/// The ECS credentials endpoint address the provider puts on `lo`.
pub const ECS_CREDENTIALS_ADDR: &str = "169.254.170.2";
/// The instance metadata address (served only by the lab's stand-in).
pub const IMDS_ADDR: &str = "169.254.169.254";

/// Error from the lab: a message with context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    /// New error from a message.
    pub fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// Result alias for the lab.
pub type Result<T> = std::result::Result<T, Error>;

/// Host command deleting both copies of the rendered IMDS block for
/// `docker0` (`DOCKER-USER` and `raw PREROUTING`, as
/// `ecshost::render::metadata_guard` writes them): a host whose guard a
/// rewrite took away.
pub const DELETE_IMDS_BLOCK: &str = "iptables -w -D DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP && iptables -w -t raw -D PREROUTING -i docker0 -d 169.254.169.254/32 -j DROP";

/// Host command emptying the task DNAT's chains (`nat` and `filter`
/// [`ecshost::render::task_dnat::CHAIN`]): tasks then take the
/// docker-proxy path until the start script writes them again.
pub fn flush_task_dnat() -> String {
    let chain = ecshost::render::task_dnat::CHAIN;
    format!("iptables -w -t nat -F {chain} && iptables -w -F {chain}")
}
