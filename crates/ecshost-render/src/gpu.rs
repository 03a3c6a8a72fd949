//! GPU hosts: what ecs-init does for `ECS_ENABLE_GPU_SUPPORT=true`, done by
//! the start script.
//!
//! The agent registers GPUs only from `/var/lib/ecs/gpu/nvidia-gpu-info.json`
//! (`agent/gpu/nvidia_gpu_manager_unix.go`, `Initialize`): without the file
//! it logs "GPU information is not found; continuing without it" and the
//! host registers no GPUs, so GPU tasks never place. ecs-init writes the file
//! from NVML — `{"DriverVersion":"…","GPUIDs":["GPU-…",…]}`, the JSON of its
//! `NvidiaGPUManager` (`ecs-init/gpu/nvidia_gpu_manager.go`, `SaveGPUState`) —
//! and bind-mounts the directory into the agent where `/dev/nvidia*` exists
//! (`ecs-init/docker/docker.go`, `getHostConfig`).
//!
//! The start script writes the same JSON from `nvidia-smi
//! --query-gpu=driver_version,uuid --format=csv,noheader` (one line per GPU,
//! `535.183.01, GPU-…`; NVIDIA's `nvidia-smi` documentation, "--query-gpu")
//! before it creates the agent container, and the container gets the
//! directory read-only (the agent only reads it). The agent then sends the
//! GPU ids as `platformDevices` of `RegisterContainerInstance` and the
//! driver version as `ecs.capability.gpu-driver-version`
//! (`agent/app/agent.go`, `agent/app/agent_capability_unix.go`). GPU tasks
//! run with the runtime named by `ECS_NVIDIA_RUNTIME` (default `nvidia`),
//! which Docker must have (NVIDIA Container Toolkit); the script logs when
//! it does not.

use super::agent::AgentInput;
use super::agent_config::switch_on;
use super::host::{self, Header};

/// Where the agent reads the GPU file (`GPUInfoDirPath`), inside its
/// container and on the host.
pub const GPU_INFO_DIR: &str = "/var/lib/ecs/gpu";

/// The file the agent reads in [`GPU_INFO_DIR`].
pub const GPU_INFO_FILE: &str = "nvidia-gpu-info.json";

/// Whether `config` turns GPU support on, read as the agent reads booleans.
pub fn enabled(input: &AgentInput) -> bool {
    switch_on(&input.config, "ECS_ENABLE_GPU_SUPPORT")
}

/// The Docker runtime GPU tasks run with: `ECS_NVIDIA_RUNTIME`, default
/// `nvidia` (`agent/config/config.go`, `DefaultNvidiaRuntime`).
pub fn runtime(input: &AgentInput) -> &str {
    input
        .config
        .get("ECS_NVIDIA_RUNTIME")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .unwrap_or("nvidia")
}

/// How long `nvidia-smi` may take before the agent starts without GPUs.
pub const NVIDIA_SMI_TIMEOUT_SECONDS: u32 = 30;

