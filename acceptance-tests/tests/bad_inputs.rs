//! The bad-input matrix: every row is a mistake a user can make in the
//! provider block, a render data source or `ecshost_launch_template`, fed to
//! the real Terraform CLI. Each row names the command stage that must refuse
//! it, the summary of the one error diagnostic it gets, the attribute that
//! diagnostic points at (checked on Terraform's JSON diagnostics: the
//! resource address and the source line it highlights), and a substring of
//! the detail. No output may show a provider crash.
//!
//! Rows share working directories: all validate-time rows go into one
//! configuration (one `terraform validate -json` reports them all), the
//! plan-time rows into a second, the apply-time rows by environment (no
//! credentials at all; credentials and moto), and the import rows run one
//! `terraform import` each against moto. The four groups run in parallel.
//!
//! The table is also the troubleshooting guide:
//! `docs/guides/troubleshooting.md` is generated from it, and this test
//! fails when the page is stale (`ECSHOST_UPDATE_DOCS=1` rewrites it).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Instant;

use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::{workspace_root, Run, Workdir};
use serde_json::Value as Json;

const HEADER: &str = r#"terraform {
  required_providers {
    ecshost = { source = "ecshost/ecshost" }
  }
}
"#;

/// The provider's address in diagnostics of an aliased provider block.
const PROVIDER: &str = r#"provider["registry.terraform.io/ecshost/ecshost"]"#;

/// The command that refuses the input first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// `terraform validate` (and so every later command)
    Validate,
    /// `terraform plan`: values known only then (variables, import blocks)
    Plan,
    /// `terraform apply`: only EC2 can tell
    Apply,
    /// `terraform import`
    Import,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Validate => "validate",
            Stage::Plan => "plan",
            Stage::Apply => "apply",
            Stage::Import => "import",
        }
    }
}

/// What the provider can reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Env {
    /// the harness default: AWS calls go to a closed port
    Offline,
    /// no credentials anywhere (empty environment, a shared config without a
    /// default profile, no instance metadata)
    NoCredentials,
    /// static test credentials and a moto server
    Moto,
}

/// One bad input.
struct Row {
    /// unique; the block label and provider alias (`NAME` in `hcl`)
    name: &'static str,
    /// `provider` or the Terraform type the input is in
    object: &'static str,
    /// the input, for the troubleshooting page
    input: &'static str,
    /// the configuration; `NAME` is replaced by `name`
    hcl: &'static str,
    stage: Stage,
    env: Env,
    /// import rows: the ID given to `terraform import`
    import_id: &'static str,
    /// the attribute the diagnostic points at, as a Terraform path; empty
    /// when it points at the whole block (or, for import, at nothing)
    attribute: &'static str,
    /// the diagnostic's summary, exactly
    summary: &'static str,
    /// a part of the detail a user can act on
    detail: &'static str,
    /// what to do, for the troubleshooting page
    fix: &'static str,
    /// the one diagnostic is a warning (and there is no error)
    warning: bool,
}

const ROW: Row = Row {
    name: "",
    object: "",
    input: "",
    hcl: "",
    stage: Stage::Validate,
    env: Env::Offline,
    import_id: "",
    attribute: "",
    summary: "",
    detail: "",
    fix: "",
    warning: false,
};

const LO: &str = "ecshost_loopback_config";
const AGENT: &str = "ecshost_agent_options";
const UD: &str = "ecshost_user_data";
const LT: &str = "ecshost_launch_template";
const IV: &str = "ecshost_instance_verification";

