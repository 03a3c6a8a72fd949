#!/bin/sh
# Managed by terraform-provider-ecshost: runs the ECS agent on its own bridge
# network, published on ADDRESS:PORT (169.254.170.2:80), and makes its
# 127.0.0.1:AGENT_PORT (51679) credentials endpoint reachable with a DNAT
# inside the agent's netns.
#
# Usage: /opt/ecshost/ecs-agent.sh start|run|reapply|guard|recheck|watch|stop
#   start    apply the metadata guard, create the network, (re)create the
#            container when its configuration changed, apply the DNAT, wait
#            (bounded) until the endpoint answers like the agent
#   run      start, notify systemd, then wait for the container to exit and
#            exit with its code (ExecStart of ecs-agent.service)
#   reapply  re-apply the metadata guard and both DNATs (idempotent)
#   guard    apply the metadata guard only
#   recheck  re-apply the metadata guard and the task DNAT only where they
#            are missing, and log it (the re-check timer's step)
#   watch    recheck now and after every firewalld reload or restart
#   stop     stop and remove the container
#
# Tools and host paths can be overridden from the environment (defaults in
# the header below); DOCKER_HOST is honoured by docker itself.
#
# Source: crates/ecshost-render/src/host/ecs-agent.sh. The render (agent.rs)
# replaces the @values@ line with one host's values: the tools and paths,
# NAME, NETWORK, OWN_NETWORK, ENDPOINT_URL, CONFIG_SHA256, GPU_SUPPORT …,
# the firewall backend's functions (iptables.sh or nftables.sh, or
# no-guard.sh), the shared ones (functions.sh) and run_agent_container,
# the agent's `docker run` with its arguments.
set -eu

DOCKER="${DOCKER:-docker}"
NSENTER="${NSENTER:-nsenter}"
ECSHOST_WAIT_SECONDS="${ECSHOST_WAIT_SECONDS:-120}"

IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
ECSHOST_ECS_CONFIG="${ECSHOST_ECS_CONFIG:-/etc/ecs/ecs.config}"
ECSHOST_RUN_DIR="${ECSHOST_RUN_DIR:-/var/run}"
ECSHOST_LOG_DIR="${ECSHOST_LOG_DIR:-/var/log/ecs}"
ECSHOST_DATA_DIR="${ECSHOST_DATA_DIR:-/var/lib/ecs/data}"
ECSHOST_ETC_DIR="${ECSHOST_ETC_DIR:-/etc/ecs}"
ECSHOST_CGROUP_DIR="${ECSHOST_CGROUP_DIR:-/sys/fs/cgroup}"
ECSHOST_CLOUD_INIT_RESULT="${ECSHOST_CLOUD_INIT_RESULT:-/var/lib/cloud/data/result.json}"
NAME=ecs-agent
NETWORK=ecs-agent
OWN_NETWORK=yes
ENDPOINT_URL=http://169.254.170.2:80/v2/credentials/
CONFIG_SHA256=9bd385d5b1c27741d4cf3829aa7ddf4005038cc6dd6b1844a26d25ec5127f861
ADDRESS=169.254.170.2
PORT=80
AGENT_PORT=51679
BRIDGE=docker0
IMDS_V4=169.254.169.254
IMDS_V6=fd00:ec2::254
TASK_CHAIN=ECSHOST-CREDENTIALS
GPU_SUPPORT=no
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
# http_client: prints the HTTP client `http` uses on this host: curl,
# wget (GNU), busybox-wget or none. The caller keeps it in `probe`.
http_client() {
    if command -v curl >/dev/null 2>&1; then
        echo curl
    elif wget --version 2>/dev/null | grep -q 'GNU Wget'; then
        echo wget
    elif command -v wget >/dev/null 2>&1; then
        echo busybox-wget
    else
        echo none
    fi
}
# http NETNS METHOD URL SECONDS: one request with client $probe (see
# http_client), from network namespace NETNS (a file, or - for this one,
# entered with $NSENTER), proxies ignored, bounded to SECONDS; prints what
# came back, then HTTP_STATUS= and the status (000: no HTTP answer; none:
# this client cannot send METHOD). Every request carries the IMDSv2 token
# TTL header, which only IMDS reads. Safe under `set -e`: a failing client
# still prints its status.
http() {
    h_m=$2
    h_u=$3
    h_t=$4
    if [ "$1" = - ]; then set --; else set -- "$NSENTER" "--net=$1"; fi
    case $probe in
        curl)
            "$@" curl --noproxy '*' -s -m "$h_t" -X "$h_m" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' -w ' HTTP_STATUS=%{http_code}' "$h_u" 2>/dev/null || :
            ;;
        wget)
            h_out=$("$@" wget --no-proxy -q -T "$h_t" -t 1 -S --content-on-error --method="$h_m" --header='X-aws-ec2-metadata-token-ttl-seconds: 60' -O - "$h_u" 2>&1) || :
            h_code=$(printf '%s\n' "$h_out" | sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
            printf '%s HTTP_STATUS=%s' "$h_out" "${h_code:-000}"
            ;;
        busybox-wget)
            if [ "$h_m" != GET ]; then
                printf 'HTTP_STATUS=none'
            elif h_out=$("$@" timeout "$h_t" wget -Y off -q -O - "$h_u" 2>&1); then
                printf '%s HTTP_STATUS=200' "$h_out"
            else
                h_code=$(printf '%s\n' "$h_out" | sed -n 's/.*HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
                printf '%s HTTP_STATUS=%s' "$h_out" "${h_code:-000}"
            fi
            ;;
        *) printf 'HTTP_STATUS=none' ;;
    esac
}
# probe_endpoint URL: prints `agent` (HTTP 400 with NoIdInRequest, the
# agent's answer to GET /v2/credentials/), `status400` (400 seen but the
# body not readable: busybox wget), `other` or `unreachable`, from one
# `http` request bounded to 5 seconds.
probe_endpoint() {
    case $(http - GET "$1" 5) in
        *NoIdInRequest*) echo agent ;;
        *HTTP_STATUS=400) echo status400 ;;
        *HTTP_STATUS=000 | *HTTP_STATUS=none) echo unreachable ;;
        *) echo other ;;
    esac
}
run_agent_container() {
    "$DOCKER" run "$@" \
        "--name=ecs-agent" \
        "--detach" \
        "--init" \
        "--restart=no" \
        "--network=ecs-agent" \
        "--publish=169.254.170.2:80:51679" \
        "--publish=127.0.0.1:51678:51678" \
        "--sysctl=net.ipv4.conf.all.route_localnet=1" \
        "--security-opt=label=disable" \
        "--volume=${ECSHOST_RUN_DIR}:/var/run" \
        "--volume=${ECSHOST_LOG_DIR}:/log" \
        "--volume=${ECSHOST_DATA_DIR}:/data" \
        "--volume=${ECSHOST_ETC_DIR}:/etc/ecs" \
        "--volume=${ECSHOST_CGROUP_DIR}:/sys/fs/cgroup" \
        "--env-file=${ECSHOST_ECS_CONFIG}" \
        "--log-driver=json-file" \
        "--log-opt=max-file=4" \
        "--log-opt=max-size=16m" \
        "--label=io.ecshost.config-sha256=9bd385d5b1c27741d4cf3829aa7ddf4005038cc6dd6b1844a26d25ec5127f861" \
        "public.ecr.aws/ecs/amazon-ecs-agent:latest"
}
log() {
    echo "ecs-agent.sh: $*" >&2
}

wait_for_docker() {
    i=0
    until "$DOCKER" info >/dev/null 2>&1; do
        i=$((i + 1))
        if [ "$i" -ge 60 ]; then
            log "docker is not answering"
            return 1
        fi
        sleep 1
    done
}

