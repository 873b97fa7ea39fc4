//! The policy packs, public (issue 16, item 8): `/packs` lists each pack with every version
//! comity has judged with, and `/packs/{id}/versions/{version}` shows one version's rules
//! with their citations, its settings and grounds, what changed from the version before it
//! rule by rule, and its exact text. The same use cases as `GET /v1/packs...`: anyone may
//! read them, and the number of requests each version judged only those who may read
//! aggregates.

use axum::{
    extract::{Path, State as AxumState},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use comity_app::{PackHistory, PackText, PackVersion};
use comity_policy::{Change, FieldChange, Pack, PackDiff, SettingValue};
use maud::{Markup, html};

use super::{
    Ctx,
    layout::{self},
    pages::{base_url, error_page},
};
use crate::AppState;

/// The first 12 hex digits of a hash: enough to name a version (the API takes them).
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// The address of a version's page: by its hash, which names one text even where two
/// carry the same version.
pub fn version_href(pack: &str, hash: &str) -> String {
    format!("/packs/{pack}/versions/{hash}")
}

/// `/packs`: every pack and its versions.
pub async fn index(AxumState(app): AxumState<AppState>, ctx: Ctx, headers: HeaderMap) -> Response {
    let history = match app.app.pack_history(ctx.caller.as_ref()).await {
        Ok(history) => history,
        Err(e) => return error_page(&ctx, &e),
    };
    let counted = history.iter().flat_map(|h| &h.versions).any(|v| v.requests_judged.is_some());
    let base = base_url(&app, &headers);
    let title = ctx.t("packs-title");
    let body = html! {
        h1 { (title) }
        p class="lead" { (ctx.t("packs-lead")) }
        @if !counted { p class="hint" { (ctx.t("packs-counts-hidden")) } }
        @if history.is_empty() { p class="empty" { (ctx.t("packs-none")) } }
        @for pack in &history { (pack_section(&ctx, pack, counted)) }
        h2 { (ctx.t("packs-check-title")) }
        p { (ctx.t("packs-check-intro")) }
        pre class="command" {
            "curl -s " (base) "/v1/packs\n"
            "curl -s '" (base) "/v1/packs/eu-e-evidence/diff?from=VERSION&to=VERSION'\n"
            "comity pack diff OLD.toml NEW.toml"
        }
    };
    layout::page(&ctx, StatusCode::OK, &title, body)
}

fn pack_section(ctx: &Ctx, pack: &PackHistory, counted: bool) -> Markup {
    html! {
        section class="pack" aria-labelledby={ "pack-" (pack.id) } {
            h2 id={ "pack-" (pack.id) } { (pack.title) }
            p { code { (pack.id) } @if !pack.applies_to.is_empty() { " · " (ctx.lang.t_with("packs-applies-to", &[("what", pack.applies_to.clone().into())])) } }
            table {
                caption class="visually-hidden" { (ctx.lang.t_with("packs-caption", &[("pack", pack.id.clone().into())])) }
                thead { tr {
                    th scope="col" { (ctx.t("packs-col-version")) }
                    th scope="col" { (ctx.t("packs-col-hash")) }
                    th scope="col" { (ctx.t("packs-col-since")) }
                    @if counted { th scope="col" class="numeric" { (ctx.t("packs-col-judged")) } }
                    th scope="col" { (ctx.t("packs-col-status")) }
                    th scope="col" { (ctx.t("packs-col-changes")) }
                } }
                tbody {
                    @for (n, v) in pack.versions.iter().enumerate() {
                        @let previous = pack.versions[..n].iter().rev().find(|p| p.kept);
                        tr {
                            th scope="row" {
                                @if v.kept { a href=(version_href(&v.pack, &v.hash)) { (v.version) } } @else { (v.version) }
                            }
                            td { code { (short(&v.hash)) } }
                            td { @if let Some(at) = v.since() { (layout::time(at)) } }
                            @if counted { td class="numeric" { (v.requests_judged.unwrap_or(0)) } }
                            td {
                                @if v.in_force { strong class="tag tag-pass" { (ctx.t("packs-in-force")) } }
                                @else { span class="muted" { (ctx.t("packs-superseded")) } }
                                @if !v.kept { br; span class="muted" { (ctx.t("packs-not-kept")) } }
                            }
                            td {
                                @match (v.kept, previous) {
                                    (true, Some(p)) => {
                                        a href={ (version_href(&v.pack, &v.hash)) "#changes" } {
                                            (ctx.lang.t_with("packs-changes-from", &[("version", p.version.clone().into())]))
                                        }
                                    }
                                    (true, None) => { span class="muted" { (ctx.t("packs-first-version")) } }
                                    (false, _) => {}
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `/packs/{id}/versions/{version}`: one version, its changes from the one before, its text.
pub async fn version(
    AxumState(app): AxumState<AppState>,
    ctx: Ctx,
    Path((id, version)): Path<(String, String)>,
) -> Response {
    let kept = match app.app.pack_text(ctx.caller.as_ref(), &id, &version).await {
        Ok(kept) => kept,
        Err(e) => return error_page(&ctx, &e),
    };
    let changes = match &kept.previous {
        Some(previous) => {
            match app
                .app
                .pack_diff(ctx.caller.as_ref(), &id, Some(&previous.hash), Some(&kept.version.hash))
                .await
            {
                Ok(compared) => Some((previous.clone(), Ok(compared.diff))),
                // A text this comity no longer reads cannot be compared; the page says why.
                Err(e) => Some((previous.clone(), Err(e.to_string()))),
            }
        }
        None => None,
    };
    let title = match &kept.pack {
        Ok(pack) => ctx.lang.t_with(
            "pack-version-title",
            &[("title", pack.title.clone().into()), ("version", kept.version.version.clone().into())],
        ),
        Err(_) => ctx.lang.t_with(
            "pack-version-title",
            &[("title", id.clone().into()), ("version", kept.version.version.clone().into())],
        ),
    };
    let body = html! {
        p { a href="/packs" class="back" { (ctx.t("pack-back")) } }
        h1 { (title) }
        (facts(&ctx, &kept))
        @if let Err(why) = &kept.pack {
            p class="field-error" { (ctx.lang.t_with("pack-unreadable", &[("why", why.clone().into())])) }
        }
        h2 id="changes" {
            @match &changes {
                Some((previous, _)) => { (ctx.lang.t_with("pack-changes-title", &[("version", previous.version.clone().into())])) }
                None => { (ctx.t("pack-changes")) }
            }
        }
        @match &changes {
            None => { p { (ctx.t("pack-first")) } }
            Some((_, Err(why))) => { p { (why) } }
            Some((previous, Ok(diff))) => {
                p { a href=(version_href(&previous.pack, &previous.hash)) { (ctx.lang.t_with("pack-see-version", &[("version", previous.version.clone().into())])) } }
                (diff_section(&ctx, diff))
            }
        }
        @if let Ok(pack) = &kept.pack { (contents(&ctx, pack)) }
        h2 { (ctx.t("pack-text-title")) }
        details {
            summary { (ctx.t("pack-text-show")) }
            pre class="command" { (kept.text) }
        }
        @if let Some(house) = &kept.house {
            h3 { (ctx.t("pack-text-house")) }
            pre class="command" { (house) }
        }
    };
    layout::page(&ctx, StatusCode::OK, &title, body)
}

fn facts(ctx: &Ctx, kept: &PackText) -> Markup {
    let v: &PackVersion = &kept.version;
    html! {
        dl class="summary" {
            dt { (ctx.t("pack-id")) } dd { code { (v.pack) } }
            @if let Ok(pack) = &kept.pack { dt { (ctx.t("pack-applies-to")) } dd { (pack.applies_to.to_string()) } }
            dt { (ctx.t("pack-hash")) } dd { code class="wrap-anywhere" { (v.hash) } }
            @if let Some(at) = v.first_seen { dt { (ctx.t("pack-first-seen")) } dd { (layout::time(at)) } }
            @if let Some(at) = v.first_judged { dt { (ctx.t("pack-first-judged")) } dd { (layout::time(at)) } }
            @if let Some(n) = v.requests_judged { dt { (ctx.t("pack-judged")) } dd { (n) } }
            dt { (ctx.t("pack-status")) } dd {
                @if v.in_force { (ctx.t("pack-in-force-yes")) } @else { (ctx.t("pack-in-force-no")) }
            }
            @if let Some(index) = v.log_index { dt { (ctx.t("pack-log-entry")) } dd { (index) } }
        }
    }
}

/// What changed, rule by rule, each with its citation.
fn diff_section(ctx: &Ctx, d: &PackDiff) -> Markup {
    let nothing = d.rules.is_empty() && d.settings.is_empty() && d.grounds.is_empty();
    html! {
        @if nothing { p { (ctx.t("pack-changes-none")) } }
        @if !d.rules.is_empty() {
            h3 { (ctx.t("pack-changes-rules")) }
            ul class="findings" {
                @for r in &d.rules {
                    li class={ "finding change-" (r.change.as_str()) } {
                        (change_tag(ctx, r.change)) " " code { (r.rule) } " " span class="citation" { (r.citation) }
                        @if r.change == Change::Changed {
                            ul { @for c in &r.changes { li { (rule_field_change(ctx, d, c)) } } }
                        } @else if !r.provisions.is_empty() || !r.settings.is_empty() {
                            ul {
                                @for (key, citation) in &r.provisions { li { (ctx.lang.t_with("pack-field-provision", &[("key", (*key).into())])) ": " (citation) } }
                                @for (name, value) in &r.settings { li { (ctx.lang.t_with("pack-field-setting", &[("name", (*name).into())])) ": " (value_text(ctx, value)) } }
                            }
                        }
                    }
                }
            }
        }
        @if !d.settings.is_empty() {
            h3 { (ctx.t("pack-changes-settings")) }
            ul class="findings" {
                @for s in &d.settings {
                    li class="finding" {
                        code { (s.setting) } ": "
                        @match (&s.old, &s.new) {
                            (SettingValue::List(_), SettingValue::List(_)) => { (list_change(ctx, &s.added(), &s.removed())) }
                            (old, new) => { (before_after(ctx, &value_text(ctx, old), &value_text(ctx, new))) }
                        }
                        @if s.read_by.is_empty() {
                            p class="hint" { (ctx.t("pack-read-by-none")) }
                        } @else {
                            ul {
                                @for (rule, citation) in &s.read_by {
                                    li { (ctx.lang.t_with("pack-read-by", &[("rule", rule.as_str().into())])) " " span class="citation" { (citation) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !d.grounds.is_empty() {
            h3 { (ctx.t("pack-changes-grounds")) }
            ul class="findings" {
                @for g in &d.grounds {
                    li class="finding" {
                        (change_tag(ctx, g.change)) " " code { (g.ground) } " " span class="citation" { (g.citation) }
                        @if g.change == Change::Changed {
                            ul { @for c in &g.changes { li { (field_change(ctx, c)) } } }
                        } @else {
                            p { (g.text) }
                        }
                    }
                }
            }
        }
        @if !d.metadata.is_empty() {
            h3 { (ctx.t("pack-changes-pack")) }
            ul {
                @for c in &d.metadata {
                    li {
                        @match c.field.as_str() {
                            "hash" => { (field_name(ctx, &c.field)) ": " (before_after(ctx, short(c.old.as_deref().unwrap_or("")), short(c.new.as_deref().unwrap_or("")))) }
                            "house" => { (field_name(ctx, &c.field)) }
                            _ => { (field_change(ctx, c)) }
                        }
                    }
                }
            }
        }
    }
}

fn change_tag(ctx: &Ctx, change: Change) -> Markup {
    let class = match change {
        Change::Added => "tag tag-pass",
        Change::Removed => "tag tag-fail",
        Change::Changed => "tag tag-review",
    };
    html! { strong class=(class) { (ctx.t(&format!("pack-change-{}", change.as_str()))) } }
}

/// A field's name as a reader knows it: "citation", "provision traffic_content", "setting max_targets".
fn field_name(ctx: &Ctx, field: &str) -> String {
    if let Some(key) = field.strip_prefix("provisions.") {
        return ctx.lang.t_with("pack-field-provision", &[("key", key.to_owned().into())]);
    }
    if let Some(name) = field.strip_prefix("settings.") {
        return ctx.lang.t_with("pack-field-setting", &[("name", name.to_owned().into())]);
    }
    let id = format!("pack-field-{field}");
    if ctx.lang.has(&id) { ctx.t(&id) } else { field.to_owned() }
}

/// A rule's change; a list it reads (States, sensitive terms) as the items added and removed.
fn rule_field_change(ctx: &Ctx, d: &PackDiff, c: &FieldChange) -> Markup {
    let list = c
        .field
        .strip_prefix("settings.")
        .and_then(|name| d.settings.iter().find(|s| s.setting == name))
        .filter(|s| matches!(s.new, SettingValue::List(_)));
    match list {
        Some(s) => html! { (field_name(ctx, &c.field)) ": " (list_change(ctx, &s.added(), &s.removed())) },
        None => field_change(ctx, c),
    }
}

fn list_change(ctx: &Ctx, added: &[&str], removed: &[&str]) -> Markup {
    html! {
        @if !added.is_empty() { (ctx.lang.t_with("pack-list-added", &[("items", added.join(", ").into())])) }
        @if !added.is_empty() && !removed.is_empty() { "; " }
        @if !removed.is_empty() { (ctx.lang.t_with("pack-list-removed", &[("items", removed.join(", ").into())])) }
    }
}

fn field_change(ctx: &Ctx, c: &FieldChange) -> Markup {
    let none = ctx.t("pack-none");
    html! {
        (field_name(ctx, &c.field)) ": "
        (before_after(ctx, c.old.as_deref().unwrap_or(&none), c.new.as_deref().unwrap_or(&none)))
    }
}

/// Old and new, marked as such for those who do not see the strike-through.
fn before_after(ctx: &Ctx, old: &str, new: &str) -> Markup {
    html! {
        del { span class="visually-hidden" { (ctx.t("pack-before")) " " } (old) }
        " → "
        ins { span class="visually-hidden" { (ctx.t("pack-after")) " " } (new) }
    }
}

fn value_text(ctx: &Ctx, value: &SettingValue) -> String {
    match value {
        SettingValue::Unset => ctx.t("pack-not-set"),
        SettingValue::List(items) => items.join(", "),
        other => other.to_string(),
    }
}

/// The version's rules with their citations, its settings and its grounds.
fn contents(ctx: &Ctx, pack: &Pack) -> Markup {
    let settings = pack.settings.entries();
    html! {
        h2 { (ctx.t("pack-rules-title")) }
        table {
            thead { tr {
                th scope="col" { (ctx.t("pack-col-rule")) }
                th scope="col" { (ctx.t("pack-col-citation")) }
                th scope="col" { (ctx.t("pack-col-provisions")) }
                th scope="col" { (ctx.t("pack-col-settings")) }
            } }
            tbody {
                @for r in &pack.rules {
                    tr {
                        th scope="row" { code { (r.rule) } }
                        td { (r.citation) }
                        td { @if !r.provisions.is_empty() { ul { @for (key, citation) in &r.provisions { li { code { (key) } ": " (citation) } } } } }
                        td {
                            @if !r.rule.settings().is_empty() {
                                ul {
                                    @for (name, value) in settings.iter().filter(|(n, _)| r.rule.settings().contains(n)) {
                                        li { code { (name) } " = " (value_text(ctx, value)) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (ctx.t("pack-settings-title")) }
        p class="hint" { (ctx.t("pack-settings-hint")) }
        table {
            thead { tr { th scope="col" { (ctx.t("pack-col-setting")) } th scope="col" { (ctx.t("pack-col-value")) } } }
            tbody {
                @for (name, value) in &settings {
                    tr { th scope="row" { code { (name) } } td { (value_text(ctx, value)) } }
                }
            }
        }
        @if !pack.grounds.is_empty() {
            h2 { (ctx.t("pack-grounds-title")) }
            table {
                thead { tr {
                    th scope="col" { (ctx.t("pack-col-ground")) }
                    th scope="col" { (ctx.t("pack-col-citation")) }
                    th scope="col" { (ctx.t("pack-col-text")) }
                    th scope="col" { (ctx.t("pack-col-for")) }
                } }
                tbody {
                    @for g in &pack.grounds {
                        tr {
                            th scope="row" { code { (g.id) } }
                            td { (g.citation) }
                            td { (g.text) }
                            td { (g.used_for.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
            }
        }
    }
}