const ROWS: &[Row] = &[
    // ----- provider block ---------------------------------------------------
    Row {
        name: "p_attempts_zero",
        object: "provider",
        input: "`max_attempts = 0`",
        hcl: r#"provider "ecshost" {
  alias        = "NAME"
  max_attempts = 0
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "max_attempts",
        summary: "Invalid Attribute Value",
        detail: "max_attempts must be a whole number from 1 to 25; got 0.",
        fix: "Use 1–25 (attempts include the first call).",
        ..ROW
    },
    Row {
        name: "p_attempts_string",
        object: "provider",
        input: "`max_attempts = \"many\"` (wrong type)",
        hcl: r#"provider "ecshost" {
  alias        = "NAME"
  max_attempts = "many"
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "max_attempts",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"max_attempts\": a number is required.",
        fix: "Write a number without quotes.",
        ..ROW
    },
    Row {
        name: "p_retry_mode",
        object: "provider",
        input: "`retry_mode = \"fast\"`",
        hcl: r#"provider "ecshost" {
  alias      = "NAME"
  retry_mode = "fast"
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "retry_mode",
        summary: "Invalid Attribute Value",
        detail: r#"retry_mode must be one of "standard", "adaptive"; got "fast"."#,
        fix: "Use `standard` or `adaptive`.",
        ..ROW
    },
    Row {
        name: "p_region_az",
        object: "provider",
        input: "`region = \"us-east-1a\"` (an Availability Zone)",
        hcl: r#"provider "ecshost" {
  alias  = "NAME"
  region = "us-east-1a"
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "region",
        summary: "Invalid AWS Region",
        detail: r#""us-east-1a" is an Availability Zone; its Region is "us-east-1"."#,
        fix: "Use the Region name, e.g. `us-east-1`.",
        ..ROW
    },
    Row {
        name: "p_region_typo",
        object: "provider",
        input: "`region = \"us-east1\"`",
        hcl: r#"provider "ecshost" {
  alias  = "NAME"
  region = "us-east1"
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "region",
        summary: "Invalid AWS Region",
        detail: r#"region must be a Region name such as "eu-west-1"; got "us-east1"."#,
        fix: "Use a Region name such as `eu-west-1`.",
        ..ROW
    },
    Row {
        name: "p_endpoint_scheme",
        object: "provider",
        input: "`endpoints { ec2 = \"127.0.0.1:5000\" }` (no scheme)",
        hcl: r#"provider "ecshost" {
  alias = "NAME"
  endpoints {
    ec2 = "127.0.0.1:5000"
  }
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "endpoints[0].ec2",
        summary: "Invalid URL",
        detail: "has no http:// or https:// scheme",
        fix: "Write the full URL, e.g. `http://127.0.0.1:5000`.",
        ..ROW
    },
    Row {
        name: "p_endpoint_not_url",
        object: "provider",
        input: "`endpoints { ec2 = \"not a url\" }`",
        hcl: r#"provider "ecshost" {
  alias = "NAME"
  endpoints {
    ec2 = "not a url"
  }
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "endpoints[0].ec2",
        summary: "Invalid URL",
        detail: "contains spaces or control characters",
        fix: "Use an absolute `http://` or `https://` URL.",
        ..ROW
    },
    Row {
        name: "p_ecs_endpoint_scheme",
        object: "provider",
        input: "`endpoints { ecs = \"localhost:5000\" }` (no scheme)",
        hcl: r#"provider "ecshost" {
  alias = "NAME"
  endpoints {
    ecs = "localhost:5000"
  }
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "endpoints[0].ecs",
        summary: "Invalid URL",
        detail: "has no http:// or https:// scheme",
        fix: "Write the full URL, e.g. `http://127.0.0.1:5000`.",
        ..ROW
    },
    Row {
        name: "p_two_endpoints",
        object: "provider",
        input: "two `endpoints` blocks",
        hcl: r#"provider "ecshost" {
  alias = "NAME"
  endpoints {
    ec2 = "http://127.0.0.1:5000"
  }
  endpoints {
    ec2 = "http://127.0.0.1:5001"
  }
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "endpoints",
        summary: "Too many endpoints blocks",
        detail: "No more than 1 \"endpoints\" blocks are allowed",
        fix: "Keep one `endpoints` block.",
        ..ROW
    },
    Row {
        name: "p_misspelt",
        object: "provider",
        input: "`regoin = \"us-east-1\"` (misspelt argument)",
        hcl: r#"provider "ecshost" {
  alias  = "NAME"
  regoin = "us-east-1"
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "regoin",
        summary: "Unsupported argument",
        detail: "An argument named \"regoin\" is not expected here. Did you mean \"region\"?",
        fix: "Fix the argument name.",
        ..ROW
    },
    Row {
        name: "p_default_tags_string",
        object: "provider",
        input: "`default_tags { tags = \"team=platform\" }` (wrong type)",
        hcl: r#"provider "ecshost" {
  alias = "NAME"
  default_tags {
    tags = "team=platform"
  }
}
data "ecshost_loopback_config" "NAME" {
  provider = ecshost.NAME
  format   = "shell"
}"#,
        attribute: "default_tags[0].tags",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"tags\": map of string required.",
        fix: "Write a map: `tags = { team = \"platform\" }`.",
        ..ROW
    },
    Row {
        name: "p_no_credentials",
        object: "provider",
        input: "no credentials anywhere (no `AWS_*` keys, no default profile, no instance metadata)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "no-credentials"
}"#,
        stage: Stage::Apply,
        env: Env::NoCredentials,
        summary: "Unable to Create Launch Template",
        detail: "CreateLaunchTemplate: no AWS credentials found; looked in the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
        fix: "Provide credentials the AWS CLI would find (environment, `profile`, SSO, web identity, instance role). The render data sources need none.",
        ..ROW
    },
    Row {
        name: "p_missing_profile",
        object: "provider",
        input: "`profile = \"nope\"`, a profile the shared config does not define",
        hcl: r#"provider "ecshost" {
  alias   = "NAME"
  profile = "nope"
}
resource "ecshost_launch_template" "NAME" {
  provider = ecshost.NAME
  name     = "missing-profile"
}"#,
        stage: Stage::Apply,
        env: Env::NoCredentials,
        summary: "Unable to Create Launch Template",
        detail: "profile `nope` (the provider's `profile` or AWS_PROFILE) is not defined",
        fix: "Fix the profile name or define it in `~/.aws/config` / `~/.aws/credentials`.",
        ..ROW
    },
    Row {
        name: "p_unreachable",
        object: "provider",
        input: "`endpoints { ec2 = \"http://127.0.0.1:9\" }` (nothing listens), `max_attempts = 1`",
        hcl: r#"provider "ecshost" {
  alias        = "NAME"
  max_attempts = 1
  endpoints {
    ec2 = "http://127.0.0.1:9"
  }
}
resource "ecshost_launch_template" "NAME" {
  provider = ecshost.NAME
  name     = "unreachable"
}"#,
        stage: Stage::Apply,
        env: Env::Moto,
        summary: "Unable to Create Launch Template",
        detail: "CreateLaunchTemplate: no answer from EC2: dispatch failure: io error",
        fix: "Check the endpoint (`endpoints.ec2` or `AWS_ENDPOINT_URL`), the network and any proxy.",
        ..ROW
    },
    // ----- ecshost_loopback_config -------------------------------------------
    Row {
        name: "lo_typo_address",
        object: LO,
        input: "`address = \"169.254.170.20/32\"` (one digit too many)",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format  = "ifupdown"
  address = "169.254.170.20/32"
}"#,
        attribute: "address",
        summary: "Did you mean 169.254.170.2?",
        detail: "169.254.170.20 is one typo away from 169.254.170.2, the only address AWS SDKs use for task credentials",
        fix: "Use `169.254.170.2` (the default), or set `allow_custom_address = true` if you really mean another address.",
        ..ROW
    },
    Row {
        name: "lo_not_ip",
        object: LO,
        input: "`address = \"ecs-credentials\"` (not an IP)",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format  = "networkd"
  address = "ecs-credentials"
}"#,
        attribute: "address",
        summary: "Invalid IPv4 address",
        detail: "\"ecs-credentials\" is not a dotted-quad IPv4 address such as 169.254.170.2.",
        fix: "Leave `address` out (it defaults to `169.254.170.2`).",
        ..ROW
    },
    Row {
        name: "lo_prefix",
        object: LO,
        input: "`address = \"169.254.170.2/24\"`",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format  = "shell"
  address = "169.254.170.2/24"
}"#,
        attribute: "address",
        summary: "Only /32 is supported",
        detail: "The credentials endpoint is a single address; got prefix /24.",
        fix: "Write the bare address; the provider adds `/32`.",
        ..ROW
    },
    Row {
        name: "lo_imds",
        object: LO,
        input: "`address = \"169.254.169.254\"` (the metadata service)",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format               = "shell"
  address              = "169.254.169.254"
  allow_custom_address = true
}"#,
        attribute: "address",
        summary: "Address cannot be used for the credentials endpoint",
        detail: "169.254.169.254 is unspecified, broadcast, multicast or the IMDS address.",
        fix: "Use `169.254.170.2`.",
        ..ROW
    },
    Row {
        name: "lo_unknown_format",
        object: LO,
        input: "`format = \"yaml\"` (unknown host format)",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format = "yaml"
}"#,
        attribute: "format",
        summary: "Invalid Attribute Value",
        detail: r#"format must be one of "networkd", "ignition", "coreos_cloud_config", "cloud_init", "ifupdown", "netplan", "networkmanager", "shell"; got "yaml"."#,
        fix: "Pick the host's network configuration language from the list.",
        ..ROW
    },
    Row {
        name: "lo_format_missing",
        object: LO,
        input: "no `format`",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  address = "169.254.170.2"
}"#,
        summary: "Missing required argument",
        detail: "The argument \"format\" is required, but no definition was found.",
        fix: "Add `format`.",
        ..ROW
    },
    Row {
        name: "lo_format_list",
        object: LO,
        input: "`format = [\"shell\"]` (wrong type)",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format = ["shell"]
}"#,
        attribute: "format",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"format\": string required.",
        fix: "One format per data source; use several data sources for several formats.",
        ..ROW
    },
    Row {
        name: "lo_ignition_version",
        object: LO,
        input: "`ignition_version = \"2.3.0\"` with `format = \"ignition\"`",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format           = "ignition"
  ignition_version = "2.3.0"
}"#,
        attribute: "ignition_version",
        summary: "Unsupported Ignition spec version",
        detail: "\"2.3.0\" is not one of 3.0.0",
        fix: "Use the newest 3.x spec the image's Ignition reads.",
        ..ROW
    },
    Row {
        name: "lo_ignition_version_unused",
        object: LO,
        input: "`ignition_version = \"3.2.0\"` with `format = \"networkd\"`",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format           = "networkd"
  ignition_version = "3.2.0"
}"#,
        attribute: "ignition_version",
        summary: "Setting Has No Effect",
        detail: "ignition_version is read only with format = \"ignition\"; with format = \"networkd\" nothing uses it.",
        fix: "Remove it, or set `format = \"ignition\"` if the host runs Ignition.",
        warning: true,
        ..ROW
    },
    Row {
        name: "lo_device",
        object: LO,
        input: "`device = \"loopback device\"`",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format = "shell"
  device = "loopback device"
}"#,
        attribute: "device",
        summary: "Invalid device name",
        detail: "\"loopback device\" is not a Linux interface name",
        fix: "Leave `device` out (`lo`).",
        ..ROW
    },
    Row {
        name: "lo_allow_custom_string",
        object: LO,
        input: "`allow_custom_address = \"maybe\"` (wrong type)",
        hcl: r#"data "ecshost_loopback_config" "NAME" {
  format               = "shell"
  allow_custom_address = "maybe"
}"#,
        attribute: "allow_custom_address",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"allow_custom_address\": a bool is required.",
        fix: "Write `true` or `false`.",
        ..ROW
    },
    Row {
        name: "lo_address_var",
        object: LO,
        input: "`address = var.x` where the variable is `169.254.170.20`",
        hcl: r#"variable "NAME" {
  default = "169.254.170.20"
}
data "ecshost_loopback_config" "NAME" {
  format  = "netplan"
  address = var.NAME
}"#,
        stage: Stage::Plan,
        attribute: "address",
        summary: "Did you mean 169.254.170.2?",
        detail: "169.254.170.20 is one typo away from 169.254.170.2",
        fix: "Fix the variable's value.",
        ..ROW
    },
    // ----- ecshost_agent_options ---------------------------------------------
    Row {
        name: "ag_cluster_empty",
        object: AGENT,
        input: "`cluster = \"\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = ""
}"#,
        attribute: "cluster",
        summary: "Invalid Attribute Value",
        detail: "cluster must not be empty.",
        fix: "Name the ECS cluster.",
        ..ROW
    },
    Row {
        name: "ag_cluster_spaces",
        object: AGENT,
        input: "`cluster = \"my cluster\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "my cluster"
}"#,
        attribute: "cluster",
        summary: "Invalid cluster name",
        detail: "Use the ECS cluster name (letters, digits, '-' and '_') or its ARN.",
        fix: "Use the cluster's name or ARN.",
        ..ROW
    },
    Row {
        name: "ag_cluster_missing",
        object: AGENT,
        input: "no `cluster`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  log_level = "info"
}"#,
        summary: "Missing required argument",
        detail: "The argument \"cluster\" is required, but no definition was found.",
        fix: "Add `cluster`.",
        ..ROW
    },
    Row {
        name: "ag_port_range",
        object: AGENT,
        input: "`credentials_port = 70000`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster          = "c"
  credentials_port = 70000
}"#,
        attribute: "credentials_port",
        summary: "Invalid Attribute Value",
        detail: "credentials_port must be a whole number from 1 to 65535; got 70000.",
        fix: "Leave it at 80: AWS SDKs only use port 80.",
        ..ROW
    },
    Row {
        name: "ag_port_zero",
        object: AGENT,
        input: "`credentials_port = 0`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster          = "c"
  credentials_port = 0
}"#,
        attribute: "credentials_port",
        summary: "Invalid Attribute Value",
        detail: "credentials_port must be a whole number from 1 to 65535; got 0.",
        fix: "Leave it at 80.",
        ..ROW
    },
    Row {
        name: "ag_port_string",
        object: AGENT,
        input: "`credentials_port = \"eighty\"` (wrong type)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster          = "c"
  credentials_port = "eighty"
}"#,
        attribute: "credentials_port",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"credentials_port\": a number is required.",
        fix: "Write a number, or leave it out (80).",
        ..ROW
    },
    Row {
        name: "ag_port_8080",
        object: AGENT,
        input: "`credentials_port = 8080`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster          = "c"
  credentials_port = 8080
}"#,
        attribute: "credentials_port",
        summary: "SDKs only use port 80",
        detail: "port 8080 is only useful for labs. Set allow_custom_address = true to allow it.",
        fix: "Use 80; other ports are for labs (`allow_custom_address = true`).",
        ..ROW
    },
    Row {
        name: "ag_port_var",
        object: AGENT,
        input: "`credentials_port = var.x` where the variable is 70000",
        hcl: r#"variable "NAME" {
  default = 70000
}
data "ecshost_agent_options" "NAME" {
  cluster          = "c"
  credentials_port = var.NAME
}"#,
        stage: Stage::Plan,
        attribute: "credentials_port",
        summary: "Invalid Attribute Value",
        detail: "credentials_port must be a whole number from 1 to 65535; got 70000.",
        fix: "Fix the variable's value (validate cannot see variable values).",
        ..ROW
    },
    Row {
        name: "ag_address_typo",
        object: AGENT,
        input: "`credentials_address = \"169.254.170.20\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster             = "c"
  credentials_address = "169.254.170.20"
}"#,
        attribute: "credentials_address",
        summary: "Did you mean 169.254.170.2?",
        detail: "169.254.170.20 is one typo away from 169.254.170.2",
        fix: "Use `169.254.170.2` (the default).",
        ..ROW
    },
    Row {
        name: "ag_managed_key",
        object: AGENT,
        input: "`config = { ECS_CLUSTER = \"other\" }`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_CLUSTER = "other" }
}"#,
        attribute: "config[\"ECS_CLUSTER\"]",
        summary: "ECS_CLUSTER is set by the provider",
        detail: "Use the cluster attribute.",
        fix: "Set the matching attribute (`cluster`, `log_level`, …) instead.",
        ..ROW
    },
    Row {
        name: "ag_lower_key",
        object: AGENT,
        input: "`config = { ecs_loglevel = \"debug\" }` (lower-case key)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ecs_loglevel = "debug" }
}"#,
        attribute: "config[\"ecs_loglevel\"]",
        summary: "Invalid setting name",
        detail: "Agent settings are upper-case names such as ECS_LOGLEVEL_ON_INSTANCE.",
        fix: "Write agent settings in upper case.",
        ..ROW
    },
    Row {
        name: "ag_foreign_key",
        object: AGENT,
        input: "`config = { DOCKER_HOST = \"…\" }` (the start script owns the Docker socket)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { DOCKER_HOST = "unix:///run/docker.sock" }
}"#,
        attribute: "config[\"DOCKER_HOST\"]",
        summary: "Not supported on this host",
        detail: "DOCKER_HOST pointed anywhere else leaves the agent without Docker.",
        fix: "Remove it: the start script mounts the host's Docker socket where the agent looks for it.",
        ..ROW
    },
    Row {
        name: "ag_offhost_introspection",
        object: AGENT,
        input: "`config = { ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS = \"true\" }` (ecs-init's setting for daemon tasks that read the agent's introspection API)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS = "true" }
}"#,
        attribute: "config[\"ECS_ALLOW_OFFHOST_INTROSPECTION_ACCESS\"]",
        summary: "Not supported on this host",
        detail: "A daemon task that reads the API (a monitoring agent) reaches it with network_mode = \"host\" at http://127.0.0.1:51678.",
        fix: "Remove it; run the daemon task with `network_mode = \"host\"` and point it at `http://127.0.0.1:51678` (the lab proves that path: `host_lab_rendered.rs`).",
        ..ROW
    },
    Row {
        name: "ag_newline_value",
        object: AGENT,
        input: "a `config` value with a newline",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_INSTANCE_ATTRIBUTES = "{\"a\":\"b\"}\nECS_CLUSTER=other" }
}"#,
        attribute: "config[\"ECS_INSTANCE_ATTRIBUTES\"]",
        summary: "Value must be a single line",
        detail: "ecs.config is read line by line; newlines and control characters would split it.",
        fix: "Keep each value on one line.",
        ..ROW
    },
    Row {
        name: "ag_config_list",
        object: AGENT,
        input: "`config = [\"ECS_X=1\"]` (wrong type)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = ["ECS_X=1"]
}"#,
        attribute: "config",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"config\": map of string required.",
        fix: "Write a map: `config = { ECS_X = \"1\" }`.",
        ..ROW
    },
    Row {
        name: "ag_firewall",
        object: AGENT,
        input: "`firewall_backend = \"pf\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster          = "c"
  firewall_backend = "pf"
}"#,
        attribute: "firewall_backend",
        summary: "Invalid Attribute Value",
        detail: r#"firewall_backend must be one of "iptables", "nftables"; got "pf"."#,
        fix: "Use `iptables` or `nftables`.",
        ..ROW
    },
    Row {
        name: "ag_log_level",
        object: AGENT,
        input: "`log_level = \"verbose\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster   = "c"
  log_level = "verbose"
}"#,
        attribute: "log_level",
        summary: "Invalid Attribute Value",
        detail: r#"log_level must be one of "crit", "error", "warn", "info", "debug"; got "verbose"."#,
        fix: "Use one of the listed levels.",
        ..ROW
    },
    Row {
        name: "ag_restart_policy",
        object: AGENT,
        input: "`restart_policy = \"sometimes\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster        = "c"
  restart_policy = "sometimes"
}"#,
        attribute: "restart_policy",
        summary: "Invalid restart policy",
        detail: "Use no, on-failure[:N], always or unless-stopped.",
        fix: "Leave it at `no` (systemd supervises the agent).",
        ..ROW
    },
    Row {
        name: "ag_host_network",
        object: AGENT,
        input: "`agent_network_name = \"host\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster            = "c"
  agent_network_name = "host"
}"#,
        attribute: "agent_network_name",
        summary: "Agent network must be its own bridge",
        detail: "\"host\" is a Docker built-in network; the agent runs on a bridge network of its own (never host).",
        fix: "Use a name of your own (default `ecs-agent`).",
        ..ROW
    },
    Row {
        name: "ag_docker0",
        object: AGENT,
        input: "`agent_network = false` with the metadata block on",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster       = "c"
  agent_network = false
}"#,
        attribute: "agent_network",
        summary: "Agent on docker0 would lose IMDS",
        detail: "block_task_metadata drops docker0 -> 169.254.169.254, and the agent needs IMDS to register. Keep agent_network = true.",
        fix: "Keep `agent_network = true`.",
        ..ROW
    },
    Row {
        name: "ag_image",
        object: AGENT,
        input: "`image = \"amazon/ecs agent\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  image   = "amazon/ecs agent"
}"#,
        attribute: "image",
        summary: "Invalid image reference",
        detail: "\"amazon/ecs agent\" is not a Docker image reference",
        fix: "Use an image reference such as the default.",
        ..ROW
    },
    Row {
        name: "ag_log_opts",
        object: AGENT,
        input: "`log_opts = { max-size = \"\" }`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster  = "c"
  log_opts = { max-size = "" }
}"#,
        attribute: "log_opts[\"max-size\"]",
        summary: "Invalid log option",
        detail: "Keys are option names, values are non-empty single-line strings.",
        fix: "Give every log option a value.",
        ..ROW
    },
    // Agent settings as the agent parses them (ECS agent 1.105.1).
    Row {
        name: "ag_config_single_quotes",
        object: AGENT,
        input: "`config = { ECS_AVAILABLE_LOGGING_DRIVERS = \"'[\\\"json-file\\\",\\\"journald\\\"]'\" }` (quoted)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_AVAILABLE_LOGGING_DRIVERS = "'[\"json-file\",\"journald\"]'" }
}"#,
        attribute: "config[\"ECS_AVAILABLE_LOGGING_DRIVERS\"]",
        summary: "Quotes reach the agent",
        detail: "ecs.config is passed to the agent by docker --env-file, which keeps quotes",
        fix: "Write the value without quotes: `jsonencode([\"json-file\", \"journald\"])`.",
        ..ROW
    },
    Row {
        name: "ag_config_double_quotes",
        object: AGENT,
        input: "`config = { ECS_LOGLEVEL_ON_INSTANCE = \"\\\"debug\\\"\" }` (quoted)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_LOGLEVEL_ON_INSTANCE = "\"debug\"" }
}"#,
        attribute: "config[\"ECS_LOGLEVEL_ON_INSTANCE\"]",
        summary: "Quotes reach the agent",
        detail: "Write ECS_LOGLEVEL_ON_INSTANCE = \"debug\" instead.",
        fix: "Write the value without quotes.",
        ..ROW
    },
    Row {
        name: "ag_attributes_array",
        object: AGENT,
        input: "`config = { ECS_INSTANCE_ATTRIBUTES = jsonencode([{ env = \"dev\" }]) }` (an array)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_INSTANCE_ATTRIBUTES = jsonencode([{ env = "dev" }]) }
}"#,
        attribute: "config[\"ECS_INSTANCE_ATTRIBUTES\"]",
        summary: "Not the JSON the agent expects",
        detail: "ECS_INSTANCE_ATTRIBUTES must be a JSON object of string values",
        fix: "Write an object: `jsonencode({ env = \"dev\" })`.",
        ..ROW
    },
    Row {
        name: "ag_attribute_value",
        object: AGENT,
        input: "`ECS_INSTANCE_ATTRIBUTES = jsonencode({ team = \"a,b\" })` (a character ECS refuses)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_INSTANCE_ATTRIBUTES = jsonencode({ team = "a,b" }) }
}"#,
        attribute: "config[\"ECS_INSTANCE_ATTRIBUTES\"]",
        summary: "Invalid instance attribute",
        detail: "ECS refuses the registration and the agent exits.",
        fix: "Keep names and values within ECS's attribute limits (1–128 characters, letters, digits and `-_./\\\\:@` and spaces in values; at most 10).",
        ..ROW
    },
    Row {
        name: "ag_tags_reserved_prefix",
        object: AGENT,
        input: "`ECS_CONTAINER_INSTANCE_TAGS = jsonencode({ \"aws:team\" = \"platform\" })` (a prefix ECS reserves)",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_CONTAINER_INSTANCE_TAGS = jsonencode({ "aws:team" = "platform" }) }
}"#,
        attribute: "config[\"ECS_CONTAINER_INSTANCE_TAGS\"]",
        summary: "Reserved tag prefix",
        detail: "ECS refuses the registration of every host, so none joins the cluster. Write the key \"team\"",
        fix: "Drop the `aws:` prefix (any case) from tag keys and values: it is reserved for AWS's own tags.",
        ..ROW
    },
    Row {
        name: "ag_logging_driver",
        object: AGENT,
        input: "`ECS_AVAILABLE_LOGGING_DRIVERS = jsonencode([\"json-file\", \"loki\"])`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_AVAILABLE_LOGGING_DRIVERS = jsonencode(["json-file", "loki"]) }
}"#,
        attribute: "config[\"ECS_AVAILABLE_LOGGING_DRIVERS\"]",
        summary: "Unknown logging driver",
        detail: "The agent refuses to start with \"Invalid logging drivers: loki\".",
        fix: "List drivers the agent knows (json-file, awslogs, syslog, journald, fluentd, gelf, splunk, logentries, sumologic, awsfirelens, none).",
        ..ROW
    },
    Row {
        name: "ag_udp_not_json",
        object: AGENT,
        input: "`ECS_RESERVED_PORTS_UDP = \"53,123\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_RESERVED_PORTS_UDP = "53,123" }
}"#,
        attribute: "config[\"ECS_RESERVED_PORTS_UDP\"]",
        summary: "Not the JSON the agent expects",
        detail: "ECS_RESERVED_PORTS_UDP must be a JSON array of port numbers such as [53,123]",
        fix: "Use `reserved_ports_udp = [53, 123]`, or `jsonencode([53, 123])`.",
        ..ROW
    },
    Row {
        name: "ag_auth_data_shape",
        object: AGENT,
        input: "`ECS_ENGINE_AUTH_TYPE = \"dockercfg\"` with `ECS_ENGINE_AUTH_DATA` a map of strings",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config = {
    ECS_ENGINE_AUTH_TYPE = "dockercfg"
    ECS_ENGINE_AUTH_DATA = jsonencode({ "https://registry.example.com" = "dXNlcjpwYXNz" })
  }
}"#,
        attribute: "config[\"ECS_ENGINE_AUTH_DATA\"]",
        summary: "Not the JSON the agent expects",
        detail: "With ECS_ENGINE_AUTH_TYPE = \"dockercfg\", ECS_ENGINE_AUTH_DATA is a JSON object such as",
        fix: "Shape it as the type says: dockercfg `{\"<registry>\":{\"auth\":\"<base64 user:password>\"}}`, docker `{\"<registry>\":{\"username\":…,\"password\":…}}`.",
        ..ROW
    },
    Row {
        name: "ag_auth_data_no_type",
        object: AGENT,
        input: "`ECS_ENGINE_AUTH_DATA` without `ECS_ENGINE_AUTH_TYPE`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_ENGINE_AUTH_DATA = jsonencode({ "https://registry.example.com" = { auth = "dXNlcjpwYXNz" } }) }
}"#,
        attribute: "config[\"ECS_ENGINE_AUTH_DATA\"]",
        summary: "ECS_ENGINE_AUTH_DATA needs ECS_ENGINE_AUTH_TYPE",
        detail: "Without ECS_ENGINE_AUTH_TYPE the agent ignores ECS_ENGINE_AUTH_DATA without a word.",
        fix: "Set `ECS_ENGINE_AUTH_TYPE` to `dockercfg` or `docker`.",
        ..ROW
    },
    Row {
        name: "ag_enum",
        object: AGENT,
        input: "`ECS_IMAGE_PULL_BEHAVIOR = \"cached\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_IMAGE_PULL_BEHAVIOR = "cached" }
}"#,
        attribute: "config[\"ECS_IMAGE_PULL_BEHAVIOR\"]",
        summary: "Invalid value",
        detail: "The agent accepts \"default\", \"always\", \"once\", \"prefer-cached\" for ECS_IMAGE_PULL_BEHAVIOR",
        fix: "Use one of the values the agent's README lists.",
        ..ROW
    },
    Row {
        name: "ag_bool",
        object: AGENT,
        input: "`ECS_ENABLE_SPOT_INSTANCE_DRAINING = \"yes\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_ENABLE_SPOT_INSTANCE_DRAINING = "yes" }
}"#,
        attribute: "config[\"ECS_ENABLE_SPOT_INSTANCE_DRAINING\"]",
        summary: "Not a boolean",
        detail: "Write \"true\" or \"false\".",
        fix: "Write `\"true\"` or `\"false\"`.",
        ..ROW
    },
    Row {
        name: "ag_duration",
        object: AGENT,
        input: "`ECS_CONTAINER_STOP_TIMEOUT = \"2 minutes\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_CONTAINER_STOP_TIMEOUT = "2 minutes" }
}"#,
        attribute: "config[\"ECS_CONTAINER_STOP_TIMEOUT\"]",
        summary: "Not a duration",
        detail: "The agent reads ECS_CONTAINER_STOP_TIMEOUT with Go's time.ParseDuration",
        fix: "Write a Go duration such as `2m` or `90s`.",
        ..ROW
    },
    Row {
        name: "ag_nvidia_runtime_without_gpu",
        object: AGENT,
        input: "`ECS_NVIDIA_RUNTIME = \"nvidia\"` without `ECS_ENABLE_GPU_SUPPORT = \"true\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster = "c"
  config  = { ECS_NVIDIA_RUNTIME = "nvidia" }
}"#,
        attribute: "config[\"ECS_NVIDIA_RUNTIME\"]",
        summary: "Setting has no effect on this host",
        detail: "The agent reads ECS_NVIDIA_RUNTIME only when ECS_ENABLE_GPU_SUPPORT is true",
        fix: "On GPU hosts set `ECS_ENABLE_GPU_SUPPORT = \"true\"` too: the start script then writes the GPU file the agent registers GPUs from (from `nvidia-smi`) and mounts it; elsewhere remove it.",
        warning: true,
        ..ROW
    },
    Row {
        name: "ag_awsvpc_block_imds",
        object: AGENT,
        input: "`ECS_AWSVPC_BLOCK_IMDS = \"true\"` with `block_task_metadata = false`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster             = "c"
  block_task_metadata = false
  config              = { ECS_AWSVPC_BLOCK_IMDS = "true" }
}"#,
        attribute: "config[\"ECS_AWSVPC_BLOCK_IMDS\"]",
        summary: "Setting has no effect on this host",
        detail: "block_task_metadata is off, so nothing keeps bridge-mode tasks away from instance metadata: set block_task_metadata = true.",
        fix: "Remove it; `block_task_metadata = true` (the default) is what keeps bridge tasks away from IMDS here.",
        warning: true,
        ..ROW
    },
    Row {
        name: "ag_host_network_roles",
        object: AGENT,
        input: "`task_iam_role_network_host = true`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster                    = "c"
  task_iam_role_network_host = true
}"#,
        attribute: "task_iam_role_network_host",
        summary: "Host-mode tasks can still reach IMDS",
        detail: "every host-network task can read the IAM role credentials of every task on the host",
        fix: "Run the tasks that need a role in bridge or `awsvpc` mode and leave it `false`: once the agent delivers task credentials through instance metadata (`ecs.capability.imds-iam-roles`, no opt-out), verification fails such hosts.",
        warning: true,
        ..ROW
    },
    Row {
        name: "ag_udp_twice",
        object: AGENT,
        input: "`reserved_ports_udp` and `config[\"ECS_RESERVED_PORTS_UDP\"]` both set",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster            = "c"
  reserved_ports_udp = [53]
  config             = { ECS_RESERVED_PORTS_UDP = "[123]" }
}"#,
        attribute: "config[\"ECS_RESERVED_PORTS_UDP\"]",
        summary: "ECS_RESERVED_PORTS_UDP is set twice",
        detail: "reserved_ports_udp writes ECS_RESERVED_PORTS_UDP",
        fix: "List the ports in `reserved_ports_udp` only.",
        ..ROW
    },
    Row {
        name: "ag_reserved_port",
        object: AGENT,
        input: "`reserved_ports = [9100, 70000]`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster        = "c"
  reserved_ports = [9100, 70000]
}"#,
        attribute: "reserved_ports[1]",
        summary: "Invalid Attribute Value",
        detail: "reserved_ports[1] must be a whole number from 1 to 65535; got 70000.",
        fix: "List TCP ports 1–65535.",
        ..ROW
    },
    Row {
        name: "ag_recheck_interval",
        object: AGENT,
        input: "`metadata_guard_recheck_interval = \"0s\"`",
        hcl: r#"data "ecshost_agent_options" "NAME" {
  cluster                         = "c"
  metadata_guard_recheck_interval = "0s"
}"#,
        attribute: "metadata_guard_recheck_interval",
        summary: "Re-check interval too short",
        detail: "use 1s or more (default 1m).",
        fix: "Leave it at `1m` or give at least `1s`.",
        ..ROW
    },
    // ----- ecshost_user_data -------------------------------------------------
    Row {
        name: "ud_host_format",
        object: UD,
        input: "`host_format = \"windows\"` (unknown host format)",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format = "windows"
  cluster     = "c"
}"#,
        attribute: "host_format",
        summary: "Invalid Attribute Value",
        detail: r#"host_format must be one of "shell", "cloud_init", "ignition", "coreos_cloud_config"; got "windows"."#,
        fix: "Pick how the host reads user data.",
        ..ROW
    },
    Row {
        name: "ud_gzip_ignition",
        object: UD,
        input: "`gzip = true` with `host_format = \"ignition\"`",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format = "ignition"
  cluster     = "c"
  gzip        = true
}"#,
        attribute: "gzip",
        summary: "Ignition does not gunzip user data",
        detail: "Ignition on AWS parses the raw user data bytes; set gzip = false",
        fix: "Set `gzip = false`.",
        ..ROW
    },
    Row {
        name: "ud_parts_ignition_script",
        object: UD,
        input: "a script extra part with `host_format = \"ignition\"`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "ignition"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = "#!/bin/sh\necho hi" }]
}"##,
        attribute: "extra_parts[0]",
        summary: "Ignition parts are Ignition configs",
        detail: "content_type must be application/vnd.coreos.ignition+json with host_format = \"ignition\"",
        fix: "Pass an Ignition config (`jsonencode({ ignition = { version = \"3.3.0\" }, storage = { files = [...] } })`) with that content type; put scripts in its files and units.",
        ..ROW
    },
    Row {
        name: "ud_parts_ignition_ecs_config",
        object: UD,
        input: "an Ignition extra part that writes `/etc/ecs/ecs.config`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "ignition"
  cluster     = "c"
  extra_parts = [{ content_type = "application/vnd.coreos.ignition+json", content = jsonencode({ ignition = { version = "3.3.0" }, storage = { files = [{ path = "/etc/ecs/ecs.config", contents = { source = "data:,ECS_CLUSTER%3Dother" } }] } }) }]
}"##,
        attribute: "extra_parts[0]",
        summary: "Ignition part replaces the provider's file",
        detail: "storage.files writes /etc/ecs/ecs.config, which the provider writes",
        fix: "Put agent settings in `config`; write your own files at other paths.",
        ..ROW
    },
    Row {
        name: "ud_parts_coreos",
        object: UD,
        input: "`extra_parts` with `host_format = \"coreos_cloud_config\"`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "coreos_cloud_config"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = "#!/bin/sh\necho hi" }]
}"##,
        attribute: "extra_parts",
        summary: "Extra parts need the cloud_init, shell or ignition host format",
        detail: "coreos_cloud_config user data has no MIME parts and runs no scripts of yours.",
        fix: "Use `host_format = \"cloud_init\"`, `\"shell\"` or `\"ignition\"`.",
        ..ROW
    },
    Row {
        name: "ud_parts_shell_cloud_config",
        object: UD,
        input: "a `text/cloud-config` extra part with `host_format = \"shell\"`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "shell"
  cluster     = "c"
  extra_parts = [{ content_type = "text/cloud-config", content = "packages: [jq]" }]
}"##,
        attribute: "extra_parts[0]",
        summary: "The shell host format runs script parts only",
        detail: "shell user data runs each extra part as a program after its own work",
        fix: "Use `content_type = \"text/x-shellscript\"` (a script part runs after the provider's, in order), or `host_format = \"cloud_init\"` for cloud-config.",
        ..ROW
    },
    Row {
        name: "ud_gzip_off",
        object: UD,
        input: "`gzip = false` with `host_format = \"cloud_init\"`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  gzip        = false
}"##,
        attribute: "gzip",
        summary: "User Data Not Compressed",
        detail: "bytes left for your own content instead of",
        fix: "Remove `gzip = false` (cloud-init gunzips; the default is `true` for `cloud_init` and `coreos_cloud_config`).",
        warning: true,
        ..ROW
    },
    Row {
        name: "ud_oversized",
        object: UD,
        input: "user data over 16384 bytes after gzip (a 25600-byte extra part of hex digits)",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = join("", ["#!/bin/sh\n"], [for i in range(400) : sha256(tostring(i))]) }]
}"##,
        attribute: "extra_parts",
        summary: "User data exceeds 16 KiB",
        detail: r#"Bytes each change saves on its own: removing extra_parts[0] ("part-001"): "#,
        fix: "Do what the detail lists: it names each extra part, `self_check` and `config` with the bytes removing it saves, and marks the changes that are enough alone (`gzip` is already on by default for `cloud_init`).",
        ..ROW
    },
    Row {
        name: "ud_oversized_var",
        object: UD,
        input: "user data over 16384 bytes, sized by a variable",
        hcl: r##"variable "NAME" {
  default = 400
}
data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = join("", ["#!/bin/sh\n"], [for i in range(var.NAME) : sha256(tostring(i))]) }]
}"##,
        stage: Stage::Plan,
        attribute: "extra_parts",
        summary: "User data exceeds 16 KiB",
        detail: "EC2 accepts at most 16384 (measured before base64)",
        fix: "As above; the size is only known at plan time.",
        ..ROW
    },
    Row {
        name: "ud_part_filename",
        object: UD,
        input: "an extra part with `filename = \"scripts/a.sh\"`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = "#!/bin/sh\necho hi", filename = "scripts/a.sh" }]
}"##,
        attribute: "extra_parts[0]",
        summary: "Invalid part file name",
        detail: "without quotes, slashes or newlines.",
        fix: "Use a bare file name, e.g. `a.sh`.",
        ..ROW
    },
    Row {
        name: "ud_part_type",
        object: UD,
        input: "an extra part with `content_type = \"text/x-shellscript; charset=utf-8\"`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript; charset=utf-8", content = "#!/bin/sh\necho hi" }]
}"##,
        attribute: "extra_parts[0]",
        summary: "Invalid content type",
        detail: "content_type must be a MIME type such as text/x-shellscript (no parameters or spaces).",
        fix: "Use the bare MIME type, e.g. `text/x-shellscript`.",
        ..ROW
    },
    Row {
        name: "ud_part_no_shebang",
        object: UD,
        input: "a `text/x-shellscript` extra part without a `#!` line",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = "echo hi" }]
}"#,
        attribute: "extra_parts[0]",
        summary: "Script part has no #! line",
        detail: "content must start with a #! line: cloud-init runs script parts as programs",
        fix: "Start the script with `#!/bin/sh`.",
        ..ROW
    },
    Row {
        name: "ud_part_cloud_config_list",
        object: UD,
        input: "a `text/cloud-config` extra part that is a YAML list",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/cloud-config", content = "- packages: [jq]" }]
}"#,
        attribute: "extra_parts[0]",
        summary: "cloud-config part is not a YAML mapping",
        detail: "its top level is not a mapping of keys, so the part fails.",
        fix: "Write a mapping, e.g. `yamlencode({ packages = [\"jq\"] })`.",
        ..ROW
    },
    Row {
        name: "ud_part_writes_ecs_config",
        object: UD,
        input: "a `text/x-shellscript` extra part that appends to `/etc/ecs/ecs.config` (AWS's recipe for ecs-init hosts)",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "cloud_init"
  cluster     = "c"
  extra_parts = [{ content_type = "text/x-shellscript", content = "#!/bin/sh\necho ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config" }]
}"##,
        attribute: "extra_parts[0]",
        summary: "Part writes the agent's settings file",
        detail: "content writes /etc/ecs/ecs.config, which never reaches the agent this way",
        fix: "Put the settings in `config` (`config = { ECS_ENABLE_SPOT_INSTANCE_DRAINING = \"true\" }`), where they are checked at plan.",
        ..ROW
    },
    Row {
        name: "ud_ignition_version",
        object: UD,
        input: "`ignition_version = \"4.0.0\"`",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format      = "ignition"
  cluster          = "c"
  ignition_version = "4.0.0"
}"#,
        attribute: "ignition_version",
        summary: "Unsupported Ignition spec version",
        detail: "\"4.0.0\" is not one of 3.0.0",
        fix: "Use a 3.x spec the image supports.",
        ..ROW
    },
    Row {
        name: "ud_ignition_version_unused",
        object: UD,
        input: "`ignition_version = \"3.2.0\"` with `host_format = \"cloud_init\"`",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format      = "cloud_init"
  cluster          = "c"
  ignition_version = "3.2.0"
}"#,
        attribute: "ignition_version",
        summary: "Setting Has No Effect",
        detail: "ignition_version is read only with host_format = \"ignition\"; with host_format = \"cloud_init\" nothing uses it.",
        fix: "Remove it, or set `host_format = \"ignition\"` if the host runs Ignition.",
        warning: true,
        ..ROW
    },
    Row {
        name: "ud_address_typo",
        object: UD,
        input: "`address = \"169.254.170.20\"`",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format = "shell"
  cluster     = "c"
  address     = "169.254.170.20"
}"#,
        attribute: "address",
        summary: "Did you mean 169.254.170.2?",
        detail: "169.254.170.20 is one typo away from 169.254.170.2",
        fix: "Use `169.254.170.2` (the default).",
        ..ROW
    },
    Row {
        name: "ud_self_check_string",
        object: UD,
        input: "`self_check = \"yes\"` (wrong type)",
        hcl: r#"data "ecshost_user_data" "NAME" {
  host_format = "shell"
  cluster     = "c"
  self_check  = "yes"
}"#,
        attribute: "self_check",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"self_check\": a bool is required.",
        fix: "Write `true` or `false`.",
        ..ROW
    },
    // ----- ecshost_launch_template -------------------------------------------
    Row {
        name: "lt_name_and_prefix",
        object: LT,
        input: "both `name` and `name_prefix`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name        = "hosts"
  name_prefix = "hosts-"
}"#,
        attribute: "name_prefix",
        summary: "Conflicting Attributes",
        detail: "Set name or name_prefix, not both.",
        fix: "Keep one of them.",
        ..ROW
    },
    Row {
        name: "lt_bad_base64",
        object: LT,
        input: "`user_data = \"#!/bin/sh\\necho hi\"` (plain text; `user_data` is base64, as in `aws_launch_template`)",
        hcl: r##"resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = "#!/bin/sh\necho hi"
}"##,
        attribute: "user_data",
        summary: "Invalid Base64",
        detail: "user_data is base64-encoded user data, as in hashicorp/aws's aws_launch_template: write data.ecshost_user_data.x.base64 or base64encode(\"...\"), not the plain text.",
        fix: "Use `data.ecshost_user_data.x.base64` or `base64encode()`.",
        ..ROW
    },
    Row {
        name: "lt_bad_base64_var",
        object: LT,
        input: "`user_data_base64 = var.x` (the deprecated spelling) where the variable is not base64",
        hcl: r##"variable "NAME" {
  default = "#cloud-config"
}
resource "ecshost_launch_template" "NAME" {
  name             = "hosts"
  user_data_base64 = var.NAME
}"##,
        stage: Stage::Plan,
        attribute: "user_data_base64",
        summary: "Invalid Base64",
        detail: "user_data_base64 is base64-encoded user data",
        fix: "Wrap the value in `base64encode()`.",
        ..ROW
    },
    Row {
        name: "lt_oversized",
        object: LT,
        input: "`user_data` decoding to 20000 bytes",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = base64encode(join("", [for i in range(1000) : "0123456789abcdefghij"]))
}"#,
        attribute: "user_data",
        summary: "User Data Too Large",
        detail: "decodes to 20000 bytes but EC2 accepts at most 16384",
        fix: "Render it with `ecshost_user_data` and `gzip = true`, or drop extra parts.",
        ..ROW
    },
    Row {
        name: "lt_bridged_no_alias",
        object: LT,
        input: "user data that runs the agent on a bridge network without adding `169.254.170.2` to `lo`",
        hcl: r##"resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = base64encode("#!/bin/sh\niptables -I DOCKER-USER -i docker0 -d 169.254.169.254 -j DROP\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n")
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}"##,
        stage: Stage::Plan,
        attribute: "user_data",
        summary: "ECS Agent Without Its Credentials Address",
        detail: "its credentials port is published on that address, so the agent container cannot start and no task gets credentials",
        fix: "Render the user data with `data.ecshost_user_data`, or add the address (`ip address add 169.254.170.2/32 dev lo`) before the agent starts.",
        warning: true,
        ..ROW
    },
    Row {
        name: "lt_bridged_no_guard",
        object: LT,
        input: "user data that runs the agent on a bridge network without keeping task containers from `169.254.169.254`",
        hcl: r##"resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = base64encode("#!/bin/sh\nip addr add 169.254.170.2/32 dev lo\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n")
  metadata_options {
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }
}"##,
        stage: Stage::Plan,
        attribute: "user_data",
        summary: "Task Containers Can Reach Instance Metadata",
        detail: "any task can take the instance role's credentials and pose as the agent",
        fix: "Render the user data with `data.ecshost_user_data` and `block_task_metadata = true` (the default).",
        warning: true,
        ..ROW
    },
    Row {
        name: "lt_hop_limit_1",
        object: LT,
        input: "`http_put_response_hop_limit = 1` with user data that runs the agent on a bridge network",
        hcl: r##"resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = base64encode("#!/bin/sh\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n")
  metadata_options {
    http_put_response_hop_limit = 1
  }
}"##,
        attribute: "metadata_options[0].http_put_response_hop_limit",
        summary: "Hop Limit 1 Starves the ECS Agent",
        detail: "with hop limit 1 it cannot obtain IMDSv2 tokens, the Region or the instance role's credentials. Use 2",
        fix: "Use 2; the `DOCKER-USER` rule keeps tasks away from metadata. (Hop limit 1 is accepted for an agent on the host network, such as ecs-init.)",
        ..ROW
    },
    Row {
        name: "lt_hop_limit_var",
        object: LT,
        input: "`http_put_response_hop_limit = var.x` where the variable is 1",
        hcl: r##"variable "NAME" {
  default = 1
}
resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = base64encode("#!/bin/sh\ndocker run -d --name ecs-agent amazon/amazon-ecs-agent:latest\n")
  metadata_options {
    http_put_response_hop_limit = var.NAME
  }
}"##,
        stage: Stage::Plan,
        attribute: "metadata_options[0].http_put_response_hop_limit",
        summary: "Hop Limit 1 Starves the ECS Agent",
        detail: "with hop limit 1 it cannot obtain IMDSv2 tokens, the Region or the instance role's credentials. Use 2",
        fix: "Fix the variable's value.",
        ..ROW
    },
    Row {
        name: "lt_hop_limit_0",
        object: LT,
        input: "`http_put_response_hop_limit = 0`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  metadata_options {
    http_put_response_hop_limit = 0
  }
}"#,
        attribute: "metadata_options[0].http_put_response_hop_limit",
        summary: "Invalid Attribute Value",
        detail: "metadata_options[0].http_put_response_hop_limit must be a whole number from 1 to 64; got 0.",
        fix: "Use 2.",
        ..ROW
    },
    Row {
        name: "lt_hop_limit_65",
        object: LT,
        input: "`http_put_response_hop_limit = 65`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  metadata_options {
    http_put_response_hop_limit = 65
  }
}"#,
        attribute: "metadata_options[0].http_put_response_hop_limit",
        summary: "Invalid Attribute Value",
        detail: "metadata_options[0].http_put_response_hop_limit must be a whole number from 1 to 64; got 65.",
        fix: "Use 2.",
        ..ROW
    },
    Row {
        name: "lt_http_tokens",
        object: LT,
        input: "`http_tokens = \"v2\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  metadata_options {
    http_tokens = "v2"
  }
}"#,
        attribute: "metadata_options[0].http_tokens",
        summary: "Invalid Attribute Value",
        detail: r#"metadata_options[0].http_tokens must be one of "required", "optional"; got "v2"."#,
        fix: "Use `required` (IMDSv2 only).",
        ..ROW
    },
    Row {
        name: "lt_http_endpoint",
        object: LT,
        input: "`http_endpoint = \"on\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  metadata_options {
    http_endpoint = "on"
  }
}"#,
        attribute: "metadata_options[0].http_endpoint",
        summary: "Invalid Attribute Value",
        detail: r#"metadata_options[0].http_endpoint must be one of "enabled", "disabled"; got "on"."#,
        fix: "Use `enabled` (the agent needs metadata).",
        ..ROW
    },
    Row {
        name: "lt_http_endpoint_disabled",
        object: LT,
        input: "`http_endpoint = \"disabled\"` with user data that runs the ECS agent",
        hcl: r##"resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = base64encode("#!/bin/sh\ndocker run -d --name ecs-agent -p 169.254.170.2:80:51679 amazon/amazon-ecs-agent:latest\n")
  metadata_options {
    http_endpoint = "disabled"
  }
}"##,
        attribute: "metadata_options[0].http_endpoint",
        summary: "Instance Metadata Disabled",
        detail: "cloud-init cannot read the user data",
        fix: "Use `http_endpoint = \"enabled\"` with `http_tokens = \"required\"` and hop limit 2; the `DOCKER-USER` rule keeps task containers away from metadata.",
        ..ROW
    },
    Row {
        name: "lt_http_endpoint_rendered",
        object: LT,
        input: "`http_endpoint = \"disabled\"` with user data from `ecshost_user_data`",
        hcl: r##"data "ecshost_user_data" "NAME" {
  host_format = "shell"
  cluster     = "c"
}
resource "ecshost_launch_template" "NAME" {
  name      = "hosts"
  user_data = data.ecshost_user_data.NAME.base64
  metadata_options {
    http_endpoint = "disabled"
  }
}"##,
        stage: Stage::Plan,
        attribute: "metadata_options[0].http_endpoint",
        summary: "Instance Metadata Disabled",
        detail: "the ECS agent cannot learn its Region",
        fix: "Use `http_endpoint = \"enabled\"` with `http_tokens = \"required\"` and hop limit 2.",
        ..ROW
    },
    Row {
        name: "lt_name_chars",
        object: LT,
        input: "`name = \"ecs hosts!\"` (characters EC2 does not allow in a template name)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "ecs hosts!"
}"#,
        attribute: "name",
        summary: "Invalid Launch Template Name",
        detail: "EC2 accepts launch template names of 3 to 128 characters: letters, digits and ( ) . - / _; \"ecs hosts!\" has ' ', '!'.",
        fix: "Use only letters, digits and `( ) . - / _`, 3 to 128 characters.",
        ..ROW
    },
    Row {
        name: "lt_name_short",
        object: LT,
        input: "`name = \"lt\"` (shorter than EC2 allows)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "lt"
}"#,
        attribute: "name",
        summary: "Invalid Launch Template Name",
        detail: "EC2 accepts launch template names of 3 to 128 characters",
        fix: "Use 3 to 128 characters.",
        ..ROW
    },
    Row {
        name: "lt_name_prefix_chars",
        object: LT,
        input: "`name_prefix = \"ecs:hosts-\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name_prefix = "ecs:hosts-"
}"#,
        attribute: "name_prefix",
        summary: "Invalid Launch Template Name",
        detail: "\"ecs:hosts-\" has ':'.",
        fix: "Use only letters, digits and `( ) . - / _`, at most 102 characters (the generated suffix takes 26).",
        ..ROW
    },
    Row {
        name: "lt_iops_gp2",
        object: LT,
        input: "`iops = 3000` with `volume_type = \"gp2\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type = "gp2"
      iops        = 3000
    }
  }
}"#,
        attribute: "block_device_mappings[0].ebs[0].iops",
        summary: "Volume Type Takes No IOPS",
        detail: "volume_type = \"gp2\" takes no iops (only gp3, io1 and io2 do)",
        fix: "Remove `iops`, or use `gp3`, `io1` or `io2`.",
        ..ROW
    },
    Row {
        name: "lt_throughput_io1",
        object: LT,
        input: "`throughput = 250` with `volume_type = \"io1\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type = "io1"
      iops        = 3000
      throughput  = 250
    }
  }
}"#,
        attribute: "block_device_mappings[0].ebs[0].throughput",
        summary: "Volume Type Takes No Throughput",
        detail: "volume_type = \"io1\" takes no throughput (only gp3 does)",
        fix: "Remove `throughput`, or use `gp3`.",
        ..ROW
    },
    Row {
        name: "lt_metadata_tags",
        object: LT,
        input: "`instance_metadata_tags = \"yes\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  metadata_options {
    instance_metadata_tags = "yes"
  }
}"#,
        attribute: "metadata_options[0].instance_metadata_tags",
        summary: "Invalid Attribute Value",
        detail: r#"metadata_options[0].instance_metadata_tags must be one of "enabled", "disabled"; got "yes"."#,
        fix: "Use `enabled` or `disabled`.",
        ..ROW
    },
    Row {
        name: "lt_two_metadata_blocks",
        object: LT,
        input: "two `metadata_options` blocks",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  metadata_options {
    http_tokens = "required"
  }
  metadata_options {
    http_put_response_hop_limit = 2
  }
}"#,
        attribute: "metadata_options",
        summary: "Too many metadata_options blocks",
        detail: "No more than 1 \"metadata_options\" blocks are allowed",
        fix: "Merge them into one block.",
        ..ROW
    },
    Row {
        name: "lt_sg_string",
        object: LT,
        input: "`security_group_ids = \"sg-0123456789abcdef0\"` (wrong type)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name               = "hosts"
  security_group_ids = "sg-0123456789abcdef0"
}"#,
        attribute: "security_group_ids",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"security_group_ids\": set of string required.",
        fix: "Write a list: `[\"sg-…\"]`.",
        ..ROW
    },
    Row {
        name: "lt_tags_list",
        object: LT,
        input: "`tags = [\"team\"]` (wrong type)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  tags = ["team"]
}"#,
        attribute: "tags",
        summary: "Incorrect attribute value type",
        detail: "Inappropriate value for attribute \"tags\": map of string required.",
        fix: "Write a map: `{ team = \"platform\" }`.",
        ..ROW
    },
    Row {
        name: "lt_user_data_twice",
        object: LT,
        input: "both `user_data` and its deprecated spelling `user_data_base64`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name             = "hosts"
  user_data        = "IyEvYmluL3NoCg=="
  user_data_base64 = "IyEvYmluL3NoCg=="
}"#,
        attribute: "user_data_base64",
        summary: "Conflicting Attributes",
        detail: "user_data_base64 is the deprecated spelling of user_data (both are base64): keep user_data only.",
        fix: "Keep `user_data`.",
        ..ROW
    },
    Row {
        name: "lt_type_and_requirements",
        object: LT,
        input: "both `instance_type` and `instance_requirements` (hashicorp/aws refuses the pair too)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name          = "hosts"
  instance_type = "t3.large"
  instance_requirements {
    memory_mib {
      min = 4096
    }
    vcpu_count {
      min = 2
    }
  }
}"#,
        attribute: "instance_type",
        summary: "Conflicting Attributes",
        detail: "Set instance_type or instance_requirements, not both: instance_requirements lets EC2 choose the instance type (attribute-based selection), so it cannot be combined with a fixed instance_type.",
        fix: "Keep `instance_type` for one type, or `instance_requirements` to let EC2 choose.",
        ..ROW
    },
    Row {
        name: "lt_sg_names_and_ids",
        object: LT,
        input: "both `vpc_security_group_ids` and `security_group_names`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name                   = "hosts"
  vpc_security_group_ids = ["sg-0123456789abcdef0"]
  security_group_names   = ["default"]
}"#,
        attribute: "security_group_names",
        summary: "Conflicting Attributes",
        detail: "Set vpc_security_group_ids or security_group_names, not both: security group names work only in a default VPC or EC2-Classic; use vpc_security_group_ids.",
        fix: "Keep `vpc_security_group_ids`.",
        ..ROW
    },
    Row {
        name: "lt_profile_arn_and_name",
        object: LT,
        input: "`iam_instance_profile` with both `arn` and `name`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  iam_instance_profile {
    arn  = "arn:aws:iam::123456789012:instance-profile/ecs"
    name = "ecs"
  }
}"#,
        attribute: "iam_instance_profile[0].name",
        summary: "Conflicting Attributes",
        detail: "Set the instance profile's arn or its name, not both.",
        fix: "Keep one of them (`arn` or `name`).",
        ..ROW
    },
    Row {
        name: "lt_profile_string",
        object: LT,
        input: "`iam_instance_profile = \"ecs\"` (the first release's spelling)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name                 = "hosts"
  iam_instance_profile = "ecs"
}"#,
        attribute: "iam_instance_profile",
        summary: "Unsupported argument",
        detail: "Did you mean to define a block of type \"iam_instance_profile\"?",
        fix: "Write the block, as in `aws_launch_template`: `iam_instance_profile { name = \"ecs\" }` (or `arn = …`).",
        ..ROW
    },
    Row {
        name: "lt_volume_size_0",
        object: LT,
        input: "`volume_size = 0` in `block_device_mappings.ebs`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 0
    }
  }
}"#,
        attribute: "block_device_mappings[0].ebs[0].volume_size",
        summary: "Invalid Attribute Value",
        detail: "block_device_mappings[0].ebs[0].volume_size must be a whole number from 1 to 65536; got 0.",
        fix: "Give the size in GiB (at least the snapshot's size), or leave it unset to use the AMI's.",
        ..ROW
    },
    Row {
        name: "lt_volume_type",
        object: LT,
        input: "`volume_type = \"gp4\"`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type = "gp4"
    }
  }
}"#,
        attribute: "block_device_mappings[0].ebs[0].volume_type",
        summary: "Invalid Attribute Value",
        detail: "block_device_mappings[0].ebs[0].volume_type must be one of \"standard\", \"io1\", \"io2\", \"gp2\", \"sc1\", \"st1\", \"gp3\"; got \"gp4\".",
        fix: "Use an EBS volume type, usually `gp3`.",
        ..ROW
    },
    Row {
        name: "lt_spot_price",
        object: LT,
        input: "`max_price = \"cheap\"` in `instance_market_options.spot_options`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  instance_market_options {
    market_type = "spot"
    spot_options {
      max_price = "cheap"
    }
  }
}"#,
        attribute: "instance_market_options[0].spot_options[0].max_price",
        summary: "Invalid Price",
        detail: "must be a price in USD per hour written as a decimal number, such as \"0.085\"; got \"cheap\".",
        fix: "Write the hourly price as a decimal string, or leave it unset (the On-Demand price).",
        ..ROW
    },
    Row {
        name: "lt_default_conflict",
        object: LT,
        input: "`update_default_version = true` with `default_version = 2`",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name                   = "hosts"
  update_default_version = true
  default_version        = 2
}"#,
        stage: Stage::Plan,
        attribute: "default_version",
        summary: "Conflicting Attributes",
        detail: "update_default_version = true makes version 1 the default, but default_version = 2. Remove one of them",
        fix: "Keep `update_default_version = true` to follow new versions, or `default_version` to pin one.",
        ..ROW
    },
    Row {
        name: "lt_default_missing",
        object: LT,
        input: "`default_version = 3` on a new template",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name            = "hosts"
  default_version = 3
}"#,
        stage: Stage::Plan,
        attribute: "default_version",
        summary: "Default Version Does Not Exist",
        detail: "A new launch template has only version 1",
        fix: "Pin a version that exists, or leave it unset.",
        ..ROW
    },
    Row {
        name: "lt_ipv4_count_and_list",
        object: LT,
        input: "`ipv4_address_count` and `ipv4_addresses` on one interface",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
  name = "hosts"
  network_interfaces {
    ipv4_address_count = 2
    ipv4_addresses     = ["10.0.0.5"]
  }
}"#,
        attribute: "network_interfaces[0].ipv4_addresses",
        summary: "Conflicting Attributes",
        detail: "Set ipv4_address_count or ipv4_addresses, not both",
        fix: "Give a number of addresses or the addresses, not both.",
        ..ROW
    },
    Row {
        name: "lt_name_taken",
        object: LT,
        input: "`name` of a template that already exists",
        hcl: r#"resource "ecshost_launch_template" "NAME_first" {
  name = "taken"
}
resource "ecshost_launch_template" "NAME" {
  name       = "taken"
  depends_on = [ecshost_launch_template.NAME_first]
}"#,
        stage: Stage::Apply,
        env: Env::Moto,
        attribute: "name",
        summary: "Launch Template Name Already in Use",
        detail: "Import it (terraform import <address> taken, or an import block) or choose another name.",
        fix: "Import the existing template or choose another name (or `name_prefix`).",
        ..ROW
    },
    Row {
        name: "lt_import_block_sg",
        object: LT,
        input: "an `import` block with `id = \"sg-0123456789abcdef0\"`",
        hcl: r#"import {
  to = ecshost_launch_template.NAME
  id = "sg-0123456789abcdef0"
}
resource "ecshost_launch_template" "NAME" {
  name = "imported"
}"#,
        stage: Stage::Plan,
        summary: "Invalid Import ID",
        detail: "sg-0123456789abcdef0 is a security group ID, not a launch template ID.",
        fix: "Use the template's ID (`lt-…`) or name.",
        ..ROW
    },
    Row {
        name: "lt_import_sg",
        object: LT,
        input: "`terraform import … sg-0123456789abcdef0` (another resource's ID)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
}"#,
        import_id: "sg-0123456789abcdef0",
        stage: Stage::Import,
        env: Env::Moto,
        summary: "Invalid Import ID",
        detail: "sg-0123456789abcdef0 is a security group ID, not a launch template ID.",
        fix: "Use the template's ID (`lt-…`) or name.",
        ..ROW
    },
    Row {
        name: "lt_import_arn",
        object: LT,
        input: "`terraform import … arn:aws:ec2:…:launch-template/lt-…` (an ARN)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
}"#,
        import_id: "arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0123456789abcdef0",
        stage: Stage::Import,
        env: Env::Moto,
        summary: "Invalid Import ID",
        detail: "is an ARN. Import by the ID it ends with: lt-0123456789abcdef0.",
        fix: "Import by the `lt-…` ID at the end of the ARN.",
        ..ROW
    },
    Row {
        name: "lt_import_bad_name",
        object: LT,
        input: "`terraform import … \"my template\"` (no such ID or name possible)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
}"#,
        import_id: "my template",
        stage: Stage::Import,
        env: Env::Moto,
        summary: "Invalid Import ID",
        detail: "is neither a launch template ID nor a launch template name",
        fix: "Use the template's ID (`lt-…`) or its exact name.",
        ..ROW
    },
    Row {
        name: "lt_import_missing_id",
        object: LT,
        input: "`terraform import … lt-0123456789abcdef0` (no such template)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
}"#,
        import_id: "lt-0123456789abcdef0",
        stage: Stage::Import,
        env: Env::Moto,
        summary: "Launch Template Not Found",
        detail: "No launch template with ID or name \"lt-0123456789abcdef0\" exists in this account and Region.",
        fix: "Check the account, the Region (`region`) and the ID.",
        ..ROW
    },
    Row {
        name: "lt_import_missing_name",
        object: LT,
        input: "`terraform import … lt-web` (a name that does not exist)",
        hcl: r#"resource "ecshost_launch_template" "NAME" {
}"#,
        import_id: "lt-web",
        stage: Stage::Import,
        env: Env::Moto,
        summary: "Launch Template Not Found",
        detail: "No launch template with ID or name \"lt-web\" exists in this account and Region.",
        fix: "Check the account, the Region and the name.",
        ..ROW
    },
    // ----- ecshost_instance_verification -------------------------------------
    Row {
        name: "iv_nothing_to_verify",
        object: IV,
        input: "neither `launch_template_id` nor `instance_ids`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  expected_user_data_sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
}"#,
        attribute: "",
        summary: "Missing Instances to Verify",
        detail: "Set launch_template_id (instances launched from it), instance_ids, or both.",
        fix: "Name the template (`ecshost_launch_template.x.id`) or the instances.",
        ..ROW
    },
    Row {
        name: "iv_host_network_roles",
        object: IV,
        input: "`task_iam_role_network_host = true`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id         = "lt-0123456789abcdef0"
  ecs_cluster                = "c"
  task_iam_role_network_host = true
}"#,
        attribute: "task_iam_role_network_host",
        summary: "Host-Network Task Roles Expose Credentials",
        detail: "every host-network task can read the IAM role credentials of every task on the host",
        fix: "Run the tasks that need a role in bridge or `awsvpc` mode and set `task_iam_role_network_host = false` in `ecshost_user_data`; on a host whose agent registered `ecs.capability.imds-iam-roles` verification reports it as a problem.",
        warning: true,
        ..ROW
    },
    Row {
        name: "iv_template_name",
        object: IV,
        input: "`launch_template_id = \"ecs-hosts\"` (a name, not an ID)",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "ecs-hosts"
}"#,
        attribute: "launch_template_id",
        summary: "Invalid Launch Template ID",
        detail: "must be a template ID like lt-0123456789abcdef0",
        fix: "Use `ecshost_launch_template.x.id`.",
        ..ROW
    },
    Row {
        name: "iv_instance_name",
        object: IV,
        input: "`instance_ids = [\"i-…\", \"web-1\"]` (a host name)",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  instance_ids = ["i-0123456789abcdef0", "web-1"]
}"#,
        attribute: "instance_ids[1]",
        summary: "Invalid Instance ID",
        detail: "Instance IDs look like i-0123456789abcdef0; got \"web-1\".",
        fix: "List instance IDs, not names.",
        ..ROW
    },
    Row {
        name: "iv_sha",
        object: IV,
        input: "`expected_user_data_sha256 = \"abc\"`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id        = "lt-0123456789abcdef0"
  expected_user_data_sha256 = "abc"
}"#,
        attribute: "expected_user_data_sha256",
        summary: "Invalid SHA-256",
        detail: "must be 64 hex digits",
        fix: "Use `ecshost_launch_template.x.user_data_sha256`.",
        ..ROW
    },
    Row {
        name: "iv_required_check",
        object: IV,
        input: "`required_checks = [\"imds_block\"]` (not a check name)",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  required_checks    = ["task_path", "imds_block"]
}"#,
        attribute: "required_checks[1]",
        summary: "Invalid Attribute Value",
        detail: "required_checks[1] must be one of \"alias\", \"endpoint\", \"agent_network\", \"metadata_guard\", \"userland_proxy\", \"task_path\", \"imds_blocked\", \"agent_imds\"; got \"imds_block\".",
        fix: "Use check names from the self-check report guide.",
        ..ROW
    },
    Row {
        name: "iv_state_typo",
        object: IV,
        input: "`states = [\"runing\"]`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  states             = ["runing"]
}"#,
        attribute: "states[0]",
        summary: "Invalid Attribute Value",
        detail: "must be one of \"pending\", \"running\"",
        fix: "Use EC2 state names.",
        ..ROW
    },
    Row {
        name: "iv_timeout_words",
        object: IV,
        input: "`timeout = \"5 minutes\"`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  timeout            = "5 minutes"
}"#,
        attribute: "timeout",
        summary: "Invalid Duration",
        detail: "use a number and a unit such as 30s, 5m, 1h30m or 500ms",
        fix: "Write `5m`.",
        ..ROW
    },
    Row {
        name: "iv_poll_fast",
        object: IV,
        input: "`poll_interval = \"100ms\"`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  poll_interval      = "100ms"
}"#,
        attribute: "poll_interval",
        summary: "Poll Interval Too Short",
        detail: "poll_interval must be at least 1s",
        fix: "Poll every `1s` or slower.",
        ..ROW
    },
    Row {
        name: "iv_gate_concurrency",
        object: IV,
        input: "gate resource with `concurrency = 0`",
        hcl: r#"resource "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  concurrency        = 0
}"#,
        attribute: "concurrency",
        summary: "Invalid Attribute Value",
        detail: "concurrency must be a whole number from 1 to 64; got 0.",
        fix: "Use 1–64 (default 8).",
        ..ROW
    },
    Row {
        name: "iv_ecs_cluster",
        object: IV,
        input: "`ecs_cluster = \"web cluster\"`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  ecs_cluster        = "web cluster"
}"#,
        attribute: "ecs_cluster",
        summary: "Invalid ECS Cluster",
        detail: "ecs_cluster must be a cluster name (letters, digits, - and _, e.g. data.ecshost_user_data.x.cluster) or a cluster ARN",
        fix: "Use the cluster the user data renders (`data.ecshost_user_data.x.cluster`) or its ARN.",
        ..ROW
    },
    Row {
        name: "iv_grace_words",
        object: IV,
        input: "`registration_grace = \"five minutes\"`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  ecs_cluster        = "web"
  registration_grace = "five minutes"
}"#,
        attribute: "registration_grace",
        summary: "Invalid Duration",
        detail: "use a number and a unit such as 30s, 5m, 1h30m or 500ms",
        fix: "Write `5m`.",
        ..ROW
    },
    Row {
        name: "iv_sample_negative",
        object: IV,
        input: "`sample_size = -1`",
        hcl: r#"data "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  sample_size        = -1
}"#,
        attribute: "sample_size",
        summary: "Invalid Attribute Value",
        detail: "sample_size must be a whole number from 0 to 100000; got -1.",
        fix: "`0` for page-priced checks only, or the instances per version to deep-check; leave unset for all.",
        ..ROW
    },
    Row {
        name: "iv_gate_no_version",
        object: IV,
        input: "gate resource with `min_healthy_percent` but no `expected_version`",
        hcl: r#"resource "ecshost_instance_verification" "NAME" {
  launch_template_id  = "lt-0123456789abcdef0"
  min_healthy_percent = 90
}"#,
        attribute: "min_healthy_percent",
        summary: "Missing Expected Version",
        detail: "set expected_version too, e.g. expected_version = ecshost_launch_template.x.latest_version.",
        fix: "Add `expected_version = ecshost_launch_template.x.latest_version`.",
        ..ROW
    },
    Row {
        name: "iv_gate_percent",
        object: IV,
        input: "gate resource with `min_healthy_percent = 150`",
        hcl: r#"resource "ecshost_instance_verification" "NAME" {
  launch_template_id  = "lt-0123456789abcdef0"
  expected_version    = 3
  min_healthy_percent = 150
}"#,
        attribute: "min_healthy_percent",
        summary: "Invalid Attribute Value",
        detail: "min_healthy_percent must be a whole number from 0 to 100; got 150.",
        fix: "A percentage, 0–100.",
        ..ROW
    },
    Row {
        name: "iv_source",
        object: IV,
        input: "gate resource with `user_data_source = \"cache\"`",
        hcl: r#"resource "ecshost_instance_verification" "NAME" {
  launch_template_id = "lt-0123456789abcdef0"
  user_data_source   = "cache"
}"#,
        attribute: "user_data_source",
        summary: "Invalid Attribute Value",
        detail: "user_data_source must be one of \"instance\", \"template\"; got \"cache\".",
        fix: "`instance` (default, sees overrides) or `template` (cheap).",
        ..ROW
    },
];

