//! Reads existing user data (a template written by hand years ago, or one
//! this provider rendered) and says whether it follows this design: the
//! credentials address on `lo`, the agent off the host network, task
//! containers kept away from instance metadata.
//!
//! User data arrives in many wrappings, so the analyser unwraps what it
//! can — gzip, MIME multipart (including base64 parts), Ignition data URLs
//! (plain, base64, gzip) — and then looks for the signals in the text. It
//! never fails: unreadable input yields an analysis that says so.

use std::io::Read as _;

use base64::Engine as _;

use super::{CREDENTIALS_ADDRESS, IMDS_ADDRESS};

/// What the analyser found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// the outer format: `gzip+…`, `mime`, `ignition`, `cloud-config`, `script`, `unknown`
    pub format: String,
    /// the credentials address is put on a device (lo alias)
    pub alias: bool,
    /// an ECS agent is started at all
    pub agent: bool,
    /// the agent runs with host networking (`--net host` and friends, or
    /// started by ecs-init)
    pub agent_host_network: bool,
    /// the agent is left to ecs-init (ECS-optimized AMIs): the user data
    /// writes `/etc/ecs/ecs.config` and starts no agent container itself;
    /// ecs-init runs the agent with `--net=host` (amazon-ecs-init,
    /// `ecs-init/docker/docker_config.go`)
    pub ecs_init: bool,
    /// docker0 → IMDS is blocked (DOCKER-USER rule or nftables table)
    pub metadata_blocked: bool,
    /// AWS's DNAT/route_localnet recipe is present
    pub legacy_dnat: bool,
    /// the self-check report line is produced
    pub self_check: bool,
    /// rendered by this provider
    pub ecshost: bool,
}

impl Analysis {
    /// True when an agent container is started on a bridge network (this
    /// design, or any `docker run` of the agent without host networking):
    /// it is one hop away from instance metadata.
    pub fn agent_on_bridge(&self) -> bool {
        self.agent && !self.agent_host_network
    }

    /// True when the user data follows the design in every respect.
    pub fn follows_design(&self) -> bool {
        self.alias && self.agent && !self.agent_host_network && self.metadata_blocked
    }

    /// Human-readable findings, one sentence each.
    pub fn findings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.alias {
            out.push(format!(
                "{CREDENTIALS_ADDRESS} is not added to the loopback device"
            ));
        }
        if !self.agent {
            out.push("no ECS agent container is started".to_owned());
        } else if self.ecs_init {
            out.push(
                "the ECS agent is left to ecs-init, which runs it with host networking".to_owned(),
            );
        } else if self.agent_host_network {
            out.push("the ECS agent runs with host networking (--net host)".to_owned());
        }
        if !self.metadata_blocked {
            out.push(format!(
                "task containers are not kept away from instance metadata ({IMDS_ADDRESS})"
            ));
        }
        if self.legacy_dnat {
            out.push("it uses AWS's iptables DNAT and route_localnet recipe".to_owned());
        }
        out
    }
}

/// Most text the analyser will unwrap, so hostile input stays cheap.
const MAX_TEXT: usize = 4 << 20;

/// Analyses base64-encoded user data (as a launch template stores it).
pub fn analyse_base64(user_data_base64: &str) -> Analysis {
    match base64::engine::general_purpose::STANDARD.decode(user_data_base64.trim()) {
        Ok(b) => analyse(&b),
        Err(_) => Analysis {
            format: "invalid base64".into(),
            ..Default::default()
        },
    }
}

