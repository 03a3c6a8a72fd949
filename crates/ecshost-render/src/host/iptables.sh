#!/bin/sh
# Managed by terraform-provider-ecshost: the iptables backend's functions.
#
# Source: crates/ecshost-render/src/host/iptables.sh. Not a script of its
# own: each host script takes the functions it needs by name (host.rs,
# `function`), after a header of NAME=value lines that assigns what they
# read: IPTABLES, IP6TABLES, DOCKER, NSENTER (tools); BRIDGE (docker0, the
# tasks' bridge), IMDS_V4, IMDS_V6 (instance metadata); ADDRESS, PORT (where
# tasks reach the agent: 169.254.170.2, 80); AGENT_PORT (the agent's
# credentials port, 51679); TASK_CHAIN; NAME, NETWORK, OWN_NETWORK (the
# agent's container and network); and a `log` function.
#
# Every rule is checked (-C) and written (-A/-I) with the same words; a unit
# test (host.rs) holds each pair to that.

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

# DNAT !lo tcp/AGENT_PORT -> 127.0.0.1:AGENT_PORT inside the agent's netns
# (idempotent): the agent (>= 1.26) listens on 127.0.0.1 only.
apply_endpoint_dnat() {
    pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$NAME")
    if [ -z "$pid" ] || [ "$pid" = 0 ]; then
        log "container $NAME is not running"
        return 1
    fi
    if ! "$NSENTER" -t "$pid" -n "$IPTABLES" -w -t nat -C PREROUTING ! -i lo -p tcp --dport "$AGENT_PORT" -j DNAT --to-destination "127.0.0.1:$AGENT_PORT" 2>/dev/null; then
        "$NSENTER" -t "$pid" -n "$IPTABLES" -w -t nat -A PREROUTING ! -i lo -p tcp --dport "$AGENT_PORT" -j DNAT --to-destination "127.0.0.1:$AGENT_PORT"
    fi
}

# Requests that take the docker-proxy path (the agent on $BRIDGE, or before
# the DNAT below is written) are delivered locally: accept them ahead of an
# INPUT policy of DROP (CIS). Only tasks, only this endpoint.
apply_task_input() {
    if ! "$IPTABLES" -w -C INPUT -i "$BRIDGE" -d "$ADDRESS/32" -p tcp --dport "$PORT" -j ACCEPT 2>/dev/null; then
        "$IPTABLES" -w -I INPUT 1 -i "$BRIDGE" -d "$ADDRESS/32" -p tcp --dport "$PORT" -j ACCEPT
        log "INPUT accepts $BRIDGE -> $ADDRESS:$PORT (the docker-proxy path)"
    fi
}

# Tasks on $BRIDGE reach the agent in the kernel, not through docker-proxy:
# DNAT ADDRESS:PORT -> <agent ip>:AGENT_PORT, and accept exactly those
# connections across to the agent's bridge ahead of Docker's isolation.
# Rewritten (and logged) whenever it is not exactly right: the agent's
# address changes with every new container. Why and how: task_dnat.rs.
apply_task_dnat() {
    apply_task_input
    [ "$OWN_NETWORK" = yes ] || return 0
    agent_ip=$("$DOCKER" inspect -f "{{(index .NetworkSettings.Networks \"$NETWORK\").IPAddress}}" "$NAME" 2>/dev/null) || agent_ip=""
    case $agent_ip in
        "" | *[!0-9.]* | *..* | .* | *.) agent_ok=no ;;
        *.*.*.*) agent_ok=yes ;;
        *) agent_ok=no ;;
    esac
    if [ "$agent_ok" = no ]; then
        log "no IPv4 address of $NAME on $NETWORK (\"$agent_ip\"); tasks use docker-proxy"
        return 0
    fi
    if "$IPTABLES" -w -t nat -C "$TASK_CHAIN" -p tcp -j DNAT --to-destination "$agent_ip:$AGENT_PORT" 2>/dev/null &&
        [ "$("$IPTABLES" -w -t nat -S "$TASK_CHAIN" | wc -l)" -eq 2 ] &&
        "$IPTABLES" -w -t nat -C PREROUTING -i "$BRIDGE" -d "$ADDRESS/32" -p tcp --dport "$PORT" -j "$TASK_CHAIN" 2>/dev/null &&
        "$IPTABLES" -w -C "$TASK_CHAIN" -i "$BRIDGE" -d "$agent_ip/32" -p tcp --dport "$AGENT_PORT" -m conntrack --ctstate DNAT --ctorigdst "$ADDRESS/32" --ctorigdstport "$PORT" -j ACCEPT 2>/dev/null &&
        "$IPTABLES" -w -C "$TASK_CHAIN" -o "$BRIDGE" -s "$agent_ip/32" -p tcp --sport "$AGENT_PORT" -m conntrack --ctstate DNAT --ctorigdst "$ADDRESS/32" --ctorigdstport "$PORT" -j ACCEPT 2>/dev/null &&
        [ "$("$IPTABLES" -w -S "$TASK_CHAIN" | wc -l)" -eq 3 ] &&
        "$IPTABLES" -w -C DOCKER-USER -j "$TASK_CHAIN" 2>/dev/null; then
        return 0
    fi
    "$IPTABLES" -w -t nat -N "$TASK_CHAIN" 2>/dev/null || true
    "$IPTABLES" -w -t nat -F "$TASK_CHAIN"
    "$IPTABLES" -w -t nat -A "$TASK_CHAIN" -p tcp -j DNAT --to-destination "$agent_ip:$AGENT_PORT"
    if ! "$IPTABLES" -w -t nat -C PREROUTING -i "$BRIDGE" -d "$ADDRESS/32" -p tcp --dport "$PORT" -j "$TASK_CHAIN" 2>/dev/null; then
        "$IPTABLES" -w -t nat -I PREROUTING 1 -i "$BRIDGE" -d "$ADDRESS/32" -p tcp --dport "$PORT" -j "$TASK_CHAIN"
    fi
    "$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
    "$IPTABLES" -w -N "$TASK_CHAIN" 2>/dev/null || true
    "$IPTABLES" -w -F "$TASK_CHAIN"
    "$IPTABLES" -w -A "$TASK_CHAIN" -i "$BRIDGE" -d "$agent_ip/32" -p tcp --dport "$AGENT_PORT" -m conntrack --ctstate DNAT --ctorigdst "$ADDRESS/32" --ctorigdstport "$PORT" -j ACCEPT
    "$IPTABLES" -w -A "$TASK_CHAIN" -o "$BRIDGE" -s "$agent_ip/32" -p tcp --sport "$AGENT_PORT" -m conntrack --ctstate DNAT --ctorigdst "$ADDRESS/32" --ctorigdstport "$PORT" -j ACCEPT
    if ! "$IPTABLES" -w -C DOCKER-USER -j "$TASK_CHAIN" 2>/dev/null; then
        "$IPTABLES" -w -I DOCKER-USER 1 -j "$TASK_CHAIN"
    fi
    log "task DNAT: $BRIDGE -> $ADDRESS:$PORT goes to $agent_ip:$AGENT_PORT in the kernel"
}
