//! Issue 12, items 1, 2 and 7, through real Terraform: every
//! `aws_launch_template` of the corpus (`acceptance-tests/corpus/launch-templates`,
//! or `ECSHOST_CORPUS_DIR`), plus configurations of this file that together
//! set every argument and block of hashicorp/aws 5.100.0's `aws_launch_template`,
//! is created with hashicorp/aws on moto, adopted into `ecshost_launch_template`
//! with its body pasted unchanged — by a `moved` block, by `terraform import`
//! and by an `import {}` block, one `#[test]` and one moto each — and then
//! has only its user data changed:
//!
//! 1. hashicorp/aws's own follow-up plan is empty (the reference point);
//! 2. adoption plans nothing for any template (`Plan: 0 to add, 0 to
//!    change, 0 to destroy.`, every resource a no-op) and the apply writes
//!    no version;
//! 3. the user-data change writes exactly one version whose
//!    `LaunchTemplateData`, read back from EC2, equals version 1's in every
//!    field but `UserData` (canonical JSON: arrays EC2 treats as sets in any
//!    order, numbers by value), with the same `VersionDescription`, and the
//!    default version follows hashicorp/aws's rule;
//! 4. the plan after that apply is empty.
//!
//! All templates of one way share one configuration, so a way costs about
//! ten terraform runs whatever the corpus size. One line per file and way
//! says how it went; the test fails at the end if any line says FAIL.
//!
//! moto 5.2.5 stores and returns every field hashicorp/aws sends for these
//! configurations, so no field is exempt from any comparison here. Where
//! it differs from EC2 (`docs/guides/testing-against-moto.md`):
//! - template-level `tags` leak into version 1's data as a
//!   `launch-template` tag specification. hashicorp/aws then plans to
//!   remove that phantom entry, so for the one configuration that sets
//!   `tags` the reference plan must be exactly that update (checked, not
//!   skipped); the provider's EC2 layer leaves the entry out of version
//!   data, on both sides of the comparison, as EC2 never holds one;
//! - `SpotOptions.ValidUntil` comes back with milliseconds: compared as
//!   EC2 returns it (both versions hold the same text);
//! - nothing is validated: the ids are made up and some combinations
//!   (an `efa` interface with a `network_interface_id`, Elastic GPUs)
//!   would be refused by EC2. The test proves the round trip, not that
//!   EC2 accepts these templates.
//!
//! The same cycle is what `-generate-config-out` is held to in
//! [`import_block`]: the generated configuration of the richest template
//! spells every field the template holds and plans empty after the import.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{aws_provider_mirror, moved_block, workspace_root, Workdir};
use base64::Engine as _;
use ecshost::ec2::launch_templates::{Template, Version};
use ecshost::ec2::template_data::canonical;
use serde_json::Value as Json;

/// The line inserted after `#!/bin/bash\n` to change only the user data.
const CHANGE: &str = "# user data changed by launch_template_corpus\\n";

