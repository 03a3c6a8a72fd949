#!/bin/sh
# Managed by terraform-provider-ecshost: boot-time self-check. Prints one line
#   ECSHOST_SELF_CHECK {"v":1,"ok":...,"checks":{...},"reasons":{...}}
# to stdout and to each writable console in ECSHOST_CONSOLES. Exits 0 when no
# check failed. Never pulls images. Changes nothing on the host: the task-side
# probes each plug a throwaway network namespace into docker0 and remove it.
#
# Source: crates/ecshost-render/src/host/self-check.sh. The render replaces
# the @values@ line with one host's values (the firewall tools, ADDRESS …
# BRIDGE, and metadata_guard_present when the guard is on) and the HTTP
# client the agent script uses too (http_client, http: functions.sh): see
# self_check::render.
set -u

DOCKER="${DOCKER:-docker}"
IP="${IP:-ip}"
NSENTER="${NSENTER:-nsenter}"
ECSHOST_CONSOLES="${ECSHOST_CONSOLES:-/dev/console /dev/ttyS0}"
ECSHOST_PROBE_IMAGE="${ECSHOST_PROBE_IMAGE:-busybox:latest}"
ECSHOST_DOCKER_DAEMON_JSON="${ECSHOST_DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"

NETNS_DIR=/var/run/netns

IPTABLES="${IPTABLES:-iptables}"
ADDRESS=169.254.170.2
PORT=80
DEVICE=lo
NAME=ecs-agent
NETWORK=ecs-agent
OWN_NETWORK=yes
BLOCK=yes
URL=http://169.254.170.2:80/v2/credentials/
BRIDGE=docker0
IMDS_V4=169.254.169.254
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
# True when both IPv4 rules are in place and FORWARD's first rule reaches
# the DOCKER-USER one.
metadata_guard_present() {
    "$IPTABLES" -w -C DOCKER-USER -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP 2>/dev/null &&
        [ "$("$IPTABLES" -w -S FORWARD 2>/dev/null | sed -n 2p)" = "-A FORWARD -j DOCKER-USER" ] &&
        "$IPTABLES" -w -t raw -C PREROUTING -i "$BRIDGE" -d "$IMDS_V4/32" -j DROP 2>/dev/null
}
# why CHECK CODE: why a check is not pass, for the report's "reasons": a
# short code (CODE:DETAIL where a value goes with it), which the parser
# turns into a sentence (self_check::REASONS), to keep the user data small.
reasons=""
why() {
    reasons="$reasons${reasons:+,}\"$1\":\"$2\""
}

probe=$(http_client)

# answered OUTPUT: true when an HTTP answer came back
answered() {
    case $1 in
        *HTTP_STATUS=000 | *HTTP_STATUS=none) return 1 ;;
        *HTTP_STATUS=*) return 0 ;;
        *) return 1 ;;
    esac
}

ip2n() {
    i_r=$1.
    i_n=0
    for _ in 1 2 3 4; do
        i_n=$((i_n * 256 + ${i_r%%.*}))
        i_r=${i_r#*.}
    done
    echo "$i_n"
}

n2ip() {
    echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}

# ns_up N: a throwaway network namespace plugged into $BRIDGE like a
# bridge-mode task: a veth port on the bridge, the highest free address of
# its subnet, the bridge's address as default route. Sets ns (its file), or
# no_ns (why not) and fails.
ns_name=""
ns_veth="ecsp$$"
ns_up() {
    if ! command -v "$IP" >/dev/null 2>&1 || ! command -v "$NSENTER" >/dev/null 2>&1; then
        no_ns=no-ip-nsenter
        return 1
    fi
    ns_line=$("$IP" -4 -o addr show dev "$BRIDGE" 2>/dev/null)
    ns_cidr=${ns_line#* inet }
    ns_cidr=${ns_cidr%% *}
    case $ns_cidr in
        *.*.*.*/[0-9] | *.*.*.*/[12][0-9]) ;;
        *)
            no_ns=no-bridge-subnet
            return 1
            ;;
    esac
    ns_gw=${ns_cidr%/*}
    ns_len=${ns_cidr#*/}
    ns_a=$((($(ip2n "$ns_gw") | ((1 << (32 - ns_len)) - 1)) - 1))
    ns_used="$("$DOCKER" network inspect bridge -f '{{range .Containers}}{{.IPv4Address}} {{end}}' 2>/dev/null) $ns_gw/"
    while :; do
        case " $ns_used" in
            *" $(n2ip "$ns_a")/"*) ns_a=$((ns_a - 1)) ;;
            *) break ;;
        esac
    done
    ns_name="ecshost-probe-$$-$1"
    if ! "$IP" netns add "$ns_name" 2>/dev/null; then
        ns_name=""
        no_ns=no-netns
        return 1
    fi
    ns="$NETNS_DIR/$ns_name"
    if "$IP" link add "$ns_veth" type veth peer name eth0 netns "$ns_name" &&
        "$IP" link set "$ns_veth" master "$BRIDGE" up &&
        "$NSENTER" "--net=$ns" "$IP" link set lo up &&
        "$NSENTER" "--net=$ns" "$IP" addr add "$(n2ip "$ns_a")/$ns_len" dev eth0 &&
        "$NSENTER" "--net=$ns" "$IP" link set eth0 up &&
        "$NSENTER" "--net=$ns" "$IP" route add default via "$ns_gw"; then
        return 0
    fi
    ns_down
    no_ns=no-veth
    return 1
}

