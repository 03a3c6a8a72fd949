//! SELinux hosts (Fedora CoreOS, RHEL): what Fedora's policy says about the
//! agent's `docker run`, recorded as data, and the unit test holding every
//! rendered run to it. No SELinux host runs in this repository: this is the
//! policy read, not the agent observed under enforcing SELinux
//! (`docs/guides/how-it-works.md`, "SELinux hosts (Fedora CoreOS)"). The
//! module is compiled for tests only: the render does not need it.
//!
//! Sources, each an upstream repository at the commit read
//! (`git log -1` of the fetched snapshot) and a path in it:
//!
//! * [`CONTAINER_SELINUX`]: the container policy Fedora ships
//!   (`container.te`, `container.fc`, `container.if`, `container_contexts`).
//! * [`SELINUX_POLICY`]: Fedora's base policy, branch `rawhide` (`policy/…`).
//! * [`MOBY`]: Docker's engine (`daemon/…`); it vendors
//!   opencontainers/selinux v1.15.1 (`go.mod`).
//! * [`GO_SELINUX`]: opencontainers/selinux (`go-selinux/…`), v1.15.1 plus
//!   four commits.
//!
//! # The agent's domain
//!
//! **With `--security-opt=label=disable`: `spc_t`.** Docker turns the option
//! into `label.InitLabels(["disable"])` (moby `daemon/daemon_unix.go:204-262`,
//! `parseSecurityOpt`), which returns an empty process label and the
//! privileged mount label `container_file_t:s0:c1022,c1023` (go-selinux
//! `go-selinux/label/label_linux.go:33-38`; `go-selinux/selinux_linux.go:992-994`).
//! The OCI spec then carries no `selinuxLabel` (moby `daemon/oci_linux.go:118`),
//! so the runtime execs the entrypoint under the policy's own transitions out
//! of the runtime's domain (`container_runtime_t`): `domtrans_pattern(
//! container_runtime_domain, container_ro_file_t | container_var_lib_t |
//! fusefs_t, spc_t)` (container-selinux `container.te:822-824`) and, for the
//! image's files as the privileged mount label shows them,
//! `virt_sandbox_domtrans(container_runtime_domain, spc_t)`
//! (`container.te:880`), which is `domtrans_pattern(…, container_file_t, spc_t)`
//! (selinux-policy `policy/modules/contrib/virt.if:2002-2008`).
//! `domtrans_pattern` includes the `type_transition` rule (selinux-policy
//! `policy/support/misc_patterns.spt:25-39`). `spc_t` is unconfined:
//! `unconfined_domain_noaudit(spc_t)` (`container.te:862-863`), which makes it
//! an `unconfined_domain_type`, `files_unconfined_type` and
//! `filesystem_unconfined_type` (selinux-policy
//! `policy/modules/system/unconfined.if:40-46`): any socket of any domain
//! (`policy/modules/kernel/domain.te:285`), any file type
//! (`policy/modules/kernel/files.te:254-256`), any file on any filesystem
//! type such as `cgroup_t` (`policy/modules/kernel/filesystem.te:373-375`).
//! So no path in [`HOST_PATHS`] is refused to `spc_t`. (The statement is
//! inside an `optional_policy`: it holds while the `unconfined` module is
//! loaded, as in Fedora's targeted policy.) With `--init`, pid 1 is the
//! host's `docker-init`, bind-mounted; where it is labelled
//! `container_runtime_exec_t` (`container.fc:3-7`) nothing moves it out of
//! `container_runtime_t` (`can_exec` only, `container.te:123`), and the agent
//! it execs from the image becomes `spc_t` by the rules above.
//!
//! **Without it: `container_t`**, when dockerd runs with `--selinux-enabled`:
//! the process label comes from `/usr/share/containers/selinux/contexts`
//! (go-selinux `go-selinux/selinux_linux.go:29`), which container-selinux
//! installs from `container_contexts` (`Makefile:32`):
//! `process = "system_u:system_r:container_t:s0"`, plus a random MCS pair.
//! Where dockerd runs without `--selinux-enabled` (moby's default, `false`:
//! `daemon/command/config_unix.go:22`; then `selinux.SetDisabled()`,
//! `daemon/daemon_unix.go:827`) no label is set either way and the agent is
//! `spc_t` by the same transitions: the option changes nothing there.
//!
//! # Relabelling instead (`:z`, `:Z`)
//!
//! Docker relabels a bind mount's source, symlinks resolved, with the
//! container's mount label (moby `daemon/volume/mounts/mounts.go:163-177`);
//! go-selinux refuses a fixed list of paths, `/run` among them, but neither
//! `/sys/fs/cgroup` nor `/etc/ecs` (`go-selinux/selinux_linux.go:1124-1174`).
//! So `/var/run:/var/run:z` (`/var/run` → `/run` on Fedora) fails the
//! container's start, and `:z` on `/sys/fs/cgroup` would relabel the host's
//! cgroup tree: paths marked [`HostPath::shared_with_host`] are never
//! relabelled.

