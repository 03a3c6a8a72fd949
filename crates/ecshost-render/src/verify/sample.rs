//! Which instances get the per-instance ("deep") checks when only a sample
//! of each template version is asked for. Pure and deterministic: the same
//! seed and fleet give the same sample, so a plan and its apply judge the
//! same instances.
//!
//! Each instance is ranked by SHA-256 of `seed`, a NUL and its id (uniform
//! and independent of the order EC2 lists instances in); per group (its
//! template and version) the `per_group` lowest ranks are drawn, running
//! instances first (only they have a console to read). Adding or removing
//! an instance displaces at most one sampled instance of its group, so a
//! fleet that changes a little between plan and apply keeps almost the
//! same sample.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest as _, Sha256};

/// One candidate for the sample.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// instance id
    pub id: &'a str,
    /// what it is sampled within: its template and version
    pub group: (Option<&'a str>, Option<&'a str>),
    /// its state is `running`
    pub running: bool,
}

fn rank(seed: &str, id: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update([0]);
    h.update(id.as_bytes());
    h.finalize().into()
}

/// The ids drawn: `per_group` of each group (all of a smaller group).
pub fn draw(seed: &str, candidates: &[Candidate<'_>], per_group: usize) -> BTreeSet<String> {
    let mut groups: BTreeMap<_, Vec<(bool, [u8; 32], &str)>> = BTreeMap::new();
    for c in candidates {
        groups
            .entry(c.group)
            .or_default()
            .push((!c.running, rank(seed, c.id), c.id));
    }
    let mut out = BTreeSet::new();
    for (_, mut members) in groups {
        members.sort_unstable();
        out.extend(
            members
                .into_iter()
                .take(per_group)
                .map(|(_, _, id)| id.to_owned()),
        );
    }
    out
}

/// A seed made of `parts` (hex, 16 digits): the data source's default,
/// from its configuration, so its plan-time and apply-time reads draw the
/// same sample.
pub fn seed_from(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet<'a>(ids: &'a [String], version: &'static str) -> Vec<Candidate<'a>> {
        ids.iter()
            .map(|id| Candidate {
                id,
                group: (Some("lt-1"), Some(version)),
                running: true,
            })
            .collect()
    }

    fn ids(n: usize, prefix: &str) -> Vec<String> {
        (0..n).map(|i| format!("i-{prefix}{i:05}")).collect()
    }

    #[test]
    fn per_group_and_stable_for_a_seed() {
        let (a, b) = (ids(100, "a"), ids(7, "b"));
        let mut c = fleet(&a, "1");
        c.extend(fleet(&b, "2"));
        let s = draw("seed", &c, 20);
        assert_eq!(s.len(), 27, "20 of version 1, all 7 of version 2");
        assert!(b.iter().all(|id| s.contains(id)));
        // Same seed, other listing order: same sample.
        let mut reversed = c.clone();
        reversed.reverse();
        assert_eq!(draw("seed", &reversed, 20), s);
        // Another seed draws another sample.
        assert_ne!(draw("other", &c, 20), s);
        assert!(draw("seed", &c, 0).is_empty());
    }

    #[test]
    fn a_new_instance_displaces_at_most_one() {
        let mut a = ids(200, "a");
        let before = draw("s", &fleet(&a, "1"), 20);
        a.push("i-new".into());
        let after = draw("s", &fleet(&a, "1"), 20);
        assert!(before.difference(&after).count() <= 1);
        assert_eq!(after.len(), 20);
    }

    #[test]
    fn running_instances_are_drawn_first() {
        let a = ids(30, "a");
        let mut c = fleet(&a, "1");
        for x in c.iter_mut().skip(10) {
            x.running = false;
        }
        let s = draw("s", &c, 10);
        assert_eq!(s, a[..10].iter().cloned().collect());
    }

    #[test]
    fn seeds_from_configuration_are_stable() {
        assert_eq!(seed_from(&["lt-1", "3"]), seed_from(&["lt-1", "3"]));
        assert_ne!(seed_from(&["lt-1", "3"]), seed_from(&["lt-13", ""]));
        assert_eq!(seed_from(&["x"]).len(), 16);
    }
}
