//! The AWS API layer of terraform-provider-ecshost: EC2 launch templates and
//! instances ([`ec2`]) and ECS container instances ([`ecs`]), on the AWS SDK
//! for Rust, in plain Rust types.
//!
//! It knows nothing about Terraform: no plugin SDK, no gRPC, no schema. Errors
//! carry the operation and the AWS error code so the provider can turn them
//! into diagnostics. What to send is decided above (the provider maps
//! attributes; `ecshost-render` renders user data); this layer only calls
//! the APIs, pages, batches and counts the calls
//! (docs/design/architecture.md).

mod call_counts;
pub mod ec2;
pub mod ecs;
