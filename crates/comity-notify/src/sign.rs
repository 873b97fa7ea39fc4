//! HTTP Message Signatures (RFC 9421) with Ed25519, and `Content-Digest` (RFC 9530).
//!
//! Sans I/O apart from the operating system's randomness ([`random_nonce`]): the time a
//! signature says it was made is passed in, never read from the clock here, so the same
//! inputs always give the same headers (Ed25519 is deterministic, RFC 8032 §5.1.6).
//!
//! - [`WebhookSigner::sign`] is what comity puts on every webhook: a `Content-Digest` of the
//!   body (sha-256), and a signature labelled [`LABEL`] that covers [`WEBHOOK_COMPONENTS`]
//!   (`@method`, `@target-uri`, `content-digest`, `content-type`) with the parameters
//!   `created`, `keyid`, `alg="ed25519"`, `nonce` and `tag="comity-webhook"`.
//! - [`sign`] and [`signature_base`] are the general form, any components and parameters,
//!   which the tests hold to the RFC's own example (Appendix B.2.6).
//! - [`verify`] is the receiver's side (RFC 9421 §3.2), for our tests and for receivers
//!   written in Rust; receivers in other languages use their own library (the tests check
//!   one, pyauth's `http-message-signatures`).
//!
//! Every structured field (the signature parameters, `Signature-Input`, `Signature`,
//! `Content-Digest`) is written and read by `sfv`, an implementation of RFC 8941, rather
//! than by hand: the signature base holds the parameters exactly as RFC 8941 §4.1
//! serializes them, and a verifier re-serializes what it parsed the same way.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore};
use sfv::{
    BareItem, DictSerializer, Dictionary, FieldType, InnerList, Integer, ItemSerializer, KeyRef, List,
    ListEntry, Parser, StringRef,
};
use sha2::{Digest, Sha256};
use url::Url;

/// The `tag` of comity's webhook signatures (RFC 9421 §2.3): a receiver selects the
/// signature by it, and a signature made for another purpose cannot pass as a webhook's.
pub const WEBHOOK_TAG: &str = "comity-webhook";

/// The label of comity's signature in `Signature-Input` and `Signature` (RFC 9421 §4.1).
/// Labels are not signed; receivers select by [`WEBHOOK_TAG`].
pub const LABEL: &str = "comity";

/// What a webhook's signature covers: the method and the full target URI (so a notice
/// cannot be replayed to another endpoint), and the body through its digest and type.
pub const WEBHOOK_COMPONENTS: [Component; 4] = [
    Component::Method,
    Component::TargetUri,
    Component::Field(Cow::Borrowed("content-digest")),
    Component::Field(Cow::Borrowed("content-type")),
];

/// A component of an HTTP request that a signature covers (RFC 9421 §2).
///
/// Derived components are the ones RFC 9421 §2.2 defines for requests, without
/// parameters; `@query-param` and `@status`, and the `sf`, `key`, `bs`, `req` and `tr`
/// parameters of §2.1, are not supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Component {
    /// `@method` (§2.2.1): the method, as sent.
    Method,
    /// `@target-uri` (§2.2.2): the full target URI.
    TargetUri,
    /// `@authority` (§2.2.3): host and port, lower case, without a default port.
    Authority,
    /// `@scheme` (§2.2.4).
    Scheme,
    /// `@request-target` (§2.2.5): path and query, as in the request line.
    RequestTarget,
    /// `@path` (§2.2.6).
    Path,
    /// `@query` (§2.2.7), with its leading `?`.
    Query,
    /// An HTTP field (§2.1), by its name in lower case.
    Field(Cow<'static, str>),
}

