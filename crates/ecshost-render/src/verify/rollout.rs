//! Is the rollout done? The gate's conditions over a fleet's verdicts.
//! Pure: counts in, shortfalls out.
//!
//! - `min_healthy`: at least this many instances launched from the
//!   expected version are healthy (no problems, nothing pending);
//! - `min_healthy_percent`: at least this share of the instances launched
//!   from the expected version are healthy (rounded up), and at least one
//!   such instance exists: a rollout that launched nothing is not done;
//! - `max_old_versions`: at most this many instances of the template's
//!   other versions still serve (running, and not being taken out of
//!   service by ECS).

/// The conditions; `None`: not asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Goal {
    /// healthy instances of the expected version, at least
    pub min_healthy: Option<u64>,
    /// healthy share of the expected version's instances, in percent
    pub min_healthy_percent: Option<u64>,
    /// instances of other versions still serving, at most
    pub max_old_versions: Option<u64>,
}

impl Goal {
    /// True when any condition is set (the gate then judges the rollout,
    /// not every instance).
    pub fn is_set(&self) -> bool {
        self.min_healthy.is_some()
            || self.min_healthy_percent.is_some()
            || self.max_old_versions.is_some()
    }
}

/// What the fleet looks like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// instances launched from the expected version
    pub launched: u64,
    /// of those, healthy
    pub healthy: u64,
    /// instances of other versions still serving
    pub old_serving: u64,
}

/// Healthy instances of the expected version the goal needs.
pub fn required_healthy(g: &Goal, launched: u64) -> u64 {
    let by_share = g
        .min_healthy_percent
        .map(|p| (launched * p).div_ceil(100).max(1))
        .unwrap_or(0);
    g.min_healthy.unwrap_or(0).max(by_share)
}

/// Why the rollout is not done; empty when it is.
pub fn shortfalls(g: &Goal, c: &Counts, version: &str) -> Vec<String> {
    let mut out = Vec::new();
    let need = required_healthy(g, c.launched);
    if c.healthy < need {
        let why = match (g.min_healthy, g.min_healthy_percent) {
            (Some(n), Some(p)) => format!("min_healthy = {n}, min_healthy_percent = {p}"),
            (Some(n), None) => format!("min_healthy = {n}"),
            (None, Some(p)) => format!("min_healthy_percent = {p}"),
            (None, None) => String::new(),
        };
        out.push(if c.launched == 0 {
            format!("no instance of version {version} yet; {need} healthy needed ({why})")
        } else {
            format!(
                "{} of {} instance{} of version {version} healthy; {need} needed ({why})",
                c.healthy,
                c.launched,
                if c.launched == 1 { "" } else { "s" }
            )
        });
    }
    if let Some(max) = g.max_old_versions {
        if c.old_serving > max {
            out.push(format!(
                "{} instance{} of other versions still serving; at most {max} allowed (max_old_versions)",
                c.old_serving,
                if c.old_serving == 1 { "" } else { "s" }
            ));
        }
    }
    out
}

/// EC2 states an instance does not come back from by waiting.
const GONE: [&str; 4] = ["stopping", "stopped", "shutting-down", "terminated"];

/// Why an instance of the expected version can never become healthy by
/// waiting, if it cannot: its self-check report says `fail` (the host ran
/// the version's user data and the design does not hold on it), or it is
/// stopped or terminated. `None` for anything that may still change
/// (booting, no report yet, pending ECS registration, other problems).
/// The gate ends its wait at once on such an instance.
pub fn final_failure(f: &super::Facts) -> Option<String> {
    if GONE.contains(&f.state.as_str()) {
        return Some(format!("{} is {}", f.id, f.state));
    }
    match &f.runtime {
        super::Runtime::Reported(r) if !r.ok || !r.failed().is_empty() => {
            Some(format!("{}: {}", f.id, super::self_check_failure(r)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_rounds_up_and_needs_at_least_one() {
        let g = Goal {
            min_healthy_percent: Some(90),
            ..Goal::default()
        };
        assert_eq!(required_healthy(&g, 10), 9);
        assert_eq!(required_healthy(&g, 11), 10);
        assert_eq!(required_healthy(&g, 0), 1);
        let both = Goal {
            min_healthy: Some(5),
            min_healthy_percent: Some(50),
            ..Goal::default()
        };
        assert_eq!(required_healthy(&both, 4), 5);
        assert_eq!(required_healthy(&both, 20), 10);
        assert_eq!(required_healthy(&Goal::default(), 7), 0);
    }

    #[test]
    fn shortfalls_say_what_is_missing() {
        let g = Goal {
            min_healthy_percent: Some(100),
            max_old_versions: Some(0),
            ..Goal::default()
        };
        assert!(g.is_set() && !Goal::default().is_set());
        let c = Counts {
            launched: 4,
            healthy: 3,
            old_serving: 2,
        };
        assert_eq!(
            shortfalls(&g, &c, "7"),
            [
                "3 of 4 instances of version 7 healthy; 4 needed (min_healthy_percent = 100)",
                "2 instances of other versions still serving; at most 0 allowed (max_old_versions)"
            ]
        );
        let none = Counts::default();
        assert_eq!(
            shortfalls(&g, &none, "7"),
            ["no instance of version 7 yet; 1 healthy needed (min_healthy_percent = 100)"]
        );
        let done = Counts {
            launched: 4,
            healthy: 4,
            old_serving: 0,
        };
        assert!(shortfalls(&g, &done, "7").is_empty());
        // min_healthy = 0 alone accepts an empty rollout.
        let zero = Goal {
            min_healthy: Some(0),
            ..Goal::default()
        };
        assert!(shortfalls(&zero, &none, "7").is_empty());
    }
}
