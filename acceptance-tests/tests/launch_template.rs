//! `ecshost_launch_template` through real Terraform against moto in server
//! mode: create → empty re-plan → update (new version, default moved) →
//! tags in place → out-of-band change detected → import by id and by name
//! (ImportStateVerify-style) → `import {}` with -generate-config-out →
//! deleted outside Terraform → destroy; guard rails; and the move from
//! hashicorp/aws's `aws_launch_template`.

use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{moved_block, require_aws_mirror, Workdir};
use serde_json::{json, Value as Json};

const AMI: &str = "ami-05fb4f257abd42992";

fn config(moto: &Moto, body: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    ecshost = {{ source = "ecshost/ecshost" }}
  }}
}}
provider "ecshost" {{
  region = "us-east-1"
  endpoints {{
    ec2 = "{}"
  }}
  max_attempts = 2
  default_tags {{
    tags = {{ managed-by = "terraform" }}
  }}
}}
{body}
"#,
        moto.endpoint
    )
}

fn lt(cluster: &str, tags: &str) -> String {
    format!(
        r#"
data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "{cluster}"
}}
resource "ecshost_launch_template" "hosts" {{
  name                   = "ecs-hosts"
  image_id               = "{AMI}"
  instance_type          = "t3.small"
  user_data              = data.ecshost_user_data.hosts.base64
  update_default_version = true
  tags                   = {tags}
}}
"#
    )
}

const IMPORT_COMPARE: &[&str] = &[
    "id",
    "arn",
    "name",
    "image_id",
    "instance_type",
    "user_data",
    "user_data_sha256",
    "latest_version",
    "default_version",
    "tags_all",
];

