//! The server key: the secret that seals people's TOTP secrets at rest, so that a copy
//! of the database alone gives none of them. It lives beside the log key in the data
//! directory (`server-key`, mode 0600), never in the database; with PostgreSQL, every
//! server of one database needs a copy of the same file.

use std::path::Path;

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::STANDARD};
use comity_auth::seal::ServerKey;

/// The file in the data directory that holds the server key.
pub const KEY_FILE: &str = "server-key";

/// Loads the server key from the data directory, creating it on first use.
pub fn load_or_create(data_dir: &Path) -> anyhow::Result<ServerKey> {
    let path = data_dir.join(KEY_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the server key {}", path.display()))?;
        let bytes = STANDARD.decode(text.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
        let Some(bytes) = bytes else {
            bail!("the server key {} is not 32 bytes of base64; restore it from your backup", path.display());
        };
        return Ok(ServerKey::from_bytes(bytes));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let key = ServerKey::generate();
    crate::logkey::write_private(&path, STANDARD.encode(key.to_bytes()).as_bytes())?;
    tracing::info!(path = %path.display(), "created the server key; back it up with the log key");
    Ok(key)
}
