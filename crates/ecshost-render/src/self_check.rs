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

use super::agent::{self, AgentInput};
use super::host::{self, Header};
use super::loopback::LoopbackInput;
use super::problem::RenderError;
use super::SYSTEMD_DIR;

/// Fixed prefix of the report line (followed by one space and compact JSON).
pub const REPORT_PREFIX: &str = "ECSHOST_SELF_CHECK ";
/// Schema version written by [`render`] and understood by [`parse_report_line`].
pub const SCHEMA_VERSION: u32 = 1;
/// Where the script is installed.
pub const SCRIPT_PATH: &str = "/opt/ecshost/self-check.sh";
/// Name of the oneshot unit running the script after the agent started.
pub const UNIT_NAME: &str = "ecshost-self-check.service";
/// Names of the checks in a v1 report, in output order.
pub const CHECKS: [&str; 8] = [
    "alias",
    "endpoint",
    "agent_network",
    "metadata_guard",
    "userland_proxy",
    "task_path",
    "imds_blocked",
    "agent_imds",
];

/// The checks that give advice and prove no claim of the design: a `warn`
/// there is a note, and verification does not require them by default.
pub const ADVISORY_CHECKS: [&str; 1] = ["userland_proxy"];

/// Whether `check` is in [`ADVISORY_CHECKS`] (usable in constants).
pub const fn is_advisory(check: &str) -> bool {
    let mut i = 0;
    while i < ADVISORY_CHECKS.len() {
        let (a, b) = (ADVISORY_CHECKS[i].as_bytes(), check.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}

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

impl CheckStatus {
    /// The word the report uses: `pass`, `fail`, `warn` or `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::Warn => "warn",
            CheckStatus::Skip => "skip",
        }
    }
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
    /// Check name → why it is not `pass` (added within v1; empty in older
    /// reports).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reasons: BTreeMap<String, String>,
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

/// The reasons the script reports, as short codes (the user data has 16 KiB
/// for everything; a sentence each cost ≈ 1 KB), and the sentence each
/// stands for. A code may carry a value after `:` (`{detail}`); `{url}` is
/// the endpoint the report names (`address`, `port`), `{address}` its
/// address. Reports written before the codes carry the sentences
/// themselves and are kept as they are.
pub const REASONS: [(&str, &str); 23] = [
    ("not-on", "{address}/32 is not on {detail}"),
    ("no-client", "no HTTP client (curl or wget)"),
    (
        "busybox-400",
        "only the 400 status was seen (busybox wget hides the body)",
    ),
    ("no-answer", "no answer like the agent's from {url}"),
    ("task-no-answer", "no answer like the agent's from {url} on docker0"),
    ("mode", "the agent container network is {detail}"),
    ("not-applied", "the rendered IMDS block is not in the ruleset"),
    ("guard-off", "block_task_metadata is off"),
    ("proxy-off", "dockerd runs with userland-proxy=false"),
    (
        "token-answered",
        "a task on docker0 got an answer to the IMDSv2 token PUT",
    ),
    (
        "get-answered",
        "a task on docker0 got an answer to GET /latest/meta-data/",
    ),
    ("no-client-nsenter", "no HTTP client or no nsenter command"),
    ("agent-down", "the agent container is not running"),
    (
        "get-only",
        "busybox wget cannot send the token PUT: IMDS answers a GET, the hop limit is not proven",
    ),
    (
        "agent-no-imds",
        "no answer from IMDS in the agent's network namespace",
    ),
    (
        "token-no-answer",
        "no answer to the IMDSv2 token PUT in the agent's network namespace (hop limit below 2, or no route)",
    ),
    (
        "token-refused",
        "IMDS refused the IMDSv2 token PUT from the agent's network namespace",
    ),
    ("no-ip-nsenter", "no ip or nsenter command"),
    ("no-bridge-subnet", "no docker0 bridge with an IPv4 subnet"),
    ("no-netns", "cannot create a network namespace"),
    ("no-veth", "cannot plug a veth into docker0"),
    (
        "image-no-answer",
        "no answer like the agent's from {url} in a task container of the probe image",
    ),
    (
        "image-answered",
        "a task container of the probe image got an answer from instance metadata",
    ),
];

/// The sentence for reason `code` (see [`REASONS`]); `None` for text that
/// is no code: a report written before the codes, or a sentence this
/// function wrote (every sentence has a space, no code has one), so a
/// parsed report parses back to itself.
fn reason_text(code: &str, address: &str, url: &str) -> Option<String> {
    if code.contains(char::is_whitespace) {
        return None;
    }
    let (name, detail) = match code.split_once(':') {
        Some((n, d)) => (n, Some(d)),
        None => (code, None),
    };
    let (_, sentence) = REASONS.iter().find(|(c, _)| *c == name)?;
    let needs_detail = sentence.contains("{detail}");
    if needs_detail != detail.is_some() {
        return None;
    }
    // The detail last: a value from the host is never read as a placeholder.
    Some(
        sentence
            .replace("{address}", address)
            .replace("{url}", url)
            .replace("{detail}", detail.unwrap_or("")),
    )
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
    let mut report: Report =
        serde_json::from_value(value).map_err(|e| ReportError::Malformed(e.to_string()))?;
    let url = crate::credentials_url(
        report
            .address
            .as_deref()
            .unwrap_or(crate::CREDENTIALS_ADDRESS),
        report.port.unwrap_or(80),
    );
    let address = report
        .address
        .clone()
        .unwrap_or_else(|| crate::CREDENTIALS_ADDRESS.to_owned());
    for reason in report.reasons.values_mut() {
        if let Some(text) = reason_text(reason, &address, &url) {
            *reason = text;
        }
    }
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
///
/// Task-side probes need no image: each builds a throwaway network namespace
/// (`ip netns add`), plugs it into `docker0` with a veth pair, gives it a free
/// address at the top of docker0's subnet and docker0's address as default
/// route — the path a bridge-mode task takes — runs the host's own HTTP
/// client in it (`nsenter --net`), and removes it. `agent_imds` runs the
/// host's client in the agent container's network namespace. Only where that
/// cannot be done (no `ip`/`nsenter`, no docker0) does the script fall back
/// to `ECSHOST_PROBE_IMAGE`, if that image is already present.
pub fn render(agent_input: &AgentInput, loopback: &LoopbackInput) -> Result<String, RenderError> {
    let mut problems = agent_input.validate();
    problems.extend(loopback.validate());
    RenderError::check(problems)?;
    let address = loopback.bare_address();
    let port = agent_input.credentials_port;
    let url = crate::credentials_url(address, port);
    let (network, own) = if agent_input.agent_network {
        (agent_input.agent_network_name.as_str(), "yes")
    } else {
        ("bridge", "no")
    };
    let mut header = Header::new()
        .firewall_tools()
        .set("ADDRESS", address)
        .set("PORT", &port.to_string())
        .set("DEVICE", &loopback.device)
        .set("NAME", agent::CONTAINER_NAME)
        .set("NETWORK", network)
        .set("OWN_NETWORK", own)
        .set(
            "BLOCK",
            if agent_input.block_task_metadata {
                "yes"
            } else {
                "no"
            },
        )
        .set("URL", &url)
        .guard_values()
        .http_client();
    if agent_input.block_task_metadata {
        header = header.function(
            host::backend_functions(agent_input.firewall_backend),
            "metadata_guard_present",
        );
    }
    Ok(header.fill(SOURCE))
}

/// The self-check's source: a real shell file (shellcheck and shfmt read it
/// in `.ci/test`), whose `@values@` line [`render`] replaces with one
/// host's values (`host.rs`).
pub const SOURCE: &str = host::SELF_CHECK;

/// Oneshot unit running the check after the agent is ready (or failed), on
/// every boot, with output also sent to the console.
pub fn render_unit() -> String {
    format!(
        "[Unit]\n\
         Description=ECS host self-check: one {REPORT_PREFIX}line on the serial console (terraform-provider-ecshost)\n\
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
    use crate::consumer_tools::{self, fake_command, run_sh, temp_dir};

    const GOOD: &str = r#"ECSHOST_SELF_CHECK {"v":1,"ok":false,"checks":{"alias":"pass","endpoint":"fail","agent_network":"pass","metadata_guard":"pass","userland_proxy":"warn","task_path":"skip","imds_blocked":"skip","agent_imds":"pass"},"reasons":{"endpoint":"no answer like the agent's from http://169.254.170.2:80/v2/credentials/","task_path":"no docker0 bridge with an IPv4 subnet"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;

    /// Every code the script writes has a sentence, and every sentence a
    /// code the script writes.
    #[test]
    fn every_reason_code_has_a_sentence() {
        let mut written: Vec<String> = Vec::new();
        for line in SOURCE
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
        {
            for (prefix, n) in [("why ", 2), ("no_ns=", 0)] {
                if let Some(i) = line.find(prefix) {
                    let words: Vec<&str> = line[i + prefix.len()..].split_whitespace().collect();
                    let code = if n == 0 { words[0] } else { words[1] };
                    let code = code.trim_matches(|c| c == '"' || c == ';');
                    if !code.starts_with('$') && !code.is_empty() {
                        written.push(code.split(':').next().unwrap().to_owned());
                    }
                }
            }
        }
        written.sort();
        written.dedup();
        let mut known: Vec<String> = REASONS.iter().map(|(c, _)| (*c).to_owned()).collect();
        known.sort();
        assert_eq!(written, known);
    }

    /// Codes become sentences with the report's own endpoint; a report
    /// written before the codes keeps its sentences; text that only looks
    /// like a code (a detail where none goes) is kept too.
    #[test]
    fn reason_codes_read_as_sentences() {
        let line = GOOD.replace(
            r#""reasons":{"endpoint":"no answer like the agent's from http://169.254.170.2:80/v2/credentials/","task_path":"no docker0 bridge with an IPv4 subnet"}"#,
            r#""reasons":{"endpoint":"no-answer","task_path":"no-bridge-subnet","alias":"not-on:lo","agent_network":"guard-off:x"}"#,
        );
        let r = parse_report_line(&line).unwrap();
        assert_eq!(
            r.reasons["endpoint"],
            "no answer like the agent's from http://169.254.170.2:80/v2/credentials/"
        );
        assert_eq!(
            r.reasons["task_path"],
            "no docker0 bridge with an IPv4 subnet"
        );
        assert_eq!(r.reasons["alias"], "169.254.170.2/32 is not on lo");
        assert_eq!(r.reasons["agent_network"], "guard-off:x");
        // A parsed report parses back to itself (the fuzz target's
        // round trip), even where a host value looks like a code.
        let odd = line.replace(r#""address":"169.254.170.2""#, r#""address":"mode:""#);
        let once = parse_report_line(&odd).unwrap();
        let again = parse_report_line(&format!(
            "{REPORT_PREFIX}{}",
            serde_json::to_string(&once).unwrap()
        ))
        .unwrap();
        assert_eq!(once, again);
        assert_eq!(once.reasons["alias"], "mode:/32 is not on lo");
        assert_eq!(
            parse_report_line(GOOD).unwrap().reasons["task_path"],
            "no docker0 bridge with an IPv4 subnet"
        );
    }

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
        assert_eq!(
            r.reasons["task_path"],
            "no docker0 bridge with an IPv4 subnet"
        );
        let before_reasons = GOOD.replace(
            r#""reasons":{"endpoint":"no answer like the agent's from http://169.254.170.2:80/v2/credentials/","task_path":"no docker0 bridge with an IPv4 subnet"},"#,
            "",
        );
        assert!(parse_report_line(&before_reasons)
            .unwrap()
            .reasons
            .is_empty());
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

    /// The report format is spelt in the shell source; the names, order,
    /// prefix and schema version it uses are the ones defined here.
    #[test]
    fn the_source_reports_the_checks_defined_here() {
        let checks: Vec<String> = CHECKS.iter().map(|c| format!("\"{c}\":\"%s\"")).collect();
        let values: Vec<String> = CHECKS.iter().map(|c| format!("\"${c}\"")).collect();
        let values = values.join(" ");
        for needle in [
            format!(
                "'{{\"v\":{SCHEMA_VERSION},\"ok\":%s,\"checks\":{{{}}},\"reasons\":{{%s}},",
                checks.join(",")
            ),
            format!("for s in {values}; do"),
            format!("\"$ok\" {values} \"$reasons\""),
            format!("line=\"{REPORT_PREFIX}$json\""),
        ] {
            assert!(
                SOURCE.contains(&needle),
                "host/self-check.sh lacks {needle}"
            );
        }
        let r = render(&base().0, &base().1).unwrap();
        assert!(!r.contains("@values@\n") && r.contains("\nADDRESS=169.254.170.2\n"));
    }

    #[test]
    fn golden_and_shellcheck() {
        let (a, l) = base();
        let s = render(&a, &l).unwrap();
        consumer_tools::golden("self_check/self-check.sh", &s);
        consumer_tools::golden("self_check/ecshost-self-check.service", &render_unit());
        for backend in [
            crate::metadata_guard::FirewallBackend::Iptables,
            crate::metadata_guard::FirewallBackend::Nftables,
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

    /// Fakes for the self-check: `ip` answers for lo and docker0 and logs
    /// every other call; `nsenter` records the namespace and runs the rest
    /// with FAKE_NS set; `curl` answers by address and namespace as the
    /// scenario says; `docker` knows the agent container.
    const FAKE_IP: &str = r#"case "$*" in
  "-4 -o addr show dev lo") echo "1: lo    inet $FAKE_LO scope global lo" ;;
  "-4 -o addr show dev docker0") [ -n "$FAKE_DOCKER0" ] && echo "3: docker0    inet $FAKE_DOCKER0 brd 172.17.255.255 scope global docker0" ;;
  *) echo "ip $*" >> "$FAKE_LOG" ;;
esac
"#;
    const FAKE_NSENTER: &str = r#"FAKE_NS=${1#--net=}
export FAKE_NS
shift
"$@"
"#;
    const FAKE_CURL: &str = r#"for a; do url=$a; done
case "$url:${FAKE_NS:-host}" in
  *169.254.170.2*) printf '%s' "$FAKE_ENDPOINT" ;;
  *169.254.169.254*:/proc/*) printf '%s' "$FAKE_AGENT_IMDS" ;;
  *169.254.169.254*) printf '%s' "$FAKE_TASK_IMDS" ;;
esac
"#;
    const FAKE_DOCKER: &str = r#"case "$*" in
  *NetworkMode*) echo "$FAKE_MODE" ;;
  *State.Pid*) echo 4242 ;;
  "network inspect"*) echo "172.17.0.2/16 172.17.255.254/16 " ;;
  *) exit 1 ;;
esac
"#;

    /// Runs the real script against fakes and parses its line with the Rust
    /// parser: each scenario fails (or skips) exactly its checks, with a
    /// reason, and the task-side probes plug a namespace into docker0 at the
    /// highest free address and remove it.
    #[test]
    fn script_output_parses() {
        const AGENT: &str = "{\"code\":\"NoIdInRequest\"} HTTP_STATUS=400";
        const TOKEN: &str = "AQAEAtoken== HTTP_STATUS=200";
        const NONE: &str = " HTTP_STATUS=000";
        type Case = (
            &'static str,
            &'static [(&'static str, &'static str)],
            &'static [(&'static str, CheckStatus)],
        );
        let cases: &[Case] = &[
            ("healthy", &[], &[]),
            (
                "host network",
                &[("FAKE_MODE", "host")],
                &[("agent_network", CheckStatus::Fail)],
            ),
            (
                "endpoint dead",
                &[("FAKE_ENDPOINT", NONE)],
                &[
                    ("endpoint", CheckStatus::Fail),
                    ("task_path", CheckStatus::Fail),
                ],
            ),
            (
                "no alias",
                &[("FAKE_LO", "10.0.0.1/8")],
                &[("alias", CheckStatus::Fail)],
            ),
            (
                "tasks reach IMDS",
                &[("FAKE_TASK_IMDS", "<html>401</html> HTTP_STATUS=401")],
                &[("imds_blocked", CheckStatus::Fail)],
            ),
            (
                "agent cannot reach IMDS",
                &[("FAKE_AGENT_IMDS", NONE)],
                &[("agent_imds", CheckStatus::Fail)],
            ),
            (
                "userland proxy off, tasks cannot reach the endpoint",
                &[
                    ("ECSHOST_DOCKER_DAEMON_JSON", "{dir}/proxy-off.json"),
                    ("FAKE_ENDPOINT", NONE),
                ],
                &[
                    ("endpoint", CheckStatus::Fail),
                    ("userland_proxy", CheckStatus::Warn),
                    ("task_path", CheckStatus::Fail),
                ],
            ),
            (
                "userland proxy off, tasks reach the endpoint",
                &[("ECSHOST_DOCKER_DAEMON_JSON", "{dir}/proxy-off.json")],
                &[],
            ),
            (
                "no docker0",
                &[("FAKE_DOCKER0", "")],
                &[
                    ("task_path", CheckStatus::Skip),
                    ("imds_blocked", CheckStatus::Skip),
                ],
            ),
        ];
        let (a, l) = base();
        let script = render(&a, &l).unwrap();
        for (name, overrides, want) in cases {
            let dir = temp_dir("self-check");
            let bin = dir.join("bin");
            for (cmd, body) in [
                ("ip", FAKE_IP),
                ("nsenter", FAKE_NSENTER),
                ("curl", FAKE_CURL),
                ("docker", FAKE_DOCKER),
                ("sleep", "exit 0\n"),
                // The host's own dockerd processes are not this case's:
                // userland_proxy reads /proc/<pid>/comm with cat.
                (
                    "cat",
                    "case \"$1\" in /proc/*) exit 0 ;; esac\nexec /bin/cat \"$@\"\n",
                ),
                (
                    "iptables",
                    "case \"$*\" in *-S*) printf -- '-P FORWARD ACCEPT\\n-A FORWARD -j DOCKER-USER\\n' ;; esac\n",
                ),
            ] {
                fake_command(&bin, cmd, body);
            }
            let console = dir.join("console");
            std::fs::write(&console, "").unwrap();
            std::fs::write(
                dir.join("proxy-off.json"),
                "{\n  \"userland-proxy\": false\n}\n",
            )
            .unwrap();
            let log = dir.join("ip.log");
            let mut env: Vec<(&str, String)> = vec![
                ("ECSHOST_CONSOLES", console.display().to_string()),
                (
                    "ECSHOST_DOCKER_DAEMON_JSON",
                    dir.join("none.json").display().to_string(),
                ),
                ("FAKE_LOG", log.display().to_string()),
                ("FAKE_LO", "169.254.170.2/32".into()),
                ("FAKE_DOCKER0", "172.17.0.1/16".into()),
                ("FAKE_MODE", "ecs-agent".into()),
                ("FAKE_ENDPOINT", AGENT.into()),
                ("FAKE_TASK_IMDS", NONE.into()),
                ("FAKE_AGENT_IMDS", TOKEN.into()),
            ];
            for (k, v) in *overrides {
                env.retain(|(n, _)| n != k);
                env.push((k, v.replace("{dir}", &dir.display().to_string())));
            }
            let (rc, out) = run_sh(&script, &[], &env, &bin);
            let report = find_report(&out)
                .unwrap_or_else(|| panic!("{name}: no report in {out}"))
                .unwrap();
            for c in CHECKS {
                let expected = want
                    .iter()
                    .find(|(n, _)| *n == c)
                    .map_or(CheckStatus::Pass, |(_, s)| *s);
                assert_eq!(report.checks[c], expected, "{name}: {c}: {out}");
                assert_eq!(
                    report.reasons.contains_key(c),
                    expected != CheckStatus::Pass,
                    "{name}: reason for {c}: {out}"
                );
            }
            assert_eq!(
                report.ok,
                !want.iter().any(|(_, s)| *s == CheckStatus::Fail),
                "{name}"
            );
            assert_eq!(rc == 0, report.ok, "{name}");
            let on_console = std::fs::read_to_string(&console).unwrap();
            assert_eq!(find_report(&on_console).unwrap().unwrap(), report, "{name}");
            let calls = std::fs::read_to_string(&log).unwrap_or_default();
            if *name == "no docker0" {
                assert_eq!(
                    report.reasons["task_path"],
                    "no docker0 bridge with an IPv4 subnet"
                );
                assert!(!calls.contains("netns add"), "{calls}");
                continue;
            }
            // Two probes, each in its own namespace, both removed.
            let pid_free = |l: &str| {
                l.split(' ')
                    .map(|w| {
                        if w.starts_with("ecshost-probe-") {
                            "NS"
                        } else if w.starts_with("ecsp") {
                            "VETH"
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let calls: Vec<String> = calls.lines().map(pid_free).collect();
            let one_probe = [
                "ip netns add NS",
                "ip link add VETH type veth peer name eth0 netns NS",
                "ip link set VETH master docker0 up",
                "ip link set lo up",
                "ip addr add 172.17.255.253/16 dev eth0",
                "ip link set eth0 up",
                "ip route add default via 172.17.0.1",
                "ip link del VETH",
                "ip netns del NS",
            ];
            assert_eq!(calls, [one_probe, one_probe].concat(), "{name}");
        }
    }
}
