//! The plugin process as Terraform sees it: the refusal when run by hand,
//! the handshake line, AutoMTLS (the pinned client is served, any other is
//! refused), the gRPC services, and a clean exit on Shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use acceptance_tests::plugin_client::{tls_channel, ClientIdentity};
use acceptance_tests::terraform::built_binary;
use base64::Engine as _;
use ecshost::sdk::proto::plugin::grpc_controller_client::GrpcControllerClient;
use ecshost::sdk::proto::tfplugin6::provider_client::ProviderClient;
use ecshost::sdk::proto::tfplugin6::{get_provider_schema, validate_resource_config, DynamicValue};
use ecshost::sdk::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

struct Plugin {
    child: Child,
    socket: String,
    server_cert: Vec<u8>,
    handshake_ms: f64,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(client_pem: Option<&str>) -> Plugin {
    let mut c = Command::new(built_binary("terraform-provider-ecshost"));
    c.env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_pem {
        c.env("PLUGIN_CLIENT_CERT", pem);
    }
    let t0 = Instant::now();
    let mut child = c.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let handshake_ms = t0.elapsed().as_secs_f64() * 1e3;
    let f: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(f.len(), 6, "handshake line: {line:?}");
    assert_eq!(&f[..3], &["1", "6", "unix"], "{line:?}");
    assert_eq!(f[4], "grpc");
    let server_cert = if f[5].is_empty() {
        Vec::new()
    } else {
        base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(f[5])
            .expect("RawStdEncoding base64")
    };
    Plugin {
        child,
        socket: f[3].to_owned(),
        server_cert,
        handshake_ms,
    }
}

async fn channel(
    p: &Plugin,
    id: Option<&ClientIdentity>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    tls_channel(&p.socket, &p.server_cert, id).await
}

/// Terraform's refusal message when the binary is started by hand.
#[test]
fn run_by_hand_says_it_is_a_plugin() {
    let out = Command::new(built_binary("terraform-provider-ecshost"))
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is a Terraform provider plugin") && err.contains("run by Terraform"),
        "{err}"
    );
}

/// `--version` answers with Cargo.toml's version (the one place it is
/// written) without serving, and the by-hand refusal names it too.
#[test]
fn version_comes_from_cargo_toml() {
    let v = acceptance_tests::release::cargo_toml_version();
    assert_eq!(ecshost::VERSION, v);
    for flag in ["--version", "-version"] {
        let out = Command::new(built_binary("terraform-provider-ecshost"))
            .arg(flag)
            .env_remove(MAGIC_COOKIE_KEY)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("terraform-provider-ecshost {v}\n"),
            "{flag}"
        );
    }
    let out = Command::new(built_binary("terraform-provider-ecshost"))
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with(&format!("terraform-provider-ecshost {v}: ")));
}

/// Protocol 5-only Terraform (0.12–0.15) is told why it cannot work.
#[test]
fn refuses_protocol_5_only_clients() {
    let out = Command::new(built_binary("terraform-provider-ecshost"))
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only version 6"));
}

