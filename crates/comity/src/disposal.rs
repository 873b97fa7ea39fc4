//! `comity disposal sign`: what a receiving authority does at a production's retention
//! date, or when a remedy case recalls the production (data delivered in error), from the
//! command line. It signs the statement that the authority disposed of the data, as the compact JWS that `POST /v1/requests/{id}/productions/{prod}/disposal`
//! takes (`{"attestation": "<JWS>"}`), or the portal's request page uploads:
//!
//! ```sh
//! comity disposal sign --key de-sta-berlin.jwk --request REQ --production prod-... \
//!   --package prod-....age
//! ```

use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use comity_auth::jws::{KeyId, SigningKey};
use sha2::{Digest, Sha256};

#[derive(Debug, Subcommand)]
pub enum DisposalCommand {
    /// Sign the statement that a production's data was disposed of (at its retention date,
    /// or deleted at a recall): prints a compact JWS over the request, the production, the
    /// package's SHA-256 and when it was disposed of.
    Sign(DisposalSignArgs),
}

#[derive(Debug, Args)]
pub struct DisposalSignArgs {
    /// The authority's private key: a JWK with its "d" member or a PKCS #8 PEM file; its
    /// public half must be registered for the authority.
    #[arg(long, env = "COMITY_SIGNING_KEY")]
    key: PathBuf,
    /// The key id to name in the header; by default the key's RFC 7638 thumbprint.
    #[arg(long, env = "COMITY_SIGNING_KID", allow_hyphen_values = true)]
    kid: Option<String>,
    /// The request the production answered.
    #[arg(long)]
    request: String,
    /// The production, `prod-...`.
    #[arg(long)]
    production: String,
    /// The SHA-256 of the package received, hex (as acknowledged).
    #[arg(long, required_unless_present = "package", conflicts_with = "package")]
    package_sha256: Option<String>,
    /// The package file received, to hash instead of --package-sha256 (before deleting it).
    #[arg(long)]
    package: Option<PathBuf>,
    /// When the data was disposed of (RFC 3339); by default now.
    #[arg(long)]
    disposed_at: Option<String>,
}

pub fn run(command: DisposalCommand) -> anyhow::Result<()> {
    match command {
        DisposalCommand::Sign(args) => {
            println!("{}", sign(&args)?);
            Ok(())
        }
    }
}

fn sign(args: &DisposalSignArgs) -> anyhow::Result<String> {
    let key_text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("reading the private key {}", args.key.display()))?;
    let key = SigningKey::parse(&key_text).with_context(|| format!("reading {}", args.key.display()))?;
    let kid = match &args.kid {
        Some(k) => KeyId::parse(k).map_err(|e| anyhow::anyhow!("--kid: {e}"))?,
        None => key.public().key_id(),
    };
    let request =
        comity_core::RequestId::parse(&args.request).map_err(|e| anyhow::anyhow!("--request: {e}"))?;
    let sha256 = match (&args.package_sha256, &args.package) {
        (Some(hex), _) => {
            let hex = hex.trim().to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                bail!("--package-sha256: 64 hexadecimal digits, as `sha256sum` prints them");
            }
            hex
        }
        (None, Some(path)) => {
            let mut file = std::fs::File::open(path)
                .with_context(|| format!("--package: reading {}", path.display()))?;
            let mut hasher = Sha256::new();
            std::io::copy(&mut file, &mut hasher).with_context(|| format!("reading {}", path.display()))?;
            hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
        }
        (None, None) => bail!("give --package-sha256 or --package"),
    };
    let disposed_at = match &args.disposed_at {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|e| {
                anyhow::anyhow!("--disposed-at: {e} (an RFC 3339 time, such as 2027-06-30T12:00:00Z)")
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let statement =
        comity_app::production::disposal::statement(request, &args.production, &sha256, disposed_at);
    Ok(key.sign_compact(&kid, statement.to_string().as_bytes()))
}
