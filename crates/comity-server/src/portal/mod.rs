//! The portal (issue 14): every party's work in a browser, as pages the server renders.
//!
//! The pages call the same use cases of `comity_app` as the API, under the same
//! [`Caller`] and so the same Cedar decisions: a page can show or do nothing the API would
//! refuse. They work without JavaScript; the one script, `comity.js`, is the project's own
//! and only improves them (local times, the one-time link's secret). Every page:
//!
//! - is in the person's language (`i18n`: Fluent, `Accept-Language`, a switch);
//! - carries a strict Content-Security-Policy (no inline script or style, nothing from
//!   elsewhere) and is never cached or framed;
//! - protects each form against cross-site requests (`csrf`): a token in the form that
//!   must match a `SameSite=Strict`, `HttpOnly` cookie, and a browser's `Sec-Fetch-Site`
//!   that must not say `cross-site`.
//!
//! HTML is written with `maud`, which escapes every value it is given: nothing a party
//! typed can become markup.

mod acts;
mod audit;
pub mod csrf;
mod emergency;
mod evaluations;
mod further_use;
pub mod i18n;
mod layout;
mod notices;
mod operator;
mod packs;
mod pages;
mod production;
mod register;
mod remedies;
mod signin;
mod statistics;
mod submit;
mod transparency;
mod verify;

use axum::{
    Router,
    extract::{FromRequestParts, Request, State as AxumState},
    http::{HeaderValue, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
};

pub use i18n::Lang;

use crate::{AppState, extract::Caller};

/// What every page needs to know of the request it answers.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    /// The person signed in, if any.
    pub caller: Option<Caller>,
    /// The token each form of the page carries (see `csrf`).
    pub csrf: String,
    /// The page's path, for the language switch.
    pub path: String,
    /// A session cookie came that no longer holds: the page says so.
    pub session_ended: bool,
}

/// Marks a request whose session cookie no longer holds, on a page (see `auth`).
#[derive(Debug, Clone, Copy)]
pub struct SessionEnded;

/// What the context middleware decided, for the answer's cookies.
#[derive(Debug, Clone)]
struct Decided {
    lang: Lang,
    chose_lang: bool,
    csrf: String,
    fresh_csrf: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx::of(parts))
    }
}

impl Ctx {
    /// The context of a request, from what the middleware and `auth` put in its extensions.
    pub fn of(parts: &Parts) -> Ctx {
        let decided = parts.extensions.get::<Decided>();
        Ctx {
            lang: decided.map_or_else(|| Lang::negotiate(&parts.headers), |d| d.lang),
            caller: parts.extensions.get::<Caller>().cloned(),
            csrf: decided.map(|d| d.csrf.clone()).unwrap_or_default(),
            path: parts.uri.path().to_owned(),
            session_ended: parts.extensions.get::<SessionEnded>().is_some(),
        }
    }

    pub fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }
}

