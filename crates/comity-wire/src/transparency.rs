//! The transparency report over the wire (issue 16): JSON at `GET /v1/transparency`, with
//! its published JSON Schema (`schemas/transparency-report-v1.schema.json`), and the same
//! figures as CSV (RFC 4180) at `GET /v1/transparency.csv`.

use chrono::{DateTime, Utc};
use comity_core::transparency::Report;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{PartialSchema, ToSchema};

/// The report's `type`, which names its format.
pub const REPORT_TYPE: &str = "comity-transparency-report/v1";

/// The `$id` of the report's schema.
pub const REPORT_SCHEMA_ID: &str = "https://comity.dev/schemas/transparency-report-v1.schema.json";

/// A transparency report of a period: every figure recomputable from the public log up to
/// `log_size` entries (`comity transparency verify`), but national security's, which are
/// banded, published after a delay, and only checked against their band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransparencyReport {
    /// `comity-transparency-report/v1`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The requests received in `[from, to)` are counted.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Only the requests issued from this country, if given (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Only the requests this authority issued, if given: an authority's view, for the
    /// authority and the aggregates' readers (the public log names no party).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// The figures are those of the log's first `log_size` entries, a size a signed
    /// checkpoint covers: fetch the log up to it, and recompute.
    pub log_size: u64,
    /// The log's verifier key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_vkey: Option<String>,
    pub generated_at: DateTime<Utc>,
    pub totals: TotalsResource,
    /// Requests received in the period before classifications were logged: counted here
    /// only.
    pub unclassified: u64,
    /// The breakdowns, each a table: `issuing_country`, `instrument`, `kind`,
    /// `data_category` (a request counts once in each of its categories), `emergency`,
    /// `outcome` (`produced`, `none`, `preserved`, `rejected`, `withdrawn`, `pending`),
    /// `appeal_outcome` (one row per appeal).
    pub breakdowns: Vec<BreakdownResource>,
    /// A cell with fewer requests than this is published as suppressed.
    pub suppress_below: u64,
    pub national_security: NationalSecurityResource,
}

/// The period's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalsResource {
    pub requests: u64,
    /// Accounts (targets) the requests specify.
    pub accounts: u64,
    pub emergency: u64,
    /// Requests whose authority asked that the person not be told for a time.
    pub nondisclosure: u64,
    /// Clarifications asked of the authorities.
    pub clarifications: u64,
    /// Notices sent to the persons concerned.
    pub notices_sent: u64,
    /// Reviewers' decisions to delay the notice to a person concerned.
    #[serde(default)]
    pub notices_delayed: u64,
    /// Reviewers' decisions to bar it, for now.
    #[serde(default)]
    pub notices_barred: u64,
    /// Remedy cases opened on data delivered in error.
    pub remedies: u64,
}

/// One breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownResource {
    pub name: String,
    pub rows: Vec<RowResource>,
}

/// One cell: a value and its requests, or `null` where suppressed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowResource {
    pub key: String,
    pub requests: Option<u64>,
}

/// National-security requests: in bands, and only after the delay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NationalSecurityResource {
    /// The band width (50 U.S.C. § 1874(a)).
    pub band: u64,
    pub delay_days: i64,
    /// When the period's figures are published.
    pub available_from: DateTime<Utc>,
    /// `lower-upper`, such as `0-499`; absent until `available_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<String>,
}

impl TransparencyReport {
    /// The wire form of a computed report.
    pub fn new(
        report: &Report,
        country: Option<String>,
        log_vkey: Option<String>,
        generated_at: DateTime<Utc>,
        suppress_below: u64,
    ) -> TransparencyReport {
        let t = &report.totals;
        let ns = &report.national_security;
        TransparencyReport {
            kind: REPORT_TYPE.to_owned(),
            from: report.from,
            to: report.to,
            country,
            authority: None,
            log_size: report.log_size,
            log_vkey,
            generated_at,
            totals: TotalsResource {
                requests: t.requests,
                accounts: t.accounts,
                emergency: t.emergency,
                nondisclosure: t.nondisclosure,
                clarifications: t.clarifications,
                notices_sent: t.notices_sent,
                notices_delayed: t.notices_delayed,
                notices_barred: t.notices_barred,
                remedies: t.remedies,
            },
            unclassified: report.unclassified,
            breakdowns: report
                .breakdowns
                .iter()
                .map(|b| BreakdownResource {
                    name: b.name.to_owned(),
                    rows: b
                        .rows
                        .iter()
                        .map(|r| RowResource { key: r.key.clone(), requests: r.requests })
                        .collect(),
                })
                .collect(),
            suppress_below,
            national_security: NationalSecurityResource {
                band: ns.band,
                delay_days: ns.delay_days,
                available_from: ns.available_from,
                requests: ns.requests.map(|b| b.to_string()),
            },
        }
    }

