//! Firewall rules keeping task containers on `docker0` away from IMDS
//! (`169.254.169.254`, and `fd00:ec2::254` where IPv6 is used), while the agent
//! (on its own bridge) and the host keep reaching it.
//!
//! * **iptables backend**: one rule at the top of `DOCKER-USER`, scoped with
//!   `-i docker0` (AWS's unscoped rule would also cut off a bridged agent),
//!   and the same rule first in `raw PREROUTING` (see [`guard_functions`]).
//!   Container → IMDS traffic is *forwarded*, so OUTPUT rules never see it.
//!   Idempotent by `-C || -I`. Docker keeps `DOCKER-USER` across dockerd
//!   restarts but nothing keeps it across reboots (Docker's "Packet filtering
//!   and firewalls" page, `DOCKER-USER`; the dockerd restart in
//!   `acceptance-tests/tests/host_lab.rs`), hence a oneshot
//!   unit `WantedBy=`/`PartOf=docker.service` and a re-apply in the agent
//!   start script.
//! * **nftables backend**: Docker 29's nftables mode has no `DOCKER-USER`, so we
//!   own a table (`inet ecshost_metadata_guard`) with a forward base chain at
//!   priority -10 (before Docker's filter chains). A `drop` verdict is final
//!   across base chains. Idempotent by the atomic "add, delete, define" idiom.
//!
//! Only `daddr` IMDS is matched, so `169.254.170.2` (local delivery via `lo`,
//! or DNAT to the agent bridge with `userland-proxy=false`) is never dropped.

use crate::host::{self, Header};
use crate::{IMDS_ADDRESS, SYSTEMD_DIR};

/// The bridge ECS bridge-mode tasks use.
pub const TASK_BRIDGE: &str = "docker0";

/// IPv6 IMDS endpoint (Nitro instances with `HttpProtocolIpv6=enabled`).
pub const IMDS_ADDRESS_V6: &str = "fd00:ec2::254";

/// nftables table owned by this provider.
pub const NFT_TABLE: &str = "ecshost_metadata_guard";

/// Where the standalone rules script is installed.
pub const SCRIPT_PATH: &str = "/opt/ecshost/metadata-guard.sh";

/// Name of the oneshot unit applying the rules whenever Docker starts.
pub const UNIT_NAME: &str = "ecshost-metadata-guard.service";

/// Oneshot unit re-applying the rules when something removed them.
pub const RECHECK_UNIT_NAME: &str = "ecshost-metadata-guard-recheck.service";

/// Timer starting [`RECHECK_UNIT_NAME`] every interval (default 1 min).
pub const RECHECK_TIMER_NAME: &str = "ecshost-metadata-guard-recheck.timer";

/// Long-running unit re-applying the rules on firewalld's reload and
/// restart signals.
pub const WATCH_UNIT_NAME: &str = "ecshost-metadata-guard-watch.service";

/// Which firewall the host's Docker uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FirewallBackend {
    /// iptables (legacy or nf_tables flavour), Docker's `DOCKER-USER` chain.
    #[default]
    Iptables,
    /// Native nftables (Docker 29 `firewall-backend: nftables`).
    Nftables,
}

impl FirewallBackend {
    /// Terraform attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            FirewallBackend::Iptables => "iptables",
            FirewallBackend::Nftables => "nftables",
        }
    }

    /// Inverse of [`FirewallBackend::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [FirewallBackend::Iptables, FirewallBackend::Nftables]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

