//! Evaluation cycles (issue 16, item 6): `/evaluations?year=2027`, each issuing authority's
//! and each State's compliance score over a year, with each component of the published
//! formula, for those who may read the aggregates; an authority's people see their own
//! authority's only. The figures are `GET /v1/evaluations`'s (`comity_app::evaluation`).

use axum::{
    extract::{Query, State as AxumState},
    http::StatusCode,
    response::Response,
};
use chrono::{Datelike, Utc};
use comity_app::evaluation::Scope;
use comity_core::{Role, evaluation::Component};
use comity_wire::evaluation::{EvaluationResource, EvaluationsResource};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    year: Option<String>,
}

/// `/evaluations?year=2027`: the year's evaluations; by default, this year's so far.
pub async fn page(AxumState(app): AxumState<AppState>, ctx: Ctx, Query(query): Query<PageQuery>) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let now = Utc::now();
    let asked = query.year.as_deref().map(str::trim).filter(|y| !y.is_empty());
    let title = ctx.t("evaluations-title");
    let year = match asked.map(str::parse::<i32>) {
        None => Ok(now.year()),
        Some(Ok(y)) if comity_app::statistics::YEARS.contains(&y) => Ok(y),
        Some(_) => Err(FieldError { field: "year".into(), message: ctx.t("evaluations-bad-year") }),
    };
    let year = match year {
        Ok(y) => y,
        Err(error) => {
            let errors = [error];
            let body = html! {
                h1 { (title) }
                (layout::error_summary(&ctx, &errors, None))
                (year_form(&ctx, asked.unwrap_or(""), &errors))
            };
            return layout::page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &title, body);
        }
    };
    let evaluations = match app.app.evaluations(&caller, year, &Scope::All, now).await {
        Ok(e) => e.resource(),
        Err(e) => return pages::error_page(&ctx, &e),
    };
    // The operator's party pages are its admins'.
    let links = caller.principal.role == Role::Admin;
    // An authority's people see their own figures only (`App::evaluations`).
    let own = caller.principal.role == Role::Requester;
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t("evaluations-lead")) }
        @if own { p { (ctx.t("evaluations-own")) } }
        (year_form(&ctx, &year.to_string(), &[]))
        p {
            (ctx.lang.t_with("evaluations-cycle", &[
                ("from", evaluations.from.format("%Y-%m-%d").to_string().into()),
                ("to", evaluations.to.format("%Y-%m-%d").to_string().into()),
            ]))
            " " (layout::time(evaluations.at))
        }
        (table(&ctx, "authorities", &evaluations.authorities, links))
        @if !own { (table(&ctx, "states", &evaluations.states, false)) }
        (formula(&ctx, &evaluations))
        p {
            a href={ "/v1/evaluations?year=" (year) } { (ctx.t("evaluations-json")) }
        }
    };
    layout::page(&ctx, StatusCode::OK, &title, body)
}

/// The form that picks the year: a read, so a `GET`.
fn year_form(ctx: &Ctx, year: &str, errors: &[FieldError]) -> Markup {
    let invalid = errors.iter().any(|e| e.field == "year");
    html! {
        form method="get" action="/evaluations" class="action" {
            div class="field" {
                label for="year" { (ctx.t("evaluations-year")) }
                (layout::field_error(ctx, errors, "year"))
                input type="number" id="year" name="year" min="2000" max="9998" value=(year) class="short"
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[invalid.then_some("year-error")];
            }
            button type="submit" class="button" { (ctx.t("evaluations-show")) }
        }
    }
}

/// A number with the language's decimal separator.
fn decimal(ctx: &Ctx, value: f64, places: usize) -> String {
    let text = format!("{value:.places$}");
    if ctx.lang.tag() == "fr" { text.replace('.', ",") } else { text }
}

/// A table of evaluations, one row each, with the score and each component's share.
fn table(ctx: &Ctx, which: &str, list: &[EvaluationResource], links: bool) -> Markup {
    let heading = ctx.t(&format!("evaluations-{which}"));
    let id = format!("evaluations-{which}");
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) { (heading) }
            div class="table-scroll" role="region" tabindex="0" aria-label=(heading) {
                table {
                    caption class="visually-hidden" { (heading) }
                    thead {
                        tr {
                            th scope="col" { (ctx.t(if which == "states" { "evaluations-col-country" } else { "evaluations-col-authority" })) }
                            th scope="col" class="numeric" { (ctx.t("evaluations-col-requests")) }
                            th scope="col" class="numeric" { (ctx.t("evaluations-col-score")) }
                            @for c in Component::ALL {
                                th scope="col" class="numeric" { (ctx.t(&format!("evaluations-component-{c}"))) }
                            }
                            th scope="col" class="numeric" { (ctx.t("evaluations-col-late-attestations")) }
                        }
                    }
                    tbody {
                        @for e in list {
                            tr {
                                th scope="row" {
                                    @match (&e.authority, links) {
                                        (Some(a), true) => a href={ "/operator/party/" (a) } { (a) },
                                        (Some(a), false) => (a),
                                        (None, _) => (e.country),
                                    }
                                    @if e.authority.is_some() { " (" (e.country) ")" }
                                }
                                td class="numeric" { (e.figures.requests) }
                                td class="numeric" {
                                    @match e.score {
                                        Some(s) => strong { (decimal(ctx, s, 2)) },
                                        None => (ctx.t("evaluations-no-score")),
                                    }
                                }
                                @for c in &e.components {
                                    td class="numeric" {
                                        @match c.share {
                                            Some(share) => { (c.good) "/" (c.of) " (" (decimal(ctx, share * 100.0, 0)) " %)" }
                                            None => (ctx.t("evaluations-no-denominator")),
                                        }
                                    }
                                }
                                td class="numeric" { (e.figures.late_attestations) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The formula, stated: its version, the line, and each component with its weight.
fn formula(ctx: &Ctx, evaluations: &EvaluationsResource) -> Markup {
    html! {
        section aria-labelledby="evaluations-formula" {
            h2 id="evaluations-formula" { (ctx.t("evaluations-formula-title")) }
            p { (ctx.lang.t_with("evaluations-formula-version", &[("version", evaluations.formula.version.clone().into())])) }
            p { (ctx.t("evaluations-formula")) }
            table {
                caption class="visually-hidden" { (ctx.t("evaluations-formula-title")) }
                thead {
                    tr {
                        th scope="col" { (ctx.t("evaluations-col-component")) }
                        th scope="col" class="numeric" { (ctx.t("evaluations-col-weight")) }
                        th scope="col" { (ctx.t("evaluations-col-measure")) }
                    }
                }
                tbody {
                    @for c in Component::ALL {
                        tr {
                            th scope="row" { (ctx.t(&format!("evaluations-component-{c}"))) }
                            td class="numeric" { (c.weight()) }
                            td { (ctx.t(&format!("evaluations-component-{c}-measure"))) }
                        }
                    }
                }
            }
            p class="hint" { (ctx.t("evaluations-owed")) }
        }
    }
}
