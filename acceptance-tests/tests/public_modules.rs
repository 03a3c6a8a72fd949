//! The public terraform-aws-modules as real callers through
//! the real `terraform` CLI and hashicorp/aws 5.100.0 against moto:
//!
//! - terraform-aws-autoscaling v8.3.1 builds its launch template and Auto
//!   Scaling group with `user_data = data.ecshost_user_data.hosts.base64`;
//!   `data "ecshost_instance_verification"` verifies the group's instances
//!   against `module.asg.launch_template_id` (all `ok`; a wrong
//!   `expected_version` named on every instance), and the module's default
//!   metadata options (none: EC2's hop limit 1) are named as a problem for
//!   this provider's bridged agent;
//! - the module's `aws_launch_template` is adopted into
//!   `ecshost_launch_template` three ways, each on its own moto: a `moved`
//!   block, `terraform state rm` + `terraform import`, and an `import {}`
//!   block with `-generate-config-out`. The module stays and keeps its Auto
//!   Scaling group (`create_launch_template = false`, pointed at the adopted
//!   template), as a user migrating would. Each adoption plans no changes;
//!   new user data then writes a version whose `LaunchTemplateData` equals
//!   the previous one's except `UserData`.
//!
//! The modules are read from `<workspace>/../shared/clients` (or
//! `$ECSHOST_CLIENTS_DIR`) and copied into each test's working directory at
//! run time; their code is never part of this repository. Without them (or
//! without the hashicorp/aws mirror) each test prints a SKIP line and passes.
//!
//! - terraform-aws-ecs v5.12.1's `examples/ec2-autoscaling`
//!   (`ecs_module_ec2_autoscaling_example`): its `modules/cluster` (copied
//!   like the autoscaling module) makes the cluster, its CloudWatch log
//!   group and the on-demand capacity provider `ex_1` on the autoscaling
//!   module's group (the example's arguments: managed scaling, managed
//!   termination protection with scale-in protection, the default
//!   strategy, the IAM role and instance profile with the two AWS policies),
//!   whose template carries `data.ecshost_user_data.hosts.base64`. Asserted:
//!   the configuration plans no changes after its apply; the template holds
//!   that user data (naming `ECS_CLUSTER`), the SSM AMI and the security
//!   group; ECS (moto) reports the capacity provider on the module's group
//!   ARN with the example's settings and the cluster with it as its
//!   default strategy; the group's two instances, registered in the cluster
//!   as their agents would, verify `ok` and healthy against the module's
//!   template, its latest version and the cluster; a verification against
//!   another cluster names both clusters on every instance. Left out or
//!   replaced, one line each:
//!   - `module "vpc"` (registry, offline: unavailable): moto's default VPC;
//!     the group takes `availability_zones = ["us-east-1a"]`;
//!   - `module "autoscaling_sg"` (registry): a plain `aws_security_group`
//!     in the default VPC (egress only: there is no ALB to let in);
//!   - `module "alb"` (registry): left out, nothing in the test serves HTTP;
//!   - `module "ecs_service"` (with its container definition, CloudWatch
//!     logging and service autoscaling): left out — moto 5.2.5's
//!     CreateService drops `capacityProviderStrategy` (hashicorp/aws then
//!     replaces the service on every plan) and its Application Auto Scaling
//!     answers `ListTagsForResource` with HTTP 500;
//!   - `jsondecode(data.aws_ssm_parameter …/recommended)["image_id"]`: the
//!     parameter `…/recommended/image_id` instead, because moto answers
//!     `…/recommended` with a Python dict's repr, not JSON;
//!   - the autoscaling module's `tags = local.tags`: given to the group
//!     through `autoscaling_group_tags`, because on moto template tags make
//!     hashicorp/aws write version 2 right away (the instances run 1);
//!   - the spot group and capacity provider `ex_2` (mixed instances):
//!     left out to keep the run short (the same modules and checks again);
//!   - the example's heredoc user data: `data.ecshost_user_data.hosts`,
//!     with the metadata options this provider's bridged agent needs.
//!
//! moto gaps met (docs/guides/testing-against-moto.md): moto's Auto Scaling
//! launches the group's instances from the module's template, but does not
//! copy the template's metadata options or instance profile to them (real
//! EC2 does), so the tests set what EC2 would have copied. moto's IAM knows
//! the AWS managed policies only with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`
//! (the ecs test starts its moto so). moto stores capacity providers and
//! the cluster's capacity providers and strategy, but does not check that
//! the group exists or is protected from scale-in, and never scales it.

