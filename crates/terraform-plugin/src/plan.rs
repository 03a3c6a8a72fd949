//! The framework-native parts of validate and plan, applied uniformly from
//! the schema before any provider code runs: validators, defaults, computed
//! values becoming unknown, and the requires-replace / use-state-for-unknown
//! plan modifiers.

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::{Attribute, Block, Nesting, PlanModifier};
use super::value::Value;

/// Runs every attribute validator on known values and warns about
/// deprecated attributes that are set.
pub fn validate_block(
    block: &Block,
    config: &Value,
    path: &AttributePath,
    diags: &mut Diagnostics,
) {
    for a in &block.attributes {
        let v = config.attr(&a.name);
        let p = if path.0.is_empty() {
            AttributePath::root(&a.name)
        } else {
            path.attr(&a.name)
        };
        validate_attribute(a, v, &p, diags);
    }
    for b in &block.blocks {
        let p = if path.0.is_empty() {
            AttributePath::root(&b.name)
        } else {
            path.attr(&b.name)
        };
        for_each_element(config.attr(&b.name), b.nesting, &p, |el, ep| {
            validate_block(&b.block, el, ep, diags);
        });
    }
}

fn validate_attribute(a: &Attribute, v: &Value, p: &AttributePath, diags: &mut Diagnostics) {
    if v.is_null() || v.is_unknown() {
        return;
    }
    if a.deprecated {
        diags.attribute_warning(
            p.clone(),
            "Deprecated Attribute",
            format!("{p} is deprecated. {}", a.description),
        );
    }
    for val in &a.validators {
        val.validate(v, p, diags);
    }
    if let Some((nesting, attrs)) = &a.nested {
        let inner = Block::new(attrs.clone());
        for_each_element(v, *nesting, p, |el, ep| {
            validate_block(&inner, el, ep, diags)
        });
    }
}

/// Calls `f` for each object element of a nested block/attribute value.
fn for_each_element(
    v: &Value,
    nesting: Nesting,
    p: &AttributePath,
    mut f: impl FnMut(&Value, &AttributePath),
) {
    match (nesting, v) {
        (Nesting::Single, Value::Object(_)) => f(v, p),
        (Nesting::List | Nesting::Set, Value::List(items) | Value::Set(items)) => {
            for (i, el) in items.iter().enumerate() {
                f(el, &p.index(i));
            }
        }
        (Nesting::Map, Value::Map(m)) => {
            for (k, el) in m {
                f(el, &p.key(k));
            }
        }
        _ => {}
    }
}

/// Fills schema defaults into `target` wherever `config` is null. Used for
/// plans and for data source reads (whose config Terraform passes raw).
pub fn apply_defaults(block: &Block, config: &Value, target: &mut Value) {
    let Value::Object(map) = target else { return };
    for a in &block.attributes {
        if let Some(d) = &a.default {
            if config.attr(&a.name).is_null() {
                map.insert(a.name.clone(), d.clone());
            }
        }
    }
    for b in &block.blocks {
        let cfg = config.attr(&b.name);
        if let Some(t) = map.get_mut(&b.name) {
            zip_elements(&b.block, b.nesting, cfg, t, &mut |blk, c, t| {
                apply_defaults(blk, c, t)
            });
        }
    }
}

/// `config` with schema defaults filled in where it is null: what data
/// source reads, provider configuration and defaults-aware validation see.
pub fn with_defaults(block: &Block, config: &Value) -> Value {
    let mut filled = config.clone();
    apply_defaults(block, config, &mut filled);
    filled
}

/// Pairs config and target elements of a nested block by position (sets
/// too: Terraform keeps proposed set elements in config order).
fn zip_elements(
    block: &Block,
    nesting: Nesting,
    cfg: &Value,
    target: &mut Value,
    f: &mut dyn FnMut(&Block, &Value, &mut Value),
) {
    match (nesting, cfg, target) {
        (Nesting::Single, c, t @ Value::Object(_)) => f(block, c, t),
        (
            Nesting::List | Nesting::Set,
            Value::List(cs) | Value::Set(cs),
            Value::List(ts) | Value::Set(ts),
        ) => {
            for (c, t) in cs.iter().zip(ts.iter_mut()) {
                f(block, c, t);
            }
        }
        _ => {}
    }
}

/// Marks computed attributes the configuration leaves null as unknown, or
/// keeps their prior value where `UseStateForUnknown` says so.
fn mark_computed_unknown(block: &Block, config: &Value, prior: &Value, target: &mut Value) {
    let Value::Object(map) = target else { return };
    for a in &block.attributes {
        if !a.computed || !config.attr(&a.name).is_null() || a.default.is_some() {
            continue;
        }
        let prior_v = prior.attr(&a.name);
        let keep =
            a.plan_modifiers.contains(&PlanModifier::UseStateForUnknown) && !prior_v.is_null();
        map.insert(
            a.name.clone(),
            if keep {
                prior_v.clone()
            } else {
                Value::Unknown
            },
        );
    }
    for b in &block.blocks {
        let cfg = config.attr(&b.name);
        let pr = prior.attr(&b.name).clone();
        if let Some(t) = map.get_mut(&b.name) {
            let mut idx = 0usize;
            zip_elements(&b.block, b.nesting, cfg, t, &mut |blk, c, t| {
                let p = match (&pr, b.nesting) {
                    (Value::List(ps) | Value::Set(ps), Nesting::List) => {
                        ps.get(idx).cloned().unwrap_or(Value::Null)
                    }
                    (v @ Value::Object(_), Nesting::Single) => v.clone(),
                    _ => Value::Null,
                };
                idx += 1;
                mark_computed_unknown(blk, c, &p, t);
            });
        }
    }
}

