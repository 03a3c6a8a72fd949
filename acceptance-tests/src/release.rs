//! Release artifacts for the tests: a throwaway GPG keyring made with
//! Debian's `gnupg`, and `.ci/release` run on a binary that is already built
//! (`ECSHOST_RELEASE_BINARIES`), so the tests exercise the real script —
//! CHANGELOG check, names, manifest, sums, signature — without a release
//! build.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::registry::SigningKey;
use crate::terraform::workspace_root;

/// The provider's version as `Cargo.toml` states it (read here on purpose
/// without the crate's `VERSION`, so tests compare the two).
pub fn cargo_toml_version() -> String {
    let text = std::fs::read_to_string(workspace_root().join("Cargo.toml")).expect("Cargo.toml");
    let mut in_package = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_package = l == "[package]";
        } else if in_package {
            if let Some(v) = l.strip_prefix("version") {
                let v = v
                    .trim_start()
                    .strip_prefix('=')
                    .expect("version = …")
                    .trim();
                return v.trim_matches('"').to_owned();
            }
        }
    }
    panic!("no [package] version in Cargo.toml");
}

/// A keyring in a private `GNUPGHOME` (its agent is stopped on drop).
pub struct Gnupg {
    dir: tempfile::TempDir,
}

/// A key in a [`Gnupg`] keyring.
#[derive(Clone, Debug)]
pub struct Key {
    /// 40 hex digits
    pub fingerprint: String,
    /// the public key, ASCII-armored
    pub armor: String,
}

impl Key {
    /// The key as a registry lists it.
    pub fn signing_key(&self) -> SigningKey {
        SigningKey {
            key_id: self.fingerprint[self.fingerprint.len() - 16..].to_owned(),
            ascii_armor: self.armor.clone(),
        }
    }
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

impl Gnupg {
    /// An empty keyring. `GNUPGHOME` is short (gpg-agent's socket path has
    /// a length limit) and private to this process.
    pub fn new() -> Gnupg {
        let dir = tempfile::Builder::new()
            .prefix("ecshost-gpg-")
            .tempdir_in("/tmp")
            .expect("GNUPGHOME");
        Gnupg { dir }
    }

    /// The `GNUPGHOME` directory.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `gpg` with this keyring, non-interactive.
    pub fn gpg(&self) -> Command {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", self.home()).arg("--batch");
        c
    }

    /// Generates an RSA 3072 signing key without passphrase (what the
    /// public registry accepts: RSA or DSA) for `uid`.
    pub fn generate(&self, uid: &str) -> Key {
        ok(
            self.gpg()
                .args(["--pinentry-mode", "loopback", "--passphrase", ""])
                .args(["--quick-gen-key", uid, "rsa3072", "sign", "never"])
                .output()
                .expect("gpg (install it with .ci/install-deps)"),
            "gpg --quick-gen-key",
        );
        let listing = ok(
            self.gpg()
                .args(["--with-colons", "--list-secret-keys", uid])
                .output()
                .expect("gpg"),
            "gpg --list-secret-keys",
        );
        let fingerprint = String::from_utf8_lossy(&listing.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| f.len() == 40))
            .expect("fingerprint")
            .to_owned();
        let armor = ok(
            self.gpg()
                .args(["--armor", "--export", &fingerprint])
                .output()
                .expect("gpg"),
            "gpg --export",
        );
        Key {
            fingerprint,
            armor: String::from_utf8(armor.stdout).expect("armor is text"),
        }
    }

    /// A detached binary signature of `file` by `key`, written to `sig`.
    pub fn sign(&self, key: &Key, file: &Path, sig: &Path) {
        ok(
            self.gpg()
                .args(["--yes", "--local-user", &key.fingerprint, "--detach-sign"])
                .arg("--output")
                .arg(sig)
                .arg(file)
                .output()
                .expect("gpg"),
            "gpg --detach-sign",
        );
    }
}

impl Default for Gnupg {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Gnupg {
    fn drop(&mut self) {
        // The agent gpg started for this GNUPGHOME, and only that one.
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.home())
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// How to run `.ci/release` in a test.
pub struct ReleaseRun<'a> {
    /// the checkout holding `.ci/release` (the workspace, or a copy)
    pub checkout: &'a Path,
    /// where the artifacts go (`ECSHOST_RELEASE_OUT`)
    pub out: &'a Path,
    /// `<dir>/<os>_<arch>/terraform-provider-ecshost` (`ECSHOST_RELEASE_BINARIES`)
    pub binaries: &'a Path,
    /// keyring (`GNUPGHOME`) and `GPG_KEY_ID`; `None` leaves both unset
    pub key: Option<(&'a Gnupg, &'a str)>,
    /// `SOURCE_DATE_EPOCH`
    pub source_date_epoch: u64,
}

impl ReleaseRun<'_> {
    /// Runs the script; returns its output whatever happened.
    pub fn run(&self) -> Output {
        let mut c = Command::new("bash");
        c.arg(self.checkout.join(".ci/release"))
            .env("ECSHOST_RELEASE_OUT", self.out)
            .env("ECSHOST_RELEASE_BINARIES", self.binaries)
            .env("SOURCE_DATE_EPOCH", self.source_date_epoch.to_string())
            .env_remove("ECSHOST_RELEASE_PLATFORMS")
            .env_remove("GPG_PASSPHRASE");
        match self.key {
            Some((g, id)) => c.env("GNUPGHOME", g.home()).env("GPG_KEY_ID", id),
            None => c.env_remove("GPG_KEY_ID"),
        };
        c.output().expect("running .ci/release")
    }
}

/// Lays out `binary` as the prebuilt linux_amd64 binary `.ci/release`
/// packages; returns the directory for [`ReleaseRun::binaries`].
pub fn prebuilt_dir(parent: &Path, binary: &Path) -> PathBuf {
    let d = parent.join("binaries");
    let plat = d.join("linux_amd64");
    std::fs::create_dir_all(&plat).expect("binaries dir");
    std::fs::copy(binary, plat.join("terraform-provider-ecshost")).expect("copying binary");
    d
}