impl Component {
    /// The component an identifier names: `@method`, ..., or a field name in lower case.
    pub fn parse(identifier: &str) -> Result<Self, SignError> {
        Ok(match identifier {
            "@method" => Self::Method,
            "@target-uri" => Self::TargetUri,
            "@authority" => Self::Authority,
            "@scheme" => Self::Scheme,
            "@request-target" => Self::RequestTarget,
            "@path" => Self::Path,
            "@query" => Self::Query,
            derived if derived.starts_with('@') => {
                return Err(SignError::UnsupportedComponent(derived.to_owned()));
            }
            field => Self::field(field)?,
        })
    }

    /// An HTTP field, by its name: a token (RFC 9110 §5.1) in lower case (RFC 9421 §2.1).
    pub fn field(name: &str) -> Result<Self, SignError> {
        let tchar = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(tchar) {
            return Err(SignError::FieldName(name.to_owned()));
        }
        Ok(Self::Field(Cow::Owned(name.to_owned())))
    }

    /// The component's name, as its identifier holds it: `@method`, `content-type`.
    pub fn name(&self) -> &str {
        match self {
            Self::Method => "@method",
            Self::TargetUri => "@target-uri",
            Self::Authority => "@authority",
            Self::Scheme => "@scheme",
            Self::RequestTarget => "@request-target",
            Self::Path => "@path",
            Self::Query => "@query",
            Self::Field(name) => name,
        }
    }

    /// The component's value in `request` (RFC 9421 §2.1, §2.2).
    fn value(&self, request: &Request<'_>) -> Result<String, SignError> {
        let url = request.target;
        Ok(match self {
            Self::Method => request.method.to_owned(),
            Self::TargetUri => url.as_str().to_owned(),
            Self::Authority => {
                let host = url.host_str().ok_or_else(|| SignError::NoAuthority(url.to_string()))?;
                // `Url` lower-cases the host of http(s) URLs and drops a default port.
                match url.port() {
                    Some(port) => format!("{}:{port}", host.to_ascii_lowercase()),
                    None => host.to_ascii_lowercase(),
                }
            }
            Self::Scheme => url.scheme().to_ascii_lowercase(),
            Self::RequestTarget => match url.query() {
                Some(query) => format!("{}?{query}", path(url)),
                None => path(url).to_owned(),
            },
            Self::Path => path(url).to_owned(),
            Self::Query => format!("?{}", url.query().unwrap_or("")),
            Self::Field(name) => {
                // §2.1: each field line's value trimmed, several lines joined by ", ".
                let values: Vec<&str> = request
                    .headers
                    .iter()
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim_matches([' ', '\t']))
                    .collect();
                if values.is_empty() {
                    return Err(SignError::MissingField(name.to_string()));
                }
                values.join(", ")
            }
        })
    }
}

/// `@path`: the absolute path, `/` when empty (RFC 9421 §2.2.6).
fn path(url: &Url) -> &str {
    match url.path() {
        "" => "/",
        path => path,
    }
}

/// The parts of an HTTP request that a signature reads.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, as sent (`POST`).
    pub method: &'a str,
    /// The target URI, absolute.
    pub target: &'a Url,
    /// The header fields, as name and value, in the order sent; names in any case.
    pub headers: &'a [(&'a str, &'a str)],
}

/// The algorithm a signature names in its `alg` parameter (RFC 9421 §6.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `ed25519`: EdDSA over edwards25519 (RFC 9421 §3.3.6), the only one comity uses.
    Ed25519,
}

impl Algorithm {
    /// The algorithm's name in the HTTP Signature Algorithms registry.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
        }
    }
}

/// The signature parameters (RFC 9421 §2.3). A signer writes those present in the order
/// of the fields here (`created`, `expires`, `keyid`, `alg`, `nonce`, `tag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// `created`: when the signature was made, in seconds since the Unix epoch.
    pub created: Option<u64>,
    /// `expires`: when it stops being valid, in seconds since the Unix epoch.
    pub expires: Option<u64>,
    /// `keyid`: which key made it.
    pub keyid: Option<String>,
    /// `alg`: the algorithm.
    pub alg: Option<Algorithm>,
    /// `nonce`: a value used once, so that a receiver can refuse a replay.
    pub nonce: Option<String>,
    /// `tag`: what the signature is for.
    pub tag: Option<String>,
}

