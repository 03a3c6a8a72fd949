//! The ECS agent's own configuration loader as the oracle for
//! `ecshost_agent_options.config`.
//!
//! For every environment key agent 1.105.1's `agent/config` package reads
//! (`testdata/agent-config-keys/keys.txt`, extracted from the agent's source
//! by `extract.py`), values are generated (valid ones of the key's kind,
//! boundaries, garbage, quoted, padded, empty, JSON of the wrong shape, huge
//! and negative numbers, durations with and without units) and each is run
//! through `ecs-agent-config-check` (the agent's `config.NewConfig` as a
//! command, `/work/shared/ecs-agent/README.md`) on an env file holding
//! `AWS_DEFAULT_REGION` (instance metadata is black-holed in the oracle, and
//! without a region the agent refuses) and the one `KEY=VALUE` line.
//!
//! The agent's verdict:
//! - **refuses**: exit 1;
//! - **ignores or warns**: exit 0 and a warning/error line on stderr that the
//!   run without the key does not log, or the parsed config is the same as
//!   without the key although the value is not a valid spelling of the key's
//!   kind (the agent dropped it without a word; a zero duration counts as not
//!   valid: the agent reads 0 as "unset" and uses its default);
//! - **takes**: everything else (the config changed, or the value is a valid
//!   spelling of the default).
//!
//! The provider's verdict is `AgentInput::validate` on `config = { KEY =
//! VALUE }`, restricted to the problems on that key. Forbidden: the agent
//! refuses and the provider does not error; the agent ignores or warns and
//! the provider says nothing; the agent takes the value and the provider
//! errors with a summary the table "Where the provider is stricter than the
//! agent" in `docs/data-sources/agent_options.md` does not list.
//!
//! Finding the oracle: `ECSHOST_ECS_AGENT_DIR`, else `<workspace>/../shared/ecs-agent`.
//! Without it the test says so and passes, unless `ECSHOST_REQUIRE_AGENT=1`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use ecshost_render::agent::AgentInput;
use ecshost_render::agent_config;
use ecshost_render::problem::Severity;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use sha2::{Digest, Sha256};

const ORACLE: &str = "ecs-agent-config-check";
/// What every env file holds before the key under test. The agent logs
/// through seelog's asyncloop and the oracle exits without flushing it, so
/// some runs lose their last log lines (a quarter of them under load). The
/// two polling lines make the agent log one warning after every other one
/// (`pollMetricsOverrides` runs last); a run whose stderr lacks it is run
/// again (up to MAX_RUNS times, warnings are the union of the runs).
const BASE_ENV: &str =
    "AWS_DEFAULT_REGION=us-east-1\nECS_POLL_METRICS=true\nECS_POLLING_METRICS_WAIT_DURATION=1s\n";
const LAST_LINE: &str = "ECS_POLLING_METRICS_WAIT_DURATION parsed value";
const MAX_RUNS: usize = 6;
/// Functions of agent/config that read the environment but that
/// config.NewConfig does not call (the agent calls them elsewhere).
const OUTSIDE_NEW_CONFIG: [&str; 1] = ["GetDetailedOSFamily"];
const STRICTER_HEADING: &str = "## Where the provider is stricter than the agent";

/// Writes a line to the test's stderr directly, past libtest's capture, so
/// the matrix and a "did not run" are seen in a plain `cargo test`.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_root() -> PathBuf {
    crate_dir().join("../..")
}

/// One row of keys.txt.
struct KeyRow {
    key: String,
    how: String,
    func: String,
}

