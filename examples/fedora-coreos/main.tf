# Fedora CoreOS / RHEL 9: NetworkManager manages lo from 1.42 on
# (type=loopback keyfile), and the host boots from Ignition.
#
# SELinux is enforcing on these hosts. The agent container runs with
# `--security-opt=label=disable` (every render does), so it runs as `spc_t`,
# the container policy's unconfined domain: as `container_t` it could not
# connect to the Docker socket, write /var/log/ecs or /var/lib/ecs/data, or
# create task cgroups. Relabelling its mounts (`:z`) instead is refused for
# /var/run (it is /run) and would relabel the host's /sys/fs/cgroup. ecs-init
# does nothing about SELinux (Amazon Linux does not enforce it).
# Proven in this repository: every rendered `docker run` against the labels
# Fedora's policy gives each mounted path, as read in container-selinux and
# selinux-policy (unit test `selinux::tests::the_agent_run_meets_fedoras_policy`;
# docs/guides/how-it-works.md, "SELinux hosts (Fedora CoreOS)"), and the host
# lab's Docker (no SELinux) starts the real agent with the option in every lab
# test. Only on paper: an SELinux-enforcing host — none runs here.
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
