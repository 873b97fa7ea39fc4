//! An authority's clerk submits a request as a person (issue 14, item 3): a form for the
//! request document, version 1 (`docs/request-document.md`), which the page turns into the
//! document and hands to the same intake as `POST /v1/requests` with a session: recorded
//! as received through the portal from that person, parsed and screened the same way. Each
//! problem the intake finds is shown beside its field, in the API's words.
//!
//! A hidden idempotency key, new with each blank form, makes a form sent twice (a double
//! click, a reload) create one request.

use axum::{
    extract::State as AxumState,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{NaiveDate, Utc};
use comity_core::{
    AuthorityType, DataCategory, IdempotencyKey, Instrument, ListedOffence, Party, PartyRole, ProtectedRole,
    Purpose, RequestKind, Role, SelectorType,
};
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::{
    Ctx,
    csrf::{FormFields, PageForm},
    layout::{self, FieldError},
    pages,
};
use crate::AppState;

/// How many target rows the form offers; more go through the API.
const TARGET_ROWS: usize = 3;

/// The form as posted: its fields by name (a document path).
pub type SubmitForm = FormFields;

/// `GET /requests/new`: the blank form.
pub async fn page(AxumState(app): AxumState<AppState>, ctx: Ctx) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    if caller.principal.role != Role::Requester {
        return pages::not_found_page(&ctx);
    }
    let key = uuid::Uuid::now_v7().to_string();
    form_page(&app, &ctx, &caller, &SubmitForm::default(), &key, &[], None, StatusCode::OK).await
}

