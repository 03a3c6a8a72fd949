terraform {
  required_providers {
    ecshost = { source = "ecshost/ecshost" }
  }
}

# The EC2 endpoint comes from AWS_ENDPOINT_URL (moto in the tests).
provider "ecshost" {
  region = "us-east-1"

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

data "ecshost_user_data" "hosts" {
  host_format = "shell"
  cluster     = "verified"
}

resource "ecshost_launch_template" "hosts" {
  name             = "ecs-hosts-verified"
  image_id         = "ami-05fb4f257abd42992"
  instance_type    = "t3.small"
  user_data_base64 = data.ecshost_user_data.hosts.base64
}

resource "ecshost_instance_verification" "gate" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  require_runtime_report    = false
  timeout                   = "0s"

  triggers = {
    deployment = "2026-11-29.1"
  }
}

data "ecshost_instance_verification" "fleet" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  require_runtime_report    = false

  depends_on = [ecshost_instance_verification.gate]
}
