//! Instances, read for verification: who was launched from a template, with
//! which user data and metadata settings, and what their consoles printed.
//!
//! Costs are per page where EC2 allows it (DescribeInstances returns up to
//! 1000 instances a call) and per instance only where it must
//! (DescribeInstanceAttribute, GetConsoleOutput); those run with a bound on
//! concurrency, each under the SDK's retry policy, because throttling is
//! normal at fleet scale.

use aws_sdk_ec2::types::{Filter, InstanceAttributeName};
use base64::Engine as _;
use futures::stream::{self, StreamExt, TryStreamExt};

use super::client::Ec2;
use super::error::Ec2Error;

/// The tag EC2 puts on instances launched from a template.
pub const TEMPLATE_ID_TAG: &str = "aws:ec2launchtemplate:id";
/// The tag EC2 puts on instances with the resolved version number.
pub const TEMPLATE_VERSION_TAG: &str = "aws:ec2launchtemplate:version";
/// DescribeInstances' page size limit.
const PAGE_SIZE: i32 = 1000;
/// Instance ids per DescribeInstances call when listing ids explicitly.
const IDS_PER_CALL: usize = 1000;

/// Metadata service settings of a running instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceMetadata {
    /// `required` or `optional`
    pub http_tokens: String,
    /// IMDSv2 token hop limit
    pub http_put_response_hop_limit: i64,
    /// `enabled` or `disabled`
    pub http_endpoint: String,
}

/// What DescribeInstances tells about one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    /// `i-…`
    pub id: String,
    /// `pending`, `running`, …
    pub state: String,
    /// value of [`TEMPLATE_ID_TAG`]
    pub launch_template_id: Option<String>,
    /// value of [`TEMPLATE_VERSION_TAG`]
    pub launch_template_version: Option<String>,
    /// metadata options, when EC2 reports them
    pub metadata: Option<InstanceMetadata>,
    /// `ImageId`
    pub image_id: Option<String>,
    /// `InstanceType`
    pub instance_type: Option<String>,
    /// `KeyName`
    pub key_name: Option<String>,
    /// `IamInstanceProfile.Arn`
    pub instance_profile_arn: Option<String>,
    /// security group ids of the instance and all its interfaces, sorted
    pub security_group_ids: Vec<String>,
    /// all tags, EC2's own `aws:` tags included
    pub tags: std::collections::BTreeMap<String, String>,
    /// `LaunchTime` (ECS registration grace counts from it)
    pub launch_time: Option<std::time::SystemTime>,
}

/// An EBS volume attached to an instance, as DescribeVolumes shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachedVolume {
    /// the instance it is attached to
    pub instance_id: String,
    /// its device name there
    pub device_name: String,
    /// size in GiB
    pub size_gib: Option<i64>,
    /// `gp3`, …
    pub volume_type: Option<String>,
    /// encrypted at rest
    pub encrypted: Option<bool>,
}

/// DescribeVolumes' page size limit.
const VOLUME_PAGE_SIZE: i32 = 500;
/// Instance ids per `attachment.instance-id` filter (EC2 accepts up to 200
/// values per filter).
const IDS_PER_FILTER: usize = 200;

/// Which instances to list.
#[derive(Clone, Debug, Default)]
pub struct InstanceQuery {
    /// instances tagged as launched from this template…
    pub launch_template_id: Option<String>,
    /// …in one of these states
    pub states: Vec<String>,
    /// and these instances, whatever their state or template
    pub instance_ids: Vec<String>,
}

fn instance_from_sdk(i: &aws_sdk_ec2::types::Instance) -> Option<Instance> {
    let tag = |k: &str| {
        i.tags()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(str::to_owned)
    };
    Some(Instance {
        id: i.instance_id()?.to_owned(),
        state: i
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
        launch_template_id: tag(TEMPLATE_ID_TAG),
        launch_template_version: tag(TEMPLATE_VERSION_TAG),
        image_id: i.image_id().map(str::to_owned),
        instance_type: i.instance_type().map(|t| t.as_str().to_owned()),
        key_name: i.key_name().map(str::to_owned),
        instance_profile_arn: i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(str::to_owned),
        security_group_ids: {
            let mut g: Vec<String> = i
                .security_groups()
                .iter()
                .chain(i.network_interfaces().iter().flat_map(|n| n.groups()))
                .filter_map(|g| g.group_id().map(str::to_owned))
                .collect();
            g.sort();
            g.dedup();
            g
        },
        tags: i
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
        launch_time: i
            .launch_time()
            .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
        metadata: i.metadata_options().map(|m| InstanceMetadata {
            http_tokens: m
                .http_tokens()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            http_put_response_hop_limit: m.http_put_response_hop_limit().map_or(0, i64::from),
            http_endpoint: m
                .http_endpoint()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
        }),
    })
}

