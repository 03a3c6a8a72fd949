//! The kernel path from task containers on `docker0` to the agent: a DNAT
//! of `169.254.170.2:80` to the agent container's own address, so the
//! credentials requests of bridge-mode tasks never pass through
//! `docker-proxy`.
//!
//! Why it is needed: while Docker's userland proxy is on (the default),
//! libnetwork skips its port-publishing DNAT for traffic coming *from*
//! `docker0` (`-A DOCKER -i docker0 -j RETURN`, libnetwork
//! `drivers/bridge/setup_ip_tables.go`, "hairpin" off). A task's request to
//! `169.254.170.2:80` is then delivered locally (the address is on `lo`) to
//! `docker-proxy`, which copies every byte in user space to the agent's
//! bridge. In the host lab (Docker 20.10, 50 task containers, a new TCP
//! connection per request) that path gave 0.39–0.54× the throughput of
//! AWS's host-network recipe, and the kernel path below 1.01× at the same
//! CPU per request (`docs/performance.md`, "The credentials path under
//! load"). With the userland proxy off, Docker does DNAT `docker0` traffic,
//! but its isolation chains then drop it between the two bridges
//! (`DOCKER-ISOLATION-STAGE-2 -o <agent bridge> -j DROP`).
//!
//! What the rules do (iptables backend; all in chains this provider owns):
//!
//! * `nat ECSHOST-CREDENTIALS`, jumped to from the top of `PREROUTING` for
//!   `-i docker0 -d 169.254.170.2/32 -p tcp --dport 80`: DNAT to
//!   `<agent ip>:51679`, where the in-netns DNAT (`agent.rs`) takes it on to
//!   the agent's `127.0.0.1:51679`.
//! * `filter ECSHOST-CREDENTIALS`, jumped to from the top of `DOCKER-USER`
//!   (which `FORWARD` runs before Docker's isolation chains): ACCEPT exactly
//!   those connections in both directions — conntrack state `DNAT` with the
//!   original destination `169.254.170.2:80`. A task can reach nothing it
//!   could not reach through `docker-proxy` before; a direct connection to
//!   `<agent ip>:51679` still meets Docker's isolation.
//!
//! * `filter INPUT`, first rule: ACCEPT `-i docker0 -d 169.254.170.2/32 -p
//!   tcp --dport 80`. The requests that still take the `docker-proxy` path
//!   (the agent on `docker0`, or the moments before the DNAT is written) are
//!   delivered locally, and a host hardened with an `INPUT` policy of `DROP`
//!   (CIS benchmarks; aws/amazon-ecs-agent#2877) would drop them while its
//!   own probe over `lo` still got an answer. Nothing else is opened: only
//!   `docker0`, only the endpoint tasks are meant to reach. An `INPUT` drop in
//!   a native nftables table of the user's (not iptables) cannot be
//!   overridden from here; the kernel path above never meets `INPUT`, so
//!   tasks are answered there as long as the DNAT is in place (host lab,
//!   `a_host_whose_input_policy_is_drop_still_answers_tasks`).
//!
//! The agent's address changes whenever its container is re-created, so the
//! start script applies the rules on every `start`, `reapply` and `recheck`
//! (the guard's timer): when they are not exactly right it flushes both
//! chains and writes them anew, and logs that it did. Until then — after a
//! `firewall-cmd --reload` or `nft flush ruleset` — requests take the
//! `docker-proxy` path again: slower, never broken.
//!
//! The agent on Docker's default bridge (`agent_network = false`) shares
//! `docker0` with the tasks; there is no bridge to cross, and nothing is
//! applied. Neither is anything for the nftables backend: Docker 29's
//! nftables mode accepts forwarded packets only by its own firewall mark
//! (`bridge-accept-fwmark`, a daemon setting), so an accept in a table of
//! ours could not let the traffic across. It does not need one: Docker 29
//! has no per-bridge `RETURN` for `docker0` in its nftables DNAT (the rule
//! is `iifname != "<agent bridge>" … dnat`) and accepts forwarded packets to
//! a published port from any bridge (`filter-forward-in__<bridge>`: `ip
//! daddr <agent ip> tcp dport 51679 accept`), so tasks take Docker's own
//! kernel path, which never meets `INPUT` (moby
//! `integration/network/bridge/nftablesdoc/generated/usernet-portmap.md`;
//! moby `1ad9599da7`, "Published ports on host addresses can be accessed
//! from containers in other networks"). That reading is from moby's
//! generated rule listings: no Docker 29 runs in this repository's lab.

use super::agent::AGENT_CREDENTIALS_PORT;
use super::metadata_guard::{FirewallBackend, TASK_BRIDGE};

/// The chain (in `nat` and in `filter`) holding the rules.
pub const CHAIN: &str = "ECSHOST-CREDENTIALS";

/// How the start script's `start`, `reapply` and `recheck` steps call it:
/// a failure only logs, the docker-proxy path still works.
pub const STEP: &str = r#"apply_task_dnat || log "task DNAT not applied; tasks use docker-proxy""#;

