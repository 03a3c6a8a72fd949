//! Schemas: what a provider, resource or data source accepts and returns.
//!
//! The schema is the single source of user-facing text: every attribute's
//! Markdown description (stating its default) is what `docs/` is generated
//! from. Defaults, validators and plan modifiers live here too, so the
//! server can apply them uniformly before any provider code runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::types::Type;
use super::value::Value;

/// A checked constraint on one attribute's known value.
pub trait Validator: Send + Sync {
    /// Adds diagnostics for a bad `value` found at `path`. Only called for
    /// known, non-null values.
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics);
    /// One Markdown sentence for the docs, e.g. "One of `a`, `b`."
    fn description(&self) -> String;
}

/// How the planned value of an attribute is adjusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanModifier {
    /// Changing the value replaces the resource.
    RequiresReplace,
    /// A computed value that never changes after create: keep the prior
    /// state's value instead of showing "(known after apply)".
    UseStateForUnknown,
}

/// A schema: a versioned block.
#[derive(Clone, Default)]
pub struct Schema {
    /// bumped when the state layout changes
    pub version: i64,
    /// the top-level block
    pub block: Block,
}

/// A block: attributes and nested blocks.
#[derive(Clone, Default)]
pub struct Block {
    /// attributes in declaration order
    pub attributes: Vec<Attribute>,
    /// nested block types
    pub blocks: Vec<NestedBlock>,
    /// Markdown description
    pub description: String,
    /// deprecated as a whole
    pub deprecated: bool,
}

/// How a nested block or nested attribute repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// at most one; the value is an object or null
    Single,
    /// an ordered list of objects
    List,
    /// a set of objects
    Set,
    /// a map of objects (nested attributes only)
    Map,
}

/// A nested block type (`metadata_options { … }`).
#[derive(Clone)]
pub struct NestedBlock {
    /// block type name
    pub name: String,
    /// contents
    pub block: Block,
    /// repetition
    pub nesting: Nesting,
    /// minimum count (Terraform enforces)
    pub min_items: i64,
    /// maximum count (Terraform enforces); 0 is unlimited
    pub max_items: i64,
}

/// One attribute.
#[derive(Clone)]
pub struct Attribute {
    /// name
    pub name: String,
    /// type (for nested attributes: the object type implied by `nested`)
    pub ty: Type,
    /// nested attributes, when the attribute is an object structure
    pub nested: Option<(Nesting, Vec<Attribute>)>,
    /// must be set
    pub required: bool,
    /// may be set
    pub optional: bool,
    /// provider may set it
    pub computed: bool,
    /// hidden in plan output and logs
    pub sensitive: bool,
    /// deprecated; the description says what to use instead
    pub deprecated: bool,
    /// Markdown description, including the default
    pub description: String,
    /// value used when the configuration leaves it null (needs `computed`)
    pub default: Option<Value>,
    /// constraints checked at validate time
    pub validators: Vec<Arc<dyn Validator>>,
    /// plan adjustments
    pub plan_modifiers: Vec<PlanModifier>,
}

impl Attribute {
    /// An attribute of any type; usually use the typed shorthands.
    pub fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_owned(),
            ty,
            nested: None,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            description: String::new(),
            default: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
        }
    }
    /// A `string` attribute.
    pub fn string(name: &str) -> Self {
        Self::new(name, Type::String)
    }
    /// A `bool` attribute.
    pub fn bool(name: &str) -> Self {
        Self::new(name, Type::Bool)
    }
    /// A `number` attribute.
    pub fn number(name: &str) -> Self {
        Self::new(name, Type::Number)
    }
    /// A `list(string)` attribute.
    pub fn string_list(name: &str) -> Self {
        Self::new(name, Type::list(Type::String))
    }
    /// A `set(string)` attribute.
    pub fn string_set(name: &str) -> Self {
        Self::new(name, Type::set(Type::String))
    }
    /// A `map(string)` attribute.
    pub fn string_map(name: &str) -> Self {
        Self::new(name, Type::map(Type::String))
    }
    /// A nested-attribute structure.
    pub fn nested(name: &str, nesting: Nesting, attrs: Vec<Attribute>) -> Self {
        let obj = Type::Object(
            attrs
                .iter()
                .map(|a| (a.name.clone(), a.ty.clone()))
                .collect(),
        );
        let ty = match nesting {
            Nesting::Single => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        };
        let mut a = Self::new(name, ty);
        a.nested = Some((nesting, attrs));
        a
    }

    /// Must be set in configuration.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    /// May be set in configuration.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    /// Set by the provider.
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    /// Hidden in plans and never logged.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// Deprecated.
    pub fn deprecated(mut self) -> Self {
        self.deprecated = true;
        self
    }
    /// Markdown description.
    pub fn description(mut self, md: &str) -> Self {
        self.description = md.to_owned();
        self
    }
    /// Default for a null configuration value; makes the attribute
    /// optional+computed, as Terraform requires of defaulted attributes.
    pub fn default(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self.optional = true;
        self.computed = true;
        self
    }
    /// Adds a validator.
    pub fn validator(mut self, v: impl Validator + 'static) -> Self {
        self.validators.push(Arc::new(v));
        self
    }
    /// Adds a plan modifier.
    pub fn plan_modifier(mut self, m: PlanModifier) -> Self {
        self.plan_modifiers.push(m);
        self
    }
    /// Shorthand for the requires-replace plan modifier.
    pub fn requires_replace(self) -> Self {
        self.plan_modifier(PlanModifier::RequiresReplace)
    }
    /// Shorthand for the use-state-for-unknown plan modifier.
    pub fn use_state_for_unknown(self) -> Self {
        self.plan_modifier(PlanModifier::UseStateForUnknown)
    }
}

