//! go-plugin's client side of AutoMTLS, as Terraform runs it: a throwaway
//! ECDSA P-521 identity handed to the plugin in `PLUGIN_CLIENT_CERT`, and a
//! TLS connection to the plugin's socket that trusts exactly the certificate
//! from its handshake line. Used by the protocol tests and the start-up
//! bench. The crypto here is AWS-LC's, so the provider's ring-based server
//! is checked against a different implementation.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A client certificate and key, as go-plugin generates one per run.
pub struct ClientIdentity {
    /// PEM, the value of `PLUGIN_CLIENT_CERT`
    pub pem: String,
    /// the certificate's DER
    pub der: Vec<u8>,
    /// PKCS#8 DER of the key
    pub key: Vec<u8>,
}

impl ClientIdentity {
    /// ECDSA P-521, a CA used as an end entity, as go-plugin's
    /// `generateCert` makes it. (P-521 matters: a server that cannot verify
    /// it gets no client certificate from Terraform at all.)
    pub fn generate() -> ClientIdentity {
        let key =
            rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key pair");
        let mut p = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let c = p.self_signed(&key).expect("self-signed certificate");
        ClientIdentity {
            pem: c.pem(),
            der: c.der().to_vec(),
            key: key.serialize_der(),
        }
    }
}

/// Trusts exactly one server certificate, as go-plugin's client does.
#[derive(Debug)]
struct PinnedServer(Vec<u8>, WebPkiSupportedAlgorithms);

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        ee: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(name.to_str(), "localhost");
        if ee.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "server certificate is not the one from the handshake".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.1.supported_schemes()
    }
}

/// A gRPC channel over TLS to the plugin's Unix `socket`, pinning
/// `server_cert` (DER from the handshake line) and presenting `id` (or no
/// client certificate at all).
pub async fn tls_channel(
    socket: &str,
    server_cert: &[u8],
    id: Option<&ClientIdentity>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let algs = provider.signature_verification_algorithms;
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedServer(server_cert.to_vec(), algs)));
    let mut cfg = match id {
        Some(id) => b
            .with_client_auth_cert(
                vec![CertificateDer::from(id.der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key.clone())),
            )
            .expect("client certificate"),
        None => b.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let cfg = Arc::new(cfg);
    let sock = socket.to_owned();
    tonic::transport::Endpoint::try_from("http://localhost")
        .expect("endpoint")
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_| {
            let (sock, cfg) = (sock.clone(), cfg.clone());
            async move {
                let s = tokio::net::UnixStream::connect(sock).await?;
                let tls = tokio_rustls::TlsConnector::from(cfg)
                    .connect(ServerName::try_from("localhost").expect("name"), s)
                    .await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}