/// A row's configuration text.
fn hcl(row: &Row) -> String {
    row.hcl.replace("NAME", row.name)
}

/// The address Terraform gives the row's object in diagnostics.
fn address(row: &Row) -> String {
    match row.object {
        // What only EC2 can refuse is reported on the resource that called it.
        "provider" if row.stage == Stage::Apply => format!("{LT}.{}", row.name),
        "provider" => format!("{PROVIDER}.{}", row.name),
        LT => format!("{LT}.{}", row.name),
        // The verification is both: the HCL says which.
        IV if row.hcl.starts_with("resource") => format!("{IV}.{}", row.name),
        ds => format!("data.{ds}.{}", row.name),
    }
}

/// Collapses whitespace, so text Terraform wrapped at 78 columns compares
/// equal to the original.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

const CRASH_MARKERS: &[&str] = &["panic", "plugin crashed", "Plugin did not respond"];

fn no_crash(what: &str, r: &Run, failures: &mut Vec<String>) {
    let all = format!("{}\n{}", r.stdout, r.stderr);
    for m in CRASH_MARKERS {
        if all.to_ascii_lowercase().contains(&m.to_ascii_lowercase()) {
            failures.push(format!("{what}: output mentions {m:?}:\n{all}"));
        }
    }
}

/// Writes the rows into one configuration and returns each row's line range
/// (1-based, inclusive).
fn write_rows(wd: &Workdir, rows: &[&Row]) -> Vec<(usize, usize)> {
    let mut text = HEADER.to_owned();
    let mut ranges = Vec::new();
    for r in rows {
        text.push('\n');
        let start = text.lines().count() + 1;
        let body = hcl(r);
        text.push_str(&body);
        text.push('\n');
        ranges.push((start, start + body.lines().count() - 1));
    }
    wd.write_config(&text);
    ranges
}