/// The portal's pages. The API's routes are declared in `crate::routes`; none of these
/// is under `/v1`, and none is in the OpenAPI description, which describes the API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signin/enrol", post(signin::enrol))
        .route("/signout", post(signin::signout))
        .route("/requests/new", get(submit::page).post(submit::submit))
        .route("/requests/open", get(pages::open))
        .route("/requests/{id}", get(pages::request))
        .route("/requests/{id}/move", post(pages::move_request))
        .route("/requests/{id}/amend", get(submit::amend_page).post(submit::amend))
        .route("/requests/{id}/verification-link", post(emergency::issue))
        .route("/requests/{id}/objections", post(acts::object))
        .route("/requests/{id}/extension", post(acts::extend))
        .route("/requests/{id}/grounds", post(acts::grounds))
        .route("/requests/{id}/conflict", post(acts::conflict))
        .route("/requests/{id}/conflict/decision", post(acts::decide))
        .route("/requests/{id}/further-use", post(further_use::ask))
        .route("/requests/{id}/further-use/{ask}/decision", post(further_use::decide))
        .route("/requests/{id}/further-use/uses", post(further_use::record))
        .route("/requests/{id}/remedies", post(remedies::open))
        .route("/requests/{id}/remedies/{case}/persons", post(remedies::tell))
        .route("/requests/{id}/notices/{target}/recipient", post(notices::recipient))
        .route("/requests/{id}/notices/{target}/decision", post(notices::decision))
        .route("/requests/{id}/notices/{target}/delivery", post(notices::delivery))
        .route("/requests/{id}/productions/{production}/acknowledgement", post(production::acknowledge))
        .route("/requests/{id}/productions/{production}/disposal", post(production::attest))
        .route("/audit/sample", get(audit::sample))
        .route("/transparency", get(transparency::page))
        .route("/transparency/releases/{number}", get(transparency::release_page))
        .route("/statistics/e-evidence", get(statistics::page))
        .route("/evaluations", get(evaluations::page))
        .route("/packs", get(packs::index))
        .route("/packs/{id}/versions/{version}", get(packs::version))
        .route("/operator/parties", get(operator::parties))
        .route("/operator/assignments", get(operator::assignments).post(operator::assign))
        .route("/operator/parties/{register}", get(operator::to_parties).post(operator::register_party))
        .route("/operator/party/{id}", get(register::party))
        .route("/operator/party/{id}/update", post(register::update))
        .route("/operator/party/{id}/deactivate", post(register::deactivate))
        .route("/operator/party/{id}/reactivate", post(register::reactivate))
        .route("/operator/party/{id}/suspend", post(register::suspend))
        .route("/operator/party/{id}/lift", post(register::lift))
        .route("/operator/party/{id}/contacts/remove", post(register::remove_contact))
        .route("/operator/authorities/{id}/keys", get(operator::keys).post(operator::add_key))
        .route(
            "/operator/authorities/{id}/keys/{kid}/revoke",
            get(operator::revoke_key_confirm).post(operator::revoke_key),
        )
        .route("/operator/accounts", get(operator::accounts_list).post(operator::create_account))
        .route(
            "/operator/accounts/{username}/disable",
            get(operator::disable_confirm).post(operator::disable),
        )
        .route("/operator/tokens", get(operator::tokens).post(operator::create_token))
        .route(
            "/operator/tokens/{id}/revoke",
            get(operator::revoke_token_confirm).post(operator::revoke_token),
        )
        .route("/verify", get(verify::page).post(verify::answer))
        .route("/verify/answer", post(verify::decide))
        .route("/static/comity.css", get(layout::stylesheet))
        .route("/static/comity.js", get(layout::script))
}

/// The pages that take an upload as it streams in (an export for production): outside the
/// bounded handlers, which read a body whole first.
pub fn streaming_router() -> Router<AppState> {
    Router::new()
        .route("/requests/{id}/productions", post(production::produce))
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// Runs around every request: decides the language and the form token before the handler,
/// and on an HTML answer sets the cookies they need and the page's security headers.
pub async fn context(AxumState(app): AxumState<AppState>, mut request: Request, next: Next) -> Response {
    let secure = app.trust.secure_cookies;
    let headers = request.headers();
    let chosen = request
        .uri()
        .query()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("lang=")))
        .and_then(Lang::parse);
    let lang = chosen.unwrap_or_else(|| Lang::negotiate(headers));
    let existing = csrf::from_cookie(headers, secure);
    let decided = Decided {
        lang,
        chose_lang: chosen.is_some(),
        fresh_csrf: existing.is_none(),
        csrf: existing.unwrap_or_else(csrf::generate),
    };
    let ended = request.extensions().get::<SessionEnded>().is_some();
    request.extensions_mut().insert(decided.clone());
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_page {
        return response;
    }
    let headers = response.headers_mut();
    let mut cookies = Vec::new();
    if decided.fresh_csrf {
        cookies.push(csrf::cookie(&decided.csrf, secure));
    }
    if decided.chose_lang {
        // A preference, not a credential: a year, and readable by the page's script.
        cookies.push(format!(
            "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
            i18n::LANG_COOKIE,
            decided.lang.tag(),
            if secure { "; Secure" } else { "" }
        ));
    }
    if ended {
        cookies.push(crate::session::session_cookie_header(secure, "", 0));
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    response
}

