//! Is the host serving its ECS cluster? One instance's container-instance
//! record, judged. Pure: the record comes in already read (by
//! `ecshost_aws::ecs`), with the time since launch computed by the caller.
//!
//! The rules, and why:
//! - a running instance must be a container instance of the expected
//!   cluster: an agent that never registered, or registered elsewhere
//!   (another `ECS_CLUSTER`), leaves the host idle while it looks healthy
//!   to EC2;
//! - its status must be `ACTIVE`: `DRAINING` takes no new tasks (a
//!   scale-in or instance refresh, or `UpdateContainerInstancesState`),
//!   the others are on their way in or out;
//! - the agent must be connected: ECS can neither place nor stop tasks on
//!   a host whose agent lost its connection;
//! - not being registered (or still `REGISTERING`) is only a problem once
//!   `registration_grace` has passed since launch: a booting host needs a
//!   minute or two. Before that it is *pending*: not a problem, not yet
//!   healthy.
//!
//! - what the agent registered must fit the configuration: without the
//!   `task-iam-role` capability tasks get no role credentials at all; with
//!   `task-iam-role-network-host` that the configuration did not ask for,
//!   host-network tasks get role credentials while no network rule can keep
//!   them from instance metadata. (The capability names are the agent's:
//!   `agent/app/agent_capability.go` of aws/amazon-ecs-agent.) A record
//!   with no capability attributes at all — only emulators return one — is
//!   not judged on them.
//! - an agent that registered `ecs.capability.imds-iam-roles` delivers the
//!   credentials of every task on the host through instance metadata
//!   (`ecs-agent/capability/capability.go`; enabled whenever IMDS is
//!   reachable, with no `ECS_*` variable to turn it off:
//!   `determineIMDSIAMRolesConfig` in `agent/config/config.go`). Host-network
//!   tasks reach instance metadata through the host's own stack, so giving
//!   them task roles on such a host hands each of them every task's
//!   credentials: a problem even when the configuration asks for it.
//!   (Whether bridged tasks are kept away is the self-check's `imds_blocked`,
//!   judged with the runtime report in [`super::judge`].)
//!
//! Messages carry no ages, so a verification of an unchanged fleet reads
//! the same on every plan.

use std::time::Duration;

/// What ECS membership the configuration asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EcsExpectation {
    /// cluster name or ARN
    pub cluster: String,
    /// how long after launch a host may still be unregistered
    pub registration_grace: Duration,
    /// the configuration enables task roles for host-network tasks
    /// (`ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true`)
    pub task_iam_role_network_host: bool,
}

/// The prefix of the capability attributes the agent registers
/// (`capabilityPrefix` in `agent/app/agent_capability.go`).
pub const CAPABILITY_PREFIX: &str = "com.amazonaws.ecs.capability.";
/// The capability an agent registers when it can give tasks IAM role
/// credentials (`ECS_ENABLE_TASK_IAM_ROLE=true`).
pub const TASK_IAM_ROLE: &str = "com.amazonaws.ecs.capability.task-iam-role";
/// The capability an agent registers when it gives host-network tasks IAM
/// role credentials (`ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true`).
pub const TASK_IAM_ROLE_NETWORK_HOST: &str =
    "com.amazonaws.ecs.capability.task-iam-role-network-host";

/// The capability an agent registers when it delivers task credentials
/// through instance metadata as well (`capability.IMDSIAMRoles` in
/// `ecs-agent/capability/capability.go`; note the shorter `ecs.capability.`
/// prefix, `attributePrefix` in `agent/app/agent_capability.go`).
pub const IMDS_IAM_ROLES: &str = "ecs.capability.imds-iam-roles";

/// A container instance as ECS reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    /// the cluster it is registered in (name or ARN)
    pub cluster: String,
    /// its container instance ARN
    pub container_instance_arn: String,
    /// `ACTIVE`, `DRAINING`, `REGISTERING`, …
    pub status: String,
    /// ECS's reason for the status, if any
    pub status_reason: Option<String>,
    /// `agentConnected`
    pub agent_connected: bool,
    /// `versionInfo.agentVersion`
    pub agent_version: Option<String>,
    /// `runningTasksCount`
    pub running_tasks_count: i64,
    /// names of the registered attributes (the agent's capabilities)
    pub attributes: Vec<String>,
}

/// Where the instance is registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// in the expected cluster
    InCluster(Registration),
    /// in another cluster, not in the expected one
    Elsewhere(Registration),
    /// in no cluster that was looked at
    NotRegistered,
}

/// The ECS facts about one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcsFacts {
    /// where it is registered
    pub membership: Membership,
    /// time since its EC2 launch; `None`: unknown (judged as past grace)
    pub since_launch: Option<Duration>,
}

