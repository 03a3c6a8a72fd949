//! `ecshost_instance_verification` through real Terraform against moto:
//! a fleet where each deviation (older version, overridden user data,
//! IMDSv1, another template, stopped) is named on the right instance; the
//! `check` block warns, the gating resource fails the apply and passes for a
//! healthy fleet; the cheap `template` mode is blind to overrides, as
//! documented; and 1000 instances are verified with the API calls counted.
//!
//! moto gaps handled here (see docs/guides/testing-against-moto.md):
//! instances do not inherit the template's metadata options, so RunInstances
//! passes what real EC2 would have inherited ([`Launch::new`]); console
//! output is canned, so it never holds a self-check report (the runtime half
//! is proved in `host_lab_rendered.rs` with console text the lab printed).

use acceptance_tests::verification::{by_id, hosts_config, problems, AMI};
use std::time::Instant;

use acceptance_tests::moto::{Launch, Moto};
use acceptance_tests::terraform::find_resource;
use base64::Engine as _;
use serde_json::json;

fn config(endpoint: &str, cluster: &str, body: &str) -> String {
    hosts_config(endpoint, false, cluster, body)
}

/// A verification block (data source or resource) of `name`.
fn verification(kind: &str, name: &str, extra: &str) -> String {
    format!(
        r#"
{kind} "ecshost_instance_verification" "{name}" {{
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
{extra}
}}
"#
    )
}

