//! Terraform's own consistency checks never fire. A corpus of generated
//! configurations — values unknown until apply, explicit nulls, empty
//! collections, maps with odd keys, sensitive values — is applied, planned
//! again (must be empty: no "Provider produced inconsistent result", no
//! "produced an unexpected new value", no perpetual diff), changed, applied
//! and planned again. Each generated block combines one option of every
//! dimension, chosen with co-prime strides so every option meets several
//! others.

use acceptance_tests::moto::Moto;
use acceptance_tests::terraform::Workdir;

const DESCRIPTION: [&str; 5] = [
    "",
    "  description = null\n",
    "  description = \"plain\"\n",
    "  description = terraform_data.later.output.text\n",
    "  description = var.secret\n",
];

const TAGS: [&str; 6] = [
    "",
    "  tags = null\n",
    "  tags = {}\n",
    "  tags = { \"with space\" = \"\", \"ключ\" = \"значение\", \"a:b/c=d\" = \"x\", \"UPPER\" = \"1\" }\n",
    "  tags = terraform_data.later.output.tags\n",
    "  tags = { owner = var.secret }\n",
];

const SECURITY_GROUPS: [&str; 3] = [
    "",
    "  security_group_ids = []\n",
    "  security_group_ids = null\n",
];

const METADATA: [&str; 4] = [
    "",
    "  metadata_options {}\n",
    "  metadata_options {\n    http_put_response_hop_limit = terraform_data.later.output.hops\n  }\n",
    "  metadata_options {\n    http_tokens = \"required\"\n    instance_metadata_tags = \"enabled\"\n  }\n",
];

const USER_DATA: [&str; 4] = [
    "",
    "  user_data_base64 = null\n",
    "  user_data_base64 = data.ecshost_user_data.known.base64\n",
    "  user_data_base64 = data.ecshost_user_data.later.base64\n",
];

const NAMING: [&str; 3] = ["name = \"corpus-{i}\"", "name_prefix = \"corpus-{i}-\"", ""];

fn corpus(round: u32) -> String {
    let mut s = format!(
        r#"terraform {{
  required_providers {{
    ecshost = {{ source = "ecshost/ecshost" }}
  }}
}}
variable "ec2_endpoint" {{
  type = string
}}
variable "secret" {{
  type      = string
  sensitive = true
  default   = "s3cr3t-{round}"
}}
provider "ecshost" {{
  region = "us-east-1"
  endpoints {{
    ec2 = var.ec2_endpoint
  }}
  default_tags {{
    tags = {{ "odd key/{round}" = "v", round = "{round}" }}
  }}
}}
# Known only after apply.
resource "terraform_data" "later" {{
  input = {{
    text    = "round {round}"
    cluster = "later-{round}"
    hops    = {hops}
    tags    = {{ "from later" = "{round}", "empty" = "" }}
  }}
}}
data "ecshost_user_data" "known" {{
  host_format = "cloud_init"
  cluster     = "known"
  gzip        = true
  config      = {{ ECS_ENABLE_SPOT_INSTANCE_DRAINING = "true", "HTTPS_PROXY" = "http://ops:${{var.secret}}@proxy.internal:3128" }}
}}
data "ecshost_user_data" "later" {{
  host_format = "shell"
  cluster     = terraform_data.later.output.cluster
  log_opts    = {{}}
}}
"#,
        hops = 2 + round
    );
    for i in 0..12 {
        let naming = NAMING[i % NAMING.len()].replace("{i}", &i.to_string());
        s.push_str(&format!(
            "resource \"ecshost_launch_template\" \"c{i}\" {{\n  {naming}\n{}{}{}{}{}}}\n",
            DESCRIPTION[i % DESCRIPTION.len()],
            TAGS[(i * 5) % TAGS.len()],
            SECURITY_GROUPS[(i * 7) % SECURITY_GROUPS.len()],
            METADATA[(i * 3 + 1) % METADATA.len()],
            USER_DATA[(i * 7 + 2) % USER_DATA.len()],
        ));
    }
    // The gate with inputs unknown at plan time, over an empty fleet.
    s.push_str(
        r#"resource "ecshost_instance_verification" "gate" {
  launch_template_id        = ecshost_launch_template.c0.id
  expected_user_data_sha256 = ecshost_launch_template.c0.user_data_sha256
  instance_ids              = []
  triggers                  = { text = terraform_data.later.output.text }
}
"#,
    );
    s
}

fn no_consistency_errors(what: &str, out: &str) {
    for bad in [
        "inconsistent result",
        "unexpected new value",
        "inconsistent final plan",
        "Provider produced",
        "panic",
    ] {
        assert!(!out.contains(bad), "{what}: {bad:?} in\n{out}");
    }
}

#[test]
fn generated_corpus_applies_and_plans_empty_twice() {
    // Every option of every dimension is used.
    for (name, n, stride) in [
        ("description", DESCRIPTION.len(), 1),
        ("tags", TAGS.len(), 5),
        ("security groups", SECURITY_GROUPS.len(), 7),
        ("naming", NAMING.len(), 1),
    ] {
        let used: std::collections::BTreeSet<usize> = (0..12).map(|i| (i * stride) % n).collect();
        assert_eq!(used.len(), n, "{name}");
    }
    let moto = Moto::start();
    let mut wd = Workdir::new();
    for (k, v) in moto.env() {
        wd.env(&k, &v);
    }
    wd.env("TF_VAR_ec2_endpoint", &moto.endpoint);
    wd.write_config(&corpus(0));
    wd.init();
    for round in 0..2 {
        wd.write_config(&corpus(round));
        let r = wd.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        let out = format!("{}\n{}", r.stdout, r.stderr);
        assert_eq!(r.code, 0, "round {round} apply:\n{out}");
        no_consistency_errors(&format!("round {round} apply"), &out);
        let p = wd.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        let pout = format!("{}\n{}", p.stdout, p.stderr);
        no_consistency_errors(&format!("round {round} plan"), &pout);
        assert_eq!(p.code, 0, "round {round}: second plan not empty:\n{pout}");
        assert!(
            !pout.contains("s3cr3t"),
            "a sensitive value is shown in the plan:\n{pout}"
        );
    }
    wd.destroy();
}
