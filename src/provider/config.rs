//! The `provider "ecshost" {}` block and the EC2 and ECS clients it
//! configures (same Region, profile, credentials and retries; own
//! endpoints).
//!
//! Only resources that need AWS contact it: the client is built on first
//! use, so the render data sources work with no credentials at all, and a
//! missing credential surfaces as one diagnostic on the resource that
//! needed it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use tokio::sync::OnceCell;

use crate::ec2::client::{Ec2, Ec2Settings, RetryMode};
use crate::ecs::client::Ecs;
use crate::sdk::schema::validators::{HttpUrl, IntBetween, OneOf};
use crate::sdk::schema::Validator;
use crate::sdk::{
    Attribute, AttributePath, Block, Diagnostics, NestedBlock, Nesting, Schema, Value,
};

/// Provider-wide state shared by the resources.
#[derive(Default)]
pub(crate) struct ProviderState {
    settings: Mutex<Option<Ec2Settings>>,
    /// `endpoints { ecs = … }`
    ecs_endpoint: Mutex<Option<String>>,
    default_tags: Mutex<BTreeMap<String, String>>,
    client: OnceCell<Result<Ec2, String>>,
    /// [`Self::ec2_in`]'s clients for Regions other than the provider's,
    /// one per Region, built on first use from `client`
    regional: Mutex<HashMap<String, Ec2>>,
    ecs_client: OnceCell<Ecs>,
}

impl ProviderState {
    /// Records the provider configuration (no network calls).
    pub(crate) fn configure(&self, cfg: &Value) -> Diagnostics {
        let s = |v: &Value| v.as_str().map(str::to_owned).filter(|s| !s.is_empty());
        let endpoint_of = |service: &str| match cfg.attr("endpoints") {
            Value::List(items) => items.first().and_then(|e| s(e.attr(service))),
            _ => None,
        };
        let endpoint = endpoint_of("ec2");
        *self.ecs_endpoint.lock().expect("settings lock") = endpoint_of("ecs");
        let max_attempts = match cfg.attr("max_attempts") {
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        };
        let retry_mode = match cfg.attr("retry_mode").as_str() {
            Some("adaptive") => Some(RetryMode::Adaptive),
            Some("standard") => Some(RetryMode::Standard),
            _ => None,
        };
        *self.settings.lock().expect("settings lock") = Some(Ec2Settings {
            region: s(cfg.attr("region")),
            profile: s(cfg.attr("profile")),
            endpoint,
            max_attempts,
            retry_mode,
            static_credentials: None,
        });
        let tags = match cfg.attr("default_tags") {
            Value::List(items) => match items.first().map(|d| d.attr("tags")) {
                Some(Value::Map(m)) => m
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect(),
                _ => BTreeMap::new(),
            },
            _ => BTreeMap::new(),
        };
        *self.default_tags.lock().expect("tags lock") = tags;
        Diagnostics::new()
    }

    /// `default_tags` of the provider block.
    pub(crate) fn default_tags(&self) -> BTreeMap<String, String> {
        self.default_tags.lock().expect("tags lock").clone()
    }

    /// The EC2 client, built on first use.
    pub(crate) async fn ec2(&self) -> Result<&Ec2, Diagnostics> {
        let settings = self
            .settings
            .lock()
            .expect("settings lock")
            .clone()
            .unwrap_or_default();
        let r = self
            .client
            .get_or_init(|| async move {
                Ec2::connect(&settings)
                    .await
                    .map_err(|e| super::aws_errors::detail(&e))
            })
            .await;
        r.as_ref()
            .map_err(|e| Diagnostics::from_error("Unable to Configure the EC2 Client", e.clone()))
    }
}

