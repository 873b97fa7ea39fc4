//! The request: what an authority asks of a provider, after parsing.
//!
//! Every field here has been checked once, where it entered (see `comity-wire`), so the
//! rest of comity never re-validates: a `Request` cannot hold an unknown country, an
//! empty target list or a window that ends before it starts.

use chrono::{DateTime, NaiveDate, Utc};

use crate::{
    AuthorityType, CountryCode, DataCategory, Instrument, ListedOffence, PartyId, ProtectedRole, Purpose,
    RequestKind, Selector,
};

/// A parsed request document.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub instrument: Instrument,
    pub kind: RequestKind,
    pub purpose: Purpose,
    pub emergency: bool,
    pub issuing: Issuing,
    pub addressee: Addressee,
    pub offence: Offence,
    pub targets: Vec<Target>,
    pub data_categories: Vec<DataCategory>,
    pub time_window: TimeWindow,
    /// The facts that justify the request. May be empty here: screening reports an empty
    /// justification as a failure with a citation, which helps the author more than a
    /// parse error would.
    pub justification: String,
    pub nondisclosure: Option<Nondisclosure>,
    /// When the authority issued the request, if it says; comity's own clocks run from
    /// receipt.
    pub issued_at: Option<DateTime<Utc>>,
    /// For a preservation request: that a request for mutual assistance (or a production
    /// order) will follow (Budapest Convention Art 29(2)(f)).
    pub mutual_assistance_to_follow: Option<bool>,
}

/// Who issued the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuing {
    pub country: CountryCode,
    pub authority: PartyId,
    pub authority_type: AuthorityType,
    /// The authority's own case or file reference.
    pub reference: String,
    pub validated_by: Option<Validation>,
}

/// The judicial authority that validated a request issued by another authority
/// (Regulation (EU) 2023/1543 Art 4(1)(b), 4(2)(b), 4(3)(b)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub authority: PartyId,
    pub authority_type: AuthorityType,
}

/// The provider the request is addressed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub provider: PartyId,
    pub country: CountryCode,
}

/// The offence under investigation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offence {
    pub description: String,
    /// The maximum custodial sentence the law of the issuing State provides, in months.
    pub max_sentence_months: Option<u32>,
    pub listed_category: Option<ListedOffence>,
    /// Whether the offence was committed wholly or partly by means of an information
    /// system (Regulation (EU) 2023/1543 Art 5(4)(b)-(c)).
    pub via_information_system: Option<bool>,
    pub committed_in_issuing_state: Option<bool>,
    /// For sentence execution: the custodial sentence imposed, in months (Art 5(3)).
    pub imposed_sentence_months: Option<u32>,
    /// For sentence execution: whether the sentence was imposed in absentia (Art 5(3)).
    pub in_absentia: Option<bool>,
}

/// One person, account or device the request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub selector: Selector,
    pub residence_country: Option<CountryCode>,
    /// Where the person is believed to be now, if known (18 U.S.C. § 2523(b)(4)(A)
    /// forbids targeting a person located in the United States).
    pub located_in: Option<CountryCode>,
    /// `None` when the authority does not know.
    pub us_person: Option<bool>,
    pub protected_role: Option<ProtectedRole>,
}

/// The period of the data asked for. `from < to` always holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// Why two instants do not make a window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the window must end after it starts, but it runs from {from} to {to}")]
pub struct TimeWindowError {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl TimeWindow {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, TimeWindowError> {
        if from < to { Ok(Self { from, to }) } else { Err(TimeWindowError { from, to }) }
    }

    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }

    pub fn duration(&self) -> chrono::Duration {
        self.to - self.from
    }
}

/// The authority's request that the provider not tell the user (Regulation (EU)
/// 2023/1543 Art 13; 2AP Art 7(3)). `until` and `reason` may be missing here because
/// screening sends such a request to review rather than refusing to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nondisclosure {
    pub requested: bool,
    pub until: Option<NaiveDate>,
    pub reason: Option<String>,
}
