//! The notice to the person concerned (issue 15, item 1), over the wire: what the
//! provider says of how it reaches them, the reviewer's decision, the confirmation of a
//! delivery, and each target's notice as it stands.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the notice to a target reaches the person: the provider's legal team, which knows
/// the person, says so once the data has been delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeRecipientBody {
    /// The language the notice is written in: `en` or `fr`.
    #[schema(example = "fr")]
    pub language: String,
    /// `email` (comity e-mails it to `address`) or `provider` (the provider delivers it
    /// through its own channel and confirms the delivery).
    #[schema(example = "email")]
    pub channel: String,
    /// The person's e-mail address, for the channel `email` only.
    #[serde(default)]
    #[schema(example = "alice@example.fr")]
    pub address: Option<String>,
}

/// A reviewer's decision on when the person is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeDecisionBody {
    /// `immediate`, `delayed` or `barred`.
    #[schema(example = "delayed")]
    pub status: String,
    /// Why: required to delay or bar.
    #[serde(default)]
    #[schema(
        example = "the accomplices are still being identified; telling the account holder now would warn them"
    )]
    pub reasoning: String,
    /// A delay's last day (the notice goes out the next day, UTC), or the date by which a
    /// bar is reviewed again.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date, example = "2027-06-14")]
    pub until: Option<NaiveDate>,
}

/// The provider confirms it delivered a notice through its own channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeDeliveryBody {
    /// The provider's reference of the delivery: its message or ticket id.
    #[schema(example = "support-ticket-88213")]
    pub reference: String,
}

/// The notice to one target of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonNoticeResource {
    /// The target's place in the request's `targets`, from 0.
    pub target: u32,
    /// The target's identifier, as the request names it.
    pub selector: String,
    /// `immediate`, `delayed` or `barred`.
    pub status: String,
    /// The reviewer body that delayed or barred it, with its reasoning and date.
    pub decided_by: Option<String>,
    pub reasoning: Option<String>,
    /// A delay's last day, or the date by which a bar is reviewed again.
    #[schema(value_type = Option<String>, format = Date)]
    pub until: Option<NaiveDate>,
    pub language: Option<String>,
    /// `email` or `provider`, once the provider said.
    pub channel: Option<String>,
    pub address: Option<String>,
    /// When it goes out; absent once sent, while barred, or while it waits.
    pub due: Option<DateTime<Utc>>,
    /// What it waits for: `delivery` (of the data), `recipient` (how to reach the person)
    /// or `bar`.
    pub waiting: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The commitment to its text the log keeps: hex SHA-256 over
    /// `comity-person-notice/v1\n`, the salt, `\n` and the text.
    pub commitment: Option<String>,
    /// The audit-log entry of the `person_notice.sent` fact.
    pub sent_log_index: Option<u64>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The provider's reference of the delivery, or the message id comity's mail had.
    pub delivery_reference: Option<String>,
}

/// The notices of a request's targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PersonNoticesResource {
    pub request: String,
    pub notices: Vec<PersonNoticeResource>,
}

/// A sent notice's text, written again word for word for the provider to deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NoticeTextResource {
    pub language: String,
    pub subject: String,
    /// The text the commitment covers.
    pub text: String,
    pub salt: String,
    pub commitment: String,
    /// How the person checks it, in their language; give it with the text.
    pub check: String,
}