/// Configurations of this test, beside the shared corpus: between them
/// (and the corpus) every argument and block of `aws_launch_template`
/// 5.100.0 is set at least once — checked by
/// [`extras_and_corpus_cover_the_whole_aws_schema`]. Literal values only,
/// user data in one `base64encode("#!/bin/bash\n…")`, label `this`, as in
/// the corpus. Ids are made up (moto validates none).
const EXTRAS: &[(&str, &str)] = &[
    (
        // Every top-level argument a classic (non-VPC) host can carry,
        // persistent spot with valid_until, Dedicated Host placement,
        // pinned default version.
        "extra-1-classic-everything.tf",
        r##"resource "aws_launch_template" "this" {
  name                                 = "extra-classic-everything"
  description                          = "Extra: every top-level argument, persistent spot, Dedicated Host"
  image_id                             = "ami-0123456789abcdef0"
  instance_type                        = "t3a.xlarge"
  kernel_id                            = "aki-0a1b2c3d4e5f60718"
  ram_disk_id                          = "ari-0a1b2c3d4e5f60718"
  key_name                             = "ops"
  ebs_optimized                        = "false"
  disable_api_stop                     = true
  disable_api_termination              = true
  instance_initiated_shutdown_behavior = "terminate"
  security_group_names                 = ["ecs-hosts", "ssh-from-bastion"]
  default_version                      = 1
  user_data                            = base64encode("#!/bin/bash\necho ECS_CLUSTER=extra-classic >> /etc/ecs/ecs.config\n")

  iam_instance_profile {
    arn = "arn:aws:iam::111122223333:instance-profile/extra-classic"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      snapshot_id                = "snap-0a1b2c3d4e5f60718"
      volume_initialization_rate = 200
      volume_size                = 50
      volume_type                = "io2"
      iops                       = 5000
      encrypted                  = "true"
      kms_key_id                 = "arn:aws:kms:us-east-1:111122223333:key/1a2b3c4d-5e6f-4a5b-8c9d-0e1f2a3b4c5d"
      delete_on_termination      = "false"
    }
  }

  block_device_mappings {
    device_name  = "/dev/sdb"
    virtual_name = "ephemeral0"
  }

  block_device_mappings {
    device_name = "/dev/sdc"
    no_device   = "true"
  }

  capacity_reservation_specification {
    capacity_reservation_preference = "open"
  }

  cpu_options {
    amd_sev_snp      = "enabled"
    core_count       = 2
    threads_per_core = 1
  }

  credit_specification {
    cpu_credits = "unlimited"
  }

  elastic_gpu_specifications {
    type = "eg1.medium"
  }

  elastic_gpu_specifications {
    type = "eg1.large"
  }

  elastic_inference_accelerator {
    type = "eia1.large"
  }

  enclave_options {
    enabled = true
  }

  hibernation_options {
    configured = true
  }

  instance_market_options {
    market_type = "spot"

    spot_options {
      block_duration_minutes         = 120
      instance_interruption_behavior = "stop"
      max_price                      = "0.0416"
      spot_instance_type             = "persistent"
      valid_until                    = "2030-01-01T00:00:00Z"
    }
  }

  license_specification {
    license_configuration_arn = "arn:aws:license-manager:us-east-1:111122223333:license-configuration:lic-0a1b2c3d4e5f60718a9b0c1d2e3f4a5b"
  }

  license_specification {
    license_configuration_arn = "arn:aws:license-manager:us-east-1:111122223333:license-configuration:lic-1b2c3d4e5f60718a9b0c1d2e3f4a5b6c"
  }

  maintenance_options {
    auto_recovery = "disabled"
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_protocol_ipv6          = "disabled"
    http_put_response_hop_limit = 3
    http_tokens                 = "required"
    instance_metadata_tags      = "enabled"
  }

  monitoring {
    enabled = false
  }

  placement {
    affinity          = "host"
    availability_zone = "us-east-1a"
    group_name        = "extra-partition-pg"
    host_id           = "h-0a1b2c3d4e5f60718"
    partition_number  = 2
    spread_domain     = "extra-domain"
    tenancy           = "host"
  }

  private_dns_name_options {
    hostname_type                        = "ip-name"
    enable_resource_name_dns_a_record    = false
    enable_resource_name_dns_aaaa_record = false
  }

  tag_specifications {
    resource_type = "volume"

    tags = {
      Backup = "daily"
    }
  }

  tag_specifications {
    resource_type = "network-interface"

    tags = {
      Stack = "extra-classic"
    }
  }
}
"##,
    ),
    (
        // instance_requirements and network_interfaces in full; a
        // Capacity Reservation resource group and a host resource group;
        // neither update_default_version nor default_version.
        "extra-2-attributes-and-interfaces.tf",
        r##"resource "aws_launch_template" "this" {
  name        = "extra-attributes-and-interfaces"
  description = "Extra: instance_requirements and network_interfaces in full"
  image_id    = "ami-0fedcba9876543210"
  user_data   = base64encode("#!/bin/bash\necho ECS_CLUSTER=extra-abis >> /etc/ecs/ecs.config\n")

  iam_instance_profile {
    name = "extra-abis-instance"
  }

  capacity_reservation_specification {
    capacity_reservation_target {
      capacity_reservation_resource_group_arn = "arn:aws:resource-groups:us-east-1:111122223333:group/extra-odcr"
    }
  }

  placement {
    host_resource_group_arn = "arn:aws:resource-groups:us-east-1:111122223333:group/extra-hosts"
    tenancy                 = "host"
  }

  instance_requirements {
    accelerator_count {
      min = 1
      max = 4
    }

    accelerator_total_memory_mib {
      min = 8192
      max = 65536
    }

    baseline_ebs_bandwidth_mbps {
      min = 1000
      max = 20000
    }

    memory_gib_per_vcpu {
      min = 0.5
      max = 7.5
    }

    memory_mib {
      min = 2048
      max = 262144
    }

    network_bandwidth_gbps {
      min = 0.5
      max = 12.5
    }

    network_interface_count {
      min = 1
      max = 4
    }

    total_local_storage_gb {
      min = 0.5
      max = 1000.5
    }

    vcpu_count {
      min = 2
      max = 64
    }

    accelerator_manufacturers                               = ["nvidia", "amd"]
    accelerator_names                                       = ["t4", "a10g"]
    accelerator_types                                       = ["gpu"]
    allowed_instance_types                                  = ["g4dn.*", "g5.*", "g4ad.*"]
    bare_metal                                              = "excluded"
    burstable_performance                                   = "excluded"
    cpu_manufacturers                                       = ["intel", "amd"]
    instance_generations                                    = ["current"]
    local_storage                                           = "required"
    local_storage_types                                     = ["ssd"]
    max_spot_price_as_percentage_of_optimal_on_demand_price = 60
    on_demand_max_price_percentage_over_lowest_price        = 25
    require_hibernate_support                               = true
  }

  network_interfaces {
    device_index                = 0
    network_card_index          = 0
    description                 = "primary, addresses and prefixes by value"
    interface_type              = "efa"
    subnet_id                   = "subnet-0a1b2c3d4e5f60718"
    security_groups             = ["sg-0a1b2c3d4e5f60718", "sg-1b2c3d4e5f607182a"]
    associate_public_ip_address = "true"
    delete_on_termination       = "true"
    private_ip_address          = "10.0.1.10"
    ipv4_addresses              = ["10.0.1.10", "10.0.1.11"]
    ipv4_prefixes               = ["10.0.2.0/28"]
    ipv6_addresses              = ["2600:1f18:1234:5600::10"]
    ipv6_prefixes               = ["2600:1f18:1234:5601::/80"]
    primary_ipv6                = "true"

    connection_tracking_specification {
      tcp_established_timeout = 3600
      udp_stream_timeout      = 120
      udp_timeout             = 45
    }

    ena_srd_specification {
      ena_srd_enabled = true

      ena_srd_udp_specification {
        ena_srd_udp_enabled = true
      }
    }
  }

  network_interfaces {
    device_index                 = 1
    network_card_index           = 1
    network_interface_id         = "eni-0a1b2c3d4e5f60718"
    associate_carrier_ip_address = "true"
    delete_on_termination        = "false"
    ipv4_address_count           = 2
    ipv4_prefix_count            = 1
    ipv6_address_count           = 2
    ipv6_prefix_count            = 1
  }

  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }

  tag_specifications {
    resource_type = "instance"

    tags = {
      Name = "extra-abis"
    }
  }
}
"##,
    ),
    (
        // name_prefix, template tags, and explicit false/absent-equivalent
        // values (disable_api_* = false, hibernation/enclave off),
        // blocks whose computed members EC2 fills in.
        "extra-3-prefix-tags-falses.tf",
        r##"resource "aws_launch_template" "this" {
  name_prefix             = "extra-prefix-"
  image_id                = "ami-0a0b0c0d0e0f01234"
  instance_type           = "m7i.large"
  ebs_optimized           = "true"
  disable_api_stop        = false
  disable_api_termination = false
  update_default_version  = true
  vpc_security_group_ids  = ["sg-0c3d4e5f607182a3b"]
  user_data               = base64encode("#!/bin/bash\necho ECS_CLUSTER=extra-prefix >> /etc/ecs/ecs.config\n")

  tags = {
    Team  = "platform"
    Stack = "extra-prefix"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size = 30
    }
  }

  cpu_options {
    core_count       = 4
    threads_per_core = 2
  }

  enclave_options {
    enabled = false
  }

  hibernation_options {
    configured = false
  }

  metadata_options {
    http_endpoint = "enabled"
  }

  monitoring {
    enabled = true
  }

  private_dns_name_options {
    hostname_type = "resource-name"
  }
}
"##,
    ),
];

