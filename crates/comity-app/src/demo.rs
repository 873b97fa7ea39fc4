//! `comity serve --demo`: realistic parties and requests on first start, and a person
//! of each role to log in as.
//!
//! The requests are the documents in `examples/requests/`, accepted through the same
//! intake as the API and moved along the same lifecycle, so the demo shows nothing the
//! real path would not produce. The accounts, the admin token, the contacts and
//! de-sta-berlin's signing key are made by the same functions as `comity user add`,
//! `comity token create`, `comity authority contact add` and `comity authority key add`;
//! their secrets go to `DATA_DIR/demo/credentials.txt` (mode 0600), since a demo nobody
//! can log in to shows nothing.

use std::{fmt::Write as _, path::Path};

use chrono::Utc;
use comity_auth::jws::SigningKey;
use comity_core::{
    ActorId, Authority, AuthorityType, CountryCode, DataCategory, Organisation, Party, PartyId, PartyRole,
    Provider, ReviewerBody, ReviewerKind, State,
};

use crate::{
    Accounts, App, Client, CreatedUser, DataDir, Error, NewContact, NewKey, NewToken, NewUser, Registers,
    Result, ScopeAsked, Transition, intake::Submitter,
};

/// A demo step that failed, with what it was doing.
fn step(what: impl Into<String>) -> impl FnOnce(Error) -> Error {
    let what = what.into();
    move |e| match e {
        Error::Internal(source) => Error::Internal(format!("{what}: {source}").into()),
        other => Error::internal(std::io::Error::other(format!("{what}: {other}"))),
    }
}

const AUTHORITIES: &[(&str, &str, AuthorityType, &str)] = &[
    ("fr-tj-paris", "FR", AuthorityType::Prosecutor, "Parquet du tribunal judiciaire de Paris"),
    ("fr-jld-paris", "FR", AuthorityType::Judge, "Juge des libertés et de la détention, TJ de Paris"),
    ("de-sta-berlin", "DE", AuthorityType::Prosecutor, "Staatsanwaltschaft Berlin"),
    (
        "nl-om-rotterdam",
        "NL",
        AuthorityType::Prosecutor,
        "Openbaar Ministerie, arrondissementsparket Rotterdam",
    ),
    ("gb-nca", "GB", AuthorityType::Police, "National Crime Agency"),
    ("gb-ipc", "GB", AuthorityType::Judge, "Investigatory Powers Commissioner's Office"),
    ("jp-mpd-cyber", "JP", AuthorityType::Police, "Tokyo Metropolitan Police, Cybercrime Division"),
    ("jp-tokyo-dc", "JP", AuthorityType::Court, "Tokyo District Court"),
    ("br-mpf-sp", "BR", AuthorityType::Prosecutor, "Ministério Público Federal, São Paulo"),
    ("br-jf-sp-10", "BR", AuthorityType::Judge, "10ª Vara Federal Criminal de São Paulo"),
];

const PROVIDERS: &[(&str, &str, &str)] = &[
    ("example-mail", "IE", "Example Mail Ireland Ltd"),
    ("example-cloud", "NL", "Example Cloud B.V."),
    ("example-social", "US", "Example Social, Inc."),
];

const REVIEWERS: &[(&str, &str, ReviewerKind, &str)] = &[
    ("ie-high-court", "IE", ReviewerKind::Court, "The High Court of Ireland"),
    ("ie-dpc", "IE", ReviewerKind::DataProtectionAuthority, "Data Protection Commission"),
    (
        "nl-ok-rotterdam",
        "NL",
        ReviewerKind::EnforcingAuthority,
        "Officier van justitie, Rotterdam (enforcing authority)",
    ),
    (
        "us-doj-oia",
        "US",
        ReviewerKind::CentralAuthority,
        "US Department of Justice, Office of International Affairs",
    ),
];

/// The operator of the demo, and its auditor.
const OPERATOR: (&str, &str, &str) = ("demo-operator", "IE", "comity demo operator");
const AUDITOR: (&str, &str, &str) = ("demo-auditor", "IE", "Demo Audit Office");
/// A data protection authority acting for the person concerned by the emergency request
/// (issue 13, item 6), registered for it on a complaint.
const REPRESENTATIVE: (&str, &str, &str) =
    ("ie-dpc-complaints", "IE", "Data Protection Commission, for people concerned (demo)");

