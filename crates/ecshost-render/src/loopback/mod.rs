//! The credentials address (`169.254.170.2/32`) on `lo`, in each host's own
//! network configuration language.
//!
//! Why on `lo` and not a DNAT: a packet from a bridge container to an address on
//! `lo` is plain local delivery, so no `route_localnet` is needed on the host,
//! and Docker can publish the agent on `169.254.170.2:80`.
//! The address must exist **before** Docker publishes the port, on every boot,
//! or the agent container fails with "cannot assign requested address" (both
//! shown in the host lab: `docs/guides/how-it-works.md`, "What the lab proved"),
//! so every format here is one the host applies early at boot.
//!
//! One submodule per format; each exposes `render(&LoopbackInput, ...) -> String`
//! and is only called after [`LoopbackInput::validate`] found no error.

pub mod cloud_init;
pub mod coreos_cloud_config;
pub mod ifupdown;
pub mod ignition;
pub mod netplan;
pub mod network_manager;
pub mod networkd;
pub mod shell;

use std::net::Ipv4Addr;

use super::problem::{Problem, RenderError};
use super::CREDENTIALS_ADDRESS;

/// The network configuration language of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoopbackFormat {
    /// systemd-networkd `.network` unit (Flatcar, AL2023, Debian/Ubuntu with networkd).
    Networkd,
    /// Ignition spec 3.x JSON writing the networkd unit (Flatcar).
    Ignition,
    /// Legacy CoreOS/Flatcar cloud-config with `coreos.units`.
    CoreosCloudConfig,
    /// cloud-init `#cloud-config` (Ubuntu, Debian, AL2, RHEL, ...).
    CloudInit,
    /// Debian ifupdown `/etc/network/interfaces` stanza.
    Ifupdown,
    /// netplan YAML (Ubuntu).
    Netplan,
    /// NetworkManager keyfile, `type=loopback` (needs NetworkManager >= 1.42).
    NetworkManager,
    /// Idempotent POSIX sh script.
    Shell,
}

impl LoopbackFormat {
    /// Every format, in a stable order.
    pub const ALL: [LoopbackFormat; 8] = [
        LoopbackFormat::Networkd,
        LoopbackFormat::Ignition,
        LoopbackFormat::CoreosCloudConfig,
        LoopbackFormat::CloudInit,
        LoopbackFormat::Ifupdown,
        LoopbackFormat::Netplan,
        LoopbackFormat::NetworkManager,
        LoopbackFormat::Shell,
    ];

    /// The Terraform attribute value naming this format.
    pub fn as_str(self) -> &'static str {
        match self {
            LoopbackFormat::Networkd => "networkd",
            LoopbackFormat::Ignition => "ignition",
            LoopbackFormat::CoreosCloudConfig => "coreos_cloud_config",
            LoopbackFormat::CloudInit => "cloud_init",
            LoopbackFormat::Ifupdown => "ifupdown",
            LoopbackFormat::Netplan => "netplan",
            LoopbackFormat::NetworkManager => "networkmanager",
            LoopbackFormat::Shell => "shell",
        }
    }

    /// The inverse of [`LoopbackFormat::as_str`]; `None` for unknown names.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Terraform attributes of the loopback renderer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackInput {
    /// The address to put on the device; `169.254.170.2` (a trailing `/32` is accepted).
    pub address: String,
    /// The device, `lo` unless the user knows better.
    pub device: String,
    /// Allow an address other than `169.254.170.2` (e.g. a lab). Off by default
    /// because every SDK hard-codes `169.254.170.2`.
    pub allow_custom_address: bool,
}

impl Default for LoopbackInput {
    fn default() -> Self {
        Self {
            address: CREDENTIALS_ADDRESS.to_owned(),
            device: "lo".to_owned(),
            allow_custom_address: false,
        }
    }
}

impl LoopbackInput {
    /// Problems with the input, independent of the output format.
    pub fn validate(&self) -> Vec<Problem> {
        let mut out = validate_address("address", &self.address, self.allow_custom_address);
        out.extend(validate_device("device", &self.device));
        out
    }

    /// The address without a `/32` suffix. Only meaningful after `validate`.
    pub fn bare_address(&self) -> &str {
        bare(&self.address)
    }

    /// True when the device is the loopback device.
    pub(crate) fn is_lo(&self) -> bool {
        self.device == "lo"
    }
}

fn bare(address: &str) -> &str {
    address.trim().strip_suffix("/32").unwrap_or(address.trim())
}