/// The values of the `Signature-Input` and `Signature` fields of one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// `Signature-Input`: the label, what is covered and the parameters (RFC 9421 §4.1).
    pub signature_input: String,
    /// `Signature`: the label and the signature as a byte sequence (RFC 9421 §4.2).
    pub signature: String,
}

/// The header values a webhook carries, from [`WebhookSigner::sign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookHeaders {
    /// `Content-Digest`: the body's sha-256 (RFC 9530 §2).
    pub content_digest: String,
    /// `Signature-Input` (RFC 9421 §4.1).
    pub signature_input: String,
    /// `Signature` (RFC 9421 §4.2).
    pub signature: String,
}

/// A request that signing refused, with what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    /// A key id, nonce or tag that is not an RFC 8941 string.
    #[error(
        "the {name} {value:?} cannot be a signature parameter: it must be printable ASCII \
         (an RFC 8941 §3.3.3 string)"
    )]
    Parameter {
        /// Which parameter.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// A time past what RFC 8941 §3.3.1 integers hold.
    #[error("the time {0} is too large for a signature parameter (RFC 8941 §3.3.1 integers have 15 digits)")]
    Time(u64),
    /// A label that is not an RFC 8941 key.
    #[error("the label {0:?} is not a structured-field key: use lower-case letters, digits, _, -, . and *")]
    Label(String),
    /// A field name that is not a lower-case token.
    #[error(
        "{0:?} is not a field name a signature covers: write it in lower case (RFC 9421 §2.1, RFC 9110 §5.1)"
    )]
    FieldName(String),
    /// A derived component this implementation does not compute.
    #[error(
        "the component {0:?} is not supported: cover @method, @target-uri, @authority, @scheme, @request-target, @path, @query or a header field"
    )]
    UnsupportedComponent(String),
    /// A covered component listed twice (RFC 9421 §2.5).
    #[error("the component {0:?} is covered twice: list each component once (RFC 9421 §2.5)")]
    Duplicate(String),
    /// A covered field that the request does not have.
    #[error(
        "the signature covers the {0:?} field, but the request has none: add the field or stop covering it"
    )]
    MissingField(String),
    /// A component value that holds a line break (RFC 9421 §2.5).
    #[error("the value of {0:?} holds a line break, which a signature base cannot hold (RFC 9421 §2.5)")]
    LineBreak(String),
    /// A target URI without a host, which `@authority` needs.
    #[error("the target URI {0:?} has no host: give an absolute http(s) URI")]
    NoAuthority(String),
}

/// The `Content-Digest` of `body`: its SHA-256, as RFC 9530 §2 writes it
/// (`sha-256=:<base64>:`).
pub fn content_digest(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut ser = DictSerializer::new();
    // A dictionary member without parameters: nothing follows the item.
    let _no_parameters = ser.bare_item(KeyRef::constant("sha-256"), digest.as_slice());
    ser.finish().unwrap_or_default()
}

/// A fresh nonce for a signature: 128 bits from the operating system, base64url.
pub fn random_nonce() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The signature base of `request` (RFC 9421 §2.5): one line `"<name>": <value>` per
/// covered component, in order, then `"@signature-params": ` and the inner list of the
/// covered components with `params` (RFC 9421 §2.3), serialized per RFC 8941 §4.1.1.1.
pub fn signature_base(
    request: &Request<'_>,
    covered: &[Component],
    params: &Params,
) -> Result<String, SignError> {
    base(request, covered, &signature_params(covered, params)?)
}