/// The paths of `RequiresReplace` attributes whose planned value differs
/// from the prior state.
fn requires_replace(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    for a in &block.attributes {
        if !a.plan_modifiers.contains(&PlanModifier::RequiresReplace) {
            continue;
        }
        let (p, n) = (prior.attr(&a.name), planned.attr(&a.name));
        if !n.semantically_eq(p) {
            out.push(if path.0.is_empty() {
                AttributePath::root(&a.name)
            } else {
                path.attr(&a.name)
            });
        }
    }
}

/// Computes the planned state for a create or update (`proposed` not null).
pub fn plan(
    block: &Block,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> (Value, Vec<AttributePath>) {
    let mut planned = proposed.clone();
    apply_defaults(block, config, &mut planned);
    let changed = prior.is_null() || !planned.semantically_eq(prior);
    if changed {
        mark_computed_unknown(block, config, prior, &mut planned);
    }
    let mut rr = Vec::new();
    if !prior.is_null() {
        requires_replace(block, prior, &planned, &AttributePath::default(), &mut rr);
    }
    (planned, rr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{validators::OneOf, Attribute, NestedBlock};
    use std::collections::BTreeMap;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    fn block() -> Block {
        Block::new(vec![
            Attribute::string("id").computed().use_state_for_unknown(),
            Attribute::string("name").required().requires_replace(),
            Attribute::string("mode")
                .default("a")
                .validator(OneOf(&["a", "b"])),
            Attribute::string("version").computed(),
        ])
        .with_blocks(vec![NestedBlock::new(
            "opts",
            Nesting::List,
            Block::new(vec![Attribute::number("n").default(2i64)]),
        )])
    }

    #[test]
    fn create_fills_defaults_and_unknowns() {
        let cfg = obj(&[
            ("id", Value::Null),
            ("name", "x".into()),
            ("mode", Value::Null),
            ("version", Value::Null),
            ("opts", Value::List(vec![obj(&[("n", Value::Null)])])),
        ]);
        let (p, rr) = plan(&block(), &Value::Null, &cfg, &cfg);
        assert_eq!(p.attr("mode"), &Value::from("a"));
        assert!(p.attr("id").is_unknown());
        assert!(p.attr("version").is_unknown());
        assert_eq!(
            p.attr("opts"),
            &Value::List(vec![obj(&[("n", Value::from(2i64))])])
        );
        assert!(rr.is_empty());
    }

    #[test]
    fn no_change_keeps_prior_and_update_keeps_stable_ids() {
        let prior = obj(&[
            ("id", "i-1".into()),
            ("name", "x".into()),
            ("mode", "a".into()),
            ("version", "1".into()),
            ("opts", Value::List(vec![])),
        ]);
        let cfg = obj(&[
            ("id", Value::Null),
            ("name", "x".into()),
            ("mode", Value::Null),
            ("version", Value::Null),
            ("opts", Value::List(vec![])),
        ]);
        let proposed = obj(&[
            ("id", "i-1".into()),
            ("name", "x".into()),
            ("mode", "a".into()),
            ("version", "1".into()),
            ("opts", Value::List(vec![])),
        ]);
        let (p, _) = plan(&block(), &prior, &proposed, &cfg);
        assert_eq!(p, prior, "no change, no unknowns");

        let cfg2 = obj(&[
            ("id", Value::Null),
            ("name", "x".into()),
            ("mode", "b".into()),
            ("version", Value::Null),
            ("opts", Value::List(vec![])),
        ]);
        let mut proposed2 = proposed.clone();
        *proposed2.attr_mut("mode").unwrap() = "b".into();
        let (p, rr) = plan(&block(), &prior, &proposed2, &cfg2);
        assert_eq!(p.attr("id"), &Value::from("i-1"));
        assert!(p.attr("version").is_unknown());
        assert!(rr.is_empty());
    }

    #[test]
    fn rename_requires_replace() {
        let prior = obj(&[
            ("id", "i-1".into()),
            ("name", "x".into()),
            ("mode", "a".into()),
            ("version", "1".into()),
            ("opts", Value::List(vec![])),
        ]);
        let mut proposed = prior.clone();
        *proposed.attr_mut("name").unwrap() = "y".into();
        let (_, rr) = plan(&block(), &prior, &proposed, &proposed);
        assert_eq!(rr, vec![AttributePath::root("name")]);
    }

    #[test]
    fn validators_skip_unknown_and_report_paths() {
        let mut d = Diagnostics::new();
        let cfg = obj(&[("mode", Value::Unknown)]);
        validate_block(&block(), &cfg, &AttributePath::default(), &mut d);
        assert!(d.is_empty());
        validate_block(
            &block(),
            &obj(&[("mode", "zz".into())]),
            &AttributePath::default(),
            &mut d,
        );
        assert_eq!(
            d.iter().next().unwrap().attribute,
            Some(AttributePath::root("mode"))
        );
    }
}
