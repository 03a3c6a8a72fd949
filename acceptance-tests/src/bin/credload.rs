//! `credload`: both ends of the credentials-path load benchmark
//! (`benches/credentials_load.rs`), small enough that the network path, not
//! this program, is what gets measured.
//!
//! * `credload serve ADDR` — an ECS agent stand-in for load: answers
//!   `GET /v2/credentials/<id>` with 200 and a credentials document shaped
//!   like the agent's (`ecs-agent/credentials`), `GET /v2/credentials/` with
//!   the agent's 400 `NoIdInRequest`; one thread per connection,
//!   `Connection: close`, as SDKs fetching credentials mostly see it.
//! * `credload client HOST:PORT PATH N START` — waits until the wall clock
//!   reaches `START` (ms since the epoch; `@FILE`: the number in FILE, once
//!   it exists — the clients of a run start together), then makes `N`
//!   requests one after another, each on a new TCP
//!   connection, and prints one JSON line: `start_us`, `end_us` (epoch µs),
//!   `ok`, `errors` (first few error texts in `error_samples`) and `lat_us`
//!   (each successful request's latency in µs).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const NO_ID_BODY: &str = r#"{"code":"NoIdInRequest","message":"CredentialsV2Request: No Credential ID in the request","HTTPErrorCode":400}"#;
const CREDENTIALS: &str = r#"{"RoleArn":"arn:aws:iam::000000000000:role/task","AccessKeyId":"ASIAECSHOSTLOADTEST0","SecretAccessKey":"c2VjcmV0LWZvci10aGUtbG9hZC10ZXN0LW9ubHk","Token":"dG9rZW4tZm9yLXRoZS1sb2FkLXRlc3Qtb25seS0xMjM0NTY3ODkw","Expiration":"2030-01-01T00:00:00Z"}"#;

fn now_us() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros()
}

fn serve(addr: &str) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    eprintln!("credload: serving on {addr}");
    for conn in listener.incoming() {
        let Ok(mut s) = conn else { continue };
        std::thread::spawn(move || {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let mut buf = Vec::with_capacity(512);
            let mut chunk = [0u8; 1024];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                if buf.len() > 16 * 1024 {
                    return;
                }
            }
            let head = String::from_utf8_lossy(&buf);
            let path = head.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = match path.strip_prefix("/v2/credentials/") {
                Some("") => ("400 Bad Request", NO_ID_BODY),
                Some(_) => ("200 OK", CREDENTIALS),
                None => ("404 Not Found", "404 page not found\n"),
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes());
        });
    }
    Ok(())
}

fn one(addr: &std::net::SocketAddr, host: &str, path: &str) -> Result<(), String> {
    let mut s =
        TcpStream::connect_timeout(addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    let mut resp = Vec::with_capacity(1024);
    s.read_to_end(&mut resp).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&resp);
    if text.starts_with("HTTP/1.1 200") && text.contains("AccessKeyId") {
        Ok(())
    } else {
        Err(format!(
            "unexpected answer: {:?}",
            text.lines().next().unwrap_or("")
        ))
    }
}

fn start_ms(spec: &str) -> Result<u128, String> {
    let Some(file) = spec.strip_prefix('@') else {
        return spec.parse().map_err(|_| format!("bad START {spec:?}"));
    };
    loop {
        if let Ok(s) = std::fs::read_to_string(file) {
            if let Ok(ms) = s.trim().parse() {
                return Ok(ms);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn client(target: &str, path: &str, n: usize, start: &str) -> Result<(), String> {
    let addr = target
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no address")?;
    let host = target.split(':').next().unwrap_or(target);
    let start_ms = start_ms(start)?;
    while now_us() / 1000 < start_ms {
        std::thread::sleep(Duration::from_millis(1));
    }
    let start_us = now_us();
    let mut lat = Vec::with_capacity(n);
    let mut errors = 0usize;
    let mut samples: Vec<String> = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        match one(&addr, host, path) {
            Ok(()) => lat.push(t.elapsed().as_micros()),
            Err(e) => {
                errors += 1;
                if samples.len() < 3 {
                    samples.push(e);
                }
            }
        }
    }
    let end_us = now_us();
    let lat: Vec<String> = lat.iter().map(u128::to_string).collect();
    let samples: Vec<String> = samples
        .iter()
        .map(|s| format!("\"{}\"", s.replace(['"', '\\'], "'")))
        .collect();
    println!(
        "{{\"start_us\":{start_us},\"end_us\":{end_us},\"ok\":{},\"errors\":{errors},\"error_samples\":[{}],\"lat_us\":[{}]}}",
        lat.len(),
        samples.join(","),
        lat.join(",")
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.get(1).map(String::as_str) {
        Some("serve") if args.len() == 3 => serve(&args[2]).map_err(|e| e.to_string()),
        Some("client") if args.len() == 6 => match args[4].parse() {
            Ok(n) => client(&args[2], &args[3], n, &args[5]),
            _ => Err("N is a number".into()),
        },
        _ => {
            Err("usage: credload serve ADDR | credload client HOST:PORT PATH N START|@FILE".into())
        }
    };
    if let Err(e) = r {
        eprintln!("credload: {e}");
        std::process::exit(1);
    }
}
