//! terraform-provider-ecshost: renders, manages and verifies the host
//! configuration of self-provisioned ECS container instances.
//!
//! # Layout
//! The layers depend on each other in one direction only:
//! - [`sdk`]: the Terraform plugin SDK (protocol 6, values, schemas,
//!   diagnostics, serving). It knows nothing about ECS or AWS.
//! - `render`: pure renderers of host configuration (no I/O).
//! - `verify`: pure judgement of an instance's facts against the applied
//!   configuration (no I/O).
//! - `ec2`: the EC2 API layer.
//! - `ecs`: the ECS API layer (container instances of a cluster).
//! - [`provider`]: thin Terraform types mapping schemas onto the layers
//!   below.

/// This build's version: `package.version` in `Cargo.toml`, the one place
/// it is written. The binary's `--version`, the start-up log line, the
/// release artifacts' names and manifest (`.ci/release`) and the harness's
/// mirror all take it from here or from `Cargo.toml` directly.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub mod ec2;
pub mod ecs;
pub mod provider;
pub mod render;
pub mod sdk;
pub mod verify;