/// How a template is adopted into `ecshost_launch_template`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Way {
    Moved,
    CliImport,
    ImportBlock,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Moved => "moved",
            Way::CliImport => "terraform import",
            Way::ImportBlock => "import {}",
        }
    }
}

/// One configuration.
struct Case {
    /// file name (corpus) or the extra's name
    file: String,
    /// resource label in the batched configuration
    label: String,
    /// the `aws_launch_template` block, label replaced
    body: String,
}

impl Case {
    fn aws(&self) -> String {
        self.body.clone()
    }
    /// The same body under `ecshost_launch_template`: only the type renamed.
    fn ecshost(&self) -> String {
        self.body.replacen(
            "resource \"aws_launch_template\"",
            "resource \"ecshost_launch_template\"",
            1,
        )
    }
    /// The top-level `name = value` of the configuration, if set (top-level
    /// arguments are indented by exactly two spaces in these files).
    fn top_level(&self, arg: &str) -> Option<String> {
        self.body.lines().find_map(|l| {
            let rest = l.strip_prefix("  ")?;
            if rest.starts_with(' ') {
                return None;
            }
            let (k, v) = rest.split_once('=')?;
            (k.trim() == arg).then(|| v.trim().trim_matches('"').to_owned())
        })
    }
    /// hashicorp/aws's rule for the default version after a new version.
    fn expected_default(&self, new_version: i64, old_default: i64) -> i64 {
        if let Some(n) = self.top_level("default_version") {
            return n.parse().expect("default_version is a number");
        }
        if self.top_level("update_default_version").as_deref() == Some("true") {
            new_version
        } else {
            old_default
        }
    }
    fn sets_template_tags(&self) -> bool {
        self.top_level("tags").is_some()
    }
}

/// The corpus directory: `ECSHOST_CORPUS_DIR`, else the copy in this
/// repository (`acceptance-tests/corpus/`, its README says where the files
/// come from), so a clone anywhere runs the test with nothing beside it.
/// Missing is a failure.
fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("ECSHOST_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("acceptance-tests/corpus"));
    let lt = dir.join("launch-templates");
    assert!(
        lt.is_dir(),
        "the launch-template corpus is missing: {} is not a directory (set ECSHOST_CORPUS_DIR to the directory holding launch-templates/)",
        lt.display()
    );
    lt
}

fn label_of(file: &str) -> String {
    let stem = file.trim_end_matches(".tf");
    let mut l: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !l.starts_with(|c: char| c.is_ascii_alphabetic()) {
        l.insert(0, 'c');
    }
    l
}

fn case(file: &str, text: &str) -> Case {
    let label = label_of(file);
    assert_eq!(
        text.matches("resource \"aws_launch_template\" \"this\"")
            .count(),
        1,
        "{file}: exactly one aws_launch_template \"this\""
    );
    assert_eq!(
        text.matches("base64encode(\"#!/bin/bash\\n").count(),
        1,
        "{file}: user data is one base64encode(\"#!/bin/bash\\n…\")"
    );
    let body = text.replace(
        "resource \"aws_launch_template\" \"this\"",
        &format!("resource \"aws_launch_template\" \"{label}\""),
    );
    Case {
        file: file.to_owned(),
        label,
        body,
    }
}