/// One person of each role: user name, organisation, role, full name, what they do.
const PEOPLE: &[(&str, &str, &str, &str, &str)] = &[
    ("admin", "demo-operator", "admin", "Ada Admin", "registers parties, keys, accounts and tokens"),
    ("clerk", "de-sta-berlin", "requester", "Clara Clerk", "submits and follows de-sta-berlin's requests"),
    ("legal", "example-mail", "handler", "Liam Legal", "handles the requests addressed to example-mail"),
    (
        "judge",
        "ie-high-court",
        "reviewer",
        "Judith Judge",
        "decides on the requests assigned to ie-high-court",
    ),
    ("auditor", "demo-auditor", "auditor", "Otto Auditor", "reads the log and the aggregates"),
    (
        "counsel",
        "ie-dpc-complaints",
        "representative",
        "Rory Representative",
        "acts for the person concerned by the emergency request: sees its decision, appeals it",
    ),
];

/// The person a newcomer signs in as first: the provider's legal team sees every step.
const TRY_FIRST: &str = "legal";

/// The authority whose system signs its demo request with a key of its own.
const SIGNING_AUTHORITY: &str = "de-sta-berlin";

/// Where the demo writes what it made up, inside the data directory.
pub const DEMO_DIR: &str = "demo";
pub const CREDENTIALS_FILE: &str = "credentials.txt";

/// A move of the demo: to which state, by whom, why.
type DemoMove = (State, &'static str, &'static str);

/// The emergency request is produced for real from this export of example-mail, sealed
/// for de-sta-berlin, whose age identity the demo keeps in `demo/`: the package waits for
/// its system to download and acknowledge it.
const EMERGENCY: &str = include_str!("../../../examples/requests/eu-epoc-emergency-subscriber.json");
const EMERGENCY_EXPORT: &str = include_str!("../../../examples/exports/example-mail-emergency.jsonl");

/// Each example request, the reviewer body its provider assigns, and the moves it makes.
const REQUESTS: &[(&str, &str, &[DemoMove])] = &[
    (include_str!("../../../examples/requests/eu-epoc-traffic.json"), "ie-high-court", &[]),
    (
        EMERGENCY,
        "ie-high-court",
        &[
            (
                State::UnderReview,
                "duty-officer@de-sta-berlin",
                "emergency confirmed by the duty officer, a registered contact of de-sta-berlin, by telephone call-back",
            ),
            (
                State::Approved,
                "judge@ie-high-court",
                "imminent threat to life substantiated by the post; scope limited to the two selectors and 12 hours",
            ),
        ],
    ),
    (
        include_str!("../../../examples/requests/eu-epoc-pr-preservation.json"),
        "nl-ok-rotterdam",
        &[
            (
                State::Approved,
                "officer@nl-ok-rotterdam",
                "preservation is proportionate; nothing is disclosed",
            ),
            (State::Preserved, "legal@example-cloud", "snapshot of the tenant taken; kept for 60 days"),
        ],
    ),
    (include_str!("../../../examples/requests/us-cloud-act-content.json"), "us-doj-oia", &[]),
    (
        include_str!("../../../examples/requests/coe-budapest-subscriber.json"),
        "ie-high-court",
        &[(
            State::ClarificationRequested,
            "legal@example-mail",
            "the time window is four months; please state why it cannot be shorter",
        )],
    ),
    (
        include_str!("../../../examples/requests/mlat-content.json"),
        "us-doj-oia",
        &[(
            State::PartiallyApproved,
            "attorney@us-doj-oia",
            "subscriber and traffic data approved; content refused for want of probable cause",
        )],
    ),
];

