//! The pages of the signed-in portal (issue 14, item 3): each role's home, soonest deadline
//! first; a request with its screening, deadlines, track record and history; the moves
//! the policy lets the person make; and the pages of what went wrong.

use axum::{
    extract::{Path, Query, State as AxumState},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use comity_app::{DecisionOptions, Listing, QuestionAsked, RequestView, ScopeAsked, Transition};
use comity_core::{Clock, DataCategory, Event, RequestId, Role, State, journal::ClarificationReason};
use comity_wire::screening::{FindingBody, ScreeningReport};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    csrf::{PageForm, Protected},
    layout::{self, FieldError},
};
use crate::AppState;

/// `/`: the signed-in person's home, or what comity is for anyone else.
pub async fn home(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    query: Query<PageQuery>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return public_home(&app, &ctx, &headers).await;
    };
    let result = match caller.principal.role {
        Role::Requester | Role::Handler | Role::Reviewer => {
            inbox(&app, &ctx, &caller, query.after.as_deref()).await
        }
        Role::Auditor => super::audit::home(&app, &ctx, &headers).await,
        Role::Admin => super::operator::home(&app, &ctx, &caller).await,
        // A representative lists no requests: whoever registered it gave it the id.
        Role::Representative => Ok(representative_home(&ctx)),
    };
    result.unwrap_or_else(|e| error_page(&ctx, &e))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    /// Where the inbox's page starts: the cursor of the page before's "next" link.
    after: Option<String>,
}

/// The requests a person works on, soonest deadline first.
async fn inbox(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    after: Option<&str>,
) -> Result<Response, comity_app::Error> {
    let listing = Listing { per_page: Some(50), ..Listing::default() };
    let inbox = app.app.inbox(caller, listing, after).await?;
    let role = caller.principal.role;
    let now = Utc::now();
    let title = ctx.t(&format!("home-title-{role}"));
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t(&format!("home-intro-{role}"))) }
        @if role == Role::Requester {
            p { a class="button" href="/requests/new" { (ctx.t("submit-open")) } }
        }
        @if inbox.items.is_empty() {
            p class="empty" { (ctx.t("home-empty")) }
        } @else {
            table class="requests" {
                caption { (ctx.lang.t_with("home-caption", &[("count", inbox.total.into())])) }
                thead {
                    tr {
                        th scope="col" { (ctx.t("col-reference")) }
                        th scope="col" { (ctx.t("col-state")) }
                        th scope="col" { (ctx.t("col-next-deadline")) }
                        th scope="col" { (ctx.t("col-parties")) }
                        th scope="col" { (ctx.t("col-received")) }
                    }
                }
                tbody {
                    @for item in &inbox.items {
                        @let r = &item.request;
                        tr {
                            td { a href={ "/requests/" (r.id) } { (r.reference) }
                                @if r.emergency { " " strong class="tag tag-urgent" { (ctx.t("emergency")) } } }
                            td { (state_tag(ctx, r.state)) }
                            td {
                                @match &item.next {
                                    Some(clock) => {
                                        (ctx.t(&format!("clock-{}", clock.kind))) br;
                                        (layout::time(clock.due))
                                        @if clock.due <= now { " " strong class="tag tag-overdue" { (ctx.t("overdue")) } }
                                    }
                                    None => { span class="muted" { (ctx.t("no-deadline")) } }
                                }
                            }
                            td { (r.authority) " → " (r.provider) }
                            td { (layout::time(r.received_at)) }
                        }
                    }
                }
            }
            @if after.is_some() || inbox.next.is_some() {
                nav class="pagination" aria-label=(ctx.t("nav-pages")) {
                    @if after.is_some() { a href="/" rel="first" { (ctx.t("page-first")) } }
                    @if let Some(next) = &inbox.next { a href={ "/?after=" (next) } rel="next" { (ctx.t("page-next")) } }
                }
            }
        }
    };
    Ok(layout::page(ctx, StatusCode::OK, &title, body))
}