/// Every corpus file, then the extras.
fn cases() -> Vec<Case> {
    let dir = corpus_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{}: expected the ten corpus files, found {}",
        dir.display(),
        files.len()
    );
    let mut out: Vec<Case> = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).expect("corpus file");
            case(&p.file_name().unwrap().to_string_lossy(), &text)
        })
        .collect();
    out.extend(EXTRAS.iter().map(|(f, t)| case(f, t)));
    out
}

/// A plan saved and shown as JSON, with its text.
struct Plan {
    text: String,
    json: Json,
}

impl Plan {
    fn take(wd: &Workdir) -> Plan {
        let r = wd.ok(&["plan", "-out=tfplan", "-input=false", "-no-color"]);
        let shown = wd.ok(&["show", "-json", "tfplan"]);
        Plan {
            text: format!("{}{}", r.stdout, r.stderr),
            json: serde_json::from_str(&shown.stdout).expect("plan JSON"),
        }
    }
    fn change(&self, address: &str) -> Option<&Json> {
        self.json
            .get("resource_changes")?
            .as_array()?
            .iter()
            .find(|c| c.get("address").and_then(Json::as_str) == Some(address))
    }
    /// `Ok` when `address` is a no-op in this plan, else what it plans.
    fn no_op(&self, address: &str) -> Result<(), String> {
        let Some(c) = self.change(address) else {
            return Err(format!("{address} is not in the plan"));
        };
        let actions = &c["change"]["actions"];
        if actions == &serde_json::json!(["no-op"]) {
            return Ok(());
        }
        Err(format!(
            "{address} plans {actions}: {}",
            differing(&c["change"]["before"], &c["change"]["after"]).join(", ")
        ))
    }
}

/// Paths where two JSON values differ (after canonicalization).
fn differing(a: &Json, b: &Json) -> Vec<String> {
    fn walk(a: &Json, b: &Json, at: &str, out: &mut Vec<String>) {
        match (a, b) {
            (Json::Object(x), Json::Object(y)) => {
                let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    walk(
                        x.get(k).unwrap_or(&Json::Null),
                        y.get(k).unwrap_or(&Json::Null),
                        &format!("{at}.{k}"),
                        out,
                    );
                }
            }
            (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
                for (i, (p, q)) in x.iter().zip(y).enumerate() {
                    walk(p, q, &format!("{at}[{i}]"), out);
                }
            }
            _ if a == b => {}
            _ => out.push(format!("{at}: {a} → {b}")),
        }
    }
    let mut out = Vec::new();
    walk(&canonical(a), &canonical(b), "", &mut out);
    out
}

fn template(moto: &Moto, id: &str) -> Template {
    moto.with_ec2(async |ec2| ec2.describe_template_by_id(id).await)
        .expect("DescribeLaunchTemplates")
        .unwrap_or_else(|| panic!("{id} exists"))
}

fn version(moto: &Moto, id: &str, n: i64) -> Version {
    moto.with_ec2(async |ec2| ec2.template_version(id, n).await)
        .unwrap_or_else(|e| panic!("DescribeLaunchTemplateVersions {id} {n}: {e}"))
}

fn decode(b64: &str) -> String {
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("user data is base64"),
    )
    .expect("user data is UTF-8")
}

/// Runs one terraform step and prints how long it took.
fn timed<T>(way: Way, step: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    println!(
        "[{}] {step}: {:.1} s",
        way.name(),
        t.elapsed().as_secs_f64()
    );
    r
}

/// Per-file outcome: the failures of each step.
#[derive(Default)]
struct Outcome {
    failures: Vec<String>,
    notes: Vec<String>,
}

fn check(o: &mut Outcome, step: &str, r: Result<(), String>) {
    if let Err(e) = r {
        o.failures.push(format!("{step}: {e}"));
    }
}