/// `POST /requests/new`: the document built from the form, through the intake.
pub async fn submit(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    PageForm(form): PageForm<SubmitForm>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    if caller.principal.role != Role::Requester {
        return pages::not_found_page(&ctx);
    }
    let key = form.get("idempotency_key").to_owned();
    let (document, mut errors) = document_of(&ctx, &caller, &form);
    if errors.is_empty() {
        let idempotency = IdempotencyKey::parse(&key).ok();
        let body = serde_json::to_vec(&document).unwrap_or_default();
        match app.app.submit_document(&caller, &body, idempotency).await {
            Ok(accepted) => {
                return Redirect::to(&format!("/requests/{}", accepted.request.id)).into_response();
            }
            Err(e @ comity_app::Error::Internal(_)) => return pages::error_page(&ctx, &e),
            Err(e) => {
                errors = problems_at_fields(&e);
                if errors.is_empty() {
                    let general = pages::error_text(&ctx, &e);
                    return form_page(
                        &app,
                        &ctx,
                        &caller,
                        &form,
                        &key,
                        &[],
                        Some(&general),
                        pages::status_of(&e),
                    )
                    .await;
                }
            }
        }
    }
    form_page(&app, &ctx, &caller, &form, &key, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// When the form says it was opened (its hidden `issued_at`), or now.
fn issued_at(form: &SubmitForm) -> String {
    let given = form.get("issued_at");
    match chrono::DateTime::parse_from_rfc3339(given) {
        Ok(t) => t.with_timezone(&Utc).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

/// The id of the input a document path is typed in: `targets[0].selector.value` is
/// `targets-0-selector-value`.
fn field_id(path: &str) -> String {
    path.replace(['.', '['], "-").replace(']', "")
}

/// The document's fields the form shows one input for, by path.
const SCALAR_FIELDS: [&str; 19] = [
    "instrument",
    "kind",
    "purpose",
    "emergency",
    "issuing.authority_type",
    "issuing.reference",
    "issuing.validated_by.authority",
    "issuing.validated_by.authority_type",
    "addressee.provider",
    "addressee.country",
    "offence.description",
    "offence.max_sentence_months",
    "offence.listed_category",
    "offence.via_information_system",
    "offence.committed_in_issuing_state",
    "justification",
    "nondisclosure.requested",
    "nondisclosure.until",
    "nondisclosure.reason",
];

/// The fields of the form, as ids: a problem at a path goes to the field of that path, or
/// of the nearest path above it the form has.
fn known_fields() -> Vec<String> {
    let mut fields: Vec<String> = SCALAR_FIELDS
        .iter()
        .chain(&[
            "data_categories",
            "time_window.from",
            "time_window.to",
            "time_window",
            "nondisclosure",
            "targets",
        ])
        .map(|p| field_id(p))
        .collect();
    for i in 0..TARGET_ROWS {
        for part in ["selector.type", "selector.value", "residence_country", "us_person", "protected_role"] {
            fields.push(field_id(&format!("targets[{i}].{part}")));
        }
    }
    fields
}

/// Each problem the intake found, at the form's field for its path, or the nearest field
/// above it (a problem with the whole document goes to the first field, its path named).
fn problems_at_fields(e: &comity_app::Error) -> Vec<FieldError> {
    let raw = match e {
        comity_app::Error::Invalid { problems, .. } => problems.clone(),
        comity_app::Error::Document(d) => d.problems.clone(),
        _ => Vec::new(),
    };
    let known = known_fields();
    raw.into_iter()
        .map(|p| {
            let mut path = p.path.clone();
            loop {
                let id = field_id(&path);
                if known.contains(&id) {
                    return FieldError { field: id, message: p.message };
                }
                match path.rfind(['.', '[']) {
                    Some(at) => path.truncate(at),
                    None => {
                        let message =
                            if p.path.is_empty() { p.message } else { format!("{}: {}", p.path, p.message) };
                        return FieldError { field: "instrument".into(), message };
                    }
                }
            }
        })
        .collect()
}

/// The document the form describes, and the problems the form itself can tell (a date that
/// is not one); everything else is the intake's to judge.
fn document_of(ctx: &Ctx, caller: &comity_app::Caller, form: &SubmitForm) -> (Value, Vec<FieldError>) {
    let mut errors = Vec::new();
    let text = |name: &str| {
        let v = form.get(name);
        if v.is_empty() { Value::Null } else { Value::String(v.to_owned()) }
    };
    let mut date = |name: &'static str, next_day: bool| -> Value {
        let v = form.get(name);
        if v.is_empty() {
            return Value::Null;
        }
        match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => {
                let d = if next_day { d.succ_opt().unwrap_or(d) } else { d };
                Value::String(format!("{}T00:00:00Z", d.format("%Y-%m-%d")))
            }
            Err(_) => {
                errors.push(FieldError { field: field_id(name), message: ctx.t("submit-date-wrong") });
                Value::Null
            }
        }
    };
    let from = date("time_window.from", false);
    let to = date("time_window.to", true);
    let mut targets = Vec::new();
    for i in 0..TARGET_ROWS {
        let value = form.get(&format!("targets[{i}].selector.value"));
        if value.is_empty() {
            continue;
        }
        let mut target = Map::new();
        target.insert(
            "selector".into(),
            json!({"type": form.get(&format!("targets[{i}].selector.type")), "value": value}),
        );
        for part in ["residence_country", "protected_role"] {
            let v = form.get(&format!("targets[{i}].{part}"));
            if !v.is_empty() {
                target.insert(part.into(), Value::String(v.to_owned()));
            }
        }
        match form.get(&format!("targets[{i}].us_person")) {
            "yes" => target.insert("us_person".into(), Value::Bool(true)),
            "no" => target.insert("us_person".into(), Value::Bool(false)),
            _ => None,
        };
        targets.push(Value::Object(target));
    }
    let months = form.get("offence.max_sentence_months");
    let max_sentence = if months.is_empty() {
        Value::Null
    } else {
        match months.parse::<u32>() {
            Ok(n) => json!(n),
            Err(_) => {
                errors.push(FieldError {
                    field: "offence-max_sentence_months".into(),
                    message: ctx.t("submit-months-wrong"),
                });
                Value::Null
            }
        }
    };
    let until = if form.ticked("nondisclosure.requested") {
        match form.get("nondisclosure.until") {
            "" => Value::Null,
            v => Value::String(v.to_owned()),
        }
    } else {
        Value::Null
    };
    let authority = match &caller.party {
        Party::Authority(a) => a,
        _ => unreachable!("only a requester submits, and a requester's party is an authority"),
    };
    let mut issuing = json!({
        "country": authority.country.to_string(),
        "authority": authority.id.to_string(),
        "authority_type": text("issuing.authority_type"),
        "reference": text("issuing.reference"),
    });
    if !form.get("issuing.validated_by.authority").is_empty() {
        issuing["validated_by"] = json!({
            "authority": form.get("issuing.validated_by.authority"),
            "authority_type": text("issuing.validated_by.authority_type"),
        });
    }
    let mut offence = json!({
        "description": text("offence.description"),
        "via_information_system": form.ticked("offence.via_information_system"),
        "committed_in_issuing_state": form.ticked("offence.committed_in_issuing_state"),
    });
    if !max_sentence.is_null() {
        offence["max_sentence_months"] = max_sentence;
    }
    if !form.get("offence.listed_category").is_empty() {
        offence["listed_category"] = text("offence.listed_category");
    }
    let mut document = json!({
        "version": 1,
        "instrument": text("instrument"),
        "kind": text("kind"),
        "purpose": text("purpose"),
        "emergency": form.ticked("emergency"),
        "issuing": issuing,
        "addressee": {"provider": text("addressee.provider"), "country": text("addressee.country")},
        "offence": offence,
        "targets": targets,
        "data_categories": form.all("data_categories"),
        "time_window": {"from": from, "to": to},
        "justification": text("justification"),
        // When the form was opened: a form sent twice is the same document, so its
        // idempotency key makes one request.
        "issued_at": issued_at(form),
    });
    if form.ticked("nondisclosure.requested") {
        document["nondisclosure"] =
            json!({"requested": true, "until": until, "reason": text("nondisclosure.reason")});
    }
    (document, errors)
}

#[allow(clippy::too_many_arguments)]
async fn form_page(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    form: &SubmitForm,
    key: &str,
    errors: &[FieldError],
    general: Option<&str>,
    status: StatusCode,
) -> Response {
    let target = Target {
        action: "/requests/new".to_owned(),
        title: ctx.t("submit-title"),
        before: html! {
            p class="lead" { (ctx.t("submit-intro")) }
        },
        send: ctx.t("submit-send"),
    };
    document_form(app, ctx, caller, form, key, errors, general, status, target).await
}

/// Where a document's form posts, how its page is titled, what it says first.
struct Target {
    action: String,
    title: String,
    before: Markup,
    send: String,
}

/// The form of a request document, for a new request or an amended one.
#[allow(clippy::too_many_arguments)]
async fn document_form(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    form: &SubmitForm,
    key: &str,
    errors: &[FieldError],
    general: Option<&str>,
    status: StatusCode,
    target: Target,
) -> Response {
    let providers = app.app.parties(caller, PartyRole::Provider).await.unwrap_or_default();
    let authorities = app.app.parties(caller, PartyRole::Authority).await.unwrap_or_default();
    let title = target.title.clone();
    let f = Fields { ctx, form, errors };
    let body = html! {
        (layout::error_summary(ctx, errors, general))
        p { a href="/" class="back" { (ctx.t("back-home")) } }
        h1 { (title) }
        (target.before)
        form method="post" action=(target.action) novalidate {
            input type="hidden" name="csrf" value=(ctx.csrf);
            input type="hidden" name="idempotency_key" value=(key);
            input type="hidden" name="issued_at" value=(issued_at(form));
            h2 { (ctx.t("submit-law")) }
            (f.select("instrument", &Instrument::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("instrument-{v}")))).collect::<Vec<_>>(), false))
            (f.radios("kind", &RequestKind::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("kind-{v}")))).collect::<Vec<_>>()))
            (f.select("purpose", &Purpose::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("purpose-{v}")))).collect::<Vec<_>>(), false))
            (f.checkbox("emergency"))
            h2 { (ctx.t("submit-issuing")) }
            (f.select("issuing.authority_type", &authority_types(ctx), false))
            (f.text("issuing.reference", ""))
            (f.select("issuing.validated_by.authority", &authorities.iter().map(|a| (a.id().as_str(), a.name().to_owned())).collect::<Vec<_>>(), true))
            (f.select("issuing.validated_by.authority_type", &authority_types(ctx), true))
            h2 { (ctx.t("submit-addressee")) }
            (f.select("addressee.provider", &providers.iter().map(|p| (p.id().as_str(), p.name().to_owned())).collect::<Vec<_>>(), false))
            (f.text("addressee.country", "short"))
            h2 { (ctx.t("submit-offence")) }
            (f.textarea("offence.description"))
            (f.text("offence.max_sentence_months", "short"))
            (f.select("offence.listed_category", &ListedOffence::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("listed-{v}")))).collect::<Vec<_>>(), true))
            (f.checkbox("offence.via_information_system"))
            (f.checkbox("offence.committed_in_issuing_state"))
            h2 id="targets" { (ctx.t("submit-targets")) }
            p class="hint" { (ctx.t("submit-targets-hint")) }
            (layout::field_error(ctx, errors, "targets"))
            @for i in 0..TARGET_ROWS {
                fieldset class="target" {
                    legend { (ctx.lang.t_with("submit-target", &[("n", (i + 1).into())])) }
                    (f.select(&format!("targets[{i}].selector.type"), &SelectorType::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("selector-{v}")))).collect::<Vec<_>>(), false))
                    (f.text(&format!("targets[{i}].selector.value"), ""))
                    (f.text(&format!("targets[{i}].residence_country"), "short"))
                    (f.select(&format!("targets[{i}].us_person"), &[("yes", ctx.t("yes")), ("no", ctx.t("no"))], true))
                    (f.select(&format!("targets[{i}].protected_role"), &ProtectedRole::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("protected-{v}")))).collect::<Vec<_>>(), true))
                }
            }
            h2 { (ctx.t("submit-data")) }
            (f.checkboxes("data_categories", &DataCategory::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("category-{v}")))).collect::<Vec<_>>()))
            (layout::field_error(ctx, errors, "time_window"))
            (f.date("time_window.from"))
            (f.date("time_window.to"))
            (f.textarea("justification"))
            h2 { (ctx.t("submit-nondisclosure")) }
            (f.checkbox("nondisclosure.requested"))
            (f.date("nondisclosure.until"))
            (f.textarea("nondisclosure.reason"))
            button type="submit" class="button" { (target.send) }
        }
    };
    layout::page(ctx, status, &title, body)
}

