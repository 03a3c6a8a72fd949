//! Firewall rules keeping task containers on `docker0` away from IMDS
//! (`169.254.169.254`, and `fd00:ec2::254` where IPv6 is used), while the agent
//! (on its own bridge) and the host keep reaching it.
//!
//! * **iptables backend**: one rule at the top of `DOCKER-USER`, scoped with
//!   `-i docker0` (AWS's unscoped rule would also cut off a bridged agent).
//!   Container → IMDS traffic is *forwarded*, so OUTPUT rules never see it.
//!   Idempotent by `-C || -I`. Docker keeps `DOCKER-USER` across dockerd
//!   restarts but nothing keeps it across reboots (facts §4.2), hence a oneshot
//!   unit `WantedBy=`/`PartOf=docker.service` and a re-apply in the agent
//!   start script.
//! * **nftables backend**: Docker 29's nftables mode has no `DOCKER-USER`, so we
//!   own a table (`inet ecshost_metadata_guard`) with a forward base chain at
//!   priority -10 (before Docker's filter chains). A `drop` verdict is final
//!   across base chains. Idempotent by the atomic "add, delete, define" idiom.
//!
//! Only `daddr` IMDS is matched, so `169.254.170.2` (local delivery via `lo`,
//! or DNAT to the agent bridge with `userland-proxy=false`) is never dropped.

use crate::render::{IMDS_ADDRESS, SYSTEMD_DIR};

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

/// Variable defaults shared by every script using the functions below.
pub(crate) const TOOL_VARS: &str = r#"IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
NFT="${NFT:-nft}"
"#;

/// POSIX sh function `apply_metadata_guard` (idempotent) for `backend`.
pub fn shell_function(backend: FirewallBackend) -> String {
    match backend {
        FirewallBackend::Iptables => format!(
            r#"# Drop {TASK_BRIDGE} -> IMDS in DOCKER-USER (idempotent: -C || -I).
apply_metadata_guard() {{
    "$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
    if ! "$IPTABLES" -w -C DOCKER-USER -i {TASK_BRIDGE} -d {IMDS_ADDRESS}/32 -j DROP 2>/dev/null; then
        "$IPTABLES" -w -I DOCKER-USER 1 -i {TASK_BRIDGE} -d {IMDS_ADDRESS}/32 -j DROP
    fi
    # IPv6 IMDS: only where Docker manages IPv6 (the chain exists).
    if "$IP6TABLES" -w -n -L DOCKER-USER >/dev/null 2>&1; then
        if ! "$IP6TABLES" -w -C DOCKER-USER -i {TASK_BRIDGE} -d {IMDS_ADDRESS_V6}/128 -j DROP 2>/dev/null; then
            "$IP6TABLES" -w -I DOCKER-USER 1 -i {TASK_BRIDGE} -d {IMDS_ADDRESS_V6}/128 -j DROP
        fi
    fi
}}

# True when the IPv4 rule is in place.
metadata_guard_present() {{
    "$IPTABLES" -w -C DOCKER-USER -i {TASK_BRIDGE} -d {IMDS_ADDRESS}/32 -j DROP 2>/dev/null
}}
"#
        ),
        FirewallBackend::Nftables => format!(
            r#"# Drop {TASK_BRIDGE} -> IMDS in our own nftables table (atomic replace).
apply_metadata_guard() {{
    "$NFT" -f - <<'ECSHOST_NFT'
table inet {NFT_TABLE}
delete table inet {NFT_TABLE}
table inet {NFT_TABLE} {{
    chain forward {{
        type filter hook forward priority -10; policy accept;
        iifname "{TASK_BRIDGE}" ip daddr {IMDS_ADDRESS} counter drop
        iifname "{TASK_BRIDGE}" ip6 daddr {IMDS_ADDRESS_V6} counter drop
    }}
}}
ECSHOST_NFT
}}

# True when the table holds the IPv4 rule.
metadata_guard_present() {{
    "$NFT" list chain inet {NFT_TABLE} forward 2>/dev/null | grep -q 'ip daddr {IMDS_ADDRESS} .*drop'
}}
"#
        ),
    }
}

/// Standalone idempotent script applying the rules (the `firewall_rules` output).
pub fn render_script(backend: FirewallBackend) -> String {
    format!(
        "#!/bin/sh\n\
         # Managed by terraform-provider-ecshost: keep task containers on {TASK_BRIDGE}\n\
         # away from the instance metadata service ({backend} backend).\n\
         set -eu\n\n{TOOL_VARS}\n{func}\napply_metadata_guard\necho \"metadata-guard: applied ({backend})\"\n",
        backend = backend.as_str(),
        func = shell_function(backend),
    )
}

/// Oneshot unit applying the rules whenever docker.service (re)starts.
/// `exec_start` is the command applying them: [`SCRIPT_PATH`] run by `/bin/sh`
/// (the `firewall_rules` script), or the agent start script's `guard` step.
pub fn render_unit(exec_start: &str) -> String {
    format!(
        "[Unit]\n\
         Description=Block {TASK_BRIDGE} containers from IMDS (terraform-provider-ecshost)\n\
         After=docker.service\n\
         PartOf=docker.service\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart={exec_start}\n\
         \n\
         [Install]\n\
         WantedBy=docker.service multi-user.target\n"
    )
}

/// Where the unit is installed.
pub fn unit_path() -> String {
    format!("{SYSTEMD_DIR}/{UNIT_NAME}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::consumer_tools::{self, fake_command, run_sh, temp_dir};
    use crate::render::LIB_DIR;

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

    #[test]
    fn unit_verifies() {
        consumer_tools::systemd_analyze_verify(&[(
            UNIT_NAME,
            &render_unit(&format!("/bin/sh {SCRIPT_PATH}")),
        )]);
        assert!(unit_path().ends_with(UNIT_NAME));
    }

    /// Fake iptables keeping rules in a file: `-C` greps, `-I` appends.
    const FAKE_IPTABLES: &str = r#"echo "$*" >> "$FAKE_LOG"
rule=$(echo "$*" | sed -e 's/^-w //' -e 's/^-[CI] DOCKER-USER \(1 \)\{0,1\}//')
case "$*" in
  "-w -N DOCKER-USER") exit 1 ;;
  "-w -C DOCKER-USER"*) grep -qxF -e "$rule" "$FAKE_RULES" 2>/dev/null ;;
  "-w -I DOCKER-USER"*) echo "$rule" >> "$FAKE_RULES" ;;
  *) exit 1 ;;
esac
"#;

    #[test]
    fn iptables_rule_is_idempotent() {
        let dir = temp_dir("guard-idem");
        let bin = dir.join("bin");
        fake_command(&bin, "iptables", FAKE_IPTABLES);
        fake_command(&bin, "ip6tables", "exit 1\n");
        let env = [
            ("FAKE_LOG", dir.join("log").display().to_string()),
            ("FAKE_RULES", dir.join("rules").display().to_string()),
        ];
        let script = render_script(FirewallBackend::Iptables);
        for _ in 0..3 {
            let (rc, out) = run_sh(&script, &[], &env, &bin);
            assert_eq!(rc, 0, "{out}");
        }
        let rules = std::fs::read_to_string(dir.join("rules")).unwrap();
        assert_eq!(rules, "-i docker0 -d 169.254.169.254/32 -j DROP\n");
    }
}
