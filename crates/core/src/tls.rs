//! Which certificate a hub may present: one a public authority vouches for
//! (the roots built into the app), or, once the officer has confirmed it,
//! exactly the office's own certificate, pinned by its SHA-256 fingerprint.
//! A district office often has no public certificate; a pin needs no
//! authority and no name, and once set nothing else passes, a public
//! certificate included.
//!
//! A certificate refused is remembered (its fingerprint), so the transport
//! can tell the officer which one the hub presented instead of "cannot
//! connect": no request was sent, since the handshake stopped first.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// The SHA-256 of a certificate (its DER bytes), as `openssl x509
/// -fingerprint -sha256` computes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    pub fn of(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// The first certificate of a PEM chain: the hub's own, as the office
    /// gives it to `pcmt-hub --tls-cert`.
    pub fn of_pem(pem: &[u8]) -> Option<Self> {
        CertificateDer::from_pem_slice(pem)
            .ok()
            .map(|der| Self::of(der.as_ref()))
    }

    /// 64 hexadecimal digits in either case; spaces, colons and dashes
    /// between them (as shown here, or as openssl prints it) are ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | ':' | '-'))
            .collect();
        let bytes = hex::decode(digits).ok()?;
        bytes.try_into().ok().map(Self)
    }

    /// As kept in the store: 64 lower-case hexadecimal digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// As an officer compares it with the office's print-out: sixteen groups
/// of four upper-case hexadecimal digits.
impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = hex::encode_upper(self.0);
        let groups: Vec<&str> = (0..16).map(|i| &digits[i * 4..i * 4 + 4]).collect();
        f.write_str(&groups.join(" "))
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// What the transport trusts.
pub enum Trust<'a> {
    /// The public authorities built into the app.
    Public,
    /// Those and one more authority, given as PEM (tests, an office's own
    /// authority).
    Authority(&'a [u8]),
    /// Exactly the certificate with this fingerprint.
    Pinned(Fingerprint),
}

/// Where a verifier leaves the fingerprint of the certificate it refused.
pub(crate) type Refused = Arc<Mutex<Option<Fingerprint>>>;

/// A TLS client that cannot be set up: an authority's PEM that cannot be
/// read, or the crypto provider refusing the defaults.
#[derive(Debug, thiserror::Error)]
#[error("TLS set-up: {0}")]
pub struct SetupError(String);

/// A TLS client set-up for `trust`, and where its verifier leaves the
/// fingerprint of a certificate it refused.
pub(crate) fn client_config(trust: &Trust<'_>) -> Result<(ClientConfig, Refused), SetupError> {
    let bad = |e: &dyn std::fmt::Display| SetupError(e.to_string());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Trust::Authority(pem) = trust {
        for der in CertificateDer::pem_slice_iter(pem) {
            roots.add(der.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
        }
    }
    let public = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| bad(&e))?;
    let refused = Arc::new(Mutex::new(None));
    let verifier = HubVerifier {
        pin: match trust {
            Trust::Pinned(pin) => Some(*pin),
            _ => None,
        },
        public,
        refused: refused.clone(),
    };
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| bad(&e))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // The transport speaks HTTP/1.1 only (reqwest without http2).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((config, refused))
}

#[derive(Debug)]
struct HubVerifier {
    pin: Option<Fingerprint>,
    /// The public authorities' check; also checks the handshake's
    /// signatures, which prove the hub holds the certificate's key, pinned
    /// or not.
    public: Arc<WebPkiServerVerifier>,
    refused: Refused,
}

impl ServerCertVerifier for HubVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = Fingerprint::of(end_entity.as_ref());
        let verdict = match self.pin {
            Some(pin) if pin == seen => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
            None => self.public.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
        };
        if verdict.is_err() {
            if let Ok(mut refused) = self.refused.lock() {
                *refused = Some(seen);
            }
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.public.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.public.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.public.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_reads_back_however_it_is_written() {
        let fp = Fingerprint::of(b"a certificate");
        let shown = fp.to_string();
        assert_eq!(shown.len(), 16 * 4 + 15);
        assert_eq!(shown.split(' ').count(), 16);
        assert_eq!(Fingerprint::parse(&shown), Some(fp));
        assert_eq!(Fingerprint::parse(&fp.to_hex()), Some(fp));
        let openssl: Vec<String> = fp.0.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(Fingerprint::parse(&openssl.join(":")), Some(fp));
        assert_eq!(Fingerprint::parse(&shown[..shown.len() - 1]), None);
        assert_eq!(Fingerprint::parse(&format!("{shown} 00")), None);
        assert_eq!(Fingerprint::parse("xyz"), None);
    }
}
