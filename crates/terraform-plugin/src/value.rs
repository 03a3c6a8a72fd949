//! Terraform values and their two wire encodings.
//!
//! `DynamicValue` carries msgpack in normal traffic and JSON for raw state.
//! Neither encoding is self-describing enough on its own (a msgpack array may
//! be a list, a set or a tuple), so decoding is always typed by the schema.
//! Unknown values are the msgpack extension 0; Terraform 1.6+ also sends
//! *refined* unknowns as extension 12 — both decode to [`Value::Unknown`].

use std::collections::BTreeMap;

use rmpv::Value as Mp;
use serde_json::{Number, Value as Json};

use super::types::Type;

/// msgpack extension code of a plain unknown value.
const EXT_UNKNOWN: i8 = 0;
/// msgpack extension code of an unknown value carrying refinements.
const EXT_REFINED_UNKNOWN: i8 = 12;
/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 256;

/// A Terraform value of some [`Type`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// null of any type
    Null,
    /// not known until apply
    Unknown,
    /// a `bool`
    Bool(bool),
    /// a `number`
    Number(Number),
    /// a `string`
    String(String),
    /// a `list`
    List(Vec<Value>),
    /// a `set` (order carries no meaning)
    Set(Vec<Value>),
    /// a `map`
    Map(BTreeMap<String, Value>),
    /// an `object`
    Object(BTreeMap<String, Value>),
    /// a `tuple`
    Tuple(Vec<Value>),
}

/// Why bytes could not be decoded as a value of the expected type.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not msgpack at all.
    #[error("malformed msgpack")]
    Msgpack(#[source] rmpv::decode::Error),
    /// The bytes are not JSON.
    #[error("malformed JSON")]
    Json(#[source] serde_json::Error),
    /// Well-formed, but not of the expected type.
    #[error("expected {expected} at {at}")]
    Mismatch {
        /// what the schema asked for
        expected: String,
        /// where, as a dotted path
        at: String,
    },
    /// Trailing bytes after one complete value.
    #[error("{0} trailing bytes after the value")]
    Trailing(usize),
    /// Nested beyond [`MAX_DEPTH`].
    #[error("value nested too deeply")]
    TooDeep,
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}

impl Value {
    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for `Unknown`.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// True when no part of the value is unknown.
    pub fn is_fully_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v.iter().all(Value::is_fully_known),
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_fully_known),
            _ => true,
        }
    }

    /// The string inside, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The attribute `name` of an object (`Null` when absent or not an object).
    pub fn attr(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }

    /// Mutable attribute of an object, if it is one.
    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }

    /// Equality as Terraform sees it: sets compare without regard to order.
    pub fn semantically_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Set(a), Value::Set(b)) => {
                a.len() == b.len()
                    && a.iter().all(|x| b.iter().any(|y| x.semantically_eq(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.semantically_eq(y)))
            }
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.semantically_eq(y))
            }
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, x)| b.get(k).is_some_and(|y| x.semantically_eq(y)))
            }
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            (a, b) => a == b,
        }
    }

    // ----- msgpack -----------------------------------------------------------

    /// Decodes msgpack bytes as a value of type `ty`.
    pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
        let mut rd = bytes;
        let mp = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH)
            .map_err(DecodeError::Msgpack)?;
        if !rd.is_empty() {
            return Err(DecodeError::Trailing(rd.len()));
        }
        from_mp(&mp, ty, &mut Vec::new())
    }

    /// Encodes this value as msgpack, shaped by `ty`.
    pub fn to_msgpack(&self, ty: &Type) -> Vec<u8> {
        let mp = to_mp(self, ty);
        let mut out = Vec::with_capacity(64);
        rmpv::encode::write_value(&mut out, &mp).expect("writing to a Vec cannot fail");
        out
    }

    // ----- JSON --------------------------------------------------------------

    /// Decodes JSON (raw state) as a value of type `ty`. JSON has no unknowns.
    pub fn from_json_bytes(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
        let j: Json = serde_json::from_slice(bytes).map_err(DecodeError::Json)?;
        from_json(&j, ty, &mut Vec::new(), false)
    }

    /// Encodes as JSON in Terraform's state layout. Unknowns become null
    /// (JSON state never holds unknowns).
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null | Value::Unknown => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => Json::Number(n.clone()),
            Value::String(s) => Json::String(s.clone()),
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                Json::Array(v.iter().map(Value::to_json).collect())
            }
            Value::Map(m) | Value::Object(m) => {
                Json::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }
}

