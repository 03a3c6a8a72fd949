//! `docs/` is generated from `terraform providers schema -json` plus
//! `examples/` (the example, and `notes.md` after the schema when there is
//! one), in the Terraform Registry layout. This test regenerates the
//! pages and fails when the committed ones are stale; run it with
//! `ECSHOST_UPDATE_DOCS=1` to rewrite them.

use std::fmt::Write as _;

use acceptance_tests::terraform::{workspace_root, Workdir};
use serde_json::Value as Json;

fn type_str(t: &Json) -> String {
    match t {
        Json::String(s) => s.clone(),
        Json::Array(a) if a.len() == 2 => {
            format!("{}({})", a[0].as_str().unwrap_or("?"), type_str(&a[1]))
        }
        other => other.to_string(),
    }
}

fn attr_line(name: &str, a: &Json) -> String {
    attr_line_at(name, a, 0)
}

/// One bullet; nested attributes (`nested_type`) follow as indented bullets.
fn attr_line_at(name: &str, a: &Json, depth: usize) -> String {
    let ty = match a.get("nested_type") {
        Some(n) => match n["nesting_mode"].as_str().unwrap_or("single") {
            "single" => "object".to_owned(),
            mode => format!("{mode} of objects"),
        },
        None => type_str(&a["type"]),
    };
    let mut s = format!("{}- `{name}` ({ty})", "  ".repeat(depth));
    if a["sensitive"] == Json::Bool(true) {
        s.push_str(", sensitive");
    }
    if a["deprecated"] == Json::Bool(true) {
        s.push_str(", deprecated");
    }
    let d = a["description"].as_str().unwrap_or_default();
    if !d.is_empty() {
        let _ = write!(s, " {d}");
    }
    if let Some(attrs) = a["nested_type"]["attributes"].as_object() {
        for (n, sub) in attrs {
            let _ = write!(s, "\n{}", attr_line_at(n, sub, depth + 1));
        }
    }
    s
}

fn page(kind: &str, full: &str, schema: &Json, example: Option<String>) -> String {
    let block = &schema["block"];
    let mut out = format!(
        "---\npage_title: \"{full} {kind} - ecshost\"\ndescription: |-\n  {}\n---\n\n# {full} ({kind})\n\n{}\n",
        block["description"].as_str().unwrap_or_default().replace('\n', "\n  "),
        block["description"].as_str().unwrap_or_default()
    );
    if let Some(ex) = example {
        let _ = write!(out, "\n## Example Usage\n\n```terraform\n{}```\n", ex);
    }
    out.push_str("\n## Schema\n");
    let mut nested = Vec::new();
    for (title, lines) in block_sections(block, "", &mut nested) {
        let _ = write!(out, "\n### {title}\n\n{}\n", lines.join("\n"));
    }
    // Each block's own arguments, as the Terraform Registry lays them out
    // (terraform-plugin-docs: "Nested Schema for `a.b`", anchored
    // `nestedblock--a--b`), each block's section followed by its blocks'.
    for (path, b) in nested {
        nested_section(&mut out, &path, &b);
    }
    out
}

/// The section of the block at `path` (schema `b`), then its blocks'.
fn nested_section(out: &mut String, path: &str, b: &Json) {
    let _ = write!(
        out,
        "\n<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n",
        anchor(path)
    );
    let mut nested = Vec::new();
    for (title, lines) in block_sections(&b["block"], path, &mut nested) {
        let _ = write!(out, "\n{title}:\n\n{}\n", lines.join("\n"));
    }
    for (p, inner) in nested {
        nested_section(out, &p, &inner);
    }
}

/// The anchor of the nested schema section of the block at `path`.
fn anchor(path: &str) -> String {
    format!("nestedblock--{}", path.replace('.', "--"))
}

