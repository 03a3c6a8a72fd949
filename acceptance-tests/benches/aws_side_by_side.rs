//! This provider next to hashicorp/aws 5.100.0, in one run (printed, not
//! asserted): exec → handshake and memory at the handshake,
//! `terraform providers schema -json`, and plan / apply / destroy of one
//! launch template with the same user data against the same moto
//! (`aws_launch_template` vs `ecshost_launch_template`) — a small one, and
//! one with every argument and block set (the same body in both).
//!
//! Needs the hashicorp/aws filesystem mirror (`/opt/tf-plugins` on this
//! project's machine image, or `ECSHOST_AWS_MIRROR`); without it the section
//! says so and measures nothing.
//!
//! Run: `cargo bench -p acceptance-tests --bench aws_side_by_side` after the
//! release build. `RUNS` (default 3) for the Terraform commands,
//! `STARTS` (default 20) for process starts.

use std::path::PathBuf;

use acceptance_tests::bench::{self, max, median, min, LoadSpan, Plugin};
use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{aws_provider_mirror, Workdir};
use ecshost::render::agent::AgentInput;
use ecshost::render::user_data::{render, HostFormat, UserDataInput};

const AMI: &str = "ami-05fb4f257abd42992";

fn aws_binary(mirror: &std::path::Path) -> Option<PathBuf> {
    let d = mirror.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
    std::fs::read_dir(d)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("terraform-provider-aws"))
        })
}

fn aws_config(ep: &str, body: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "5.100.0" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
    ec2 = "{ep}"
    sts = "{ep}"
  }}
}}
{body}"#
    )
}

fn ecshost_config(ep: &str, body: &str) -> String {
    let provider = acceptance_tests::terraform::provider_block(&[("ec2", ep)], &[]);
    format!(r#"{provider}{body}"#)
}

fn aws_template(name: &str, ud: &str) -> String {
    format!(
        r#"resource "aws_launch_template" "hosts" {{
  name          = "{name}"
  image_id      = "{AMI}"
  instance_type = "t3.small"
  user_data     = "{ud}"
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
  tags = {{ team = "platform" }}
}}
"#
    )
}

fn ecshost_template(name: &str, ud: &str) -> String {
    format!(
        r#"resource "ecshost_launch_template" "hosts" {{
  name             = "{name}"
  image_id         = "{AMI}"
  instance_type    = "t3.small"
  user_data        = "{ud}"
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
  tags = {{ team = "platform" }}
}}
"#
    )
}