/// containers/container-selinux at the commit read.
pub(crate) const CONTAINER_SELINUX: &str =
    "containers/container-selinux@66ae652fde7280fa6e18313d3127d1f717f56768";
/// fedora-selinux/selinux-policy, branch `rawhide`, at the commit read.
pub(crate) const SELINUX_POLICY: &str =
    "fedora-selinux/selinux-policy@fd1d99621ded173a910d0e8cc077c53a70c135ae";
/// moby/moby at the commit read.
pub(crate) const MOBY: &str = "moby/moby@b985e2313a8676e18072b442911fc8f64f17d440";
/// opencontainers/selinux at the commit read.
pub(crate) const GO_SELINUX: &str =
    "opencontainers/selinux@20918b1158e701d839522c88b84ac050878a87c7";

/// A file (and lines) in one of the upstream repositories above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Source {
    /// [`CONTAINER_SELINUX`], [`SELINUX_POLICY`], [`MOBY`] or [`GO_SELINUX`].
    pub repo: &'static str,
    /// Path in the repository, `:line` or `:first-last`.
    pub path: &'static str,
}

const fn cs(path: &'static str) -> Source {
    Source {
        repo: CONTAINER_SELINUX,
        path,
    }
}

const fn sp(path: &'static str) -> Source {
    Source {
        repo: SELINUX_POLICY,
        path,
    }
}

/// The run's option that gives the agent [`UNCONFINED_DOMAIN`].
pub(crate) const LABEL_DISABLE: &str = "--security-opt=label=disable";

/// The agent's domain with [`LABEL_DISABLE`] (see the module documentation).
pub(crate) const UNCONFINED_DOMAIN: &str = "spc_t";

/// Where [`UNCONFINED_DOMAIN`] comes from and why it is unconfined.
pub(crate) const UNCONFINED_DOMAIN_SOURCES: [Source; 8] = [
    Source {
        repo: MOBY,
        path: "daemon/daemon_unix.go:204-262",
    },
    Source {
        repo: GO_SELINUX,
        path: "go-selinux/label/label_linux.go:33-38",
    },
    Source {
        repo: MOBY,
        path: "daemon/oci_linux.go:118",
    },
    cs("container.te:822-824"),
    cs("container.te:880"),
    sp("policy/modules/contrib/virt.if:2002-2008"),
    cs("container.te:862-863"),
    sp("policy/modules/system/unconfined.if:40-46"),
];

/// The agent's domain without [`LABEL_DISABLE`] where dockerd labels
/// containers (`--selinux-enabled`).
pub(crate) const CONFINED_DOMAIN: &str = "container_t";

/// Where [`CONFINED_DOMAIN`] comes from.
pub(crate) const CONFINED_DOMAIN_SOURCES: [Source; 2] = [
    cs("container_contexts:1"),
    Source {
        repo: GO_SELINUX,
        path: "go-selinux/selinux_linux.go:29",
    },
];

/// What the agent does with a host path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    /// Reads files.
    Read,
    /// Creates and writes files.
    Write,
    /// Connects to the Docker socket in it.
    Connect,
}

