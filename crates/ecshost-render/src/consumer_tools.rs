//! Test-only helpers that feed rendered output to the real consumer tools
//! (shellcheck, cloud-init, netplan, ignition-validate, systemd-analyze, nmcli,
//! ifup) and compare golden files.
//!
//! A missing tool prints `SKIP: <tool> not installed` and the check returns,
//! unless `ECSHOST_REQUIRE_TOOLS=1`, which turns the skip into a panic (CI sets
//! it after installing the Debian packages listed in the report). Golden files
//! live in `src/testdata/` (of this crate); `ECSHOST_UPDATE_GOLDEN=1` rewrites them.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// True when `tool` is on `PATH`; otherwise reports the skip (or panics when
/// tools are required).
pub(crate) fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    if !found {
        if std::env::var("ECSHOST_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{tool} not installed and ECSHOST_REQUIRE_TOOLS=1");
        }
        println!("SKIP: {tool} not installed");
    }
    found
}

/// A fresh empty directory under the system temp dir, removed (with
/// everything in it) when the guard is dropped, so test runs leave nothing
/// behind.
pub(crate) struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// See [`TempDir`]; `name` goes into the directory's name.
pub(crate) fn temp_dir(name: &str) -> TempDir {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ecshost-render-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn write(path: &Path, content: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Compares `content` with `src/testdata/<name>`.
pub(crate) fn golden(name: &str, content: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/testdata")
        .join(name);
    if std::env::var("ECSHOST_UPDATE_GOLDEN").as_deref() == Ok("1") {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        return;
    }
    let want = fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} unreadable ({e}); run with ECSHOST_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert!(
        want == content,
        "{name} differs from golden file (ECSHOST_UPDATE_GOLDEN=1 to update)\n--- want\n{want}\n--- got\n{content}"
    );
}

/// A parsed ini file: section → key → values (repeated keys kept in order).
#[derive(Debug, Default)]
pub(crate) struct Ini(BTreeMap<String, BTreeMap<String, Vec<String>>>);

impl Ini {
    pub(crate) fn get(&self, section: &str, key: &str) -> Vec<&str> {
        self.0
            .get(section)
            .and_then(|s| s.get(key))
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default()
    }
}

/// Strict ini parse as systemd and NetworkManager read it: `[Section]`,
/// `Key=Value`, `#`/`;` comments, nothing outside a section.
pub(crate) fn parse_ini(s: &str) -> Result<Ini, String> {
    let mut ini = Ini::default();
    let mut section: Option<String> = None;
    for (n, line) in s.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            ini.0.entry(name.to_owned()).or_default();
            section = Some(name.to_owned());
            continue;
        }
        let sec = section
            .as_ref()
            .ok_or(format!("line {}: key outside section", n + 1))?;
        let (k, v) = line
            .split_once('=')
            .ok_or(format!("line {}: no '='", n + 1))?;
        ini.0
            .get_mut(sec)
            .unwrap()
            .entry(k.trim().to_owned())
            .or_default()
            .push(v.trim().to_owned());
    }
    Ok(ini)
}

/// `shellcheck -s sh` must pass with no findings at all.
pub(crate) fn shellcheck(script: &str) {
    if !have("shellcheck") {
        return;
    }
    let dir = temp_dir("shellcheck");
    let f = dir.join("script.sh");
    write(&f, script, 0o755);
    let o = run(Command::new("shellcheck")
        .args(["-s", "sh", "-S", "style"])
        .arg(&f));
    assert!(
        o.status.success(),
        "shellcheck failed:\n{}\n--- script\n{script}",
        text(&o)
    );
}

/// `cloud-init schema --config-file` must say the document is valid.
pub(crate) fn cloud_init_schema(doc: &str) {
    if !have("cloud-init") {
        return;
    }
    let dir = temp_dir("cloud-init");
    let f = dir.join("user-data");
    write(&f, doc, 0o644);
    let o = run(Command::new("cloud-init")
        .args(["schema", "--config-file"])
        .arg(&f));
    let out = text(&o);
    assert!(
        o.status.success() && out.contains("Valid cloud-config"),
        "cloud-init schema:\n{out}\n--- doc\n{doc}"
    );
}