fn authority_types(ctx: &Ctx) -> Vec<(&'static str, String)> {
    AuthorityType::ALL.iter().map(|v| (v.as_str(), ctx.t(&format!("authority-type-{v}")))).collect()
}

/// The form's inputs, each labelled from the messages by its path (`field-<path>`, with
/// `.` and the row number dropped), with its hint where the messages have one
/// (`hint-<path>`), its error beside it, and the value posted kept.
struct Fields<'a> {
    ctx: &'a Ctx,
    form: &'a SubmitForm,
    errors: &'a [FieldError],
}

impl Fields<'_> {
    fn message_id(path: &str) -> String {
        let generic: String =
            path.split('.').map(|seg| seg.split('[').next().unwrap_or(seg)).collect::<Vec<_>>().join("-");
        generic
    }

    fn label(&self, path: &str) -> (String, String, Option<String>, Markup, Option<&'static str>) {
        let id = field_id(path);
        let key = Self::message_id(path);
        let label = self.ctx.t(&format!("field-{key}"));
        let hint_id = format!("hint-{key}");
        let hint = self.ctx.lang.has(&hint_id).then(|| self.ctx.t(&hint_id));
        let error = layout::field_error(self.ctx, self.errors, &id);
        let invalid = self.errors.iter().any(|e| e.field == id).then_some("true");
        (id, label, hint, error, invalid)
    }

    fn described(id: &str, hint: bool, invalid: bool) -> Option<String> {
        let ids: Vec<String> = [hint.then(|| format!("{id}-hint")), invalid.then(|| format!("{id}-error"))]
            .into_iter()
            .flatten()
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn text(&self, path: &str, class: &str) -> Markup {
        let (id, label, hint, error, invalid) = self.label(path);
        html! {
            div class="field" {
                label for=(id) { (label) }
                @if let Some(h) = &hint { p class="hint" id={ (id) "-hint" } { (h) } }
                (error)
                input type="text" id=(id) name=(path) value=(self.form.get(path)) class=(class)
                    aria-invalid=[invalid] aria-describedby=[Self::described(&id, hint.is_some(), invalid.is_some())];
            }
        }
    }

    fn date(&self, path: &str) -> Markup {
        let (id, label, hint, error, invalid) = self.label(path);
        html! {
            div class="field" {
                label for=(id) { (label) }
                @if let Some(h) = &hint { p class="hint" id={ (id) "-hint" } { (h) } }
                (error)
                input type="date" id=(id) name=(path) value=(self.form.get(path))
                    aria-invalid=[invalid] aria-describedby=[Self::described(&id, hint.is_some(), invalid.is_some())];
            }
        }
    }

    fn textarea(&self, path: &str) -> Markup {
        let (id, label, hint, error, invalid) = self.label(path);
        html! {
            div class="field" {
                label for=(id) { (label) }
                @if let Some(h) = &hint { p class="hint" id={ (id) "-hint" } { (h) } }
                (error)
                textarea id=(id) name=(path) rows="4" aria-invalid=[invalid]
                    aria-describedby=[Self::described(&id, hint.is_some(), invalid.is_some())] { (self.form.get(path)) }
            }
        }
    }

    fn select(&self, path: &str, options: &[(&str, String)], optional: bool) -> Markup {
        let (id, label, hint, error, invalid) = self.label(path);
        let chosen = self.form.get(path);
        html! {
            div class="field" {
                label for=(id) { (label) }
                @if let Some(h) = &hint { p class="hint" id={ (id) "-hint" } { (h) } }
                (error)
                select id=(id) name=(path) aria-invalid=[invalid]
                    aria-describedby=[Self::described(&id, hint.is_some(), invalid.is_some())] {
                    @if optional { option value="" { (self.ctx.t("submit-none")) } }
                    @else { option value="" { (self.ctx.t("submit-choose")) } }
                    @for (value, text) in options {
                        option value=(value) selected[chosen == *value] { (text) }
                    }
                }
            }
        }
    }

    fn radios(&self, path: &str, options: &[(&str, String)]) -> Markup {
        let (id, label, _, error, _) = self.label(path);
        let chosen = self.form.get(path);
        html! {
            fieldset id=(id) {
                legend { (label) }
                (error)
                @for (value, text) in options {
                    div class="checkbox" {
                        input type="radio" id={ (id) "-" (value) } name=(path) value=(value) checked[chosen == *value];
                        label for={ (id) "-" (value) } { (text) }
                    }
                }
            }
        }
    }

    fn checkbox(&self, path: &str) -> Markup {
        let (id, label, hint, error, _) = self.label(path);
        html! {
            div class="checkbox" {
                input type="checkbox" id=(id) name=(path) value="true" checked[self.form.ticked(path)]
                    aria-describedby=[hint.as_ref().map(|_| format!("{id}-hint"))];
                label for=(id) { (label) }
            }
            @if let Some(h) = &hint { p class="hint" id={ (id) "-hint" } { (h) } }
            (error)
        }
    }

    fn checkboxes(&self, path: &str, options: &[(&str, String)]) -> Markup {
        let (id, label, _, error, _) = self.label(path);
        let chosen = self.form.all(path);
        html! {
            fieldset id=(id) {
                legend { (label) }
                (error)
                @for (value, text) in options {
                    div class="checkbox" {
                        input type="checkbox" id={ (id) "-" (value) } name=(path) value=(value) checked[chosen.contains(value)];
                        label for={ (id) "-" (value) } { (text) }
                    }
                }
            }
        }
    }
}

