//! Logs to stderr as hclog JSON lines, the format go-plugin parses, so
//! `TF_LOG=debug terraform plan` shows provider lines with their levels
//! (other lines would all land at one level). The level comes from
//! `TF_LOG_PROVIDER`, else `TF_LOG`; without either only warnings and
//! errors are written. Nothing is ever written to stdout after the
//! handshake.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the stderr logger for the process. `module` is the hclog module
/// name Terraform shows (by convention `provider.terraform-provider-<name>`);
/// `targets` are the provider's own tracing targets (its crate names) that
/// log at the level Terraform asks for. This crate's own target always does;
/// everything else (the gRPC stack) only at trace, else warnings.
pub fn init(module: &'static str, targets: &[&str]) {
    let level = level_from_env(
        std::env::var("TF_LOG_PROVIDER")
            .ok()
            .or_else(|| std::env::var("TF_LOG").ok())
            .as_deref(),
    );
    // The gRPC stack's own chatter (frames, settings) only at trace.
    let deps = if level == LevelFilter::TRACE {
        LevelFilter::TRACE
    } else {
        LevelFilter::WARN
    };
    let filter = targets.iter().fold(
        tracing_subscriber::filter::Targets::new()
            .with_default(deps)
            .with_target(env!("CARGO_CRATE_NAME"), level),
        |f, t| f.with_target(t.to_string(), level),
    );
    let _ = tracing_subscriber::registry()
        .with(HclogLayer { module }.with_filter(filter))
        .try_init();
}

/// Maps Terraform's log level names to a filter.
pub fn level_from_env(v: Option<&str>) -> LevelFilter {
    match v.map(str::to_ascii_uppercase).as_deref() {
        Some("TRACE" | "JSON") => LevelFilter::TRACE,
        Some("DEBUG") => LevelFilter::DEBUG,
        Some("INFO") => LevelFilter::INFO,
        Some("ERROR") => LevelFilter::ERROR,
        Some("OFF") => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    }
}

struct HclogLayer {
    module: &'static str,
}

struct Fields(Map<String, Json>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let key = if field.name() == "message" {
            "@message"
        } else {
            field.name()
        };
        self.0
            .insert(key.to_owned(), Json::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        let key = if field.name() == "message" {
            "@message"
        } else {
            field.name()
        };
        self.0
            .insert(key.to_owned(), Json::String(value.to_owned()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut f = Fields(Map::new());
        event.record(&mut f);
        let mut m = f.0;
        let level = match *event.metadata().level() {
            Level::TRACE => "trace",
            Level::DEBUG => "debug",
            Level::INFO => "info",
            Level::WARN => "warn",
            Level::ERROR => "error",
        };
        m.insert("@level".into(), level.into());
        m.insert("@module".into(), self.module.into());
        m.insert(
            "@timestamp".into(),
            timestamp(std::time::SystemTime::now()).into(),
        );
        m.entry("@message")
            .or_insert_with(|| Json::String(String::new()));
        let mut line = Json::Object(m).to_string();
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// hclog's timestamp layout, `2006-01-02T15:04:05.000000Z07:00`, in UTC
/// (go-plugin rejects a line whose timestamp does not parse).
pub fn timestamp(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, mo, da) = civil_from_days(days as i64);
    let mut s = String::with_capacity(27);
    let _ = write!(
        s,
        "{y:04}-{mo:02}-{da:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    );
    s
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn timestamps_use_hclog_layout() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_906_373_123_456);
        assert_eq!(timestamp(t), "2026-11-28T22:52:53.123456Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        // a leap day
        assert_eq!(
            timestamp(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn level_names_follow_terraform() {
        assert_eq!(level_from_env(Some("debug")), LevelFilter::DEBUG);
        assert_eq!(level_from_env(Some("JSON")), LevelFilter::TRACE);
        assert_eq!(level_from_env(None), LevelFilter::WARN);
    }
}
