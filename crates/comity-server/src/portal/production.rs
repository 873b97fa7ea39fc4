//! Productions in the portal (issue 14, item 3): the provider's legal team uploads an export
//! and comity seals what the decision lets leave; the authority's clerk downloads the
//! package, is told how to check it, and acknowledges it by its hash. The same use cases
//! as `POST /v1/requests/{id}/productions`, `GET .../package` and `.../acknowledgement`.
//!
//! At the retention date (issue 15) the page shows that comity's copy was disposed of (the
//! download answers 410), and the clerk attests disposal by pasting the statement signed
//! with one of the authority's keys (`comity disposal sign`), as
//! `POST .../disposal` takes it; the provider sees where disposal stands.
//!
//! The upload is a `multipart/form-data` form streamed to the data directory as it arrives
//! (never held in memory), its form token read first; the browser shows the upload's
//! progress, and the page's script draws a progress bar where it can.

use axum::{
    extract::{Multipart, Path, State as AxumState},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Duration, Utc};
use comity_core::{RequestId, production::Production};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    Ctx,
    csrf::{self, PageForm, Protected},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// What the request page shows of productions, read before the page is drawn.
#[derive(Debug, Default)]
pub struct Productions {
    pub list: Vec<Production>,
    /// The caller may produce the request now (its provider, approved, nothing pending).
    pub may_produce: bool,
}

impl Productions {
    pub async fn read(
        app: &AppState,
        caller: &comity_app::Caller,
        id: RequestId,
    ) -> Result<Productions, comity_app::Error> {
        let list = app.app.productions_of(caller, id).await?;
        let may_produce = match app.app.producing(caller, id).await {
            Ok(producing) => producing.check_producible().is_ok(),
            Err(_) => false,
        };
        Ok(Productions { list, may_produce })
    }
}

/// The productions of a request, and what the person may do with them.
pub fn section(
    ctx: &Ctx,
    id: RequestId,
    productions: &Productions,
    receiving: bool,
    errors: &[FieldError],
) -> Markup {
    html! {
        @if !productions.list.is_empty() || productions.may_produce {
            h2 { (ctx.t("production-title")) }
        }
        @for p in &productions.list {
            section class="production" aria-labelledby={ "production-" (p.id) } {
                h3 id={ "production-" (p.id) } { (p.id) " " strong class="tag" { (ctx.t(&format!("production-status-{}", p.status))) } }
                dl class="summary" {
                    dt { (ctx.t("production-started")) } dd { (layout::time(p.started_at)) }
                    dt { (ctx.t("production-records")) } dd { (p.in_scope) " / " (p.records) }
                    dt { (ctx.t("production-retention")) } dd { (p.retention_until) }
                    @if let Some(sealed) = &p.package {
                        dt { (ctx.t("production-sha256")) } dd { code class="wrap-anywhere" { (sealed.package_sha256) } }
                        dt { (ctx.t("production-size")) } dd { (sealed.package_bytes) " B" }
                    }
                    @if let Some(failure) = &p.failure {
                        dt { (ctx.t("production-failure")) } dd { (failure) }
                    }
                    @if p.package.is_some() {
                        dt { (ctx.t("production-disposal")) }
                        dd {
                            @match p.shredded_at {
                                Some(at) => { (ctx.t("production-shredded")) " " (layout::time(at)) }
                                None => { (ctx.t("production-kept")) }
                            }
                        }
                        dt { (ctx.t("production-attestation")) }
                        dd {
                            @match &p.attestation {
                                Some(a) => { (ctx.t("production-attested")) " " (layout::time(a.disposed_at)) " · " code class="wrap-anywhere" { (a.kid) } }
                                None => { (ctx.t("production-not-attested")) }
                            }
                        }
                    }
                }
                h4 { (ctx.t("production-custody")) }
                ol class="history" {
                    @for step in &p.custody {
                        li { (layout::time(step.at)) " · " (ctx.t(&format!("custody-{}", step.kind().as_str().replace('.', "-")))) " · " (step.actor) }
                    }
                }
                @if receiving && p.shredded_at.is_some() {
                    @match p.recalled {
                        Some(case) => p class="finding finding-fail" role="status" { (ctx.lang.t_with("production-recalled", &[("n", case.into())])) },
                        None => p class="finding finding-fail" role="status" { (ctx.t("production-gone")) },
                    }
                }
                @if receiving && p.package.is_some() && p.shredded_at.is_none() && p.status != "acknowledged" {
                    (receive_steps(ctx, id, p, errors))
                }
                @if receiving && p.package.is_some() && p.attestation.is_none() {
                    (attest_form(ctx, id, p, errors))
                }
            }
        }
        @if productions.may_produce {
            (upload_form(ctx, id, errors))
        }
    }
}