/// What the demo made up that someone needs to log in, call or sign.
struct Credentials {
    people: Vec<(CreatedUser, &'static str)>,
    admin_token: String,
    key_path: std::path::PathBuf,
    kid: String,
    /// An API token of de-sta-berlin's system, and its age identity file.
    authority_token: String,
    age_identity: std::path::PathBuf,
    /// The emergency request and its sealed production.
    emergency: String,
    production: String,
}

/// What the seeder made, for the one who started it to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// Where the people's passwords, the tokens and the keys were written.
    pub credentials: std::path::PathBuf,
    pub authorities: usize,
    pub providers: usize,
    pub reviewers: usize,
    pub requests: usize,
    /// The people one can log in as.
    pub people: Vec<&'static str>,
    /// Whom to try first in the portal, and their password and TOTP secret (base32): the
    /// provider's legal team, who handles a request from inbox to production.
    pub try_first: (&'static str, String, String),
}

impl App {
    /// Registers the demo parties, people, keys and requests, unless authorities are
    /// already registered (`None` then); writes their credentials to
    /// `DATA_DIR/demo/credentials.txt`. `seeder` is recorded for what an operator would
    /// do; the requests and their moves are recorded under the made-up people whose steps
    /// they are. `listen` is where the server answers, for the credentials' examples.
    pub async fn seed_demo(
        &self,
        data_dir: &DataDir,
        seeder: ActorId,
        listen: std::net::SocketAddr,
    ) -> Result<Option<Seeded>> {
        if !self.store().parties(PartyRole::Authority).await?.is_empty() {
            tracing::info!("demo data not seeded: the store already has parties");
            return Ok(None);
        }
        let registers = self.registers_as(seeder.clone());
        let accounts = self.accounts_as(seeder.clone());
        register_parties(&registers).await?;
        for &(authority, ..) in AUTHORITIES {
            let contact = NewContact {
                id: "duty-officer".into(),
                name: "Duty officer (demo)".into(),
                email: Some(format!("duty-officer@{authority}.example.org")),
                phone: None,
                public_key: None,
            };
            registers
                .add_contact(authority, &contact)
                .await
                .map_err(step(format!("registering the demo contact of {authority}")))?;
        }
        let mut people = Vec::new();
        for &(username, org, role, name, does) in PEOPLE {
            let new = NewUser {
                username: username.into(),
                org: org.into(),
                role: role.into(),
                name: name.into(),
                password: None,
            };
            let created = accounts
                .create_user(&new)
                .await
                .map_err(step(format!("creating the demo account {username}")))?;
            people.push((created, does));
        }
        let try_first = people
            .iter()
            .find(|(created, _)| created.user.username.as_str() == TRY_FIRST)
            .map(|(created, _)| (TRY_FIRST, created.password.clone(), created.totp_secret.base32()))
            .ok_or_else(|| Error::corrupt(format!("the demo has no person {TRY_FIRST}")))?;
        let admin_token = token(&accounts, OPERATOR.0, "admin", "demo").await?;

        let signing = SigningKey::generate();
        let key = NewKey { public_key: signing.public().to_jwk(), ..NewKey::default() };
        registers.add_key(SIGNING_AUTHORITY, &key).await.map_err(step("registering the demo signing key"))?;
        let dir = data_dir.path().join(DEMO_DIR);
        std::fs::create_dir_all(&dir).map_err(step_io(format!("creating {}", dir.display())))?;
        let key_path = dir.join(format!("{SIGNING_AUTHORITY}.jwk"));
        replace_private(&key_path, signing.to_jwk_private().as_bytes())?;

        let mut emergency = None;
        for &(document, reviewer, moves) in REQUESTS {
            let id = self.seed_one(document, reviewer, moves, &signing).await?;
            if document == EMERGENCY {
                emergency = Some(id);
            }
        }
        let emergency = emergency.ok_or_else(|| Error::corrupt("the demo has no emergency request"))?;
        // The person the emergency request names complained to the data protection
        // authority, which is registered to act for them in it.
        let value: serde_json::Value = serde_json::from_str(EMERGENCY).map_err(Error::internal)?;
        let person = value.pointer("/targets/0/selector/value").and_then(|v| v.as_str()).unwrap_or("");
        let representative = crate::NewRepresentative {
            representative: REPRESENTATIVE.0.into(),
            represents: person.into(),
            mandate: "a complaint lodged with the Data Protection Commission (demo)".into(),
        };
        self.register_representative_as(&seeder, emergency, &representative)
            .await
            .map_err(step("registering the demo representative"))?;
        let (authority_token, age_identity, production) =
            self.produce_emergency(&registers, &accounts, &dir, emergency).await?;
        let credentials = Credentials {
            people,
            admin_token,
            key_path,
            kid: signing.public().key_id().to_string(),
            authority_token,
            age_identity,
            emergency: emergency.to_string(),
            production,
        };
        let file = dir.join(CREDENTIALS_FILE);
        replace_private(&file, credentials_text(&credentials, listen).as_bytes())?;
        tracing::info!(
            authorities = AUTHORITIES.len(),
            providers = PROVIDERS.len(),
            reviewers = REVIEWERS.len(),
            requests = REQUESTS.len(),
            "demo data seeded"
        );
        Ok(Some(Seeded {
            credentials: file,
            authorities: AUTHORITIES.len(),
            providers: PROVIDERS.len(),
            reviewers: REVIEWERS.len(),
            requests: REQUESTS.len(),
            people: PEOPLE.iter().map(|p| p.0).collect(),
            try_first,
        }))
    }

