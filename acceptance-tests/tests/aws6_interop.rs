//! hashicorp/aws 6.x as users run it today (the current majors of the
//! terraform-aws-modules need ≥ 6.33), through real Terraform against moto:
//!
//! - the arguments 6.x added to `aws_launch_template` exist in
//!   `ecshost_launch_template` under the same names and meaning — the
//!   per-resource `region`, `network_performance_options`,
//!   `secondary_interfaces`, `cpu_options.nested_virtualization`,
//!   `network_interfaces.ena_queue_count`, `placement.group_id` — and
//!   round-trip through EC2 (moto, in the Region named), with an empty plan
//!   after apply and an import by 6.x's `<id>@<region>` form that reads the
//!   same values;
//! - a `moved` block adopts an `aws_launch_template` whose state hashicorp/aws
//!   6.x wrote (a `region` attribute, no `elastic_gpu_specifications` or
//!   `elastic_inference_accelerator`, SDKv2's zero values for the new
//!   arguments) with no changes, and a user-data change afterwards keeps
//!   every other field.
//!
//! **No 6.x binary is on these machines** (only 5.100.0 is in the
//! filesystem mirror), so the 6.x state is built from 6.x's published
//! schema and documentation: a state 5.100.0 wrote for the same template,
//! rewritten the way 6.x stores it (`website/docs/r/launch_template.html.markdown`
//! of hashicorp/terraform-provider-aws at v6; the 6.0.0 upgrade guide for the
//! removed blocks and `region`). The argument names and value sets come from
//! the same page; the EC2 member names from aws-sdk-ec2 1.274's model, which
//! moto's botocore model matches.

use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{moved_block, require_aws_mirror, Workdir};
use serde_json::{json, Value as Json};

const AMI: &str = "ami-05fb4f257abd42992";

const SIX_X_BODY: &str = r#"
resource "ecshost_launch_template" "x" {
  name          = "six-x"
  region        = "eu-west-1"
  image_id      = "ami-05fb4f257abd42992"
  instance_type = "c8i.large"
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
  cpu_options {
    nested_virtualization = "enabled"
  }
  network_performance_options {
    bandwidth_weighting = "vpc-1"
  }
  network_interfaces {
    device_index    = 0
    ena_queue_count = 4
    subnet_id       = "subnet-0123456789abcdef0"
  }
  placement {
    group_id = "pg-0123456789abcdef0"
  }
  secondary_interfaces {
    device_index          = 1
    delete_on_termination = true
    interface_type        = "secondary"
    secondary_subnet_id   = "subnet-0fedcba9876543210"
    private_ip_addresses  = ["10.1.0.5"]
  }
}
"#;

#[test]
fn six_x_arguments_round_trip_in_the_region_named() {
    if !require_aws_mirror() {
        return;
    }
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&format!("{}{SIX_X_BODY}", moto.aws_and_ecshost_providers()));
    wd.init();
    wd.apply();
    let v = wd.values("ecshost_launch_template.x");
    assert_eq!(v["region"], json!("eu-west-1"));
    let id = v["id"].as_str().expect("id").to_owned();
    assert!(
        v["arn"]
            .as_str()
            .unwrap_or_default()
            .contains(":eu-west-1:"),
        "the ARN names the Region: {}",
        v["arn"]
    );
    // EC2 in eu-west-1 holds every 6.x member as sent …
    let d = moto.template_version("eu-west-1", &id, 1).data.to_json();
    assert_eq!(
        d["CpuOptions"]["NestedVirtualization"],
        json!("enabled"),
        "{d:#}"
    );
    assert_eq!(
        d["NetworkPerformanceOptions"],
        json!({"BandwidthWeighting": "vpc-1"}),
        "{d:#}"
    );
    assert_eq!(
        d["NetworkInterfaces"][0]["EnaQueueCount"],
        json!(4),
        "{d:#}"
    );
    assert_eq!(
        d["Placement"]["GroupId"],
        json!("pg-0123456789abcdef0"),
        "{d:#}"
    );
    assert_eq!(
        d["SecondaryInterfaces"],
        json!([{
            "DeleteOnTermination": true,
            "DeviceIndex": 1,
            "InterfaceType": "secondary",
            "PrivateIpAddresses": [{"PrivateIpAddress": "10.1.0.5"}],
            "SecondarySubnetId": "subnet-0fedcba9876543210"
        }]),
        "{d:#}"
    );
    // … and the provider's Region holds nothing.
    let home = moto.with_ec2(async |ec2| ec2.describe_template_by_name("six-x").await);
    assert!(matches!(home, Ok(None)), "nothing in us-east-1: {home:?}");
    wd.assert_empty_plan();

    // Import by 6.x's <id>@<region>: the same values, and no changes.
    wd.ok(&["state", "rm", "ecshost_launch_template.x"]);
    let r = wd.run(&["import", "-no-color", "ecshost_launch_template.x", &id]);
    assert_ne!(r.code, 0, "without @region the import looks in us-east-1");
    assert!(
        r.stderr.contains("Launch Template Not Found"),
        "{}",
        r.stderr
    );
    let r = wd.run(&[
        "import",
        "-no-color",
        "ecshost_launch_template.x",
        &format!("{id}@eu-west"),
    ]);
    assert_ne!(r.code, 0);
    let err = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(err.contains("is not a Region name"), "{err}");
    wd.ok(&[
        "import",
        "-no-color",
        "ecshost_launch_template.x",
        &format!("{id}@eu-west-1"),
    ]);
    let after = wd.values("ecshost_launch_template.x");
    for k in [
        "id",
        "region",
        "cpu_options",
        "network_performance_options",
        "network_interfaces",
        "placement",
        "secondary_interfaces",
        "latest_version",
    ] {
        assert_eq!(v[k], after[k], "{k} differs after the import");
    }
    wd.assert_empty_plan();

    // Another Region replaces the template (as in 6.x).
    wd.write_config(&format!(
        "{}{}",
        moto.aws_and_ecshost_providers(),
        SIX_X_BODY.replace("eu-west-1", "eu-central-1")
    ));
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("must be replaced") && plan.contains("# forces replacement"),
        "{plan}"
    );
}

