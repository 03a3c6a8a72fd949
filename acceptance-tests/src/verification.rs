//! What the `ecshost_instance_verification` tests share: the Terraform
//! configuration of a shell-format launch template on moto, and readers of
//! the data source's `instances` output.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// The AMI id the verification tests launch (moto knows it).
pub const AMI: &str = "ami-05fb4f257abd42992";

/// The provider block (EC2 — and ECS when `ecs` — through `endpoint`), a
/// shell-format user data for `cluster`, the launch template `hosts`
/// rendering it, then `body`.
pub fn hosts_config(endpoint: &str, ecs: bool, cluster: &str, body: &str) -> String {
    let endpoints: &[(&str, &str)] = if ecs {
        &[("ec2", endpoint), ("ecs", endpoint)]
    } else {
        &[("ec2", endpoint)]
    };
    let provider = crate::terraform::provider_block(endpoints, &[]);
    format!(
        r#"{provider}data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "{cluster}"
}}
resource "ecshost_launch_template" "hosts" {{
  name          = "ecs-hosts"
  image_id      = "{AMI}"
  instance_type = "t3.small"
  user_data     = data.ecshost_user_data.hosts.base64
}}
{body}
"#
    )
}

/// The `instances` output (a list of objects with `id`) by instance id.
///
/// Panics when `v` has no `instances` list: a test's assertion.
pub fn by_id(v: &Json) -> BTreeMap<String, Json> {
    v["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_owned(), i.clone()))
        .collect()
}

/// An instance's `problems`, joined with ` | ` for assertion messages.
pub fn problems(i: &Json) -> String {
    i["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ")
}
