# User data for an Ubuntu/Debian/AL2 host with cloud-init: the loopback
# alias, the agent on its own bridge network, the metadata block and the
# boot-time self-check, gzipped.
data "ecshost_user_data" "hosts" {
  host_format = "cloud_init"
  cluster     = "production"
  gzip        = true
}

output "user_data_sha256" {
  value = data.ecshost_user_data.hosts.sha256
}
