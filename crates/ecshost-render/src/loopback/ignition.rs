//! Ignition spec 3.x JSON that writes the networkd unit (Flatcar).
//!
//! Ignition 3.x has no `networkd` section (that was spec 2.x), so the unit is a
//! plain `storage.files` entry with a data URL (Ignition's
//! configuration specification v3.x, coreos/ignition `docs/configuration-v3_3.md`). `mode` is a decimal
//! integer; Ignition rejects strings such as `"0644"`.
//!
//! The spec version is configurable because an image's Ignition refuses configs
//! newer than it knows ("unsupported config version" bricks the first boot:
//! poseidon/terraform-provider-ct#159). The default, 3.3.0, is understood by
//! Ignition >= 2.14 (Flatcar stable since 2022, Fedora CoreOS 35+), while 3.4.0
//! needs Ignition >= 2.15 (the Debian 12 `ignition-validate` 2.14 rejects it).

use serde_json::{json, Value};

use super::{networkd, LoopbackInput};
use crate::problem::Problem;

/// Default Ignition spec version (see module docs for why not the newest).
pub const DEFAULT_VERSION: &str = "3.3.0";

/// Spec versions this renderer emits (all are structurally identical for the
/// fields used here: `storage.files` and `systemd.units`).
pub const SUPPORTED_VERSIONS: [&str; 5] = ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0"];

/// Shown to the user with the rendered config.
pub const NOTE: &str = "Pass as user data; Ignition runs once at first boot and does not gunzip \
user data on AWS. Pin the spec version to what the image's Ignition supports.";

/// Problem when `version` is not a supported spec version (attribute `ignition_version`).
pub fn validate_version(version: &str) -> Option<Problem> {
    if SUPPORTED_VERSIONS.contains(&version) {
        return None;
    }
    Some(Problem::error(
        "ignition_version",
        "Unsupported Ignition spec version",
        format!(
            "{version:?} is not one of {}; experimental specs are not rendered. \
             Use the newest version the image's Ignition supports (default {DEFAULT_VERSION}).",
            SUPPORTED_VERSIONS.join(", ")
        ),
    ))
}

/// A file written by Ignition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File<'a> {
    pub(crate) path: &'a str,
    pub(crate) mode: u32,
    pub(crate) contents: &'a str,
}

/// A systemd unit installed (and optionally enabled) by Ignition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unit<'a> {
    pub(crate) name: &'a str,
    pub(crate) enabled: bool,
    pub(crate) contents: &'a str,
}

/// Builds an Ignition config value; serialized with serde_json by callers.
/// Each file's contents in the smallest data URL ([`smallest_source`]).
pub(crate) fn config(version: &str, files: &[File<'_>], units: &[Unit<'_>]) -> Value {
    config_with(version, files, units, smallest_source)
}

/// [`config`] with each file's contents as a plain (percent-encoded) data
/// URL: for a config that travels compressed as a whole inside its parent's
/// `config.merge` (see `user_data`), where compressing each file again
/// would only cost bytes.
pub(crate) fn config_plain(version: &str, files: &[File<'_>], units: &[Unit<'_>]) -> Value {
    config_with(version, files, units, |c| (data_url(c), false))
}