    /// Submits one demo request, has its provider assign the reviewer body, and makes its
    /// moves. The signing authority's request arrives signed with its key, through the
    /// same check as any signed submission; the others as if a clerk of the authority had
    /// submitted them through the portal.
    async fn seed_one(
        &self,
        document: &str,
        reviewer: &str,
        moves: &[DemoMove],
        signing: &SigningKey,
    ) -> Result<comity_core::RequestId> {
        let refused = |e: Error| step("a demo request was refused")(e);
        let value: serde_json::Value = serde_json::from_str(document).map_err(Error::internal)?;
        let authority = value
            .pointer("/issuing/authority")
            .and_then(|a| a.as_str())
            .and_then(|a| PartyId::parse(a).ok())
            .ok_or_else(|| Error::corrupt("a demo request names no issuing authority"))?;
        let accepted = if authority.as_str() == SIGNING_AUTHORITY {
            let request = value
                .as_object()
                .cloned()
                .ok_or_else(|| Error::corrupt("a demo request is not a JSON object"))?;
            let provider = value.pointer("/addressee/provider").and_then(|p| p.as_str()).unwrap_or_default();
            let iat = Utc::now().timestamp();
            let claims = comity_auth::jws::Claims {
                iss: authority.to_string(),
                aud: provider.to_owned(),
                iat,
                exp: iat + 300,
                jti: uuid::Uuid::now_v7().to_string(),
                request,
            };
            let jws = signing.sign_compact(&signing.public().key_id(), &claims.to_payload());
            self.submit_signed(jws.as_bytes(), None, &Client::local()).await.map_err(refused)?
        } else {
            let submitter = Submitter {
                actor: ActorId::parse(&format!("clerk@{authority}")).map_err(Error::internal)?,
                receipt: format!("received through the portal from clerk@{authority} (demo)"),
                authority,
                signature: None,
                jti: None,
            };
            self.seed_request(document.as_bytes(), &submitter).await.map_err(refused)?
        };
        let mut current = accepted.request;
        // Screening routed the request by law to the competent body of the register; where
        // the demo's body is not the one routing picked, the operator assigns it, as POST
        // /v1/requests/{id}/reviewers does (the demo's reviewers are of no party's institution).
        let reviewer_id = PartyId::parse(reviewer).map_err(Error::internal)?;
        if !self.reviewers(current.id).await?.contains(&reviewer_id) {
            let operator = ActorId::parse("operator@comity-operator").map_err(Error::internal)?;
            let reason = "the competent independent reviewer for this instrument (demo)".to_owned();
            self.record_assignment(&operator, &current, &reviewer_id, reason, None)
                .await
                .map_err(step(format!("assigning {reviewer} to a demo request")))?;
        }
        for &(to, actor, reason) in moves {
            // The demo's one partial approval keeps the subscriber and traffic data, not the content.
            let scope = (to == State::PartiallyApproved).then(|| ScopeAsked {
                categories: Some(vec![DataCategory::Subscriber, DataCategory::Traffic]),
                ..ScopeAsked::default()
            });
            let mut transition = Transition { scope, ..Transition::to(to, reason) };
            // A decision is reasoned in the pack's grounds, and an approval answers each
            // finding screening flagged, as a reviewer does through the API.
            let mut reasoned = Vec::new();
            if matches!(to, State::Approved | State::PartiallyApproved | State::Rejected) {
                transition.grounds = vec![
                    match to {
                        State::Approved => "necessary_and_proportionate",
                        State::PartiallyApproved => "narrowed_to_what_is_necessary",
                        _ => "not_necessary_or_proportionate",
                    }
                    .to_owned(),
                ];
                let report = self.latest_report(&current).await?;
                transition.answers = report
                    .findings
                    .iter()
                    .filter(|f| matches!(f.outcome.as_str(), "review" | "fail" | "clarify"))
                    .map(|f| (f.rule.clone(), format!("considered by {reviewer} (demo)")))
                    .collect();
                reasoned.push(self.reasoned(&current, &transition, reviewer_id.clone()).await?);
            }
            let actor = ActorId::parse(actor).map_err(Error::internal)?;
            current = self
                .move_request_with(&current, &transition, actor, reasoned, Vec::new())
                .await
                .map_err(step(format!("demo move to {to} refused")))?
                .0;
        }
        Ok(current.id)
    }

