# Flatcar Container Linux: Ignition user data (never gzipped: Ignition on
# AWS does not gunzip).
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

data "ecshost_user_data" "flatcar" {
  host_format      = "ignition"
  cluster          = "flatcar-fleet"
  ignition_version = "3.3.0"
}

output "user_data_base64" {
  value = data.ecshost_user_data.flatcar.base64
}

output "size_bytes" {
  value = data.ecshost_user_data.flatcar.size_bytes
}
