//! Issue 5's acceptance test: "A table-driven test walks every endpoint × role × organisation
//! and checks allow or 404/403."
//!
//! [`TABLE`] is written by hand from `docs/access.md` and the routes of
//! `comity_server::router`; nothing in it is computed by the policy the server asks, so a
//! change of the policy or of a handler that changes who may do what fails here until the
//! table is changed too, in a reviewable diff. Each cell is what one principal gets:
//!
//! - `200`, `201`, `204`: allowed;
//! - `401`: no credential on an endpoint that needs one;
//! - `403`: allowed to know of the thing, not to do this (an act on a request one may
//!   see, or an operator's act by anyone else);
//! - `404`: a request one may see answers 404 for a reason of its own (a signature of a
//!   request that was not signed);
//! - `nf`: 404 for a request outside the caller's scope, with the same status and the
//!   same body as a request id that does not exist (issue 5: its existence leaks to
//!   nobody). Each `nf` cell is asked again with an unknown id and the answers compared.
//!
//! Beyond the status, for every cell: a refusal appends nothing to the audit log; every
//! error has the one error shape; every read of a request's personal data that is
//! answered appended one `read.*` entry, with the caller as its actor.

use std::task::Poll;

use chrono::{SubsecRound, Utc};
use comity_auth::jws::SigningKey;
use comity_core::{ActorId, Fact, NewEntry, PartyId, RequestId, journal};
use serde_json::{Value, json};

use crate::support::{Answer, Caller, OPERATOR, REVIEWER, TestApp, claims, example, export};

crate::both_backends!(
    every_endpoint_answers_every_principal_as_the_table_says,
    screening_names_no_request_outside_the_callers_scope,
);

