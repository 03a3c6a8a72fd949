# Run the ECS agent on its own bridge network, published on
# 169.254.170.2:80, with task containers kept away from instance metadata.
data "ecshost_agent_options" "agent" {
  cluster = "production"

  config = {
    ECS_ENABLE_SPOT_INSTANCE_DRAINING = "true"
    ECS_CONTAINER_STOP_TIMEOUT        = "60s"
  }
}

output "ecs_config" {
  value = data.ecshost_agent_options.agent.ecs_config
}
