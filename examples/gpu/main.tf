# GPU container instances (an NVIDIA driver, nvidia-smi and the NVIDIA
# Container Toolkit installed on the image, as on the ECS GPU-optimized AMI).
#
# With ECS_ENABLE_GPU_SUPPORT = "true" the agent start script does what
# ecs-init does: it writes /var/lib/ecs/gpu/nvidia-gpu-info.json (driver
# version and GPU ids) before it starts the agent, and mounts that directory
# into the agent read-only; the agent then registers the GPUs, and GPU tasks
# place on the host.
#
# Proven in this repository (host lab, `a_gpu_host_registers_its_gpus`):
# with a stand-in `nvidia-smi` printing the real CSV format, the file is
# written and mounted, and the real ECS agent 1.105.1 registers both GPUs
# (`platformDevices`) and `ecs.capability.gpu-driver-version`.
# Only on paper here (no GPU in the lab): a real driver's output, and a GPU
# task running with Docker's `nvidia` runtime (ECS_NVIDIA_RUNTIME). Without
# that runtime the start script logs "Docker has no nvidia runtime".
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

data "ecshost_user_data" "gpu" {
  host_format = "cloud_init"
  cluster     = "gpu-fleet"
  config = {
    ECS_ENABLE_GPU_SUPPORT = "true"
  }
}

# The start script as it runs on the host, plain shell (review it here, not
# in base64): look for write_gpu_info.
output "agent_start_script" {
  value = data.ecshost_user_data.gpu.files["/opt/ecshost/ecs-agent.sh"]
}

output "user_data_base64" {
  value = data.ecshost_user_data.gpu.base64
}
