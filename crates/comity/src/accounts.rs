//! `comity token`, `comity user` and `comity totp`: systems' API tokens and people's
//! accounts, straight on the store, like the admin API's `/v1/admin/tokens` and
//! `/v1/admin/users` (both are `comity_app::Accounts`).

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use comity_app::{NewToken, NewUser, parse_lifetime};
use comity_wire::trust::{TokenResource, UserCreated, UserResource};

use crate::{
    StoreArgs,
    admin::{ListArgs, api, print_json, print_listing, time},
};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a system of an organisation. Prints the token alone on
    /// standard output (`TOKEN=$(comity token create ...)`), shown this once.
    Create {
        /// The organisation the token acts for (a registered party).
        #[arg(long)]
        org: String,
        /// The role: the one of the organisation's register (operator: admin, authority:
        /// requester, provider: handler, reviewer: reviewer, auditor: auditor).
        #[arg(long)]
        role: String,
        /// How long it lasts: such as 90d, 12h or 30m; at most 365d.
        #[arg(long, default_value = "90d")]
        expires: String,
        /// What the token is for, such as case-management.
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the API tokens, newest first (never their secrets).
    List(ListArgs),
    /// Revoke an API token at once.
    Revoke {
        /// The token's id (the part after `comity_`, as `comity token list` shows it).
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a person's account. Prints the first password and the TOTP secret, once.
    Add {
        /// The organisation the person works for (a registered party).
        #[arg(long)]
        org: String,
        /// The role: the one of the organisation's register (see `comity token create`).
        #[arg(long)]
        role: String,
        /// 2 to 48 lower-case letters, digits, '.', '_' or '-', starting with a letter.
        #[arg(long)]
        username: String,
        /// The person's full name.
        #[arg(long)]
        name: String,
        /// Read the first password from the first line of standard input instead of
        /// generating one (at least 12 characters).
        #[arg(long)]
        password_stdin: bool,
        /// Print the account and its secrets as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the accounts.
    List(ListArgs),
    /// Disable an account at once (a lost device, a leaver, a suspected compromise): it
    /// can no longer log in, and its sessions end.
    Disable {
        /// The account's user name.
        username: String,
        /// Why (kept in the journal and the audit log).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum TotpCommand {
    /// Print the current 6-digit code of a TOTP secret, for scripted logins and demos.
    /// A person uses an authenticator app: this is not a second factor if it runs where
    /// the password is typed.
    Code {
        /// The secret in base32 (as `comity user add` printed it), or its otpauth:// URI.
        /// Prefer the environment variable: a command line is visible to other users.
        #[arg(long, env = "COMITY_TOTP_SECRET", hide_env_values = true)]
        secret: String,
    },
}

pub async fn token(command: TokenCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        TokenCommand::Create { org, role, expires, label, store } => {
            // Checked here first, to name the flag in the message.
            parse_lifetime(&expires).map_err(|e| anyhow::anyhow!("--expires {expires}: {e}"))?;
            let local = store.local().await?;
            let new = NewToken { org, role, label, expires_in: Some(expires) };
            let created = api(local.operator().accounts().create_token(&new).await, &[])?;
            let secret = created.token;
            let created = TokenResource::from(&created.record);
            eprintln!(
                "created API token {} for {} ({}), label {:?}, valid until {}.\n\
                 It is shown this once: keep it in a secret store. Revoke it with `comity token revoke {}`.",
                created.id,
                created.org,
                created.role,
                created.label,
                time(created.expires_at),
                created.id
            );
            println!("{secret}");
            Ok(())
        }
        TokenCommand::List(args) => {
            let local = args.store.local().await?;
            let tokens = api(local.operator().accounts().tokens().await, &[])?;
            let tokens: Vec<TokenResource> = tokens.iter().map(TokenResource::from).collect();
            let now = chrono::Utc::now();
            print_listing(
                &tokens,
                args.json,
                "no API token has been created",
                &["id", "org", "role", "status", "expires", "label"],
                |t| {
                    let status = match t.revoked_at {
                        Some(at) => format!("revoked {}", time(at)),
                        None if t.expires_at <= now => "expired".to_owned(),
                        None => "active".to_owned(),
                    };
                    vec![
                        t.id.clone(),
                        t.org.clone(),
                        t.role.clone(),
                        status,
                        time(t.expires_at),
                        t.label.clone(),
                    ]
                },
            )
        }
        TokenCommand::Revoke { id, store } => {
            // A whole token pasted instead of its id: take the id out of it.
            let id =
                comity_auth::token::ApiToken::parse(&id).map(|(id, _)| id.as_str().to_owned()).unwrap_or(id);
            let local = store.local().await?;
            let hints = [("not_found", "`comity token list` shows the tokens and whether they are active")];
            let revoked =
                TokenResource::from(&api(local.operator().accounts().revoke_token(&id).await, &hints)?);
            println!("revoked API token {} of {} ({})", revoked.id, revoked.org, revoked.role);
            Ok(())
        }
    }
}

pub async fn user(command: UserCommand) -> anyhow::Result<()> {
    crate::admin::init_tracing();
    match command {
        UserCommand::Add { org, role, username, name, password_stdin, json, store } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password from standard input")?;
                let line = line.trim_end_matches(['\r', '\n']).to_owned();
                if line.is_empty() {
                    bail!("--password-stdin: standard input has no password on its first line");
                }
                Some(line)
            } else {
                None
            };
            let local = store.local().await?;
            server_key(&store, &local)?;
            let new = NewUser { username, org, role, name, password };
            let hints =
                [("conflict", "user names are unique across organisations; `comity user list` shows them")];
            let created = api(local.operator().accounts().create_user(&new).await, &hints)?;
            let created = UserCreated {
                username: created.user.username.to_string(),
                org: created.user.org.to_string(),
                role: created.user.role.to_string(),
                password: created.password,
                totp_uri: created.totp_uri,
                totp_secret: created.totp_secret.base32(),
                log_index: created.log_index,
            };
            eprintln!(
                "warning: the password and the TOTP secret below are shown this once and never again. \
                 Hand the password over by one channel and the TOTP secret (or a QR code of the URI) \
                 by another; the person changes the password after the first login."
            );
            if json {
                return print_json(&created);
            }
            println!("created the account {}@{} ({})", created.username, created.org, created.role);
            if !password_stdin {
                println!("password:    {}", created.password);
            }
            println!("totp secret: {}", created.totp_secret);
            println!("totp uri:    {}", created.totp_uri);
            Ok(())
        }
        UserCommand::List(args) => {
            let local = args.store.local().await?;
            let users = api(local.operator().accounts().users().await, &[])?;
            let users: Vec<UserResource> = users.iter().map(UserResource::from).collect();
            print_listing(
                &users,
                args.json,
                "no account has been created",
                &["username", "org", "role", "created", "disabled", "name"],
                |u| {
                    let disabled = u.disabled_at.map(time).unwrap_or_default();
                    vec![
                        u.username.clone(),
                        u.org.clone(),
                        u.role.clone(),
                        time(u.created_at),
                        disabled,
                        u.name.clone(),
                    ]
                },
            )
        }
        UserCommand::Disable { username, reason, store } => {
            let local = store.local().await?;
            let hints = [("not_found", "`comity user list` shows the accounts and which are disabled")];
            let disabled = UserResource::from(&api(
                local.operator().accounts().disable_user(&username, &reason).await,
                &hints,
            )?);
            println!("disabled {} of {}; its sessions have ended", disabled.username, disabled.org);
            Ok(())
        }
    }
}