/// Who calls, one column of [`TABLE`] each: the name in its header, the organisation, and
/// how it authenticates.
const COLUMNS: [(&str, &str, As); 14] = [
    // Nobody: no credential at all.
    ("anon", "", As::Nobody),
    // The operator's admin.
    ("admin", OPERATOR, As::Token),
    // The authority that issued the requests, as a system and as a person.
    ("iss", "fr-tj-paris", As::Token),
    ("iss.p", "fr-tj-paris", As::Person),
    // The judge who validated them (Regulation (EU) 2023/1543 Art 4).
    ("val", "fr-jld-paris", As::Token),
    // Another authority, as a system and as a person.
    ("oth", "de-sta-berlin", As::Token),
    ("oth.p", "de-sta-berlin", As::Person),
    // The provider the requests are addressed to, and another provider.
    ("prov", "example-mail", As::Token),
    ("oprov", "example-cloud", As::Token),
    // The reviewer body assigned to every request, and one assigned to none.
    ("rev", REVIEWER, As::Token),
    ("unrev", "ie-dpc", As::Token),
    // A reviewer body of the issuing authority's institution: its assignment is refused.
    ("conf", "fr-tj-review", As::Token),
    // A reviewer body of the validating judge's institution, assigned behind the API's
    // back (as if assigned before the conflict was known): it sees, it never acts.
    ("conf.a", "fr-jld-review", As::Token),
    // An auditor.
    ("aud", "ie-audit", As::Token),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum As {
    Nobody,
    Token,
    Person,
}

/// Every route of the router, for every principal.
///
/// `path` names the request it acts on: `{shared}` is one request under review, signed
/// by fr-tj-paris, validated by fr-jld-paris, addressed to example-mail, with ie-high-court
/// and fr-jld-review assigned; `{portal}` the same submitted by a person through the
/// portal (so not signed); `{emergency}` an emergency of the same parties awaiting
/// confirmation. `{review}`, `{clarify}`, `{approved}`, `{appealed}`, `{rejected}` and
/// `{pending}` are fresh requests of the same parties in that state (under_review,
/// clarification_requested, approved, appealed, rejected, pending_verification), and
/// `{held}` a fresh emergency awaiting confirmation with no reviewer assigned: every
/// cell that is expected to succeed gets one of its own, and the refused cells of a row
/// share one, so that no row depends on another. `{link}` is a one-time link of
/// `{emergency}`, `{once-link}` a fresh one per cell; `{auth}` is fr-tj-paris, `{kid}` a
/// spare key of it, `{token}` a spare API token, `{user}` a spare account, `{size}` the
/// size of the signed log.
///
/// `body` is what is sent: `-` nothing, `doc` the request document of fr-tj-paris as
/// JSON, `doc:oth` one of de-sta-berlin, `jws` fr-tj-paris' document signed with its key,
/// `to:STATE` a move, `assign:BODY` an assignment, `confirm` a contact's signed
/// confirmation of the request in the path, `view:{link}` and `verify:{once-link}` a
/// link's secret in the body (to see it, to confirm with it); the rest name the register or account they
/// create (see [`World::body`]).
///
/// The rows run in order; the sessions come last, since `DELETE /v1/session` ends the
/// people's sessions.
const TABLE: &str = "
method path                                           body                       anon admin iss iss.p val oth oth.p prov oprov rev unrev conf conf.a aud
# One request, read. {shared}: under_review, ie-high-court and (behind the API's back) fr-jld-review assigned.
GET    /v1/requests/{shared}                          -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/events                   -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/screenings               -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/signature                -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{portal}/signature                -                          401  nf    404 404   404 nf  nf    404  nf    404 nf    nf   404    nf
GET    /v1/requests/{shared}/reviewers                -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/clocks                   -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/documents                -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/log                      -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    200
# Requests in general: listing, submitting (a system signs, a person may post JSON), dry runs.
GET    /v1/requests                                   -                          401  403   200 200   200 200 200   200  200   200 200   200  200    403
POST   /v1/requests                                   doc                        401  403   403 201   403 403 403   403  403   403 403   403  403    403
POST   /v1/requests                                   doc:oth                    401  403   403 403   403 403 201   403  403   403 403   403  403    403
POST   /v1/requests                                   jws                        201  201   201 201   201 201 201   201  201   201 201   201  201    201
POST   /v1/screen                                     doc                        401  403   200 200   200 200 200   200  200   200 200   200  200    403
# Moves, one per action, each from a fresh request in the state it moves from.
POST   /v1/requests/{review}/transitions              to:clarification_requested 401  nf    403 403   403 nf  nf    200  nf    200 nf    nf   403    nf
POST   /v1/requests/{clarify}/transitions             to:under_review            401  nf    200 200   200 nf  nf    403  nf    403 nf    nf   403    nf
# An amended document comes signed or from a person (the table's is the request's own,
# unchanged: 422 for whoever may answer).
POST   /v1/requests/{clarify}/amendments              doc                        401  nf    403 422   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{review}/transitions              to:approved                401  nf    403 403   403 nf  nf    403  nf    200 nf    nf   403    nf
POST   /v1/requests/{approved}/transitions            to:appealed                401  nf    200 200   200 nf  nf    200  nf    403 nf    nf   403    nf
# An appeal is heard by a second court (ie-dpc, assigned on appeal), never by the first.
POST   /v1/requests/{appealed}/transitions            to:approved                401  nf    403 403   403 nf  nf    403  nf    403 200   nf   403    nf
# The enforcing State's grounds: only its authority, when notified (this request is not);
# a preservation is extended by its authority, and this one is a production.
POST   /v1/requests/{review}/grounds                  grounds                    401  nf    403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{review}/preservation/extension   extend                     401  nf    409 409   409 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{approved}/transitions            to:producing               401  nf    403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{rejected}/transitions            to:closed                  401  nf    403 403   403 nf  nf    200  nf    403 nf    nf   403    nf
POST   /v1/requests/{review}/transitions              to:withdrawn               401  nf    200 200   200 nf  nf    200  nf    403 nf    nf   403    nf
POST   /v1/requests/{pending}/transitions             to:under_review            401  nf    403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
# Productions: the provider produces; the parties follow the custody; the issuing
# authority alone downloads and acknowledges. {sealed} has a sealed production {prod}.
POST   /v1/requests/{approved}/productions?retention_until=2030-12-31 export     401  nf    403 403   403 nf  nf    201  nf    403 nf    nf   403    nf
GET    /v1/requests/{sealed}/productions              -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{sealed}/productions/{prod}       -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{sealed}/productions/{prod}/package -                        401  nf    200 200   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{downloaded}/productions/{prod}/acknowledgement ack          401  nf    200 200   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{downloaded}/productions/{prod}/disposal attest              401  nf    200 200   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{sealed}/transitions              to:delivered               401  nf    403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
# Reviewers: routed by law on screening; the provider never assigns, it objects, and the
# operator assigns (never a body of a party's institution).
POST   /v1/requests/{review}/reviewers                assign:ie-dpc              401  201   403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{review}/reviewers                assign:fr-tj-review        401  403   403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{review}/reviewers                assign:mail-review         401  403   403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{review}/reviewers/objections     object:ie-high-court       401  nf    403 403   403 nf  nf    201  nf    403 nf    nf   403    nf
# Representatives of the person concerned (issue 13, item 6): the operator registers one
# for a request; the request's parties see who; only a representative registered for it
# reads its decision (tests/it/representatives.rs), so every column here gets 404.
POST   /v1/requests/{shared}/representatives          represent                  401  201   403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
GET    /v1/requests/{shared}/representatives          -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
GET    /v1/requests/{shared}/decision                 -                          401  nf    nf  nf    nf  nf  nf    nf   nf    nf  nf    nf   nf     nf
# Notices to the person concerned (issue 15, item 1): whoever sees the request lists them;
# the provider says how each reaches the person and confirms its delivery (409 here: the
# data is not delivered, nothing is written yet); an assigned reviewer of neither side
# delays or bars one (tests/it/person_notices.rs).
GET    /v1/requests/{shared}/notices                  -                          401  nf    200 200   200 nf  nf    200  nf    200 nf    nf   200    nf
POST   /v1/requests/{shared}/notices/0/recipient      notice-to                  401  nf    403 403   403 nf  nf    409  nf    403 nf    nf   403    nf
POST   /v1/requests/{shared}/notices/0/decision       notice-delay               401  nf    403 403   403 nf  nf    403  nf    201 nf    nf   403    nf
POST   /v1/requests/{shared}/notices/0/delivery       notice-delivered           401  nf    403 403   403 nf  nf    409  nf    403 nf    nf   403    nf
GET    /v1/requests/{shared}/notices/0/text           -                          401  nf    403 403   403 nf  nf    409  nf    403 nf    nf   403    nf
# Emergencies: the provider sends a one-time link; the contact answers it, or signs.
POST   /v1/requests/{emergency}/verification/links    link                       401  nf    403 403   403 nf  nf    201  nf    403 nf    nf   403    nf
POST   /v1/requests/{shared}/verification/links       link                       401  nf    403 403   403 nf  nf    403  nf    403 nf    nf   403    nf
POST   /v1/requests/{held}/verification               confirm                    200  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/verify/view                                view:{link}                200  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/verify                                     verify:{once-link}         200  200   200 200   200 200 200   200  200   200 200   200  200    200
# Aggregates: an authority sees its own record only.
GET    /v1/authorities/{auth}/record                  -                          401  200   200 200   403 403 403   200  200   200 200   200  200    200
# Registers: everyone signed in reads them, only the operator's admin writes.
GET    /v1/admin/authorities                          -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/authorities                          authority                  401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/providers                            -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/providers                            provider                   401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/reviewers                            -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/reviewers                            reviewer                   401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/auditors                             -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/auditors                             auditor                    401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/operators                            -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/operators                            operator                   401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/representatives                      -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/representatives                      representative             401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/authorities/{auth}/keys              -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/authorities/{auth}/keys              key                        401  201   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/authorities/{auth}/keys/{kid}/revoke revoke                     401  200   403 403   403 403 403   403  403   403 403   403  403    403
# Contacts are personal data: the operator and the providers' legal teams.
GET    /v1/admin/authorities/{auth}/contacts          -                          401  200   403 403   403 403 403   200  200   403 403   403  403    403
# Age recipients and production keys are public keys: any signed-in caller reads them.
GET    /v1/admin/authorities/{auth}/recipients        -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/authorities/{auth}/recipients        recipient                  401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/providers/example-mail/keys          -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/admin/authorities/{auth}/contacts          contact                    401  201   403 403   403 403 403   403  403   403 403   403  403    403
# Notices: where a party's notices go, and the outbox, are the operator's; the webhook key is public.
GET    /v1/admin/parties/example-mail/endpoints       -                          401  200   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/parties/example-mail/endpoints       endpoint                   401  201   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/parties/example-mail/endpoints/remove endpoint:none             401  404   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/notices?status=dead                  -                          401  200   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/notices/999999/retry                 -                          401  404   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/webhooks/key                               -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
# Accounts and tokens: the operator's admin only.
GET    /v1/admin/users                                -                          401  200   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/users                                user                       401  201   403 403   403 403 403   403  403   403 403   403  403    403
GET    /v1/admin/tokens                               -                          401  200   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/tokens                               token                      401  201   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/tokens/{token}/revoke                -                          401  200   403 403   403 403 403   403  403   403 403   403  403    403
POST   /v1/admin/users/{user}/disable                 disable                    401  200   403 403   403 403 403   403  403   403 403   403  403    403
# Aggregates (live counts by state, refusals): auditors, the operator, providers, reviewers.
GET    /metrics                                       -                          401  200   403 403   403 403 403   200  200   200 200   200  200    200
# Public: whoever asks, with a credential or without.
GET    /healthz                                       -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /readyz                                        -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /openapi.json                                  -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /v1/schemas/request                            -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /v1/log                                        -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /log/checkpoint                                -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /log/tile/0/000.p/1                            -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /log/tile/entries/000.p/1                      -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /v1/log/proof/inclusion?index=0&size={size}    -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /v1/log/proof/consistency?from=1&to={size}     -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
# The policy packs (issue 16, item 8): their history, texts and differences; the counts of
# requests judged only for those who read aggregates (tests/it/packs.rs).
GET    /v1/packs                                      -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /v1/packs/eu-e-evidence/versions/2026.3        -                          200  200   200 200   200 200 200   200  200   200 200   200  200    200
GET    /v1/packs/eu-e-evidence/diff?from=2026.3&to=2026.3 -                      200  200   200 200   200 200 200   200  200   200 200   200  200    200
# Sessions, last on purpose: DELETE ends the people's sessions.
GET    /v1/session                                    -                          401  200   200 200   200 200 200   200  200   200 200   200  200    200
POST   /v1/session                                    login                      401  401   401 401   401 401 401   401  401   401 401   401  401    401
POST   /v1/session/password                           password                   401  403   403 204   403 403 204   403  403   403 403   403  403    403
DELETE /v1/session                                    -                          401  204   204 204   204 204 204   204  204   204 204   204  204    204
";

/// Who finds `{shared}` in their list (`GET /v1/requests`): exactly who may read it.
const LISTED: &str = "
anon admin iss iss.p val oth oth.p prov oprov rev unrev conf conf.a aud
-    -     yes yes   yes no  no    yes  no    yes no    no   yes    -
";

/// The reads of a request's personal data (by the path after the request's id), and the
/// kind of audit-log entry each appends.
const LOGGED_READS: [(&str, &str); 4] = [
    ("", "read.document"),
    ("/events", "read.events"),
    ("/screenings", "read.screenings"),
    ("/signature", "read.document"),
];

/// The placeholders of [`TABLE`] that stand for a fresh request (or link) per cell.
const FRESH: [&str; 9] =
    ["review", "clarify", "approved", "appealed", "rejected", "pending", "held", "once-link", "downloaded"];

/// The contact of fr-tj-paris who confirms its emergencies.
const CONTACT: &str = "second-officer";

/// The password `TestApp::person` gives every person.
const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Status(u16),
    /// 404, the same as for a request that does not exist.
    Hidden,
}

