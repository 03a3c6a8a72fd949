//! Durations written the way Terraform users know them from other providers'
//! `timeouts` (Go's `time.ParseDuration` subset: `90s`, `5m`, `1h30m`,
//! `250ms`). Parsed by hand: the grammar is a dozen lines, not worth a crate.

use std::time::Duration;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::Validator;
use super::value::Value;

/// Why a duration string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty string.
    #[error("empty duration")]
    Empty,
    /// A number without a unit, an unknown unit or stray characters.
    #[error("invalid duration {0:?}: use a number and a unit such as 30s, 5m, 1h30m or 500ms")]
    Invalid(String),
    /// More than a day: no wait of this provider should take that long.
    #[error("duration {0:?} is longer than 24h")]
    TooLong(String),
}

/// Parses `"0"`, `"30s"`, `"1m30s"`, `"250ms"`, `"2h"` (units ms, s, m, h;
/// whole numbers).
pub fn parse(s: &str) -> Result<Duration, DurationError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DurationError::Empty);
    }
    if t == "0" {
        return Ok(Duration::ZERO);
    }
    let bad = || DurationError::Invalid(s.to_owned());
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let one = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let part = one
            .checked_mul(u32::try_from(n).map_err(|_| DurationError::TooLong(s.to_owned()))?)
            .ok_or_else(|| DurationError::TooLong(s.to_owned()))?;
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    if total > Duration::from_secs(86_400) {
        return Err(DurationError::TooLong(s.to_owned()));
    }
    Ok(total)
}

/// Validator: the string is a duration [`parse`] accepts.
pub struct IsDuration;

impl Validator for IsDuration {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            if let Err(e) = parse(s) {
                diags.attribute_error(path.clone(), "Invalid Duration", format!("{path}: {e}."));
            }
        }
    }
    fn description(&self) -> String {
        "A duration such as `30s`, `5m` or `1h30m` (at most `24h`).".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_go_style_durations() {
        for (s, d) in [
            ("0", 0),
            ("0s", 0),
            ("30s", 30_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("1m30s", 90_000),
            ("250ms", 250),
            (" 2s ", 2_000),
            ("24h", 86_400_000),
        ] {
            assert_eq!(parse(s), Ok(Duration::from_millis(d)), "{s}");
        }
    }

    #[test]
    fn refuses_what_go_would_refuse_or_we_would_not_wait_for() {
        assert_eq!(parse(""), Err(DurationError::Empty));
        for s in ["5", "s", "5x", "1.5s", "-1s", "5 m", "m5", "1d"] {
            assert!(matches!(parse(s), Err(DurationError::Invalid(_))), "{s}");
        }
        for s in ["25h", "99999999999h", "4294967296s"] {
            assert!(matches!(parse(s), Err(DurationError::TooLong(_))), "{s}");
        }
    }

    #[test]
    fn validator_points_at_the_attribute() {
        let mut d = Diagnostics::new();
        IsDuration.validate(
            &Value::from("5 minutes"),
            &AttributePath::root("timeout"),
            &mut d,
        );
        let v = d.into_vec();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].attribute, Some(AttributePath::root("timeout")));
        assert!(v[0].detail.contains("30s, 5m"), "{}", v[0].detail);
    }
}
