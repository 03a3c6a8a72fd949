//! The plugin binary Terraform launches.

use std::io::Write as _;
use std::sync::Arc;

use ecshost::provider::{EcsHostProvider, PROVIDER_ADDRESS};
use ecshost::sdk::serve::{serve, ServeConfig};
use ecshost::VERSION;

/// The binary's name as the release archives install it (without `_v…`).
const NAME: &str = "terraform-provider-ecshost";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `--version` answers without serving (and without the magic-cookie check):
    // release checks and people debugging an installation use it.
    if args.iter().any(|a| a == "--version" || a == "-version") {
        println!("{NAME} {VERSION}");
        return std::process::ExitCode::SUCCESS;
    }
    ecshost::sdk::logging::init(
        "provider.terraform-provider-ecshost",
        &["ecshost", "ecshost_aws", "terraform_provider_ecshost"],
    );
    let debug = args.iter().any(|a| a == "--debug" || a == "-debug");
    let result = match ServeConfig::from_env(PROVIDER_ADDRESS, debug) {
        Ok(cfg) => {
            let cfg = ServeConfig {
                version: VERSION.to_owned(),
                ..cfg
            };
            serve(Arc::new(EcsHostProvider::default()), cfg, |line| {
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
            let mut msg = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                msg.push_str(&format!(": {s}"));
                src = s.source();
            }
            eprintln!("{NAME} {VERSION}: {msg}");
            std::process::ExitCode::from(1)
        }
    }
}
