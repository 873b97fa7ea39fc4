//! The operator's pages (issue 14): the registers of parties and authorities' keys, people's
//! accounts and systems' API tokens, as an operator's admin manages them through the API
//! (`/v1/admin`), through the same leaves of `comity_app` (`manage_registers`,
//! `manage_accounts`) and so the same Cedar decisions.
//!
//! Anyone else gets the page of a path that does not exist: these pages are not
//! advertised to those who may not use them. A secret (a first password, an API token) is
//! shown once, on the page that answers the form that created it, and never again. An act
//! that cannot be undone (revoking a key or a token, disabling an account) first shows a
//! page that says what will happen, and asks why where the log records a reason.

use axum::{
    extract::{Path, State as AxumState},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::Utc;
use comity_app::{NewKey, NewToken, NewUser, Revocation};
use comity_core::{AuthorityType, Party, PartyRole, ReviewerKind, Role, TokenRecord, UserRecord};
use comity_wire::{
    DocumentError,
    api::{AuthorityBody, ProviderBody, ReviewerBodyBody},
    term::Term,
};
use maud::{Markup, html};

use super::{
    Ctx,
    csrf::{FormFields, PageForm},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// A form of these pages as posted.
pub type OpsForm = FormFields;

/// The signed-in person, if the policy lets them manage what `leave` asks for; otherwise
/// the answer: sign in first, or (to anyone else) not found.
fn operator<T>(
    ctx: &Ctx,
    leave: impl FnOnce(&comity_app::Caller) -> comity_app::Result<T>,
) -> Result<T, Box<Response>> {
    let Some(caller) = ctx.caller.as_ref() else {
        return Err(Box::new(pages::sign_in_first(ctx)));
    };
    leave(caller).map_err(|e| {
        Box::new(match e {
            comity_app::Error::Forbidden(_) | comity_app::Error::NotFound(_) => pages::not_found_page(ctx),
            e => pages::error_page(ctx, &e),
        })
    })
}

pub(super) fn registers(app: &AppState, ctx: &Ctx) -> Result<comity_app::Registers, Box<Response>> {
    operator(ctx, |c| app.app.manage_registers(c))
}

fn accounts(app: &AppState, ctx: &Ctx) -> Result<comity_app::Accounts, Box<Response>> {
    operator(ctx, |c| app.app.manage_accounts(c))
}

/// The problems of a refused form, each beside the field of its path (`prefix` + the
/// path's first name) when the form has that field, else beside `default`; with no
/// problem named, one message for the summary.
pub(super) fn field_errors(
    ctx: &Ctx,
    e: &comity_app::Error,
    prefix: &str,
    fields: &[&str],
    default: &str,
) -> (Vec<FieldError>, Option<String>) {
    let problems = match e {
        comity_app::Error::Invalid { problems, .. } => problems.clone(),
        comity_app::Error::Document(d) => d.problems.clone(),
        // A name or id taken: the field that names it.
        comity_app::Error::Conflict { message, .. } => {
            return (
                vec![FieldError { field: format!("{prefix}{default}"), message: message.clone() }],
                None,
            );
        }
        _ => Vec::new(),
    };
    let errors: Vec<FieldError> = problems
        .into_iter()
        .map(|p| {
            let name = p.path.split(['.', '[']).next().unwrap_or("");
            let field = if fields.contains(&name) { name } else { default };
            FieldError { field: format!("{prefix}{field}"), message: p.message }
        })
        .collect();
    let general = errors.is_empty().then(|| pages::error_text(ctx, e));
    (errors, general)
}

fn document_errors(d: &DocumentError, prefix: &str) -> Vec<FieldError> {
    d.problems
        .iter()
        .map(|p| FieldError {
            field: format!("{prefix}{}", p.path.split(['.', '[']).next().unwrap_or("id")),
            message: p.message.clone(),
        })
        .collect()
}

pub(super) fn status(errors: &[FieldError], general: Option<&str>) -> StatusCode {
    if errors.is_empty() && general.is_none() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY }
}

/// A text input with its label, hint and error, `aria-describedby` linking them.
pub(super) fn text_field(
    ctx: &Ctx,
    errors: &[FieldError],
    id: &str,
    name: &str,
    label: &str,
    hint: Option<&str>,
    value: &str,
) -> Markup {
    let invalid = errors.iter().any(|e| e.field == id);
    let described: Vec<String> = [hint.map(|_| format!("{id}-hint")), invalid.then(|| format!("{id}-error"))]
        .into_iter()
        .flatten()
        .collect();
    html! {
        div class="field" {
            label for=(id) { (ctx.t(label)) }
            @if let Some(h) = hint { p class="hint" id={ (id) "-hint" } { (ctx.t(h)) } }
            (layout::field_error(ctx, errors, id))
            input type="text" id=(id) name=(name) value=(value)
                aria-invalid=[invalid.then_some("true")]
                aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
        }
    }
}

/// A select with its label and error; `options` are (value, text).
pub(super) fn select_field(
    ctx: &Ctx,
    errors: &[FieldError],
    id: &str,
    name: &str,
    label: &str,
    options: &[(String, String)],
    chosen: &str,
) -> Markup {
    let invalid = errors.iter().any(|e| e.field == id);
    html! {
        div class="field" {
            label for=(id) { (ctx.t(label)) }
            (layout::field_error(ctx, errors, id))
            select id=(id) name=(name) aria-invalid=[invalid.then_some("true")]
                aria-describedby=[invalid.then(|| format!("{id}-error"))] {
                option value="" { (ctx.t("submit-choose")) }
                @for (value, text) in options {
                    option value=(value) selected[chosen == value] { (text) }
                }
            }
        }
    }
}

pub(super) fn back_to(ctx: &Ctx, href: &str, label: &str) -> Markup {
    html! { p { a href=(href) class="back" { (ctx.t(label)) } } }
}

/// The operator's home: links to each register, and who uses this comity.
pub async fn home(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
) -> Result<Response, comity_app::Error> {
    let accounts = app.app.manage_accounts(caller)?;
    let users = accounts.users().await?;
    let tokens = accounts.tokens().await?;
    let title = ctx.t("home-title-admin");
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t("home-intro-admin")) }
        nav aria-label=(ctx.t("ops-nav")) {
            ul class="bullets" {
                li { a href="/operator/parties" { (ctx.t("ops-parties-title")) } }
                li { a href="/operator/accounts" { (ctx.t("ops-accounts-title")) } }
                li { a href="/operator/tokens" { (ctx.t("ops-tokens-title")) } }
                li { a href="/operator/assignments" { (ctx.t("ops-assign-title")) } }
                li { a href="/evaluations" { (ctx.t("evaluations-title")) } }
            }
        }
        h2 { (ctx.t("admin-accounts")) }
        (users_table(ctx, &users, false))
        h2 { (ctx.t("admin-tokens")) }
        (tokens_table(ctx, &tokens, false))
        p class="hint" { (ctx.t("admin-cli-hint")) }
    };
    Ok(layout::page(ctx, StatusCode::OK, &title, body))
}

