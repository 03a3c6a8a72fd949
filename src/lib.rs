//! terraform-provider-ecshost: renders, manages and verifies the host
//! configuration of self-provisioned ECS container instances.
//!
//! # Layout
//! The layers are crates of their own and depend on each other in one
//! direction only (docs/design/architecture.md):
//! - [`sdk`] is `terraform-plugin` (crates/terraform-plugin): the Terraform
//!   plugin SDK (protocol 6, values, schemas, diagnostics, serving). It knows
//!   nothing about ECS or AWS.
//! - [`render`] is `ecshost-render` (crates/ecshost-render): pure renderers
//!   of host configuration, and [`verify`] its pure judgement of an
//!   instance's facts against the applied configuration (no I/O).
//! - [`ec2`] and [`ecs`] are `ecshost-aws` (crates/ecshost-aws): the EC2 and
//!   ECS API layer.
//! - [`provider`] (this crate): thin Terraform types mapping schemas onto the
//!   layers below; `main.rs` serves it.
//!
//! The layers are re-exported under their old module names so the provider
//! and the acceptance tests address them as `ecshost::sdk`, `ecshost::render`
//! and so on.

/// This build's version: `package.version` in `Cargo.toml`, the one place
/// it is written. The binary's `--version`, the start-up log line, the
/// release artifacts' names and manifest (`.ci/release`) and the harness's
/// mirror all take it from here or from `Cargo.toml` directly.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use ecshost_aws::{ec2, ecs};
pub use ecshost_render as render;
pub use ecshost_render::verify;
pub use terraform_plugin as sdk;

pub mod provider;
