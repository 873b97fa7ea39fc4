//! Remedies in the portal (issue 15, item 4): a request's remedy cases as they stand; the
//! form of the provider's legal team and of the assigned reviewer to open one; the legal
//! team's form to tell a person affected. The authority attests deletion of what a case
//! recalled with the attestation form of each production. Each post goes through the same
//! use case as the API (`comity_app::remedies`), which the policy decides.

use axum::{
    extract::{Path, State as AxumState},
    response::Response,
};
use comity_app::NoticeRecipient;
use comity_app::person_notices::LANGUAGES;
use comity_app::remedies::{OpenRemedy, RemedyCase, RemedyOffers};
use comity_core::{PersonNoticeChannel, RemedyGround, RequestId};
use maud::{Markup, html};

use super::{
    Ctx,
    csrf::{FormFields, PageForm},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// The grounds a party opens a case on: a withdrawal opens its own.
const GROUNDS: [RemedyGround; 4] = [
    RemedyGround::WrongAccount,
    RemedyGround::OutOfScope,
    RemedyGround::ThirdPartyUnmasked,
    RemedyGround::DecisionOverturned,
];

/// The section of the request page: nothing where there is nothing to show or do.
pub fn section(ctx: &Ctx, id: RequestId, offers: &RemedyOffers, errors: &[FieldError]) -> Markup {
    if offers.cases.is_empty() && !offers.open {
        return html! {};
    }
    html! {
        h2 id="remedies" { (ctx.t("remedy-title")) }
        p class="hint" { (ctx.t("remedy-intro")) }
        @for case in &offers.cases {
            (one(ctx, id, offers, case, errors))
        }
        @if offers.open {
            (open_form(ctx, id, offers, errors))
        }
    }
}

fn one(ctx: &Ctx, id: RequestId, offers: &RemedyOffers, case: &RemedyCase, errors: &[FieldError]) -> Markup {
    let o = &case.opened;
    let n = o.case;
    html! {
        div class="action" {
            h3 {
                (ctx.lang.t_with("remedy-case", &[("n", n.into())])) " — " (ctx.t(&format!("remedy-ground-{}", o.ground.as_str())))
                " " strong class="tag" { (ctx.t(&format!("remedy-status-{}", case.status()))) }
            }
            dl {
                dt { (ctx.t("remedy-opened")) }
                dd {
                    (layout::time(case.opened_at))
                    " — " (o.by.as_ref().map_or_else(|| ctx.t("remedy-by-comity"), ToString::to_string))
                    @if let Some(i) = case.log_index { " · " (ctx.t("notices-log-entry")) " " (i) }
                }
                dt { (ctx.t("remedy-description")) } dd { (o.description) }
                dt { (ctx.t("remedy-recall-due")) } dd { (layout::time(o.recall_due)) }
                @for p in &case.recalled {
                    dt { (ctx.t("remedy-recalled")) }
                    dd {
                        code { (p.id) } " — "
                        @match &p.attestation {
                            Some(a) => { (ctx.t("remedy-deleted")) " " (layout::time(a.disposed_at)) }
                            None => { (ctx.t("remedy-not-deleted")) }
                        }
                    }
                }
                @if let Some((met, at)) = &case.recall_met {
                    dt { (ctx.t("remedy-recall-met")) }
                    dd { (layout::time(*at)) @if met.late { " — " strong { (ctx.t("remedy-late")) } } }
                }
                @if o.correction {
                    dt { (ctx.t("remedy-correction")) }
                    dd {
                        @if case.corrections.is_empty() { (ctx.t("remedy-correction-due")) }
                        @for p in &case.corrections {
                            code { (p.id) } " (" (ctx.t(&format!("production-status-{}", p.status))) ") "
                        }
                    }
                }
                @for (t, at, _) in &case.persons_told {
                    dt { (ctx.lang.t_with("remedy-person", &[("n", t.person.into())])) }
                    dd {
                        (layout::time(*at)) " — " (ctx.t(&format!("notice-channel-{}", t.channel.as_str()))) " (" (t.language) ")"
                        @if offers.tell && t.channel == PersonNoticeChannel::Provider {
                            " · " a href={ "/v1/requests/" (id) "/remedies/" (n) "/persons/" (t.person) "/notice" } { (ctx.t("notices-text")) }
                        }
                    }
                }
            }
            @if offers.tell {
                (tell_form(ctx, id, n, errors))
            }
        }
    }
}

fn field(case: u32, name: &str) -> String {
    format!("remedy-{case}-{name}")
}

fn tell_form(ctx: &Ctx, id: RequestId, n: u32, errors: &[FieldError]) -> Markup {
    html! {
        form method="post" action={ "/requests/" (id) "/remedies/" (n) "/persons" } {
            h4 { (ctx.t("remedy-tell-title")) }
            p class="hint" { (ctx.t("remedy-tell-hint")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="field" {
                label for=(field(n, "language")) { (ctx.t("notices-language")) }
                (layout::field_error(ctx, errors, &field(n, "language")))
                select id=(field(n, "language")) name="language" {
                    @for l in LANGUAGES { option value=(l) { (ctx.t(&format!("notice-language-{l}"))) } }
                }
            }
            fieldset id=(field(n, "channel")) {
                legend { (ctx.t("notices-how")) }
                (layout::field_error(ctx, errors, &field(n, "channel")))
                @for c in PersonNoticeChannel::ALL {
                    div class="checkbox" {
                        input type="radio" id={ (field(n, "channel")) "-" (c.as_str()) } name="channel" value=(c.as_str());
                        label for={ (field(n, "channel")) "-" (c.as_str()) } { (ctx.t(&format!("notice-channel-{}", c.as_str()))) }
                    }
                }
            }
            div class="field" {
                label for=(field(n, "address")) { (ctx.t("notices-address")) }
                p class="hint" id={ (field(n, "address")) "-hint" } { (ctx.t("remedy-address-hint")) }
                (layout::field_error(ctx, errors, &field(n, "address")))
                input type="email" id=(field(n, "address")) name="address" aria-describedby={ (field(n, "address")) "-hint" };
            }
            button type="submit" class="button" { (ctx.t("remedy-tell-send")) }
        }
    }
}

fn open_form(ctx: &Ctx, id: RequestId, offers: &RemedyOffers, errors: &[FieldError]) -> Markup {
    html! {
        form method="post" action={ "/requests/" (id) "/remedies" } class="action" {
            h3 { (ctx.t("remedy-open-title")) }
            p class="hint" { (ctx.t("remedy-open-hint")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            fieldset id="ground" {
                legend { (ctx.t("remedy-ground")) }
                (layout::field_error(ctx, errors, "ground"))
                @for g in GROUNDS {
                    div class="checkbox" {
                        input type="radio" id={ "ground-" (g.as_str()) } name="ground" value=(g.as_str());
                        label for={ "ground-" (g.as_str()) } { (ctx.t(&format!("remedy-ground-{}", g.as_str()))) }
                    }
                }
            }
            fieldset id="productions" {
                legend { (ctx.t("remedy-productions")) }
                p class="hint" { (ctx.t("remedy-productions-hint")) }
                (layout::field_error(ctx, errors, "productions"))
                @for p in &offers.recallable {
                    div class="checkbox" {
                        input type="checkbox" id={ "recall-" (p) } name="productions" value=(p);
                        label for={ "recall-" (p) } { code { (p) } }
                    }
                }
            }
            fieldset id="correction" {
                legend { (ctx.t("remedy-correction")) }
                (layout::field_error(ctx, errors, "correction"))
                div class="checkbox" {
                    input type="checkbox" id="correction-owed" name="correction" value="true";
                    label for="correction-owed" { (ctx.t("remedy-correction-owed")) }
                }
            }
            div class="field" {
                label for="description" { (ctx.t("remedy-description")) }
                p class="hint" id="description-hint" { (ctx.t("remedy-description-hint")) }
                (layout::field_error(ctx, errors, "description"))
                textarea id="description" name="description" rows="3" aria-describedby="description-hint" {}
            }
            button type="submit" class="button button-warning" { (ctx.t("remedy-open-send")) }
        }
    }
}

/// `POST /requests/{id}/remedies`: the provider or the reviewer opens a case.
pub async fn open(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    let done = match RemedyGround::parse(form.get("ground")).filter(|g| GROUNDS.contains(g)) {
        // Checkboxes a browser sends only when ticked: `correction=true`.
        None => Err(comity_app::Error::invalid("invalid_remedy", "ground", ctx.t("remedy-ground-choose"))),
        Some(ground) => {
            let open = OpenRemedy {
                ground,
                productions: form.all("productions").into_iter().map(str::to_owned).collect(),
                correction: form.get("correction") == "true",
                description: form.get("description").to_owned(),
            };
            app.app.open_remedy(&caller, id, open).await.map(drop)
        }
    };
    pages::act_answered(&app, &ctx, &caller, id, "#remedies", done, |e| {
        pages::problems(&ctx, e, "description")
    })
    .await
}

/// `POST /requests/{id}/remedies/{case}/persons`: the provider tells a person affected.
pub async fn tell(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((id, case)): Path<(String, String)>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let (Ok(id), Ok(case)) = (RequestId::parse(&id), case.parse::<u32>()) else {
        return pages::not_found_page(&ctx);
    };
    let done = match PersonNoticeChannel::parse(form.get("channel")) {
        None => Err(comity_app::Error::invalid(
            "invalid_notice_recipient",
            "channel",
            ctx.t("remedy-channel-choose"),
        )),
        Some(channel) => {
            let address = Some(form.get("address").to_owned()).filter(|a| !a.trim().is_empty());
            let recipient = NoticeRecipient { language: form.get("language").to_owned(), channel, address };
            app.app.tell_remedy_person(&caller, id, case, &recipient).await.map(drop)
        }
    };
    // Each field is named by its case on the page, so that the error sits beside it.
    let problems_of = |e: &comity_app::Error| pages::problems_in(&ctx, e, |path| field(case, path));
    pages::act_answered(&app, &ctx, &caller, id, "#remedies", done, problems_of).await
}