/// Validates a credentials address given in attribute `attribute`. Shared with
/// `agent` (attribute `credentials_address`).
pub(crate) fn validate_address(
    attribute: &'static str,
    address: &str,
    allow_custom: bool,
) -> Vec<Problem> {
    let trimmed = address.trim();
    if trimmed != address {
        return vec![Problem::error(
            attribute,
            "Address has surrounding whitespace",
            format!("Write {trimmed:?} without spaces or newlines."),
        )];
    }
    if let Some((ip, prefix)) = address.split_once('/') {
        if prefix != "32" {
            return vec![Problem::error(
                attribute,
                "Only /32 is supported",
                format!(
                    "The credentials endpoint is a single address; got prefix /{prefix}. \
                     Write {ip:?} (the provider adds /32)."
                ),
            )];
        }
    }
    let ip_text = bare(address);
    let ip: Ipv4Addr = match ip_text.parse() {
        Ok(ip) => ip,
        Err(_) => {
            let mut p = Problem::error(
                attribute,
                "Invalid IPv4 address",
                format!(
                    "{ip_text:?} is not a dotted-quad IPv4 address such as {CREDENTIALS_ADDRESS}."
                ),
            );
            if near_miss(ip_text) {
                p.summary = format!("Invalid IPv4 address; did you mean {CREDENTIALS_ADDRESS}?");
            }
            return vec![p];
        }
    };
    if ip_text == CREDENTIALS_ADDRESS {
        return vec![];
    }
    if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip_text == super::IMDS_ADDRESS
    {
        return vec![Problem::error(
            attribute,
            "Address cannot be used for the credentials endpoint",
            format!("{ip_text} is unspecified, broadcast, multicast or the IMDS address."),
        )];
    }
    let near = near_miss(ip_text);
    match (allow_custom, near) {
        (false, true) => vec![Problem::error(
            attribute,
            format!("Did you mean {CREDENTIALS_ADDRESS}?"),
            format!(
                "{ip_text} is one typo away from {CREDENTIALS_ADDRESS}, the only address AWS SDKs use \
                 for task credentials (the 2017 gist's Debian example had exactly such a typo, and \
                 ifup applies it silently). Set allow_custom_address = true if this is intended."
            ),
        )],
        (false, false) => vec![Problem::error(
            attribute,
            format!("Address must be {CREDENTIALS_ADDRESS}"),
            format!(
                "AWS SDKs fetch task credentials only from {CREDENTIALS_ADDRESS}; {ip_text} would not be \
                 used. Set allow_custom_address = true for labs or custom SDK endpoints."
            ),
        )],
        (true, true) => vec![Problem::warning(
            attribute,
            format!("Did you mean {CREDENTIALS_ADDRESS}?"),
            format!("{ip_text} is one typo away from {CREDENTIALS_ADDRESS}; allowed by allow_custom_address."),
        )],
        (true, false) => vec![],
    }
}

/// True when `candidate` looks like a mistyped `169.254.170.2`: edit distance at
/// most 2, or exactly one octet different.
fn near_miss(candidate: &str) -> bool {
    if candidate == CREDENTIALS_ADDRESS {
        return false;
    }
    if edit_distance(candidate, CREDENTIALS_ADDRESS) <= 2 {
        return true;
    }
    let a: Vec<&str> = candidate.split('.').collect();
    let b: Vec<&str> = CREDENTIALS_ADDRESS.split('.').collect();
    a.len() == 4 && a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1
}

/// Levenshtein distance over bytes (inputs are ASCII addresses; bounded length).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > 64 {
        return usize::MAX;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Linux interface names: 1–15 bytes, no `/`, `:` or whitespace. We also keep
/// to `[A-Za-z0-9_.-]` so the name is safe in ini files, YAML and shell.
pub(crate) fn validate_device(attribute: &'static str, device: &str) -> Vec<Problem> {
    let ok_chars = device
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if device.is_empty() || device.len() > 15 || !ok_chars || device == "." || device == ".." {
        return vec![Problem::error(
            attribute,
            "Invalid device name",
            format!(
                "{device:?} is not a Linux interface name: use 1-15 characters from A-Z, a-z, 0-9, '_', '.', '-' (normally \"lo\")."
            ),
        )];
    }
    if device != "lo" {
        return vec![Problem::warning(
            attribute,
            "Device is not lo",
            format!(
                "The address is meant for the loopback device; {device:?} must exist before docker.service starts, on every boot."
            ),
        )];
    }
    vec![]
}

