# Amazon Linux 2023 without the ECS-optimized AMI's ecs-init: systemd-networkd
# owns lo, cloud-init runs the user data.
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

data "ecshost_loopback_config" "networkd" {
  format = "networkd"
}

data "ecshost_user_data" "al2023" {
  host_format = "cloud_init"
  cluster     = "al2023-fleet"
  gzip        = true
  config = {
    ECS_ENABLE_SPOT_INSTANCE_DRAINING = "true"
  }
}

output "networkd_unit" {
  value = data.ecshost_loopback_config.networkd.content
}

output "user_data_sha256" {
  value = data.ecshost_user_data.al2023.sha256
}