impl Registration {
    /// The agent delivers task credentials through instance metadata
    /// ([`IMDS_IAM_ROLES`]).
    pub fn imds_iam_roles(&self) -> bool {
        self.attributes.iter().any(|a| a == IMDS_IAM_ROLES)
    }
}

impl EcsFacts {
    /// The container instance record, wherever it is.
    pub fn registration(&self) -> Option<&Registration> {
        match &self.membership {
            Membership::InCluster(r) | Membership::Elsewhere(r) => Some(r),
            Membership::NotRegistered => None,
        }
    }

    /// ECS is taking the host out of service (`DRAINING`, `DEREGISTERING`
    /// or `INACTIVE`): it no longer counts as serving its version.
    pub fn leaving(&self) -> bool {
        self.registration()
            .is_some_and(|r| matches!(r.status.as_str(), "DRAINING" | "DEREGISTERING" | "INACTIVE"))
    }
}

/// `5m`, `1h30m`, `45s`, `0s`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// One line for tables and the `ecs.summary` attribute.
pub fn summary(f: &EcsFacts) -> String {
    match &f.membership {
        Membership::NotRegistered => "not registered".into(),
        Membership::Elsewhere(r) => format!("in cluster {} ({})", r.cluster, r.status),
        Membership::InCluster(r) => {
            let mut s = r.status.clone();
            if !r.agent_connected {
                s.push_str(", agent disconnected");
            }
            if let Some(v) = &r.agent_version {
                s.push_str(&format!(", agent {v}"));
            }
            s.push_str(&format!(
                ", {} task{} running",
                r.running_tasks_count,
                if r.running_tasks_count == 1 { "" } else { "s" }
            ));
            s
        }
    }
}

/// Adds the problems (and the pending items) of a `running` instance's
/// ECS facts; instances in other states are not judged.
pub fn judge(
    exp: &EcsExpectation,
    f: &EcsFacts,
    running: bool,
    problems: &mut Vec<String>,
    pending: &mut Vec<String>,
) {
    if !running {
        return;
    }
    let want = &exp.cluster;
    let grace = human(exp.registration_grace);
    let in_grace = f
        .since_launch
        .is_some_and(|age| age < exp.registration_grace);
    match &f.membership {
        Membership::NotRegistered if in_grace => pending.push(format!(
            "not registered in ECS cluster {want} yet (registration_grace {grace} since launch has not passed)"
        )),
        Membership::NotRegistered => problems.push(format!(
            "not registered in ECS cluster {want}, and registration_grace ({grace}) since launch has passed: is the ECS agent running, and does ECS_CLUSTER name this cluster?"
        )),
        Membership::Elsewhere(r) => problems.push(format!(
            "registered in ECS cluster {} (container instance {}), not in {want}: its agent's ECS_CLUSTER names the other cluster",
            r.cluster, r.container_instance_arn
        )),
        Membership::InCluster(r) => {
            let reason = r
                .status_reason
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            match r.status.as_str() {
                "ACTIVE" => {}
                "DRAINING" => problems.push(format!(
                    "draining in ECS cluster {want}{reason}: ECS places no new tasks on it (UpdateContainerInstancesState, a scale-in or an instance refresh)"
                )),
                "REGISTERING" if in_grace => pending.push(format!(
                    "still registering in ECS cluster {want} (registration_grace {grace} since launch has not passed)"
                )),
                s => problems.push(format!(
                    "container instance status in ECS cluster {want} is {s}{reason}, expected ACTIVE"
                )),
            }
            if !r.agent_connected {
                problems.push(format!(
                    "the ECS agent{} is disconnected from cluster {want}: ECS can neither place nor stop tasks on it until it reconnects",
                    r.agent_version
                        .as_deref()
                        .map(|v| format!(" ({v})"))
                        .unwrap_or_default()
                ));
            }
            judge_capabilities(exp, r, problems);
        }
    }
}