/// The guard's two functions for `backend`, from its library
/// (`src/host/iptables.sh` or `nftables.sh`): `apply_metadata_guard`
/// (idempotent) and `metadata_guard_present` (true while the IPv4 block is
/// in force; the self-check reports it as `metadata_guard`).
///
/// iptables: the rule only acts while `FORWARD` jumps to `DOCKER-USER`
/// *before* Docker's own `ACCEPT` for traffic leaving docker0. Docker keeps
/// the jump first, but a rewrite of the ruleset takes it away (`nft flush
/// ruleset`, an `iptables-restore` of a set saved without it) or moves it:
/// after `firewall-cmd --reload`, dockerd 20.10 re-creates the jump first and
/// then inserts its bridge rules above it (seen in the host lab), so the
/// DOCKER-USER rule is never reached. Applying therefore puts the jump back
/// at the top, and "present" means the rule *and* the jump as FORWARD's
/// first rule. Docker's `EnsureJumpRule` deletes a jump before inserting
/// its own, so there is never more than one.
///
/// The same drop also sits first in `raw PREROUTING`, which dockerd never
/// touches: after a `firewall-cmd --reload` the watcher re-applies both
/// within milliseconds, and dockerd, reacting to the same signal a moment
/// later, can reorder `FORWARD` but not `raw` (the lab saw a task reach
/// IMDS for half a second in that window while only `DOCKER-USER` held the
/// rule). "Present" requires both, so the re-check repairs either.
///
/// With them, the backend-independent `recheck_metadata_guard WHY`
/// (re-apply only when missing, and say so on stderr) and
/// `watch_metadata_guard` (re-check on every firewalld reload or restart)
/// from `src/host/functions.sh`. The functions read the variables of
/// [`Header::firewall_tools`] and [`Header::guard_values`].
///
/// With `block` off (`block_task_metadata = false`), the three functions the
/// agent script calls are the no-ops of `src/host/no-guard.sh` instead, so
/// its subcommands stay the same whether the guard is on or not.
pub(crate) fn guard_functions(header: Header, backend: FirewallBackend, block: bool) -> Header {
    if !block {
        return header
            .function(host::NO_GUARD, "apply_metadata_guard")
            .function(host::NO_GUARD, "recheck_metadata_guard")
            .function(host::NO_GUARD, "watch_metadata_guard");
    }
    let lib = host::backend_functions(backend);
    header
        .function(lib, "apply_metadata_guard")
        .function(lib, "metadata_guard_present")
        .function(host::FUNCTIONS, "recheck_metadata_guard")
        .function(host::FUNCTIONS, "watch_metadata_guard")
}

/// The firewalld D-Bus signals that mean "firewalld rewrote the ruleset":
/// `Reloaded` (`firewall-cmd --reload`, either backend) and the bus name
/// changing owner (firewalld restarted). Docker listens to the same two to
/// re-create its own chains (libnetwork `iptables/firewalld.go`).
pub const FIREWALLD_SIGNALS: [&str; 2] = [
    "type='signal',interface='org.fedoraproject.FirewallD1',member='Reloaded'",
    "type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.fedoraproject.FirewallD1'",
];

/// Standalone idempotent script applying the rules (the `firewall_rules`
/// output, `src/host/metadata-guard.sh`): `apply` (default), `recheck`
/// (apply only when missing, and log it) or `watch` (recheck on every
/// firewalld reload/restart).
pub fn render_script(backend: FirewallBackend) -> String {
    let header = Header::new()
        .firewall_tools()
        .guard_values()
        .set("BACKEND", backend.as_str());
    guard_functions(header, backend, true).fill(host::METADATA_GUARD)
}

/// Where the rule lives, for unit descriptions: a reader of the unit (or
/// of user data, where the scripts are packed) sees what it does.
fn rule_place(backend: FirewallBackend) -> String {
    match backend {
        FirewallBackend::Iptables => format!("{IMDS_ADDRESS} in DOCKER-USER"),
        FirewallBackend::Nftables => format!("{IMDS_ADDRESS} in table inet {NFT_TABLE}"),
    }
}

/// Oneshot unit applying the rules whenever docker.service (re)starts.
/// `exec_start` is the command applying them: [`SCRIPT_PATH`] run by `/bin/sh`
/// (the `firewall_rules` script), or the agent start script's `guard` step.
pub fn render_unit(backend: FirewallBackend, exec_start: &str) -> String {
    format!(
        "[Unit]\n\
         Description=Drop {TASK_BRIDGE} -> {place} (terraform-provider-ecshost)\n\
         After=docker.service\n\
         PartOf=docker.service\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart={exec_start}\n\
         \n\
         [Install]\n\
         WantedBy=docker.service multi-user.target\n",
        place = rule_place(backend),
    )
}

/// Where the unit is installed.
pub fn unit_path() -> String {
    format!("{SYSTEMD_DIR}/{UNIT_NAME}")
}

/// Oneshot unit running `exec_start` (the start script's `recheck` step):
/// re-applies the rules when they are missing and logs that it had to.
pub fn render_recheck_unit(exec_start: &str) -> String {
    format!(
        "[Unit]\n\
         Description=Re-apply the {TASK_BRIDGE} IMDS block if missing (terraform-provider-ecshost)\n\
         After=docker.service\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={exec_start}\n"
    )
}

