# End to end: render user data for ECS hosts, manage the launch template
# that carries it, and verify the instances launched from it (their own
# user data, metadata options, self-check report and ECS membership).
# `bash .ci/main-job` applies this against a local EC2/ECS emulator (moto)
# by setting ec2_endpoint and ecs_endpoint; leave them null for real AWS.
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

variable "ec2_endpoint" {
  description = "Custom EC2 endpoint (a local emulator); null for AWS."
  type        = string
  default     = null
}

variable "ecs_endpoint" {
  description = "Custom ECS endpoint (a local emulator); null for AWS."
  type        = string
  default     = null
}

variable "cluster" {
  type    = string
  default = "complete-example"
}

provider "ecshost" {
  region = "us-east-1"
  endpoints {
    ec2 = var.ec2_endpoint
    ecs = var.ecs_endpoint
  }
  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

data "ecshost_user_data" "hosts" {
  host_format = "cloud_init"
  cluster     = var.cluster
  gzip        = true
}

resource "ecshost_launch_template" "hosts" {
  name          = "${var.cluster}-hosts"
  image_id      = "ami-05fb4f257abd42992"
  instance_type = "t3.medium"
  user_data     = data.ecshost_user_data.hosts.base64

  # New versions become the default, so Auto Scaling groups that launch
  # $Default pick them up.
  update_default_version = true

  # IMDSv2 only; hop limit 2 so the agent on its bridge network gets tokens.
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tags = {
    cluster = var.cluster
  }
}

# What the hosts run, file by file, as plain text in every plan: the
# template's user_data is gzip+base64, so its own diff is one opaque
# string, while here a change shows line by line ("- ECS_LOGLEVEL=info",
# "+ ECS_LOGLEVEL=debug"). terraform_data is built into Terraform (1.4+).
# /etc/ecs/ecs.config holds what `config` says: if that carries secrets
# (ECS_ENGINE_AUTH_DATA), leave that file out, as plans print it.
resource "terraform_data" "host_files" {
  input = data.ecshost_user_data.hosts.files
}

# Instances launched from the template must run its configuration and
# serve the cluster: each instance's own user data, metadata options,
# self-check report, and its ECS container instance (ACTIVE, agent
# connected). Read on every plan; its table is the `verification` output.
# (A data source scoped inside the check block would turn read errors, such
# as missing IAM permissions, into warnings too, but outputs cannot read it.)
data "ecshost_instance_verification" "hosts" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = var.cluster
}

# Problems warn (the apply goes on); see the pipelines guide for the gating
# resource.
check "hosts_verified" {
  assert {
    condition     = data.ecshost_instance_verification.hosts.all_ok
    error_message = "${data.ecshost_instance_verification.hosts.instance_count - data.ecshost_instance_verification.hosts.ok_count} instance(s) fail verification: see the verification output."
  }
}

output "launch_template_id" {
  value = ecshost_launch_template.hosts.id
}

output "user_data_sha256" {
  value = ecshost_launch_template.hosts.user_data_sha256
}

output "user_data_bytes" {
  value = data.ecshost_user_data.hosts.size_bytes
}

output "verification" {
  description = "Each instance: version, state, ECS status, whether it was deep-checked, and what fails."
  value       = data.ecshost_instance_verification.hosts.summary_table
}
