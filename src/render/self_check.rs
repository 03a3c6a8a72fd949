//! The boot-time self-check: a POSIX sh script that tests the whole
//! credentials path on the host and prints **one line** to stdout and the serial
//! console, plus the Rust parser for that line (used by the provider to read
//! `GetConsoleOutput`).
//!
//! Line format (see `docs/guides/self-check-report.md`):
//!
//! ```text
//! ECSHOST_SELF_CHECK {"v":1,"ok":false,"checks":{"alias":"pass","endpoint":"fail",...},"address":"169.254.170.2","port":80,"probe":"curl"}
//! ```
//!
//! Versioning: `v` is the schema version. Within v1, new *fields* and new
//! *check names* may be added (parsers ignore unknown fields and keep unknown
//! check names); a new status value or a changed meaning bumps `v`, and this
//! parser answers [`ReportError::UnsupportedVersion`] for any `v` it does not
//! know, so callers can tell "newer host script" from "garbage".

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::agent::{self, AgentInput, PROBE_FUNCTION};
use super::loopback::LoopbackInput;
use super::metadata_guard::{self, TOOL_VARS};
use super::problem::RenderError;
use super::{sh_quote, IMDS_ADDRESS, SYSTEMD_DIR};

/// Fixed prefix of the report line (followed by one space and compact JSON).
pub const REPORT_PREFIX: &str = "ECSHOST_SELF_CHECK ";
/// Schema version written by [`render`] and understood by [`parse_report_line`].
pub const SCHEMA_VERSION: u32 = 1;
/// Where the script is installed.
pub const SCRIPT_PATH: &str = "/opt/ecshost/self-check.sh";
/// Name of the oneshot unit running the script after the agent started.
pub const UNIT_NAME: &str = "ecshost-self-check.service";
/// Names of the checks in a v1 report, in output order.
pub const CHECKS: [&str; 7] = [
    "alias",
    "endpoint",
    "agent_network",
    "metadata_guard",
    "userland_proxy",
    "task_path",
    "imds_blocked",
];

/// Result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Verified working.
    Pass,
    /// Verified broken.
    Fail,
    /// Probably fine or probably broken, but not verifiable here (see guide).
    Warn,
    /// Not applicable or no means to check (e.g. no probe image on the host).
    Skip,
}

/// A parsed self-check report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Schema version (always [`SCHEMA_VERSION`] after a successful parse).
    pub v: u32,
    /// True when no check is `fail`.
    pub ok: bool,
    /// Check name → status. Unknown names (added later within v1) are kept.
    pub checks: BTreeMap<String, CheckStatus>,
    /// The credentials address checked.
    #[serde(default)]
    pub address: Option<String>,
    /// The credentials port checked.
    #[serde(default)]
    pub port: Option<u16>,
    /// HTTP client used on the host: `curl`, `wget`, `busybox-wget` or `none`.
    #[serde(default)]
    pub probe: Option<String>,
}

impl Report {
    /// Names of failed checks, sorted.
    pub fn failed(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|(_, s)| **s == CheckStatus::Fail)
            .map(|(k, _)| k.as_str())
            .collect()
    }
}

/// Why a report line could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The text has no `ECSHOST_SELF_CHECK ` prefix.
    #[error("no self-check report prefix")]
    MissingPrefix,
    /// The JSON ends early (console buffer cut or the host died mid-write).
    #[error("self-check report is truncated")]
    Truncated,
    /// A report from a newer (or unknown) schema version.
    #[error("unsupported self-check report version {found}")]
    UnsupportedVersion {
        /// The version found.
        found: u64,
    },
    /// Not a valid v1 report.
    #[error("malformed self-check report: {0}")]
    Malformed(String),
}

/// Parses one report line. Leading console noise before the prefix and a
/// trailing `\r` are tolerated.
pub fn parse_report_line(line: &str) -> Result<Report, ReportError> {
    let start = line.find(REPORT_PREFIX).ok_or(ReportError::MissingPrefix)?;
    let json = line[start + REPORT_PREFIX.len()..].trim();
    if json.is_empty() {
        return Err(ReportError::Truncated);
    }
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        if e.is_eof() {
            ReportError::Truncated
        } else {
            ReportError::Malformed(e.to_string())
        }
    })?;
    let v = value
        .get("v")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ReportError::Malformed("missing numeric field v".into()))?;
    if v != u64::from(SCHEMA_VERSION) {
        return Err(ReportError::UnsupportedVersion { found: v });
    }
    let report: Report =
        serde_json::from_value(value).map_err(|e| ReportError::Malformed(e.to_string()))?;
    if report.ok != report.failed().is_empty() {
        return Err(ReportError::Malformed(
            "field ok disagrees with the check results".into(),
        ));
    }
    Ok(report)
}