/// A body setting every block and every argument of `aws_launch_template`
/// 5.100.0 but the two that conflict with another (both types refuse
/// `instance_type` beside `instance_requirements` and `security_group_names`
/// beside `vpc_security_group_ids`); valid for both types.
const FULL_BODY: &str = r##"
  description                          = "every argument"
  image_id                             = "ami-05fb4f257abd42992"
  kernel_id                            = "aki-0123456789abcdef0"
  ram_disk_id                          = "ari-0123456789abcdef0"
  key_name                             = "ops"
  ebs_optimized                        = "true"
  disable_api_stop                     = true
  disable_api_termination              = true
  instance_initiated_shutdown_behavior = "terminate"
  vpc_security_group_ids               = ["sg-0123456789abcdef0"]
  update_default_version               = true
  user_data                            = "UD"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      delete_on_termination = "true"
      encrypted             = "true"
      iops                  = 4000
      kms_key_id            = "arn:aws:kms:us-east-1:111122223333:key/0b7c6d5e-4f3a-4b2c-9d1e-0f1a2b3c4d5e"
      throughput            = 250
      volume_size           = 50
      volume_type           = "gp3"
    }
  }
  block_device_mappings {
    device_name  = "/dev/sdb"
    virtual_name = "ephemeral0"
  }
  capacity_reservation_specification {
    capacity_reservation_target {
      capacity_reservation_id = "cr-0123456789abcdef0"
    }
  }
  cpu_options {
    amd_sev_snp      = "disabled"
    core_count       = 2
    threads_per_core = 1
  }
  credit_specification {
    cpu_credits = "unlimited"
  }
  elastic_gpu_specifications {
    type = "eg1.medium"
  }
  elastic_inference_accelerator {
    type = "eia1.medium"
  }
  enclave_options {
    enabled = true
  }
  hibernation_options {
    configured = true
  }
  iam_instance_profile {
    name = "ecs-instance"
  }
  instance_market_options {
    market_type = "spot"
    spot_options {
      block_duration_minutes         = 60
      instance_interruption_behavior = "stop"
      max_price                      = "0.085"
      spot_instance_type             = "persistent"
      valid_until                    = "2030-01-02T03:04:05Z"
    }
  }
  instance_requirements {
    accelerator_manufacturers                                = ["nvidia"]
    accelerator_names                                        = ["t4"]
    accelerator_types                                        = ["gpu"]
    allowed_instance_types                                   = ["g4dn.*"]
    bare_metal                                               = "excluded"
    burstable_performance                                    = "excluded"
    cpu_manufacturers                                        = ["intel"]
    instance_generations                                     = ["current"]
    local_storage                                            = "included"
    local_storage_types                                      = ["ssd"]
    max_spot_price_as_percentage_of_optimal_on_demand_price = 60
    on_demand_max_price_percentage_over_lowest_price         = 20
    require_hibernate_support                                = true
    accelerator_count {
      min = 1
      max = 4
    }
    accelerator_total_memory_mib {
      min = 16384
    }
    baseline_ebs_bandwidth_mbps {
      min = 1000
    }
    memory_gib_per_vcpu {
      min = 0.5
      max = 8
    }
    memory_mib {
      min = 8192
    }
    network_bandwidth_gbps {
      min = 12.5
    }
    network_interface_count {
      max = 4
    }
    total_local_storage_gb {
      min = 100
    }
    vcpu_count {
      min = 4
      max = 64
    }
  }
  license_specification {
    license_configuration_arn = "arn:aws:license-manager:us-east-1:111122223333:license-configuration:lic-0123456789abcdef0123456789abcdef"
  }
  maintenance_options {
    auto_recovery = "default"
  }
  metadata_options {
    http_endpoint               = "enabled"
    http_protocol_ipv6          = "enabled"
    http_put_response_hop_limit = 2
    http_tokens                 = "required"
    instance_metadata_tags      = "enabled"
  }
  monitoring {
    enabled = true
  }
  network_interfaces {
    associate_public_ip_address = "true"
    delete_on_termination       = "true"
    description                 = "primary"
    device_index                = 0
    interface_type              = "interface"
    ipv4_addresses              = ["10.0.0.10", "10.0.0.11"]
    ipv6_addresses              = ["2001:db8::10"]
    ipv4_prefixes               = ["10.0.1.0/28"]
    ipv6_prefixes               = ["2001:db8:1::/80"]
    primary_ipv6                = "true"
    private_ip_address          = "10.0.0.10"
    security_groups             = ["sg-0123456789abcdef0"]
    subnet_id                   = "subnet-0123456789abcdef0"
    connection_tracking_specification {
      tcp_established_timeout = 3600
      udp_stream_timeout      = 120
      udp_timeout             = 30
    }
    ena_srd_specification {
      ena_srd_enabled = true
      ena_srd_udp_specification {
        ena_srd_udp_enabled = true
      }
    }
  }
  placement {
    affinity          = "default"
    availability_zone = "us-east-1a"
    group_name        = "ecs-cluster"
    partition_number  = 2
    tenancy           = "default"
  }
  private_dns_name_options {
    enable_resource_name_dns_a_record    = true
    enable_resource_name_dns_aaaa_record = true
    hostname_type                        = "resource-name"
  }
  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "full", team = "platform" }
  }
  tag_specifications {
    resource_type = "volume"
    tags          = { team = "platform" }
  }
"##;

fn full_template(kind: &str, name: &str, ud: &str) -> String {
    format!(
        "resource \"{kind}\" \"hosts\" {{\n  name = \"{name}\"\n{}}}\n",
        FULL_BODY.replace("\"UD\"", &format!("\"{ud}\""))
    )
}

/// Wall seconds of one terraform command that must succeed.
fn time(wd: &Workdir, args: &[&str]) -> (f64, usize) {
    let (r, s) = bench::timed(|| wd.run(args));
    assert_eq!(r.code, 0, "terraform {args:?}:\n{}\n{}", r.stderr, r.stdout);
    (s, r.stdout.len())
}

fn stat(v: &[f64], unit: fn(f64) -> String) -> String {
    format!("{} ({}–{})", unit(median(v)), unit(min(v)), unit(max(v)))
}

fn ratio(a: &[f64], b: &[f64]) -> String {
    let r = median(a) / median(b);
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.2}×")
    }
}