fn users_table(ctx: &Ctx, users: &[UserRecord], acts: bool) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { (ctx.t("col-user")) } th scope="col" { (ctx.t("col-org")) }
                th scope="col" { (ctx.t("col-role")) } th scope="col" { (ctx.t("col-status")) }
                @if acts { th scope="col" { span class="visually-hidden" { (ctx.t("ops-col-acts")) } } }
            } }
            tbody {
                @for u in users {
                    tr {
                        td { (u.username) " (" (u.name) ")" }
                        td { (u.org) }
                        td { (ctx.t(&format!("role-{}", u.role))) }
                        td { @if u.disabled_at.is_some() { (ctx.t("status-disabled")) } @else { (ctx.t("status-active")) } }
                        @if acts {
                            td { @if u.disabled_at.is_none() {
                                a href={ "/operator/accounts/" (u.username) "/disable" } {
                                    (ctx.lang.t_with("ops-disable-link", &[("username", u.username.to_string().into())]))
                                }
                            } }
                        }
                    }
                }
            }
        }
    }
}

fn tokens_table(ctx: &Ctx, tokens: &[TokenRecord], acts: bool) -> Markup {
    let now = Utc::now();
    html! {
        table {
            thead { tr {
                th scope="col" { (ctx.t("col-token")) } th scope="col" { (ctx.t("col-org")) }
                th scope="col" { (ctx.t("col-role")) } th scope="col" { (ctx.t("col-expires")) }
                @if acts { th scope="col" { (ctx.t("col-status")) } th scope="col" { span class="visually-hidden" { (ctx.t("ops-col-acts")) } } }
            } }
            tbody {
                @for t in tokens {
                    @let live = t.revoked_at.is_none() && t.expires_at > now;
                    tr {
                        td { (t.id) " · " (t.label) }
                        td { (t.org) }
                        td { (ctx.t(&format!("role-{}", t.role))) }
                        td { (layout::time(t.expires_at)) }
                        @if acts {
                            td { @if t.revoked_at.is_some() { (ctx.t("ops-token-revoked")) }
                                 @else if !live { (ctx.t("ops-token-expired")) }
                                 @else { (ctx.t("status-active")) } }
                            td { @if live {
                                a href={ "/operator/tokens/" (t.id) "/revoke" } {
                                    (ctx.lang.t_with("ops-revoke-token-link", &[("id", t.id.clone().into())]))
                                }
                            } }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parties

/// The registers a party may be registered in from the portal, with the path segment of
/// their form. Auditors and operators are registered at the command line or over the API.
const REGISTERS: [(&str, PartyRole); 3] = [
    ("authorities", PartyRole::Authority),
    ("providers", PartyRole::Provider),
    ("reviewers", PartyRole::Reviewer),
];

const PARTY_FIELDS: [&str; 6] = ["id", "country", "name", "institution", "authority_type", "kind"];

/// `/operator/parties`: every register, and a form to register an authority, a provider
/// or a reviewer body.
pub async fn parties(AxumState(app): AxumState<AppState>, ctx: Ctx) -> Response {
    if let Err(page) = registers(&app, &ctx) {
        return *page;
    }
    parties_page(&app, &ctx, None, &OpsForm::default(), &[], None).await
}

/// The page of the registers, with the form of `posted` register filled and its problems.
async fn parties_page(
    app: &AppState,
    ctx: &Ctx,
    posted: Option<&str>,
    form: &OpsForm,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    let Some(caller) = ctx.caller.as_ref() else { return pages::sign_in_first(ctx) };
    let mut lists = Vec::new();
    for role in [
        PartyRole::Authority,
        PartyRole::Provider,
        PartyRole::Reviewer,
        PartyRole::Auditor,
        PartyRole::Operator,
        PartyRole::Representative,
    ] {
        match app.app.parties(caller, role).await {
            Ok(parties) => lists.push((role, parties)),
            Err(e) => return pages::error_page(ctx, &e),
        }
    }
    let standings = match app.app.standings_of_parties(caller).await {
        Ok(s) => s,
        Err(e) => return pages::error_page(ctx, &e),
    };
    let now = Utc::now();
    let title = ctx.t("ops-parties-title");
    let empty = OpsForm::default();
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        (back_to(ctx, "/", "back-home"))
        h1 { (title) }
        p class="lead" { (ctx.t("ops-parties-intro")) }
        @for (role, parties) in &lists {
            h2 { (ctx.t(&format!("ops-register-{role}"))) }
            @if parties.is_empty() {
                p class="empty" { (ctx.t("home-empty")) }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { (ctx.t("ops-party-id")) }
                        th scope="col" { (ctx.t("ops-party-name")) }
                        th scope="col" { (ctx.t("ops-party-country")) }
                        th scope="col" { (ctx.t("ops-party-detail")) }
                        th scope="col" { (ctx.t("col-status")) }
                    } }
                    tbody {
                        @for p in parties {
                            tr {
                                td { a href={ "/operator/party/" (p.id()) } { (p.id()) } }
                                @match p {
                                    Party::Authority(a) => {
                                        td { (a.name) } td { (a.country) }
                                        td { (ctx.t(&format!("authority-type-{}", a.authority_type))) " · "
                                             a href={ "/operator/authorities/" (a.id) "/keys" } {
                                                 (ctx.lang.t_with("ops-keys-link", &[("authority", a.id.to_string().into())])) } }
                                    }
                                    Party::Provider(x) => { td { (x.name) } td { (x.country) } td {} }
                                    Party::Reviewer(r) => {
                                        td { (r.name) } td { (r.country) }
                                        td { (ctx.t(&format!("reviewer-kind-{}", r.kind))) }
                                    }
                                    Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => {
                                        td { (o.name) } td { (o.country) } td {}
                                    }
                                }
                                td { (standing_text(ctx, standings.get(p.id()), now)) }
                            }
                        }
                    }
                }
            }
        }
        p class="hint" { (ctx.t("admin-cli-hint")) }
        @for (segment, role) in REGISTERS {
            @let (values, errs) = if posted == Some(segment) { (form, errors) } else { (&empty, &[][..]) };
            (party_form(ctx, segment, role, values, errs))
        }
    };
    layout::page(ctx, status(errors, general), &title, body)
}

/// A party's standing in a word: active, deactivated, suspended (as a whole), or active
/// with a privilege suspended.
fn standing_text(ctx: &Ctx, standing: Option<&comity_core::Standing>, now: chrono::DateTime<Utc>) -> String {
    let Some(s) = standing else { return ctx.t("status-active") };
    if s.deactivated(now).is_some() {
        return ctx.t("ops-status-deactivated");
    }
    if s.check(comity_core::Use::NewRequest, now).is_err() {
        return ctx.t("ops-status-suspended");
    }
    match s.in_force(now).find_map(|x| x.privilege) {
        Some(p) => ctx.lang.t_with(
            "ops-status-privilege-suspended",
            &[("privilege", ctx.t(&format!("privilege-{p}")).into())],
        ),
        None => ctx.t("status-active"),
    }
}

fn party_form(ctx: &Ctx, segment: &str, role: PartyRole, form: &OpsForm, errors: &[FieldError]) -> Markup {
    let p = format!("{segment}-");
    let id = |f: &str| format!("{p}{f}");
    html! {
        form method="post" action={ "/operator/parties/" (segment) } class="action" {
            h2 { (ctx.t(&format!("ops-register-new-{role}"))) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, &id("id"), "id", "ops-party-id", Some("ops-party-id-hint"), form.get("id")))
            (text_field(ctx, errors, &id("name"), "name", "ops-party-name", None, form.get("name")))
            (text_field(ctx, errors, &id("country"), "country", "ops-party-country", Some("hint-addressee-country"), form.get("country")))
            @if role == PartyRole::Authority {
                (select_field(ctx, errors, &id("authority_type"), "authority_type", "ops-authority-type",
                    &AuthorityType::ALL.iter().map(|t| (t.as_str().to_owned(), ctx.t(&format!("authority-type-{t}")))).collect::<Vec<_>>(),
                    form.get("authority_type")))
            }
            @if role == PartyRole::Reviewer {
                (select_field(ctx, errors, &id("kind"), "kind", "ops-reviewer-kind",
                    &ReviewerKind::ALL.iter().map(|k| (k.as_str().to_owned(), ctx.t(&format!("reviewer-kind-{k}")))).collect::<Vec<_>>(),
                    form.get("kind")))
            }
            (text_field(ctx, errors, &id("institution"), "institution", "ops-party-institution", Some("ops-party-institution-hint"), form.get("institution")))
            button type="submit" class="button" { (ctx.t(&format!("ops-register-new-{role}"))) }
        }
    }
}

/// A form's address opened (the language switch of a refused form's page links it): the
/// page of the parties, in the language asked for.
pub async fn to_parties(uri: axum::http::Uri) -> Response {
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Redirect::to(&format!("/operator/parties{query}")).into_response()
}

/// Registers a party from its form, through the same use case as `POST /v1/admin/{register}`.
pub async fn register_party(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(segment): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let Some(&(segment, role)) = REGISTERS.iter().find(|(s, _)| *s == segment) else {
        return pages::not_found_page(&ctx);
    };
    let prefix = format!("{segment}-");
    let mut errors = Vec::new();
    // A missing type is the type field's problem; the other fields are checked anyway,
    // so that every problem shows at once.
    let party = match role {
        PartyRole::Authority => {
            let chosen = AuthorityType::parse(form.get("authority_type"));
            if chosen.is_none() {
                errors.push(FieldError {
                    field: format!("{prefix}authority_type"),
                    message: ctx.t("ops-choose-type"),
                });
            }
            AuthorityBody {
                id: form.get("id").to_owned(),
                country: form.get("country").to_owned(),
                authority_type: Term(chosen.unwrap_or(AuthorityType::Other)),
                name: form.get("name").to_owned(),
                institution: form.optional("institution"),
            }
            .to_party()
        }
        PartyRole::Reviewer => {
            let chosen = ReviewerKind::parse(form.get("kind"));
            if chosen.is_none() {
                errors.push(FieldError { field: format!("{prefix}kind"), message: ctx.t("ops-choose-kind") });
            }
            ReviewerBodyBody {
                id: form.get("id").to_owned(),
                country: form.get("country").to_owned(),
                kind: Term(chosen.unwrap_or(ReviewerKind::Other)),
                name: form.get("name").to_owned(),
                institution: form.optional("institution"),
            }
            .to_party()
        }
        _ => ProviderBody {
            id: form.get("id").to_owned(),
            country: form.get("country").to_owned(),
            name: form.get("name").to_owned(),
            institution: form.optional("institution"),
        }
        .to_party(),
    };
    let general = match party {
        Err(d) => {
            errors.extend(document_errors(&d, &prefix));
            None
        }
        Ok(_) if !errors.is_empty() => None,
        Ok(party) => match registers.add_party(&party).await {
            Ok(_) => return Redirect::to("/operator/parties").into_response(),
            Err(e) => {
                let (problems, general) = field_errors(&ctx, &e, &prefix, &PARTY_FIELDS, "id");
                errors = problems;
                general
            }
        },
    };
    parties_page(&app, &ctx, Some(segment), &form, &errors, general.as_deref()).await
}

// ---------------------------------------------------------------------------------------
// Keys

/// `/operator/authorities/{id}/keys`: an authority's signing keys with their state.
pub async fn keys(AxumState(app): AxumState<AppState>, ctx: Ctx, Path(authority): Path<String>) -> Response {
    keys_page(&app, &ctx, &authority, &OpsForm::default(), &[], None).await
}

async fn keys_page(
    app: &AppState,
    ctx: &Ctx,
    authority: &str,
    form: &OpsForm,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    let (app, ctx, authority) = (app, ctx, authority.to_owned());
    if let Err(page) = registers(app, ctx) {
        return *page;
    }
    let Some(caller) = ctx.caller.as_ref() else { return pages::sign_in_first(ctx) };
    let keys = match app.app.authority_keys(caller, &authority).await {
        Ok(keys) => keys,
        Err(comity_app::Error::BadInput(_)) => return pages::not_found_page(ctx),
        Err(e) => return pages::error_page(ctx, &e),
    };
    let now = Utc::now();
    let title = ctx.lang.t_with("ops-keys-title", &[("authority", authority.clone().into())]);
    let body = html! {
        (back_to(ctx, "/operator/parties", "ops-back-parties"))
        h1 { (title) }
        p class="lead" { (ctx.t("ops-keys-intro")) }
        @if keys.is_empty() {
            p class="empty" { (ctx.t("ops-keys-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("ops-key-id")) }
                    th scope="col" { (ctx.t("ops-key-added")) }
                    th scope="col" { (ctx.t("col-status")) }
                    th scope="col" { span class="visually-hidden" { (ctx.t("ops-col-acts")) } }
                } }
                tbody {
                    @for k in &keys {
                        @let key = &k.key;
                        tr {
                            td { code class="wrap-anywhere" { (key.kid) } }
                            td { (layout::time(key.added_at)) }
                            td {
                                @if let Some((at, reason)) = &key.revoked {
                                    (ctx.t("ops-key-revoked")) " " (layout::time(*at)) ": " (reason)
                                } @else if let Some(at) = key.retired_at {
                                    @if at <= now { (ctx.t("ops-key-retired")) } @else { (ctx.t("ops-key-retiring")) }
                                    " " (layout::time(at))
                                } @else {
                                    (ctx.t("status-active"))
                                }
                            }
                            td {
                                @if key.revoked.is_none() {
                                    a href={ "/operator/authorities/" (authority) "/keys/" (key.kid) "/revoke" } {
                                        (ctx.lang.t_with("ops-revoke-key-link", &[("kid", key.kid.to_string().into())]))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        form method="post" action={ "/operator/authorities/" (authority) "/keys" } class="action" novalidate {
            h2 { (ctx.t("ops-key-add-title")) }
            p class="hint" { (ctx.t("ops-key-add-hint")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="field" {
                label for="key-public_key" { (ctx.t("ops-key-public")) }
                p class="hint" id="key-public_key-hint" { (ctx.t("ops-key-public-hint")) }
                (layout::field_error(ctx, errors, "key-public_key"))
                textarea id="key-public_key" name="public_key" rows="4" aria-describedby="key-public_key-hint" { (form.get("public_key")) }
            }
            div class="field" {
                label for="key-replaces" { (ctx.t("ops-key-replaces")) }
                (layout::field_error(ctx, errors, "key-replaces"))
                select id="key-replaces" name="replaces" {
                    option value="" { (ctx.t("ops-key-replaces-none")) }
                    @for k in keys.iter().filter(|k| k.key.revoked.is_none() && k.key.retired_at.is_none()) {
                        option value=(k.key.kid) selected[form.get("replaces") == k.key.kid.as_str()] { (k.key.kid) }
                    }
                }
            }
            (text_field(ctx, errors, "key-overlap_hours", "overlap_hours", "ops-key-overlap", Some("ops-key-overlap-hint"), form.get("overlap_hours")))
            button type="submit" class="button" { (ctx.t("ops-key-add")) }
        }
        p class="hint" { (ctx.t("ops-keys-cli-hint")) }
    };
    let body = html! { (layout::error_summary(ctx, errors, general)) (body) };
    layout::page(ctx, status(errors, general), &title, body)
}

/// `POST /operator/authorities/{id}/keys`: registers a key for the authority, or rotates
/// one (the old key stays usable for the overlap), as `POST /v1/admin/authorities/{id}/keys`.
pub async fn add_key(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(authority): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let overlap = form.get("overlap_hours");
    let overlap_hours = if overlap.is_empty() {
        None
    } else {
        match overlap.parse::<u32>() {
            Ok(h) => Some(h),
            Err(_) => {
                let errors = [FieldError {
                    field: "key-overlap_hours".into(),
                    message: ctx.t("ops-key-overlap-wrong"),
                }];
                return keys_page(&app, &ctx, &authority, &form, &errors, None).await;
            }
        }
    };
    let new = NewKey {
        public_key: form.get("public_key").to_owned(),
        kid: None,
        replaces: Some(form.get("replaces").to_owned()).filter(|r| !r.is_empty()),
        overlap_hours,
    };
    match registers.add_key(&authority, &new).await {
        Ok(_) => Redirect::to(&format!("/operator/authorities/{authority}/keys")).into_response(),
        Err(comity_app::Error::BadInput(_)) => pages::not_found_page(&ctx),
        Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => {
            pages::error_page(&ctx, &e)
        }
        Err(e) => {
            let (errors, general) =
                field_errors(&ctx, &e, "key-", &["public_key", "replaces", "overlap_hours"], "public_key");
            keys_page(&app, &ctx, &authority, &form, &errors, general.as_deref()).await
        }
    }
}

/// `/operator/authorities/{id}/keys/{kid}/revoke`: what revoking will do, and why.
pub async fn revoke_key_confirm(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((authority, kid)): Path<(String, String)>,
) -> Response {
    if let Err(page) = registers(&app, &ctx) {
        return *page;
    }
    revoke_key_page(&app, &ctx, &authority, &kid, "", &[]).await
}

async fn revoke_key_page(
    app: &AppState,
    ctx: &Ctx,
    authority: &str,
    kid: &str,
    reason: &str,
    errors: &[FieldError],
) -> Response {
    let Some(caller) = ctx.caller.as_ref() else { return pages::sign_in_first(ctx) };
    let known = match app.app.authority_keys(caller, authority).await {
        Ok(keys) => keys.iter().any(|k| k.key.kid.as_str() == kid && k.key.revoked.is_none()),
        Err(comity_app::Error::BadInput(_) | comity_app::Error::NotFound(_)) => false,
        Err(e) => return pages::error_page(ctx, &e),
    };
    if !known {
        return pages::not_found_page(ctx);
    }
    let title = ctx.t("ops-revoke-key-title");
    let args = [("kid", kid.to_owned().into()), ("authority", authority.to_owned().into())];
    let body = html! {
        (layout::error_summary(ctx, errors, None))
        (back_to(ctx, &format!("/operator/authorities/{authority}/keys"), "ops-back-keys"))
        h1 { (title) }
        p class="lead" { (ctx.lang.t_with("ops-revoke-key-what", &args)) }
        form method="post" action={ "/operator/authorities/" (authority) "/keys/" (kid) "/revoke" } class="action" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, "reason", "reason", "ops-why", Some("ops-revoke-key-why-hint"), reason))
            div class="button-group" {
                button type="submit" class="button button-warning" { (ctx.t("ops-revoke-key-confirm")) }
                a href={ "/operator/authorities/" (authority) "/keys" } { (ctx.t("ops-cancel")) }
            }
        }
    };
    layout::page(ctx, status(errors, None), &title, body)
}

/// Revokes a key from now, through the same use case as
/// `POST /v1/admin/authorities/{id}/keys/{kid}/revoke`.
pub async fn revoke_key(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((authority, kid)): Path<(String, String)>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let reason = form.get("reason");
    let errors = if reason.is_empty() {
        vec![FieldError { field: "reason".into(), message: ctx.t("ops-why-missing") }]
    } else {
        let revocation = Revocation { reason: reason.to_owned(), effective_at: None };
        match registers.revoke_key(&authority, &kid, &revocation).await {
            Ok(_) => return Redirect::to(&format!("/operator/authorities/{authority}/keys")).into_response(),
            Err(comity_app::Error::BadInput(_)) => return pages::not_found_page(&ctx),
            Err(e @ comity_app::Error::NotFound(_)) => return pages::error_page(&ctx, &e),
            Err(e) => {
                let (errors, general) = field_errors(&ctx, &e, "", &["reason"], "reason");
                if let Some(general) = general {
                    vec![FieldError { field: "reason".into(), message: general }]
                } else {
                    errors
                }
            }
        }
    };
    revoke_key_page(&app, &ctx, &authority, &kid, reason, &errors).await
}

// ---------------------------------------------------------------------------------------
// Accounts

const USER_FIELDS: [&str; 4] = ["username", "name", "org", "role"];

/// `/operator/accounts`: every account, and a form to create one.
pub async fn accounts_list(AxumState(app): AxumState<AppState>, ctx: Ctx) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    accounts_page(&app, &ctx, &accounts, &OpsForm::default(), &[], None).await
}

fn role_options(ctx: &Ctx) -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_owned(), ctx.t(&format!("role-{r}")))).collect()
}

async fn accounts_page(
    app: &AppState,
    ctx: &Ctx,
    accounts: &comity_app::Accounts,
    form: &OpsForm,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    let users = match accounts.users().await {
        Ok(u) => u,
        Err(e) => return pages::error_page(ctx, &e),
    };
    let orgs = match organisations(app, ctx).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let title = ctx.t("ops-accounts-title");
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        (back_to(ctx, "/", "back-home"))
        h1 { (title) }
        p class="lead" { (ctx.t("ops-accounts-intro")) }
        (users_table(ctx, &users, true))
        form method="post" action="/operator/accounts" class="action" {
            h2 { (ctx.t("ops-create-user")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, "username", "username", "ops-username", Some("ops-username-hint"), form.get("username")))
            (text_field(ctx, errors, "name", "name", "ops-person-name", None, form.get("name")))
            (select_field(ctx, errors, "org", "org", "col-org", &orgs, form.get("org")))
            (select_field(ctx, errors, "role", "role", "col-role", &role_options(ctx), form.get("role")))
            p class="hint" { (ctx.t("ops-role-hint")) }
            button type="submit" class="button" { (ctx.t("ops-create-user")) }
        }
    };
    layout::page(ctx, status(errors, general), &title, body)
}

/// Every registered organisation, as (id, "name (id)") for a select.
async fn organisations(app: &AppState, ctx: &Ctx) -> Result<Vec<(String, String)>, Response> {
    let Some(caller) = ctx.caller.as_ref() else { return Err(pages::sign_in_first(ctx)) };
    let mut orgs = Vec::new();
    for role in [
        PartyRole::Authority,
        PartyRole::Provider,
        PartyRole::Reviewer,
        PartyRole::Auditor,
        PartyRole::Operator,
        PartyRole::Representative,
    ] {
        let parties = app.app.parties(caller, role).await.map_err(|e| pages::error_page(ctx, &e))?;
        orgs.extend(parties.iter().map(|p| {
            let name = p.name();
            (p.id().to_string(), format!("{name} ({})", p.id()))
        }));
    }
    Ok(orgs)
}

/// Creates an account through the same use case as `POST /v1/admin/users`, and shows its
/// first password this once.
pub async fn create_account(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    for (field, message) in [("org", "ops-choose-org"), ("role", "ops-choose-role")] {
        if form.get(field).is_empty() {
            errors.push(FieldError { field: field.into(), message: ctx.t(message) });
        }
    }
    let mut general = None;
    if errors.is_empty() {
        let new = NewUser {
            username: form.get("username").to_owned(),
            org: form.get("org").to_owned(),
            role: form.get("role").to_owned(),
            name: form.get("name").to_owned(),
            password: None,
        };
        match accounts.create_user(&new).await {
            Ok(created) => {
                let title = ctx.t("ops-user-created-title");
                let username = created.user.username.to_string();
                let body = html! {
                    h1 { (title) }
                    p class="lead" { (ctx.lang.t_with("ops-user-created-lead", &[("username", username.clone().into())])) }
                    dl class="summary" {
                        dt { (ctx.t("ops-username")) } dd { code { (username) } }
                        dt { (ctx.t("ops-first-password")) } dd { code class="secret" { (created.password) } }
                    }
                    h2 { (ctx.t("ops-enrolment-title")) }
                    p { (ctx.t("ops-enrolment-note")) }
                    p class="hint" { (ctx.t("ops-shown-once")) }
                    p { a href="/operator/accounts" { (ctx.t("ops-back-accounts")) } }
                };
                return layout::page(&ctx, StatusCode::CREATED, &title, body);
            }
            Err(e) => {
                let (problems, g) = field_errors(&ctx, &e, "", &USER_FIELDS, "username");
                errors = problems;
                general = g;
            }
        }
    }
    accounts_page(&app, &ctx, &accounts, &form, &errors, general.as_deref()).await
}

/// `/operator/accounts/{username}/disable`: what disabling will do, and why.
pub async fn disable_confirm(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    disable_page(&ctx, &accounts, &username, "", &[]).await
}

async fn disable_page(
    ctx: &Ctx,
    accounts: &comity_app::Accounts,
    username: &str,
    reason: &str,
    errors: &[FieldError],
) -> Response {
    let user = match accounts.users().await {
        Ok(users) => users.into_iter().find(|u| u.username.as_str() == username && u.disabled_at.is_none()),
        Err(e) => return pages::error_page(ctx, &e),
    };
    let Some(user) = user else { return pages::not_found_page(ctx) };
    let title = ctx.t("ops-disable-title");
    let args = [
        ("username", username.to_owned().into()),
        ("name", user.name.clone().into()),
        ("org", user.org.to_string().into()),
    ];
    let body = html! {
        (layout::error_summary(ctx, errors, None))
        (back_to(ctx, "/operator/accounts", "ops-back-accounts"))
        h1 { (title) }
        p class="lead" { (ctx.lang.t_with("ops-disable-what", &args)) }
        form method="post" action={ "/operator/accounts/" (username) "/disable" } class="action" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, "reason", "reason", "ops-why", Some("ops-disable-why-hint"), reason))
            div class="button-group" {
                button type="submit" class="button button-warning" { (ctx.t("ops-disable-confirm")) }
                a href="/operator/accounts" { (ctx.t("ops-cancel")) }
            }
        }
    };
    layout::page(ctx, status(errors, None), &title, body)
}

/// Disables an account through the same use case as `POST /v1/admin/users/{username}/disable`.
pub async fn disable(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let reason = form.get("reason");
    let errors = if reason.is_empty() {
        vec![FieldError { field: "reason".into(), message: ctx.t("ops-why-missing") }]
    } else {
        match accounts.disable_user(&username, reason).await {
            Ok(_) => return Redirect::to("/operator/accounts").into_response(),
            Err(e @ comity_app::Error::NotFound(_)) => return pages::error_page(&ctx, &e),
            Err(e) => {
                let (errors, general) = field_errors(&ctx, &e, "", &["reason"], "reason");
                match general {
                    Some(general) => vec![FieldError { field: "reason".into(), message: general }],
                    None => errors,
                }
            }
        }
    };
    disable_page(&ctx, &accounts, &username, reason, &errors).await
}

// ---------------------------------------------------------------------------------------
// Tokens

const TOKEN_FIELDS: [&str; 4] = ["org", "role", "label", "expires_in"];

/// `/operator/tokens`: every API token, and a form to create one.
pub async fn tokens(AxumState(app): AxumState<AppState>, ctx: Ctx) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    tokens_page(&app, &ctx, &accounts, &OpsForm::default(), &[], None).await
}

