//! State written by released versions of the provider, kept under
//! `acceptance-tests/state-fixtures/<release>/<name>/`, and the EC2 world
//! it describes.
//!
//! A fixture is never edited after it is written (see the directory's
//! README). It holds:
//!
//! - `terraform.tfstate`: the state exactly as that release's
//!   `terraform apply` wrote it;
//! - `main.tf`: the configuration that release applied;
//! - `migrated/<release>/*.tf` (optional): the same configuration rewritten
//!   for a later release that changed configuration syntax; the newest one
//!   is what the current build is planned with;
//! - `ec2-requests.jsonl`: every request moto received while the fixture
//!   was written (moto's recorder), replayed into a fresh moto seeded with
//!   `moto_seed`, so the objects come back with the same IDs and a refresh
//!   finds them;
//! - `fixture.json`: who wrote it (`written_by`, Terraform and moto
//!   versions), `moto_seed`, and a description.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};

use crate::moto::Moto;
use crate::terraform::{workspace_root, Workdir};

/// `acceptance-tests/state-fixtures`.
pub fn root() -> PathBuf {
    workspace_root().join("acceptance-tests/state-fixtures")
}

/// Orders `MAJOR.MINOR.PATCH[-PRE]` versions (a pre-release sorts before
/// its release; pre-release identifiers compare as text).
pub fn semver_cmp(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> (Vec<u64>, Option<&str>) {
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        (
            core.split('.').map(|n| n.parse().unwrap_or(0)).collect(),
            pre,
        )
    }
    let (ca, pa) = parts(a);
    let (cb, pb) = parts(b);
    ca.cmp(&cb).then_with(|| match (pa, pb) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    })
}

/// One fixture directory.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// the release that wrote it (its parent directory)
    pub release: String,
    /// its directory name
    pub name: String,
    /// its directory
    pub dir: PathBuf,
    /// `fixture.json`
    pub meta: Json,
}