/// The attributes of `aws_launch_template.x` in a pulled state, rewritten
/// as hashicorp/aws 6.x stores them: a `region`, no `elastic_*` blocks,
/// and SDKv2's zero values for the arguments 6.x added (`[]` for unset
/// blocks, `""`/`0` inside present ones).
fn as_six_x_wrote_it(state: &mut Json) {
    let res = state["resources"]
        .as_array_mut()
        .expect("resources")
        .iter_mut()
        .find(|r| r["type"] == "aws_launch_template")
        .expect("aws_launch_template in the state");
    let a = res["instances"][0]["attributes"]
        .as_object_mut()
        .expect("attributes");
    for gone in [
        "elastic_gpu_specifications",
        "elastic_inference_accelerator",
    ] {
        assert!(a.remove(gone).is_some(), "5.100.0 wrote {gone}");
    }
    a.insert("region".into(), json!("us-east-1"));
    a.insert("network_performance_options".into(), json!([]));
    a.insert("secondary_interfaces".into(), json!([]));
    for (block, key, zero) in [
        ("cpu_options", "nested_virtualization", json!("")),
        ("network_interfaces", "ena_queue_count", json!(0)),
        ("placement", "group_id", json!("")),
    ] {
        let items = a[block].as_array_mut().expect(block);
        assert!(!items.is_empty(), "the template sets {block}");
        for it in items {
            it[key] = zero.clone();
        }
    }
}

#[test]
fn moved_from_a_state_hashicorp_aws_6_wrote() {
    if !require_aws_mirror() {
        return;
    }
    let moto = Moto::start();
    let wd: Workdir = moto.workdir();
    let head = moto.aws_and_ecshost_providers();
    let body = |kind: &str, ud: &str| {
        format!(
            r#"
resource "{kind}" "x" {{
  name          = "from-six"
  image_id      = "{AMI}"
  instance_type = "m6i.large"
  user_data     = "{ud}"
  metadata_options {{
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
    instance_metadata_tags      = "disabled"
  }}
  cpu_options {{
    core_count       = 1
    threads_per_core = 1
  }}
  network_interfaces {{
    device_index    = 0
    subnet_id       = "subnet-0123456789abcdef0"
    security_groups = ["sg-0123456789abcdef0"]
  }}
  placement {{
    availability_zone = "us-east-1a"
  }}
  tags = {{ team = "platform" }}
}}
"#
        )
    };
    let ud = "IyEvYmluL3NoCmVjaG8gb25lCg==";
    wd.write_config(&format!("{head}{}", body("aws_launch_template", ud)));
    wd.init();
    wd.apply();
    let id = wd.values("aws_launch_template.x")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let pulled = wd.ok(&["state", "pull"]).stdout;
    let mut state: Json = serde_json::from_str(&pulled).expect("state JSON");
    as_six_x_wrote_it(&mut state);
    state["serial"] = json!(state["serial"].as_i64().unwrap_or(0) + 1);
    wd.write_file("six-x.tfstate", &state.to_string());
    wd.ok(&["state", "push", "six-x.tfstate"]);

    let moved = moved_block("aws_launch_template.x", "ecshost_launch_template.x");
    wd.write_config(&format!(
        "{head}{}{moved}",
        body("ecshost_launch_template", ud)
    ));
    let r = wd.run(&["plan", "-no-color"]);
    assert!(
        r.stdout.contains("has moved to ecshost_launch_template.x")
            && r.stdout
                .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    wd.apply();
    let v = wd.values("ecshost_launch_template.x");
    assert_eq!(
        (v["id"].as_str(), &v["region"]),
        (Some(id.as_str()), &json!("us-east-1"))
    );
    assert_eq!(v["latest_version"], json!(1), "no version written");
    wd.assert_empty_plan();

    // A user-data change: one new version, every other field as before.
    let ud2 = "IyEvYmluL3NoCmVjaG8gdHdvCg==";
    wd.write_config(&format!(
        "{head}{}{moved}",
        body("ecshost_launch_template", ud2)
    ));
    wd.apply();
    let (one, two) = (
        moto.template_version("us-east-1", &id, 1).data.to_json(),
        moto.template_version("us-east-1", &id, 2).data.to_json(),
    );
    let without_ud = |d: &Json| {
        let mut d = d.clone();
        d.as_object_mut().expect("data").remove("UserData");
        d
    };
    assert_eq!(two["UserData"], json!(ud2));
    assert_eq!(without_ud(&one), without_ud(&two));
    wd.assert_empty_plan();
}
