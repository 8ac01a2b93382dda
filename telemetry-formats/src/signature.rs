//! Signed upload configs: Ed25519 signatures over the exact bytes of a config.
//!
//! A signed config is a small JSON envelope holding the config's text as a string, the
//! public key that signed it and the signature:
//!
//! ```json
//! { "format": 1, "key": "ed25519:<64 hex digits>", "signature": "<128 hex digits>",
//!   "config": "{\n  \"format\": 1, …\n}\n" }
//! ```
//!
//! The signature covers [`CONTEXT`] followed by the config's bytes, so it can never be
//! mistaken for a signature of anything else. A program embeds its collector's public
//! key and verifies the envelope on every use (not only when it downloads it): the key
//! named inside the envelope must be that key, the signature must verify strictly, and
//! the config must then parse. Private keys are kept in a file of their own,
//! `ed25519-secret:<64 hex digits>` and a newline, readable by the maintainer alone.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};

/// The envelope format version.
pub const FORMAT: u32 = 1;
/// How a public key is written: this prefix, then its 32 bytes in hex.
pub const KEY_PREFIX: &str = "ed25519:";
/// How a private key file starts.
pub const SECRET_PREFIX: &str = "ed25519-secret:";
/// What every signature covers before the config's bytes.
pub const CONTEXT: &[u8] = b"transparent-telemetry upload config v1\n";

/// A signed config, as served by the collector and cached by clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// [`FORMAT`].
    pub format: u32,
    /// The public key that signed it, `ed25519:<hex>`.
    pub key: String,
    /// The signature, in hex.
    pub signature: String,
    /// The config's exact text.
    pub config: String,
}

/// A public key: what a program embeds to trust its collector's configs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses `ed25519:<64 hex digits>`.
    pub fn parse(text: &str) -> Result<PublicKey, SignatureError> {
        let hex = text.strip_prefix(KEY_PREFIX).ok_or_else(|| {
            SignatureError::BadKey(format!("{text:?} does not start with {KEY_PREFIX}"))
        })?;
        let bytes: [u8; 32] = from_hex(hex)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| SignatureError::BadKey(format!("{text:?} is not 32 bytes in hex")))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| SignatureError::BadKey(format!("{text:?} is not an Ed25519 key")))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEY_PREFIX}{}", to_hex(self.0.as_bytes()))
    }
}

/// Why a signed config is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// A key that cannot be read.
    BadKey(String),
    /// The envelope is not one.
    Malformed(String),
    /// Signed by another key than the one trusted.
    OtherKey {
        /// The key trusted.
        trusted: String,
        /// The key the envelope names.
        found: String,
    },
    /// The signature does not verify: the config was changed, or never signed.
    BadSignature,
    /// Verified, but the config itself is refused.
    Config(ConfigError),
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::BadKey(why) => write!(f, "bad key: {why}"),
            SignatureError::Malformed(why) => write!(f, "not a signed config: {why}"),
            SignatureError::OtherKey { trusted, found } => {
                write!(f, "signed by {found}, not by the trusted key {trusted}")
            }
            SignatureError::BadSignature => f.write_str(
                "the signature does not verify: the config was changed or not signed by this key",
            ),
            SignatureError::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SignatureError {}

/// A new key pair: the private key file's text, and the public key.
pub fn keygen() -> Result<(String, PublicKey), String> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(|e| format!("no randomness from the system: {e}"))?;
    let key = SigningKey::from_bytes(&seed);
    Ok((
        format!("{SECRET_PREFIX}{}\n", to_hex(&seed)),
        PublicKey(key.verifying_key()),
    ))
}

