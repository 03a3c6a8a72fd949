//! Shipping like a registry provider: `.ci/release` packages and signs the
//! provider (here the debug build, through `ECSHOST_RELEASE_BINARIES`, with a
//! throwaway GPG key made by Debian's gnupg), and a real `terraform init`
//! installs the artifacts from
//!
//! - an origin registry speaking the provider registry protocol over HTTPS
//!   on 127.0.0.1 (test CA trusted through `SSL_CERT_FILE`): Terraform
//!   verifies the archive's checksum and the checksum file's signature and
//!   records both hashes in the lock file; a tampered zip, a signature by
//!   another key and a forged checksum file each fail with Terraform's own
//!   error;
//! - a network mirror (`provider_installation { network_mirror { … } }`)
//!   serving the same files for `registry.terraform.io/ecshost/ecshost`;
//!   a tampered zip fails there too.
//!
//! Also: the artifacts are byte-identical across runs; the release script
//! refuses to release without a CHANGELOG entry or a signing key.

use std::path::{Path, PathBuf};

use acceptance_tests::registry::{read_sums, Registry};
use acceptance_tests::release::{cargo_toml_version, prebuilt_dir, Gnupg, Key, ReleaseRun};
use acceptance_tests::terraform::{built_binary, workspace_root, Run, Workdir};
use base64::Engine as _;
use sha2::{Digest, Sha256};

const NAME: &str = "terraform-provider-ecshost";
/// 2026-11-29T12:34:56Z: an even second (zip keeps 2-second resolution).
const EPOCH: u64 = 1_795_955_696;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// The four file names `.ci/release` must write for `v`.
fn artifact_names(v: &str) -> Vec<String> {
    let mut n = vec![
        format!("{NAME}_{v}_SHA256SUMS"),
        format!("{NAME}_{v}_SHA256SUMS.sig"),
        format!("{NAME}_{v}_linux_amd64.zip"),
        format!("{NAME}_{v}_manifest.json"),
    ];
    n.sort();
    n
}

fn listing(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .expect("artifact dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

/// Terraform's "h1:" hash of a package holding the one file `name`
/// (`dirhash.Hash1`: SHA-256 over "<sha256 hex>  <name>\n" lines).
fn h1(name: &str, content: &[u8]) -> String {
    let summary = format!("{}  {name}\n", sha256_hex(content));
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(summary.as_bytes()))
    )
}

