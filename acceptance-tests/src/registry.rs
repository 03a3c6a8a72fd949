//! A provider registry and network mirror on 127.0.0.1 over HTTPS, serving
//! one directory of release artifacts as `.ci/release` writes them, so that
//! tests install the provider the way platform teams do: with `terraform
//! init`, which checks the archive's SHA-256 and the signature of the
//! checksum file.
//!
//! Two protocols, both as Terraform's documentation specifies them:
//!
//! - the **provider registry protocol** (an origin registry, whose host name
//!   is part of the provider's source address): service discovery
//!   `/.well-known/terraform.json` → `{"providers.v1": "/v1/providers/"}`,
//!   `GET /v1/providers/:namespace/:type/versions` and
//!   `GET /v1/providers/:namespace/:type/:version/download/:os/:arch`, the
//!   latter with `shasum` (taken from the published `SHA256SUMS`, as a
//!   registry records it at publication), `shasums_url`,
//!   `shasums_signature_url` and `signing_keys.gpg_public_keys`;
//! - the **provider network mirror protocol** under `/mirror/`:
//!   `:hostname/:namespace/:type/index.json`, `…/:version.json` with
//!   `zh:` hashes from the same `SHA256SUMS`, and the zips beside them
//!   (relative `url`), as a static mirror lays them out.
//!
//! Files are served from `/files/<name>`. The server certificate (IP
//! address `127.0.0.1`) is issued by a CA made per server; Terraform (Go)
//! trusts it through `SSL_CERT_FILE` = [`Registry::ca_file`]. The directory
//! is read on every request, so a test can tamper with files between runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{json, Value as Json};

/// A GPG public key as the registry protocol lists it.
#[derive(Clone, Debug)]
pub struct SigningKey {
    /// long key ID, 16 upper-case hex digits
    pub key_id: String,
    /// `gpg --armor --export` of the key
    pub ascii_armor: String,
}

struct Shared {
    artifacts: PathBuf,
    key: SigningKey,
    requests: Vec<String>,
}

/// The running server; stops when dropped.
pub struct Registry {
    /// `127.0.0.1:<port>`: the registry host of source addresses such as
    /// `127.0.0.1:<port>/ecshost/ecshost`
    pub host: String,
    /// PEM file of the CA that issued the server certificate
    pub ca_file: PathBuf,
    _ca_dir: tempfile::TempDir,
    shared: Arc<Mutex<Shared>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

type Body = Full<Bytes>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("response")
}

fn json_reply(v: &Json) -> Response<Body> {
    reply(StatusCode::OK, "application/json", v.to_string())
}

fn not_found() -> Response<Body> {
    reply(StatusCode::NOT_FOUND, "text/plain", "not found\n")
}

/// `<sha256 hex>  <file>` lines of a `SHA256SUMS` file.
pub fn read_sums(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (h, f) = l.split_once("  ")?;
            Some((f.trim().to_owned(), h.to_owned()))
        })
        .collect()
}

/// What the artifact directory holds for provider `ty`: per version, the
/// platforms with a zip, the manifest's protocol versions and the sums.
struct Release {
    platforms: Vec<(String, String)>,
    protocols: Json,
    sums: BTreeMap<String, String>,
}

fn releases(dir: &Path, ty: &str) -> BTreeMap<String, Release> {
    let prefix = format!("terraform-provider-{ty}_");
    let mut out: BTreeMap<String, Release> = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for n in &names {
        let Some(v) = n
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix("_manifest.json"))
        else {
            continue;
        };
        let manifest: Json = std::fs::read(dir.join(n))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Json::Null);
        let platforms = names
            .iter()
            .filter_map(|z| {
                let plat = z
                    .strip_prefix(&format!("{prefix}{v}_"))?
                    .strip_suffix(".zip")?;
                let (os, arch) = plat.split_once('_')?;
                Some((os.to_owned(), arch.to_owned()))
            })
            .collect();
        out.insert(
            v.to_owned(),
            Release {
                platforms,
                protocols: manifest["metadata"]["protocol_versions"].clone(),
                sums: read_sums(&dir.join(format!("{prefix}{v}_SHA256SUMS"))),
            },
        );
    }
    out
}