ensure_network() {
    if [ "$OWN_NETWORK" = yes ] && ! "$DOCKER" network inspect "$NETWORK" >/dev/null 2>&1; then
        "$DOCKER" network create --driver bridge "$NETWORK" >/dev/null ||
            "$DOCKER" network inspect "$NETWORK" >/dev/null
        log "created network $NETWORK"
    fi
}

container_is_current() {
    state=$("$DOCKER" inspect -f '{{.State.Running}} {{index .Config.Labels "io.ecshost.config-sha256"}}' "$NAME" 2>/dev/null) || return 1
    [ "$state" = "true $CONFIG_SHA256" ]
}

start_container() {
    if container_is_current; then
        log "container $NAME is running with the current configuration"
        return 0
    fi
    "$DOCKER" rm -f "$NAME" >/dev/null 2>&1 || true
    # cloud-init's result.json, read-only, where it exists (agent >= 1.105
    # checks it; ecs-init mounts it the same way)
    set --
    if [ -f "$ECSHOST_CLOUD_INIT_RESULT" ]; then
        set -- "--volume=$ECSHOST_CLOUD_INIT_RESULT:/var/lib/cloud/data/result.json:ro"
    fi
    run_agent_container "$@" >/dev/null
    log "started container $NAME"
}

wait_reachable() {
    # shellcheck disable=SC2034 # the client http (functions.sh) uses
    probe=$(http_client)
    waited=0
    while :; do
        result=$(probe_endpoint "$ENDPOINT_URL")
        case $result in
            agent | status400)
                log "endpoint $ENDPOINT_URL answers ($result)"
                return 0
                ;;
            *) ;;
        esac
        if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null || true)" != true ]; then
            log "container $NAME is not running"
            return 1
        fi
        if [ "$waited" -ge "$ECSHOST_WAIT_SECONDS" ]; then
            log "endpoint $ENDPOINT_URL not answering after ${waited}s ($result)"
            return 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
}

# A failure only logs: the docker-proxy path still works.
task_dnat_step() {
    apply_task_dnat || log "task DNAT not applied; tasks use docker-proxy"
}

cmd_start() {
    wait_for_docker
    if [ ! -f "$ECSHOST_ECS_CONFIG" ]; then
        log "missing $ECSHOST_ECS_CONFIG"
        return 1
    fi
    mkdir -p "$ECSHOST_LOG_DIR" "$ECSHOST_DATA_DIR" "$ECSHOST_ETC_DIR"
    apply_metadata_guard
    ensure_network
    if [ "$GPU_SUPPORT" = yes ]; then
        write_gpu_info || log "GPU information not written; the agent registers no GPUs"
    fi
    start_container
    apply_endpoint_dnat
    task_dnat_step
    wait_reachable
}

cmd_run() {
    cmd_start
    if [ -n "${NOTIFY_SOCKET:-}" ] && command -v systemd-notify >/dev/null 2>&1; then
        systemd-notify --ready --pid="$$" || true
    fi
    code=$("$DOCKER" wait "$NAME")
    log "container $NAME exited with $code"
    exit "$code"
}

cmd_reapply() {
    apply_metadata_guard
    apply_endpoint_dnat
    task_dnat_step
}

cmd_stop() {
    "$DOCKER" stop -t 30 "$NAME" >/dev/null 2>&1 || true
    "$DOCKER" rm -f "$NAME" >/dev/null 2>&1 || true
}

case "${1:-start}" in
    start) cmd_start ;;
    run) cmd_run ;;
    reapply) cmd_reapply ;;
    guard) apply_metadata_guard ;;
    recheck)
        recheck_metadata_guard timer
        task_dnat_step
        ;;
    watch) watch_metadata_guard ;;
    stop) cmd_stop ;;
    *)
        log "usage: $0 start|run|reapply|guard|recheck|watch|stop"
        exit 2
        ;;
esac
