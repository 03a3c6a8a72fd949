# End to end: render user data for ECS hosts and manage the launch template
# that carries it. `bash .ci/main-job` applies this against a local EC2
# emulator (moto) by setting ec2_endpoint; leave it null for real AWS.
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

variable "cluster" {
  type    = string
  default = "complete-example"
}

provider "ecshost" {
  region = "us-east-1"
  endpoints {
    ec2 = var.ec2_endpoint
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
  name             = "${var.cluster}-hosts"
  image_id         = "ami-05fb4f257abd42992"
  instance_type    = "t3.medium"
  user_data_base64 = data.ecshost_user_data.hosts.base64
  tags = {
    cluster = var.cluster
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