impl Want {
    fn parse(cell: &str) -> Want {
        match cell {
            "nf" => Want::Hidden,
            n => Want::Status(n.parse().unwrap_or_else(|_| panic!("{n:?} is not a cell of the table"))),
        }
    }

    fn status(self) -> u16 {
        match self {
            Want::Status(s) => s,
            Want::Hidden => 404,
        }
    }

    fn allowed(self) -> bool {
        (200..300).contains(&self.status())
    }
}

impl std::fmt::Display for Want {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Want::Status(s) => write!(f, "{s}"),
            Want::Hidden => f.write_str("nf (404 as for no such request)"),
        }
    }
}

struct Row<'t> {
    line: usize,
    method: &'t str,
    path: &'t str,
    body: &'t str,
    want: Vec<Want>,
}

/// The rows of a table whose header is `lead` followed by the columns' names.
fn rows<'t>(table: &'t str, lead: &[&str]) -> Vec<(usize, Vec<&'t str>)> {
    let mut lines = table
        .lines()
        .enumerate()
        .map(|(n, l)| (n, l.split_whitespace().collect::<Vec<_>>()))
        .filter(|(_, f)| !f.is_empty() && !f[0].starts_with('#'));
    let (_, header) = lines.next().unwrap();
    let names: Vec<&str> = lead.iter().copied().chain(COLUMNS.iter().map(|c| c.0)).collect();
    assert_eq!(header, names, "the table's header names the columns in their order");
    lines
        .inspect(|(n, f)| {
            assert_eq!(f.len(), names.len(), "line {n} of the table has a cell too many or few")
        })
        .collect()
}

