//! An audit sample drawn from a checkpoint, as `comity audit sample` draws it, with the
//! entries of each request drawn for those who may list them (issue 14: the auditor's
//! page).
//!
//! The draw is `comity_log::audit::sample` over the checkpoint's own entries: the root a
//! signed checkpoint fixes is the seed, so nobody chooses which requests are audited, and
//! anyone with the public tiles draws the same ones.

use comity_core::{LogSubject, RequestId};
use comity_log::{Checkpoint, Entry};

use crate::{App, Caller, Error, RequestLog, Result};

/// How many entries are read from the store at a time while the population is gathered.
const BATCH: u32 = 1024;

/// One request of a sample: as the public entries name it, and, for a caller the policy
/// lets list its entries, its id and entries.
#[derive(Debug)]
pub struct Drawn {
    /// The request as its entries name it: its tag (base64) in a `comity-log-entry/v2`
    /// entry, its id in a v1 entry.
    pub request: String,
    /// The request and its entries, if the caller may list them (`ViewLogEntries`).
    pub entries: Option<(RequestId, RequestLog)>,
}

/// A sample of the requests of a checkpoint's tree.
#[derive(Debug)]
pub struct AuditSample {
    /// The tree size the checkpoint signs, and so the entries the draw is made from.
    pub size: u64,
    /// How many distinct requests those entries name: the population.
    pub population: usize,
    pub drawn: Vec<Drawn>,
}

impl App {
    /// Draws `n` requests from the first `checkpoint.size()` entries of the log, seeded by
    /// the checkpoint's root (which the caller has verified against the log's key), and
    /// gives each with its entries where the policy lets `caller` list them.
    pub async fn audit_sample(
        &self,
        caller: &Caller,
        checkpoint: &Checkpoint,
        n: usize,
    ) -> Result<AuditSample> {
        let size = checkpoint.size();
        let mut requests: Vec<String> = Vec::new();
        let mut ids: std::collections::HashMap<String, RequestId> = std::collections::HashMap::new();
        let mut from = 0;
        while from < size {
            let limit = u32::try_from((size - from).min(u64::from(BATCH))).unwrap_or(BATCH);
            let records = self.store().log_records(from, limit).await?;
            if records.is_empty() {
                return Err(Error::corrupt(format!(
                    "the log holds no entry {from} of the checkpoint's {size}"
                )));
            }
            for record in &records {
                let entry = Entry::from_bytes(&record.entry)
                    .map_err(|e| Error::corrupt(format!("log entry {}: {e}", record.index)))?;
                let Some(request) = entry.request() else { continue };
                if !ids.contains_key(request) {
                    let id = match &record.subject {
                        LogSubject::Event { request_id, .. }
                        | LogSubject::Screening { request_id, .. }
                        | LogSubject::Read { request_id, .. } => *request_id,
                        _ => continue,
                    };
                    requests.push(request.to_owned());
                    ids.insert(request.to_owned(), id);
                }
            }
            from += records.len() as u64;
        }
        let population = requests.len();
        let mut drawn = Vec::new();
        for request in comity_log::sample(checkpoint.hash(), size, &requests, n) {
            let id = ids[&request];
            // The same use case and Cedar decision (`ViewLogEntries`) as the API's
            // `GET /v1/requests/{id}/log`: one the caller may not list is just a tag.
            let entries = match self.request_log(caller, id).await {
                Ok(mut log) => {
                    // Only the entries the checkpoint signs: the sample is of its tree.
                    log.records.retain(|r| r.index < size);
                    Some((id, log))
                }
                Err(Error::NotFound(_)) => None,
                Err(e) => return Err(e),
            };
            drawn.push(Drawn { request, entries });
        }
        Ok(AuditSample { size, population, drawn })
    }
}