ns_down() {
    if [ -n "$ns_name" ]; then
        "$IP" link del "$ns_veth" 2>/dev/null
        "$IP" netns del "$ns_name" 2>/dev/null
        ns_name=""
    fi
    return 0
}
trap ns_down EXIT
trap 'exit 1' HUP INT TERM

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
    why alias "not-on:$DEVICE"
fi

# endpoint: GET /v2/credentials/ from the host answers like the agent (400 NoIdInRequest)
endpoint=fail
if [ "$probe" = none ]; then
    endpoint=skip
    why endpoint no-client
else
    attempt=0
    while [ "$attempt" -lt 3 ]; do
        attempt=$((attempt + 1))
        case $(http - GET "$URL" 5) in
            *NoIdInRequest*)
                endpoint=pass
                break
                ;;
            *HTTP_STATUS=400)
                endpoint=warn
                why endpoint busybox-400
                break
                ;;
            *) sleep 2 ;;
        esac
    done
    if [ "$endpoint" = fail ]; then why endpoint no-answer; fi
fi

# agent_network: the agent container is on its own network, never host
mode=$("$DOCKER" inspect -f '{{.HostConfig.NetworkMode}}' "$NAME" 2>/dev/null) || mode=missing
if [ "$mode" = "$NETWORK" ] || { [ "$NETWORK" = bridge ] && [ "$mode" = default ]; }; then
    agent_network=pass
else
    agent_network=fail
    why agent_network "mode:$mode"
fi

# metadata_guard: the docker0 -> IMDS block is in force now
metadata_guard=skip
if [ "$BLOCK" = yes ]; then
    if metadata_guard_present; then
        metadata_guard=pass
    else
        metadata_guard=fail
        why metadata_guard not-applied
    fi
else
    why metadata_guard guard-off
fi

# userland_proxy: docker0 -> agent bridge relies on docker-proxy on some engines
userland_proxy=skip
if [ "$OWN_NETWORK" = yes ]; then
    if userland_proxy_disabled; then
        userland_proxy=warn
    else
        userland_proxy=pass
    fi
fi

# task_path / imds_blocked: from a throwaway namespace on docker0, as a task
task_path=skip
imds_blocked=skip
no_ns=""
if [ "$probe" = none ]; then
    no_ns=no-client
elif ns_up 1; then
    out=$(http "$ns" GET "$URL" 5)
    ns_down
    case $out in
        *NoIdInRequest*) task_path=pass ;;
        *HTTP_STATUS=400)
            task_path=warn
            why task_path busybox-400
            ;;
        *)
            task_path=fail
            why task_path task-no-answer
            ;;
    esac
fi
if [ "$BLOCK" != yes ]; then
    why imds_blocked guard-off
elif [ -z "$no_ns" ] && ns_up 2; then
    put=$(http "$ns" PUT "http://$IMDS_V4/latest/api/token" 2)
    get=$(http "$ns" GET "http://$IMDS_V4/latest/meta-data/" 2)
    ns_down
    if answered "$put"; then
        imds_blocked=fail
        why imds_blocked token-answered
    elif answered "$get"; then
        imds_blocked=fail
        why imds_blocked get-answered
    else
        imds_blocked=pass
    fi
