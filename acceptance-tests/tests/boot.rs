//! Real boots: the exact user data EC2 holds, booted on Debian 12 (Docker
//! 20.10) and Debian 13 (Docker 26) guests under QEMU, judged by
//! `ecshost_instance_verification` through real Terraform from the serial
//! console.
//!
//! For every case (`<distribution>-<host_format>-<loopback format>`,
//! negative ones ending in `-neg-<what>`):
//! 1. Terraform renders the user data (`ecshost_user_data`, the loopback file
//!    from `ecshost_loopback_config` as an extra part where the case has one)
//!    and creates the launch template on moto (through the test's EC2 proxy);
//! 2. the test reads the version back with `DescribeLaunchTemplateVersions`
//!    and base64-decodes `UserData`: those bytes, and nothing re-rendered,
//!    go on the NoCloud seed; the hop limit of its `MetadataOptions` is the
//!    one the metadata stand-in enforces. A negative case may first write a
//!    new version out of band (hand-edited bytes) and boot that one;
//! 3. `RunInstances` on moto gives the instance id; the guest boots with it
//!    as its `instance-id`, in a network namespace of its own;
//! 4. with the real ECS agent in the guest (`../shared/ecs-agent`), the
//!    agent registers with moto through the ECS launcher and, on a good
//!    case, gets one task through ACS; the witness prints what the task read
//!    at `169.254.170.2` and whether it reached instance metadata;
//! 5. the console is served as that instance's `GetConsoleOutput` (its last
//!    64 KiB, as EC2 keeps), and an `ecshost_instance_verification` data
//!    source per instance, through Terraform, judges it.
//!
//! Artifacts: `target/boot/<case>/{console.log,user-data,verification.json}`
//! (plus the metadata stand-in's request log and QEMU's own log). One
//! `BOOT` line per case gives boot times, load and the verdict.
//!
//! `#[ignore]`d in the plain `cargo test` run: `bash .ci/boot` runs it
//! (not `.ci/test`: minutes per boot under TCG, see "What a real boot
//! showed" in how-it-works). Environment: `ECSHOST_BOOT_CASES` (a substring
//! filter on case names), `ECSHOST_BOOT_PARALLEL` (guests at once; default:
//! one per core, each `-smp 1`), `ECSHOST_BOOT_TIMEOUT` (seconds per boot,
//! default 480), `ECSHOST_BOOT_ACCEL=tcg` (skip the KVM probe).

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acceptance_tests::boot::guest::{self, Accel, BootResult, BootSpec, GuestNet, ImdsSettings};
use acceptance_tests::boot::image::{self, Distribution, Image, DISTRIBUTIONS};
use acceptance_tests::ec2_proxy::Ec2Proxy;
use acceptance_tests::hostlab::agent_image::AGENT_VERSION;
use acceptance_tests::hostlab::agent_peers::{
    instance_facts, served_credentials, task_arn, task_json_on, RoleCredentials, TASK_SCRIPT,
};
use acceptance_tests::hostlab::imds::write_instance_files;
use acceptance_tests::hostlab::relay::Relay;
use acceptance_tests::moto::{Launch, Moto};
use acceptance_tests::terraform::{built_binary, target_dir, Workdir};
use acceptance_tests::user_data_edit::strip_loopback;
use base64::Engine as _;
use serde_json::json;

const CLUSTER: &str = "boot-test";
const AMI: &str = "ami-05fb4f257abd42992";
/// EC2 keeps the most recent 64 KiB of a console.
const CONSOLE_KEPT: usize = 64 * 1024;

/// Self-check results a good boot must report as `pass`: the verification's
/// default `required_checks` (the data source is used with its default), which
/// include the image-free probes `task_path`, `imds_blocked`
/// and `agent_imds` (checked below that they are there, so a shorter default
/// cannot make the good boots prove less).
const REQUIRED_CHECKS: [&str; 7] = ecshost::verify::DEFAULT_REQUIRED_CHECKS;

/// What a negative case breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Neg {
    /// The loopback pieces cut out of the bytes in EC2 (a new template
    /// version written out of band).
    Loopback,
    /// The instance's metadata hop limit is 1: a template version made out of
    /// band with the same user data but `HttpPutResponseHopLimit = 1`, what
    /// EC2 gives by default and what a console edit or another tool writes
    /// (the provider itself refuses 1 for bridged user data). The agent on its
    /// bridge is one hop away: `agent_imds` must fail, seen through the
    /// metadata stand-in that enforces the TTL, so the hop-limit claim is
    /// proved by a boot. (Docker's `userland-proxy=false` was the negative
    /// here before the task DNAT existed, which makes such a host healthy.)
    HopLimit,
    /// The agent image (the real agent's, or the stand-in's) is never loaded
    /// (its loader unit masked on the kernel command line).
    AgentImage,
}

impl Neg {
    fn suffix(self) -> &'static str {
        match self {
            Neg::Loopback => "loopback",
            Neg::HopLimit => "hop-limit",
            Neg::AgentImage => "agent-image",
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    dist: Distribution,
    host_format: &'static str,
    /// The loopback format: `shell` (the user data's own script and unit) or
    /// the file of a network daemon, delivered as an extra part.
    lo: &'static str,
    gzip: bool,
    neg: Option<Neg>,
}

impl Case {
    fn name(&self) -> String {
        let mut n = format!("{}-{}-{}", self.dist.suite, self.host_format, self.lo);
        if let Some(neg) = self.neg {
            n.push_str("-neg-");
            n.push_str(neg.suffix());
        }
        n
    }

    /// The network stack this boot runs: the daemon of the loopback format,
    /// or for `shell` the distribution's cloud-image default (ifupdown on
    /// Debian 12, netplan + networkd on Debian 13).
    fn stack(&self) -> &'static str {
        match self.lo {
            "shell" if self.dist.suite == "bookworm" => "ifupdown",
            "shell" => "netplan",
            other => other,
        }
    }

