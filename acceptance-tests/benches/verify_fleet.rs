//! The cost of verifying a fleet (printed, not asserted): N instances
//! launched from an `ecshost_launch_template` in moto (reservations of 100,
//! as an Auto Scaling group would launch them), every one registered in an
//! ECS cluster, verified by `data "ecshost_instance_verification"` with
//! `ecs_cluster` in three modes:
//!
//! - (a) page-priced checks only (`sample_size = 0`);
//! - (b) `sample_size = 20` (per template version: one here);
//! - (c) every instance deep-checked (`sample_size` unset, the default).
//!
//! For each: the API calls by operation (the data source's `api_calls`,
//! read from the saved plan) next to item 4's formula, and the wall time of
//! `terraform plan`, next to the floor: moto's own time to answer the same
//! DescribeInstances query (out of band, no Terraform) and the time of the
//! same plan without the data source (Terraform, provider start-up and
//! the template's refresh), so "verification" = plan − that baseline.
//!
//! moto is not EC2: its per-call latency (Python, one server, ~7–10 ms)
//! says nothing about AWS's, and it answers ListContainerInstances in one
//! page (ECS: 100 a page). The call counts are what carries over.
//!
//! Run: `cargo bench -p acceptance-tests --bench verify_fleet` after the
//! release build and `bash .ci/install-moto`. `BENCH_N` (default
//! `1000,10000`), `RUNS` (plans per mode for (a) and (b), default 3; (c)
//! runs once: at 10,000 it is 20,000 per-instance calls).

use acceptance_tests::bench::{self, max, median, min, LoadSpan};
use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{find_resource, Workdir};
use serde_json::Value as Json;

const AMI: &str = "ami-05fb4f257abd42992";
const CLUSTER: &str = "fleet";
const SAMPLE: usize = 20;

fn config(endpoint: &str, body: &str) -> String {
    let provider =
        acceptance_tests::terraform::provider_block(&[("ec2", endpoint), ("ecs", endpoint)], &[]);
    format!(
        r#"{provider}data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "{CLUSTER}"
}}
resource "ecshost_launch_template" "hosts" {{
  name          = "ecs-hosts"
  image_id      = "{AMI}"
  instance_type = "t3.small"
  user_data     = data.ecshost_user_data.hosts.base64
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
}}
{body}"#
    )
}

fn verification(sample: Option<usize>) -> String {
    format!(
        r#"
data "ecshost_instance_verification" "fleet" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  ecs_cluster               = "{CLUSTER}"
  require_runtime_report    = false
{}}}
"#,
        sample.map_or(String::new(), |k| format!(
            "  sample_size               = {k}\n"
        ))
    )
}