/// Timer running [`RECHECK_UNIT_NAME`] every `seconds`, from boot on: the
/// bound on how long any rewrite of the ruleset (firewalld without the
/// watcher, `iptables-restore`, `nft flush ruleset`, a future tool) leaves
/// tasks able to reach IMDS. `AccuracySec=1s`: systemd's default of 1 min
/// would let the interval stretch to twice its length.
pub fn render_recheck_timer(seconds: u32) -> String {
    format!(
        "[Unit]\n\
         Description=Re-check the {TASK_BRIDGE} IMDS block every {seconds}s\n\
         \n\
         [Timer]\n\
         OnActiveSec={seconds}s\n\
         OnUnitActiveSec={seconds}s\n\
         AccuracySec=1s\n\
         Unit={RECHECK_UNIT_NAME}\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n"
    )
}

/// Unit running `exec_start` (the start script's `watch` step) while
/// firewalld runs: started with firewalld and restarted with it
/// (`WantedBy=`/`PartOf=firewalld.service`), it re-applies the rules right
/// after every firewalld reload or restart. Skipped where firewalld is not
/// installed.
pub fn render_watch_unit(exec_start: &str) -> String {
    format!(
        "[Unit]\n\
         Description=Re-apply the {TASK_BRIDGE} IMDS block after firewalld reloads (terraform-provider-ecshost)\n\
         After=firewalld.service docker.service\n\
         PartOf=firewalld.service\n\
         ConditionPathExists=|/usr/sbin/firewalld\n\
         ConditionPathExists=|/usr/bin/firewalld\n\
         \n\
         [Service]\n\
         ExecStart={exec_start}\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         \n\
         [Install]\n\
         WantedBy=firewalld.service\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools::{self, fake_command, run_sh, temp_dir, TempDir};
    use crate::LIB_DIR;

    const BACKENDS: [FirewallBackend; 2] = [FirewallBackend::Iptables, FirewallBackend::Nftables];

    #[test]
    fn backend_names_round_trip() {
        for b in BACKENDS {
            assert_eq!(FirewallBackend::parse(b.as_str()), Some(b));
        }
        assert_eq!(FirewallBackend::parse("ipfw"), None);
    }

    #[test]
    fn golden_and_shellcheck() {
        for b in BACKENDS {
            let s = render_script(b);
            consumer_tools::golden(&format!("metadata_guard/{}.sh", b.as_str()), &s);
            consumer_tools::shellcheck(&s);
            assert!(s.contains("docker0"), "scoped to docker0");
            assert!(
                !s.contains("169.254.170.2"),
                "never touches the credentials address"
            );
        }
        assert!(SCRIPT_PATH.starts_with(LIB_DIR));
    }

    /// The watcher listens to exactly the signals dockerd re-creates its
    /// chains on.
    #[test]
    fn the_watcher_listens_to_firewalld_signals() {
        let watch = host::function(host::FUNCTIONS, "watch_metadata_guard");
        for signal in FIREWALLD_SIGNALS {
            assert!(watch.contains(&format!("\"{signal}\"")), "{signal}");
        }
    }

    #[test]
    fn unit_verifies() {
        consumer_tools::systemd_analyze_verify(&[(
            UNIT_NAME,
            &render_unit(FirewallBackend::Iptables, &format!("/bin/sh {SCRIPT_PATH}")),
        )]);
        assert!(unit_path().ends_with(UNIT_NAME));
    }

    /// Fake iptables keeping rules as ordered `CHAIN RULE` lines (`raw:CHAIN`
    /// for `-t raw`): `-C` greps, `-I CHAIN 1` prepends, `-D` deletes the
    /// first match, `-S` prints like iptables.
    const FAKE_IPTABLES: &str = r#"echo "$*" >> "$FAKE_LOG"
[ "$1" = -w ] && shift
table=""
if [ "$1" = -t ]; then table="$2:"; shift 2; fi
op=$1 chain=$table$2
shift 2
if [ "$op" = -I ] && [ "$1" = 1 ]; then shift; fi
rule="$chain $*"
touch "$FAKE_RULES"
case $op in
  -N) exit 1 ;;
  -C) grep -qxF -e "$rule" "$FAKE_RULES" ;;
  -I) { echo "$rule"; cat "$FAKE_RULES"; } > "$FAKE_RULES.new" && mv "$FAKE_RULES.new" "$FAKE_RULES" ;;
  -D)
    grep -qxF -e "$rule" "$FAKE_RULES" || exit 1
    awk -v r="$rule" '!done && $0 == r { done = 1; next } { print }' "$FAKE_RULES" > "$FAKE_RULES.new"
    mv "$FAKE_RULES.new" "$FAKE_RULES" ;;
  -S)
    echo "-P $chain ACCEPT"
    grep "^$chain " "$FAKE_RULES" | sed "s/^$chain /-A $chain /" ;;
  *) exit 1 ;;