/// The Required, Optional and Read-Only bullets of `block`'s attributes and
/// blocks (a block is required when it must appear at least once); each
/// block's bullet links to its nested section, whose path (`path.name`) and
/// schema are pushed to `nested`.
fn block_sections(
    block: &Json,
    path: &str,
    nested: &mut Vec<(String, Json)>,
) -> Vec<(&'static str, Vec<String>)> {
    let mut sections = [
        ("Required", Vec::new()),
        ("Optional", Vec::new()),
        ("Read-Only", Vec::new()),
    ];
    let attrs = block["attributes"].as_object().cloned().unwrap_or_default();
    for (name, a) in &attrs {
        let idx = if a["required"] == Json::Bool(true) {
            0
        } else if a["optional"] == Json::Bool(true) {
            1
        } else {
            2
        };
        sections[idx].1.push(attr_line(name, a));
    }
    let blocks = block["block_types"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, b) in &blocks {
        let full = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let mode = b["nesting_mode"].as_str().unwrap_or("list");
        let mut ty = format!("block {mode}");
        if let Some(n) = b["min_items"].as_u64().filter(|n| *n > 0) {
            let _ = write!(ty, ", min {n}");
        }
        if let Some(n) = b["max_items"].as_u64().filter(|n| *n > 0) {
            let _ = write!(ty, ", max {n}");
        }
        let mut line = format!("- `{name}` ({ty})");
        let d = b["block"]["description"].as_str().unwrap_or_default();
        if !d.is_empty() {
            let _ = write!(line, " {d}");
        }
        let _ = write!(line, " (see [below for nested schema](#{}))", anchor(&full));
        let required = b["min_items"].as_u64().unwrap_or_default() > 0;
        let computed_only = b["block"]["attributes"].as_object().is_some_and(|m| {
            !m.is_empty()
                && m.values()
                    .all(|a| a["computed"] == Json::Bool(true) && a["optional"] != Json::Bool(true))
        });
        sections[if required {
            0
        } else if computed_only {
            2
        } else {
            1
        }]
        .1
        .push(line);
        nested.push((full, b.clone()));
    }
    sections
        .into_iter()
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

/// The provider page's schema section: arguments, then blocks with their
/// arguments indented.
fn provider_section(schema: &Json) -> String {
    let block = &schema["block"];
    let mut out = String::from("\n## Schema\n");
    let attrs = block["attributes"].as_object().cloned().unwrap_or_default();
    let lines: Vec<String> = attrs.iter().map(|(n, a)| attr_line(n, a)).collect();
    if !lines.is_empty() {
        let _ = write!(out, "\n### Optional\n\n{}\n", lines.join("\n"));
    }
    let blocks = block["block_types"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if !blocks.is_empty() {
        out.push_str("\n### Blocks\n\n");
        for (name, b) in &blocks {
            let many = if b["max_items"] == 1 {
                "block, at most one".to_owned()
            } else {
                format!("{} of blocks", b["nesting_mode"].as_str().unwrap_or("list"))
            };
            let _ = writeln!(out, "- `{name}` ({many})");
            let inner = b["block"]["attributes"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (n, a) in &inner {
                let _ = writeln!(out, "{}", attr_line_at(n, a, 1));
            }
        }
    }
    out
}

/// The AWS operations the AWS layer calls (`self.client.<operation>()` in
/// `crates/ecshost-aws/src/{ec2,ecs}/`), as IAM actions (`ec2:…`, `ecs:…`).
fn actions_the_code_calls() -> std::collections::BTreeSet<String> {
    let root = workspace_root().join("crates/ecshost-aws/src");
    let mut out = std::collections::BTreeSet::new();
    for service in ["ec2", "ecs"] {
        for entry in std::fs::read_dir(root.join(service)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let src: String = std::fs::read_to_string(&path)
                .unwrap()
                .split_whitespace()
                .collect();
            for part in src.split(".client.").skip(1) {
                let Some(method) = part.split("()").next() else {
                    continue;
                };
                // `clone()` and `config()` (the client's settings) are not
                // API operations.
                if method == "clone"
                    || method == "config"
                    || !method.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                {
                    continue;
                }
                let pascal: String = method
                    .split('_')
                    .map(|w| {
                        let mut c = w.chars();
                        c.next()
                            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                            .unwrap_or_default()
                    })
                    .collect();
                out.insert(format!("{service}:{pascal}"));
            }
        }
    }
    out
}

/// The `Action`s of the IAM policies (JSON blocks) on a docs page.
fn policy_actions(page: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for block in page.split("```json\n").skip(1) {
        let json = block.split("```").next().unwrap_or_default();
        let Ok(doc) = serde_json::from_str::<Json>(json) else {
            continue;
        };
        let statements = match &doc["Statement"] {
            Json::Array(a) => a.clone(),
            s @ Json::Object(_) => vec![s.clone()],
            _ => continue,
        };
        for st in statements {
            match &st["Action"] {
                Json::String(a) => {
                    out.insert(a.clone());
                }
                Json::Array(a) => {
                    out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_owned)))
                }
                _ => {}
            }
        }
    }
    out
}