/// Finds the **last** report in console output (CRLF or LF). `None` when there
/// is none; `Some(Err(..))` when the last one is broken (the newest state is
/// then unknown, so an older report is deliberately not used).
pub fn find_report(console_text: &str) -> Option<Result<Report, ReportError>> {
    console_text
        .split('\n')
        .rfind(|l| l.contains(REPORT_PREFIX))
        .map(|l| parse_report_line(&l[last_report_start(l)..]))
}

/// Where the last report on one console line starts: the last occurrence of
/// the prefix that is not inside the JSON of an earlier, complete report
/// (whose strings may contain the prefix). An earlier report cut off by
/// console noise is not complete JSON, so the report after it still wins.
fn last_report_start(line: &str) -> usize {
    let mut start = line.find(REPORT_PREFIX).unwrap_or(0);
    loop {
        let body = start + REPORT_PREFIX.len();
        let mut values =
            serde_json::Deserializer::from_str(&line[body..]).into_iter::<serde::de::IgnoredAny>();
        let next_search = match values.next() {
            Some(Ok(_)) => body + values.byte_offset(),
            _ => body,
        };
        match line
            .get(next_search..)
            .and_then(|rest| rest.find(REPORT_PREFIX))
        {
            Some(i) => start = next_search + i,
            None => return start,
        }
    }
}

/// The self-check script for the agent and loopback settings.
pub fn render(agent_input: &AgentInput, loopback: &LoopbackInput) -> Result<String, RenderError> {
    let mut problems = agent_input.validate();
    problems.extend(loopback.validate());
    RenderError::check(problems)?;
    let address = loopback.bare_address();
    let port = agent_input.credentials_port;
    let url = format!("http://{address}:{port}/v2/credentials/");
    let (network, own) = if agent_input.agent_network {
        (agent_input.agent_network_name.as_str(), "yes")
    } else {
        ("bridge", "no")
    };
    let guard = if agent_input.block_task_metadata {
        metadata_guard::shell_function(agent_input.firewall_backend)
    } else {
        String::new()
    };
    Ok(format!(
        r#"#!/bin/sh
# Managed by terraform-provider-ecshost: boot-time self-check. Prints one line
#   {prefix}{{"v":{SCHEMA_VERSION},"ok":...,"checks":{{...}}}}
# to stdout and to each writable console in ECSHOST_CONSOLES. Exits 0 when no
# check failed. Never pulls images and never changes the host.
set -u

DOCKER="${{DOCKER:-docker}}"
IP="${{IP:-ip}}"
{TOOL_VARS}ECSHOST_CONSOLES="${{ECSHOST_CONSOLES:-/dev/console /dev/ttyS0}}"
ECSHOST_PROBE_IMAGE="${{ECSHOST_PROBE_IMAGE:-busybox:latest}}"
ECSHOST_DOCKER_DAEMON_JSON="${{ECSHOST_DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}}"

ADDRESS={address_q}
PORT={port}
DEVICE={device_q}
NAME={name_q}
NETWORK={network_q}
OWN_NETWORK={own}
BLOCK={block}
URL={url_q}

{guard}{PROBE_FUNCTION}
userland_proxy_disabled() {{
    for p in /proc/[0-9]*; do
        if [ "$(cat "$p/comm" 2>/dev/null)" = dockerd ]; then
            case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
                *userland-proxy=false* | *"userland-proxy false"*) return 0 ;;
                *) ;;
            esac
        fi
    done
    grep -Eq '"userland-proxy"[[:space:]]*:[[:space:]]*false' "$ECSHOST_DOCKER_DAEMON_JSON" 2>/dev/null
}}

# alias: the address is on the device
if "$IP" -4 -o addr show dev "$DEVICE" 2>/dev/null | grep -q " inet $ADDRESS/32 "; then
    alias=pass
else
    alias=fail
fi

# endpoint: GET /v2/credentials/ answers like the agent (400 NoIdInRequest)
if command -v curl >/dev/null 2>&1; then
    probe=curl
elif wget --version 2>/dev/null | grep -q 'GNU Wget'; then
    probe=wget
elif command -v wget >/dev/null 2>&1; then
    probe=busybox-wget
else
    probe=none
fi
endpoint=fail
attempt=0
while [ "$attempt" -lt 3 ]; do
    attempt=$((attempt + 1))
    case $(probe_endpoint "$URL") in
        agent)
            endpoint=pass
            break
            ;;
        status400)
            endpoint=warn
            break
            ;;
        *) sleep 2 ;;
    esac