#[test]
fn launch_template_lifecycle() {
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&config(&moto, &lt("blue", r#"{ team = "platform" }"#)));
    wd.init();
    wd.apply();
    let v = wd.values("ecshost_launch_template.hosts");
    let ud = wd.values("data.ecshost_user_data.hosts");
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("lt-"), "{v:#}");
    assert!(
        v["arn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":launch-template/{id}")),
        "{v:#}"
    );
    assert_eq!(v["latest_version"], json!(1));
    assert_eq!(v["default_version"], json!(1));
    assert_eq!(
        v["user_data_sha256"], ud["sha256"],
        "same definition as the data source"
    );
    assert_eq!(
        v["tags_all"],
        json!({"managed-by": "terraform", "team": "platform"})
    );
    assert_eq!(
        v["metadata_options"],
        json!([]),
        "omitted block stays omitted"
    );
    wd.assert_empty_plan();

    // Template data change → new version, default moved.
    wd.write_config(&config(&moto, &lt("green", r#"{ team = "platform" }"#)));
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("update in-place") && plan.contains("latest_version"),
        "{plan}"
    );
    wd.apply();
    let v = wd.values("ecshost_launch_template.hosts");
    assert_eq!(
        (v["latest_version"].clone(), v["default_version"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(v["id"], json!(id), "same template");
    wd.assert_empty_plan();

    // Tags only → in place, no new version.
    wd.write_config(&config(
        &moto,
        &lt("green", r#"{ team = "platform", env = "prod" }"#),
    ));
    wd.apply();
    let v = wd.values("ecshost_launch_template.hosts");
    assert_eq!(v["latest_version"], json!(2), "tags do not make versions");
    assert_eq!(v["tags_all"]["env"], json!("prod"));
    wd.assert_empty_plan();

    // Out-of-band rollback: someone points the default back at version 1.
    // update_default_version acts on new versions only (hashicorp/aws's
    // meaning), so the rollback is no drift to undo.
    moto.with_ec2(async |ec2| ec2.set_default_version(&id, 1).await.expect("default"));
    wd.assert_empty_plan();
    wd.apply();
    assert_eq!(
        moto.with_ec2(async |ec2| ec2.describe_template_by_id(&id).await.expect("template"))
            .map(|t| t.default_version),
        Some(1),
        "the rolled-back default stays"
    );

    // Out-of-band: a new version with other user data becomes the latest.
    moto.create_version_out_of_band(&id, "IyEvYmluL3NoCmVjaG8gaGFuZC13cml0dGVuCg==");
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("user_data") && plan.contains("image_id"),
        "drift shows in the plan (moto's version holds the user data only): {plan}"
    );
    wd.apply();
    let v = wd.values("ecshost_launch_template.hosts");
    assert_eq!(
        (v["latest_version"].clone(), v["default_version"].clone()),
        (json!(4), json!(4)),
        "the managed data is written back as a new version, the default"
    );
    assert_eq!(v["metadata_options"], json!([]), "{v:#}");
    wd.assert_empty_plan();

    // Import by id and by name gives the same state.
    let before = wd.values("ecshost_launch_template.hosts");
    for import_id in [id.as_str(), "ecs-hosts"] {
        wd.ok(&["state", "rm", "ecshost_launch_template.hosts"]);
        let r = wd.ok(&[
            "import",
            "-no-color",
            "ecshost_launch_template.hosts",
            import_id,
        ]);
        assert!(
            r.stdout.contains("Follows the Design") || r.stderr.contains("Follows the Design"),
            "import explains the user data: {}\n{}",
            r.stdout,
            r.stderr
        );
        let after = wd.values("ecshost_launch_template.hosts");
        for k in IMPORT_COMPARE {
            assert_eq!(
                before[*k], after[*k],
                "{k} differs after import by {import_id}"
            );
        }
        wd.assert_empty_plan();
    }

    // Deleted outside Terraform → warning, planned re-creation.
    moto.delete_template_out_of_band(&id);
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("will be created"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Deleted Outside Terraform")
            || r.stderr.contains("Deleted Outside Terraform"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    wd.apply();
    let new_id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    wd.destroy();
    assert!(
        !moto.template_exists(&new_id),
        "destroy deleted the template in EC2"
    );
}

#[test]
fn import_block_generates_usable_config() {
    let moto = Moto::start();
    let id = moto.create_template_out_of_band(
        "handwritten",
        // AWS's own recipe: --net host and a DNAT rule.
        "IyEvYmluL2Jhc2gKaXB0YWJsZXMgLXQgbmF0IC1BIFBSRVJPVVRJTkcgLXAgdGNwIC1kIDE2OS4yNTQuMTcwLjIgLS1kcG9ydCA4MCAtaiBETkFUIC0tdG8tZGVzdGluYXRpb24gMTI3LjAuMC4xOjUxNjc5CnN5c2N0bCAtdyBuZXQuaXB2NC5jb25mLmFsbC5yb3V0ZV9sb2NhbG5ldD0xCmRvY2tlciBydW4gLS1uYW1lIGVjcy1hZ2VudCAtLW5ldD1ob3N0IGFtYXpvbi9hbWF6b24tZWNzLWFnZW50Cg==",
    );
    let wd = moto.workdir();
    wd.write_config(&config(
        &moto,
        &format!("import {{\n  to = ecshost_launch_template.old\n  id = \"{id}\"\n}}\n"),
    ));
    wd.init();
    let r = wd.run(&["plan", "-generate-config-out=generated.tf", "-no-color"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("Does Not Follow the Design") && all.contains("host networking"),
        "{all}"
    );
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    assert!(
        generated.contains("resource \"ecshost_launch_template\" \"old\""),
        "{generated}"
    );
    wd.apply();
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        r.code, 0,
        "generated config plans empty after import:\n{}\n{}\n{generated}",
        r.stdout, r.stderr
    );
}

#[test]
fn guard_rails_are_plan_time_diagnostics() {
    let moto = Moto::start();
    let wd = moto.workdir();
    // Known at validate time: refused there.
    let literal = r#"
resource "ecshost_launch_template" "y" {
  name             = "warned"
  user_data_base64 = "%%%"
  metadata_options {
    http_tokens = "optional"
  }
}
"#;
    wd.write_config(&config(&moto, literal));
    wd.init();
    let r = wd.run(&["validate", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("Invalid Base64"), "{}", r.stderr);
    // Terraform prints warnings on stdout, errors on stderr.
    assert!(
        format!("{}{}", r.stdout, r.stderr).contains("IMDSv1 Allowed"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    // User data from a data source is known at plan time: the hop limit
    // is judged then, against what the user data runs.
    let rendered = r#"
data "ecshost_user_data" "bridge" {
  host_format = "shell"
  cluster     = "guarded"
}
resource "ecshost_launch_template" "x" {
  name      = "guarded"
  user_data = data.ecshost_user_data.bridge.base64
  metadata_options {
    http_put_response_hop_limit = 1
  }
}
"#;
    wd.write_config(&config(&moto, rendered));
    let r = wd.run(&["validate", "-no-color"]);
    assert_eq!(r.code, 0, "unknown at validate: {}", r.stderr);
    let r = wd.run(&["plan", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("Hop Limit 1 Starves the ECS Agent")
            && r.stderr.contains("http_put_response_hop_limit = 1"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.matches("Error:").count(), 1, "{}", r.stderr);
}

#[test]
fn missing_credentials_give_one_clear_diagnostic() {
    let moto = Moto::start();
    let mut wd = Workdir::new();
    let empty = wd.scratch("aws");
    std::fs::write(empty.join("config"), "").unwrap();
    std::fs::write(empty.join("credentials"), "").unwrap();
    wd.env("AWS_CONFIG_FILE", empty.join("config").to_str().unwrap())
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            empty.join("credentials").to_str().unwrap(),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", "")
        .env("AWS_SECRET_ACCESS_KEY", "");
    wd.write_config(&config(
        &moto,
        r#"resource "ecshost_launch_template" "x" {
  name = "nocreds"
}
"#,
    ));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("no AWS credentials found; looked in"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.stderr.matches("Error:").count(),
        1,
        "one diagnostic: {}",
        r.stderr
    );
    // The render data sources still work without credentials.
    wd.write_config(&config(
        &moto,
        "data \"ecshost_loopback_config\" \"x\" {\n  format = \"shell\"\n}\n",
    ));
    wd.apply();
}

/// A stack created by hashicorp/aws's `aws_launch_template` moves over with
/// no replacement and no new version, and importing the same template by id
/// gives the same state.
#[test]
fn moved_from_aws_launch_template() {
    if !require_aws_mirror() {
        return;
    }
    let moto = Moto::start();
    let wd = moto.workdir();
    let aws = format!(
        r#"{}data "ecshost_user_data" "u" {{
  host_format = "shell"
  cluster     = "moved"
}}
"#,
        moto.aws_and_ecshost_providers()
    );
    let old = r#"
resource "aws_launch_template" "x" {
  name          = "from-aws"
  image_id      = "ami-05fb4f257abd42992"
  instance_type = "t3.small"
  user_data     = data.ecshost_user_data.u.base64
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
    instance_metadata_tags      = "disabled"
  }
  tags = { team = "platform" }
}
"#;
    wd.write_config(&format!("{aws}{old}"));
    wd.init();
    wd.apply();
    let aws_v = wd.values("aws_launch_template.x");
    let new = r#"
resource "ecshost_launch_template" "x" {
  name          = "from-aws"
  image_id      = "ami-05fb4f257abd42992"
  instance_type = "t3.small"
  user_data     = data.ecshost_user_data.u.base64
  metadata_options {}
  tags = { team = "platform" }
}
moved {
  from = aws_launch_template.x
  to   = ecshost_launch_template.x
}
"#;
    wd.write_config(&format!("{aws}{new}"));
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert!(
        r.stdout.contains("has moved to ecshost_launch_template.x"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    wd.apply();
    let v = wd.values("ecshost_launch_template.x");
    assert_eq!(v["id"], aws_v["id"]);
    assert_eq!(v["latest_version"], json!(1), "no new version");
    wd.assert_empty_plan();

    let before: Json = v;
    wd.ok(&["state", "rm", "ecshost_launch_template.x"]);
    wd.ok(&[
        "import",
        "-no-color",
        "ecshost_launch_template.x",
        before["id"].as_str().unwrap(),
    ]);
    let after = wd.values("ecshost_launch_template.x");
    for k in IMPORT_COMPARE {
        assert_eq!(before[*k], after[*k], "{k} differs between move and import");
    }
}

/// Adds a version holding `data` (and makes it the default), as a person
/// in the console would; returns its number.
fn version_out_of_band(moto: &Moto, id: &str, data: serde_json::Map<String, Json>) -> i64 {
    moto.with_ec2(async |ec2| {
        let v = ec2
            .create_version(
                id,
                Some("changed by hand"),
                &ecshost::ec2::template_data::LaunchTemplateData(data),
                &format!("by-hand-{id}-{}", std::process::id()),
            )
            .await
            .expect("create version");
        ec2.set_default_version(id, v).await.expect("default");
        v
    })
}

const RICH: &str = r##"
resource "ecshost_launch_template" "rich" {
  name                   = "rich"
  description            = "hosts with volumes, tags and spot"
  image_id               = "ami-05fb4f257abd42992"
  instance_type          = "m6i.large"
  user_data              = base64encode("#!/bin/bash\necho ECS_CLUSTER=rich >> /etc/ecs/ecs.config\n")
  update_default_version = true
  ebs_optimized          = true

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 30
      volume_type = "gp3"
      encrypted   = true
    }
  }
  block_device_mappings {
    device_name = "/dev/xvdcz"
    ebs {
      volume_size = 100
      volume_type = "gp3"
      iops        = 4000
      throughput  = 250
      encrypted   = true
    }
  }
  instance_market_options {
    market_type = "spot"
    spot_options {
      max_price          = "0.085"
      spot_instance_type = "one-time"
    }
  }
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }
  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "rich", team = "platform" }
  }
  tag_specifications {
    resource_type = "volume"
    tags          = { team = "platform" }
  }
}
"##;

/// Drift on any field shows in the plan, and the apply writes back the
/// whole configured data: a volume size, a tag specification, spot
/// options, each changed by an out-of-band version.
#[test]
fn drift_on_any_field_shows_and_is_written_back() {
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&config(&moto, RICH));
    wd.init();
    wd.apply();
    wd.assert_empty_plan();
    let id = wd.values("ecshost_launch_template.rich")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let v1 = moto.template_version("us-east-1", &id, 1);
    assert!(v1.unknown.is_empty(), "{:?}", v1.unknown);
    /// What drifted, the word the plan shows, and the out-of-band change.
    type Drift = (&'static str, &'static str, fn(&mut Json));
    let cases: &[Drift] = &[
        ("volume size", "volume_size", |d| {
            d["BlockDeviceMappings"][1]["Ebs"]["VolumeSize"] = json!(200)
        }),
        ("tag specification", "Name", |d| {
            d["TagSpecifications"][0]["Tags"] = json!([{"Key": "Name", "Value": "hand"}])
        }),
        ("spot options", "max_price", |d| {
            d["InstanceMarketOptions"]["SpotOptions"]["MaxPrice"] = json!("0.5")
        }),
        ("a block removed", "instance_market_options", |d| {
            d.as_object_mut().unwrap().remove("InstanceMarketOptions");
        }),
    ];
    for (what, shown, change) in cases {
        let latest = wd.values("ecshost_launch_template.rich")["latest_version"]
            .as_i64()
            .unwrap();
        let mut data = moto
            .template_version("us-east-1", &id, latest)
            .data
            .to_json();
        change(&mut data);
        let by_hand = version_out_of_band(&moto, &id, data.as_object().unwrap().clone());
        let plan = wd.plan_with_changes();
        assert!(
            plan.contains(shown) && plan.contains("latest_version"),
            "{what}: the drift shows in the plan:\n{plan}"
        );
        wd.apply();
        let after = wd.values("ecshost_launch_template.rich");
        assert_eq!(after["latest_version"], json!(by_hand + 1), "{what}");
        let written = moto.template_version("us-east-1", &id, by_hand + 1);
        assert!(
            written.data.same_as(&v1.data),
            "{what}: the new version holds the configured data again:\n{:#}\nvs\n{:#}",
            written.data.to_json(),
            v1.data.to_json()
        );
        wd.assert_empty_plan();
    }

    // A user data change: only the version numbers are left to apply.
    // Blocks the version holds unchanged keep EC2's values, unset ones
    // included (metadata options, the first volume's iops and throughput).
    wd.write_config(&config(
        &moto,
        &RICH.replace("echo ECS_CLUSTER=rich", "echo ECS_CLUSTER=rich2"),
    ));
    let plan = wd.plan_with_changes();
    let unknown: Vec<&str> = plan
        .lines()
        .filter(|l| l.contains("(known after apply)"))
        .map(str::trim)
        .filter(|l| !l.starts_with("~ latest_version") && !l.starts_with("~ default_version"))
        .collect();
    assert!(plan.contains("user_data"), "{plan}");
    assert!(
        unknown.is_empty(),
        "only the versions are unknown: {unknown:#?}\n{plan}"
    );
    wd.apply();
    wd.assert_empty_plan();
}

/// A version holding a field ecshost_launch_template cannot express
/// (Placement.AvailabilityZoneId: EC2 has it, hashicorp/aws has no
/// argument for it in 5.100.0 or 6.x) is never overwritten without it: the refresh warns,
/// a template-data change fails at plan time naming the field, and no
/// version is written; tags still change.
#[test]
fn a_field_the_schema_cannot_express_stops_the_write() {
    use aws_sdk_ec2::types::{
        LaunchTemplatePlacementRequest, RequestLaunchTemplateData, ResourceType, Tag,
        TagSpecification,
    };
    let moto = Moto::start();
    let ud = "IyEvYmluL2Jhc2gKZWNobyBFQ1NfQ0xVU1RFUj1hcHAgPj4gL2V0Yy9lY3MvZWNzLmNvbmZpZwo=";
    let id = moto.with_ec2(async |ec2| {
        let out = ec2
            .sdk()
            .create_launch_template()
            .launch_template_name("newer-than-us")
            // The provider block's default_tags, so adoption changes nothing.
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::LaunchTemplate)
                    .tags(Tag::builder().key("managed-by").value("terraform").build())
                    .build(),
            )
            .launch_template_data(
                RequestLaunchTemplateData::builder()
                    .image_id(AMI)
                    .user_data(ud)
                    .placement(
                        LaunchTemplatePlacementRequest::builder()
                            .availability_zone("us-east-1a")
                            .availability_zone_id("use1-az1")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .expect("create");
        out.launch_template()
            .unwrap()
            .launch_template_id()
            .unwrap()
            .to_owned()
    });
    assert_eq!(
        moto.template_version("us-east-1", &id, 1).unknown,
        ["Placement.AvailabilityZoneId"],
        "moto stores the field and the EC2 layer reports it"
    );
    let wd = moto.workdir();
    let body = |ud: &str, tags: &str| {
        format!(
            r#"
import {{
  to = ecshost_launch_template.x
  id = "{id}"
}}
resource "ecshost_launch_template" "x" {{
  name      = "newer-than-us"
  image_id  = "{AMI}"
  user_data = "{ud}"
  tags      = {tags}
  placement {{
    availability_zone = "us-east-1a"
  }}
}}
"#
        )
    };
    wd.write_config(&config(&moto, &body(ud, "null")));
    wd.init();
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("Holds Fields This Provider Cannot Write")
            && all.contains("Placement.AvailabilityZoneId"),
        "adoption warns: {all}"
    );
    assert!(all.contains("0 added, 0 changed"), "{all}");
    // A template data change: refused at plan time, naming the field.
    let other = "IyEvYmluL2Jhc2gKZWNobyBFQ1NfQ0xVU1RFUj1vdGhlciA+PiAvZXRjL2Vjcy9lY3MuY29uZmlnCg==";
    wd.write_config(&config(&moto, &body(other, "null")));
    let r = wd.run(&["plan", "-no-color"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    // Terraform wraps the detail: compare with whitespace joined.
    let err = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        err.contains("Holds Fields This Provider Cannot Write")
            && err.contains("no argument for: Placement.AvailabilityZoneId")
            && err.contains("To proceed"),
        "{}",
        r.stderr
    );
    let r = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(r.code, 0);
    assert!(
        moto.with_ec2(async |ec2| ec2.describe_template_by_id(&id).await)
            .unwrap()
            .unwrap()
            .latest_version
            == 1,
        "no version was written"
    );
    // Tags make no version: still allowed.
    wd.write_config(&config(&moto, &body(ud, r#"{ team = "platform" }"#)));
    wd.apply();
    assert_eq!(
        wd.values("ecshost_launch_template.x")["tags_all"]["team"],
        json!("platform")
    );
}

/// A volume's type changes to one that takes no IOPS (`io1` → `gp2`) and
/// the configuration drops `iops`: the plan shows `iops` going away, and
/// the new version carries no `Iops` (EC2 refuses `Iops` on a gp2 volume
/// when an instance launches). The same for `throughput` off gp3.
#[test]
fn volume_type_change_drops_settings_the_new_type_does_not_take() {
    let moto = Moto::start();
    let wd = moto.workdir();
    let body = |ebs: &str| {
        format!(
            r#"
resource "ecshost_launch_template" "vol" {{
  name                   = "volumes"
  image_id               = "{AMI}"
  update_default_version = true
  block_device_mappings {{
    device_name = "/dev/xvdcz"
    ebs {{
      volume_size = 100
      {ebs}
    }}
  }}
}}
"#
        )
    };
    wd.write_config(&config(
        &moto,
        &body("volume_type = \"io1\"\n      iops = 3000"),
    ));
    wd.init();
    wd.apply();
    wd.assert_empty_plan();
    let id = wd.values("ecshost_launch_template.vol")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        moto.template_version("us-east-1", &id, 1).data.to_json()["BlockDeviceMappings"][0]["Ebs"]
            ["Iops"],
        json!(3000)
    );

    // io1 → gp2 without iops: the plan shows iops going away.
    wd.write_config(&config(&moto, &body("volume_type = \"gp2\"")));
    let ebs_change = |wd: &acceptance_tests::terraform::Workdir| {
        wd.ok(&["plan", "-out=tfplan", "-input=false", "-no-color"]);
        let plan: Json = serde_json::from_str(&wd.ok(&["show", "-json", "tfplan"]).stdout).unwrap();
        let c = &plan["resource_changes"][0]["change"];
        (
            c["before"]["block_device_mappings"][0]["ebs"][0].clone(),
            c["after"]["block_device_mappings"][0]["ebs"][0].clone(),
        )
    };
    let (before, after) = ebs_change(&wd);
    assert_eq!(
        (&before["iops"], &after["iops"]),
        (&json!(3000), &Json::Null),
        "the plan shows iops going away:\nbefore {before:#}\nafter {after:#}"
    );
    let text = wd.plan_with_changes();
    assert!(
        text.contains("- iops") && text.contains("3000 -> null"),
        "{text}"
    );
    wd.apply();
    let ebs = moto.template_version("us-east-1", &id, 2).data.to_json()["BlockDeviceMappings"][0]
        ["Ebs"]
        .clone();
    assert_eq!(ebs["VolumeType"], json!("gp2"), "{ebs:#}");
    assert_eq!(
        ebs.get("Iops"),
        None,
        "the new version carries no Iops: {ebs:#}"
    );
    wd.assert_empty_plan();

    // gp3 with throughput → st1 without it: throughput goes away too.
    wd.write_config(&config(
        &moto,
        &body("volume_type = \"gp3\"\n      iops = 4000\n      throughput = 250"),
    ));
    wd.apply();
    wd.assert_empty_plan();
    wd.write_config(&config(&moto, &body("volume_type = \"st1\"")));
    let (before, after) = ebs_change(&wd);
    assert_eq!(
        (&before["throughput"], &after["throughput"], &after["iops"]),
        (&json!(250), &Json::Null, &Json::Null),
        "before {before:#}\nafter {after:#}"
    );
    wd.apply();
    let latest = wd.values("ecshost_launch_template.vol")["latest_version"]
        .as_i64()
        .unwrap();
    let ebs = moto
        .template_version("us-east-1", &id, latest)
        .data
        .to_json()["BlockDeviceMappings"][0]["Ebs"]
        .clone();
    assert_eq!(
        (ebs.get("Iops"), ebs.get("Throughput")),
        (None, None),
        "{ebs:#}"
    );
    wd.assert_empty_plan();
}

/// `import {}` with `-generate-config-out` of a template named by a prefix
/// (as hashicorp/aws names one from `name_prefix`: the prefix and 26 digits,
/// which terraform-aws-modules/autoscaling does by default): the generated
/// configuration plans no changes, and a later user-data change plans,
/// applies, and writes a version that differs from the last only in the
/// user data.
#[test]
fn import_block_of_a_prefixed_template_generates_config_that_keeps_working() {
    let moto = Moto::start();
    let ud = "IyEvYmluL2Jhc2gKZWNobyBFQ1NfQ0xVU1RFUj1hc2cgPj4gL2V0Yy9lY3MvZWNzLmNvbmZpZwo=";
    let data = json!({
        "ImageId": AMI,
        "InstanceType": "m6i.large",
        "UserData": ud,
        "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "Encrypted": true}}],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "asg"}]}]
    });
    let name = "asg-20261207050000000000000001";
    let id = moto.with_ec2(async |ec2| {
        ec2.create_template(
            name,
            None,
            &ecshost::ec2::template_data::LaunchTemplateData(data.as_object().unwrap().clone()),
            // The provider block's default_tags, so adoption changes nothing.
            &[("managed-by".to_owned(), "terraform".to_owned())].into(),
            "prefixed",
        )
        .await
        .expect("create")
        .id
    });
    let wd = moto.workdir();
    wd.write_config(&config(
        &moto,
        &format!("import {{\n  to = ecshost_launch_template.asg\n  id = \"{id}\"\n}}\n"),
    ));
    wd.init();
    let r = wd.run(&["plan", "-generate-config-out=generated.tf", "-no-color"]);
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap_or_default();
    assert_eq!(
        r.code, 0,
        "the generated configuration plans:\n{}\n{}\n{generated}",
        r.stdout, r.stderr
    );
    wd.apply();
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        r.code, 0,
        "generated config plans empty after import:\n{}\n{}\n{generated}",
        r.stdout, r.stderr
    );
    let v1 = moto.template_version("us-east-1", &id, 1);

    // The user data changes in the generated configuration, nothing else.
    let other = "IyEvYmluL2Jhc2gKZWNobyBFQ1NfQ0xVU1RFUj1ibHVlID4+IC9ldGMvZWNzL2Vjcy5jb25maWcK";
    assert!(generated.contains(ud), "{generated}");
    wd.write_file("generated.tf", &generated.replace(ud, other));
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("user_data") && plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    // The import read the default as following the latest version, and
    // the generated configuration pins it as well: the pin wins, and the
    // plan says which line to remove for which behaviour.
    assert!(
        generated.contains("update_default_version") && generated.contains("default_version"),
        "{generated}"
    );
    assert!(plan.contains("Default Version Stays Pinned"), "{plan}");
    wd.apply();
    let after = wd.values("ecshost_launch_template.asg");
    assert_eq!(after["id"], json!(id), "same template");
    assert_eq!(after["name"], json!(name));
    assert_eq!(after["latest_version"], json!(2));
    assert_eq!(
        after["default_version"],
        json!(1),
        "pinned by the generated configuration"
    );
    let mut want = v1.data.to_json();
    want["UserData"] = json!(other);
    assert_eq!(
        moto.template_version("us-east-1", &id, 2).data.to_json(),
        want,
        "the new version differs only in the user data"
    );
    wd.assert_empty_plan();

    // The migration guide's advice: without the default_version line,
    // update_default_version = true makes each new version the default.
    // Removing the line writes nothing: the default stays until a version
    // is written (hashicorp/aws's meaning).
    let edited = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    let unpinned: String = edited
        .lines()
        .filter(|l| !l.trim_start().starts_with("default_version "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(unpinned, edited, "{edited}");
    wd.write_file("generated.tf", &unpinned);
    wd.assert_empty_plan();
    wd.write_file("generated.tf", &unpinned.replace(other, ud));
    wd.apply();
    let after = wd.values("ecshost_launch_template.asg");
    assert_eq!(
        (
            after["latest_version"].clone(),
            after["default_version"].clone()
        ),
        (json!(3), json!(3)),
        "the next version becomes the default"
    );
    wd.assert_empty_plan();
}

/// An `aws_launch_template` with `credit_specification` on an instance type
/// that earns no CPU credits moves with an empty plan. hashicorp/aws 5.100.0
/// sends `CreditSpecification` only for a burstable `instance_type` and
/// keeps the configured block in state when EC2 holds none
/// (internal/service/ec2/ec2_launch_template.go, `expandRequestLaunchTemplateData`
/// and `flattenResponseLaunchTemplateData`: "Don't overwrite any configured
/// value"), so the block is in the moved state while neither moto nor EC2
/// ever held it: moto is not dropping anything here, and a real EC2 behaves
/// the same because it is never sent.
#[test]
fn moved_with_credit_specification_on_a_type_without_credits() {
    if !require_aws_mirror() {
        return;
    }
    let moto = Moto::start();
    let wd = moto.workdir();
    let head = moto.aws_and_ecshost_providers();
    let body = |kind: &str, ud: &str| {
        format!(
            r#"
resource "{kind}" "x" {{
  name          = "credits"
  image_id      = "{AMI}"
  instance_type = "m6i.large"
  user_data     = base64encode("{ud}")
  credit_specification {{
    cpu_credits = "standard"
  }}
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
}}
"#
        )
    };
    let ud = r"#!/bin/bash\necho ECS_CLUSTER=credits >> /etc/ecs/ecs.config\n";
    wd.write_config(&format!("{head}{}", body("aws_launch_template", ud)));
    wd.init();
    wd.apply();
    let id = wd.values("aws_launch_template.x")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        moto.template_version("us-east-1", &id, 1)
            .data
            .to_json()
            .get("CreditSpecification"),
        None,
        "hashicorp/aws sent no CreditSpecification for m6i.large"
    );
    let moved = moved_block("aws_launch_template.x", "ecshost_launch_template.x");
    wd.write_config(&format!(
        "{head}{}{moved}",
        body("ecshost_launch_template", ud)
    ));
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    wd.apply();
    assert_eq!(
        wd.values("ecshost_launch_template.x")["latest_version"],
        json!(1),
        "no new version"
    );
    wd.assert_empty_plan();

    // A user-data change writes a version like hashicorp/aws would: still
    // no CreditSpecification, everything else as before.
    let v1 = moto.template_version("us-east-1", &id, 1).data.to_json();
    let other = r"#!/bin/bash\necho ECS_CLUSTER=other >> /etc/ecs/ecs.config\n";
    wd.write_config(&format!(
        "{head}{}{moved}",
        body("ecshost_launch_template", other)
    ));
    wd.apply();
    let v2 = moto.template_version("us-east-1", &id, 2).data.to_json();
    let mut want = v1.clone();
    want["UserData"] = v2["UserData"].clone();
    assert_ne!(v1["UserData"], v2["UserData"]);
    assert_eq!(v2, want, "only the user data changed");
    wd.assert_empty_plan();
}

/// A template made outside Terraform holds a credit option on a type
/// without credits (its Auto Scaling group launches T types through
/// overrides). Imported and then given another such `instance_type`, its
/// new version keeps the credit option: the configuration did not change
/// it. (Held for a T type, it would not be carried to a type without
/// credits, as hashicorp/aws sends it only to T types: `credits.rs`.)
#[test]
fn an_instance_type_change_keeps_the_credit_option_ec2_holds() {
    let moto = Moto::start();
    let data = json!({
        "ImageId": AMI,
        "InstanceType": "m5.large",
        "CreditSpecification": {"CpuCredits": "unlimited"},
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
    });
    let id = moto.create_template_out_of_band_data(
        "credits-held",
        ecshost::ec2::template_data::LaunchTemplateData(data.as_object().unwrap().clone()),
    );
    let with_credits = |ty: &str, credits: &str| {
        let block = if credits.is_empty() {
            String::new()
        } else {
            format!("credit_specification {{\n    cpu_credits = \"{credits}\"\n  }}")
        };
        format!(
            r#"
import {{
  to = ecshost_launch_template.x
  id = "{id}"
}}
resource "ecshost_launch_template" "x" {{
  name          = "credits-held"
  image_id      = "{AMI}"
  instance_type = "{ty}"
  {block}
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
}}
"#
        )
    };
    let body = |ty: &str| with_credits(ty, "unlimited");
    let wd = moto.workdir();
    wd.write_config(&config(&moto, &body("m5.large")));
    wd.init();
    wd.apply();
    wd.assert_empty_plan();
    wd.write_config(&config(&moto, &body("m5.xlarge")));
    wd.apply();
    let v2 = moto.template_version("us-east-1", &id, 2).data.to_json();
    let mut want = data.clone();
    want["InstanceType"] = json!("m5.xlarge");
    assert_eq!(v2, want, "only the instance type changed");
    wd.assert_empty_plan();

    // The block says another value: a version with it. Removed: a version
    // without it (the configuration asked for both).
    wd.write_config(&config(&moto, &with_credits("m5.xlarge", "standard")));
    wd.apply();
    let v3 = moto.template_version("us-east-1", &id, 3).data.to_json();
    want["CreditSpecification"] = json!({"CpuCredits": "standard"});
    assert_eq!(v3, want, "the configured credit option");
    wd.assert_empty_plan();
    wd.write_config(&config(&moto, &with_credits("m5.xlarge", "")));
    wd.apply();
    let v4 = moto.template_version("us-east-1", &id, 4).data.to_json();
    want.as_object_mut().unwrap().remove("CreditSpecification");
    assert_eq!(v4, want, "the credit option removed");
    wd.assert_empty_plan();
}

/// hashicorp/aws stores an unset string as `""`, so a moved state reads
/// `no_device = ""` as unset. Without the line the moved plan is empty;
/// with it the first plan updates with no attribute listed, its apply
/// writes no version, and the plan after it is empty (the migration guide
/// says so).
#[test]
fn moved_with_an_empty_string_argument() {
    if !require_aws_mirror() {
        return;
    }
    let moto = Moto::start();
    let wd = moto.workdir();
    let head = moto.aws_and_ecshost_providers();
    let body = |kind: &str, no_device: &str| {
        format!(
            r#"
resource "{kind}" "x" {{
  name          = "empty-string"
  image_id      = "{AMI}"
  instance_type = "t3.small"
  block_device_mappings {{
    device_name = "/dev/sdb"
    {no_device}
  }}
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
}}
"#
        )
    };
    wd.write_config(&format!(
        "{head}{}",
        body("aws_launch_template", "no_device = \"\"")
    ));
    wd.init();
    wd.apply();
    let moved = moved_block("aws_launch_template.x", "ecshost_launch_template.x");
    wd.write_config(&format!(
        "{head}{}{moved}",
        body("ecshost_launch_template", "")
    ));
    // A move alone is a change to -detailed-exitcode: read the summary.
    let r = wd.run(&["plan", "-no-color"]);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy."),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    wd.write_config(&format!(
        "{head}{}{moved}",
        body("ecshost_launch_template", "no_device = \"\"")
    ));
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("Plan: 0 to add, 1 to change, 0 to destroy.") && !plan.contains("no_device"),
        "{plan}"
    );
    wd.apply();
    assert_eq!(
        wd.values("ecshost_launch_template.x")["latest_version"],
        json!(1),
        "no new version"
    );
    wd.assert_empty_plan();
}