fn table() -> Vec<Row<'static>> {
    rows(TABLE, &["method", "path", "body"])
        .into_iter()
        .map(|(line, f)| Row {
            line,
            method: f[0],
            path: f[1],
            body: f[2],
            want: f[3..].iter().map(|c| Want::parse(c)).collect(),
        })
        .collect()
}

/// One column's caller, and the actor the audit log must name for it.
struct Principal<'a> {
    name: &'static str,
    caller: Caller<'a>,
    actor: Option<String>,
}

async fn principals(app: &TestApp) -> Vec<Principal<'_>> {
    let mut all = Vec::new();
    for (name, org, how) in COLUMNS {
        let (caller, actor) = match how {
            As::Nobody => (app.anonymous(), None),
            As::Token => {
                let token = app.issue_token(org).await;
                let (id, _) = comity_auth::token::ApiToken::parse(&token).unwrap();
                (app.token(org), Some(format!("token:{}@{org}", id.as_str())))
            }
            // `TestApp::person` names its person after the organisation.
            As::Person => (app.person(org).await, Some(format!("person.{}@{org}", org.replace('-', ".")))),
        };
        all.push(Principal { name, caller, actor });
    }
    all
}

/// What a cell sends.
enum Sent {
    Nothing,
    Json(Value),
    Jose(String),
    Export(Vec<u8>),
}

/// The requests, links, keys and tokens the table acts on.
struct World<'a> {
    app: &'a TestApp,
    shared: String,
    portal: String,
    emergency: String,
    link: String,
    kid: String,
    token: String,
    user: String,
    size: u64,
    contact_key: SigningKey,
    /// A request with a sealed production.
    sealed: String,
    /// Each produced request's production: its id and its package's SHA-256.
    productions: std::sync::Mutex<std::collections::HashMap<String, (String, String)>>,
}

/// The request document of fr-tj-paris, validated by fr-jld-paris, to example-mail.
fn traffic() -> Value {
    example("eu-epoc-traffic.json")
}

/// An emergency of the same parties.
fn emergency() -> Value {
    let mut doc = example("eu-epoc-emergency-subscriber.json");
    doc["issuing"] = traffic()["issuing"].clone();
    doc["issuing"]["reference"] = "PARQUET-2026-URG-7".into();
    doc
}

/// A request of de-sta-berlin to example-mail.
fn berlin() -> Value {
    let mut doc = traffic();
    doc["issuing"] = json!({
        "country": "DE", "authority": "de-sta-berlin", "authority_type": "prosecutor",
        "reference": "StA-BER-1",
    });
    doc
}

impl<'a> World<'a> {
    /// Registers the principals the examples do not, and makes the shared requests.
    async fn new(app: &'a TestApp) -> World<'a> {
        let admin = app.admin();
        let register = |path: &'static str, body: Value| {
            let admin = admin.clone();
            async move {
                let (status, answer) = admin.post(path, &body).await;
                assert_eq!(status, 201, "{path}: {answer}");
                answer
            }
        };
        register("/v1/admin/auditors", json!({"id": "ie-audit", "country": "IE", "name": "Audit office"}))
            .await;
        let solicitor = json!({"id": "ie-solicitor", "country": "IE", "name": "A solicitor"});
        register("/v1/admin/representatives", solicitor).await;
        let reviewer = |id: &str, institution: Option<&str>| {
            let name = format!("Reviewer {id}");
            json!({"id": id, "country": "IE", "kind": "court", "name": name, "institution": institution})
        };
        register("/v1/admin/reviewers", reviewer("ie-dpc", None)).await;
        register("/v1/admin/reviewers", reviewer("fr-tj-review", Some("fr-tj-paris"))).await;
        register("/v1/admin/reviewers", reviewer("fr-jld-review", Some("fr-jld-paris"))).await;
        register("/v1/admin/reviewers", reviewer("mail-review", Some("example-mail"))).await;
        let contact_key = SigningKey::generate();
        let contact = json!({
            "id": CONTACT, "name": "Second officer", "email": "second.officer@paris.example.org",
            "public_key": serde_json::from_str::<Value>(&contact_key.public().to_jwk()).unwrap(),
        });
        register("/v1/admin/authorities/fr-tj-paris/contacts", contact).await;
        let spare = SigningKey::generate();
        let key = json!({"public_key": serde_json::from_str::<Value>(&spare.public().to_jwk()).unwrap()});
        let kid =
            register("/v1/admin/authorities/fr-tj-paris/keys", key).await["kid"].as_str().unwrap().to_owned();
        let token = json!({"org": "example-cloud", "role": "handler", "label": "spare"});
        let token = register("/v1/admin/tokens", token).await["id"].as_str().unwrap().to_owned();
        let user =
            json!({"username": "spare.user", "org": "example-cloud", "role": "handler", "name": "Spare"});
        let user = register("/v1/admin/users", user).await["username"].as_str().unwrap().to_owned();

        let mut world = World {
            app,
            shared: String::new(),
            portal: String::new(),
            emergency: String::new(),
            link: String::new(),
            kid,
            token,
            user,
            size: 0,
            contact_key,
            sealed: String::new(),
            productions: Default::default(),
        };
        world.shared = world.fresh("review").await;
        let (status, created) = app.person("fr-tj-paris").await.post("/v1/requests", &traffic()).await;
        assert_eq!(status, 201, "{created}");
        world.portal = created["id"].as_str().unwrap().to_owned();
        world.assign(&world.portal).await;
        world.emergency = world.fresh("pending").await;
        world.link = world.issue_link(&world.emergency).await;
        world.sealed = world.fresh("sealed").await;
        world.size = app.checkpoint_now().await;
        world
    }