/// Error diagnostics from `validate -json` (one document) or from the JSON
/// lines of `plan -json` / `apply -json`.
fn error_diagnostics(stdout: &str) -> Vec<Json> {
    diagnostics(stdout, "error")
}

/// Diagnostics of one severity (`error`, `warning`).
fn diagnostics(stdout: &str, severity: &str) -> Vec<Json> {
    let all: Vec<Json> = match serde_json::from_str::<Json>(stdout) {
        Ok(doc) if doc.get("diagnostics").is_some() => {
            doc["diagnostics"].as_array().cloned().unwrap_or_default()
        }
        _ => stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .filter(|l| l["type"] == "diagnostic")
            .map(|l| l["diagnostic"].clone())
            .collect(),
    };
    all.into_iter()
        .filter(|d| d["severity"] == severity)
        .collect()
}

/// Checks that `d` points at `row.attribute`: the source line Terraform
/// highlights starts with the attribute's name or the map key (and holds
/// the key), or
/// is the block's header when the row names no attribute.
fn check_location(row: &Row, d: &Json) -> Result<(), String> {
    let code = d["snippet"]["code"].as_str().unwrap_or_default();
    let line = code.trim_start();
    let header = ["provider \"", "data \"", "resource \"", "import {"]
        .iter()
        .any(|h| line.starts_with(h));
    if row.attribute.is_empty() {
        return if header {
            Ok(())
        } else {
            Err(format!("expected the block, got line {code:?}"))
        };
    }
    // `metadata_options[0].http_tokens` → name `http_tokens`;
    // `config["ECS_CLUSTER"]` → name `config`, key `ECS_CLUSTER`.
    let (path, key) = match row.attribute.split_once("[\"") {
        Some((p, k)) => (p, Some(k.trim_end_matches("\"]"))),
        None => (row.attribute, None),
    };
    let last = path.rsplit('.').next().unwrap_or(path);
    let name = last.split('[').next().unwrap_or(last);
    // A map written over several lines is highlighted on the key's own
    // line (`KEY = value`), one written on one line on `config = {…}`.
    let starts = |word: &str| {
        line.strip_prefix(word)
            .is_some_and(|rest| rest.starts_with([' ', '=']))
    };
    let named = starts(name) || key.is_some_and(starts);
    if header || !named || key.is_some_and(|k| !code.contains(k)) {
        return Err(format!(
            "expected {} to be highlighted, got line {code:?}",
            row.attribute
        ));
    }
    let from = d["snippet"]["highlight_start_offset"].as_u64().unwrap_or(0) as usize;
    let to = d["snippet"]["highlight_end_offset"].as_u64().unwrap_or(0) as usize;
    match key {
        // A map key's diagnostic starts at its value (for `""` an empty
        // range), after the key.
        Some(k) if code.find(k).is_some_and(|at| from >= at + k.len()) => Ok(()),
        Some(k) => Err(format!(
            "expected the value of {k:?} highlighted in {code:?}"
        )),
        None if code.get(from..to).is_some_and(|h| !h.trim().is_empty()) => Ok(()),
        None => Err(format!("nothing highlighted in {code:?}")),
    }
}

