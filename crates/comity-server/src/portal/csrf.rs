//! Every form is protected against cross-site request forgery (OWASP's cheat sheet: the
//! double-submit cookie, with the `__Host-` prefix, and Fetch metadata).
//!
//! Each browser gets a random token in a cookie that is `HttpOnly` and `SameSite=Strict`,
//! and under `__Host-` (RFC 6265bis §4.1.3.2) when cookies are secure, so no other site or
//! subdomain can set or read it. Each form carries the same token in a hidden field; a post
//! whose field does not match its cookie is refused. A browser that says the post comes
//! from another site (`Sec-Fetch-Site: cross-site`, Fetch Metadata) is refused before
//! that. The session cookie is `SameSite=Strict` as well, so a forged post would not even
//! be signed in.

use axum::{
    extract::{Form, FromRequest, Request},
    http::{HeaderMap, StatusCode, request::Parts},
    response::Response,
};
use comity_auth::opaque::OpaqueToken;
use serde::{Deserialize, Deserializer, de::DeserializeOwned};
use subtle::ConstantTimeEq;

use super::{Ctx, pages};

pub const COOKIE: &str = "__Host-comity_csrf";
pub const COOKIE_INSECURE: &str = "comity_csrf";

/// A new token: 256 random bits.
pub fn generate() -> String {
    OpaqueToken::generate().text().to_owned()
}

/// The token of the request's cookie, if it has one of the right shape.
pub fn from_cookie(headers: &HeaderMap, secure: bool) -> Option<String> {
    let name = if secure { COOKIE } else { COOKIE_INSECURE };
    super::i18n::cookie(headers, name)
        .filter(|v| v.len() >= 32 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_owned)
}

/// The `Set-Cookie` value that gives a browser its token, for the browser session.
pub fn cookie(token: &str, secure: bool) -> String {
    if secure {
        format!("{COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict")
    } else {
        format!("{COOKIE_INSECURE}={token}; Path=/; HttpOnly; SameSite=Strict")
    }
}

/// Whether the browser says the post comes from another site (Fetch Metadata).
fn cross_site(parts: &Parts) -> bool {
    let cross = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    if cross {
        tracing::warn!("a form posted from another site was refused");
    }
    cross
}

/// Whether a post may be acted on: not from another site, and `token` (its form's) is the
/// browser's cookie's, compared in constant time.
pub fn matches(parts: &Parts, token: &str) -> bool {
    if cross_site(parts) {
        return false;
    }
    let cookie = parts.extensions.get::<super::Decided>().filter(|d| !d.fresh_csrf).map(|d| d.csrf.as_str());
    let ok = cookie.is_some_and(|c| !token.is_empty() && bool::from(c.as_bytes().ct_eq(token.as_bytes())));
    if !ok {
        tracing::warn!("a form without its browser's token was refused");
    }
    ok
}

/// A form's fields that carry the token.
pub trait Protected {
    fn csrf(&self) -> &str;
}

/// A form posted from one of comity's pages: `application/x-www-form-urlencoded`, its token
/// matching the browser's cookie. Anything else is refused with a page that says what to do.
#[derive(Debug, Clone)]
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Protected + Send> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let ctx = Ctx::of(&parts);
        let refused = |ctx: &Ctx| {
            pages::message_page(ctx, StatusCode::FORBIDDEN, "form-expired-title", "form-expired-body")
        };
        if cross_site(&parts) {
            return Err(refused(&ctx));
        }
        let request = Request::from_parts(parts.clone(), body);
        let Form(form) = Form::<T>::from_request(request, state).await.map_err(|e| {
            tracing::info!(error = %e, "a form that does not read");
            pages::message_page(
                &ctx,
                StatusCode::BAD_REQUEST,
                "form-unreadable-title",
                "form-unreadable-body",
            )
        })?;
        if !matches(&parts, form.csrf()) {
            return Err(refused(&ctx));
        }
        Ok(PageForm(form))
    }
}

/// A form read as its fields, by name, in the order posted (a name repeated once per box
/// ticked), its token apart: for forms whose fields are many or repeated.
#[derive(Debug, Default, Clone)]
pub struct FormFields {
    csrf: String,
    fields: Vec<(String, String)>,
}

impl Protected for FormFields {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl<'de> Deserialize<'de> for FormFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut form = FormFields::default();
        for (name, value) in Vec::<(String, String)>::deserialize(d)? {
            if name == "csrf" {
                form.csrf = value;
            } else {
                form.fields.push((name, value));
            }
        }
        Ok(form)
    }
}

impl FormFields {
    /// A field's value, trimmed; empty if the form did not send it.
    pub fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.trim())
    }

    /// Every value of a field sent more than once (the boxes ticked), as sent.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }

    /// Whether a box was ticked (the field sent, not empty).
    pub fn ticked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    /// A field's value, trimmed, or `None` if empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        Some(self.get(name)).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    /// A form made by the server (to fill a page's inputs), without a token.
    pub fn from_pairs(fields: Vec<(String, String)>) -> FormFields {
        FormFields { csrf: String::new(), fields }
    }

    /// The fields, in the order posted.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.fields
    }
}