done

# agent_network: the agent container is on its own network, never host
mode=$("$DOCKER" inspect -f '{{{{.HostConfig.NetworkMode}}}}' "$NAME" 2>/dev/null) || mode=missing
if [ "$mode" = "$NETWORK" ] || {{ [ "$NETWORK" = bridge ] && [ "$mode" = default ]; }}; then
    agent_network=pass
else
    agent_network=fail
fi

# metadata_guard: the docker0 -> IMDS rule is in place
metadata_guard=skip
if [ "$BLOCK" = yes ]; then
    if metadata_guard_present; then metadata_guard=pass; else metadata_guard=fail; fi
fi

# userland_proxy: docker0 -> agent bridge relies on docker-proxy on some engines
userland_proxy=skip
if [ "$OWN_NETWORK" = yes ]; then
    if userland_proxy_disabled; then userland_proxy=warn; else userland_proxy=pass; fi
fi

# task_path / imds_blocked: from a throwaway container on the default bridge,
# only when the probe image is already present (never pulled). 125-127:
# docker could not run it; 132/134/139: the probe crashed (Debian's static
# busybox segfaults on `wget -T`): both stay `skip`, never a false pass.
# (`timeout` is no way out: busybox runs the program as the container's PID 1,
# which ignores the SIGTERM.)
task_path=skip
imds_blocked=skip
if "$DOCKER" image inspect "$ECSHOST_PROBE_IMAGE" >/dev/null 2>&1; then
    out=$("$DOCKER" run --rm --network bridge "$ECSHOST_PROBE_IMAGE" wget -q -T 5 -O - "$URL" 2>&1)
    rc=$?
    case $rc:$out in
        12[567]:* | 13[249]:*) ;;
        *NoIdInRequest* | *" 400 "*) task_path=pass ;;
        *) task_path=fail ;;
    esac
    if [ "$BLOCK" = yes ]; then
        out=$("$DOCKER" run --rm --network bridge "$ECSHOST_PROBE_IMAGE" wget -q -T 3 -O - "http://{IMDS_ADDRESS}/" 2>&1)
        rc=$?
        case $rc:$out in
            12[567]:* | 13[249]:*) ;;
            0:* | *"server returned"* | *HTTP/*) imds_blocked=fail ;;
            *) imds_blocked=pass ;;
        esac
    fi
    if [ "$task_path" = pass ] && [ "$userland_proxy" = warn ]; then
        userland_proxy=pass
    fi
fi

ok=true
for s in "$alias" "$endpoint" "$agent_network" "$metadata_guard" "$userland_proxy" "$task_path" "$imds_blocked"; do
    if [ "$s" = fail ]; then ok=false; fi
done

json=$(printf '{{"v":{SCHEMA_VERSION},"ok":%s,"checks":{{"alias":"%s","endpoint":"%s","agent_network":"%s","metadata_guard":"%s","userland_proxy":"%s","task_path":"%s","imds_blocked":"%s"}},"address":"%s","port":%s,"probe":"%s"}}' \
    "$ok" "$alias" "$endpoint" "$agent_network" "$metadata_guard" "$userland_proxy" "$task_path" "$imds_blocked" "$ADDRESS" "$PORT" "$probe")
line="{prefix}$json"
printf '%s\n' "$line"
for console in $ECSHOST_CONSOLES; do
    if [ -w "$console" ]; then
        printf '%s\n' "$line" >"$console" 2>/dev/null || true
    fi
done
[ "$ok" = true ]
"#,
        prefix = REPORT_PREFIX,
        address_q = sh_quote(address),
        device_q = sh_quote(&loopback.device),
        name_q = sh_quote(agent::CONTAINER_NAME),
        network_q = sh_quote(network),
        block = if agent_input.block_task_metadata {
            "yes"
        } else {
            "no"
        },
        url_q = sh_quote(&url),
    ))
}

/// Oneshot unit running the check after the agent is ready (or failed), on
/// every boot, with output also sent to the console.
pub fn render_unit() -> String {
    format!(
        "[Unit]\n\
         Description=ECS host self-check, reported on the serial console (terraform-provider-ecshost)\n\
         Wants={agent}\n\
         After={agent}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart=/bin/sh {SCRIPT_PATH}\n\
         StandardOutput=journal+console\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        agent = agent::UNIT_NAME,
    )
}

/// Where the unit is installed.
pub fn unit_path() -> String {
    format!("{SYSTEMD_DIR}/{UNIT_NAME}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::consumer_tools::{self, fake_command, run_sh, temp_dir};

    const GOOD: &str = r#"ECSHOST_SELF_CHECK {"v":1,"ok":false,"checks":{"alias":"pass","endpoint":"fail","agent_network":"pass","metadata_guard":"pass","userland_proxy":"warn","task_path":"skip","imds_blocked":"skip"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;

    #[test]
    fn parse_table() {
        let future = r#"ECSHOST_SELF_CHECK {"v":2,"whatever":[]}"#;
        let cases: Vec<(&str, String, Result<(), ReportError>)> = vec![
            ("good", GOOD.into(), Ok(())),
            ("crlf", format!("{GOOD}\r"), Ok(())),
            (
                "noise before",
                format!("[   12.345678] cloud-init[812]: {GOOD}"),
                Ok(()),
            ),
            (
                "extra field",
                GOOD.replace(r#""probe":"curl""#, r#""probe":"curl","later":1"#),
                Ok(()),
            ),
            (
                "new check within v1",
                GOOD.replace(r#""alias":"pass""#, r#""alias":"pass","ipv6":"skip""#),
                Ok(()),
            ),
            (
                "missing prefix",
                GOOD.replace("ECSHOST_SELF_CHECK ", ""),
                Err(ReportError::MissingPrefix),
            ),
            (
                "prefix only",
                "ECSHOST_SELF_CHECK ".into(),
                Err(ReportError::Truncated),
            ),
            (
                "truncated",
                GOOD[..GOOD.len() - 20].into(),
                Err(ReportError::Truncated),
            ),
            (
                "future version",
                future.into(),
                Err(ReportError::UnsupportedVersion { found: 2 }),
            ),
        ];
        for (name, line, want) in cases {
            let got = parse_report_line(&line).map(|_| ());
            assert_eq!(got, want, "{name}");
        }
        let malformed = [
            ("not json", "ECSHOST_SELF_CHECK hello"),
            (
                "no version",
                r#"ECSHOST_SELF_CHECK {"ok":true,"checks":{}}"#,
            ),
            (
                "string version",
                r#"ECSHOST_SELF_CHECK {"v":"1","ok":true,"checks":{}}"#,
            ),
            (
                "bad status",
                r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"maybe"}}"#,
            ),
            (
                "ok disagrees",
                r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"fail"}}"#,
            ),
            ("no checks", r#"ECSHOST_SELF_CHECK {"v":1,"ok":true}"#),
        ];
        for (name, line) in malformed {
            assert!(
                matches!(parse_report_line(line), Err(ReportError::Malformed(_))),
                "{name}"
            );
        }
    }

    #[test]
    fn parsed_fields() {
        let r = parse_report_line(GOOD).unwrap();
        assert_eq!(r.v, 1);
        assert!(!r.ok);
        assert_eq!(r.failed(), vec!["endpoint"]);
        assert_eq!(r.checks["userland_proxy"], CheckStatus::Warn);
        assert_eq!(r.port, Some(80));
        assert_eq!(r.checks.len(), CHECKS.len());
    }

    #[test]
    fn find_report_table() {
        let ok_line = GOOD
            .replace(r#""endpoint":"fail""#, r#""endpoint":"pass""#)
            .replace(r#""ok":false"#, r#""ok":true"#);
        type Case = (&'static str, String, Option<Result<bool, ReportError>>);
        let cases: Vec<Case> = vec![
            ("none", "boot\nlogin:\n".into(), None),
            ("empty", String::new(), None),
            ("one", format!("a\r\n{GOOD}\r\nb\r\n"), Some(Ok(false))),
            (
                "last wins",
                format!("{GOOD}\n...\n{ok_line}\n"),
                Some(Ok(true)),
            ),
            (
                "last truncated",
                format!("{ok_line}\n{}", &GOOD[..60]),
                Some(Err(ReportError::Truncated)),
            ),
            ("noise", format!("[  5.1] x: {ok_line}\r\n"), Some(Ok(true))),
            (
                "cut by a newer one on the same line",
                format!("{}{ok_line}\r\n", &GOOD[..60]),
                Some(Ok(true)),
            ),
            (
                "two on one line",
                format!("{GOOD} {ok_line}\r\n"),
                Some(Ok(true)),
            ),
        ];
        for (name, text, want) in cases {
            let got = find_report(&text).map(|r| r.map(|r| r.ok));
            assert_eq!(got, want, "{name}");
        }
    }

    /// Found by the `self_check_report` fuzz target (minimized): the prefix
    /// inside a string of the report was taken for the start of a newer one.
    #[test]
    fn prefix_inside_a_report_string_is_not_a_report() {
        let line = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"d":"pass"},"address":"ECSHOST_SELF_CHECK "}"#;
        let r = parse_report_line(line).unwrap();
        assert_eq!(r.address.as_deref(), Some(REPORT_PREFIX));
        assert_eq!(find_report(line), Some(Ok(r.clone())));
        assert_eq!(find_report(&format!("boot\r\n{line}\r\n")), Some(Ok(r)));
    }

    fn base() -> (AgentInput, LoopbackInput) {
        (
            AgentInput {
                cluster: "prod".into(),
                ..Default::default()
            },
            LoopbackInput::default(),
        )
    }

    #[test]
    fn golden_and_shellcheck() {
        let (a, l) = base();
        let s = render(&a, &l).unwrap();
        consumer_tools::golden("self_check/self-check.sh", &s);
        consumer_tools::golden("self_check/ecshost-self-check.service", &render_unit());
        for backend in [
            metadata_guard::FirewallBackend::Iptables,
            metadata_guard::FirewallBackend::Nftables,
        ] {
            for (net, block) in [(true, true), (false, false), (true, false)] {
                let a = AgentInput {
                    firewall_backend: backend,
                    agent_network: net,
                    block_task_metadata: block,
                    ..a.clone()
                };
                consumer_tools::shellcheck(&render(&a, &l).unwrap());
            }
        }
        consumer_tools::systemd_analyze_verify(&[(UNIT_NAME, &render_unit())]);
        assert!(unit_path().ends_with(UNIT_NAME));
    }

    #[test]
    fn rejects_bad_input() {
        let (a, mut l) = base();
        l.address = "169.254.70.2".into();
        assert!(render(&a, &l).is_err());
        assert!(
            render(&AgentInput::default(), &LoopbackInput::default()).is_err(),
            "cluster required"
        );
    }

    /// Runs the real script against fakes and parses its line with the Rust parser.
    #[test]
    fn script_output_parses() {
        let cases = [
            (
                "healthy",
                "ecs-agent",
                "{\"code\":\"NoIdInRequest\"} HTTP_STATUS=400",
                true,
                true,
            ),
            (
                "host network",
                "host",
                "{\"code\":\"NoIdInRequest\"} HTTP_STATUS=400",
                true,
                false,
            ),
            (
                "endpoint dead",
                "ecs-agent",
                " HTTP_STATUS=000",
                true,
                false,
            ),
            (
                "no alias",
                "ecs-agent",
                "{\"code\":\"NoIdInRequest\"} HTTP_STATUS=400",
                false,
                false,
            ),
        ];
        let (a, l) = base();
        let script = render(&a, &l).unwrap();
        for (name, mode, curl_out, alias, ok) in cases {
            let dir = temp_dir("self-check");
            let bin = dir.join("bin");
            fake_command(&bin, "curl", &format!("printf '%s' '{curl_out}'\n"));
            fake_command(&bin, "sleep", "exit 0\n");
            fake_command(
                &bin,
                "docker",
                &format!("case \"$1\" in inspect) echo {mode} ;; *) exit 1 ;; esac\n"),
            );
            let addr = if alias {
                "169.254.170.2/32"
            } else {
                "10.0.0.1/8"
            };
            fake_command(
                &bin,
                "ip",
                &format!("echo '1: lo    inet {addr} scope global lo'\n"),
            );
            fake_command(&bin, "iptables", "exit 0\n");
            let console = dir.join("console");
            std::fs::write(&console, "").unwrap();
            let env = [
                ("ECSHOST_CONSOLES", console.display().to_string()),
                (
                    "ECSHOST_DOCKER_DAEMON_JSON",
                    dir.join("none.json").display().to_string(),
                ),
            ];
            let (rc, out) = run_sh(&script, &[], &env, &bin);
            let report = find_report(&out)
                .unwrap_or_else(|| panic!("{name}: no report in {out}"))
                .unwrap();
            assert_eq!(report.ok, ok, "{name}: {out}");
            assert_eq!(rc == 0, ok, "{name}");
            let on_console = std::fs::read_to_string(&console).unwrap();
            assert_eq!(find_report(&on_console).unwrap().unwrap(), report, "{name}");
            assert_eq!(
                report.checks["task_path"],
                CheckStatus::Skip,
                "no probe image"
            );
        }
    }
}
