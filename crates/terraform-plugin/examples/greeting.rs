//! A complete Terraform provider in one file: `example/greeting` with one
//! resource, `greeting_message`, whose computed `text` is "Hello, <name><punctuation>".
//! Its objects live only in Terraform's state (like `random_string`), so
//! the example needs no remote API. `tests/greeting_example.rs` builds it
//! and drives it through the real `terraform` CLI; README.md walks through it.
//!
//! ```text
//! cargo build -p terraform-plugin --example terraform-provider-greeting
//! ```

use std::io::Write as _;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use terraform_plugin::serve::{serve, ServeConfig};
use terraform_plugin::typed::{decode, encode};
use terraform_plugin::{
    Attribute, AttributePath, Block, DataSource, Diagnostics, PlanRequest, PlanResponse, Provider,
    Resource, Schema, StateResponse, StopSignal, TfValue, Value,
};

/// The provider: no configuration, one resource type.
struct Greeting;

#[async_trait]
impl Provider for Greeting {
    fn type_name(&self) -> &'static str {
        "greeting"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new(vec![]))
    }
    async fn configure(&self, _config: &Value, _terraform_version: &str) -> Diagnostics {
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Box<dyn Resource>> {
        vec![Box::new(Message)]
    }
    fn data_sources(&self) -> Vec<Box<dyn DataSource>> {
        vec![]
    }
}

/// `greeting_message`, read and written as a plain struct through the
/// typed bridge. `TfValue` fields may be unknown (during plan).
#[derive(Serialize, Deserialize)]
struct MessageModel {
    id: TfValue<String>,
    name: String,
    punctuation: TfValue<String>,
    text: TfValue<String>,
}

struct Message;

impl Message {
    /// The greeting, when both inputs are known.
    fn text(name: &Value, punctuation: &Value) -> Option<String> {
        Some(format!(
            "Hello, {}{}",
            name.as_str()?,
            punctuation.as_str()?
        ))
    }

    /// `planned` with `id` and `text` filled in.
    fn apply(&self, planned: &Value) -> StateResponse {
        let mut m: MessageModel = match decode(planned) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        let punctuation = m.punctuation.known().cloned().unwrap_or_default();
        m.text = TfValue::Known(format!("Hello, {}{punctuation}", m.name));
        m.id = TfValue::Known(m.name.clone());
        match encode(&m, &self.schema().value_type()) {
            Ok(state) => StateResponse {
                state: Some(state),
                ..Default::default()
            },
            Err(d) => StateResponse::from_diags(d),
        }
    }
}

#[async_trait]
impl Resource for Message {
    fn type_name(&self) -> String {
        "greeting_message".into()
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new(vec![
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("The name greeted."),
            Attribute::string("name")
                .required()
                .requires_replace()
                .description("Who to greet; changing it replaces the message."),
            Attribute::string("punctuation")
                .default("!")
                .description("What ends the greeting. Defaults to `!`."),
            Attribute::string("text")
                .computed()
                .description("The greeting, `Hello, <name><punctuation>`."),
        ]))
    }
    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.attr("name").as_str() == Some("") {
            diags.attribute_error(
                AttributePath::root("name"),
                "Empty name",
                "name must not be empty: write who to greet, e.g. name = \"world\".",
            );
        }
    }
    async fn modify_plan(&self, _req: PlanRequest<'_>, planned: &mut Value) -> PlanResponse {
        // Show the new text in the plan instead of "(known after apply)".
        if let Some(text) = Message::text(planned.attr("name"), planned.attr("punctuation")) {
            if let Some(slot) = planned.attr_mut("text") {
                *slot = Value::from(text);
            }
        }
        PlanResponse::default()
    }
    async fn create(&self, _config: &Value, planned: &Value, _stop: &StopSignal) -> StateResponse {
        self.apply(planned)
    }
    async fn read(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> StateResponse {
        // Nothing outside Terraform's state can change it.
        StateResponse {
            state: Some(state.clone()),
            private: private.to_vec(),
            ..Default::default()
        }
    }
    async fn update(
        &self,
        _prior: &Value,
        _config: &Value,
        planned: &Value,
        _private: &[u8],
        _stop: &StopSignal,
    ) -> StateResponse {
        self.apply(planned)
    }
    async fn delete(&self, _state: &Value, _private: &[u8], _stop: &StopSignal) -> Diagnostics {
        Diagnostics::new()
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    terraform_plugin::logging::init(
        "provider.terraform-provider-greeting",
        &["terraform_provider_greeting"],
    );
    let debug = std::env::args().any(|a| a == "--debug");
    let result = match ServeConfig::from_env("registry.terraform.io/example/greeting", debug) {
        // Terraform reads the handshake line from stdout.
        Ok(cfg) => {
            serve(Arc::new(Greeting), cfg, |line| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            })
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-greeting: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