/// One host path the agent's run bind-mounts (or passes as a device).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HostPath {
    /// The host path as the run names it (a `PATH_VARS` default).
    pub path: &'static str,
    /// What the agent does with it.
    pub agent_use: Use,
    /// The type Fedora's policy gives it (the object the agent uses in it).
    pub label: &'static str,
    /// Where that label comes from.
    pub label_source: &'static [Source],
    /// Whether `container_t` may do [`HostPath::agent_use`] on it.
    pub container_t: bool,
    /// The rules that decide it (for a refusal: the rules there are, none
    /// of which grants it).
    pub container_t_source: &'static [Source],
    /// Whether `spc_t` may (see the module documentation).
    pub spc_t: bool,
    /// Used by the host beyond the agent: relabelling it for the container
    /// (`:z`/`:Z`) would change or break the host.
    pub shared_with_host: bool,
}

/// Every host path the agent's run uses, with Fedora's label for it.
pub(crate) const HOST_PATHS: [HostPath; 7] = [
    HostPath {
        // /var/run is /run (file_contexts.subs_dist); the agent uses the
        // socket the daemon (container_runtime_t) listens on.
        path: "/var/run",
        agent_use: Use::Connect,
        label: "container_var_run_t",
        label_source: &[
            sp("config/file_contexts.subs_dist:11"),
            sp("policy/modules/kernel/files.fc:201-203"),
            cs("container.fc:169"),
        ],
        // container_stream_connect (container.if:634-643) is what it would
        // take; container_domain gets the daemon's sockets without
        // connectto and the runtime directory without its sock_file.
        container_t: false,
        container_t_source: &[
            cs("container.if:634-643"),
            cs("container.te:1046"),
            cs("container.te:1425"),
        ],
        spc_t: true,
        shared_with_host: true,
    },
    HostPath {
        path: "/var/log/ecs",
        agent_use: Use::Write,
        label: "var_log_t",
        label_source: &[sp("policy/modules/system/logging.fc:47-48")],
        // Only syslog messages; nothing writes var_log_t.
        container_t: false,
        container_t_source: &[cs("container.te:1117")],
        spc_t: true,
        shared_with_host: false,
    },
    HostPath {
        path: "/var/lib/ecs/data",
        agent_use: Use::Write,
        label: "var_lib_t",
        label_source: &[sp("policy/modules/kernel/files.fc:299")],
        // Search only, as every domain (domain.te:174), and files_search_all.
        container_t: false,
        container_t_source: &[
            sp("policy/modules/kernel/domain.te:174"),
            cs("container.te:702"),
        ],
        spc_t: true,
        shared_with_host: false,
    },
    HostPath {
        path: "/etc/ecs",
        agent_use: Use::Read,
        label: "etc_t",
        label_source: &[sp("policy/modules/kernel/files.fc:49-50")],
        // Every domain reads the base read-only types, etc_t among them.
        container_t: true,
        container_t_source: &[
            sp("policy/modules/kernel/domain.te:179"),
            sp("policy/modules/kernel/files.te:68"),
        ],
        spc_t: true,
        // The host's docker CLI reads ecs.config there (--env-file).
        shared_with_host: true,
    },
    HostPath {
        // The agent reads cgroup stats and creates task cgroups.
        path: "/sys/fs/cgroup",
        agent_use: Use::Write,
        label: "cgroup_t",
        label_source: &[
            sp("policy/modules/kernel/filesystem.fc:25-26"),
            sp("policy/modules/kernel/filesystem.te:107-108"),
        ],
        // Read and list only; managing needs the boolean
        // container_manage_cgroup, off by default.
        container_t: false,
        container_t_source: &[
            cs("container.te:1076"),
            cs("container.te:1093"),
            cs("container.te:68"),
            cs("container.te:1218-1221"),
        ],
        spc_t: true,
        shared_with_host: true,
    },
    HostPath {
        path: super::agent::CLOUD_INIT_RESULT_PATH,
        agent_use: Use::Read,
        label: "cloud_var_lib_t",
        label_source: &[sp("policy/modules/contrib/cloudform.fc:14")],
        // Only cloud_init_t uses the type.
        container_t: false,
        container_t_source: &[sp("policy/modules/contrib/cloudform.te:75-77")],
        spc_t: true,
        // cloud-init's own record.
        shared_with_host: true,
    },
    HostPath {
        // Written by the start script, read by the agent (GPU support).
        path: super::gpu::GPU_INFO_DIR,
        agent_use: Use::Read,
        label: "var_lib_t",
        label_source: &[sp("policy/modules/kernel/files.fc:299")],
        container_t: false,
        container_t_source: &[
            sp("policy/modules/kernel/domain.te:174"),
            cs("container.te:702"),
        ],
        spc_t: true,
        shared_with_host: false,
    },
];