fi
# Fallback where no namespace can be made: a task container from the probe
# image, only when that image is already present (never pulled). 125-127:
# docker could not run it; 132/134/139: the probe crashed: both stay skip.
if [ -n "$no_ns" ] && [ -n "$ECSHOST_PROBE_IMAGE" ] && "$DOCKER" image inspect "$ECSHOST_PROBE_IMAGE" >/dev/null 2>&1; then
    out=$("$DOCKER" run --rm --network bridge "$ECSHOST_PROBE_IMAGE" wget -q -T 5 -O - "$URL" 2>&1)
    case $?:$out in
        12[567]:* | 13[249]:*) ;;
        *NoIdInRequest* | *" 400 "*) task_path=pass ;;
        *)
            task_path=fail
            why task_path image-no-answer
            ;;
    esac
    if [ "$BLOCK" = yes ]; then
        out=$("$DOCKER" run --rm --network bridge "$ECSHOST_PROBE_IMAGE" wget -q -T 3 -O - "http://$IMDS_V4/" 2>&1)
        case $?:$out in
            12[567]:* | 13[249]:*) ;;
            0:* | *"server returned"* | *HTTP/*)
                imds_blocked=fail
                why imds_blocked image-answered
                ;;
            *) imds_blocked=pass ;;
        esac
    fi
fi
if [ -n "$no_ns" ]; then
    if [ "$task_path" = skip ]; then why task_path "$no_ns"; fi
    if [ "$imds_blocked" = skip ] && [ "$BLOCK" = yes ]; then why imds_blocked "$no_ns"; fi
fi
# Without docker-proxy tasks still reach the agent when the task DNAT
# carries them: a task path that passed proves it.
if [ "$userland_proxy" = warn ]; then
    if [ "$task_path" = pass ]; then
        userland_proxy=pass
    else
        why userland_proxy proxy-off
    fi
fi

# agent_imds: from the agent's network namespace, the IMDSv2 token PUT is
# answered (its route to IMDS, and a hop limit that lets the answer back)
agent_imds=fail
pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$NAME" 2>/dev/null) || pid=0
if [ "$probe" = none ] || ! command -v "$NSENTER" >/dev/null 2>&1; then
    agent_imds=skip
    why agent_imds no-client-nsenter
elif [ -z "$pid" ] || [ "$pid" = 0 ]; then
    why agent_imds agent-down
else
    out=$(http "/proc/$pid/ns/net" PUT "http://$IMDS_V4/latest/api/token" 5)
    case $out in
        *HTTP_STATUS=200) agent_imds=pass ;;
        *HTTP_STATUS=none)
            if answered "$(http "/proc/$pid/ns/net" GET "http://$IMDS_V4/latest/meta-data/" 5)"; then
                agent_imds=warn
                why agent_imds get-only
            else
                why agent_imds agent-no-imds
            fi
            ;;
        *HTTP_STATUS=000) why agent_imds token-no-answer ;;
        *) why agent_imds token-refused ;;
    esac
fi

ok=true
for s in "$alias" "$endpoint" "$agent_network" "$metadata_guard" "$userland_proxy" "$task_path" "$imds_blocked" "$agent_imds"; do
    if [ "$s" = fail ]; then ok=false; fi
done

json=$(printf '{"v":1,"ok":%s,"checks":{"alias":"%s","endpoint":"%s","agent_network":"%s","metadata_guard":"%s","userland_proxy":"%s","task_path":"%s","imds_blocked":"%s","agent_imds":"%s"},"reasons":{%s},"address":"%s","port":%s,"probe":"%s"}' \
    "$ok" "$alias" "$endpoint" "$agent_network" "$metadata_guard" "$userland_proxy" "$task_path" "$imds_blocked" "$agent_imds" "$reasons" "$ADDRESS" "$PORT" "$probe")
line="ECSHOST_SELF_CHECK $json"
printf '%s\n' "$line"
for console in $ECSHOST_CONSOLES; do
    if [ -w "$console" ]; then
        printf '%s\n' "$line" >"$console" 2>/dev/null || true
    fi
done
[ "$ok" = true ]
