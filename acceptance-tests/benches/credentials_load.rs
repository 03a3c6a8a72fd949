//! The credentials path under load (printed, not asserted), in the host
//! lab, side by side in one run:
//!
//! * **bridged** — this provider's design, rendered: `169.254.170.2/32` on
//!   `lo`, the agent on its own bridge network published on
//!   `169.254.170.2:80`, the task DNAT (`render::task_dnat`: docker0 →
//!   the agent's address in the kernel) and the in-namespace DNAT to
//!   `127.0.0.1:51679`; the rendered loopback and start scripts set it up.
//! * **bridged via docker-proxy** — the same with the task DNAT's chains
//!   flushed: what the design gave before the task DNAT (and gives for a
//!   moment after a ruleset rewrite, until the re-check writes it again).
//! * **host network** — AWS's recipe: the agent on the host network on
//!   `127.0.0.1:51679`, `net.ipv4.conf.all.route_localnet=1` host-wide and a
//!   host DNAT `169.254.170.2:80 → 127.0.0.1:51679` in `PREROUTING`.
//!
//! The agent stand-in is `credload serve` (answers
//! `GET /v2/credentials/<id>` with a credentials document; one thread per
//! connection), so the path is what is measured, not the stand-in. The load
//! is 50 task containers on `docker0`, each running `credload client`: a
//! fixed number of requests one after another, each on a new TCP
//! connection (as an SDK refreshing credentials opens one), all clients
//! released together. Rounds alternate between the paths, so machine load
//! (other builds on this machine) hits both alike.
//!
//! Reported per path: requests, errors, throughput (successful requests /
//! the window from the first client's start to the last one's end), and the
//! p50/p99 of the per-request latency.
//!
//! Run: `cargo bench -p acceptance-tests --bench credentials_load` as root
//! (the host lab). `BENCH_CLIENTS` (default 50), `BENCH_N` (requests per
//! client, default 100), `RUNS` (rounds per path, default 3).

use std::path::Path;
use std::time::{Duration, Instant};

use acceptance_tests::bench::{self, percentile, LoadSpan};
use acceptance_tests::hostlab::lab::LabConfig;
use acceptance_tests::hostlab::{lab_or_skip, sys, Lab, ECS_CREDENTIALS_ADDR};
use ecshost::render::agent::{self, AgentInput};
use ecshost::render::loopback::{self, LoopbackFormat, LoopbackInput};
use serde_json::Value as Json;

const IMAGE: &str = "lab/credload:1";
const PATH: &str = "/v2/credentials/0123456789abcdef";

/// The image: `credload` and the shared libraries it links, `FROM scratch`;
/// its default command serves on the agent's `127.0.0.1:51679`.
fn build_image(lab: &Lab) {
    let ctx = lab.dir().join("ctx-credload");
    let root = ctx.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_credload"));
    std::fs::copy(bin, root.join("credload")).unwrap();
    let ldd = sys::run(
        sys::command("ldd").unwrap().arg(bin),
        Duration::from_secs(20),
    )
    .unwrap();
    for lib in ldd.stdout.split_whitespace().filter(|w| w.starts_with('/')) {
        let dest = root.join(lib.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(lib, &dest).unwrap();
    }
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM scratch\nCOPY root /\nENTRYPOINT [\"/credload\"]\nCMD [\"serve\", \"127.0.0.1:51679\"]\n",
    )
    .unwrap();
    let out = lab.docker(&[
        "build",
        "-q",
        "--network=none",
        "-t",
        IMAGE,
        &ctx.to_string_lossy(),
    ]);
    assert!(out.success(), "build {IMAGE}: {out}");
}

/// Host paths of the start script, redirected into the lab directory.
fn env(lab: &Lab) -> Vec<(String, String)> {
    let root = lab.dir().join("root");
    let mut env: Vec<(String, String)> = agent::PATH_VARS
        .iter()
        .map(|(k, d)| {
            (
                (*k).to_owned(),
                root.join(d.trim_start_matches('/')).display().to_string(),
            )
        })
        .collect();
    env.push((
        "DOCKER".into(),
        lab.dir().join("bin/docker").display().to_string(),
    ));
    env
}

fn sh(lab: &Lab, script: &str, env: &[(String, String)]) -> String {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = lab
        .try_host_sh(script, &env, Duration::from_secs(300))
        .unwrap();
    assert!(out.success(), "{script}: {out}");
    out.stdout
}

/// The bridged design, from the rendered scripts.
fn bridged_up(lab: &Lab, env: &[(String, String)]) {
    let input = AgentInput {
        cluster: "load".into(),
        image: IMAGE.into(),
        ..AgentInput::default()
    };
    let out = agent::render(&input).unwrap();
    let cfg = Path::new(
        &env.iter()
            .find(|(k, _)| k == "ECSHOST_ECS_CONFIG")
            .unwrap()
            .1,
    )
    .to_owned();
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, &out.ecs_config).unwrap();
    std::fs::create_dir_all(lab.dir().join("root/sys/fs/cgroup")).unwrap();
    let start = lab.dir().join("ecs-agent.sh");
    std::fs::write(&start, &out.start_script).unwrap();
    let lo = loopback::render(LoopbackFormat::Shell, &LoopbackInput::default(), "").unwrap();
    let lo_file = lab.dir().join("ecs-loopback.sh");
    std::fs::write(&lo_file, &lo.content).unwrap();
    sh(lab, &format!("sh {}", lo_file.display()), env);
    sh(lab, &format!("sh {} start", start.display()), env);
}

