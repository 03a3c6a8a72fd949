#!/bin/sh
# Managed by terraform-provider-ecshost: functions the host scripts share,
# whatever the firewall backend.
#
# Source: crates/ecshost-render/src/host/functions.sh. Not a script of its
# own: each host script takes the functions it needs by name (host.rs,
# `function`), after a header of NAME=value lines that assigns what they
# read (named above each function) and a `log` function.

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

# unpack < gzip+base64 script: the user data's large scripts where the user
# data itself is not gzipped, packed together in one stream (they share
# most of their words): decoded, then run in this shell, whose write_file
# writes each of them. A stream that does not decode stops the user data
# (`set -e`: the assignment fails with gzip).
unpack() {
    u_s=$(base64 -d | gzip -dc)
    eval "$u_s"
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