/// The pinned client is served over TLS; a client with another
/// certificate, or none, is refused; Shutdown ends the process.
#[tokio::test]
async fn automtls_pins_the_client_certificate() {
    let good = ClientIdentity::generate();
    let other = ClientIdentity::generate();
    let mut p = start(Some(&good.pem));
    assert!(
        !p.server_cert.is_empty(),
        "handshake carries the server certificate"
    );
    eprintln!("handshake after {:.1} ms (debug build)", p.handshake_ms);

    for (who, id) in [
        ("a client with another certificate", Some(&other)),
        ("a client without a certificate", None),
    ] {
        let refused = match channel(&p, id).await {
            Err(_) => true,
            Ok(ch) => ProviderClient::new(ch)
                .get_provider_schema(get_provider_schema::Request {})
                .await
                .is_err(),
        };
        assert!(refused, "{who} must be refused");
    }

    let ch = channel(&p, Some(&good))
        .await
        .expect("the pinned client connects");
    let mut client = ProviderClient::new(ch.clone());
    let schema = client
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let caps = schema.server_capabilities.unwrap();
    assert!(caps.get_provider_schema_optional && caps.move_resource_state);

    // Unknown type names are diagnostics, not gRPC errors.
    let r = client
        .validate_resource_config(validate_resource_config::Request {
            type_name: "ecshost_nope".into(),
            config: Some(DynamicValue {
                msgpack: vec![0xc0],
                json: vec![],
            }),
        })
        .await
        .expect("answered, not a gRPC error")
        .into_inner();
    assert_eq!(r.diagnostics.len(), 1);
    assert!(r.diagnostics[0].detail.contains("ecshost_nope"));

    // Health service reports `plugin` as serving (go-plugin pings it).
    let status = tonic_health::pb::health_client::HealthClient::new(ch.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    GrpcControllerClient::new(ch)
        .shutdown(ecshost::sdk::proto::plugin::Empty {})
        .await
        .unwrap();
    let t0 = Instant::now();
    loop {
        if let Some(st) = p.child.try_wait().unwrap() {
            assert!(st.success(), "clean exit: {st:?}");
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "process did not exit after Shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Without PLUGIN_CLIENT_CERT the channel is plaintext and the sixth
/// handshake field is empty.
#[test]
fn plaintext_without_client_cert() {
    let p = start(None);
    assert!(p.server_cert.is_empty());
}

/// `--debug` serves without the cookie and prints a TF_REATTACH_PROVIDERS
/// value that the real terraform CLI can attach to.
#[test]
fn debug_mode_reattach_works_with_terraform() {
    let mut child = Command::new(built_binary("terraform-provider-ecshost"))
        .arg("--debug")
        .env_remove(MAGIC_COOKIE_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut rd = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = String::new();
    for _ in 0..10 {
        let mut line = String::new();
        rd.read_line(&mut line).unwrap();
        if let Some(v) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = v.trim_end_matches('\'').to_owned();
            break;
        }
    }
    let j: serde_json::Value = serde_json::from_str(&reattach).expect("reattach JSON");
    let p = &j["registry.terraform.io/ecshost/ecshost"];
    assert_eq!(p["ProtocolVersion"], serde_json::json!(6));
    assert_eq!(p["Addr"]["Network"], serde_json::json!("unix"));

    let mut wd = acceptance_tests::terraform::Workdir::new();
    wd.env("TF_REATTACH_PROVIDERS", &reattach);
    wd.write_config(
        "terraform {\n  required_providers {\n    ecshost = { source = \"ecshost/ecshost\" }\n  }\n}\ndata \"ecshost_loopback_config\" \"x\" {\n  format = \"shell\"\n}\n",
    );
    wd.init();
    wd.apply();
    assert!(
        child.try_wait().unwrap().is_none(),
        "the debug server outlives terraform runs"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// `TF_LOG=debug` shows the provider's own lines with their levels (hclog
/// JSON on stderr, parsed by go-plugin).
#[test]
fn provider_logs_reach_terraform_with_levels() {
    let mut wd = acceptance_tests::terraform::Workdir::new();
    wd.write_config(
        "terraform {\n  required_providers {\n    ecshost = { source = \"ecshost/ecshost\" }\n  }\n}\ndata \"ecshost_loopback_config\" \"x\" {\n  format = \"shell\"\n}\n",
    );
    wd.init();
    wd.env("TF_LOG", "debug");
    let r = wd.ok(&["plan", "-no-color"]);
    let line = r
        .stderr
        .lines()
        .find(|l| {
            l.contains("provider.terraform-provider-ecshost") && l.contains("tf_rpc=ReadDataSource")
        })
        .unwrap_or_else(|| panic!("no provider debug line in:\n{}", r.stderr));
    assert!(
        line.contains("[DEBUG]"),
        "level parsed from the JSON line: {line}"
    );
    // The start-up line names the build Terraform launched.
    let start = r
        .stderr
        .lines()
        .find(|l| {
            l.contains("provider.terraform-provider-ecshost")
                && l.contains("serving plugin protocol 6")
        })
        .unwrap_or_else(|| panic!("no start-up line in:\n{}", r.stderr));
    assert!(
        start.contains(&format!("version={}", ecshost::VERSION)) && start.contains("[INFO]"),
        "{start}"
    );
}