    /// Has ie-high-court assigned (routing by law picks one of the independent courts of
    /// Ireland the register holds; the operator puts ie-high-court in its place), and
    /// fr-jld-review behind the API's back: the API refuses a reviewer of a party's
    /// institution, and the policy must hold even for an assignment it did not check.
    async fn assign(&self, id: &str) {
        let path = format!("/v1/requests/{id}/reviewers");
        let routed = self.routed(id).await;
        assert_eq!(routed.len(), 1, "one independent court of Ireland is routed: {routed:?}");
        if routed[0] != REVIEWER {
            let assign =
                json!({"reviewer": REVIEWER, "reason": "the objection was upheld", "replaces": routed[0]});
            let (status, body) = self.app.admin().post(&path, &assign).await;
            assert_eq!(status, 201, "{body}");
        }
        let fact = Fact::ReviewerAssigned(journal::ReviewerAssigned {
            request: RequestId::parse(id).unwrap(),
            reviewer: PartyId::parse("fr-jld-review").unwrap(),
            reason: "assigned before the conflict was known".into(),
        });
        let entry = NewEntry {
            at: Utc::now().trunc_subsecs(6),
            actor: ActorId::system(),
            party: Some(PartyId::parse("example-mail").unwrap()),
            subject: "fr-jld-review".into(),
            request_id: Some(RequestId::parse(id).unwrap()),
            fact,
        };
        self.app.store.append_journal(&[entry]).await.unwrap();
    }

    /// The reviewer bodies assigned to a request, as its provider sees them.
    async fn routed(&self, id: &str) -> Vec<String> {
        let (status, routed) =
            self.app.token("example-mail").get(&format!("/v1/requests/{id}/reviewers")).await;
        assert_eq!(status, 200, "{routed}");
        serde_json::from_value(routed["reviewers"].clone()).unwrap()
    }

    /// A new request of fr-tj-paris to example-mail, with its reviewers, moved to the
    /// state a placeholder names.
    async fn fresh(&self, state: &str) -> String {
        let (doc, moves): (Value, &[&str]) = match state {
            "review" => (traffic(), &[]),
            "clarify" => (traffic(), &["clarification_requested"]),
            "approved" => (traffic(), &["approved"]),
            "appealed" => (traffic(), &["approved", "appealed"]),
            "rejected" => (traffic(), &["rejected"]),
            "pending" | "held" => (emergency(), &[]),
            "sealed" | "downloaded" => (traffic(), &["approved"]),
            other => panic!("no fresh request {other:?}"),
        };
        // Routing by law picks one of the independent courts of Ireland the register holds,
        // by the request's id; the table's rows expect ie-high-court, and ie-dpc never
        // assigned (so that the operator may still assign it), so a request routed
        // elsewhere is left aside and another submitted.
        let mut id = self.app.submit(&doc).await;
        for _ in 0..40 {
            if state == "held" || self.routed(&id).await == [REVIEWER] {
                break;
            }
            id = self.app.submit(&doc).await;
        }
        // Only the contact acts on a held emergency: no reviewer needed.
        if state != "held" {
            self.assign(&id).await;
        }
        for to in moves {
            let (status, body) = self.app.move_to(&id, to).await;
            assert_eq!(status, 200, "{to}: {body}");
        }
        if matches!(state, "sealed" | "downloaded") {
            self.app.prepare_production(&id).await;
            let (status, produced) = self.app.produce(&id, &export(), "retention_until=2030-12-31").await;
            assert_eq!(status, 201, "{produced}");
            let pid = produced["id"].as_str().unwrap().to_owned();
            let sha = produced["package"]["sha256"].as_str().unwrap().to_owned();
            if state == "downloaded" {
                let path = format!("/v1/requests/{id}/productions/{pid}/package");
                assert_eq!(self.app.token("fr-tj-paris").get_bytes(&path).await.0, 200);
            }
            self.productions.lock().unwrap().insert(id.clone(), (pid, sha));
        }
        id
    }

    /// A one-time link for the contact of fr-tj-paris, issued by the provider; its secret.
    async fn issue_link(&self, id: &str) -> String {
        let path = format!("/v1/requests/{id}/verification/links");
        let (status, link) = self.app.token("example-mail").post(&path, &json!({"contact": CONTACT})).await;
        assert_eq!(status, 201, "{link}");
        link["url"].as_str().unwrap().strip_prefix("/verify#").unwrap().to_owned()
    }

    /// A fresh request (or link) for the placeholder `name`.
    async fn make(&self, name: &str) -> String {
        match name {
            "once-link" => self.issue_link(&self.fresh("held").await).await,
            state => self.fresh(state).await,
        }
    }

    /// The fresh requests (or links) a row's cells act on, one per cell: a request of its
    /// own for each cell expected to succeed, one shared by the cells expected to be
    /// refused (a refusal changes nothing). Made together, since they are most of the
    /// test's time.
    async fn fixtures(&self, row: &Row<'_>) -> Vec<Option<String>> {
        let needs =
            |f: &&&str| row.path.contains(&format!("{{{f}}}")) || row.body.contains(&format!("{{{f}}}"));
        let Some(name) = FRESH.iter().find(needs) else {
            return vec![None; row.want.len()];
        };
        let own = row.want.iter().filter(|w| w.allowed()).count();
        let refused = usize::from(row.want.iter().any(|w| !w.allowed()));
        let mut made = together((0..own + refused).map(|_| self.make(name)).collect()).await.into_iter();
        let shared = if refused == 1 { made.next_back() } else { None };
        row.want.iter().map(|w| if w.allowed() { made.next() } else { shared.clone() }).collect()
    }