/// A page may load its own stylesheet, script and images, post its forms to comity, and
/// nothing else: no inline script or style, no other origin, never framed (CSP Level 3).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether a path is a page's rather than the API's: where a session that no longer holds
/// sends the person to sign in again instead of answering 401.
pub fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/v1/")
        || path.starts_with("/log/")
        || path.starts_with("/openapi")
        || path == "/metrics"
        || path == "/healthz"
        || path == "/readyz")
}

/// For a GET of a page's address that only takes a form, the page above it, with the same
/// query (the language chosen): `/requests/{id}/move` is `/requests/{id}`'s form, and a
/// production's acknowledgement is on its request's page.
pub fn page_above(method: &axum::http::Method, uri: &axum::http::Uri) -> Option<String> {
    let path = uri.path();
    if method != axum::http::Method::GET || !is_page_path(path) || path.starts_with("/static/") {
        return None;
    }
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let above = match segments.as_slice() {
        ["", "requests", id, "productions", ..] => format!("/requests/{id}"),
        ["", "signout"] => "/".to_owned(),
        [rest @ .., _] if rest.len() > 1 => rest.join("/"),
        _ => "/".to_owned(),
    };
    Some(match uri.query() {
        Some(q) => format!("{above}?{q}"),
        None => above,
    })
}

