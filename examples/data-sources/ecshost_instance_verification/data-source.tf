data "ecshost_user_data" "hosts" {
  host_format = "cloud_init"
  cluster     = "production"
  gzip        = true
}

resource "ecshost_launch_template" "hosts" {
  name          = "ecs-hosts"
  image_id      = "ami-05fb4f257abd42992"
  instance_type = "m6i.large"
  user_data     = data.ecshost_user_data.hosts.base64

  update_default_version = true
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}

# Checked on every plan and apply; a failed assertion is a warning, never
# a blocked apply. The data source's default timeout is 0s: one look.
check "ecs_hosts_configured" {
  data "ecshost_instance_verification" "hosts" {
    launch_template_id        = ecshost_launch_template.hosts.id
    expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
    expected_version          = ecshost_launch_template.hosts.latest_version
    # Every running instance is an ACTIVE, connected container instance of
    # the cluster its user data names (after 5 minutes' registration grace).
    ecs_cluster = data.ecshost_user_data.hosts.cluster
    # Large fleets: own user data and console of 20 instances per version;
    # every instance still gets the page-priced checks.
    sample_size = 20
  }

  assert {
    condition = data.ecshost_instance_verification.hosts.all_ok
    error_message = join("\n", flatten([
      for i in data.ecshost_instance_verification.hosts.instances :
      [for p in i.problems : "${i.id}: ${p}"]
    ]))
  }
}