/// Signs `request` with `key`: the signature base of `covered` and `params`, signed with
/// Ed25519 (RFC 9421 §3.3.6), as the `Signature-Input` and `Signature` members `label`.
pub fn sign(
    key: &SigningKey,
    label: &str,
    request: &Request<'_>,
    covered: &[Component],
    params: &Params,
) -> Result<Signed, SignError> {
    let label = KeyRef::from_str(label).map_err(|_| SignError::Label(label.to_owned()))?;
    let inner = inner_list(covered, params)?;
    let params_value = serialize_inner_list(&inner);
    let base = base(request, covered, &params_value)?;
    let signature = key.sign(base.as_bytes());

    let mut input = DictSerializer::new();
    input.members([(label, &ListEntry::InnerList(inner))]);
    let mut sig = DictSerializer::new();
    let _no_parameters = sig.bare_item(label, signature.to_bytes().as_slice());
    Ok(Signed {
        signature_input: input.finish().unwrap_or_default(),
        signature: sig.finish().unwrap_or_default(),
    })
}

/// comity's webhook signer: an Ed25519 key and the id receivers know it by.
pub struct WebhookSigner {
    key: SigningKey,
    key_id: String,
}

impl std::fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never shows.
        f.debug_struct("WebhookSigner").field("key_id", &self.key_id).finish_non_exhaustive()
    }
}

impl WebhookSigner {
    /// A signer with `key`, known to receivers as `key_id` (printable ASCII).
    pub fn new(key: SigningKey, key_id: &str) -> Result<Self, SignError> {
        string_param("key id", key_id)?;
        Ok(Self { key, key_id: key_id.to_owned() })
    }

    /// The id receivers know the key by.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key receivers verify with.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The headers of a webhook: `Content-Digest` of `body`, and a signature over
    /// [`WEBHOOK_COMPONENTS`] with `created` (seconds since the Unix epoch), `keyid`,
    /// `alg="ed25519"`, `nonce` and `tag="comity-webhook"`. `request.headers` must hold
    /// `Content-Type`; a `Content-Digest` among them is replaced by the body's own.
    pub fn sign(
        &self,
        request: &Request<'_>,
        body: &[u8],
        created: u64,
        nonce: &str,
    ) -> Result<WebhookHeaders, SignError> {
        let content_digest = content_digest(body);
        let mut headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .copied()
            .filter(|(n, _)| !n.eq_ignore_ascii_case("content-digest"))
            .collect();
        headers.push(("content-digest", &content_digest));
        let params = Params {
            created: Some(created),
            expires: None,
            keyid: Some(self.key_id.clone()),
            alg: Some(Algorithm::Ed25519),
            nonce: Some(nonce.to_owned()),
            tag: Some(WEBHOOK_TAG.to_owned()),
        };
        let request = Request { headers: &headers, ..*request };
        let signed = sign(&self.key, LABEL, &request, &WEBHOOK_COMPONENTS, &params)?;
        Ok(WebhookHeaders {
            content_digest,
            signature_input: signed.signature_input,
            signature: signed.signature,
        })
    }
}

/// What a receiver requires of a signature, beyond that it verifies.
#[derive(Debug, Clone, Default)]
pub struct Expect<'a> {
    /// The `tag` the signature must have; it also selects the signature among several.
    pub tag: Option<&'a str>,
    /// The label to select, when no tag is required.
    pub label: Option<&'a str>,
    /// Components the signature must cover.
    pub covers: &'a [Component],
    /// Now, in seconds since the Unix epoch: with it, a signature must have a `created`
    /// no later than `now` plus [`CLOCK_SKEW`] and no older than `max_age`, and must not
    /// have expired. Without it, the times are the caller's to check.
    pub now: Option<u64>,
    /// The oldest a signature may be when `now` is given, in seconds.
    pub max_age: u64,
}

/// How far a signer's clock may run ahead of the receiver's, in seconds.
pub const CLOCK_SKEW: u64 = 60;

/// A signature that verified: which one, and what it signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Its label.
    pub label: String,
    /// What it covers, in order.
    pub covered: Vec<Component>,
    /// Its parameters.
    pub params: Params,
    /// Whether the body was checked against a covered `Content-Digest`.
    pub body_checked: bool,
}

