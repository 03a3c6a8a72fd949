//! Container instances: which EC2 instances the ECS agent registered in a
//! cluster, their status, agent connection, agent version and task counts.
//!
//! Cost (ECS pages hold at most 100): a cluster of M container instances
//! costs ⌈M/100⌉ ListContainerInstances pages and ⌈M/100⌉
//! DescribeContainerInstances batches, whatever the number of EC2
//! instances being verified. Searching the other clusters (to name the
//! cluster a host joined instead) happens only for hosts missing from the
//! expected one; see [`Ecs::registrations_elsewhere`].

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt, TryStreamExt};

use super::client::Ecs;
use super::error::EcsError;

/// ListContainerInstances/ListClusters page size and
/// DescribeContainerInstances batch size (ECS's limits).
pub const PAGE_SIZE: usize = 100;
/// EC2 instance ids per `ec2InstanceId in [...]` filter expression.
const IDS_PER_FILTER: usize = 50;
/// Above this many missing hosts, other clusters are listed in full
/// (their pages) rather than filtered per chunk of ids: the cost stays
/// O(container instances / 100) either way.
const FILTER_AT_MOST: usize = 2 * IDS_PER_FILTER;

/// One container instance as DescribeContainerInstances shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInstance {
    /// the cluster it was listed in, as the caller named it
    pub cluster: String,
    /// `arn:aws:ecs:…:container-instance/…`
    pub arn: String,
    /// the EC2 instance behind it (`None` for external instances)
    pub ec2_instance_id: Option<String>,
    /// `ACTIVE`, `DRAINING`, `REGISTERING`, `DEREGISTERING`,
    /// `REGISTRATION_FAILED` or `INACTIVE`
    pub status: String,
    /// why it is in that status, when ECS says
    pub status_reason: Option<String>,
    /// the agent holds its connection to ECS
    pub agent_connected: bool,
    /// `versionInfo.agentVersion`
    pub agent_version: Option<String>,
    /// tasks in `RUNNING`
    pub running_tasks_count: i64,
    /// tasks in `PENDING`
    pub pending_tasks_count: i64,
    /// names of the attributes the agent registered (its capabilities,
    /// `com.amazonaws.ecs.capability.task-iam-role` …), as ECS returns them
    pub attributes: Vec<String>,
}

/// The cluster name of a name or `arn:…:cluster/<name>`.
pub fn cluster_name(name_or_arn: &str) -> &str {
    name_or_arn
        .rsplit_once(":cluster/")
        .map_or(name_or_arn, |(_, n)| n)
}

fn from_sdk(cluster: &str, c: &aws_sdk_ecs::types::ContainerInstance) -> Option<ContainerInstance> {
    Some(ContainerInstance {
        cluster: cluster.to_owned(),
        arn: c.container_instance_arn()?.to_owned(),
        ec2_instance_id: c.ec2_instance_id().map(str::to_owned),
        status: c.status().unwrap_or_default().to_owned(),
        status_reason: c.status_reason().map(str::to_owned),
        agent_connected: c.agent_connected(),
        agent_version: c
            .version_info()
            .and_then(|v| v.agent_version())
            .map(str::to_owned),
        running_tasks_count: i64::from(c.running_tasks_count()),
        pending_tasks_count: i64::from(c.pending_tasks_count()),
        attributes: c.attributes().iter().map(|a| a.name().to_owned()).collect(),
    })
}