fn route(path: &str, host: &str, sh: &Shared) -> Response<Body> {
    let base = format!("https://{host}");
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        [".well-known", "terraform.json"] => json_reply(&json!({"providers.v1": "/v1/providers/"})),
        ["v1", "providers", _ns, ty, "versions"] => {
            let versions: Vec<Json> = releases(&sh.artifacts, ty)
                .into_iter()
                .map(|(v, r)| {
                    json!({
                        "version": v,
                        "protocols": r.protocols,
                        "platforms": r.platforms.iter().map(|(os, arch)| json!({"os": os, "arch": arch})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            if versions.is_empty() {
                return not_found();
            }
            json_reply(&json!({ "versions": versions }))
        }
        ["v1", "providers", _ns, ty, v, "download", os, arch] => {
            let all = releases(&sh.artifacts, ty);
            let Some(r) = all.get(*v) else {
                return not_found();
            };
            let file = format!("terraform-provider-{ty}_{v}_{os}_{arch}.zip");
            let Some(shasum) = r.sums.get(&file) else {
                return not_found();
            };
            let sums = format!("terraform-provider-{ty}_{v}_SHA256SUMS");
            json_reply(&json!({
                "protocols": r.protocols,
                "os": os,
                "arch": arch,
                "filename": file,
                "download_url": format!("{base}/files/{file}"),
                "shasums_url": format!("{base}/files/{sums}"),
                "shasums_signature_url": format!("{base}/files/{sums}.sig"),
                "shasum": shasum,
                "signing_keys": {"gpg_public_keys": [{
                    "key_id": sh.key.key_id,
                    "ascii_armor": sh.key.ascii_armor,
                    "trust_signature": "",
                    "source": "ecshost release test",
                    "source_url": null,
                }]},
            }))
        }
        ["mirror", _hostname, _ns, ty, "index.json"] => {
            let versions: serde_json::Map<String, Json> = releases(&sh.artifacts, ty)
                .into_keys()
                .map(|v| (v, json!({})))
                .collect();
            if versions.is_empty() {
                return not_found();
            }
            json_reply(&json!({ "versions": versions }))
        }
        // The archives sit beside the JSON, addressed relatively, as a
        // static mirror lays them out.
        ["mirror", _hostname, _ns, _ty, file] if file.ends_with(".zip") && !file.contains("..") => {
            match std::fs::read(sh.artifacts.join(file)) {
                Ok(b) => reply(StatusCode::OK, "application/zip", b),
                Err(_) => not_found(),
            }
        }
        ["mirror", _hostname, _ns, ty, file] if file.ends_with(".json") => {
            let v = file.trim_end_matches(".json");
            let all = releases(&sh.artifacts, ty);
            let Some(r) = all.get(v) else {
                return not_found();
            };
            let archives: serde_json::Map<String, Json> = r
                .platforms
                .iter()
                .map(|(os, arch)| {
                    let zip = format!("terraform-provider-{ty}_{v}_{os}_{arch}.zip");
                    let hashes: Vec<String> = r
                        .sums
                        .get(&zip)
                        .map(|h| format!("zh:{h}"))
                        .into_iter()
                        .collect();
                    (
                        format!("{os}_{arch}"),
                        json!({"url": zip, "hashes": hashes}),
                    )
                })
                .collect();
            json_reply(&json!({ "archives": archives }))
        }
        ["files", name] if !name.contains("..") => match std::fs::read(sh.artifacts.join(name)) {
            Ok(b) => reply(StatusCode::OK, "application/octet-stream", b),
            Err(_) => not_found(),
        },
        _ => not_found(),
    }
}

impl Registry {
    /// Serves `artifacts` (a `.ci/release` output directory) on a free
    /// port of 127.0.0.1, listing `key` as the signing key.
    pub fn start(artifacts: &Path, key: SigningKey) -> Registry {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "ecshost registry test CA");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
        let srv_key = rcgen::KeyPair::generate().expect("server key");
        let srv_params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("server params");
        let srv_cert = srv_params
            .signed_by(&srv_key, &ca)
            .expect("server certificate");

        let ca_dir = tempfile::Builder::new()
            .prefix("ecshost-registry-ca-")
            .tempdir()
            .expect("temp dir");
        let ca_file = ca_dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).expect("writing CA");

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![
                    CertificateDer::from(srv_cert.der().to_vec()),
                    CertificateDer::from(ca.der().to_vec()),
                ],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(srv_key.serialize_der())),
            )
            .expect("server TLS config");
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind registry");
        listener.set_nonblocking(true).expect("nonblocking");
        let host = listener.local_addr().expect("addr").to_string();
        let shared = Arc::new(Mutex::new(Shared {
            artifacts: artifacts.to_path_buf(),
            key,
            requests: Vec::new(),
        }));
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel();
        let (sh, h) = (shared.clone(), host.clone());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("registry runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let (stream, _) = tokio::select! {
                        r = listener.accept() => match r { Ok(x) => x, Err(_) => continue },
                        _ = &mut stop_rx => return,
                    };
                    let (sh, h, acceptor) = (sh.clone(), h.clone(), acceptor.clone());
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(stream).await else {
                            return;
                        };
                        let svc = service_fn(move |req: Request<Incoming>| {
                            let (sh, h) = (sh.clone(), h.clone());
                            async move {
                                let path = req.uri().path().to_owned();
                                let mut g = sh.lock().unwrap_or_else(|e| e.into_inner());
                                g.requests.push(format!("{} {path}", req.method()));
                                let resp = if req.method() == hyper::Method::GET
                                    || req.method() == hyper::Method::HEAD
                                {
                                    route(&path, &h, &g)
                                } else {
                                    reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "")
                                };
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(tls), svc)
                            .await;
                    });
                }
            });
        });
        Registry {
            host,
            ca_file,
            _ca_dir: ca_dir,
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `https://127.0.0.1:<port>/mirror/`, for `network_mirror { url = … }`.
    pub fn mirror_url(&self) -> String {
        format!("https://{}/mirror/", self.host)
    }

    /// Every request so far, as `GET /path`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .requests
            .clone()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