async fn tokens_page(
    app: &AppState,
    ctx: &Ctx,
    accounts: &comity_app::Accounts,
    form: &OpsForm,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    let tokens = match accounts.tokens().await {
        Ok(t) => t,
        Err(e) => return pages::error_page(ctx, &e),
    };
    let orgs = match organisations(app, ctx).await {
        Ok(o) => o,
        Err(page) => return page,
    };
    let title = ctx.t("ops-tokens-title");
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        (back_to(ctx, "/", "back-home"))
        h1 { (title) }
        p class="lead" { (ctx.t("ops-tokens-intro")) }
        (tokens_table(ctx, &tokens, true))
        form method="post" action="/operator/tokens" class="action" {
            h2 { (ctx.t("ops-create-token")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            (select_field(ctx, errors, "org", "org", "col-org", &orgs, form.get("org")))
            (select_field(ctx, errors, "role", "role", "col-role", &role_options(ctx), form.get("role")))
            (text_field(ctx, errors, "label", "label", "ops-token-label", Some("ops-token-label-hint"), form.get("label")))
            (text_field(ctx, errors, "expires_in", "expires_in", "ops-token-expires-in", Some("ops-token-expires-in-hint"), form.get("expires_in")))
            button type="submit" class="button" { (ctx.t("ops-create-token")) }
        }
    };
    layout::page(ctx, status(errors, general), &title, body)
}

/// Creates an API token through the same use case as `POST /v1/admin/tokens`, and shows
/// its secret this once.
pub async fn create_token(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    for (field, message) in [("org", "ops-choose-org"), ("role", "ops-choose-role")] {
        if form.get(field).is_empty() {
            errors.push(FieldError { field: field.into(), message: ctx.t(message) });
        }
    }
    let mut general = None;
    if errors.is_empty() {
        let new = NewToken {
            org: form.get("org").to_owned(),
            role: form.get("role").to_owned(),
            label: form.optional("label"),
            expires_in: form.optional("expires_in"),
        };
        match accounts.create_token(&new).await {
            Ok(created) => {
                let title = ctx.t("ops-token-created-title");
                let body = html! {
                    h1 { (title) }
                    p class="lead" { (ctx.lang.t_with("ops-token-created-lead", &[("id", created.record.id.clone().into())])) }
                    dl class="summary" {
                        dt { (ctx.t("col-token")) } dd { code class="secret wrap-anywhere" { (created.token) } }
                        dt { (ctx.t("col-expires")) } dd { (layout::time(created.record.expires_at)) }
                    }
                    p class="hint" { (ctx.t("ops-shown-once")) }
                    p { a href="/operator/tokens" { (ctx.t("ops-back-tokens")) } }
                };
                return layout::page(&ctx, StatusCode::CREATED, &title, body);
            }
            Err(e) => {
                let (problems, g) = field_errors(&ctx, &e, "", &TOKEN_FIELDS, "org");
                errors = problems;
                general = g;
            }
        }
    }
    tokens_page(&app, &ctx, &accounts, &form, &errors, general.as_deref()).await
}

/// `/operator/tokens/{id}/revoke`: what revoking will do.
pub async fn revoke_token_confirm(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    revoke_token_page(&ctx, &accounts, &id, None).await
}

async fn revoke_token_page(
    ctx: &Ctx,
    accounts: &comity_app::Accounts,
    id: &str,
    general: Option<&str>,
) -> Response {
    let now = Utc::now();
    let token = match accounts.tokens().await {
        Ok(tokens) => tokens.into_iter().find(|t| t.id == id && t.revoked_at.is_none() && t.expires_at > now),
        Err(e) => return pages::error_page(ctx, &e),
    };
    let Some(token) = token else { return pages::not_found_page(ctx) };
    let title = ctx.t("ops-revoke-token-title");
    let args = [
        ("id", id.to_owned().into()),
        ("label", token.label.clone().into()),
        ("org", token.org.to_string().into()),
    ];
    let body = html! {
        (layout::error_summary(ctx, &[], general))
        (back_to(ctx, "/operator/tokens", "ops-back-tokens"))
        h1 { (title) }
        p class="lead" { (ctx.lang.t_with("ops-revoke-token-what", &args)) }
        form method="post" action={ "/operator/tokens/" (id) "/revoke" } class="action" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="button-group" {
                button type="submit" class="button button-warning" { (ctx.t("ops-revoke-token-confirm")) }
                a href="/operator/tokens" { (ctx.t("ops-cancel")) }
            }
        }
    };
    let status = if general.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    layout::page(ctx, status, &title, body)
}