fn config_with(
    version: &str,
    files: &[File<'_>],
    units: &[Unit<'_>],
    source_of: impl Fn(&str) -> (String, bool),
) -> Value {
    let files: Vec<Value> = files
        .iter()
        .map(|f| {
            let (source, gzip) = source_of(f.contents);
            let mut contents = json!({ "source": source });
            if gzip {
                contents["compression"] = json!("gzip");
            }
            json!({
                "path": f.path,
                "mode": f.mode,
                "overwrite": true,
                "contents": contents,
            })
        })
        .collect();
    let mut root = json!({
        "ignition": { "version": version },
        "storage": { "files": files },
    });
    if !units.is_empty() {
        let units: Vec<Value> = units
            .iter()
            .map(|u| json!({ "name": u.name, "enabled": u.enabled, "contents": u.contents }))
            .collect();
        root["systemd"] = json!({ "units": units });
    }
    root
}

/// RFC 2397 data URL with percent-encoding of everything but RFC 3986 unreserved
/// characters (`data:,<escaped>`), the form measured valid with ignition-validate.
pub(crate) fn data_url(contents: &str) -> String {
    let mut out = String::with_capacity(contents.len() * 2 + 6);
    out.push_str("data:,");
    for b in contents.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The smallest of the percent-encoded, base64 and gzip+base64 data URLs (as
/// Butane does), so scripts fit in EC2's 16 KiB; `true` when gzip was chosen
/// (`contents.compression: "gzip"`, supported since spec 3.0.0). Deterministic
/// ([`crate::gzip`]).
pub(crate) fn smallest_source(contents: &str) -> (String, bool) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let plain = data_url(contents);
    let based = format!("data:;base64,{}", b64.encode(contents));
    let gz = crate::gzip(contents.as_bytes());
    let gzipped = format!("data:;base64,{}", b64.encode(gz));
    if gzipped.len() < plain.len().min(based.len()) {
        (gzipped, true)
    } else if based.len() < plain.len() {
        (based, false)
    } else {
        (plain, false)
    }
}

/// MIME type of an extra part holding an Ignition config of the user's
/// (the type Ignition's own documentation gives configs,
/// coreos/ignition `docs/supported-platforms.md`).
pub const CONFIG_TYPE: &str = "application/vnd.coreos.ignition+json";

/// Whether the provider's own config travels as one gzipped
/// `ignition.config.merge` child ([`merge_resource`]) at this spec version:
/// from 3.1.0 on, where `ignition.config` resources take `compression`.
/// At 3.0.0 each file is compressed on its own ([`config`]).
pub(crate) fn packs_whole_config(version: &str) -> bool {
    version != "3.0.0"
}

/// An `ignition.config.merge` entry carrying `config` in a data URL: the
/// smallest of the three encodings, gzip only from spec 3.1.0 on (where
/// resources of `ignition.config` gained `compression`; 3.0.0 has it for
/// files only — coreos/ignition `docs/configuration-v3_1.md`, "compression").
pub(crate) fn merge_resource(config: &str, version: &str) -> Value {
    let (source, gzip) = smallest_source(config);
    if gzip && packs_whole_config(version) {
        return json!({ "source": source, "compression": "gzip" });
    }
    use base64::Engine;
    let plain = data_url(config);
    let based = format!(
        "data:;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(config)
    );
    json!({ "source": if based.len() < plain.len() { based } else { plain } })
}

/// The Ignition config writing the networkd loopback unit.
pub fn render(input: &LoopbackInput, version: &str) -> String {
    let unit = networkd::render(input);
    let value = config(
        version,
        &[File {
            path: networkd::PATH,
            mode: 0o644,
            contents: &unit,
        }],
        &[],
    );
    let mut s = serde_json::to_string(&value).expect("a json! value always serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools;

    #[test]
    fn version_table() {
        let cases = [
            ("3.0.0", true),
            ("3.3.0", true),
            ("3.4.0", true),
            ("3.5.0", false),
            ("3.4.0-experimental", false),
            ("2.3.0", false),
            ("", false),
            ("3.3", false),
        ];
        for (v, ok) in cases {
            assert_eq!(validate_version(v).is_none(), ok, "{v}");
        }
    }

    #[test]
    fn data_url_matches_measured_example() {
        assert_eq!(
            data_url("[Match]\nName=lo\n"),
            "data:,%5BMatch%5D%0AName%3Dlo%0A"
        );
    }

    #[test]
    fn smallest_source_round_trips() {
        use base64::Engine;
        use std::io::Read;
        let big = "#!/bin/sh\n".to_owned() + &"echo hello world\n".repeat(200);
        for (text, want_gzip) in [("[Match]\nName=lo\n", false), (big.as_str(), true)] {
            let (src, gz) = smallest_source(text);
            assert_eq!(gz, want_gzip);
            if gz {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(src.strip_prefix("data:;base64,").unwrap())
                    .unwrap();
                let mut out = String::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_string(&mut out)
                    .unwrap();
                assert_eq!(out, text);
            }
        }
    }

    #[test]
    fn structure_and_decimal_mode() {
        for v in SUPPORTED_VERSIONS {
            let out = render(&LoopbackInput::default(), v);
            let parsed: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(parsed["ignition"]["version"], v);
            assert_eq!(parsed["storage"]["files"][0]["mode"], 420);
            assert_eq!(parsed["storage"]["files"][0]["path"], networkd::PATH);
        }
    }

    #[test]
    fn golden_default() {
        consumer_tools::golden(
            "loopback/ignition.json",
            &render(&LoopbackInput::default(), DEFAULT_VERSION),
        );
    }

    #[test]
    fn ignition_validate_accepts_every_version_the_tool_knows() {
        for v in SUPPORTED_VERSIONS {
            let out = render(&LoopbackInput::default(), v);
            consumer_tools::ignition_validate(&out, v);
        }
    }
}
