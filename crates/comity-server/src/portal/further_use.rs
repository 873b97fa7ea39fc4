//! Purpose limitation and onward transfer in the portal (issue 15, item 2): the asks on a
//! request with their answers and uses; the authority's form to ask and to record a use
//! under a grant; the assigned reviewer's form to answer. Each post goes through the same
//! use case as the API (`comity_app::further_use`), which the policy decides.

use axum::{
    extract::{Path, State as AxumState},
    response::Response,
};
use comity_app::further_use::{FurtherUseAsk, FurtherUseOffers};
use comity_core::RequestId;
use comity_core::journal::FurtherUseKind;
use maud::{Markup, html};

use super::{
    Ctx,
    csrf::{FormFields, PageForm},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// The section of the request page: nothing where there is nothing to show or do.
pub fn section(ctx: &Ctx, id: RequestId, offers: &FurtherUseOffers, errors: &[FieldError]) -> Markup {
    if offers.asks.is_empty() && !offers.ask {
        return html! {};
    }
    html! {
        h2 id="further-use" { (ctx.t("further-title")) }
        p class="hint" { (ctx.t("further-intro")) }
        @for f in &offers.asks {
            div class="further-use" {
                h3 { (ctx.lang.t_with("further-ask", &[("n", f.asked.ask.into())])) " — " (ctx.t(match f.asked.kind {
                    FurtherUseKind::Purpose => "further-kind-purpose",
                    FurtherUseKind::Transfer => "further-kind-transfer",
                })) }
                dl {
                    dt { (ctx.t("further-purpose")) } dd { (f.asked.purpose) }
                    @if let Some(r) = &f.asked.recipient {
                        dt { (ctx.t("further-recipient")) } dd { (r.body) " (" (r.country) ")" }
                    }
                    dt { (ctx.t("further-reasons")) } dd { (f.asked.reasons) }
                    dt { (ctx.t("further-asked-at")) } dd { (layout::time(f.asked_at)) }
                    dt { (ctx.t("further-answer")) }
                    dd {
                        @match &f.decision {
                            None => { (ctx.t("further-pending")) }
                            Some(d) => {
                                strong { (ctx.t(if d.decision.granted { "further-granted" } else { "further-refused" })) }
                                " — " (d.decision.by) ", " (layout::time(d.at))
                                @if let Some(c) = &d.decision.conditions {
                                    br; (ctx.t("further-conditions")) " " (c)
                                }
                                br; (d.decision.reasoning)
                                br; a href={ "/v1/requests/" (id) "/further-use/" (f.asked.ask) "/answer" } download={ "further-use-" (id) "-" (f.asked.ask) ".txt" } {
                                    (ctx.t("further-signed"))
                                }
                            }
                        }
                    }
                    @for (used, at, _) in &f.uses {
                        dt { (ctx.t("further-used")) } dd { (layout::time(*at)) " — " (used.note) }
                    }
                }
            }
        }
        @if offers.decide {
            @if let Some(f) = offers.asks.iter().find(|f| f.decision.is_none()) {
                form method="post" action={ "/requests/" (id) "/further-use/" (f.asked.ask) "/decision" } class="action" {
                    h3 { (ctx.lang.t_with("further-decide-title", &[("n", f.asked.ask.into())])) }
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    fieldset id="answer" {
                        legend { (ctx.t("further-answer")) }
                        (layout::field_error(ctx, errors, "answer"))
                        div class="checkbox" {
                            input type="radio" id="answer-granted" name="answer" value="granted";
                            label for="answer-granted" { (ctx.t("further-grant")) }
                        }
                        div class="checkbox" {
                            input type="radio" id="answer-refused" name="answer" value="refused";
                            label for="answer-refused" { (ctx.t("further-refuse")) }
                        }
                    }
                    (text(ctx, errors, "conditions", "further-conditions-label", false))
                    (text(ctx, errors, "reasoning", "move-reason", true))
                    button type="submit" class="button" { (ctx.t("further-decide-send")) }
                }
            }
        }
        @let granted: Vec<u32> = offers.asks.iter()
            .filter(|f| f.decision.as_ref().is_some_and(|d| d.decision.granted))
            .map(|f| f.asked.ask)
            .collect();
        @if offers.record && !granted.is_empty() {
            form method="post" action={ "/requests/" (id) "/further-use/uses" } class="action" {
                h3 { (ctx.t("further-record-title")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                div class="field" {
                    label for="ask" { (ctx.t("further-record-ask")) }
                    (layout::field_error(ctx, errors, "ask"))
                    select id="ask" name="ask" {
                        @for n in &granted { option value=(n) { (ctx.lang.t_with("further-ask", &[("n", (*n).into())])) } }
                    }
                }
                (text(ctx, errors, "note", "further-note", false))
                button type="submit" class="button" { (ctx.t("further-record-send")) }
            }
        }
        @if offers.ask {
            form method="post" action={ "/requests/" (id) "/further-use" } class="action" {
                h3 { (ctx.t("further-ask-title")) }
                p class="hint" { (ctx.t("further-ask-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                fieldset id="kind" {
                    legend { (ctx.t("further-kind")) }
                    (layout::field_error(ctx, errors, "kind"))
                    div class="checkbox" {
                        input type="radio" id="kind-purpose" name="kind" value="purpose";
                        label for="kind-purpose" { (ctx.t("further-kind-purpose")) }
                    }
                    div class="checkbox" {
                        input type="radio" id="kind-transfer" name="kind" value="transfer";
                        label for="kind-transfer" { (ctx.t("further-kind-transfer")) }
                    }
                }
                (text(ctx, errors, "purpose", "further-purpose", false))
                div class="field" {
                    label for="recipient_country" { (ctx.t("further-recipient-country")) }
                    (layout::field_error(ctx, errors, "recipient_country"))
                    input type="text" id="recipient_country" name="recipient_country" class="short";
                }
                div class="field" {
                    label for="recipient_body" { (ctx.t("further-recipient-body")) }
                    (layout::field_error(ctx, errors, "recipient_body"))
                    input type="text" id="recipient_body" name="recipient_body";
                }
                (text(ctx, errors, "reasons", "further-reasons", true))
                button type="submit" class="button" { (ctx.t("further-ask-send")) }
            }
        }
    }
}

/// A text field whose id is its name, so that the error summary's link reaches it.
fn text(ctx: &Ctx, errors: &[FieldError], name: &str, label: &str, long: bool) -> Markup {
    html! {
        div class="field" {
            label for=(name) { (ctx.t(label)) }
            (layout::field_error(ctx, errors, name))
            @if long { textarea id=(name) name=(name) rows="3" {} } @else { input type="text" id=(name) name=(name); }
        }
    }
}

/// What each address does.
enum Act {
    Ask,
    Decide(String),
    Record,
}

async fn act(app: AppState, ctx: Ctx, id: String, form: FormFields, act: Act) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    let number = |ask: &str| {
        ask.parse::<u32>()
            .map_err(|_| comity_app::Error::NotFound(format!("request {id} has no ask {ask:?}")))
    };
    let done = match &act {
        Act::Ask => match FurtherUseKind::parse(form.get("kind")) {
            None => {
                Err(comity_app::Error::invalid("invalid_further_use", "kind", ctx.t("further-kind-choose")))
            }
            Some(kind) => {
                let (country, body) =
                    (form.get("recipient_country").trim(), form.get("recipient_body").trim());
                let recipient =
                    (!country.is_empty() || !body.is_empty()).then(|| (country.to_owned(), body.to_owned()));
                let ask = FurtherUseAsk {
                    kind,
                    purpose: form.get("purpose").to_owned(),
                    recipient,
                    reasons: form.get("reasons").to_owned(),
                };
                app.app.ask_further_use(&caller, id, ask).await.map(drop)
            }
        },
        Act::Decide(ask) => match (number(ask), form.get("answer")) {
            (Err(e), _) => Err(e),
            (Ok(ask), answer @ ("granted" | "refused")) => {
                let conditions = Some(form.get("conditions")).filter(|c| !c.trim().is_empty());
                app.app
                    .decide_further_use(
                        &caller,
                        id,
                        ask,
                        answer == "granted",
                        conditions,
                        form.get("reasoning"),
                    )
                    .await
                    .map(drop)
            }
            (Ok(_), _) => Err(comity_app::Error::invalid(
                "invalid_further_use",
                "answer",
                ctx.t("further-answer-choose"),
            )),
        },
        Act::Record => match number(form.get("ask")) {
            Err(e) => Err(e),
            Ok(ask) => app.app.record_further_use(&caller, id, ask, form.get("note")).await.map(drop),
        },
    };
    let default = match act {
        Act::Ask => "reasons",
        Act::Decide(_) => "reasoning",
        Act::Record => "note",
    };
    pages::act_answered(&app, &ctx, &caller, id, "#further-use", done, |e| pages::problems(&ctx, e, default))
        .await
}

/// `POST /requests/{id}/further-use`: the authority asks for a further use.
pub async fn ask(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    act(app, ctx, id, form, Act::Ask).await
}

/// `POST /requests/{id}/further-use/{ask}/decision`: the reviewer answers an ask.
pub async fn decide(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((id, ask)): Path<(String, String)>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    act(app, ctx, id, form, Act::Decide(ask)).await
}

/// `POST /requests/{id}/further-use/uses`: the authority records a use under a grant.
pub async fn record(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<FormFields>,
) -> Response {
    act(app, ctx, id, form, Act::Record).await
}
