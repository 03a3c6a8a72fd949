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

IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
BRIDGE=docker0
IMDS_V4=169.254.169.254
IMDS_V6=fd00:ec2::254
BACKEND=iptables
# Drop $BRIDGE -> IMDS in DOCKER-USER, reached from FORWARD (idempotent: -C || -I).
#
# The rule only acts while FORWARD jumps to DOCKER-USER before Docker's own
# ACCEPT for traffic leaving docker0. A rewrite of the ruleset takes the
# jump away or moves it (after `firewall-cmd --reload`, dockerd 20.10
# re-creates the jump first and then inserts its bridge rules above it), so
# applying puts the jump back at the top. Docker's EnsureJumpRule deletes a
# jump before inserting its own, so there is never more than one. The same
# drop sits first in raw PREROUTING, which dockerd never touches.
apply_metadata_guard() {
    "$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
    if ! "$IPTABLES" -w -C DOCKER-USER -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP 2>/dev/null; then
        "$IPTABLES" -w -I DOCKER-USER 1 -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP
    fi
    if [ "$("$IPTABLES" -w -S FORWARD 2>/dev/null | sed -n 2p)" != "-A FORWARD -j DOCKER-USER" ]; then
        while "$IPTABLES" -w -D FORWARD -j DOCKER-USER 2>/dev/null; do :; done
        "$IPTABLES" -w -I FORWARD 1 -j DOCKER-USER
    fi
    # The same drop before routing, where dockerd never reorders anything.
    if ! "$IPTABLES" -w -t raw -C PREROUTING -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP 2>/dev/null; then
        "$IPTABLES" -w -t raw -I PREROUTING 1 -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP
    fi
    # IPv6 IMDS: only where Docker manages IPv6 (the chain exists).
    if "$IP6TABLES" -w -n -L DOCKER-USER >/dev/null 2>&1; then
        if ! "$IP6TABLES" -w -C DOCKER-USER -i "$BRIDGE" -d "$IMDS_V6/128" -j DROP 2>/dev/null; then
            "$IP6TABLES" -w -I DOCKER-USER 1 -i "$BRIDGE" -d "$IMDS_V6/128" -j DROP
        fi
        if ! "$IP6TABLES" -w -t raw -C PREROUTING -i "$BRIDGE" -d "$IMDS_V6/128" -j DROP 2>/dev/null; then
            "$IP6TABLES" -w -t raw -I PREROUTING 1 -i "$BRIDGE" -d "$IMDS_V6/128" -j DROP
        fi
    fi
}
# True when both IPv4 rules are in place and FORWARD's first rule reaches
# the DOCKER-USER one.
metadata_guard_present() {
    "$IPTABLES" -w -C DOCKER-USER -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP 2>/dev/null &&
        [ "$("$IPTABLES" -w -S FORWARD 2>/dev/null | sed -n 2p)" = "-A FORWARD -j DOCKER-USER" ] &&
        "$IPTABLES" -w -t raw -C PREROUTING -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP 2>/dev/null
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
