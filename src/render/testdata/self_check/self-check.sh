#!/bin/sh
# Managed by terraform-provider-ecshost: boot-time self-check. Prints one line
#   ECSHOST_SELF_CHECK {"v":1,"ok":...,"checks":{...}}
# to stdout and to each writable console in ECSHOST_CONSOLES. Exits 0 when no
# check failed. Never pulls images and never changes the host.
set -u

DOCKER="${DOCKER:-docker}"
IP="${IP:-ip}"
IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
NFT="${NFT:-nft}"
ECSHOST_CONSOLES="${ECSHOST_CONSOLES:-/dev/console /dev/ttyS0}"
ECSHOST_PROBE_IMAGE="${ECSHOST_PROBE_IMAGE:-busybox:latest}"
ECSHOST_DOCKER_DAEMON_JSON="${ECSHOST_DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"

ADDRESS=169.254.170.2
PORT=80
DEVICE=lo
NAME=ecs-agent
NETWORK=ecs-agent
OWN_NETWORK=yes
BLOCK=yes
URL=http://169.254.170.2:80/v2/credentials/

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

userland_proxy_disabled() {
    for p in /proc/[0-9]*; do
        if [ "$(cat "$p/comm" 2>/dev/null)" = dockerd ]; then
            case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
                *userland-proxy=false* | *"userland-proxy false"*) return 0 ;;
                *) ;;
            esac
        fi
    done
    grep -Eq '"userland-proxy"[[:space:]]*:[[:space:]]*false' "$ECSHOST_DOCKER_DAEMON_JSON" 2>/dev/null
}

# alias: the address is on the device
if "$IP" -4 -o addr show dev "$DEVICE" 2>/dev/null | grep -q " inet $ADDRESS/32 "; then
    alias=pass
else
    alias=fail
fi

# endpoint: GET /v2/credentials/ answers like the agent (400 NoIdInRequest)
if command -v curl >/dev/null 2>&1; then
    probe=curl
elif wget --version 2>/dev/null | grep -q 'GNU Wget'; then
    probe=wget
elif command -v wget >/dev/null 2>&1; then
    probe=busybox-wget
else
    probe=none
fi
endpoint=fail
attempt=0
while [ "$attempt" -lt 3 ]; do
    attempt=$((attempt + 1))
    case $(probe_endpoint "$URL") in
        agent)
            endpoint=pass
            break
            ;;
        status400)
            endpoint=warn
            break
            ;;
        *) sleep 2 ;;
    esac
done

# agent_network: the agent container is on its own network, never host
mode=$("$DOCKER" inspect -f '{{.HostConfig.NetworkMode}}' "$NAME" 2>/dev/null) || mode=missing
if [ "$mode" = "$NETWORK" ] || { [ "$NETWORK" = bridge ] && [ "$mode" = default ]; }; then
    agent_network=pass
else
    agent_network=fail
fi

# metadata_guard: the docker0 -> IMDS rule is in place
metadata_guard=skip
if [ "$BLOCK" = yes ]; then
    if metadata_guard_present; then metadata_guard=pass; else metadata_guard=fail; fi
fi

# userland_proxy: docker0 -> agent bridge relies on docker-proxy on some engines
userland_proxy=skip
if [ "$OWN_NETWORK" = yes ]; then
    if userland_proxy_disabled; then userland_proxy=warn; else userland_proxy=pass; fi
fi

# task_path / imds_blocked: from a throwaway container on the default bridge,
# only when the probe image is already present (never pulled). 125-127:
# docker could not run it; 132/134/139: the probe crashed (Debian's static
# busybox segfaults on `wget -T`): both stay `skip`, never a false pass.
# (`timeout` is no way out: busybox runs the program as the container's PID 1,
# which ignores the SIGTERM.)
task_path=skip
imds_blocked=skip
if "$DOCKER" image inspect "$ECSHOST_PROBE_IMAGE" >/dev/null 2>&1; then
    out=$("$DOCKER" run --rm --network bridge "$ECSHOST_PROBE_IMAGE" wget -q -T 5 -O - "$URL" 2>&1)
    rc=$?
    case $rc:$out in
        12[567]:* | 13[249]:*) ;;
        *NoIdInRequest* | *" 400 "*) task_path=pass ;;
        *) task_path=fail ;;
    esac
    if [ "$BLOCK" = yes ]; then
        out=$("$DOCKER" run --rm --network bridge "$ECSHOST_PROBE_IMAGE" wget -q -T 3 -O - "http://169.254.169.254/" 2>&1)
        rc=$?
        case $rc:$out in
            12[567]:* | 13[249]:*) ;;
            0:* | *"server returned"* | *HTTP/*) imds_blocked=fail ;;
            *) imds_blocked=pass ;;
        esac
    fi
    if [ "$task_path" = pass ] && [ "$userland_proxy" = warn ]; then
        userland_proxy=pass
    fi
fi

ok=true
for s in "$alias" "$endpoint" "$agent_network" "$metadata_guard" "$userland_proxy" "$task_path" "$imds_blocked"; do
    if [ "$s" = fail ]; then ok=false; fi
done

json=$(printf '{"v":1,"ok":%s,"checks":{"alias":"%s","endpoint":"%s","agent_network":"%s","metadata_guard":"%s","userland_proxy":"%s","task_path":"%s","imds_blocked":"%s"},"address":"%s","port":%s,"probe":"%s"}' \
    "$ok" "$alias" "$endpoint" "$agent_network" "$metadata_guard" "$userland_proxy" "$task_path" "$imds_blocked" "$ADDRESS" "$PORT" "$probe")
line="ECSHOST_SELF_CHECK $json"
printf '%s\n' "$line"
for console in $ECSHOST_CONSOLES; do
    if [ -w "$console" ]; then
        printf '%s\n' "$line" >"$console" 2>/dev/null || true
    fi
done
[ "$ok" = true ]
