//! The `tfplugin6.Provider` gRPC service: wire ⇄ native conversion and
//! dispatch to the provider's types.
//!
//! Every user-facing failure — an unknown type name, a value that does not
//! decode, a provider panic — is answered with `Ok(response)` carrying an
//! error diagnostic. A gRPC `Status` would abort Terraform's whole run with
//! an unhelpful message.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt;
use tonic::{Request, Response, Status};
use tracing::{debug, error, trace};

use super::diag::Diagnostics;
use super::path::AttributePath;
use super::plan;
use super::proto::tfplugin6 as pb;
use super::resource::{DataSource, MoveRequest, PlanRequest, Provider, Resource, StateResponse};
use super::stop::{StopSignal, StopTrigger};
use super::value::Value;
use super::wire;

/// The protocol-6 provider service around one [`Provider`].
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    resources: BTreeMap<String, Arc<dyn Resource>>,
    data_sources: BTreeMap<String, Arc<dyn DataSource>>,
    stop_trigger: StopTrigger,
    stop: StopSignal,
}

type RpcResult<T> = Result<Response<T>, Status>;

/// Runs provider code, turning a panic into an error diagnostic that names
/// the provider's binary (`terraform-provider-<type name>`).
async fn guarded<T>(
    provider: &str,
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
            format!("The provider panicked in {what}: {msg}. This is a bug in terraform-provider-{provider}; please report it with the configuration that triggered it."),
        )
    })
}

fn unknown_type(kind: &str, name: &str) -> Diagnostics {
    Diagnostics::from_error(
        format!("Unknown {kind} type"),
        format!("This provider has no {kind} type named {name:?}. Check the type name and the provider version."),
    )
}

fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
    }
}

impl ProviderService {
    /// Wraps a provider.
    pub fn new(provider: Arc<dyn Provider>) -> Self {
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
        ProviderService {
            provider,
            resources,
            data_sources,
            stop_trigger,
            stop,
        }
    }