    /// The path of one cell, with the fresh request or link made for it, and the id of the
    /// request it names, if any.
    fn path(&self, template: &str, fresh: Option<&str>) -> (String, Option<String>) {
        let mut path = template.to_owned();
        let mut request = None;
        while let Some(start) = path.find('{') {
            let end = start + path[start..].find('}').unwrap();
            let value = match &path[start + 1..end] {
                "shared" => self.shared.clone(),
                "portal" => self.portal.clone(),
                "emergency" => self.emergency.clone(),
                "link" => self.link.clone(),
                "auth" => "fr-tj-paris".into(),
                "kid" => self.kid.clone(),
                "token" => self.token.clone(),
                "user" => self.user.clone(),
                "size" => self.size.to_string(),
                "sealed" => self.sealed.clone(),
                "prod" => self.productions.lock().unwrap()[request.as_ref().unwrap()].0.clone(),
                name if FRESH.contains(&name) => fresh.unwrap().to_owned(),
                other => panic!("no placeholder {{{other}}}"),
            };
            if RequestId::parse(&value).is_ok() {
                request = Some(value.clone());
            }
            path.replace_range(start..=end, &value);
        }
        (path, request)
    }

    /// The body of one cell; `n` makes what it registers unique.
    fn body(&self, spec: &str, request: Option<&str>, fresh: Option<&str>, n: usize) -> Sent {
        let sent = match spec {
            "-" => return Sent::Nothing,
            "doc" => traffic(),
            "doc:oth" => berlin(),
            "jws" => return Sent::Jose(self.app.sign(&traffic())),
            "confirm" => {
                let id = request.unwrap();
                let claims = claims("fr-tj-paris", "example-mail", json!({"id": id, "decision": "confirm"}));
                let key = &self.contact_key;
                return Sent::Jose(key.sign_compact(&key.public().key_id(), &claims.to_payload()));
            }
            "link" => json!({"contact": CONTACT}),
            "grounds" => json!({"grounds": ["ne_bis_in_idem"], "reasoning": "tried for the same acts"}),
            "extend" => json!({"reason": "the production order follows"}),
            "export" => return Sent::Export(export()),
            "ack" => json!({"package_sha256": self.productions.lock().unwrap()[request.unwrap()].1}),
            // The authority's signed statement that it disposed of the package (issue 15).
            "attest" => {
                let id = request.unwrap();
                let (pid, sha) = self.productions.lock().unwrap()[id].clone();
                let statement = comity_app::production::disposal::statement(
                    RequestId::parse(id).unwrap(),
                    &pid,
                    &sha,
                    Utc::now() - chrono::Duration::minutes(1),
                );
                let key = self.app.key_of("fr-tj-paris");
                json!({"attestation": key.sign_compact(&key.public().key_id(), statement.to_string().as_bytes())})
            }
            // A link's secret goes in the body, never the path (issue 12, finding 6).
            "view:{link}" => json!({"token": self.link}),
            "verify:{once-link}" => {
                json!({"token": fresh.unwrap(), "decision": "confirm", "note": "called back on the registered number"})
            }
            "authority" => json!({
                "id": format!("table-authority-{n}"), "country": "FR", "authority_type": "prosecutor",
                "name": "An authority of the table",
            }),
            "provider" => json!({"id": format!("table-provider-{n}"), "country": "IE", "name": "A provider"}),
            "reviewer" => {
                let id = format!("table-reviewer-{n}");
                json!({"id": id, "country": "IE", "kind": "court", "name": "A court"})
            }
            "auditor" => json!({"id": format!("table-auditor-{n}"), "country": "IE", "name": "An auditor"}),
            "representative" => {
                json!({"id": format!("table-representative-{n}"), "country": "IE", "name": "A representative"})
            }
            "notice-to" => json!({"language": "fr", "channel": "email", "address": "alice@example.fr"}),
            "notice-delay" => json!({
                "status": "delayed", "reasoning": "the access table delays it", "until": "2031-01-01",
            }),
            "notice-delivered" => json!({"reference": "ticket 1"}),
            "represent" => json!({
                "representative": "ie-solicitor", "represents": "someone@example.org",
                "mandate": "a mandate the access table was shown",
            }),
            "operator" => {
                json!({"id": format!("table-operator-{n}"), "country": "IE", "name": "An operator"})
            }
            "key" => {
                let jwk = SigningKey::generate().public().to_jwk();
                json!({"public_key": serde_json::from_str::<Value>(&jwk).unwrap()})
            }
            "revoke" => json!({"reason": "a spare key, revoked by the access table"}),
            "contact" => {
                json!({"id": format!("contact-{n}"), "name": "A contact", "email": "contact@example.org"})
            }
            "user" => json!({
                "username": format!("table.user.{n}"), "org": "example-mail", "role": "handler",
                "name": "A handler",
            }),
            "token" => json!({"org": "example-cloud", "role": "handler", "label": "table"}),
            "disable" => json!({"reason": "a spare account, disabled by the access table"}),
            "endpoint" => json!({"webhook": format!("https://receiver-{n}.example.org/comity")}),
            "endpoint:none" => json!({"webhook": "https://nobody.example.org/comity"}),
            "recipient" => {
                json!({"recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"})
            }
            "login" => {
                json!({"username": format!("nobody.{n}"), "password": "not the password", "totp": "000000"})
            }
            "password" => {
                // The column's person's next code (issue 12: a password change needs one);
                // a column that is no person sends a code that matters not.
                let (_, org, how) = &COLUMNS[n % 100];
                let totp = match how {
                    As::Person => self.app.next_person_code(org),
                    _ => "000000".to_owned(),
                };
                json!({"current_password": PASSWORD, "totp": totp, "new_password": "a new horse, battery and staple"})
            }
            other => {
                if let Some(to) = other.strip_prefix("to:") {
                    let mut body = json!({"to": to, "reason": format!("the access table moves it to {to}")});
                    // A decision is reasoned in its pack's grounds (the table's request has no
                    // finding for an approval to answer).
                    match to {
                        "approved" => body["grounds"] = json!(["necessary_and_proportionate"]),
                        "rejected" => body["grounds"] = json!(["not_necessary_or_proportionate"]),
                        _ => {}
                    }
                    body
                } else if let Some(reviewer) = other.strip_prefix("assign:") {
                    json!({"reviewer": reviewer, "reason": "a reviewer the access table assigns"})
                } else if let Some(reviewer) = other.strip_prefix("object:") {
                    json!({"reviewer": reviewer, "grounds": "the access table objects for a conflict"})
                } else {
                    panic!("no body {other:?}")
                }
            }
        };
        Sent::Json(sent)
    }
}

