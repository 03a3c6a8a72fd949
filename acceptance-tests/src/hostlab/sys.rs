//! Process, signal, mount and cgroup helpers (std only, no libc).
//!
//! Every external command goes through [`run`], which enforces a timeout and
//! kills the whole process group when it expires.

use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::hostlab::{Error, Result};

/// Directories searched for the lab's tools, in order. `/usr/local/bin` is
/// deliberately absent: on this machine kind it holds a Docker 28 CLI that
/// shadows Debian's 20.10 one.
pub const TOOL_PATH: &str = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Result of one external command.
#[derive(Debug, Clone)]
pub struct CmdOutput {
    /// Exit code; `None` when killed by a signal or by the timeout.
    pub code: Option<i32>,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
    /// True when the timeout expired and the process group was killed.
    pub timed_out: bool,
    /// Wall-clock time the command took.
    pub elapsed: Duration,
}

impl CmdOutput {
    /// Exit code 0 and no timeout.
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// stdout followed by stderr.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// Turn a failed command into an [`Error`] that carries its output.
    pub fn check(self, what: &str) -> Result<CmdOutput> {
        if self.success() {
            Ok(self)
        } else {
            Err(Error::new(format!("{what} failed: {self}")))
        }
    }
}

impl fmt::Display for CmdOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit={:?} timed_out={} elapsed={:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            self.timed_out,
            self.elapsed,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// Absolute path of a tool found in [`TOOL_PATH`].
pub fn tool(name: &str) -> Result<PathBuf> {
    for dir in TOOL_PATH.split(':') {
        let p = Path::new(dir).join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(Error::new(format!(
        "tool `{name}` not found in {TOOL_PATH}"
    )))
}

/// A `Command` for `name` resolved via [`tool`], with a clean environment
/// (`PATH=TOOL_PATH`, `LANG=C`).
pub fn command(name: &str) -> Result<Command> {
    let mut c = Command::new(tool(name)?);
    c.env_clear().env("PATH", TOOL_PATH).env("LANG", "C");
    Ok(c)
}

fn spawn_reader<R: Read + Send + 'static>(
    mut r: R,
) -> (Arc<Mutex<Vec<u8>>>, thread::JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let b2 = Arc::clone(&buf);
    let h = thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match r.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => b2
                    .lock()
                    .expect("reader buffer")
                    .extend_from_slice(&chunk[..n]),
            }
        }
    });
    (buf, h)
}

/// Run `cmd` to completion with stdin closed, capturing output, killing its
/// process group after `timeout`.
///
/// Background grandchildren that keep stdout/stderr open do not block the
/// call: after the direct child exits, readers get one more second.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<CmdOutput> {
    let start = Instant::now();
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::new(format!("spawn {cmd:?}: {e}")))?;
    let (out, hout) = spawn_reader(child.stdout.take().expect("piped stdout"));
    let (err, herr) = spawn_reader(child.stderr.take().expect("piped stderr"));
    let pgid = child.id();
    let deadline = start + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) => {}
            Err(e) => return Err(Error::new(format!("wait {cmd:?}: {e}"))),
        }
        if Instant::now() >= deadline {
            timed_out = true;
            signal_group(pgid, "KILL");
            let _ = child.kill();
            break child.wait().ok();
        }
        thread::sleep(Duration::from_millis(10));
    };
    let grace = Instant::now() + Duration::from_secs(1);
    while !(hout.is_finished() && herr.is_finished()) && Instant::now() < grace {
        thread::sleep(Duration::from_millis(10));
    }
    let take =
        |b: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&b.lock().expect("buf")).into_owned();
    if std::env::var_os("HOSTLAB_TRACE").is_some() {
        eprintln!(
            "hostlab trace: {:?} in {:?} (timed_out={timed_out})",
            cmd,
            start.elapsed()
        );
    }
    Ok(CmdOutput {
        code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        stdout: take(&out),
        stderr: take(&err),
        timed_out,
        elapsed: start.elapsed(),
    })
}

/// Print `msg` to stderr when `HOSTLAB_TRACE` is set.
pub fn trace(msg: &str) {
    if std::env::var_os("HOSTLAB_TRACE").is_some() {
        eprintln!("hostlab trace: {msg}");
    }
}

/// Run and require success.
pub fn run_ok(cmd: &mut Command, timeout: Duration, what: &str) -> Result<CmdOutput> {
    run(cmd, timeout)?.check(what)
}