/// Assigns each error diagnostic to the row whose lines it points into (or,
/// without a source range, whose summary and detail it carries), then checks
/// every row got exactly one, with the right summary, detail, address and
/// location. A diagnostic no row accounts for is a failure too.
fn check_diagnostics(
    what: &str,
    rows: &[&Row],
    ranges: &[(usize, usize)],
    diags: &[Json],
    failures: &mut Vec<String>,
) {
    let mut per_row: BTreeMap<usize, Vec<&Json>> = BTreeMap::new();
    for d in diags {
        let line = d["range"]["start"]["line"].as_u64().map(|l| l as usize);
        let idx = match line {
            Some(l) => ranges.iter().position(|(a, b)| (*a..=*b).contains(&l)),
            None => rows.iter().position(|r| {
                d["summary"] == r.summary
                    && squash(d["detail"].as_str().unwrap_or_default()).contains(&squash(r.detail))
            }),
        };
        match idx {
            Some(i) => per_row.entry(i).or_default().push(d),
            None => failures.push(format!("{what}: a diagnostic no row expects: {d:#}")),
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let got = per_row.remove(&i).unwrap_or_default();
        let [d] = got.as_slice() else {
            failures.push(format!(
                "{}: expected one error, got {}: {got:#?}",
                row.name,
                got.len()
            ));
            continue;
        };
        let detail = d["detail"].as_str().unwrap_or_default();
        if d["summary"] != row.summary || !squash(detail).contains(&squash(row.detail)) {
            failures.push(format!(
                "{}: expected {:?} / …{:?}…, got {:?} / {detail:?}",
                row.name, row.summary, row.detail, d["summary"]
            ));
        }
        // Terraform's own checks (types, arguments, block counts) carry no
        // address; the provider's always do.
        if let Some(a) = d["address"].as_str() {
            if a != address(row) {
                failures.push(format!(
                    "{}: diagnostic for {a}, expected {}",
                    row.name,
                    address(row)
                ));
            }
        }
        if d.get("range").is_some() {
            if let Err(e) = check_location(row, d) {
                failures.push(format!("{}: {e}", row.name));
            }
        } else if !row.attribute.is_empty() {
            failures.push(format!(
                "{}: no source range, expected {}",
                row.name, row.attribute
            ));
        }
    }
}

fn select(stage: Stage, env: Env) -> Vec<&'static Row> {
    ROWS.iter()
        .filter(|r| r.stage == stage && r.env == env)
        .collect()
}

