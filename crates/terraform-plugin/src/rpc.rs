//! The `tfplugin6.Provider` gRPC service: wire ⇄ native conversion only.
//!
//! Each call decodes its `DynamicValue`s with the type's schema, hands
//! native values to [`Server`] (which decides what runs) and encodes the
//! answer; the split mirrors terraform-plugin-framework's
//! `internal/proto6server` and `internal/fwserver`. Every user-facing
//! failure — an unknown type name, a value that does not decode, a provider
//! panic — is answered with `Ok(response)` carrying an error diagnostic. A
//! gRPC `Status` would abort Terraform's whole run with an unhelpful
//! message.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use tracing::debug;

use super::diag::Diagnostics;
use super::proto::tfplugin6 as pb;
use super::resource::{MoveRequest, Provider};
use super::schema::Schema;
use super::server::{no_ephemeral_resource, Server};
use super::value::Value;
use super::wire;

/// The protocol-6 provider service around one [`Provider`].
pub struct ProviderService {
    server: Server,
}

type RpcResult<T> = Result<Response<T>, Status>;

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
        ProviderService {
            server: Server::new(provider),
        }
    }

    /// Validates a configuration of `schema`, with the type's own `hook`.
    async fn validate(
        &self,
        schema: &Schema,
        config: Option<&pb::DynamicValue>,
        hook: impl for<'a> FnOnce(&'a Value, &'a mut Diagnostics) -> futures::future::BoxFuture<'a, ()>,
    ) -> Result<Vec<pb::Diagnostic>, Diagnostics> {
        let cfg = wire::decode(config, &schema.value_type(), "configuration")?;
        let d = self.server.validate(&schema.block, &cfg, hook).await?;
        Ok(wire::diagnostics(d))
    }

    async fn plan(
        &self,
        req: pb::plan_resource_change::Request,
    ) -> Result<pb::plan_resource_change::Response, Diagnostics> {
        let r = self.server.resource(&req.type_name)?;
        let schema = r.schema();
        let ty = schema.value_type();
        let prior = wire::decode(req.prior_state.as_ref(), &ty, "prior state")?;
        let proposed = wire::decode(req.proposed_new_state.as_ref(), &ty, "proposed new state")?;
        let config = wire::decode(req.config.as_ref(), &ty, "configuration")?;
        let p = self
            .server
            .plan(
                &*r,
                &schema.block,
                &prior,
                &proposed,
                &config,
                req.prior_private,
            )
            .await?;
        Ok(pb::plan_resource_change::Response {
            planned_state: Some(wire::encode(&p.state, &ty)),
            requires_replace: p.requires_replace.into_iter().map(wire::path).collect(),
            planned_private: p.private,
            diagnostics: wire::diagnostics(p.diags),
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        req: pb::apply_resource_change::Request,
    ) -> Result<pb::apply_resource_change::Response, Diagnostics> {
        let r = self.server.resource(&req.type_name)?;
        let ty = r.schema().value_type();
        let prior = wire::decode(req.prior_state.as_ref(), &ty, "prior state")?;
        let planned = wire::decode(req.planned_state.as_ref(), &ty, "planned state")?;
        let config = wire::decode(req.config.as_ref(), &ty, "configuration")?;
        let a = self
            .server
            .apply(
                &*r,
                &req.type_name,
                prior,
                &planned,
                &config,
                req.planned_private,
            )
            .await?;
        Ok(pb::apply_resource_change::Response {
            new_state: Some(wire::encode(&a.state, &ty)),
            private: a.private,
            diagnostics: wire::diagnostics(a.diags),
            legacy_type_system: false,
        })
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
                .server
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata {
                    type_name: k.clone(),
                })
                .collect(),
            resources: self
                .server
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
            provider: Some(wire::schema(&self.server.provider.schema())),
            resource_schemas: self
                .server
                .resources
                .iter()
                .map(|(k, r)| (k.clone(), wire::schema(&r.schema())))
                .collect(),
            data_source_schemas: self
                .server
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
        let schema = self.server.provider.schema();
        let p = self.server.provider.clone();
        let r = self
            .validate(&schema, req.config.as_ref(), move |c, d| {
                Box::pin(async move { p.validate(c, d).await })
            })
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
            let res = self.server.resource(&req.type_name)?;
            let schema = res.schema();
            self.validate(&schema, req.config.as_ref(), move |c, d| {
                Box::pin(async move { res.validate(c, d).await })
            })
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
            let ds = self.server.data_source(&req.type_name)?;
            let schema = ds.schema();
            self.validate(&schema, req.config.as_ref(), move |c, d| {
                Box::pin(async move { ds.validate(c, d).await })
            })
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
            let res = self.server.resource(&req.type_name)?;
            let ty = res.schema().value_type();
            let raw = req.raw_state.unwrap_or_default();
            let (state, diags) = self
                .server
                .upgrade_state(&*res, req.version, &raw.json)
                .await?;
            Ok(pb::upgrade_resource_state::Response {
                upgraded_state: Some(wire::encode(&state, &ty)),
                diagnostics: wire::diagnostics(diags),
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
            let schema = self.server.provider.schema();
            let raw = wire::decode(
                req.config.as_ref(),
                &schema.value_type(),
                "provider configuration",
            )?;
            let d = self
                .server
                .configure(&schema.block, &raw, &req.terraform_version)
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
            let res = self.server.resource(&req.type_name)?;
            let ty = res.schema().value_type();
            let state = wire::decode(req.current_state.as_ref(), &ty, "current state")?;
            let read = self.server.read(&*res, state, req.private).await?;
            Ok(pb::read_resource::Response {
                new_state: Some(wire::encode(&read.state, &ty)),
                diagnostics: wire::diagnostics(read.diags),
                private: read.private,
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
            let res = self.server.resource(&req.type_name)?;
            let ty = res.schema().value_type();
            let imported = self.server.import(&*res, &req.type_name, &req.id).await?;
            Ok(pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name.clone(),
                    state: Some(wire::encode(&imported.state, &ty)),
                    private: imported.private,
                }],
                diagnostics: wire::diagnostics(imported.diags),
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
            let res = self.server.resource(&req.target_type_name)?;
            let ty = res.schema().value_type();
            let json = req
                .source_state
                .as_ref()
                .map(|s| s.json.as_slice())
                .unwrap_or_default();
            let mv = MoveRequest {
                source_provider_address: &req.source_provider_address,
                source_type_name: &req.source_type_name,
                source_schema_version: req.source_schema_version,
                source_state_json: json,
            };
            let moved = self
                .server
                .move_state(&*res, &req.target_type_name, mv)
                .await?;
            Ok(pb::move_resource_state::Response {
                target_state: Some(wire::encode(&moved.state, &ty)),
                diagnostics: wire::diagnostics(moved.diags),
                target_private: moved.private,
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
            let ds = self.server.data_source(&req.type_name)?;
            let schema = ds.schema();
            let ty = schema.value_type();
            let raw = wire::decode(req.config.as_ref(), &ty, "configuration")?;
            let (state, diags) = self
                .server
                .read_data_source(&*ds, &schema.block, &raw)
                .await?;
            Ok(pb::read_data_source::Response {
                state: Some(wire::encode(&state, &ty)),
                diagnostics: wire::diagnostics(diags),
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
        let r: Result<pb::validate_ephemeral_resource_config::Response, _> =
            Err(no_ephemeral_resource(&req.into_inner().type_name));
        answer!(r, pb::validate_ephemeral_resource_config::Response)
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> RpcResult<pb::open_ephemeral_resource::Response> {
        let r: Result<pb::open_ephemeral_resource::Response, _> =
            Err(no_ephemeral_resource(&req.into_inner().type_name));
        answer!(r, pb::open_ephemeral_resource::Response)
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> RpcResult<pb::renew_ephemeral_resource::Response> {
        let r: Result<pb::renew_ephemeral_resource::Response, _> =
            Err(no_ephemeral_resource(&req.into_inner().type_name));
        answer!(r, pb::renew_ephemeral_resource::Response)
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> RpcResult<pb::close_ephemeral_resource::Response> {
        let r: Result<pb::close_ephemeral_resource::Response, _> =
            Err(no_ephemeral_resource(&req.into_inner().type_name));
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
        self.server.stop();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
