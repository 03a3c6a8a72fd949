//! Every example under `examples/` is initialised and planned by the real
//! Terraform CLI (the README's main job applies `examples/quickstart`).

use std::path::{Path, PathBuf};

use acceptance_tests::terraform::{workspace_root, Workdir};

fn example_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut has_tf = false;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            example_dirs(&p, out);
        } else if p.extension().is_some_and(|x| x == "tf") {
            has_tf = true;
        }
    }
    if has_tf {
        out.push(dir.to_path_buf());
    }
}

#[test]
fn every_example_plans() {
    let mut dirs = Vec::new();
    example_dirs(&workspace_root().join("examples"), &mut dirs);
    assert!(dirs.len() >= 4, "examples found: {dirs:?}");
    for dir in dirs {
        let wd = Workdir::new();
        let mut text = String::new();
        let mut imports = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            // Import snippets name objects that exist only in the reader's
            // account; they are checked by `terraform validate` below.
            if p.file_name().is_some_and(|n| n == "import-by-string-id.tf") {
                imports.push(std::fs::read_to_string(&p).unwrap());
                continue;
            }
            if p.extension().is_some_and(|x| x == "tf") {
                let t = std::fs::read_to_string(&p).unwrap();
                text.push_str(&t);
                wd.write_file(p.file_name().unwrap().to_str().unwrap(), &t);
            }
        }
        // Registry-style snippets (data-source.tf, resource.tf) rely on the
        // provider requirement being declared elsewhere.
        if !text.contains("required_providers") {
            wd.write_file(
                "_providers.tf",
                "terraform {\n  required_providers {\n    ecshost = { source = \"ecshost/ecshost\" }\n  }\n}\n",
            );
        }
        wd.init();
        let r = wd.run(&["plan", "-input=false", "-no-color"]);
        assert_eq!(
            r.code,
            0,
            "example {} does not plan:\n{}\n{}",
            dir.display(),
            r.stdout,
            r.stderr
        );
        for (i, imp) in imports.iter().enumerate() {
            wd.write_file(&format!("_import{i}.tf"), imp);
            let v = wd.run(&["validate", "-no-color"]);
            assert_eq!(
                v.code,
                0,
                "import snippet in {} is invalid: {}",
                dir.display(),
                v.stderr
            );
            std::fs::remove_file(wd.path().join(format!("_import{i}.tf"))).unwrap();
        }
        let fmt = wd.run(&["fmt", "-check", "-no-color"]);
        assert_eq!(
            fmt.code,
            0,
            "example {} is not `terraform fmt`-clean: {}",
            dir.display(),
            fmt.stdout
        );
    }
}