fn mismatch(expected: &str, path: &[String]) -> DecodeError {
    DecodeError::Mismatch {
        expected: expected.to_owned(),
        at: if path.is_empty() {
            "(root)".into()
        } else {
            path.join(".")
        },
    }
}

fn from_mp(mp: &Mp, ty: &Type, path: &mut Vec<String>) -> Result<Value, DecodeError> {
    if path.len() > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(code, _) if *code == EXT_UNKNOWN || *code == EXT_REFINED_UNKNOWN => {
            return Ok(Value::Unknown)
        }
        _ => {}
    }
    match ty {
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(*b)),
            _ => Err(mismatch("bool", path)),
        },
        Type::String => match mp {
            Mp::String(s) => s
                .as_str()
                .map(|s| Value::String(s.to_owned()))
                .ok_or_else(|| mismatch("UTF-8 string", path)),
            _ => Err(mismatch("string", path)),
        },
        Type::Number => match mp {
            Mp::Integer(i) => Ok(Value::Number(if let Some(n) = i.as_i64() {
                n.into()
            } else {
                i.as_u64()
                    .map(Number::from)
                    .ok_or_else(|| mismatch("number", path))?
            })),
            Mp::F32(f) => float(f64::from(*f), path),
            Mp::F64(f) => float(*f, path),
            // Numbers too large for msgpack's native forms arrive as strings.
            Mp::String(s) => {
                let s = s.as_str().ok_or_else(|| mismatch("number", path))?;
                let n: Number = serde_json::from_str(s).map_err(|_| mismatch("number", path))?;
                Ok(Value::Number(n))
            }
            _ => Err(mismatch("number", path)),
        },
        Type::List(et) | Type::Set(et) => match mp {
            Mp::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    path.push(i.to_string());
                    out.push(from_mp(it, et, path)?);
                    path.pop();
                }
                Ok(if matches!(ty, Type::List(_)) {
                    Value::List(out)
                } else {
                    Value::Set(out)
                })
            }
            _ => Err(mismatch("array", path)),
        },
        Type::Tuple(ets) => match mp {
            Mp::Array(items) if items.len() == ets.len() => {
                let mut out = Vec::with_capacity(items.len());
                for (i, (it, et)) in items.iter().zip(ets).enumerate() {
                    path.push(i.to_string());
                    out.push(from_mp(it, et, path)?);
                    path.pop();
                }
                Ok(Value::Tuple(out))
            }
            _ => Err(mismatch("tuple", path)),
        },
        Type::Map(et) => match mp {
            Mp::Map(pairs) => {
                let mut out = BTreeMap::new();
                for (k, v) in pairs {
                    let k = k.as_str().ok_or_else(|| mismatch("string map key", path))?;
                    path.push(k.to_owned());
                    out.insert(k.to_owned(), from_mp(v, et, path)?);
                    path.pop();
                }
                Ok(Value::Map(out))
            }
            _ => Err(mismatch("map", path)),
        },
        Type::Object(attrs) => match mp {
            Mp::Map(pairs) => {
                let mut out: BTreeMap<String, Value> =
                    attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
                for (k, v) in pairs {
                    let k = k.as_str().ok_or_else(|| mismatch("attribute name", path))?;
                    let at = attrs.get(k).ok_or_else(|| {
                        path.push(k.to_owned());
                        let e = mismatch("no such attribute", path);
                        path.pop();
                        e
                    })?;
                    path.push(k.to_owned());
                    out.insert(k.to_owned(), from_mp(v, at, path)?);
                    path.pop();
                }
                Ok(Value::Object(out))
            }
            _ => Err(mismatch("object", path)),
        },
        Type::Dynamic => match mp {
            // [type constraint JSON bytes, value]
            Mp::Array(pair) if pair.len() == 2 => {
                let tb = match &pair[0] {
                    Mp::Binary(b) => b.as_slice(),
                    Mp::String(s) => s.as_bytes(),
                    _ => return Err(mismatch("dynamic type", path)),
                };
                let inner =
                    Type::from_json_bytes(tb).map_err(|_| mismatch("dynamic type", path))?;
                if inner == Type::Dynamic {
                    return Err(mismatch("concrete dynamic type", path));
                }
                from_mp(&pair[1], &inner, path)
            }
            _ => Err(mismatch("dynamic [type, value] pair", path)),
        },
    }
}

