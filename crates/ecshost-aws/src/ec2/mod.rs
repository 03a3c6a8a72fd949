//! The EC2 layer: launch templates and instances on `aws-sdk-ec2`, in plain Rust types.
//! It knows nothing about Terraform; errors carry the operation and the AWS
//! error code so the layer above can turn them into useful diagnostics.

pub mod client;
pub mod error;
pub mod instances;
pub mod launch_templates;
mod raw_body;
pub mod template_data;
pub mod template_request;
pub mod template_xml;
