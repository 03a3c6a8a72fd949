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

pub mod ec2;
pub mod ecs;
pub mod provider;
pub mod render;
pub mod sdk;
pub mod verify;