/// Runs the whole cycle for one adoption way; panics at the end if any
/// file failed, after printing one line per file.
fn run(way: Way) {
    assert!(
        aws_provider_mirror().is_some(),
        "no filesystem mirror of hashicorp/aws 5.100.0 (/opt/tf-plugins, or set ECSHOST_AWS_MIRROR): the corpus test needs it"
    );
    let t0 = Instant::now();
    let cases = cases();
    let moto = Moto::start();
    let wd = moto.workdir();
    let head = moto.aws_and_ecshost_providers();
    let mut outcomes: BTreeMap<String, Outcome> = cases
        .iter()
        .map(|c| (c.label.clone(), Outcome::default()))
        .collect();
    let all = |f: &dyn Fn(&Case) -> String| cases.iter().map(f).collect::<Vec<_>>().join("\n");

    // 1. hashicorp/aws creates every template; its own follow-up plan is
    //    empty (moto's phantom tag specification excepted, see above).
    wd.write_config(&format!("{head}{}", all(&Case::aws)));
    timed(way, "init", || wd.init());
    timed(way, "apply (hashicorp/aws creates)", || wd.apply());
    let state = wd.show();
    let aws_plan = timed(way, "plan (hashicorp/aws follow-up)", || Plan::take(&wd));
    let mut ids = BTreeMap::new();
    let mut v1 = BTreeMap::new();
    let mut t1 = BTreeMap::new();
    for c in &cases {
        let o = outcomes.get_mut(&c.label).unwrap();
        let addr = format!("aws_launch_template.{}", c.label);
        let values = acceptance_tests::terraform::find_resource(&state, &addr)
            .unwrap_or_else(|| panic!("{addr} in state"))["values"]
            .clone();
        let id = values["id"].as_str().expect("id").to_owned();
        let r = aws_plan.no_op(&addr);
        if c.sets_template_tags() {
            // moto: version 1 holds the template's tags as a
            // launch-template tag specification; hashicorp/aws plans its
            // removal and nothing else.
            let ch = aws_plan.change(&addr).map(|x| &x["change"]);
            let only_phantom = ch.is_some_and(|ch| {
                // What the update makes unknown (the version numbers) is
                // its consequence, not a difference of its own.
                let unknown = |k: &str| ch["after_unknown"][k] == Json::Bool(true);
                let d: Vec<String> = differing(&ch["before"], &ch["after"])
                    .into_iter()
                    .filter(|p| {
                        let top = p[1..].split([':', '.', '[']).next().unwrap_or_default();
                        !unknown(top)
                    })
                    .collect();
                ch["actions"] == serde_json::json!(["update"])
                    && d.iter().any(|p| p.starts_with(".tag_specifications"))
                    && d.iter().all(|p| p.starts_with(".tag_specifications"))
                    && ch["before"]["tag_specifications"]
                        .to_string()
                        .contains("launch-template")
            });
            if only_phantom {
                o.notes.push(
                    "hashicorp/aws re-plans moto's phantom launch-template tag specification"
                        .into(),
                );
            }
            check(
                o,
                "hashicorp/aws follow-up plan (moto leaks template tags into version data)",
                if only_phantom {
                    Ok(())
                } else {
                    Err(format!(
                        "expected only the phantom tag specification: {r:?}"
                    ))
                },
            );
        } else {
            check(o, "hashicorp/aws follow-up plan", r);
        }
        let v = version(&moto, &id, 1);
        check(
            o,
            "version 1 fields",
            if v.unknown.is_empty() {
                Ok(())
            } else {
                Err(format!("fields outside the shape: {:?}", v.unknown))
            },
        );
        check(
            o,
            "version 1 description",
            if v.description == c.top_level("description") {
                Ok(())
            } else {
                Err(format!(
                    "{:?} is not the configuration's {:?}",
                    v.description,
                    c.top_level("description")
                ))
            },
        );
        t1.insert(c.label.clone(), template(&moto, &id));
        v1.insert(c.label.clone(), v);
        ids.insert(c.label.clone(), id);
    }
    let t_create = t0.elapsed();

    // 2. Adopt.
    let ecshost = all(&Case::ecshost);
    let addresses =
        |ty: &str| -> Vec<String> { cases.iter().map(|c| format!("{ty}.{}", c.label)).collect() };
    match way {
        Way::Moved => {
            let moved = all(&|c: &Case| {
                moved_block(
                    &format!("aws_launch_template.{}", c.label),
                    &format!("ecshost_launch_template.{}", c.label),
                )
            });
            wd.write_config(&format!("{head}{ecshost}\n{moved}"));
        }
        Way::CliImport | Way::ImportBlock => {
            let mut args = vec!["state".to_owned(), "rm".to_owned()];
            args.extend(addresses("aws_launch_template"));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            timed(way, "state rm", || wd.ok(&args));
            if way == Way::ImportBlock {
                let imports = all(&|c: &Case| {
                    format!(
                        "import {{\n  to = ecshost_launch_template.{}\n  id = \"{}\"\n}}\n",
                        c.label, ids[&c.label]
                    )
                });
                wd.write_config(&format!("{head}{ecshost}\n{imports}"));
            } else {
                wd.write_config(&format!("{head}{ecshost}"));
                let t = Instant::now();
                for c in &cases {
                    let addr = format!("ecshost_launch_template.{}", c.label);
                    let r = wd.run(&["import", "-input=false", "-no-color", &addr, &ids[&c.label]]);
                    check(
                        outcomes.get_mut(&c.label).unwrap(),
                        "terraform import",
                        if r.code == 0 {
                            Ok(())
                        } else {
                            Err(format!("{}{}", r.stdout, r.stderr))
                        },
                    );
                }
                println!(
                    "[{}] {} × terraform import: {:.1} s",
                    way.name(),
                    cases.len(),
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
    let adopt_plan = timed(way, "plan (adoption)", || Plan::take(&wd));
    let summary = match way {
        Way::Moved => "Plan: 0 to add, 0 to change, 0 to destroy.".to_owned(),
        Way::CliImport => "No changes.".to_owned(),
        Way::ImportBlock => format!(
            "Plan: {} to import, 0 to add, 0 to change, 0 to destroy.",
            cases.len()
        ),
    };
    let summary_ok = adopt_plan.text.contains(&summary);
    for c in &cases {
        let o = outcomes.get_mut(&c.label).unwrap();
        let addr = format!("ecshost_launch_template.{}", c.label);
        check(o, "adoption plan", adopt_plan.no_op(&addr));
        if let Some(ch) = adopt_plan.change(&addr) {
            let how = match way {
                Way::Moved => {
                    ch.get("previous_address").and_then(Json::as_str)
                        == Some(&format!("aws_launch_template.{}", c.label))
                }
                Way::ImportBlock => ch["change"].get("importing").is_some(),
                Way::CliImport => true,
            };
            check(
                o,
                "adoption plan",
                if how {
                    Ok(())
                } else {
                    Err(format!("not adopted by {}: {ch}", way.name()))
                },
            );
        }
    }
    if !summary_ok {
        report(way, &cases, &outcomes, |_| "adoption plans no-op".into());
    }
    assert!(
        summary_ok,
        "[{}] the adoption plan must say {summary:?}:\n{}",
        way.name(),
        adopt_plan.text
    );
    // hashicorp/aws's own import plans `+ update_default_version = true`
    // (and `default_version` known after apply); this one must not.
    let planned_lines: Vec<&str> = adopt_plan
        .text
        .lines()
        .map(str::trim_start)
        .filter(|l| {
            ["+ ", "~ ", "- "].iter().any(|m| {
                l.strip_prefix(m).is_some_and(|r| {
                    r.starts_with("update_default_version ") || r.starts_with("default_version ")
                })
            })
        })
        .collect();
    assert!(
        planned_lines.is_empty(),
        "[{}] adoption plans nothing about the default version: {planned_lines:?}\n{}",
        way.name(),
        adopt_plan.text
    );
    timed(way, "apply (adoption)", || {
        wd.ok(&["apply", "-input=false", "-no-color", "tfplan"])
    });
    for c in &cases {
        let o = outcomes.get_mut(&c.label).unwrap();
        let t = template(&moto, &ids[&c.label]);
        let before = &t1[&c.label];
        check(
            o,
            "adoption apply",
            if (t.latest_version, t.default_version)
                == (before.latest_version, before.default_version)
            {
                Ok(())
            } else {
                Err(format!(
                    "latest/default {}/{} became {}/{}",
                    before.latest_version,
                    before.default_version,
                    t.latest_version,
                    t.default_version
                ))
            },
        );
    }
    let t_adopt = t0.elapsed();

    // 3. Change only the user data.
    let changed = all(&|c: &Case| {
        c.ecshost().replacen(
            "base64encode(\"#!/bin/bash\\n",
            &format!("base64encode(\"#!/bin/bash\\n{CHANGE}"),
            1,
        )
    });
    wd.write_config(&format!("{head}{changed}"));
    let r = timed(way, "apply (user-data change)", || wd.apply());
    // Its warnings, for the record; none may say the default version is
    // left behind because of a setting the configuration does not have.
    let warnings: std::collections::BTreeSet<&str> = r
        .stdout
        .lines()
        .chain(r.stderr.lines())
        .filter_map(|l| {
            l.trim_start_matches(['│', ' ', '╷'])
                .strip_prefix("Warning: ")
        })
        .collect();
    println!(
        "[{}] warnings of the user-data change: {warnings:?}",
        way.name()
    );
    let misleading = "New Version Will Not Become the Default";
    assert!(
        !warnings.contains(misleading),
        "[{}] {misleading:?} after adopting configurations that follow hashicorp/aws's rule:\n{}{}",
        way.name(),
        r.stdout,
        r.stderr
    );
    let state = wd.show();
    for c in &cases {
        let o = outcomes.get_mut(&c.label).unwrap();
        let id = &ids[&c.label];
        let before = &t1[&c.label];
        let t = template(&moto, id);
        let want_latest = before.latest_version + 1;
        if t.latest_version != want_latest {
            check(
                o,
                "user-data change",
                Err(format!(
                    "latest version {} (want exactly one new version, {want_latest})",
                    t.latest_version
                )),
            );
            continue;
        }
        let old = &v1[&c.label];
        let new = version(&moto, id, want_latest);
        check(
            o,
            "new version fields",
            if new.unknown.is_empty() {
                Ok(())
            } else {
                Err(format!("fields outside the shape: {:?}", new.unknown))
            },
        );
        let strip = |v: &Version| {
            let mut j = v.data.to_json();
            j.as_object_mut().unwrap().remove("UserData");
            j
        };
        let d = differing(&strip(old), &strip(&new));
        check(
            o,
            "new version = version 1 but UserData",
            if d.is_empty() {
                Ok(())
            } else {
                Err(d.join("; "))
            },
        );
        let want_ud = decode(old.data.user_data().unwrap_or_default()).replacen(
            "#!/bin/bash\n",
            &format!("#!/bin/bash\n{}", CHANGE.replace("\\n", "\n")),
            1,
        );
        let got_ud = new.data.user_data().map(decode);
        check(
            o,
            "new UserData",
            if got_ud.as_deref() == Some(want_ud.as_str()) {
                Ok(())
            } else {
                Err(format!("{got_ud:?}, want {want_ud:?}"))
            },
        );
        check(
            o,
            "new VersionDescription",
            if new.description == old.description {
                Ok(())
            } else {
                Err(format!("{:?}, was {:?}", new.description, old.description))
            },
        );
        let want_default = c.expected_default(want_latest, before.default_version);
        check(
            o,
            "default version",
            if t.default_version == want_default {
                Ok(())
            } else {
                Err(format!(
                    "{} (hashicorp/aws's rule gives {want_default})",
                    t.default_version
                ))
            },
        );
        let addr = format!("ecshost_launch_template.{}", c.label);
        let values = acceptance_tests::terraform::find_resource(&state, &addr)
            .map(|r| r["values"].clone())
            .unwrap_or(Json::Null);
        check(
            o,
            "state after the change",
            if values["latest_version"] == t.latest_version
                && values["default_version"] == t.default_version
            {
                Ok(())
            } else {
                Err(format!(
                    "state says latest/default {}/{}, EC2 {}/{}",
                    values["latest_version"],
                    values["default_version"],
                    t.latest_version,
                    t.default_version
                ))
            },
        );
    }
    let after = timed(way, "plan (after the change)", || Plan::take(&wd));
    for c in &cases {
        let addr = format!("ecshost_launch_template.{}", c.label);
        check(
            outcomes.get_mut(&c.label).unwrap(),
            "plan after the change",
            after.no_op(&addr),
        );
    }
    let t_change = t0.elapsed();

    if way == Way::ImportBlock {
        generate_config(&moto, &cases, &ids, &mut outcomes);
    }

    let failed = report(way, &cases, &outcomes, |c| {
        format!(
            "adoption plans no-op, no version; user-data change → one version equal to v1 but UserData; default v{}; plan empty",
            template(&moto, &ids[&c.label]).default_version
        )
    });
    println!(
        "[{}] {} configurations, {failed} failed; create {:.1} s, adopt {:.1} s, change {:.1} s, total {:.1} s",
        way.name(),
        cases.len(),
        t_create.as_secs_f64(),
        (t_adopt - t_create).as_secs_f64(),
        (t_change - t_adopt).as_secs_f64(),
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(
        failed,
        0,
        "[{}] {failed} configuration(s) failed (see the lines above)",
        way.name()
    );
}

/// Prints one line per file (`ok — <what held>` or `FAIL — <what did not>`);
/// returns how many failed.
fn report(
    way: Way,
    cases: &[Case],
    outcomes: &BTreeMap<String, Outcome>,
    held: impl Fn(&Case) -> String,
) -> usize {
    let mut failed = 0;
    for c in cases {
        let o = &outcomes[&c.label];
        if o.failures.is_empty() {
            let notes = if o.notes.is_empty() {
                String::new()
            } else {
                format!(" (moto: {})", o.notes.join("; "))
            };
            println!("[{}] {}: ok — {}{notes}", way.name(), c.file, held(c));
        } else {
            failed += 1;
            println!(
                "[{}] {}: FAIL — {}",
                way.name(),
                c.file,
                o.failures.join(" | ")
            );
        }
    }
    failed
}

/// `-generate-config-out` on the richest corpus template (most leaves in
/// its data): the generated configuration spells every field the template
/// holds and plans empty after the import.
fn generate_config(
    moto: &Moto,
    cases: &[Case],
    ids: &BTreeMap<String, String>,
    outcomes: &mut BTreeMap<String, Outcome>,
) {
    let corpus: Vec<&Case> = cases
        .iter()
        .filter(|c| !c.file.starts_with("extra-"))
        .collect();
    let latest = |c: &Case| {
        let t = template(moto, &ids[&c.label]);
        version(moto, &ids[&c.label], t.latest_version)
    };
    let (richest, data) = corpus
        .iter()
        .map(|c| (*c, latest(c)))
        .max_by_key(|(_, v)| leaves(&v.data.to_json(), "").len())
        .expect("a corpus file");
    let wd = moto.workdir();
    wd.write_config(&format!(
        "{}import {{\n  to = ecshost_launch_template.generated\n  id = \"{}\"\n}}\n",
        moto.aws_and_ecshost_providers(),
        ids[&richest.label]
    ));
    wd.init();
    let r = wd.run(&[
        "plan",
        "-generate-config-out=generated.tf",
        "-input=false",
        "-no-color",
    ]);
    let o = outcomes.get_mut(&richest.label).unwrap();
    if r.code != 0 {
        check(
            o,
            "-generate-config-out",
            Err(format!("{}{}", r.stdout, r.stderr)),
        );
        return;
    }
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).expect("generated.tf");
    // Lines with runs of blanks collapsed (terraform aligns the `=`).
    let lines: Vec<String> = generated
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let missing: Vec<String> = leaves(&data.data.to_json(), "")
        .into_iter()
        .filter(|(path, value)| {
            let arg = tf_name(path.rsplit('.').next().unwrap_or(path));
            !lines.iter().any(|l| {
                if arg == "tags" {
                    l == value
                } else {
                    l.starts_with(&format!("{arg} ")) && l.contains(value.as_str())
                }
            })
        })
        .map(|(p, v)| format!("{p} = {v}"))
        .collect();
    check(
        o,
        "-generate-config-out spells every field",
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "missing from generated.tf: {missing:?}\n{generated}"
            ))
        },
    );
    wd.apply();
    let r = wd.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    check(
        o,
        "-generate-config-out then plan",
        if r.code == 0 {
            Ok(())
        } else {
            Err(format!("{}{}\n{generated}", r.stdout, r.stderr))
        },
    );
    let t = template(moto, &ids[&richest.label]);
    check(
        o,
        "-generate-config-out import",
        if t.latest_version == data.number {
            Ok(())
        } else {
            Err(format!("wrote version {}", t.latest_version))
        },
    );
    println!(
        "[import {{}}] -generate-config-out on {} ({} fields): {}",
        richest.file,
        leaves(&data.data.to_json(), "").len(),
        if o.failures.iter().any(|f| f.starts_with("-generate")) {
            "FAIL"
        } else {
            "every field spelled, plan empty after import"
        }
    );
}

/// Leaf values of EC2 data as (path, the value as HCL would spell it);
/// `Tags` items become `Key = "Value"`.
fn leaves(j: &Json, at: &str) -> Vec<(String, String)> {
    match j {
        Json::Object(o) if o.contains_key("Key") && o.contains_key("Value") => vec![(
            format!("{at}.Tags"),
            format!(
                "{} = \"{}\"",
                o["Key"].as_str().unwrap_or_default(),
                o["Value"].as_str().unwrap_or_default()
            ),
        )],
        Json::Object(o) => o
            .iter()
            .flat_map(|(k, v)| leaves(v, &format!("{at}.{k}")))
            .collect(),
        Json::Array(a) => a.iter().flat_map(|v| leaves(v, at)).collect(),
        Json::String(s) => vec![(at.to_owned(), format!("\"{s}\""))],
        Json::Bool(b) => vec![(at.to_owned(), b.to_string())],
        Json::Number(n) => vec![(at.to_owned(), n.to_string())],
        Json::Null => vec![],
    }
}

/// hashicorp/aws's argument name for an EC2 member (the corpus's members).
fn tf_name(member: &str) -> String {
    match member {
        "SecurityGroupIds" => return "vpc_security_group_ids".into(),
        "SecurityGroups" => return "security_group_names".into(),
        "Groups" => return "security_groups".into(),
        "ElasticInferenceAccelerators" => return "elastic_inference_accelerator".into(),
        "LicenseSpecifications" => return "license_specification".into(),
        "EnableResourceNameDnsAAAARecord" => return "enable_resource_name_dns_aaaa_record".into(),
        "EnableResourceNameDnsARecord" => return "enable_resource_name_dns_a_record".into(),
        "MemoryMiB" => return "memory_mib".into(),
        "MemoryGiBPerVCpu" => return "memory_gib_per_vcpu".into(),
        "VCpuCount" => return "vcpu_count".into(),
        "SecondaryPrivateIpAddressCount" => return "ipv4_address_count".into(),
        _ => {}
    }
    let mut out = String::new();
    for (i, ch) in member.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

#[test]
fn moved() {
    run(Way::Moved);
}

#[test]
fn terraform_import() {
    run(Way::CliImport);
}

#[test]
fn import_block() {
    run(Way::ImportBlock);
}

/// Every argument and block of `aws_launch_template` (from the schema
/// hashicorp/aws 5.100.0 reports) is set by at least one configuration
/// this test runs, so the corpus cycle covers the whole schema.
#[test]
fn extras_and_corpus_cover_the_whole_aws_schema() {
    assert!(
        aws_provider_mirror().is_some(),
        "no filesystem mirror of hashicorp/aws 5.100.0 (/opt/tf-plugins, or set ECSHOST_AWS_MIRROR)"
    );
    let wd = Workdir::new();
    wd.write_config(
        "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", version = \"5.100.0\" }\n  }\n}\n",
    );
    wd.init();
    let r = wd.ok(&["providers", "schema", "-json"]);
    let s: Json = serde_json::from_str(&r.stdout).expect("schema JSON");
    let block = &s["provider_schemas"]["registry.terraform.io/hashicorp/aws"]["resource_schemas"]
        ["aws_launch_template"]["block"];
    let mut args = Vec::new();
    arguments(block, "", &mut args);
    let mut set = std::collections::BTreeSet::new();
    for c in cases() {
        set_paths(&c.body, &mut set);
    }
    // Not arguments a configuration sets: `id` and `tags_all` are
    // optional+computed in SDKv2's schema only because it lets any
    // computed attribute be written; hashicorp/aws ignores them.
    let not_settable = ["id", "tags_all"];
    let unset: Vec<&String> = args
        .iter()
        .filter(|(path, _)| !not_settable.contains(&path.as_str()))
        .filter(|(path, _)| !set.contains(path.as_str()))
        .map(|(p, _)| p)
        .collect();
    assert!(
        unset.is_empty(),
        "arguments of aws_launch_template no configuration sets: {unset:?}"
    );
    println!(
        "{} arguments and blocks of aws_launch_template, each set at least once",
        args.len()
    );
}

/// The dotted paths of the arguments and blocks an HCL resource body sets
/// (one argument or block opening per line, as in the corpus).
fn set_paths(body: &str, out: &mut std::collections::BTreeSet<String>) {
    let mut stack: Vec<String> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if line == "}" {
            stack.pop();
            continue;
        }
        let (name, opens) = if let Some((k, v)) = line.split_once('=') {
            (k.trim(), v.trim() == "{")
        } else if let Some(k) = line.strip_suffix('{') {
            (k.trim(), true)
        } else {
            continue;
        };
        // the resource block itself is the root
        if name.starts_with("resource ") {
            stack.push(String::new());
            continue;
        }
        let path = stack
            .iter()
            .skip(1)
            .chain(std::iter::once(&name.to_owned()))
            .cloned()
            .collect::<Vec<_>>()
            .join(".");
        out.insert(path);
        if opens {
            stack.push(name.to_owned());
        }
    }
}

/// Settable arguments (optional or required) and blocks, by dotted path.
fn arguments(block: &Json, at: &str, out: &mut Vec<(String, bool)>) {
    if let Some(attrs) = block["attributes"].as_object() {
        for (k, a) in attrs {
            if a["optional"] == Json::Bool(true) || a["required"] == Json::Bool(true) {
                out.push((format!("{at}{k}"), false));
            }
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (k, b) in blocks {
            out.push((format!("{at}{k}"), true));
            arguments(&b["block"], &format!("{at}{k}."), out);
        }
    }
}
