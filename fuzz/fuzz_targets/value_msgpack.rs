//! `Value::from_msgpack`, the decoder of every `DynamicValue` Terraform sends.
//!
//! Input: `<type constraint JSON> NUL <msgpack bytes>`.
//!
//! Asserts: never panics; a decoded value encodes (`to_msgpack`) to bytes that
//! decode to the same value, and that encoding is a fixpoint; a fully known
//! value of a type without `dynamic` survives the JSON (raw state) codec
//! unchanged too.
#![no_main]

use terraform_plugin::Value;
use ecshost_fuzz::{has_dynamic, split_typed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((ty, bytes)) = split_typed(data) else {
        return;
    };
    let Ok(v) = Value::from_msgpack(bytes, &ty) else {
        return;
    };
    let enc = v.to_msgpack(&ty);
    let back = Value::from_msgpack(&enc, &ty).unwrap_or_else(|e| {
        panic!(
            "re-encoded value does not decode: {e}\n type {ty:?}\n value {v:?}\n bytes {enc:02x?}"
        )
    });
    assert_eq!(
        back, v,
        "msgpack round trip changed the value (type {ty:?})"
    );
    assert_eq!(back.to_msgpack(&ty), enc, "msgpack encoding is not stable");

    if v.is_fully_known() && !has_dynamic(&ty) {
        let json = serde_json::to_vec(&v.to_json()).expect("a JSON value serializes");
        let from_json = Value::from_json_bytes(&json, &ty).unwrap_or_else(|e| {
            panic!(
                "JSON of a decoded value does not decode: {e}\n type {ty:?}\n json {}",
                String::from_utf8_lossy(&json)
            )
        });
        assert_eq!(from_json, v, "JSON round trip changed the value");
    }
});
