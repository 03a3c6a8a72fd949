#!/bin/sh
# Managed by terraform-provider-ecshost: keeps task containers on docker0
# away from the instance metadata service.
# Usage: metadata-guard.sh [apply|recheck|watch]
#
# Source: crates/ecshost-render/src/host/metadata-guard.sh. The render
# (metadata_guard.rs) replaces the @values@ line with the tools, BRIDGE,
# IMDS_V4, IMDS_V6, BACKEND, GUARD_TABLE and the backend's functions
# (iptables.sh or nftables.sh) and the shared ones (functions.sh).
set -eu

# @values@
case "${1:-apply}" in
    apply)
        apply_metadata_guard
        echo "metadata-guard: applied ($BACKEND)"
        ;;
    recheck) recheck_metadata_guard timer ;;
    watch) watch_metadata_guard ;;
    *)
        echo "usage: $0 [apply|recheck|watch]" >&2
        exit 2
        ;;
esac