/// Validate-time rows, then plan-time rows (which must pass validate).
fn offline_group() -> Vec<String> {
    let mut failures = Vec::new();
    let wd = Workdir::new();
    wd.write_config(HEADER);
    wd.init();

    let rows = select(Stage::Validate, Env::Offline);
    let ranges = write_rows(&wd, &rows);
    let r = wd.run(&["validate", "-json", "-no-color"]);
    no_crash("validate", &r, &mut failures);
    check_errors_and_warnings("validate", &rows, &ranges, &r.stdout, &mut failures);

    let rows = select(Stage::Plan, Env::Offline);
    let ranges = write_rows(&wd, &rows);
    let r = wd.run(&["validate", "-json", "-no-color"]);
    no_crash("validate (plan rows)", &r, &mut failures);
    let early = error_diagnostics(&r.stdout);
    if !early.is_empty() {
        failures.push(format!("plan rows fail already at validate: {early:#?}"));
    }
    let r = wd.run(&["plan", "-json", "-input=false", "-no-color"]);
    no_crash("plan", &r, &mut failures);
    check_errors_and_warnings("plan", &rows, &ranges, &r.stdout, &mut failures);
    failures
}

/// Error rows get exactly their error; warning rows exactly their warning
/// and no error (other rows' warnings are not counted), in the `-json`
/// output of one command.
fn check_errors_and_warnings(
    what: &str,
    rows: &[&Row],
    ranges: &[(usize, usize)],
    stdout: &str,
    failures: &mut Vec<String>,
) {
    let (errors, warnings): (Vec<usize>, Vec<usize>) =
        (0..rows.len()).partition(|i| !rows[*i].warning);
    let pick = |ix: &[usize]| -> (Vec<&Row>, Vec<(usize, usize)>) {
        (
            ix.iter().map(|i| rows[*i]).collect(),
            ix.iter().map(|i| ranges[*i]).collect(),
        )
    };
    let (error_rows, error_ranges) = pick(&errors);
    check_diagnostics(
        what,
        &error_rows,
        &error_ranges,
        &error_diagnostics(stdout),
        failures,
    );
    let (warning_rows, warning_ranges) = pick(&warnings);
    let in_warning_rows: Vec<Json> = diagnostics(stdout, "warning")
        .into_iter()
        .filter(|d| {
            d["range"]["start"]["line"].as_u64().is_some_and(|l| {
                warning_ranges
                    .iter()
                    .any(|(a, b)| (*a..=*b).contains(&(l as usize)))
            })
        })
        .collect();
    check_diagnostics(
        &format!("{what} (warnings)"),
        &warning_rows,
        &warning_ranges,
        &in_warning_rows,
        failures,
    );
}