impl ProviderState {
    /// The EC2 client for `region` (`None` or empty: the provider's
    /// Region), for resources with hashicorp/aws 6.x's per-resource
    /// `region`. The provider's client ([`Ec2::in_region`] of it for
    /// another Region, built once per Region and kept): clones share the
    /// SDK client and the call counters.
    pub(crate) async fn ec2_in(&self, region: Option<&str>) -> Result<Ec2, Diagnostics> {
        let base = self.ec2().await?;
        let Some(r) = region.filter(|r| !r.is_empty() && *r != base.region()) else {
            return Ok(base.clone());
        };
        Ok(self
            .regional
            .lock()
            .expect("regional clients lock")
            .entry(r.to_owned())
            .or_insert_with(|| base.in_region(r))
            .clone())
    }

    /// The ECS client, built on first use (only verifications with
    /// `ecs_cluster` ask for it): the EC2 client's settings with the ECS
    /// endpoint.
    pub(crate) async fn ecs(&self) -> &Ecs {
        let mut settings = self
            .settings
            .lock()
            .expect("settings lock")
            .clone()
            .unwrap_or_default();
        settings.endpoint = self.ecs_endpoint.lock().expect("settings lock").clone();
        self.ecs_client
            .get_or_init(|| async move { Ecs::connect(&settings).await })
            .await
    }
}

/// An AWS Region name such as `eu-west-1` or `us-gov-west-1`: without it
/// the SDK builds an endpoint host that does not resolve, and the error
/// surfaces on the first resource, far from the typo.
pub(crate) struct AwsRegion;

impl AwsRegion {
    /// Whether `s` is spelt as a Region name (`eu-west-1`, `us-gov-west-1`).
    pub(crate) fn is_region(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() >= 3
            && parts[0].len() >= 2
            && parts[0].bytes().all(|b| b.is_ascii_lowercase())
            && parts[1..parts.len() - 1].iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty()
    }
}

impl Validator for AwsRegion {
    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        let Some(s) = value.as_str().filter(|s| !s.is_empty()) else {
            return;
        };
        if Self::is_region(s) {
            return;
        }
        let az = s.trim_end_matches(|c: char| c.is_ascii_lowercase());
        let hint = if az != s && Self::is_region(az) {
            format!(" {s:?} is an Availability Zone; its Region is {az:?}.")
        } else if Self::is_region(&s.trim().to_ascii_lowercase()) {
            format!(" Write {:?}.", s.trim().to_ascii_lowercase())
        } else {
            String::new()
        };
        diags.attribute_error(
            path.clone(),
            "Invalid AWS Region",
            format!("{path} must be a Region name such as \"eu-west-1\"; got {s:?}.{hint}"),
        );
    }
    fn description(&self) -> String {
        String::new()
    }
}