    /// Produces the approved emergency request as example-mail does with `comity produce`:
    /// de-sta-berlin gets an age identity (its recipient registered) and an API token for
    /// its system, example-mail a production key. Returns the token, the identity file and
    /// the production's id.
    async fn produce_emergency(
        &self,
        registers: &Registers,
        accounts: &Accounts,
        dir: &Path,
        id: comity_core::RequestId,
    ) -> Result<(String, std::path::PathBuf, String)> {
        use comity_seal::age::secrecy::ExposeSecret;
        let identity = comity_seal::age::x25519::Identity::generate();
        let identity_path = dir.join(format!("{SIGNING_AUTHORITY}.agekey"));
        let recipient = identity.to_public().to_string();
        let identity_text = format!(
            "# demo age identity of {SIGNING_AUTHORITY}, for its productions\n# public key: {recipient}\n{}\n",
            identity.to_string().expose_secret()
        );
        replace_private(&identity_path, identity_text.as_bytes())?;
        registers
            .add_recipient(SIGNING_AUTHORITY, &recipient)
            .await
            .map_err(step("registering the demo age recipient"))?;

        registers
            .generate_production_key("example-mail")
            .await
            .map_err(step("making the demo production key"))?;

        let authority_token = token(accounts, SIGNING_AUTHORITY, "requester", "demo system").await?;

        let export = dir.join("example-mail-emergency.jsonl");
        std::fs::write(&export, EMERGENCY_EXPORT)
            .map_err(step_io(format!("writing {}", export.display())))?;
        let keep_until = (Utc::now() + chrono::Duration::days(180)).date_naive();
        let options = crate::Options {
            retention_until: comity_seal::RetentionUntil::Date(keep_until),
            allow_unknown_kinds: false,
            national_ids: comity_redact::NationalIds::default(),
            phone_regions: comity_redact::PhoneRegions::none(),
            out: None,
        };
        let legal = ActorId::parse("legal@example-mail").map_err(Error::internal)?;
        let produced = self
            .producing_as(legal, id)
            .await?
            .produce(&export, options, crate::no_progress())
            .await
            .map_err(step("producing the demo emergency request"))?;
        Ok((authority_token, identity_path, produced.id))
    }
}

async fn register_parties(registers: &Registers) -> Result<()> {
    let id = |s: &str| PartyId::parse(s).map_err(Error::internal);
    let country = |s: &str| CountryCode::parse(s).map_err(Error::internal);
    for &(i, c, authority_type, name) in AUTHORITIES {
        let party = Party::Authority(Authority {
            id: id(i)?,
            country: country(c)?,
            authority_type,
            name: name.into(),
            institution: None,
        });
        registers.add_party(&party).await?;
    }
    for &(i, c, name) in PROVIDERS {
        let party = Party::Provider(Provider {
            id: id(i)?,
            country: country(c)?,
            name: name.into(),
            institution: None,
        });
        registers.add_party(&party).await?;
    }
    for &(i, c, kind, name) in REVIEWERS {
        let party = Party::Reviewer(ReviewerBody {
            id: id(i)?,
            country: country(c)?,
            kind,
            name: name.into(),
            institution: None,
        });
        registers.add_party(&party).await?;
    }
    let organisation = |(i, c, name): (&str, &str, &str)| -> Result<Organisation> {
        Ok(Organisation { id: id(i)?, country: country(c)?, name: name.into(), institution: None })
    };
    registers.add_party(&Party::Operator(organisation(OPERATOR)?)).await?;
    registers.add_party(&Party::Auditor(organisation(AUDITOR)?)).await?;
    registers.add_party(&Party::Representative(organisation(REPRESENTATIVE)?)).await?;
    Ok(())
}

/// An API token of the demo, as `comity token create` makes one; its secret.
async fn token(accounts: &Accounts, org: &str, role: &str, label: &str) -> Result<String> {
    let new = NewToken { org: org.into(), role: role.into(), label: Some(label.into()), expires_in: None };
    let created = accounts
        .create_token(&new)
        .await
        .map_err(step(format!("creating the demo token of {org} ({role})")))?;
    Ok(created.token)
}

fn step_io(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::internal(std::io::Error::other(format!("{what}: {e}")))
}

/// Writes a file only its owner can read, replacing what an earlier demo left.
fn replace_private(path: &Path, bytes: &[u8]) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(step_io(format!("replacing {}", path.display()))(e)),
    }
    crate::data_dir::write_private(path, bytes).map_err(Error::internal)
}