/// Why a request's signature did not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// A field the check needs is absent.
    #[error("the request has no {0} field")]
    MissingField(&'static str),
    /// A field that is not the structured field it must be.
    #[error("the {field} field is malformed: {why}")]
    Malformed {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        why: String,
    },
    /// No signature matches the tag or label asked for, or several do.
    #[error("{0}")]
    Selection(String),
    /// A parameter this verifier does not know, or of the wrong type.
    #[error("the signature parameter {0:?} is unknown or of the wrong type")]
    Parameter(String),
    /// An `alg` other than `ed25519`.
    #[error("the signature's algorithm is {0:?}; only ed25519 is accepted")]
    Algorithm(String),
    /// A signature without a `keyid`, or with one the receiver does not know.
    #[error("the signature's key {0:?} is not one this receiver knows")]
    UnknownKey(Option<String>),
    /// A component the receiver requires is not covered.
    #[error("the signature does not cover {0:?}, which this receiver requires")]
    NotCovered(String),
    /// The signature base could not be built from the request.
    #[error("the signature base cannot be built: {0}")]
    Base(#[from] SignError),
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the key {0:?}")]
    BadSignature(String),
    /// The body does not match its digest, or the digest is not covered.
    #[error("the body does not match the signed Content-Digest: {0}")]
    Digest(String),
    /// The signature is too old, from the future or expired.
    #[error("the signature's time does not hold: {0}")]
    Time(String),
}

/// Verifies the signature of `request` (RFC 9421 §3.2) with the key `keys` gives for its
/// `keyid`, and, when `body` is given, the body against the covered `Content-Digest`
/// (RFC 9530 §2). Only `alg="ed25519"` (or none) is accepted, and the signature must
/// carry a `keyid`.
pub fn verify(
    request: &Request<'_>,
    body: Option<&[u8]>,
    keys: impl Fn(&str) -> Option<VerifyingKey>,
    expect: &Expect<'_>,
) -> Result<Verified, VerifyError> {
    let inputs = dictionary(request, "signature-input")?;
    let signatures = dictionary(request, "signature")?;
    let (label, inner) = select(&inputs, expect)?;
    let signature = match signatures.get(label.as_str()) {
        Some(ListEntry::Item(item)) => match &item.bare_item {
            BareItem::ByteSequence(bytes) => bytes.clone(),
            _ => return Err(malformed("signature", format!("the member {label:?} is not a byte sequence"))),
        },
        _ => return Err(malformed("signature", format!("it has no member {label:?}"))),
    };
    let params = parse_params(inner)?;

    let keyid = params.keyid.clone().ok_or(VerifyError::UnknownKey(None))?;
    let key = keys(&keyid).ok_or_else(|| VerifyError::UnknownKey(Some(keyid.clone())))?;

    let mut covered = Vec::with_capacity(inner.items.len());
    for item in &inner.items {
        let name = item.bare_item.as_string().filter(|_| item.params.is_empty()).ok_or_else(|| {
            malformed("signature-input", "each covered component must be a string without parameters")
        })?;
        covered.push(Component::parse(name.as_str())?);
    }
    for required in expect.covers {
        if !covered.contains(required) {
            return Err(VerifyError::NotCovered(required.name().to_owned()));
        }
    }
    if let Some(now) = expect.now {
        check_times(&params, now, expect.max_age)?;
    }

    let base = base(request, &covered, &serialize_inner_list(inner))?;
    let signature = Signature::from_slice(&signature)
        .map_err(|_| malformed("signature", "an Ed25519 signature is 64 bytes"))?;
    key.verify_strict(base.as_bytes(), &signature).map_err(|_| VerifyError::BadSignature(keyid.clone()))?;

    let digest = Component::Field(Cow::Borrowed("content-digest"));
    let body_checked = match body {
        Some(body) => {
            if !covered.contains(&digest) {
                return Err(VerifyError::Digest("the signature does not cover content-digest".into()));
            }
            check_content_digest(&digest.value(request)?, body)?;
            true
        }
        None => false,
    };
    Ok(Verified { label, covered, params, body_checked })
}

/// Checks `body` against a `Content-Digest` field value (RFC 9530 §2): its `sha-256`
/// member must be the body's SHA-256. Other algorithms are ignored; a field without
/// `sha-256` does not check.
pub fn check_content_digest(field: &str, body: &[u8]) -> Result<(), VerifyError> {
    let digests: Dictionary =
        Parser::new(field).parse().map_err(|e| malformed("content-digest", e.to_string()))?;
    match digests.get("sha-256") {
        Some(ListEntry::Item(item)) => match &item.bare_item {
            BareItem::ByteSequence(digest) if digest.as_slice() == Sha256::digest(body).as_slice() => Ok(()),
            BareItem::ByteSequence(_) => Err(VerifyError::Digest("the sha-256 digest differs".into())),
            _ => Err(malformed("content-digest", "sha-256 is not a byte sequence")),
        },
        _ => Err(VerifyError::Digest("there is no sha-256 digest".into())),
    }
}

fn malformed(field: &'static str, why: impl Into<String>) -> VerifyError {
    VerifyError::Malformed { field, why: why.into() }
}

/// A signature field as a dictionary, its field lines joined (RFC 9421 §4.1, §4.2).
fn dictionary(request: &Request<'_>, name: &'static str) -> Result<Dictionary, VerifyError> {
    let lines: Vec<&str> =
        request.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v).collect();
    if lines.is_empty() {
        return Err(VerifyError::MissingField(name));
    }
    Parser::new(&lines.join(", ")).parse().map_err(|e| malformed(name, e.to_string()))
}

