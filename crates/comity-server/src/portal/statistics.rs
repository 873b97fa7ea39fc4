//! The e-Evidence statistics of Regulation (EU) 2023/1543 Art 28 on a page (issue 16, item
//! 5): `/statistics/e-evidence?authority=&year=&as=`, for an authority's own people, who
//! see their own, and for whoever may read the aggregates (auditors, the operator), who
//! choose the authority. The figures are `GET /v1/statistics/e-evidence`'s
//! (`comity_app::statistics`), with the day they are due to the Commission and how far off
//! it is.

use std::collections::BTreeMap;

use axum::{
    extract::{Query, State as AxumState},
    http::StatusCode,
    response::Response,
};
use chrono::{Datelike, NaiveDate, Utc};
use comity_app::statistics::{Art28, Role};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct StatisticsQuery {
    authority: Option<String>,
    year: Option<String>,
    #[serde(rename = "as")]
    role: Option<String>,
}

/// The year shown unless one is asked: the one whose statistics are due next (until 31
/// March, last year's).
fn default_year(today: NaiveDate) -> i32 {
    if (today.month(), today.day()) <= (3, 31) { today.year() - 1 } else { today.year() }
}

/// `/statistics/e-evidence`: Art 28's figures of an authority and a year.
pub async fn page(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Query(query): Query<StatisticsQuery>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let today = Utc::now().date_naive();
    let authority = query
        .authority
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map_or_else(|| caller.org().to_string(), str::to_owned);
    let year_text = query.year.as_deref().map(str::trim).filter(|y| !y.is_empty()).map(str::to_owned);
    let role = if query.role.as_deref() == Some("enforcing") { Role::Enforcing } else { Role::Issuing };
    let mut errors = Vec::new();
    let year = match &year_text {
        None => default_year(today),
        Some(y) => y.parse::<i32>().unwrap_or_else(|_| {
            errors.push(FieldError { field: "year".into(), message: ctx.t("art28-bad-year") });
            default_year(today)
        }),
    };
    let mut general = None;
    let stats = if errors.is_empty() {
        match app.app.art28_statistics(&caller, &authority, role, year).await {
            Ok(s) => Some(s),
            Err(e @ comity_app::Error::Forbidden(_)) => return pages::error_page(&ctx, &e),
            Err(e) => {
                let (fields, other) = pages::problems_in(&ctx, &e, str::to_owned);
                errors.extend(fields);
                general = other;
                None
            }
        }
    } else {
        None
    };
    let title = ctx.t("art28-title");
    let status = if errors.is_empty() && general.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let year_value = year_text.unwrap_or_else(|| year.to_string());
    let body = html! {
        (layout::error_summary(&ctx, &errors, general.as_deref()))
        p { a href="/" class="back" { (ctx.t("back-home")) } }
        h1 { (title) }
        p class="lead" { (ctx.t("art28-lead")) }
        form method="get" action="/statistics/e-evidence" class="action" {
            div class="field" {
                label for="authority" { (ctx.t("art28-authority")) }
                (layout::field_error(&ctx, &errors, "authority"))
                input type="text" id="authority" name="authority" value=(authority) autocomplete="off";
            }
            div class="field" {
                label for="year" { (ctx.t("art28-year")) }
                (layout::field_error(&ctx, &errors, "year"))
                input type="number" id="year" name="year" min="2000" max="9998" value=(year_value) class="short";
            }
            div class="field" {
                label for="as" { (ctx.t("art28-role")) }
                select id="as" name="as" {
                    option value="issuing" selected[role == Role::Issuing] { (ctx.t("art28-role-issuing")) }
                    option value="enforcing" selected[role == Role::Enforcing] { (ctx.t("art28-role-enforcing")) }
                }
            }
            button type="submit" class="button" { (ctx.t("art28-show")) }
        }
        @if let Some(s) = &stats {
            (figures(&ctx, s, today))
        }
    };
    layout::page(&ctx, status, &title, body)
}

fn figures(ctx: &Ctx, s: &Art28, today: NaiveDate) -> Markup {
    let days = (s.due - today).num_days();
    let due = s.due.format("%Y-%m-%d").to_string();
    html! {
        p class={ "due" @if days < 0 { " overdue" } } {
            @if days >= 0 {
                (ctx.lang.t_with("art28-due", &[("date", due.into()), ("days", days.into())]))
            } @else {
                (ctx.lang.t_with("art28-due-passed", &[("date", due.into())]))
            }
        }
        h2 { (ctx.t("art28-orders")) }
        table {
            caption class="visually-hidden" { (ctx.t("art28-orders")) }
            tbody {
                @for (key, n) in [
                    ("art28-emergency", s.emergency),
                    ("art28-executed", s.executed),
                    ("art28-not-executed", s.not_executed),
                    ("art28-open", s.open),
                    ("art28-notifications", s.notifications),
                ] {
                    tr { th scope="row" { (ctx.t(key)) } td class="numeric" { (n) } }
                }
                tr {
                    th scope="row" { (ctx.t("art28-average-days")) }
                    td class="numeric" {
                        @match s.average_days_to_data {
                            Some(d) => { (format!("{d:.1}")) }
                            None => { (ctx.t("art28-none-yet")) }
                        }
                    }
                }
            }
        }
        (table(ctx, "art28-by-type", &s.by_type, |k| ctx.t(&format!("art28-type-{k}"))))
        (table(ctx, "art28-by-category", &s.by_data_category, |k| {
            if k == "unknown" { ctx.t("art28-category-unknown") } else { ctx.t(&format!("category-{k}")) }
        }))
        (table(ctx, "art28-by-addressee", &s.by_addressee, str::to_owned))
        (table(ctx, "art28-by-ground", &s.refusals_by_ground, str::to_owned))
        p class="hint" { (ctx.t("art28-api")) }
    }
}

/// One breakdown as a table, or a line saying there is none.
fn table(ctx: &Ctx, title: &str, rows: &BTreeMap<String, u64>, label: impl Fn(&str) -> String) -> Markup {
    html! {
        h2 { (ctx.t(title)) }
        @if rows.is_empty() {
            p { (ctx.t("art28-none")) }
        } @else {
            table {
                caption class="visually-hidden" { (ctx.t(title)) }
                thead { tr { th scope="col" { (ctx.t("transparency-col-value")) } th scope="col" class="numeric" { (ctx.t("art28-col-orders")) } } }
                tbody {
                    @for (k, n) in rows {
                        tr { th scope="row" { (label(k)) } td class="numeric" { (n) } }
                    }
                }
            }
        }
    }
}
