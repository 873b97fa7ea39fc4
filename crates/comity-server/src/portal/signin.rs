//! Signing in and out (issue 14, item 2): user name, password and the authenticator's code,
//! with the `autocomplete` tokens password managers and phones read (HTML §4.10.18.7.1). At
//! the first sign-in the code is left empty and the account's authenticator is enrolled
//! from a QR code the server draws (`comity_app::Enrolment`). Failures, lockouts and
//! limits say what happened and what to do, as the API does, in the person's language.

use axum::{
    extract::State as AxumState,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use comity_app::{Client, Enrolment, Login, SESSION_HOURS};
use maud::{Markup, html};
use qrcode::{EcLevel, QrCode, render::svg};
use serde::Deserialize;

use super::{
    Ctx,
    csrf::{PageForm, Protected},
    layout::{self, FieldError},
    pages,
};
use crate::{AppState, extract::ClientIp};

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

impl Protected for SignInForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    csrf: String,
    #[serde(default)]
    ticket: String,
    #[serde(default)]
    code: String,
}

impl Protected for EnrolForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    csrf: String,
}

impl Protected for SignOutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// The sign-in page; a person already signed in goes home.
pub async fn form(ctx: Ctx) -> Response {
    if ctx.caller.is_some() {
        return Redirect::to("/").into_response();
    }
    let notice = ctx.session_ended.then(|| ctx.t("session-ended"));
    sign_in_page(&ctx, StatusCode::OK, "", &[], notice.as_deref())
}

/// Signs in: a session with the code, or the enrolment of the authenticator without one.
pub async fn submit(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    PageForm(form): PageForm<SignInForm>,
) -> Response {
    let mut errors = Vec::new();
    if form.username.trim().is_empty() {
        errors.push(FieldError { field: "username".into(), message: ctx.t("sign-in-username-missing") });
    }
    if form.password.is_empty() {
        errors.push(FieldError { field: "password".into(), message: ctx.t("sign-in-password-missing") });
    }
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let six_digits = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    if !code.is_empty() && !six_digits {
        errors.push(FieldError { field: "code".into(), message: ctx.t("sign-in-code-shape") });
    }
    if !errors.is_empty() {
        return sign_in_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &form.username, &errors, None);
    }
    // The same failure budget as the API's sign-in, taken before the password is checked.
    let Ok(_attempt) = app.trust.limits.reserve(ip) else {
        return sign_in_page(
            &ctx,
            StatusCode::TOO_MANY_REQUESTS,
            &form.username,
            &[],
            Some(&ctx.t("too-many-failures")),
        );
    };
    let count = app.refusals(ip);
    let client = Client::new(ip, &count);
    if code.is_empty() {
        return match app.app.begin_enrolment(&form.username, &form.password, &client).await {
            Ok(enrolment) => enrol_page(&ctx, StatusCode::OK, &enrolment, &[]),
            Err(e) => {
                let status = pages::status_of(&e);
                let message = match &e {
                    comity_app::Error::Unauthenticated { .. } => ctx.t("sign-in-first-time-wrong"),
                    e => pages::error_text(&ctx, e),
                };
                sign_in_page(&ctx, status, &form.username, &[], Some(&message))
            }
        };
    }
    let login = Login { username: form.username.clone(), password: form.password, totp: code };
    match app.app.login(&login, &client).await {
        Ok(opened) => signed_in(&app, opened.token.text()),
        Err(e) => {
            sign_in_page(&ctx, pages::status_of(&e), &form.username, &[], Some(&pages::error_text(&ctx, &e)))
        }
    }
}

/// Completes the enrolment with the first code, and signs in.
pub async fn enrol(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    PageForm(form): PageForm<EnrolForm>,
) -> Response {
    let Ok(_attempt) = app.trust.limits.reserve(ip) else {
        return sign_in_page(&ctx, StatusCode::TOO_MANY_REQUESTS, "", &[], Some(&ctx.t("too-many-failures")));
    };
    let count = app.refusals(ip);
    let client = Client::new(ip, &count);
    let code: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    match app.app.complete_enrolment(&form.ticket, &code, &client).await {
        Ok(opened) => signed_in(&app, opened.token.text()),
        Err(comity_app::Error::Unauthenticated { code: "invalid_code", .. }) => {
            // The same enrolment again, with the code's error beside its field.
            let errors = [FieldError { field: "code".into(), message: ctx.t("enrol-code-wrong") }];
            let body = html! {
                (layout::error_summary(&ctx, &errors, None))
                p { (ctx.t("enrol-code-retry")) }
                (enrol_form(&ctx, &form.ticket, &errors))
            };
            layout::page(&ctx, StatusCode::UNAUTHORIZED, &ctx.t("enrol-title"), body)
        }
        Err(e) => sign_in_page(&ctx, pages::status_of(&e), "", &[], Some(&pages::error_text(&ctx, &e))),
    }
}

