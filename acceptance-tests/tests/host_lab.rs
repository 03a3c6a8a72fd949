//! Host lab tests: a real Debian dockerd inside network namespaces.
//!
//! Each test brings up its own lab (unique names, parallel-safe) and tears it
//! down on drop. Without root/netns/dockerd they print `SKIP: …` and pass,
//! unless `ECSHOST_REQUIRE_LAB=1`. Run with `--nocapture` to see the
//! `OBSERVED` lines (timings and Docker's error texts).
//!
//! Why these tests keep the agent stand-in (`lab/ecs-agent-standin:1`) and
//! not the real agent: they prove facts of Docker and the kernel (publishing
//! needs the address on `lo`, a published port reaches nothing on the
//! agent's `127.0.0.1` without the in-namespace DNAT, port 80 clashes,
//! cross-bridge publishing) with a process that listens where agent >= 1.26
//! listens. The stand-in stays up by itself; the real agent exits within
//! seconds unless ECS, ACS and instance metadata answer it, which is the
//! business of `host_lab_rendered` (every test there runs the real agent).
//! `standin_listens_only_on_its_own_loopback` and
//! `agent_publish_needs_lo_alias_and_is_broken_without_dnat` also need an
//! agent that misbehaves on purpose: one listening on `0.0.0.0:51679`
//! (`TMDS_LISTEN`), which the real agent cannot be told to do.

use std::thread;
use std::time::{Duration, Instant};

use acceptance_tests::hostlab::images::{AGENT_STANDIN_IMAGE, BUSYBOX_IMAGE, NO_ID_BODY};
use acceptance_tests::hostlab::imds::{HOST_IF, IMDS_LINK_ADDR, INSTANCE_ID};
use acceptance_tests::hostlab::lab::{http_body, http_raw_script, http_status};
use acceptance_tests::hostlab::{
    lab_or_skip, CmdOutput, Lab, LabConfig, ECS_CREDENTIALS_ADDR, IMDS_ADDR,
};

const AGENT_NET: &str = "ecs-agent";
const AGENT: &str = "ecs-agent";
const PUBLISH: &str = "169.254.170.2:80:51679";

fn observe(what: &str, text: &str) {
    eprintln!("OBSERVED {what}: {}", text.trim());
}

fn lab() -> Option<Lab> {
    lab_or_skip(LabConfig::default())
}

fn ok(out: CmdOutput, what: &str) -> CmdOutput {
    assert!(out.success(), "{what}: {out}");
    out
}

fn create_agent_network(lab: &Lab) {
    ok(
        lab.docker(&[
            "network",
            "create",
            "--driver",
            "bridge",
            "-o",
            "com.docker.network.bridge.name=ecsagent0",
            "--subnet",
            "172.31.254.0/28",
            AGENT_NET,
        ]),
        "network create",
    );
}

