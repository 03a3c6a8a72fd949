//! Legacy CoreOS/Flatcar cloud-config (`coreos.units`), the gist's own form.
//!
//! coreos-cloudinit (maintained by Flatcar in maintenance mode) processes this
//! on **every** boot, and for `.network` units restarts systemd-networkd instead
//! of running a `command` (flatcar/coreos-cloudinit
//! `Documentation/cloud-config.md`, "units"). The header must be `#cloud-config`.

use serde::Serialize;

use super::{networkd, LoopbackInput};

/// The unit name; networkd orders `.network` files by name, hence `00-`.
pub const UNIT_NAME: &str = "00-ecs-loopback.network";

/// `write_files` entry understood by coreos-cloudinit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct WriteFile {
    pub(crate) path: String,
    pub(crate) permissions: String,
    pub(crate) owner: String,
    pub(crate) content: String,
    /// `gzip+base64` for a packed file (coreos-cloudinit decodes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) encoding: Option<String>,
}

/// `coreos.units` entry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Unit {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) enable: Option<bool>,
    pub(crate) content: String,
}

#[derive(Serialize)]
struct Coreos<'a> {
    units: &'a [Unit],
}

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(skip_serializing_if = "<[WriteFile]>::is_empty")]
    write_files: &'a [WriteFile],
    coreos: Coreos<'a>,
}

/// Serializes a `#cloud-config` document for coreos-cloudinit.
pub(crate) fn document(write_files: &[WriteFile], units: &[Unit]) -> String {
    let doc = Doc {
        write_files,
        coreos: Coreos { units },
    };
    let yaml = serde_norway::to_string(&doc).expect("plain structs always serialize");
    format!("#cloud-config\n{yaml}")
}

/// The cloud-config adding the loopback `.network` unit.
pub fn render(input: &LoopbackInput) -> String {
    document(
        &[],
        &[Unit {
            name: UNIT_NAME.to_owned(),
            command: None,
            enable: None,
            content: networkd::render(input),
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn golden_default() {
        consumer_tools::golden(
            "loopback/coreos_cloud_config.yaml",
            &render(&LoopbackInput::default()),
        );
    }

    #[test]
    fn yaml_round_trip() {
        let out = render(&LoopbackInput::default());
        assert!(out.starts_with("#cloud-config\n"));
        let v: serde_json::Value = serde_norway::from_str(&out).unwrap();
        let unit = &v["coreos"]["units"][0];
        assert_eq!(unit["name"], UNIT_NAME);
        assert_eq!(unit["content"], networkd::render(&LoopbackInput::default()));
    }
}
