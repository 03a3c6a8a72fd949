//! A reverse proxy between the provider and moto, for what moto cannot do:
//!
//! - **console output**: moto's GetConsoleOutput is a canned 2006 Xen boot
//!   log. The proxy answers it, for instances a test registers, with text the
//!   host lab really printed when it ran that instance's user data;
//! - **faults**: the next N calls of an action answer an EC2 error
//!   (`RequestLimitExceeded`/503, `InternalError`/500), are delayed, are
//!   dropped before reaching moto, or reach moto and lose their answer;
//! - **canned answers** for actions moto lacks (Auto Scaling's
//!   StartInstanceRefresh), so a client that calls them goes on;
//! - **a disconnected ECS agent**: moto always reports `agentConnected:
//!   true`; for container instances a test names, DescribeContainerInstances
//!   answers `false`.
//!
//! Calls are counted by action: the form body's `Action` (EC2, Auto
//! Scaling: query protocol) or the `X-Amz-Target` operation (ECS: JSON
//! protocol), so a test can also assert that a service was never called.
//!
//! Everything else is forwarded unchanged (moto does not check signatures,
//! so the SigV4 `Host` of the proxy is fine). The proxy runs on its own
//! thread and runtime, so synchronous tests can use it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What a matching call gets instead of moto's answer.
#[derive(Clone, Debug)]
pub enum Fault {
    /// An EC2 error response (XML body as EC2 sends it).
    Error {
        /// HTTP status, e.g. 503
        status: u16,
        /// AWS error code, e.g. `RequestLimitExceeded`
        code: &'static str,
    },
    /// Wait, then forward.
    Delay(Duration),
    /// Close the connection without forwarding.
    Drop,
    /// Forward to moto (the action takes effect), then close the
    /// connection without answering: the client never learns the result.
    LoseResponse,
    /// Answer 200 with this XML body instead of forwarding.
    Reply(String),
}

impl Fault {
    /// Throttling, as EC2 answers it.
    pub const THROTTLE: Fault = Fault::Error {
        status: 503,
        code: "RequestLimitExceeded",
    };
    /// A caller without the IAM action, as EC2 answers it (not retried).
    pub const DENIED: Fault = Fault::Error {
        status: 403,
        code: "UnauthorizedOperation",
    };
    /// A server-side failure.
    pub const INTERNAL: Fault = Fault::Error {
        status: 500,
        code: "InternalError",
    };
}

struct Rule {
    action: String,
    remaining: usize,
    fault: Fault,
}

#[derive(Default)]
struct Shared {
    consoles: HashMap<String, String>,
    disconnected: std::collections::HashSet<String>,
    rules: Vec<Rule>,
    actions: BTreeMap<String, u64>,
    faults: BTreeMap<String, u64>,
}

/// The running proxy; stops when dropped.
pub struct Ec2Proxy {
    url: String,
    shared: Arc<Mutex<Shared>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Body = Full<Bytes>;

fn xml_response(status: u16, body: String) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "text/xml;charset=UTF-8")
        .header("x-amzn-requestid", "ec2-proxy")
        .body(Full::new(Bytes::from(body)))
        .expect("static response parts")
}

fn error_body(code: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error></Errors><RequestID>ec2-proxy</RequestID></Response>"#
    )
}

fn console_body(instance_id: &str, text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<GetConsoleOutputResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>ec2-proxy</requestId>
    <instanceId>{instance_id}</instanceId>
    <timestamp>2026-11-29T00:00:00.000Z</timestamp>
    <output>{b64}</output>
</GetConsoleOutputResponse>"#
    )
}

#[derive(Debug)]
struct Dropped;
impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the test proxy")
    }
}
impl std::error::Error for Dropped {}