/// The [`HOST_PATHS`] row for `path`, if any.
pub(crate) fn host_path(path: &str) -> Option<&'static HostPath> {
    HOST_PATHS.iter().find(|h| h.path == path)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::agent::{self, AgentInput, FirewallBackend, PATH_VARS};

    /// One host path the run gives the container.
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Mount {
        host: String,
        /// Options after the container path (`ro`, `z`, …).
        options: Vec<String>,
    }

    /// A `--volume=` value `host:container[:options]`.
    fn volume(spec: &str) -> Mount {
        let mut parts = spec.split(':');
        let host = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().expect("host:container");
        assert!(target.starts_with('/'), "container path in {spec}");
        let options = parts
            .next()
            .map(|o| o.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        assert!(parts.next().is_none(), "{spec}");
        Mount { host, options }
    }

    /// The host paths of `docker run` arguments; every option that brings
    /// a host path in is read, and the two-word forms are refused (the
    /// render writes `--flag=value`).
    fn mounts<'a>(args: impl IntoIterator<Item = &'a str>) -> Vec<Mount> {
        let mut out = Vec::new();
        for a in args {
            assert!(
                !matches!(
                    a,
                    "-v" | "--volume" | "--mount" | "--device" | "--volumes-from"
                ),
                "two-word form {a}: write --flag=value"
            );
            assert!(!a.starts_with("--volumes-from"), "{a}");
            if let Some(spec) = a.strip_prefix("--volume=").or(a.strip_prefix("-v=")) {
                out.push(volume(spec));
            } else if let Some(spec) = a.strip_prefix("--device=") {
                let host = spec.split(':').next().unwrap_or_default().to_owned();
                out.push(Mount {
                    host,
                    options: vec![],
                });
            } else if let Some(spec) = a.strip_prefix("--mount=") {
                let fields: Vec<(&str, &str)> = spec
                    .split(',')
                    .map(|f| f.split_once('=').unwrap_or((f, "")))
                    .collect();
                if fields.iter().any(|(k, v)| *k == "type" && *v != "bind") {
                    continue;
                }
                let host = fields
                    .iter()
                    .find(|(k, _)| *k == "source" || *k == "src")
                    .map(|(_, v)| (*v).to_owned())
                    .expect("bind mount source");
                let options = fields
                    .iter()
                    .filter(|(k, _)| *k == "readonly" || *k == "ro")
                    .map(|_| "ro".to_owned())
                    .collect();
                out.push(Mount { host, options });
            }
        }
        out
    }

    /// The host paths of the start script's mount options (the agent's run
    /// and what the script adds to it, `set -- "--volume=…"`), its
    /// variables read at their defaults.
    fn script_mounts(script: &str) -> Vec<Mount> {
        let mut vars: Vec<(&str, &str)> = PATH_VARS.to_vec();
        vars.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        let mut words = Vec::new();
        for opt in ["\"--volume=", "\"--device=", "\"--mount=", "\"-v="] {
            let mut rest = script;
            while let Some(at) = rest.find(opt) {
                let word = &rest[at + 1..];
                let end = word.find('"').expect("closing quote");
                let mut w = word[..end].to_owned();
                for (name, default) in &vars {
                    w = w.replace(&format!("${{{name}}}"), default);
                    w = w.replace(&format!("${name}"), default);
                }
                assert!(!w.contains('$'), "unresolved variable in {w}");
                words.push(w);
                rest = &word[end..];
            }
        }
        mounts(words.iter().map(String::as_str))
    }

    fn inputs() -> Vec<(&'static str, AgentInput)> {
        let base = AgentInput {
            cluster: "prod".into(),
            ..Default::default()
        };
        let mut gpu = base.clone();
        gpu.config
            .insert("ECS_ENABLE_GPU_SUPPORT".into(), "true".into());
        vec![
            ("defaults", base.clone()),
            ("gpu", gpu),
            (
                "docker0, no guard",
                AgentInput {
                    agent_network: false,
                    block_task_metadata: false,
                    ..base.clone()
                },
            ),
            (
                "nftables",
                AgentInput {
                    firewall_backend: FirewallBackend::Nftables,
                    ..base
                },
            ),
        ]
    }

    /// Every host path the rendered agent run uses has its Fedora label
    /// recorded; the run gives the agent a domain that may use each of them
    /// (`label=disable` whenever one is refused to `container_t`); nothing
    /// shared with the host is relabelled; and no row is stale.
    #[test]
    fn the_agent_run_meets_fedoras_policy() {
        let mut used = BTreeSet::new();
        for (name, input) in inputs() {
            let out = agent::render(&input).unwrap();
            let args = &out.docker_run_args;
            let from_args = mounts(args.iter().map(String::as_str));
            let from_script = script_mounts(&out.start_script);
            for m in &from_args {
                assert!(from_script.contains(m), "{name}: {m:?} not in the script");
            }
            assert_eq!(
                out.start_script.matches("\"$DOCKER\" run").count(),
                1,
                "{name}: one docker run in the start script"
            );
            let image = args.len() - 1;
            let disabled = args[..image].iter().any(|a| a == LABEL_DISABLE);
            let domain = if disabled {
                UNCONFINED_DOMAIN
            } else {
                CONFINED_DOMAIN
            };
            for m in from_args.iter().chain(&from_script) {
                let row = host_path(&m.host).unwrap_or_else(|| {
                    panic!(
                        "{name}: the agent's run uses {} but selinux::HOST_PATHS does not record \
                         its label on Fedora: add a row (label, source, container_t, spc_t)",
                        m.host
                    )
                });
                used.insert(row.path);
                let allowed = if disabled { row.spc_t } else { row.container_t };
                assert!(
                    allowed,
                    "{name}: {} ({}, {:?}) is refused to {domain}: the run needs {LABEL_DISABLE}",
                    row.path, row.label, row.agent_use
                );
                let ro = m.options.iter().any(|o| o == "ro");
                assert!(
                    !ro || row.agent_use == Use::Read,
                    "{name}: {} is mounted read-only but recorded as {:?}",
                    row.path,
                    row.agent_use
                );
                let relabel = m.options.iter().any(|o| o == "z" || o == "Z");
                assert!(
                    !(relabel && row.shared_with_host),
                    "{name}: {} is shared with the host and must not be relabelled ({:?})",
                    row.path,
                    m.options
                );
            }
        }
        let recorded: BTreeSet<&str> = HOST_PATHS.iter().map(|h| h.path).collect();
        assert_eq!(used, recorded, "rows no rendered run uses");
    }

    /// The table is consistent: unique paths, each the default of a
    /// `PATH_VARS` entry, sources in the four repositories, and the agent
    /// needs `label=disable` at all (some row is refused to `container_t`,
    /// none to `spc_t`).
    #[test]
    fn the_table_is_consistent() {
        let paths: BTreeSet<&str> = HOST_PATHS.iter().map(|h| h.path).collect();
        assert_eq!(paths.len(), HOST_PATHS.len());
        for h in &HOST_PATHS {
            assert!(
                PATH_VARS.iter().any(|(_, d)| *d == h.path),
                "{} is no PATH_VARS default",
                h.path
            );
            assert!(!h.label_source.is_empty() && !h.container_t_source.is_empty());
            assert!(h.label.ends_with("_t"), "{}", h.label);
            assert!(h.spc_t, "{}: spc_t is unconfined", h.path);
        }
        assert!(HOST_PATHS.iter().any(|h| !h.container_t));
        let all = HOST_PATHS
            .iter()
            .flat_map(|h| h.label_source.iter().chain(h.container_t_source))
            .chain(&UNCONFINED_DOMAIN_SOURCES)
            .chain(&CONFINED_DOMAIN_SOURCES);
        for s in all {
            assert!(
                [CONTAINER_SELINUX, SELINUX_POLICY, MOBY, GO_SELINUX].contains(&s.repo),
                "{s:?}"
            );
            let (path, lines) = s.path.split_once(':').expect("path:lines");
            assert!(!path.is_empty() && !path.starts_with('/'), "{s:?}");
            assert!(lines.split('-').all(|n| n.parse::<u32>().is_ok()), "{s:?}");
        }
    }
}
