//! The request document, version 1: the JSON an authority submits.
//!
//! Parsing runs in two passes. Serde reads the JSON into [`RequestDocument`] and names
//! the path of the first shape error (a wrong type, an unknown field or value). Then
//! [`RequestDocument::to_request`] checks what JSON types cannot say (countries, party
//! ids, selectors, the window, duplicates) and reports *every* problem it finds at once,
//! each with its path, so an author fixes a document in one round.

use chrono::{DateTime, NaiveDate, Utc};
use comity_core::{
    Addressee, AuthorityType, CountryCode, DataCategory, Instrument, Issuing, ListedOffence, Nondisclosure,
    Offence, PartyId, ProtectedRole, Purpose, Request, RequestKind, Selector, SelectorType, Target,
    TimeWindow, Validation,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::term::{self, Term};

/// The only version of the request document so far.
pub const VERSION: u32 = 1;

/// Most targets one document may name. Screening applies each pack's far lower limit;
/// this one only bounds the work of reading a document.
pub const MAX_TARGETS: usize = 10_000;

const MAX_SHORT_TEXT: usize = 200;
const MAX_LONG_TEXT: usize = 100_000;

/// A request for data, as an authority submits it (version 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(title = "comity request document, version 1")]
pub struct RequestDocument {
    /// The document version; 1 if left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1)]
    pub version: Option<u32>,
    /// The legal instrument the request invokes.
    #[schema(schema_with = term::schema::<Instrument>)]
    pub instrument: Term<Instrument>,
    /// `production` to obtain data, `preservation` to have it kept.
    #[schema(schema_with = term::schema::<RequestKind>)]
    pub kind: Term<RequestKind>,
    #[schema(schema_with = term::schema::<Purpose>)]
    pub purpose: Term<Purpose>,
    /// An emergency: an imminent threat to life, physical integrity or critical
    /// infrastructure (Regulation (EU) 2023/1543 Art 3(18)). Shortens every deadline.
    #[serde(default)]
    pub emergency: bool,
    pub issuing: IssuingDoc,
    pub addressee: AddresseeDoc,
    pub offence: OffenceDoc,
    /// The people, accounts or devices named. At least one.
    #[schema(min_items = 1, max_items = 10000)]
    pub targets: Vec<TargetDoc>,
    /// The categories of data asked for (Regulation (EU) 2023/1543 Art 3(9)-(12)).
    #[schema(schema_with = term::list_schema::<DataCategory>)]
    pub data_categories: Vec<Term<DataCategory>>,
    pub time_window: TimeWindowDoc,
    /// The articulable facts that make the request necessary and proportionate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nondisclosure: Option<NondisclosureDoc>,
    /// When the authority issued the request (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::time::bounded_option")]
    pub issued_at: Option<DateTime<Utc>>,
    /// For a preservation request: a request for mutual assistance or a production order
    /// will follow (Budapest Convention Art 29(2)(f)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutual_assistance_to_follow: Option<bool>,
}

/// The issuing authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuingDoc {
    /// ISO 3166-1 alpha-2 code of the issuing State.
    #[schema(pattern = "^[A-Z]{2}$", example = "FR")]
    pub country: String,
    /// The registered id of the issuing authority.
    #[schema(pattern = "^[a-z][a-z0-9-]*[a-z0-9]$", example = "fr-tj-paris")]
    pub authority: String,
    #[schema(schema_with = term::schema::<AuthorityType>)]
    pub authority_type: Term<AuthorityType>,
    /// The authority's own case or file reference.
    #[schema(example = "PARQUET-2026-0042")]
    pub reference: String,
    /// The judicial authority that validated the request, where the issuer needs one
    /// (Regulation (EU) 2023/1543 Art 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated_by: Option<ValidationDoc>,
}

/// A validating authority.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidationDoc {
    #[schema(pattern = "^[a-z][a-z0-9-]*[a-z0-9]$", example = "fr-jld-paris")]
    pub authority: String,
    #[schema(schema_with = term::schema::<AuthorityType>)]
    pub authority_type: Term<AuthorityType>,
}

/// The provider the request is addressed to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddresseeDoc {
    #[schema(pattern = "^[a-z][a-z0-9-]*[a-z0-9]$", example = "example-mail")]
    pub provider: String,
    /// Where the provider's addressee (its establishment or legal representative) is.
    #[schema(pattern = "^[A-Z]{2}$", example = "IE")]
    pub country: String,
}

