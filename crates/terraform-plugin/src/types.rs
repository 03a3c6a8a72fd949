//! Terraform's type system (cty types) as the plugin protocol spells them.
//!
//! Schemas carry attribute types as JSON type constraints (`"string"`,
//! `["list","string"]`, `["object",{"a":"string"}]`), and values of the
//! `dynamic` pseudo-type travel with such a constraint, so both directions
//! are needed.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// `bool`
    Bool,
    /// `number` (arbitrary precision in Terraform; i64/u64/f64 here)
    Number,
    /// `string`
    String,
    /// `dynamic`: the concrete type travels with the value
    Dynamic,
    /// `list(T)`
    List(Box<Type>),
    /// `set(T)`
    Set(Box<Type>),
    /// `map(T)`
    Map(Box<Type>),
    /// `object({...})`
    Object(BTreeMap<String, Type>),
    /// `tuple([...])`
    Tuple(Vec<Type>),
}

/// A type constraint that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("invalid type constraint {found}")]
pub struct TypeError {
    found: String,
}

impl Type {
    /// `list(T)`
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    /// `set(T)`
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    /// `map(T)`
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    /// `object({...})` from pairs.
    pub fn object<I, S>(attrs: I) -> Type
    where
        I: IntoIterator<Item = (S, Type)>,
        S: Into<String>,
    {
        Type::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The JSON type constraint Terraform expects in schemas.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let m: serde_json::Map<String, Json> = attrs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect();
                json!(["object", m])
            }
            Type::Tuple(ts) => json!(["tuple", ts.iter().map(Type::to_json).collect::<Vec<_>>()]),
        }
    }

    /// Serialized type constraint bytes, as in `Schema.Attribute.type`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("a JSON value always serializes")
    }

    /// Parses a JSON type constraint. Optional-attribute markers (the third
    /// element of an object constraint) are accepted and ignored.
    pub fn from_json(j: &Json) -> Result<Type, TypeError> {
        let bad = || TypeError {
            found: j.to_string(),
        };
        match j {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(items) if items.len() >= 2 => {
                let kind = items[0].as_str().ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&items[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&items[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&items[1])?)),
                    "object" => {
                        let m = items[1].as_object().ok_or_else(bad)?;
                        let mut attrs = BTreeMap::new();
                        for (k, v) in m {
                            attrs.insert(k.clone(), Type::from_json(v)?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    "tuple" => {
                        let a = items[1].as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            a.iter().map(Type::from_json).collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// Parses serialized type constraint bytes.
    pub fn from_json_bytes(b: &[u8]) -> Result<Type, TypeError> {
        let j: Json = serde_json::from_slice(b).map_err(|_| TypeError {
            found: String::from_utf8_lossy(b).into_owned(),
        })?;
        Type::from_json(&j)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_constraints_round_trip() {
        let cases = [
            Type::String,
            Type::Number,
            Type::Bool,
            Type::Dynamic,
            Type::list(Type::String),
            Type::set(Type::map(Type::Number)),
            Type::object([("a", Type::String), ("b", Type::list(Type::Bool))]),
            Type::Tuple(vec![Type::String, Type::Number]),
        ];
        for t in cases {
            let bytes = t.to_json_bytes();
            assert_eq!(
                Type::from_json_bytes(&bytes).unwrap(),
                t,
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    #[test]
    fn wire_spelling_matches_terraform() {
        assert_eq!(
            Type::list(Type::String).to_json_bytes(),
            br#"["list","string"]"#
        );
        assert_eq!(
            Type::object([("a", Type::String)]).to_json_bytes(),
            br#"["object",{"a":"string"}]"#
        );
    }

    #[test]
    fn optional_attribute_markers_are_accepted() {
        let t = Type::from_json_bytes(br#"["object",{"a":"string"},["a"]]"#).unwrap();
        assert_eq!(t, Type::object([("a", Type::String)]));
    }

    #[test]
    fn garbage_is_an_error() {
        for b in [&b"\"strin\""[..], b"[\"list\"]", b"42", b"not json"] {
            assert!(Type::from_json_bytes(b).is_err());
        }
    }
}