    fn resource(&self, name: &str) -> Result<Arc<dyn Resource>, Diagnostics> {
        self.resources
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("resource", name))
    }

    fn data_source(&self, name: &str) -> Result<Arc<dyn DataSource>, Diagnostics> {
        self.data_sources
            .get(name)
            .cloned()
            .ok_or_else(|| unknown_type("data source", name))
    }

    async fn plan(
        &self,
        req: pb::plan_resource_change::Request,
    ) -> Result<pb::plan_resource_change::Response, Diagnostics> {
        let r = self.resource(&req.type_name)?;
        let schema = r.schema();
        let ty = schema.value_type();
        let prior = wire::decode(req.prior_state.as_ref(), &ty, "prior state")?;
        let proposed = wire::decode(req.proposed_new_state.as_ref(), &ty, "proposed new state")?;
        let config = wire::decode(req.config.as_ref(), &ty, "configuration")?;
        if proposed.is_null() {
            // Destroy: nothing to plan.
            return Ok(pb::plan_resource_change::Response {
                planned_state: Some(wire::encode(&Value::Null, &ty)),
                planned_private: req.prior_private,
                ..Default::default()
            });
        }
        let (mut planned, mut rr) = plan::plan(&schema.block, &prior, &proposed, &config);
        let resp = guarded(
            self.provider.type_name(),
            "ModifyPlan",
            r.modify_plan(
                PlanRequest {
                    prior_state: &prior,
                    config: &config,
                    prior_private: &req.prior_private,
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
        let mut diags = resp.diags;
        if diags.has_error() {
            return Err(diags);
        }
        if prior.is_null() {
            rr.clear();
        }
        Ok(pb::plan_resource_change::Response {
            planned_state: Some(wire::encode(&planned, &ty)),
            requires_replace: rr.into_iter().map(wire::path).collect(),
            planned_private: resp.private.unwrap_or(req.prior_private),
            diagnostics: wire::diagnostics(std::mem::take(&mut diags)),
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        req: pb::apply_resource_change::Request,
    ) -> Result<pb::apply_resource_change::Response, Diagnostics> {
        let r = self.resource(&req.type_name)?;
        let ty = r.schema().value_type();
        let prior = wire::decode(req.prior_state.as_ref(), &ty, "prior state")?;
        let planned = wire::decode(req.planned_state.as_ref(), &ty, "planned state")?;
        let config = wire::decode(req.config.as_ref(), &ty, "configuration")?;
        let stop = &self.stop;
        let (state, private, mut diags) = if planned.is_null() {
            let d = guarded(
                self.provider.type_name(),
                "Delete",
                r.delete(&prior, &req.planned_private, stop),
            )
            .await?;
            // A failed delete keeps the object in state.
            let st = if d.has_error() {
                prior.clone()
            } else {
                Value::Null
            };
            (st, req.planned_private.clone(), d)
        } else if prior.is_null() {
            let resp = guarded(
                self.provider.type_name(),
                "Create",
                r.create(&config, &planned, stop),
            )
            .await?;
            (resp.state.unwrap_or(Value::Null), resp.private, resp.diags)
        } else {
            let resp = guarded(
                self.provider.type_name(),
                "Update",
                r.update(&prior, &config, &planned, &req.planned_private, stop),
            )
            .await?;
            (
                resp.state.unwrap_or_else(|| prior.clone()),
                resp.private,
                resp.diags,
            )
        };
        let state = if state.is_fully_known() {
            state
        } else {
            diags.error(
                "Provider returned unknown values after apply",
                format!("{} left values unknown after apply; they were saved as null. This is a bug in the provider.", req.type_name),
            );
            nullify_unknowns(state)
        };
        Ok(pb::apply_resource_change::Response {
            new_state: Some(wire::encode(&state, &ty)),
            private,
            diagnostics: wire::diagnostics(diags),
            legacy_type_system: false,
        })
    }
}

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

/// Flattens `Result<response, diags>` into a response with diagnostics.
macro_rules! answer {
    ($r:expr, $resp:ty) => {
        Ok(Response::new(match $r {
            Ok(resp) => resp,
            Err(d) => <$resp>::with_diagnostics(d),
        }))
    };
}

/// Responses that can carry only diagnostics.
trait WithDiagnostics: Default {
    fn set_diagnostics(&mut self, d: Vec<pb::Diagnostic>);
    fn with_diagnostics(d: Diagnostics) -> Self {
        let mut r = Self::default();
        r.set_diagnostics(wire::diagnostics(d));
        r
    }
}

macro_rules! with_diagnostics {
    ($($t:ty),* $(,)?) => {$(
        impl WithDiagnostics for $t {
            fn set_diagnostics(&mut self, d: Vec<pb::Diagnostic>) { self.diagnostics = d; }
        }
    )*};
}

with_diagnostics!(
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::upgrade_resource_state::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::move_resource_state::Response,
    pb::read_data_source::Response,
    pb::validate_ephemeral_resource_config::Response,
    pb::open_ephemeral_resource::Response,
    pb::renew_ephemeral_resource::Response,
    pb::close_ephemeral_resource::Response,
);

async fn validate_config(
    provider: &str,
    schema_block: &super::schema::Block,
    ty: &super::types::Type,
    config: Option<&pb::DynamicValue>,
    hook: impl for<'a> FnOnce(&'a Value, &'a mut Diagnostics) -> futures::future::BoxFuture<'a, ()>,
) -> Result<Vec<pb::Diagnostic>, Diagnostics> {
    let cfg = wire::decode(config, ty, "configuration")?;
    let mut diags = Diagnostics::new();
    plan::validate_block(schema_block, &cfg, &AttributePath::default(), &mut diags);
    guarded(provider, "ValidateConfig", hook(&cfg, &mut diags)).await?;
    Ok(wire::diagnostics(diags))
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_metadata(
        &self,
        _: Request<pb::get_metadata::Request>,
    ) -> RpcResult<pb::get_metadata::Response> {
        debug!(tf_rpc = "GetMetadata", "rpc");
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(server_capabilities()),
            diagnostics: vec![],
            data_sources: self
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: self
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            functions: vec![],
            ephemeral_resources: vec![],
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> RpcResult<pb::get_provider_schema::Response> {
        debug!(tf_rpc = "GetProviderSchema", "rpc");
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(wire::schema(&self.provider.schema())),
            resource_schemas: self
                .resources
                .iter()
                .map(|(k, r)| (k.clone(), wire::schema(&r.schema())))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(k, d)| (k.clone(), wire::schema(&d.schema())))
                .collect(),
            functions: Default::default(),
            ephemeral_resource_schemas: Default::default(),
            diagnostics: vec![],
            provider_meta: None,
            server_capabilities: Some(server_capabilities()),
        }))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> RpcResult<pb::validate_provider_config::Response> {
        debug!(tf_rpc = "ValidateProviderConfig", "rpc");
        let req = req.into_inner();
        let schema = self.provider.schema();
        let p = self.provider.clone();
        let r = validate_config(
            self.provider.type_name(),
            &schema.block,
            &schema.value_type(),
            req.config.as_ref(),
            move |c, d| Box::pin(async move { p.validate(c, d).await }),
        )
        .await
        .map(|diagnostics| pb::validate_provider_config::Response { diagnostics });
        answer!(r, pb::validate_provider_config::Response)
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> RpcResult<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ValidateResourceConfig", tf_resource_type = %req.type_name, "rpc");
        let r = async {
            let res = self.resource(&req.type_name)?;
            let schema = res.schema();
            validate_config(
                self.provider.type_name(),
                &schema.block,
                &schema.value_type(),
                req.config.as_ref(),
                move |c, d| Box::pin(async move { res.validate(c, d).await }),
            )
            .await
        }
        .await
        .map(|diagnostics| pb::validate_resource_config::Response { diagnostics });
        answer!(r, pb::validate_resource_config::Response)
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> RpcResult<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ValidateDataResourceConfig", tf_data_source_type = %req.type_name, "rpc");
        let r = async {
            let ds = self.data_source(&req.type_name)?;
            let schema = ds.schema();
            validate_config(
                self.provider.type_name(),
                &schema.block,
                &schema.value_type(),
                req.config.as_ref(),
                move |c, d| Box::pin(async move { ds.validate(c, d).await }),
            )
            .await
        }
        .await
        .map(|diagnostics| pb::validate_data_resource_config::Response { diagnostics });
        answer!(r, pb::validate_data_resource_config::Response)
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> RpcResult<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "UpgradeResourceState", tf_resource_type = %req.type_name, version = req.version, "rpc");
        let r = async {
            let res = self.resource(&req.type_name)?;
            let ty = res.schema().value_type();
            let raw = req.raw_state.unwrap_or_default();
            if raw.json.is_empty() {
                return Err(Diagnostics::from_error(
                    "Unable to Upgrade Resource State",
                    "The stored state is in the legacy flatmap format, which this provider never wrote.",
                ));
            }
            let resp: StateResponse = guarded(self.provider.type_name(), "UpgradeState", res.upgrade_state(req.version, &raw.json)).await?;
            if resp.diags.has_error() {
                return Err(resp.diags);
            }
            Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(wire::encode(&resp.state.unwrap_or(Value::Null), &ty)),
                diagnostics: wire::diagnostics(resp.diags),
            })
        }
        .await;
        answer!(r, pb::upgrade_resource_state::Response)
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> RpcResult<pb::configure_provider::Response> {
        debug!(tf_rpc = "ConfigureProvider", "rpc");
        let req = req.into_inner();
        let r = async {
            let schema = self.provider.schema();
            let ty = schema.value_type();
            let raw = wire::decode(req.config.as_ref(), &ty, "provider configuration")?;
            let cfg = plan::with_defaults(&schema.block, &raw);
            let d = guarded(
                self.provider.type_name(),
                "Configure",
                self.provider.configure(&cfg, &req.terraform_version),
            )
            .await?;
            Ok(pb::configure_provider::Response {
                diagnostics: wire::diagnostics(d),
            })
        }
        .await;
        answer!(r, pb::configure_provider::Response)
    }

    async fn read_resource(
        &self,
        req: Request<pb::read_resource::Request>,
    ) -> RpcResult<pb::read_resource::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ReadResource", tf_resource_type = %req.type_name, "rpc");
        let r = async {
            let res = self.resource(&req.type_name)?;
            let ty = res.schema().value_type();
            let state = wire::decode(req.current_state.as_ref(), &ty, "current state")?;
            if state.is_null() {
                return Ok(pb::read_resource::Response {
                    new_state: Some(wire::encode(&Value::Null, &ty)),
                    ..Default::default()
                });
            }
            let resp = guarded(
                self.provider.type_name(),
                "Read",
                res.read(&state, &req.private, &self.stop),
            )
            .await?;
            // On error keep the state Terraform has: nothing is forgotten.
            let new_state = if resp.diags.has_error() {
                resp.state.unwrap_or(state)
            } else {
                resp.state.unwrap_or(Value::Null)
            };
            Ok(pb::read_resource::Response {
                new_state: Some(wire::encode(&new_state, &ty)),
                diagnostics: wire::diagnostics(resp.diags),
                private: if resp.private.is_empty() {
                    req.private
                } else {
                    resp.private
                },
                deferred: None,
            })
        }
        .await;
        answer!(r, pb::read_resource::Response)
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> RpcResult<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "PlanResourceChange", tf_resource_type = %req.type_name, "rpc");
        let r = self.plan(req).await;
        answer!(r, pb::plan_resource_change::Response)
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> RpcResult<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ApplyResourceChange", tf_resource_type = %req.type_name, "rpc");
        let r = self.apply(req).await;
        answer!(r, pb::apply_resource_change::Response)
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> RpcResult<pb::import_resource_state::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ImportResourceState", tf_resource_type = %req.type_name, "rpc");
        let r = async {
            let res = self.resource(&req.type_name)?;
            let ty = res.schema().value_type();
            let resp = guarded(
                self.provider.type_name(),
                "Import",
                res.import(&req.id, &self.stop),
            )
            .await?;
            if resp.diags.has_error() {
                return Err(resp.diags);
            }
            let Some(state) = resp.state else {
                return Err(Diagnostics::from_error(
                    "Cannot Import Non-Existent Remote Object",
                    format!(
                        "No object with id {:?} was found for {}.",
                        req.id, req.type_name
                    ),
                ));
            };
            Ok(pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(wire::encode(&state, &ty)),
                    private: resp.private,
                }],
                diagnostics: wire::diagnostics(resp.diags),
                deferred: None,
            })
        }
        .await;
        answer!(r, pb::import_resource_state::Response)
    }

    async fn move_resource_state(
        &self,
        req: Request<pb::move_resource_state::Request>,
    ) -> RpcResult<pb::move_resource_state::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "MoveResourceState", source = %req.source_type_name, target = %req.target_type_name, "rpc");
        let r = async {
            let res = self.resource(&req.target_type_name)?;
            let ty = res.schema().value_type();
            let json = req.source_state.as_ref().map(|s| s.json.as_slice()).unwrap_or_default();
            let mv = MoveRequest {
                source_provider_address: &req.source_provider_address,
                source_type_name: &req.source_type_name,
                source_schema_version: req.source_schema_version,
                source_state_json: json,
            };
            let Some(resp) = guarded(self.provider.type_name(), "MoveState", res.move_state(mv)).await? else {
                return Err(Diagnostics::from_error(
                    "Unsupported Resource Move",
                    format!(
                        "{} cannot be moved from {} ({}). Supported sources are listed in the resource documentation.",
                        req.target_type_name, req.source_type_name, req.source_provider_address
                    ),
                ));
            };
            if resp.diags.has_error() {
                return Err(resp.diags);
            }
            Ok(pb::move_resource_state::Response {
                target_state: Some(wire::encode(&resp.state.unwrap_or(Value::Null), &ty)),
                diagnostics: wire::diagnostics(resp.diags),
                target_private: resp.private,
            })
        }
        .await;
        answer!(r, pb::move_resource_state::Response)
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> RpcResult<pb::read_data_source::Response> {
        let req = req.into_inner();
        debug!(tf_rpc = "ReadDataSource", tf_data_source_type = %req.type_name, "rpc");
        let r = async {
            let ds = self.data_source(&req.type_name)?;
            let schema = ds.schema();
            let ty = schema.value_type();
            let raw = wire::decode(req.config.as_ref(), &ty, "configuration")?;
            let cfg = plan::with_defaults(&schema.block, &raw);
            let resp =
                guarded(self.provider.type_name(), "Read", ds.read(&cfg, &self.stop)).await?;
            if resp.diags.has_error() {
                return Err(resp.diags);
            }
            let state = resp.state.unwrap_or(cfg);
            Ok(pb::read_data_source::Response {
                state: Some(wire::encode(&state, &ty)),
                diagnostics: wire::diagnostics(resp.diags),
                deferred: None,
            })
        }
        .await;
        answer!(r, pb::read_data_source::Response)
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> RpcResult<pb::validate_ephemeral_resource_config::Response> {
        let r: Result<pb::validate_ephemeral_resource_config::Response, _> = Err(unknown_type(
            "ephemeral resource",
            &req.into_inner().type_name,
        ));
        answer!(r, pb::validate_ephemeral_resource_config::Response)
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        let r: Result<pb::open_ephemeral_resource::Response, _> = Err(unknown_type(
            "ephemeral resource",
            &req.into_inner().type_name,
        ));
        answer!(r, pb::open_ephemeral_resource::Response)
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        let r: Result<pb::renew_ephemeral_resource::Response, _> = Err(unknown_type(
            "ephemeral resource",
            &req.into_inner().type_name,
        ));
        answer!(r, pb::renew_ephemeral_resource::Response)
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        let r: Result<pb::close_ephemeral_resource::Response, _> = Err(unknown_type(
            "ephemeral resource",
            &req.into_inner().type_name,
        ));
        answer!(r, pb::close_ephemeral_resource::Response)
    }

    async fn get_functions(
        &self,
        _: Request<pb::get_functions::Request>,
    ) -> RpcResult<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(
        &self,
        req: Request<pb::call_function::Request>,
    ) -> RpcResult<pb::call_function::Response> {
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!(
                    "This provider defines no function named {:?}.",
                    req.into_inner().name
                ),
                function_argument: None,
            }),
        }))
    }

    async fn stop_provider(
        &self,
        _: Request<pb::stop_provider::Request>,
    ) -> RpcResult<pb::stop_provider::Response> {
        debug!(
            tf_rpc = "StopProvider",
            "rpc: cancelling in-flight operations"
        );
        self.stop_trigger.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