/// The least-privilege policy on the provider page grants exactly the EC2
/// and ECS operations the code calls, and the verification guide's
/// policy grants nothing the code does not call.
#[test]
fn iam_policies_match_the_calls_the_code_makes() {
    let calls = actions_the_code_calls();
    assert!(
        calls.contains("ec2:CreateLaunchTemplate") && calls.contains("ecs:ListContainerInstances"),
        "the scan finds the calls: {calls:?}"
    );
    let root = workspace_root();
    let index = std::fs::read_to_string(root.join("docs/index.md")).unwrap();
    let granted: std::collections::BTreeSet<String> = policy_actions(&index)
        .into_iter()
        .filter(|a| a.starts_with("ec2:") || a.starts_with("ecs:"))
        .collect();
    let missing: Vec<&String> = calls.difference(&granted).collect();
    let extra: Vec<&String> = granted.difference(&calls).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/index.md's IAM policy: missing {missing:?}, granted but never called {extra:?}"
    );
    for a in &calls {
        assert!(
            index.contains(&format!("`{a}`")),
            "docs/index.md's permission table does not name {a}"
        );
    }
    let guide = std::fs::read_to_string(root.join("docs/guides/verifying-instances.md")).unwrap();
    let guide_actions = policy_actions(&guide);
    assert!(!guide_actions.is_empty());
    let extra: Vec<&String> = guide_actions.difference(&calls).collect();
    assert!(
        extra.is_empty(),
        "docs/guides/verifying-instances.md grants actions the code never calls: {extra:?}"
    );
}

#[test]
fn docs_are_generated_from_the_schema() {
    let wd = Workdir::new();
    wd.write_file("main.tf", "terraform {\n  required_providers {\n    ecshost = { source = \"ecshost/ecshost\" }\n  }\n}\n");
    wd.init();
    let schema: Json =
        serde_json::from_str(&wd.ok(&["providers", "schema", "-json"]).stdout).unwrap();
    let p = &schema["provider_schemas"]["registry.terraform.io/ecshost/ecshost"];
    let root = workspace_root();
    let mut pages = Vec::new();
    for (kind, dir, key, exfile) in [
        (
            "Data Source",
            "data-sources",
            "data_source_schemas",
            "data-source.tf",
        ),
        ("Resource", "resources", "resource_schemas", "resource.tf"),
    ] {
        for (full, s) in p[key].as_object().cloned().unwrap_or_default() {
            let short = full.trim_start_matches("ecshost_");
            let ex_dir = root.join("examples").join(dir).join(&full);
            let example = std::fs::read_to_string(ex_dir.join(exfile)).ok();
            assert!(
                example.is_some(),
                "{full} has no example at {}",
                ex_dir.display()
            );
            let mut text = page(kind, &full, &s, example);
            // Prose the schema cannot hold (tables), after the schema.
            if let Ok(notes) = std::fs::read_to_string(ex_dir.join("notes.md")) {
                text.push('\n');
                text.push_str(&notes);
            }
            pages.push((format!("docs/{dir}/{short}.md"), text));
        }
    }
    // The provider page: prose by hand, its schema section generated.
    let index = std::fs::read_to_string(root.join("docs/index.md")).unwrap();
    let prose = index.split("\n## Schema\n").next().unwrap_or_default();
    let provider_schema = provider_section(&p["provider"]);
    assert!(
        provider_schema.contains("- `endpoints` (block")
            && provider_schema.contains("  - `ec2` (string)")
            && provider_schema.contains("  - `ecs` (string)")
            && provider_schema.contains("sends ECS calls to AWS's public endpoint"),
        "the provider page lists endpoints {{ ec2, ecs }} and says what overriding only ec2 does:\n{provider_schema}"
    );
    pages.push(("docs/index.md".into(), format!("{prose}{provider_schema}")));
    // Every block is documented: each link to a nested schema lands on its
    // section, and the launch template's metadata options are spelled out.
    for (rel, text) in &pages {
        for link in text.split("(see [below for nested schema](#").skip(1) {
            let id = link.split(')').next().unwrap_or_default();
            assert!(
                text.contains(&format!("<a id=\"{id}\"></a>")),
                "{rel}: no section for {id}"
            );
        }
    }
    let lt = &pages
        .iter()
        .find(|(rel, _)| rel == "docs/resources/launch_template.md")
        .expect("the launch template page")
        .1;
    let md = lt
        .split("### Nested Schema for `metadata_options`")
        .nth(1)
        .expect("a metadata_options section");
    assert!(
        md.split("### Nested Schema")
            .next()
            .unwrap_or_default()
            .contains("- `http_tokens` (string)"),
        "{md}"
    );
    let update = std::env::var("ECSHOST_UPDATE_DOCS").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for (rel, text) in pages {
        let path = root.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(rel);
        }
    }
    assert!(stale.is_empty(), "stale docs (regenerate with ECSHOST_UPDATE_DOCS=1 cargo test -p acceptance-tests --test docs): {stale:?}");
}