/// Revokes a token through the same use case as `POST /v1/admin/tokens/{id}/revoke`.
pub async fn revoke_token(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(_form): PageForm<OpsForm>,
) -> Response {
    let accounts = match accounts(&app, &ctx) {
        Ok(a) => a,
        Err(page) => return *page,
    };
    match accounts.revoke_token(&id).await {
        Ok(_) => Redirect::to("/operator/tokens").into_response(),
        Err(e @ comity_app::Error::NotFound(_)) => pages::error_page(&ctx, &e),
        // The organisation's last admin credential: the page says how to go on.
        Err(e) => revoke_token_page(&ctx, &accounts, &id, Some(&pages::error_text(&ctx, &e))).await,
    }
}

/// `/operator/assignments`: the providers' objections to reviewer bodies awaiting an
/// operator, each with the form that assigns another body in its place, and a form to
/// assign a body where routing by law found none in the register (issue 13, item 2).
pub async fn assignments(AxumState(app): AxumState<AppState>, ctx: Ctx) -> Response {
    assignments_page(&app, &ctx, &OpsForm::default(), &[], None).await
}

async fn assignments_page(
    app: &AppState,
    ctx: &Ctx,
    form: &OpsForm,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    if let Err(page) = registers(app, ctx) {
        return *page;
    }
    let Some(caller) = ctx.caller.as_ref() else { return pages::sign_in_first(ctx) };
    let (open, bodies) =
        match (app.app.open_objections(caller).await, app.app.parties(caller, PartyRole::Reviewer).await) {
            (Ok(open), Ok(bodies)) => (open, bodies),
            (Err(e), _) | (_, Err(e)) => return pages::error_page(ctx, &e),
        };
    let title = ctx.t("ops-assign-title");
    let body_select = |id: &str, chosen: &str| {
        html! {
            select id=(id) name="reviewer" {
                option value="" { (ctx.t("submit-choose")) }
                @for b in &bodies {
                    option value=(b.id()) selected[chosen == b.id().as_str()] { (b.name()) " (" (b.id()) ")" }
                }
            }
        }
    };
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        (back_to(ctx, "/", "back-home"))
        h1 { (title) }
        p class="lead" { (ctx.t("ops-assign-intro")) }
        h2 { (ctx.t("ops-objections")) }
        @if open.is_empty() {
            p class="empty" { (ctx.t("ops-objections-none")) }
        }
        @for (i, o) in open.iter().enumerate() {
            form method="post" action="/operator/assignments" class="action" {
                h3 { (ctx.lang.t_with("ops-objection", &[("reviewer", o.reviewer.to_string().into()), ("request", o.request.to_string().into())])) }
                p { (o.grounds) }
                p class="hint" { (o.by) " · " (layout::time(o.at)) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="request" value=(o.request);
                input type="hidden" name="replaces" value=(o.reviewer);
                div class="field" {
                    label for={ "assign-reviewer-" (i) } { (ctx.t("ops-assign-body")) }
                    (body_select(&format!("assign-reviewer-{i}"), ""))
                }
                div class="field" {
                    label for={ "assign-reason-" (i) } { (ctx.t("ops-assign-reason")) }
                    textarea id={ "assign-reason-" (i) } name="reason" rows="2" {}
                }
                button type="submit" class="button" { (ctx.t("ops-assign-replace")) }
            }
        }
        h2 { (ctx.t("ops-assign-any")) }
        form method="post" action="/operator/assignments" class="action" novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, "assign-request", "request", "ops-assign-request", None, form.get("request")))
            div class="field" {
                label for="assign-reviewer" { (ctx.t("ops-assign-body")) }
                (layout::field_error(ctx, errors, "assign-reviewer"))
                (body_select("assign-reviewer", form.get("reviewer")))
            }
            (text_field(ctx, errors, "assign-reason", "reason", "ops-assign-reason", None, form.get("reason")))
            button type="submit" class="button" { (ctx.t("ops-assign-send")) }
        }
    };
    layout::page(ctx, status(errors, general), &title, body)
}

