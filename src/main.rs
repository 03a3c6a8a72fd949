//! The plugin binary Terraform launches.

use std::io::Write as _;
use std::sync::Arc;

use ecshost::provider::{EcsHostProvider, PROVIDER_ADDRESS};
use ecshost::sdk::serve::{serve, ServeConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::process::ExitCode {
    ecshost::sdk::logging::init("provider.terraform-provider-ecshost");
    let debug = std::env::args()
        .skip(1)
        .any(|a| a == "--debug" || a == "-debug");
    let result = match ServeConfig::from_env(PROVIDER_ADDRESS, debug) {
        Ok(cfg) => {
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
            eprintln!("terraform-provider-ecshost: {msg}");
            std::process::ExitCode::from(1)
        }
    }
}
