//! cloud-init `#cloud-config` (Ubuntu, Debian, AL2, RHEL, ...).
//!
//! `bootcmd` runs early on **every** boot (before `network-online.target`, so
//! before docker.service), which both applies the alias on first boot and keeps
//! it across reboots; `ip addr replace` makes re-runs harmless (ip-address(8)).
//! `write_files` adds the networkd unit so hosts whose networkd manages `lo`
//! keep the address too. User-data `network:` keys are not honoured by cloud-init
//! on EC2, hence no network config here (cloud-init's "Network
//! configuration" docs: network config comes from the datasource, never
//! from user data).

use serde::Serialize;

use super::{networkd, LoopbackInput};

#[derive(Serialize)]
struct WriteFile {
    path: &'static str,
    owner: &'static str,
    permissions: &'static str,
    content: String,
}

#[derive(Serialize)]
struct Doc {
    bootcmd: Vec<Vec<String>>,
    write_files: Vec<WriteFile>,
}

/// The cloud-config document.
pub fn render(input: &LoopbackInput) -> String {
    let doc = Doc {
        bootcmd: vec![
            ["ip", "link", "set", input.device.as_str(), "up"]
                .map(String::from)
                .to_vec(),
            vec![
                "ip".into(),
                "addr".into(),
                "replace".into(),
                format!("{}/32", input.bare_address()),
                "dev".into(),
                input.device.clone(),
            ],
        ],
        write_files: vec![WriteFile {
            path: networkd::PATH,
            owner: "root:root",
            permissions: "0644",
            content: networkd::render(input),
        }],
    };
    let yaml = serde_norway::to_string(&doc).expect("plain structs always serialize");
    format!("#cloud-config\n{yaml}")
}

/// How our part merges into cloud-config parts before it: lists appended,
/// keys they set kept. cloud-init merges each `text/cloud-config` part into
/// what the parts before it built, with the merge rules of the *incoming*
/// part, and its default (`dict(replace)+list()+str()`,
/// `cloudinit/handlers/cloud_config.py`) lets a later part's `bootcmd` or
/// `write_files` replace ours wholesale (cloud-init docs, "Merging user
/// data sections").
pub const MERGE_HOW: &str = "list(append)+dict(no_replace,recurse_list)+str()";

/// [`render`] for a part placed after the user's cloud-config parts: the
/// same document with [`MERGE_HOW`], so theirs and ours both hold.
pub fn render_merging(input: &LoopbackInput) -> String {
    let doc = render(input);
    let body = doc
        .strip_prefix("#cloud-config\n")
        .expect("render starts with the header");
    format!("#cloud-config\nmerge_how: '{MERGE_HOW}'\n{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn golden_default() {
        consumer_tools::golden(
            "loopback/cloud_init.yaml",
            &render(&LoopbackInput::default()),
        );
    }

    #[test]
    fn cloud_init_schema_accepts() {
        for input in [
            LoopbackInput::default(),
            LoopbackInput {
                address: "10.9.8.7".into(),
                allow_custom_address: true,
                ..Default::default()
            },
        ] {
            consumer_tools::cloud_init_schema(&render(&input));
            consumer_tools::cloud_init_schema(&render_merging(&input));
        }
    }

    #[test]
    fn bootcmd_is_idempotent_replace() {
        let v: serde_json::Value =
            serde_norway::from_str(&render(&LoopbackInput::default())).unwrap();
        assert_eq!(
            v["bootcmd"][1],
            serde_json::json!(["ip", "addr", "replace", "169.254.170.2/32", "dev", "lo"])
        );
    }
}