fn signing_key(secret: &str) -> Result<SigningKey, SignatureError> {
    let hex = secret.trim().strip_prefix(SECRET_PREFIX).ok_or_else(|| {
        SignatureError::BadKey(format!("a private key file starts with {SECRET_PREFIX}"))
    })?;
    let seed: [u8; 32] = from_hex(hex)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| SignatureError::BadKey("a private key is 32 bytes in hex".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Signs the config `config` (its exact bytes, checked first) with the private key
/// file's text `secret`; returns the envelope's JSON.
pub fn sign(config: &[u8], secret: &str) -> Result<Vec<u8>, SignatureError> {
    Config::parse(config).map_err(SignatureError::Config)?;
    sign_unchecked(config, secret)
}

/// Signs `config` without checking that it is a config this version reads: what the
/// tools of a newer version, with a newer format, would sign. For tests of readers
/// (which must refuse it); [`sign`] is what signs configs.
pub fn sign_unchecked(config: &[u8], secret: &str) -> Result<Vec<u8>, SignatureError> {
    let text = std::str::from_utf8(config)
        .map_err(|_| SignatureError::Malformed("the config is not UTF-8".into()))?;
    let key = signing_key(secret)?;
    let mut message = CONTEXT.to_vec();
    message.extend_from_slice(config);
    let signature = key.sign(&message);
    let envelope = Envelope {
        format: FORMAT,
        key: PublicKey(key.verifying_key()).to_string(),
        signature: to_hex(&signature.to_bytes()),
        config: text.to_string(),
    };
    let mut bytes = serde_json::to_vec_pretty(&envelope).unwrap_or_default();
    bytes.push(b'\n');
    Ok(bytes)
}

/// Verifies a signed config against the trusted key; returns the config.
pub fn verify(signed: &[u8], trusted: &PublicKey) -> Result<Config, SignatureError> {
    let envelope: Envelope =
        serde_json::from_slice(signed).map_err(|e| SignatureError::Malformed(e.to_string()))?;
    if envelope.format != FORMAT {
        return Err(SignatureError::Malformed(format!(
            "envelope format {}, this program reads {FORMAT}",
            envelope.format
        )));
    }
    let found = PublicKey::parse(&envelope.key)?;
    if found != *trusted {
        return Err(SignatureError::OtherKey {
            trusted: trusted.to_string(),
            found: envelope.key,
        });
    }
    let bytes: [u8; 64] = from_hex(&envelope.signature)
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureError::BadSignature)?;
    let signature = Signature::from_bytes(&bytes);
    let mut message = CONTEXT.to_vec();
    message.extend_from_slice(envelope.config.as_bytes());
    trusted
        .0
        .verify_strict(&message, &signature)
        .map_err(|_| SignatureError::BadSignature)?;
    Config::parse(envelope.config.as_bytes()).map_err(SignatureError::Config)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{"format": 1, "version": 2, "sample_rate": 1.0, "programs": []}"#;

    #[test]
    fn a_signed_config_verifies_with_its_key_and_no_other() {
        let (secret, public) = keygen().unwrap();
        let signed = sign(CONFIG.as_bytes(), &secret).unwrap();
        assert_eq!(verify(&signed, &public).unwrap().version, 2);
        assert_eq!(PublicKey::parse(&public.to_string()).unwrap(), public);
        let (_, other) = keygen().unwrap();
        assert!(matches!(
            verify(&signed, &other),
            Err(SignatureError::OtherKey { .. })
        ));
    }

    #[test]
    fn any_change_to_the_config_breaks_the_signature() {
        let (secret, public) = keygen().unwrap();
        let signed = String::from_utf8(sign(CONFIG.as_bytes(), &secret).unwrap()).unwrap();
        let changed = signed.replacen("\\\"version\\\": 2", "\\\"version\\\": 3", 1);
        assert_ne!(changed, signed);
        assert_eq!(
            verify(changed.as_bytes(), &public),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn an_invalid_config_is_not_signed() {
        let (secret, _) = keygen().unwrap();
        let bad = CONFIG.replacen("\"version\": 2", "\"version\": 2, \"x\": 1", 1);
        assert!(matches!(
            sign(bad.as_bytes(), &secret),
            Err(SignatureError::Config(_))
        ));
    }

    #[test]
    fn keys_must_be_exactly_what_they_claim() {
        for text in [
            "ed25519:",
            "ed25519:zz",
            "rsa:00",
            &format!("{KEY_PREFIX}{}", "0".repeat(62)),
        ] {
            assert!(PublicKey::parse(text).is_err(), "{text}");
        }
    }
}