    /// Every published figure, by a name that says where it is (`totals.requests`,
    /// `outcome.produced`, `national_security.requests`), in order: what the verifier
    /// compares, and the CSV's rows.
    pub fn figures(&self) -> Vec<(String, String, String)> {
        let t = &self.totals;
        let mut out: Vec<(String, String, String)> = [
            ("requests", t.requests),
            ("accounts", t.accounts),
            ("emergency", t.emergency),
            ("nondisclosure", t.nondisclosure),
            ("clarifications", t.clarifications),
            ("notices_sent", t.notices_sent),
            ("notices_delayed", t.notices_delayed),
            ("notices_barred", t.notices_barred),
            ("remedies", t.remedies),
            ("unclassified", self.unclassified),
        ]
        .into_iter()
        .map(|(k, v)| ("totals".to_owned(), k.to_owned(), v.to_string()))
        .collect();
        for b in &self.breakdowns {
            for r in &b.rows {
                let value = r.requests.map_or_else(|| "suppressed".to_owned(), |n| n.to_string());
                out.push((b.name.clone(), r.key.clone(), value));
            }
        }
        let ns = self.national_security.requests.clone().unwrap_or_else(|| "withheld".to_owned());
        out.push(("national_security".to_owned(), "requests".to_owned(), ns));
        out
    }

    /// The report as CSV (RFC 4180: CRLF line ends, fields quoted where needed, UTF-8):
    /// one row per figure, `table,key,value`, each breakdown a table of its own.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("table,key,value\r\n");
        for (table, key, value) in self.figures() {
            out.push_str(&csv_field(&table));
            out.push(',');
            out.push_str(&csv_field(&key));
            out.push(',');
            out.push_str(&csv_field(&value));
            out.push_str("\r\n");
        }
        out
    }
}

/// A field quoted as RFC 4180 §2 asks when it holds a comma, a quote or a line break.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// The JSON Schema (draft 2020-12) of the transparency report, version 1.
pub fn report_schema() -> Value {
    let mut defs = serde_json::Map::new();
    let mut nested = Vec::new();
    TransparencyReport::schemas(&mut nested);
    for (name, schema) in nested {
        defs.insert(name, serde_json::to_value(&schema).unwrap_or(Value::Null));
    }
    let mut root = serde_json::to_value(TransparencyReport::schema()).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut root {
        map.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        map.insert("$id".into(), json!(REPORT_SCHEMA_ID));
        map.insert("$defs".into(), Value::Object(defs));
    }
    crate::schema::rewrite_refs(&mut root);
    root
}

/// The statistics of Regulation (EU) 2023/1543 Art 28 for an authority and a year
/// (`GET /v1/statistics/e-evidence`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Art28Resource {
    pub authority: String,
    /// `issuing` or `enforcing`.
    #[serde(rename = "as")]
    pub role: String,
    pub year: i32,
    /// When they are due to the Commission: 31 March of the next year (Art 28(2), confirm).
    pub due: chrono::NaiveDate,
    /// Orders by type: `epoc` (production), `epoc_pr` (preservation).
    pub by_type: std::collections::BTreeMap<String, u64>,
    /// Orders by data category asked for (one in each); `unknown` once shredded.
    pub by_data_category: std::collections::BTreeMap<String, u64>,
    /// Orders by service provider addressed.
    pub by_addressee: std::collections::BTreeMap<String, u64>,
    pub emergency: u64,
    /// Executed (data delivered, or preserved), not executed, still open.
    pub executed: u64,
    pub not_executed: u64,
    pub open: u64,
    /// Orders notified to an enforcing authority (Art 8).
    pub notifications: u64,
    /// Grounds for refusal raised (Art 12), by ground.
    pub refusals_by_ground: std::collections::BTreeMap<String, u64>,
    /// From the order's receipt to the data's delivery, in days, over the orders executed
    /// by a delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_days_to_data: Option<f64>,
}