/// The clerk's three steps: download, check, acknowledge by the hash.
fn receive_steps(ctx: &Ctx, id: RequestId, p: &Production, errors: &[FieldError]) -> Markup {
    let file = format!("{}.age", p.id);
    html! {
        ol class="steps" {
            li {
                p { a class="button" href={ "/v1/requests/" (id) "/productions/" (p.id) "/package" } download=(file) { (ctx.t("production-download")) } }
                p class="hint" { (ctx.t("production-download-hint")) }
            }
            li {
                p { (ctx.t("production-verify")) }
                pre class="command" { "comity package verify --identity your-age-identity.txt --out " (p.id) " " (file) }
                p class="hint" { (ctx.t("production-verify-hint")) }
            }
            li {
                form method="post" action={ "/requests/" (id) "/productions/" (p.id) "/acknowledgement" } novalidate {
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    div class="field" {
                        label for={ "sha-" (p.id) } { (ctx.t("production-ack-label")) }
                        p class="hint" id={ "sha-hint-" (p.id) } { (ctx.t("production-ack-hint")) }
                        (layout::field_error(ctx, errors, "package_sha256"))
                        input type="text" id={ "sha-" (p.id) } name="package_sha256" spellcheck="false" autocomplete="off"
                            aria-describedby={ "sha-hint-" (p.id) };
                    }
                    button type="submit" class="button" { (ctx.t("production-ack")) }
                }
            }
        }
    }
}