impl Ecs {
    /// The container instances of `cluster` (name or ARN) in every status
    /// but `INACTIVE` (ListContainerInstances' default), optionally
    /// narrowed by a cluster-query-language `filter`: list pages of 100,
    /// then DescribeContainerInstances in batches of 100, `concurrency`
    /// batches at a time.
    ///
    /// Errors: `ClusterNotFoundException` when the cluster does not exist
    /// (see [`EcsError::is_cluster_not_found`]).
    pub async fn cluster_members(
        &self,
        cluster: &str,
        filter: Option<&str>,
        concurrency: usize,
    ) -> Result<Vec<ContainerInstance>, EcsError> {
        const LIST: &str = "ListContainerInstances";
        let mut arns = Vec::new();
        let mut pages = self
            .client
            .list_container_instances()
            .cluster(cluster)
            .set_filter(filter.map(str::to_owned))
            .max_results(PAGE_SIZE as i32)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.count(LIST);
            let page = page.map_err(|e| EcsError::from_sdk(LIST, e))?;
            arns.extend(page.container_instance_arns().iter().cloned());
        }
        self.describe(cluster, &arns, concurrency).await
    }

    /// DescribeContainerInstances for `arns` of `cluster`, 100 a call.
    /// ARNs ECS no longer knows (deregistered between list and describe)
    /// are left out.
    async fn describe(
        &self,
        cluster: &str,
        arns: &[String],
        concurrency: usize,
    ) -> Result<Vec<ContainerInstance>, EcsError> {
        const OP: &str = "DescribeContainerInstances";
        let calls: Vec<_> = arns
            .chunks(PAGE_SIZE)
            .map(|batch| async move {
                self.count(OP);
                let out = self
                    .client
                    .describe_container_instances()
                    .cluster(cluster)
                    .set_container_instances(Some(batch.to_vec()))
                    .send()
                    .await
                    .map_err(|e| EcsError::from_sdk(OP, e))?;
                Ok::<_, EcsError>(
                    out.container_instances()
                        .iter()
                        .filter_map(|c| from_sdk(cluster, c))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let batches: Vec<Vec<ContainerInstance>> = stream::iter(calls)
            .buffered(concurrency.max(1))
            .try_collect()
            .await?;
        Ok(batches.into_iter().flatten().collect())
    }

    /// Every cluster of the account and Region (ARNs), ListClusters pages
    /// of 100.
    pub async fn clusters(&self) -> Result<Vec<String>, EcsError> {
        const OP: &str = "ListClusters";
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_clusters()
            .max_results(PAGE_SIZE as i32)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            self.count(OP);
            let page = page.map_err(|e| EcsError::from_sdk(OP, e))?;
            out.extend(page.cluster_arns().iter().cloned());
        }
        Ok(out)
    }

    /// Where `ec2_ids` are registered in clusters other than `expected`:
    /// ListClusters, then per other cluster the container instances whose
    /// `ec2InstanceId` is one of them (a filter of 50 ids a call while at
    /// most 100 are missing; above that, the cluster's full listing, so
    /// the cost stays O(container instances / 100)). Called only for hosts
    /// missing from the expected cluster.
    pub async fn registrations_elsewhere(
        &self,
        expected: &str,
        ec2_ids: &[String],
        concurrency: usize,
    ) -> Result<Vec<ContainerInstance>, EcsError> {
        if ec2_ids.is_empty() {
            return Ok(Vec::new());
        }
        let wanted: BTreeSet<&str> = ec2_ids.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        for c in self.clusters().await? {
            if cluster_name(&c) == cluster_name(expected) {
                continue;
            }
            let members = if ec2_ids.len() <= FILTER_AT_MOST {
                let mut m = Vec::new();
                for chunk in ec2_ids.chunks(IDS_PER_FILTER) {
                    m.extend(
                        self.cluster_members(&c, Some(&id_filter(chunk)), concurrency)
                            .await?,
                    );
                }
                m
            } else {
                self.cluster_members(&c, None, concurrency).await?
            };
            // Filters are not applied everywhere (moto ignores them): keep
            // only what was asked for.
            found.extend(members.into_iter().filter(|m| {
                m.ec2_instance_id
                    .as_deref()
                    .is_some_and(|id| wanted.contains(id))
            }));
        }
        Ok(found)
    }
}

/// `ec2InstanceId in ['i-1', 'i-2']` (ECS cluster query language).
fn id_filter(ids: &[String]) -> String {
    let quoted: Vec<String> = ids.iter().map(|i| format!("'{i}'")).collect();
    format!("ec2InstanceId in [{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names_from_names_and_arns() {
        assert_eq!(cluster_name("prod"), "prod");
        assert_eq!(
            cluster_name("arn:aws:ecs:eu-west-1:123456789012:cluster/prod"),
            "prod"
        );
    }

    #[test]
    fn filters_quote_each_id() {
        assert_eq!(
            id_filter(&["i-1".into(), "i-2".into()]),
            "ec2InstanceId in ['i-1', 'i-2']"
        );
    }
}