/// The mechanism every release uses, as its resource names it.
pub const RELEASE_MECHANISM: &str = "discrete Laplace (OpenDP make_laplace), pure epsilon-differential privacy, one request the unit of privacy";

/// A differential-privacy release of the fine breakdown: issuing country × data category ×
/// outcome, every cell with noise (issue 16, item 4). The same figures for everyone, for
/// ever: a release is drawn once and kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateReleaseResource {
    /// The release's number, from 1.
    pub number: u32,
    /// The requests received in `[from, to)` are counted.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub released_at: DateTime<Utc>,
    /// Its entry in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The privacy loss it spends (pure ε-differential privacy).
    pub epsilon: f64,
    /// The budget it was checked against: the most any one request's loss may reach over
    /// every release that counts it.
    pub budget: f64,
    /// How many cells one request can change, each by one (one per data category).
    pub sensitivity: u32,
    pub mechanism: String,
    /// The noise's scale: sensitivity / ε.
    pub scale: f64,
    /// The noise is within ± this in 95 % of cells or more.
    pub margin_95: u64,
    /// The exact counts were those of the log's first `log_size` entries.
    pub log_size: u64,
    pub cells: Vec<PrivateCellResource>,
}

/// One cell of a release, its noise beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateCellResource {
    /// The issuing country (ISO 3166-1 alpha-2).
    pub country: String,
    /// The data category, or `none` for the requests that name none.
    pub data_category: String,
    /// `produced`, `none`, `preserved`, `rejected`, `withdrawn` or `pending`.
    pub outcome: String,
    /// The count with noise added: unbiased, so it can be below zero.
    pub requests: i64,
    /// The noise's scale.
    pub scale: f64,
    /// The noise is within ± this with 95 % probability.
    pub margin_95: u64,
}

/// Every release, with the budget (`GET /v1/transparency/releases`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateReleasesResource {
    /// The budget this server holds releases to now (`--privacy-budget`).
    pub budget: f64,
    pub mechanism: String,
    /// Oldest first, without their cells (`GET /v1/transparency/releases/{number}`).
    pub releases: Vec<PrivateReleaseSummary>,
}

/// A release, without its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateReleaseSummary {
    pub number: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub released_at: DateTime<Utc>,
    pub epsilon: f64,
    pub scale: f64,
    pub margin_95: u64,
    /// How many cells it has.
    pub cells: usize,
}

impl PrivateReleaseResource {
    /// The wire form of a release as kept, made at `released_at`, with the margin of its
    /// noise at 95 %.
    pub fn new(
        r: &comity_core::journal::TransparencyReleased,
        released_at: DateTime<Utc>,
        log_index: Option<u64>,
        margin_95: u64,
    ) -> PrivateReleaseResource {
        let scale = r.scale.0;
        PrivateReleaseResource {
            number: r.number,
            from: r.from,
            to: r.to,
            released_at,
            log_index,
            epsilon: r.epsilon.as_f64(),
            budget: r.budget.as_f64(),
            sensitivity: r.sensitivity,
            mechanism: RELEASE_MECHANISM.to_owned(),
            scale,
            margin_95,
            log_size: r.log_size,
            cells: r
                .cells
                .iter()
                .map(|c| PrivateCellResource {
                    country: c.cell.country.to_string(),
                    data_category: c.cell.category.map_or("none", |k| k.as_str()).to_owned(),
                    outcome: c.cell.outcome.as_str().to_owned(),
                    requests: c.requests,
                    scale,
                    margin_95,
                })
                .collect(),
        }
    }

    /// Without its cells.
    pub fn summary(&self) -> PrivateReleaseSummary {
        PrivateReleaseSummary {
            number: self.number,
            from: self.from,
            to: self.to,
            released_at: self.released_at,
            epsilon: self.epsilon,
            scale: self.scale,
            margin_95: self.margin_95,
            cells: self.cells.len(),
        }
    }

    /// Its cells as CSV (RFC 4180, UTF-8): `country,data_category,outcome,requests,scale,margin_95`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("country,data_category,outcome,requests,scale,margin_95\r\n");
        for c in &self.cells {
            let row = [
                csv_field(&c.country),
                csv_field(&c.data_category),
                csv_field(&c.outcome),
                c.requests.to_string(),
                c.scale.to_string(),
                c.margin_95.to_string(),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }
}
