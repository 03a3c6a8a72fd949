# Migrated for 0.2.0 (docs/guides/migrating-from-aws-launch-template.md,
# "From ecshost 0.1"): iam_instance_profile is a block, user_data replaces
# user_data_base64, vpc_security_group_ids replaces security_group_ids,
# update_default_version has no default (0.1.0 defaulted to true) and an
# omitted metadata_options block sends nothing (0.1.0 sent http_tokens =
# "required" and hop limit 2), so both are written out where 0.1.0 filled
# them in.

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
  vpc_security_group_ids = ["sg-0123456789abcdef0", "sg-0fedcba987654321f"]
  key_name               = "ops"
  user_data              = data.ecshost_user_data.full.base64
  update_default_version = true

  iam_instance_profile {
    name = "ecs-host"
  }

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

# 0.1.0's defaults written out: update_default_version and metadata_options.
resource "ecshost_launch_template" "minimal" {
  name_prefix            = "ecs-hosts-"
  user_data              = data.ecshost_user_data.minimal.base64
  update_default_version = true

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}

# Instance profile by ARN; new versions do not become the default, so after
# the second apply latest_version = 2 and default_version = 1.
resource "ecshost_launch_template" "pinned" {
  name                   = "ecs-hosts-pinned"
  image_id               = "ami-05fb4f257abd42992"
  instance_type          = "m6i.large"
  vpc_security_group_ids = ["sg-0123456789abcdef0"]
  user_data              = data.ecshost_user_data.pinned.base64
  update_default_version = false

  iam_instance_profile {
    arn = "arn:aws:iam::123456789012:instance-profile/ecs-batch"
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}

data "ecshost_loopback_config" "networkd" {
  format = "networkd"
}

data "ecshost_agent_options" "agent" {
  cluster = "production"
}