/// This server's address for the links a page hands out: `--public-url` where it is set
/// (a link given to someone else must not depend on the `Host` a browser sent), else as
/// the browser reached it: the `Host` it sent, over HTTPS when a trusted proxy says the
/// browser came that way (`--behind-proxy`).
pub(super) fn base_url(app: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &app.app.settings().public_url {
        return url.clone();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1:8080");
    let scheme = if crate::headers::over_https(app.trust.behind_proxy, headers) { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The log as anyone may check it: its size, its latest checkpoint with the witnesses'
/// cosignatures, and the commands that verify it.
pub(super) async fn log_section(
    app: &AppState,
    ctx: &Ctx,
    headers: &HeaderMap,
) -> Result<Markup, comity_app::Error> {
    let size = app.app.store().log_size().await?;
    let checkpoint = app.app.served_checkpoint().await?.map(|n| String::from_utf8_lossy(&n).into_owned());
    let base = base_url(app, headers);
    let vkey = app.log.as_ref().map(|l| l.verifier_key.clone());
    let cosigned = checkpoint
        .as_deref()
        .map_or(0, |c| c.lines().filter(|l| l.starts_with("— ")).count().saturating_sub(1));
    Ok(html! {
        h2 { (ctx.t("log-title")) }
        dl class="summary" {
            dt { (ctx.t("log-size")) } dd { (size) }
            dt { (ctx.t("log-cosignatures")) } dd { (cosigned) }
            @if let Some(vkey) = &vkey { dt { (ctx.t("log-key")) } dd { code class="wrap-anywhere" { (vkey) } } }
        }
        @match &checkpoint {
            Some(c) => {
                h3 { (ctx.t("log-checkpoint")) }
                pre class="checkpoint" { (c) }
            }
            None => { p { (ctx.t("log-no-checkpoint")) } }
        }
        h3 { (ctx.t("log-verify-title")) }
        p { (ctx.t("log-verify-intro")) }
        pre class="command" { "comity log verify --url " (base) "/log --vkey '" (vkey.as_deref().unwrap_or("KEY")) "'" }
        p { (ctx.t("log-verify-sample")) }
        pre class="command" {
            "curl -s " (base) "/log/checkpoint > checkpoint.txt\n"
            "comity audit sample --checkpoint checkpoint.txt --url " (base) "/log --vkey '" (vkey.as_deref().unwrap_or("KEY")) "' --n 5"
        }
    })
}

async fn public_home(app: &AppState, ctx: &Ctx, headers: &HeaderMap) -> Response {
    let log = match log_section(app, ctx, headers).await {
        Ok(log) => log,
        Err(e) => return error_page(ctx, &e),
    };
    let body = html! {
        h1 { (ctx.t("public-title")) }
        p class="lead" { (ctx.t("public-lead")) }
        ul class="bullets" {
            li { (ctx.t("public-point-lawful")) }
            li { (ctx.t("public-point-review")) }
            li { (ctx.t("public-point-minimum")) }
            li { (ctx.t("public-point-log")) }
        }
        p { a class="button" href="/signin" { (ctx.t("public-sign-in")) } }
        h2 { (ctx.t("public-packs-title")) }
        p { (ctx.t("public-packs")) " " a href="/packs" { (ctx.t("public-packs-link")) } }
        (log)
    };
    layout::page(ctx, StatusCode::OK, &ctx.t("public-title"), body)
}

/// `/requests/{id}`: a request as its reader may see it; the read is logged first, as
/// through the API. One the person may not see is the same page as one that does not exist.
pub async fn request(AxumState(app): AxumState<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return not_found_page(&ctx);
    };
    if caller.principal.role == Role::Representative {
        return representative_page(&app, &ctx, &caller, id, &[]).await;
    }
    request_page_with(&app, &ctx, &caller, id, &[], None).await
}

/// A representative's home: it lists no requests (whoever registered it gave it the id),
/// so it opens one by its id.
fn representative_home(ctx: &Ctx) -> Response {
    let title = ctx.t("home-title-representative");
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t("home-intro-representative")) }
        form method="get" action="/requests/open" {
            div class="field" {
                label for="open-id" { (ctx.t("representative-open-id")) }
                input type="text" id="open-id" name="id" spellcheck="false" autocomplete="off";
            }
            button type="submit" class="button" { (ctx.t("representative-open")) }
        }
    };
    layout::page(ctx, StatusCode::OK, &title, body)
}

#[derive(Debug, Deserialize)]
pub struct OpenQuery {
    #[serde(default)]
    id: String,
}

/// `GET /requests/open?id=`: the request of that id (or the not-found page).
pub async fn open(ctx: Ctx, Query(query): Query<OpenQuery>) -> Response {
    match RequestId::parse(query.id.trim()) {
        Ok(id) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(_) => not_found_page(&ctx),
    }
}

