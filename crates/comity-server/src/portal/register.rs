//! The operator's page of one party (issue 16, items 6 and 7): its details and standing,
//! its suspensions with their reasons, its whole history, and the forms that change it,
//! each with the reason the journal keeps: its details, its deactivation or reactivation,
//! a suspension of the party or of its emergency route until a date, the lifting of one,
//! and (for an authority) the removal of a contact. Each form calls the same use case as
//! `/v1/admin/parties/{id}/...` under the same leave (`manage_registers`), and answers as
//! every form of the portal does: back to the page (303) when done, else the page again
//! with each problem beside its field.

use axum::{
    extract::{Path, State as AxumState},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, NaiveDate, Utc};
use comity_app::{NewSuspension, PartyChanges, PartyRecord};
use comity_core::{AuthorityType, Contact, Party, Privilege, ReviewerKind, Use};
use comity_wire::register::HistoryEntry;
use maud::{Markup, html};

use super::{
    Ctx,
    csrf::PageForm,
    layout::{self, FieldError},
    operator::{OpsForm, back_to, field_errors, registers, select_field, status, text_field},
    pages,
};
use crate::AppState;

/// Which form of the page was posted, for its values and problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Posted {
    Update,
    Status,
    Suspend,
    Lift(u32),
    Contact,
}

/// `/operator/party/{id}`: one party, its standing, history and forms.
pub async fn party(AxumState(app): AxumState<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    if let Err(page) = registers(&app, &ctx) {
        return *page;
    }
    party_page(&app, &ctx, &id, None, &OpsForm::default(), &[], None).await
}

/// A party's page as an admin sees it.
async fn party_page(
    app: &AppState,
    ctx: &Ctx,
    id: &str,
    posted: Option<Posted>,
    form: &OpsForm,
    errors: &[FieldError],
    general: Option<&str>,
) -> Response {
    let Some(caller) = ctx.caller.as_ref() else { return pages::sign_in_first(ctx) };
    let record = match app.app.party_record(caller, id).await {
        Ok(r) => r,
        Err(comity_app::Error::BadInput(_) | comity_app::Error::NotFound(_)) => {
            return pages::not_found_page(ctx);
        }
        Err(e) => return pages::error_page(ctx, &e),
    };
    let contacts = match &record.party {
        Party::Authority(_) => match app.app.authority_contacts(caller, id).await {
            Ok(c) => c,
            Err(e) => return pages::error_page(ctx, &e),
        },
        _ => Vec::new(),
    };
    let now = Utc::now();
    let p = &record.party;
    let title = format!("{} ({})", p.name(), p.id());
    let empty = OpsForm::default();
    let values = |which: Posted| if posted == Some(which) { form } else { &empty };
    let errs = |which: Posted| if posted == Some(which) { errors } else { &[][..] };
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        (back_to(ctx, "/operator/parties", "ops-back-parties"))
        h1 { (title) }
        (details(ctx, &record, now))
        (suspensions(ctx, &record, now, posted, form, errors))
        @if !contacts.is_empty() {
            (contacts_section(ctx, p.id().as_str(), &contacts, values(Posted::Contact), errs(Posted::Contact)))
        }
        (history(ctx, &record))
        (update_form(ctx, p, values(Posted::Update), errs(Posted::Update)))
        (suspend_form(ctx, p, values(Posted::Suspend), errs(Posted::Suspend)))
        (status_form(ctx, &record, now, values(Posted::Status), errs(Posted::Status)))
        p class="hint" { (ctx.t("ops-party-cli-hint")) }
    };
    layout::page(ctx, status(errors, general), &title, body)
}