/// Poll (bounded) until the stand-in answers inside its own netns.
fn wait_agent_ready(lab: &Lab, name: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let out = lab
            .in_container_netns(
                name,
                &http_raw_script("127.0.0.1", 51679, "/v2/credentials/", 3),
            )
            .expect("nsenter agent");
        if http_status(&out.stdout) == Some(400) {
            return out.stdout;
        }
        assert!(
            Instant::now() < deadline,
            "agent stand-in {name} never answered: {out}"
        );
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn lab_comes_up_imds_is_forwarded_and_teardown_is_complete() {
    let Some(mut lab) = lab() else { return };
    let t = lab.timings().clone();
    observe(
        "timings",
        &format!(
            "netns+imds {:?}, dockerd start {:?}, image build {:?}, lab total {:?}",
            t.netns, t.dockerd_start, t.image_build, t.total
        ),
    );
    let driver = lab.storage_driver().expect("docker info");
    observe("storage driver", &driver);
    let ver = ok(
        lab.docker(&["version", "--format", "{{.Server.Version}}"]),
        "docker version",
    );
    observe("dockerd version", &ver.stdout);
    for img in [BUSYBOX_IMAGE, AGENT_STANDIN_IMAGE] {
        ok(
            lab.docker(&["image", "inspect", "--format", "{{.Id}}", img]),
            img,
        );
    }

    // The host namespace has no way out: no default route, only our link.
    let routes = ok(lab.host_sh("ip -4 route show"), "ip route");
    assert!(
        !routes.stdout.contains("default"),
        "host netns must have no default route:\n{}",
        routes.stdout
    );
    let get = ok(
        lab.host_sh(&format!("ip route get {IMDS_ADDR}")),
        "ip route get",
    );
    assert!(
        get.stdout
            .contains(&format!("via {IMDS_LINK_ADDR} dev {HOST_IF}")),
        "IMDS must be routed via the veth: {}",
        get.stdout
    );

    // From the host namespace.
    let host = lab.http_from_host(&format!("http://{IMDS_ADDR}/latest/meta-data/instance-id"));
    assert_eq!(host.stdout.trim(), INSTANCE_ID, "{host}");

    // From a default-bridge container (no block rule yet): forwarded.
    let probe = format!("timeout 5 wget -qO- http://{IMDS_ADDR}/latest/meta-data/instance-id");
    let task = lab.run_task("bridge", &probe);
    assert_eq!(task.stdout.trim(), INSTANCE_ID, "{task}");
    let log = lab.imds().expect("imds").log();
    assert!(
        log.contains("169.254.254.1"),
        "IMDS should see the masqueraded host-side address:\n{log}"
    );

    // Forwarding is what carries it: with ip_forward=0 the same request fails.
    let ns = lab.host_netns().clone();
    assert_eq!(ns.sysctl_get("net.ipv4.ip_forward").unwrap(), "1");
    ns.sysctl("net.ipv4.ip_forward", "0").unwrap();
    let blocked = lab.run_task("bridge", &probe);
    ns.sysctl("net.ipv4.ip_forward", "1").unwrap();
    assert!(
        !blocked.success() && !blocked.stdout.contains(INSTANCE_ID),
        "{blocked}"
    );
    let again = lab.run_task("bridge", &probe);
    assert_eq!(again.stdout.trim(), INSTANCE_ID, "{again}");

    // Leave a running container behind on purpose; teardown must cope.
    ok(
        lab.docker(&[
            "run",
            "-d",
            "--name",
            "straggler",
            BUSYBOX_IMAGE,
            "sleep",
            "600",
        ]),
        "straggler",
    );
    let t0 = Instant::now();
    lab.shutdown().expect("shutdown");
    observe("teardown", &format!("{:?}", t0.elapsed()));
    let left = lab.leftovers();
    assert!(left.is_empty(), "teardown left: {left:?}");
}

#[test]
fn agent_publish_needs_lo_alias_and_is_broken_without_dnat() {
    let Some(lab) = lab() else { return };
    create_agent_network(&lab);
    let run_agent = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "-d",
            "--name",
            AGENT,
            "--network",
            AGENT_NET,
            "-p",
            PUBLISH,
        ];
        args.extend_from_slice(extra);
        args.push(AGENT_STANDIN_IMAGE);
        lab.docker(&args)
    };

    // 1. Without the lo alias Docker cannot bind 169.254.170.2:80.
    let no_alias = run_agent(&[]);
    observe("run without lo alias", &no_alias.stderr);
    assert!(!no_alias.success(), "{no_alias}");
    assert!(
        no_alias.stderr.contains("cannot assign requested address"),
        "{no_alias}"
    );
    ok(lab.docker(&["rm", "-f", AGENT]), "rm");

    // 2. With the alias, publish alone: the agent listens on its own
    //    127.0.0.1, so a task gets nothing useful.
    lab.add_lo_alias().unwrap();
    ok(run_agent(&[]), "run agent");
    wait_agent_ready(&lab, AGENT);
    let probe = http_raw_script(ECS_CREDENTIALS_ADDR, 80, "/v2/credentials/", 5);
    let broken = lab.run_task("bridge", &probe);
    observe(
        "task -> 169.254.170.2:80, publish only",
        &format!(
            "exit={:?} stdout={:?} stderr={:?}",
            broken.code, broken.stdout, broken.stderr
        ),
    );
    assert_eq!(http_status(&broken.stdout), None, "{broken}");
    assert!(!broken.stdout.contains("NoIdInRequest"), "{broken}");
    // The host itself gets the same nothing.
    let host = lab.http_raw_from_host(ECS_CREDENTIALS_ADDR, 80, "/v2/credentials/");
    assert_eq!(http_status(&host.stdout), None, "{host}");

    // 3. Control: the DNAT in the agent's own namespace — route_localnet in the agent
    //    netns + DNAT to 127.0.0.1:51679 — makes the same request succeed.
    ok(lab.docker(&["rm", "-f", AGENT]), "rm");
    ok(
        run_agent(&["--sysctl", "net.ipv4.conf.all.route_localnet=1"]),
        "run agent (A)",
    );
    wait_agent_ready(&lab, AGENT);
    let dnat = lab
        .in_container_netns(
            AGENT,
            "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 51679 -j DNAT --to-destination 127.0.0.1:51679",
        )
        .unwrap();
    ok(dnat, "dnat in agent netns");
    let fixed = lab.run_task("bridge", &probe);
    assert_eq!(http_status(&fixed.stdout), Some(400), "{fixed}");
    assert_eq!(http_body(&fixed.stdout), NO_ID_BODY, "{fixed}");
    let host = lab.http_raw_from_host(ECS_CREDENTIALS_ADDR, 80, "/v2/credentials/");
    assert_eq!(http_status(&host.stdout), Some(400), "{host}");
}

