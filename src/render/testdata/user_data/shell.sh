#!/bin/sh
# Managed by terraform-provider-ecshost: ECS container host user data.
# Puts the credentials address on the loopback device, runs the ECS agent on
# its own bridge network with the endpoint made reachable, blocks docker0 tasks
# from IMDS and reports a self-check on the serial console.
# ECSHOST_ROOT prefixes every written file (default: the real root).
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

write_file "$ECSHOST_ROOT/opt/ecshost/ecs-loopback.sh" 755 <<'ECSHOST_EOF_1'
#!/bin/sh
# Managed by terraform-provider-ecshost (compacted copy).
set -eu
IP="${IP:-ip}"
ADDRESS=169.254.170.2/32
DEVICE=lo
"$IP" link set dev "$DEVICE" up
if "$IP" -4 -o addr show dev "$DEVICE" | grep -q " inet $ADDRESS "; then
echo "ecs-loopback: $ADDRESS already on $DEVICE"
else
"$IP" addr replace "$ADDRESS" dev "$DEVICE"
echo "ecs-loopback: added $ADDRESS to $DEVICE"
fi
ECSHOST_EOF_1
write_file "$ECSHOST_ECS_CONFIG" 600 <<'ECSHOST_EOF_2'
# Managed by terraform-provider-ecshost. Unquoted KEY=VALUE lines (docker --env-file).
# ECS_RESERVED_PORTS lists every port: setting it replaces the agent's defaults, and
# the credentials port is taken on the host by the published endpoint.
ECS_CLUSTER=prod
ECS_DATADIR=/data
ECS_ENABLE_TASK_ENI=false
ECS_ENABLE_TASK_IAM_ROLE=true
ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=false
ECS_LOGFILE=/log/ecs-agent.log
ECS_LOGLEVEL=info
ECS_RESERVED_PORTS=[22,80,2375,2376,51678,51679]
ECS_UPDATES_ENABLED=false
# Settings (defaults and the config attribute), sorted by key.
ECS_AVAILABLE_LOGGING_DRIVERS=["json-file","awslogs","syslog","none"]
ECSHOST_EOF_2
write_file "$ECSHOST_ROOT/opt/ecshost/ecs-agent.sh" 755 <<'ECSHOST_EOF_3'
#!/bin/sh
# Managed by terraform-provider-ecshost (compacted copy).
set -eu
DOCKER="${DOCKER:-docker}"
NSENTER="${NSENTER:-nsenter}"
IPTABLES="${IPTABLES:-iptables}"
IP6TABLES="${IP6TABLES:-ip6tables}"
NFT="${NFT:-nft}"
ECSHOST_ECS_CONFIG="${ECSHOST_ECS_CONFIG:-/etc/ecs/ecs.config}"
ECSHOST_RUN_DIR="${ECSHOST_RUN_DIR:-/var/run}"
ECSHOST_LOG_DIR="${ECSHOST_LOG_DIR:-/var/log/ecs}"
ECSHOST_DATA_DIR="${ECSHOST_DATA_DIR:-/var/lib/ecs/data}"
ECSHOST_ETC_DIR="${ECSHOST_ETC_DIR:-/etc/ecs}"
ECSHOST_CGROUP_DIR="${ECSHOST_CGROUP_DIR:-/sys/fs/cgroup}"
ECSHOST_WAIT_SECONDS="${ECSHOST_WAIT_SECONDS:-120}"
NAME=ecs-agent
NETWORK=ecs-agent
OWN_NETWORK=yes
ENDPOINT_URL=http://169.254.170.2:80/v2/credentials/
CONFIG_SHA256=97619a33ca68a866ff3e7e84268ad1b25348082bb118ff217f29e31cfc4f28d9
log() {
echo "ecs-agent.sh: $*" >&2
}
apply_metadata_guard() {
"$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
if ! "$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null; then
"$IPTABLES" -w -I DOCKER-USER 1 -i docker0 -d 169.254.169.254/32 -j DROP
fi
if "$IP6TABLES" -w -n -L DOCKER-USER >/dev/null 2>&1; then
if ! "$IP6TABLES" -w -C DOCKER-USER -i docker0 -d fd00:ec2::254/128 -j DROP 2>/dev/null; then
"$IP6TABLES" -w -I DOCKER-USER 1 -i docker0 -d fd00:ec2::254/128 -j DROP
fi
fi
}
metadata_guard_present() {
"$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null
}
apply_endpoint_dnat() {
pid=$("$DOCKER" inspect -f '{{.State.Pid}}' "$NAME")
if [ -z "$pid" ] || [ "$pid" = 0 ]; then
log "container $NAME is not running"
return 1
fi
if ! "$NSENTER" -t "$pid" -n "$IPTABLES" -w -t nat -C PREROUTING ! -i lo -p tcp --dport 51679 -j DNAT --to-destination 127.0.0.1:51679 2>/dev/null; then
"$NSENTER" -t "$pid" -n "$IPTABLES" -w -t nat -A PREROUTING ! -i lo -p tcp --dport 51679 -j DNAT --to-destination 127.0.0.1:51679
fi
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
"$DOCKER" run \
"--name=ecs-agent" \
"--detach" \
"--init" \
"--restart=no" \
"--network=ecs-agent" \
"--publish=169.254.170.2:80:51679" \
"--publish=127.0.0.1:51678:51678" \
"--sysctl=net.ipv4.conf.all.route_localnet=1" \
"--volume=${ECSHOST_RUN_DIR}:/var/run" \
"--volume=${ECSHOST_LOG_DIR}:/log" \
"--volume=${ECSHOST_DATA_DIR}:/data" \
"--volume=${ECSHOST_ETC_DIR}:/etc/ecs" \
"--volume=${ECSHOST_CGROUP_DIR}:/sys/fs/cgroup" \
"--env-file=${ECSHOST_ECS_CONFIG}" \
"--log-driver=json-file" \
"--log-opt=max-file=4" \
"--log-opt=max-size=16m" \
"--label=io.ecshost.config-sha256=97619a33ca68a866ff3e7e84268ad1b25348082bb118ff217f29e31cfc4f28d9" \
"public.ecr.aws/ecs/amazon-ecs-agent:latest" >/dev/null
log "started container $NAME"
}
wait_reachable() {
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
cmd_start() {
wait_for_docker
if [ ! -f "$ECSHOST_ECS_CONFIG" ]; then
log "missing $ECSHOST_ECS_CONFIG"
return 1
fi
mkdir -p "$ECSHOST_LOG_DIR" "$ECSHOST_DATA_DIR" "$ECSHOST_ETC_DIR"
apply_metadata_guard
ensure_network
start_container
apply_endpoint_dnat
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
stop) cmd_stop ;;
*)
log "usage: $0 start|run|reapply|guard|stop"
exit 2
;;
esac
ECSHOST_EOF_3
write_file "$ECSHOST_ROOT/opt/ecshost/self-check.sh" 755 <<'ECSHOST_EOF_4'
#!/bin/sh
# Managed by terraform-provider-ecshost (compacted copy).
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
apply_metadata_guard() {
"$IPTABLES" -w -N DOCKER-USER 2>/dev/null || true
if ! "$IPTABLES" -w -C DOCKER-USER -i docker0 -d 169.254.169.254/32 -j DROP 2>/dev/null; then
"$IPTABLES" -w -I DOCKER-USER 1 -i docker0 -d 169.254.169.254/32 -j DROP
fi
if "$IP6TABLES" -w -n -L DOCKER-USER >/dev/null 2>&1; then
if ! "$IP6TABLES" -w -C DOCKER-USER -i docker0 -d fd00:ec2::254/128 -j DROP 2>/dev/null; then
"$IP6TABLES" -w -I DOCKER-USER 1 -i docker0 -d fd00:ec2::254/128 -j DROP
fi
fi
}
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
if "$IP" -4 -o addr show dev "$DEVICE" 2>/dev/null | grep -q " inet $ADDRESS/32 "; then
alias=pass
else
alias=fail
fi
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
mode=$("$DOCKER" inspect -f '{{.HostConfig.NetworkMode}}' "$NAME" 2>/dev/null) || mode=missing
if [ "$mode" = "$NETWORK" ] || { [ "$NETWORK" = bridge ] && [ "$mode" = default ]; }; then
agent_network=pass
else
agent_network=fail
fi
metadata_guard=skip
if [ "$BLOCK" = yes ]; then
if metadata_guard_present; then metadata_guard=pass; else metadata_guard=fail; fi
fi
userland_proxy=skip
if [ "$OWN_NETWORK" = yes ]; then
if userland_proxy_disabled; then userland_proxy=warn; else userland_proxy=pass; fi
fi
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
ECSHOST_EOF_4

