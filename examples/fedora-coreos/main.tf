# Fedora CoreOS / RHEL 9: NetworkManager manages lo from 1.42 on
# (type=loopback keyfile), and the host boots from Ignition.
#
# SELinux is enforcing on these hosts. The agent container runs with
# `--security-opt=label=disable` (every render does): it holds the Docker
# socket, which is root on the host whatever its label, and relabelling its
# mounts (`:z`) would relabel all of /var/run and /sys/fs/cgroup. ecs-init
# does nothing about SELinux (Amazon Linux does not enforce it).
# Proven in this repository: the option is in the rendered `docker run`
# (unit test `agent::tests::selinux_label_confinement_is_off_for_the_agent`),
# and the host lab's Docker 20.10 (no SELinux) starts the agent with it in
# every lab test. Only on paper: an SELinux-enforcing host — none runs here.
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