/// The server key that seals the TOTP secrets must be the servers' own (an account sealed
/// with another key could never log in), so it is never made up here.
fn server_key(store: &StoreArgs, local: &crate::Local) -> anyhow::Result<()> {
    if local.data_dir.as_ref().is_some_and(comity_app::DataDir::has_server_key) {
        return Ok(());
    }
    let path = store.data_dir.join(comity_app::data_dir::SERVER_KEY_FILE);
    bail!(
        "no server key at {}: the servers seal TOTP secrets with it, and an account sealed with \
         another key could never log in. Point --data-dir at a server's data directory, or copy its \
         {} file there",
        path.display(),
        comity_app::data_dir::SERVER_KEY_FILE
    );
}

pub fn totp(command: TotpCommand) -> anyhow::Result<()> {
    match command {
        TotpCommand::Code { secret } => {
            let secret = totp_secret(&secret)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .context("the system clock is before 1970")?
                .as_secs();
            println!("{}", comity_auth::totp::code_at(&secret, now));
            Ok(())
        }
    }
}

/// A TOTP secret from its base32 (spaces, lower case and padding allowed) or from an
/// otpauth:// URI.
fn totp_secret(text: &str) -> anyhow::Result<comity_auth::totp::TotpSecret> {
    let text = text.trim();
    let base32 = if text.starts_with("otpauth://") {
        text.split_once('?')
            .map(|(_, query)| query)
            .unwrap_or_default()
            .split('&')
            .find_map(|pair| pair.strip_prefix("secret="))
            .context("the otpauth URI has no secret= parameter")?
            .to_owned()
    } else {
        text.to_owned()
    };
    comity_auth::totp::TotpSecret::from_base32(&base32).map_err(|e| anyhow::anyhow!("--secret: {e}"))
}

#[cfg(test)]
mod tests {
    use super::totp_secret;

    #[test]
    fn a_totp_secret_is_read_from_base32_or_its_uri() {
        let secret = comity_auth::totp::TotpSecret::generate();
        let b32 = secret.base32();
        let uri = secret.otpauth_uri("comity", "ana@example-mail").unwrap_or_else(|e| panic!("{e}"));
        // Base32 as apps show it (lower case, in groups) is comity_auth's to read, and tested there.
        let padded = format!("  {b32}\n");
        for text in [b32.as_str(), uri.as_str(), padded.as_str()] {
            let read = totp_secret(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(read.as_bytes(), secret.as_bytes(), "{text}");
        }
        assert!(totp_secret("not base32!").is_err());
        assert!(totp_secret("AAAA").is_err(), "too short a secret");
    }
}
