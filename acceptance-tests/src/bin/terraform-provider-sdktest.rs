//! A test-only provider that exercises the SDK through the real Terraform
//! CLI before (and independently of) the product's own types. Not shipped.
//!
//! `sdktest_thing` keeps its objects as JSON files in the provider's
//! `store_dir`, so objects outlive provider processes like remote objects
//! do and a test can change or delete them "out of band".

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ecshost::sdk::schema::validators::{IntBetween, OneOf};
use ecshost::sdk::serve::{serve, ServeConfig};
use ecshost::sdk::typed::{decode, encode};
use ecshost::sdk::{
    Attribute, Block, DataSource, Diagnostics, MoveRequest, NestedBlock, Nesting, PlanRequest,
    PlanResponse, Provider, Resource, Schema, StateResponse, StopSignal, TfValue, Value,
};
use serde::{Deserialize, Serialize};

const PRIVATE: &[u8] = b"sdktest-private-v1";

#[derive(Default)]
struct SdkTest {
    store: Arc<Mutex<Option<PathBuf>>>,
}

#[async_trait]
impl Provider for SdkTest {
    fn type_name(&self) -> &'static str {
        "sdktest"
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new(vec![Attribute::string("store_dir")
            .required()
            .description("Where objects live.")]))
    }
    async fn configure(&self, config: &Value, _tf: &str) -> Diagnostics {
        if let Some(d) = config.attr("store_dir").as_str() {
            *self.store.lock().unwrap() = Some(PathBuf::from(d));
        }
        Diagnostics::new()
    }
    fn resources(&self) -> Vec<Box<dyn Resource>> {
        vec![Box::new(Thing {
            store: self.store.clone(),
        })]
    }
    fn data_sources(&self) -> Vec<Box<dyn DataSource>> {
        vec![Box::new(Echo)]
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Settings {
    level: TfValue<i64>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct ThingModel {
    id: TfValue<String>,
    name: String,
    mode: TfValue<String>,
    port: TfValue<i64>,
    tags: TfValue<std::collections::BTreeMap<String, String>>,
    secret: TfValue<String>,
    revision: TfValue<i64>,
    settings: Vec<Settings>,
}

struct Thing {
    store: Arc<Mutex<Option<PathBuf>>>,
}

impl Thing {
    fn file(&self, id: &str) -> PathBuf {
        self.store
            .lock()
            .unwrap()
            .clone()
            .expect("provider configured")
            .join(format!("{id}.json"))
    }
    fn save(&self, m: &ThingModel) {
        let id = m.id.known().expect("id set").clone();
        std::fs::write(self.file(&id), serde_json::to_vec(m).unwrap()).unwrap();
    }
    fn load(&self, id: &str) -> Option<ThingModel> {
        let b = std::fs::read(self.file(id)).ok()?;
        serde_json::from_slice(&b).ok()
    }
    fn state(&self, m: &ThingModel) -> Result<Value, Diagnostics> {
        encode(m, &self.schema().value_type())
    }
}

#[async_trait]
impl Resource for Thing {
    fn type_name(&self) -> String {
        "sdktest_thing".into()
    }
    fn schema(&self) -> Schema {
        Schema::new(
            Block::new(vec![
                Attribute::string("id")
                    .computed()
                    .use_state_for_unknown()
                    .description("Identifier."),
                Attribute::string("name")
                    .required()
                    .requires_replace()
                    .description("Name; changing it replaces."),
                Attribute::string("mode")
                    .default("a")
                    .validator(OneOf(&["a", "b"]))
                    .description("Mode. Defaults to `a`."),
                Attribute::number("port")
                    .optional()
                    .validator(IntBetween(1, 65535))
                    .description("A port."),
                Attribute::string_map("tags")
                    .optional()
                    .description("Tags."),
                Attribute::string("secret")
                    .optional()
                    .sensitive()
                    .description("A secret."),
                Attribute::number("revision")
                    .computed()
                    .description("Bumped on every update."),
            ])
            .with_blocks(vec![NestedBlock::new(
                "settings",
                Nesting::List,
                Block::new(vec![Attribute::number("level")
                    .default(1i64)
                    .description("Level. Defaults to `1`.")]),
            )
            .items(0, 1)]),
        )
        .version(1)
    }

    async fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        if config.attr("name").as_str() == Some("forbidden") {
            diags.attribute_error(
                ecshost::sdk::AttributePath::root("name"),
                "Forbidden name",
                "Pick another name.",
            );
        }
    }

    async fn modify_plan(&self, req: PlanRequest<'_>, planned: &mut Value) -> PlanResponse {
        let mut r = PlanResponse::default();
        if req.prior_state.is_null() {
            // id is predictable: show it at plan time.
            if let Some(n) = req.config.attr("name").as_str() {
                if let Some(id) = planned.attr_mut("id") {
                    *id = Value::from(format!("thing-{n}"));
                }
            }
        }
        r.private = Some(PRIVATE.to_vec());
        r
    }

    async fn create(&self, _config: &Value, planned: &Value, _stop: &StopSignal) -> StateResponse {
        let mut m: ThingModel = match decode(planned) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        m.id = TfValue::Known(format!("thing-{}", m.name));
        m.revision = TfValue::Known(1);
        self.save(&m);
        match self.state(&m) {
            Ok(s) => StateResponse {
                state: Some(s),
                private: PRIVATE.to_vec(),
                diags: Diagnostics::new(),
            },
            Err(d) => StateResponse::from_diags(d),
        }
    }

    async fn read(&self, state: &Value, private: &[u8], _stop: &StopSignal) -> StateResponse {
        let id = state.attr("id").as_str().unwrap_or_default().to_owned();
        let mut diags = Diagnostics::new();
        if private != PRIVATE {
            diags.warning(
                "Private state lost",
                format!("got {:?}", String::from_utf8_lossy(private)),
            );
        }
        match self.load(&id) {
            None => {
                diags.warning(
                    "Object gone",
                    format!("{id} no longer exists; it will be re-created."),
                );
                StateResponse {
                    state: None,
                    private: PRIVATE.to_vec(),
                    diags,
                }
            }
            Some(m) => match self.state(&m) {
                Ok(s) => StateResponse {
                    state: Some(s),
                    private: PRIVATE.to_vec(),
                    diags,
                },
                Err(d) => StateResponse::from_diags(d),
            },
        }
    }

    async fn update(
        &self,
        prior: &Value,
        _c: &Value,
        planned: &Value,
        _p: &[u8],
        _s: &StopSignal,
    ) -> StateResponse {
        let mut m: ThingModel = match decode(planned) {
            Ok(m) => m,
            Err(d) => return StateResponse::from_diags(d),
        };
        let rev = prior.attr("revision");
        let rev = if let Value::Number(n) = rev {
            n.as_i64().unwrap_or(0)
        } else {
            0
        };
        m.revision = TfValue::Known(rev + 1);
        self.save(&m);
        match self.state(&m) {
            Ok(s) => StateResponse {
                state: Some(s),
                private: PRIVATE.to_vec(),
                diags: Diagnostics::new(),
            },
            Err(d) => StateResponse::from_diags(d),
        }
    }

    async fn delete(&self, state: &Value, _p: &[u8], _s: &StopSignal) -> Diagnostics {
        if let Some(id) = state.attr("id").as_str() {
            let _ = std::fs::remove_file(self.file(id));
        }
        Diagnostics::new()
    }

    async fn import(&self, id: &str, _s: &StopSignal) -> StateResponse {
        match self.load(id) {
            Some(m) => match self.state(&m) {
                Ok(s) => StateResponse {
                    state: Some(s),
                    private: PRIVATE.to_vec(),
                    diags: Diagnostics::new(),
                },
                Err(d) => StateResponse::from_diags(d),
            },
            None => StateResponse::from_diags(Diagnostics::from_error(
                "Cannot import",
                format!("No thing with id {id:?}; ids look like thing-<name>."),
            )),
        }
    }

    async fn move_state(&self, req: MoveRequest<'_>) -> Option<StateResponse> {
        if req.source_type_name != "terraform_data" {
            return None;
        }
        let src: serde_json::Value = serde_json::from_slice(req.source_state_json).ok()?;
        let name = src
            .pointer("/input/value")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned();
        // No remote calls here: Terraform moves state before it configures
        // the provider. The refresh that follows fills in the rest.
        let m = ThingModel {
            id: TfValue::Known(format!("thing-{name}")),
            name,
            mode: TfValue::Known("a".into()),
            port: TfValue::Null,
            tags: TfValue::Null,
            secret: TfValue::Null,
            revision: TfValue::Null,
            settings: vec![],
        };
        Some(match self.state(&m) {
            Ok(s) => StateResponse {
                state: Some(s),
                private: PRIVATE.to_vec(),
                diags: Diagnostics::new(),
            },
            Err(d) => StateResponse::from_diags(d),
        })
    }

    async fn upgrade_state(&self, version: i64, json: &[u8]) -> StateResponse {
        // Version 0 called `name` `label`.
        let mut j: serde_json::Value = match serde_json::from_slice(json) {
            Ok(j) => j,
            Err(e) => {
                return StateResponse::from_diags(Diagnostics::from_error(
                    "Bad state",
                    e.to_string(),
                ))
            }
        };
        if version == 0 {
            if let Some(obj) = j.as_object_mut() {
                if let Some(l) = obj.remove("label") {
                    obj.insert("name".into(), l);
                }
            }
        }
        match Value::from_json_bytes(
            &serde_json::to_vec(&j).unwrap(),
            &self.schema().value_type(),
        ) {
            Ok(v) => StateResponse {
                state: Some(v),
                ..Default::default()
            },
            Err(e) => {
                StateResponse::from_diags(Diagnostics::from_error("Bad state", e.to_string()))
            }
        }
    }
}

/// Echoes its input; panics on "panic" to prove panics become diagnostics.
struct Echo;

#[async_trait]
impl DataSource for Echo {
    fn type_name(&self) -> String {
        "sdktest_echo".into()
    }
    fn schema(&self) -> Schema {
        Schema::new(Block::new(vec![
            Attribute::string("value").required(),
            Attribute::string("suffix").default("!"),
            Attribute::string("result").computed(),
        ]))
    }
    async fn read(&self, config: &Value, _stop: &StopSignal) -> StateResponse {
        let v = config.attr("value").as_str().unwrap_or_default();
        if v == "panic" {
            panic!("asked to panic");
        }
        let mut state = config.clone();
        let s = format!("{v}{}", config.attr("suffix").as_str().unwrap_or_default());
        *state.attr_mut("result").unwrap() = Value::from(s);
        StateResponse {
            state: Some(state),
            ..Default::default()
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    ecshost::sdk::logging::init(
        "provider.terraform-provider-sdktest",
        &["terraform_provider_sdktest"],
    );
    let debug = std::env::args().any(|a| a == "--debug");
    let cfg = match ServeConfig::from_env("registry.terraform.io/ecshost/sdktest", debug) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    let r = serve(Arc::new(SdkTest::default()), cfg, |l| {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{l}");
        let _ = o.flush();
    })
    .await;
    if let Err(e) = r {
        eprintln!("{e}");
        return std::process::ExitCode::from(1);
    }
    std::process::ExitCode::SUCCESS
}
