data "ecshost_user_data" "hosts" {
  host_format = "cloud_init"
  cluster     = "production"
  gzip        = true
}

resource "ecshost_launch_template" "hosts" {
  name          = "ecs-hosts"
  image_id      = "ami-05fb4f257abd42992"
  instance_type = "m6i.large"
  user_data     = data.ecshost_user_data.hosts.base64

  update_default_version = true
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}

variable "deployment_id" {
  description = "Changes on every pipeline run, so the gate verifies again."
  type        = string
  default     = "manual"
}

# Fails the apply, one error per failing instance, when instances launched
# from the template do not run its current version's configuration, their
# self-check reports a failure, or they do not serve the ECS cluster
# (registered, ACTIVE, agent connected). Waits up to 10 minutes.
resource "ecshost_instance_verification" "gate" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = data.ecshost_user_data.hosts.cluster
  timeout                   = "10m"

  triggers = {
    deployment = var.deployment_id
  }
}

# A rollout gate for a fleet: passes once every instance of the new version
# is healthy and none of an older version still serves; deep-checks 20
# instances per version (the rest get the page-priced checks).
resource "ecshost_instance_verification" "rollout" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = data.ecshost_user_data.hosts.cluster
  sample_size               = 20
  min_healthy_percent       = 100
  max_old_versions          = 0
  timeout                   = "30m"
  poll_interval             = "30s"

  triggers = {
    deployment = var.deployment_id
  }
}