/// The one entry of a zip as `.ci/release` writes it: (name, Unix mode,
/// DOS date, DOS time), from the central directory.
fn zip_entry(zip: &[u8]) -> (String, u32, u16, u16) {
    let u16_at = |o: usize| u16::from_le_bytes([zip[o], zip[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes([zip[o], zip[o + 1], zip[o + 2], zip[o + 3]]);
    let eocd = zip.len() - 22;
    assert_eq!(
        u32_at(eocd),
        0x0605_4b50,
        "end of central directory (no comment)"
    );
    assert_eq!(u16_at(eocd + 10), 1, "one entry");
    let cd = u32_at(eocd + 16) as usize;
    assert_eq!(u32_at(cd), 0x0201_4b50, "central directory header");
    assert_eq!(u16_at(cd + 4) >> 8, 3, "made by Unix");
    let (time, date) = (u16_at(cd + 12), u16_at(cd + 14));
    let (name_len, extra_len) = (u16_at(cd + 28) as usize, u16_at(cd + 30) as usize);
    assert_eq!(extra_len, 0, "no extra fields (no extra timestamps)");
    let mode = u32_at(cd + 38) >> 16;
    let name = String::from_utf8(zip[cd + 46..cd + 46 + name_len].to_vec()).expect("name");
    (name, mode, date, time)
}

/// `EPOCH` as a DOS date and time (UTC).
fn dos(epoch: u64) -> (u16, u16) {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let date = (((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16;
    let time = (((secs / 3600) as u16) << 11)
        | ((((secs % 3600) / 60) as u16) << 5)
        | ((secs % 60) / 2) as u16;
    (date, time)
}

fn release(out: &Path, bins: &Path, gpg: &Gnupg, key: &Key) {
    let r = ReleaseRun {
        checkout: &workspace_root(),
        out,
        binaries: bins,
        key: Some((gpg, &key.fingerprint)),
        source_date_epoch: EPOCH,
    }
    .run();
    assert!(
        r.status.success(),
        ".ci/release failed:\n{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}

fn module(source: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    ecshost = {{\n      source  = \"{source}\"\n      version = \"{}\"\n    }}\n  }}\n}}\n\ndata \"ecshost_loopback_config\" \"lo\" {{\n  format = \"networkd\"\n}}\n\noutput \"path\" {{\n  value = data.ecshost_loopback_config.lo.path\n}}\n",
        ecshost::VERSION
    )
}

/// A work dir installing only through `installation` (a
/// `provider_installation` body), trusting the registry's CA.
fn workdir(reg: &Registry, installation: &str, source: &str) -> Workdir {
    let mut wd =
        Workdir::with_cli_config(&format!("provider_installation {{\n{installation}\n}}\n"));
    wd.env("SSL_CERT_FILE", reg.ca_file.to_str().expect("utf-8"));
    wd.env("TF_PLUGIN_CACHE_DIR", "");
    wd.write_config(&module(source));
    wd
}

fn direct(reg: &Registry) -> String {
    format!("  direct {{\n    include = [\"{}/*/*\"]\n  }}", reg.host)
}

fn init(wd: &Workdir) -> Run {
    wd.run(&["init", "-input=false", "-no-color"])
}

/// The `hashes` of `provider` in the work dir's lock file.
fn locked_hashes(wd: &Workdir, provider: &str) -> Vec<String> {
    let lock = std::fs::read_to_string(wd.path().join(".terraform.lock.hcl")).expect("lock file");
    let start = lock
        .find(&format!("provider \"{provider}\""))
        .unwrap_or_else(|| panic!("{provider} not in lock file:\n{lock}"));
    let block = &lock[start..];
    let block = &block[..block.find("\n}").expect("end of block")];
    assert!(
        block.contains(&format!("version     = \"{}\"", ecshost::VERSION)),
        "{block}"
    );
    block
        .split('"')
        .filter(|s| s.starts_with("h1:") || s.starts_with("zh:"))
        .map(str::to_owned)
        .collect()
}

fn failure_text(r: &Run) -> String {
    // Terraform wraps diagnostics; compare with single spaces.
    format!("{}\n{}", r.stdout, r.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

struct Released {
    _tmp: tempfile::TempDir,
    gpg: Gnupg,
    key: Key,
    out: PathBuf,
    binary: Vec<u8>,
}

fn released() -> Released {
    let tmp = tempfile::Builder::new()
        .prefix("ecshost-release-")
        .tempdir()
        .expect("temp dir");
    let gpg = Gnupg::new();
    let key = gpg.generate("ecshost release test <release-test@ecshost.invalid>");
    let binary_path = built_binary(NAME);
    let bins = prebuilt_dir(tmp.path(), &binary_path);
    let out = tmp.path().join("artifacts");
    release(&out, &bins, &gpg, &key);
    let binary = std::fs::read(&binary_path).expect("binary");
    Released {
        _tmp: tmp,
        gpg,
        key,
        out,
        binary,
    }
}

#[test]
fn release_artifacts_are_the_registry_layout_and_reproducible() {
    let v = ecshost::VERSION;
    assert_eq!(
        v,
        cargo_toml_version(),
        "the crate's VERSION is Cargo.toml's"
    );
    let r = released();
    assert_eq!(listing(&r.out), artifact_names(v), "exactly the four files");

    let zip = std::fs::read(r.out.join(format!("{NAME}_{v}_linux_amd64.zip"))).expect("zip");
    let (entry, mode, date, time) = zip_entry(&zip);
    assert_eq!(entry, format!("{NAME}_v{v}"));
    assert_eq!(mode, 0o100_755, "regular file, rwxr-xr-x: {mode:o}");
    assert_eq!(
        (date, time),
        dos(EPOCH),
        "SOURCE_DATE_EPOCH as the entry's time"
    );

    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(r.out.join(format!("{NAME}_{v}_manifest.json"))).expect("manifest"),
    )
    .expect("manifest JSON");
    assert_eq!(manifest["version"], 1);
    assert_eq!(
        manifest["metadata"]["protocol_versions"],
        serde_json::json!([format!("{}.0", ecshost::sdk::serve::PROTOCOL_VERSION)])
    );

    // SHA256SUMS covers the zip and the manifest, and is right about both.
    let sums = read_sums(&r.out.join(format!("{NAME}_{v}_SHA256SUMS")));
    assert_eq!(sums.len(), 2, "{sums:?}");
    for (file, h) in &sums {
        assert_eq!(
            &sha256_hex(&std::fs::read(r.out.join(file)).expect("file")),
            h,
            "{file}"
        );
    }
    // The signature verifies with the release key (gpg's own check).
    let verify = r
        .gpg
        .gpg()
        .arg("--verify")
        .arg(r.out.join(format!("{NAME}_{v}_SHA256SUMS.sig")))
        .arg(r.out.join(format!("{NAME}_{v}_SHA256SUMS")))
        .output()
        .expect("gpg --verify");
    assert!(
        verify.status.success()
            && String::from_utf8_lossy(&verify.stderr).contains("Good signature"),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // A second run from another copy of the binary, into another directory:
    // the same bytes (the signature carries its own creation time).
    let tmp2 = tempfile::tempdir().expect("temp dir");
    let bins2 = prebuilt_dir(tmp2.path(), &built_binary(NAME));
    let out2 = tmp2.path().join("again");
    release(&out2, &bins2, &r.gpg, &r.key);
    for f in artifact_names(v).iter().filter(|f| !f.ends_with(".sig")) {
        assert!(
            std::fs::read(r.out.join(f)).expect("first")
                == std::fs::read(out2.join(f)).expect("second"),
            "{f} differs between two runs"
        );
    }
}

#[test]
fn terraform_init_installs_from_a_registry_and_a_network_mirror() {
    let v = ecshost::VERSION;
    let r = released();
    let zip_name = format!("{NAME}_{v}_linux_amd64.zip");
    let sums = read_sums(&r.out.join(format!("{NAME}_{v}_SHA256SUMS")));
    let zh = format!("zh:{}", sums[&zip_name]);
    let h1 = h1(&format!("{NAME}_v{v}"), &r.binary);

    // Five independent installations, side by side.
    std::thread::scope(|s| {
        // 1. The registry protocol: discovery, versions, download, files.
        s.spawn(|| {
            let reg = Registry::start(&r.out, r.key.signing_key());
            let source = format!("{}/ecshost/ecshost", reg.host);
            let mut wd = workdir(&reg, &direct(&reg), &source);
            let out = init(&wd);
            assert_eq!(
                out.code, 0,
                "init from the registry:\n{}\n{}",
                out.stdout, out.stderr
            );
            let key_id = &r.key.signing_key().key_id;
            assert!(
                out.stdout.contains(&format!(
                    "Installed {source} v{v} (self-signed, key ID {key_id})"
                )),
                "Terraform says it checked the signature:\n{}",
                out.stdout
            );
            let hashes = locked_hashes(&wd, &source);
            assert!(
                hashes.contains(&zh),
                "zip hash from the signed SHA256SUMS: {hashes:?}"
            );
            assert!(
                hashes.contains(&h1),
                "hash of the installed package: {hashes:?}"
            );
            assert_eq!(
                reg.requests(),
                [
                    "GET /.well-known/terraform.json".to_owned(),
                    "GET /v1/providers/ecshost/ecshost/versions".to_owned(),
                    format!("GET /v1/providers/ecshost/ecshost/{v}/download/linux/amd64"),
                    format!("GET /files/{NAME}_{v}_SHA256SUMS"),
                    format!("GET /files/{NAME}_{v}_SHA256SUMS.sig"),
                    format!("HEAD /files/{zip_name}"),
                    format!("GET /files/{zip_name}"),
                ],
                "the registry protocol, in Terraform's order"
            );
            // The installed release runs and says its version at start-up.
            wd.env("TF_LOG_PROVIDER", "info");
            let plan = wd.ok(&["plan", "-input=false", "-no-color"]);
            let line = plan
                .stderr
                .lines()
                .find(|l| l.contains("serving plugin protocol 6"))
                .unwrap_or_else(|| panic!("no start-up line:\n{}", plan.stderr));
            assert!(line.contains(&format!("version={v}")), "{line}");
        });

        // 2. A tampered zip: the checksum the registry published fails.
        s.spawn(|| {
            let tmp = tempfile::tempdir().expect("temp dir");
            copy_dir(&r.out, tmp.path());
            let zip = tmp.path().join(&zip_name);
            let mut b = std::fs::read(&zip).expect("zip");
            let mid = b.len() / 2;
            b[mid] ^= 0xff;
            std::fs::write(&zip, b).expect("tamper");
            let reg = Registry::start(tmp.path(), r.key.signing_key());
            let source = format!("{}/ecshost/ecshost", reg.host);
            let wd = workdir(&reg, &direct(&reg), &source);
            let out = init(&wd);
            assert_ne!(out.code, 0, "a tampered zip must not install");
            let text = failure_text(&out);
            eprintln!("terraform init refused, as it must: {text}");
            assert!(
                text.contains(&format!("Error while installing {source} v{v}"))
                    && text.contains("archive has incorrect checksum")
                    && text.contains(&format!("(expected {zh})")),
                "{text}"
            );
            assert!(!wd.path().join(".terraform.lock.hcl").exists());
        });

        // 3. A signature by a key the registry does not list.
        s.spawn(|| {
            let tmp = tempfile::tempdir().expect("temp dir");
            copy_dir(&r.out, tmp.path());
            let other = Gnupg::new();
            let intruder = other.generate("intruder <intruder@ecshost.invalid>");
            let sums_file = tmp.path().join(format!("{NAME}_{v}_SHA256SUMS"));
            other.sign(
                &intruder,
                &sums_file,
                &tmp.path().join(format!("{NAME}_{v}_SHA256SUMS.sig")),
            );
            let reg = Registry::start(tmp.path(), r.key.signing_key());
            let source = format!("{}/ecshost/ecshost", reg.host);
            let wd = workdir(&reg, &direct(&reg), &source);
            let out = init(&wd);
            assert_ne!(out.code, 0, "a signature by another key must not install");
            let text = failure_text(&out);
            eprintln!("terraform init refused, as it must: {text}");
            assert!(
                text.contains(&format!("Error while installing {source} v{v}"))
                    && text.contains("authentication signature from unknown issuer"),
                "{text}"
            );
        });

        // 4. A forged release: another zip with a SHA256SUMS (and registry
        //    shasum) rewritten to match, under the original signature.
        s.spawn(|| {
            let tmp = tempfile::tempdir().expect("temp dir");
            copy_dir(&r.out, tmp.path());
            let zip = tmp.path().join(&zip_name);
            let mut b = std::fs::read(&zip).expect("zip");
            let mid = b.len() / 2;
            b[mid] ^= 0xff;
            std::fs::write(&zip, &b).expect("tamper");
            let sums_file = tmp.path().join(format!("{NAME}_{v}_SHA256SUMS"));
            let forged = std::fs::read_to_string(&sums_file)
                .expect("sums")
                .replace(&sums[&zip_name], &sha256_hex(&b));
            std::fs::write(&sums_file, forged).expect("forge");
            let reg = Registry::start(tmp.path(), r.key.signing_key());
            let source = format!("{}/ecshost/ecshost", reg.host);
            let wd = workdir(&reg, &direct(&reg), &source);
            let out = init(&wd);
            assert_ne!(out.code, 0, "a forged checksum file must not install");
            let text = failure_text(&out);
            eprintln!("terraform init refused, as it must: {text}");
            assert!(
                text.contains(&format!("Error while installing {source} v{v}"))
                    && text.contains("error checking signature: openpgp: invalid signature"),
                "{text}"
            );
        });

        // 5. The same files as a network mirror of registry.terraform.io,
        //    and a tampered zip there.
        s.spawn(|| {
            let reg = Registry::start(&r.out, r.key.signing_key());
            let mirror = format!(
                "  network_mirror {{\n    url     = \"{}\"\n    include = [\"registry.terraform.io/ecshost/*\"]\n  }}",
                reg.mirror_url()
            );
            let wd = workdir(&reg, &mirror, "ecshost/ecshost");
            let out = init(&wd);
            assert_eq!(out.code, 0, "init from the mirror:\n{}\n{}", out.stdout, out.stderr);
            assert!(
                out.stdout.contains(&format!("Installed ecshost/ecshost v{v} (verified checksum)")),
                "{}",
                out.stdout
            );
            // Terraform checked the mirror's zh: hash; an unsigned source
            // gets only the hash of what was installed into the lock file.
            assert_eq!(
                locked_hashes(&wd, "registry.terraform.io/ecshost/ecshost"),
                std::slice::from_ref(&h1)
            );
            assert_eq!(
                reg.requests(),
                [
                    "GET /mirror/registry.terraform.io/ecshost/ecshost/index.json".to_owned(),
                    format!("GET /mirror/registry.terraform.io/ecshost/ecshost/{v}.json"),
                    format!("HEAD /mirror/registry.terraform.io/ecshost/ecshost/{zip_name}"),
                    format!("GET /mirror/registry.terraform.io/ecshost/ecshost/{zip_name}"),
                ]
            );
            let plan = wd.ok(&["plan", "-input=false", "-no-color"]);
            assert!(plan.stdout.contains("/etc/systemd/network"), "{}", plan.stdout);

            let tmp = tempfile::tempdir().expect("temp dir");
            copy_dir(&r.out, tmp.path());
            let zip = tmp.path().join(&zip_name);
            let mut b = std::fs::read(&zip).expect("zip");
            let mid = b.len() / 2;
            b[mid] ^= 0xff;
            std::fs::write(&zip, b).expect("tamper");
            let bad = Registry::start(tmp.path(), r.key.signing_key());
            let mirror = format!(
                "  network_mirror {{\n    url     = \"{}\"\n    include = [\"registry.terraform.io/ecshost/*\"]\n  }}",
                bad.mirror_url()
            );
            let wd = workdir(&bad, &mirror, "ecshost/ecshost");
            let out = init(&wd);
            assert_ne!(out.code, 0, "a tampered zip must not install from the mirror");
            let text = failure_text(&out);
            eprintln!("terraform init refused, as it must: {text}");
            assert!(
                text.contains(&format!(
                    "Error while installing ecshost/ecshost v{v}: provider package doesn't match the expected checksum \"{zh}\""
                )),
                "{text}"
            );
        });
    });
}

/// The release script refuses what it must, before building anything.
#[test]
fn release_refuses_without_a_changelog_entry_or_a_signing_key() {
    let v = ecshost::VERSION;
    let tmp = tempfile::tempdir().expect("temp dir");
    let checkout = tmp.path().join("checkout");
    std::fs::create_dir_all(checkout.join(".ci")).expect("mkdir");
    let root = workspace_root();
    for f in [
        ".ci/release",
        "Cargo.toml",
        "terraform-registry-manifest.json",
    ] {
        std::fs::copy(root.join(f), checkout.join(f)).expect("copy");
    }
    let changelog = std::fs::read_to_string(root.join("CHANGELOG.md")).expect("CHANGELOG.md");
    assert!(
        changelog.contains("## [Unreleased]"),
        "keep-a-changelog: an Unreleased section on top"
    );
    // Packaging is not under test here: a stand-in that answers --version.
    let stand_in = tmp.path().join("stand-in");
    std::fs::write(&stand_in, format!("#!/bin/sh\necho '{NAME} {v}'\n")).expect("stand-in");
    std::fs::set_permissions(
        &stand_in,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let bins = prebuilt_dir(tmp.path(), &stand_in);
    let gpg = Gnupg::new();
    let key = gpg.generate("ecshost release test <release-test@ecshost.invalid>");
    let run = |key_id: Option<&str>| {
        let out = tmp.path().join("out");
        let o = ReleaseRun {
            checkout: &checkout,
            out: &out,
            binaries: &bins,
            key: key_id.map(|k| (&gpg, k)),
            source_date_epoch: EPOCH,
        }
        .run();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
            out,
        )
    };
    let heading = format!("## [{v}] - ");
    let entry_at = changelog
        .find(&heading)
        .expect("the current version has an entry");

    // The real CHANGELOG releases.
    std::fs::write(checkout.join("CHANGELOG.md"), &changelog).expect("write");
    let (ok, err, out) = run(Some(&key.fingerprint));
    assert!(ok, "{err}");
    assert_eq!(listing(&out), artifact_names(v));

    let no_entry = format!(
        "{}## [0.0.1] - 2020-01-01\n\n- old\n",
        &changelog[..entry_at]
    );
    let undated = changelog.replacen(
        &heading,
        &format!("## [{v}] - soon\n\n- x\n\n## [0.0.0] - "),
        1,
    );
    let empty = format!(
        "{}{heading}2026-11-29\n\n### Added\n\n## [0.0.1] - 2020-01-01\n\n- old\n",
        &changelog[..entry_at]
    );
    for (what, text) in [
        ("no entry for the version", no_entry.as_str()),
        ("an entry without a date", undated.as_str()),
        ("an entry without changes", empty.as_str()),
        ("no changelog", ""),
    ] {
        if text.is_empty() {
            std::fs::remove_file(checkout.join("CHANGELOG.md")).expect("rm");
        } else {
            std::fs::write(checkout.join("CHANGELOG.md"), text).expect("write");
        }
        let (ok, err, _) = run(Some(&key.fingerprint));
        assert!(!ok, "{what}: must refuse");
        assert!(err.contains("CHANGELOG.md"), "{what}: {err}");
    }

    std::fs::write(checkout.join("CHANGELOG.md"), &changelog).expect("write");
    let (ok, err, _) = run(None);
    assert!(!ok && err.contains("GPG_KEY_ID is not set"), "{err}");
    let (ok, err, _) = run(Some("0123456789ABCDEF0123456789ABCDEF01234567"));
    assert!(!ok && err.contains("no secret key"), "{err}");
}
