# A systemd-networkd unit (Flatcar, AL2023) that keeps 127.0.0.1/8 on lo
# and adds the ECS credentials address.
data "ecshost_loopback_config" "networkd" {
  format = "networkd"
}

# The same for an Ubuntu host configured with netplan.
data "ecshost_loopback_config" "netplan" {
  format = "netplan"
}

output "networkd_unit" {
  value = data.ecshost_loopback_config.networkd.content
}
