//! Building the ECS client: the same settings as the EC2 client
//! ([`crate::ec2::client::Ec2Settings`]: Region, profile, credentials,
//! retries), with the ECS endpoint in `endpoint`. Building it makes no
//! network call.

use std::collections::BTreeMap;

use crate::call_counts::CallCounts;

use crate::ec2::client::{load_sdk_config, Ec2Settings};

/// An ECS client that counts its calls per operation.
#[derive(Clone, Debug)]
pub struct Ecs {
    pub(crate) client: aws_sdk_ecs::Client,
    calls: CallCounts,
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
            calls: CallCounts::default(),
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
            calls: CallCounts::default(),
        }
    }

    /// Counts one call of `operation` (logged at debug level).
    pub(crate) fn count(&self, operation: &'static str) {
        let n = self.calls.record(operation);
        tracing::debug!(ecs_operation = operation, ecs_calls = n, "ECS call");
    }

    /// API calls made so far, by operation.
    pub fn call_counts(&self) -> BTreeMap<&'static str, u64> {
        self.calls.snapshot()
    }
}
