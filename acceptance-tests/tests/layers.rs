//! The layers stay layers (docs/design/architecture.md): each crate's
//! *normal* dependency tree, read from `cargo metadata`, must not reach the
//! crates its layer may not know, and the plugin SDK's source must not
//! speak of ECS, EC2 or this provider.
//!
//! - `ecshost-render` (pure renderers and verification rules): no async
//!   runtime (`tokio*`), no gRPC (`tonic*`, `prost*`), no AWS SDK (`aws-*`),
//!   none of the other layers;
//! - `terraform-plugin` (the SDK): no AWS SDK crate and none of ours. The
//!   one `aws-` family allowed is `aws-lc-*`: AWS-LC is a cryptography
//!   library (rustls's second provider, used to verify go-plugin's P-521
//!   client signature), not the AWS cloud SDK;
//! - `ecshost-aws` (EC2/ECS calls): no gRPC (`tonic*`) and no SDK.
//!
//! Dev- and build-dependencies are not followed: tests may use what they
//! like, and the SDK's build script compiles the protocol with protox.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests sits in the workspace root")
        .to_path_buf()
}

/// `cargo metadata` of the whole workspace (with its dependency resolution).
fn metadata() -> Json {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(workspace_root().join("Cargo.toml"))
        .output()
        .expect("running cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Names of every package in `package`'s normal (non-dev, non-build)
/// dependency tree, `package` itself excluded. The resolve is the
/// workspace's, with features unified across members, so this is a
/// superset of `cargo tree -p <package> -e normal`.
fn normal_tree(meta: &Json, package: &str) -> BTreeSet<String> {
    let names: HashMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Json> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .find(|id| names[id] == package)
        .unwrap_or_else(|| panic!("{package} is not a workspace member"));
    let mut seen = BTreeSet::new();
    let mut todo = vec![root];
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(dep_id) {
                todo.push(dep_id);
            }
        }
    }
    seen.into_iter().map(|id| names[id].to_owned()).collect()
}

/// A rule: a crate name is forbidden when it starts with one of `prefixes`
/// and is not in `allowed`.
struct Forbidden {
    prefixes: &'static [&'static str],
    allowed: &'static [&'static str],
}

impl Forbidden {
    fn offenders(&self, tree: &BTreeSet<String>) -> Vec<String> {
        tree.iter()
            .filter(|n| self.prefixes.iter().any(|p| n.starts_with(p)))
            .filter(|n| !self.allowed.contains(&n.as_str()))
            .cloned()
            .collect()
    }
}

const OUR_CRATES: [&str; 4] = [
    "terraform-plugin",
    "ecshost-render",
    "ecshost-aws",
    "terraform-provider-ecshost",
];

const RENDER: Forbidden = Forbidden {
    prefixes: &[
        "tokio",
        "tonic",
        "prost",
        "aws-",
        "hyper",
        "terraform-plugin",
        "ecshost-aws",
        "terraform-provider-ecshost",
    ],
    allowed: &[],
};

const SDK: Forbidden = Forbidden {
    prefixes: &[
        "aws-",
        "ecshost-render",
        "ecshost-aws",
        "terraform-provider-ecshost",
    ],
    allowed: &["aws-lc-rs", "aws-lc-sys", "aws-lc-fips-sys"],
};

const AWS: Forbidden = Forbidden {
    prefixes: &["tonic", "terraform-plugin", "terraform-provider-ecshost"],
    allowed: &[],
};

fn check(meta: &Json, package: &str, rule: &Forbidden) -> Result<BTreeSet<String>, String> {
    let tree = normal_tree(meta, package);
    let bad = rule.offenders(&tree);
    if bad.is_empty() {
        Ok(tree)
    } else {
        Err(format!(
            "{package} may not depend (normal dependencies, directly or not) on {bad:?} \
             (docs/design/architecture.md); `cargo tree -p {package} -e normal -i <crate>` \
             shows the path"
        ))
    }
}

