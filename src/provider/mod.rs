//! The `ecshost` provider: its configuration and its types. Thin: schemas
//! and mapping only; the work happens in the layers below.

mod agent_options;
mod loopback_config;
mod render_inputs;
mod user_data;

use async_trait::async_trait;

use crate::sdk::{Block, DataSource, Diagnostics, Provider, Resource, Schema, Value};

/// Registry address of this provider.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/ecshost/ecshost";

/// The provider.
#[derive(Default)]
pub struct EcsHostProvider {}

#[async_trait]
impl Provider for EcsHostProvider {
    fn type_name(&self) -> &'static str {
        "ecshost"
    }

    fn schema(&self) -> Schema {
        Schema::new(Block::new(vec![]).description(
            "Renders, manages and verifies the host configuration of self-provisioned ECS container instances.",
        ))
    }

    async fn configure(&self, _config: &Value, _terraform_version: &str) -> Diagnostics {
        Diagnostics::new()
    }

    fn resources(&self) -> Vec<Box<dyn Resource>> {
        vec![]
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource>> {
        vec![
            Box::new(loopback_config::LoopbackConfig),
            Box::new(agent_options::AgentOptions),
            Box::new(user_data::UserData),
        ]
    }
}
