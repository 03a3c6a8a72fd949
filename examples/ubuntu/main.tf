# Ubuntu with netplan: the loopback alias as a netplan file, and the whole
# host setup as gzipped cloud-init user data.
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

data "ecshost_loopback_config" "netplan" {
  format = "netplan"
}

data "ecshost_user_data" "ubuntu" {
  host_format      = "cloud_init"
  cluster          = "ubuntu-fleet"
  gzip             = true
  firewall_backend = "iptables"
}

output "netplan_file" {
  value = data.ecshost_loopback_config.netplan.content
}

output "user_data_base64" {
  value = data.ecshost_user_data.ubuntu.base64
}
