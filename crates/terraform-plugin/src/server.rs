//! What each protocol call does, on native values: which provider code
//! runs, with what, and what Terraform gets back — no wire types.
//!
//! [`crate::rpc`] converts `tfplugin6` messages to and from these calls.
//! The split is terraform-plugin-framework's: `internal/proto6server`
//! converts, `internal/fwserver` decides
//! (<https://github.com/hashicorp/terraform-plugin-framework/tree/main/internal>).
//! Every failure is a [`Diagnostics`]; provider panics become one too
//! ([`Server::guarded`]), never a crashed plugin.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tracing::{error, trace};

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::plan;
use super::resource::{DataSource, MoveRequest, PlanRequest, Provider, Resource, StateResponse};
use super::schema::Block;
use super::stop::{StopSignal, StopTrigger};
use super::value::Value;

/// One provider and its types, looked up by type name.
pub(crate) struct Server {
    pub(crate) provider: Arc<dyn Provider>,
    pub(crate) resources: BTreeMap<String, Arc<dyn Resource>>,
    pub(crate) data_sources: BTreeMap<String, Arc<dyn DataSource>>,
    stop_trigger: StopTrigger,
    stop: StopSignal,
}

/// A planned change.
pub(crate) struct Planned {
    /// the planned new state (`Null`: destroy)
    pub state: Value,
    /// attributes whose change forces replacement
    pub requires_replace: Vec<AttributePath>,
    /// private state to carry to apply
    pub private: Vec<u8>,
    /// warnings
    pub diags: Diagnostics,
}

/// The result of an apply, a read or a move: a state, private state and
/// diagnostics.
pub(crate) struct Stored {
    /// the new state (`Null`: gone)
    pub state: Value,
    /// private state
    pub private: Vec<u8>,
    /// warnings and, for apply and read, errors saved beside the state
    pub diags: Diagnostics,
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {name:?}. Check the type name and the provider version."),
    )
}

/// The answer to every call on an ephemeral resource: this provider has
/// none.
pub(crate) fn no_ephemeral_resource(name: &str) -> Diagnostics {
    unknown_type("ephemeral resource", name)
}