fn key_rows() -> Vec<KeyRow> {
    let text =
        std::fs::read_to_string(crate_dir().join("testdata/agent-config-keys/keys.txt")).unwrap();
    assert!(
        text.contains("source commit: 8dfceca6cf380a83c3007349317566f2862f0673"),
        "keys.txt must name its source commit"
    );
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "{l:?}");
            KeyRow {
                key: f[0].to_owned(),
                how: f[1].to_owned(),
                func: f[2].to_owned(),
            }
        })
        .collect()
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p = std::env::temp_dir().join(format!(
            "ecshost-agent-oracle-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `name-1.105.1-linux-amd64.gz` from `dir`, unpacked into `tmp` and checked
/// against `SHA256SUMS.uncompressed`.
fn unpack(dir: &Path, tmp: &Path, name: &str) -> Result<PathBuf, String> {
    let gz = dir.join(format!(
        "{name}-{}-linux-amd64.gz",
        agent_config::AGENT_VERSION
    ));
    let file = std::fs::File::open(&gz).map_err(|e| format!("{}: {e}", gz.display()))?;
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", gz.display()))?;
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS.uncompressed"))
        .map_err(|e| format!("SHA256SUMS.uncompressed: {e}"))?;
    let want = sums
        .lines()
        .find_map(|l| l.strip_suffix(&format!("  {name}")))
        .ok_or_else(|| format!("no checksum for {name} in SHA256SUMS.uncompressed"))?;
    let got = format!("{:x}", Sha256::digest(&bytes));
    if got != want {
        return Err(format!(
            "{name}: sha256 {got}, SHA256SUMS.uncompressed says {want}"
        ));
    }
    let out = tmp.join(name);
    std::fs::write(&out, &bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    Ok(out)
}

fn oracle_dir() -> Result<PathBuf, String> {
    match std::env::var_os("ECSHOST_ECS_AGENT_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_dir() {
                Ok(d)
            } else {
                Err(format!(
                    "ECSHOST_ECS_AGENT_DIR={} is not a directory",
                    d.display()
                ))
            }
        }
        None => {
            let d = workspace_root().join("../shared/ecs-agent");
            if d.is_dir() {
                Ok(d)
            } else {
                Err(format!(
                    "ECSHOST_ECS_AGENT_DIR is not set and {} does not exist",
                    d.display()
                ))
            }
        }
    }
}

/// What one run of the oracle said.
#[derive(Debug, Clone)]
struct Run {
    code: i32,
    config: serde_json::Value,
    error: Option<String>,
    /// Warn/Error/Critical lines, timestamps removed, tokens sorted (the
    /// structured logger prints its fields in random order).
    warnings: BTreeSet<String>,
    /// The stderr holds LAST_LINE.
    complete: bool,
}

/// BASE_ENV without the line of `key` (the polling keys are under test too;
/// AWS_DEFAULT_REGION stays, as the region an EC2 instance has from IMDS).
fn base_env(key: &str) -> String {
    BASE_ENV
        .lines()
        .filter(|l| {
            let k = l.split_once('=').map_or("", |(k, _)| k);
            key == "AWS_DEFAULT_REGION"
                || !(k == key || (k.starts_with("ECS_POLL") && key.starts_with("ECS_POLL")))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn run_oracle(bin: &Path, tmp: &Path, base: &str, lines: &str) -> Run {
    let mut run = run_once(bin, tmp, base, lines);
    for _ in 1..MAX_RUNS {
        if run.complete {
            break;
        }
        let again = run_once(bin, tmp, base, lines);
        assert_eq!(
            (again.code, &again.config),
            (run.code, &run.config),
            "the oracle is not deterministic for {lines:?}"
        );
        run.warnings.extend(again.warnings);
        run.complete = again.complete;
    }
    run
}

fn run_once(bin: &Path, tmp: &Path, base: &str, lines: &str) -> Run {
    static N: AtomicUsize = AtomicUsize::new(0);
    let env = tmp.join(format!("{}.env", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&env, format!("{base}{lines}")).unwrap();
    let out = Command::new(bin)
        .arg(&env)
        .env_clear()
        .current_dir(tmp)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&env);
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "oracle exit {code} for {lines:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The oracle prints nothing when Go cannot encode the config: a
    // SensitiveRawMessage (ECS_ENGINE_AUTH_DATA) holding text that is not
    // JSON. The agent stores such a value as it is and starts.
    let json: serde_json::Value = if out.stdout.is_empty() && code == 0 {
        serde_json::json!({ "config": "unencodable" })
    } else {
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "oracle output for {lines:?} (exit {code}) is not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let complete = stderr.contains(LAST_LINE);
    let warnings = stderr
        .lines()
        .filter_map(|l| {
            let rest = l.split_once(' ')?.1;
            let level = rest.strip_prefix('[')?.split_once(']')?.0;
            matches!(level, "Warn" | "Error" | "Critical").then(|| {
                let rest = rest.replace(['[', ']', '"'], " ");
                let mut t: Vec<&str> = rest.split_whitespace().collect();
                t.sort_unstable();
                t.join(" ")
            })
        })
        .collect();
    Run {
        code,
        config: json["config"].clone(),
        error: json["error"].as_str().map(str::to_owned),
        warnings,
        complete,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AgentVerdict {
    Refuses,
    IgnoresOrWarns,
    Takes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ProviderVerdict {
    Error,
    Warning,
    Nothing,
}

/// How the agent reads a key, from keys.txt's "how" and "function" columns
/// (the agent's helpers), not from the provider's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Duration,
    Uint16,
    Int,
    PortList,
    PortRange,
    LoggingDrivers,
    StringList,
    StringMap,
    CidrList,
    RpsLimit,
    Enum(&'static [&'static str]),
    EnumIgnoreCase(&'static [&'static str]),
    Text,
}

fn kind_of(row: &KeyRow) -> Kind {
    match (row.how.as_str(), row.func.as_str(), row.key.as_str()) {
        (h, _, _) if h.contains("ParseBool") || h.starts_with("parseBoolean") => Kind::Bool,
        ("parseEnvVariableDuration", _, _) => Kind::Duration,
        ("parseEnvVariableUint16", _, _) => Kind::Uint16,
        ("parseReservedPorts", _, _) => Kind::PortList,
        ("parseDynamicHostPortRange", _, _) => Kind::PortRange,
        (_, "parseAvailableLoggingDrivers", _) => Kind::LoggingDrivers,
        (_, "parseVolumePluginCapabilities", _) => Kind::StringList,
        (_, "parseInstanceAttributes" | "parseContainerInstanceTags", _) => Kind::StringMap,
        (_, "parseAdditionalLocalRoutes", _) => Kind::CidrList,
        (_, "parseTaskMetadataThrottles", _) => Kind::RpsLimit,
        (
            _,
            "parseNumImagesToDeletePerCycle"
            | "parseNumNonECSContainersToDeletePerCycle"
            | "parseTaskPidsLimit",
            _,
        ) => Kind::Int,
        (_, "parseImagePullBehavior", _) => {
            Kind::Enum(&["default", "always", "once", "prefer-cached"])
        }
        (_, "parseContainerInstancePropagateTagsFrom", _) => Kind::Enum(&["none", "ec2_instance"]),
        (_, "parseInstanceIPCompatibility", _) => Kind::EnumIgnoreCase(&["ipv4", "ipv6"]),
        (_, _, "ECS_ENGINE_AUTH_TYPE") => Kind::Enum(&["docker", "dockercfg"]),
        _ => Kind::Text,
    }
}

/// Go's `time.ParseDuration` grammar (overflow aside), written here from the
/// Go documentation, independent of the provider's parser.
fn go_duration_syntax(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..n];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        if !matches!(
            &rest[..u],
            "ns" | "us" | "µs" | "μs" | "ms" | "s" | "m" | "h"
        ) {
            return false;
        }
        rest = &rest[u..];
    }
    true
}

fn is_zero_duration(s: &str) -> bool {
    go_duration_syntax(s) && !s.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

fn go_parse_bool(s: &str) -> bool {
    matches!(
        s,
        "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False"
    )
}

/// Whether `v` is a valid spelling for `kind` (only consulted when the
/// agent's config did not change and it logged nothing).
fn valid_spelling(kind: Kind, v: &str) -> bool {
    match kind {
        Kind::Bool => go_parse_bool(v.trim()),
        Kind::Duration => go_duration_syntax(v) && !is_zero_duration(v),
        Kind::Uint16 => v.bytes().all(|b| b.is_ascii_digit()) && v.parse::<u16>().is_ok(),
        // 0 is the zero value: the agent merges its default over it.
        Kind::Int => {
            let d = v.trim().strip_prefix(['+', '-']).unwrap_or(v.trim());
            !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()) && d.bytes().any(|b| b != b'0')
        }
        // `null`, blank or a value of another shape leaves the field unset.
        Kind::PortList | Kind::LoggingDrivers | Kind::StringList | Kind::CidrList => {
            matches!(
                serde_json::Deserializer::from_str(v)
                    .into_iter::<serde_json::Value>()
                    .next(),
                Some(Ok(serde_json::Value::Array(_)))
            )
        }
        Kind::StringMap => matches!(
            serde_json::from_str::<serde_json::Value>(v),
            Ok(serde_json::Value::Object(_))
        ),
        Kind::Enum(allowed) => allowed.contains(&v),
        Kind::EnumIgnoreCase(allowed) => allowed.contains(&v.trim().to_lowercase().as_str()),
        // 0,0 is the zero value: the agent merges 40,60 over it.
        Kind::RpsLimit => {
            let n: Vec<Option<i64>> = v.split(',').map(|x| x.trim().parse().ok()).collect();
            n.len() == 2 && n.iter().all(|x| x.is_some_and(|x| x > 0))
        }
        // An empty value is no value: the agent uses its default.
        _ => !v.is_empty(),
    }
}

/// Values every key gets.
const GENERIC: &[&str] = &[
    "",
    " ",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "abc",
    "30s",
    "100",
    "99999999999999999999",
    "[]",
    "{}",
    "null",
    "[1,2]",
    r#"["a"]"#,
    r#"{"a":"b"}"#,
    r#""x""#,
    "'x'",
    " true",
    "true ",
];

fn fixed_values(kind: Kind) -> Vec<&'static str> {
    let own: &[&str] = match kind {
        Kind::Bool => &[
            "TRUE", "True", "t", "F", "yes", "no", "on", "2", "\"true\"", "'false'", "\ttrue",
            "false ",
        ],
        Kind::Duration => &[
            "5m",
            "1h30m",
            "1.5h",
            ".5s",
            "300ms",
            "2µs",
            "-5s",
            "+45s",
            "0s",
            "0.0h",
            "1d",
            "5 m",
            "5m ",
            " 5m",
            "'5m'",
            "\"5m\"",
            "10",
            "9223372036854775807ns",
            "9223372036854775808ns",
            "3000000h",
            "1s",
            "999ms",
            "44s",
            "45s",
            "59s",
            "1m",
            "9m59s",
            "10m",
            "7ms",
            "8ms",
            "100ms",
            "101ms",
            "4s",
            "20s",
            "21s",
            "3h",
        ],
        Kind::Uint16 | Kind::Int => &[
            "65535",
            "65536",
            "+5",
            " 5",
            "5 ",
            "5.0",
            "0x10",
            "1e3",
            "4194304",
            "4194305",
            "9223372036854775807",
            "-9223372036854775809",
            "'5'",
        ],
        Kind::PortList => &[
            "[53,123]",
            "[53, 123]",
            "[53,70000]",
            "[-1]",
            "[53] x",
            "[53]]",
            "53",
            r#"["53"]"#,
            "'[53]'",
            " [53]",
        ],
        Kind::PortRange => &[
            "100-200",
            "200-100",
            "0-65535",
            "1-65536",
            "5",
            "100 - 200",
            " 100-200",
            "100-200 ",
            "a-b",
        ],
        Kind::LoggingDrivers => &[
            r#"["json-file","awslogs"]"#,
            r#"["json-file","loki"]"#,
            r#"["awsfirelens"]"#,
            r#"'["json-file"]'"#,
            "json-file",
            r#"["json-file"] trailing"#,
            r#"[1]"#,
            r#" ["none"]"#,
        ],
        Kind::StringList => &[r#"["efsAuth"]"#, r#"[1]"#, "efsAuth", r#"["a"] x"#],
        Kind::StringMap => &[
            r#"{"env":"dev"}"#,
            r#"[{"env":"dev"}]"#,
            r#"{"env":1}"#,
            r#"{"env":" dev"}"#,
            r#"{"a b":"dev"}"#,
            r#"{"env":"dev"} x"#,
            r#"'{"env":"dev"}'"#,
            r#" {"env":"dev"}"#,
            r#"{"env":null}"#,
        ],
        Kind::CidrList => &[
            r#"["10.0.0.0/8"]"#,
            r#"["10.0.0.0/33"]"#,
            r#"["10.0.0.1"]"#,
            r#"["fd00::/64"]"#,
            "10.0.0.0/8",
            r#"'["10.0.0.0/8"]'"#,
            r#" ["10.0.0.0/8"]"#,
        ],
        Kind::RpsLimit => &[
            "100,150",
            " 100 , 150 ",
            "100",
            "100,150,200",
            "0,0",
            "-1,5",
            "a,b",
            "100,",
        ],
        Kind::Enum(_) | Kind::EnumIgnoreCase(_) => &[
            "default",
            "always",
            "once",
            "prefer-cached",
            "Always",
            " always",
            "always ",
            "cached",
            "none",
            "ec2_instance",
            "EC2_INSTANCE",
            "ipv4",
            "IPv6",
            " ipv6 ",
            "dual",
            "docker",
            "dockercfg",
            "Docker",
        ],
        Kind::Text => &["/var/lib/ecs", " /x", "/x ", "a,b", "a,,b", "'quoted'"],
    };
    GENERIC.iter().chain(own).copied().collect()
}

/// Random values of the key's kind (valid and mutated), from proptest.
fn random_values(kind: Kind, runner: &mut TestRunner, n: usize) -> Vec<String> {
    let unit = proptest::sample::select(vec!["ns", "us", "ms", "s", "m", "h", "", "d"]);
    let valid: proptest::strategy::BoxedStrategy<String> = match kind {
        Kind::Bool => proptest::sample::select(vec![
            "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False",
        ])
        .prop_map(str::to_owned)
        .boxed(),
        Kind::Duration => (0u64..200_000, unit, proptest::bool::ANY)
            .prop_map(|(n, u, frac)| {
                if frac {
                    format!("{}.{}{u}", n / 1000, n % 1000)
                } else {
                    format!("{n}{u}")
                }
            })
            .boxed(),
        Kind::Uint16 | Kind::Int | Kind::PortRange => (-70_000i64..5_000_000, 0u16..=65535)
            .prop_map(move |(a, b)| {
                if kind == Kind::PortRange {
                    format!("{}-{b}", a.rem_euclid(65536))
                } else {
                    a.to_string()
                }
            })
            .boxed(),
        Kind::PortList => proptest::collection::vec(0u32..70_000, 0..4)
            .prop_map(|v| serde_json::to_string(&v).unwrap())
            .boxed(),
        Kind::LoggingDrivers => proptest::collection::vec(
            proptest::sample::select(vec![
                "json-file",
                "awslogs",
                "syslog",
                "none",
                "loki",
                "gelf",
                "local",
            ]),
            0..4,
        )
        .prop_map(|v| serde_json::to_string(&v).unwrap())
        .boxed(),
        Kind::StringMap | Kind::StringList => {
            proptest::collection::btree_map("[a-z ._]{0,5}", "[a-z ._:]{0,5}", 0..3)
                .prop_map(move |m| {
                    if kind == Kind::StringList {
                        serde_json::to_string(&m.keys().collect::<Vec<_>>()).unwrap()
                    } else {
                        serde_json::to_string(&m).unwrap()
                    }
                })
                .boxed()
        }
        Kind::CidrList => proptest::collection::vec((0u8..=255, 0u8..40), 0..3)
            .prop_map(|v| {
                let c: Vec<String> = v.iter().map(|(a, l)| format!("10.{a}.0.0/{l}")).collect();
                serde_json::to_string(&c).unwrap()
            })
            .boxed(),
        Kind::RpsLimit => (-5i64..1000, -5i64..1000)
            .prop_map(|(a, b)| format!("{a},{b}"))
            .boxed(),
        Kind::Enum(v) | Kind::EnumIgnoreCase(v) => proptest::sample::select(v.to_vec())
            .prop_map(str::to_owned)
            .boxed(),
        Kind::Text => "[ -~]{0,16}".boxed(),
    };
    let mutated = (
        valid.clone(),
        proptest::sample::select(vec![
            "pad", "lpad", "tab", "dq", "sq", "upper", "suffix", "plus", "garbage", "asis",
        ]),
        "[ -~]{0,10}",
    )
        .prop_map(|(v, how, junk)| match how {
            "pad" => format!("{v} "),
            "lpad" => format!(" {v}"),
            "tab" => format!("\t{v}"),
            "dq" => format!("\"{v}\""),
            "sq" => format!("'{v}'"),
            "upper" => v.to_uppercase(),
            "suffix" => format!("{v}x"),
            "plus" => format!("+{v}"),
            "garbage" => junk,
            _ => v,
        });
    let mut out = Vec::new();
    for i in 0..n {
        let v = if i % 2 == 0 {
            valid.new_tree(runner).unwrap().current()
        } else {
            mutated.new_tree(runner).unwrap().current()
        };
        out.push(v);
    }
    out
}

fn provider_verdict(key: &str, value: &str) -> (ProviderVerdict, Vec<String>, Vec<String>) {
    let input = AgentInput {
        cluster: "c".into(),
        config: BTreeMap::from([(key.to_owned(), value.to_owned())]),
        ..AgentInput::default()
    };
    let problems: Vec<_> = input
        .validate()
        .into_iter()
        .filter(|p| p.attribute == "config" && p.key.as_deref() == Some(key))
        .collect();
    let verdict = if problems.iter().any(|p| p.severity == Severity::Error) {
        ProviderVerdict::Error
    } else if problems.is_empty() {
        ProviderVerdict::Nothing
    } else {
        ProviderVerdict::Warning
    };
    let summaries = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| p.summary.clone())
        .collect();
    let texts = problems
        .iter()
        .map(|p| format!("{} {}", p.summary, p.detail))
        .collect();
    (verdict, summaries, texts)
}

/// (key, error summary) pairs documented as "stricter than the agent": the
/// first two columns (in backticks) of the table under STRICTER_HEADING; a
/// key of `*` stands for every key.
fn documented_stricter() -> BTreeSet<(String, String)> {
    let page = std::fs::read_to_string(workspace_root().join("docs/data-sources/agent_options.md"))
        .unwrap_or_default();
    let Some((_, after)) = page.split_once(STRICTER_HEADING) else {
        return BTreeSet::new();
    };
    after
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, rest) = l.strip_prefix("| `")?.split_once("` | `")?;
            Some((key.to_owned(), rest.split_once("` |")?.0.to_owned()))
        })
        .collect()
}