if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-loopback.service" 644 <<'ECSHOST_EOF_5'
[Unit]
Description=ECS task credentials address on the loopback device (terraform-provider-ecshost)
DefaultDependencies=no
After=systemd-networkd.service NetworkManager.service network-pre.target
Before=network.target docker.service ecs-agent.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /opt/ecshost/ecs-loopback.sh
[Install]
WantedBy=multi-user.target docker.service
ECSHOST_EOF_5
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecs-agent.service" 644 <<'ECSHOST_EOF_6'
[Unit]
Description=Amazon ECS agent on its own bridge network (terraform-provider-ecshost)
Documentation=https://github.com/aws/amazon-ecs-agent
Requires=docker.service
Wants=network-online.target ecshost-loopback.service ecshost-metadata-guard.service
After=docker.service network-online.target systemd-networkd.service ecshost-loopback.service ecshost-metadata-guard.service
[Service]
Type=notify
NotifyAccess=all
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh run
ExecStartPost=/bin/sh /opt/ecshost/ecs-agent.sh reapply
ExecStop=/bin/sh /opt/ecshost/ecs-agent.sh stop
Restart=on-failure
RestartSec=10
RestartPreventExitStatus=5
TimeoutStartSec=600
TimeoutStopSec=60
[Install]
WantedBy=multi-user.target
ECSHOST_EOF_6
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-metadata-guard.service" 644 <<'ECSHOST_EOF_7'
[Unit]
Description=Block docker0 containers from IMDS (terraform-provider-ecshost)
After=docker.service
PartOf=docker.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh /opt/ecshost/ecs-agent.sh guard
[Install]
WantedBy=docker.service multi-user.target
ECSHOST_EOF_7
    write_file "$ECSHOST_ROOT/etc/systemd/system/ecshost-self-check.service" 644 <<'ECSHOST_EOF_8'
[Unit]
Description=ECS host self-check, reported on the serial console (terraform-provider-ecshost)
Wants=ecs-agent.service
After=ecs-agent.service
[Service]
Type=oneshot
ExecStart=/bin/sh /opt/ecshost/self-check.sh
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
ECSHOST_EOF_8
    systemctl daemon-reload
    systemctl enable ecshost-loopback.service ecs-agent.service ecshost-metadata-guard.service ecshost-self-check.service
    systemctl start ecshost-loopback.service
    systemctl start --no-block ecs-agent.service ecshost-metadata-guard.service ecshost-self-check.service
else
    sh "$ECSHOST_ROOT/opt/ecshost/ecs-loopback.sh"
    if ! sh "$ECSHOST_ROOT/opt/ecshost/ecs-agent.sh" start; then
        echo "ecshost: agent start failed" >&2
    fi
    sh "$ECSHOST_ROOT/opt/ecshost/self-check.sh" || true
fi