/// The offence under investigation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OffenceDoc {
    pub description: String,
    /// The maximum custodial sentence for the offence in the issuing State, in months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_sentence_months: Option<u32>,
    /// One of the offences listed in Regulation (EU) 2023/1543 Art 5(4)(b)-(d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<ListedOffence>)]
    pub listed_category: Option<Term<ListedOffence>>,
    /// Committed wholly or partly by means of an information system (Art 5(4)(b)-(c)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via_information_system: Option<bool>,
    /// Committed in the issuing State (Art 8(2)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed_in_issuing_state: Option<bool>,
    /// For sentence execution: the custodial sentence imposed, in months (Art 5(3)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imposed_sentence_months: Option<u32>,
    /// For sentence execution: imposed in absentia (Art 5(3)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_absentia: Option<bool>,
}

/// One person, account or device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetDoc {
    pub selector: SelectorDoc,
    /// Where the person resides, if known (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Z]{2}$")]
    pub residence_country: Option<String>,
    /// Where the person is believed to be now, if known (ISO 3166-1 alpha-2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Z]{2}$")]
    pub located_in: Option<String>,
    /// A United States person (18 U.S.C. § 2523(a)(2)); null when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub us_person: Option<bool>,
    /// A role whose communications are privileged or specially protected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = term::optional_schema::<ProtectedRole>)]
    pub protected_role: Option<Term<ProtectedRole>>,
}

/// What identifies a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectorDoc {
    /// The shape of the selector. `keyword`, `geofence`, `group` and `wildcard` are read
    /// but never admissible: they name sets of people, not a person.
    #[serde(rename = "type")]
    #[schema(schema_with = term::schema::<SelectorType>)]
    pub kind: Term<SelectorType>,
    #[schema(example = "suspect@example.org")]
    pub value: String,
    /// For `ip`: the source port (needed behind carrier-grade NAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// The period of the data asked for; it must end after it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowDoc {
    /// RFC 3339, such as 2026-05-01T00:00:00Z.
    #[serde(with = "crate::time::bounded")]
    pub from: DateTime<Utc>,
    /// RFC 3339; after `from`.
    #[serde(with = "crate::time::bounded")]
    pub to: DateTime<Utc>,
}

/// The authority asks the provider not to inform the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NondisclosureDoc {
    pub requested: bool,
    /// The date until which the user must not be told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One thing wrong with a document, at a path such as `targets[0].selector.value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Where in the document; empty for the document as a whole.
    pub path: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Why a request document was refused: every problem found, in document order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.problems))]
pub struct DocumentError {
    /// True when the bytes are not JSON at all, as opposed to JSON of the wrong shape.
    pub syntax: bool,
    pub problems: Vec<Problem>,
}

fn summary(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| if p.path.is_empty() { p.message.clone() } else { format!("{}: {}", p.path, p.message) })
        .collect();
    lines.join("; ")
}

impl DocumentError {
    /// A single problem at `path`.
    pub fn one(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { syntax: false, problems: vec![Problem { path: path.into(), message: message.into() }] }
    }
}

/// Parses a request document from JSON bytes into the canonical document and the domain
/// request.
pub fn parse_request(json: &[u8]) -> Result<(RequestDocument, Request), DocumentError> {
    let doc = parse_json::<RequestDocument>(json)?;
    let request = doc.to_request()?;
    Ok((RequestDocument::from(&request), request))
}

/// Reads JSON into a wire type, naming the path of the first error.
///
/// Every body comity reads is a JSON object. Serde would also read a struct from an
/// array, by position, which only produces confusing errors, so an array is refused here.
pub fn parse_json<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T, DocumentError> {
    if json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(DocumentError::one("", "expected a JSON object ({...}), got an array"));
    }
    // Text that displays other than it reads is refused in every body (crate::text); a
    // body that is not JSON at all gets its syntax error from the typed read below.
    if crate::text::may_deceive(json)
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(json)
        && let Some((path, problem)) = crate::text::first_deceptive(&value)
    {
        return Err(DocumentError::one(path, problem));
    }
    let de = &mut serde_json::Deserializer::from_slice(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let path = if path == "." { String::new() } else { path };
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => DocumentError {
                syntax: true,
                ..DocumentError::one("", format!("the body is not valid JSON: {inner}"))
            },
            Category::Data => {
                // serde_json appends " at line L column C"; keep it, it helps find the spot.
                DocumentError::one(path, inner.to_string())
            }
        }
    })
}