/// The clerk's attestation of disposal: the signed statement, pasted (issue 15).
fn attest_form(ctx: &Ctx, id: RequestId, p: &Production, errors: &[FieldError]) -> Markup {
    let sha = p.package.as_ref().map(|s| s.package_sha256.as_str()).unwrap_or_default();
    html! {
        form method="post" action={ "/requests/" (id) "/productions/" (p.id) "/disposal" } class="action" novalidate {
            h4 { (ctx.t("production-attest-title")) }
            p { (ctx.t("production-attest-intro")) }
            pre class="command" { "comity disposal sign --key your-key.jwk --request " (id) " --production " (p.id) " --package-sha256 " (sha) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="field" {
                label for={ "attestation-" (p.id) } { (ctx.t("production-attest-label")) }
                p class="hint" id={ "attestation-hint-" (p.id) } { (ctx.t("production-attest-hint")) }
                (layout::field_error(ctx, errors, "attestation"))
                textarea id={ "attestation-" (p.id) } name="attestation" rows="4" spellcheck="false" autocomplete="off"
                    aria-describedby={ "attestation-hint-" (p.id) } {}
            }
            button type="submit" class="button" { (ctx.t("production-attest")) }
        }
    }
}

fn upload_form(ctx: &Ctx, id: RequestId, errors: &[FieldError]) -> Markup {
    let retention = (Utc::now() + Duration::days(180)).format("%Y-%m-%d").to_string();
    html! {
        form method="post" action={ "/requests/" (id) "/productions" } enctype="multipart/form-data" class="action" id="produce" novalidate {
            h3 { (ctx.t("production-upload-title")) }
            p { (ctx.t("production-upload-intro")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            div class="field" {
                label for="retention_until" { (ctx.t("production-retention")) }
                p class="hint" id="retention-hint" { (ctx.t("production-retention-hint")) }
                (layout::field_error(ctx, errors, "retention_until"))
                input type="text" id="retention_until" name="retention_until" value=(retention) class="short-date" aria-describedby="retention-hint";
            }
            div class="field" {
                label for="national_ids" { (ctx.t("production-national-ids")) }
                p class="hint" id="national-ids-hint" { (ctx.t("production-national-ids-hint")) }
                (layout::field_error(ctx, errors, "national_ids"))
                input type="text" id="national_ids" name="national_ids" aria-describedby="national-ids-hint";
            }
            div class="field" {
                label for="phone_regions" { (ctx.t("production-phone-regions")) }
                p class="hint" id="phone-regions-hint" { (ctx.t("production-phone-regions-hint")) }
                (layout::field_error(ctx, errors, "phone_regions"))
                input type="text" id="phone_regions" name="phone_regions" aria-describedby="phone-regions-hint";
            }
            div class="field" {
                label for="export" { (ctx.t("production-export")) }
                p class="hint" id="export-hint" { (ctx.t("production-export-hint")) }
                (layout::field_error(ctx, errors, "export"))
                input type="file" id="export" name="export" accept=".jsonl,.ndjson,application/x-ndjson" aria-describedby="export-hint";
            }
            progress id="produce-progress" max="100" value="0" hidden aria-label=(ctx.t("production-progress")) {}
            button type="submit" class="button" { (ctx.t("production-upload")) }
        }
    }
}

/// `POST /requests/{id}/productions`: the export streamed to the data directory, then
/// produced.
pub async fn produce(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
    mut form: Multipart,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    let producing = match app.app.producing(&caller, id).await {
        Ok(p) => p,
        Err(e) => return pages::error_page(&ctx, &e),
    };
    // The token is the form's first field: nothing is written before it is checked.
    let mut fields = (String::new(), String::new(), String::new());
    let mut token_checked = false;
    let mut received = false;
    let upload = match producing.check_producible().and_then(|()| producing.upload()) {
        Ok(upload) => upload,
        Err(e) => return pages::error_page(&ctx, &e),
    };
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                tracing::info!(error = %e, "an upload form that does not read");
                return pages::message_page(
                    &ctx,
                    StatusCode::BAD_REQUEST,
                    "form-unreadable-title",
                    "form-unreadable-body",
                );
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if !token_checked {
            let token = if name == "csrf" { field.text().await.unwrap_or_default() } else { String::new() };
            if !csrf::matches(&parts, &token) {
                return pages::message_page(
                    &ctx,
                    StatusCode::FORBIDDEN,
                    "form-expired-title",
                    "form-expired-body",
                );
            }
            token_checked = true;
            continue;
        }
        match name.as_str() {
            "retention_until" => fields.0 = field.text().await.unwrap_or_default(),
            "national_ids" => fields.1 = field.text().await.unwrap_or_default(),
            "phone_regions" => fields.2 = field.text().await.unwrap_or_default(),
            "export" => {
                let file = match upload.as_file().try_clone() {
                    Ok(f) => tokio::fs::File::from_std(f),
                    Err(e) => return pages::error_page(&ctx, &comity_app::Error::internal(e)),
                };
                if let Err(e) = crate::production::receive(field, file).await {
                    return refused(&app, &ctx, &caller, id, e).await;
                }
                received = true;
            }
            _ => {}
        }
    }
    if !token_checked {
        return pages::message_page(&ctx, StatusCode::FORBIDDEN, "form-expired-title", "form-expired-body");
    }
    let mut errors = Vec::new();
    let size = upload.as_file().metadata().map(|m| m.len()).unwrap_or(0);
    if !received || size == 0 {
        errors.push(FieldError { field: "export".into(), message: ctx.t("production-export-missing") });
    }
    let options = match crate::production::options(&fields.0, Some(&fields.1), Some(&fields.2), false) {
        Ok(options) => Some(options),
        Err(e) => {
            for d in e.details() {
                let field = match d.path.as_str() {
                    "national_ids" => "national_ids",
                    "phone_regions" => "phone_regions",
                    _ => "retention_until",
                };
                errors.push(FieldError { field: field.into(), message: d.message.clone() });
            }
            None
        }
    };
    let (Some(options), true) = (options, errors.is_empty()) else {
        return pages::request_page_with(&app, &ctx, &caller, id, &errors, None).await;
    };
    match producing.produce(upload.path(), options, comity_app::no_progress()).await {
        Ok(_) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(e @ comity_app::Error::Internal(_)) => pages::error_page(&ctx, &e),
        Err(e) => {
            let (errors, general) = pages::problems(&ctx, &e, "export");
            pages::request_page_with(&app, &ctx, &caller, id, &errors, general.as_deref()).await
        }
    }
}

/// The request page again, with the API's refusal of the upload.
async fn refused(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    id: RequestId,
    e: crate::error::ApiError,
) -> Response {
    let errors = [FieldError { field: "export".into(), message: e.message().to_owned() }];
    pages::request_page_with(app, ctx, caller, id, &errors, None).await
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    csrf: String,
    #[serde(default)]
    package_sha256: String,
}

impl Protected for AckForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /requests/{id}/productions/{production}/acknowledgement`.
pub async fn acknowledge(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((id, production)): Path<(String, String)>,
    PageForm(form): PageForm<AckForm>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    if form.package_sha256.trim().is_empty() {
        let errors =
            [FieldError { field: "package_sha256".into(), message: ctx.t("production-ack-missing") }];
        return pages::request_page_with(&app, &ctx, &caller, id, &errors, None).await;
    }
    match app.app.acknowledge(&caller, id, &production, &form.package_sha256).await {
        Ok(_) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => {
            pages::error_page(&ctx, &e)
        }
        Err(e) => {
            let (errors, general) = pages::problems(&ctx, &e, "package_sha256");
            pages::request_page_with(&app, &ctx, &caller, id, &errors, general.as_deref()).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AttestForm {
    csrf: String,
    #[serde(default)]
    attestation: String,
}

impl Protected for AttestForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /requests/{id}/productions/{production}/disposal`: the authority's signed
/// statement that it disposed of the data.
pub async fn attest(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((id, production)): Path<(String, String)>,
    PageForm(form): PageForm<AttestForm>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    if form.attestation.trim().is_empty() {
        let errors =
            [FieldError { field: "attestation".into(), message: ctx.t("production-attest-missing") }];
        return pages::request_page_with(&app, &ctx, &caller, id, &errors, None).await;
    }
    match app.app.attest_disposal(&caller, id, &production, &form.attestation).await {
        Ok(_) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => {
            pages::error_page(&ctx, &e)
        }
        Err(e) => {
            let (errors, general) = pages::problems(&ctx, &e, "attestation");
            pages::request_page_with(&app, &ctx, &caller, id, &errors, general.as_deref()).await
        }
    }
}