/// What a party is, and whether it may be party to a new request now.
fn details(ctx: &Ctx, record: &PartyRecord, now: DateTime<Utc>) -> Markup {
    let p = &record.party;
    let (kind, institution) = match p {
        Party::Authority(a) => (Some(ctx.t(&format!("authority-type-{}", a.authority_type))), &a.institution),
        Party::Reviewer(r) => (Some(ctx.t(&format!("reviewer-kind-{}", r.kind))), &r.institution),
        Party::Provider(x) => (None, &x.institution),
        Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => (None, &o.institution),
    };
    let standing = &record.standing;
    html! {
        dl class="facts" {
            dt { (ctx.t("ops-party-register")) } dd { (ctx.t(&format!("ops-register-{}", p.role()))) }
            @if let Some(kind) = kind { dt { (ctx.t("ops-party-detail")) } dd { (kind) } }
            dt { (ctx.t("ops-party-institution")) }
            dd { @match institution { Some(i) => { (i) }, None => { (ctx.t("ops-party-no-institution")) } } }
            dt { (ctx.t("col-status")) }
            dd {
                @if let Some(d) = standing.deactivated(now) {
                    strong { (ctx.t("ops-status-deactivated")) } " " (layout::time(d.at)) ": " (d.reason)
                } @else if standing.check(Use::NewRequest, now).is_err() {
                    strong { (ctx.t("ops-status-suspended")) }
                } @else {
                    (ctx.t("status-active"))
                }
            }
        }
        @if let Party::Authority(_) = p {
            p { a href={ "/operator/authorities/" (p.id()) "/keys" } {
                (ctx.lang.t_with("ops-keys-link", &[("authority", p.id().to_string().into())])) } }
        }
    }
}

fn privilege_text(ctx: &Ctx, privilege: Option<Privilege>) -> String {
    match privilege {
        Some(p) => ctx.t(&format!("privilege-{p}")),
        None => ctx.t("ops-suspension-whole"),
    }
}

/// Every suspension with its reasons, and a form to lift each one in force or to come.
fn suspensions(
    ctx: &Ctx,
    record: &PartyRecord,
    now: DateTime<Utc>,
    posted: Option<Posted>,
    form: &OpsForm,
    errors: &[FieldError],
) -> Markup {
    let standing = &record.standing;
    let id = record.party.id();
    html! {
        h2 { (ctx.t("ops-suspensions")) }
        @if standing.suspensions.is_empty() {
            p class="empty" { (ctx.t("ops-suspensions-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("ops-suspension-number")) }
                    th scope="col" { (ctx.t("ops-suspension-what")) }
                    th scope="col" { (ctx.t("ops-suspension-decided")) }
                    th scope="col" { (ctx.t("ops-suspension-until")) }
                    th scope="col" { (ctx.t("col-status")) }
                    th scope="col" { (ctx.t("ops-why")) }
                } }
                tbody {
                    @for s in standing.suspensions.iter().rev() {
                        tr {
                            td { (s.number) }
                            td { (privilege_text(ctx, s.privilege)) }
                            td { (layout::time(s.decided.at)) " · " (s.decided.by) }
                            td { (layout::time(s.until)) }
                            td {
                                @if let Some(l) = &s.lifted {
                                    (ctx.t("ops-suspension-lifted")) " " (layout::time(l.at)) ": " (l.reason)
                                } @else if s.in_force(now) {
                                    strong { (ctx.t("ops-suspension-in-force")) }
                                } @else if s.decided.at > now {
                                    (ctx.t("ops-suspension-to-come"))
                                } @else {
                                    (ctx.t("ops-suspension-ended"))
                                }
                            }
                            td { (s.decided.reason) }
                        }
                    }
                }
            }
            @for s in standing.suspensions.iter().filter(|s| s.lifted.is_none() && s.until > now) {
                @let prefix = format!("lift-{}-", s.number);
                @let (values, errs) = if posted == Some(Posted::Lift(s.number)) { (form, errors) } else { (&OpsForm::default(), &[][..]) };
                form method="post" action={ "/operator/party/" (id) "/lift" } class="action" {
                    h3 { (ctx.lang.t_with("ops-lift-title", &[("number", s.number.into())])) }
                    input type="hidden" name="csrf" value=(ctx.csrf);
                    input type="hidden" name="suspension" value=(s.number);
                    (text_field(ctx, errs, &format!("{prefix}reason"), "reason", "ops-why", Some("ops-lift-why-hint"), values.get("reason")))
                    button type="submit" class="button" { (ctx.lang.t_with("ops-lift-title", &[("number", s.number.into())])) }
                }
            }
        }
    }
}