fn subdirs(d: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(d)
        .map(|rd| {
            rd.filter_map(|e| {
                let e = e.ok()?;
                e.file_type().ok()?.is_dir().then_some(())?;
                Some((e.file_name().into_string().ok()?, e.path()))
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort_by(|a, b| semver_cmp(&a.0, &b.0).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Every fixture, oldest release first.
pub fn all() -> Vec<Fixture> {
    let mut out = Vec::new();
    for (release, rdir) in subdirs(&root()) {
        for (name, dir) in subdirs(&rdir) {
            let meta = std::fs::read(dir.join("fixture.json"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_else(|| panic!("{}: no readable fixture.json", dir.display()));
            out.push(Fixture {
                release: release.clone(),
                name,
                dir,
                meta,
            });
        }
    }
    out
}

impl Fixture {
    /// `<release>/<name>`, for messages.
    pub fn id(&self) -> String {
        format!("{}/{}", self.release, self.name)
    }

    /// The state file as written.
    pub fn state_path(&self) -> PathBuf {
        self.dir.join("terraform.tfstate")
    }

    /// The state, parsed.
    pub fn state(&self) -> Json {
        serde_json::from_slice(&std::fs::read(self.state_path()).expect("terraform.tfstate"))
            .expect("state is JSON")
    }

    /// `(type, schema_version)` of every managed resource instance.
    pub fn resource_versions(&self) -> Vec<(String, u64)> {
        let st = self.state();
        let mut v = Vec::new();
        for r in st["resources"].as_array().into_iter().flatten() {
            if r["mode"] != "managed" {
                continue;
            }
            for i in r["instances"].as_array().into_iter().flatten() {
                v.push((
                    r["type"].as_str().unwrap_or_default().to_owned(),
                    i["schema_version"].as_u64().unwrap_or(0),
                ));
            }
        }
        v
    }

    /// The configuration to plan the current build with: the newest
    /// `migrated/<release>/`, else the original. Returns the directory and
    /// a label (`original` or `migrated/<release>`).
    pub fn config_dir(&self) -> (PathBuf, String) {
        match subdirs(&self.dir.join("migrated")).pop() {
            Some((rel, d)) => (d, format!("migrated/{rel}")),
            None => (self.dir.clone(), "original".to_owned()),
        }
    }

    /// Copies the chosen configuration's `*.tf` files and the state into
    /// `wd`; returns the configuration's label.
    pub fn install_into(&self, wd: &Workdir) -> String {
        let (dir, label) = self.config_dir();
        let mut n = 0;
        for e in std::fs::read_dir(&dir).expect("config dir").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tf") {
                std::fs::copy(e.path(), wd.path().join(&name)).expect("copying configuration");
                n += 1;
            }
        }
        assert!(n > 0, "{}: no .tf files in {}", self.id(), dir.display());
        std::fs::copy(self.state_path(), wd.path().join("terraform.tfstate"))
            .expect("copying state");
        label
    }

    /// A fresh moto holding what the fixture's release created: seeded with
    /// `moto_seed`, then every recorded request replayed in order, so IDs
    /// and contents match the state.
    pub fn replay(&self) -> (Moto, tempfile::TempDir) {
        let tmp = tempfile::Builder::new()
            .prefix("ecshost-replay-")
            .tempdir()
            .expect("temp dir");
        let rec = tmp.path().join("ec2-requests.jsonl");
        std::fs::copy(self.dir.join("ec2-requests.jsonl"), &rec).expect("copying recording");
        let moto =
            Moto::start_with_env(&[("MOTO_RECORDER_FILEPATH", rec.to_str().expect("utf-8"))]);
        let seed = self.meta["moto_seed"]
            .as_u64()
            .expect("fixture.json: moto_seed");
        moto.api_post(&format!("seed?a={seed}"));
        moto.api_post("recorder/replay-recording");
        (moto, tmp)
    }
}

/// Records what a fixture's configuration creates: a moto seeded with
/// `seed` whose recorder is on from the start.
pub struct Recording {
    /// the server the fixture's world is made in
    pub moto: Moto,
    seed: u64,
    file: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Recording {
    /// Starts moto with its recorder on, seeded with `seed`.
    pub fn start(seed: u64) -> Recording {
        let tmp = tempfile::Builder::new()
            .prefix("ecshost-record-")
            .tempdir()
            .expect("temp dir");
        let file = tmp.path().join("ec2-requests.jsonl");
        let moto =
            Moto::start_with_env(&[("MOTO_RECORDER_FILEPATH", file.to_str().expect("utf-8"))]);
        moto.api_post(&format!("seed?a={seed}"));
        moto.api_post("recorder/start-recording");
        Recording {
            moto,
            seed,
            file,
            _tmp: tmp,
        }
    }

    /// Writes fixture `name` of the current release from `wd` (whose
    /// `main.tf` was applied last). Refuses to overwrite: fixtures are
    /// never edited.
    pub fn write_fixture(self, wd: &Workdir, name: &str, description: &str) -> PathBuf {
        self.moto.api_post("recorder/stop-recording");
        let dir = root().join(ecshost::VERSION).join(name);
        assert!(
            !dir.exists(),
            "{} exists; fixtures are never rewritten (delete it by hand only if it was never committed)",
            dir.display()
        );
        std::fs::create_dir_all(&dir).expect("fixture dir");
        for f in ["main.tf", "terraform.tfstate"] {
            std::fs::copy(wd.path().join(f), dir.join(f)).expect("copying fixture file");
        }
        std::fs::copy(&self.file, dir.join("ec2-requests.jsonl")).expect("copying recording");
        let tf = wd.ok(&["version", "-json"]);
        let tf: Json = serde_json::from_str(&tf.stdout).expect("terraform version -json");
        let moto_pin = std::fs::read_to_string(workspace_root().join(".ci/moto-requirements.txt"))
            .expect("moto pin")
            .lines()
            .find_map(|l| l.trim().strip_prefix("moto[server]=="))
            .unwrap_or("?")
            .to_owned();
        let meta = json!({
            "written_by": ecshost::VERSION,
            "terraform": tf["terraform_version"],
            "moto": moto_pin,
            "moto_seed": self.seed,
            "description": description,
        });
        std::fs::write(
            dir.join("fixture.json"),
            serde_json::to_string_pretty(&meta).expect("json") + "\n",
        )
        .expect("fixture.json");
        dir
    }
}