fn hcl_list(ids: &[&str]) -> String {
    format!(
        "[{}]",
        ids.iter()
            .map(|i| format!("\"{i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

#[test]
fn each_deviation_is_named_check_warns_and_the_gate_fails_the_apply() {
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&config(&moto.endpoint, "blue", ""));
    wd.init();
    wd.apply();
    wd.write_config(&config(&moto.endpoint, "green", ""));
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts");
    let id = lt["id"].as_str().unwrap().to_owned();
    assert_eq!(lt["latest_version"], json!(2));

    let good = moto.run_instances(&Launch::new(&id, "$Latest", 2));
    let old = moto.run_instances(&Launch::new(&id, "1", 1));
    let other_ud = base64::engine::general_purpose::STANDARD.encode("#!/bin/sh\necho hand-made\n");
    let overridden = moto.run_instances(&Launch {
        user_data_base64: Some(&other_ud),
        ..Launch::new(&id, "$Latest", 1)
    });
    let imdsv1 = moto.run_instances(&Launch {
        metadata: Some(("optional", 2)),
        ..Launch::new(&id, "$Latest", 1)
    });
    let other_lt = moto.create_template_out_of_band("someone-elses", &other_ud);
    let foreign = moto.run_instances(&Launch::new(&other_lt, "1", 1));
    let stopped = moto.run_instances(&Launch::new(&id, "$Latest", 1));
    moto.stop_instances(&stopped);

    let named = hcl_list(&[&foreign[0], &stopped[0]]);
    let fleet = format!(
        "  launch_template_id     = ecshost_launch_template.hosts.id\n  instance_ids           = {named}\n  require_runtime_report = false"
    );
    let body = [
        verification("data", "fleet", &fleet),
        verification(
            "data",
            "cheap",
            &format!("{fleet}\n  user_data_source = \"template\""),
        ),
        verification(
            "data",
            "strict",
            &format!("  instance_ids = {}", hcl_list(&[&good[0]])),
        ),
        format!(
            r#"
check "fleet" {{
{}
  assert {{
    condition     = data.ecshost_instance_verification.in_check.all_ok
    error_message = join("; ", flatten([for i in data.ecshost_instance_verification.in_check.instances : [for p in i.problems : "${{i.id}}: ${{p}}"]]))
  }}
}}
"#,
            verification("data", "in_check", &fleet)
        ),
    ]
    .concat();
    wd.write_config(&config(&moto.endpoint, "green", &body));
    let applied = wd.apply();
    // Terraform wraps warning text at 78 columns.
    let out = format!("{}{}", applied.stdout, applied.stderr).replace('\n', " ");
    assert!(
        out.contains("Check block assertion failed"),
        "the check block warns: {out}"
    );
    assert!(
        out.contains(&format!("{}: launched from {other_lt}", foreign[0])),
        "{out}"
    );

    let v = wd.values("data.ecshost_instance_verification.fleet");
    let got = by_id(&v);
    assert_eq!(v["instance_count"], json!(7), "{v:#}");
    assert_eq!(v["ok_count"], json!(2), "{v:#}");
    assert_eq!(v["all_ok"], json!(false));
    for g in &good {
        let i = &got[g];
        assert_eq!(i["ok"], json!(true), "{}", problems(i));
        assert_eq!(i["user_data_matches"], json!(true));
        assert_eq!(i["metadata_options_ok"], json!(true));
        assert_eq!(i["launch_template_version"], json!("2"));
        assert_eq!(i["runtime"]["summary"], json!("no report yet"));
        assert_eq!(i["runtime"]["reported"], json!(false));
    }
    let foreign_problem = format!("launched from {other_lt}, expected {id}");
    let expect = [
        (
            &old[0],
            &[
                "template version 1, expected version 2",
                "the instance's user data differs",
            ][..],
        ),
        (&overridden[0], &["the instance's user data differs"][..]),
        (&imdsv1[0], &["IMDSv1 allowed"][..]),
        (
            &foreign[0],
            &[foreign_problem.as_str(), "expected version 2"][..],
        ),
        (&stopped[0], &["state is stopped, expected running"][..]),
    ];
    for (iid, wants) in expect {
        let i = &got[iid];
        let p = problems(i);
        assert_eq!(i["ok"], json!(false), "{iid}");
        for w in wants {
            assert!(p.contains(w), "{iid}: want {w:?} in {p}");
        }
    }
    assert_eq!(
        got[&stopped[0]]["runtime"]["summary"],
        json!("not read (instance not running)")
    );
    // Pages, not instances, for everything but user data and consoles.
    let calls = &v["api_calls"];
    assert_eq!(
        calls["DescribeInstances"],
        json!(2),
        "tag page + named ids: {calls}"
    );
    assert_eq!(
        calls["DescribeLaunchTemplateVersions"],
        json!(3),
        "lt v1, lt v2, other v1: {calls}"
    );
    assert_eq!(calls["DescribeInstanceAttribute"], json!(7), "{calls}");
    assert_eq!(
        calls["GetConsoleOutput"],
        json!(6),
        "running ones only: {calls}"
    );

    // The cheap mode trusts the template tags: it cannot see the override.
    let cheap = by_id(&wd.values("data.ecshost_instance_verification.cheap"));
    assert_eq!(cheap[&overridden[0]]["user_data_matches"], json!(true));
    assert_eq!(cheap[&overridden[0]]["ok"], json!(true));
    assert_eq!(
        cheap[&old[0]]["user_data_matches"],
        json!(false),
        "old version still seen"
    );
    let cheap_calls = &wd.values("data.ecshost_instance_verification.cheap")["api_calls"];
    assert!(
        cheap_calls.get("DescribeInstanceAttribute").is_none(),
        "{cheap_calls}"
    );

    // Reports are required by default: moto's canned console has none.
    let strict = by_id(&wd.values("data.ecshost_instance_verification.strict"));
    assert!(
        problems(&strict[&good[0]]).contains("no self-check report on the console yet"),
        "{:#}",
        strict[&good[0]]
    );

    // The gate fails the apply, one error per failing instance, and saves nothing.
    let gate = format!("{body}{}", verification("resource", "gate", &fleet));
    wd.write_config(&config(&moto.endpoint, "green", &gate));
    let failed = wd.run(&["apply", "-auto-approve", "-no-color"]);
    assert_ne!(failed.code, 0, "the gate must fail: {}", failed.stdout);
    for bad in [
        &old[0],
        &overridden[0],
        &imdsv1[0],
        &foreign[0],
        &stopped[0],
    ] {
        assert!(
            failed
                .stderr
                .contains(&format!("Instance {bad} Fails Verification")),
            "{bad}: {}",
            failed.stderr
        );
    }
    for g in &good {
        assert!(
            !failed.stderr.contains(g.as_str()),
            "{g} is fine: {}",
            failed.stderr
        );
    }
    assert!(find_resource(&wd.show(), "ecshost_instance_verification.gate").is_none());

    // A healthy set passes the gate; the next plan is empty.
    let healthy = verification(
        "resource",
        "gate",
        &format!(
            "  instance_ids = {}\n  require_runtime_report = false\n  timeout = \"0s\"",
            hcl_list(&[&good[0], &good[1]])
        ),
    );
    wd.write_config(&config(&moto.endpoint, "green", &healthy));
    wd.apply();
    let g = wd.values("ecshost_instance_verification.gate");
    assert_eq!(g["all_ok"], json!(true), "{g:#}");
    assert_eq!(g["instance_count"], json!(2));
    wd.assert_empty_plan();
    wd.destroy();
}

#[test]
fn a_thousand_instances_cost_pages_not_instances_except_where_they_must() {
    let moto = Moto::start();
    let wd = moto.workdir();
    wd.write_config(&config(&moto.endpoint, "scale", ""));
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Ten reservations of 100, as an Auto Scaling group would launch them.
    let mut all = Vec::new();
    for _ in 0..10 {
        all.extend(moto.run_instances(&Launch::new(&id, "$Latest", 100)));
    }
    assert_eq!(all.len(), 1000);
    // The floor: moto's own time to list the fleet.
    let floor = moto.with_ec2(async |ec2| {
        let t = Instant::now();
        let n = ec2
            .find_instances(&ecshost::ec2::instances::InstanceQuery {
                launch_template_id: Some(id.clone()),
                states: vec!["running".into()],
                instance_ids: vec![],
            })
            .await
            .expect("list")
            .len();
        assert_eq!(n, 1000);
        t.elapsed()
    });
    let mut report = Vec::new();
    for mode in ["instance", "template"] {
        let body = verification(
            "data",
            "fleet",
            &format!(
                "  launch_template_id = ecshost_launch_template.hosts.id\n  require_runtime_report = false\n  user_data_source = \"{mode}\"\n  concurrency = 16"
            ),
        );
        wd.write_config(&config(&moto.endpoint, "scale", &body));
        let t = Instant::now();
        wd.apply();
        let wall = t.elapsed();
        let v = wd.values("data.ecshost_instance_verification.fleet");
        assert_eq!(v["instance_count"], json!(1000));
        assert_eq!(v["all_ok"], json!(true), "{:#}", v["instances"][0]);
        let calls = v["api_calls"].clone();
        assert_eq!(
            calls["DescribeInstances"],
            json!(1),
            "one page of 1000: {calls}"
        );
        assert_eq!(calls["DescribeLaunchTemplateVersions"], json!(1), "{calls}");
        assert_eq!(calls["GetConsoleOutput"], json!(1000), "{calls}");
        match mode {
            "instance" => assert_eq!(calls["DescribeInstanceAttribute"], json!(1000), "{calls}"),
            _ => assert!(calls.get("DescribeInstanceAttribute").is_none(), "{calls}"),
        }
        report.push(format!(
            "mode={mode} wall={:.1}s (terraform apply incl. plan) calls={calls}",
            wall.as_secs_f64()
        ));
    }
    eprintln!(
        "SCALE 1000 instances: moto DescribeInstances floor {:.2}s; {}",
        floor.as_secs_f64(),
        report.join("; ")
    );
}

/// Skip is not a pass. With 0.1.0's self-check, a host without a probe image
/// reported the two task-side checks as `skip`, `ok: true`, and this
/// verification passed it. With the default `required_checks` the same
/// console line — and a host running an older script without `agent_imds`
/// — fails verification, naming each check; the gating resource fails the
/// apply. An explicit `required_checks` list accepts what it does not name.
#[test]
fn a_required_check_that_was_skipped_fails_verification() {
    use acceptance_tests::ec2_proxy::Ec2Proxy;

    let moto = Moto::start();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let wd = moto.workdir();
    wd.write_config(&config(proxy.url(), "skips", ""));
    wd.init();
    wd.apply();
    let lt = wd.values("ecshost_launch_template.hosts");
    let id = lt["id"].as_str().unwrap().to_owned();
    let ids = moto.run_instances(&Launch::new(&id, "$Latest", 2));
    let pass = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"pass","endpoint":"pass","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"pass","imds_blocked":"pass","agent_imds":"pass"},"reasons":{},"address":"169.254.170.2","port":80,"probe":"curl"}"#;
    let skipped = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"pass","endpoint":"pass","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"skip","imds_blocked":"skip"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;
    proxy.set_console_output(&ids[0], &format!("[  3.1] boot\r\n{pass}\r\n"));
    proxy.set_console_output(&ids[1], &format!("[  3.1] boot\r\n{skipped}\r\n"));

    let strict = format!("  instance_ids = {}", hcl_list(&[&ids[0], &ids[1]]));
    let lenient = format!(
        "{strict}\n  required_checks = [\"alias\", \"endpoint\", \"agent_network\", \"metadata_guard\"]"
    );
    let body = [
        verification("data", "strict", &strict),
        verification("data", "lenient", &lenient),
    ]
    .concat();
    wd.write_config(&config(proxy.url(), "skips", &body));
    wd.apply();
    let strict = by_id(&wd.values("data.ecshost_instance_verification.strict"));
    assert_eq!(strict[&ids[0]]["ok"], true, "{:#}", strict[&ids[0]]);
    let b = &strict[&ids[1]];
    assert_eq!(b["ok"], false, "{b:#}");
    assert_eq!(
        b["runtime"]["summary"], "pass",
        "the report itself did not fail: {b:#}"
    );
    assert_eq!(
        b["problems"],
        json!([
            "required self-check task_path was skipped",
            "required self-check imds_blocked was skipped",
            "required self-check agent_imds is not in the report (the host runs an older self-check script)"
        ]),
        "{b:#}"
    );
    let lenient = by_id(&wd.values("data.ecshost_instance_verification.lenient"));
    assert_eq!(lenient[&ids[1]]["ok"], true, "{:#}", lenient[&ids[1]]);

    // The gate fails the apply on the skipped host.
    let gate = verification(
        "resource",
        "gate",
        &format!(
            "  instance_ids = {}\n  timeout = \"0s\"",
            hcl_list(&[&ids[1]])
        ),
    );
    wd.write_config(&config(proxy.url(), "skips", &gate));
    let r = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let err = r
        .stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        err.contains(&format!("Instance {} Fails Verification", ids[1]))
            && err.contains("required self-check task_path was skipped"),
        "{err}"
    );
}

/// What the template version promises and DescribeInstances shows is
/// judged per instance, in the same pages: an instance type overridden at
/// RunInstances and an instance tag removed later are named; volumes are
/// read with one DescribeVolumes call for the fleet.
#[test]
fn what_the_template_promises_is_verified() {
    let moto = Moto::start();
    let sg = moto.with_ec2(async |ec2| {
        ec2.sdk()
            .create_security_group()
            .group_name("ecs-hosts")
            .description("ECS hosts")
            .send()
            .await
            .expect("security group")
            .group_id()
            .unwrap()
            .to_owned()
    });
    let wd = moto.workdir();
    let template = acceptance_tests::terraform::provider_block(&[("ec2", &moto.endpoint)], &[])
        + &format!(
            r#"data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "promises"
}}
resource "ecshost_launch_template" "hosts" {{
  name                   = "promising"
  image_id               = "{AMI}"
  instance_type          = "m6i.large"
  key_name               = "ops"
  vpc_security_group_ids = ["{sg}"]
  user_data              = data.ecshost_user_data.hosts.base64
  block_device_mappings {{
    device_name = "/dev/xvda"
    ebs {{
      volume_size = 30
      volume_type = "gp3"
      encrypted   = true
    }}
  }}
  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
  tag_specifications {{
    resource_type = "instance"
    tags          = {{ Name = "ecs-hosts", team = "platform" }}
  }}
}}
"#
        );
    wd.write_config(&template);
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let good = moto.run_instances(&Launch::new(&id, "$Latest", 1));
    let resized = moto.run_instances(&Launch {
        instance_type: Some("t3.nano"),
        ..Launch::new(&id, "$Latest", 1)
    });
    let untagged = moto.run_instances(&Launch::new(&id, "$Latest", 1));
    moto.with_ec2(async |ec2| {
        ec2.sdk()
            .delete_tags()
            .resources(&untagged[0])
            .tags(aws_sdk_ec2::types::Tag::builder().key("team").build())
            .send()
            .await
            .expect("delete tag")
    });
    wd.write_config(&format!(
        "{template}{}",
        verification(
            "data",
            "fleet",
            "  launch_template_id     = ecshost_launch_template.hosts.id\n  require_runtime_report = false"
        )
    ));
    wd.apply();
    let v = wd.values("data.ecshost_instance_verification.fleet");
    let all = by_id(&v);
    assert_eq!(all.len(), 3, "{v:#}");
    assert_eq!(problems(&all[&good[0]]), "", "{v:#}");
    assert_eq!(
        problems(&all[&resized[0]]),
        "instance type is t3.nano, its template version says m6i.large"
    );
    assert_eq!(
        problems(&all[&untagged[0]]),
        "instance tags differ from its template version: team missing (template: \"platform\")"
    );
    assert_eq!(v["api_calls"]["DescribeVolumes"], json!(1), "{v:#}");
}

