#!/bin/sh
# Managed by terraform-provider-ecshost: the nftables backend's functions.
#
# Source: crates/ecshost-render/src/host/nftables.sh. Not a script of its
# own: each host script takes the functions it needs by name (host.rs,
# `function`), after a header of NAME=value lines that assigns what they
# read: NFT, DOCKER, NSENTER (tools); BRIDGE (docker0, the tasks' bridge),
# IMDS_V4, IMDS_V6 (instance metadata); GUARD_TABLE (our inet table);
# AGENT_PORT (the agent's credentials port, 51679); NAME (the agent's
# container); and a `log` function.

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

# DNAT !lo tcp/AGENT_PORT -> 127.0.0.1:AGENT_PORT inside the agent's netns
# (atomic replace): the agent (>= 1.26) listens on 127.0.0.1 only.
apply_endpoint_dnat() {
    pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$NAME")
    if [ -z "$pid" ] || [ "$pid" = 0 ]; then
        log "container $NAME is not running"
        return 1
    fi
    "$NSENTER" -t "$pid" -n "$NFT" -f - <<ECSHOST_NFT
table ip ecshost_endpoint
delete table ip ecshost_endpoint
table ip ecshost_endpoint {
    chain prerouting {
        type nat hook prerouting priority -100; policy accept;
        iifname != "lo" tcp dport $AGENT_PORT dnat to 127.0.0.1:$AGENT_PORT
    }
}
ECSHOST_NFT
}

# Tasks reach the agent through docker-proxy on the nftables backend
# (Docker 29 accepts forwarded packets between its bridges only by its own
# firewall mark, bridge-accept-fwmark): nothing to apply. Why: task_dnat.rs.
apply_task_dnat() { :; }