/// Collects problems with their paths while a document is checked.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl ToString) {
        self.0.push(Problem { path: path.into(), message: message.to_string() });
    }

    fn check<T, E: ToString>(&mut self, path: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.push(path, e)).ok()
    }

    fn country(&mut self, path: &str, value: &str) -> Option<CountryCode> {
        self.check(path, CountryCode::parse(value))
    }

    fn party(&mut self, path: &str, value: &str) -> Option<PartyId> {
        self.check(path, PartyId::parse(value))
    }

    fn text(&mut self, path: &str, value: &str, max: usize, required: bool) -> String {
        let value = value.trim();
        if required && value.is_empty() {
            self.push(path, "must not be empty");
        } else if value.chars().count() > max {
            self.push(path, format!("is longer than {max} characters"));
        } else if let Err(problem) = crate::text::check(value) {
            // Also here, for a document built in code rather than read (the CLI's).
            self.push(path, problem);
        } else if max <= MAX_SHORT_TEXT && value.contains(['\n', '\r', '\t']) {
            // A reference or name is one line: a line break in it could fake another
            // line wherever it is printed.
            self.push(path, "must be one line, without tabs or line breaks");
        }
        value.to_owned()
    }
}

impl RequestDocument {
    /// Checks everything the JSON shape cannot, and builds the domain request.
    pub fn to_request(&self) -> Result<Request, DocumentError> {
        let mut p = Problems::default();
        if let Some(v) = self.version
            && v != VERSION
        {
            p.push("version", format!("version {v} does not exist; this server reads version {VERSION}"));
        }

        let i = &self.issuing;
        let issuing_country = p.country("issuing.country", &i.country);
        let issuing_authority = p.party("issuing.authority", &i.authority);
        let reference = p.text("issuing.reference", &i.reference, MAX_SHORT_TEXT, true);
        let validated_by = i.validated_by.as_ref().map(|v| {
            let authority = p.party("issuing.validated_by.authority", &v.authority);
            (authority, v.authority_type.0)
        });

        let provider = p.party("addressee.provider", &self.addressee.provider);
        let addressee_country = p.country("addressee.country", &self.addressee.country);

        let o = &self.offence;
        let description = p.text("offence.description", &o.description, MAX_LONG_TEXT, true);

        if self.targets.is_empty() {
            p.push("targets", "name at least one target: a specific account, e-mail, phone number, IP address, device, username or domain");
        } else if self.targets.len() > MAX_TARGETS {
            p.push(
                "targets",
                format!("names {} targets; one document may name at most {MAX_TARGETS}", self.targets.len()),
            );
        }
        let mut targets = Vec::with_capacity(self.targets.len());
        for (n, t) in self.targets.iter().enumerate() {
            let at = |field: &str| format!("targets[{n}].{field}");
            let selector = p.check(
                &at("selector.value"),
                Selector::parse(t.selector.kind.0, &t.selector.value, t.selector.port),
            );
            let residence_country =
                t.residence_country.as_deref().map(|c| p.country(&at("residence_country"), c));
            let located_in = t.located_in.as_deref().map(|c| p.country(&at("located_in"), c));
            if let Some(selector) = selector {
                if targets.iter().any(|earlier: &Target| earlier.selector == selector) {
                    p.push(
                        at("selector"),
                        format!("{} {:?} is named twice", selector.kind(), selector.value()),
                    );
                }
                targets.push(Target {
                    selector,
                    residence_country: residence_country.flatten(),
                    located_in: located_in.flatten(),
                    us_person: t.us_person,
                    protected_role: t.protected_role.map(|r| r.0),
                });
            }
        }

        let mut data_categories: Vec<DataCategory> = Vec::with_capacity(self.data_categories.len());
        if self.data_categories.is_empty() {
            p.push("data_categories", "name at least one of: subscriber, identification, traffic, content");
        }
        for (n, c) in self.data_categories.iter().enumerate() {
            if data_categories.contains(&c.0) {
                p.push(format!("data_categories[{n}]"), format!("{} is listed twice", c.0));
            }
            data_categories.push(c.0);
        }

        let time_window = p.check("time_window", TimeWindow::new(self.time_window.from, self.time_window.to));
        let justification =
            p.text("justification", self.justification.as_deref().unwrap_or_default(), MAX_LONG_TEXT, false);
        let nondisclosure = self.nondisclosure.as_ref().map(|n| Nondisclosure {
            requested: n.requested,
            until: n.until,
            reason: n
                .reason
                .as_deref()
                .map(|r| p.text("nondisclosure.reason", r, MAX_LONG_TEXT, false))
                .filter(|r| !r.is_empty()),
        });

        if !p.0.is_empty() {
            return Err(DocumentError { syntax: false, problems: p.0 });
        }
        // Every `None` below pushed a problem, so the early return above was taken.
        let (
            Some(issuing_country),
            Some(issuing_authority),
            Some(provider),
            Some(addressee_country),
            Some(time_window),
        ) = (issuing_country, issuing_authority, provider, addressee_country, time_window)
        else {
            return Err(DocumentError::one("", "internal: a field failed without a problem"));
        };
        let validated_by = match validated_by {
            Some((Some(authority), authority_type)) => Some(Validation { authority, authority_type }),
            Some((None, _)) => {
                return Err(DocumentError::one("", "internal: a field failed without a problem"));
            }
            None => None,
        };

        Ok(Request {
            instrument: self.instrument.0,
            kind: self.kind.0,
            purpose: self.purpose.0,
            emergency: self.emergency,
            issuing: Issuing {
                country: issuing_country,
                authority: issuing_authority,
                authority_type: i.authority_type.0,
                reference,
                validated_by,
            },
            addressee: Addressee { provider, country: addressee_country },
            offence: Offence {
                description,
                max_sentence_months: o.max_sentence_months,
                listed_category: o.listed_category.map(|c| c.0),
                via_information_system: o.via_information_system,
                committed_in_issuing_state: o.committed_in_issuing_state,
                imposed_sentence_months: o.imposed_sentence_months,
                in_absentia: o.in_absentia,
            },
            targets,
            data_categories,
            time_window,
            justification,
            nondisclosure,
            issued_at: self.issued_at,
            mutual_assistance_to_follow: self.mutual_assistance_to_follow,
        })
    }
}