/// A rollout of a bad version: the self-check reports of the expected
/// version's instances say `fail`. That is final — waiting cannot make
/// them healthy — so the rollout gate fails the apply within two poll
/// intervals of the first such report instead of waiting out `timeout`,
/// and its error carries each failing check's own reason from the report
#[test]
fn the_rollout_gate_fails_fast_on_a_final_failure() {
    use acceptance_tests::ec2_proxy::Ec2Proxy;

    let moto = Moto::start();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let wd = moto.workdir();
    wd.write_config(&config(proxy.url(), "bad", ""));
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = moto.run_instances(&Launch::new(&id, "1", 2));
    let poll = 2u64;
    let gate = format!(
        r#"
resource "ecshost_instance_verification" "rollout" {{
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  min_healthy               = 2
  timeout                   = "60s"
  poll_interval             = "{poll}s"
}}
"#
    );
    wd.write_config(&config(proxy.url(), "bad", &gate));
    // The script reports the reason as a code; the error reads its sentence.
    let reason = "no answer like the agent's from http://169.254.170.2:80/v2/credentials/";
    let fail = r#"ECSHOST_SELF_CHECK {"v":1,"ok":false,"checks":{"alias":"pass","endpoint":"fail","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"pass","imds_blocked":"pass","agent_imds":"pass"},"reasons":{"endpoint":"no-answer"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;
    let (r, reported_at, ended_at) = std::thread::scope(|s| {
        let reporter = s.spawn(|| {
            // The hosts are still booting (no report) for a few looks, then
            // both report the failure.
            std::thread::sleep(std::time::Duration::from_secs(3 * poll));
            for i in &ids {
                proxy.set_console_output(i, &format!("[  3.1] boot\r\n{fail}\r\n"));
            }
            Instant::now()
        });
        let r = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        let ended = Instant::now();
        (r, reporter.join().unwrap(), ended)
    });
    assert_ne!(r.code, 0, "the gate must fail: {}", r.stdout);
    let after = ended_at.saturating_duration_since(reported_at);
    // Two poll intervals, and Terraform's own time to report and exit.
    assert!(
        after.as_secs_f64() < (2 * poll) as f64 + 8.0,
        "the gate ended {:.1}s after the first failing report (poll_interval {poll}s, timeout 60s):\n{}",
        after.as_secs_f64(),
        r.stderr
    );
    let prose = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(prose.contains("Rollout Failed"), "{}", r.stderr);
    for i in &ids {
        assert!(prose.contains(i.as_str()), "{i}: {}", r.stderr);
    }
    assert!(
        prose.contains(&format!("endpoint: {reason}")),
        "the report's own reason: {}",
        r.stderr
    );
    assert!(
        find_resource(&wd.show(), "ecshost_instance_verification.rollout").is_none(),
        "a failed gate stores nothing"
    );
}