/// What a representative sees of a request it is registered for: the decisions with their
/// grounds and reasoning, and the appeals; never the document. It appeals from here.
async fn representative_page(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    id: RequestId,
    errors: &[FieldError],
) -> Response {
    let seen = match app.app.decision_view(caller, id).await {
        Ok(seen) => seen,
        Err(e) => return error_page(ctx, &e),
    };
    let r = &seen.request;
    let appealable = matches!(r.state, State::Approved | State::PartiallyApproved | State::Rejected);
    let title = ctx.lang.t_with("request-title", &[("reference", r.reference.clone().into())]);
    let body = html! {
        (layout::error_summary(ctx, errors, None))
        p { a href="/" class="back" { (ctx.t("back-home")) } }
        h1 { (title) " " (state_tag(ctx, r.state)) }
        p { (ctx.t("representative-intro")) }
        h2 { (ctx.t("representative-decisions")) }
        @if seen.decisions.is_empty() { p { (ctx.t("representative-no-decision")) } }
        @for d in &seen.decisions {
            section class="finding" {
                p { (state_tag(ctx, d.outcome)) " · " (d.by) " · " (layout::time(d.at)) }
                @if !d.grounds.is_empty() { p { (ctx.t("decision-grounds")) ": " (d.grounds.join(", ")) } }
                p { (d.reasoning) }
            }
        }
        @if !seen.appeals.is_empty() {
            h2 { (ctx.t("representative-appeals")) }
            @for a in &seen.appeals {
                section class="finding" { p { (a.by) " · " (layout::time(a.at)) } p { (a.grounds) } }
            }
        }
        @if appealable {
            form method="post" action={ "/requests/" (r.id) "/move" } class="action" {
                h2 { (ctx.t("move-appealed")) }
                p class="hint" { (ctx.t("representative-appeal-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="to" value="appealed";
                input type="hidden" name="version" value=(r.version);
                div class="field" {
                    label for="appeal-reason" { (ctx.t("representative-appeal-grounds")) }
                    (layout::field_error(ctx, errors, "reason"))
                    textarea id="appeal-reason" name="reason" rows="4" {}
                }
                button type="submit" class="button" { (ctx.t("move-appealed")) }
            }
        }
    };
    layout::page(
        ctx,
        if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY },
        &title,
        body,
    )
}

/// The request's page, with the problems of a form that failed; or the page of the error
/// that stops it.
pub async fn request_page_with(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    id: RequestId,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    match request_page(app, ctx, caller, id, errors, general).await {
        Ok(page) => page,
        Err(e) => error_page(ctx, &e),
    }
}

/// The answer to a form that acts on a request: back to the request's page at `section`
/// when the act was done; the not-found or error page where there is no request to show;
/// else the request's page again with the refusal, each problem beside its field as
/// `problems_of` places it, answering the refusal's status.
pub async fn act_answered(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    id: RequestId,
    section: &str,
    done: Result<(), comity_app::Error>,
    problems_of: impl FnOnce(&comity_app::Error) -> (Vec<FieldError>, Option<String>),
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/requests/{id}{section}")).into_response(),
        Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => error_page(ctx, &e),
        Err(e) => {
            let (errors, general) = problems_of(&e);
            let page = request_page_with(app, ctx, caller, id, &errors, general.as_deref()).await;
            answering(page, &e)
        }
    }
}

/// A page shown again with a refusal answers the refusal's status, as the API would (403
/// for an act the person may not do, 409 for one the request's state refuses), unless the
/// page itself failed.
pub fn answering(mut page: Response, e: &comity_app::Error) -> Response {
    if page.status() == StatusCode::UNPROCESSABLE_ENTITY {
        *page.status_mut() = status_of(e);
    }
    page
}

/// A refusal as a form shows it: each problem beside its field (those of no field of the
/// form beside `default_field`), or, when it names none, one message for the summary.
pub fn problems(
    ctx: &Ctx,
    e: &comity_app::Error,
    default_field: &'static str,
) -> (Vec<FieldError>, Option<String>) {
    let problems = match e {
        comity_app::Error::Invalid { problems, .. } => problems.clone(),
        comity_app::Error::Document(d) => d.problems.clone(),
        _ => Vec::new(),
    };
    let errors: Vec<FieldError> = problems
        .into_iter()
        .map(|p| {
            let field = match p.path.split(['.', '[']).next().unwrap_or("") {
                "grounds" => "grounds",
                "scope" => "scope",
                "reason" => "reason",
                "package_sha256" => "package_sha256",
                "retention_until" => "retention_until",
                "national_ids" => "national_ids",
                "phone_regions" => "phone_regions",
                "questions" => "questions",
                "reasoning" => "reasoning",
                "third_country" => "third_country",
                "law" => "law",
                "upheld" => "upheld",
                "kind" => "kind",
                "purpose" => "purpose",
                "recipient_country" => "recipient_country",
                "recipient_body" => "recipient_body",
                "reasons" => "reasons",
                "answer" => "answer",
                "conditions" => "conditions",
                "note" => "note",
                "ground" => "ground",
                "productions" => "productions",
                "correction" => "correction",
                "description" => "description",
                _ => default_field,
            };
            FieldError { field: field.to_owned(), message: p.message }
        })
        .collect();
    let general = errors.is_empty().then(|| error_text(ctx, e));
    (errors, general)
}

async fn request_page(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    id: RequestId,
    errors: &[FieldError],
    general: Option<&str>,
) -> Result<Response, comity_app::Error> {
    let (view, _) = app.app.read_request(caller, id).await?;
    let clocks = app.app.request_clocks(caller, id).await?;
    let (events, _) = app.app.read_events(caller, id).await?;
    let moves = app.app.moves_for(caller, &view);
    let deciding =
        moves.iter().any(|m| matches!(m, State::Approved | State::PartiallyApproved | State::Rejected))
            && caller.principal.role == Role::Reviewer;
    let options = if deciding { Some(app.app.decision_options(&view.request).await?) } else { None };
    let productions = super::production::Productions::read(app, caller, id).await?;
    let receiving = caller.principal.role == Role::Requester;
    let offers = app.app.offers(caller, &view, &clocks).await?;
    let further_use = app.app.further_use_offers(caller, id).await?;
    let remedies = app.app.remedy_offers(caller, id).await?;
    let (notices, record, decide) = app.app.person_notices_on_page(caller, id).await?;
    let notices = super::notices::Notices { notices, record, decide };
    // The authority's registered contacts, to verify an emergency through (issue 5, item 6).
    let contacts =
        if view.request.state == State::PendingVerification && caller.principal.role == Role::Handler {
            Some(app.app.authority_contacts(caller, view.request.authority.as_str()).await?)
        } else {
            None
        };
    let r = &view.request;
    let title = ctx.lang.t_with("request-title", &[("reference", r.reference.clone().into())]);
    let status = if errors.is_empty() && general.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        p { a href="/" class="back" { (ctx.t("back-home")) } }
        h1 { (title) " " (state_tag(ctx, r.state)) }
        @if !moves.is_empty() {
            p { a href="#actions" { (ctx.t("request-jump-actions")) } }
        }
        @if r.state == State::ClarificationRequested && caller.principal.role == Role::Requester {
            p { a class="button" href={ "/requests/" (r.id) "/amend" } { (ctx.t("amend-open")) } }
        }
        (summary(ctx, &view))
        (deadlines(ctx, &clocks))
        (screening(ctx, &view))
        (track_record(ctx, &view))
        (super::acts::section(ctx, id, &offers, errors))
        @if let Some(contacts) = &contacts {
            (super::emergency::section(ctx, id, contacts))
        }
        (super::production::section(ctx, id, &productions, receiving, errors))
        (super::further_use::section(ctx, id, &further_use, errors))
        (super::notices::section(ctx, id, &notices, errors))
        (super::remedies::section(ctx, id, &remedies, errors))
        (history(ctx, &events))
        @if !moves.is_empty() {
            (actions(ctx, &view, &moves, options.as_ref(), errors))
        }
    };
    Ok(layout::page(ctx, status, &title, body))
}