/// Send `sig` (e.g. `"TERM"`, `"KILL"`) to one PID. Errors are ignored.
pub fn signal(pid: u32, sig: &str) {
    if let Ok(mut c) = command("kill") {
        let _ = c
            .args(["-s", sig, &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Send `sig` to a whole process group. Errors are ignored.
pub fn signal_group(pgid: u32, sig: &str) {
    if let Ok(mut c) = command("kill") {
        let _ = c
            .args(["-s", sig, "--", &format!("-{pgid}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// True while `/proc/<pid>` exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // state is the first field after the ")" that closes comm
            let state = stat
                .rfind(')')
                .and_then(|i| stat[i + 1..].split_whitespace().next());
            !matches!(state, Some("Z") | Some("X") | None)
        }
        Err(_) => false,
    }
}

/// Stop a child we spawned: SIGTERM, wait up to `grace`, then SIGKILL and reap.
pub fn stop_child(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    signal(child.id(), "TERM");
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Stop a PID we did not spawn (cannot reap it): SIGTERM, wait, SIGKILL.
pub fn stop_pid(pid: u32, grace: Duration) {
    if !pid_alive(pid) {
        return;
    }
    signal(pid, "TERM");
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !pid_alive(pid) {
            return;
        }
        thread::sleep(Duration::from_millis(20));
    }
    signal(pid, "KILL");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pid_alive(pid) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
}

/// PIDs (other than ours) whose command line contains `needle`.
pub fn pids_with_cmdline_containing(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    let mut pids = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        if let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            let line = String::from_utf8_lossy(&raw).replace('\0', " ");
            if line.contains(needle) && pid_alive(pid) {
                pids.push(pid);
            }
        }
    }
    pids
}

/// Kill (TERM, then KILL after `grace`) every process whose command line
/// mentions `needle` — used with a lab's unique directory.
pub fn kill_cmdline_matches(needle: &str, grace: Duration) -> usize {
    let pids = pids_with_cmdline_containing(needle);
    trace(&format!("kill_cmdline_matches {needle}: {pids:?}"));
    for &p in &pids {
        signal(p, "TERM");
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline && pids.iter().any(|&p| pid_alive(p)) {
        thread::sleep(Duration::from_millis(20));
    }
    for &p in &pids {
        if pid_alive(p) {
            signal(p, "KILL");
        }
    }
    pids.len()
}

fn unescape_mount(s: &str) -> String {
    // mountinfo escapes space, tab, newline and backslash as \ooo
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0');
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Mount points at or below `dir`, deepest first.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| PathBuf::from(unescape_mount(m)))
        .filter(|m| m.starts_with(dir))
        .collect();
    v.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    v.dedup();
    v
}

/// Lazily unmount everything at or below `dir` (repeats for stacked mounts).
pub fn unmount_under(dir: &Path) -> Result<()> {
    for _ in 0..5 {
        let mounts = mounts_under(dir);
        if mounts.is_empty() {
            return Ok(());
        }
        for m in mounts {
            let _ = run(
                command("umount")?.arg("-l").arg(&m),
                Duration::from_secs(10),
            );
        }
    }
    let left = mounts_under(dir);
    if left.is_empty() {
        Ok(())
    } else {
        Err(Error::new(format!(
            "mounts left under {}: {left:?}",
            dir.display()
        )))
    }
}

/// Remove a directory tree, but only once nothing is mounted below it.
pub fn remove_tree(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    unmount_under(dir)?;
    std::fs::remove_dir_all(dir).map_err(|e| Error::new(format!("remove {}: {e}", dir.display())))
}

/// Cgroup directories named `name` directly below each mounted hierarchy
/// (cgroup v1 controllers and the v2 unified tree).
pub fn cgroup_dirs(name: &str) -> Vec<PathBuf> {
    let name = name.trim_start_matches('/');
    let root = Path::new("/sys/fs/cgroup");
    let mut v = Vec::new();
    if root.join(name).is_dir() {
        v.push(root.join(name));
    }
    if let Ok(rd) = std::fs::read_dir(root) {
        for e in rd.flatten() {
            let p = e.path().join(name);
            if p.is_dir() {
                v.push(p);
            }
        }
    }
    v
}

fn walk_dirs(dir: &Path, acc: &mut Vec<PathBuf>) {
    acc.push(dir.to_path_buf());
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                walk_dirs(&e.path(), acc);
            }
        }
    }
}

/// SIGKILL every process in the cgroup subtree `name` (all hierarchies), then
/// remove the cgroup directories. Best effort; returns how many PIDs were hit.
pub fn kill_cgroup_tree(name: &str) -> usize {
    let mut killed = 0;
    for _ in 0..3 {
        let mut dirs = Vec::new();
        for top in cgroup_dirs(name) {
            walk_dirs(&top, &mut dirs);
        }
        if dirs.is_empty() {
            return killed;
        }
        for d in &dirs {
            if let Ok(procs) = std::fs::read_to_string(d.join("cgroup.procs")) {
                for pid in procs.lines().filter_map(|l| l.trim().parse::<u32>().ok()) {
                    signal(pid, "KILL");
                    killed += 1;
                }
            }
        }
        thread::sleep(Duration::from_millis(200));
        dirs.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        for d in &dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
    killed
}

/// True if the ELF file at `path` has no program interpreter (statically linked).
pub fn is_static_elf(path: &Path) -> Result<bool> {
    let b = std::fs::read(path).map_err(|e| Error::new(format!("read {}: {e}", path.display())))?;
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 || b[5] != 1 {
        return Err(Error::new(format!(
            "{} is not a 64-bit little-endian ELF",
            path.display()
        )));
    }
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[0x20..0x28].try_into().expect("8 bytes")) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    for i in 0..phnum {
        let o = phoff + i * phentsize;
        if o + 4 > b.len() {
            break;
        }
        if u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes")) == 3 {
            return Ok(false); // PT_INTERP
        }
    }
    Ok(true)
}

/// Effective UID of this process, from `/proc/self/status`.
pub fn euid() -> Option<u32> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Single-quote `s` for a POSIX shell.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn mountinfo_unescape() {
        assert_eq!(unescape_mount(r"/a\040b"), "/a b");
        assert_eq!(unescape_mount(r"/plain"), "/plain");
    }

    #[test]
    fn timeout_kills() {
        let mut c = command("sh").unwrap();
        c.args(["-c", "sleep 5"]);
        let out = run(&mut c, Duration::from_millis(200)).unwrap();
        assert!(out.timed_out);
        assert!(out.elapsed < Duration::from_secs(3));
    }

    #[test]
    fn background_grandchild_does_not_block() {
        let mut c = command("sh").unwrap();
        c.args(["-c", "sleep 3 & echo hi"]);
        let out = run(&mut c, Duration::from_secs(10)).unwrap();
        assert_eq!(out.stdout.trim(), "hi");
        assert!(
            out.elapsed < Duration::from_millis(2500),
            "{:?}",
            out.elapsed
        );
    }
}
