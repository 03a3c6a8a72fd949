//! Acceptance-test harness in the spirit of terraform-plugin-testing: the
//! real `terraform` CLI, offline, against freshly built provider binaries
//! installed into a temporary filesystem mirror.
//!
//! # Layout
//! - [`moto`]: a moto server per test, the EC2 emulator (and, through the
//!   ECS launcher, ECS and the ACS endpoint the real agent needs).
//! - [`ec2_proxy`]: a proxy in front of moto serving lab console output and
//!   injecting faults.
//! - [`boot`]: Debian guests under QEMU booting the exact user data EC2 holds.
//! - [`bench`]: helpers of the benchmark drivers in `benches/` (figures
//!   printed for `docs/performance.md`, never asserted).
//! - [`plugin_client`]: go-plugin's client side of AutoMTLS (P-521
//!   identity, pinned server certificate).
//! - [`registry`]: a provider registry and network mirror over HTTPS on
//!   127.0.0.1 serving `.ci/release` artifacts.
//! - [`release`]: a throwaway GPG keyring and `.ci/release` run on a
//!   prebuilt binary.
//! - [`state_fixtures`]: state written by past releases, replayed into moto
//!   and planned by the current build.
//! - [`user_data_edit`]: hand edits of rendered user data for negative cases.
//! - [`terraform`]: building providers once, the mirror, the CLI config and
//!   a [`terraform::Workdir`] per test with init/apply/plan/show/import/destroy.

pub mod bench;
pub mod boot;
pub mod ec2_proxy;
pub mod hostlab;
pub mod moto;
pub mod plugin_client;
pub mod registry;
pub mod release;
pub mod state_fixtures;
pub mod terraform;
pub mod user_data_edit;
pub mod verification;