use std::path::{Path, PathBuf};

use acceptance_tests::hostlab::agent_image::say;
use acceptance_tests::moto::{Launch, Moto};
use acceptance_tests::terraform::{
    aws_and_ecshost_blocks, aws_provider_mirror, find_resource, moved_block, workspace_root,
    Workdir,
};
use acceptance_tests::verification::{by_id, problems, AMI};
use base64::Engine as _;
use serde_json::{json, Value as Json};

const AUTOSCALING: &str = "terraform-aws-autoscaling-v8.3.1";
const ECS: &str = "terraform-aws-ecs-v5.12.1";

/// Where the public modules are: `$ECSHOST_CLIENTS_DIR`, else
/// `<workspace>/../shared/clients`; `Err` says why they cannot be used.
fn clients_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("ECSHOST_CLIENTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => workspace_root().join("../shared/clients"),
    };
    if !dir.join(AUTOSCALING).join("main.tf").is_file() {
        return Err(format!(
            "{} not found (set ECSHOST_CLIENTS_DIR to the folder holding {AUTOSCALING}/)",
            dir.join(AUTOSCALING).display()
        ));
    }
    if aws_provider_mirror().is_none() {
        return Err(
            "no filesystem mirror of hashicorp/aws on this machine (set ECSHOST_AWS_MIRROR)".into(),
        );
    }
    Ok(dir)
}

/// The clients directory, or `None` after a SKIP line that reaches the
/// output past the test harness's capture.
fn clients_or_skip(test: &str) -> Option<PathBuf> {
    match clients_dir() {
        Ok(d) => Some(d),
        Err(why) => {
            say(&format!("SKIP public_modules::{test}: {why}"));
            None
        }
    }
}

/// Copies the module's top-level files (its `.tf` files; not its examples)
/// into `<work>/modules/<name>`.
fn copy_module(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("module dir");
    for e in std::fs::read_dir(from).expect("reading the module") {
        let e = e.expect("dir entry");
        if e.file_type().expect("file type").is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copying the module");
        }
    }
}

/// A moto, and a work dir holding a copy of the autoscaling module at
/// `./modules/autoscaling`.
fn setup(clients: &Path) -> (Moto, Workdir) {
    let moto = Moto::start();
    let wd = moto.workdir();
    copy_module(
        &clients.join(AUTOSCALING),
        &wd.path().join("modules/autoscaling"),
    );
    (moto, wd)
}

/// Providers (hashicorp/aws and ecshost, both at moto), the user data for
/// `cluster`, then `body`.
fn stack(moto: &Moto, cluster: &str, body: &str) -> String {
    let ep = moto.endpoint.as_str();
    let providers = aws_and_ecshost_blocks(
        &[
            ("autoscaling", ep),
            ("cloudwatchlogs", ep),
            ("ec2", ep),
            ("ecs", ep),
            ("iam", ep),
            ("ssm", ep),
            ("sts", ep),
        ],
        &[("max_retries", "1")],
        &[("ec2", ep), ("ecs", ep)],
    );
    format!(
        r#"{providers}data "ecshost_user_data" "hosts" {{
  host_format = "shell"
  cluster     = "{cluster}"
}}
{body}
"#
    )
}

/// The module's metadata options that suit this provider's bridged agent.
const METADATA: &str = r#"metadata_options = {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }"#;

/// `module "asg"`: two instances in one zone; what moto cannot create or
/// the test does not need (scaling policies, schedules, the IAM instance
/// profile) switched off with the module's own variables; then `template`
/// (the template's arguments, or where the group's template is).
fn module(template: &str) -> String {
    format!(
        r#"module "asg" {{
  source = "./modules/autoscaling"

  name                        = "web-hosts"
  min_size                    = 2
  max_size                    = 2
  desired_capacity            = 2
  availability_zones          = ["us-east-1a"]
  wait_for_capacity_timeout   = "0"
  create_scaling_policy       = false
  create_schedule             = false
  create_iam_instance_profile = false

  {template}
}}
output "launch_template_id" {{
  value = module.asg.launch_template_id
}}
output "autoscaling_group_name" {{
  value = module.asg.autoscaling_group_name
}}
"#
    )
}

