//! age X25519 keys as `age-keygen` writes them: the authority's identity
//! (`AGE-SECRET-KEY-1...`), which decrypts, and its recipient (`age1...`), which it
//! registers with comity and to which providers encrypt.

use std::str::FromStr;

use age::x25519::{Identity, Recipient};

use crate::shown::shown;

/// Why a text is not the age key that was expected. The message says what to give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The identity file has no `AGE-SECRET-KEY-1...` line.
    #[error(
        "no age identity in this file: expected a line AGE-SECRET-KEY-1..., as `age-keygen -o key.txt` \
         writes (lines starting with # are comments)"
    )]
    NoIdentity,
    /// More than one identity: comity decrypts with one.
    #[error("this file holds {0} age identities; give a file with exactly one")]
    SeveralIdentities(usize),
    /// A line that is not an X25519 identity.
    #[error("line {line} of the identity file is not an age X25519 identity: {why}")]
    BadIdentityLine {
        /// The line's number, from 1.
        line: usize,
        /// What it looks like.
        why: String,
    },
    /// Not an age X25519 recipient.
    #[error("{text} is not an age X25519 recipient: {why}")]
    BadRecipient {
        /// The text, escaped and shortened.
        text: String,
        /// What it looks like.
        why: String,
    },
}

/// Parses an age identity file as `age-keygen` writes it: `#` comments, blank lines and
/// exactly one `AGE-SECRET-KEY-1...` line.
///
/// Refuses, each with a message that says what to give instead: a recipient (the public
/// key), plugin identities (`AGE-PLUGIN-...`, such as age-plugin-yubikey's), SSH keys,
/// passphrase-encrypted identity files, and several identities.
pub fn parse_identity(text: &str) -> Result<Identity, KeyFileError> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| KeyFileError::BadIdentityLine { line: i + 1, why: why.to_owned() };
        if line.starts_with("AGE-SECRET-KEY-1") {
            found.push(Identity::from_str(line).map_err(|e| bad(&format!("it is damaged ({e})")))?);
        } else if line.starts_with("AGE-PLUGIN-") {
            return Err(bad(
                "it is a plugin identity (a hardware key?); comity reads X25519 identities only: \
                 decrypt with `age -d -i` and the plugin instead",
            ));
        } else if line.starts_with("age1") {
            return Err(bad("it is a recipient, the public half; decrypting needs the identity file that \
                 `age-keygen` wrote (AGE-SECRET-KEY-1...)"));
        } else if line.starts_with("-----BEGIN") || line.starts_with("ssh-") {
            return Err(bad("it is an SSH or PEM key; comity reads age X25519 identities (age-keygen)"));
        } else if line.starts_with("age-encryption.org/") {
            return Err(bad(
                "this identity file is itself encrypted (with a passphrase?); decrypt it first with \
                 `age -d`",
            ));
        } else {
            return Err(bad("expected AGE-SECRET-KEY-1..."));
        }
    }
    match found.len() {
        0 => Err(KeyFileError::NoIdentity),
        1 => Ok(found.remove(0)),
        n => Err(KeyFileError::SeveralIdentities(n)),
    }
}

/// Parses an age X25519 recipient, `age1...` (what `age-keygen -y key.txt` prints).
/// White space around it is ignored.
pub fn parse_recipient(text: &str) -> Result<Recipient, KeyFileError> {
    let text = text.trim();
    let bad = |why: &str| KeyFileError::BadRecipient { text: shown(text), why: why.to_owned() };
    if text.starts_with("AGE-SECRET-KEY-") {
        // Never echo a secret key into a message.
        return Err(KeyFileError::BadRecipient {
            text: "this text".into(),
            why: "it is an identity, the secret half; give its recipient, which `age-keygen -y key.txt` \
                  prints"
                .into(),
        });
    }
    // A plugin's recipient has the plugin's name in its human-readable part,
    // `age1yubikey1...`; an X25519 recipient's data part has no '1' (BIP 173's alphabet).
    if let Some((plugin, _)) = text.strip_prefix("age1").and_then(|rest| rest.split_once('1')) {
        return Err(bad(&format!(
            "it is a recipient of the age plugin {}; comity encrypts to X25519 recipients only",
            shown(plugin)
        )));
    }
    if text.starts_with("ssh-") {
        return Err(bad("it is an SSH key; comity encrypts to age X25519 recipients (age1...)"));
    }
    Recipient::from_str(text).map_err(|e| bad(&format!("expected age1... as `age-keygen -y` prints ({e})")))
}
