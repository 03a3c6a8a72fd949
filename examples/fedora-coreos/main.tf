# Fedora CoreOS / RHEL 9: NetworkManager manages lo from 1.42 on
# (type=loopback keyfile), and the host boots from Ignition.
terraform {
  required_providers {
    ecshost = {
      source = "ecshost/ecshost"
    }
  }
}

data "ecshost_loopback_config" "nm" {
  format = "networkmanager"
}

data "ecshost_user_data" "fcos" {
  host_format      = "ignition"
  cluster          = "fcos-fleet"
  ignition_version = "3.3.0"
  firewall_backend = "nftables"
}

output "keyfile_path" {
  value = data.ecshost_loopback_config.nm.path
}

output "keyfile" {
  value = data.ecshost_loopback_config.nm.content
}

output "user_data_base64" {
  value = data.ecshost_user_data.fcos.base64
}
