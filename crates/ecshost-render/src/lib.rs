//! Pure renderers: Terraform attribute values in, host configuration text out.
//!
//! # Purity rule
//!
//! Nothing in this crate does I/O, reads clocks or environment, draws random
//! numbers, spawns tasks or knows about AWS SDK types. Equal input gives
//! byte-identical output (maps are `BTreeMap`, JSON keeps insertion order, gzip is
//! written with mtime 0 and no file name). That is what lets Terraform call the
//! data sources at plan time and lets tests compare golden files. Only the
//! `#[cfg(test)]` helpers in `consumer_tools` touch the file system, to feed
//! output to the real consumer tools (shellcheck, cloud-init, netplan, ...).
//!
//! # How the pieces fit
//!
//! * [`problem`]: [`problem::Problem`] (a diagnostic addressed to a Terraform
//!   attribute) and [`problem::RenderError`].
//! * [`loopback`]: puts `169.254.170.2/32` on `lo` in the host's own network
//!   configuration language (networkd, Ignition, netplan, NetworkManager, ...).
//! * [`metadata_guard`]: the firewall rules that keep task containers on
//!   `docker0` away from IMDS (`169.254.169.254`), iptables or nftables.
//! * [`agent`]: `docker run` options, start script, systemd unit and
//!   `/etc/ecs/ecs.config` for an ECS agent on its own bridge network, published
//!   on `169.254.170.2:80`, with the in-netns DNAT that makes the agent's
//!   `127.0.0.1:51679` endpoint reachable (see `docs/design/endpoint-reachability.md`).
//! * [`task_dnat`]: the kernel path from tasks on `docker0` to the agent
//!   (instead of `docker-proxy`).
//! * [`self_check`]: the boot-time check script printing one
//!   `ECSHOST_SELF_CHECK {json}` line to the serial console, and its parser.
//! * [`user_data`]: assembles all of the above for one host format (shell,
//!   cloud-init MIME multipart, Ignition, CoreOS cloud-config), gzip, base64,
//!   size check against EC2's 16 KiB limit.
//! * [`analyse`]: reads existing user data back (what an imported template
//!   already does for the host).
//! * [`verify`]: judges one instance's gathered facts (EC2, ECS, the
//!   self-check report) against what was applied.
//! * `selinux` (tests only): the labels Fedora's SELinux policy gives the
//!   host paths the agent's `docker run` uses, with their upstream sources,
//!   and the test holding every rendered run to them.

pub mod agent;
pub mod agent_config;
pub mod analyse;
pub mod gpu;
pub mod host;
pub mod loopback;
pub mod metadata_guard;
pub mod problem;
pub mod self_check;
pub mod task_dnat;
pub mod user_data;
pub mod verify;

#[cfg(test)]
mod consumer_tools;
#[cfg(test)]
mod selinux;

/// The link-local address ECS SDKs use for task credentials and task metadata.
pub const CREDENTIALS_ADDRESS: &str = "169.254.170.2";

/// The agent's credentials endpoint at `address:port`, as a task's SDK asks
/// it (`http://169.254.170.2` + `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`,
/// whose path starts `/v2/credentials/`: `V2CredentialsPath` in
/// aws/amazon-ecs-agent's `ecs-agent/credentials/manager.go`). Without an id
/// the agent answers `400` with `NoIdInRequest`, which the probes look for.
pub fn credentials_url(address: &str, port: u16) -> String {
    format!("http://{address}:{port}/v2/credentials/")
}

/// The instance metadata service address that task containers must not reach.
pub const IMDS_ADDRESS: &str = "169.254.169.254";

/// Directory for the scripts this provider installs on a host. `/opt` because
/// `/usr` is read-only on Flatcar and Fedora CoreOS.
pub const LIB_DIR: &str = "/opt/ecshost";

/// Directory for the systemd units this provider installs.
pub const SYSTEMD_DIR: &str = "/etc/systemd/system";

