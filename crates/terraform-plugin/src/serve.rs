//! Serving a provider the way Terraform launches plugins (go-plugin):
//! magic-cookie check, protocol negotiation, a Unix socket in a private
//! temporary directory, optional AutoMTLS, the one-line handshake on stdout,
//! and a clean exit on `GRPCController.Shutdown`.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::server::TlsStream;
use tonic::transport::server::Connected;
use tracing::{debug, info, warn};

use super::automtls::{ServerIdentity, TlsError};
use super::goplugin::{Broker, Controller, Stdio};
use super::proto::plugin as gp;
use super::proto::tfplugin6 as pb;
use super::resource::Provider;
use super::rpc::ProviderService;

/// The magic cookie go-plugin clients set for Terraform providers.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Its value.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// The only protocol version served.
pub const PROTOCOL_VERSION: u32 = 6;
/// gRPC message size limit, raised above tonic's 4 MiB default: large
/// states and schemas must not fail on size.
const MAX_MESSAGE: usize = 256 << 20;

/// Why the provider could not be served.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Run by hand, not by Terraform.
    #[error(
        "this binary is a Terraform provider plugin and is meant to be run by Terraform, not by hand\n\
         (declare `{provider}` in required_providers and run `terraform init`; to debug, run it with --debug)"
    )]
    NotUnderTerraform {
        /// the provider's source address as written in `required_providers`
        /// (e.g. `hashicorp/random`)
        provider: String,
    },
    /// Terraform speaks no protocol version this provider serves.
    #[error("Terraform offers plugin protocol versions {offered:?}, but this provider serves only version 6 (Terraform 1.0 or newer)")]
    Protocol {
        /// what Terraform offered
        offered: String,
    },
    /// Socket trouble.
    #[error("setting up the plugin socket")]
    Io(#[from] io::Error),
    /// TLS trouble.
    #[error("setting up AutoMTLS")]
    Tls(#[from] TlsError),
    /// gRPC server trouble.
    #[error("serving gRPC")]
    Transport(#[from] tonic::transport::Error),
}

/// How to serve, normally read from the environment Terraform sets.
#[derive(Clone, Debug, Default)]
pub struct ServeConfig {
    /// registry address, for the debug-mode reattach line
    pub address: String,
    /// the provider's own version (e.g. `0.1.0`), logged when serving
    /// starts so that `TF_LOG=info` shows which build Terraform launched;
    /// empty when unknown
    pub version: String,
    /// `--debug`: no cookie check, print `TF_REATTACH_PROVIDERS` instead of
    /// the handshake, stop on Ctrl-C
    pub debug: bool,
    /// Terraform's client certificate (PEM) for AutoMTLS
    pub client_cert_pem: Option<String>,
    /// where to create the socket's private directory
    pub socket_dir: Option<PathBuf>,
}

impl ServeConfig {
    /// Reads and checks what Terraform passes in the environment.
    pub fn from_env(address: &str, debug: bool) -> Result<Self, ServeError> {
        if !debug {
            if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
                let provider = address
                    .strip_prefix("registry.terraform.io/")
                    .unwrap_or(address);
                return Err(ServeError::NotUnderTerraform {
                    provider: provider.to_owned(),
                });
            }
            let offered = std::env::var("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
            if !offered.is_empty() && !offered.split(',').any(|v| v.trim() == "6") {
                return Err(ServeError::Protocol { offered });
            }
        }
        Ok(ServeConfig {
            address: address.to_owned(),
            version: String::new(),
            debug,
            client_cert_pem: std::env::var("PLUGIN_CLIENT_CERT")
                .ok()
                .filter(|s| !s.trim().is_empty()),
            socket_dir: std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").map(PathBuf::from),
        })
    }
}

/// A served connection: plaintext, or TLS when AutoMTLS is on.
enum Conn {
    Plain(UnixStream),
    Tls(Box<TlsStream<UnixStream>>),
}

impl Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Serves `provider` until Terraform asks the process to shut down.
/// `announce` receives the line to print on stdout (the handshake, or the
/// debug-mode reattach instructions) once the socket is listening.
pub async fn serve(
    provider: Arc<dyn Provider>,
    cfg: ServeConfig,
    announce: impl FnOnce(String),
) -> Result<(), ServeError> {
    let dir = match &cfg.socket_dir {
        Some(d) => tempfile::Builder::new().prefix("plugin").tempdir_in(d)?,
        None => tempfile::Builder::new().prefix("plugin").tempdir()?,
    };
    let sock = dir.path().join("provider.sock");
    let listener = UnixListener::bind(&sock)?;

    let (tls, cert_field) = match (&cfg.client_cert_pem, cfg.debug) {
        (Some(pem), false) => {
            let id = ServerIdentity::generate()?;
            let sc = id.server_config(pem)?;
            (
                Some(tokio_rustls::TlsAcceptor::from(Arc::new(sc))),
                id.handshake_field(),
            )
        }
        _ => (None, String::new()),
    };

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (conn_tx, conn_rx) = mpsc::channel::<Result<Conn, io::Error>>(16);

    // Accept loop. TLS handshakes run per connection so a stuck or refused
    // client never blocks the next one.
    let mut accept_shutdown = shutdown_rx.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = listener.accept() => match r {
                    Ok((stream, _)) => {
                        let tx = conn_tx.clone();
                        match tls.clone() {
                            None => { let _ = tx.send(Ok(Conn::Plain(stream))).await; }
                            Some(acceptor) => { tokio::spawn(async move {
                                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                                    Ok(Ok(s)) => { let _ = tx.send(Ok(Conn::Tls(Box::new(s)))).await; }
                                    Ok(Err(e)) => warn!(error = %e, "refused a plugin connection: TLS handshake failed"),
                                    Err(_) => warn!("refused a plugin connection: TLS handshake timed out"),
                                }
                            }); }
                        }
                    }
                    Err(e) => { warn!(error = %e, "accept failed"); tokio::time::sleep(Duration::from_millis(50)).await; }
                },
                _ = async { let _ = accept_shutdown.wait_for(|s| *s).await; } => break,
            }
        }
    });

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let service = ProviderService::new(provider);
    let router = tonic::transport::Server::builder()
        .add_service(
            pb::provider_server::ProviderServer::new(service)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
        )
        .add_service(gp::grpc_controller_server::GrpcControllerServer::new(
            Controller {
                shutdown: shutdown_tx.clone(),
            },
        ))
        .add_service(gp::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            shutdown: shutdown_rx.clone(),
        }))
        .add_service(gp::grpc_broker_server::GrpcBrokerServer::new(Broker {
            shutdown: shutdown_rx.clone(),
        }))
        .add_service(health);

    let sock_str = sock.to_string_lossy().into_owned();
    if cfg.debug {
        let reattach = serde_json::json!({
            &cfg.address: {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": {"Network": "unix", "String": sock_str},
            }
        });
        announce(format!(
            "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n"
        ));
        let tx = shutdown_tx.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            tx.send_replace(true);
        });
    } else {
        announce(format!(
            "1|{PROTOCOL_VERSION}|unix|{sock_str}|grpc|{cert_field}"
        ));
        // Terraform sends SIGINT to the whole process group on Ctrl-C and
        // then asks for a graceful stop over gRPC (StopProvider); like
        // go-plugin, swallow the signal instead of dying mid-operation.
        tokio::spawn(async {
            while tokio::signal::ctrl_c().await.is_ok() {
                debug!("ignoring SIGINT; Terraform stops providers over gRPC");
            }
        });
        let tx = shutdown_tx.clone();
        tokio::spawn(async move {
            if let Ok(mut s) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                s.recv().await;
                tx.send_replace(true);
            }
        });
    }
    info!(
        provider = %cfg.address,
        version = %cfg.version,
        socket = %sock_str,
        tls = !cert_field.is_empty(),
        "serving plugin protocol 6"
    );

    let mut wait_rx = shutdown_rx.clone();
    let shutdown = async move {
        let _ = wait_rx.wait_for(|s| *s).await;
        // Streams and in-flight calls get a short grace period.
        tokio::spawn(async {
            tokio::time::sleep(Duration::from_secs(2)).await;
            std::process::exit(0);
        });
    };
    router
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::ReceiverStream::new(conn_rx),
            shutdown,
        )
        .await?;
    drop(dir);
    Ok(())
}
