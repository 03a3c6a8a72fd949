//! `analyse` and `analyse_base64`, which read the user data of an imported
//! launch template (anything anyone ever wrote there).
//!
//! Input: user data bytes as an instance receives them.
//!
//! Asserts: never panics and is deterministic; `analyse_base64` of the
//! base64 (with surrounding whitespace) equals `analyse` of the bytes;
//! `findings` is empty exactly when the design is followed (apart from the
//! legacy DNAT note); one more gzip layer around input the analyser does not
//! unwrap itself changes only the format name (`gzip+…`), never a finding;
//! arbitrary text given as base64 never panics either.
#![no_main]

use std::io::Write as _;

use base64::Engine as _;
use ecshost_render::analyse::{analyse, analyse_base64, Analysis};
use libfuzzer_sys::fuzz_target;

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).expect("writing to a Vec");
    e.finish().expect("writing to a Vec")
}

fuzz_target!(|data: &[u8]| {
    let a = analyse(data);
    assert_eq!(analyse(data), a, "not deterministic");
    assert!(!a.format.is_empty());

    let findings = a.findings();
    if a.follows_design() {
        assert_eq!(findings.len(), usize::from(a.legacy_dnat), "{findings:?}");
    } else {
        assert!(
            !findings.is_empty(),
            "not following the design, but no finding: {a:?}"
        );
    }

    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    assert_eq!(analyse_base64(&b64), a, "base64 of the same bytes");
    assert_eq!(
        analyse_base64(&format!("\n  {b64}\r\n")),
        a,
        "whitespace around base64"
    );

    let text = String::from_utf8_lossy(data);
    assert_eq!(analyse_base64(&text), analyse_base64(&text));

    // Input that is neither gzip nor MIME is unwrapped at most one level deep,
    // so a gzip layer around it stays within the analyser's depth limit.
    let lower = data.to_ascii_lowercase();
    let unwraps_itself =
        data.starts_with(&[0x1f, 0x8b]) || lower.windows(9).any(|w| w == b"multipart");
    if !unwraps_itself {
        let g = analyse(&gzip(data));
        assert_eq!(g.format, format!("gzip+{}", a.format));
        assert_eq!(
            Analysis {
                format: a.format.clone(),
                ..g
            },
            a,
            "a gzip layer changed the findings"
        );
    }
});