/// The form's fields as a document fills them, to amend it: each field at its path, the
/// period's last day as the person chose it (the day before an end at midnight).
fn fields_of(document: &Value) -> SubmitForm {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut put = |name: &str, v: &Value| {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(true) => "true".to_owned(),
            _ => return,
        };
        fields.push((name.to_owned(), text));
    };
    for path in SCALAR_FIELDS {
        let pointer = format!("/{}", path.replace('.', "/"));
        if let Some(v) = document.pointer(&pointer) {
            put(path, v);
        }
    }
    for (i, t) in document["targets"].as_array().into_iter().flatten().enumerate().take(TARGET_ROWS) {
        put(&format!("targets[{i}].selector.type"), &t["selector"]["type"]);
        put(&format!("targets[{i}].selector.value"), &t["selector"]["value"]);
        put(&format!("targets[{i}].residence_country"), &t["residence_country"]);
        put(&format!("targets[{i}].protected_role"), &t["protected_role"]);
        match t["us_person"] {
            Value::Bool(true) => put(&format!("targets[{i}].us_person"), &json!("yes")),
            Value::Bool(false) => put(&format!("targets[{i}].us_person"), &json!("no")),
            _ => {}
        }
    }
    for c in document["data_categories"].as_array().into_iter().flatten() {
        put("data_categories", c);
    }
    for (name, last_day) in [("time_window.from", false), ("time_window.to", true)] {
        let pointer = format!("/{}", name.replace('.', "/"));
        if let Some(day) =
            document.pointer(&pointer).and_then(Value::as_str).and_then(|t| shown_day(t, last_day))
        {
            fields.push((name.to_owned(), day));
        }
    }
    FormFields::from_pairs(fields)
}