/// The rollback recipe of `docs/guides/verifying-instances.md` ("Rolling
/// back a failed rollout"), followed step by step: a good version passes
/// the gate; a bad one fails it; reverting the configuration and applying
/// again writes a new version with the good version's user data, and the
/// same gate passes once its hosts replaced the bad ones. (The test plays
/// the group's instance refresh, as the Auto Scaling test does: moto's Auto
/// Scaling cannot launch from these versions.)
#[test]
fn a_failed_rollout_is_rolled_back_by_the_guides_recipe() {
    use acceptance_tests::ec2_proxy::Ec2Proxy;

    let moto = Moto::start();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let wd = moto.workdir();
    let gate = r#"
resource "ecshost_instance_verification" "rollout" {
  launch_template_id        = ecshost_launch_template.hosts.id
  expected_user_data_sha256 = ecshost_launch_template.hosts.user_data_sha256
  expected_version          = ecshost_launch_template.hosts.latest_version
  min_healthy               = 2
  max_old_versions          = 0
  timeout                   = "90s"
  poll_interval             = "2s"
}
"#;
    let pass = r#"ECSHOST_SELF_CHECK {"v":1,"ok":true,"checks":{"alias":"pass","endpoint":"pass","agent_network":"pass","metadata_guard":"pass","userland_proxy":"pass","task_path":"pass","imds_blocked":"pass","agent_imds":"pass"},"address":"169.254.170.2","port":80,"probe":"curl"}"#;
    let fail = pass
        .replace(r#""ok":true"#, r#""ok":false"#)
        .replace(r#""endpoint":"pass""#, r#""endpoint":"fail""#)
        .replace(
            r#""probe":"curl""#,
            r#""probe":"curl","reasons":{"endpoint":"no answer like the agent's"}"#,
        );
    // Plays the refresh of one apply: waits for `version`, launches two
    // hosts of it that print `report`, then terminates every other host.
    let refresh = |id: &str, version: i64, report: &str| -> Vec<String> {
        let t0 = Instant::now();
        while moto.latest_version(id) < version {
            assert!(
                t0.elapsed().as_secs() < 120,
                "version {version} never appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        let new = moto.run_instances(&Launch::new(id, &version.to_string(), 2));
        for i in &new {
            proxy.set_console_output(i, &format!("[  3.1] boot\r\n{report}\r\n"));
        }
        let old: Vec<String> = moto
            .running_instances_of(id)
            .into_iter()
            .map(|(i, _)| i)
            .filter(|i| !new.contains(i))
            .collect();
        if !old.is_empty() {
            moto.terminate_instances(&old);
        }
        new
    };
    let apply_with_refresh = |cluster: &str, id: Option<&str>, version: i64, report: &str| {
        wd.write_config(&config(proxy.url(), cluster, gate));
        std::thread::scope(|s| {
            let played = id.map(|id| s.spawn(move || refresh(id, version, report)));
            let r = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
            if let Some(p) = played {
                p.join().unwrap();
            }
            r
        })
    };

    // Version 1 (cluster "good"): the template first, then its hosts pass.
    wd.write_config(&config(proxy.url(), "good", ""));
    wd.init();
    wd.apply();
    let id = wd.values("ecshost_launch_template.hosts")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let good_sha = wd.values("ecshost_launch_template.hosts")["user_data_sha256"].clone();
    let r = apply_with_refresh("good", Some(&id), 1, pass);
    assert_eq!(
        r.code, 0,
        "version 1 passes the gate: {}\n{}",
        r.stdout, r.stderr
    );

    // Version 2 (a bad change): the gate fails and stores nothing.
    let r = apply_with_refresh("bad", Some(&id), 2, &fail);
    assert_ne!(
        r.code, 0,
        "the bad version must fail the gate: {}",
        r.stdout
    );
    let prose = r.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(prose.contains("Rollout Failed"), "{}", r.stderr);
    assert!(find_resource(&wd.show(), "ecshost_instance_verification.rollout").is_none());

    // The recipe: revert the change (here: the cluster back to "good") and
    // apply the same configuration with the same gate. The template gets
    // version 3 with version 1's user data; the refresh replaces the bad
    // hosts; the gate passes and is stored.
    let r = apply_with_refresh("good", Some(&id), 3, pass);
    assert_eq!(
        r.code, 0,
        "the rolled-back version passes the gate: {}\n{}",
        r.stdout, r.stderr
    );
    let lt = wd.values("ecshost_launch_template.hosts");
    assert_eq!(lt["latest_version"], json!(3), "{lt:#}");
    assert_eq!(
        lt["user_data_sha256"], good_sha,
        "version 3 carries version 1's user data"
    );
    let state = wd.show();
    let gate = find_resource(&state, "ecshost_instance_verification.rollout")
        .expect("the passing gate is stored");
    assert_eq!(
        gate["values"]["expected_version_count"],
        json!(2),
        "{gate:#}"
    );
    assert_eq!(gate["values"]["old_version_count"], json!(0), "{gate:#}");
    let r = wd.run(&["plan", "-detailed-exitcode", "-no-color"]);
    assert_eq!(
        r.code, 0,
        "after the rollback the plan is empty: {}",
        r.stdout
    );
}

/// Verification runs the plan-time design analysis on the user data of every
/// template it judges, whoever made it: a module's template with hop limit 1
/// (the autoscaling module's default) and a bridged agent is a problem even
/// though the instance matches its template and no report is required; a
/// bridged agent without the loopback address or the metadata guard is one
/// too; ecs-init's host-network agent at hop limit 1 is not.
#[test]
fn third_party_templates_are_judged_by_the_design_of_their_user_data() {
    use ecshost::ec2::template_data::LaunchTemplateData;

    let moto = Moto::start();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let bridged_full = "#!/bin/sh\nip addr add 169.254.170.2/32 dev lo\niptables -I DOCKER-USER -i docker0 -d 169.254.169.254 -j DROP\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n";
    let bridged_bare = "#!/bin/sh\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n";
    let ecs_init = "#!/bin/sh\necho ECS_CLUSTER=web >> /etc/ecs/ecs.config\n";
    let template = |name: &str, ud: &str, hops: i64| {
        let data: serde_json::Map<String, serde_json::Value> = serde_json::from_value(json!({
            "UserData": b64(ud),
            "MetadataOptions": {
                "HttpTokens": "required",
                "HttpPutResponseHopLimit": hops,
                "HttpEndpoint": "enabled"
            }
        }))
        .unwrap();
        let id = moto.create_template_out_of_band_data(name, LaunchTemplateData(data));
        let launch = Launch {
            metadata: Some(("required", i32::try_from(hops).unwrap())),
            ..Launch::new(&id, "1", 1)
        };
        let i = moto.run_instances(&launch).remove(0);
        (id, i)
    };
    let (hop1_lt, hop1) = template("module-hop-1", bridged_full, 1);
    let (bare_lt, bare) = template("bare-agent", bridged_bare, 2);
    let (init_lt, init) = template("ecs-init", ecs_init, 1);

    let wd = moto.workdir();
    let body: String = [("hop1", &hop1_lt), ("bare", &bare_lt), ("init", &init_lt)]
        .iter()
        .map(|(n, lt)| {
            format!(
                r#"
data "ecshost_instance_verification" "{n}" {{
  launch_template_id     = "{lt}"
  require_runtime_report = false
}}
"#
            )
        })
        .collect();
    wd.write_config(&format!(
        "{}{body}",
        acceptance_tests::terraform::provider_block(&[("ec2", &moto.endpoint)], &[])
    ));
    wd.init();
    wd.apply();
    let judged = |n: &str, id: &str| {
        by_id(&wd.values(&format!("data.ecshost_instance_verification.{n}")))[id].clone()
    };

    let i = judged("hop1", &hop1);
    assert_eq!(i["ok"], json!(false), "{i:#}");
    assert_eq!(
        i["problems"].as_array().unwrap().len(),
        1,
        "{}",
        problems(&i)
    );
    assert!(
        problems(&i).starts_with(
            "metadata hop limit is 1, and its user data runs the ECS agent on a bridge network"
        ),
        "{}",
        problems(&i)
    );

    let i = judged("bare", &bare);
    let p = problems(&i);
    assert!(
        p.contains("does not put 169.254.170.2 on the loopback device")
            && p.contains("does not keep task containers away from instance metadata"),
        "{p}"
    );

    let i = judged("init", &init);
    assert_eq!(i["ok"], json!(true), "{}", problems(&i));
}