/// What the registration promises against what the configuration asks.
fn judge_capabilities(exp: &EcsExpectation, r: &Registration, problems: &mut Vec<String>) {
    let has = |name: &str| r.attributes.iter().any(|a| a == name);
    let host_network_roles = has(TASK_IAM_ROLE_NETWORK_HOST) || exp.task_iam_role_network_host;
    // Present only when the agent says so: judged on any record.
    if r.imds_iam_roles() && host_network_roles {
        problems.push(format!(
            "the ECS agent registered {IMDS_IAM_ROLES} and gives host-network tasks IAM role credentials: it delivers every task's credentials through instance metadata, which host-network tasks reach through the host's own network stack, so each of them can read every task's role credentials (remove ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true from its ecs.config, task_iam_role_network_host in ecshost_user_data, and run those tasks in bridge or awsvpc mode)"
        ));
    }
    // Every agent registers dozens of capabilities (Docker API versions,
    // logging drivers …); a record without any came from an emulator that
    // drops what the agent sent (moto 5.2.5 keeps only attributes of its
    // own), and says nothing either way.
    if !r
        .attributes
        .iter()
        .any(|a| a.starts_with(CAPABILITY_PREFIX))
    {
        return;
    }
    if !has(TASK_IAM_ROLE) {
        problems.push(format!(
            "the ECS agent registered without {TASK_IAM_ROLE}: tasks on this host get no IAM role credentials (is ECS_ENABLE_TASK_IAM_ROLE=true in its ecs.config?)"
        ));
    }
    if has(TASK_IAM_ROLE_NETWORK_HOST) && !exp.task_iam_role_network_host && !r.imds_iam_roles() {
        problems.push(format!(
            "the ECS agent registered {TASK_IAM_ROLE_NETWORK_HOST}, which the configuration does not ask for: host-network tasks get IAM role credentials, and no network rule keeps them from instance metadata (remove ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true from its ecs.config, or set task_iam_role_network_host = true here if it is intended)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exp() -> EcsExpectation {
        EcsExpectation {
            cluster: "prod".into(),
            registration_grace: Duration::from_secs(300),
            task_iam_role_network_host: false,
        }
    }

    fn active() -> Registration {
        Registration {
            cluster: "prod".into(),
            container_instance_arn: "arn:aws:ecs:eu-west-1:1:container-instance/prod/abc".into(),
            status: "ACTIVE".into(),
            status_reason: None,
            agent_connected: true,
            agent_version: Some("1.89.0".into()),
            running_tasks_count: 3,
            attributes: vec![
                "ecs.os-type".into(),
                "com.amazonaws.ecs.capability.logging-driver.json-file".into(),
                TASK_IAM_ROLE.into(),
            ],
        }
    }

    #[test]
    fn what_the_agent_registered_must_fit_the_configuration() {
        let mut no_role = active();
        no_role.attributes.retain(|a| a != TASK_IAM_ROLE);
        let (p, _) = judged(Membership::InCluster(no_role), Some(10));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("get no IAM role credentials"), "{p:?}");

        let mut exposed = active();
        exposed.attributes.push(TASK_IAM_ROLE_NETWORK_HOST.into());
        let (p, _) = judged(Membership::InCluster(exposed.clone()), Some(10));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("no network rule keeps them from instance metadata"),
            "{p:?}"
        );
        // Asked for: not a problem here (the plan warns about it instead).
        let asked = EcsExpectation {
            task_iam_role_network_host: true,
            ..exp()
        };
        let (mut p, mut w) = (Vec::new(), Vec::new());
        let f = EcsFacts {
            membership: Membership::InCluster(exposed),
            since_launch: Some(Duration::from_secs(10)),
        };
        judge(&asked, &f, true, &mut p, &mut w);
        assert!(p.is_empty(), "{p:?}");

        // A record with no capability attributes (an emulator's: moto keeps
        // only its own `ecs.*` ones) is not judged on them.
        let mut bare = active();
        bare.attributes
            .retain(|a| !a.starts_with(CAPABILITY_PREFIX));
        assert!(!bare.attributes.is_empty());
        assert!(judged(Membership::InCluster(bare), Some(10)).0.is_empty());
    }

    #[test]
    fn imds_delivered_credentials_make_host_network_task_roles_a_problem() {
        let mut imds = active();
        imds.attributes.push(IMDS_IAM_ROLES.into());
        assert!(imds.imds_iam_roles() && !active().imds_iam_roles());
        // Alone it is no problem here (bridged tasks are judged with the
        // self-check report).
        assert!(judged(Membership::InCluster(imds.clone()), Some(10))
            .0
            .is_empty());

        // Registered host-network task roles: one problem, the exposure,
        // not also the milder "not asked for" one.
        let mut both = imds.clone();
        both.attributes.push(TASK_IAM_ROLE_NETWORK_HOST.into());
        let (p, _) = judged(Membership::InCluster(both.clone()), Some(10));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains(IMDS_IAM_ROLES)
                && p[0].contains("each of them can read every task's role credentials"),
            "{p:?}"
        );
        // Asking for it does not make it safe, and the configuration alone
        // counts too.
        let asked = EcsExpectation {
            task_iam_role_network_host: true,
            ..exp()
        };
        for r in [both, imds] {
            let (mut p, mut w) = (Vec::new(), Vec::new());
            let f = EcsFacts {
                membership: Membership::InCluster(r),
                since_launch: Some(Duration::from_secs(10)),
            };
            judge(&asked, &f, true, &mut p, &mut w);
            assert_eq!(p.len(), 1, "{p:?}");
            assert!(
                p[0].contains("gives host-network tasks IAM role credentials"),
                "{p:?}"
            );
        }
    }

    fn judged(m: Membership, age: Option<u64>) -> (Vec<String>, Vec<String>) {
        let (mut p, mut w) = (Vec::new(), Vec::new());
        let f = EcsFacts {
            membership: m,
            since_launch: age.map(Duration::from_secs),
        };
        judge(&exp(), &f, true, &mut p, &mut w);
        (p, w)
    }

    #[test]
    fn an_active_connected_member_is_fine_and_summarised() {
        assert_eq!(
            judged(Membership::InCluster(active()), Some(9000)),
            (vec![], vec![])
        );
        let f = EcsFacts {
            membership: Membership::InCluster(active()),
            since_launch: None,
        };
        assert_eq!(summary(&f), "ACTIVE, agent 1.89.0, 3 tasks running");
        assert!(!f.leaving());
    }

    #[test]
    fn each_ecs_problem_is_named() {
        let (p, w) = judged(Membership::NotRegistered, Some(301));
        assert!(w.is_empty());
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("not registered in ECS cluster prod, and registration_grace (5m) since launch has passed"),
            "{p:?}"
        );
        // An unknown launch time is judged as past grace.
        assert_eq!(judged(Membership::NotRegistered, None).0.len(), 1);

        let mut other = active();
        other.cluster = "staging".into();
        let (p, _) = judged(Membership::Elsewhere(other), Some(10));
        assert!(
            p[0].starts_with("registered in ECS cluster staging (container instance arn:"),
            "{p:?}"
        );

        let mut draining = active();
        draining.status = "DRAINING".into();
        let (p, _) = judged(Membership::InCluster(draining.clone()), Some(10));
        assert!(
            p[0].starts_with("draining in ECS cluster prod: ECS places no new tasks"),
            "{p:?}"
        );
        assert!(EcsFacts {
            membership: Membership::InCluster(draining),
            since_launch: None
        }
        .leaving());

        let mut gone = active();
        gone.agent_connected = false;
        let (p, _) = judged(Membership::InCluster(gone.clone()), Some(10));
        assert_eq!(
            p,
            ["the ECS agent (1.89.0) is disconnected from cluster prod: ECS can neither place nor stop tasks on it until it reconnects"]
        );
        assert_eq!(
            summary(&EcsFacts {
                membership: Membership::InCluster(gone),
                since_launch: None
            }),
            "ACTIVE, agent disconnected, agent 1.89.0, 3 tasks running"
        );

        let mut failed = active();
        failed.status = "REGISTRATION_FAILED".into();
        failed.status_reason = Some("ENI trunking".into());
        let (p, _) = judged(Membership::InCluster(failed), Some(10));
        assert_eq!(
            p,
            ["container instance status in ECS cluster prod is REGISTRATION_FAILED (ENI trunking), expected ACTIVE"]
        );
    }

    #[test]
    fn within_grace_it_is_pending_not_a_problem() {
        let (p, w) = judged(Membership::NotRegistered, Some(60));
        assert!(p.is_empty());
        assert_eq!(
            w,
            ["not registered in ECS cluster prod yet (registration_grace 5m since launch has not passed)"]
        );
        let mut reg = active();
        reg.status = "REGISTERING".into();
        let (p, w) = judged(Membership::InCluster(reg.clone()), Some(60));
        assert!(p.is_empty() && w.len() == 1, "{p:?} {w:?}");
        let (p, w) = judged(Membership::InCluster(reg), Some(600));
        assert!(p.len() == 1 && w.is_empty(), "{p:?} {w:?}");
    }

    #[test]
    fn stopped_instances_are_not_judged() {
        let (mut p, mut w) = (Vec::new(), Vec::new());
        let f = EcsFacts {
            membership: Membership::NotRegistered,
            since_launch: None,
        };
        judge(&exp(), &f, false, &mut p, &mut w);
        assert!(p.is_empty() && w.is_empty());
    }

    #[test]
    fn durations_read_like_terraform_durations() {
        for (s, want) in [
            (0, "0s"),
            (45, "45s"),
            (300, "5m"),
            (5400, "1h30m"),
            (3601, "1h1s"),
        ] {
            assert_eq!(human(Duration::from_secs(s)), want);
        }
    }
}