/// `write_gpu_info` (`src/host/functions.sh`) and the `GPU_RUNTIME` it
/// checks Docker for, added to the start script's header when GPU support
/// is on (the script's `cmd_start` calls it when `GPU_SUPPORT=yes`, never
/// fatally). It reads `$DOCKER`, `$ECSHOST_GPU_DIR` and `log`. When it
/// cannot list the GPUs it removes an older file, so the agent never
/// registers GPUs this host no longer has (an image baked with the file, a
/// type change on the same volume). The file name ([`GPU_INFO_FILE`]) and
/// the `nvidia-smi` bound ([`NVIDIA_SMI_TIMEOUT_SECONDS`]) are spelled in
/// the source; a unit test holds them to these constants.
pub(crate) fn functions(header: Header, input: &AgentInput) -> Header {
    header
        .set("GPU_RUNTIME", runtime(input))
        .function(host::FUNCTIONS, "write_gpu_info")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consumer_tools::{fake_command, run_sh, temp_dir};

    /// `nvidia-smi`'s CSV for two GPUs (the format of `--query-gpu=…
    /// --format=csv,noheader`: fields joined by ", ").
    const TWO_GPUS: &str = "535.183.01, GPU-4a9e7f0b-1c6f-3c2e-8c9d-2b9a1d4f5e6a\n535.183.01, GPU-9f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\n";

    /// Runs `write_gpu_info` with a fake `nvidia-smi` (its script body, or
    /// none), a fake `docker info` printing `runtimes`, and `stale` as an
    /// earlier GPU file.
    fn run_with(
        input: &AgentInput,
        nvidia_smi: Option<&str>,
        runtimes: &str,
        stale: Option<&str>,
    ) -> (i32, String, Option<String>) {
        let dir = temp_dir("gpu");
        let bin = dir.join("bin");
        if let Some(body) = nvidia_smi {
            fake_command(&bin, "nvidia-smi", body);
        }
        fake_command(&bin, "docker", &format!("echo '{runtimes}'\n"));
        let gpu_dir = dir.join("gpu");
        if let Some(old) = stale {
            std::fs::create_dir_all(&gpu_dir).unwrap();
            std::fs::write(gpu_dir.join(GPU_INFO_FILE), old).unwrap();
        }
        let script = functions(Header::new().set("DOCKER", "docker"), input)
            .fill("set -eu\nlog() { echo \"$*\" >&2; }\n# @values@\nwrite_gpu_info\n");
        let env = [("ECSHOST_GPU_DIR", gpu_dir.display().to_string())];
        let (rc, out) = run_sh(&script, &[], &env, &bin);
        let file = std::fs::read_to_string(gpu_dir.join(GPU_INFO_FILE)).ok();
        (rc, out, file)
    }

    fn prints(out: &str) -> String {
        format!("cat <<'EOF'\n{out}EOF\n")
    }

    /// The source spells the file name and the bound these constants give.
    #[test]
    fn the_source_spells_the_constants() {
        let f = host::function(host::FUNCTIONS, "write_gpu_info");
        assert!(f.contains(&format!("\"$ECSHOST_GPU_DIR/{GPU_INFO_FILE}\"")));
        assert!(f.contains(&format!("timeout {NVIDIA_SMI_TIMEOUT_SECONDS} nvidia-smi")));
    }

    const NVIDIA: &str = r#"{"nvidia":{"path":"nvidia-container-runtime"},"runc":{}}"#;

    /// The file is the JSON the agent's `NvidiaGPUManager` unmarshals.
    #[test]
    fn writes_the_file_the_agent_reads() {
        let (rc, out, file) = run_with(
            &AgentInput::default(),
            Some(&prints(TWO_GPUS)),
            NVIDIA,
            Some("{}"),
        );
        assert_eq!(rc, 0, "{out}");
        let v: serde_json::Value = serde_json::from_str(&file.expect("written")).unwrap();
        assert_eq!(v["DriverVersion"], "535.183.01");
        assert_eq!(
            v["GPUIDs"],
            serde_json::json!([
                "GPU-4a9e7f0b-1c6f-3c2e-8c9d-2b9a1d4f5e6a",
                "GPU-9f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
            ])
        );
        assert!(!out.contains("runtime"), "{out}");
    }

    /// Whenever the GPUs cannot be listed, an older file is removed (the
    /// agent would register GPUs the host no longer has), and the log says
    /// why, with nvidia-smi's own words.
    #[test]
    fn says_why_when_it_cannot_and_leaves_no_stale_file() {
        let d = AgentInput::default();
        let old = Some(r#"{"DriverVersion":"1","GPUIDs":["GPU-old"]}"#);
        let (rc, out, file) = run_with(&d, None, "{}", old);
        assert_eq!((rc, file), (0, None), "{out}");
        assert!(out.contains("no nvidia-smi"), "{out}");

        let failing = "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'\nexit 9\n";
        let (rc, out, file) = run_with(&d, Some(failing), "{}", old);
        assert_eq!((rc, file), (0, None), "{out}");
        assert!(
            out.contains("nvidia-smi failed (exit 9): NVIDIA-SMI has failed"),
            "{out}"
        );

        // Lines that are not GPUs (a quote in a field) never reach the JSON.
        let (rc, out, file) = run_with(&d, Some(&prints("535.1, GPU-\"x\n")), "{}", old);
        assert_eq!((rc, file), (0, None), "{out}");
        assert!(out.contains("lists no GPU"), "{out}");
    }

    /// The runtime check names the runtime the agent will use.
    #[test]
    fn checks_the_runtime_ecs_nvidia_runtime_names() {
        let (_, out, file) = run_with(
            &AgentInput::default(),
            Some(&prints(TWO_GPUS)),
            r#"{"runc":{}}"#,
            None,
        );
        assert!(file.is_some());
        assert!(out.contains("Docker has no nvidia runtime"), "{out}");
        let mut custom = AgentInput::default();
        custom
            .config
            .insert("ECS_NVIDIA_RUNTIME".into(), "nvidia-custom".into());
        let (_, out, _) = run_with(&custom, Some(&prints(TWO_GPUS)), NVIDIA, None);
        assert!(out.contains("Docker has no nvidia-custom runtime"), "{out}");
        let (_, out, _) = run_with(
            &custom,
            Some(&prints(TWO_GPUS)),
            r#"{"nvidia-custom":{}}"#,
            None,
        );
        assert!(!out.contains("runtime"), "{out}");
    }
}
