//! Start-up figures of the provider binary (printed, not asserted):
//! process start → handshake line, → GetProviderSchema answered, resident
//! memory after the schema, and the binary's size.
//!
//! Run: `cargo bench -p acceptance-tests --bench startup` (uses the release
//! binary when `ECSHOST_PROVIDER_BIN` points at it, else the debug build).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use ecshost::sdk::proto::tfplugin6::get_provider_schema;
use ecshost::sdk::proto::tfplugin6::provider_client::ProviderClient;
use ecshost::sdk::serve::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let bin = std::env::var("ECSHOST_PROVIDER_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            acceptance_tests::terraform::built_binary("terraform-provider-ecshost")
        });
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let (mut hs, mut schema, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t0 = Instant::now();
        let mut child = Command::new(&bin)
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn provider");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        hs.push(t0.elapsed().as_secs_f64() * 1e3);
        let sock = line.split('|').nth(3).unwrap().to_owned();
        let ch = tonic::transport::Endpoint::try_from("http://localhost")
            .unwrap()
            .connect_with_connector(tower::service_fn(move |_| {
                let sock = sock.clone();
                async move {
                    Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(
                        tokio::net::UnixStream::connect(sock).await?,
                    ))
                }
            }))
            .await
            .unwrap();
        ProviderClient::new(ch)
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .unwrap();
        schema.push(t0.elapsed().as_secs_f64() * 1e3);
        let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap();
        rss.push(kb / 1024.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    let size = std::fs::metadata(&bin).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
    println!("binary: {} ({size:.1} MiB)", bin.display());
    println!(
        "runs: {runs}, plaintext Unix socket (AutoMTLS adds a certificate generation per start)"
    );
    println!(
        "start → handshake line:       median {:.2} ms, p90 {:.2} ms",
        median(&mut hs),
        pct(&mut hs, 0.9)
    );
    println!(
        "start → GetProviderSchema ok: median {:.2} ms, p90 {:.2} ms",
        median(&mut schema),
        pct(&mut schema, 0.9)
    );
    println!(
        "RSS after GetProviderSchema:  median {:.1} MiB, max {:.1} MiB",
        median(&mut rss),
        pct(&mut rss, 1.0)
    );
}
