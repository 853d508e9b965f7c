//! `tcp://` endpoints over TLS, as the docker CLI does it: the server certificate is checked against
//! the endpoint's CA (or the system roots when it names none) and the client certificate is
//! presented. Verification is skipped only when the endpoint says `skip_verify`.
//!
//! Not `Docker::connect_with_ssl`: it trusts the system roots on top of the given CA and reads the
//! client key only during the handshake, where a missing file becomes an anonymous handshake
//! failure. Here every file is read up front and errors name it.

use std::path::Path;
use std::sync::Arc;

use bollard::{ClientVersion, Docker};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::dial::Dial;
use super::{chain_text, ApiPin};
use crate::engine::endpoint::TlsMaterial;

/// A client for `tcp://host:port` over TLS with `tls`. Files are read now; nothing is sent yet.
pub fn client(
    host: &str,
    tls: &TlsMaterial,
    timeout: u64,
    version: &ClientVersion,
) -> Result<(Docker, ApiPin), String> {
    let addr = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("https://"))
        .ok_or_else(|| format!("{host}: TLS needs a tcp:// endpoint"))?
        .trim_end_matches('/');
    let name = match addr.rsplit_once(':') {
        Some((name, _)) => name.trim_start_matches('[').trim_end_matches(']'),
        None => addr,
    };
    let server_name = ServerName::try_from(name.to_owned())
        .map_err(|e| format!("{host}: {name:?} is not a host name for TLS: {e}"))?;
    let addr = match addr.rsplit_once(':') {
        Some((_, port)) if port.parse::<u16>().is_ok() => addr.to_owned(),
        // The docker CLI's default port for TLS.
        _ => format!("{addr}:2376"),
    };
    let config = Arc::new(client_config(tls)?);
    let explain = Explainer {
        host: host.to_owned(),
        ca: tls.ca.as_ref().map(|p| p.display().to_string()),
        has_cert: tls.cert.is_some(),
    };
    let dial = Dial::Tls {
        addr,
        server_name,
        config,
    };
    super::client(
        dial,
        host,
        timeout,
        version,
        Arc::new(move |e| Some(explain.explain(e))),
    )
}

/// The rustls configuration for `tls`: roots, client certificate, and the verifier policy.
pub fn client_config(tls: &TlsMaterial) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let builder = if tls.skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCert(provider)))
    } else {
        builder.with_root_certificates(roots(tls.ca.as_deref())?)
    };
    match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(read_certs(cert, "client certificate")?, read_key(key)?)
            .map_err(|e| {
                format!(
                    "TLS client certificate {} does not fit key {}: {e}",
                    cert.display(),
                    key.display()
                )
            }),
        (None, None) => Ok(builder.with_no_client_auth()),
        (Some(cert), None) => Err(format!(
            "TLS client certificate {} has no key file",
            cert.display()
        )),
        (None, Some(key)) => Err(format!(
            "TLS client key {} has no certificate file",
            key.display()
        )),
    }
}

fn roots(ca: Option<&Path>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match ca {
        Some(ca) => {
            for cert in read_certs(ca, "CA certificate")? {
                store
                    .add(cert)
                    .map_err(|e| format!("TLS CA certificate {}: {e}", ca.display()))?;
            }
        }
        None => {
            // Like the docker CLI without --tlscacert: the system's trusted roots.
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err("TLS: no CA file given and no system CA certificates found".into());
            }
        }
    }
    Ok(store)
}

fn read_certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read TLS {what} {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("TLS {what} {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "TLS {what} {} holds no certificate",
            path.display()
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("cannot read TLS client key {}: {e}", path.display()))?;
    PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| format!("TLS client key {} holds no usable key: {e}", path.display()))
}

/// Turns a failed request into words: which endpoint, and what about TLS went wrong.
struct Explainer {
    host: String,
    ca: Option<String>,
    has_cert: bool,
}

impl Explainer {
    fn explain(&self, e: &hyper_util::client::legacy::Error) -> String {
        let host = &self.host;
        let detail = chain_text(e);
        let trusted_by = match &self.ca {
            Some(ca) => ca.clone(),
            None => "the system CA certificates".into(),
        };
        if detail.contains("UnknownIssuer") || detail.contains("BadSignature") {
            format!("{host}: the server certificate is not trusted by {trusted_by} ({detail})")
        } else if detail.contains("NotValidForName") {
            format!("{host}: the server certificate is not valid for this host name ({detail})")
        } else if detail.contains("Expired") || detail.contains("NotValidYet") {
            format!("{host}: the server certificate is expired or not yet valid ({detail})")
        } else if detail.contains("CertificateRequired") || detail.contains("BadCertificate") {
            if self.has_cert {
                format!("{host}: the engine refused our client certificate ({detail})")
            } else {
                format!("{host}: the engine requires a client certificate and none is configured ({detail})")
            }
        } else if detail.contains("Connection refused") {
            format!("{host}: connection refused (is dockerd listening there?)")
        } else if detail.contains("InvalidContentType") || detail.contains("CorruptMessage") {
            format!("{host}: the engine does not speak TLS there ({detail})")
        } else {
            format!("{host}: {detail}")
        }
    }
}

/// `skip_verify`: any server certificate is accepted (signatures are still checked, so the
/// handshake itself is sound); the endpoint shows a warning for it.
#[derive(Debug)]
struct AcceptAnyServerCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
