//! The `ecshost` provider: its configuration and its types. Thin: schemas
//! and mapping only; the work happens in the layers below.

mod agent_options;
mod aws_errors;
mod config;
mod instance_verification;
mod launch_template;
mod loopback_config;
mod render_inputs;
mod user_data;

use std::sync::Arc;

use async_trait::async_trait;

use crate::sdk::{DataSource, Diagnostics, Provider, Resource, Schema, Value};

/// Registry address of this provider.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/ecshost/ecshost";

/// The provider.
#[derive(Default)]
pub struct EcsHostProvider {
    state: Arc<config::ProviderState>,
}

#[async_trait]
impl Provider for EcsHostProvider {
    fn type_name(&self) -> &'static str {
        "ecshost"
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn configure(&self, config: &Value, _terraform_version: &str) -> Diagnostics {
        self.state.configure(config)
    }

    fn resources(&self) -> Vec<Box<dyn Resource>> {
        vec![
            Box::new(launch_template::LaunchTemplate {
                state: self.state.clone(),
            }),
            Box::new(instance_verification::InstanceVerificationGate {
                state: self.state.clone(),
            }),
        ]
    }

    fn data_sources(&self) -> Vec<Box<dyn DataSource>> {
        vec![
            Box::new(loopback_config::LoopbackConfig),
            Box::new(agent_options::AgentOptions),
            Box::new(user_data::UserData),
            Box::new(instance_verification::InstanceVerificationData {
                state: self.state.clone(),
            }),
        ]
    }
}

/// Helpers for the types' unit tests: configurations as Terraform sends
/// them and validation as the RPC layer runs it.
#[cfg(test)]
pub(crate) mod testing {
    use crate::sdk::{plan, AttributePath, Diagnostics, Schema, Severity, Value};

    /// An object from `(name, value)` pairs; absent attributes read as null.
    pub(crate) fn obj(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        )
    }

    /// The schema validators' findings, which the RPC layer collects before
    /// it calls the type's own `validate` with them.
    pub(crate) fn schema_diags(schema: &Schema, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        plan::validate_block(&schema.block, config, &AttributePath::default(), &mut d);
        d
    }

    /// `(attribute path, summary)` of each error.
    pub(crate) fn errors(d: &Diagnostics) -> Vec<(String, String)> {
        of_severity(d, Severity::Error)
    }

    /// `(attribute path, summary)` of each warning.
    pub(crate) fn warnings(d: &Diagnostics) -> Vec<(String, String)> {
        of_severity(d, Severity::Warning)
    }

    fn of_severity(d: &Diagnostics, severity: Severity) -> Vec<(String, String)> {
        d.iter()
            .filter(|x| x.severity == severity)
            .map(|x| {
                (
                    x.attribute
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    x.summary.clone(),
                )
            })
            .collect()
    }
}
