#!/bin/sh
# Managed by terraform-provider-ecshost: keeps task containers on docker0
# away from the instance metadata service.
# Usage: metadata-guard.sh [apply|recheck|watch]
#
# Source: crates/ecshost-render/src/host/metadata-guard.sh. The render
# (metadata_guard.rs) replaces the @values@ line with the tools, BRIDGE,
# IMDS_V4, IMDS_V6, BACKEND, GUARD_TABLE and the backend's functions
# (iptables.sh or nftables.sh) and the shared ones (functions.sh).
set -eu

NFT="${NFT:-nft}"
BRIDGE=docker0
IMDS_V4=169.254.169.254
IMDS_V6=fd00:ec2::254
GUARD_TABLE=ecshost_metadata_guard
BACKEND=nftables
# Drop $BRIDGE -> IMDS in our own nftables table (atomic replace: add,
# delete, define). Docker 29's nftables mode has no DOCKER-USER; a forward
# base chain at priority -10 runs before Docker's, and drop is final.
apply_metadata_guard() {
    "$NFT" -f - <<ECSHOST_NFT
table inet $GUARD_TABLE
delete table inet $GUARD_TABLE
table inet $GUARD_TABLE {
    chain forward {
        type filter hook forward priority -10; policy accept;
        iifname "$BRIDGE" ip daddr $IMDS_V4 counter drop
        iifname "$BRIDGE" ip6 daddr $IMDS_V6 counter drop
    }
}
ECSHOST_NFT
}
# True when the table holds the IPv4 rule.
metadata_guard_present() {
    "$NFT" list chain inet "$GUARD_TABLE" forward 2>/dev/null | grep -q "ip daddr $IMDS_V4 .*drop"
}
# recheck_metadata_guard WHY: re-apply the guard when something removed it,
# and say so on stderr (the journal keeps it). Calls the backend's
# metadata_guard_present and apply_metadata_guard.
recheck_metadata_guard() {
    if metadata_guard_present; then
        return 0
    fi
    apply_metadata_guard
    echo "metadata-guard: the IMDS block was missing ($1); re-applied" >&2
}
# Re-check now, then on every firewalld reload or restart, every second for
# 10 s: dockerd reacts to the same signals and re-inserts its rules above
# the jump, and a restarting firewalld takes its bus name before it has
# rewritten the ruleset. The two signals are the ones dockerd listens to
# (libnetwork iptables/firewalld.go): Reloaded, and the bus name changing
# owner (metadata_guard::FIREWALLD_SIGNALS).
watch_metadata_guard() {
    recheck_metadata_guard watch-start
    if ! command -v dbus-monitor >/dev/null 2>&1; then
        echo "metadata-guard: no dbus-monitor; firewalld is not watched (the timer re-checks)" >&2
        return 0
    fi
    dbus-monitor --system "type='signal',interface='org.fedoraproject.FirewallD1',member='Reloaded'" "type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='org.fedoraproject.FirewallD1'" 2>/dev/null | while read -r line; do
        case $line in
            signal*member=Reloaded* | signal*member=NameOwnerChanged*)
                i=0
                while [ "$i" -le 10 ]; do
                    recheck_metadata_guard firewalld
                    sleep 1
                    i=$((i + 1))
                done
                ;;
            *) ;;
        esac
    done
    echo "metadata-guard: dbus-monitor ended" >&2
    return 1
}
case "${1:-apply}" in
    apply)
        apply_metadata_guard
        echo "metadata-guard: applied ($BACKEND)"
        ;;
    recheck) recheck_metadata_guard timer ;;
    watch) watch_metadata_guard ;;
    *)
        echo "usage: $0 [apply|recheck|watch]" >&2
        exit 2
        ;;
esac