    /// Whether this boot runs the end-to-end task: a good case on a guest
    /// carrying the real agent.
    fn runs_task(&self, img: &Image) -> bool {
        self.neg.is_none() && img.real_agent()
    }

    fn cmdline(&self, img: &Image) -> String {
        let mut c = format!("ecshost_test.net={}", self.stack());
        if self.runs_task(img) {
            c.push_str(" ecshost_test.task=1");
        }
        if self.neg == Some(Neg::AgentImage) {
            c.push_str(" systemd.mask=ecshost-test-agent-image.service");
        }
        c
    }
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for dist in DISTRIBUTIONS {
        for (host_format, lo, gzip) in [
            ("shell", "shell", false),
            // No extra part: the provider's own cloud-config part writes the
            // networkd file. Plain: cloud_init user data is ~15.9 KiB, so
            // any extra part needs gzip to stay under EC2's 16 KiB.
            ("cloud_init", "networkd", false),
            ("cloud_init", "netplan", true),
            ("cloud_init", "ifupdown", true),
            ("cloud_init", "networkmanager", true),
        ] {
            out.push(Case {
                dist,
                host_format,
                lo,
                gzip,
                neg: None,
            });
        }
    }
    let [bookworm, trixie] = DISTRIBUTIONS;
    for (dist, host_format, lo, neg) in [
        (bookworm, "shell", "shell", Neg::Loopback),
        (bookworm, "cloud_init", "networkd", Neg::HopLimit),
        (trixie, "shell", "shell", Neg::AgentImage),
    ] {
        out.push(Case {
            dist,
            host_format,
            lo,
            gzip: false,
            neg: Some(neg),
        });
    }
    if let Ok(filter) = std::env::var("ECSHOST_BOOT_CASES") {
        let wanted: Vec<&str> = filter.split([',', ' ']).filter(|s| !s.is_empty()).collect();
        out.retain(|c| wanted.iter().any(|w| c.name().contains(w)));
    }
    out
}

/// The extra part of a case whose loopback format is a network daemon's
/// file: it installs `ecshost_loopback_config`'s `content` at its `path`
/// with its `mode`. (The image's witness later takes the address off `lo`,
/// has the daemon apply its files and reports whether it came back.)
fn loopback_part(name: &str, lo: &str) -> String {
    let cfg = format!("data.ecshost_loopback_config.{name}");
    format!(
        r#"  extra_parts = [{{
    content_type = "text/x-shellscript"
    filename     = "10-loopback-{lo}.sh"
    content      = <<EOT
#!/bin/sh
# Boot test: the {lo} file of ecshost_loopback_config.
f=${{{cfg}.path}}
mkdir -p "$(dirname "$f")"
cat >"$f" <<'ECSHOST_LO'
${{chomp({cfg}.content)}}
ECSHOST_LO
chmod ${{format("%o", {cfg}.mode)}} "$f"
EOT
  }}]
"#
    )
}

fn provider_block(endpoint: &str) -> String {
    acceptance_tests::terraform::provider_block(&[("ec2", endpoint)], &[])
}

/// The launch templates of `cases` (each case's user data names the agent
/// image its guest carries). With the real agent, `ecs.config` gets what a
/// boot needs besides the product's own settings, each for a reason of
/// the test: `ECS_BACKEND_HOST`, moto (the launcher) at the guest's
/// gateway, where a relay listens; `ECS_IMAGE_PULL_BEHAVIOR =
/// prefer-cached`, no registry (the task image is loaded at boot).
fn templates_config(
    endpoint: &str,
    cases: &[Case],
    images: &BTreeMap<&str, Image>,
    moto_port: u16,
) -> String {
    let mut s = provider_block(endpoint);
    for c in cases {
        let name = c.name();
        let img = &images[c.dist.suite];
        let config = if img.real_agent() {
            format!(
                "  config = {{\n    ECS_BACKEND_HOST        = \"http://{}:{moto_port}\"\n    ECS_IMAGE_PULL_BEHAVIOR = \"prefer-cached\"\n  }}\n",
                guest::LINK_ADDR
            )
        } else {
            String::new()
        };
        let extra = match (c.neg, c.lo) {
            (_, "shell" | "networkd") => String::new(),
            (_, lo) => {
                s.push_str(&format!(
                    "data \"ecshost_loopback_config\" \"{name}\" {{\n  format = \"{lo}\"\n}}\n"
                ));
                loopback_part(&name, lo)
            }
        };
        s.push_str(&format!(
            r#"data "ecshost_user_data" "{name}" {{
  host_format = "{hf}"
  cluster     = "{CLUSTER}"
  image       = "{image}"
  gzip        = {gzip}
{config}{extra}}}
resource "ecshost_launch_template" "{name}" {{
  name             = "{name}"
  image_id         = "{AMI}"
  instance_type    = "t3.small"
  user_data        = data.ecshost_user_data.{name}.base64
  # What the provider's plan-time warning asks for (the template
  # sets no metadata options unasked).
  metadata_options {{
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}
}}
"#,
            hf = c.host_format,
            image = img.agent_image,
            gzip = c.gzip,
        ));
    }
    s
}

/// One case's run.
struct Run {
    case: Case,
    dir: PathBuf,
    template_id: String,
    version: i64,
    expected_version: i64,
    expected_sha256: String,
    instance_id: String,
    user_data: Vec<u8>,
    hop_limit: u32,
    /// Where the case's loopback file goes (`ecshost_loopback_config.path`,
    /// or the provider's own networkd file for `networkd`).
    lo_path: String,
    boot: Option<Result<BootResult, String>>,
    /// The end-to-end task sent through ACS (real-agent good cases).
    task: Option<Result<TaskSent, String>>,
}