/// POSIX sh function `apply_task_dnat` for the start script, which defines
/// `$DOCKER`, `$IPTABLES`, `$NAME`, `$NETWORK`, `$OWN_NETWORK` and `log`.
/// `address` and `port` are where the agent is published (`169.254.170.2`,
/// `80`). Callers run it as [`STEP`].
pub fn shell_function(backend: FirewallBackend, address: &str, port: u16) -> String {
    let cport = AGENT_CREDENTIALS_PORT;
    match backend {
        FirewallBackend::Nftables => {
            "# Tasks reach the agent through docker-proxy on the nftables backend\n\
             # (Docker 29 accepts forwarded packets between its bridges only by\n\
             # its own firewall mark, bridge-accept-fwmark).\n\
             apply_task_dnat() { :; }\n"
                .to_owned()
        }
        FirewallBackend::Iptables => {
            // Each rule spelled once: the check (-C) and the write (-A/-I)
            // must stay the same rule.
            let dnat = format!("-p tcp -j DNAT --to-destination \"$agent_ip:{cport}\"");
            let jump = format!("-i {TASK_BRIDGE} -d {address}/32 -p tcp --dport {port} -j {CHAIN}");
            let ct = format!(
                "-m conntrack --ctstate DNAT --ctorigdst {address}/32 --ctorigdstport {port}"
            );
            let accept_in = format!(
                "-i {TASK_BRIDGE} -d \"$agent_ip/32\" -p tcp --dport {cport} {ct} -j ACCEPT"
            );
            let accept_out = format!(
                "-o {TASK_BRIDGE} -s \"$agent_ip/32\" -p tcp --sport {cport} {ct} -j ACCEPT"
            );
            let input = format!("-i {TASK_BRIDGE} -d {address}/32 -p tcp --dport {port} -j ACCEPT");
            format!(
                r#"# Requests that take the docker-proxy path (the agent on {TASK_BRIDGE}, or
# before the DNAT below is written) are delivered locally: accept them
# ahead of an INPUT policy of DROP (CIS). Only tasks, only this endpoint.
apply_task_input() {{
    if ! "$IPTABLES" -w -C INPUT {input} 2>/dev/null; then
        "$IPTABLES" -w -I INPUT 1 {input}
        log "INPUT accepts {TASK_BRIDGE} -> {address}:{port} (the docker-proxy path)"
    fi
}}

# Tasks on {TASK_BRIDGE} reach the agent in the kernel, not through docker-proxy:
# DNAT {address}:{port} -> <agent ip>:{cport}, and accept exactly those
# connections across to the agent's bridge ahead of Docker's isolation.
# Rewritten (and logged) whenever it is not exactly right: the agent's
# address changes with every new container.
apply_task_dnat() {{
    apply_task_input
    [ "$OWN_NETWORK" = yes ] || return 0
    agent_ip=$("$DOCKER" inspect -f "{{{{(index .NetworkSettings.Networks \"$NETWORK\").IPAddress}}}}" "$NAME" 2>/dev/null) || agent_ip=""
    case $agent_ip in
        "" | *[!0-9.]* | *..* | .* | *.) agent_ok=no ;;
        *.*.*.*) agent_ok=yes ;;
        *) agent_ok=no ;;
    esac
    if [ "$agent_ok" = no ]; then
        log "no IPv4 address of $NAME on $NETWORK (\"$agent_ip\"); tasks use docker-proxy"
        return 0
    fi
    if "$IPTABLES" -w -t nat -C {CHAIN} {dnat} 2>/dev/null &&
        [ "$("$IPTABLES" -w -t nat -S {CHAIN} | wc -l)" -eq 2 ] &&
        "$IPTABLES" -w -t nat -C PREROUTING {jump} 2>/dev/null &&
        "$IPTABLES" -w -C {CHAIN} {accept_in} 2>/dev/null &&
        "$IPTABLES" -w -C {CHAIN} {accept_out} 2>/dev/null &&
        [ "$("$IPTABLES" -w -S {CHAIN} | wc -l)" -eq 3 ] &&
        "$IPTABLES" -w -C DOCKER-USER -j {CHAIN} 2>/dev/null; then
        return 0
    fi
    "$IPTABLES" -w -t nat -N {CHAIN} 2>/dev/null || true
    "$IPTABLES" -w -t nat -F {CHAIN}
    "$IPTABLES" -w -t nat -A {CHAIN} {dnat}
    if ! "$IPTABLES" -w -t nat -C PREROUTING {jump} 2>/dev/null; then
        "$IPTABLES" -w -t nat -I PREROUTING 1 {jump}
    fi
    "$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
    "$IPTABLES" -w -N {CHAIN} 2>/dev/null || true
    "$IPTABLES" -w -F {CHAIN}
    "$IPTABLES" -w -A {CHAIN} {accept_in}
    "$IPTABLES" -w -A {CHAIN} {accept_out}
    if ! "$IPTABLES" -w -C DOCKER-USER -j {CHAIN} 2>/dev/null; then
        "$IPTABLES" -w -I DOCKER-USER 1 -j {CHAIN}
    fi
    log "task DNAT: {TASK_BRIDGE} -> {address}:{port} goes to $agent_ip:{cport} in the kernel"
}}
"#
            )
        }
    }
}