/// Analyses user data bytes as the instance receives them.
pub fn analyse(bytes: &[u8]) -> Analysis {
    let mut texts = Vec::new();
    let format = unwrap(bytes, &mut texts, 0);
    let all = texts.join("\n");
    let lower = all.to_ascii_lowercase();
    let alias = (lower.contains(&format!("addr add {CREDENTIALS_ADDRESS}"))
        || lower.contains(&format!("addr replace {CREDENTIALS_ADDRESS}"))
        || lower.contains(&format!("address={CREDENTIALS_ADDRESS}"))
        || lower.contains(&format!("address {CREDENTIALS_ADDRESS}"))
        || lower.contains(&format!("- {CREDENTIALS_ADDRESS}/32"))
        || lower.contains(&format!("address1={CREDENTIALS_ADDRESS}"))
        || lower.contains(&format!("address={CREDENTIALS_ADDRESS}/32"))
        || lower.contains(&format!("address=\"{CREDENTIALS_ADDRESS}")))
        || (lower.contains(CREDENTIALS_ADDRESS)
            && lower.contains("dev \"$device\"")
            && lower.contains("ip"));
    let agent = lower.contains("amazon-ecs-agent")
        || lower.contains("ecs-agent")
        || lower.contains("ecs_cluster");
    // An agent container this user data starts itself, as opposed to one
    // ecs-init starts from /etc/ecs/ecs.config.
    let starts_agent = (lower.contains("docker run") || lower.contains("docker create"))
        && (lower.contains("amazon-ecs-agent") || lower.contains("ecs-agent"))
        || lower.contains("ecshost_agent")
        || (lower.contains("terraform-provider-ecshost") && lower.contains("ecs-agent"));
    let ecs_init = !starts_agent && lower.contains("/etc/ecs/ecs.config");
    let agent_host_network = ecs_init
        || [
            "--net host",
            "--net=host",
            "--network host",
            "--network=host",
            "network_mode: host",
        ]
        .iter()
        .any(|s| lower.contains(s));
    // A DROP in DOCKER-USER for IMDS on one line (AWS's own rule, or ours,
    // which names the address as `$IMDS_V4`): DOCKER-USER and the address
    // anywhere in the text are not enough — the task DNAT jumps from
    // DOCKER-USER, and the self-check names IMDS to probe it.
    // Shell line continuations joined first: a rule is often split.
    let joined = lower.replace("\\\r\n", " ").replace("\\\n", " ");
    let metadata_blocked = joined.lines().any(|l| {
        l.contains("docker-user")
            && (l.contains("drop") || l.contains("reject"))
            && (l.contains(IMDS_ADDRESS) || l.contains("imds"))
    }) || lower.contains("ecshost_metadata_guard");
    let legacy_dnat = lower.contains("route_localnet")
        && lower.contains("dnat")
        && lower.contains("51679")
        && !lower.contains("nsenter");
    Analysis {
        format,
        alias,
        agent: agent || ecs_init,
        agent_host_network,
        ecs_init,
        metadata_blocked,
        legacy_dnat,
        self_check: all.contains(super::self_check::REPORT_PREFIX.trim()),
        ecshost: lower.contains("terraform-provider-ecshost") || lower.contains("ecshost"),
    }
}