#[test]
fn standin_listens_only_on_its_own_loopback() {
    let Some(lab) = lab() else { return };
    create_agent_network(&lab);
    ok(
        lab.docker(&[
            "run",
            "-d",
            "--name",
            AGENT,
            "--network",
            AGENT_NET,
            AGENT_STANDIN_IMAGE,
        ]),
        "run agent",
    );
    let inside = wait_agent_ready(&lab, AGENT);
    assert_eq!(http_body(&inside), NO_ID_BODY);
    assert!(
        inside.contains("Content-Type: application/json"),
        "{inside}"
    );
    let ip = lab.container_ip(AGENT, AGENT_NET).unwrap();
    assert!(ip.starts_with("172.31.254."), "{ip}");

    // Same bridge, agent's address: 51679 refused, 51678 (introspection) answers.
    let peer = lab.run_task(
        AGENT_NET,
        &http_raw_script(&ip, 51679, "/v2/credentials/", 3),
    );
    observe(
        "peer -> agentip:51679",
        &format!("exit={:?} {}", peer.code, peer.stderr),
    );
    assert_eq!(http_status(&peer.stdout), None, "{peer}");
    let intro = lab.run_task(AGENT_NET, &http_raw_script(&ip, 51678, "/v1/metadata", 3));
    assert_eq!(http_status(&intro.stdout), Some(200), "{intro}");
    assert!(
        http_body(&intro.stdout).contains("ContainerInstanceArn"),
        "{intro}"
    );

    // Contrast: the same image bound to 0.0.0.0 is reachable — so the
    // negative above is the 127.0.0.1 bind, not a broken lab.
    ok(
        lab.docker(&[
            "run",
            "-d",
            "--name",
            "wide",
            "--network",
            AGENT_NET,
            "-e",
            "TMDS_LISTEN=0.0.0.0:51679",
            AGENT_STANDIN_IMAGE,
        ]),
        "run wide",
    );
    wait_agent_ready(&lab, "wide");
    let wide_ip = lab.container_ip("wide", AGENT_NET).unwrap();
    let wide = lab.run_task(
        AGENT_NET,
        &http_raw_script(&wide_ip, 51679, "/v2/credentials/", 3),
    );
    assert_eq!(http_status(&wide.stdout), Some(400), "{wide}");
}

