//! The notice to the person concerned on a request's page (issue 15, item 1): each target's
//! notice with its status, when it goes out or what it waits for, and its sending and
//! delivery; the provider's forms to say how the person is reached and to confirm a
//! delivery through its own channel; an assigned reviewer's form to delay or bar it with
//! reasons. Each post goes through the same use case as the API.

use axum::{
    extract::{Path, State as AxumState},
    response::Response,
};
use comity_app::{NoticeDecision, NoticeRecipient, PersonNotice, person_notices::LANGUAGES};
use comity_core::{PersonNoticeChannel, PersonNoticeStatus, RequestId};
use maud::{Markup, html};

use super::{
    Ctx,
    csrf::{FormFields, PageForm},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// What the page shows of the notices, and which forms it offers.
pub struct Notices {
    pub notices: Vec<PersonNotice>,
    pub record: bool,
    pub decide: bool,
}

/// The id of a field of target `target`'s forms.
fn field(target: u32, name: &str) -> String {
    format!("notice-{target}-{name}")
}

/// The section, shown once anything concerns the notices: the data delivered, a decision
/// taken, or a reviewer who may take one.
pub fn section(ctx: &Ctx, id: RequestId, n: &Notices, errors: &[FieldError]) -> Markup {
    let shown = n.decide || n.notices.iter().any(|x| x.waiting != Some("delivery") || x.decision.is_some());
    html! {
        @if shown && !n.notices.is_empty() {
            h2 id="notices" { (ctx.t("notices-title")) }
            p class="hint" { (ctx.t("notices-hint")) }
            @for notice in &n.notices {
                (one(ctx, id, n, notice, errors))
            }
        }
    }
}

fn one(ctx: &Ctx, id: RequestId, n: &Notices, notice: &PersonNotice, errors: &[FieldError]) -> Markup {
    let t = notice.target;
    let status = ctx.t(&format!("notice-status-{}", notice.status.as_str()));
    let base = format!("/requests/{id}/notices/{t}");
    let unsent = notice.sent.is_none();
    html! {
        div class="action" {
            h3 { (ctx.t("notices-target")) " " (t + 1) ": " (notice.selector) }
            dl {
                dt { (ctx.t("notices-status")) }
                dd { (status) }
                @if let Some((d, _)) = &notice.decision {
                    @if !d.reasoning.is_empty() {
                        dt { (ctx.t("notices-reasoning")) }
                        dd { (d.reasoning) " (" (d.by) ")" }
                    }
                    @if let Some(until) = d.until {
                        dt { (ctx.t(if d.status == PersonNoticeStatus::Barred { "notices-review-by" } else { "notices-until" })) }
                        dd { (until.format("%Y-%m-%d")) }
                    }
                }
                @if let Some(r) = &notice.recipient {
                    dt { (ctx.t("notices-how")) }
                    dd {
                        (ctx.t(&format!("notice-channel-{}", r.channel.as_str())))
                        @if let Some(a) = &r.address { ", " (a) }
                        " (" (r.language) ")"
                    }
                }
                dt { (ctx.t("notices-due")) }
                dd {
                    @if let Some(due) = notice.due {
                        (layout::time(due))
                    } @else if let Some((_, at, index)) = &notice.sent {
                        (ctx.t("notices-sent")) " " (layout::time(*at))
                        @if let Some(i) = index { " " (ctx.t("notices-log-entry")) " " (i) }
                    } @else if let Some(w) = notice.waiting {
                        (ctx.t(&format!("notices-waiting-{w}")))
                    }
                }
                @if let Some((at, reference)) = &notice.delivered {
                    dt { (ctx.t("notices-delivered")) }
                    dd { (layout::time(*at)) @if !reference.is_empty() { " (" (reference) ")" } }
                }
            }
            @if n.record && unsent && notice.waiting != Some("delivery") {
                form method="post" action={ (base) "/recipient" } {
                    h4 { (ctx.t("notices-recipient-title")) }
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    div class="field" {
                        label for=(field(t, "language")) { (ctx.t("notices-language")) }
                        (layout::field_error(ctx, errors, &field(t, "language")))
                        select id=(field(t, "language")) name="language" {
                            @for l in LANGUAGES { option value=(l) selected[Some(l) == notice.recipient.as_ref().map(|r| r.language.as_str())] { (ctx.t(&format!("notice-language-{l}"))) } }
                        }
                    }
                    fieldset id=(field(t, "channel")) {
                        legend { (ctx.t("notices-how")) }
                        (layout::field_error(ctx, errors, &field(t, "channel")))
                        @for c in PersonNoticeChannel::ALL {
                            div class="checkbox" {
                                input type="radio" id={ (field(t, "channel")) "-" (c.as_str()) } name="channel" value=(c.as_str());
                                label for={ (field(t, "channel")) "-" (c.as_str()) } { (ctx.t(&format!("notice-channel-{}", c.as_str()))) }
                            }
                        }
                    }
                    div class="field" {
                        label for=(field(t, "address")) { (ctx.t("notices-address")) }
                        (layout::field_error(ctx, errors, &field(t, "address")))
                        input type="email" id=(field(t, "address")) name="address";
                    }
                    button type="submit" class="button" { (ctx.t("notices-recipient-send")) }
                }
            }
            @if n.record && notice.delivered.is_none() && notice.sent.as_ref().is_some_and(|(s, _, _)| s.channel == PersonNoticeChannel::Provider) {
                p { a href={ "/v1/requests/" (id) "/notices/" (t) "/text" } { (ctx.t("notices-text")) } }
                form method="post" action={ (base) "/delivery" } {
                    h4 { (ctx.t("notices-delivery-title")) }
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    div class="field" {
                        label for=(field(t, "reference")) { (ctx.t("notices-reference")) }
                        (layout::field_error(ctx, errors, &field(t, "reference")))
                        input type="text" id=(field(t, "reference")) name="reference";
                    }
                    button type="submit" class="button" { (ctx.t("notices-delivery-send")) }
                }
            }
            @if n.decide && unsent {
                form method="post" action={ (base) "/decision" } {
                    h4 { (ctx.t("notices-decision-title")) }
                    p class="hint" { (ctx.t("notices-decision-hint")) }
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    fieldset id=(field(t, "status")) {
                        legend { (ctx.t("notices-status")) }
                        (layout::field_error(ctx, errors, &field(t, "status")))
                        @for s in PersonNoticeStatus::ALL {
                            div class="checkbox" {
                                input type="radio" id={ (field(t, "status")) "-" (s.as_str()) } name="status" value=(s.as_str());
                                label for={ (field(t, "status")) "-" (s.as_str()) } { (ctx.t(&format!("notice-status-{}", s.as_str()))) }
                            }
                        }
                    }
                    div class="field" {
                        label for=(field(t, "until")) { (ctx.t("notices-until-field")) }
                        (layout::field_error(ctx, errors, &field(t, "until")))
                        input type="date" id=(field(t, "until")) name="until" class="short";
                    }
                    div class="field" {
                        label for=(field(t, "reasoning")) { (ctx.t("notices-reasoning")) }
                        (layout::field_error(ctx, errors, &field(t, "reasoning")))
                        textarea id=(field(t, "reasoning")) name="reasoning" rows="3" {}
                    }
                    button type="submit" class="button button-warning" { (ctx.t("notices-decision-send")) }
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Act {
    Recipient,
    Decision,
    Delivery,
}

async fn act(
    app: AppState,
    ctx: Ctx,
    (id, target): (String, String),
    form: FormFields,
    act: Act,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let (Ok(id), Ok(target)) = (RequestId::parse(&id), target.parse::<u32>()) else {
        return pages::not_found_page(&ctx);
    };
    let invalid =
        |name: &str, message: String| comity_app::Error::invalid("invalid_notice", name.to_owned(), message);
    let done = match act {
        Act::Recipient => match PersonNoticeChannel::parse(form.get("channel")) {
            None => Err(invalid("channel", ctx.t("notices-choose-channel"))),
            Some(channel) => {
                let address = Some(form.get("address").to_owned()).filter(|a| !a.trim().is_empty());
                let recipient =
                    NoticeRecipient { language: form.get("language").to_owned(), channel, address };
                app.app.set_notice_recipient(&caller, id, target, &recipient).await.map(drop)
            }
        },
        Act::Decision => match PersonNoticeStatus::parse(form.get("status")) {
            None => Err(invalid("status", ctx.t("notices-choose-status"))),
            Some(status) => {
                let until = form.get("until").trim();
                match (!until.is_empty()).then(|| until.parse::<chrono::NaiveDate>()).transpose() {
                    Err(_) => Err(invalid("until", ctx.t("notices-bad-date"))),
                    Ok(until) => {
                        let decision =
                            NoticeDecision { status, reasoning: form.get("reasoning").to_owned(), until };
                        app.app.decide_notice(&caller, id, target, &decision).await.map(drop)
                    }
                }
            }
        },
        Act::Delivery => {
            app.app.confirm_notice_delivery(&caller, id, target, form.get("reference")).await.map(drop)
        }
    };
    // Each problem beside its field in this target's form.
    let problems_of = |e: &comity_app::Error| pages::problems_in(&ctx, e, |path| field(target, path));
    pages::act_answered(&app, &ctx, &caller, id, "#notices", done, problems_of).await
}

/// `POST /requests/{id}/notices/{target}/recipient`: the provider says how the person is told.
pub async fn recipient(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String)>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    act(app, ctx, path, form, Act::Recipient).await
}

/// `POST /requests/{id}/notices/{target}/decision`: a reviewer delays or bars the notice.
pub async fn decision(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String)>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    act(app, ctx, path, form, Act::Decision).await
}

/// `POST /requests/{id}/notices/{target}/delivery`: the provider confirms the delivery.
pub async fn delivery(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String)>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    act(app, ctx, path, form, Act::Delivery).await
}