/// The provider block schema.
pub(crate) fn schema() -> Schema {
    Schema::new(
        Block::new(vec![
            Attribute::string("region").optional().validator(AwsRegion).description(
                "AWS Region for EC2 and ECS calls. Falls back to `AWS_REGION`/`AWS_DEFAULT_REGION` and the shared config, like the AWS CLI.",
            ),
            Attribute::string("profile").optional().description(
                "Named profile of the shared config and credentials files. Falls back to `AWS_PROFILE`.",
            ),
            Attribute::number("max_attempts").optional().validator(IntBetween(1, 25)).description(
                "Maximum attempts per EC2 or ECS call, retries included (the SDK's retry policy). Falls back to `AWS_MAX_ATTEMPTS`; the SDK default is 3.",
            ),
            Attribute::string("retry_mode").optional().validator(OneOf(&["standard", "adaptive"])).description(
                "`standard` or `adaptive` (adds client-side rate limiting, for heavily throttled accounts). Falls back to `AWS_RETRY_MODE`; the SDK default is `standard`.",
            ),
        ])
        .with_blocks(vec![
            NestedBlock::new(
                "endpoints",
                Nesting::List,
                Block::new(vec![
                    Attribute::string("ec2").optional().validator(HttpUrl).description(
                        "Custom EC2 endpoint URL (a VPC endpoint, or a local emulator such as moto). Falls back to `AWS_ENDPOINT_URL_EC2`, then `AWS_ENDPOINT_URL`. It changes where EC2 calls go, and nothing else: set `ecs` as well.",
                    ),
                    Attribute::string("ecs").optional().validator(HttpUrl).description(
                        "Custom ECS endpoint URL (a VPC endpoint, or a local emulator such as moto). Falls back to `AWS_ENDPOINT_URL_ECS`, then `AWS_ENDPOINT_URL`. Only `ecshost_instance_verification` with `ecs_cluster` calls ECS. A configuration that overrides only `ec2` sends ECS calls to AWS's public endpoint for the Region — with real credentials in the environment, to real AWS: set `ecs` next to `ec2` for an emulator or a private network.",
                    ),
                ]),
            )
            .items(0, 1),
            NestedBlock::new(
                "default_tags",
                Nesting::List,
                Block::new(vec![Attribute::string_map("tags").optional().description(
                    "Tags added to every taggable object this provider creates; a resource's own `tags` win on conflicts.",
                )]),
            )
            .items(0, 1),
        ])
        .description(
            "Renders, manages and verifies the host configuration of self-provisioned ECS container instances. \
             The render data sources contact nothing and need no credentials; resources that call EC2 (and ECS, for verifications with `ecs_cluster`) use the standard AWS credential chain.",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::testing::{errors, obj, schema_diags};

    /// One client per other Region, built once and kept; the provider's
    /// own Region (named, empty or `None`) is the provider's client.
    #[tokio::test]
    async fn ec2_in_keeps_one_client_per_other_region() {
        let state = ProviderState::default();
        let cfg = obj(&[
            ("region", Value::from("us-east-1")),
            (
                "endpoints",
                Value::List(vec![obj(&[("ec2", Value::from("http://127.0.0.1:9"))])]),
            ),
        ]);
        assert!(state.configure(&cfg).is_empty());
        let regions = |state: &ProviderState| {
            let mut r: Vec<String> = state.regional.lock().unwrap().keys().cloned().collect();
            r.sort();
            r
        };
        for region in [None, Some(""), Some("us-east-1")] {
            let c = state.ec2_in(region).await.unwrap();
            assert_eq!(c.region(), "us-east-1", "{region:?}");
        }
        assert!(regions(&state).is_empty());
        for _ in 0..3 {
            for r in ["eu-west-1", "eu-central-1"] {
                assert_eq!(state.ec2_in(Some(r)).await.unwrap().region(), r);
            }
        }
        assert_eq!(regions(&state), ["eu-central-1", "eu-west-1"]);
    }

    #[test]
    fn region_names() {
        for (r, ok) in [
            ("us-east-1", true),
            ("eu-central-2", true),
            ("us-gov-west-1", true),
            ("us-isob-east-1", true),
            ("cn-northwest-1", true),
            ("us-east-1a", false),
            ("US-EAST-1", false),
            ("us-east1", false),
            ("useast-1", false),
            ("eu west 1", false),
        ] {
            assert_eq!(AwsRegion::is_region(r), ok, "{r}");
        }
    }

    /// Bad endpoints and Regions are refused at validate time on their
    /// attribute, before the SDK turns them into an error on the first
    /// resource (for a bad URL, one that quotes the whole request).
    #[test]
    fn provider_block_refuses_bad_endpoint_and_region() {
        let cfg = obj(&[
            ("region", Value::from("us-east-1a")),
            (
                "endpoints",
                Value::List(vec![obj(&[
                    ("ec2", Value::from("127.0.0.1:5000")),
                    ("ecs", Value::from("ftp://127.0.0.1:5000")),
                ])]),
            ),
        ]);
        let d = schema_diags(&schema(), &cfg);
        assert_eq!(
            errors(&d),
            [
                ("region".to_owned(), "Invalid AWS Region".to_owned()),
                ("endpoints[0].ec2".to_owned(), "Invalid URL".to_owned()),
                ("endpoints[0].ecs".to_owned(), "Invalid URL".to_owned()),
            ]
        );
        assert!(
            d.iter()
                .any(|x| x.detail.contains("its Region is \"us-east-1\"")),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|x| x.detail.contains("has no http:// or https:// scheme")),
            "{d:?}"
        );
    }
}
