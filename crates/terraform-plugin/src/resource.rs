//! The traits a provider implements, in the style of
//! terraform-plugin-framework: a few required methods per kind, everything
//! else an opt-in method with a safe default.
//!
//! Requests carry [`Value`]s typed by the schema; use
//! [`crate::typed::decode`] to work with plain structs. Responses carry
//! diagnostics *and* values, so "failed, but this object exists" is
//! expressible: return the state together with the error and Terraform
//! saves it (nothing half-created is forgotten).

use async_trait::async_trait;

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::schema::Schema;
use super::stop::StopSignal;
use super::value::Value;

/// The provider itself: its schema, its configuration, its types.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// Type name prefix, e.g. `random` (for `random_string`).
    fn type_name(&self) -> &'static str;
    /// The `provider {}` block schema.
    fn schema(&self) -> Schema;
    /// Validates the provider block (values may be unknown).
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Receives the provider block once per process before any resource
    /// or data source operation.
    async fn configure(&self, config: &Value, terraform_version: &str) -> Diagnostics;
    /// The managed resource types.
    fn resources(&self) -> Vec<Box<dyn Resource>>;
    /// The data source types.
    fn data_sources(&self) -> Vec<Box<dyn DataSource>>;
}

/// Inputs to a plan, and the plan the provider may adjust.
pub struct PlanRequest<'a> {
    /// the state before (null on create)
    pub prior_state: &'a Value,
    /// the configuration (may hold unknowns)
    pub config: &'a Value,
    /// private state from the prior state
    pub prior_private: &'a [u8],
}

/// What a plan produces.
#[derive(Default)]
pub struct PlanResponse {
    /// paths whose change replaces the object (in addition to schema
    /// `RequiresReplace` modifiers)
    pub requires_replace: Vec<AttributePath>,
    /// private state to carry into apply
    pub private: Option<Vec<u8>>,
    /// diagnostics
    pub diags: Diagnostics,
}

/// Result of create, read, update, import or move.
#[derive(Default)]
pub struct StateResponse {
    /// the object's state; `None` means "no object" (read: gone; create:
    /// nothing was made)
    pub state: Option<Value>,
    /// private state
    pub private: Vec<u8>,
    /// diagnostics
    pub diags: Diagnostics,
}

impl StateResponse {
    /// A response carrying only diagnostics.
    pub fn from_diags(diags: Diagnostics) -> Self {
        StateResponse {
            diags,
            ..Default::default()
        }
    }
}

/// Where a `moved` block comes from.
pub struct MoveRequest<'a> {
    /// e.g. `registry.terraform.io/hashicorp/random`
    pub source_provider_address: &'a str,
    /// e.g. `random_string`
    pub source_type_name: &'a str,
    /// schema version of the source state
    pub source_schema_version: i64,
    /// the source state as JSON
    pub source_state_json: &'a [u8],
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync {
    /// Full type name, e.g. `random_string`.
    fn type_name(&self) -> String;
    /// The schema (built per request; cheap).
    fn schema(&self) -> Schema;
    /// Checks configuration beyond per-attribute validators. Values may be
    /// unknown: skip those.
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Adjusts `planned` after defaults, unknowns and plan modifiers have
    /// been applied. Called for create and update, not for destroy.
    async fn modify_plan(&self, _req: PlanRequest<'_>, _planned: &mut Value) -> PlanResponse {
        PlanResponse::default()
    }
    /// Creates the object. `planned` holds unknowns for computed values.
    async fn create(&self, config: &Value, planned: &Value, stop: &StopSignal) -> StateResponse;
    /// Refreshes the object; `state: None` when it no longer exists.
    async fn read(&self, state: &Value, private: &[u8], stop: &StopSignal) -> StateResponse;
    /// Updates the object in place.
    async fn update(
        &self,
        prior: &Value,
        config: &Value,
        planned: &Value,
        private: &[u8],
        stop: &StopSignal,
    ) -> StateResponse;
    /// Deletes the object.
    async fn delete(&self, state: &Value, private: &[u8], stop: &StopSignal) -> Diagnostics;
    /// Imports by id; the state is then refreshed with [`Resource::read`].
    async fn import(&self, _id: &str, _stop: &StopSignal) -> StateResponse {
        StateResponse::from_diags(Diagnostics::from_error(
            "Resource Import Not Implemented",
            format!("{} cannot be imported.", self.type_name()),
        ))
    }
    /// Adopts state of another type (`moved {}` across types). `None`: this
    /// resource does not accept that source.
    async fn move_state(&self, _req: MoveRequest<'_>) -> Option<StateResponse> {
        None
    }
    /// Upgrades JSON state written by schema `version` (older than the
    /// current one). The default handles the current version only.
    async fn upgrade_state(&self, version: i64, json: &[u8]) -> StateResponse {
        let schema = self.schema();
        if version != schema.version {
            return StateResponse::from_diags(Diagnostics::from_error(
                "Unable to Upgrade Resource State",
                format!(
                    "{} has no upgrade from schema version {version} to {}.",
                    self.type_name(),
                    schema.version
                ),
            ));
        }
        match Value::from_json_bytes(json, &schema.value_type()) {
            Ok(v) => StateResponse {
                state: Some(v),
                ..Default::default()
            },
            Err(e) => StateResponse::from_diags(Diagnostics::from_error(
                "Unable to Read Stored State",
                format!(
                    "The stored state of {} could not be decoded: {e}.",
                    self.type_name()
                ),
            )),
        }
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync {
    /// Full type name, e.g. `http` or `local_file`.
    fn type_name(&self) -> String;
    /// The schema.
    fn schema(&self) -> Schema;
    /// Checks configuration beyond per-attribute validators (values may be
    /// unknown).
    async fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Reads: `config` is fully known, with schema defaults already filled
    /// in. Returns the full state.
    async fn read(&self, config: &Value, stop: &StopSignal) -> StateResponse;
}
