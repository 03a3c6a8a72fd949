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
//! **The agent** is the real Amazon ECS agent 1.105.1 wherever it is here
//! ([`AgentSource::locate`]): it registers with moto through the harness's
//! ECS launcher ([`AgentPeers`]), ACS sends it one `PayloadMessage` with
//! `BENCH_TASKS` tasks (default 50), each a long-sleeping busybox container
//! with its own role credentials, and the load asks it for exactly those
//! credentials (`GET /v2/credentials/<credentialsId>`, client `i` for task
//! `i mod BENCH_TASKS`). For the host-network path the same image runs with
//! `--network host`, the same env file and mounts (AWS's `docker run`);
//! it restores its state from the same data directory and reconnects to
//! ACS with the same container instance, and the bench checks that every
//! task's credentials are served again (ACS re-sends the tasks where they
//! are not: the agent does not keep credentials across a restart). Before
//! each path's rounds a busybox container on `docker0` reads every task's
//! credentials and checks the `AccessKeyId`.
//!
//! The agent throttles its task endpoints per source address
//! (`ECS_TASK_METADATA_RPS_LIMIT`, default 40 per second, burst 60): at
//! that limit the load would measure the throttle, not the path. The bench
//! sets it to `BENCH_RPS_LIMIT` (default `100000,100000`); `BENCH_RPS_LIMIT=agent`
//! leaves the agent's default (throttled requests are errors).
//!
//! Without the real agent (or with `BENCH_AGENT=standin`) the agent is the
//! stand-in `credload serve` (answers every `GET /v2/credentials/<id>` with
//! a credentials document; one thread per connection), and the output
//! says so and why.
//!
//! The load is `BENCH_CLIENTS` containers on `docker0`, each running
//! `credload client`: a fixed number of requests one after another, each on
//! a new TCP connection (as an SDK refreshing credentials opens one), all
//! clients released together. Rounds alternate between the paths, so
//! machine load (other builds on this machine) hits both alike.
//!
//! Reported per path: requests, errors (anything but a 200 carrying an
//! `AccessKeyId`), throughput (successful requests / the window from the
//! first client's start to the last one's end), p50/p99 of the per-request
//! latency, and CPU per request.
//!
//! Run: `cargo bench -p acceptance-tests --bench credentials_load` as root
//! (the host lab). `BENCH_CLIENTS` (default 50), `BENCH_N` (requests per
//! client, default 100), `RUNS` (rounds per path, default 3), `BENCH_TASKS`
//! (default 50), `BENCH_RPS_LIMIT`, `BENCH_AGENT` (`real`, the default
//! where the agent is here, or `standin`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use acceptance_tests::bench::{self, percentile, LoadSpan};
use acceptance_tests::hostlab::agent_image::{AgentSource, AGENT_IMAGE, AGENT_VERSION};
use acceptance_tests::hostlab::agent_peers::{self, AgentPeers, RoleCredentials};
use acceptance_tests::hostlab::images::BUSYBOX_IMAGE;
use acceptance_tests::hostlab::lab::LabConfig;
use acceptance_tests::hostlab::{self, lab_or_skip, sys, Lab, ECS_CREDENTIALS_ADDR};
use ecshost::render::agent::{self, AgentInput};
use ecshost::render::loopback::{self, LoopbackFormat, LoopbackInput};
use serde_json::Value as Json;

/// `credload` (the load's client; the stand-in agent's server).
const IMAGE: &str = "lab/credload:1";
/// What the clients ask the stand-in (it answers any id).
const STANDIN_PATH: &str = "/v2/credentials/0123456789abcdef";
/// The cluster the real agent joins.
const CLUSTER: &str = "load";
/// The host-network agent's container.
const HOSTNET: &str = "ecs-agent-hostnet";
/// cloud-init's record of its data source, as on a cloud-init host (agent
/// 1.105 reads it; the start script mounts it where it exists).
const CLOUD_INIT_RESULT: &str =
    r#"{"v1": {"datasource": "DataSourceEc2Local", "errors": [], "recoverable_errors": {}}}"#;

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

fn env_path(env: &[(String, String)], key: &str) -> PathBuf {
    PathBuf::from(&env.iter().find(|(k, _)| k == key).unwrap().1)
}

fn sh(lab: &Lab, script: &str, env: &[(String, String)]) -> String {
    let out = try_sh(lab, script, env);
    assert!(out.success(), "{script}: {out}");
    out.stdout
}

