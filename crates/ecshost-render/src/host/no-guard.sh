#!/bin/sh
# Managed by terraform-provider-ecshost: block_task_metadata is off, so no
# metadata guard and nothing to keep. Source:
# crates/ecshost-render/src/host/no-guard.sh, taken by name like the
# backends' functions (host.rs, `function`).

apply_metadata_guard() { :; }
recheck_metadata_guard() { :; }
watch_metadata_guard() { :; }