struct Case {
    key: String,
    value: String,
    kind: Kind,
}

#[test]
fn the_agent_is_the_oracle_for_config() {
    let rows = key_rows();
    let keys: BTreeSet<String> = rows.iter().map(|r| r.key.clone()).collect();
    assert!(keys.len() >= 80, "only {} keys in keys.txt", keys.len());

    // The provider knows every key the agent reads.
    let unknown: Vec<&String> = keys
        .iter()
        .filter(|k| !agent_config::is_agent_key(k))
        .collect();
    assert!(
        unknown.is_empty(),
        "keys the agent reads that agent_config does not know: {unknown:?}"
    );

    let dir = match oracle_dir() {
        Ok(d) => d,
        Err(why) => {
            if std::env::var("ECSHOST_REQUIRE_AGENT").as_deref() == Ok("1") {
                panic!("ECSHOST_REQUIRE_AGENT=1 and the oracle is missing: {why}");
            }
            say!("agent_config_oracle: NOT RUN: {why} (set ECSHOST_ECS_AGENT_DIR to the directory holding {ORACLE}-{}-linux-amd64.gz)", agent_config::AGENT_VERSION);
            return;
        }
    };
    let tmp = TempDir::new();
    let bin = unpack(&dir, &tmp.0, ORACLE).unwrap_or_else(|e| panic!("{e}"));

    // Each key appears as a string in the oracle, except those keys.txt says
    // are read outside config.NewConfig (the linker drops those functions).
    let oracle_text = String::from_utf8_lossy(&std::fs::read(&bin).unwrap()).into_owned();
    let mut not_parsed = BTreeSet::new();
    for k in &keys {
        if oracle_text.contains(k.as_str()) {
            continue;
        }
        let funcs: Vec<&str> = rows
            .iter()
            .filter(|r| &r.key == k)
            .map(|r| r.func.as_str())
            .collect();
        assert!(
            funcs.iter().all(|f| OUTSIDE_NEW_CONFIG.contains(f)),
            "{k} (read in {funcs:?}) is in keys.txt but not in {ORACLE}"
        );
        say!("agent_config_oracle: {k} is read by {funcs:?}, which config.NewConfig does not call: not run through the oracle");
        not_parsed.insert(k.clone());
    }

    // Baseline: the env file without the key.
    let mut bases: BTreeMap<String, Run> = BTreeMap::new();
    for key in &keys {
        let env = base_env(key);
        bases.entry(env).or_insert_with_key(|env| {
            let run = run_oracle(&bin, &tmp.0, env, "");
            assert_eq!(run.code, 0, "baseline {env:?} refused: {:?}", run.error);
            run
        });
    }

    let mut runner = TestRunner::deterministic();
    let mut cases = Vec::new();
    for key in &keys {
        if not_parsed.contains(key) {
            continue;
        }
        let row = rows.iter().find(|r| &r.key == key).unwrap();
        let kind = kind_of(row);
        let mut values: BTreeSet<String> =
            fixed_values(kind).into_iter().map(str::to_owned).collect();
        values.extend(random_values(kind, &mut runner, 6));
        for value in values {
            // An empty region is the oracle's blind spot: on EC2 the agent
            // then takes the region from instance metadata, which the
            // oracle black-holes (it refuses for a missing region).
            if value.contains(['\n', '\r', '\0'])
                || (key == "AWS_DEFAULT_REGION" && value.trim().is_empty())
            {
                continue;
            }
            cases.push(Case {
                key: key.clone(),
                value,
                kind,
            });
        }
    }
    // Typos of keys: the agent ignores them.
    let mut typos = Vec::new();
    for key in keys.iter().filter(|k| k.starts_with("ECS_")) {
        let mut t = key.clone();
        let i = t.len() - 3;
        t.remove(i);
        if !keys.contains(&t) {
            typos.push(Case {
                key: t,
                value: "true".into(),
                kind: Kind::Text,
            });
        }
    }

    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4) * 2);
    let all: Vec<&Case> = cases.iter().chain(&typos).collect();
    let next = AtomicUsize::new(0);
    let results: Vec<(usize, Run)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = all.get(i) else { break };
                        out.push((
                            i,
                            run_oracle(
                                &bin,
                                &tmp.0,
                                &base_env(&c.key),
                                &format!("{}={}\n", c.key, c.value),
                            ),
                        ));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut runs: Vec<Option<Run>> = vec![None; all.len()];
    for (i, r) in results {
        runs[i] = Some(r);
    }

    let documented = documented_stricter();
    let mut matrix: BTreeMap<(AgentVerdict, ProviderVerdict), usize> = BTreeMap::new();
    let mut offending: BTreeMap<(AgentVerdict, ProviderVerdict), Vec<String>> = BTreeMap::new();
    let mut secret_leaks = Vec::new();
    let mut typo_failures = Vec::new();
    for (c, run) in all.iter().zip(runs) {
        let run = run.unwrap();
        let base = &bases[&base_env(&c.key)];
        let agent = if run.code == 1 {
            AgentVerdict::Refuses
        } else if !run.warnings.is_subset(&base.warnings) {
            AgentVerdict::IgnoresOrWarns
        } else if run.config != base.config || valid_spelling(c.kind, &c.value) {
            AgentVerdict::Takes
        } else {
            AgentVerdict::IgnoresOrWarns
        };
        let (provider, error_summaries, texts) = provider_verdict(&c.key, &c.value);
        if matches!(
            c.key.as_str(),
            "ECS_ENGINE_AUTH_DATA" | "HTTP_PROXY" | "HTTPS_PROXY" | "NO_PROXY"
        ) && c.value.len() >= 4
            && texts.iter().any(|t| t.contains(c.value.trim()))
        {
            secret_leaks.push(format!("{} = {:?}", c.key, c.value));
        }
        if !keys.contains(&c.key) {
            // A typo: the provider must warn or err and name the key it meant.
            let meant: Vec<&String> = keys
                .iter()
                .filter(|k| {
                    k.len() == c.key.len() + 1 && {
                        let i = k.len() - 3;
                        let mut t = (*k).clone();
                        t.remove(i);
                        t == c.key
                    }
                })
                .collect();
            if provider == ProviderVerdict::Nothing
                || !meant.iter().any(|m| {
                    texts
                        .iter()
                        .any(|t| t.contains(&format!("did you mean {m}")))
                })
            {
                typo_failures.push(format!("{} (meant {meant:?}): {texts:?}", c.key));
            }
            continue;
        }
        *matrix.entry((agent, provider)).or_default() += 1;
        let forbidden = match (agent, provider) {
            (AgentVerdict::Refuses, p) => p != ProviderVerdict::Error,
            (AgentVerdict::IgnoresOrWarns, p) => p == ProviderVerdict::Nothing,
            (AgentVerdict::Takes, ProviderVerdict::Error) => !error_summaries.iter().all(|s| {
                documented.contains(&(c.key.clone(), s.clone()))
                    || documented.contains(&("*".to_owned(), s.clone()))
            }),
            (AgentVerdict::Takes, _) => false,
        };
        if forbidden {
            let why = match agent {
                AgentVerdict::Refuses => format!("agent: {:?}", run.error),
                AgentVerdict::IgnoresOrWarns => format!(
                    "agent warns {:?}",
                    run.warnings.difference(&base.warnings).collect::<Vec<_>>()
                ),
                AgentVerdict::Takes => format!("provider: {error_summaries:?}"),
            };
            offending
                .entry((agent, provider))
                .or_default()
                .push(format!("{} = {:?} ({why})", c.key, c.value));
        }
    }

    say!(
        "agent_config_oracle: {} keys, {} cases, {} typo cases, {} oracle runs in {:.1}s on {threads} threads",
        keys.len() - not_parsed.len(),
        cases.len(),
        typos.len(),
        all.len() + 1,
        started.elapsed().as_secs_f64()
    );
    say!(
        "{:<32}{:>8}{:>10}{:>10}",
        "agent \\ provider",
        "error",
        "warning",
        "nothing"
    );
    for (a, label) in [
        (AgentVerdict::Refuses, "refuses"),
        (AgentVerdict::IgnoresOrWarns, "ignores or warns"),
        (AgentVerdict::Takes, "takes"),
    ] {
        let n = |p| matrix.get(&(a, p)).copied().unwrap_or(0);
        say!(
            "{label:<32}{:>8}{:>10}{:>10}",
            n(ProviderVerdict::Error),
            n(ProviderVerdict::Warning),
            n(ProviderVerdict::Nothing)
        );
    }
    if let Some(path) = std::env::var_os("ECSHOST_ORACLE_DUMP") {
        // Every forbidden case, one a line, for working through them.
        let all: Vec<String> = offending
            .iter()
            .flat_map(|((a, p), l)| l.iter().map(move |l| format!("{a:?}/{p:?}\t{l}")))
            .collect();
        std::fs::write(path, all.join("\n") + "\n").unwrap();
    }
    let mut failures = Vec::new();
    for ((a, p), list) in &offending {
        let mut by_key: BTreeMap<&str, usize> = BTreeMap::new();
        for l in list {
            *by_key.entry(l.split(' ').next().unwrap_or("")).or_default() += 1;
        }
        failures.push(format!(
            "{} forbidden cases with agent {a:?} / provider {p:?} (by key: {by_key:?}), e.g.:\n    {}",
            list.len(),
            list.iter().take(8).cloned().collect::<Vec<_>>().join("\n    ")
        ));
    }
    if !typo_failures.is_empty() {
        failures.push(format!(
            "{} misspelt keys without a \"did you mean\" diagnostic, e.g.:\n    {}",
            typo_failures.len(),
            typo_failures
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n    ")
        ));
    }
    if !secret_leaks.is_empty() {
        failures.push(format!("secrets in diagnostics: {secret_leaks:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
