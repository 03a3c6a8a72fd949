//! The ECS layer: which EC2 instances are container instances of which
//! cluster, on `aws-sdk-ecs`, in plain Rust types. Like [`crate::ec2`] it
//! knows nothing about Terraform, shares the provider's Region, profile,
//! credentials and retry policy, counts its calls per operation and reads
//! in pages and batches, never one call per instance.

pub mod client;
pub mod container_instances;
pub mod error;