fn gunzip(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .take(MAX_TEXT as u64)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// Unwraps one layer and recurses; returns a name for the outer format.
fn unwrap(bytes: &[u8], texts: &mut Vec<String>, depth: usize) -> String {
    if depth > 4 {
        return "nested".into();
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return match gunzip(bytes) {
            Some(inner) => format!("gzip+{}", unwrap(&inner, texts, depth + 1)),
            None => "gzip (corrupt)".into(),
        };
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_TEXT)]).into_owned();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(j) = serde_json::from_str::<serde_json::Value>(trimmed) {
            if j.get("ignition").is_some() {
                if let Some(files) = j.pointer("/storage/files").and_then(|f| f.as_array()) {
                    for f in files {
                        if let Some(src) = f.pointer("/contents/source").and_then(|s| s.as_str()) {
                            let gz = f.pointer("/contents/compression").and_then(|c| c.as_str())
                                == Some("gzip");
                            if let Some(b) = data_url(src) {
                                let b = if gz {
                                    gunzip(&b).unwrap_or_default()
                                } else {
                                    b
                                };
                                texts.push(String::from_utf8_lossy(&b).into_owned());
                            }
                        }
                    }
                }
                if let Some(units) = j.pointer("/systemd/units").and_then(|u| u.as_array()) {
                    for u in units {
                        if let Some(c) = u.get("contents").and_then(|c| c.as_str()) {
                            texts.push(c.to_owned());
                        }
                    }
                }
                texts.push(text.clone());
                // Configs merged in (`ignition.config.merge`, `replace`):
                // data URLs only (anything else is fetched at boot, which
                // an analysis cannot do), gunzipped where they say so.
                let mut children = Vec::new();
                if let Some(merge) = j
                    .pointer("/ignition/config/merge")
                    .and_then(|m| m.as_array())
                {
                    children.extend(merge.iter());
                }
                children.extend(j.pointer("/ignition/config/replace"));
                let mut nested = Vec::new();
                for c in children {
                    let Some(b) = c.get("source").and_then(|s| s.as_str()).and_then(data_url)
                    else {
                        continue;
                    };
                    let b = if c.get("compression").and_then(|c| c.as_str()) == Some("gzip") {
                        gunzip(&b).unwrap_or_default()
                    } else {
                        b
                    };
                    nested.push(unwrap(&b, texts, depth + 1));
                }
                if nested.is_empty() {
                    return "ignition".into();
                }
                return format!("ignition+merge({})", nested.join(","));
            }
        }
    }
    if let Some(boundary) = mime_boundary(&text) {
        for part in text.split(&format!("--{boundary}")).skip(1) {
            let (head, body) = part
                .split_once("\n\n")
                .or_else(|| part.split_once("\r\n\r\n"))
                .unwrap_or(("", part));
            if head
                .to_ascii_lowercase()
                .contains("content-transfer-encoding: base64")
            {
                let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                if let Ok(b) =
                    base64::engine::general_purpose::STANDARD.decode(clean.trim_end_matches("--"))
                {
                    unwrap(&b, texts, depth + 1);
                    continue;
                }
            }
            texts.push(body.to_owned());
        }
        return "mime".into();
    }
    texts.push(text.clone());
    if trimmed.starts_with("#cloud-config") {
        "cloud-config".into()
    } else if trimmed.starts_with("#!") {
        "script".into()
    } else {
        "unknown".into()
    }
}

fn mime_boundary(text: &str) -> Option<String> {
    let mut n = text.len().min(4096);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    let head = &text[..n];
    let lower = head.to_ascii_lowercase();
    if !lower.contains("content-type: multipart/") {
        return None;
    }
    let i = lower.find("boundary=")? + "boundary=".len();
    let rest = &head[i..];
    let b: String = rest
        .trim_start_matches('"')
        .chars()
        .take_while(|c| *c != '"' && !c.is_whitespace() && *c != ';')
        .collect();
    (!b.is_empty()).then_some(b)
}