impl From<&Request> for RequestDocument {
    /// The canonical document of a request: what comity stores and returns.
    fn from(r: &Request) -> Self {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        RequestDocument {
            version: Some(VERSION),
            instrument: Term(r.instrument),
            kind: Term(r.kind),
            purpose: Term(r.purpose),
            emergency: r.emergency,
            issuing: IssuingDoc {
                country: r.issuing.country.to_string(),
                authority: r.issuing.authority.to_string(),
                authority_type: Term(r.issuing.authority_type),
                reference: r.issuing.reference.clone(),
                validated_by: r.issuing.validated_by.as_ref().map(|v| ValidationDoc {
                    authority: v.authority.to_string(),
                    authority_type: Term(v.authority_type),
                }),
            },
            addressee: AddresseeDoc {
                provider: r.addressee.provider.to_string(),
                country: r.addressee.country.to_string(),
            },
            offence: OffenceDoc {
                description: r.offence.description.clone(),
                max_sentence_months: r.offence.max_sentence_months,
                listed_category: r.offence.listed_category.map(Term),
                via_information_system: r.offence.via_information_system,
                committed_in_issuing_state: r.offence.committed_in_issuing_state,
                imposed_sentence_months: r.offence.imposed_sentence_months,
                in_absentia: r.offence.in_absentia,
            },
            targets: r
                .targets
                .iter()
                .map(|t| TargetDoc {
                    selector: SelectorDoc {
                        kind: Term(t.selector.kind()),
                        value: t.selector.value().to_owned(),
                        port: t.selector.port(),
                    },
                    residence_country: t.residence_country.map(|c| c.to_string()),
                    located_in: t.located_in.map(|c| c.to_string()),
                    us_person: t.us_person,
                    protected_role: t.protected_role.map(Term),
                })
                .collect(),
            data_categories: r.data_categories.iter().copied().map(Term).collect(),
            time_window: TimeWindowDoc { from: r.time_window.from(), to: r.time_window.to() },
            justification: opt(&r.justification),
            nondisclosure: r.nondisclosure.as_ref().map(|n| NondisclosureDoc {
                requested: n.requested,
                until: n.until,
                reason: n.reason.clone(),
            }),
            issued_at: r.issued_at,
            mutual_assistance_to_follow: r.mutual_assistance_to_follow,
        }
    }
}