impl NestedBlock {
    /// A nested block type.
    pub fn new(name: &str, nesting: Nesting, block: Block) -> Self {
        NestedBlock {
            name: name.to_owned(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }
    /// Sets the item bounds.
    pub fn items(mut self, min: i64, max: i64) -> Self {
        self.min_items = min;
        self.max_items = max;
        self
    }
}

impl Block {
    /// A block from attributes.
    pub fn new(attributes: Vec<Attribute>) -> Self {
        Block {
            attributes,
            ..Default::default()
        }
    }
    /// With nested blocks.
    pub fn with_blocks(mut self, blocks: Vec<NestedBlock>) -> Self {
        self.blocks = blocks;
        self
    }
    /// With a Markdown description.
    pub fn description(mut self, md: &str) -> Self {
        self.description = md.to_owned();
        self
    }

    /// The object type of this block's values.
    pub fn value_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let obj = b.block.value_type();
            let t = match b.nesting {
                Nesting::Single => obj,
                Nesting::List => Type::list(obj),
                Nesting::Set => Type::set(obj),
                Nesting::Map => Type::map(obj),
            };
            attrs.insert(b.name.clone(), t);
        }
        Type::Object(attrs)
    }

    /// Looks up an attribute by name.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

impl Schema {
    /// A version-0 schema.
    pub fn new(block: Block) -> Self {
        Schema { version: 0, block }
    }
    /// With a state version.
    pub fn version(mut self, v: i64) -> Self {
        self.version = v;
        self
    }
    /// The object type of values of this schema.
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

/// Ready-made validators.
pub mod validators {
    use super::*;

    /// The string is one of a fixed set.
    pub struct OneOf(pub &'static [&'static str]);

