//! Building the EC2 client: everything falls back to the standard AWS
//! environment and shared config, like the AWS CLI. Building it makes no
//! network call; credentials are resolved on the first API call.

use std::collections::BTreeMap;

use crate::call_counts::CallCounts;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};

use super::error::Ec2Error;

/// The SDK's retry modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryMode {
    /// exponential backoff with jitter and a retry quota
    Standard,
    /// standard plus client-side rate limiting
    Adaptive,
}

/// Client settings; `None` means "as the AWS CLI would decide".
#[derive(Clone, Debug, Default)]
pub struct Ec2Settings {
    /// Region
    pub region: Option<String>,
    /// shared-config profile
    pub profile: Option<String>,
    /// endpoint override (VPC endpoint, emulator)
    pub endpoint: Option<String>,
    /// attempts per call, retries included
    pub max_attempts: Option<u32>,
    /// retry mode
    pub retry_mode: Option<RetryMode>,
    /// fixed credentials instead of the default chain: for embedders and
    /// tests (the provider block never sets them: credentials do not belong
    /// in configuration). Their `Debug` output redacts the secret.
    pub static_credentials: Option<aws_sdk_ec2::config::Credentials>,
}

/// The shared AWS configuration of `s` (Region, profile, endpoint,
/// credentials) and the retry policy it asks for (`None`: the SDK's).
/// Used for every AWS client of the provider (EC2 here, ECS in
/// [`crate::ecs`]), so they resolve settings the same way.
pub(crate) async fn load_sdk_config(
    s: &Ec2Settings,
) -> (aws_config::SdkConfig, Option<RetryConfig>) {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(r) = &s.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(p) = &s.profile {
        loader = loader.profile_name(p);
    }
    if let Some(e) = &s.endpoint {
        loader = loader.endpoint_url(e);
    }
    if let Some(c) = &s.static_credentials {
        loader = loader.credentials_provider(c.clone());
    }
    let sdk = loader.load().await;
    let mut retry = match s.retry_mode {
        Some(RetryMode::Adaptive) => Some(RetryConfig::adaptive()),
        Some(RetryMode::Standard) => Some(RetryConfig::standard()),
        None => sdk.retry_config().cloned(),
    };
    if let Some(n) = s.max_attempts {
        retry = Some(
            retry
                .unwrap_or_else(RetryConfig::standard)
                .with_max_attempts(n),
        );
    }
    (sdk, retry)
}

/// An EC2 client that counts its calls per operation.
#[derive(Clone, Debug)]
pub struct Ec2 {
    pub(crate) client: aws_sdk_ec2::Client,
    pub(crate) region: String,
    calls: CallCounts,
}

impl Ec2 {
    /// Builds the client (no network calls).
    pub async fn connect(s: &Ec2Settings) -> Result<Ec2, Ec2Error> {
        let (sdk, retry) = load_sdk_config(s).await;
        let mut conf = aws_sdk_ec2::config::Builder::from(&sdk);
        if let Some(r) = retry {
            conf = conf.retry_config(r);
        }
        let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
        Ok(Ec2 {
            client: aws_sdk_ec2::Client::from_conf(conf.build()),
            region,
            calls: CallCounts::default(),
        })
    }

    /// The underlying SDK client, for actions this layer does not wrap
    /// (tests launch instances with it).
    pub fn sdk(&self) -> &aws_sdk_ec2::Client {
        &self.client
    }

    /// The Region this client calls.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The same client (credentials, retry policy, endpoint override,
    /// call counters) calling `region` instead: for resources that name
    /// their own Region (hashicorp/aws 6.x's per-resource `region`). No
    /// network calls.
    pub fn in_region(&self, region: &str) -> Ec2 {
        if region == self.region {
            return self.clone();
        }
        let conf = self
            .client
            .config()
            .to_builder()
            .region(Region::new(region.to_owned()))
            .build();
        Ec2 {
            client: aws_sdk_ec2::Client::from_conf(conf),
            region: region.to_owned(),
            calls: self.calls.clone(),
        }
    }

    /// The same client (connection pool, credentials, retry policy) with
    /// its own call counters: for counting one operation's calls while
    /// others run concurrently.
    pub fn with_fresh_counters(&self) -> Ec2 {
        Ec2 {
            client: self.client.clone(),
            region: self.region.clone(),
            calls: CallCounts::default(),
        }
    }

    /// Counts one call of `operation` (logged at debug level).
    pub(crate) fn count(&self, operation: &'static str) {
        let n = self.calls.record(operation);
        tracing::debug!(ec2_operation = operation, ec2_calls = n, "EC2 call");
    }

    /// API calls made so far, by operation.
    pub fn call_counts(&self) -> BTreeMap<&'static str, u64> {
        self.calls.snapshot()
    }
}
