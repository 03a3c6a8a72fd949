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

data "ecshost_user_data" "full" {
  host_format = "cloud_init"
  cluster     = "production"
  gzip        = true
}

data "ecshost_user_data" "minimal" {
  host_format = "shell"
  cluster     = "minimal"
}

data "ecshost_user_data" "pinned" {
  host_format = "shell"
  cluster     = "batch-green"
}

# Every argument of schema version 0. Applied twice: latest_version = 2.
resource "ecshost_launch_template" "full" {
  name                   = "ecs-hosts-full"
  description            = "ECS container hosts"
  image_id               = "ami-05fb4f257abd42992"
  instance_type          = "t3.small"
  iam_instance_profile   = "ecs-host"
  security_group_ids     = ["sg-0123456789abcdef0", "sg-0fedcba987654321f"]
  key_name               = "ops"
  user_data_base64       = data.ecshost_user_data.full.base64
  update_default_version = true

  tags = {
    team = "platform"
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 3
    http_endpoint               = "enabled"
    instance_metadata_tags      = "enabled"
  }
}

# Defaults only: a generated name, update_default_version and
# metadata_options as the provider fills them in.
resource "ecshost_launch_template" "minimal" {
  name_prefix      = "ecs-hosts-"
  user_data_base64 = data.ecshost_user_data.minimal.base64
}

# Instance profile by ARN; new versions do not become the default, so after
# the second apply latest_version = 2 and default_version = 1.
resource "ecshost_launch_template" "pinned" {
  name                   = "ecs-hosts-pinned"
  image_id               = "ami-05fb4f257abd42992"
  instance_type          = "m6i.large"
  iam_instance_profile   = "arn:aws:iam::123456789012:instance-profile/ecs-batch"
  security_group_ids     = ["sg-0123456789abcdef0"]
  user_data_base64       = data.ecshost_user_data.pinned.base64
  update_default_version = false
}

data "ecshost_loopback_config" "networkd" {
  format = "networkd"
}

data "ecshost_agent_options" "agent" {
  cluster = "production"
}