/// `netplan generate --root-dir` must succeed; returns the generated networkd
/// files (concatenated), or `None` when netplan is missing.
pub(crate) fn netplan_generate(yaml: &str) -> Option<String> {
    if !have("netplan") {
        return None;
    }
    let root = temp_dir("netplan");
    write(&root.join("etc/netplan/60-ecs-loopback.yaml"), yaml, 0o600);
    let o = run(Command::new("netplan")
        .arg("generate")
        .arg("--root-dir")
        .arg(&root));
    assert!(o.status.success(), "netplan generate:\n{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("too open"), "netplan warned: {stderr}");
    let mut all = String::new();
    let gen = root.join("run/systemd/network");
    let mut entries: Vec<_> = fs::read_dir(&gen)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        all.push_str(&fs::read_to_string(p).unwrap());
    }
    Some(all)
}

/// `ignition-validate` must accept `json`. The Debian 12 tool (2.14) does not
/// know spec 3.4.0; that single combination is reported as a skip.
pub(crate) fn ignition_validate(json: &str, version: &str) {
    if !have("ignition-validate") {
        return;
    }
    let dir = temp_dir("ignition");
    let f = dir.join("config.ign");
    write(&f, json, 0o644);
    let o = run(Command::new("ignition-validate").arg(&f));
    let out = text(&o);
    if !o.status.success() && version == "3.4.0" && out.contains("unsupported config version") {
        println!("SKIP: installed ignition-validate does not know spec {version}");
        return;
    }
    assert!(
        o.status.success(),
        "ignition-validate ({version}):\n{out}\n--- config\n{json}"
    );
}

/// `systemd-analyze verify` on the given units, written side by side.
/// `--recursive-errors=no`: docker.service is not installed on the test machine.
pub(crate) fn systemd_analyze_verify(units: &[(&str, &str)]) {
    if !have("systemd-analyze") {
        return;
    }
    let dir = temp_dir("systemd");
    let mut paths = Vec::new();
    for (name, content) in units {
        let p = dir.join(name);
        write(&p, content, 0o644);
        paths.push(p);
    }
    let o = run(Command::new("systemd-analyze")
        .args(["verify", "--man=no", "--recursive-errors=no"])
        .args(&paths));
    let out = text(&o);
    assert!(
        o.status.success() && !out.contains("Unknown key") && !out.contains("Failed to parse"),
        "systemd-analyze verify:\n{out}"
    );
}

