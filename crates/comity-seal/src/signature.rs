//! `manifest.sig`: a compact JWS with a detached payload (RFC 7515 Appendix F), `alg`
//! EdDSA over Ed25519 (RFC 8037), whose payload is the exact bytes of `manifest.json`.
//!
//! The file holds `BASE64URL(header) + ".." + BASE64URL(signature)`, with the header
//! exactly `{"alg":"EdDSA","kid":"<kid>"}`. A verifier puts `BASE64URL(manifest.json)`
//! back between the two dots and verifies the compact JWS as usual (RFC 7515 §5.2), so
//! any JOSE library verifies it; comity-auth's strict parser does here.

use comity_auth::jws::{Compact, JwsRefusal, KeyId, PublicKey, SigningKey, parse_compact};

use crate::manifest::MAX_MANIFEST_BYTES;

/// The longest `manifest.sig` comity reads, in bytes. A header with a 48-character `kid`
/// and a signature take under 200.
pub const MAX_SIGNATURE_BYTES: usize = 1024;

/// Signs the bytes of `manifest.json` with the provider's production key: the content of
/// `manifest.sig`, a compact JWS with a detached payload (RFC 7515 Appendix F).
///
/// Deterministic: Ed25519 signatures are (RFC 8032 §5.1.6).
pub fn sign_manifest(key: &SigningKey, kid: &KeyId, manifest_json: &[u8]) -> String {
    let attached = key.sign_compact(kid, manifest_json);
    // `header.payload.signature`; neither the header nor the signature holds a '.'.
    match (attached.split_once('.'), attached.rsplit_once('.')) {
        (Some((header, _)), Some((_, signature))) => format!("{header}..{signature}"),
        // sign_compact always writes three parts.
        _ => attached,
    }
}

/// Why `manifest.sig` does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Not a compact JWS with a detached payload that comity accepts; the text says why.
    #[error("manifest.sig is not a detached compact JWS (RFC 7515 Appendix F) comity accepts: {0}")]
    Malformed(String),
    /// The signature's `kid` is not the manifest's `signing_key.kid`.
    #[error("manifest.sig names the key {found:?}, but the manifest's signing_key is {manifest:?}")]
    KidMismatch {
        /// The `kid` of the signature's header.
        found: String,
        /// The manifest's `signing_key.kid`.
        manifest: String,
    },
    /// The signature does not verify: `manifest.json` was changed after it was signed, or
    /// another key signed it.
    #[error(
        "the signature in manifest.sig does not verify with the manifest's signing key: manifest.json \
         was changed after it was signed, or another key signed it"
    )]
    Invalid,
}

/// Verifies `manifest.sig` over the bytes of `manifest.json` with `key`, and that the
/// header's `kid` is `kid`.
pub fn verify_manifest(
    signature: &str,
    manifest_json: &[u8],
    kid: &KeyId,
    key: &PublicKey,
) -> Result<(), SignatureError> {
    let compact = parse_detached(signature, manifest_json)?;
    if compact.kid() != kid {
        return Err(SignatureError::KidMismatch {
            found: compact.kid().to_string(),
            manifest: kid.to_string(),
        });
    }
    compact.verify(key).map_err(|refusal| match refusal {
        JwsRefusal::BadSignature => SignatureError::Invalid,
        other => SignatureError::Malformed(other.to_string()),
    })
}

/// Puts the payload back into a detached JWS and parses it strictly.
fn parse_detached(signature: &str, payload: &[u8]) -> Result<Compact, SignatureError> {
    use base64::Engine;
    if signature.len() > MAX_SIGNATURE_BYTES {
        return Err(SignatureError::Malformed(format!(
            "it is {} bytes; a signature takes under {MAX_SIGNATURE_BYTES}",
            signature.len()
        )));
    }
    if payload.len() > MAX_MANIFEST_BYTES {
        return Err(SignatureError::Malformed(format!(
            "the manifest is {} bytes, over the {MAX_MANIFEST_BYTES} comity verifies",
            payload.len()
        )));
    }
    let Some((header, rest)) = signature.split_once('.') else {
        return Err(SignatureError::Malformed("it has no '.'; expected header..signature".into()));
    };
    let Some(signature_part) = rest.strip_prefix('.') else {
        return Err(SignatureError::Malformed(
            "its payload part is not empty; the payload is manifest.json itself, detached (RFC 7515 \
             Appendix F): header..signature"
                .into(),
        ));
    };
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload);
    parse_compact(&format!("{header}.{payload}.{signature_part}"))
        .map_err(|refusal| SignatureError::Malformed(refusal.to_string()))
}
