//! The claims of a signed submission (RFC 7519 §4.1) and their checks.

use serde_json::{Map, Value, json};

use super::refusal::JwsRefusal;
use crate::json;
use crate::shown::Shown;

/// The time limits of a signed submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest lifetime `exp − iat` accepted, in seconds. Short, so that a copy of a
    /// signed submission is soon worthless and the replay cache stays small.
    pub max_lifetime_secs: u32,
    /// How far the signer's clock may be from the server's, in seconds, for `iat`, `nbf`
    /// and `exp` (RFC 7519 §4.1.4 allows "some small leeway").
    pub clock_skew_secs: u32,
}

impl Default for Limits {
    /// 15 minutes of lifetime, 60 seconds of clock skew.
    fn default() -> Limits {
        Limits { max_lifetime_secs: 900, clock_skew_secs: 60 }
    }
}

/// The claims of a signed submission: the JWT claims set (RFC 7519 §4) that is the JWS
/// payload.
///
/// [`check_claims`] makes one from a payload after checking every rule below. To sign a
/// submission, build one and sign [`Claims::to_payload`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `iss` (RFC 7519 §4.1.1): the party that submits, as registered in comity. 1 to
    /// 256 characters, no control characters.
    pub iss: String,
    /// `aud` (RFC 7519 §4.1.3): the comity server the submission is for. A string, or an
    /// array of exactly one string.
    pub aud: String,
    /// `iat` (RFC 7519 §4.1.6): when it was signed, in unix seconds.
    pub iat: i64,
    /// `exp` (RFC 7519 §4.1.4): when it stops being accepted, in unix seconds.
    pub exp: i64,
    /// `jti` (RFC 7519 §4.1.7): a unique id, so that a replay is recognized. 1 to 128
    /// visible ASCII characters; a UUID is a good choice.
    pub jti: String,
    /// `request`: the request document, a JSON object.
    pub request: Map<String, Value>,
}

impl Claims {
    /// The claims as a JWT claims set, the payload to sign.
    pub fn to_payload(&self) -> Vec<u8> {
        let claims = json!({
            "iss": self.iss,
            "aud": self.aud,
            "iat": self.iat,
            "exp": self.exp,
            "jti": self.jti,
            "request": self.request,
        });
        claims.to_string().into_bytes()
    }

    /// Checks that `aud` names `expected`, this server's audience.
    pub fn check_audience(&self, expected: &str) -> Result<(), JwsRefusal> {
        if self.aud == expected { Ok(()) } else { Err(JwsRefusal::wrong_audience(expected, &self.aud)) }
    }

    /// Checks that `iss` is `expected`, the party the submission is made as.
    pub fn check_issuer(&self, expected: &str) -> Result<(), JwsRefusal> {
        if self.iss == expected { Ok(()) } else { Err(JwsRefusal::issuer_mismatch(expected, &self.iss)) }
    }
}

/// Reads and checks the claims of a signed submission at `now_unix` (unix seconds).
///
/// The payload must be a JSON object without duplicate members (RFC 7519 §4), with
/// `iss`, `aud`, `iat`, `exp`, `jti` and `request`, each of its type (see [`Claims`];
/// `iat` and `exp` are integer NumericDates, RFC 7519 §2). Other claims are ignored,
/// except `nbf` (RFC 7519 §4.1.5), which is honoured when present. Then, in this order:
///
/// - `exp` ≤ `iat`, or `exp` − `iat` > `limits.max_lifetime_secs`: `lifetime_too_long`;
/// - `iat` or `nbf` > now + skew: `issued_in_future`;
/// - now ≥ `exp` + skew: `expired`.
///
/// Audience, issuer and replay depend on the server: see [`Claims::check_audience`],
/// [`Claims::check_issuer`] and [`JwsRefusal::replayed`].
pub fn check_claims(payload: &[u8], now_unix: i64, limits: &Limits) -> Result<Claims, JwsRefusal> {
    let mut members = json::parse_object(payload).map_err(|why| {
        JwsRefusal::malformed(format!(
            "the payload must be a JSON object of claims without duplicate members (RFC 7519 §7.2), \
             but {why}"
        ))
    })?;
    let iss =
        string_claim(&members, "iss", 256, |c| !c.is_control(), "characters, none a control character")?;
    let aud = audience(&members)?;
    let iat = date_claim(&members, "iat")?;
    let exp = date_claim(&members, "exp")?;
    let nbf = match members.get("nbf") {
        None => None,
        Some(_) => Some(date_claim(&members, "nbf")?),
    };
    let jti = string_claim(&members, "jti", 128, |c| c.is_ascii_graphic(), "visible ASCII characters")?;
    let request = match members.remove("request") {
        Some(Value::Object(request)) => request,
        Some(other) => {
            return Err(JwsRefusal::malformed(format!(
                "the claim \"request\" is {}; it must be the request document, a JSON object",
                json::describe(&other)
            )));
        }
        None => return Err(missing("request", "the request document, a JSON object")),
    };

    // Wide arithmetic: the claims are any i64, and a sum must not wrap around.
    let (now, skew) = (i128::from(now_unix), i128::from(limits.clock_skew_secs));
    let lifetime = i128::from(exp) - i128::from(iat);
    if lifetime <= 0 || lifetime > i128::from(limits.max_lifetime_secs) {
        return Err(JwsRefusal::LifetimeTooLong { iat, exp, max: limits.max_lifetime_secs });
    }
    for (claim, value) in [("iat", Some(iat)), ("nbf", nbf)] {
        if let Some(value) = value.filter(|&value| i128::from(value) > now + skew) {
            return Err(JwsRefusal::IssuedInFuture {
                claim,
                value,
                now: now_unix,
                skew: limits.clock_skew_secs,
            });
        }
    }
    if now >= i128::from(exp) + skew {
        return Err(JwsRefusal::Expired { exp, now: now_unix, skew: limits.clock_skew_secs });
    }
    Ok(Claims { iss, aud, iat, exp, jti, request })
}