/// The module owns the template (its defaults: named by the prefix
/// `web-hosts-`, detailed monitoring on), plus `extra`.
fn module_template(extra: &str) -> String {
    module(&format!(
        r#"image_id               = "{AMI}"
  instance_type          = "t3.small"
  user_data              = data.ecshost_user_data.hosts.base64
  update_default_version = true
  {extra}"#
    ))
}

/// The module keeps its group; the template is `ecshost_launch_template.hosts`.
fn module_on_adopted(id: &str, version: &str) -> String {
    module(&format!(
        "create_launch_template  = false\n  launch_template_id      = {id}\n  launch_template_version = {version}"
    ))
}

/// `ecshost_launch_template.hosts` with the arguments the module sent.
const ADOPTED: &str = r#"
resource "ecshost_launch_template" "hosts" {
  name_prefix            = "web-hosts-"
  image_id               = "ami-05fb4f257abd42992"
  instance_type          = "t3.small"
  user_data              = data.ecshost_user_data.hosts.base64
  update_default_version = true
  monitoring {
    enabled = true
  }
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}
"#;

fn output(wd: &Workdir, name: &str) -> String {
    wd.ok(&["output", "-raw", name]).stdout.trim().to_owned()
}

/// The running instances of the module's group: moto's Auto Scaling
/// launches them from the module's template; should it not, the test
/// launches two from the template itself, as the group would, and says so.
fn instances(moto: &Moto, lt: &str, metadata: Option<(&str, i32)>) -> Vec<String> {
    let mut ids: Vec<String> = moto
        .running_instances_of(lt)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    if ids.is_empty() {
        say("public_modules: moto's Auto Scaling launched no instance of the module's template; launching two with RunInstances");
        let mut l = Launch::new(lt, "1", 2);
        l.metadata = metadata;
        ids = moto.run_instances(&l);
    } else if let Some((tokens, 2)) = metadata {
        // moto's Auto Scaling does not copy the template's metadata options
        // to the instances; real EC2 does.
        assert_eq!(tokens, "required");
        moto.apply_template_metadata_options(&ids);
    }
    ids.sort();
    ids
}

/// The verification `v` (the data source's values) covers exactly the
/// group's instances `ids`, each `ok` with matching user data and passing
/// `more` (called with its id and its `instances` entry), and says
/// `all_ok`.
fn assert_every_instance_ok(v: &Json, ids: &[String], more: impl Fn(&str, &Json)) {
    let got = by_id(v);
    assert_eq!(
        got.keys().cloned().collect::<Vec<_>>(),
        ids,
        "the group's instances: {v:#}"
    );
    for (id, i) in &got {
        assert_eq!(i["ok"], json!(true), "{id}: {}", problems(i));
        assert_eq!(i["user_data_matches"], json!(true), "{id}");
        more(id, i);
    }
    assert_eq!(v["all_ok"], json!(true), "{v:#}");
}

fn verification(name: &str, extra: &str) -> String {
    format!(
        r#"
data "ecshost_instance_verification" "{name}" {{
  launch_template_id        = module.asg.launch_template_id
  expected_user_data_sha256 = data.ecshost_user_data.hosts.sha256
  require_runtime_report    = false
  {extra}
}}
"#
    )
}

/// The module's group runs instances of its template that verify `ok`; a
/// wrong `expected_version` is named on every instance.
#[test]
fn autoscaling_module_instances_verify() {
    let Some(clients) = clients_or_skip("autoscaling_module_instances_verify") else {
        return;
    };
    let (moto, wd) = setup(&clients);
    let base = module_template(METADATA);
    wd.write_config(&stack(&moto, "web", &base));
    wd.init();
    wd.apply();
    let lt = output(&wd, "launch_template_id");
    assert!(lt.starts_with("lt-"), "{lt}");
    let ids = instances(&moto, &lt, Some(("required", 2)));
    assert_eq!(ids.len(), 2, "two instances of the group: {ids:?}");

    let body = format!(
        "{base}{}{}",
        verification("fleet", ""),
        verification("wrong", "expected_version = 7")
    );
    wd.write_config(&stack(&moto, "web", &body));
    wd.apply();
    let v = wd.values("data.ecshost_instance_verification.fleet");
    assert_every_instance_ok(&v, &ids, |id, i| {
        assert_eq!(i["metadata_options_ok"], json!(true), "{id}");
    });

    let w = wd.values("data.ecshost_instance_verification.wrong");
    assert_eq!(w["all_ok"], json!(false), "{w:#}");
    for (id, i) in by_id(&w) {
        let p = problems(&i);
        assert_eq!(i["ok"], json!(false), "{id}");
        assert!(p.contains("expected version 7"), "{id}: {p}");
    }
}

