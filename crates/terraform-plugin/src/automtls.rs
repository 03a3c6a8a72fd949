//! AutoMTLS, as go-plugin does it.
//!
//! Terraform hands the plugin its client certificate in `PLUGIN_CLIENT_CERT`.
//! The plugin answers with a freshly generated self-signed server
//! certificate (sent in the handshake line) and accepts exactly one client:
//! the one holding that certificate. No CA is involved on either side, so
//! the client check is a byte-for-byte pin plus the TLS handshake signature
//! check, not WebPKI path building (which would also reject Terraform's
//! certificate for being a CA used as an end entity).
//!
//! Everything that needs randomness here is ring's: the key, the
//! certificate's signature, the TLS key exchange and handshake signatures.
//! ring seeds from the kernel (`getrandom`); AWS-LC (which other TLS clients in
//! a provider's process often use) first collects CPU jitter entropy for ≈30 ms, and every provider
//! start (three per `terraform plan`) would pay that before its handshake
//! line. Only the check of the client's signature is AWS-LC's: go-plugin's
//! client key is ECDSA P-521, which ring cannot verify, and verifying needs
//! no randomness.

use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// `PLUGIN_CLIENT_CERT` held no PEM certificate.
    #[error("PLUGIN_CLIENT_CERT holds no PEM certificate")]
    NoClientCert,
    /// The key pair could not be generated (the OS refused randomness).
    #[error("generating the server key pair")]
    KeyGeneration,
    /// Certificate generation failed.
    #[error("generating the server certificate")]
    Generate(#[source] rcgen::Error),
    /// rustls refused the configuration.
    #[error("building the TLS configuration")]
    Config(#[source] rustls::Error),
}

/// The plugin's own certificate and key, generated per process.
pub struct ServerIdentity {
    /// DER of the self-signed certificate
    pub cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("cert_der_len", &self.cert_der.len())
            .finish_non_exhaustive()
    }
}

impl ServerIdentity {
    /// Generates a certificate as go-plugin's `generateCert` does: CN and DNS
    /// name `localhost`, a CA (the client trusts it as its own root), usable
    /// for server and client auth.
    pub fn generate() -> Result<Self, TlsError> {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
            KeyUsagePurpose,
        };
        let key = RingKey::generate()?;
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned()]).map_err(TlsError::Generate)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "HashiCorp");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::KeyAgreement,
            KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = std::time::SystemTime::now();
        params.not_before = (now - std::time::Duration::from_secs(30)).into();
        params.not_after = (now + std::time::Duration::from_secs(262_980 * 3600)).into();
        let cert = params.self_signed(&key).map_err(TlsError::Generate)?;
        Ok(ServerIdentity {
            cert_der: cert.der().to_vec(),
            key_der: key.pkcs8,
        })
    }

    /// The sixth handshake field: base64 (standard alphabet, no padding —
    /// go-plugin decodes with `RawStdEncoding`) of the certificate DER.
    pub fn handshake_field(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.cert_der)
    }

    /// A TLS server configuration that requires the pinned client
    /// certificate from `client_pem`, and speaks only HTTP/2 (gRPC).
    pub fn server_config(&self, client_pem: &str) -> Result<rustls::ServerConfig, TlsError> {
        let pinned = CertificateDer::pem_slice_iter(client_pem.as_bytes())
            .next()
            .and_then(Result::ok)
            .ok_or(TlsError::NoClientCert)?
            .into_owned();
        let provider = Arc::new(plugin_channel_provider());
        let verifier = PinnedClientCert {
            pinned,
            algs: provider.signature_verification_algorithms,
        };
        let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_client_cert_verifier(Arc::new(verifier))
            .with_single_cert(
                vec![CertificateDer::from(self.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
            )
            .map_err(TlsError::Config)?;
        cfg.alpn_protocols = vec![b"h2".to_vec()];
        Ok(cfg)
    }
}

/// ring for everything but signature verification, which is AWS-LC's (see
/// the module docs). Named explicitly: other crates in the build enable
/// both of rustls's providers, so there is no process default to fall back
/// on.
fn plugin_channel_provider() -> CryptoProvider {
    CryptoProvider {
        signature_verification_algorithms: rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms,
        ..rustls::crypto::ring::default_provider()
    }
}

/// The server's ECDSA P-256 key, generated and used by ring. rcgen's own
/// `KeyPair` is not used: with both of its back ends enabled in one build
/// (Cargo unifies features across the workspace) it picks AWS-LC.
struct RingKey {
    pair: ring::signature::EcdsaKeyPair,
    pkcs8: Vec<u8>,
    rng: ring::rand::SystemRandom,
}

impl RingKey {
    fn generate() -> Result<Self, TlsError> {
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING as ALG};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ALG, &rng)
            .map_err(|_| TlsError::KeyGeneration)?
            .as_ref()
            .to_vec();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ALG, &pkcs8, &rng).map_err(|_| TlsError::KeyGeneration)?;
        Ok(RingKey { pair, pkcs8, rng })
    }
}

impl rcgen::PublicKeyData for RingKey {
    fn der_bytes(&self) -> &[u8] {
        use ring::signature::KeyPair as _;
        self.pair.public_key().as_ref()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for RingKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.pair
            .sign(&self.rng, msg)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| rcgen::Error::RingUnspecified)
    }
}

/// Accepts exactly one client certificate.
#[derive(Debug)]
struct PinnedClientCert {
    pinned: CertificateDer<'static>,
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_field_is_unpadded_standard_base64() {
        let id = ServerIdentity::generate().unwrap();
        let f = id.handshake_field();
        assert!(!f.ends_with('='));
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&f)
            .unwrap();
        assert_eq!(der, id.cert_der);
    }

    #[test]
    fn key_loads_into_rustls_and_go_plugin_client_keys_verify() {
        let id = ServerIdentity::generate().unwrap();
        // The key rustls will sign handshakes with matches the certificate.
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_der.clone()));
        let signer = plugin_channel_provider()
            .key_provider
            .load_private_key(key)
            .unwrap();
        assert_eq!(signer.algorithm(), rustls::SignatureAlgorithm::ECDSA);
        // A client key as go-plugin makes it (P-521) is one the server can
        // check: Terraform sends no certificate otherwise.
        let schemes = plugin_channel_provider()
            .signature_verification_algorithms
            .supported_schemes();
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        assert!(schemes.contains(&SignatureScheme::ECDSA_NISTP256_SHA256));
    }

    #[test]
    fn refuses_config_without_client_pem() {
        let id = ServerIdentity::generate().unwrap();
        assert!(matches!(
            id.server_config("not a pem"),
            Err(TlsError::NoClientCert)
        ));
    }
}
