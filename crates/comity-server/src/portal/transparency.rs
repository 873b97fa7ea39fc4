//! The public transparency report (issue 16): `/transparency`, for anyone, without signing
//! in. Each breakdown is a bar chart drawn on the server as SVG (`role="img"`, with a title
//! and a description that states every figure), followed by the table behind it. The
//! figures are `GET /v1/transparency`'s, which anyone can recompute from the public log;
//! the page says how.

use axum::{
    extract::{Query, State as AxumState},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::{Datelike, NaiveDate, Utc};
use comity_wire::transparency::{BreakdownResource, TransparencyReport};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    layout::{self, FieldError},
    pages,
};
use crate::AppState;
use crate::transparency::{ReportQuery, report};

/// The period asked for, as a form gives it: days, and a country.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    from: Option<String>,
    to: Option<String>,
    country: Option<String>,
}

/// The width of the widest bar, in the SVG's units.
const BAR_WIDTH: u64 = 460;

/// `/transparency?from=2027-01-01&to=2027-07-01&country=FR`: the report of the requests
/// received from the first day to the last (included); by default, this year so far.
pub async fn page(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let today = Utc::now().date_naive();
    let mut errors = Vec::new();
    let mut day = |field: &str, given: Option<&str>, default: NaiveDate| -> NaiveDate {
        match given.map(str::trim).filter(|d| !d.is_empty()) {
            None => default,
            Some(d) => d.parse::<NaiveDate>().unwrap_or_else(|_| {
                errors.push(FieldError { field: field.to_owned(), message: ctx.t("transparency-bad-day") });
                default
            }),
        }
    };
    let first = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let from = day("from", query.from.as_deref(), first);
    let last = day("to", query.to.as_deref(), today);
    if errors.is_empty() && last < from {
        errors.push(FieldError { field: "to".into(), message: ctx.t("transparency-bad-period") });
    }
    let country = query.country.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_uppercase);
    let title = ctx.t("transparency-title");
    let mut general = None;
    let computed = if errors.is_empty() {
        let q = ReportQuery {
            from: from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            to: last.succ_opt().unwrap_or(last).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            country: country.clone(),
        };
        match report(&app, &q).await {
            Ok(r) => Some(r),
            Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
                let message =
                    e.details().first().map_or_else(|| e.message().to_owned(), |p| p.message.clone());
                errors.push(FieldError { field: "country".into(), message });
                None
            }
            Err(e) => {
                general = Some(e.message().to_owned());
                None
            }
        }
    } else {
        None
    };
    let base = pages::base_url(&app, &headers);
    let status = if general.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = html! {
        (layout::error_summary(&ctx, &errors, general.as_deref()))
        h1 { (title) }
        p class="lead" { (ctx.t("transparency-lead")) }
        (form(&ctx, &from.to_string(), &last.to_string(), country.as_deref().unwrap_or(""), &errors))
        @if let Some(r) = &computed {
            (report_body(&ctx, r, &base))
        }
        (releases(&ctx, app.app.private_releases().await.ok().as_ref()))
        p { a href="/statistics/e-evidence" { (ctx.t("art28-link")) } }
    };
    layout::page(&ctx, status, &title, body)
}