esac
"#;

    fn fake_host(name: &str) -> (TempDir, Vec<(&'static str, String)>) {
        let dir = temp_dir(name);
        let bin = dir.join("bin");
        fake_command(&bin, "iptables", FAKE_IPTABLES);
        fake_command(&bin, "ip6tables", "exit 1\n");
        let env = vec![
            ("FAKE_LOG", dir.join("log").display().to_string()),
            ("FAKE_RULES", dir.join("rules").display().to_string()),
        ];
        (dir, env)
    }

    const WANT_RULES: &str = "raw:PREROUTING -i docker0 -d 169.254.169.254/32 -j DROP\n\
        FORWARD -j DOCKER-USER\n\
        DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP\n";

    #[test]
    fn iptables_rule_is_idempotent() {
        let (dir, env) = fake_host("guard-idem");
        let script = render_script(FirewallBackend::Iptables);
        for _ in 0..3 {
            let (rc, out) = run_sh(&script, &[], &env, &dir.join("bin"));
            assert_eq!(rc, 0, "{out}");
        }
        let rules = std::fs::read_to_string(dir.join("rules")).unwrap();
        assert_eq!(rules, WANT_RULES);
    }

    /// `recheck` does nothing while the guard is in force, and re-applies
    /// the rules and FORWARD jump (saying so) once a rewrite took one away.
    #[test]
    fn recheck_reapplies_only_what_is_missing_and_says_so() {
        let (dir, env) = fake_host("guard-recheck");
        let bin = dir.join("bin");
        let script = render_script(FirewallBackend::Iptables);
        let (rc, _) = run_sh(&script, &["apply"], &env, &bin);
        assert_eq!(rc, 0);
        let (rc, quiet) = run_sh(&script, &["recheck"], &env, &bin);
        assert_eq!((rc, quiet.as_str()), (0, ""), "nothing to do, nothing said");
        for rewritten in [
            "",
            "DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP\n",
            // dockerd after a firewalld reload: its ACCEPT above the jump
            "raw:PREROUTING -i docker0 -d 169.254.169.254/32 -j DROP\nFORWARD -i docker0 ! -o docker0 -j ACCEPT\nFORWARD -j DOCKER-USER\nDOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP\n",
            // only the raw copy gone
            "FORWARD -j DOCKER-USER\nDOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP\n",
        ] {
            std::fs::write(dir.join("rules"), rewritten).unwrap();
            let (rc, out) = run_sh(&script, &["recheck"], &env, &bin);
            assert_eq!(rc, 0, "{out}");
            assert!(
                out.contains("metadata-guard: the IMDS block was missing (timer); re-applied"),
                "{out}"
            );
            let rules = std::fs::read_to_string(dir.join("rules")).unwrap();
            let forward: Vec<&str> = rules.lines().filter(|l| l.starts_with("FORWARD ")).collect();
            assert_eq!(forward[0], "FORWARD -j DOCKER-USER", "after {rewritten:?}: {rules}");
            assert_eq!(
                rules.matches("FORWARD -j DOCKER-USER").count(),
                1,
                "after {rewritten:?}: {rules}"
            );
            assert!(rules.contains("DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP\n"));
            assert_eq!(
                rules
                    .matches("raw:PREROUTING -i docker0 -d 169.254.169.254/32 -j DROP\n")
                    .count(),
                1,
                "after {rewritten:?}: {rules}"
            );
        }
    }

    #[test]
    fn recheck_units_verify_and_the_timer_fires_every_interval() {
        let timer = render_recheck_timer(60);
        assert!(timer.contains("OnUnitActiveSec=60s\n") && timer.contains("AccuracySec=1s\n"));
        consumer_tools::systemd_analyze_verify(&[
            (
                RECHECK_UNIT_NAME,
                &render_recheck_unit(&format!("/bin/sh {SCRIPT_PATH} recheck")),
            ),
            (RECHECK_TIMER_NAME, &timer),
            (
                WATCH_UNIT_NAME,
                &render_watch_unit(&format!("/bin/sh {SCRIPT_PATH} watch")),
            ),
        ]);
    }
}
