//! Building the ECS client: the same settings as the EC2 client
//! ([`crate::ec2::client::Ec2Settings`]: Region, profile, credentials,
//! retries), with the ECS endpoint in `endpoint`. Building it makes no
//! network call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::ec2::client::{load_sdk_config, Ec2Settings};

/// An ECS client that counts its calls per operation.
#[derive(Clone, Debug)]
pub struct Ecs {
    pub(crate) client: aws_sdk_ecs::Client,
    calls: Arc<Mutex<BTreeMap<&'static str, Arc<AtomicU64>>>>,
}

impl Ecs {
    /// Builds the client (no network calls). `s.endpoint` is the ECS
    /// endpoint (`endpoints { ecs = … }`); without it the SDK resolves one
    /// like the AWS CLI (`AWS_ENDPOINT_URL_ECS`, `AWS_ENDPOINT_URL`, the
    /// shared config, the Region's public endpoint).
    pub async fn connect(s: &Ec2Settings) -> Ecs {
        let (sdk, retry) = load_sdk_config(s).await;
        let mut conf = aws_sdk_ecs::config::Builder::from(&sdk);
        if let Some(r) = retry {
            conf = conf.retry_config(r);
        }
        Ecs {
            client: aws_sdk_ecs::Client::from_conf(conf.build()),
            calls: Arc::default(),
        }
    }

    /// The underlying SDK client, for actions this layer does not wrap
    /// (tests register container instances with it).
    pub fn sdk(&self) -> &aws_sdk_ecs::Client {
        &self.client
    }

    /// The same client with its own call counters (see
    /// [`crate::ec2::client::Ec2::with_fresh_counters`]).
    pub fn with_fresh_counters(&self) -> Ecs {
        Ecs {
            client: self.client.clone(),
            calls: Arc::default(),
        }
    }

    /// Counts one call of `operation` (logged at debug level).
    pub(crate) fn count(&self, operation: &'static str) {
        let c = self
            .calls
            .lock()
            .expect("call counter lock")
            .entry(operation)
            .or_default()
            .clone();
        let n = c.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(ecs_operation = operation, ecs_calls = n, "ECS call");
    }

    /// API calls made so far, by operation.
    pub fn call_counts(&self) -> BTreeMap<&'static str, u64> {
        self.calls
            .lock()
            .expect("call counter lock")
            .iter()
            .map(|(k, v)| (*k, v.load(Ordering::Relaxed)))
            .collect()
    }
}
