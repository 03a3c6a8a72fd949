#!/bin/sh
# Managed by terraform-provider-ecshost: functions the host scripts share,
# whatever the firewall backend.
#
# Source: crates/ecshost-render/src/host/functions.sh. Not a script of its
# own: each host script takes the functions it needs by name (host.rs,
# `function`), after a header of NAME=value lines that assigns what they
# read (named above each function) and a `log` function.

# probe_endpoint URL: prints `agent` (HTTP 400 with NoIdInRequest, the
# agent's answer to GET /v2/credentials/), `status400` (400 seen but the
# body not readable: busybox wget), `other` or `unreachable`. Proxies are
# ignored; every attempt is bounded to 5 seconds.
probe_endpoint() {
    probe_out=""
    if command -v curl >/dev/null 2>&1; then
        probe_out=$(curl --noproxy '*' -s -m 5 -w ' HTTP_STATUS=%{http_code}' "$1" 2>/dev/null) || true
    elif wget --version 2>/dev/null | grep -q 'GNU Wget'; then
        probe_out=$(wget --no-proxy -q -T 5 -t 1 -S --content-on-error -O - "$1" 2>&1) || true
    else
        probe_out=$(timeout 5 wget -Y off -q -O - "$1" 2>&1) || true
    fi
    case $probe_out in
        *NoIdInRequest*) echo agent ;;
        *" 400 "* | *"HTTP_STATUS=400"*) echo status400 ;;
        *"HTTP_STATUS=000"* | "") echo unreachable ;;
        *HTTP/* | *HTTP_STATUS=*) echo other ;;
        *) echo unreachable ;;
    esac
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

# write_gpu_info (ECS_ENABLE_GPU_SUPPORT=true): the agent registers GPUs
# only from $ECSHOST_GPU_DIR/nvidia-gpu-info.json, which ecs-init writes
# from NVML; written here from nvidia-smi, the same JSON. Ids and version
# are checked before they go into it. When it cannot list the GPUs it
# removes an older file, so the agent never registers GPUs this host no
# longer has. Reads DOCKER, ECSHOST_GPU_DIR and GPU_RUNTIME
# (ECS_NVIDIA_RUNTIME). Never fatal: the agent starts either way.
write_gpu_info() {
    mkdir -p "$ECSHOST_GPU_DIR"
    gpu_file="$ECSHOST_GPU_DIR/nvidia-gpu-info.json"
    if ! command -v nvidia-smi >/dev/null 2>&1; then
        rm -f "$gpu_file"
        log "ECS_ENABLE_GPU_SUPPORT=true but no nvidia-smi: the agent registers no GPUs"
        return 0
    fi
    smi_rc=0
    if command -v timeout >/dev/null 2>&1; then
        smi_out=$(timeout 30 nvidia-smi --query-gpu=driver_version,uuid --format=csv,noheader 2>&1) || smi_rc=$?
    else
        smi_out=$(nvidia-smi --query-gpu=driver_version,uuid --format=csv,noheader 2>&1) || smi_rc=$?
    fi
    if [ "$smi_rc" -ne 0 ]; then
        rm -f "$gpu_file"
        log "nvidia-smi failed (exit $smi_rc): $smi_out; the agent registers no GPUs"
        return 0
    fi
    gpu_json=$(printf '%s\n' "$smi_out" |
        awk -F', *' '
            $1 ~ /^[0-9][0-9.]*$/ && $2 ~ /^GPU-[0-9A-Za-z-]+$/ {
                if (version == "") version = $1
                ids = ids (ids == "" ? "" : ",") "\"" $2 "\""
            }
            END { if (ids != "") printf "{\"DriverVersion\":\"%s\",\"GPUIDs\":[%s]}\n", version, ids }')
    if [ -z "$gpu_json" ]; then
        rm -f "$gpu_file"
        log "nvidia-smi lists no GPU: the agent registers no GPUs"
        return 0
    fi
    printf '%s\n' "$gpu_json" >"$gpu_file.tmp"
    mv -f "$gpu_file.tmp" "$gpu_file"
    log "GPU information for the agent: $gpu_json"
    case $("$DOCKER" info --format '{{json .Runtimes}}' 2>/dev/null) in
        *"\"$GPU_RUNTIME\""*) ;;
        *) log "Docker has no $GPU_RUNTIME runtime (ECS_NVIDIA_RUNTIME): GPU tasks will not start (install the NVIDIA Container Toolkit)" ;;
    esac
}

# write_packed PATH MODE < gzip+base64 content: decoded, atomic replace (the
# user data's large scripts where the user data itself is not gzipped).
write_packed() {
    mkdir -p "$(dirname "$1")"
    base64 -d >"$1.ecshost-gz"
    gzip -dc <"$1.ecshost-gz" >"$1.ecshost-tmp"
    rm -f "$1.ecshost-gz"
    chmod "$2" "$1.ecshost-tmp"
    mv -f "$1.ecshost-tmp" "$1"
}

# run_part PATH NAME: runs one of the user's extra parts (its own #! line);
# a failing part does not stop the next, and the user data then exits 1.
run_part() {
    if ! "$1"; then
        echo "ecshost: extra part failed: $2" >&2
        # shellcheck disable=SC2034 # the user data's last line exits with it
        parts_failed=1
    fi
}
