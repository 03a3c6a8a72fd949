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

# @values@
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