/// The signature `expect` selects: by tag, by label, or the only one.
fn select<'d>(inputs: &'d Dictionary, expect: &Expect<'_>) -> Result<(String, &'d InnerList), VerifyError> {
    let mut chosen = inputs.iter().filter_map(|(label, entry)| match entry {
        ListEntry::InnerList(inner) => Some((label, inner)),
        ListEntry::Item(_) => None,
    });
    let matching: Vec<_> = chosen
        .by_ref()
        .filter(|(label, inner)| {
            let tag = inner.params.get("tag").and_then(BareItem::as_string).map(|t| t.as_str());
            expect.tag.is_none_or(|want| tag == Some(want))
                && expect.label.is_none_or(|want| label.as_str() == want)
        })
        .collect();
    match matching.as_slice() {
        [(label, inner)] => Ok((label.as_str().to_owned(), inner)),
        [] => Err(VerifyError::Selection(format!(
            "no signature has the tag {:?} and label {:?}",
            expect.tag.unwrap_or("(any)"),
            expect.label.unwrap_or("(any)")
        ))),
        _ => Err(VerifyError::Selection("several signatures match: ask for a tag or a label".into())),
    }
}

fn parse_params(inner: &InnerList) -> Result<Params, VerifyError> {
    let mut params = Params::default();
    for (key, value) in &inner.params {
        let wrong = || VerifyError::Parameter(key.as_str().to_owned());
        let string = || value.as_string().map(|s| s.as_str().to_owned()).ok_or_else(wrong);
        let time = || value.as_integer().and_then(|i| u64::try_from(i64::from(i)).ok()).ok_or_else(wrong);
        match key.as_str() {
            "created" => params.created = Some(time()?),
            "expires" => params.expires = Some(time()?),
            "keyid" => params.keyid = Some(string()?),
            "nonce" => params.nonce = Some(string()?),
            "tag" => params.tag = Some(string()?),
            "alg" => match string()? {
                alg if alg == Algorithm::Ed25519.name() => params.alg = Some(Algorithm::Ed25519),
                other => return Err(VerifyError::Algorithm(other)),
            },
            _ => return Err(wrong()),
        }
    }
    Ok(params)
}

