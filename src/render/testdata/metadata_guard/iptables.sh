#!/bin/sh
# Managed by terraform-provider-ecshost: keep task containers on docker0
# away from the instance metadata service (iptables backend).
set -eu

IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
NFT="${NFT:-nft}"

# Drop docker0 -> IMDS in DOCKER-USER (idempotent: -C || -I).
apply_metadata_guard() {
    "$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
    if ! "$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null; then
        "$IPTABLES" -w -I DOCKER-USER 1 -i docker0 -d 169.254.169.254/32 -j DROP
    fi
    # IPv6 IMDS: only where Docker manages IPv6 (the chain exists).
    if "$IP6TABLES" -w -n -L DOCKER-USER >/dev/null 2>&1; then
        if ! "$IP6TABLES" -w -C DOCKER-USER -i docker0 -d fd00:ec2::254/128 -j DROP 2>/dev/null; then
            "$IP6TABLES" -w -I DOCKER-USER 1 -i docker0 -d fd00:ec2::254/128 -j DROP
        fi
    fi
}

# True when the IPv4 rule is in place.
metadata_guard_present() {
    "$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null
}

apply_metadata_guard
echo "metadata-guard: applied (iptables)"