fn bridged_down(lab: &Lab, env: &[(String, String)]) {
    sh(
        lab,
        &format!("sh {} stop", lab.dir().join("ecs-agent.sh").display()),
        env,
    );
}

/// AWS's recipe: host network, host-wide route_localnet, host DNAT.
const HOST_DNAT: &str = "-t nat -{op} PREROUTING -p tcp -d 169.254.170.2 --dport 80 -j DNAT --to-destination 127.0.0.1:51679";

fn host_network_up(lab: &Lab, env: &[(String, String)]) {
    sh(
        lab,
        &format!(
            "\"$DOCKER\" run -d --name ecs-agent-hostnet --network host {IMAGE} >/dev/null && \
             echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet && \
             iptables -w {}",
            HOST_DNAT.replace("{op}", "I")
        ),
        env,
    );
}

fn host_network_down(lab: &Lab, env: &[(String, String)]) {
    sh(
        lab,
        &format!(
            "iptables -w {} && echo 0 > /proc/sys/net/ipv4/conf/all/route_localnet && \
             \"$DOCKER\" rm -f ecs-agent-hostnet >/dev/null",
            HOST_DNAT.replace("{op}", "D")
        ),
        env,
    );
}

/// One round: `clients` containers, `n` requests each; their JSON lines.
fn round(lab: &Lab, env: &[(String, String)], tag: &str, clients: usize, n: usize) -> Vec<Json> {
    let go = lab.dir().join(format!("go-{tag}"));
    std::fs::create_dir_all(&go).unwrap();
    let _ = std::fs::remove_file(go.join("start"));
    let names: Vec<String> = (0..clients).map(|i| format!("load-{tag}-{i}")).collect();
    let target = format!("{ECS_CREDENTIALS_ADDR}:80");
    let create: Vec<String> = names
        .iter()
        .map(|name| {
            format!(
                "\"$DOCKER\" create --name {name} --network bridge -v {}:/go:ro {IMAGE} client {target} {PATH} {n} @/go/start >/dev/null",
                go.display()
            )
        })
        .collect();
    sh(lab, &create.join(" && "), env);
    sh(
        lab,
        &format!("\"$DOCKER\" start {} >/dev/null", names.join(" ")),
        env,
    );
    // Every client waits for this file: released together.
    let release = sys_now_ms() + 300;
    std::fs::write(go.join("start"), release.to_string()).unwrap();
    sh(
        lab,
        &format!("\"$DOCKER\" wait {} >/dev/null", names.join(" ")),
        env,
    );
    let mut lines = Vec::new();
    for name in &names {
        // `docker wait` can return before the log driver has written the
        // container's last line (seen under load): ask again for a while.
        let mut out = String::new();
        for _ in 0..50 {
            out = sh(lab, &format!("\"$DOCKER\" logs {name}"), env);
            if out.lines().any(|l| l.starts_with('{')) {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let line = out.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| {
            panic!("{name}: no result: {out}");
        });
        lines.push(serde_json::from_str(line).unwrap());
    }
    sh(
        lab,
        &format!("\"$DOCKER\" rm -f {} >/dev/null", names.join(" ")),
        env,
    );
    lines
}

fn sys_now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

#[derive(Default)]
struct Totals {
    requests: u64,
    ok: u64,
    errors: u64,
    window_s: f64,
    lat_ms: Vec<f64>,
    samples: Vec<String>,
    throughputs: Vec<f64>,
}

impl Totals {
    fn add(&mut self, lines: &[Json]) {
        let start = lines
            .iter()
            .filter_map(|l| l["start_us"].as_u64())
            .min()
            .unwrap();
        let end = lines
            .iter()
            .filter_map(|l| l["end_us"].as_u64())
            .max()
            .unwrap();
        let window = (end - start) as f64 / 1e6;
        let mut ok = 0;
        for l in lines {
            ok += l["ok"].as_u64().unwrap();
            self.errors += l["errors"].as_u64().unwrap();
            for s in l["error_samples"].as_array().unwrap() {
                if self.samples.len() < 3 {
                    self.samples.push(s.as_str().unwrap_or_default().to_owned());
                }
            }
            self.lat_ms.extend(
                l["lat_us"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap() / 1000.0),
            );
        }
        self.ok += ok;
        self.requests += ok
            + lines
                .iter()
                .map(|l| l["errors"].as_u64().unwrap())
                .sum::<u64>();
        self.window_s += window;
        self.throughputs.push(ok as f64 / window);
    }

    fn throughput(&self) -> f64 {
        self.ok as f64 / self.window_s
    }
}

fn main() {
    let Some(lab) = lab_or_skip(LabConfig {
        imds: false,
        ..LabConfig::default()
    }) else {
        println!("_Not measured: the host lab needs root and network namespaces._");
        return;
    };
    let clients = bench::list("BENCH_CLIENTS", &[50])[0];
    let n = bench::list("BENCH_N", &[100])[0];
    let runs = bench::runs(3);
    build_image(&lab);
    let env = env(&lab);
    // Time, commit and load at the start, as the other benches' sections.
    let provenance = bench::provenance();
    let load = LoadSpan::start();
    let t0 = Instant::now();
    let mut bridged = Totals::default();
    let mut proxied = Totals::default();
    let mut host = Totals::default();
    for r in 0..runs {
        bridged_up(&lab, &env);
        bridged.add(&round(&lab, &env, &format!("b{r}"), clients, n));
        sh(
            &lab,
            "iptables -w -t nat -F ECSHOST-CREDENTIALS && iptables -w -F ECSHOST-CREDENTIALS",
            &env,
        );
        proxied.add(&round(&lab, &env, &format!("p{r}"), clients, n));
        bridged_down(&lab, &env);
        host_network_up(&lab, &env);
        host.add(&round(&lab, &env, &format!("h{r}"), clients, n));
        host_network_down(&lab, &env);
        eprintln!(
            "round {r}: bridged {:.0} req/s, via docker-proxy {:.0} req/s, host network {:.0} req/s",
            bridged.throughputs[r], proxied.throughputs[r], host.throughputs[r]
        );
    }
    let engine = lab
        .docker(&["version", "--format", "{{.Server.Version}}"])
        .stdout
        .trim()
        .to_owned();
    println!("### The credentials path under load\n");
    println!("{provenance}\n");
    println!(
        "{clients} task containers on `docker0`, {n} requests each (a new TCP connection per request) to `http://169.254.170.2/v2/credentials/<id>`, all released together; {runs} rounds per path, alternating; Docker {engine} in the host lab, agent stand-in `credload serve` (one thread per connection); paths in the order of the table within each round. Load {} over {:.0} s.\n",
        load.end(),
        t0.elapsed().as_secs_f64()
    );
    println!(
        "| path | requests | errors | throughput (req/s) | per round | p50 latency | p99 latency |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (name, t) in [
        (
            "bridged agent (this provider: `lo` alias, task DNAT, in-namespace DNAT)",
            &bridged,
        ),
        (
            "bridged agent via docker-proxy (task DNAT flushed: the design before it)",
            &proxied,
        ),
        (
            "host-network agent (AWS: `route_localnet=1`, host DNAT to 127.0.0.1:51679)",
            &host,
        ),
    ] {
        let rounds: Vec<String> = t.throughputs.iter().map(|x| format!("{x:.0}")).collect();
        println!(
            "| {name} | {} | {} | {:.0} | {} | {:.2} ms | {:.2} ms |",
            t.requests,
            t.errors,
            t.throughput(),
            rounds.join(", "),
            percentile(&t.lat_ms, 0.5),
            percentile(&t.lat_ms, 0.99),
        );
    }
    println!(
        "\nBridged / host-network throughput: **{:.2}×** (via docker-proxy: {:.2}×).",
        bridged.throughput() / host.throughput(),
        proxied.throughput() / host.throughput()
    );
    for (name, t) in [
        ("bridged", &bridged),
        ("via docker-proxy", &proxied),
        ("host network", &host),
    ] {
        if !t.samples.is_empty() {
            println!("\nFirst errors ({name}): {}", t.samples.join("; "));
        }
    }
}
