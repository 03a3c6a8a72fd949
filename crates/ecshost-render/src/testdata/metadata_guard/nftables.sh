#!/bin/sh
# Managed by terraform-provider-ecshost: keep task containers on docker0
# away from the instance metadata service (nftables backend).
# Usage: metadata-guard.sh [apply|recheck|watch]
set -eu

IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
NFT="${NFT:-nft}"

# Drop docker0 -> IMDS in our own nftables table (atomic replace).
apply_metadata_guard() {
    "$NFT" -f - <<'ECSHOST_NFT'
table inet ecshost_metadata_guard
delete table inet ecshost_metadata_guard
table inet ecshost_metadata_guard {
    chain forward {
        type filter hook forward priority -10; policy accept;
        iifname "docker0" ip daddr 169.254.169.254 counter drop
        iifname "docker0" ip6 daddr fd00:ec2::254 counter drop
    }
}
ECSHOST_NFT
}

# True when the table holds the IPv4 rule.
metadata_guard_present() {
    "$NFT" list chain inet ecshost_metadata_guard forward 2>/dev/null | grep -q 'ip daddr 169.254.169.254 .*drop'
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
        echo "metadata-guard: applied (nftables)"
        ;;
    recheck) recheck_metadata_guard timer ;;
    watch) watch_metadata_guard ;;
    *)
        echo "usage: $0 [apply|recheck|watch]" >&2
        exit 2
        ;;
esac
