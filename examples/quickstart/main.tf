# Quickstart: everything a Debian/Ubuntu ECS host needs to serve task IAM
# role credentials without `--net host`, rendered offline.
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

variable "cluster" {
  type    = string
  default = "quickstart"
}

data "ecshost_loopback_config" "lo" {
  format = "shell"
}

data "ecshost_agent_options" "agent" {
  cluster = var.cluster
}

output "loopback_script" {
  value = data.ecshost_loopback_config.lo.content
}

output "docker_run_args" {
  value = data.ecshost_agent_options.agent.docker_run_args
}

output "ecs_config" {
  value = data.ecshost_agent_options.agent.ecs_config
}