/// The differential-privacy releases of the fine breakdown, each linked to its page.
fn releases(ctx: &Ctx, budget: Option<&comity_app::privacy::Budget>) -> Markup {
    html! {
        h2 id="releases" { (ctx.t("release-heading")) }
        p { (ctx.t("release-lead")) }
        @if let Some(budget) = budget {
            p class="hint" { (ctx.lang.t_with("release-budget", &[("budget", budget.budget.to_string().into())])) }
            @if budget.releases.is_empty() {
                p { (ctx.t("release-none")) }
            } @else {
                table {
                    caption class="visually-hidden" { (ctx.t("release-heading")) }
                    thead { tr {
                        th scope="col" { (ctx.t("release-col-number")) }
                        th scope="col" { (ctx.t("release-col-period")) }
                        th scope="col" class="numeric" { (ctx.t("release-col-epsilon")) }
                        th scope="col" class="numeric" { (ctx.t("release-col-scale")) }
                        th scope="col" class="numeric" { (ctx.t("release-col-margin")) }
                    } }
                    tbody {
                        @for r in budget.releases.iter().rev() {
                            tr {
                                th scope="row" { a href={ "/transparency/releases/" (r.release.number) } { (ctx.lang.t_with("release-name", &[("number", r.release.number.into())])) } }
                                td { (period_text(r.release.from, r.release.to)) }
                                td class="numeric" { (r.release.epsilon.to_string()) }
                                td class="numeric" { (r.release.scale.0) }
                                td class="numeric" { "±" (r.margin) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A period `[from, to)` as its first and last days.
fn period_text(from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>) -> String {
    let last = if to.time() == chrono::NaiveTime::MIN { to - chrono::Duration::days(1) } else { to };
    format!("{} – {}", from.format("%Y-%m-%d"), last.format("%Y-%m-%d"))
}

/// `/transparency/releases/{number}`: one release, every cell with its noise's scale and
/// margin beside it.
pub async fn release_page(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    axum::extract::Path(number): axum::extract::Path<String>,
) -> Response {
    let found = match number.trim().parse::<u32>() {
        Ok(n) => app.app.private_release(n).await.ok(),
        Err(_) => None,
    };
    let Some(r) = found else {
        let title = ctx.t("release-not-found");
        let body = html! {
            h1 { (title) }
            p { a href="/transparency#releases" { (ctx.t("release-back")) } }
        };
        return layout::page(&ctx, StatusCode::NOT_FOUND, &title, body);
    };
    let resource = crate::transparency::release_resource(&r);
    let title = ctx.lang.t_with("release-name", &[("number", resource.number.into())]);
    let category =
        |c: &str| if c == "none" { ctx.t("release-category-none") } else { ctx.t(&format!("category-{c}")) };
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.lang.t_with("release-period", &[("period", period_text(resource.from, resource.to).into())])) }
        dl class="facts" {
            dt { (ctx.t("release-col-epsilon")) } dd { (r.release.epsilon.to_string()) }
            dt { (ctx.t("release-budget-label")) } dd { (r.release.budget.to_string()) }
            dt { (ctx.t("release-col-scale")) } dd { (resource.scale) }
            dt { (ctx.t("release-col-margin")) } dd { "±" (resource.margin_95) }
            dt { (ctx.t("release-released")) } dd { (resource.released_at.format("%Y-%m-%d %H:%M UTC")) }
        }
        p { (ctx.lang.t_with("release-how", &[("sensitivity", resource.sensitivity.into()), ("scale", resource.scale.to_string().into()), ("margin", resource.margin_95.into())])) }
        ul {
            li { a href={ "/v1/transparency/releases/" (resource.number) } { (ctx.t("release-json")) } }
            li { a href={ "/v1/transparency/releases/" (resource.number) "/cells.csv" } download { (ctx.t("release-csv")) } }
        }
        table {
            caption { (ctx.t("release-cells")) }
            thead { tr {
                th scope="col" { (ctx.t("release-col-country")) }
                th scope="col" { (ctx.t("release-col-category")) }
                th scope="col" { (ctx.t("release-col-outcome")) }
                th scope="col" class="numeric" { (ctx.t("release-col-requests")) }
                th scope="col" class="numeric" { (ctx.t("release-col-scale")) }
                th scope="col" class="numeric" { (ctx.t("release-col-margin")) }
            } }
            tbody {
                @for c in &resource.cells {
                    tr {
                        th scope="row" { (c.country) }
                        td { (category(&c.data_category)) }
                        td { (ctx.t(&format!("transparency-outcome-{}", c.outcome))) }
                        td class="numeric" { (c.requests) }
                        td class="numeric" { (c.scale) }
                        td class="numeric" { "±" (c.margin_95) }
                    }
                }
            }
        }
        p { a href="/transparency#releases" { (ctx.t("release-back")) } }
    };
    layout::page(&ctx, StatusCode::OK, &title, body)
}

fn form(ctx: &Ctx, from: &str, to: &str, country: &str, errors: &[FieldError]) -> Markup {
    html! {
        form method="get" action="/transparency" class="action" {
            div class="field" {
                label for="from" { (ctx.t("transparency-from")) }
                (layout::field_error(ctx, errors, "from"))
                input type="date" id="from" name="from" value=(from) class="short";
            }
            div class="field" {
                label for="to" { (ctx.t("transparency-to")) }
                (layout::field_error(ctx, errors, "to"))
                input type="date" id="to" name="to" value=(to) class="short";
            }
            div class="field" {
                label for="country" { (ctx.t("transparency-country")) }
                p class="hint" id="country-hint" { (ctx.t("transparency-country-hint")) }
                (layout::field_error(ctx, errors, "country"))
                input type="text" id="country" name="country" value=(country) class="short" maxlength="2"
                    autocomplete="off" aria-describedby="country-hint";
            }
            button type="submit" class="button" { (ctx.t("transparency-show")) }
        }
    }
}

fn report_body(ctx: &Ctx, r: &TransparencyReport, base: &str) -> Markup {
    let t = &r.totals;
    let query = format!(
        "from={}&to={}{}",
        r.from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        r.to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        r.country.as_ref().map(|c| format!("&country={c}")).unwrap_or_default()
    );
    html! {
        h2 id="totals" { (ctx.t("transparency-totals")) }
        table {
            caption class="visually-hidden" { (ctx.t("transparency-totals")) }
            tbody {
                @for (key, n) in [
                    ("requests", t.requests), ("accounts", t.accounts), ("emergency", t.emergency),
                    ("nondisclosure", t.nondisclosure), ("clarifications", t.clarifications),
                    ("notices_sent", t.notices_sent), ("notices_delayed", t.notices_delayed),
                    ("notices_barred", t.notices_barred), ("remedies", t.remedies),
                ] {
                    tr { th scope="row" { (ctx.t(&format!("transparency-total-{key}"))) } td class="numeric" { (n) } }
                }
                @if r.unclassified > 0 {
                    tr { th scope="row" { (ctx.t("transparency-total-unclassified")) } td class="numeric" { (r.unclassified) } }
                }
            }
        }
        @if r.suppress_below > 1 {
            p class="hint" { (ctx.lang.t_with("transparency-suppressed-note", &[("k", r.suppress_below.into())])) }
        }
        @for (n, b) in r.breakdowns.iter().enumerate() {
            (breakdown(ctx, n, b))
        }
        h2 id="national-security" { (ctx.t("transparency-ns")) }
        p {
            @match &r.national_security.requests {
                Some(band) => { (ctx.lang.t_with("transparency-ns-band", &[("band", band.clone().into()), ("width", r.national_security.band.into())])) }
                None => { (ctx.lang.t_with("transparency-ns-withheld", &[("date", r.national_security.available_from.format("%Y-%m-%d").to_string().into())])) }
            }
        }
        p class="hint" { (ctx.t("transparency-ns-why")) }
        h2 id="verify" { (ctx.t("transparency-verify")) }
        p { (ctx.lang.t_with("transparency-verify-how", &[("size", r.log_size.into())])) }
        ul {
            li { a href={ "/v1/transparency?" (query) } { (ctx.t("transparency-json")) } }
            li { a href={ "/v1/transparency.csv?" (query) } download { (ctx.t("transparency-csv")) } }
            li { a href="/v1/schemas/transparency-report" { (ctx.t("transparency-schema")) } }
        }
        pre class="command" {
            "curl -o report.json '" (base) "/v1/transparency?" (query) "'\n"
            "comity transparency verify --url " (base) "/log --vkey '" (r.log_vkey.as_deref().unwrap_or("KEY")) "' --report report.json"
        }
    }
}

/// A breakdown: a bar chart, then the table behind it.
fn breakdown(ctx: &Ctx, n: usize, b: &BreakdownResource) -> Markup {
    let name = ctx.t(&format!("transparency-breakdown-{}", b.name));
    let label = |key: &str| {
        let id = match b.name.as_str() {
            "instrument" => format!("instrument-{key}"),
            "kind" => format!("kind-{key}"),
            "data_category" => format!("category-{key}"),
            "issuing_country" => return key.to_owned(),
            other => format!("transparency-{other}-{key}"),
        };
        ctx.t(&id)
    };
    let max = b.rows.iter().filter_map(|r| r.requests).max().unwrap_or(0).max(1);
    let rows = b.rows.len() as u64;
    // Each row: its label on a line of its own, then its bar, so a long label (an
    // instrument's name) is never cut by the bar.
    let height = rows * 44 + 8;
    let described: Vec<String> = b
        .rows
        .iter()
        .map(|r| {
            format!(
                "{}: {}",
                label(&r.key),
                r.requests.map_or_else(|| ctx.t("transparency-suppressed"), |v| v.to_string())
            )
        })
        .collect();
    let chart = format!("chart-{n}");
    html! {
        h2 id={ "breakdown-" (b.name) } { (name) }
        figure class="chart" {
            svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox={ "0 0 560 " (height) } width="560" height=(height)
                aria-labelledby={ (chart) "-title " (chart) "-desc" } {
                title id={ (chart) "-title" } { (name) }
                desc id={ (chart) "-desc" } { (described.join("; ")) }
                @for (i, r) in b.rows.iter().enumerate() {
                    @let y = i as u64 * 44 + 4;
                    @let width = r.requests.map_or(0, |v| v * BAR_WIDTH / max);
                    text x="0" y=(y + 14) class="chart-label" { (label(&r.key)) }
                    rect x="0" y=(y + 20) width=(width.max(1)) height="18" class="chart-bar" {}
                    text x=(width + 8) y=(y + 34) class="chart-value" {
                        (r.requests.map_or_else(|| ctx.t("transparency-suppressed"), |v| v.to_string()))
                    }
                }
            }
            figcaption class="visually-hidden" { (ctx.t("transparency-table-below")) }
        }
        table {
            caption { (name) }
            thead { tr { th scope="col" { (ctx.t("transparency-col-value")) } th scope="col" class="numeric" { (ctx.t("transparency-col-requests")) } } }
            tbody {
                @for r in &b.rows {
                    tr {
                        th scope="row" { (label(&r.key)) }
                        td class="numeric" { (r.requests.map_or_else(|| ctx.t("transparency-suppressed"), |v| v.to_string())) }
                    }
                }
            }
        }
    }
}