impl Ec2 {
    /// Lists instances: the template's (paged, filtered by tag and state on
    /// the server) plus the named ones (any state), each once, sorted by id.
    pub async fn find_instances(&self, q: &InstanceQuery) -> Result<Vec<Instance>, Ec2Error> {
        const OP: &str = "DescribeInstances";
        let mut found = std::collections::BTreeMap::new();
        if let Some(lt) = &q.launch_template_id {
            let mut req = self
                .client
                .describe_instances()
                .filters(
                    Filter::builder()
                        .name(format!("tag:{TEMPLATE_ID_TAG}"))
                        .values(lt)
                        .build(),
                )
                .max_results(PAGE_SIZE);
            if !q.states.is_empty() {
                req = req.filters(
                    Filter::builder()
                        .name("instance-state-name")
                        .set_values(Some(q.states.clone()))
                        .build(),
                );
            }
            let mut pages = req.into_paginator().send();
            while let Some(page) = pages.next().await {
                self.count(OP);
                let page = page.map_err(|e| Ec2Error::from_sdk(OP, e))?;
                for i in page.reservations().iter().flat_map(|r| r.instances()) {
                    if let Some(i) = instance_from_sdk(i) {
                        found.insert(i.id.clone(), i);
                    }
                }
            }
        }
        for chunk in q.instance_ids.chunks(IDS_PER_CALL) {
            // With InstanceIds EC2 refuses MaxResults and answers in one go.
            self.count(OP);
            let out = self
                .client
                .describe_instances()
                .set_instance_ids(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| Ec2Error::from_sdk(OP, e))?;
            for i in out.reservations().iter().flat_map(|r| r.instances()) {
                if let Some(i) = instance_from_sdk(i) {
                    found.insert(i.id.clone(), i);
                }
            }
        }
        Ok(found.into_values().collect())
    }

    /// The EBS volumes attached to `instance_ids`: DescribeVolumes filtered
    /// by `attachment.instance-id`, 200 ids a filter, 500 volumes a page —
    /// ⌈N/200⌉ calls for N instances with fewer than 500 volumes per 200.
    pub async fn attached_volumes(
        &self,
        instance_ids: &[String],
    ) -> Result<Vec<AttachedVolume>, Ec2Error> {
        const OP: &str = "DescribeVolumes";
        let mut out = Vec::new();
        for chunk in instance_ids.chunks(IDS_PER_FILTER) {
            let mut pages = self
                .client
                .describe_volumes()
                .filters(
                    Filter::builder()
                        .name("attachment.instance-id")
                        .set_values(Some(chunk.to_vec()))
                        .build(),
                )
                .max_results(VOLUME_PAGE_SIZE)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                self.count(OP);
                let page = page.map_err(|e| Ec2Error::from_sdk(OP, e))?;
                for v in page.volumes() {
                    for a in v.attachments() {
                        let (Some(id), Some(dev)) = (a.instance_id(), a.device()) else {
                            continue;
                        };
                        if chunk.iter().any(|c| c == id) {
                            out.push(AttachedVolume {
                                instance_id: id.to_owned(),
                                device_name: dev.to_owned(),
                                size_gib: v.size().map(i64::from),
                                volume_type: v.volume_type().map(|t| t.as_str().to_owned()),
                                encrypted: v.encrypted(),
                            });
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The instance's own user data (base64), `None` when it has none.
    pub async fn instance_user_data(&self, id: &str) -> Result<Option<String>, Ec2Error> {
        const OP: &str = "DescribeInstanceAttribute";
        self.count(OP);
        let out = self
            .client
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(InstanceAttributeName::UserData)
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        Ok(out
            .user_data()
            .and_then(|v| v.value())
            .filter(|v| !v.is_empty())
            .map(str::to_owned))
    }

    /// The instance's console output as text (`None` when EC2 has none yet).
    /// Undecodable bytes are replaced, never fatal: the console is noisy.
    pub async fn console_output(&self, id: &str) -> Result<Option<String>, Ec2Error> {
        const OP: &str = "GetConsoleOutput";
        self.count(OP);
        let out = self
            .client
            .get_console_output()
            .instance_id(id)
            .send()
            .await
            .map_err(|e| Ec2Error::from_sdk(OP, e))?;
        Ok(out.output().map(|b64| {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .unwrap_or_else(|_| b64.as_bytes().to_vec());
            String::from_utf8_lossy(&bytes).into_owned()
        }))
    }

    /// Runs `call` for every id with at most `concurrency` in flight;
    /// results come back in the order of `ids`. The first error ends it.
    pub async fn for_each_instance<'a, T, F, Fut>(
        &'a self,
        ids: &'a [String],
        concurrency: usize,
        call: F,
    ) -> Result<Vec<T>, Ec2Error>
    where
        F: Fn(&'a Ec2, &'a str) -> Fut,
        Fut: std::future::Future<Output = Result<T, Ec2Error>> + 'a,
    {
        // Futures are made up front: a lazy `map` closure inside the stream
        // trips rustc's `Send` inference for async trait methods.
        let calls: Vec<Fut> = ids.iter().map(|id| call(self, id.as_str())).collect();
        stream::iter(calls)
            .buffered(concurrency.max(1))
            .try_collect()
            .await
    }
}