fn try_sh(lab: &Lab, script: &str, env: &[(String, String)]) -> hostlab::CmdOutput {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    lab.try_host_sh(script, &env, Duration::from_secs(300))
        .unwrap()
}

/// Which path is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Bridged,
    Host,
}

/// The real agent's peers and the tasks ACS sent it.
struct Real {
    peers: AgentPeers,
    creds: Vec<RoleCredentials>,
    tasks: Json,
    /// ACS connections (open or closed) seen before the last agent start.
    acs_before: usize,
    /// What each agent start showed about the tasks' credentials.
    notes: Vec<String>,
}

/// The lab with one of the two paths set up at a time.
struct Bench<'a> {
    lab: &'a Lab,
    env: Vec<(String, String)>,
    input: AgentInput,
    real: Option<Real>,
    current: Option<Route>,
}

/// AWS's recipe: host network, host-wide route_localnet, host DNAT.
const HOST_DNAT: &str = "-t nat -{op} PREROUTING -p tcp -d 169.254.170.2 --dport 80 -j DNAT --to-destination 127.0.0.1:51679";

impl Bench<'_> {
    fn sh(&self, script: &str) -> String {
        sh(self.lab, script, &self.env)
    }

    /// The path `p`, set up (switching agents only when it changes; the
    /// bridged path gets its task DNAT back after a docker-proxy round).
    fn ensure(&mut self, p: Route) {
        match (self.current, p) {
            (Some(Route::Bridged), Route::Bridged) => {
                self.sh(&format!("sh {} reapply", self.start_script().display()));
                return;
            }
            (Some(Route::Host), Route::Host) => return,
            (Some(Route::Bridged), Route::Host) => self.bridged_down(),
            (Some(Route::Host), Route::Bridged) => self.host_network_down(),
            (None, _) => {}
        }
        let t0 = Instant::now();
        match p {
            Route::Bridged => self.bridged_up(),
            Route::Host => self.host_network_up(),
        }
        self.current = Some(p);
        self.agent_ready(p);
        eprintln!("{p:?} path up in {:.0} s", t0.elapsed().as_secs_f64());
    }

    fn start_script(&self) -> PathBuf {
        self.lab.dir().join("ecs-agent.sh")
    }

    /// The bridged design, from the rendered scripts.
    fn bridged_up(&mut self) {
        let out = agent::render(&self.input).unwrap();
        let cfg = env_path(&self.env, "ECSHOST_ECS_CONFIG");
        std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
        std::fs::write(&cfg, &out.ecs_config).unwrap();
        std::fs::create_dir_all(self.lab.dir().join("root/sys/fs/cgroup")).unwrap();
        std::fs::write(self.start_script(), &out.start_script).unwrap();
        let lo = loopback::render(LoopbackFormat::Shell, &LoopbackInput::default(), "").unwrap();
        let lo_file = self.lab.dir().join("ecs-loopback.sh");
        std::fs::write(&lo_file, &lo.content).unwrap();
        self.before_agent_start();
        self.sh(&format!("sh {}", lo_file.display()));
        self.sh(&format!("sh {} start", self.start_script().display()));
    }

    fn bridged_down(&mut self) {
        self.sh(&format!("sh {} stop", self.start_script().display()));
    }

    /// AWS's recipe with the same image, env file and mounts as the
    /// bridged agent (the stand-in: its image, nothing mounted).
    fn host_network_up(&mut self) {
        self.before_agent_start();
        let run = if self.real.is_some() {
            format!(
                "\"$DOCKER\" run -d --name {HOSTNET} --init --network host \
                 --volume=\"$ECSHOST_RUN_DIR:/var/run\" --volume=\"$ECSHOST_LOG_DIR:/log\" \
                 --volume=\"$ECSHOST_DATA_DIR:/data\" --volume=\"$ECSHOST_ETC_DIR:/etc/ecs\" \
                 --volume=\"$ECSHOST_CGROUP_DIR:/sys/fs/cgroup\" \
                 --volume=\"$ECSHOST_CLOUD_INIT_RESULT:{}:ro\" \
                 --env-file=\"$ECSHOST_ECS_CONFIG\" {AGENT_IMAGE} >/dev/null",
                agent::CLOUD_INIT_RESULT_PATH
            )
        } else {
            format!("\"$DOCKER\" run -d --name {HOSTNET} --network host {IMAGE} >/dev/null")
        };
        self.sh(&format!(
            "{run} && echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet && iptables -w {}",
            HOST_DNAT.replace("{op}", "I")
        ));
    }

    fn host_network_down(&mut self) {
        self.sh(&format!(
            "iptables -w {} && echo 0 > /proc/sys/net/ipv4/conf/all/route_localnet && \
             \"$DOCKER\" stop -t 30 {HOSTNET} >/dev/null && \"$DOCKER\" rm -f {HOSTNET} >/dev/null",
            HOST_DNAT.replace("{op}", "D")
        ));
    }

    /// Counts the ACS connections so far, so the next start's is told apart.
    fn before_agent_start(&mut self) {
        if let Some(r) = &mut self.real {
            r.acs_before = acs_connections(&r.peers).0;
        }
    }

    /// The agent of path `p` answers: the real one reconnected to ACS and
    /// serves every task's credentials (ACS sends the tasks on its first
    /// start, and again where a restarted agent lacks their credentials);
    /// the stand-in answers a request.
    fn agent_ready(&mut self, p: Route) {
        let Some(r) = &self.real else {
            let bad = self.check_credentials(&[]);
            assert!(bad.is_empty(), "the stand-in does not answer: {bad:?}");
            return;
        };
        let t0 = Instant::now();
        loop {
            let (total, newest_open) = acs_connections(&r.peers);
            if total > r.acs_before && newest_open {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(180),
                "no new ACS connection from the {p:?} agent in 180 s; containers:\n{}\nagent log:\n{}",
                self.lab.docker(&["ps", "-a"]).combined(),
                agent_peers::tail(&self.agent_log(), 40)
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        let acs_s = t0.elapsed().as_secs_f64();
        let first = r.acs_before == 0;
        let pairs: Vec<(String, String)> = r
            .creds
            .iter()
            .map(|c| (c.credentials_id.clone(), c.access_key_id.clone()))
            .collect();
        let note = if first {
            send_tasks(r);
            let bad = self.wait_credentials(&pairs, Duration::from_secs(120));
            assert!(
                bad.is_empty(),
                "credentials not served after ACS sent them: {bad:?}"
            );
            self.wait_tasks_running(pairs.len());
            format!(
                "{p:?} agent (first start): ACS connection after {acs_s:.0} s; {} tasks sent in one payload, all running and their credentials served after {:.0} s",
                pairs.len(),
                t0.elapsed().as_secs_f64()
            )
        } else {
            let bad = self.check_credentials(&pairs);
            let kept = pairs.len() - bad.len();
            let r = self.real.as_mut().unwrap();
            if !bad.is_empty() {
                send_tasks(r);
            }
            let still = self.wait_credentials(&pairs, Duration::from_secs(120));
            assert!(
                still.is_empty(),
                "credentials not served after ACS re-sent the tasks: {still:?}"
            );
            let running = self.tasks_running();
            format!(
                "{p:?} agent (restart on the same data directory): ACS connection after {acs_s:.0} s; {kept} of {} credentials served before ACS re-sent the tasks{}; {running} task containers running",
                pairs.len(),
                if bad.is_empty() { " (not re-sent)" } else { ", all after" }
            )
        };
        eprintln!("{note}");
        self.real.as_mut().unwrap().notes.push(note);
    }

    fn agent_log(&self) -> PathBuf {
        env_path(&self.env, "ECSHOST_LOG_DIR").join("ecs-agent.log")
    }

    /// One busybox container on `docker0` reads each `(credentialsId,
    /// AccessKeyId)`'s credentials at `169.254.170.2`; returns the ids not
    /// served with that key (the stand-in: an empty list, one request that
    /// must answer).
    fn check_credentials(&self, pairs: &[(String, String)]) -> Vec<String> {
        let script = if pairs.is_empty() {
            format!(
                "wget -qO- http://{ECS_CREDENTIALS_ADDR}{STANDIN_PATH} | grep -q AccessKeyId && echo OK || echo BAD standin"
            )
        } else {
            let list: Vec<String> = pairs.iter().map(|(i, k)| format!("{i}={k}")).collect();
            format!(
                "for p in {}; do id=${{p%%=*}}; ak=${{p#*=}}; \
                 b=$(timeout 10 wget -qO- http://{ECS_CREDENTIALS_ADDR}/v2/credentials/$id 2>&1); \
                 case \"$b\" in *\"\\\"AccessKeyId\\\":\\\"$ak\\\"\"*) echo \"OK $id\" ;; \
                 *) echo \"BAD $id $(echo \"$b\" | sed 's/\"SecretAccessKey.*//' | head -c 160)\" ;; esac; done",
                list.join(" ")
            )
        };
        let out = self.lab.docker(&[
            "run",
            "--rm",
            "--network",
            "bridge",
            BUSYBOX_IMAGE,
            "sh",
            "-c",
            &script,
        ]);
        assert!(out.success(), "credentials check: {out}");
        let bad: Vec<String> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("BAD"))
            .map(str::to_owned)
            .collect();
        let ok = out.stdout.lines().filter(|l| l.starts_with("OK")).count();
        assert_eq!(
            ok + bad.len(),
            pairs.len().max(1),
            "credentials check: {out}"
        );
        bad
    }

    fn wait_credentials(&self, pairs: &[(String, String)], bound: Duration) -> Vec<String> {
        let t0 = Instant::now();
        loop {
            let bad = self.check_credentials(pairs);
            if bad.is_empty() || t0.elapsed() > bound {
                return bad;
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    fn tasks_running(&self) -> usize {
        self.lab
            .docker(&[
                "ps",
                "-q",
                "--filter",
                "label=com.amazonaws.ecs.task-arn",
                "--filter",
                "status=running",
            ])
            .stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count()
    }

    fn wait_tasks_running(&self, n: usize) {
        let t0 = Instant::now();
        while self.tasks_running() < n {
            assert!(
                t0.elapsed() < Duration::from_secs(300),
                "{} of {n} task containers running after 300 s; agent log:\n{}",
                self.tasks_running(),
                agent_peers::tail(&self.agent_log(), 40)
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    }

    /// The path client `i` asks for.
    fn client_path(&self, i: usize) -> String {
        match &self.real {
            Some(r) => format!(
                "/v2/credentials/{}",
                r.creds[i % r.creds.len()].credentials_id
            ),
            None => STANDIN_PATH.to_owned(),
        }
    }

    /// The load of one round on the path set up now.
    fn round(&self, tag: &str, clients: usize, n: usize) -> (Vec<Json>, [u64; 4]) {
        let paths: Vec<String> = (0..clients).map(|i| self.client_path(i)).collect();
        let agent = if self.current == Some(Route::Host) {
            HOSTNET
        } else {
            "ecs-agent"
        };
        round(
            self.lab,
            &self.env,
            tag,
            &paths,
            n,
            &agent_pids(self.lab, agent),
        )
    }
}

/// ACS connections the launcher saw (open or closed), and whether the
/// newest is open.
fn acs_connections(peers: &AgentPeers) -> (usize, bool) {
    let state = peers.moto.acs_state();
    let acs: Vec<&Json> = state["connections"]
        .as_array()
        .map(|cs| cs.iter().filter(|c| c["kind"] == "acs").collect())
        .unwrap_or_default();
    (acs.len(), acs.last().is_some_and(|c| c["open"] == true))
}

/// ACS sends every task in one `PayloadMessage`.
fn send_tasks(r: &Real) {
    let t0 = Instant::now();
    loop {
        match r.peers.moto.acs_send_tasks(r.tasks.clone()) {
            Ok(_) => return,
            Err(e) => {
                assert!(t0.elapsed() < Duration::from_secs(30), "ACS payload: {e}");
                std::thread::sleep(Duration::from_millis(500));
            }
        }
    }
}

/// `n` tasks, each one busybox container sleeping an hour, with distinct
/// role credentials.
fn tasks(peers: &AgentPeers, n: usize) -> (Vec<RoleCredentials>, Json) {
    let mut creds = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..n as u32 {
        let c = RoleCredentials::new(i);
        let mut t = agent_peers::task_json(&peers.task_arn(i), &c, &["sh", "-c", "sleep 3600"]);
        t["family"] = "credentials-load".into();
        t["containers"][0]["name"] = "sleeper".into();
        t["containers"][0]["memory"] = 32.into();
        creds.push(c);
        tasks.push(t);
    }
    (creds, Json::Array(tasks))
}

/// One round: one container per entry of `paths` (the path it asks for),
/// `n` requests each; their JSON lines.
fn round(
    lab: &Lab,
    env: &[(String, String)],
    tag: &str,
    paths: &[String],
    n: usize,
    agent_pids: &[String],
) -> (Vec<Json>, [u64; 4]) {
    let clients = paths.len();
    let go = lab.dir().join(format!("go-{tag}"));
    std::fs::create_dir_all(&go).unwrap();
    let _ = std::fs::remove_file(go.join("start"));
    let names: Vec<String> = (0..clients).map(|i| format!("load-{tag}-{i}")).collect();
    let target = format!("{ECS_CREDENTIALS_ADDR}:80");
    let create: Vec<String> = names
        .iter()
        .zip(paths)
        .map(|(name, path)| {
            format!(
                "\"$DOCKER\" create --name {name} --network bridge -v {}:/go:ro {IMAGE} client {target} {path} {n} @/go/start >/dev/null",
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
    let cpu = CpuSampler::start(agent_pids.to_vec());
    let release = sys_now_ms() + 300;
    std::fs::write(go.join("start"), release.to_string()).unwrap();
    sh(
        lab,
        &format!("\"$DOCKER\" wait {} >/dev/null", names.join(" ")),
        env,
    );
    let mut lines: Vec<Json> = Vec::new();
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
    let from = lines.iter().filter_map(|l| l["start_us"].as_u64()).min();
    let to = lines.iter().filter_map(|l| l["end_us"].as_u64()).max();
    let ticks = cpu.between(from.unwrap_or(0).into(), to.unwrap_or(0).into());
    (lines, ticks)
}

/// Busy CPU time of the whole machine from `/proc/stat` (user+nice,
/// system, softirq, in USER_HZ ticks), sampled every 10 ms while a round
/// runs, so the CPU a path costs per request can be read for the clients'
/// window alone.
struct CpuSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(u128, [u64; 4])>>,
}

fn proc_stat_busy() -> [u64; 3] {
    let s = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = s
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq …
    let g = |i: usize| f.get(i).copied().unwrap_or(0);
    [g(0) + g(1), g(2) + g(5), g(6)]
}

impl CpuSampler {
    /// Also samples the CPU time of `agent_pids` (the 4th figure).
    fn start(agent_pids: Vec<String>) -> Self {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut v = Vec::new();
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                let [u, sy, si] = proc_stat_busy();
                let agent = agent_pids.iter().map(|p| pid_ticks(p)).sum();
                v.push((sys_now_ms() * 1000, [u, sy, si, agent]));
                std::thread::sleep(Duration::from_millis(10));
            }
            v
        });
        CpuSampler { stop, thread }
    }

    /// Busy ticks [user, system, softirq] between the samples nearest to
    /// `from_us` and `to_us` (epoch µs).
    fn between(self, from_us: u128, to_us: u128) -> [u64; 4] {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let v = self.thread.join().unwrap();
        let near = |t: u128| {
            v.iter()
                .min_by_key(|(ts, _)| ts.abs_diff(t))
                .map(|x| x.1)
                .unwrap_or_default()
        };
        let (a, b) = (near(from_us), near(to_us));
        [
            b[0] - a[0],
            b[1] - a[1],
            b[2] - a[2],
            b[3].saturating_sub(a[3]),
        ]
    }
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
    /// Busy CPU ticks (USER_HZ) in the clients' windows: user, system, softirq.
    ticks: [u64; 3],
    /// CPU ticks (USER_HZ) of the agent's processes in the clients' windows.
    agent_ticks: u64,
}

impl Totals {
    fn add(&mut self, (lines, ticks): (Vec<Json>, [u64; 4])) {
        for (t, x) in self.ticks.iter_mut().zip(ticks) {
            *t += x;
        }
        self.agent_ticks += ticks[3];
        let lines = &lines[..];
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

    /// CPU per successful request in µs (the whole machine's busy time in
    /// the windows): total, and user / system / softirq.
    fn cpu_per_request(&self) -> String {
        let tick_us = 1e6 / 100.0; // USER_HZ
        let per = |t: u64| t as f64 * tick_us / self.ok as f64;
        let [u, sy, si] = self.ticks;
        format!(
            "{:.0} µs ({:.0} / {:.0} / {:.0})",
            per(u + sy + si),
            per(u),
            per(sy),
            per(si)
        )
    }
}

/// User + system CPU ticks (USER_HZ) of process `pid` (0 when gone).
fn pid_ticks(pid: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command's closing parenthesis: state, ppid, … utime is the
    // 12th field from there, stime the 13th.
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let g = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    g(11) + g(12)
}

/// The agent container's processes: its init (`--init`) and that init's
/// children (the agent).
fn agent_pids(lab: &Lab, container: &str) -> Vec<String> {
    let pid = lab
        .docker(&["inspect", "-f", "{{.State.Pid}}", container])
        .stdout
        .trim()
        .to_owned();
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    std::iter::once(pid)
        .chain(children.split_whitespace().map(str::to_owned))
        .collect()
}

fn main() {
    let clients = bench::list("BENCH_CLIENTS", &[50])[0];
    let n = bench::list("BENCH_N", &[100])[0];
    let ntasks = bench::list("BENCH_TASKS", &[50])[0].max(1);
    let runs = bench::runs(3);
    let rps_limit = std::env::var("BENCH_RPS_LIMIT").unwrap_or_else(|_| "100000,100000".into());
    let source = if std::env::var("BENCH_AGENT").as_deref() == Ok("standin") {
        AgentSource::Missing("BENCH_AGENT=standin".into())
    } else {
        AgentSource::locate()
    };
    match &source {
        AgentSource::Real(d) => eprintln!(
            "AGENT credentials_load: the real ECS agent {AGENT_VERSION} from {}",
            d.display()
        ),
        AgentSource::Missing(why) => {
            eprintln!("AGENT credentials_load: ran against the stand-in `credload serve` ({why})")
        }
    }
    let Some(lab) = lab_or_skip(LabConfig {
        imds: source.dir().is_some(),
        real_agent: source.dir().map(Path::to_path_buf),
        ..LabConfig::default()
    }) else {
        println!("_Not measured: the host lab needs root and network namespaces._");
        return;
    };
    build_image(&lab);
    let env = env(&lab);
    let result = env_path(&env, "ECSHOST_CLOUD_INIT_RESULT");
    std::fs::create_dir_all(result.parent().unwrap()).unwrap();
    std::fs::write(&result, CLOUD_INIT_RESULT).unwrap();
    let mut input = AgentInput {
        cluster: CLUSTER.into(),
        image: IMAGE.into(),
        ..AgentInput::default()
    };
    let real = source.dir().map(|_| {
        let peers = AgentPeers::start(&lab, CLUSTER).expect("the real agent's peers");
        let id = peers.launch_instance();
        peers
            .serve_instance(&lab, &id, "required", 2)
            .expect("serve the instance's metadata");
        input.image = AGENT_IMAGE.into();
        input.config.extend(peers.config());
        if rps_limit != "agent" {
            input
                .config
                .insert("ECS_TASK_METADATA_RPS_LIMIT".into(), rps_limit.clone());
        }
        let (creds, tasks) = tasks(&peers, ntasks);
        Real {
            peers,
            creds,
            tasks,
            acs_before: 0,
            notes: Vec::new(),
        }
    });
    let mut b = Bench {
        lab: &lab,
        env,
        input,
        real,
        current: None,
    };
    // The first agent start (with the real agent: registration, the tasks
    // and their containers) is not part of the measured span.
    b.ensure(Route::Bridged);
    // Time, commit and load at the start, as the other benches' sections.
    let provenance = bench::provenance();
    let load = LoadSpan::start();
    let t0 = Instant::now();
    let log_dir = env_path(&b.env, "ECSHOST_LOG_DIR");
    // Lines in every file of the log directory named `f…` (rolled-over
    // files included).
    let lines = |f: &str| -> usize {
        std::fs::read_dir(&log_dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(f))
                    .map(|e| {
                        std::fs::read(e.path())
                            .map(|b| b.iter().filter(|&&c| c == b'\n').count())
                            .unwrap_or(0)
                    })
                    .sum()
            })
            .unwrap_or(0)
    };
    let logs_before = [lines("ecs-agent.log"), lines("audit.log")];
    let mut bridged = Totals::default();
    let mut proxied = Totals::default();
    let mut host = Totals::default();
    // Each path gets a short unmeasured burst first (neighbour and
    // conntrack entries, the agent's first accepts), and odd rounds run
    // the host network first, so neither path always follows set-up.
    let measured = |b: &Bench, t: &mut Totals, tag: &str| {
        b.round(&format!("w{tag}"), 10.min(clients), 20);
        t.add(b.round(tag, clients, n));
    };
    for r in 0..runs {
        let order = if r % 2 == 0 {
            [Route::Bridged, Route::Host]
        } else {
            [Route::Host, Route::Bridged]
        };
        for p in order {
            b.ensure(p);
            match p {
                Route::Bridged => {
                    measured(&b, &mut bridged, &format!("b{r}"));
                    b.sh(&hostlab::flush_task_dnat());
                    measured(&b, &mut proxied, &format!("p{r}"));
                }
                Route::Host => measured(&b, &mut host, &format!("h{r}")),
            }
        }
        eprintln!(
            "round {r}: bridged {:.0} req/s, via docker-proxy {:.0} req/s, host network {:.0} req/s",
            bridged.throughputs[r], proxied.throughputs[r], host.throughputs[r]
        );
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let logs = [
        lines("ecs-agent.log").saturating_sub(logs_before[0]),
        lines("audit.log").saturating_sub(logs_before[1]),
    ];
    let all_requests = bridged.requests
        + proxied.requests
        + host.requests
        + (runs * 3 * 10.min(clients) * 20) as u64;
    let load = load.end();
    let engine = lab
        .docker(&["version", "--format", "{{.Server.Version}}"])
        .stdout
        .trim()
        .to_owned();
    let agent_line = match (&source, &b.real) {
        (AgentSource::Real(_), Some(r)) => format!(
            "the real ECS agent {AGENT_VERSION} (`{AGENT_IMAGE}`), registered with moto through the harness's ECS launcher; ACS sent it {} tasks (one busybox container each, sleeping) with distinct role credentials in one payload, and client `i` asks for task `i mod {}`'s credentials; `ECS_TASK_METADATA_RPS_LIMIT` {}; the host-network agent is the same image with `--network host`, the same env file and mounts, restarted on the same data directory at each switch of path ({} restarts)",
            r.creds.len(),
            r.creds.len(),
            if rps_limit == "agent" {
                "the agent's default (40 per second and source address, burst 60)".to_owned()
            } else {
                format!("`{rps_limit}` (the agent's default 40,60 per source address would measure its throttle)")
            },
            r.notes.len().saturating_sub(1)
        ),
        (AgentSource::Missing(why), _) => format!(
            "agent stand-in `credload serve` (one thread per connection), not the real agent: {why}"
        ),
        _ => unreachable!(),
    };
    println!("### The credentials path under load\n");
    println!("{provenance}\n");
    println!(
        "{clients} client containers on `docker0`, {n} requests each (a new TCP connection per request) to `http://169.254.170.2/v2/credentials/<id>`, all released together; {runs} rounds per path, alternating (the host network first in odd rounds), each after an unmeasured burst of 10 clients × 20 requests on the same path; Docker {engine} in the host lab; {agent_line}. An error is any answer but a 200 carrying an `AccessKeyId`. CPU per request: the whole machine's busy time (user / system / softirq) in the clients' windows over the successful requests; agent: the agent's own user + system time in the same windows (included in the former). Load {load} over {elapsed:.0} s.\n",
    );
    println!(
        "| path | requests | errors | throughput (req/s) | per round | p50 latency | p99 latency | CPU per request | agent CPU per request |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
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
            "| {name} | {} | {} | {:.0} | {} | {:.2} ms | {:.2} ms | {} | {:.0} µs |",
            t.requests,
            t.errors,
            t.throughput(),
            rounds.join(", "),
            percentile(&t.lat_ms, 0.5),
            percentile(&t.lat_ms, 0.99),
            t.cpu_per_request(),
            t.agent_ticks as f64 * 1e4 / t.ok.max(1) as f64,
        );
    }
    println!(
        "\nBridged / host-network throughput: **{:.2}×** (via docker-proxy: {:.2}×).",
        bridged.throughput() / host.throughput(),
        proxied.throughput() / host.throughput()
    );
    if let Some(r) = &b.real {
        println!("\nAgent starts:");
        for note in &r.notes {
            println!("- {note}");
        }
        println!(
            "\nOver the rounds ({all_requests} requests with the warm-ups) the agent's log files (`ecs-agent.log*`) grew by {} lines and its audit log files (`audit.log*`) by {} lines.",
            logs[0], logs[1]
        );
    }
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