/// Runs `futures` together and returns their outputs in order. The test's runtime has one
/// thread, so this overlaps their waits on the server and the database, not their work.
/// (This package has no `futures` crate to take `join_all` from.)
async fn together<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none()
                && let Poll::Ready(v) = future.as_mut().poll(cx)
            {
                *output = Some(v);
            }
        }
        if outputs.iter().all(Option::is_some) { Poll::Ready(()) } else { Poll::Pending }
    })
    .await;
    outputs.into_iter().map(Option::unwrap).collect()
}

async fn send(caller: &Caller<'_>, method: &str, path: &str, body: &Sent) -> Answer {
    match body {
        Sent::Nothing => caller.send(method, path, None).await,
        Sent::Json(v) => caller.send(method, path, Some(v)).await,
        Sent::Jose(jws) => {
            assert_eq!(method, "POST");
            let (status, body) = caller.post_raw(path, "application/jose", jws.clone().into_bytes()).await;
            Answer { status, body, headers: Default::default() }
        }
        Sent::Export(bytes) => {
            assert_eq!(method, "POST");
            let (status, body) = caller.post_raw(path, "application/x-ndjson", bytes.clone()).await;
            Answer { status, body, headers: Default::default() }
        }
    }
}

/// The kind of audit-log entry a read logs, if `method` and `template` are a read of a
/// request's personal data.
fn logged_read(method: &str, template: &str) -> Option<&'static str> {
    let (_, suffix) = template.strip_prefix("/v1/requests/{")?.split_once('}')?;
    let kind = LOGGED_READS.iter().find(|(s, _)| *s == suffix)?.1;
    (method == "GET").then_some(kind)
}

