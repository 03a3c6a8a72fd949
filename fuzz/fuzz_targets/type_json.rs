//! `Type::from_json_bytes`, the parser of type constraints (schemas, and the
//! type half of every `dynamic` value).
//!
//! Asserts: never panics; a parsed type re-serializes to a constraint that
//! parses to the same type, and serializing is stable (a fixpoint after one
//! round, since ignored parts such as optional-attribute markers are dropped).
#![no_main]

use terraform_plugin::Type;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(t) = Type::from_json_bytes(data) else {
        return;
    };
    let bytes = t.to_json_bytes();
    let back = Type::from_json_bytes(&bytes).unwrap_or_else(|e| {
        panic!(
            "{t:?} serializes to {:?}, which does not parse: {e}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(back, t, "type changed in a round trip");
    assert_eq!(back.to_json_bytes(), bytes, "serialization is not stable");
    assert_eq!(Type::from_json(&t.to_json()).ok(), Some(t));
});