#[test]
fn layers_have_only_allowed_dependencies() {
    let meta = metadata();
    let mut errors = Vec::new();
    for (package, rule) in [
        ("ecshost-render", RENDER),
        ("terraform-plugin", SDK),
        ("ecshost-aws", AWS),
    ] {
        match check(&meta, package, &rule) {
            Ok(tree) => assert!(
                !tree.is_empty(),
                "{package}: empty tree, the walk is broken"
            ),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

/// The rules see what they must: the provider's tree holds every forbidden
/// family, so a walk or a prefix that matched nothing would show here.
#[test]
fn the_rules_catch_the_provider() {
    let meta = metadata();
    let tree = normal_tree(&meta, "terraform-provider-ecshost");
    for (name, rule) in [("renderers", RENDER), ("sdk", SDK), ("aws", AWS)] {
        let bad = rule.offenders(&tree);
        assert!(
            !bad.is_empty(),
            "the {name} rule finds nothing in the provider's tree"
        );
    }
    for want in ["tokio", "tonic", "prost", "aws-sdk-ec2", "aws-config"] {
        assert!(tree.contains(want), "provider tree lacks {want}: {tree:?}");
    }
    for ours in OUR_CRATES.iter().take(3) {
        assert!(tree.contains(*ours), "provider tree lacks {ours}");
    }
}

/// Words that belong to this provider's domain, not to a Terraform plugin
/// SDK. Matched case-insensitively; `ecs` and `ec2` only at the start of a
/// word (so `specs`, `secs` pass, `ECS_CLUSTER`, `__ecshost` do not).
const DOMAIN_WORDS: [&str; 13] = [
    "169.254.",
    "amazonaws",
    "launch template",
    "launch_template",
    "launchtemplate",
    "container instance",
    "container_instance",
    "imds",
    "user data",
    "user_data",
    "cloud-init",
    "aws-sdk",
    "aws_sdk",
];
const WORD_PREFIXES: [&str; 2] = ["ecs", "ec2"];

/// Every (line number, word) of `text` that names the provider's domain.
fn domain_words(text: &str) -> Vec<(usize, String)> {
    let mut hits = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let lower = line.to_ascii_lowercase();
        for w in DOMAIN_WORDS {
            if lower.contains(w) {
                hits.push((n + 1, w.to_owned()));
            }
        }
        for w in WORD_PREFIXES {
            for (i, _) in lower.match_indices(w) {
                let before = lower[..i].chars().next_back();
                if !before.is_some_and(|c| c.is_ascii_alphabetic()) {
                    hits.push((n + 1, w.to_owned()));
                }
            }
        }
    }
    hits
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn domain_word_matcher_flags_what_it_should() {
    for bad in [
        "ECS_CLUSTER",
        "the ecs agent",
        "const X: &str = \"__ecshost_unknown__\";",
        "https://ec2.us-east-1.amazonaws.com",
        "169.254.170.2",
        "aws_launch_template",
        "user_data",
    ] {
        assert!(!domain_words(bad).is_empty(), "{bad:?} passed");
    }
    for good in [
        "specs",
        "two secs",
        "aws_lc_rs::default_provider()",
        "records",
    ] {
        assert_eq!(domain_words(good), vec![], "{good:?} flagged");
    }
}

#[test]
fn sdk_source_has_no_domain_words() {
    let root = workspace_root();
    let mut files = Vec::new();
    files_under(&root.join("crates/terraform-plugin"), &mut files);
    // The protocol definitions its build script compiles.
    files_under(&root.join("proto"), &mut files);
    assert!(files.len() > 20, "found only {files:?}");
    let mut hits = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for (line, word) in domain_words(&text) {
            hits.push(format!(
                "{}:{line}: {word}",
                f.strip_prefix(&root).unwrap().display()
            ));
        }
    }
    assert!(
        hits.is_empty(),
        "the plugin SDK must not know this provider's domain (docs/design/architecture.md):\n{}",
        hits.join("\n")
    );
}