fn calls_text(calls: &Json) -> String {
    calls
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn total(calls: &Json) -> u64 {
    calls
        .as_object()
        .map(|m| m.values().filter_map(Json::as_u64).sum())
        .unwrap_or(0)
}

/// One `terraform plan -out`, timed; the data source's values from it.
fn plan(wd: &Workdir) -> (f64, Option<Json>) {
    let (r, s) = bench::timed(|| wd.run(&["plan", "-input=false", "-no-color", "-out=b.plan"]));
    assert_eq!(r.code, 0, "plan: {}", r.stderr);
    let shown = wd.run(&["show", "-json", "b.plan"]);
    let plan: Json = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let v = find_resource(
        &plan["prior_state"],
        "data.ecshost_instance_verification.fleet",
    )
    .map(|r| r["values"].clone());
    (s, v)
}

fn main() {
    let bin = bench::release_provider();
    let ns = bench::list("BENCH_N", &[1000, 10000]);
    let runs = bench::runs(3);
    let provenance = bench::provenance();
    let mut rows = Vec::new();
    for &n in &ns {
        let moto = Moto::start();
        let mut wd = Workdir::with_providers(&[("ecshost", bin.clone())]);
        wd.envs(moto.env());
        wd.write_config(&config(&moto.endpoint, ""));
        wd.init();
        wd.apply();
        let id = wd.values("ecshost_launch_template.hosts")["id"]
            .as_str()
            .expect("template id")
            .to_owned();
        let (launched, launch_s) = bench::timed(|| moto.launch_fleet(&id, n));
        assert_eq!(launched.len(), n);
        let (_, register_s) = bench::timed(|| {
            moto.create_cluster(CLUSTER);
            moto.register_container_instances(CLUSTER, &launched)
        });

        // The floor: moto answering the data source's own DescribeInstances
        // query, out of band.
        let load_floor = LoadSpan::start();
        let mut floor_pages = 0;
        let floor: Vec<f64> = (0..3)
            .map(|_| {
                moto.with_ec2(async |ec2| {
                    let t = std::time::Instant::now();
                    let found = ec2
                        .find_instances(&ecshost::ec2::instances::InstanceQuery {
                            launch_template_id: Some(id.clone()),
                            states: vec!["running".into()],
                            instance_ids: vec![],
                        })
                        .await
                        .expect("DescribeInstances");
                    assert_eq!(found.len(), n);
                    floor_pages = ec2.call_counts()["DescribeInstances"];
                    t.elapsed().as_secs_f64()
                })
            })
            .collect();
        let fl = median(&floor);
        rows.push(format!(
            "| {n} | floor: moto DescribeInstances (tag + state filter), out of band | {} ({}–{}) | — | — | DescribeInstances {floor_pages} | — | {} |",
            bench::secs(fl),
            bench::secs(min(&floor)),
            bench::secs(max(&floor)),
            load_floor.end()
        ));
        // The baseline: the same plan without the data source.
        let load_base = LoadSpan::start();
        let base: Vec<f64> = (0..runs).map(|_| plan(&wd).0).collect();
        let bl = median(&base);
        rows.push(format!(
            "| {n} | baseline: the same `terraform plan` without the data source | {} ({}–{}) | — | — | — | — | {} |",
            bench::secs(bl),
            bench::secs(min(&base)),
            bench::secs(max(&base)),
            load_base.end()
        ));

        for (label, sample, times) in [
            ("(a) page-priced only, `sample_size = 0`", Some(0), runs),
            ("(b) `sample_size = 20`", Some(SAMPLE), runs),
            ("(c) every instance deep-checked (default)", None, 1),
        ] {
            wd.write_config(&config(&moto.endpoint, &verification(sample)));
            let load = LoadSpan::start();
            let mut walls = Vec::new();
            let mut values = None;
            for _ in 0..times {
                let (s, v) = plan(&wd);
                walls.push(s);
                values = v;
            }
            let v = values.expect("the data source is read at plan time");
            assert_eq!(v["instance_count"], serde_json::json!(n), "{label}");
            assert_eq!(
                v["all_ok"],
                serde_json::json!(true),
                "{:#}",
                v["instances"][0]
            );
            let deep = sample.map_or(n, |k| k.min(n));
            // With moto's page sizes: DescribeInstances pages hold 1,000
            // reservations (of 100 here), ListContainerInstances one page.
            let formula = (n.div_ceil(100)).div_ceil(1000) + 1 + n.div_ceil(100) + 2 * deep + 1;
            let pw = median(&walls);
            rows.push(format!(
                "| {n} | {label} | plan {} ({}–{}) | {} | {:.2}× | {} (total {}; formula with moto's page sizes: {formula}) | {} | {} |",
                bench::secs(pw),
                bench::secs(min(&walls)),
                bench::secs(max(&walls)),
                bench::secs(pw - bl),
                (pw - bl) / fl,
                calls_text(&v["api_calls"]),
                total(&v["api_calls"]),
                v["deep_checked_count"],
                load.end()
            ));
        }
        rows.push(format!(
            "| {n} | (setup, not a figure of the provider: {} RunInstances of ≤ 100, then {n} RegisterContainerInstance) | {} + {} | — | — | — | — | — |",
            n.div_ceil(100),
            bench::secs(launch_s),
            bench::secs(register_s)
        ));
    }

    println!("### Verifying a fleet: page-priced, sampled, every instance\n");
    println!("{provenance}\n");
    println!(
        "moto 5.2.5 (one server per fleet size, reservations of 100 instances, every instance registered in one ECS cluster), release provider, `concurrency = 8` (the default), \
         `ecs_cluster` set, `require_runtime_report = false` (moto's canned console never holds a report). \
         Wall: median (min–max) of {runs} `terraform plan -out` runs for (a) and (b), one for (c); each reads the data source once, and the saved plan gives `api_calls`. \
         \"verification\" = plan − baseline (the same plan without the data source: Terraform, provider start-up, the template's refresh); \"× floor\" = verification / floor, \
         the floor being moto's own answer to the same DescribeInstances query from a Rust client (median of 3). Target (docs/performance.md): (a) and (b) within 1.5× of the floor.\n"
    );
    println!("| N | what | wall | verification | × floor | API calls (`api_calls`) | deep-checked | load 1-min |");
    println!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!("{r}");
    }
    println!(
        "\nFormula (docs/guides/verifying-instances.md): ⌈N/1000⌉ DescribeInstances + ListContainerInstances pages (⌈N/100⌉ on ECS; moto answers in one) \
         + ⌈N/100⌉ DescribeContainerInstances + 2 × deep-checked (DescribeInstanceAttribute, GetConsoleOutput) + 1 DescribeLaunchTemplateVersions per distinct version. \
         On AWS the per-instance calls of (c) meet EC2's non-mutating request bucket (≈ 20 per second sustained after a burst of 100, perf-anchors.md §2.3): \
         ≈ 17 minutes at N = 10,000, whatever moto shows; (a) and (b) stay at ⌈N/1000⌉ + 2⌈N/100⌉ + 2 + 40."
    );
}
