//! Helpers shared by the benchmark drivers in `benches/` (each a
//! `harness = false` bench that prints a Markdown section of figures for
//! `docs/performance.md`; `.ci/bench` runs them all and splices their output
//! into that page). Nothing here asserts anything about time.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use ecshost::sdk::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

use crate::terraform::{target_dir, workspace_root};

/// Median of `v` (the upper middle one for an even count).
pub fn median(v: &[f64]) -> f64 {
    percentile(v, 0.5)
}

/// Nearest-rank percentile `p` in 0..=1 of `v`.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return f64::NAN;
    }
    let rank = (p * s.len() as f64).ceil().max(1.0) as usize;
    s[rank.min(s.len()) - 1]
}

/// Smallest of `v`.
pub fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

/// Largest of `v`.
pub fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}

/// Runs from the `RUNS` environment variable, else `default`.
pub fn runs(default: usize) -> usize {
    std::env::var("RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of numbers from `var`, else `default`.
pub fn list(var: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(var)
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// The 1-, 5- and 15-minute load averages.
pub fn loadavg() -> [f64; 3] {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut it = s.split_whitespace().map(|x| x.parse().unwrap_or(f64::NAN));
    [
        it.next().unwrap_or(f64::NAN),
        it.next().unwrap_or(f64::NAN),
        it.next().unwrap_or(f64::NAN),
    ]
}

/// The 1-minute load at the start and end of a measurement, printed as
/// `a→b` next to each figure so a noisy neighbour shows.
#[derive(Debug, Clone, Copy)]
pub struct LoadSpan(f64);

impl LoadSpan {
    /// Notes the load now.
    pub fn start() -> Self {
        LoadSpan(loadavg()[0])
    }

    /// `start→now`.
    pub fn end(self) -> String {
        format!("{:.2}→{:.2}", self.0, loadavg()[0])
    }
}

/// Seconds of CPU (user + system) used by this process's waited-for
/// children so far (`cutime + cstime` of `/proc/self/stat`): the difference
/// around one `terraform` command is the CPU of terraform and the provider
/// processes it ran and waited for.
pub fn children_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; cutime and cstime are
    // fields 16 and 17 (1-based), i.e. 13 and 14 after the state field.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(13) + ticks(14)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    static T: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *T.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// The release provider binary: `ECSHOST_PROVIDER_BIN`, else
/// `<target>/release/terraform-provider-ecshost`. Benchmarks measure the
/// release build only; build it first
/// (`cargo build --release --bin terraform-provider-ecshost`).
pub fn release_provider() -> PathBuf {
    let p = std::env::var_os("ECSHOST_PROVIDER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("release/terraform-provider-ecshost"));
    assert!(
        p.exists(),
        "{} does not exist: run `cargo build --release --bin terraform-provider-ecshost` \
         (or set ECSHOST_PROVIDER_BIN)",
        p.display()
    );
    p
}

/// Memory of a process from `/proc/<pid>/status`, in MiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    /// VmRSS
    pub rss: f64,
    /// RssAnon (heap, stacks: what the binary's own pages do not explain)
    pub anon: f64,
}

/// Memory of `pid`, if it is still there.
pub fn mem(pid: u32) -> Option<Mem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<f64> {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some(Mem {
        rss: field("VmRSS:")?,
        anon: field("RssAnon:")?,
    })
}

/// A plugin process started the way Terraform starts it, up to its
/// handshake line.
pub struct Plugin {
    /// the process (killed on drop)
    pub child: Child,
    /// when `spawn` was called
    pub started: Instant,
    /// exec → handshake line read
    pub to_handshake: Duration,
    /// the handshake line
    pub line: String,
    /// kept open so the plugin never writes into a closed pipe
    _stdout: BufReader<ChildStdout>,
}

impl Plugin {
    /// Starts `bin` with Terraform's magic cookie, offering `protocols`
    /// (e.g. `"6"` for ours, `"5"` for hashicorp/aws) and `env`, and reads
    /// the handshake line. The clock starts just before `spawn`.
    pub fn start(bin: &Path, protocols: &str, env: &[(&str, &str)]) -> Plugin {
        let mut cmd = Command::new(bin);
        cmd.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", protocols)
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let t0 = Instant::now();
        let mut child = cmd.spawn().expect("spawn plugin");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("handshake line");
        let to_handshake = t0.elapsed();
        assert!(
            line.starts_with("1|"),
            "{} printed no handshake: {line:?}",
            bin.display()
        );
        Plugin {
            child,
            started: t0,
            to_handshake,
            line: line.trim().to_owned(),
            _stdout: out,
        }
    }

    /// The Unix socket path of the handshake line.
    pub fn socket(&self) -> String {
        self.line.split('|').nth(3).unwrap_or_default().to_owned()
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `terraform version`'s first line.
pub fn terraform_version() -> String {
    Command::new("terraform")
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "terraform not found".into())
}

/// The commit measured: `git describe --always --dirty` of the workspace.
pub fn provider_commit() -> String {
    Command::new("git")
        .args(["describe", "--always", "--dirty", "--abbrev=12"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// UTC now as `YYYY-MM-DD HH:MM` (from `date`, to avoid a time crate).
pub fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The line every section starts with: when, which commit, which
/// terraform, and the load when the bench started.
pub fn provenance() -> String {
    let [l1, l5, l15] = loadavg();
    format!(
        "_Measured {} on commit `{}`, {}; load average at start {l1:.2} / {l5:.2} / {l15:.2} (1/5/15 min) on {} cores._",
        now_utc(),
        provider_commit(),
        terraform_version(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    )
}

/// Milliseconds with a sensible number of digits.
pub fn ms(d: f64) -> String {
    if d < 10.0 {
        format!("{d:.2} ms")
    } else if d < 100.0 {
        format!("{d:.1} ms")
    } else {
        format!("{d:.0} ms")
    }
}

/// Seconds with two decimals.
pub fn secs(d: f64) -> String {
    format!("{d:.2} s")
}

/// Times `f`.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}