    impl Validator for OneOf {
        fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
            if let Some(s) = value.as_str() {
                if !self.0.contains(&s) {
                    diags.attribute_error(
                        path.clone(),
                        "Invalid Attribute Value",
                        format!(
                            "{path} must be one of {}; got {s:?}.",
                            self.0
                                .iter()
                                .map(|x| format!("\"{x}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
        }
        fn description(&self) -> String {
            format!(
                "One of {}.",
                self.0
                    .iter()
                    // An empty code span renders as nothing: spell "" out.
                    .map(|x| if x.is_empty() {
                        "`\"\"`".to_owned()
                    } else {
                        format!("`{x}`")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    /// The number is a whole number in `[min, max]`.
    pub struct IntBetween(pub i64, pub i64);

    impl Validator for IntBetween {
        fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
            if let Value::Number(n) = value {
                match n.as_i64() {
                    Some(i) if i >= self.0 && i <= self.1 => {}
                    _ => diags.attribute_error(
                        path.clone(),
                        "Invalid Attribute Value",
                        format!(
                            "{path} must be a whole number from {} to {}; got {n}.",
                            self.0, self.1
                        ),
                    ),
                }
            }
        }
        fn description(&self) -> String {
            format!("A whole number from {} to {}.", self.0, self.1)
        }
    }

    /// Every element of a list or set passes the inner validator (which
    /// reports on the element's path, `name[i]`).
    pub struct Each<V>(pub V);

    impl<V: Validator> Validator for Each<V> {
        fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
            if let Value::List(items) | Value::Set(items) = value {
                for (i, v) in items.iter().enumerate() {
                    self.0.validate(v, &path.clone().index(i), diags);
                }
            }
        }
        fn description(&self) -> String {
            format!("Each element: {}", self.0.description())
        }
    }

    /// The string, when not empty, is an absolute `http://` or `https://`
    /// URL with a host (empty means "unset" to most providers).
    pub struct HttpUrl;

    impl HttpUrl {
        /// Why `s` is not such a URL, if it is not.
        pub fn problem(s: &str) -> Option<&'static str> {
            if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Some("contains spaces or control characters");
            }
            let Some(rest) = s
                .strip_prefix("https://")
                .or_else(|| s.strip_prefix("http://"))
            else {
                return Some("has no http:// or https:// scheme");
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let host_port = authority.rsplit('@').next().unwrap_or_default();
            let (host, port) = match host_port.rsplit_once(':') {
                Some((h, _)) if !h.ends_with(']') && h.contains(':') => (host_port, None),
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            };
            if host.is_empty() || host == "[]" {
                return Some("has no host");
            }
            if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
                return Some("has an invalid port");
            }
            None
        }
    }

    impl Validator for HttpUrl {
        fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
            let Some(s) = value.as_str().filter(|s| !s.is_empty()) else {
                return;
            };
            if let Some(why) = Self::problem(s) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid URL",
                    format!("{path} must be an absolute http:// or https:// URL such as https://example.com or http://127.0.0.1:5000; {s:?} {why}."),
                );
            }
        }
        fn description(&self) -> String {
            "An absolute `http://` or `https://` URL.".into()
        }
    }

    /// The string is not empty.
    pub struct NonEmpty;

    impl Validator for NonEmpty {
        fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
            if value.as_str().is_some_and(|s| s.trim().is_empty()) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Attribute Value",
                    format!("{path} must not be empty."),
                );
            }
        }
        fn description(&self) -> String {
            "Must not be empty.".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_type_includes_nested_blocks() {
        let b = Block::new(vec![Attribute::string("a").required()]).with_blocks(vec![
            NestedBlock::new(
                "opts",
                Nesting::List,
                Block::new(vec![Attribute::number("n").optional()]),
            )
            .items(0, 1),
        ]);
        assert_eq!(
            b.value_type(),
            Type::object([
                ("a", Type::String),
                ("opts", Type::list(Type::object([("n", Type::Number)])))
            ])
        );
    }

    #[test]
    fn default_implies_optional_computed() {
        let a = Attribute::string("device").default("lo");
        assert!(a.optional && a.computed && !a.required);
    }

    #[test]
    fn http_urls() {
        for (url, problem) in [
            ("http://127.0.0.1:5000", None),
            ("https://api.eu-west-1.example.com", None),
            ("https://vpce-1.api.us-east-1.vpce.example.com/", None),
            ("http://[::1]:5000/x", None),
            ("http://user@host:80", None),
            ("not a url", Some("contains spaces or control characters")),
            ("127.0.0.1:5000", Some("has no http:// or https:// scheme")),
            ("ftp://host", Some("has no http:// or https:// scheme")),
            ("http://", Some("has no host")),
            ("http://:80", Some("has no host")),
            ("http://host:99999", Some("has an invalid port")),
            ("http://host:0", Some("has an invalid port")),
            ("http://host:x", Some("has an invalid port")),
        ] {
            assert_eq!(validators::HttpUrl::problem(url), problem, "{url}");
        }
        let mut d = Diagnostics::new();
        validators::HttpUrl.validate(&"".into(), &AttributePath::root("u"), &mut d);
        assert!(d.is_empty(), "empty means unset");
    }

    #[test]
    fn one_of_spells_out_the_empty_string_in_docs() {
        use super::Validator as _;
        assert_eq!(
            validators::OneOf(&["true", "false", ""]).description(),
            "One of `true`, `false`, `\"\"`."
        );
    }

    #[test]
    fn validators_report_on_the_path() {
        let mut d = Diagnostics::new();
        validators::OneOf(&["a", "b"]).validate(&"c".into(), &AttributePath::root("f"), &mut d);
        validators::IntBetween(1, 10).validate(&Value::from(11), &AttributePath::root("p"), &mut d);
        validators::NonEmpty.validate(&"  ".into(), &AttributePath::root("n"), &mut d);
        validators::HttpUrl.validate(&"not a url".into(), &AttributePath::root("u"), &mut d);
        let v = d.into_vec();
        assert_eq!(v.len(), 4);
        assert_eq!(v[3].attribute, Some(AttributePath::root("u")));
        assert_eq!(v[0].attribute, Some(AttributePath::root("f")));
        assert!(v[1].detail.contains("1 to 10"));
    }
}