/// One rendered loopback configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackConfig {
    /// The format rendered.
    pub format: LoopbackFormat,
    /// The file content (or script, or user data document).
    pub content: String,
    /// Where the content belongs on the host; `None` for user-data documents
    /// (Ignition, cloud-config) that are passed as user data rather than written.
    pub path: Option<String>,
    /// File mode for `path` (e.g. `0o600` for netplan and NetworkManager).
    pub mode: Option<u32>,
    /// Notes for the user (requirements such as NetworkManager >= 1.42).
    pub notes: Vec<String>,
}

/// Renders the loopback configuration in `format`. `ignition_version` is used
/// only by [`LoopbackFormat::Ignition`] (default [`ignition::DEFAULT_VERSION`]).
pub fn render(
    format: LoopbackFormat,
    input: &LoopbackInput,
    ignition_version: &str,
) -> Result<LoopbackConfig, RenderError> {
    let mut problems = input.validate();
    if format == LoopbackFormat::Ignition {
        problems.extend(ignition::validate_version(ignition_version));
    }
    if format == LoopbackFormat::NetworkManager && input.device != "lo" && !input.device.is_empty()
    {
        problems.push(Problem::error(
            "device",
            "NetworkManager loopback profiles only apply to lo",
            "type=loopback connections can only manage the lo device.",
        ));
    }
    RenderError::check(problems)?;
    let (content, path, mode, notes) = match format {
        LoopbackFormat::Networkd => (
            networkd::render(input),
            Some(networkd::PATH.to_owned()),
            Some(0o644),
            vec![networkd::NOTE.to_owned()],
        ),
        LoopbackFormat::Ignition => (
            ignition::render(input, ignition_version),
            None,
            None,
            vec![ignition::NOTE.to_owned()],
        ),
        LoopbackFormat::CoreosCloudConfig => {
            (coreos_cloud_config::render(input), None, None, vec![])
        }
        LoopbackFormat::CloudInit => (cloud_init::render(input), None, None, vec![]),
        LoopbackFormat::Ifupdown => (
            ifupdown::render(input),
            Some(ifupdown::PATH.to_owned()),
            Some(0o644),
            vec![ifupdown::NOTE.to_owned()],
        ),
        LoopbackFormat::Netplan => (
            netplan::render(input),
            Some(netplan::PATH.to_owned()),
            Some(0o600),
            vec![netplan::NOTE.to_owned()],
        ),
        LoopbackFormat::NetworkManager => (
            network_manager::render(input),
            Some(network_manager::PATH.to_owned()),
            Some(0o600),
            vec![network_manager::NOTE.to_owned()],
        ),
        LoopbackFormat::Shell => (
            shell::render(input),
            Some(shell::PATH.to_owned()),
            Some(0o755),
            vec![],
        ),
    };
    Ok(LoopbackConfig {
        format,
        content,
        path,
        mode,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Severity;

    fn input(address: &str, device: &str, allow: bool) -> LoopbackInput {
        LoopbackInput {
            address: address.into(),
            device: device.into(),
            allow_custom_address: allow,
        }
    }

    #[test]
    fn format_names_round_trip() {
        for f in LoopbackFormat::ALL {
            assert_eq!(LoopbackFormat::parse(f.as_str()), Some(f));
        }
        assert_eq!(LoopbackFormat::parse("NetworkManager"), None);
        assert_eq!(LoopbackFormat::parse(""), None);
    }

    /// (name, address, device, allow_custom, expected [(severity, attribute, summary contains)])
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        bool,
        &'static [(Severity, &'static str, &'static str)],
    );
    const CASES: &[Case] = &[
        ("default", "169.254.170.2", "lo", false, &[]),
        ("explicit /32", "169.254.170.2/32", "lo", false, &[]),
        (
            "gist typo",
            "169.254.70.2",
            "lo",
            false,
            &[(Severity::Error, "address", "did you mean")],
        ),
        (
            "extra digit",
            "169.254.170.20",
            "lo",
            false,
            &[(Severity::Error, "address", "did you mean")],
        ),
        (
            "dropped digit",
            "169.254.17.2",
            "lo",
            false,
            &[(Severity::Error, "address", "did you mean")],
        ),
        (
            "one octet",
            "169.254.171.9",
            "lo",
            false,
            &[(Severity::Error, "address", "did you mean")],
        ),
        (
            "typo allowed",
            "169.254.70.2",
            "lo",
            true,
            &[(Severity::Warning, "address", "did you mean")],
        ),
        (
            "other",
            "10.0.0.1",
            "lo",
            false,
            &[(Severity::Error, "address", "must be")],
        ),
        ("other allowed", "10.0.0.1", "lo", true, &[]),
        (
            "/24",
            "169.254.170.2/24",
            "lo",
            false,
            &[(Severity::Error, "address", "only /32")],
        ),
        (
            "netmask",
            "169.254.170.2/255.255.255.255",
            "lo",
            false,
            &[(Severity::Error, "address", "only /32")],
        ),
        (
            "not ipv4",
            "169.254.170",
            "lo",
            false,
            &[(Severity::Error, "address", "invalid ipv4")],
        ),
        (
            "garbage",
            "localhost",
            "lo",
            true,
            &[(Severity::Error, "address", "invalid ipv4")],
        ),
        (
            "leading zero",
            "169.254.170.02",
            "lo",
            false,
            &[(Severity::Error, "address", "invalid ipv4")],
        ),
        (
            "ipv6",
            "fd00:ec2::254",
            "lo",
            true,
            &[(Severity::Error, "address", "invalid ipv4")],
        ),
        (
            "space",
            " 169.254.170.2",
            "lo",
            false,
            &[(Severity::Error, "address", "whitespace")],
        ),
        (
            "imds",
            "169.254.169.254",
            "lo",
            true,
            &[(Severity::Error, "address", "cannot be used")],
        ),
        (
            "unspecified",
            "0.0.0.0",
            "lo",
            true,
            &[(Severity::Error, "address", "cannot be used")],
        ),
        (
            "empty device",
            "169.254.170.2",
            "",
            false,
            &[(Severity::Error, "device", "invalid device")],
        ),
        (
            "long device",
            "169.254.170.2",
            "abcdefghijklmnop",
            false,
            &[(Severity::Error, "device", "invalid device")],
        ),
        (
            "slash device",
            "169.254.170.2",
            "lo/1",
            false,
            &[(Severity::Error, "device", "invalid device")],
        ),
        (
            "alias label",
            "169.254.170.2",
            "lo:1",
            false,
            &[(Severity::Error, "device", "invalid device")],
        ),
        (
            "dummy device",
            "169.254.170.2",
            "dummy0",
            false,
            &[(Severity::Warning, "device", "not lo")],
        ),
    ];

    #[test]
    fn validate_table() {
        for (name, address, device, allow, want) in CASES {
            let got = input(address, device, *allow).validate();
            assert_eq!(got.len(), want.len(), "{name}: {got:?}");
            for (p, (sev, attr, summary)) in got.iter().zip(want.iter()) {
                assert_eq!(p.severity, *sev, "{name}");
                assert_eq!(p.attribute, *attr, "{name}");
                assert!(
                    p.summary.to_lowercase().contains(summary),
                    "{name}: {:?} lacks {summary:?}",
                    p.summary
                );
            }
        }
    }

    #[test]
    fn render_every_format_default_and_custom() {
        for f in LoopbackFormat::ALL {
            for inp in [LoopbackInput::default(), input("10.1.2.3/32", "lo", true)] {
                let cfg = render(f, &inp, ignition::DEFAULT_VERSION).unwrap();
                assert_eq!(cfg.format, f);
                let want = format!("{}/32", inp.bare_address());
                let found = cfg.content.contains(&want)
                    || (f == LoopbackFormat::Ignition
                        && cfg.content.contains(&want.replace('/', "%2F")));
                assert!(found, "{f:?} lacks {want}: {}", cfg.content);
                assert_eq!(
                    cfg,
                    render(f, &inp, ignition::DEFAULT_VERSION).unwrap(),
                    "deterministic"
                );
            }
        }
    }

    #[test]
    fn render_rejects_bad_input_in_every_format() {
        for f in LoopbackFormat::ALL {
            let err = render(f, &input("169.254.70.2", "lo", false), "3.3.0").unwrap_err();
            assert_eq!(err.problems[0].attribute, "address", "{f:?}");
        }
    }

    #[test]
    fn network_manager_requires_lo() {
        let err = render(
            LoopbackFormat::NetworkManager,
            &input("169.254.170.2", "dummy0", false),
            "",
        )
        .unwrap_err();
        assert!(err
            .problems
            .iter()
            .any(|p| p.is_error() && p.attribute == "device"));
    }

    #[test]
    fn modes_and_paths() {
        let cases = [
            (LoopbackFormat::Netplan, Some(0o600)),
            (LoopbackFormat::NetworkManager, Some(0o600)),
            (LoopbackFormat::Networkd, Some(0o644)),
            (LoopbackFormat::Shell, Some(0o755)),
            (LoopbackFormat::Ignition, None),
        ];
        for (f, mode) in cases {
            let cfg = render(f, &LoopbackInput::default(), "3.3.0").unwrap();
            assert_eq!(cfg.mode, mode, "{f:?}");
            assert_eq!(cfg.path.is_some(), mode.is_some(), "{f:?}");
        }
    }
}
