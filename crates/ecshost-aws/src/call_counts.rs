//! Per-operation call counters shared by the EC2 and ECS clients: the
//! verification reports API calls per operation (`api_calls`), and the
//! benches compare them with the documented formula.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Counts calls by operation name. Clones share the counts; `default()`
/// starts a fresh set.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallCounts(Arc<Mutex<BTreeMap<&'static str, Arc<AtomicU64>>>>);

impl CallCounts {
    /// Counts one call of `operation`; the count so far, this one included.
    pub(crate) fn record(&self, operation: &'static str) -> u64 {
        let c = self
            .0
            .lock()
            .expect("call counter lock")
            .entry(operation)
            .or_default()
            .clone();
        c.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Calls counted so far, by operation.
    pub(crate) fn snapshot(&self) -> BTreeMap<&'static str, u64> {
        self.0
            .lock()
            .expect("call counter lock")
            .iter()
            .map(|(k, v)| (*k, v.load(Ordering::Relaxed)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::CallCounts;

    #[test]
    fn clones_share_and_default_starts_fresh() {
        let a = CallCounts::default();
        assert_eq!(a.record("DescribeInstances"), 1);
        let b = a.clone();
        assert_eq!(b.record("DescribeInstances"), 2);
        b.record("GetConsoleOutput");
        assert_eq!(
            a.snapshot().into_iter().collect::<Vec<_>>(),
            [("DescribeInstances", 2), ("GetConsoleOutput", 1)]
        );
        assert!(CallCounts::default().snapshot().is_empty());
    }
}