/// Apply-time rows of one environment: validate and plan pass, apply fails.
fn apply_group(wd: &Workdir, env: Env) -> Vec<String> {
    let mut failures = Vec::new();
    let rows = select(Stage::Apply, env);
    let ranges = write_rows(wd, &rows);
    wd.init();
    let r = wd.run(&["plan", "-input=false", "-no-color"]);
    no_crash("plan (apply rows)", &r, &mut failures);
    if r.code != 0 {
        failures.push(format!(
            "{env:?}: apply rows fail already at plan:\n{}",
            r.stderr
        ));
    }
    let r = wd.run(&[
        "apply",
        "-auto-approve",
        "-json",
        "-input=false",
        "-no-color",
    ]);
    no_crash("apply", &r, &mut failures);
    check_diagnostics(
        "apply",
        &rows,
        &ranges,
        &error_diagnostics(&r.stdout),
        &mut failures,
    );
    failures
}

fn no_credentials_group() -> Vec<String> {
    let mut wd = Workdir::new();
    let aws = wd.scratch("aws");
    // A shared config with some other profile: no default profile, and
    // `profile = "nope"` is reported as undefined.
    std::fs::write(aws.join("config"), "[profile other]\nregion = us-east-1\n").unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other\n",
    )
    .unwrap();
    wd.env("AWS_CONFIG_FILE", aws.join("config").to_str().unwrap())
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            aws.join("credentials").to_str().unwrap(),
        )
        .env("AWS_ACCESS_KEY_ID", "")
        .env("AWS_SECRET_ACCESS_KEY", "")
        .env("AWS_SESSION_TOKEN", "");
    apply_group(&wd, Env::NoCredentials)
}