#[test]
fn dockerd_restart_keeps_data_root() {
    let Some(mut lab) = lab() else { return };
    let pid1 = lab.dockerd_pid().expect("dockerd running");
    ok(
        lab.docker(&["create", "--name", "keepme", BUSYBOX_IMAGE, "true"]),
        "create",
    );
    ok(lab.docker(&["volume", "create", "keepvol"]), "volume");
    let took = lab.restart_dockerd().expect("restart");
    let took2 = lab.restart_dockerd().expect("restart again");
    observe(
        "dockerd restart (stop+start)",
        &format!("{took:?}, {took2:?}"),
    );
    let pid2 = lab.dockerd_pid().expect("dockerd running after restart");
    assert_ne!(pid1, pid2, "restart must start a new dockerd");
    assert!(
        !acceptance_tests::hostlab::sys::pid_alive(pid1),
        "old dockerd {pid1} still alive"
    );
    for img in [BUSYBOX_IMAGE, AGENT_STANDIN_IMAGE] {
        ok(lab.docker(&["image", "inspect", img]), img);
    }
    ok(lab.docker(&["inspect", "keepme"]), "container survives");
    ok(
        lab.docker(&["volume", "inspect", "keepvol"]),
        "volume survives",
    );
    let run = ok(lab.run_task("bridge", "echo alive"), "task after restart");
    assert_eq!(run.stdout.trim(), "alive");
}

fn assert_port80_clash(lab: &Lab, mode: &str) {
    ok(
        lab.docker(&[
            "run",
            "-d",
            "--name",
            "holder",
            "-p",
            "169.254.170.2:80:80",
            BUSYBOX_IMAGE,
            "sleep",
            "600",
        ]),
        "holder",
    );
    let listen = ok(lab.host_sh("cat /proc/net/tcp"), "proc net tcp");
    // 169.254.170.2:80 little-endian hex = 02AAFEA9:0050, state 0A = LISTEN
    let holder_sock = listen
        .stdout
        .lines()
        .any(|l| l.contains("02AAFEA9:0050") && l.contains(" 0A "));
    observe(
        &format!("[{mode}] 169.254.170.2:80 listening socket in host netns"),
        &holder_sock.to_string(),
    );
    let wild = lab.docker(&[
        "run",
        "-d",
        "--name",
        "wild",
        "-p",
        "80:80",
        BUSYBOX_IMAGE,
        "sleep",
        "600",
    ]);
    observe(
        &format!("[{mode}] docker run -p 80:80 while 169.254.170.2:80 is published"),
        &wild.stderr,
    );
    assert!(!wild.success(), "{wild}");
    assert!(
        wild.stderr
            .contains("0.0.0.0:80: bind: address already in use"),
        "{wild}"
    );
    let wild2 = lab.docker(&[
        "run",
        "-d",
        "--name",
        "wild2",
        "-p",
        "0.0.0.0:80:80",
        BUSYBOX_IMAGE,
        "sleep",
        "600",
    ]);
    assert!(
        !wild2.success() && wild2.stderr.contains("address already in use"),
        "{wild2}"
    );
    // A different port on the wildcard address is fine.
    ok(
        lab.docker(&[
            "run",
            "-d",
            "--name",
            "other",
            "-p",
            "8080:80",
            BUSYBOX_IMAGE,
            "sleep",
            "600",
        ]),
        "other port",
    );
    ok(
        lab.docker(&["rm", "-f", "holder", "wild", "wild2", "other"]),
        "rm",
    );
}

#[test]
fn port80_clash_is_linux_bind_semantics_in_both_proxy_modes() {
    let Some(mut lab) = lab() else { return };
    lab.add_lo_alias().unwrap();
    assert_port80_clash(&lab, "userland-proxy=true");
    lab.set_userland_proxy(false)
        .expect("restart without userland proxy");
    let cmd =
        std::fs::read_to_string(format!("/proc/{}/cmdline", lab.dockerd_pid().unwrap())).unwrap();
    assert!(cmd.contains("--userland-proxy=false"), "{cmd}");
    assert_port80_clash(&lab, "userland-proxy=false");
}

