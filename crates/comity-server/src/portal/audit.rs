//! The auditor's pages (issue 14): the public log as anyone may check it, the requests by
//! state, and an audit sample drawn from the latest checkpoint with the entries of each
//! request drawn.
//!
//! The sample is `comity_log::audit::sample`, the draw `comity audit sample` makes from
//! the public tiles: seeded by the root of a signed checkpoint, so nobody chooses which
//! requests are audited, and anyone can draw the same ones. The entries of each request
//! come from `comity_app`'s `request_log`, under the same Cedar decision
//! (`ViewLogEntries`) as `GET /v1/requests/{id}/log`.

use axum::{
    extract::{Query, State as AxumState},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use comity_app::AuditSample;
use comity_core::Role;
use comity_log::{Entry, TILE_WIDTH, TilePath};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// How many requests a sample draws unless asked, and at most.
const DEFAULT_SAMPLE: usize = 5;
const MAX_SAMPLE: usize = 100;

/// The auditor's home: the log, the requests by state, and the form that draws a sample.
pub async fn home(app: &AppState, ctx: &Ctx, headers: &HeaderMap) -> Result<Response, comity_app::Error> {
    let log = pages::log_section(app, ctx, headers).await?;
    let counts = match &ctx.caller {
        Some(caller) => app.app.count_by_state(caller).await?,
        None => Vec::new(),
    };
    let title = ctx.t("home-title-auditor");
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t("home-intro-auditor")) }
        (sample_form(ctx, &DEFAULT_SAMPLE.to_string(), &[], true))
        (log)
        h2 { (ctx.t("auditor-states")) }
        table {
            caption class="visually-hidden" { (ctx.t("auditor-states")) }
            thead { tr { th scope="col" { (ctx.t("col-state")) } th scope="col" class="numeric" { (ctx.t("col-count")) } } }
            tbody {
                @for (state, n) in &counts {
                    tr { td { (pages::state_tag(ctx, *state)) } td class="numeric" { (n) } }
                }
            }
        }
    };
    Ok(layout::page(ctx, StatusCode::OK, &title, body))
}

