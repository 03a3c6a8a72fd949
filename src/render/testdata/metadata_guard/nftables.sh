#!/bin/sh
# Managed by terraform-provider-ecshost: keep task containers on docker0
# away from the instance metadata service (nftables backend).
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

apply_metadata_guard
echo "metadata-guard: applied (nftables)"
