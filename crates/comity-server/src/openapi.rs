//! The answers every route can give, written into the OpenAPI description once.
//!
//! Each handler's `#[utoipa::path]` documents what it decides itself (403, 404, 409, 422).
//! The layers every request passes answer some statuses before or around any handler, and
//! a client must be told of them on every operation they can reach: an outside test found
//! 429 and 401 undocumented on every route, so a generated client had no type for them
//! (issue 12, finding 4). They are added here, after the routes' own, so that no handler
//! has to repeat them and none can forget them.

use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr,
    path::{HttpMethod, Operation, PathItem},
    response::{Response, ResponseBuilder},
    security::SecurityRequirement,
};

/// The operations anyone may call without a credential: health, the public log, the
/// documents' schemas, the policy packs, the webhook key, logging in, and the one-time links whose secret is the credential.
/// Every other operation needs a token or a session (`extract::Authenticated`); the test
/// `the_description_says_which_operations_need_a_credential` holds this list to the
/// server's behaviour.
pub const PUBLIC: &[(HttpMethod, &str)] = &[
    (HttpMethod::Get, "/healthz"),
    (HttpMethod::Get, "/readyz"),
    (HttpMethod::Get, "/openapi.json"),
    (HttpMethod::Get, "/log/checkpoint"),
    (HttpMethod::Get, "/log/tile/{path}"),
    (HttpMethod::Get, "/v1/log"),
    (HttpMethod::Get, "/v1/log/proof/inclusion"),
    (HttpMethod::Get, "/v1/log/proof/consistency"),
    (HttpMethod::Get, "/v1/schemas/request"),
    // Transparency reports are public (issue 16): anyone may read and recompute them.
    (HttpMethod::Get, "/v1/transparency"),
    (HttpMethod::Get, "/v1/transparency.csv"),
    (HttpMethod::Get, "/v1/schemas/transparency-report"),
    (HttpMethod::Get, "/v1/transparency/releases"),
    (HttpMethod::Get, "/v1/transparency/releases/{number}"),
    (HttpMethod::Get, "/v1/transparency/releases/{number}/cells.csv"),
    // The policy packs and their history: what judges requests is public (issue 16, item 8).
    (HttpMethod::Get, "/v1/packs"),
    (HttpMethod::Get, "/v1/packs/{id}/versions/{version}"),
    (HttpMethod::Get, "/v1/packs/{id}/diff"),
    // The public key receivers verify comity's webhooks with (issue 13, item 8).
    (HttpMethod::Get, "/v1/webhooks/key"),
    (HttpMethod::Post, "/v1/session"),
    (HttpMethod::Post, "/v1/requests"),
    // An amended document comes signed, as a submission does.
    (HttpMethod::Post, "/v1/requests/{id}/amendments"),
    (HttpMethod::Post, "/v1/verify/view"),
    (HttpMethod::Post, "/v1/verify"),
    (HttpMethod::Post, "/v1/requests/{id}/verification"),
];

/// Adds the layers' answers to every operation that can get them, keeping any the
/// handler documented itself.
pub fn document_common_answers(api: &mut OpenApi) {
    for (path, item) in api.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let public = PUBLIC.contains(&(method, path.as_str()));
            if public {
                // An empty requirement: no credential needed (OpenAPI 3.1 §4.8.10).
                operation.security = Some(vec![SecurityRequirement::default()]);
            }
            let has_body = operation.request_body.is_some();
            let json_body = operation
                .request_body
                .as_ref()
                .is_some_and(|body| body.content.contains_key("application/json"));
            let has_parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let mut add = |status: &str, description: &str| {
                operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description));
            };
            // `auth::authenticate`: a credential given and not good is refused on any
            // route, public ones included, rather than quietly treated as anonymous.
            add(
                "401",
                "A credential was given and does not hold (an unknown, expired or revoked token, an ended session)",
            );
            // `limits`: per-address request rate and failure blocks (RFC 6585 §4).
            add(
                "429",
                "Too many requests, or too many failed credentials, from this address; wait the seconds of Retry-After",
            );
            // The bounded handlers' timeout, and a database that does not answer.
            add("503", "The server could not answer in time or its database is unavailable; try again");
            if !public && path != "/v1/session" {
                // Cedar's decision (policies/access.cedar): the caller is known, and its role
                // or organisation may not do this.
                add("403", "The caller may not do this; the error says what would allow it");
            }
            if has_parameters || has_body {
                add("400", "A path or query parameter, or the body, is malformed; the error names which");
            }
            if path.contains('{') {
                // Outside the caller's scope answers the same as nonexistent (docs/access.md).
                add("404", "Nothing the caller may see has this id");
            }
            if json_body {
                // `extract::JsonBody`: well-formed JSON that does not fit the schema.
                add("422", "The body does not fit its schema; each problem is named with its path");
            }
            if has_body {
                // `RequestBodyTimeoutLayer` (RFC 9110 §15.5.9), `DefaultBodyLimit`, and the
                // content-type check of every body.
                add("408", "The body was not sent in time");
                add("413", "The body is larger than the server accepts");
                add("415", "The body's Content-Type is not the one this operation takes");
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = (HttpMethod, &mut Operation)> {
    [
        (HttpMethod::Get, item.get.as_mut()),
        (HttpMethod::Put, item.put.as_mut()),
        (HttpMethod::Post, item.post.as_mut()),
        (HttpMethod::Delete, item.delete.as_mut()),
        (HttpMethod::Patch, item.patch.as_mut()),
        (HttpMethod::Head, item.head.as_mut()),
        (HttpMethod::Options, item.options.as_mut()),
        (HttpMethod::Trace, item.trace.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation?)))
}

/// A response in the one error shape, `ErrorBody`.
fn error(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
            )
            .build(),
    )
}