fn check_times(params: &Params, now: u64, max_age: u64) -> Result<(), VerifyError> {
    let created = params.created.ok_or_else(|| VerifyError::Time("it has no created time".into()))?;
    if created > now.saturating_add(CLOCK_SKEW) {
        return Err(VerifyError::Time(format!("created {created} is in the future (now {now})")));
    }
    if created.saturating_add(max_age) < now {
        return Err(VerifyError::Time(format!("created {created} is older than {max_age} s (now {now})")));
    }
    if params.expires.is_some_and(|expires| expires < now) {
        return Err(VerifyError::Time(format!("it expired before now ({now})")));
    }
    Ok(())
}

fn string_param<'a>(name: &'static str, value: &'a str) -> Result<&'a StringRef, SignError> {
    StringRef::from_str(value).map_err(|_| SignError::Parameter { name, value: value.to_owned() })
}

fn time_param(value: u64) -> Result<Integer, SignError> {
    Integer::try_from(value).map_err(|_| SignError::Time(value))
}

/// The covered components with their parameters, as the inner list RFC 9421 §2.3 defines.
fn inner_list(covered: &[Component], params: &Params) -> Result<InnerList, SignError> {
    let mut items = Vec::with_capacity(covered.len());
    for component in covered {
        let name = StringRef::from_str(component.name())
            .map_err(|_| SignError::FieldName(component.name().to_owned()))?;
        items.push(sfv::Item::new(name));
    }
    let mut list = InnerList { items, params: Default::default() };
    let key = |k: &'static str| KeyRef::constant(k).to_owned();
    if let Some(created) = params.created {
        list.params.insert(key("created"), BareItem::Integer(time_param(created)?));
    }
    if let Some(expires) = params.expires {
        list.params.insert(key("expires"), BareItem::Integer(time_param(expires)?));
    }
    let strings = [
        ("keyid", "key id", params.keyid.as_deref()),
        ("alg", "alg", params.alg.map(Algorithm::name)),
        ("nonce", "nonce", params.nonce.as_deref()),
        ("tag", "tag", params.tag.as_deref()),
    ];
    for (k, name, value) in strings {
        if let Some(value) = value {
            list.params.insert(key(k), BareItem::String(string_param(name, value)?.to_owned()));
        }
    }
    Ok(list)
}

fn signature_params(covered: &[Component], params: &Params) -> Result<String, SignError> {
    Ok(serialize_inner_list(&inner_list(covered, params)?))
}

/// An inner list alone, as RFC 8941 §4.1.1.1 serializes it: the one member of a list.
fn serialize_inner_list(inner: &InnerList) -> String {
    let list: List = vec![ListEntry::InnerList(inner.clone())];
    list.serialize().unwrap_or_default()
}

/// RFC 9421 §2.5: the lines of the covered components, then `@signature-params`.
fn base(request: &Request<'_>, covered: &[Component], signature_params: &str) -> Result<String, SignError> {
    let mut base = String::new();
    for (i, component) in covered.iter().enumerate() {
        if covered[..i].contains(component) {
            return Err(SignError::Duplicate(component.name().to_owned()));
        }
        let value = component.value(request)?;
        if value.contains(['\n', '\r']) {
            return Err(SignError::LineBreak(component.name().to_owned()));
        }
        base.push_str(&identifier(component.name())?);
        base.push_str(": ");
        base.push_str(&value);
        base.push('\n');
    }
    base.push_str(&identifier("@signature-params")?);
    base.push_str(": ");
    base.push_str(signature_params);
    Ok(base)
}

/// A component identifier as the base writes it: an RFC 8941 string (RFC 9421 §2.5).
fn identifier(name: &str) -> Result<String, SignError> {
    let name = StringRef::from_str(name).map_err(|_| SignError::FieldName(name.to_owned()))?;
    Ok(ItemSerializer::new().bare_item(name).finish())
}