async fn handle(
    req: Request<Incoming>,
    shared: Arc<Mutex<Shared>>,
    client: Client<HttpConnector, Body>,
    upstream: Arc<str>,
) -> Result<Response<Body>, Dropped> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let params: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let action = params.get("Action").cloned().unwrap_or_else(|| {
        parts
            .headers
            .get("x-amz-target")
            .and_then(|t| t.to_str().ok())
            .and_then(|t| t.rsplit_once('.'))
            .map(|(_, op)| op.to_owned())
            .unwrap_or_default()
    });
    let (fault, console, disconnected) = {
        let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
        let disconnected = if action == "DescribeContainerInstances" {
            s.disconnected.clone()
        } else {
            Default::default()
        };
        *s.actions.entry(action.clone()).or_default() += 1;
        let fault = s
            .rules
            .iter_mut()
            .find(|r| r.action == action && r.remaining > 0)
            .map(|r| {
                r.remaining -= 1;
                r.fault.clone()
            });
        if fault.is_some() {
            *s.faults.entry(action.clone()).or_default() += 1;
        }
        let console = if action == "GetConsoleOutput" {
            params
                .get("InstanceId")
                .and_then(|id| s.consoles.get(id).map(|t| (id.clone(), t.clone())))
        } else {
            None
        };
        (fault, console, disconnected)
    };
    let mut lose_response = false;
    match fault {
        Some(Fault::Error { status, code }) => return Ok(xml_response(status, error_body(code))),
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::LoseResponse) => lose_response = true,
        Some(Fault::Reply(xml)) => return Ok(xml_response(200, xml)),
        None => {}
    }
    if let Some((id, text)) = console {
        return Ok(xml_response(200, console_body(&id, &text)));
    }
    let uri = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let mut fwd = Request::builder().method(parts.method).uri(uri);
    for (k, v) in &parts.headers {
        if k != hyper::header::HOST {
            fwd = fwd.header(k, v);
        }
    }
    let fwd = fwd.body(Full::new(body)).map_err(|_| Dropped)?;
    let resp = client.request(fwd).await.map_err(|_| Dropped)?;
    if lose_response {
        return Err(Dropped);
    }
    let (mut rparts, rbody) = resp.into_parts();
    let mut bytes = rbody.collect().await.map_err(|_| Dropped)?.to_bytes();
    if !disconnected.is_empty() {
        if let Some(b) = disconnect(&bytes, &disconnected) {
            rparts.headers.remove(hyper::header::CONTENT_LENGTH);
            bytes = b;
        }
    }
    Ok(Response::from_parts(rparts, Full::new(bytes)))
}

/// A DescribeContainerInstances answer with `agentConnected: false` for
/// the named container instance ARNs (`None`: not such an answer).
fn disconnect(body: &[u8], arns: &std::collections::HashSet<String>) -> Option<Bytes> {
    let mut v: serde_json::Value = serde_json::from_slice(body).ok()?;
    for c in v.get_mut("containerInstances")?.as_array_mut()? {
        let arn = c.get("containerInstanceArn")?.as_str()?.to_owned();
        if arns.contains(&arn) {
            c["agentConnected"] = serde_json::Value::Bool(false);
        }
    }
    serde_json::to_vec(&v).ok().map(Bytes::from)
}

impl Ec2Proxy {
    /// Starts a proxy on a free port of 127.0.0.1 in front of `upstream`
    /// (e.g. moto's `http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Ec2Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel();
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        let sh = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let client: Client<HttpConnector, Body> =
                    Client::builder(TokioExecutor::new()).build_http();
                loop {
                    let (stream, _) = tokio::select! {
                        r = listener.accept() => match r { Ok(x) => x, Err(_) => continue },
                        _ = &mut stop_rx => return,
                    };
                    let (sh, client, upstream) = (sh.clone(), client.clone(), upstream.clone());
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            handle(req, sh.clone(), client.clone(), upstream.clone())
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        Ec2Proxy {
            url,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The proxy's endpoint URL (`endpoints { ec2 = … }`, `AWS_ENDPOINT_URL`).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// GetConsoleOutput for `instance_id` answers `text` from now on.
    pub fn set_console_output(&self, instance_id: &str, text: &str) {
        self.shared()
            .consoles
            .insert(instance_id.to_owned(), text.to_owned());
    }

    /// DescribeContainerInstances reports the agent of container instance
    /// `arn` disconnected from now on.
    pub fn disconnect_agent(&self, arn: &str) {
        self.shared().disconnected.insert(arn.to_owned());
    }

    /// The next `times` calls of `action` get `fault`.
    pub fn inject(&self, action: &str, times: usize, fault: Fault) {
        self.shared().rules.push(Rule {
            action: action.to_owned(),
            remaining: times,
            fault,
        });
    }

    /// Calls seen, by action (faulted ones included).
    pub fn actions(&self) -> BTreeMap<String, u64> {
        self.shared().actions.clone()
    }

    /// Faults served, by action.
    pub fn faults_served(&self) -> BTreeMap<String, u64> {
        self.shared().faults.clone()
    }
}

impl Drop for Ec2Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