/// What the test sent a boot's agent and what ECS (moto) said of the
/// agent's registration when its ACS connection was open.
#[derive(Debug, Clone)]
struct TaskSent {
    creds: RoleCredentials,
    task_arn: String,
    container_instance_arn: String,
    /// `status`, `agentConnected` and `versionInfo.agentVersion` of the
    /// container instance (DescribeContainerInstances).
    status: String,
    agent_connected: bool,
    agent_version: String,
}

/// `(ec2InstanceId, status, agentConnected, agentVersion)` of container
/// instance `arn` of [`CLUSTER`].
fn describe_container_instance(moto: &Moto, arn: &str) -> (String, String, bool, String) {
    moto.with_ecs(async |ecs| {
        let out = ecs
            .sdk()
            .describe_container_instances()
            .cluster(CLUSTER)
            .container_instances(arn)
            .send()
            .await
            .expect("DescribeContainerInstances");
        let Some(c) = out.container_instances().first() else {
            return (String::new(), String::new(), false, String::new());
        };
        (
            c.ec2_instance_id().unwrap_or_default().to_owned(),
            c.status().unwrap_or_default().to_owned(),
            c.agent_connected(),
            c.version_info()
                .and_then(|v| v.agent_version())
                .unwrap_or_default()
                .to_owned(),
        )
    })
}

/// EC2 instance ids of every container instance of [`CLUSTER`].
fn registered_instances(moto: &Moto) -> Vec<String> {
    moto.container_instance_arns(CLUSTER)
        .iter()
        .map(|a| describe_container_instance(moto, a).0)
        .collect()
}

