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

  # Each new version becomes the default (as in hashicorp/aws).
  update_default_version = true

  # IMDSv2 only; hop limit 2 so the agent on its bridge network gets tokens.
  # Task containers are kept away by the DOCKER-USER rule in the user data.
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tags = {
    team = "platform"
  }
}
