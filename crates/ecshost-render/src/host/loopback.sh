#!/bin/sh
# Managed by terraform-provider-ecshost: puts the ECS task credentials address
# on the loopback device. Idempotent: a second run changes nothing.
#
# Source: crates/ecshost-render/src/host/loopback.sh. The render
# (loopback/shell.rs) replaces the @values@ line with ADDRESS (a /32) and
# DEVICE.
set -eu

IP="${IP:-ip}"
# @values@

"$IP" link set dev "$DEVICE" up
if "$IP" -4 -o addr show dev "$DEVICE" | grep -q " inet $ADDRESS "; then
    echo "ecs-loopback: $ADDRESS already on $DEVICE"
else
    "$IP" addr replace "$ADDRESS" dev "$DEVICE"
    echo "ecs-loopback: added $ADDRESS to $DEVICE"
fi