/// Quotes `s` for POSIX sh as one word (single quotes, `'` written as `'\''`).
pub(crate) fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"@%+=:,./_-".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// gzip (RFC 1952) by libdeflate at its highest level (12): within 0.2 %
/// of zopfli's ratio at a fifteenth of its time, and 2–3 % smaller than
/// zlib's level 9 on our user data (measured 2026-12-07 on the
/// `cloud_init` + gzip default render, 26,838 bytes of text: libdeflate 12
/// 7,411 bytes in 7 ms, zopfli 15 iterations 7,395 in 103 ms, flate2
/// `Compression::best` 7,623; `docs/performance.md`). Decoded by any
/// gunzip. Deterministic: the header carries no time or name, so the same
/// input gives the same user data and plans stay empty.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let level = libdeflater::CompressionLvl::best();
    let mut c = libdeflater::Compressor::new(level);
    let mut out = vec![0; c.gzip_compress_bound(bytes.len())];
    let n = c
        .gzip_compress(bytes, &mut out)
        .expect("the buffer holds gzip_compress_bound bytes");
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::sh_quote;

    #[test]
    fn sh_quote_cases() {
        let cases = [
            ("plain", "abc", "abc"),
            ("empty", "", "''"),
            ("space", "a b", "'a b'"),
            ("quote", "it's", r"'it'\''s'"),
            ("dollar", "$HOME", "'$HOME'"),
            ("ip", "169.254.170.2:80:51679", "169.254.170.2:80:51679"),
        ];
        for (name, input, want) in cases {
            assert_eq!(sh_quote(input), want, "{name}");
        }
    }
}

#[cfg(test)]
mod prop_tests {
    use proptest::prelude::*;

    use super::agent::AgentInput;
    use super::loopback::{self, LoopbackFormat, LoopbackInput};
    use super::user_data::{self, ExtraPart, HostFormat, UserDataInput};

    fn host_format() -> impl Strategy<Value = HostFormat> {
        prop_oneof![
            Just(HostFormat::Shell),
            Just(HostFormat::CloudInit),
            Just(HostFormat::Ignition),
            Just(HostFormat::CoreosCloudConfig)
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Arbitrary strings never panic, and equal input gives equal output.
        #[test]
        fn render_is_total_and_deterministic(
            address in prop_oneof![Just("169.254.170.2".to_owned()), ".{0,20}"],
            device in prop_oneof![Just("lo".to_owned()), ".{0,20}"],
            allow in any::<bool>(),
            cluster in ".{0,30}",
            image in prop_oneof![Just(super::agent::DEFAULT_IMAGE.to_owned()), ".{0,30}"],
            key in ".{0,12}",
            value in ".{0,30}",
            port in any::<u16>(),
            fmt in host_format(),
            gzip in any::<bool>(),
            version in prop_oneof![Just("3.3.0".to_owned()), ".{0,8}"],
            part in ".{0,40}",
        ) {
            let loopback = LoopbackInput { address: address.clone(), device, allow_custom_address: allow };
            for f in LoopbackFormat::ALL {
                let a = loopback::render(f, &loopback, &version);
                prop_assert_eq!(a, loopback::render(f, &loopback, &version));
            }
            let mut agent = AgentInput { cluster, image, credentials_address: address, credentials_port: port, allow_custom_address: allow, ..Default::default() };
            agent.config.insert(key, value);
            let input = UserDataInput {
                host_format: fmt,
                loopback,
                agent,
                gzip,
                ignition_version: version,
                self_check: true,
                extra_parts: vec![ExtraPart { content_type: "text/x-shellscript".into(), content: part, filename: "p.sh".into() }],
            };
            let a = user_data::render(&input);
            prop_assert_eq!(&a, &user_data::render(&input));
            let _ = input.validate();
            let _ = super::agent::render(&input.agent);
            let _ = super::self_check::parse_report_line(&input.agent.cluster);
        }

        /// The report parser never panics on arbitrary console text.
        #[test]
        fn find_report_is_total(text in ".{0,300}") {
            let _ = super::self_check::find_report(&format!("{text}\nECSHOST_SELF_CHECK {text}"));
        }
    }
}
