//! An emergency's verification from the provider's side (issue 14, item 3): while a
//! request waits in `pending_verification`, the legal team asks a registered contact of the
//! authority, never one named in the request, to confirm it through a one-time link
//! (`comity_app::App::issue_link`, as `POST /v1/requests/{id}/verification/links`). With
//! `--smtp` comity mails the link itself and the page says where; otherwise the page shows
//! the link once, to pass on through the contact's registered channel.

use axum::{
    extract::{Path, State as AxumState},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use comity_app::{IssuedLink, Mailed};
use comity_core::{Contact, RequestId};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    csrf::{PageForm, Protected},
    layout, pages,
};
use crate::AppState;

/// The contacts a link may go to, and the form that sends one.
pub fn section(ctx: &Ctx, id: RequestId, contacts: &[Contact]) -> Markup {
    html! {
        h2 { (ctx.t("emergency-title")) }
        p { (ctx.t("emergency-intro")) }
        @if contacts.is_empty() {
            p { (ctx.t("emergency-no-contacts")) }
        } @else {
            form method="post" action={ "/requests/" (id) "/verification-link" } class="action" {
                input type="hidden" name="csrf" value=(ctx.csrf);
                fieldset {
                    legend { (ctx.t("emergency-contact")) }
                    @for (i, c) in contacts.iter().enumerate() {
                        div class="checkbox" {
                            input type="radio" id={ "contact-" (c.id) } name="contact" value=(c.id) checked[i == 0];
                            label for={ "contact-" (c.id) } {
                                (c.name) " (" (c.id) ")"
                                @if let Some(e) = &c.email { " · " (e) }
                                @if let Some(p) = &c.phone { " · " (p) }
                            }
                        }
                    }
                }
                button type="submit" class="button" { (ctx.t("emergency-send")) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    csrf: String,
    #[serde(default)]
    contact: String,
}

impl Protected for LinkForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /requests/{id}/verification-link`: issues the link and says how it reaches its
/// contact.
pub async fn issue(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(form): PageForm<LinkForm>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    let issued = match app.app.issue_link(&caller, id, form.contact.trim()).await {
        Ok(issued) => issued,
        Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => {
            return pages::error_page(&ctx, &e);
        }
        Err(e) => {
            let (errors, general) = pages::problems(&ctx, &e, "contact");
            let general = general.or_else(|| errors.first().map(|e| e.message.clone()));
            return pages::request_page_with(&app, &ctx, &caller, id, &[], general.as_deref()).await;
        }
    };
    let base = pages::base_url(&app, &headers);
    let title = ctx.t("emergency-issued-title");
    let body = html! {
        h1 { (title) }
        (how_it_travels(&ctx, &issued, &base))
        p { (ctx.t("emergency-expires")) " " (layout::time(issued.expires_at)) }
        p { a href={ "/requests/" (id) } { (ctx.t("emergency-back")) } }
    };
    layout::page(&ctx, StatusCode::CREATED, &title, body)
}

fn how_it_travels(ctx: &Ctx, issued: &IssuedLink, base: &str) -> Markup {
    let link = issued.url.as_ref().map(|u| format!("{base}{u}"));
    html! {
        @match &issued.mailed {
            Mailed::Sent { to, .. } => {
                p class="lead" { (ctx.lang.t_with("emergency-mailed", &[("to", to.clone().into())])) }
            }
            Mailed::Failed { to, error } => {
                p class="lead" { (ctx.lang.t_with("emergency-mail-failed", &[("to", to.clone().into())])) }
                p class="hint" { (error) }
            }
            Mailed::NotSent { reason } => {
                p class="lead" { (ctx.t("emergency-not-mailed")) }
                p class="hint" { (reason) }
            }
        }
        @if let Some(link) = &link {
            p { (ctx.t("emergency-pass-on")) }
            pre class="command" { (link) }
            p class="hint" { (ctx.lang.t_with("emergency-channels", &[
                ("email", issued.contact.email.clone().unwrap_or_default().into()),
                ("phone", issued.contact.phone.clone().unwrap_or_default().into()),
            ])) }
        }
    }
}