impl Server {
    /// Indexes a provider's types.
    pub(crate) fn new(provider: Arc<dyn Provider>) -> Self {
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name(), Arc::from(r)))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), Arc::from(d)))
            .collect();
        let (stop_trigger, stop) = StopSignal::new();
        Server {
            provider,
            resources,
            data_sources,
            stop_trigger,
            stop,
        }
    }

    /// The resource type `name`, or an error diagnostic naming it.
    pub(crate) fn resource(&self, name: &str) -> Result<Arc<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("resource", name))
    }

    /// The data source type `name`, or an error diagnostic naming it.
    pub(crate) fn data_source(&self, name: &str) -> Result<Arc<dyn DataSource>, Diagnostics> {
        self.data_sources
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("data source", name))
    }

    /// Cancels in-flight operations (`StopProvider`).
    pub(crate) fn stop(&self) {
        self.stop_trigger.stop();
    }

    /// Runs provider code, turning a panic into an error diagnostic that
    /// names the provider's binary (`terraform-provider-<type name>`).
    pub(crate) async fn guarded<T>(
        &self,
        what: &str,
        fut: impl Future<Output = T>,
    ) -> Result<T, Diagnostics> {
        trace!(call = what, "calling provider code");
        let r = AssertUnwindSafe(fut).catch_unwind().await;
        trace!(call = what, "called provider code");
        r.map_err(|p| {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            error!(call = what, panic = %msg, "provider code panicked");
            Diagnostics::from_error(
                "Provider Internal Error",
                format!(
                    "The provider panicked in {what}: {msg}. This is a bug in terraform-provider-{}; please report it with the configuration that triggered it.",
                    self.provider.type_name()
                ),
            )
        })
    }

    /// Validates a configuration against its schema, then lets `hook`
    /// (the type's own validation) add to the diagnostics.
    pub(crate) async fn validate(
        &self,
        block: &Block,
        config: &Value,
        hook: impl for<'a> FnOnce(&'a Value, &'a mut Diagnostics) -> futures::future::BoxFuture<'a, ()>,
    ) -> Result<Diagnostics, Diagnostics> {
        let mut diags = Diagnostics::new();
        plan::validate_block(block, config, &AttributePath::default(), &mut diags);
        self.guarded("ValidateConfig", hook(config, &mut diags))
            .await?;
        Ok(diags)
    }

    /// Configures the provider with its configuration (defaults applied).
    pub(crate) async fn configure(
        &self,
        block: &Block,
        raw: &Value,
        terraform_version: &str,
    ) -> Result<Diagnostics, Diagnostics> {
        let cfg = plan::with_defaults(block, raw);
        self.guarded(
            "Configure",
            self.provider.configure(&cfg, terraform_version),
        )
        .await
    }

    /// Upgrades a stored state (JSON of schema `version`).
    pub(crate) async fn upgrade_state(
        &self,
        res: &dyn Resource,
        version: i64,
        json: &[u8],
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        if json.is_empty() {
            return Err(Diagnostics::from_error(
                "Unable to Upgrade Resource State",
                "The stored state is in the legacy flatmap format, which this provider never wrote.",
            ));
        }
        let resp: StateResponse = self
            .guarded("UpgradeState", res.upgrade_state(version, json))
            .await?;
        if resp.diags.has_error() {
            return Err(resp.diags);
        }
        Ok((resp.state.unwrap_or(Value::Null), resp.diags))
    }

    /// Refreshes a resource's state. On error the state Terraform has is
    /// kept: nothing is forgotten.
    pub(crate) async fn read(
        &self,
        res: &dyn Resource,
        state: Value,
        private: Vec<u8>,
    ) -> Result<Stored, Diagnostics> {
        if state.is_null() {
            return Ok(Stored {
                state: Value::Null,
                private: Vec::new(),
                diags: Diagnostics::new(),
            });
        }
        let resp = self
            .guarded("Read", res.read(&state, &private, &self.stop))
            .await?;
        let new_state = if resp.diags.has_error() {
            resp.state.unwrap_or(state)
        } else {
            resp.state.unwrap_or(Value::Null)
        };
        Ok(Stored {
            state: new_state,
            private: if resp.private.is_empty() {
                private
            } else {
                resp.private
            },
            diags: resp.diags,
        })
    }

    /// Plans a change: the schema's rules ([`plan::plan`]), then the
    /// resource's `modify_plan`. A destroy plans nothing; a create forces
    /// no replacement.
    pub(crate) async fn plan(
        &self,
        res: &dyn Resource,
        block: &Block,
        prior: &Value,
        proposed: &Value,
        config: &Value,
        prior_private: Vec<u8>,
    ) -> Result<Planned, Diagnostics> {
        if proposed.is_null() {
            return Ok(Planned {
                state: Value::Null,
                requires_replace: Vec::new(),
                private: prior_private,
                diags: Diagnostics::new(),
            });
        }
        let (mut planned, mut rr) = plan::plan(block, prior, proposed, config);
        let resp = self
            .guarded(
                "ModifyPlan",
                res.modify_plan(
                    PlanRequest {
                        prior_state: prior,
                        config,
                        prior_private: &prior_private,
                    },
                    &mut planned,
                ),
            )
            .await?;
        for p in resp.requires_replace {
            if !rr.contains(&p) {
                rr.push(p);
            }
        }
        if resp.diags.has_error() {
            return Err(resp.diags);
        }
        if prior.is_null() {
            rr.clear();
        }
        Ok(Planned {
            state: planned,
            requires_replace: rr,
            private: resp.private.unwrap_or(prior_private),
            diags: resp.diags,
        })
    }

    /// Applies a planned change: delete (planned `Null`), create (prior
    /// `Null`) or update. A failed delete keeps the object in state;
    /// values the provider left unknown are saved as null with an error.
    pub(crate) async fn apply(
        &self,
        res: &dyn Resource,
        type_name: &str,
        prior: Value,
        planned: &Value,
        config: &Value,
        planned_private: Vec<u8>,
    ) -> Result<Stored, Diagnostics> {
        let stop = &self.stop;
        let (state, private, mut diags) = if planned.is_null() {
            let d = self
                .guarded("Delete", res.delete(&prior, &planned_private, stop))
                .await?;
            let st = if d.has_error() { prior } else { Value::Null };
            (st, planned_private, d)
        } else if prior.is_null() {
            let resp = self
                .guarded("Create", res.create(config, planned, stop))
                .await?;
            (resp.state.unwrap_or(Value::Null), resp.private, resp.diags)
        } else {
            let resp = self
                .guarded(
                    "Update",
                    res.update(&prior, config, planned, &planned_private, stop),
                )
                .await?;
            (resp.state.unwrap_or(prior), resp.private, resp.diags)
        };
        let state = if state.is_fully_known() {
            state
        } else {
            diags.error(
                "Provider returned unknown values after apply",
                format!("{type_name} left values unknown after apply; they were saved as null. This is a bug in the provider."),
            );
            nullify_unknowns(state)
        };
        Ok(Stored {
            state,
            private,
            diags,
        })
    }

    /// Imports the object `id` as a resource of type `type_name`.
    pub(crate) async fn import(
        &self,
        res: &dyn Resource,
        type_name: &str,
        id: &str,
    ) -> Result<Stored, Diagnostics> {
        let resp = self.guarded("Import", res.import(id, &self.stop)).await?;
        if resp.diags.has_error() {
            return Err(resp.diags);
        }
        let Some(state) = resp.state else {
            return Err(Diagnostics::from_error(
                "Cannot Import Non-Existent Remote Object",
                format!("No object with id {id:?} was found for {type_name}."),
            ));
        };
        Ok(Stored {
            state,
            private: resp.private,
            diags: resp.diags,
        })
    }

    /// Moves another type's state into `target` (a `moved` block across
    /// types).
    pub(crate) async fn move_state(
        &self,
        target: &dyn Resource,
        target_type_name: &str,
        mv: MoveRequest<'_>,
    ) -> Result<Stored, Diagnostics> {
        let (source, address) = (mv.source_type_name, mv.source_provider_address);
        let Some(resp) = self.guarded("MoveState", target.move_state(mv)).await? else {
            return Err(Diagnostics::from_error(
                "Unsupported Resource Move",
                format!(
                    "{target_type_name} cannot be moved from {source} ({address}). Supported sources are listed in the resource documentation."
                ),
            ));
        };
        if resp.diags.has_error() {
            return Err(resp.diags);
        }
        Ok(Stored {
            state: resp.state.unwrap_or(Value::Null),
            private: resp.private,
            diags: resp.diags,
        })
    }

    /// Reads a data source with its configuration (defaults applied).
    pub(crate) async fn read_data_source(
        &self,
        ds: &dyn DataSource,
        block: &Block,
        raw: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let cfg = plan::with_defaults(block, raw);
        let resp = self.guarded("Read", ds.read(&cfg, &self.stop)).await?;
        if resp.diags.has_error() {
            return Err(resp.diags);
        }
        Ok((resp.state.unwrap_or(cfg), resp.diags))
    }
}

/// `v` with every unknown replaced by null, at any depth.
fn nullify_unknowns(v: Value) -> Value {
    match v {
        Value::Unknown => Value::Null,
        Value::List(x) => Value::List(x.into_iter().map(nullify_unknowns).collect()),
        Value::Set(x) => Value::Set(x.into_iter().map(nullify_unknowns).collect()),
        Value::Tuple(x) => Value::Tuple(x.into_iter().map(nullify_unknowns).collect()),
        Value::Map(m) => Value::Map(
            m.into_iter()
                .map(|(k, v)| (k, nullify_unknowns(v)))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, nullify_unknowns(v)))
                .collect(),
        ),
        other => other,
    }
}