/// The form that draws a sample: a read, so a `GET` (nothing changes; the form needs no
/// token).
/// With `explain`, the form says how the draw is made (the sample's own page says it once,
/// above the sample).
fn sample_form(ctx: &Ctx, n: &str, errors: &[FieldError], explain: bool) -> Markup {
    let invalid = errors.iter().any(|e| e.field == "n");
    html! {
        section aria-labelledby="sample-title" {
            @if explain {
                h2 id="sample-title" { (ctx.t("audit-sample-title")) }
                p { (ctx.t("audit-sample-how")) }
            } @else {
                h2 id="sample-title" { (ctx.t("audit-sample-again")) }
            }
            form method="get" action="/audit/sample" class="action" {
                div class="field" {
                    label for="n" { (ctx.t("audit-sample-n")) }
                    p class="hint" id="n-hint" { (ctx.lang.t_with("audit-sample-n-hint", &[("max", MAX_SAMPLE.into())])) }
                    (layout::field_error(ctx, errors, "n"))
                    input type="number" id="n" name="n" min="1" max=(MAX_SAMPLE) value=(n) class="short"
                        aria-invalid=[invalid.then_some("true")]
                        aria-describedby={ "n-hint" @if invalid { " n-error" } };
                }
                button type="submit" class="button" { (ctx.t("audit-sample-draw")) }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SampleQuery {
    n: Option<String>,
}

/// `/audit/sample?n=5`: the requests drawn from the latest checkpoint, each with its
/// entries. Only for auditors; anyone else gets the page of a path that does not exist.
pub async fn sample(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Query(query): Query<SampleQuery>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    if caller.principal.role != Role::Auditor {
        return pages::not_found_page(&ctx);
    }
    let asked = query.n.as_deref().map(str::trim).unwrap_or("");
    let n = if asked.is_empty() { Ok(DEFAULT_SAMPLE) } else { asked.parse::<usize>().map_err(|_| ()) };
    let n = match n {
        Ok(n) if (1..=MAX_SAMPLE).contains(&n) => n,
        _ => {
            let errors = [FieldError {
                field: "n".into(),
                message: ctx.lang.t_with("audit-sample-n-wrong", &[("max", MAX_SAMPLE.into())]),
            }];
            let title = ctx.t("audit-sample-title");
            let body = html! {
                (layout::error_summary(&ctx, &errors, None))
                p { a href="/" class="back" { (ctx.t("back-home")) } }
                (sample_form(&ctx, asked, &errors, true))
            };
            return layout::page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &title, body);
        }
    };
    let checkpoint = match latest_checkpoint(&app).await {
        Ok(c) => c,
        Err(e) => return pages::error_page(&ctx, &e),
    };
    let drawn = match &checkpoint {
        Some((_, c)) => match app.app.audit_sample(&caller, c, n).await {
            Ok(s) => Some(s),
            Err(e) => return pages::error_page(&ctx, &e),
        },
        None => None,
    };
    let title = ctx.t("audit-sample-title");
    let body = html! {
        p { a href="/" class="back" { (ctx.t("back-home")) } }
        h1 { (title) }
        p class="lead" { (ctx.t("audit-sample-how")) }
        @match (&checkpoint, &drawn) {
            (Some((note, _)), Some(sample)) => {
                h2 { (ctx.t("audit-sample-checkpoint")) }
                pre class="checkpoint" { (note) }
                p { (ctx.lang.t_with("audit-sample-drawn", &[
                    ("n", sample.drawn.len().into()),
                    ("population", sample.population.into()),
                    ("size", sample.size.into()),
                ])) }
                (drawn_requests(&ctx, sample))
            }
            _ => { p { (ctx.t("log-no-checkpoint")) } }
        }
        (sample_form(&ctx, &n.to_string(), &[], false))
    };
    layout::page(&ctx, StatusCode::OK, &title, body)
}

/// The latest checkpoint as served, verified against the log's own key (the draw must be
/// seeded by a root the log signed, as `comity audit sample` checks it).
async fn latest_checkpoint(
    app: &AppState,
) -> Result<Option<(String, comity_log::Checkpoint)>, comity_app::Error> {
    let (Some(note), Some(log)) = (app.app.served_checkpoint().await?, app.log.as_ref()) else {
        return Ok(None);
    };
    let checkpoint =
        comity_log::verify_checkpoint(&note, &log.verifier_key).map_err(comity_app::Error::internal)?;
    Ok(Some((String::from_utf8_lossy(&note).into_owned(), checkpoint)))
}

fn drawn_requests(ctx: &Ctx, sample: &AuditSample) -> Markup {
    html! {
        ol class="sample" {
            @for d in &sample.drawn {
                li {
                    h3 { (ctx.t("audit-sample-request")) " " code class="wrap-anywhere" { (d.request) } }
                    @match &d.entries {
                        Some((id, log)) => {
                            p { (ctx.t("audit-sample-id")) " " code { (id) } }
                            table {
                                caption class="visually-hidden" {
                                    (ctx.lang.t_with("audit-sample-entries-of", &[("request", d.request.clone().into())]))
                                }
                                thead { tr {
                                    th scope="col" class="numeric" { (ctx.t("audit-col-index")) }
                                    th scope="col" { (ctx.t("audit-col-kind")) }
                                    th scope="col" { (ctx.t("audit-col-time")) }
                                    th scope="col" { (ctx.t("audit-col-tile")) }
                                } }
                                tbody {
                                    @for r in &log.records {
                                        @let entry = Entry::from_bytes(&r.entry).ok();
                                        tr {
                                            td class="numeric" { (r.index) }
                                            td { code { (entry.as_ref().map_or("?", |e| e.kind())) } }
                                            td { @if let Some(e) = &entry { (layout::time(e.time())) } }
                                            td { a href={ "/log/" (tile_of(r.index, sample.size).path()) } {
                                                (ctx.lang.t_with("audit-tile-link", &[("index", r.index.into())]))
                                            } }
                                        }
                                    }
                                }
                            }
                        }
                        None => { p class="hint" { (ctx.t("audit-sample-not-yours")) } }
                    }
                }
            }
        }
    }
}

/// The entry bundle of the tree of `size` entries that holds entry `index`
/// (c2sp.org/tlog-tiles: a partial tile at the tree's right edge).
fn tile_of(index: u64, size: u64) -> TilePath {
    let tile = index / TILE_WIDTH;
    let width = (size - tile * TILE_WIDTH).min(TILE_WIDTH);
    TilePath::entries(tile, u32::try_from(width).unwrap_or(256))
}