fn float(f: f64, path: &[String]) -> Result<Value, DecodeError> {
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| mismatch("finite number", path))
}

fn to_mp(v: &Value, ty: &Type) -> Mp {
    match (v, ty) {
        (Value::Null, _) => Mp::Nil,
        (Value::Unknown, _) => Mp::Ext(EXT_UNKNOWN, vec![0]),
        (_, Type::Dynamic) => {
            let inferred = infer_type(v);
            Mp::Array(vec![
                Mp::Binary(inferred.to_json_bytes()),
                to_mp(v, &inferred),
            ])
        }
        (Value::Bool(b), _) => Mp::Boolean(*b),
        (Value::String(s), _) => Mp::String(s.as_str().into()),
        (Value::Number(n), _) => {
            if let Some(i) = n.as_i64() {
                Mp::from(i)
            } else if let Some(u) = n.as_u64() {
                Mp::from(u)
            } else {
                Mp::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        (Value::List(items) | Value::Set(items), Type::List(et) | Type::Set(et)) => {
            Mp::Array(items.iter().map(|i| to_mp(i, et)).collect())
        }
        (Value::List(items) | Value::Set(items) | Value::Tuple(items), Type::Tuple(ets)) => {
            Mp::Array(items.iter().zip(ets).map(|(i, t)| to_mp(i, t)).collect())
        }
        (Value::Map(m) | Value::Object(m), Type::Map(et)) => Mp::Map(
            m.iter()
                .map(|(k, v)| (Mp::String(k.as_str().into()), to_mp(v, et)))
                .collect(),
        ),
        (Value::Map(m) | Value::Object(m), Type::Object(attrs)) => Mp::Map(
            attrs
                .iter()
                .map(|(k, at)| {
                    (
                        Mp::String(k.as_str().into()),
                        to_mp(m.get(k).unwrap_or(&Value::Null), at),
                    )
                })
                .collect(),
        ),
        // A value that does not fit its type: encode what it is, so the
        // mismatch shows up in Terraform's own type check, not as a panic.
        (other, _) => to_mp(other, &infer_type(other)),
    }
}

/// The most specific type of a known value (for `dynamic` attributes).
pub fn infer_type(v: &Value) -> Type {
    match v {
        Value::Null | Value::Unknown => Type::Dynamic,
        Value::Bool(_) => Type::Bool,
        Value::Number(_) => Type::Number,
        Value::String(_) => Type::String,
        Value::List(items) => Type::list(element_type(items)),
        Value::Set(items) => Type::set(element_type(items)),
        Value::Tuple(items) => Type::Tuple(items.iter().map(infer_type).collect()),
        Value::Map(m) => Type::map(element_type(m.values())),
        Value::Object(m) => {
            Type::Object(m.iter().map(|(k, v)| (k.clone(), infer_type(v))).collect())
        }
    }
}

/// The element type of a collection: the type every known, non-null element
/// infers to, or `dynamic` when they disagree (or there is none), so that each
/// element then carries its own type. Taking the first element's type instead
/// encoded `[1, "x"]` (decoded from a `list(dynamic)`) as a `list(number)`
/// that no decoder accepts.
fn element_type<'a>(items: impl IntoIterator<Item = &'a Value>) -> Type {
    let mut common = None;
    for t in items
        .into_iter()
        .filter(|v| !v.is_null() && !v.is_unknown())
        .map(infer_type)
    {
        match &common {
            None => common = Some(t),
            Some(c) if *c == t => {}
            Some(_) => return Type::Dynamic,
        }
    }
    common.unwrap_or(Type::Dynamic)
}

/// Marks an unknown value inside the JSON used by the typed (serde) bridge.
/// Never appears in Terraform's own JSON.
pub(crate) const UNKNOWN_SENTINEL: &str = "__terraform_plugin_unknown__";

/// Typed JSON to value; with `sentinel`, objects `{UNKNOWN_SENTINEL: true}`
/// decode as unknown (the serde bridge's spelling of "unknown").
pub(crate) fn json_to_value(j: &Json, ty: &Type, sentinel: bool) -> Result<Value, DecodeError> {
    from_json(j, ty, &mut Vec::new(), sentinel)
}

fn from_json(
    j: &Json,
    ty: &Type,
    path: &mut Vec<String>,
    sentinel: bool,
) -> Result<Value, DecodeError> {
    if path.len() > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    if j.is_null() {
        return Ok(Value::Null);
    }
    if sentinel
        && j.as_object()
            .is_some_and(|m| m.len() == 1 && m.contains_key(UNKNOWN_SENTINEL))
    {
        return Ok(Value::Unknown);
    }
    match ty {
        Type::Bool => j
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| mismatch("bool", path)),
        Type::String => j
            .as_str()
            .map(Value::from)
            .ok_or_else(|| mismatch("string", path)),
        Type::Number => match j {
            Json::Number(n) => Ok(Value::Number(n.clone())),
            Json::String(s) => serde_json::from_str(s)
                .map(Value::Number)
                .map_err(|_| mismatch("number", path)),
            _ => Err(mismatch("number", path)),
        },
        Type::List(et) | Type::Set(et) => {
            let a = j.as_array().ok_or_else(|| mismatch("array", path))?;
            let mut out = Vec::with_capacity(a.len());
            for (i, it) in a.iter().enumerate() {
                path.push(i.to_string());
                out.push(from_json(it, et, path, sentinel)?);
                path.pop();
            }
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(out)
            } else {
                Value::Set(out)
            })
        }
        Type::Tuple(ets) => {
            let a = j
                .as_array()
                .filter(|a| a.len() == ets.len())
                .ok_or_else(|| mismatch("tuple", path))?;
            let mut out = Vec::with_capacity(a.len());
            for (i, (it, et)) in a.iter().zip(ets).enumerate() {
                path.push(i.to_string());
                out.push(from_json(it, et, path, sentinel)?);
                path.pop();
            }
            Ok(Value::Tuple(out))
        }
        Type::Map(et) => {
            let m = j.as_object().ok_or_else(|| mismatch("map", path))?;
            let mut out = BTreeMap::new();
            for (k, v) in m {
                path.push(k.clone());
                out.insert(k.clone(), from_json(v, et, path, sentinel)?);
                path.pop();
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let m = j.as_object().ok_or_else(|| mismatch("object", path))?;
            let mut out: BTreeMap<String, Value> =
                attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
            // Attributes the schema no longer has are dropped: state written
            // by an older schema version may carry them.
            for (k, at) in attrs {
                if let Some(v) = m.get(k) {
                    path.push(k.clone());
                    out.insert(k.clone(), from_json(v, at, path, sentinel)?);
                    path.pop();
                }
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            // JSON state stores dynamic values as {"value":…,"type":…}.
            if let (Some(v), Some(t)) = (j.get("value"), j.get("type")) {
                let inner = Type::from_json(t).map_err(|_| mismatch("dynamic type", path))?;
                return from_json(v, &inner, path, sentinel);
            }
            Ok(json_untyped(j))
        }
    }
}