/// An authority's contacts, each with a form to remove it.
fn contacts_section(
    ctx: &Ctx,
    authority: &str,
    contacts: &[Contact],
    form: &OpsForm,
    errors: &[FieldError],
) -> Markup {
    html! {
        h2 { (ctx.t("ops-contacts")) }
        p class="hint" { (ctx.t("ops-contacts-hint")) }
        table {
            thead { tr {
                th scope="col" { (ctx.t("ops-contact-id")) }
                th scope="col" { (ctx.t("ops-party-name")) }
                th scope="col" { (ctx.t("ops-contact-channels")) }
            } }
            tbody {
                @for c in contacts {
                    tr {
                        td { (c.id) }
                        td { (c.name) }
                        td {
                            @let channels: Vec<String> = [c.email.clone(), c.phone.clone(), c.public_key.map(|_| ctx.t("ops-contact-key"))].into_iter().flatten().collect();
                            (channels.join(" · "))
                        }
                    }
                }
            }
        }
        form method="post" action={ "/operator/party/" (authority) "/contacts/remove" } class="action" {
            h3 { (ctx.t("ops-contact-remove-title")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            (select_field(ctx, errors, "contact-contact", "contact", "ops-contact-id",
                &contacts.iter().map(|c| (c.id.to_string(), format!("{} ({})", c.name, c.id))).collect::<Vec<_>>(),
                form.get("contact")))
            (text_field(ctx, errors, "contact-reason", "reason", "ops-why", Some("ops-contact-remove-why-hint"), form.get("reason")))
            button type="submit" class="button button-warning" { (ctx.t("ops-contact-remove-title")) }
        }
    }
}

/// Every change of the party's details and standing since its registration, oldest first.
fn history(ctx: &Ctx, record: &PartyRecord) -> Markup {
    let entries: Vec<HistoryEntry> = record.history.iter().filter_map(HistoryEntry::new).collect();
    let r = &record.registered;
    html! {
        h2 { (ctx.t("ops-history")) }
        p { (ctx.lang.t_with("ops-history-registered", &[("name", r.name().to_owned().into())])) }
        @if entries.is_empty() {
            p class="empty" { (ctx.t("ops-history-none")) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (ctx.t("ops-history-at")) }
                    th scope="col" { (ctx.t("ops-history-act")) }
                    th scope="col" { (ctx.t("ops-history-by")) }
                    th scope="col" { (ctx.t("ops-history-what")) }
                } }
                tbody {
                    @for h in &entries {
                        tr {
                            td { (layout::time(h.at)) }
                            td { (ctx.t(&format!("ops-act-{}", h.kind.replace(['.', '_'], "-")))) }
                            td { (h.actor) }
                            td {
                                @if let Some(c) = &h.contact { (ctx.lang.t_with("ops-history-contact", &[("contact", c.clone().into())])) br; }
                                @for c in &h.changes {
                                    (ctx.t(&format!("ops-field-{}", c.field.replace('_', "-")))) ": "
                                    (c.old.as_deref().unwrap_or("–")) " → " (c.new.as_deref().unwrap_or("–")) br;
                                }
                                @if let Some(n) = h.suspension {
                                    (ctx.lang.t_with("ops-history-suspension", &[("number", n.into())]))
                                    @if h.until.is_some() || h.privilege.is_some() {
                                        " (" (privilege_text(ctx, h.privilege.map(|p| p.0)))
                                        @if let Some(until) = h.until { ", " (ctx.t("ops-suspension-until")) " " (layout::time(until)) }
                                        ")"
                                    }
                                    br;
                                }
                                @if let Some(reason) = &h.reason { (ctx.t("ops-why")) ": " (reason) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn update_form(ctx: &Ctx, p: &Party, form: &OpsForm, errors: &[FieldError]) -> Markup {
    let filled = |name: &str, current: String| {
        if form.pairs().is_empty() { current } else { form.get(name).to_owned() }
    };
    let institution = match p {
        Party::Authority(a) => &a.institution,
        Party::Provider(x) => &x.institution,
        Party::Reviewer(r) => &r.institution,
        Party::Auditor(o) | Party::Operator(o) | Party::Representative(o) => &o.institution,
    };
    html! {
        form method="post" action={ "/operator/party/" (p.id()) "/update" } class="action" {
            h2 { (ctx.t("ops-update-title")) }
            p class="hint" { (ctx.t("ops-update-hint")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, "update-name", "name", "ops-party-name", None, &filled("name", p.name().to_owned())))
            @if let Party::Authority(a) = p {
                (select_field(ctx, errors, "update-authority_type", "authority_type", "ops-authority-type",
                    &AuthorityType::ALL.iter().map(|t| (t.as_str().to_owned(), ctx.t(&format!("authority-type-{t}")))).collect::<Vec<_>>(),
                    &filled("authority_type", a.authority_type.to_string())))
            }
            @if let Party::Reviewer(r) = p {
                (select_field(ctx, errors, "update-kind", "kind", "ops-reviewer-kind",
                    &ReviewerKind::ALL.iter().map(|k| (k.as_str().to_owned(), ctx.t(&format!("reviewer-kind-{k}")))).collect::<Vec<_>>(),
                    &filled("kind", r.kind.to_string())))
            }
            (text_field(ctx, errors, "update-institution", "institution", "ops-party-institution", Some("ops-party-institution-hint"),
                &filled("institution", institution.as_ref().map(ToString::to_string).unwrap_or_default())))
            (text_field(ctx, errors, "update-reason", "reason", "ops-why", Some("ops-update-why-hint"), form.get("reason")))
            button type="submit" class="button" { (ctx.t("ops-update-title")) }
        }
    }
}

fn suspend_form(ctx: &Ctx, p: &Party, form: &OpsForm, errors: &[FieldError]) -> Markup {
    let privileges: Vec<(String, String)> = Privilege::ALL
        .iter()
        .filter(|v| v.holder() == p.role())
        .map(|v| (v.as_str().to_owned(), ctx.t(&format!("privilege-{v}"))))
        .collect();
    let chosen = form.get("privilege");
    html! {
        form method="post" action={ "/operator/party/" (p.id()) "/suspend" } class="action" novalidate {
            h2 { (ctx.t("ops-suspend-title")) }
            p class="hint" { (ctx.t("ops-suspend-hint")) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            @if !privileges.is_empty() {
                div class="field" {
                    label for="suspend-privilege" { (ctx.t("ops-suspension-what")) }
                    (layout::field_error(ctx, errors, "suspend-privilege"))
                    select id="suspend-privilege" name="privilege" {
                        option value="" { (ctx.t("ops-suspension-whole")) }
                        @for (value, text) in &privileges {
                            option value=(value) selected[chosen == value] { (text) }
                        }
                    }
                }
            }
            @let invalid = errors.iter().any(|e| e.field == "suspend-until");
            div class="field" {
                label for="suspend-until" { (ctx.t("ops-suspension-until")) }
                p class="hint" id="suspend-until-hint" { (ctx.t("ops-suspend-until-hint")) }
                (layout::field_error(ctx, errors, "suspend-until"))
                input type="date" id="suspend-until" name="until" value=(form.get("until"))
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby={ "suspend-until-hint" @if invalid { " suspend-until-error" } };
            }
            (text_field(ctx, errors, "suspend-reason", "reason", "ops-why", Some("ops-suspend-why-hint"), form.get("reason")))
            button type="submit" class="button button-warning" { (ctx.t("ops-suspend-title")) }
        }
    }
}

fn status_form(
    ctx: &Ctx,
    record: &PartyRecord,
    now: DateTime<Utc>,
    form: &OpsForm,
    errors: &[FieldError],
) -> Markup {
    let id = record.party.id();
    let deactivated = record.standing.deactivated(now).is_some();
    let (act, title, what) = if deactivated {
        ("reactivate", "ops-reactivate-title", "ops-reactivate-what")
    } else {
        ("deactivate", "ops-deactivate-title", "ops-deactivate-what")
    };
    html! {
        form method="post" action={ "/operator/party/" (id) "/" (act) } class="action" {
            h2 { (ctx.t(title)) }
            p class="hint" { (ctx.t(what)) }
            input type="hidden" name="csrf" value=(ctx.csrf);
            (text_field(ctx, errors, "status-reason", "reason", "ops-why", None, form.get("reason")))
            button type="submit" class={ "button" @if !deactivated { " button-warning" } } { (ctx.t(title)) }
        }
    }
}

/// A form of the page as posted: which one, its values, and where its problems go (beside
/// `prefix` + the field of their path when the form has it, else beside `default`).
struct Sent<'a> {
    posted: Posted,
    form: &'a OpsForm,
    prefix: &'a str,
    fields: &'a [&'a str],
    default: &'a str,
}

/// The answer to one of the page's forms: back to the page when done; the not-found page
/// for a party that does not exist; else the page again with each problem beside its
/// field, answering the refusal's status.
async fn answered(
    app: &AppState,
    ctx: &Ctx,
    id: &str,
    sent: Sent<'_>,
    done: Result<(), comity_app::Error>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/operator/party/{id}")).into_response(),
        Err(comity_app::Error::BadInput(_)) => pages::not_found_page(ctx),
        Err(e @ (comity_app::Error::NotFound(_) | comity_app::Error::Internal(_))) => {
            pages::error_page(ctx, &e)
        }
        Err(e) => {
            let (errors, general) = field_errors(ctx, &e, sent.prefix, sent.fields, sent.default);
            let page =
                party_page(app, ctx, id, Some(sent.posted), sent.form, &errors, general.as_deref()).await;
            pages::answering(page, &e)
        }
    }
}

/// The reason a form gave, or its problem beside the form's reason field.
fn reason_of(ctx: &Ctx, form: &OpsForm, field: &str) -> Result<String, Vec<FieldError>> {
    match form.get("reason") {
        "" => Err(vec![FieldError { field: field.to_owned(), message: ctx.t("ops-why-missing") }]),
        r => Ok(r.to_owned()),
    }
}

/// `POST /operator/party/{id}/update`, as `PATCH /v1/admin/parties/{id}`.
pub async fn update(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    let mut changes = PartyChanges {
        name: Some(form.get("name").to_owned()),
        institution: Some(form.optional("institution")),
        reason: form.get("reason").to_owned(),
        ..PartyChanges::default()
    };
    if !form.get("authority_type").is_empty() {
        match AuthorityType::parse(form.get("authority_type")) {
            Some(t) => changes.authority_type = Some(t),
            None => errors.push(FieldError {
                field: "update-authority_type".into(),
                message: ctx.t("ops-choose-type"),
            }),
        }
    }
    if !form.get("kind").is_empty() {
        match ReviewerKind::parse(form.get("kind")) {
            Some(k) => changes.kind = Some(k),
            None => {
                errors.push(FieldError { field: "update-kind".into(), message: ctx.t("ops-choose-kind") })
            }
        }
    }
    if let Err(missing) = reason_of(&ctx, &form, "update-reason") {
        errors.extend(missing);
    }
    if !errors.is_empty() {
        return party_page(&app, &ctx, &id, Some(Posted::Update), &form, &errors, None).await;
    }
    let done = registers.update_party(&id, &changes, Utc::now()).await.map(|_| ());
    let fields = ["name", "authority_type", "kind", "institution", "reason"];
    answered(
        &app,
        &ctx,
        &id,
        Sent { posted: Posted::Update, form: &form, prefix: "update-", fields: &fields, default: "name" },
        done,
    )
    .await
}

/// `POST /operator/party/{id}/deactivate`, as `POST /v1/admin/parties/{id}/deactivate`.
pub async fn deactivate(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    status_act(app, ctx, id, form, true).await
}

/// `POST /operator/party/{id}/reactivate`, as `POST /v1/admin/parties/{id}/reactivate`.
pub async fn reactivate(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    status_act(app, ctx, id, form, false).await
}

async fn status_act(app: AppState, ctx: Ctx, id: String, form: OpsForm, deactivate: bool) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let reason = match reason_of(&ctx, &form, "status-reason") {
        Ok(r) => r,
        Err(errors) => return party_page(&app, &ctx, &id, Some(Posted::Status), &form, &errors, None).await,
    };
    let now = Utc::now();
    let done = if deactivate {
        registers.deactivate(&id, &reason, now).await
    } else {
        registers.reactivate(&id, &reason, now).await
    };
    answered(
        &app,
        &ctx,
        &id,
        Sent {
            posted: Posted::Status,
            form: &form,
            prefix: "status-",
            fields: &["reason"],
            default: "reason",
        },
        done.map(|_| ()),
    )
    .await
}

/// The end of a suspension as the form gives it: a date (the suspension ends as that day
/// begins, UTC) or an RFC 3339 time.
fn until_of(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// `POST /operator/party/{id}/suspend`, as `POST /v1/admin/parties/{id}/suspensions`.
pub async fn suspend(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    let privilege = match form.get("privilege") {
        "" => None,
        p => match Privilege::parse(p) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError {
                    field: "suspend-privilege".into(),
                    message: ctx.t("ops-choose-privilege"),
                });
                None
            }
        },
    };
    let until = until_of(form.get("until"));
    if until.is_none() {
        errors.push(FieldError { field: "suspend-until".into(), message: ctx.t("ops-suspend-until-wrong") });
    }
    let reason = reason_of(&ctx, &form, "suspend-reason");
    if let Err(missing) = &reason {
        errors.extend(missing.iter().cloned());
    }
    let (Some(until), Ok(reason), true) = (until, reason, errors.is_empty()) else {
        return party_page(&app, &ctx, &id, Some(Posted::Suspend), &form, &errors, None).await;
    };
    let new = NewSuspension { privilege, until, reason };
    let done = registers.suspend(&id, &new, Utc::now()).await.map(|_| ());
    let fields = ["privilege", "until", "reason"];
    answered(
        &app,
        &ctx,
        &id,
        Sent { posted: Posted::Suspend, form: &form, prefix: "suspend-", fields: &fields, default: "until" },
        done,
    )
    .await
}

/// `POST /operator/party/{id}/lift`, as `POST /v1/admin/parties/{id}/suspensions/{number}/lift`.
pub async fn lift(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let Ok(number) = form.get("suspension").parse::<u32>() else { return pages::not_found_page(&ctx) };
    let prefix = format!("lift-{number}-");
    let reason = match reason_of(&ctx, &form, &format!("{prefix}reason")) {
        Ok(r) => r,
        Err(errors) => {
            return party_page(&app, &ctx, &id, Some(Posted::Lift(number)), &form, &errors, None).await;
        }
    };
    let done = registers.lift_suspension(&id, number, &reason, Utc::now()).await.map(|_| ());
    answered(
        &app,
        &ctx,
        &id,
        Sent {
            posted: Posted::Lift(number),
            form: &form,
            prefix: &prefix,
            fields: &["reason"],
            default: "reason",
        },
        done,
    )
    .await
}

/// `POST /operator/party/{id}/contacts/remove`, as
/// `POST /v1/admin/authorities/{id}/contacts/{contact}/remove`.
pub async fn remove_contact(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    PageForm(form): PageForm<OpsForm>,
) -> Response {
    let registers = match registers(&app, &ctx) {
        Ok(r) => r,
        Err(page) => return *page,
    };
    let mut errors = Vec::new();
    if form.get("contact").is_empty() {
        errors.push(FieldError { field: "contact-contact".into(), message: ctx.t("ops-choose-contact") });
    }
    let reason = reason_of(&ctx, &form, "contact-reason");
    if let Err(missing) = &reason {
        errors.extend(missing.iter().cloned());
    }
    let (Ok(reason), true) = (reason, errors.is_empty()) else {
        return party_page(&app, &ctx, &id, Some(Posted::Contact), &form, &errors, None).await;
    };
    let done = registers.remove_contact(&id, form.get("contact"), &reason, Utc::now()).await.map(|_| ());
    let sent = Sent {
        posted: Posted::Contact,
        form: &form,
        prefix: "contact-",
        fields: &["contact", "reason"],
        default: "contact",
    };
    answered(&app, &ctx, &id, sent, done).await
}
