//! The frame of every page, and the pieces pages share: the error summary linked to its
//! fields, times (UTC on the page, the person's own zone beside it by the script), and
//! the stylesheet and script, served from the binary.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Ctx, Lang};

/// A whole page: its title, and its content in the `main` landmark.
pub fn page(ctx: &Ctx, status: StatusCode, title: &str, content: Markup) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang=(ctx.lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { @if title == "comity" { "comity" } @else { (title) " – comity" } }
                link rel="stylesheet" href="/static/comity.css";
                script src="/static/comity.js" defer {}
            }
            body {
                a class="skip-link" href="#main" { (ctx.t("skip-to-content")) }
                header class="site-header" {
                    div class="wrap header-row" {
                        a class="brand" href="/" { "comity" }
                        nav aria-label=(ctx.t("nav-account")) class="account" {
                            @if let Some(caller) = &ctx.caller {
                                span class="who" {
                                    (caller.principal.actor())
                                    " · " (ctx.t(&format!("role-{}", caller.principal.role)))
                                }
                                form method="post" action="/signout" class="inline" {
                                    input type="hidden" name="csrf" value=(ctx.csrf);
                                    button class="link-button" type="submit" { (ctx.t("sign-out")) }
                                }
                            } @else {
                                a href="/signin" { (ctx.t("sign-in")) }
                            }
                            (language_switch(ctx))
                        }
                    }
                }
                main id="main" class="wrap" tabindex="-1" {
                    (content)
                }
                footer class="site-footer" {
                    div class="wrap" {
                        p { (ctx.t("footer-about")) }
                        ul class="footer-links" {
                            li { a href="/transparency" { (ctx.t("footer-transparency")) } }
                            li { a href="/packs" { (ctx.t("footer-packs")) } }
                            // Evaluations are for those who may read them (not the public,
                            // nor a person concerned's representative).
                            @if ctx.caller.as_ref().is_some_and(|c| c.principal.role != comity_core::Role::Representative) {
                                li { a href="/evaluations" { (ctx.t("evaluations-title")) } }
                            }
                            li { a href="/log/checkpoint" { (ctx.t("footer-checkpoint")) } }
                            li { a href="/openapi.json" { (ctx.t("footer-api")) } }
                        }
                    }
                }
            }
        }
    };
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response()
}

/// Links to the page in each other language, each named in its own language.
fn language_switch(ctx: &Ctx) -> Markup {
    html! {
        ul class="languages" aria-label=(ctx.t("nav-language")) {
            @for lang in Lang::ALL {
                li {
                    @if lang == ctx.lang {
                        span aria-current="true" lang=(lang.tag()) { (lang.endonym()) }
                    } @else {
                        a href={ (ctx.path) "?lang=" (lang.tag()) } lang=(lang.tag()) hreflang=(lang.tag()) {
                            (lang.endonym())
                        }
                    }
                }
            }
        }
    }
}

/// A problem with one field of a form: shown in the summary and beside its field.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The `id` of the field's input.
    pub field: String,
    pub message: String,
}

/// The summary at the top of a form that failed: each problem links to its field (WCAG
/// 2.2 SC 3.3.1), and the summary takes the focus so a screen reader reads it first.
pub fn error_summary(ctx: &Ctx, errors: &[FieldError], general: Option<&str>) -> Markup {
    html! {
        @if !errors.is_empty() || general.is_some() {
            div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title" {
                h2 id="error-summary-title" { (ctx.t("error-summary-title")) }
                @if let Some(general) = general { p { (general) } }
                @if !errors.is_empty() {
                    ul {
                        @for e in errors {
                            li { a href={ "#" (e.field) } { (e.message) } }
                        }
                    }
                }
            }
        }
    }
}

/// The error message of one field, if it has one, to put above its input.
pub fn field_error(ctx: &Ctx, errors: &[FieldError], field: &str) -> Markup {
    html! {
        @for e in errors.iter().filter(|e| e.field == field) {
            p class="field-error" id={ (field) "-error" } {
                span class="visually-hidden" { (ctx.t("error-prefix")) " " }
                (e.message)
            }
        }
    }
}

/// A time as a `<time>`: in UTC on the page (the law's clocks run in UTC); the script adds
/// the person's own zone beside it.
pub fn time(at: DateTime<Utc>) -> Markup {
    html! {
        time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M UTC")) }
    }
}

/// The one stylesheet.
pub async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", include_str!("../../assets/comity.css"))
}

/// The one script: progressive, the pages work without it.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("../../assets/comity.js"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body)
        .into_response()
}

/// Markup the server made itself (the QR code's SVG), never anything a party sent.
pub fn trusted(svg: String) -> Markup {
    PreEscaped(svg)
}
