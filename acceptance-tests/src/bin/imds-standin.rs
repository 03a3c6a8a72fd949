//! Instance-metadata stand-in for the boot tests: an IMDSv2 server that a
//! QEMU guest reaches through the tap device of a network namespace the test
//! created (never the real `169.254.169.254`).
//!
//! ```text
//! imds-standin --listen 169.254.169.254:80 --hop-limit 2 --instance-id i-… \
//!              [--tokens required|optional] [--region us-east-1] [--log FILE] \
//!              [--docroot DIR]
//! ```
//!
//! What it does like EC2's IMDS (AWS docs, "Use the Instance Metadata
//! Service to access instance metadata", IMDSv2):
//! - `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`
//!   (1–21600) answers a token; without the header 400, with
//!   `X-Forwarded-For` 403;
//! - **the hop limit**: the answer to the token `PUT` leaves with IP TTL =
//!   `--hop-limit` (`HttpPutResponseHopLimit`), so a client more forwards
//!   away than that never receives it;
//! - `GET` needs a valid `X-aws-ec2-metadata-token` when tokens are
//!   `required` (401 otherwise) and serves `instance-id`, `placement/region`,
//!   `placement/availability-zone` and the identity document; 404 elsewhere;
//! - with `--docroot DIR`, a `GET` of `/latest/<path>` answers the file
//!   `DIR/latest/<path>` first (a directory: its entries, one per line,
//!   sub-directories with a trailing `/`, as IMDS lists
//!   `iam/security-credentials/`): what the real ECS agent reads at start
//!   (`hostlab::imds::write_instance_files`).
//!
//! One line per connection goes to `--log`: the wall-clock time (Unix
//! seconds, ms), the peer, and method, path, status and TTL of the request,
//! or why none was answered (`error …`), so a boot's console can be matched
//! against what reached the stand-in.
//! Runs until killed. std only: the test harness starts it with
//! `nsenter --net=<namespace>`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
struct Config {
    hop_limit: u32,
    tokens_required: bool,
    instance_id: String,
    region: String,
    docroot: Option<std::path::PathBuf>,
}

struct State {
    cfg: Config,
    tokens: Mutex<HashSet<String>>,
    log: Mutex<Option<std::fs::File>>,
}

fn usage() -> ! {
    eprintln!(
        "usage: imds-standin --listen ADDR:PORT --hop-limit N --instance-id ID \
         [--tokens required|optional] [--region R] [--log FILE] [--docroot DIR]"
    );
    std::process::exit(2)
}

fn main() {
    let mut listen = None;
    let mut cfg = Config {
        hop_limit: 1,
        tokens_required: true,
        instance_id: String::new(),
        region: "us-east-1".into(),
        docroot: None,
    };
    let mut log = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--listen" => listen = Some(v()),
            "--hop-limit" => cfg.hop_limit = v().parse().unwrap_or_else(|_| usage()),
            "--instance-id" => cfg.instance_id = v(),
            "--region" => cfg.region = v(),
            "--tokens" => cfg.tokens_required = v() == "required",
            "--log" => log = Some(v()),
            "--docroot" => cfg.docroot = Some(v().into()),
            _ => usage(),
        }
    }
    let listen = listen.unwrap_or_else(|| usage());
    if cfg.instance_id.is_empty() || !(1..=64).contains(&cfg.hop_limit) {
        usage();
    }
    let log = log.map(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&p)
            .unwrap_or_else(|e| panic!("open {p}: {e}"))
    });
    let listener = TcpListener::bind(&listen).unwrap_or_else(|e| panic!("bind {listen}: {e}"));
    eprintln!(
        "imds-standin: listening on {listen}, hop limit {}",
        cfg.hop_limit
    );
    let state = Arc::new(State {
        cfg,
        tokens: Mutex::new(HashSet::new()),
        log: Mutex::new(log),
    });
    for stream in listener.incoming().flatten() {
        let state = state.clone();
        std::thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            if let Err(e) = serve(stream, &state) {
                log_line(&state, &format!("{peer} error {e}"));
            }
        });
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let req = Request {
        method,
        path,
        headers,
    };
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len.min(65536)];
    r.read_exact(&mut body)?;
    Ok(req)
}

fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let s = std::collections::hash_map::RandomState::new();
    let mut out = String::from("AQAEA");
    for i in 0..4u64 {
        let mut h = s.build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Appends `line` behind the wall-clock time to the log, if there is one.
fn log_line(st: &State, line: &str) {
    if let Some(f) = st.log.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let _ = writeln!(f, "{}.{:03} {line}", now.as_secs(), now.subsec_millis());
    }
}

fn serve(mut stream: TcpStream, st: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let req = read_request(&stream)?;
    let path = req.path.split('?').next().unwrap_or_default().to_owned();
    let mut ttl = None;
    let (status, body) = if path == "/latest/api/token" {
        if req.method != "PUT" {
            (405, String::new())
        } else if req.header("x-forwarded-for").is_some() {
            (403, String::new())
        } else {
            match req
                .header("x-aws-ec2-metadata-token-ttl-seconds")
                .and_then(|v| v.parse::<u32>().ok())
            {
                Some(1..=21600) => {
                    // The hop limit: this answer dies after `hop_limit` hops.
                    stream.set_ttl(st.cfg.hop_limit)?;
                    ttl = Some(st.cfg.hop_limit);
                    let t = new_token();
                    st.tokens
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(t.clone());
                    (200, t)
                }
                _ => (400, String::new()),
            }
        }
    } else if req.method != "GET" && req.method != "HEAD" {
        (405, String::new())
    } else {
        let token_ok = req.header("x-aws-ec2-metadata-token").is_some_and(|t| {
            st.tokens
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(t)
        });
        // A token that is not ours is refused even where tokens are optional.
        if !token_ok && (st.cfg.tokens_required || req.header("x-aws-ec2-metadata-token").is_some())
        {
            (401, String::new())
        } else {
            let c = &st.cfg;
            if let Some(found) = c.docroot.as_deref().and_then(|d| from_docroot(d, &path)) {
                found
            } else {
                match path.as_str() {
                    "/latest/meta-data/" | "/latest/meta-data" => {
                        (200, "instance-id\nplacement/\nservices/".to_owned())
                    }
                    "/latest/meta-data/instance-id" => (200, c.instance_id.clone()),
                    "/latest/meta-data/placement/region" => (200, c.region.clone()),
                    "/latest/meta-data/placement/availability-zone" => {
                        (200, format!("{}a", c.region))
                    }
                    "/latest/dynamic/instance-identity/document" => (
                        200,
                        format!(
                            r#"{{"instanceId":"{}","region":"{}","availabilityZone":"{}a","accountId":"000000000000"}}"#,
                            c.instance_id, c.region, c.region
                        ),
                    ),
                    _ => (404, String::new()),
                }
            }
        }
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Method Not Allowed",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\nServer: EC2ws\r\n",
        body.len()
    );
    if ttl.is_some() {
        if let Some(v) = req.header("x-aws-ec2-metadata-token-ttl-seconds") {
            head.push_str(&format!("X-Aws-Ec2-Metadata-Token-Ttl-Seconds: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if req.method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()?;
    log_line(
        st,
        &format!(
            "{peer} {} {} {status} ttl={}",
            req.method,
            req.path,
            ttl.map_or_else(|| "default".to_owned(), |t| t.to_string())
        ),
    );
    Ok(())
}

/// `GET path` from the docroot: a file's content, a directory's entries
/// (sorted, sub-directories with `/`), or `None` (the built-in answers
/// apply). Only paths below `/latest/` without `..` are looked up.
fn from_docroot(docroot: &std::path::Path, path: &str) -> Option<(u16, String)> {
    let rel = path.strip_prefix('/')?;
    if !rel.starts_with("latest/") || rel.split('/').any(|c| c == "..") {
        return None;
    }
    let p = docroot.join(rel.trim_end_matches('/'));
    if p.is_dir() {
        let mut names: Vec<String> = std::fs::read_dir(&p)
            .ok()?
            .flatten()
            .map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                if e.path().is_dir() {
                    n + "/"
                } else {
                    n
                }
            })
            .collect();
        names.sort();
        return Some((200, names.join("\n")));
    }
    std::fs::read_to_string(&p).ok().map(|b| (200, b))
}