/// `POST /operator/assignments`: a body assigned, in place of one objected to or where none
/// was found, through the same use case as `POST /v1/requests/{id}/reviewers`.
pub async fn assign(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    if let Err(page) = registers(&app, &ctx) {
        return *page;
    }
    let Some(caller) = ctx.caller.clone() else { return pages::sign_in_first(&ctx) };
    let Ok(id) = comity_core::RequestId::parse(form.get("request").trim()) else {
        let errors =
            [FieldError { field: "assign-request".into(), message: ctx.t("ops-assign-request-wrong") }];
        return assignments_page(&app, &ctx, &form, &errors, None).await;
    };
    let replaces = Some(form.get("replaces")).filter(|r| !r.is_empty());
    match app.app.assign_reviewer(&caller, id, form.get("reviewer"), form.get("reason"), replaces).await {
        Ok(_) => Redirect::to("/operator/assignments").into_response(),
        Err(e @ comity_app::Error::Internal(_)) => pages::error_page(&ctx, &e),
        Err(e) => {
            let (errors, general) =
                field_errors(&ctx, &e, "assign-", &["reviewer", "reason", "request"], "reviewer");
            let general = general.or_else(|| {
                (!errors.is_empty())
                    .then(|| errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "))
            });
            pages::answering(assignments_page(&app, &ctx, &form, &errors, general.as_deref()).await, &e)
        }
    }
}