#[test]
fn cross_bridge_publish_needs_userland_proxy() {
    // Agent on its own bridge, task on docker0 (docs/design/endpoint-reachability.md). With the
    // proxy it works (given the in-netns DNAT); without it, Docker 20.10's
    // isolation chains drop the DNAT'd packet. Pin that per engine version.
    let Some(mut lab) = lab() else { return };
    lab.add_lo_alias().unwrap();
    create_agent_network(&lab);
    let probe = http_raw_script(ECS_CREDENTIALS_ADDR, 80, "/v2/credentials/", 4);
    let mut results = Vec::new();
    for proxy in [true, false] {
        if !proxy {
            // remove first: dockerd gives running containers 10 s on stop
            ok(lab.docker(&["rm", "-f", AGENT]), "rm");
            lab.set_userland_proxy(false).unwrap();
        }
        ok(
            lab.docker(&[
                "run",
                "-d",
                "--name",
                AGENT,
                "--network",
                AGENT_NET,
                "-p",
                PUBLISH,
                "--sysctl",
                "net.ipv4.conf.all.route_localnet=1",
                AGENT_STANDIN_IMAGE,
            ]),
            "run agent",
        );
        wait_agent_ready(&lab, AGENT);
        ok(
            lab.in_container_netns(
                AGENT,
                "iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 51679 -j DNAT --to-destination 127.0.0.1:51679",
            )
            .unwrap(),
            "dnat",
        );
        let task = lab.run_task("bridge", &probe);
        observe(
            &format!("userland-proxy={proxy}: docker0 task -> 169.254.170.2:80 (with DNAT)"),
            &format!(
                "status={:?} exit={:?} timed_out={}",
                http_status(&task.stdout),
                task.code,
                task.timed_out
            ),
        );
        results.push(http_status(&task.stdout));
    }
    assert_eq!(
        results[0],
        Some(400),
        "with userland proxy the task must reach the agent"
    );
    assert_eq!(
        results[1], None,
        "Docker 20.10 without userland proxy: expected the cross-bridge drop"
    );
}

/// Run as a child process by `stale_lab_from_crashed_process_is_swept`:
/// bring a lab up, start a container, then abort without any teardown.
#[test]
fn crash_helper() {
    if std::env::var("HOSTLAB_CRASH_HELPER").as_deref() != Ok("1") {
        return;
    }
    let lab = Lab::start(LabConfig::default()).expect("lab");
    ok(
        lab.docker(&[
            "run",
            "-d",
            "--name",
            "orphan",
            BUSYBOX_IMAGE,
            "sleep",
            "600",
        ]),
        "orphan",
    );
    println!("LAB_NAME={}", lab.name());
    println!("LAB_DIR={}", lab.dir().display());
    std::process::abort();
}

#[test]
fn stale_lab_from_crashed_process_is_swept() {
    if let Err(reason) = acceptance_tests::hostlab::preflight() {
        assert_ne!(
            std::env::var("ECSHOST_REQUIRE_LAB").as_deref(),
            Ok("1"),
            "lab required: {reason}"
        );
        eprintln!("SKIP: host lab needs root and network namespaces: {reason}");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["crash_helper", "--exact", "--nocapture", "--test-threads=1"])
        .env("HOSTLAB_CRASH_HELPER", "1");
    let out = acceptance_tests::hostlab::sys::run(&mut cmd, Duration::from_secs(120)).unwrap();
    assert!(!out.success(), "helper should abort: {out}");
    let field = |k: &str| {
        out.stdout
            .lines()
            .find_map(|l| l.split_once(k).map(|(_, v)| v.trim()))
            .unwrap_or_else(|| panic!("no {k} in helper output: {out}"))
            .to_string()
    };
    let (name, dir) = (
        field("LAB_NAME="),
        std::path::PathBuf::from(field("LAB_DIR=")),
    );
    let before = acceptance_tests::hostlab::lab::leftovers(&name, &dir);
    observe("crashed lab leftovers", &format!("{before:?}"));
    assert!(
        before.iter().any(|l| l.starts_with("pid ")),
        "orphaned dockerd expected: {before:?}"
    );
    assert!(before.iter().any(|l| l.starts_with("netns ")), "{before:?}");
    let base = dir.parent().unwrap();
    let swept = acceptance_tests::hostlab::lab::sweep_stale(base);
    assert!(swept.contains(&name), "{name} not in {swept:?}");
    let after = acceptance_tests::hostlab::lab::leftovers(&name, &dir);
    assert!(after.is_empty(), "sweep left: {after:?}");
}