/// Waits (until `done`) for an open ACS connection of the agent on EC2
/// instance `instance_id`, then sends it task `n`: one bridge-mode
/// container on the guest's task image running [`TASK_SCRIPT`], with fresh
/// role credentials.
fn send_task_when_connected(
    moto: &Moto,
    instance_id: &str,
    n: u32,
    done: &AtomicBool,
) -> Result<TaskSent, String> {
    // Container instance ARN → (EC2 instance, status, connected, version),
    // described once: the registration does not move to another instance.
    let mut seen: BTreeMap<String, (String, String, bool, String)> = BTreeMap::new();
    loop {
        if done.load(Ordering::Relaxed) {
            return Err(format!(
                "the boot ended before the agent of {instance_id} opened an ACS connection; connections: {:#}",
                moto.acs_state()["connections"]
            ));
        }
        for arn in moto.open_acs_connections() {
            let (ec2, status, agent_connected, agent_version) = seen
                .entry(arn.clone())
                .or_insert_with(|| describe_container_instance(moto, &arn))
                .clone();
            if ec2 != instance_id {
                continue;
            }
            let creds = RoleCredentials::new(n);
            let task_arn = task_arn(CLUSTER, n);
            moto.acs_send_tasks_to(
                &arn,
                json!([task_json_on(
                    image::TASK_IMAGE,
                    &task_arn,
                    &creds,
                    &["sh", "-c", TASK_SCRIPT]
                )]),
            )?;
            return Ok(TaskSent {
                creds,
                task_arn,
                container_instance_arn: arn,
                status,
                agent_connected,
                agent_version,
            });
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}

/// The task's output as the witness printed it (`ECSHOST_TEST_TASK` lines).
fn task_output(console: &str) -> String {
    console
        .lines()
        .filter_map(|l| l.split("ECSHOST_TEST_TASK ").nth(1))
        .map(|l| l.trim_end_matches('\r'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `DescribeLaunchTemplateVersions` of one version: the exact user data
/// bytes (base64-decoded) and the metadata options.
fn read_version(moto: &Moto, id: &str, version: i64) -> (Vec<u8>, String, u32) {
    moto.with_ec2(async |ec2| {
        let out = ec2
            .sdk()
            .describe_launch_template_versions()
            .launch_template_id(id)
            .versions(version.to_string())
            .send()
            .await
            .expect("DescribeLaunchTemplateVersions");
        let v = &out.launch_template_versions()[0];
        let data = v.launch_template_data().expect("data");
        let ud = base64::engine::general_purpose::STANDARD
            .decode(data.user_data().expect("user data"))
            .expect("base64 user data");
        let mo = data.metadata_options();
        let tokens = mo
            .and_then(|m| m.http_tokens())
            .map_or("optional".to_owned(), |t| t.as_str().to_owned());
        let hops = mo
            .and_then(|m| m.http_put_response_hop_limit())
            .unwrap_or(1);
        (ud, tokens, u32::try_from(hops).expect("hop limit"))
    })
}

/// A new version made out of band, as someone would in the console ("create
/// version from source"): the source's image, type and metadata options, and
/// hand-edited user data. Returns its number.
fn create_version_by_hand(
    moto: &Moto,
    id: &str,
    source: i64,
    user_data: &str,
    tokens: &str,
    hops: u32,
    description: &str,
) -> i64 {
    use aws_sdk_ec2::types::{
        LaunchTemplateHttpTokensState, LaunchTemplateInstanceMetadataEndpointState,
        LaunchTemplateInstanceMetadataOptionsRequest, RequestLaunchTemplateData,
    };
    moto.with_ec2(async |ec2| {
        let data = RequestLaunchTemplateData::builder()
            .image_id(AMI)
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Small)
            .user_data(base64::engine::general_purpose::STANDARD.encode(user_data))
            .metadata_options(
                LaunchTemplateInstanceMetadataOptionsRequest::builder()
                    .http_tokens(LaunchTemplateHttpTokensState::from(tokens))
                    .http_put_response_hop_limit(i32::try_from(hops).unwrap())
                    .http_endpoint(LaunchTemplateInstanceMetadataEndpointState::Enabled)
                    .build(),
            )
            .build();
        let out = ec2
            .sdk()
            .create_launch_template_version()
            .launch_template_id(id)
            .source_version(source.to_string())
            .version_description(description)
            .launch_template_data(data)
            .send()
            .await
            .expect("CreateLaunchTemplateVersion");
        out.launch_template_version()
            .and_then(|v| v.version_number())
            .expect("version number")
    })
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ECSHOST_TEST_WITNESS key=value …` lines of the console, by key.
fn witness(console: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in console.lines() {
        if let Some(rest) = line.split("ECSHOST_TEST_WITNESS ").nth(1) {
            let rest = rest.trim_end_matches('\r');
            let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
            m.insert(k.to_owned(), v.to_owned());
        }
    }
    m
}

/// The distinct peer addresses (no port) of the metadata stand-in's log.
fn imds_peers(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut peers: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|p| p.rsplit_once(':').map(|(a, _)| a.to_owned()))
        .collect();
    peers.sort();
    peers.dedup();
    peers
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
}

/// Boots one case (in a worker thread). With the real agent in the guest:
/// the metadata stand-in serves what the agent reads for this instance,
/// relays at the guest's gateway reach moto and its ACS endpoint here, and
/// a good case gets its task through ACS as soon as the agent connects.
/// Seconds a boot may take (`ECSHOST_BOOT_TIMEOUT`, default 480): enough
/// for a TCG boot on an otherwise idle 2-core machine (good boots finished
/// in 219–395 s, how-it-works "Boot timings"), not under heavy load.
fn boot_timeout() -> Duration {
    Duration::from_secs(
        std::env::var("ECSHOST_BOOT_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(480),
    )
}

/// What a timed-out boot's line says: the bound and how to raise it.
fn timed_out_note() -> String {
    format!(
        "TIMED OUT after {} s (ECSHOST_BOOT_TIMEOUT; a loaded machine needs more)",
        boot_timeout().as_secs()
    )
}

fn boot_case(
    run: &Run,
    img: &Image,
    accel: &Accel,
    imds_bin: &Path,
    moto: &Moto,
    n: usize,
) -> (Result<BootResult, String>, Option<Result<TaskSent, String>>) {
    let timeout = boot_timeout();
    let scratch = target_dir().join("boot-scratch").join(run.case.name());
    let _ = std::fs::remove_dir_all(&scratch);
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        return (Err(e.to_string()), None);
    }
    let ns = format!("{}{}-{n}", guest::NETNS_PREFIX, std::process::id());
    let mut task = None;
    let r = (|| {
        let docroot = run.dir.join("imds-www");
        write_instance_files(&docroot, &instance_facts(moto, &run.instance_id))
            .map_err(|e| e.to_string())?;
        let net = GuestNet::start(
            &ns,
            &run.dir,
            imds_bin,
            &ImdsSettings {
                hop_limit: run.hop_limit,
                tokens_required: true,
                instance_id: run.instance_id.clone(),
                docroot: Some(docroot),
            },
        )
        .map_err(|e| e.to_string())?;
        let mut relays = Vec::new();
        if img.real_agent() {
            for port in [moto.port(), moto.acs_port().expect("the ECS launcher")] {
                relays.push(
                    Relay::start(net.netns(), guest::LINK_ADDR, port, &run.dir)
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        let console = run.dir.join("console.log");
        let spec = BootSpec {
            image: img,
            dir: &scratch,
            instance_id: &run.instance_id,
            user_data: &run.user_data,
            cmdline: run.case.cmdline(img),
            console: &console,
            accel,
            memory_mib: 1536,
            timeout,
        };
        let done = AtomicBool::new(false);
        let booted = std::thread::scope(|s| {
            let sender = run.case.runs_task(img).then(|| {
                s.spawn(|| {
                    send_task_when_connected(
                        moto,
                        &run.instance_id,
                        u32::try_from(n).expect("case index"),
                        &done,
                    )
                })
            });
            let b = guest::boot(&spec, &net).map_err(|e| e.to_string());
            done.store(true, Ordering::Relaxed);
            task = sender.map(|h| h.join().expect("the task sender"));
            b
        });
        drop(relays);
        booted
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    (r, task)
}

/// The end-to-end task of a good boot with the real agent: the agent
/// registered (`ACTIVE`, connected, version 1.105.1) and, started by it on
/// `docker0`, the task read exactly the credentials ACS sent at
/// `http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` and could
/// not reach instance metadata.
fn judge_task(
    r: &Run,
    console: &str,
    w: &BTreeMap<String, String>,
    expect: &mut impl FnMut(bool, String),
) {
    let t = match &r.task {
        Some(Ok(t)) => t,
        Some(Err(e)) => return expect(false, format!("the task was not sent: {e}")),
        None => return expect(false, "no task was sent".into()),
    };
    expect(
        t.status == "ACTIVE" && t.agent_connected && t.agent_version == AGENT_VERSION,
        format!(
            "the agent registered ACTIVE, connected, version {AGENT_VERSION}: status {} connected {} version {}",
            t.status, t.agent_connected, t.agent_version
        ),
    );
    let out = task_output(console);
    let shown = t.creds.redact(&out);
    let uri = format!("/v2/credentials/{}", t.creds.credentials_id);
    expect(
        out.contains(&format!("RELATIVE_URI={uri}")),
        format!("the agent gave the task its relative URI {uri}: {shown}"),
    );
    match served_credentials(&out) {
        Some(v) => {
            for (k, want) in [
                ("AccessKeyId", &t.creds.access_key_id),
                ("SecretAccessKey", &t.creds.secret_access_key),
                ("Token", &t.creds.session_token),
                ("Expiration", &t.creds.expiration),
                ("RoleArn", &t.creds.role_arn),
            ] {
                expect(
                    v[k] == json!(want),
                    format!("the task read the {k} ACS sent: {shown}"),
                );
            }
        }
        None => expect(
            false,
            format!("no credentials JSON in the task's output: {shown}"),
        ),
    }
    expect(
        out.contains("IMDS_UNREACHABLE") && !out.contains("IMDS_REACHED"),
        format!("the task could not reach instance metadata: {shown}"),
    );
    let wt = w.get("task").map_or("", String::as_str);
    expect(
        wt.starts_with(&t.task_arn) && wt.contains("networks=bridge"),
        format!("the task's container ran on docker0's network: {wt:?}"),
    );
}

#[test]
#[ignore = "boots QEMU guests (minutes): run by `bash .ci/boot` (not by .ci/test: minutes per boot under TCG)"]
fn every_case_boots_and_instance_verification_judges_its_console() {
    if let Err(why) = acceptance_tests::boot::preflight() {
        if std::env::var("ECSHOST_REQUIRE_BOOT").as_deref() == Ok("1") {
            panic!("boot tests required (ECSHOST_REQUIRE_BOOT=1) but cannot run: {why}");
        }
        eprintln!("SKIP boot tests: {why}");
        return;
    }
    for c in ["task_path", "imds_blocked", "agent_imds"] {
        assert!(
            REQUIRED_CHECKS.contains(&c),
            "the image-free probe {c} is a required check by default"
        );
    }
    let cases = cases();
    assert!(!cases.is_empty(), "ECSHOST_BOOT_CASES matched no case");
    let t_all = Instant::now();
    eprintln!("BOOT load at start {}", load());
    for ns in guest::sweep_stale() {
        eprintln!("BOOT removed {ns}, left by a boot test that died");
    }

    // Images first (cached by their package list).
    let mut images: BTreeMap<&str, Image> = BTreeMap::new();
    for dist in DISTRIBUTIONS {
        if !cases.iter().any(|c| c.dist == dist) {
            continue;
        }
        let t = Instant::now();
        let img = image::ensure(&dist).unwrap_or_else(|e| panic!("image {}: {e}", dist.suite));
        eprintln!(
            "BOOT image {} (Debian {}, docker.io {}, cloud-init {}, kernel {}): {} in {:.1} s, key {}, load {}",
            dist.suite,
            dist.version,
            img.package_version("docker.io").unwrap_or_default(),
            img.package_version("cloud-init").unwrap_or_default(),
            img.package_version("linux-image-cloud-amd64").unwrap_or_default(),
            if img.built_in.is_some() { "built" } else { "cached" },
            t.elapsed().as_secs_f64(),
            img.key,
            load()
        );
        images.insert(dist.suite, img);
    }
    let boot_root = target_dir().join("boot");
    std::fs::create_dir_all(&boot_root).unwrap();
    let accel = guest::detect_accel(images.values().next().unwrap(), &boot_root);
    eprintln!(
        "BOOT accelerator: {} ({}){}",
        accel.name,
        accel.reason,
        if accel.name == "tcg" {
            "; every case runs under TCG, none is skipped for speed"
        } else {
            ""
        }
    );
    let imds_bin = built_binary("imds-standin");

    for img in images.values() {
        eprintln!(
            "BOOT agent in the {} image: {}",
            img.dist.suite,
            if img.real_agent() {
                format!(
                    "the real ECS agent {AGENT_VERSION} ({}); good cases run the end-to-end task",
                    img.agent_image
                )
            } else {
                format!(
                    "the stand-in {} (no real agent: {}); no end-to-end task",
                    img.agent_image,
                    match acceptance_tests::hostlab::agent_image::AgentSource::locate() {
                        acceptance_tests::hostlab::agent_image::AgentSource::Missing(why) => why,
                        acceptance_tests::hostlab::agent_image::AgentSource::Real(d) =>
                            format!("the image was built before {} was there", d.display()),
                    }
                )
            }
        );
    }

    // Terraform: user data and launch templates on moto (through the ECS
    // launcher, which the real agent registers with and whose ACS endpoint
    // sends it the task), through the proxy.
    let moto = Moto::start_ecs_launcher(guest::LINK_ADDR);
    moto.create_cluster(CLUSTER);
    let moto_port = moto.port();
    let proxy = Ec2Proxy::start(&moto.endpoint);
    let mut wd = Workdir::new();
    for (k, v) in moto.env() {
        wd.env(&k, &v);
    }
    wd.write_config(&templates_config(proxy.url(), &cases, &images, moto_port));
    wd.init();
    wd.apply();

    let mut runs = Vec::new();
    for case in &cases {
        let name = case.name();
        let lt = wd.values(&format!("ecshost_launch_template.{name}"));
        let id = lt["id"].as_str().expect("template id").to_owned();
        let expected_version = lt["latest_version"].as_i64().expect("latest_version");
        let expected_sha256 = lt["user_data_sha256"].as_str().expect("sha").to_owned();
        let mut version = expected_version;
        match case.neg {
            Some(Neg::Loopback) => {
                let (bytes, tokens, hops) = read_version(&moto, &id, version);
                let edited = strip_loopback(std::str::from_utf8(&bytes).expect("plain user data"));
                version = create_version_by_hand(
                    &moto,
                    &id,
                    version,
                    &edited,
                    &tokens,
                    hops,
                    "loopback cut out by hand",
                );
            }
            Some(Neg::HopLimit) => {
                let (bytes, tokens, _) = read_version(&moto, &id, version);
                let same = std::str::from_utf8(&bytes).expect("plain user data");
                version = create_version_by_hand(
                    &moto,
                    &id,
                    version,
                    same,
                    &tokens,
                    1,
                    "metadata hop limit 1",
                );
            }
            _ => {}
        }
        let (user_data, tokens, hop_limit) = read_version(&moto, &id, version);
        assert_eq!(tokens, "required", "{name}: the template requires IMDSv2");
        if case.neg == Some(Neg::HopLimit) {
            assert_eq!(hop_limit, 1, "{name}: the version booted has hop limit 1");
        } else {
            assert_eq!(
                hop_limit, 2,
                "{name}: the provider's version has hop limit 2"
            );
        }
        let v = version.to_string();
        let instance_id = moto
            .run_instances(&Launch {
                // moto does not copy the template's metadata options to the
                // instance; pass what EC2 would have inherited.
                metadata: Some(("required", i32::try_from(hop_limit).unwrap())),
                ..Launch::new(&id, &v, 1)
            })
            .pop()
            .expect("an instance");
        let lo_path = match case.lo {
            "shell" => String::new(),
            "networkd" => ecshost::render::loopback::networkd::PATH.to_owned(),
            _ if case.neg.is_some() => String::new(),
            _ => wd.values(&format!("data.ecshost_loopback_config.{name}"))["path"]
                .as_str()
                .expect("path")
                .to_owned(),
        };
        let dir = boot_root.join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("user-data"), &user_data).unwrap();
        runs.push(Run {
            case: case.clone(),
            dir,
            template_id: id,
            version,
            expected_version,
            expected_sha256,
            instance_id,
            user_data,
            hop_limit,
            lo_path,
            boot: None,
            task: None,
        });
    }

    // Boots, `parallel` at a time (each guest -smp 1).
    let parallel = std::env::var("ECSHOST_BOOT_PARALLEL")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    eprintln!(
        "BOOT {} cases, {parallel} guests at a time, load {}",
        runs.len(),
        load()
    );
    let queue = Arc::new(Mutex::new((0..runs.len()).collect::<VecDeque<_>>()));
    let runs = Arc::new(Mutex::new(runs));
    let t_boots = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..parallel {
            let (queue, runs, images, accel, imds_bin, proxy, moto) = (
                queue.clone(),
                runs.clone(),
                &images,
                &accel,
                &imds_bin,
                &proxy,
                &moto,
            );
            s.spawn(move || loop {
                let Some(i) = queue.lock().unwrap().pop_front() else {
                    return;
                };
                let (run_copy, img) = {
                    let r = runs.lock().unwrap();
                    let run = &r[i];
                    (
                        Run {
                            case: run.case.clone(),
                            dir: run.dir.clone(),
                            template_id: run.template_id.clone(),
                            version: run.version,
                            expected_version: run.expected_version,
                            expected_sha256: run.expected_sha256.clone(),
                            instance_id: run.instance_id.clone(),
                            user_data: run.user_data.clone(),
                            hop_limit: run.hop_limit,
                            lo_path: run.lo_path.clone(),
                            boot: None,
                            task: None,
                        },
                        images[run.case.dist.suite].clone(),
                    )
                };
                let l0 = load();
                let (res, task) = boot_case(&run_copy, &img, accel, imds_bin, moto, i);
                if let Ok(b) = &res {
                    let text = b.console.as_bytes();
                    let kept = &text[text.len().saturating_sub(CONSOLE_KEPT)..];
                    proxy.set_console_output(&run_copy.instance_id, &String::from_utf8_lossy(kept));
                    eprintln!(
                        "BOOTED {} in {:.1} s (report {}, witness {}{}), load {l0} → {}",
                        run_copy.case.name(),
                        b.wall.as_secs_f64(),
                        secs(b.report_after),
                        secs(b.done_after),
                        if b.timed_out {
                            format!(", {}", timed_out_note())
                        } else {
                            String::new()
                        },
                        load()
                    );
                } else {
                    eprintln!("BOOTED {}: error {res:?}", run_copy.case.name());
                }
                let mut r = runs.lock().unwrap();
                r[i].boot = Some(res);
                r[i].task = task;
            });
        }
    });
    let boots_wall = t_boots.elapsed();
    let runs = Arc::try_unwrap(runs).ok().unwrap().into_inner().unwrap();

    // Judgement: ecshost_instance_verification through Terraform, from a
    // second working directory (as a pipeline would verify).
    let mut vd = Workdir::new();
    for (k, v) in moto.env() {
        vd.env(&k, &v);
    }
    let mut cfg = provider_block(proxy.url());
    for r in &runs {
        cfg.push_str(&format!(
            r#"data "ecshost_instance_verification" "{name}" {{
  instance_ids              = ["{id}"]
  expected_user_data_sha256 = "{sha}"
  expected_version          = {v}
  timeout                   = "0s"
}}
"#,
            name = r.case.name(),
            id = r.instance_id,
            sha = r.expected_sha256,
            v = r.expected_version,
        ));
    }
    vd.write_config(&cfg);
    vd.init();
    vd.apply();

    let mut failures = Vec::new();
    let mut lines = Vec::new();
    for r in &runs {
        let name = r.case.name();
        let v = vd.values(&format!("data.ecshost_instance_verification.{name}"));
        let inst = v["instances"][0].clone();
        std::fs::write(
            r.dir.join("verification.json"),
            serde_json::to_string_pretty(&v["instances"]).unwrap(),
        )
        .unwrap();
        let boot = r.boot.as_ref().expect("booted");
        let (console, timing) = match boot {
            Ok(b) => (
                b.console.clone(),
                format!(
                    "report {}, witness {}, wall {:.1} s{}",
                    secs(b.report_after),
                    secs(b.done_after),
                    b.wall.as_secs_f64(),
                    if b.timed_out {
                        format!(" {}", timed_out_note())
                    } else {
                        String::new()
                    }
                ),
            ),
            Err(e) => (String::new(), format!("boot error: {e}")),
        };
        let w = witness(&console);
        let real = images[r.case.dist.suite].real_agent();
        let checks: BTreeMap<String, String> = inst["runtime"]["checks"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let check = |k: &str| checks.get(k).map_or("-", String::as_str);
        let problems: Vec<String> = inst["problems"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let ok = inst["ok"] == json!(true);
        let mut bad = Vec::new();
        let mut expect = |cond: bool, what: String| {
            if !cond {
                bad.push(what);
            }
        };
        match r.case.neg {
            None => {
                expect(ok, format!("instance ok (problems: {problems:?})"));
                for c in REQUIRED_CHECKS {
                    expect(check(c) == "pass", format!("{c} pass, got {}", check(c)));
                }
                if r.case.lo != "shell" {
                    let lf = w.get("loopback_file").map_or("", String::as_str);
                    expect(
                        lf.starts_with(&format!(
                            "{} applied=ok removed_first=yes by={}",
                            r.lo_path, r.case.lo
                        )),
                        format!("{} applied {}: {lf:?}", r.case.lo, r.lo_path),
                    );
                    if r.case.lo == "netplan" {
                        let rendered = w.get("lo_manager").map_or("", String::as_str);
                        expect(
                            rendered.contains(
                                "netplan_rendered=/run/systemd/network/10-netplan-lo.network",
                            ),
                            format!("netplan rendered lo for networkd: {rendered:?}"),
                        );
                    }
                }
                expect(
                    w.get("imds_token_agent").map(String::as_str) == Some("200"),
                    format!(
                        "the agent's netns gets an IMDSv2 token through hop limit {}: {:?}",
                        r.hop_limit,
                        w.get("imds_token_agent")
                    ),
                );
                // Every request reached the stand-in from the guest's own
                // address (MASQUERADE's source for the agent's bridge), as
                // from an ENI's on EC2: not from the loopback alias or a
                // Docker bridge, which only an address-scope accident of the
                // test network made (how-it-works, "What a real boot showed").
                let peers = imds_peers(&r.dir.join("imds.log"));
                expect(
                    !peers.is_empty()
                        && peers
                            .iter()
                            .all(|p| p.starts_with(guest::GUEST_ADDR_PREFIX)),
                    format!(
                        "the stand-in saw requests only from the guest's {}x address: {peers:?}",
                        guest::GUEST_ADDR_PREFIX
                    ),
                );
                expect(
                    w.get("task_path").is_some_and(|t| t.starts_with("pass")),
                    format!(
                        "a docker0 task reaches the endpoint: {:?}",
                        w.get("task_path")
                    ),
                );
                expect(
                    w.get("task_imds").is_some_and(|t| t.starts_with("blocked")),
                    format!("a docker0 task cannot reach IMDS: {:?}", w.get("task_imds")),
                );
                if real {
                    judge_task(r, &console, &w, &mut expect);
                }
            }
            Some(Neg::Loopback) => {
                expect(!ok, "instance not ok".into());
                expect(
                    check("alias") == "fail",
                    format!("alias fail, got {}", check("alias")),
                );
                expect(
                    problems.iter().any(|p| p.contains("alias")),
                    format!("a problem names alias: {problems:?}"),
                );
            }
            Some(Neg::AgentImage) => {
                expect(!ok, "instance not ok".into());
                expect(
                    check("endpoint") == "fail",
                    format!("endpoint fail, got {}", check("endpoint")),
                );
                expect(
                    problems.iter().any(|p| p.contains("endpoint")),
                    format!("a problem names endpoint: {problems:?}"),
                );
            }
            Some(Neg::HopLimit) => {
                expect(!ok, "instance not ok".into());
                expect(
                    check("agent_imds") == "fail",
                    format!("agent_imds fail, got {}", check("agent_imds")),
                );
                expect(
                    problems.iter().any(|p| p.contains("agent_imds")),
                    format!("a problem names agent_imds: {problems:?}"),
                );
                // The verification says the instance was not launched from
                // the expected version (it also names its hop limit of 1,
                // which this case does not require), and the self-check
                // says what that costs: agent_imds above.
                expect(
                    problems.iter().any(|p| p.contains("version")),
                    format!("a problem names the launch template version: {problems:?}"),
                );
                // Everything else of the design still holds on that host
                // (with the real agent, the endpoint and the task path
                // depend on an agent that cannot start without instance
                // metadata: it exits and systemd restarts it).
                let holds: &[&str] = if real {
                    &["alias", "agent_network", "metadata_guard"]
                } else {
                    &REQUIRED_CHECKS
                };
                for c in holds.iter().filter(|c| **c != "agent_imds") {
                    expect(check(c) == "pass", format!("{c} pass, got {}", check(c)));
                }
                let token = w.get("imds_token_agent").map(String::as_str);
                expect(
                    token == Some("000") || (real && token == Some("no-agent")),
                    format!(
                        "the agent's netns gets no IMDSv2 token through hop limit 1: {token:?}"
                    ),
                );
                if real {
                    // The agent cannot read its identity, so never registers.
                    let registered = registered_instances(&moto);
                    expect(
                        !registered.contains(&r.instance_id),
                        format!(
                            "with hop limit 1 the agent of {} never registers: {registered:?}",
                            r.instance_id
                        ),
                    );
                }
            }
        }
        let verdict = if ok { "ok" } else { "NOT ok" };
        let summary = inst["runtime"]["summary"]
            .as_str()
            .unwrap_or("-")
            .to_owned();
        let task_summary = match &r.task {
            None => String::new(),
            Some(Ok(t)) => format!(
                "; task {} sent to {} ({} agent {} connected={}), witness task={}",
                t.task_arn.rsplit('/').next().unwrap_or_default(),
                t.container_instance_arn
                    .rsplit('/')
                    .next()
                    .unwrap_or_default(),
                t.status,
                t.agent_version,
                t.agent_connected,
                w.get("task").map_or("-", String::as_str)
            ),
            Some(Err(e)) => format!("; task not sent: {}", e.lines().next().unwrap_or_default()),
        };
        let line = format!(
            "BOOT {name}: {timing}; verdict {verdict} ({summary}; {}){}{task_summary}; witness task_path={} task_imds={} imds_token_agent={} (before the loopback file was re-applied: {}; after: {}) docker={} lo={}{}",
            checks
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" "),
            if problems.is_empty() {
                String::new()
            } else {
                format!(" problems: {}", problems.join(" | "))
            },
            w.get("task_path").map_or("-", |s| s.split_whitespace().next().unwrap_or("-")),
            w.get("task_imds").map_or("-", |s| s.split_whitespace().next().unwrap_or("-")),
            w.get("imds_token_agent").map_or("-", String::as_str),
            w.get("imds_token_agent_before").map_or("-", String::as_str),
            w.get("imds_token_agent_tries").map_or("-", String::as_str),
            w.get("docker").map_or("-", String::as_str),
            w.get("lo_manager").map_or("-", String::as_str),
            w.get("loopback_file").map_or(String::new(), |r| format!(" loopback_file={}", r.split(" by=").next().unwrap_or(r))),
        );
        if !bad.is_empty() {
            failures.push(format!("{name}: {}", bad.join("; ")));
        }
        lines.push(line);
    }
    for l in &lines {
        eprintln!("{l}");
    }
    eprintln!(
        "BOOT total {:.1} s (boots {:.1} s, {} cases, {parallel} at a time, accel {}), load at end {}",
        t_all.elapsed().as_secs_f64(),
        boots_wall.as_secs_f64(),
        runs.len(),
        accel.name,
        load()
    );
    assert!(
        failures.is_empty(),
        "unexpected verdicts:\n{}",
        failures.join("\n")
    );
}

#[test]
fn strip_loopback_removes_every_loopback_piece_of_both_host_formats() {
    use ecshost::render::agent::AgentInput;
    use ecshost::render::user_data::{render, HostFormat, UserDataInput};
    for hf in [HostFormat::Shell, HostFormat::CloudInit] {
        let ud = render(&UserDataInput {
            host_format: hf,
            agent: AgentInput {
                cluster: CLUSTER.into(),
                ..AgentInput::default()
            },
            ..UserDataInput::default()
        })
        .unwrap();
        let cut = strip_loopback(&ud.rendered);
        assert!(!cut.contains("ecs-loopback.sh"), "{cut}");
        // The agent unit still names it in Wants=/After= (harmless when absent).
        assert!(!cut.contains("/ecshost-loopback.service\" 644"), "{cut}");
        assert!(!cut.contains("start ecshost-loopback.service"), "{cut}");
        assert!(!cut.contains("169.254.170.2/32"), "{cut}");
        assert!(cut.contains("ecs-agent.service"), "the rest stays");
        assert!(cut.contains("/opt/ecshost/self-check.sh"));
    }
}

/// The metadata stand-in enforces the hop limit as EC2 does: the token
/// answer leaves with IP TTL = hop limit, so a client one forward away gets
/// it with hop limit 2 and never with hop limit 1, while a client on the
/// link gets it with either. Namespaces: client → router (forwards) → imds.
#[test]
fn imds_standin_enforces_the_hop_limit_on_token_answers() {
    use acceptance_tests::hostlab::netns::{add_addr, add_route, veth_pair, NetNs};
    if acceptance_tests::hostlab::sys::euid() != Some(0) {
        assert_ne!(
            std::env::var("ECSHOST_REQUIRE_LAB").as_deref(),
            Ok("1"),
            "needs root"
        );
        eprintln!("SKIP: needs root (network namespaces)");
        return;
    }
    let bin = built_binary("imds-standin");
    let p = std::process::id();
    let dir = tempfile::tempdir().unwrap();
    for hop_limit in [1u32, 2] {
        let names = [
            format!("ecshhop-{p}-{hop_limit}-c"),
            format!("ecshhop-{p}-{hop_limit}-r"),
        ];
        let client = NetNs::create(&names[0]).unwrap();
        let router = NetNs::create(&names[1]).unwrap();
        let result = std::panic::catch_unwind(|| {
            veth_pair(&client, "eth0", &router, "c0").unwrap();
            add_addr(&client, "eth0", "169.254.1.2/24").unwrap();
            add_addr(&router, "c0", "169.254.1.1/24").unwrap();
            add_route(&client, "default", "169.254.1.1", Some("eth0")).unwrap();
            router.sysctl("net.ipv4.ip_forward", "1").unwrap();
            let mut net = GuestNet::start(
                &format!("ecshhop-{p}-{hop_limit}-i"),
                dir.path(),
                &bin,
                &ImdsSettings {
                    hop_limit,
                    tokens_required: true,
                    instance_id: "i-0hop".into(),
                    docroot: None,
                },
            )
            .unwrap();
            // router ↔ imds namespace over a veth (the guest link's place).
            veth_pair(&router, "i0", net.netns(), "r0").unwrap();
            add_addr(&router, "i0", "169.254.2.1/24").unwrap();
            add_addr(net.netns(), "r0", "169.254.2.2/24").unwrap();
            add_route(&router, "169.254.169.254/32", "169.254.2.2", Some("i0")).unwrap();
            add_route(net.netns(), "169.254.1.0/24", "169.254.2.1", Some("r0")).unwrap();
            let put = "curl -s -m 3 -o /dev/null -w '%{http_code}' -X PUT \
                       -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
                       http://169.254.169.254/latest/api/token";
            let from_router = router.sh(put, Duration::from_secs(10)).unwrap();
            let from_client = client.sh(put, Duration::from_secs(10)).unwrap();
            let get = client
                .sh(
                    "curl -s -m 3 -o /dev/null -w '%{http_code}' http://169.254.169.254/latest/meta-data/instance-id",
                    Duration::from_secs(10),
                )
                .unwrap();
            net.stop();
            (
                from_router.stdout.trim().to_owned(),
                from_client.stdout.trim().to_owned(),
                get.stdout.trim().to_owned(),
            )
        });
        let _ = client.delete();
        let _ = router.delete();
        let (router_code, client_code, get_code) = result.unwrap();
        eprintln!("OBSERVED hop limit {hop_limit}: token on the link {router_code}, one forward away {client_code}; GET without token {get_code}");
        assert_eq!(router_code, "200", "on the link, hop limit {hop_limit}");
        assert_eq!(
            client_code,
            if hop_limit == 1 { "000" } else { "200" },
            "one forward away, hop limit {hop_limit}"
        );
        assert_eq!(get_code, "401", "IMDSv2 required: GET without a token");
    }
}