/// The module's default metadata options (none: EC2's defaults, a hop
/// limit of 1) leave this provider's bridged agent without instance metadata: the
/// verification names hop limit 1 on every instance.
#[test]
fn autoscaling_module_default_hop_limit_is_a_problem() {
    let Some(clients) = clients_or_skip("autoscaling_module_default_hop_limit_is_a_problem") else {
        return;
    };
    let (moto, wd) = setup(&clients);
    let base = module_template("");
    wd.write_config(&stack(&moto, "web", &base));
    wd.init();
    wd.apply();
    let lt = output(&wd, "launch_template_id");
    // Launched as EC2 would with no metadata options in the template.
    let ids = instances(&moto, &lt, None);
    assert_eq!(ids.len(), 2, "{ids:?}");
    wd.write_config(&stack(
        &moto,
        "web",
        &format!("{base}{}", verification("fleet", "")),
    ));
    wd.apply();
    let v = wd.values("data.ecshost_instance_verification.fleet");
    let got = by_id(&v);
    assert_eq!(got.len(), 2, "{v:#}");
    for (id, i) in &got {
        let p = problems(i);
        assert_eq!(i["ok"], json!(false), "{id}");
        assert_eq!(i["http_put_response_hop_limit"], json!(1), "{id}: {i:#}");
        assert!(p.contains("hop limit is 1"), "{id}: {p}");
        assert_eq!(i["user_data_matches"], json!(true), "{id}: {p}");
    }
}

/// Version `n` of template `id` as EC2 holds it (`LaunchTemplateData`, API names).
fn version_data(moto: &Moto, id: &str, n: i64) -> Json {
    moto.template_version("us-east-1", id, n).data.to_json()
}

/// The module's stack applied (template and group); returns the template id.
fn module_applied(moto: &Moto, wd: &Workdir) -> String {
    wd.write_config(&stack(moto, "web", &module_template(METADATA)));
    wd.init();
    wd.apply();
    let lt = output(wd, "launch_template_id");
    assert!(lt.starts_with("lt-"), "{lt}");
    lt
}

/// New user data (another cluster) on the adopted template: one update in
/// place writes version `from + 1`, equal to version `from` but for
/// `UserData`, which is the new rendering.
fn change_user_data_writes_only_user_data(moto: &Moto, wd: &Workdir, lt: &str, body: &str) {
    let before = wd.values("ecshost_launch_template.hosts");
    let from = before["latest_version"].as_i64().expect("latest_version");
    let old = version_data(moto, lt, from);
    wd.write_config(&stack(moto, "blue", body));
    let plan = wd.plan_with_changes();
    assert!(
        plan.contains("ecshost_launch_template.hosts will be updated in-place"),
        "{plan}"
    );
    wd.apply();
    let after = wd.values("ecshost_launch_template.hosts");
    assert_eq!(after["id"], json!(lt), "same template");
    assert_eq!(after["latest_version"], json!(from + 1), "{after:#}");
    let ud = wd.values("data.ecshost_user_data.hosts");
    assert_eq!(after["user_data_sha256"], ud["sha256"]);
    let new = version_data(moto, lt, from + 1);
    assert_eq!(new["UserData"], ud["base64"], "the new rendering");
    assert_ne!(new["UserData"], old["UserData"]);
    let mut want = old;
    want["UserData"] = new["UserData"].clone();
    assert_eq!(new, want, "the new version differs only in UserData");
    wd.assert_empty_plan();
}

