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

use super::host::{self, Header};
use super::metadata_guard::FirewallBackend;

/// The chain (in `nat` and in `filter`) holding the rules.
pub const CHAIN: &str = "ECSHOST-CREDENTIALS";

/// `apply_task_dnat` for `backend`, from its library (`src/host/iptables.sh`
/// or `nftables.sh`; on iptables with `apply_task_input`, which it calls).
/// The functions read `$DOCKER`, `$IPTABLES`, `$NAME`, `$NETWORK`,
/// `$OWN_NETWORK`, `$BRIDGE`, `$ADDRESS` and `$PORT` (where the agent is
/// published: `169.254.170.2`, `80`), `$AGENT_PORT`, `$TASK_CHAIN` and `log`;
/// the start script calls it as `task_dnat_step`, where a failure only logs.
pub(crate) fn functions(header: Header, backend: FirewallBackend) -> Header {
    let lib = host::backend_functions(backend);
    let header = match backend {
        FirewallBackend::Iptables => header.function(lib, "apply_task_input"),
        FirewallBackend::Nftables => header,
    };
    header
        .set("TASK_CHAIN", CHAIN)
        .function(lib, "apply_task_dnat")
}