fn data_url(src: &str) -> Option<Vec<u8>> {
    let rest = src.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    if meta.ends_with(";base64") {
        base64::engine::general_purpose::STANDARD.decode(data).ok()
    } else {
        Some(percent_decode(data))
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        // Bytes, not str slices: a '%' may be followed by a multi-byte
        // character (found by the fuzz test below).
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user_data::{self, HostFormat, UserDataInput};
    use proptest::prelude::*;

    fn rendered(host_format: HostFormat, gzip: bool) -> Vec<u8> {
        let mut i = UserDataInput {
            host_format,
            gzip,
            ..Default::default()
        };
        i.agent.cluster = "c".into();
        user_data::render(&i).unwrap().bytes
    }

    /// AWS's rule as users write it: on one line, split with `\`, or with
    /// REJECT; an ACCEPT for IMDS is no block.
    #[test]
    fn a_docker_user_rule_for_imds_is_a_block() {
        for script in [
            "iptables --insert DOCKER-USER 1 --in-interface docker+ --destination 169.254.169.254/32 --jump DROP",
            "iptables --insert DOCKER-USER 1 \\\n  --destination 169.254.169.254/32 \\\n  --jump DROP",
            "iptables -I DOCKER-USER -d 169.254.169.254 -j REJECT",
        ] {
            let a = analyse(format!("#!/bin/sh\n{script}\n").as_bytes());
            assert!(a.metadata_blocked, "{script}");
        }
        let a = analyse(
            b"#!/bin/sh\niptables -I DOCKER-USER -j ACCEPT\ncurl http://169.254.169.254/\n",
        );
        assert!(!a.metadata_blocked);
    }

    /// Without the metadata guard our user data still names DOCKER-USER
    /// (the task DNAT) and IMDS (the self-check probes it): that is no
    /// block, in any format, Ignition's packed merge child included.
    #[test]
    fn our_own_user_data_without_the_guard_is_not_blocked() {
        for f in [
            HostFormat::Shell,
            HostFormat::CloudInit,
            HostFormat::Ignition,
            HostFormat::CoreosCloudConfig,
        ] {
            let mut i = UserDataInput {
                host_format: f,
                gzip: false,
                ..Default::default()
            };
            i.agent.cluster = "c".into();
            i.agent.block_task_metadata = false;
            let a = analyse(&user_data::render(&i).unwrap().bytes);
            assert!(a.ecshost && a.agent && !a.metadata_blocked, "{f:?}: {a:?}");
            assert!(!a.follows_design(), "{f:?}");
        }
    }

    #[test]
    fn our_own_user_data_follows_the_design_in_every_format() {
        for (f, gz) in [
            (HostFormat::Shell, false),
            (HostFormat::CloudInit, false),
            (HostFormat::CloudInit, true),
            (HostFormat::Ignition, false),
            (HostFormat::CoreosCloudConfig, false),
        ] {
            let a = analyse(&rendered(f, gz));
            assert!(
                a.follows_design(),
                "{f:?} gzip={gz}: {a:?} {:?}",
                a.findings()
            );
            assert!(a.self_check && a.ecshost, "{f:?}: {a:?}");
        }
        // With a user cloud-config part ours comes last (merging): still ours.
        let mut input = crate::user_data::UserDataInput {
            host_format: HostFormat::CloudInit,
            gzip: true,
            ..Default::default()
        };
        input.agent.cluster = "c".into();
        input.extra_parts.push(crate::user_data::ExtraPart {
            content_type: "text/cloud-config".into(),
            content: "bootcmd: [[echo, theirs]]\n".into(),
            filename: "user.cfg".into(),
        });
        let a = analyse(&crate::user_data::render(&input).unwrap().bytes);
        assert!(a.follows_design() && a.alias, "{a:?} {:?}", a.findings());
    }

    #[test]
    fn the_aws_recipe_is_explained() {
        let aws = r#"#!/bin/bash
echo "net.ipv4.conf.all.route_localnet = 1" >> /etc/sysctl.conf
iptables -t nat -A PREROUTING -p tcp -d 169.254.170.2 --dport 80 -j DNAT --to-destination 127.0.0.1:51679
iptables -t nat -A OUTPUT -d 169.254.170.2 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 51679
docker run --name ecs-agent --detach=true --restart=on-failure:10 --net=host \
  --env=ECS_CLUSTER=default amazon/amazon-ecs-agent:latest
"#;
        let a = analyse(aws.as_bytes());
        assert!(!a.follows_design());
        assert!(
            a.agent && a.agent_host_network && a.legacy_dnat && !a.alias && !a.metadata_blocked,
            "{a:?}"
        );
        let f = a.findings().join("; ");
        assert!(f.contains("host networking") && f.contains("DNAT"), "{f}");
    }

    #[test]
    fn garbage_is_analysed_not_refused() {
        assert_eq!(analyse_base64("%%%").format, "invalid base64");
        assert_eq!(analyse(&[0x1f, 0x8b, 0, 1]).format, "gzip (corrupt)");
        assert!(!analyse(b"").follows_design());
    }

    proptest! {
        /// Fuzz-style: arbitrary bytes (and arbitrary text wrapped in the
        /// formats the analyser unwraps) never panic it.
        #[test]
        fn never_panics(b in proptest::collection::vec(any::<u8>(), 0..2048), s in ".{0,300}") {
            let _ = analyse(&b);
            let _ = analyse(format!("Content-Type: multipart/mixed; boundary=\"x\"\n\n--x\n{s}\n--x--").as_bytes());
            let _ = analyse(format!("{{\"ignition\":{{}},\"storage\":{{\"files\":[{{\"contents\":{{\"source\":\"data:,{s}\"}}}}]}}}}").as_bytes());
            let _ = percent_decode(&s);
        }

        #[test]
        fn percent_decoding_is_exact(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let enc: String = b.iter().map(|x| format!("%{x:02X}")).collect();
            prop_assert_eq!(percent_decode(&enc), b);
        }
    }
}