fn missing(name: &str, what: &str) -> JwsRefusal {
    JwsRefusal::malformed(format!("the payload has no claim {name:?}; it must have one: {what}"))
}

fn string_claim(
    members: &Map<String, Value>,
    name: &str,
    max_chars: usize,
    allowed: fn(char) -> bool,
    allowed_text: &str,
) -> Result<String, JwsRefusal> {
    let rule = format!("a string of 1 to {max_chars} {allowed_text}");
    let text = match members.get(name) {
        None => return Err(missing(name, &rule)),
        Some(Value::String(text)) => text,
        Some(other) => {
            return Err(JwsRefusal::malformed(format!(
                "the claim {name:?} is {}; it must be {rule}",
                json::describe(other)
            )));
        }
    };
    let chars = text.chars().count();
    if chars == 0 || chars > max_chars || !text.chars().all(allowed) {
        return Err(JwsRefusal::malformed(format!(
            "the claim {name:?} is {}; it must be {rule}",
            Shown::short(text)
        )));
    }
    Ok(text.clone())
}

/// `aud`: a string, or an array of exactly one string (RFC 7519 §4.1.3 allows both).
fn audience(members: &Map<String, Value>) -> Result<String, JwsRefusal> {
    const RULE: &str = "the audience, a non-empty string or an array of exactly one";
    let aud = match members.get("aud") {
        None => return Err(missing("aud", RULE)),
        Some(Value::Array(items)) => match &items[..] {
            [Value::String(aud)] => aud,
            [other] => {
                return Err(JwsRefusal::malformed(format!(
                    "the claim \"aud\" is an array of {}; it must be {RULE}",
                    json::describe(other)
                )));
            }
            _ => {
                return Err(JwsRefusal::malformed(format!(
                    "the claim \"aud\" is an array of {} audiences; it must be {RULE}: a submission \
                     is for one comity server",
                    items.len()
                )));
            }
        },
        Some(Value::String(aud)) => aud,
        Some(other) => {
            return Err(JwsRefusal::malformed(format!(
                "the claim \"aud\" is {}; it must be {RULE}",
                json::describe(other)
            )));
        }
    };
    if aud.is_empty() || aud.chars().count() > 256 || aud.chars().any(char::is_control) {
        return Err(JwsRefusal::malformed(format!(
            "the claim \"aud\" is {}; it must be 1 to 256 characters without control characters",
            Shown::short(aud)
        )));
    }
    Ok(aud.clone())
}

/// An integer NumericDate (RFC 7519 §2): seconds since 1970-01-01T00:00:00Z. RFC 7519
/// allows fractions; comity does not, so that every claim has one reading.
fn date_claim(members: &Map<String, Value>, name: &str) -> Result<i64, JwsRefusal> {
    const RULE: &str = "an integer number of seconds since 1970-01-01T00:00:00Z (a NumericDate, RFC 7519 §2)";
    let value = members.get(name).ok_or_else(|| missing(name, RULE))?;
    value.as_i64().ok_or_else(|| {
        let given = match value {
            // A number without arbitrary precision prints as at most a few dozen
            // characters of digits, '.', 'e' and '-': nothing to escape.
            Value::Number(n) => format!("the number {n}"),
            other => json::describe(other),
        };
        JwsRefusal::malformed(format!("the claim {name:?} is {given}; it must be {RULE}"))
    })
}