fn credentials_text(c: &Credentials, listen: std::net::SocketAddr) -> String {
    let mut text = format!(
        "comity demo credentials\n\
         =======================\n\
         \n\
         DEMO DATA, FOR LOOKING ONLY.\n\
         `comity serve --demo` made all of this up on {}: the parties, the requests,\n\
         the people and their secrets. Nothing here is real, none of it is secret from anyone\n\
         who can read this data directory, and a real deployment never starts from a demo data\n\
         directory.\n\
         \n\
         People log in with POST /v1/session and {{\"username\", \"password\", \"totp\"}}. The TOTP\n\
         code is what an authenticator app shows once it has scanned the otpauth URI (as a QR\n\
         code); that is the real thing. For scripts, `comity totp code --secret SECRET` prints\n\
         the current code. A code is good once: wait for the next one to log in again.\n",
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    for (user, does) in &c.people {
        let _ = write!(
            text,
            "\n{}    ({} at {}: {does})\n  password     {}\n  totp secret  {}\n  totp uri     {}\n",
            user.user.username,
            user.user.role,
            user.user.org,
            user.password,
            user.totp_secret.base32(),
            user.totp_uri
        );
    }
    let base = format!("http://{listen}");
    let _ = write!(
        text,
        "\nadmin API token of {operator} (Authorization: Bearer ...), for /v1/admin:\n  token        {token}\n\
         \n{SIGNING_AUTHORITY}'s signing key (a private JWK), for signed submissions:\n  key file     {key}\n  kid          {kid}\n\
         \nTo submit a request as {SIGNING_AUTHORITY}'s system:\n\
         \x20 comity request sign --key {key} --document examples/requests/eu-epoc-emergency-subscriber.json \\\n\
         \x20   | curl --data-binary @- -H 'content-type: application/jose' {base}/v1/requests\n\
         \n{SIGNING_AUTHORITY}'s system (an API token of a requester), for its productions:\n  token        {authority_token}\n\
         {SIGNING_AUTHORITY}'s age identity, which opens its packages:\n  identity     {identity}\n\
         \nexample-mail produced the emergency request {emergency} for real; its sealed package\n\
         waits for {SIGNING_AUTHORITY} to download, verify and acknowledge it:\n\
         \x20 curl -o package.age -H 'authorization: Bearer {authority_token}' \\\n\
         \x20   {base}/v1/requests/{emergency}/productions/{production}/package\n\
         \x20 comity package verify package.age --identity {identity} --out records/\n",
        operator = OPERATOR.0,
        token = c.admin_token,
        key = c.key_path.display(),
        kid = c.kid,
        authority_token = c.authority_token,
        identity = c.age_identity.display(),
        emergency = c.emergency,
        production = c.production,
    );
    text
}