fn assert_plan_adopts(wd: &Workdir, what: &str) {
    let r = wd.run(&["plan", "-input=false", "-no-color"]);
    assert_eq!(r.code, 0, "{what}:\n{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 0 to destroy.")
            || r.stdout.contains("No changes."),
        "{what}: the plan must change nothing:\n{}",
        r.stdout
    );
    assert!(!r.stdout.contains("must be replaced"), "{}", r.stdout);
}

/// (a) A `moved` block from the module's template to
/// `ecshost_launch_template.hosts`; the module keeps its group on it.
#[test]
fn adopt_module_template_by_moved_block() {
    let Some(clients) = clients_or_skip("adopt_module_template_by_moved_block") else {
        return;
    };
    let (moto, wd) = setup(&clients);
    let lt = module_applied(&moto, &wd);
    let body = format!(
        "{}{ADOPTED}",
        module_on_adopted(
            "ecshost_launch_template.hosts.id",
            "ecshost_launch_template.hosts.latest_version"
        )
    );
    let moved = moved_block(
        "module.asg.aws_launch_template.this[0]",
        "ecshost_launch_template.hosts",
    );
    wd.write_config(&stack(&moto, "web", &format!("{body}{moved}")));
    let r = wd.run(&["plan", "-input=false", "-no-color"]);
    assert!(
        r.stdout.contains(
            "module.asg.aws_launch_template.this[0] has moved to ecshost_launch_template.hosts"
        ),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_plan_adopts(&wd, "moved");
    wd.apply();
    let v = wd.values("ecshost_launch_template.hosts");
    assert_eq!(v["id"], json!(lt));
    assert_eq!(v["latest_version"], json!(1), "no new version");
    wd.assert_empty_plan();
    change_user_data_writes_only_user_data(&moto, &wd, &lt, &format!("{body}{moved}"));
}

/// (b) `terraform state rm` of the module's template, `terraform import`
/// into `ecshost_launch_template.hosts`.
#[test]
fn adopt_module_template_by_cli_import() {
    let Some(clients) = clients_or_skip("adopt_module_template_by_cli_import") else {
        return;
    };
    let (moto, wd) = setup(&clients);
    let lt = module_applied(&moto, &wd);
    wd.ok(&["state", "rm", "module.asg.aws_launch_template.this[0]"]);
    let body = format!(
        "{}{ADOPTED}",
        module_on_adopted(
            "ecshost_launch_template.hosts.id",
            "ecshost_launch_template.hosts.latest_version"
        )
    );
    wd.write_config(&stack(&moto, "web", &body));
    wd.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "ecshost_launch_template.hosts",
        &lt,
    ]);
    assert_plan_adopts(&wd, "import");
    wd.assert_empty_plan();
    assert_eq!(
        wd.values("ecshost_launch_template.hosts")["latest_version"],
        json!(1)
    );
    change_user_data_writes_only_user_data(&moto, &wd, &lt, &body);
}

