//! Helpers shared by the fuzz targets in `fuzz_targets/`.

use terraform_plugin::Type;

/// Splits a fuzz input of the form `<type constraint JSON> NUL <payload>`.
///
/// JSON text never contains a raw NUL byte (it would have to be escaped inside
/// a string), so the first NUL always ends the type. `None` when there is no
/// NUL or the type constraint does not parse; those inputs are left to the
/// `type_json` target.
pub fn split_typed(data: &[u8]) -> Option<(Type, &[u8])> {
    let nul = data.iter().position(|&b| b == 0)?;
    let ty = Type::from_json_bytes(&data[..nul]).ok()?;
    Some((ty, &data[nul + 1..]))
}

/// True when `dynamic` occurs anywhere in `t`.
pub fn has_dynamic(t: &Type) -> bool {
    match t {
        Type::Dynamic => true,
        Type::Bool | Type::Number | Type::String => false,
        Type::List(e) | Type::Set(e) | Type::Map(e) => has_dynamic(e),
        Type::Object(attrs) => attrs.values().any(has_dynamic),
        Type::Tuple(ts) => ts.iter().any(has_dynamic),
    }
}