fn json_untyped(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.clone()),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::Tuple(a.iter().map(json_untyped).collect()),
        Json::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), json_untyped(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn unknown_and_refined_unknown_decode_as_unknown() {
        // fixext1 code 0, as go-cty writes it
        assert_eq!(
            Value::from_msgpack(&[0xd4, 0x00, 0x00], &Type::String).unwrap(),
            Value::Unknown
        );
        // ext8 code 12 with a refinement payload (not null: {1: false})
        let refined = [0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2];
        assert_eq!(
            Value::from_msgpack(&refined, &Type::String).unwrap(),
            Value::Unknown
        );
        // other extensions are not values
        assert!(Value::from_msgpack(&[0xd4, 0x05, 0x00], &Type::String).is_err());
    }

    #[test]
    fn unknown_encodes_as_extension_zero() {
        assert_eq!(
            Value::Unknown.to_msgpack(&Type::String),
            vec![0xd4, 0x00, 0x00]
        );
    }

    #[test]
    fn object_missing_attributes_decode_as_null() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, &Mp::Map(vec![(Mp::from("a"), Mp::from("x"))]))
            .unwrap();
        let v = Value::from_msgpack(&buf, &ty).unwrap();
        assert_eq!(v, obj(&[("a", "x".into()), ("b", Value::Null)]));
    }

    #[test]
    fn unexpected_attribute_is_an_error_naming_it() {
        let ty = Type::object([("a", Type::String)]);
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, &Mp::Map(vec![(Mp::from("zz"), Mp::from("x"))]))
            .unwrap();
        let e = Value::from_msgpack(&buf, &ty).unwrap_err().to_string();
        assert!(e.contains("zz"), "{e}");
    }

    #[test]
    fn big_numbers_arrive_as_strings() {
        let mut buf = Vec::new();
        rmpv::encode::write_value(&mut buf, &Mp::from("12345678901234567890")).unwrap();
        let v = Value::from_msgpack(&buf, &Type::Number).unwrap();
        assert!(matches!(v, Value::Number(_)));
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = obj(&[("k", "v".into())]);
        let bytes = v.to_msgpack(&Type::Dynamic);
        assert_eq!(Value::from_msgpack(&bytes, &Type::Dynamic).unwrap(), v);
    }

    /// Found by reading the `value_msgpack` fuzz target's round-trip property
    /// against `infer_type`, then confirmed with this input run through the
    /// target: a `list(dynamic)` whose elements have different types
    /// re-encoded under the first element's type.
    #[test]
    fn dynamic_collections_of_mixed_element_types_round_trip() {
        let dynamic = |ty: Type, v: Mp| Mp::Array(vec![Mp::Binary(ty.to_json_bytes()), v]);
        let mut buf = Vec::new();
        let list = dynamic(
            Type::list(Type::Dynamic),
            Mp::Array(vec![
                dynamic(Type::Number, Mp::from(1)),
                dynamic(Type::String, Mp::from("x")),
            ]),
        );
        rmpv::encode::write_value(&mut buf, &list).unwrap();
        let v = Value::from_msgpack(&buf, &Type::Dynamic).unwrap();
        assert_eq!(v, Value::List(vec![1.into(), "x".into()]));
        let bytes = v.to_msgpack(&Type::Dynamic);
        assert_eq!(Value::from_msgpack(&bytes, &Type::Dynamic).unwrap(), v);

        let map = Value::Map([("a".to_owned(), 1.into()), ("b".to_owned(), true.into())].into());
        let bytes = map.to_msgpack(&Type::Dynamic);
        assert_eq!(Value::from_msgpack(&bytes, &Type::Dynamic).unwrap(), map);
    }

    #[test]
    fn element_types_skip_nulls_and_unknowns() {
        let v = Value::List(vec![Value::Null, Value::Unknown, "x".into()]);
        assert_eq!(infer_type(&v), Type::list(Type::String));
        let mixed = Value::Set(vec!["x".into(), 1.into()]);
        assert_eq!(infer_type(&mixed), Type::set(Type::Dynamic));
        assert_eq!(infer_type(&Value::List(vec![])), Type::list(Type::Dynamic));
    }

    #[test]
    fn json_state_drops_removed_attributes() {
        let ty = Type::object([("a", Type::String)]);
        let v = Value::from_json_bytes(br#"{"a":"x","gone":1}"#, &ty).unwrap();
        assert_eq!(v, obj(&[("a", "x".into())]));
    }

    #[test]
    fn trailing_bytes_are_refused() {
        assert!(matches!(
            Value::from_msgpack(&[0xc0, 0xc0], &Type::String),
            Err(DecodeError::Trailing(1))
        ));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut bytes = vec![0x91; 100_000];
        bytes.push(0xc0);
        let mut ty = Type::String;
        for _ in 0..10 {
            ty = Type::list(ty);
        }
        assert!(Value::from_msgpack(&bytes, &ty).is_err());
    }

    #[test]
    fn sets_compare_without_order() {
        let a = Value::Set(vec!["x".into(), "y".into()]);
        let b = Value::Set(vec!["y".into(), "x".into()]);
        assert!(a.semantically_eq(&b));
        assert!(!a.semantically_eq(&Value::Set(vec!["x".into()])));
    }

    /// A type and a value of that type, nulls and unknowns anywhere.
    fn typed_value() -> impl Strategy<Value = (Type, Value)> {
        let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
        let ty = leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                proptest::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                    .prop_map(Type::Object),
                proptest::collection::vec(inner, 1..3).prop_map(Type::Tuple),
            ]
        });
        ty.prop_flat_map(|t| {
            let v = value_of(&t);
            (Just(t), v)
        })
    }

    fn value_of(t: &Type) -> BoxedStrategy<Value> {
        let special = prop_oneof![Just(Value::Null), Just(Value::Unknown)];
        let concrete: BoxedStrategy<Value> = match t {
            Type::String => any::<String>().prop_map(Value::String).boxed(),
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Number => prop_oneof![
                any::<i64>().prop_map(Value::from),
                (-1e12f64..1e12).prop_map(|f| Value::Number(Number::from_f64(f).unwrap()))
            ]
            .boxed(),
            Type::List(et) => proptest::collection::vec(value_of(et), 0..3)
                .prop_map(Value::List)
                .boxed(),
            Type::Set(et) => proptest::collection::vec(value_of(et), 0..3)
                .prop_map(Value::Set)
                .boxed(),
            Type::Map(et) => proptest::collection::btree_map(".{0,5}", value_of(et), 0..3)
                .prop_map(Value::Map)
                .boxed(),
            Type::Object(attrs) => {
                let parts: Vec<(String, BoxedStrategy<Value>)> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), value_of(t)))
                    .collect();
                let keys: Vec<String> = parts.iter().map(|(k, _)| k.clone()).collect();
                let strats: Vec<BoxedStrategy<Value>> = parts.into_iter().map(|(_, s)| s).collect();
                strats
                    .prop_map(move |vals| Value::Object(keys.iter().cloned().zip(vals).collect()))
                    .boxed()
            }
            Type::Tuple(ets) => {
                let strats: Vec<BoxedStrategy<Value>> = ets.iter().map(value_of).collect();
                strats.prop_map(Value::Tuple).boxed()
            }
            Type::Dynamic => Just(Value::Null).boxed(),
        };
        prop_oneof![1 => special, 6 => concrete].boxed()
    }

    proptest! {
        #[test]
        fn msgpack_round_trips((ty, v) in typed_value()) {
            let bytes = v.to_msgpack(&ty);
            let back = Value::from_msgpack(&bytes, &ty).unwrap();
            prop_assert_eq!(back, v);
        }

        #[test]
        fn json_round_trips_known_values((ty, v) in typed_value()) {
            prop_assume!(v.is_fully_known());
            let bytes = serde_json::to_vec(&v.to_json()).unwrap();
            let back = Value::from_json_bytes(&bytes, &ty).unwrap();
            prop_assert!(back.semantically_eq(&v), "{:?} != {:?}", back, v);
        }

        /// Fuzz-style: random bytes never panic the decoder.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), (ty, _v) in typed_value()) {
            let _ = Value::from_msgpack(&bytes, &ty);
            let _ = Value::from_msgpack(&bytes, &Type::Dynamic);
            let _ = Value::from_json_bytes(&bytes, &ty);
        }
    }
}
