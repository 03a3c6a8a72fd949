#!/bin/sh
# Managed by terraform-provider-ecshost: keep task containers on docker0
# away from the instance metadata service (iptables backend).
# Usage: metadata-guard.sh [apply|recheck|watch]
set -eu

IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
NFT="${NFT:-nft}"

# Drop docker0 -> IMDS in DOCKER-USER, reached from FORWARD (idempotent: -C || -I).
apply_metadata_guard() {
    "$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
    if ! "$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null; then
        "$IPTABLES" -w -I DOCKER-USER 1 -i docker0 -d 169.254.169.254/32 -j DROP
    fi
    if [ "$("$IPTABLES" -w -S FORWARD 2>/dev/null | sed -n 2p)" != "-A FORWARD -j DOCKER-USER" ]; then
        while "$IPTABLES" -w -D FORWARD -j DOCKER-USER 2>/dev/null; do :; done
        "$IPTABLES" -w -I FORWARD 1 -j DOCKER-USER
    fi
    # The same drop before routing, where dockerd never reorders anything.
    if ! "$IPTABLES" -w -t raw -C PREROUTING -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null; then
        "$IPTABLES" -w -t raw -I PREROUTING 1 -i docker0 -d 169.254.169.254/32 -j DROP
    fi
    # IPv6 IMDS: only where Docker manages IPv6 (the chain exists).
    if "$IP6TABLES" -w -n -L DOCKER-USER >/dev/null 2>&1; then
        if ! "$IP6TABLES" -w -C DOCKER-USER -i docker0 -d fd00:ec2::254/128 -j DROP 2>/dev/null; then
            "$IP6TABLES" -w -I DOCKER-USER 1 -i docker0 -d fd00:ec2::254/128 -j DROP
        fi
        if ! "$IP6TABLES" -w -t raw -C PREROUTING -i docker0 -d fd00:ec2::254/128 -j DROP 2>/dev/null; then
            "$IP6TABLES" -w -t raw -I PREROUTING 1 -i docker0 -d fd00:ec2::254/128 -j DROP
        fi
    fi
}

# True when both IPv4 rules are in place and FORWARD's first rule reaches
# the DOCKER-USER one.
metadata_guard_present() {
    "$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null &&
        [ "$("$IPTABLES" -w -S FORWARD 2>/dev/null | sed -n 2p)" = "-A FORWARD -j DOCKER-USER" ] &&
        "$IPTABLES" -w -t raw -C PREROUTING -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null
}

# Re-apply the guard when something removed it; logs when it had to.
recheck_metadata_guard() {
    if metadata_guard_present; then
        return 0
    fi
    apply_metadata_guard
    echo "metadata-guard: the IMDS block was missing ($1); re-applied" >&2
}

# Re-check on firewalld's reload and restart signals (the ones dockerd uses).
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
        echo "metadata-guard: applied (iptables)"
        ;;
    recheck) recheck_metadata_guard timer ;;
    watch) watch_metadata_guard ;;
    *)
        echo "usage: $0 [apply|recheck|watch]" >&2
        exit 2
        ;;
esac
