//! The operator at the command line: `comity authority add`, `comity token create`,
//! `comity produce` and the like, straight on the store of its data directory.
//!
//! Whoever can run the command line with the data directory can do what an admin can: it
//! is the operator's root-equivalent tool, and asks no policy. What it does is recorded
//! under the actor it names (`cli:<unix user>@local`), so the journal and the audit log
//! tell the command line from the API.

use comity_core::{ActorId, RequestId};

use crate::{Accounts, App, Producing, Registers, Result};

/// The operator, acting at the command line under `actor`.
#[derive(Debug, Clone)]
pub struct Operator {
    app: App,
    actor: ActorId,
}

impl App {
    /// The operator at the command line, recorded as `actor`.
    pub fn operator(&self, actor: ActorId) -> Operator {
        Operator { app: self.clone(), actor }
    }
}

impl Operator {
    pub(crate) fn app_ref(&self) -> &App {
        &self.app
    }

    /// Every pack and its versions, with the requests each judged (`comity pack history`).
    pub async fn pack_history(&self) -> Result<Vec<crate::PackHistory>> {
        self.app.histories(true).await
    }

    /// The registers: parties, keys, contacts, recipients, production keys.
    pub fn registers(&self) -> Registers {
        self.app.registers_as(self.actor.clone())
    }

    /// People's accounts and systems' API tokens.
    pub fn accounts(&self) -> Accounts {
        self.app.accounts_as(self.actor.clone())
    }

    /// Assigns a reviewer body to a request, in place of `replaces` if given (`comity
    /// reviewer assign`): where routing by law found none, or an objection was upheld.
    pub async fn assign_reviewer(
        &self,
        id: RequestId,
        reviewer: &str,
        reason: &str,
        replaces: Option<&str>,
    ) -> Result<(Vec<comity_core::PartyId>, comity_core::JournalEntry)> {
        self.app.assign_as(&self.actor, id, reviewer, reason, replaces).await
    }

    /// Registers a representative of the person concerned for a request (`comity
    /// representative add`), on the mandate the operator was shown (issue 13, item 6).
    pub async fn register_representative(
        &self,
        id: RequestId,
        new: &crate::NewRepresentative,
    ) -> Result<(Vec<comity_core::PartyId>, comity_core::JournalEntry)> {
        self.app.register_representative_as(&self.actor, id, new).await
    }

    /// Releases the fine breakdown of the requests received in `period` (`[from, to)`)
    /// with noise spending `epsilon` of `budget` (`comity transparency release`).
    pub async fn release_private(
        &self,
        period: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
        epsilon: comity_core::privacy::Epsilon,
        budget: comity_core::privacy::Epsilon,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::privacy::PrivateRelease> {
        self.app.release_private_as(&self.actor, period, epsilon, budget, now).await
    }

    /// A request to produce from a provider's export on the server's host.
    pub async fn producing(&self, id: RequestId) -> Result<Producing> {
        self.app.producing_as(self.actor.clone(), id).await
    }
}