/// The day a date input shows for a time of the document: its date, or for the end of a
/// period that falls at midnight, the day before (the last day included).
fn shown_day(time: &str, last_day: bool) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc3339(time).ok()?.with_timezone(&Utc);
    let midnight = t.time() == chrono::NaiveTime::MIN;
    let day = if last_day && midnight { t.date_naive().pred_opt()? } else { t.date_naive() };
    Some(day.format("%Y-%m-%d").to_string())
}

/// The amended document: the current one with what the form controls replaced. What the
/// form does not show (a target's `located_in` or `port`, a sentence imposed) is kept, and
/// a time of the period whose day was left as shown keeps its exact instant.
fn amended(current: &Value, fresh: Value, form: &SubmitForm) -> Value {
    let mut out = current.clone();
    let Value::Object(fresh) = fresh else { return out };
    for (key, value) in fresh {
        match key.as_str() {
            "targets" => {
                let kept = current["targets"].as_array().cloned().unwrap_or_default();
                let merged: Vec<Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, t)| {
                        let mut target = kept.get(i).cloned().unwrap_or_else(|| json!({}));
                        for field in ["residence_country", "protected_role", "us_person"] {
                            if let Some(o) = target.as_object_mut() {
                                o.remove(field);
                            }
                        }
                        if let (Some(o), Some(t)) = (target.as_object_mut(), t.as_object()) {
                            o.extend(t.clone());
                        }
                        target
                    })
                    .collect();
                out["targets"] = Value::Array(merged);
            }
            "time_window" => {
                for (end, last_day) in [("from", false), ("to", true)] {
                    let before = current["time_window"][end].as_str().unwrap_or("");
                    let unchanged = shown_day(before, last_day).as_deref()
                        == Some(form.get(&format!("time_window.{end}")));
                    out["time_window"][end] = if unchanged { json!(before) } else { value[end].clone() };
                }
            }
            "issuing" | "offence" | "addressee" => {
                if let (Some(o), Some(v)) = (out[key.as_str()].as_object_mut(), value.as_object()) {
                    for field in ["validated_by", "listed_category", "max_sentence_months"] {
                        o.remove(field);
                    }
                    o.extend(v.clone());
                } else {
                    out[key.as_str()] = value;
                }
            }
            _ => out[key.as_str()] = value,
        }
    }
    if !form.ticked("nondisclosure.requested")
        && let Some(o) = out.as_object_mut()
    {
        o.remove("nondisclosure");
    }
    out
}

