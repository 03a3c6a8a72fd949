//! `Value::from_json_bytes`, the decoder of raw state (`UpgradeResourceState`).
//!
//! Input: `<type constraint JSON> NUL <JSON value>`.
//!
//! Asserts: never panics; JSON decodes to fully known values only; for types
//! without `dynamic`, a decoded value re-encodes (`to_json`) to JSON that
//! decodes to the same value; for every type, the decoded value survives the
//! msgpack codec unchanged.
//!
//! Not asserted: the JSON round trip of `dynamic` values. `Value::to_json`
//! takes no type, so it writes a `dynamic` value without the
//! `{"value":…,"type":…}` wrapper of Terraform's state layout; decoding that
//! JSON again gives the untyped reading (a list comes back as a tuple, an
//! object that happens to have keys `value` and `type` is read as a wrapper).
//! `to_json` is not used to write state, so this is a known limit, not a bug.
#![no_main]

use terraform_plugin::Value;
use ecshost_fuzz::{has_dynamic, split_typed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((ty, bytes)) = split_typed(data) else {
        return;
    };
    let Ok(v) = Value::from_json_bytes(bytes, &ty) else {
        return;
    };
    assert!(v.is_fully_known(), "JSON has no unknowns: {v:?}");

    if !has_dynamic(&ty) {
        let json = serde_json::to_vec(&v.to_json()).expect("a JSON value serializes");
        let back = Value::from_json_bytes(&json, &ty).unwrap_or_else(|e| {
            panic!(
                "re-encoded value does not decode: {e}\n type {ty:?}\n json {}",
                String::from_utf8_lossy(&json)
            )
        });
        assert_eq!(back, v, "JSON round trip changed the value (type {ty:?})");
    }

    let mp = v.to_msgpack(&ty);
    let from_mp = Value::from_msgpack(&mp, &ty).unwrap_or_else(|e| {
        panic!("msgpack of a JSON-decoded value does not decode: {e}\n type {ty:?}\n value {v:?}\n bytes {mp:02x?}")
    });
    assert_eq!(
        from_mp, v,
        "msgpack round trip changed the value (type {ty:?})"
    );
});