/// A hand-written stand-in for what `ecshost::render` will produce: the
/// whole design run as one POSIX script in the host namespace.
const DESIGN_SCRIPT: &str = r#"set -eu
ip addr replace 169.254.170.2/32 dev lo
docker network inspect ecs-agent >/dev/null 2>&1 || docker network create --driver bridge \
  -o com.docker.network.bridge.name=ecsagent0 --subnet 172.31.254.0/28 ecs-agent >/dev/null
docker run -d --name ecs-agent --network ecs-agent -p 169.254.170.2:80:51679 \
  -p 127.0.0.1:51678:51678 --sysctl net.ipv4.conf.all.route_localnet=1 "$AGENT_IMAGE" >/dev/null
PID=$(docker inspect -f '{{.State.Pid}}' ecs-agent)
nsenter -t "$PID" -n iptables -t nat -A PREROUTING -i eth0 -p tcp --dport 51679 \
  -j DNAT --to-destination 127.0.0.1:51679
iptables -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null || \
  iptables -I DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP
echo started
"#;

#[test]
fn design_script_end_to_end_with_imds_block() {
    let Some(mut lab) = lab() else { return };
    let out = lab
        .try_host_sh(
            DESIGN_SCRIPT,
            &[("AGENT_IMAGE", AGENT_STANDIN_IMAGE)],
            Duration::from_secs(120),
        )
        .unwrap();
    assert!(out.success() && out.stdout.contains("started"), "{out}");
    wait_agent_ready(&lab, AGENT);

    let check = |lab: &Lab, when: &str| {
        let creds = lab.run_task(
            "bridge",
            &http_raw_script(ECS_CREDENTIALS_ADDR, 80, "/v2/credentials/", 5),
        );
        assert_eq!(
            http_status(&creds.stdout),
            Some(400),
            "[{when}] task creds: {creds}"
        );
        assert_eq!(http_body(&creds.stdout), NO_ID_BODY, "[{when}]");
        let imds = format!("timeout 3 wget -qO- http://{IMDS_ADDR}/latest/meta-data/instance-id");
        let task = lab.run_task("bridge", &imds);
        assert!(
            !task.success() && !task.stdout.contains(INSTANCE_ID),
            "[{when}] task reached IMDS: {task}"
        );
        let agent_net = lab.run_task(AGENT_NET, &imds);
        assert_eq!(
            agent_net.stdout.trim(),
            INSTANCE_ID,
            "[{when}] agent bridge must reach IMDS: {agent_net}"
        );
        let host = lab.http_from_host(&format!("http://{IMDS_ADDR}/latest/meta-data/instance-id"));
        assert_eq!(host.stdout.trim(), INSTANCE_ID, "[{when}] host: {host}");
        let intro = lab.http_raw_from_host("127.0.0.1", 51678, "/v1/metadata");
        assert_eq!(
            http_status(&intro.stdout),
            Some(200),
            "[{when}] introspection: {intro}"
        );
    };
    check(&lab, "fresh");

    // The DOCKER-USER rule survives a dockerd restart (Docker's "Packet filtering
    // and firewalls" page). The agent
    // container does not come back by itself (no restart policy here), so
    // only the IMDS part is re-checked.
    ok(lab.docker(&["rm", "-f", AGENT]), "rm agent");
    lab.restart_dockerd().unwrap();
    let rules = ok(lab.host_sh("iptables -S DOCKER-USER"), "iptables -S");
    assert!(
        rules
            .stdout
            .contains("-A DOCKER-USER -d 169.254.169.254/32 -i docker0 -j DROP"),
        "{}",
        rules.stdout
    );
    let task = lab.run_task(
        "bridge",
        &format!("timeout 3 wget -qO- http://{IMDS_ADDR}/latest/meta-data/instance-id"),
    );
    assert!(!task.success(), "after restart task reached IMDS: {task}");
}