/// `GET /requests/{id}/amend`: the questions asked, and the request's form filled in as it
/// stands, to answer them with an amended request.
pub async fn amend_page(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = comity_core::RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    match current(&app, &caller, id).await {
        Ok(document) => {
            let form = fields_of(&document);
            amend_form(&app, &ctx, &caller, id, &form, &[], None, StatusCode::OK).await
        }
        Err(e) => pages::error_page(&ctx, &e),
    }
}

/// `POST /requests/{id}/amend`: the amended document, through the same use case as `POST
/// /v1/requests/{id}/amendments`, re-screened.
pub async fn amend(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<String>,
    PageForm(form): PageForm<SubmitForm>,
) -> Response {
    let Some(caller) = ctx.caller.clone() else {
        return pages::sign_in_first(&ctx);
    };
    let Ok(id) = comity_core::RequestId::parse(&id) else {
        return pages::not_found_page(&ctx);
    };
    let document = match current(&app, &caller, id).await {
        Ok(d) => d,
        Err(e) => return pages::error_page(&ctx, &e),
    };
    let (fresh, mut errors) = document_of(&ctx, &caller, &form);
    if errors.is_empty() {
        let body = serde_json::to_vec(&amended(&document, fresh, &form)).unwrap_or_default();
        match app.app.amend_document(&caller, id, &body).await {
            Ok(_) => return Redirect::to(&format!("/requests/{id}")).into_response(),
            Err(e @ (comity_app::Error::Internal(_) | comity_app::Error::NotFound(_))) => {
                return pages::error_page(&ctx, &e);
            }
            Err(e) => {
                errors = problems_at_fields(&e);
                if errors.is_empty() {
                    let general = pages::error_text(&ctx, &e);
                    return amend_form(
                        &app,
                        &ctx,
                        &caller,
                        id,
                        &form,
                        &[],
                        Some(&general),
                        pages::status_of(&e),
                    )
                    .await;
                }
            }
        }
    }
    amend_form(&app, &ctx, &caller, id, &form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// The request's document as it stands, for a person of its authority who may answer a
/// clarification (the read is logged); one with more targets than the form shows is
/// amended through the API.
async fn current(
    app: &AppState,
    caller: &comity_app::Caller,
    id: comity_core::RequestId,
) -> Result<Value, comity_app::Error> {
    if caller.principal.role != Role::Requester {
        return Err(comity_app::Error::NotFound(format!("no request with id {id}")));
    }
    let (view, _) = app.app.read_request(caller, id).await?;
    let document: Value =
        serde_json::from_str(&view.request.document).map_err(comity_app::Error::internal)?;
    if document["targets"].as_array().is_some_and(|t| t.len() > TARGET_ROWS) {
        return Err(comity_app::Error::BadInput(format!(
            "this request names more than {TARGET_ROWS} accounts, more than the form shows: amend it through the API \
             (POST /v1/requests/{id}/amendments)"
        )));
    }
    Ok(document)
}

#[allow(clippy::too_many_arguments)]
async fn amend_form(
    app: &AppState,
    ctx: &Ctx,
    caller: &comity_app::Caller,
    id: comity_core::RequestId,
    form: &SubmitForm,
    errors: &[FieldError],
    general: Option<&str>,
    status: StatusCode,
) -> Response {
    let questions = app.app.read_clarifications(caller, id).await.map(|(c, _)| c).unwrap_or_default();
    let open: Vec<_> =
        questions.iter().filter(|c| c.answered_by.is_none()).flat_map(|c| c.questions.iter()).collect();
    let target = Target {
        action: format!("/requests/{id}/amend"),
        title: ctx.t("amend-title"),
        before: html! {
            p class="lead" { (ctx.t("amend-intro")) }
            @if !open.is_empty() {
                h2 { (ctx.t("amend-questions")) }
                ul class="findings" {
                    @for q in &open {
                        li class="finding finding-clarify" {
                            strong class="tag tag-clarify" { (ctx.t(&format!("clarification-{}", q.question.reason))) }
                            @if let Some(p) = &q.question.pointer { " " code { (p) } }
                            p { (q.question.question) }
                        }
                    }
                }
            }
        },
        send: ctx.t("amend-send"),
    };
    document_form(app, ctx, caller, form, "", errors, general, status, target).await
}
