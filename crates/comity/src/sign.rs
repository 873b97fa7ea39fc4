//! `comity request sign`: what an authority's system does before it submits, from the
//! command line. It signs a request document as the compact JWS that `POST /v1/requests`
//! takes with `Content-Type: application/jose`:
//!
//! ```sh
//! comity request sign --key de-sta-berlin.jwk --document request.json \
//!   | curl --data-binary @- -H 'content-type: application/jose' http://127.0.0.1:8080/v1/requests
//! ```
//!
//! Any JOSE library makes the same JWS (EdDSA over Ed25519, RFC 8037); this command uses
//! comity's own signer, `comity_auth::jws`.

use std::{io::Write, path::PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use comity_auth::jws::{Claims, KeyId, Limits, SigningKey};

use crate::admin::read_text;

#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Sign a request document for submission: prints a compact JWS whose claims are the
    /// document's issuing authority (iss), its addressee provider (aud), the time (iat,
    /// exp), a fresh id (jti) and the document (request).
    Sign(SignArgs),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The authority's private key: a JWK with its "d" member (as `comity authority key
    /// generate` writes it) or a PKCS #8 PEM file.
    #[arg(long, env = "COMITY_SIGNING_KEY")]
    key: PathBuf,
    /// The request document (JSON), `-` for standard input.
    #[arg(long)]
    document: PathBuf,
    /// The key id to name in the header; by default the key's RFC 7638 thumbprint, the id
    /// comity registers it under unless told otherwise.
    #[arg(long, env = "COMITY_SIGNING_KID", allow_hyphen_values = true)]
    kid: Option<String>,
    /// Seconds the signature stays acceptable (exp - iat); at most 900.
    #[arg(long, default_value_t = 300)]
    lifetime: u32,
    /// The submission's unique id; by default a fresh UUIDv7. A second submission with the
    /// same jti is refused as a replay.
    #[arg(long, conflicts_with = "count")]
    jti: Option<String>,
    /// Print this many signed submissions of the document, one a line, each with a fresh
    /// jti: what a load test sends (`bench/intake.sh`), since a replay is refused.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    count: u32,
}

pub fn run(command: RequestCommand) -> anyhow::Result<()> {
    match command {
        RequestCommand::Sign(args) => {
            let signer = signer(&args)?;
            // One lock and one buffer: a load test asks for tens of thousands of lines.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for _ in 0..args.count {
                writeln!(out, "{}", signer.sign(args.jti.clone()))?;
            }
            out.flush().context("writing the signed submissions")
        }
    }
}

/// A key and a document, ready to sign as often as asked.
struct Signer {
    key: SigningKey,
    kid: KeyId,
    iss: String,
    aud: String,
    lifetime: u32,
    request: serde_json::Map<String, serde_json::Value>,
}

impl Signer {
    /// A compact JWS of the document, signed now, with `jti` or a fresh UUIDv7.
    fn sign(&self, jti: Option<String>) -> String {
        let iat = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.iss.clone(),
            aud: self.aud.clone(),
            iat,
            exp: iat + i64::from(self.lifetime),
            jti: jti.unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            request: self.request.clone(),
        };
        self.key.sign_compact(&self.kid, &claims.to_payload())
    }
}

fn signer(args: &SignArgs) -> anyhow::Result<Signer> {
    let max = Limits::default().max_lifetime_secs;
    if args.lifetime == 0 || args.lifetime > max {
        bail!("--lifetime {}: a signature lasts 1 to {max} seconds", args.lifetime);
    }
    let key_text = std::fs::read_to_string(&args.key)
        .with_context(|| format!("reading the private key {}", args.key.display()))?;
    let key = SigningKey::parse(&key_text).with_context(|| format!("reading {}", args.key.display()))?;
    let kid = match &args.kid {
        Some(k) => KeyId::parse(k).map_err(|e| anyhow::anyhow!("--kid: {e}"))?,
        None => key.public().key_id(),
    };
    let text = read_text(&args.document, "the request document")?;
    let document: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not JSON; `comity validate` says more", args.document.display()))?;
    let Some(request) = document.as_object().cloned() else {
        bail!("{} is not a request document (a JSON object)", args.document.display());
    };
    let field = |pointer: &str, name: &str| -> anyhow::Result<String> {
        document.pointer(pointer).and_then(|v| v.as_str()).map(str::to_owned).with_context(|| {
            format!(
                "{} has no {name}, which the signature names as its {}; `comity validate` checks the document",
                args.document.display(),
                if name.starts_with("issuing") { "issuer (iss)" } else { "audience (aud)" }
            )
        })
    };
    let iss = field("/issuing/authority", "issuing.authority")?;
    let aud = field("/addressee/provider", "addressee.provider")?;
    if let Some(j) = &args.jti
        && (j.is_empty() || j.len() > 128 || !j.bytes().all(|b| b.is_ascii_graphic()))
    {
        bail!("--jti: use 1 to 128 visible ASCII characters (a UUID is a good choice)");
    }
    Ok(Signer { key, kid, iss, aud, lifetime: args.lifetime, request })
}