/// (c) An `import {}` block and `terraform plan -generate-config-out`: the
/// generated configuration applies and then plans no changes.
#[test]
fn adopt_module_template_by_import_block() {
    let Some(clients) = clients_or_skip("adopt_module_template_by_import_block") else {
        return;
    };
    let (moto, wd) = setup(&clients);
    let lt = module_applied(&moto, &wd);
    wd.ok(&["state", "rm", "module.asg.aws_launch_template.this[0]"]);
    // The generated block is not written yet, so nothing may refer to it:
    // the group names the template and version the module gave it.
    let group = module_on_adopted(&format!("\"{lt}\""), "\"1\"");
    let import = format!("import {{\n  to = ecshost_launch_template.hosts\n  id = \"{lt}\"\n}}\n");
    wd.write_config(&stack(&moto, "web", &format!("{group}{import}")));
    let r = wd.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap_or_default();
    assert_eq!(r.code, 0, "{}\n{}\n{generated}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    wd.apply();
    wd.assert_empty_plan();
    assert_eq!(
        wd.values("ecshost_launch_template.hosts")["latest_version"],
        json!(1)
    );

    // The generated block takes the user data from the data source again
    // (and lets the default follow the latest version, as the guide says).
    let ud = wd.values("data.ecshost_user_data.hosts")["base64"]
        .as_str()
        .expect("base64")
        .to_owned();
    let quoted = format!("\"{ud}\"");
    assert!(generated.contains(&quoted), "{generated}");
    let edited: String = generated
        .replace(&quoted, "data.ecshost_user_data.hosts.base64")
        .lines()
        .filter(|l| !l.trim_start().starts_with("default_version "))
        .map(|l| format!("{l}\n"))
        .collect();
    wd.write_file("generated.tf", &edited);
    wd.assert_empty_plan();
    change_user_data_writes_only_user_data(&moto, &wd, &lt, &format!("{group}{import}"));
}

/// The clients directory when it also holds the ecs module's
/// `modules/cluster`, or `None` after a SKIP line.
fn ecs_clients_or_skip(test: &str) -> Option<PathBuf> {
    let clients = clients_or_skip(test)?;
    let cluster = clients.join(ECS).join("modules/cluster/main.tf");
    if !cluster.is_file() {
        say(&format!(
            "SKIP public_modules::{test}: {} not found",
            cluster.display()
        ));
        return None;
    }
    Some(clients)
}

/// The cluster's name, as the ecs example's `local.name` (`ex-<dir>`).
const EX_CLUSTER: &str = "ex-ec2-autoscaling";

/// The ecs module's `examples/ec2-autoscaling`, as far as it runs offline
/// on moto: `module "ecs_cluster"` (`modules/cluster`) with the example's
/// on-demand capacity provider `ex_1`, whose group is the autoscaling
/// module's, hosts configured by `data.ecshost_user_data.hosts`; what is
/// left out or replaced, and why: this file's doc comment.
fn ecs_example() -> String {
    format!(
        r#"locals {{
  name = "{EX_CLUSTER}"
  tags = {{
    Name       = local.name
    Example    = local.name
    Repository = "https://github.com/terraform-aws-modules/terraform-aws-ecs"
  }}
}}

module "ecs_cluster" {{
  source = "./modules/ecs-cluster"

  cluster_name = local.name

  # Capacity provider - autoscaling groups
  default_capacity_provider_use_fargate = false
  autoscaling_capacity_providers = {{
    # On-demand instances
    ex_1 = {{
      auto_scaling_group_arn         = module.autoscaling.autoscaling_group_arn
      managed_termination_protection = "ENABLED"

      managed_scaling = {{
        maximum_scaling_step_size = 5
        minimum_scaling_step_size = 1
        status                    = "ENABLED"
        target_capacity           = 60
      }}

      default_capacity_provider_strategy = {{
        weight = 60
        base   = 20
      }}
    }}
  }}

  tags = local.tags
}}

module "autoscaling" {{
  source = "./modules/autoscaling"

  name = "${{local.name}}-ex_1"

  image_id      = data.aws_ssm_parameter.ecs_optimized_ami.value
  instance_type = "t3.large"

  security_groups                 = [aws_security_group.autoscaling.id]
  user_data                       = data.ecshost_user_data.hosts.base64
  ignore_desired_capacity_changes = true
  {METADATA}

  create_iam_instance_profile = true
  iam_role_name               = local.name
  iam_role_description        = "ECS role for ${{local.name}}"
  iam_role_policies = {{
    AmazonEC2ContainerServiceforEC2Role = "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"
    AmazonSSMManagedInstanceCore        = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
  }}

  availability_zones        = ["us-east-1a"]
  health_check_type         = "EC2"
  min_size                  = 1
  max_size                  = 5
  desired_capacity          = 2
  wait_for_capacity_timeout = "0"

  # https://github.com/hashicorp/terraform-provider-aws/issues/12582
  # (the example's `tags = local.tags` go to the group only: see above)
  autoscaling_group_tags = merge(local.tags, {{
    AmazonECSManaged = true
  }})

  # Required for  managed_termination_protection = "ENABLED"
  protect_from_scale_in = true

  use_mixed_instances_policy = false
}}

# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-optimized_AMI.html#ecs-optimized-ami-linux
data "aws_ssm_parameter" "ecs_optimized_ami" {{
  name = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
}}

# The example's module "autoscaling_sg", in moto's default VPC
data "aws_vpc" "default" {{
  default = true
}}

resource "aws_security_group" "autoscaling" {{
  name        = local.name
  description = "Autoscaling group security group"
  vpc_id      = data.aws_vpc.default.id

  egress {{
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }}

  tags = local.tags
}}

output "launch_template_id" {{
  value = module.autoscaling.launch_template_id
}}
output "ami" {{
  value = data.aws_ssm_parameter.ecs_optimized_ami.insecure_value
}}
output "security_group_id" {{
  value = aws_security_group.autoscaling.id
}}
output "autoscaling_group_arn" {{
  value = module.autoscaling.autoscaling_group_arn
}}
output "iam_instance_profile_arn" {{
  value = module.autoscaling.iam_instance_profile_arn
}}
output "cluster_name" {{
  value = module.ecs_cluster.name
}}
output "capacity_provider_arn" {{
  value = module.ecs_cluster.autoscaling_capacity_providers["ex_1"].arn
}}
"#
    )
}

