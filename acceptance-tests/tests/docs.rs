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
    let attrs = block["attributes"].as_object().cloned().unwrap_or_default();
    let mut sections = [
        ("Required", Vec::new()),
        ("Optional", Vec::new()),
        ("Read-Only", Vec::new()),
    ];
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
    out.push_str("\n## Schema\n");
    for (title, lines) in sections {
        if !lines.is_empty() {
            let _ = write!(out, "\n### {title}\n\n{}\n", lines.join("\n"));
        }
    }
    out
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