/// `nmcli --offline connection modify` reads the keyfile, validates it as a
/// connection profile and prints it back; `expect` must survive the round trip.
pub(crate) fn nmcli_offline(keyfile: &str, expect: &str) {
    if !have("nmcli") {
        return;
    }
    let mut child = Command::new("nmcli")
        .args([
            "--offline",
            "connection",
            "modify",
            "connection.id",
            "ecs-loopback",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(keyfile.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let out = text(&o);
    assert!(
        o.status.success() && out.contains(expect),
        "nmcli --offline:\n{out}"
    );
}

/// `ifup --no-act -i <file> lo` must plan to add `address`.
pub(crate) fn ifup_no_act(interfaces: &str, address: &str) {
    if !have("ifup") {
        return;
    }
    let dir = temp_dir("ifupdown");
    let f = dir.join("interfaces");
    write(&f, interfaces, 0o644);
    let o = run(Command::new("ifup")
        .args(["--no-act", "--force", "--state-dir"])
        .arg(&dir)
        .arg("-i")
        .arg(&f)
        .arg("lo"));
    let out = text(&o);
    assert!(
        o.status.success() && out.contains(address),
        "ifup --no-act:\n{out}"
    );
}

/// Runs `sh <script> <args>` with `env` and a PATH that puts `bin_dir` first;
/// returns (exit code, stdout+stderr).
pub(crate) fn run_sh(
    script: &str,
    args: &[&str],
    env: &[(&str, String)],
    bin_dir: &Path,
) -> (i32, String) {
    let dir = temp_dir("run-sh");
    let f = dir.join("script.sh");
    write(&f, script, 0o755);
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("/bin/sh");
    cmd.arg(&f).args(args).env("PATH", path);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = run(&mut cmd);
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// cloud-init's own loader for `text/cloud-config` parts
/// (`cloudinit.util.load_yaml`, which the part handler calls and which gives
/// `None` for anything but a mapping): `Some(true)` when it yields a
/// mapping; `None` without cloud-init.
pub(crate) fn cloud_init_loads_mapping(content: &str) -> Option<bool> {
    let python = cloud_init_python()?;
    let o = python_on_stdin(
        &python,
        "import sys
from cloudinit import util
print(isinstance(util.load_yaml(sys.stdin.read()), dict))",
        content,
        "cloud-init load_yaml",
    );
    Some(String::from_utf8_lossy(&o.stdout).trim() == "True")
}

/// Runs the Python program `script` under `python` with `input` on its
/// stdin; its output, after asserting it exited 0 (`what` names it).
fn python_on_stdin(python: &str, script: &str, input: &str, what: &str) -> Output {
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {python} for {what}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{what}:\n{}", text(&o));
    o
}

/// The cloud-config cloud-init builds from MIME user data: its own
/// `UserDataProcessor` splits the parts and its `CloudConfigPartHandler`
/// merges every `text/cloud-config` part in order, with each part's
/// `merge_how` (what it writes to `/var/lib/cloud/instance/cloud-config.txt`).
/// `None` without cloud-init.
pub(crate) fn cloud_config_merged(doc: &str) -> Option<serde_json::Value> {
    let python = cloud_init_python()?;
    const PY: &str = r#"
import json, os, sys, tempfile
from cloudinit import helpers, user_data, util
from cloudinit.handlers.cloud_config import CloudConfigPartHandler
with tempfile.TemporaryDirectory() as d:
    h = CloudConfigPartHandler(helpers.Paths({"cloud_dir": d}))
    h.cloud_fn = os.path.join(d, "cloud-config.txt")
    msg = user_data.UserDataProcessor({}).process(sys.stdin.read())
    h.handle_part(None, "__begin__", None, None, None, None)
    for part in msg.walk():
        if part.get_content_type() == "text/cloud-config":
            h.handle_part(None, "text/cloud-config", part.get_filename() or "", part.get_payload(decode=True).decode(), None, dict(part.items()))
    h.handle_part(None, "__end__", None, None, None, None)
    print(json.dumps(util.load_yaml(open(h.cloud_fn).read())))
"#;
    let o = python_on_stdin(&python, PY, doc, "cloud-init merge");
    Some(serde_json::from_slice(&o.stdout).expect("merged cloud-config as JSON"))
}

/// cloud-init's own interpreter (its script's #! line): another python3 on
/// PATH may not have the cloudinit package. `None` without cloud-init.
fn cloud_init_python() -> Option<String> {
    if !have("cloud-init") {
        return None;
    }
    let exe = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("cloud-init"))
        .find(|p| p.is_file())?;
    let shebang = fs::read_to_string(&exe).ok()?;
    Some(
        shebang
            .lines()
            .next()?
            .strip_prefix("#!")?
            .split_whitespace()
            .next()?
            .to_owned(),
    )
}

/// Whether `content` runs as a program the way cloud-init runs a script
/// part: written out, made executable and started by Python's `subprocess`
/// (`execve`, no shell fallback). `None` without python3.
pub(crate) fn executes(content: &str) -> Option<bool> {
    if !have("python3") {
        return None;
    }
    let dir = temp_dir("executes");
    let f = dir.join("part");
    write(&f, content, 0o755);
    let o = run(Command::new("python3").args([
        "-c",
        "import subprocess, sys\ntry:\n    subprocess.run([sys.argv[1]], capture_output=True)\n    print('ran')\nexcept OSError as e:\n    print(e.strerror)",
    ]).arg(&f));
    Some(String::from_utf8_lossy(&o.stdout).trim() == "ran")
}

/// Writes an executable fake command into `dir`.
pub(crate) fn fake_command(dir: &Path, name: &str, body: &str) {
    write(&dir.join(name), &format!("#!/bin/sh\n{body}"), 0o755);
}

/// Splits MIME multipart user data with Python's `email` package (the parser
/// cloud-init itself uses); returns (content type, decoded body) per part.
pub(crate) fn mime_parts(doc: &str) -> Option<Vec<(String, String)>> {
    if !have("python3") {
        return None;
    }
    const PY: &str = r#"
import email, json, sys
msg = email.message_from_bytes(sys.stdin.buffer.read())
assert msg.is_multipart(), "not multipart"
out = [[p.get_content_type(), p.get_payload(decode=True).decode("utf-8")] for p in msg.walk() if not p.is_multipart()]
print(json.dumps(out))
"#;
    let o = python_on_stdin("python3", PY, doc, "python email parse");
    let parts: Vec<(String, String)> = serde_json::from_slice(&o.stdout).unwrap();
    Some(parts)
}
