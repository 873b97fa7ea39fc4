//! The acts on a request beside its moves (issue 13's acts in the portal, issue 14): who
//! reviews it, and the provider's objection to a body for a conflict of interest; the
//! authority's extension of a preservation (Regulation (EU) 2023/1543 Art 11(1)); the
//! enforcing authority's grounds for refusal (Art 12(1)); the provider's objection for
//! conflicting obligations (Art 17). Each form is offered only when `App::offers` says the
//! policy and the clocks allow it, and each post goes through the same use case as the API.

use axum::{
    extract::{Path, State as AxumState},
    response::Response,
};
use comity_app::Offers;
use comity_core::RequestId;
use maud::{Markup, html};

use super::{
    Ctx,
    csrf::{FormFields, PageForm},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// Who reviews the request, and the forms of the acts the person may do.
pub fn section(ctx: &Ctx, id: RequestId, offers: &Offers, errors: &[FieldError]) -> Markup {
    html! {
        h2 { (ctx.t("acts-reviewers")) }
        @if offers.reviewers.is_empty() {
            p { (ctx.t("acts-no-reviewer")) }
        } @else {
            ul { @for r in &offers.reviewers { li { (r) } } }
        }
        @if offers.object_to_reviewer {
            form method="post" action={ "/requests/" (id) "/objections" } class="action" {
                h3 { (ctx.t("acts-object-title")) }
                p class="hint" { (ctx.t("acts-object-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                div class="field" {
                    label for="object-reviewer" { (ctx.t("acts-object-reviewer")) }
                    select id="object-reviewer" name="reviewer" {
                        @for r in &offers.reviewers { option value=(r) { (r) } }
                    }
                }
                (reason(ctx, errors, "object-grounds", "grounds", "acts-object-grounds"))
                button type="submit" class="button button-warning" { (ctx.t("acts-object-send")) }
            }
        }
        @if offers.extend_preservation {
            form method="post" action={ "/requests/" (id) "/extension" } class="action" {
                h3 { (ctx.t("acts-extend-title")) }
                p class="hint" { (ctx.t("acts-extend-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                (reason(ctx, errors, "extend-reason", "reason", "move-reason"))
                button type="submit" class="button" { (ctx.t("acts-extend-send")) }
            }
        }
        @if let Some(grounds) = &offers.refusal_grounds {
            form method="post" action={ "/requests/" (id) "/grounds" } class="action" {
                h3 { (ctx.t("acts-grounds-title")) }
                p class="hint" { (ctx.t("acts-grounds-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                fieldset id="grounds" {
                    legend { (ctx.t("decision-grounds")) }
                    (layout::field_error(ctx, errors, "grounds"))
                    @for g in grounds {
                        div class="checkbox" {
                            input type="checkbox" id={ "refusal-" (g.id) } name="grounds" value=(g.id);
                            label for={ "refusal-" (g.id) } { (g.text) " " span class="citation" { (g.citation) } }
                        }
                    }
                }
                (reason(ctx, errors, "grounds-reasoning", "reasoning", "move-reason"))
                button type="submit" class="button button-warning" { (ctx.t("acts-grounds-send")) }
            }
        }
        @if offers.decide_conflict {
            form method="post" action={ "/requests/" (id) "/conflict/decision" } class="action" {
                h3 { (ctx.t("acts-decide-title")) }
                p class="hint" { (ctx.t("acts-decide-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                fieldset {
                    legend { (ctx.t("acts-decide-outcome")) }
                    (layout::field_error(ctx, errors, "upheld"))
                    div class="checkbox" {
                        input type="radio" id="conflict-upheld" name="upheld" value="true";
                        label for="conflict-upheld" { (ctx.t("acts-decide-upheld")) }
                    }
                    div class="checkbox" {
                        input type="radio" id="conflict-dismissed" name="upheld" value="false";
                        label for="conflict-dismissed" { (ctx.t("acts-decide-dismissed")) }
                    }
                }
                (reason(ctx, errors, "decide-reasoning", "reasoning", "move-reason"))
                button type="submit" class="button" { (ctx.t("acts-decide-send")) }
            }
        }
        @if offers.object_conflict {
            form method="post" action={ "/requests/" (id) "/conflict" } class="action" {
                h3 { (ctx.t("acts-conflict-title")) }
                p class="hint" { (ctx.t("acts-conflict-hint")) }
                input type="hidden" name="csrf" value=(ctx.csrf);
                div class="field" {
                    label for="conflict-country" { (ctx.t("acts-conflict-country")) }
                    (layout::field_error(ctx, errors, "third_country"))
                    input type="text" id="conflict-country" name="third_country" class="short";
                }
                div class="field" {
                    label for="conflict-law" { (ctx.t("acts-conflict-law")) }
                    (layout::field_error(ctx, errors, "law"))
                    input type="text" id="conflict-law" name="law";
                }
                (reason(ctx, errors, "conflict-reasoning", "reasoning", "acts-conflict-reasoning"))
                button type="submit" class="button button-warning" { (ctx.t("acts-conflict-send")) }
            }
        }
    }
}

fn reason(ctx: &Ctx, errors: &[FieldError], id: &str, name: &str, label: &str) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (ctx.t(label)) }
            (layout::field_error(ctx, errors, name))
            textarea id=(id) name=(name) rows="3" {}
        }
    }
}

/// An act's form as posted.
pub type ActForm = FormFields;

/// The act each address makes.
#[derive(Debug, Clone, Copy)]
enum Act {
    Object,
    Extend,
    Grounds,
    Conflict,
    Decide,
}

async fn act(app: AppState, ctx: Ctx, id: String, form: ActForm, act: Act) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    let done = match act {
        Act::Object => {
            app.app.object_to_reviewer(&caller, id, form.get("reviewer"), form.get("grounds")).await.map(drop)
        }
        Act::Extend => app.app.extend_preservation(&caller, id, form.get("reason")).await.map(drop),
        Act::Grounds => app
            .app
            .raise_grounds(
                &caller,
                id,
                &form.all("grounds").into_iter().map(str::to_owned).collect::<Vec<_>>(),
                form.get("reasoning"),
            )
            .await
            .map(drop),
        Act::Conflict => app
            .app
            .object_conflict(&caller, id, form.get("third_country"), form.get("law"), form.get("reasoning"))
            .await
            .map(drop),
        Act::Decide => match form.get("upheld") {
            "true" | "false" => app
                .app
                .decide_conflict(&caller, id, form.get("upheld") == "true", form.get("reasoning"))
                .await
                .map(drop),
            _ => Err(comity_app::Error::invalid("invalid_decision", "upheld", ctx.t("acts-decide-choose"))),
        },
    };
    let default = match act {
        Act::Object => "grounds",
        Act::Extend => "reason",
        Act::Grounds | Act::Conflict | Act::Decide => "reasoning",
    };
    pages::act_answered(&app, &ctx, &caller, id, "", done, |e| pages::problems(&ctx, e, default)).await
}

/// `POST /requests/{id}/objections`: the provider objects to an assigned reviewer body.
pub async fn object(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActForm>,
) -> Response {
    act(app, ctx, id, form, Act::Object).await
}

/// `POST /requests/{id}/extension`: the authority extends the preservation.
pub async fn extend(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActForm>,
) -> Response {
    act(app, ctx, id, form, Act::Extend).await
}

/// `POST /requests/{id}/grounds`: the enforcing authority raises grounds for refusal.
pub async fn grounds(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActForm>,
) -> Response {
    act(app, ctx, id, form, Act::Grounds).await
}

/// `POST /requests/{id}/conflict`: the provider objects for conflicting obligations.
pub async fn conflict(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActForm>,
) -> Response {
    act(app, ctx, id, form, Act::Conflict).await
}

/// `POST /requests/{id}/conflict/decision`: the objection for conflicting obligations decided.
pub async fn decide(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActForm>,
) -> Response {
    act(app, ctx, id, form, Act::Decide).await
}