fn import_group(moto: &Moto) -> Vec<String> {
    let mut failures = Vec::new();
    let wd = moto.workdir();
    let rows = select(Stage::Import, Env::Moto);
    write_rows(&wd, &rows);
    wd.init();
    for row in rows {
        let addr = address(row);
        let r = wd.run(&["import", "-input=false", "-no-color", &addr, row.import_id]);
        no_crash(row.name, &r, &mut failures);
        let err = squash(&r.stderr);
        if r.code == 0
            || !err.contains(&format!("Error: {}", row.summary))
            || !err.contains(&squash(row.detail))
        {
            failures.push(format!(
                "{}: expected {:?} / …{:?}…, got exit {}:\n{}",
                row.name, row.summary, row.detail, r.code, r.stderr
            ));
        }
        if err.matches("Error:").count() != 1 {
            failures.push(format!("{}: expected one error:\n{}", row.name, r.stderr));
        }
    }
    failures
}

/// The troubleshooting page, from the table.
fn troubleshooting_page() -> String {
    let mut out = String::from(
        r#"---
page_title: "Troubleshooting bad input - ecshost"
description: |-
  What the ecshost provider says about bad input, where it points, and what to do.
---

# Troubleshooting bad input

Each row is an input that the acceptance test
`acceptance-tests/tests/bad_inputs.rs` gives to the real Terraform CLI. The
test checks the first command that refuses the input, the summary of the one
error it reports, the attribute Terraform points at, and that the provider
never crashes. This page is generated from that test's table
(`ECSHOST_UPDATE_DOCS=1 cargo test -p acceptance-tests --test bad_inputs`), and
the test fails when the page is stale.

A row whose stage says *(warning)* is accepted with one warning instead: the
configuration works, but not as written suggests.

**Stage** is the first command that refuses the input:

- `validate`: `terraform validate` and every later command, before anything
  is read or created;
- `plan`: the value is known only at plan time (a variable, an `import` block);
- `apply`: only EC2 can tell (credentials, endpoint, a name in use);
- `import`: `terraform import`.

**Attribute** is where Terraform's `on main.tf line N` points: an argument, a
map key (`config["ECS_CLUSTER"]`), a list element (`extra_parts[0]`; the
detail names the field), *(the block)* for a problem with the block as a
whole, *(the resource)* for what EC2 refuses while creating it, and
*(import ID)* for import errors, which point at no line. Terraform itself
reports type errors, unknown arguments and block counts ("Incorrect attribute
value type", "Unsupported argument", "Too many … blocks"); the provider
reports the rest. The diagnostic column shows the summary and a part of the
detail.
"#,
    );
    let sections: &[(&str, &str)] = &[
        ("provider", "Provider block"),
        (LO, LO),
        (AGENT, AGENT),
        (UD, UD),
        (LT, LT),
        (
            IV,
            "ecshost_instance_verification (data source and resource)",
        ),
    ];
    // Every row's object has a section: none can fall off the page.
    for r in ROWS {
        assert!(
            sections.iter().any(|(o, _)| *o == r.object),
            "{}: no troubleshooting section for {}",
            r.name,
            r.object
        );
    }
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for (object, title) in sections {
        let _ = write!(
            out,
            "\n## {title}\n\n| Input | Stage | Diagnostic | Attribute | What to do |\n|---|---|---|---|---|\n"
        );
        for r in ROWS.iter().filter(|r| r.object == *object) {
            let attr = if r.attribute.is_empty() {
                if r.stage == Stage::Import || r.hcl.starts_with("import") {
                    "(import ID)".to_owned()
                } else if r.stage == Stage::Apply {
                    "(the resource)".to_owned()
                } else {
                    "(the block)".to_owned()
                }
            } else {
                format!("`{}`", r.attribute)
            };
            let stage = if r.warning {
                format!("{} (warning)", r.stage.as_str())
            } else {
                r.stage.as_str().to_owned()
            };
            let _ = writeln!(
                out,
                "| {} | {} | **{}**: {} | {} | {} |",
                cell(r.input),
                stage,
                cell(r.summary),
                cell(r.detail),
                cell(&attr),
                cell(r.fix)
            );
        }
    }
    out
}

#[test]
fn bad_input_matrix() {
    let t0 = Instant::now();
    let mut names = std::collections::BTreeSet::new();
    for r in ROWS {
        assert!(names.insert(r.name), "duplicate row name {}", r.name);
        assert!(
            !r.summary.is_empty() && !r.detail.is_empty() && !r.fix.is_empty(),
            "{}",
            r.name
        );
        assert_eq!(
            r.stage == Stage::Import,
            !r.import_id.is_empty(),
            "{}",
            r.name
        );
        assert!(
            !r.warning
                || (matches!(r.stage, Stage::Validate | Stage::Plan) && r.env == Env::Offline),
            "{}: warning rows are validate- or plan-time rows without AWS",
            r.name
        );
    }
    assert!(ROWS.len() >= 40, "{} rows", ROWS.len());

    let moto = Moto::start();
    let moto = &moto;
    let failures: Vec<String> = std::thread::scope(|s| {
        let offline = s.spawn(offline_group);
        let no_creds = s.spawn(no_credentials_group);
        let imports = s.spawn(move || import_group(moto));
        let apply = {
            let wd = moto.workdir();
            apply_group(&wd, Env::Moto)
        };
        let mut all = apply;
        for h in [offline, no_creds, imports] {
            all.extend(h.join().expect("group thread"));
        }
        all
    });
    assert!(
        failures.is_empty(),
        "{} failure(s):\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );

    let page = troubleshooting_page();
    let path = workspace_root().join("docs/guides/troubleshooting.md");
    if std::env::var("ECSHOST_UPDATE_DOCS").as_deref() == Ok("1") {
        std::fs::write(&path, &page).unwrap();
    } else {
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some(page.as_str()),
            "docs/guides/troubleshooting.md is stale (regenerate with ECSHOST_UPDATE_DOCS=1 cargo test -p acceptance-tests --test bad_inputs)"
        );
    }
    eprintln!("{} rows in {:.1?}", ROWS.len(), t0.elapsed());
}