/// The answer to a path nothing serves: the not-found page for a browser, the API's one
/// error shape for anyone else.
pub async fn not_found(request: Request) -> Response {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        let (parts, _) = request.into_parts();
        pages::not_found_page(&Ctx::of(&parts))
    } else {
        crate::error::ApiError::not_found("no such endpoint; GET /openapi.json lists them all")
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_form_only_address_opened_goes_to_the_page_above_with_its_query() {
        use axum::http::{Method, Uri};
        let above = |path: &str| super::page_above(&Method::GET, &path.parse::<Uri>().unwrap());
        assert_eq!(above("/requests/r1/move?lang=fr").as_deref(), Some("/requests/r1?lang=fr"));
        assert_eq!(above("/requests/r1/productions/p1/acknowledgement").as_deref(), Some("/requests/r1"));
        assert_eq!(above("/signin/enrol?lang=en").as_deref(), Some("/signin?lang=en"));
        assert_eq!(above("/signout").as_deref(), Some("/"));
        assert_eq!(above("/v1/requests/r1/transitions"), None, "the API answers 405");
        assert_eq!(super::page_above(&Method::DELETE, &"/signin".parse::<Uri>().unwrap()), None);
    }

    use comity_core::{
        AuthorityType, ClockKind, ClockOutcome, DataCategory, FactKind, Instrument, ListedOffence, PartyRole,
        ProtectedRole, Purpose, RequestKind, ReviewerKind, Role, SelectorType, State,
    };

    use super::Lang;

    /// Every value a page names through a message has one, in every language: a page never
    /// shows a message id.
    #[test]
    fn every_value_a_page_names_has_its_message() {
        let mut ids: Vec<String> = Vec::new();
        ids.extend(State::ALL.iter().flat_map(|s| [format!("state-{s}"), format!("move-{s}")]));
        ids.extend(ClockKind::ALL.iter().map(|k| format!("clock-{k}")));
        ids.extend(ClockOutcome::ALL.iter().map(|o| format!("outcome-{o}")));
        ids.extend(Role::ALL.iter().map(|r| format!("role-{r}")));
        ids.extend(Role::ALL.iter().flat_map(|r| [format!("home-title-{r}"), format!("home-intro-{r}")]));
        ids.extend(Instrument::ALL.iter().map(|i| format!("instrument-{i}")));
        ids.extend(RequestKind::ALL.iter().map(|k| format!("kind-{k}")));
        ids.extend(DataCategory::ALL.iter().map(|c| format!("category-{c}")));
        ids.extend(FactKind::PRODUCTION.iter().map(|k| format!("custody-{}", k.as_str().replace('.', "-"))));
        ids.extend(
            ["started", "failed", "sealed", "acknowledged", "shredded"]
                .map(|s| format!("production-status-{s}")),
        );
        ids.extend(
            ["admissible", "needs_review", "needs_clarification", "inadmissible"]
                .map(|v| format!("verdict-{v}")),
        );
        ids.extend(["pass", "fail", "review", "clarify", "not_applicable"].map(|o| format!("finding-{o}")));
        ids.extend(Purpose::ALL.iter().map(|v| format!("purpose-{v}")));
        ids.extend(AuthorityType::ALL.iter().map(|v| format!("authority-type-{v}")));
        ids.extend(ListedOffence::ALL.iter().map(|v| format!("listed-{v}")));
        ids.extend(ProtectedRole::ALL.iter().map(|v| format!("protected-{v}")));
        ids.extend(SelectorType::ALL.iter().map(|v| format!("selector-{v}")));
        ids.extend(ReviewerKind::ALL.iter().map(|v| format!("reviewer-kind-{v}")));
        ids.extend(PartyRole::ALL.iter().map(|v| format!("ops-register-{v}")));
        ids.extend(comity_core::RemedyGround::ALL.iter().map(|g| format!("remedy-ground-{g}")));
        ids.extend(["recall_pending", "correction_due", "closed"].map(|s| format!("remedy-status-{s}")));
        ids.extend(
            comity_core::transparency::Outcome::ALL.iter().map(|o| format!("transparency-outcome-{o}")),
        );
        ids.extend(
            comity_core::transparency::AppealOutcome::ALL
                .iter()
                .map(|o| format!("transparency-appeal_outcome-{o}")),
        );
        ids.extend(
            [
                "issuing_country",
                "instrument",
                "kind",
                "data_category",
                "emergency",
                "outcome",
                "appeal_outcome",
            ]
            .map(|b| format!("transparency-breakdown-{b}")),
        );
        ids.extend(
            [PartyRole::Authority, PartyRole::Provider, PartyRole::Reviewer]
                .map(|v| format!("ops-register-new-{v}")),
        );
        ids.extend(comity_core::Privilege::ALL.iter().map(|p| format!("privilege-{p}")));
        ids.extend(["epoc", "epoc_pr"].map(|t| format!("art28-type-{t}")));
        ids.extend(comity_core::evaluation::Component::ALL.iter().flat_map(|c| {
            [format!("evaluations-component-{c}"), format!("evaluations-component-{c}-measure")]
        }));
        ids.extend(
            FactKind::PARTY
                .iter()
                .chain(&FactKind::CONTACT)
                .map(|k| format!("ops-act-{}", k.as_str().replace(['.', '_'], "-"))),
        );
        ids.extend(
            ["name", "authority-type", "kind", "institution", "email", "phone", "public-key"]
                .map(|f| format!("ops-field-{f}")),
        );
        ids.extend(
            ["party_deactivated", "party_suspended", "privilege_suspended"]
                .map(|c| format!("error-{}", c.replace('_', "-"))),
        );
        // The policy packs' pages (issue 16, item 8): each kind of change, and each field of
        // a pack, a rule or a ground that a difference names.
        ids.extend(
            [comity_policy::Change::Added, comity_policy::Change::Removed, comity_policy::Change::Changed]
                .map(|c| format!("pack-change-{}", c.as_str())),
        );
        ids.extend(
            ["id", "version", "title", "applies_to", "house", "hash", "citation", "text", "for"]
                .map(|f| format!("pack-field-{f}")),
        );
        for lang in Lang::ALL {
            let missing: Vec<&String> = ids.iter().filter(|id| !lang.has(id)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", lang.tag());
        }
    }
}