/// Signs out: the session ends on the server, the cookie is cleared.
pub async fn signout(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    PageForm(_): PageForm<SignOutForm>,
) -> Response {
    if let Some(caller) = &ctx.caller
        && let Err(e) = app.app.logout(caller).await
    {
        return pages::error_page(&ctx, &e);
    }
    let mut response = Redirect::to("/signin").into_response();
    crate::session::set_cookie(&app, &mut response, "", 0);
    response
}

/// The answer to a successful sign-in: the session cookie, and home.
fn signed_in(app: &AppState, token: &str) -> Response {
    let mut response = Redirect::to("/").into_response();
    crate::session::set_cookie(app, &mut response, token, SESSION_HOURS * 3600);
    response
}

fn sign_in_page(
    ctx: &Ctx,
    status: StatusCode,
    username: &str,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    let described = |field: &str, hint: Option<&str>| {
        let mut ids: Vec<String> = hint.map(str::to_owned).into_iter().collect();
        if errors.iter().any(|e| e.field == field) {
            ids.push(format!("{field}-error"));
        }
        ids.join(" ")
    };
    let invalid = |field: &str| errors.iter().any(|e| e.field == field).then_some("true");
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        h1 { (ctx.t("sign-in-title")) }
        form method="post" action="/signin" novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="field" {
                label for="username" { (ctx.t("sign-in-username")) }
                (layout::field_error(ctx, errors, "username"))
                input id="username" name="username" type="text" autocomplete="username" spellcheck="false"
                    autocapitalize="none" value=(username) aria-invalid=[invalid("username")]
                    aria-describedby=(described("username", None));
            }
            div class="field" {
                label for="password" { (ctx.t("sign-in-password")) }
                (layout::field_error(ctx, errors, "password"))
                input id="password" name="password" type="password" autocomplete="current-password"
                    aria-invalid=[invalid("password")] aria-describedby=(described("password", None));
            }
            div class="field" {
                label for="code" { (ctx.t("sign-in-code")) }
                p class="hint" id="code-hint" { (ctx.t("sign-in-code-hint")) }
                (layout::field_error(ctx, errors, "code"))
                input id="code" name="code" type="text" class="short" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9 ]*" maxlength="7" aria-invalid=[invalid("code")]
                    aria-describedby=(described("code", Some("code-hint")));
            }
            button type="submit" class="button" { (ctx.t("sign-in")) }
        }
        h2 { (ctx.t("sign-in-help-title")) }
        p { (ctx.t("sign-in-help")) }
    };
    layout::page(ctx, status, &ctx.t("sign-in-title"), body)
}

fn enrol_page(ctx: &Ctx, status: StatusCode, enrolment: &Enrolment, errors: &[FieldError]) -> Response {
    let grouped: Vec<String> = enrolment
        .secret_base32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let body = html! {
        (layout::error_summary(ctx, errors, None))
        h1 { (ctx.t("enrol-title")) }
        p { (ctx.t("enrol-intro")) }
        ol class="steps" {
            li {
                p { (ctx.t("enrol-scan")) }
                figure class="qr" {
                    (qr_svg(ctx, &enrolment.otpauth_uri))
                    figcaption {
                        (ctx.t("enrol-key")) " "
                        code class="secret" { (grouped.join(" ")) }
                    }
                }
            }
            li {
                p { (ctx.t("enrol-type-code")) }
                (enrol_form(ctx, &enrolment.ticket, errors))
            }
        }
        p class="hint" {
            (ctx.lang.t_with("enrol-expires", &[("minutes", comity_app::ENROLMENT_MINUTES.into())]))
        }
    };
    let mut response = layout::page(ctx, status, &ctx.t("enrol-title"), body);
    // The page holds a secret: never kept, never sent on (the headers already say so).
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

fn enrol_form(ctx: &Ctx, ticket: &str, errors: &[FieldError]) -> Markup {
    let invalid = errors.iter().any(|e| e.field == "code").then_some("true");
    html! {
        form method="post" action="/signin/enrol" novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="ticket" value=(ticket);
            div class="field" {
                label for="code" { (ctx.t("sign-in-code")) }
                (layout::field_error(ctx, errors, "code"))
                input id="code" name="code" type="text" class="short" inputmode="numeric" autocomplete="one-time-code"
                    pattern="[0-9 ]*" maxlength="7" aria-invalid=[invalid];
            }
            button type="submit" class="button" { (ctx.t("enrol-finish")) }
        }
    }
}

/// The QR code of the `otpauth://` URI, drawn as SVG by the server: nothing leaves for a
/// third-party renderer, and nothing but the server's own markup is inlined.
fn qr_svg(ctx: &Ctx, uri: &str) -> Markup {
    let Ok(code) = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M) else {
        return html! { p { (ctx.t("enrol-no-qr")) } };
    };
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#0b0c0c"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // The renderer writes a whole document; inline only its <svg> element, named for
    // assistive technology.
    let element = drawn.find("<svg").map_or(drawn.as_str(), |at| &drawn[at..]);
    let label = ctx.t("enrol-qr-label").replace('"', "");
    let element = element.replacen("<svg", &format!("<svg role=\"img\" aria-label=\"{label}\""), 1);
    layout::trusted(element)
}