fn summary(ctx: &Ctx, view: &RequestView) -> Markup {
    let r = &view.request;
    let document: serde_json::Value = serde_json::from_str(&r.document).unwrap_or_default();
    let categories: Vec<String> = document["data_categories"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).map(|c| ctx.t(&format!("category-{c}"))).collect())
        .unwrap_or_default();
    let targets = document["targets"].as_array().map_or(0, Vec::len);
    html! {
        h2 { (ctx.t("request-summary")) }
        dl class="summary" {
            dt { (ctx.t("request-authority")) } dd { (r.authority) }
            dt { (ctx.t("request-provider")) } dd { (r.provider) }
            dt { (ctx.t("request-instrument")) } dd { (ctx.t(&format!("instrument-{}", r.instrument))) }
            dt { (ctx.t("request-kind")) } dd { (ctx.t(&format!("kind-{}", r.kind))) }
            dt { (ctx.t("request-emergency")) } dd { @if r.emergency { (ctx.t("yes")) } @else { (ctx.t("no")) } }
            dt { (ctx.t("request-categories")) } dd { (categories.join(", ")) }
            dt { (ctx.t("request-targets")) } dd {
                (targets)
                ul class="targets" {
                    @for t in document["targets"].as_array().into_iter().flatten() {
                        li {
                            (ctx.t(&format!("selector-{}", t["selector"]["type"].as_str().unwrap_or("account_id")))) ": "
                            code { (t["selector"]["value"].as_str().unwrap_or("")) }
                            @if let Some(c) = t["residence_country"].as_str() { " · " (c) }
                            @if let Some(role) = t["protected_role"].as_str() { " · " strong { (ctx.t(&format!("protected-{role}"))) } }
                        }
                    }
                }
            }
            @if let (Some(from), Some(to)) = (document["time_window"]["from"].as_str(), document["time_window"]["to"].as_str()) {
                dt { (ctx.t("request-period")) } dd { (instant(from)) " – " (instant(to)) }
            }
            @if let Some(offence) = document["offence"]["description"].as_str() {
                dt { (ctx.t("request-offence")) } dd { (offence) }
            }
            @if let Some(why) = document["justification"].as_str() {
                dt { (ctx.t("request-justification")) } dd { (why) }
            }
            dt { (ctx.t("request-received")) } dd { (layout::time(r.received_at)) }
        }
    }
}

