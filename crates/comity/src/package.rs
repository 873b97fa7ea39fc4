//! `comity package verify`: what an authority runs on a package it received. It decrypts
//! the package with the authority's age identity, verifies the manifest's signature and
//! every file's size and SHA-256 in one streaming pass (`comity_seal::open_with`), and,
//! with `--out`, keeps the files only once all of that held. docs/package-format.md
//! describes the format; docs/production.md the whole delivery.

use std::{
    fs::File,
    io::{BufReader, BufWriter},
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use comity_auth::jws::PublicKey;
use comity_seal::{MANIFEST_NAME, SIGNATURE_NAME, Verified, VerifyError};

#[derive(Debug, Subcommand)]
pub enum PackageCommand {
    /// Decrypt a production package and check it: the provider's signature over
    /// manifest.json, then every file's size and SHA-256. Exits 0 when the package is
    /// whole, 1 when it is refused (the reason and a code on standard error).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The package, an age file (PKG.age).
    package: PathBuf,
    /// The authority's age identity file, as `age-keygen` wrote it (AGE-SECRET-KEY-1...).
    #[arg(long)]
    identity: PathBuf,
    /// The provider's registered production key (its public JWK or PEM, as `comity
    /// provider key list --json` or the provider's /v1/admin/providers/{id}/keys shows it).
    /// Without it the signature proves the manifest whole, not who signed it.
    #[arg(long)]
    provider_key: Option<PathBuf>,
    /// A directory to write manifest.json, manifest.sig and the data files to (created; it
    /// must be new or empty). Files are written under temporary names and renamed only
    /// once the whole package verified; on a refusal nothing is left.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the verified manifest as JSON instead of a summary.
    #[arg(long)]
    json: bool,
}

pub fn run(command: PackageCommand) -> anyhow::Result<ExitCode> {
    match command {
        PackageCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let identity_text = std::fs::read_to_string(&args.identity)
        .with_context(|| format!("reading the identity file {}", args.identity.display()))?;
    let identity = comity_seal::parse_identity(&identity_text)
        .with_context(|| format!("--identity {}", args.identity.display()))?;
    let expected = match &args.provider_key {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the provider key {}", path.display()))?;
            Some(
                PublicKey::parse(text.trim())
                    .with_context(|| format!("--provider-key {}", path.display()))?,
            )
        }
    };
    let package = File::open(&args.package)
        .with_context(|| format!("opening the package {}", args.package.display()))?;
    let reader = BufReader::with_capacity(64 * 1024, package);

    let outcome = match &args.out {
        None => comity_seal::open(reader, &identity, expected.as_ref())
            .map_err(Refusal::from)
            .and_then(|verified| sealed_for(&identity, verified)),
        Some(dir) => {
            let out = Output::prepare(dir)?;
            let result = comity_seal::open_with(reader, &identity, expected.as_ref(), |entry| {
                File::create(out.partial(entry.name.as_str())).map(BufWriter::new)
            });
            match result.map_err(Refusal::from).and_then(|verified| sealed_for(&identity, verified)) {
                Ok(verified) => {
                    out.keep(&verified)?;
                    Ok(verified)
                }
                Err(e) => {
                    out.discard();
                    Err(e)
                }
            }
        }
    };
    match outcome {
        Ok(verified) => {
            report(&verified, args)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Refusal::Package(VerifyError::Read(e))) => {
            Err(e).with_context(|| format!("reading the package {}", args.package.display()))
        }
        Err(Refusal::Package(e)) => refused(&e.to_string(), e.code(), args),
        Err(Refusal::NotForThisIdentity { sealed_for, identity }) => refused(
            &format!(
                "the signed manifest names {sealed_for} as the recipient, not this identity's {identity}: \
                 the package was re-encrypted after it was sealed"
            ),
            "recipient_mismatch",
            args,
        ),
    }
}

/// Why `package verify` refused a package.
enum Refusal {
    Package(VerifyError),
    /// Decrypted with this identity, but sealed (per the signed manifest) for another
    /// recipient: someone who could read it re-encrypted it.
    NotForThisIdentity {
        sealed_for: String,
        identity: String,
    },
}

impl From<VerifyError> for Refusal {
    fn from(e: VerifyError) -> Self {
        Refusal::Package(e)
    }
}

/// The package must have been sealed for the identity that opened it: age proves it was
/// encrypted to it, the signed manifest says to whom the provider sealed it.
fn sealed_for(
    identity: &comity_seal::age::x25519::Identity,
    verified: Verified,
) -> Result<Verified, Refusal> {
    let ours = identity.to_public().to_string();
    let named = verified.manifest().recipient.age.to_string();
    if ours == named {
        Ok(verified)
    } else {
        Err(Refusal::NotForThisIdentity { sealed_for: named, identity: ours })
    }
}

fn refused(reason: &str, code: &str, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    eprintln!("refused: {reason} [{code}]");
    eprintln!("{} was not verified; do not use its content", args.package.display());
    Ok(ExitCode::FAILURE)
}

fn report(verified: &Verified, args: &VerifyArgs) -> anyhow::Result<()> {
    let manifest = verified.manifest();
    if args.json {
        crate::admin::print_json(&serde_json::json!({
            "verified": true,
            "key_checked": verified.key_checked(),
            "manifest_sha256": verified.manifest_sha256().to_string(),
            "manifest": manifest,
        }))?;
    } else {
        println!("package     {}", args.package.display());
        println!("request     {}", manifest.request);
        println!("production  {} (log entry {})", manifest.production.id, manifest.production.log_index);
        println!("provider    {}", manifest.provider);
        println!("recipient   {}", manifest.recipient.authority);
        println!("purpose     {}", manifest.purpose);
        println!("keep until  {}", manifest.retention_until);
        println!("manifest    sha256 {}", verified.manifest_sha256());
        for file in &manifest.files {
            println!("file        {} ({} bytes, sha256 {})", file.name.as_str(), file.size, file.sha256);
        }
        if let Some(dir) = &args.out {
            println!("written to  {}", dir.display());
        }
    }
    let kid = &manifest.signing_key.kid;
    if verified.key_checked() {
        eprintln!(
            "verified: signed by {} with its registered key {kid}, every file whole",
            manifest.provider
        );
    } else {
        eprintln!(
            "verified: whole and signed by key {kid} (thumbprint {}); this is not yet proof that {} signed it: \
             compare with its registered production key, or pass it with --provider-key",
            manifest.signing_key.jwk.thumbprint(),
            manifest.provider
        );
    }
    Ok(())
}

/// The `--out` directory: files go to `.NAME.partial` while unverified.
struct Output {
    dir: PathBuf,
    created: bool,
}

impl Output {
    fn prepare(dir: &Path) -> anyhow::Result<Output> {
        let created = !dir.exists();
        if created {
            std::fs::create_dir_all(dir).with_context(|| format!("creating --out {}", dir.display()))?;
        } else if std::fs::read_dir(dir)
            .with_context(|| format!("reading --out {}", dir.display()))?
            .next()
            .is_some()
        {
            bail!("--out {} is not empty; give a new or empty directory", dir.display());
        }
        Ok(Output { dir: dir.to_owned(), created })
    }

    fn partial(&self, name: &str) -> PathBuf {
        self.dir.join(format!(".{name}.partial"))
    }

    fn keep(&self, verified: &Verified) -> anyhow::Result<()> {
        let write = |name: &str, bytes: &[u8]| {
            let path = self.dir.join(name);
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
        };
        write(MANIFEST_NAME, verified.manifest_json())?;
        write(SIGNATURE_NAME, verified.signature().as_bytes())?;
        for file in &verified.manifest().files {
            let name = file.name.as_str();
            let to = self.dir.join(name);
            std::fs::rename(self.partial(name), &to).with_context(|| format!("writing {}", to.display()))?;
        }
        Ok(())
    }

    /// Removes what a refused package left; a failure to clean up is reported, not fatal.
    fn discard(&self) {
        let result = if self.created {
            std::fs::remove_dir_all(&self.dir)
        } else {
            std::fs::read_dir(&self.dir).and_then(|entries| {
                for entry in entries {
                    std::fs::remove_file(entry?.path())?;
                }
                Ok(())
            })
        };
        if let Err(e) = result {
            eprintln!("warning: could not remove the unverified files in {}: {e}", self.dir.display());
        }
    }
}