async fn every_endpoint_answers_every_principal_as_the_table_says(app: TestApp) {
    let world = World::new(&app).await;
    let who = principals(&app).await;
    let mut failures = Vec::new();

    // Lists first, while they are short.
    let (_, listed) = rows(LISTED, &[]).pop().unwrap();
    for (p, cell) in who.iter().zip(listed) {
        let (status, body) = p.caller.get("/v1/requests?per_page=200").await;
        let found = status == 200
            && body["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["id"].as_str() == Some(world.shared.as_str()));
        let want = match cell {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        if want.is_some_and(|w| w != found) {
            failures.push(format!(
                "GET /v1/requests as {}: lists the shared request: {found}, expected {cell}",
                p.name
            ));
        }
    }

    let rows = table();
    for row in &rows {
        let fixtures = world.fixtures(row).await;
        for (column, ((p, want), fresh)) in who.iter().zip(&row.want).zip(&fixtures).enumerate() {
            let at =
                format!("table line {}: {} {} [{}] as {}", row.line, row.method, row.path, row.body, p.name);
            let (path, request) = world.path(row.path, fresh.as_deref());
            let body = world.body(row.body, request.as_deref(), fresh.as_deref(), row.line * 100 + column);
            let before = app.store.log_size().await.unwrap();
            let answer = send(&p.caller, row.method, &path, &body).await;
            let after = app.store.log_size().await.unwrap();
            if answer.status != want.status() {
                failures.push(format!(
                    "{at}: expected {want}, got {} {}",
                    answer.status,
                    short(&answer.body)
                ));
                continue;
            }
            if !want.allowed() {
                if after != before {
                    failures.push(format!("{at}: refused, yet appended {} log entries", after - before));
                }
                if !answer.body["error"]["code"].is_string() || !answer.body["error"]["message"].is_string() {
                    failures.push(format!("{at}: not the one error shape: {}", answer.body));
                }
                if want.status() == 403 && answer.body["error"]["code"] != "forbidden" {
                    failures.push(format!("{at}: a 403 whose code is not forbidden: {}", answer.body));
                }
            }
            if *want == Want::Hidden {
                // The same question about a request that does not exist gets the same answer.
                let real = request.clone().unwrap();
                let unknown = RequestId::new_at(1_700_000_000_000).to_string();
                let probe = send(&p.caller, row.method, &path.replace(&real, &unknown), &body).await;
                let seen = answer.body.to_string().replace(&real, &unknown);
                if (probe.status, probe.body.to_string()) != (answer.status, seen.clone()) {
                    failures.push(format!(
                        "{at}: hidden as {} {seen}, but an unknown id answers {} {}",
                        answer.status, probe.status, probe.body
                    ));
                }
            }
            if want.allowed()
                && let Some(kind) = logged_read(row.method, row.path)
            {
                let logged =
                    check_read_logged(&app, &answer, kind, p, request.as_deref().unwrap(), after - before);
                if let Err(e) = logged.await {
                    failures.push(format!("{at}: {e}"));
                }
            }
        }
    }

    // DELETE /v1/session ended the people's sessions.
    for p in who.iter().filter(|p| p.name.ends_with(".p")) {
        let (status, body) = p.caller.get("/v1/session").await;
        if status != 401 {
            failures.push(format!("GET /v1/session as {} after logging out: {status} {body}", p.name));
        }
    }

    // A refused assignment says why, in one line a person can act on (STYLE: a 4xx carries
    // a message a user can act on).
    let id = world.fresh("review").await;
    let conflicted = json!({"reviewer": "fr-tj-review", "reason": "a court of the issuer"});
    let (status, body) =
        app.token("example-mail").post(&format!("/v1/requests/{id}/reviewers"), &conflicted).await;
    let message = body["error"]["message"].as_str().unwrap_or_default();
    if status != 403 || !message.contains("fr-tj-paris") || message.contains('\\') || message.contains('\n') {
        failures
            .push(format!("a conflicted assignment is refused with a one-line reason: {status} {message:?}"));
    }

    let cells = rows.len() * COLUMNS.len();
    assert!(
        failures.is_empty(),
        "{} failures (the table has {} rows of {} principals, {cells} cells):\n{}",
        failures.len(),
        rows.len(),
        COLUMNS.len(),
        failures.join("\n")
    );
}

/// An answer's body, cut short for a failure's message.
fn short(body: &Value) -> String {
    let text = body.to_string();
    match text.char_indices().nth(240) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

/// A read of personal data that was answered appended exactly one entry of `kind`, about
/// this request, whose actor is the caller, and said which in `Comity-Log-Index`.
async fn check_read_logged(
    app: &TestApp,
    answer: &Answer,
    kind: &str,
    p: &Principal<'_>,
    request: &str,
    appended: u64,
) -> Result<(), String> {
    let header = answer.headers.get("comity-log-index").ok_or("no Comity-Log-Index on a logged read")?;
    let index: u64 = header.to_str().unwrap().parse().map_err(|_| format!("Comity-Log-Index {header:?}"))?;
    let record = app.store.log_records(index, 1).await.unwrap();
    let entry = comity_log::Entry::from_bytes(&record[0].entry).unwrap();
    let actor = p.actor.as_deref().unwrap();
    // The entry commits to its actor and tags its request (issue 12); the store keeps both.
    let logged_actor = record[0].actor.as_ref().map(|a| a.as_str());
    let about = match &record[0].subject {
        comity_core::LogSubject::Read { request_id, .. } => Some(request_id.to_string()),
        _ => None,
    };
    if (entry.kind(), logged_actor, about.as_deref()) != (kind, Some(actor), Some(request)) || appended != 1 {
        return Err(format!(
            "logged {} entries, entry {index} is {} by {logged_actor:?} about {about:?}; \
             expected one {kind} by {actor} about {request}",
            appended,
            entry.kind(),
        ));
    }
    Ok(())
}

/// Screening's anti-bulk rule weighs an authority's (or a case's) earlier requests and
/// names them. Whatever screens a document for a caller must not name a request the caller
/// may not see: to that caller it does not exist (issue 5). Here fr-tj-paris has one
/// request, to example-mail; another provider and another authority screen documents of
/// 26 targets (more than the 25 the pack allows in 30 days, so the rule lists what it
/// counted).
async fn screening_names_no_request_outside_the_callers_scope(app: TestApp) {
    let elsewhere = app.submit(&traffic()).await;
    let targets: Value = (0..26)
        .map(|n| {
            let selector = json!({"type": "email", "value": format!("probe{n}@example.org")});
            json!({"selector": selector, "residence_country": "FR"})
        })
        .collect();
    // example-cloud, the addressee of a document of fr-tj-paris it made up.
    let mut to_cloud = traffic();
    to_cloud["addressee"] = json!({"provider": "example-cloud", "country": "NL"});
    to_cloud["targets"] = targets.clone();
    // de-sta-berlin, with a document of its own that cites fr-tj-paris' case reference.
    let mut same_case = berlin();
    same_case["issuing"]["reference"] = traffic()["issuing"]["reference"].clone();
    same_case["targets"] = targets;

    let mut leaks = Vec::new();
    for (org, doc) in [("example-cloud", &to_cloud), ("de-sta-berlin", &same_case)] {
        let caller = app.token(org);
        let (status, _) = caller.get(&format!("/v1/requests/{elsewhere}")).await;
        assert_eq!(status, 404, "{org} may not see a request of fr-tj-paris to example-mail");
        let (status, report) = caller.post("/v1/screen", doc).await;
        assert_eq!(status, 200, "{report}");
        let bulk =
            report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "general.bulk").unwrap();
        assert_eq!(bulk["outcome"], "review", "{bulk}");
        if bulk.to_string().contains(&elsewhere) {
            leaks.push(format!("POST /v1/screen as {org}: {bulk}"));
        }
    }
    // The same through intake: the screening stored with de-sta-berlin's request, which
    // de-sta-berlin reads.
    let id = app.submit(&same_case).await;
    let (status, screenings) = app.token("de-sta-berlin").get(&format!("/v1/requests/{id}/screenings")).await;
    assert_eq!(status, 200, "{screenings}");
    if screenings.to_string().contains(&elsewhere) {
        leaks.push(format!("GET /v1/requests/{{id}}/screenings as de-sta-berlin names {elsewhere}"));
    }
    assert!(
        leaks.is_empty(),
        "screening names {elsewhere} to those who may not see it:\n{}",
        leaks.join("\n")
    );
}