fn deadlines(ctx: &Ctx, clocks: &[Clock]) -> Markup {
    let now = Utc::now();
    html! {
        h2 { (ctx.t("request-deadlines")) }
        @if clocks.is_empty() {
            p { (ctx.t("no-deadline")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("col-deadline")) } th scope="col" { (ctx.t("col-due")) } th scope="col" { (ctx.t("col-status")) }
                } }
                tbody {
                    @for c in clocks {
                        tr {
                            td { (ctx.t(&format!("clock-{}", c.kind))) }
                            td { (layout::time(c.due)) }
                            td {
                                @match &c.closed {
                                    Some((at, outcome)) => { (ctx.t(&format!("outcome-{outcome}"))) " " (layout::time(*at)) }
                                    None if c.due <= now => { strong class="tag tag-overdue" { (ctx.t("overdue")) } }
                                    None => { (ctx.t("clock-running")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The latest screening: failing and review findings first, each with its citation.
fn screening(ctx: &Ctx, view: &RequestView) -> Markup {
    let report = view.screenings.last().and_then(|s| serde_json::from_str::<ScreeningReport>(&s.report).ok());
    let rank = |f: &FindingBody| match f.outcome.as_str() {
        "fail" => 0,
        "clarify" => 1,
        "review" => 2,
        "pass" => 3,
        _ => 4,
    };
    html! {
        h2 { (ctx.t("request-screening")) }
        @match report {
            None => { p { (ctx.t("screening-none")) } }
            Some(mut report) => {
                // The pack version that judged it, linked to its rules and text (issue 16, item 8).
                p { (ctx.t("screening-verdict")) " " strong { (ctx.t(&format!("verdict-{}", report.verdict))) }
                    " · " a href=(super::packs::version_href(&report.pack.id, &report.pack.hash)) {
                        (ctx.lang.t_with("screening-pack", &[("pack", report.pack.id.clone().into()), ("version", report.pack.version.clone().into())]))
                    } }
                ({ report.findings.sort_by_key(|f| rank(f)); "" })
                @let (flagged, passed): (Vec<&FindingBody>, Vec<&FindingBody>) =
                    report.findings.iter().partition(|f| rank(f) < 3);
                @if !flagged.is_empty() {
                    ul class="findings" { @for f in &flagged { (finding(ctx, f)) } }
                }
                // What passes is kept a click away, so that what needs an answer is read first.
                details {
                    summary { (ctx.lang.t_with("screening-passed", &[("count", passed.len().into())])) }
                    ul class="findings" { @for f in &passed { (finding(ctx, f)) } }
                }
            }
        }
    }
}

fn finding(ctx: &Ctx, f: &FindingBody) -> Markup {
    html! {
        li class={ "finding finding-" (f.outcome) } {
            strong class={ "tag tag-" (f.outcome) } { (ctx.t(&format!("finding-{}", f.outcome))) }
            " " span class="citation" { (f.citation) }
            p { (f.message) }
        }
    }
}

fn track_record(ctx: &Ctx, view: &RequestView) -> Markup {
    let r = &view.record;
    html! {
        h2 { (ctx.t("request-track-record")) }
        dl class="summary" {
            dt { (ctx.t("record-requests")) } dd { (r.requests) }
            dt { (ctx.t("record-rejected")) } dd { (r.rejected) }
            dt { (ctx.t("record-emergencies")) } dd { (r.emergencies) }
            dt { (ctx.t("record-confirmed")) } dd { (r.confirmed) " / " (r.held) }
        }
    }
}

/// The chain of custody: every step, by whom, when and why.
fn history(ctx: &Ctx, events: &[Event]) -> Markup {
    html! {
        h2 { (ctx.t("request-history")) }
        ol class="history" {
            @for e in events {
                li {
                    (layout::time(e.at)) " · " (state_tag(ctx, e.to)) " · " (e.actor)
                    @if !e.reason.is_empty() { p { (e.reason) } }
                }
            }
        }
    }
}

/// A form for each move the person may make: its reason, and for a decision its grounds
/// and an answer to each finding screening flagged.
fn actions(
    ctx: &Ctx,
    view: &RequestView,
    moves: &[State],
    options: Option<&DecisionOptions>,
    errors: &[FieldError],
) -> Markup {
    let r = &view.request;
    html! {
        h2 id="actions" { (ctx.t("request-actions")) }
        @for to in moves {
            @let id = to.as_str();
            @let decision = options.filter(|_| matches!(to, State::Approved | State::PartiallyApproved | State::Rejected));
            form method="post" action={ "/requests/" (r.id) "/move" } class="action" {
                h3 { (ctx.t(&format!("move-{id}"))) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                input type="hidden" name="to" value=(id);
                input type="hidden" name="version" value=(r.version);
                @if let Some(options) = decision {
                    @let grounds = options.grounds.iter().find(|(s, _)| s == to).map(|(_, g)| g.as_slice()).unwrap_or(&[]);
                    fieldset {
                        legend { (ctx.t("decision-grounds")) }
                        (layout::field_error(ctx, errors, "grounds"))
                        @for g in grounds {
                            div class="checkbox" {
                                input type="checkbox" id={ (id) "-ground-" (g.id) } name="grounds" value=(g.id);
                                label for={ (id) "-ground-" (g.id) } { (g.text) " " span class="citation" { (g.citation) } }
                            }
                        }
                    }
                    @if *to != State::Rejected {
                        @for f in &options.flagged {
                            div class="field" {
                                label for={ (id) "-answer-" (f.rule) } { (ctx.lang.t_with("decision-answer", &[("rule", f.rule.clone().into())])) }
                                p class="hint" { (f.citation) ": " (f.message) }
                                textarea id={ (id) "-answer-" (f.rule) } name={ "answer." (f.rule) } rows="2" {}
                            }
                        }
                    }
                }
                @if *to == State::PartiallyApproved {
                    (scope_fields(ctx, view, errors))
                }
                @if *to == State::ClarificationRequested {
                    (question_fields(ctx, errors))
                }
                div class="field" {
                    label for={ (id) "-reason" } { (ctx.t("move-reason")) }
                    (layout::field_error(ctx, errors, "reason"))
                    textarea id={ (id) "-reason" } name="reason" rows="3" required {}
                }
                button type="submit" class={ "button" @if matches!(to, State::Rejected | State::Withdrawn) { " button-warning" } } {
                    (ctx.t(&format!("move-{id}")))
                }
            }
        }
    }
}

/// What a partial approval lets leave: the targets, categories and period kept, each
/// offered as the request asks it (the use case refuses anything wider).
fn scope_fields(ctx: &Ctx, view: &RequestView, errors: &[FieldError]) -> Markup {
    let document: serde_json::Value = serde_json::from_str(&view.request.document).unwrap_or_default();
    let targets: Vec<&str> = document["targets"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["selector"]["value"].as_str()).collect())
        .unwrap_or_default();
    let categories: Vec<&str> = document["data_categories"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c.as_str()).collect())
        .unwrap_or_default();
    let from = document["time_window"]["from"].as_str().unwrap_or("");
    let to = document["time_window"]["to"].as_str().unwrap_or("");
    html! {
        fieldset {
            legend { (ctx.t("scope-title")) }
            p class="hint" { (ctx.t("scope-hint")) }
            (layout::field_error(ctx, errors, "scope"))
            fieldset {
                legend class="small" { (ctx.t("scope-targets")) }
                @for (i, t) in targets.iter().enumerate() {
                    div class="checkbox" {
                        input type="checkbox" id={ "scope-target-" (i) } name="scope.target" value=(t) checked;
                        label for={ "scope-target-" (i) } { (t) }
                    }
                }
            }
            fieldset {
                legend class="small" { (ctx.t("request-categories")) }
                @for c in &categories {
                    div class="checkbox" {
                        input type="checkbox" id={ "scope-category-" (c) } name="scope.category" value=(c) checked;
                        label for={ "scope-category-" (c) } { (ctx.t(&format!("category-{c}"))) }
                    }
                }
            }
            div class="field" {
                label for="scope-from" { (ctx.t("scope-from")) }
                p class="hint" id="scope-from-hint" { (ctx.t("scope-time-hint")) }
                input type="text" id="scope-from" name="scope.from" value=(from) aria-describedby="scope-from-hint";
            }
            div class="field" {
                label for="scope-to" { (ctx.t("scope-to")) }
                input type="text" id="scope-to" name="scope.to" value=(to) aria-describedby="scope-from-hint";
            }
        }
    }
}

/// How many questions a request for clarification's form offers; more go through the API.
const QUESTION_ROWS: usize = 3;

/// The fields of the request document a question may point at (RFC 6901), by message.
const QUESTION_FIELDS: [&str; 9] = [
    "/justification",
    "/offence/description",
    "/offence/max_sentence_months",
    "/targets",
    "/data_categories",
    "/time_window",
    "/issuing/validated_by",
    "/issuing/reference",
    "/nondisclosure",
];

/// The structured questions of a request for clarification (Regulation (EU) 2023/1543
/// Annex III): each a reason, the field it is about, and the question.
fn question_fields(ctx: &Ctx, errors: &[FieldError]) -> Markup {
    html! {
        fieldset id="questions" {
            legend { (ctx.t("question-title")) }
            p class="hint" { (ctx.t("question-hint")) }
            (layout::field_error(ctx, errors, "questions"))
            @for i in 0..QUESTION_ROWS {
                fieldset class="target" {
                    legend class="small" { (ctx.lang.t_with("question-n", &[("n", (i + 1).into())])) }
                    div class="field" {
                        label for={ "question-" (i) "-reason" } { (ctx.t("question-reason")) }
                        select id={ "question-" (i) "-reason" } name={ "question." (i) ".reason" } {
                            @for r in ClarificationReason::ALL {
                                option value=(r.as_str()) { (ctx.t(&format!("clarification-{r}"))) }
                            }
                        }
                    }
                    div class="field" {
                        label for={ "question-" (i) "-pointer" } { (ctx.t("question-field")) }
                        select id={ "question-" (i) "-pointer" } name={ "question." (i) ".pointer" } {
                            option value="" { (ctx.t("question-whole")) }
                            @for f in QUESTION_FIELDS {
                                option value=(f) { (ctx.t(&format!("question-field{}", f.replace('/', "-")))) }
                            }
                        }
                    }
                    div class="field" {
                        label for={ "question-" (i) "-text" } { (ctx.t("question-text")) }
                        textarea id={ "question-" (i) "-text" } name={ "question." (i) ".question" } rows="2" {}
                    }
                }
            }
        }
    }
}

/// A move posted from a request's page.
#[derive(Debug)]
pub struct MoveForm {
    csrf: String,
    to: String,
    version: Option<u32>,
    reason: String,
    grounds: Vec<String>,
    answers: Vec<(String, String)>,
    scope_targets: Vec<String>,
    scope_categories: Vec<String>,
    scope_from: Option<String>,
    scope_to: Option<String>,
    questions: Vec<QuestionAsked>,
}

impl Protected for MoveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

impl<'de> Deserialize<'de> for MoveForm {
    /// A form's fields arrive as pairs, `grounds` repeated once per box ticked and each
    /// answer as `answer.<rule>`; read them as such rather than as a fixed shape.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let pairs: Vec<(String, String)> = Vec::deserialize(d)?;
        let mut form = MoveForm {
            csrf: String::new(),
            to: String::new(),
            version: None,
            reason: String::new(),
            grounds: Vec::new(),
            answers: Vec::new(),
            scope_targets: Vec::new(),
            scope_categories: Vec::new(),
            scope_from: None,
            scope_to: None,
            questions: vec![QuestionAsked::default(); QUESTION_ROWS],
        };
        for (name, value) in pairs {
            match name.as_str() {
                "csrf" => form.csrf = value,
                "to" => form.to = value,
                "version" => form.version = value.parse().ok(),
                "reason" => form.reason = value,
                "grounds" => form.grounds.push(value),
                "scope.target" => form.scope_targets.push(value),
                "scope.category" => form.scope_categories.push(value),
                "scope.from" => form.scope_from = Some(value),
                "scope.to" => form.scope_to = Some(value),
                other if other.starts_with("question.") => {
                    let mut parts = other.splitn(3, '.').skip(1);
                    let (Some(n), Some(part)) =
                        (parts.next().and_then(|n| n.parse::<usize>().ok()), parts.next())
                    else {
                        continue;
                    };
                    let Some(q) = form.questions.get_mut(n) else { continue };
                    match part {
                        "reason" => q.reason = value,
                        "pointer" => q.pointer = Some(value).filter(|v| !v.is_empty()),
                        "question" => q.question = value,
                        _ => {}
                    }
                }
                other => {
                    if let Some(rule) = other.strip_prefix("answer.")
                        && !value.trim().is_empty()
                    {
                        form.answers.push((rule.to_owned(), value));
                    }
                }
            }
        }
        Ok(form)
    }
}

/// Makes a move through the same use case as the API's `POST /v1/requests/{id}/transitions`.
pub async fn move_request(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<MoveForm>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return not_found_page(&ctx);
    };
    let Some(to) = State::parse(&form.to) else {
        return message_page(&ctx, StatusCode::BAD_REQUEST, "form-unreadable-title", "form-unreadable-body");
    };
    let mut errors = Vec::new();
    if form.reason.trim().is_empty() {
        errors.push(FieldError { field: "reason".into(), message: ctx.t("move-reason-missing") });
    }
    let scope =
        if to == State::PartiallyApproved { Some(scope_asked(&ctx, &form, &mut errors)) } else { None };
    let mut refusal = None;
    let outcome = if errors.is_empty() {
        let transition = Transition {
            expected_version: form.version,
            scope,
            grounds: form.grounds,
            answers: form.answers,
            // A row without a question asks nothing.
            questions: form.questions.into_iter().filter(|q| !q.question.trim().is_empty()).collect(),
            ..Transition::to(to, form.reason.trim())
        };
        match app.app.transition(&caller, id, &transition).await {
            Ok(_) => return Redirect::to(&format!("/requests/{id}")).into_response(),
            Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => {
                return error_page(&ctx, &e);
            }
            Err(e) => {
                let (problems, general) = problems(&ctx, &e, "reason");
                errors = problems;
                refusal = Some(e);
                general
            }
        }
    } else {
        None
    };
    if caller.principal.role == Role::Representative {
        let mut errors = errors;
        if let Some(general) = outcome {
            errors.push(FieldError { field: "reason".into(), message: general });
        }
        let page = representative_page(&app, &ctx, &caller, id, &errors).await;
        return match &refusal {
            Some(e) => answering(page, e),
            None => page,
        };
    }
    let page = request_page_with(&app, &ctx, &caller, id, &errors, outcome.as_deref()).await;
    match &refusal {
        Some(e) => answering(page, e),
        None => page,
    }
}

/// The scope a partial approval's fields ask for; a time that does not read is the
/// field's error.
fn scope_asked(ctx: &Ctx, form: &MoveForm, errors: &mut Vec<FieldError>) -> ScopeAsked {
    let mut time = |text: &Option<String>| {
        let text = text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
        match DateTime::parse_from_rfc3339(text) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                errors.push(FieldError { field: "scope".into(), message: ctx.t("scope-time-wrong") });
                None
            }
        }
    };
    let (from, to) = (time(&form.scope_from), time(&form.scope_to));
    ScopeAsked {
        targets: Some(form.scope_targets.clone()),
        categories: Some(form.scope_categories.iter().filter_map(|c| DataCategory::parse(c)).collect()),
        from,
        to,
    }
}

pub(super) fn state_tag(ctx: &Ctx, state: State) -> Markup {
    html! { strong class={ "tag tag-state-" (state.as_str()) } { (ctx.t(&format!("state-{}", state.as_str()))) } }
}

/// The page for a request or path that does not exist, or that the person may not see:
/// the same page either way.
pub fn not_found_page(ctx: &Ctx) -> Response {
    message_page(ctx, StatusCode::NOT_FOUND, "not-found-title", "not-found-body")
}

pub fn sign_in_first(ctx: &Ctx) -> Response {
    if ctx.session_ended {
        return Redirect::to("/signin").into_response();
    }
    message_page(ctx, StatusCode::UNAUTHORIZED, "sign-in-first-title", "sign-in-first-body")
}

/// A page that says one thing: a title and a paragraph, from the messages.
pub fn message_page(ctx: &Ctx, status: StatusCode, title: &str, body: &str) -> Response {
    let title = ctx.t(title);
    let content = html! {
        h1 { (title) }
        p { (ctx.t(body)) }
        p { a href="/" { (ctx.t("back-home")) } }
    };
    layout::page(ctx, status, &title, content)
}

/// The page for a use case's refusal: what happened, in the person's language where the
/// portal words that code, and what to do.
pub fn error_page(ctx: &Ctx, e: &comity_app::Error) -> Response {
    match e {
        comity_app::Error::NotFound(_) => not_found_page(ctx),
        comity_app::Error::Unauthenticated { .. } => sign_in_first(ctx),
        e => {
            let title = ctx.t("error-title");
            let content = html! {
                h1 { (title) }
                p { (error_text(ctx, e)) }
                p { a href="/" { (ctx.t("back-home")) } }
            };
            layout::page(ctx, status_of(e), &title, content)
        }
    }
}

/// An act's problems for a form the page repeats (one per target, one per case): each
/// beside the input `field` names for its path; the error page's text where there is none.
pub fn problems_in(
    ctx: &Ctx,
    e: &comity_app::Error,
    field: impl Fn(&str) -> String,
) -> (Vec<FieldError>, Option<String>) {
    let errors: Vec<FieldError> = match e {
        comity_app::Error::Invalid { problems, .. } => problems
            .iter()
            .map(|p| FieldError { field: field(&p.path), message: p.message.clone() })
            .collect(),
        _ => Vec::new(),
    };
    let general = errors.is_empty().then(|| error_text(ctx, e));
    (errors, general)
}

/// What a use case's error says, in the person's language where the portal has the code's
/// message (`error-<code>`), else as the API says it. A failure of the server's own says
/// only that, and its incident id, as the API does.
pub fn error_text(ctx: &Ctx, e: &comity_app::Error) -> String {
    if let comity_app::Error::Internal(source) = e {
        let incident = uuid::Uuid::now_v7();
        tracing::error!(incident = %incident, error = %source, "internal error on a page");
        return ctx.lang.t_with("error-internal", &[("incident", incident.to_string().into())]);
    }
    let api = crate::error::ApiError::from(clone_error(e));
    let id = format!("error-{}", api.code().replace('_', "-"));
    if let comity_app::Error::Locked { retry_after, .. } = e {
        return ctx.lang.t_with("error-locked", &[("seconds", (*retry_after).into())]);
    }
    if let comity_app::Error::Barred { barred, .. } = e {
        return barred_text(ctx, barred);
    }
    if ctx.lang.has(&id) { ctx.t(&id) } else { api.message().to_owned() }
}

/// An operator's deactivation or suspension of a party, as a page says it: who, since or
/// until when, and the reason as the operator wrote it (issue 16).
fn barred_text(ctx: &Ctx, barred: &comity_core::Barred) -> String {
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let party = barred.party().to_string();
    let reason = barred.reason().to_owned();
    match barred {
        comity_core::Barred::Deactivated { decided, .. } => ctx.lang.t_with(
            "error-party-deactivated",
            &[("party", party.into()), ("since", at(decided.at).into()), ("reason", reason.into())],
        ),
        comity_core::Barred::Suspended { suspension, .. } => {
            let until = at(suspension.ends());
            match suspension.privilege {
                Some(p) => ctx.lang.t_with(
                    "error-privilege-suspended",
                    &[
                        ("party", party.into()),
                        ("privilege", ctx.t(&format!("privilege-{p}")).into()),
                        ("until", until.into()),
                        ("reason", reason.into()),
                    ],
                ),
                None => ctx.lang.t_with(
                    "error-party-suspended",
                    &[("party", party.into()), ("until", until.into()), ("reason", reason.into())],
                ),
            }
        }
    }
}

/// The HTTP status the API gives an error, which the page answers too.
pub fn status_of(e: &comity_app::Error) -> StatusCode {
    if matches!(e, comity_app::Error::Internal(_)) {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    crate::error::ApiError::from(clone_error(e)).status()
}

/// A copy of an error to map through the API's one table of statuses and codes; never
/// called for an internal error, which `error_text` and `status_of` answer themselves.
fn clone_error(e: &comity_app::Error) -> comity_app::Error {
    use comity_app::Error as E;
    match e {
        E::Invalid { code, message, problems } => {
            E::Invalid { code, message: message.clone(), problems: problems.clone() }
        }
        E::Document(d) => E::BadInput(d.to_string()),
        E::BadInput(m) => E::BadInput(m.clone()),
        E::NotFound(m) => E::NotFound(m.clone()),
        E::Forbidden(m) => E::Forbidden(m.clone()),
        E::Conflict { code, message } => E::Conflict { code, message: message.clone() },
        E::Unauthenticated { code, message } => E::Unauthenticated { code, message: message.clone() },
        E::Locked { code, message, retry_after } => {
            E::Locked { code, message: message.clone(), retry_after: *retry_after }
        }
        E::TooLarge { code, message } => E::TooLarge { code, message: message.clone() },
        E::Unavailable { code, message, retry_after, cause } => {
            E::Unavailable { code, message: message.clone(), retry_after: *retry_after, cause: cause.clone() }
        }
        E::Gone { code, message, details } => {
            E::Gone { code, message: message.clone(), details: details.clone() }
        }
        E::Barred { barred, field, message } => {
            E::Barred { barred: barred.clone(), field: field.clone(), message: message.clone() }
        }
        E::Internal(_) => E::BadInput(String::new()),
    }
}

/// A time a party wrote into its document, shown as the portal shows its own times where
/// it reads as RFC 3339, else as written.
fn instant(text: &str) -> Markup {
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(at) => layout::time(at.with_timezone(&chrono::Utc)),
        Err(_) => html! { (text) },
    }
}
