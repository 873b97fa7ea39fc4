//! The duty officer's one-time link (issue 14, item 3): `/verify#<secret>` opens a page
//! that shows which emergency request the link is about, never its targets, with Confirm
//! and Deny.
//!
//! The secret is in the link's fragment, which no browser sends to a server (RFC 3986
//! §3.5), so no proxy or access log keeps it. The page's script reads it, takes it out of
//! the address bar and posts it in a form; without the script, the officer pastes the part
//! of the link after `#` into the same form. Viewing spends nothing; only the answer uses
//! the link, once, through the same use case as the API's `POST /v1/verify`.

use axum::{extract::State as AxumState, http::StatusCode, response::Response};
use comity_app::Client;
use maud::html;
use serde::Deserialize;

use super::{
    Ctx,
    csrf::{PageForm, Protected},
    layout::{self, FieldError},
    pages,
};
use crate::{AppState, extract::ClientIp};

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    csrf: String,
    #[serde(default)]
    token: String,
}

impl Protected for LinkForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    csrf: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

impl Protected for AnswerForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `GET /verify`: the form the link's secret goes into.
pub async fn page(ctx: Ctx) -> Response {
    secret_form(&ctx, StatusCode::OK, &[])
}

fn secret_form(ctx: &Ctx, status: StatusCode, errors: &[FieldError]) -> Response {
    let title = ctx.t("verify-title");
    let body = html! {
        (layout::error_summary(ctx, errors, None))
        h1 { (title) }
        p class="lead" { (ctx.t("verify-intro")) }
        form method="post" action="/verify" id="verify-secret" novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="field" {
                label for="token" { (ctx.t("verify-secret")) }
                p class="hint" id="token-hint" { (ctx.t("verify-secret-hint")) }
                (layout::field_error(ctx, errors, "token"))
                input id="token" name="token" type="text" autocomplete="off" spellcheck="false"
                    aria-describedby="token-hint";
            }
            button type="submit" class="button" { (ctx.t("verify-open")) }
        }
    };
    layout::page(ctx, status, &title, body)
}

/// `POST /verify`: what the link is about, and the two answers.
pub async fn answer(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    PageForm(form): PageForm<LinkForm>,
) -> Response {
    let token = form.token.trim().trim_start_matches('#');
    if token.is_empty() {
        let errors = [FieldError { field: "token".into(), message: ctx.t("verify-secret-missing") }];
        return secret_form(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &errors);
    }
    let count = app.refusals(ip);
    let view = match app.app.view_link(token, &Client::new(ip, &count)).await {
        Ok(view) => view,
        Err(comity_app::Error::NotFound(_)) => {
            return pages::message_page(
                &ctx,
                StatusCode::NOT_FOUND,
                "verify-invalid-title",
                "verify-invalid-body",
            );
        }
        Err(e) => return pages::error_page(&ctx, &e),
    };
    let r = &view.request;
    let title = ctx.t("verify-title");
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t("verify-question")) }
        dl class="summary" {
            dt { (ctx.t("request-authority")) } dd { (r.authority) }
            dt { (ctx.t("verify-reference")) } dd { (r.reference) }
            dt { (ctx.t("request-provider")) } dd { (r.provider) }
            dt { (ctx.t("request-received")) } dd { (layout::time(r.received_at)) }
            dt { (ctx.t("request-targets")) } dd { (view.targets) }
            dt { (ctx.t("verify-expires")) } dd { (layout::time(view.link.expires_at)) }
        }
        p { (ctx.t("verify-targets-withheld")) }
        form method="post" action="/verify/answer" {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="token" value=(token);
            div class="field" {
                label for="note" { (ctx.t("verify-note")) }
                textarea id="note" name="note" rows="2" {}
            }
            div class="button-group" {
                button type="submit" name="decision" value="confirm" class="button" { (ctx.t("verify-confirm")) }
                button type="submit" name="decision" value="deny" class="button button-warning" { (ctx.t("verify-deny")) }
            }
        }
    };
    layout::page(&ctx, StatusCode::OK, &title, body)
}

/// `POST /verify/answer`: confirms or denies, once.
pub async fn decide(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    PageForm(form): PageForm<AnswerForm>,
) -> Response {
    let count = app.refusals(ip);
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    match app.app.answer_link(form.token.trim(), &form.decision, note, &Client::new(ip, &count)).await {
        Ok(_) => {
            let (title, body) = if form.decision == "confirm" {
                ("verify-confirmed-title", "verify-confirmed-body")
            } else {
                ("verify-denied-title", "verify-denied-body")
            };
            pages::message_page(&ctx, StatusCode::OK, title, body)
        }
        Err(comity_app::Error::NotFound(_)) => {
            pages::message_page(&ctx, StatusCode::NOT_FOUND, "verify-invalid-title", "verify-invalid-body")
        }
        Err(e) => pages::error_page(&ctx, &e),
    }
}
