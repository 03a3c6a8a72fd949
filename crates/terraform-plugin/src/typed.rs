//! Typed access: resources are written against plain Rust structs.
//!
//! A [`Value`] is turned into JSON and deserialized with serde, and back.
//! Terraform's third state, *unknown*, has no JSON spelling, so the bridge
//! uses a private sentinel object that only [`TfValue`] understands. Plain
//! field types (`String`, `i64`) therefore reject unknowns with a clear
//! error, while `TfValue<T>` fields accept them — use those wherever a
//! value may be unknown (validate and plan).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as Json;

use super::diag::Diagnostics;
use super::types::Type;
use super::value::{json_to_value, Value, UNKNOWN_SENTINEL};

/// A field that may be known, null or unknown.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum TfValue<T> {
    /// a known value
    Known(T),
    /// null (unset)
    #[default]
    Null,
    /// not known until apply
    Unknown,
}

impl<T> TfValue<T> {
    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            TfValue::Known(t) => Some(t),
            _ => None,
        }
    }
    /// True when unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, TfValue::Unknown)
    }
    /// True when null.
    pub fn is_null(&self) -> bool {
        matches!(self, TfValue::Null)
    }
}

impl<T: Clone> TfValue<T> {
    /// The known value or `default` when null; `None` when unknown.
    pub fn or_default_value(&self, default: T) -> Option<T> {
        match self {
            TfValue::Known(t) => Some(t.clone()),
            TfValue::Null => Some(default),
            TfValue::Unknown => None,
        }
    }
}

impl<T: Serialize> Serialize for TfValue<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TfValue::Known(t) => t.serialize(s),
            TfValue::Null => s.serialize_none(),
            TfValue::Unknown => {
                let mut m = serde_json::Map::new();
                m.insert(UNKNOWN_SENTINEL.into(), Json::Bool(true));
                Json::Object(m).serialize(s)
            }
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for TfValue<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = Json::deserialize(d)?;
        if j.is_null() {
            return Ok(TfValue::Null);
        }
        if j.as_object()
            .is_some_and(|m| m.len() == 1 && m.contains_key(UNKNOWN_SENTINEL))
        {
            return Ok(TfValue::Unknown);
        }
        T::deserialize(j)
            .map(TfValue::Known)
            .map_err(serde::de::Error::custom)
    }
}

/// The bridge's JSON for a value (unknowns as the sentinel).
pub fn value_to_bridge_json(v: &Value) -> Json {
    match v {
        Value::Unknown => {
            let mut m = serde_json::Map::new();
            m.insert(UNKNOWN_SENTINEL.into(), Json::Bool(true));
            Json::Object(m)
        }
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => Json::Number(n.clone()),
        Value::String(s) => Json::String(s.clone()),
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            Json::Array(v.iter().map(value_to_bridge_json).collect())
        }
        Value::Map(m) | Value::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), value_to_bridge_json(v)))
                .collect(),
        ),
    }
}

/// Decodes a value into a Rust struct.
pub fn decode<T: DeserializeOwned>(v: &Value) -> Result<T, Diagnostics> {
    serde_json::from_value(value_to_bridge_json(v)).map_err(|e| {
        Diagnostics::from_error(
            "Provider could not read a value",
            format!("The value did not match the provider's model ({e}). This is a bug in the provider."),
        )
    })
}

/// Encodes a Rust struct as a value of type `ty`.
pub fn encode<T: Serialize>(t: &T, ty: &Type) -> Result<Value, Diagnostics> {
    let j = serde_json::to_value(t)
        .map_err(|e| Diagnostics::from_error("Provider could not encode a value", e.to_string()))?;
    json_to_value(&j, ty, true).map_err(|e| {
        Diagnostics::from_error(
            "Provider produced a value of the wrong shape",
            format!("{e}. This is a bug in the provider."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Model {
        name: String,
        port: TfValue<i64>,
        tags: TfValue<std::collections::BTreeMap<String, String>>,
    }

    fn ty() -> Type {
        Type::object([
            ("name", Type::String),
            ("port", Type::Number),
            ("tags", Type::map(Type::String)),
        ])
    }

    #[test]
    fn unknown_null_and_known_survive_the_bridge() {
        let m = Model {
            name: "x".into(),
            port: TfValue::Unknown,
            tags: TfValue::Null,
        };
        let v = encode(&m, &ty()).unwrap();
        assert!(v.attr("port").is_unknown());
        assert!(v.attr("tags").is_null());
        assert_eq!(decode::<Model>(&v).unwrap(), m);
    }

    #[test]
    fn plain_fields_refuse_unknown() {
        let v = encode(
            &serde_json::json!({"name": {UNKNOWN_SENTINEL: true}, "port": 1, "tags": null}),
            &ty(),
        )
        .unwrap();
        assert!(decode::<Model>(&v).is_err());
    }
}