/// The ecs module's `examples/ec2-autoscaling` (its cluster and on-demand
/// capacity provider) with the autoscaling module's group on this
/// provider's user data: ECS (moto) holds the capacity provider on the
/// module's group and the cluster's default strategy; the group's instances,
/// once registered as their agents would, verify `ok` against the
/// module's template and the cluster, and a verification against another
/// cluster names it on every instance.
#[test]
fn ecs_module_ec2_autoscaling_example() {
    let Some(clients) = ecs_clients_or_skip("ecs_module_ec2_autoscaling_example") else {
        return;
    };
    // moto's IAM knows AWS managed policies (the module attaches two) only
    // when told to load them.
    let moto = Moto::start_with_env(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]);
    let wd = moto.workdir();
    copy_module(
        &clients.join(AUTOSCALING),
        &wd.path().join("modules/autoscaling"),
    );
    copy_module(
        &clients.join(ECS).join("modules/cluster"),
        &wd.path().join("modules/ecs-cluster"),
    );
    let base = ecs_example();
    wd.write_config(&stack(&moto, EX_CLUSTER, &base));
    wd.init();
    wd.apply();
    wd.assert_empty_plan();
    let state = wd.show();
    let out = |name: &str| -> String {
        state["values"]["outputs"][name]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("output {name}: {state:#}"))
            .to_owned()
    };

    // The user data names the cluster, and the module's template holds it.
    assert_eq!(out("cluster_name"), EX_CLUSTER);
    let ud = &find_resource(&state, "data.ecshost_user_data.hosts").expect("user data")["values"];
    let lt = out("launch_template_id");
    assert!(lt.starts_with("lt-"), "{lt}");
    let v1 = version_data(&moto, &lt, 1);
    assert_eq!(
        v1["UserData"], ud["base64"],
        "the module's template: {v1:#}"
    );
    let ami = out("ami");
    assert!(ami.starts_with("ami-"), "{ami}");
    assert_eq!(v1["ImageId"], json!(ami), "{v1:#}");
    assert_eq!(
        v1["SecurityGroupIds"],
        json!([out("security_group_id")]),
        "{v1:#}"
    );
    let script = base64::engine::general_purpose::STANDARD
        .decode(v1["UserData"].as_str().expect("UserData"))
        .expect("base64");
    let script = String::from_utf8(script).expect("shell user data is text");
    assert!(
        script.contains(&format!("\nECS_CLUSTER={EX_CLUSTER}\n")),
        "{script}"
    );

    // The capacity provider and the cluster as ECS reports them.
    let asg_arn = out("autoscaling_group_arn");
    // The module names the group by the prefix `<name>-`.
    assert!(
        asg_arn.starts_with("arn:aws:autoscaling:us-east-1:")
            && asg_arn.contains(&format!(":autoScalingGroupName/{EX_CLUSTER}-ex_1-")),
        "{asg_arn}"
    );
    let (cp, cluster) = moto.with_ecs(async |ecs| {
        let cp = ecs
            .sdk()
            .describe_capacity_providers()
            .capacity_providers("ex_1")
            .send()
            .await
            .expect("DescribeCapacityProviders");
        let cl = ecs
            .sdk()
            .describe_clusters()
            .clusters(EX_CLUSTER)
            .send()
            .await
            .expect("DescribeClusters");
        (cp, cl)
    });
    let [cp] = cp.capacity_providers() else {
        panic!("one capacity provider ex_1: {cp:?}");
    };
    assert_eq!(
        cp.capacity_provider_arn(),
        Some(out("capacity_provider_arn").as_str())
    );
    let asgp = cp.auto_scaling_group_provider().expect("ASG provider");
    assert_eq!(asgp.auto_scaling_group_arn(), asg_arn, "{cp:?}");
    assert_eq!(
        asgp.managed_termination_protection().map(|m| m.as_str()),
        Some("ENABLED"),
        "{cp:?}"
    );
    let ms = asgp.managed_scaling().expect("managed scaling");
    assert_eq!(
        (
            ms.status().map(|s| s.as_str()),
            ms.target_capacity(),
            ms.minimum_scaling_step_size(),
            ms.maximum_scaling_step_size()
        ),
        (Some("ENABLED"), Some(60), Some(1), Some(5)),
        "{cp:?}"
    );
    let [cluster] = cluster.clusters() else {
        panic!("one cluster {EX_CLUSTER}: {cluster:?}");
    };
    assert_eq!(cluster.capacity_providers(), ["ex_1"], "{cluster:?}");
    let [strategy] = cluster.default_capacity_provider_strategy() else {
        panic!("one default strategy: {cluster:?}");
    };
    assert_eq!(
        (
            strategy.capacity_provider(),
            strategy.weight(),
            strategy.base()
        ),
        ("ex_1", 60, 20),
        "{cluster:?}"
    );

    // The group's instances, registered as their agents would at boot.
    let ids = instances(&moto, &lt, Some(("required", 2)));
    assert_eq!(ids.len(), 2, "the group's desired capacity: {ids:?}");
    // moto's Auto Scaling does not give them the template's instance
    // profile either; real EC2 does.
    let profile = out("iam_instance_profile_arn");
    assert!(profile.contains(":instance-profile/"), "{profile}");
    moto.with_ec2(async |ec2| {
        for id in &ids {
            ec2.sdk()
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(
                    aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                        .arn(&profile)
                        .build(),
                )
                .send()
                .await
                .expect("AssociateIamInstanceProfile");
        }
    });
    moto.register_container_instances(EX_CLUSTER, &ids);

    let body = format!(
        "{base}{}{}",
        verification_of_cluster("fleet", "module.ecs_cluster.name"),
        verification_of_cluster("elsewhere", "\"ex-other\"")
    );
    wd.write_config(&stack(&moto, EX_CLUSTER, &body));
    wd.apply();
    let state = wd.show();
    let values = |a: &str| find_resource(&state, a).expect(a)["values"].clone();
    let v = values("data.ecshost_instance_verification.fleet");
    assert_every_instance_ok(&v, &ids, |id, i| {
        assert_eq!(i["healthy"], json!(true), "{id}: {i:#}");
        assert_eq!(i["launch_template_version"], json!("1"), "{id}");
        let ecs = &i["ecs"];
        assert_eq!(ecs["registered"], json!(true), "{id}: {ecs:#}");
        assert_eq!(ecs["status"], json!("ACTIVE"), "{id}: {ecs:#}");
        let c = ecs["cluster"].as_str().unwrap_or_default();
        assert!(
            c == EX_CLUSTER || c.ends_with(&format!(":cluster/{EX_CLUSTER}")),
            "{id}: {ecs:#}"
        );
    });
    assert_eq!(v["healthy_count"], json!(2), "{v:#}");

    // Against another cluster every instance is a problem that names both.
    let w = values("data.ecshost_instance_verification.elsewhere");
    assert_eq!(w["all_ok"], json!(false), "{w:#}");
    let got = by_id(&w);
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), ids, "{w:#}");
    for (id, i) in &got {
        let p = problems(i);
        assert_eq!(i["ok"], json!(false), "{id}");
        assert!(
            p.contains("registered in ECS cluster ")
                && p.contains(EX_CLUSTER)
                && p.contains("not in ex-other"),
            "{id}: {p}"
        );
    }
}

/// `data "ecshost_instance_verification"` of the autoscaling module's
/// template, members of ECS cluster `cluster` (an HCL expression).
fn verification_of_cluster(name: &str, cluster: &str) -> String {
    verification(
        name,
        &format!(
            "expected_version   = module.autoscaling.launch_template_latest_version\n  ecs_cluster        = {cluster}\n  registration_grace = \"1s\""
        ),
    )
    .replace("module.asg.", "module.autoscaling.")
}