fn main() {
    println!("### Side by side with hashicorp/aws 5.100.0\n");
    println!("{}\n", bench::provenance());
    let Some(aws_bin) = aws_provider_mirror().and_then(|m| aws_binary(&m)) else {
        println!("**Not measured**: no filesystem mirror of hashicorp/aws 5.100.0 on this machine (set `ECSHOST_AWS_MIRROR`).");
        return;
    };
    let ours = bench::release_provider();
    let runs = bench::runs(3);
    let starts: usize = std::env::var("STARTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);

    // Warm the page cache for both binaries, then alternate starts.
    drop(Plugin::start(&aws_bin, "5", &[]));
    drop(Plugin::start(&ours, "6", &[]));
    let load_start = LoadSpan::start();
    let (mut hs_a, mut hs_o, mut rss_a, mut rss_o, mut anon_a, mut anon_o) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..starts {
        let p = Plugin::start(&aws_bin, "5", &[]);
        hs_a.push(p.to_handshake.as_secs_f64() * 1e3);
        let m = bench::mem(p.child.id()).unwrap_or_default();
        rss_a.push(m.rss);
        anon_a.push(m.anon);
        drop(p);
        let p = Plugin::start(&ours, "6", &[]);
        hs_o.push(p.to_handshake.as_secs_f64() * 1e3);
        let m = bench::mem(p.child.id()).unwrap_or_default();
        rss_o.push(m.rss);
        anon_o.push(m.anon);
    }
    let load_start = load_start.end();
    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);

    let moto = Moto::start();
    let hermetic = tempfile::tempdir().expect("temp dir");
    let setup = |wd: &mut Workdir| {
        wd.envs(moto.env());
        let cfg = hermetic.path().join("none");
        wd.env("AWS_CONFIG_FILE", cfg.to_str().unwrap())
            .env("AWS_SHARED_CREDENTIALS_FILE", cfg.to_str().unwrap());
    };
    let mut aws_wd = Workdir::with_providers(&[]);
    let mut our_wd = Workdir::with_providers(&[("ecshost", ours.clone())]);
    setup(&mut aws_wd);
    setup(&mut our_wd);
    aws_wd.write_config(&aws_config(&moto.endpoint, ""));
    our_wd.write_config(&ecshost_config(&moto.endpoint, ""));
    let (init_a, _) = time(&aws_wd, &["init", "-input=false", "-no-color"]);
    let (init_o, _) = time(&our_wd, &["init", "-input=false", "-no-color"]);

    // `terraform providers schema -json`, one warm-up each, then alternating.
    let schema_args = ["providers", "schema", "-json"];
    time(&aws_wd, &schema_args);
    time(&our_wd, &schema_args);
    let load_schema = LoadSpan::start();
    let (mut sch_a, mut sch_o, mut bytes_a, mut bytes_o) = (vec![], vec![], 0, 0);
    for _ in 0..runs {
        let (s, b) = time(&aws_wd, &schema_args);
        sch_a.push(s);
        bytes_a = b;
        let (s, b) = time(&our_wd, &schema_args);
        sch_o.push(s);
        bytes_o = b;
    }
    let load_schema = load_schema.end();

    // One launch template, same user data, same moto: plan, apply, destroy.
    let ud = render(&UserDataInput {
        host_format: HostFormat::Shell,
        agent: AgentInput {
            cluster: "side-by-side".into(),
            ..Default::default()
        },
        ..Default::default()
    })
    .expect("renders");
    let plan = ["plan", "-input=false", "-no-color"];
    let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];
    let destroy = ["destroy", "-auto-approve", "-input=false", "-no-color"];
    // Warm-up cycle each (moto's first call in an account is slow).
    for (wd, cfg) in [
        (
            &aws_wd,
            aws_config(&moto.endpoint, &aws_template("warm-aws", &ud.base64)),
        ),
        (
            &our_wd,
            ecshost_config(&moto.endpoint, &ecshost_template("warm-ours", &ud.base64)),
        ),
    ] {
        wd.write_config(&cfg);
        time(wd, &apply);
        time(wd, &destroy);
    }
    let load_cycle = LoadSpan::start();
    let mut t: [[Vec<f64>; 3]; 2] = Default::default();
    for run in 0..runs {
        let cfgs = [
            aws_config(
                &moto.endpoint,
                &aws_template(&format!("aws-{run}"), &ud.base64),
            ),
            ecshost_config(
                &moto.endpoint,
                &ecshost_template(&format!("ours-{run}"), &ud.base64),
            ),
        ];
        for (i, wd) in [&aws_wd, &our_wd].into_iter().enumerate() {
            wd.write_config(&cfgs[i]);
            t[i][0].push(time(wd, &plan).0);
            t[i][1].push(time(wd, &apply).0);
            let n = wd.show()["values"]["root_module"]["resources"]
                .as_array()
                .map_or(0, Vec::len);
            assert_eq!(n, 1, "one launch template in state");
            t[i][2].push(time(wd, &destroy).0);
        }
    }
    let load_cycle = load_cycle.end();

    // The same with every argument and block set, the same body in both.
    let load_full = LoadSpan::start();
    let mut full: [[Vec<f64>; 4]; 2] = Default::default();
    for run in 0..runs {
        for (i, (wd, kind, cfg)) in [
            (
                &aws_wd,
                "aws_launch_template",
                aws_config as fn(&str, &str) -> String,
            ),
            (&our_wd, "ecshost_launch_template", ecshost_config),
        ]
        .into_iter()
        .enumerate()
        {
            let name = format!("full-{i}-{run}");
            wd.write_config(&cfg(
                &moto.endpoint,
                &full_template(kind, &name, &ud.base64),
            ));
            full[i][0].push(time(wd, &plan).0);
            full[i][1].push(time(wd, &apply).0);
            // A user-data change: a new version carrying everything else.
            let other = render(&UserDataInput {
                host_format: HostFormat::Shell,
                agent: AgentInput {
                    cluster: format!("side-by-side-{run}"),
                    ..Default::default()
                },
                ..Default::default()
            })
            .expect("renders");
            wd.write_config(&cfg(
                &moto.endpoint,
                &full_template(kind, &name, &other.base64),
            ));
            full[i][2].push(time(wd, &apply).0);
            full[i][3].push(time(wd, &destroy).0);
        }
    }
    let load_full = load_full.end();

    let ms = |v: f64| bench::ms(v);
    let mib = |v: f64| format!("{v:.1} MiB");
    let s = |v: f64| bench::secs(v);
    println!(
        "Binaries: hashicorp/aws `{}` **{} bytes**; ecshost release **{} bytes** ({}× smaller). \
         Start-up: {starts} process starts each, alternating, after one warm-up start each (binaries in page cache), \
         the way Terraform starts them (magic cookie, `PLUGIN_PROTOCOL_VERSIONS` 5 for aws, 6 for ours, no AutoMTLS). \
         Terraform commands: median (min–max) of {runs} runs each, alternating, after a warm-up; \
         every cycle creates a new template name in the same moto server. User data: the provider's `shell` rendering \
         ({} bytes) as a base64 literal in both configurations. `terraform init` from the filesystem mirror (1 run): aws {}, ecshost {}.\n",
        aws_bin.file_name().unwrap().to_string_lossy(),
        size(&aws_bin),
        size(&ours),
        size(&aws_bin) / size(&ours).max(1),
        ud.size_bytes,
        s(init_a),
        s(init_o),
    );
    println!("| figure | hashicorp/aws 5.100.0 | ecshost | aws / ecshost | anchor (perf-anchors.md §1.2) | load 1-min |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| exec → handshake line | {} | {} | {} | aws 201–299 ms warm | {load_start} |",
        stat(&hs_a, ms),
        stat(&hs_o, ms),
        ratio(&hs_a, &hs_o)
    );
    println!(
        "| VmRSS at handshake | {} | {} | {} | aws 509–517 MiB | {load_start} |",
        stat(&rss_a, mib),
        stat(&rss_o, mib),
        ratio(&rss_a, &rss_o)
    );
    println!(
        "| RssAnon at handshake | {} | {} | {} | aws 57–58 MiB | {load_start} |",
        stat(&anon_a, mib),
        stat(&anon_o, mib),
        ratio(&anon_a, &anon_o)
    );
    println!(
        "| `terraform providers schema -json` | {} | {} | {} | aws 2.86–3.02 s | {load_schema} |",
        stat(&sch_a, s),
        stat(&sch_o, s),
        ratio(&sch_a, &sch_o)
    );
    println!(
        "| schema JSON bytes | {bytes_a} | {bytes_o} | {} | aws 13,591,718 | — |",
        bytes_a / bytes_o.max(1)
    );
    for (i, what) in ["plan (create 1 launch template)", "apply", "destroy"]
        .iter()
        .enumerate()
    {
        let anchor = if i == 0 {
            "aws plan of one data source 3.46–3.51 s"
        } else {
            "—"
        };
        println!(
            "| `terraform {what}` | {} | {} | {} | {anchor} | {load_cycle} |",
            stat(&t[0][i], s),
            stat(&t[1][i], s),
            ratio(&t[0][i], &t[1][i])
        );
    }
    for (i, what) in [
        "plan (create, every argument set)",
        "apply (create, every argument set)",
        "apply (user data changed: new version)",
        "destroy (every argument set)",
    ]
    .iter()
    .enumerate()
    {
        println!(
            "| `terraform {what}` | {} | {} | {} | — | {load_full} |",
            stat(&full[0][i], s),
            stat(&full[1][i], s),
            ratio(&full[0][i], &full[1][i])
        );
    }
}
