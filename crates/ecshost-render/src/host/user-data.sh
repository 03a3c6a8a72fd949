#!/bin/sh
# Managed by terraform-provider-ecshost: ECS container host user data.
# Puts the credentials address on the loopback device, runs the ECS agent on
# its own bridge network with the endpoint made reachable, blocks docker0 tasks
# from IMDS and reports a self-check on the serial console. ECSHOST_ROOT
# prefixes every written file (default: the real root).
#
# Source: crates/ecshost-render/src/host/user-data.sh, the shell format's
# user data and cloud-init's ecshost.sh part. The render (user_data.rs)
# replaces the @values@ line with the files (here-documents), then installs,
# enables and starts the units where systemd runs (the loopback unit first,
# waited for: docker.service needs the address), or runs the scripts
# directly where it does not (containers, the host lab).
set -eu

ECSHOST_ROOT="${ECSHOST_ROOT:-}"
ECSHOST_ECS_CONFIG="${ECSHOST_ECS_CONFIG:-$ECSHOST_ROOT/etc/ecs/ecs.config}"
ECSHOST_LOG_DIR="${ECSHOST_LOG_DIR:-$ECSHOST_ROOT/var/log/ecs}"
ECSHOST_DATA_DIR="${ECSHOST_DATA_DIR:-$ECSHOST_ROOT/var/lib/ecs/data}"
ECSHOST_ETC_DIR="${ECSHOST_ETC_DIR:-$ECSHOST_ROOT/etc/ecs}"
export ECSHOST_ECS_CONFIG ECSHOST_LOG_DIR ECSHOST_DATA_DIR ECSHOST_ETC_DIR

# write_file PATH MODE < content: atomic replace
write_file() {
    mkdir -p "$(dirname "$1")"
    cat >"$1.ecshost-tmp"
    chmod "$2" "$1.ecshost-tmp"
    mv -f "$1.ecshost-tmp" "$1"
}

# True where systemd runs the host: units are installed and started.
has_systemd() {
    [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# Without systemd: the loopback script, the agent (a failure is reported,
# the self-check still runs and says why) and SELF_CHECK_SCRIPT, the
# self-check, where it is on.
run_scripts() {
    sh "$ECSHOST_ROOT/opt/ecshost/ecs-loopback.sh"
    if ! sh "$ECSHOST_ROOT/opt/ecshost/ecs-agent.sh" start; then
        echo "ecshost: agent start failed" >&2
    fi
    if [ -n "${SELF_CHECK_SCRIPT:-}" ]; then
        sh "$ECSHOST_ROOT$SELF_CHECK_SCRIPT" || true
    fi
}

# @values@
