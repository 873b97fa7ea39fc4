//! A clarification answered with an amended, newly signed document (issue 13, item 5; the
//! situation of Regulation (EU) 2023/1543 Art 10(5)-(8) and Annex III).
//!
//! The provider or reviewer asks the authority questions (a move to
//! `clarification_requested`, its reason the questions). The authority answers with the
//! amended document, signed by a registered key like a submission, or from a person of the
//! authority logged in. The amendment keeps the request's parties, instrument, kind and
//! reference: anything else is a new request. It is screened again, every version is kept
//! (`documents`), the move back to review says what changed, and its event commits to the
//! amended document and its signature in the audit log, as the receipt does.

use chrono::{DateTime, SubsecRound, Utc};
use comity_access::Action;
use comity_core::{
    ActorId, Amendment, Event, Fact, FactKind, JournalQuery, Move, RequestId, State, StoreError,
    StoredDocument, StoredRequest,
    journal::{self, ClarificationReason, Question},
};
use comity_policy::Verdict;
use comity_wire::parse_request;
use serde_json::Value;

use crate::{App, Caller, Client, Error, Result, screening::History};

impl App {
    /// Answers a clarification with an amended document signed by a key registered for the
    /// request's authority (a compact JWS, as a submission is).
    pub async fn amend_signed(
        &self,
        id: RequestId,
        jws: &[u8],
        client: &Client<'_>,
    ) -> Result<(StoredRequest, Event)> {
        let signed = self.verify_signed(jws, client).await?;
        self.amend(&signed.caller, id, &signed.document, Some(signed.jws), Some(signed.claims.jti)).await
    }

    /// Answers a clarification with an amended document from a person of the authority.
    pub async fn amend_document(
        &self,
        caller: &Caller,
        id: RequestId,
        document: &[u8],
    ) -> Result<(StoredRequest, Event)> {
        // As a submission: a system signs what it sends; an API token alone is not enough
        // to change what an authority asks for.
        if matches!(caller.principal.credential, comity_core::Credential::Token(_)) {
            self.visible(caller, id).await?;
            return Err(Error::Forbidden(
                "a system must sign an amended document: send it as a compact JWS (`Content-Type: \
                 application/jose`) signed with a key registered for your authority"
                    .to_owned(),
            ));
        }
        self.amend(caller, id, document, None, None).await
    }

    /// Every version of a request's document, oldest first, with the paths each changed
    /// and the difference from the version before as an RFC 6902 JSON Patch (empty for the
    /// first); the read is logged before it is answered.
    pub async fn read_documents(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<(Vec<(StoredDocument, Vec<String>, Value)>, u64)> {
        let (request, _) = self.visible(caller, id).await?;
        self.check_not_shredded(&request).await?;
        let index = self.log_read(caller, id, comity_core::ReadOf::Document).await?;
        Ok((self.versions(id).await?, index))
    }

    async fn versions(&self, id: RequestId) -> Result<Vec<(StoredDocument, Vec<String>, Value)>> {
        let documents = self.store().documents(id).await?;
        let mut out = Vec::with_capacity(documents.len());
        let mut before: Option<Value> = None;
        for d in documents {
            let now: Value = serde_json::from_str(&d.document).map_err(Error::internal)?;
            let (changed, patch) = match &before {
                Some(b) => (changed_paths(b, &now), patch(b, &now)?),
                None => (Vec::new(), Value::Array(Vec::new())),
            };
            before = Some(now);
            out.push((d, changed, patch));
        }
        Ok(out)
    }

    /// The structured questions asked of a request's authority, oldest first, each with
    /// whether an amended document has answered it: a question about a field is answered
    /// when the next amendment changed that field (or within it); one about the document
    /// as a whole by any amendment. The read is logged before it is answered.
    pub async fn read_clarifications(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<(Vec<Clarification>, u64)> {
        let (request, _) = self.visible(caller, id).await?;
        self.check_not_shredded(&request).await?;
        let index = self.log_read(caller, id, comity_core::ReadOf::Document).await?;
        let asked =
            self.store().journal(&JournalQuery::kinds(&[FactKind::ClarificationAsked]).request(id)).await?;
        let versions = self.versions(id).await?;
        let mut out = Vec::with_capacity(asked.len());
        for entry in asked {
            let Fact::ClarificationAsked(c) = entry.fact else { continue };
            let answer = versions.iter().find(|(d, _, _)| d.seq > c.event);
            let changed: Vec<String> = answer
                .map(|(_, _, patch)| {
                    patch
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|op| op["path"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let questions = c
                .questions
                .into_iter()
                .map(|q| {
                    let answered = answer.is_some()
                        && q.pointer.as_deref().is_none_or(|p| changed.iter().any(|c| touches(p, c)));
                    QuestionState { question: q, answered }
                })
                .collect();
            out.push(Clarification {
                event: c.event,
                at: entry.at,
                by: entry.actor,
                questions,
                answered_by: answer.map(|(d, _, _)| d.seq),
            });
        }
        Ok((out, index))
    }

    async fn amend(
        &self,
        caller: &Caller,
        id: RequestId,
        body: &[u8],
        signature: Option<String>,
        jti: Option<String>,
    ) -> Result<(StoredRequest, Event)> {
        let (current, facts) = self.visible(caller, id).await?;
        self.require_on_request(caller, &Action::AnswerClarification, &facts)?;
        if current.state != State::ClarificationRequested {
            return Err(Error::conflict(format!(
                "an amended document answers a request for clarification; this request is {}",
                current.state
            )));
        }
        let replayed = || {
            Error::Unauthenticated {
            code: "replayed",
            message: "an amendment signed with this jti was already received for this request; sign each amendment \
                      with a new jti"
                .to_owned(),
        }
        };
        if jti.is_some() && self.store().documents(id).await?.iter().any(|d| d.jti == jti) {
            return Err(replayed());
        }
        let (document, request) = parse_request(body)?;
        let (_, before) = parse_request(current.document.as_bytes())
            .map_err(|e| Error::corrupt(format!("request {id}: its document no longer parses: {e}")))?;
        let kept = [
            (
                "issuing.authority",
                before.issuing.authority.to_string(),
                request.issuing.authority.to_string(),
            ),
            (
                "addressee.provider",
                before.addressee.provider.to_string(),
                request.addressee.provider.to_string(),
            ),
            ("instrument", before.instrument.to_string(), request.instrument.to_string()),
            ("kind", before.kind.to_string(), request.kind.to_string()),
            ("emergency", before.emergency.to_string(), request.emergency.to_string()),
            ("issuing.reference", before.issuing.reference.clone(), request.issuing.reference.clone()),
        ];
        for (path, was, now) in kept {
            if was != now {
                return Err(Error::invalid(
                    "amendment_changes_request",
                    path,
                    format!(
                        "is {now:?}, but the request's is {was:?}; an amendment keeps the parties, instrument, \
                         kind and reference; submit a new request for another"
                    ),
                ));
            }
        }
        self.check_parties(&request).await?;
        let document = serde_json::to_string(&document).map_err(Error::internal)?;
        let old: Value = serde_json::from_str(&current.document).map_err(Error::internal)?;
        let new: Value = serde_json::from_str(&document).map_err(Error::internal)?;
        let changed = changed_paths(&old, &new);
        if changed.is_empty() {
            return Err(Error::invalid(
                "amendment_changes_nothing",
                "document",
                "is the request's document unchanged; answer in words with a move to under_review instead",
            ));
        }
        let report =
            self.screen_request(&request, current.received_at, Some(&current), History::Authority).await?;
        let now = Utc::now().trunc_subsecs(6);
        let to = if report.verdict == Verdict::Inadmissible { State::Rejected } else { State::UnderReview };
        comity_core::lifecycle::check(current.kind, current.state, to)?;
        let how = if signature.is_some() { "signed " } else { "" };
        let reason = format!(
            "answered with an amended {how}document from {}; changed: {}; {}",
            caller.actor(),
            changed.join(", "),
            crate::screening::summary(&report)
        );
        let amendment = Amendment {
            to_review: Move {
                request_id: id,
                expected_version: current.version,
                from: current.state,
                to,
                actor: caller.actor(),
                at: now,
                reason,
                facts: Vec::new(),
                clocks: Vec::new(),
                closes: None,
            },
            document,
            signature,
            jti,
            validator: request.issuing.validated_by.as_ref().map(|v| v.authority.clone()),
            screening: crate::screening::record(id, &report, now)?,
            clocks: crate::clocks::screening_clocks(&report, &request),
        };
        let event = match self.store().amend(&amendment).await {
            Ok(event) => event,
            Err(StoreError::JtiTaken) => {
                return Err(Error::Unauthenticated {
                    code: "replayed",
                    message:
                        "an amendment signed with this jti was already received for this request; sign each \
                              amendment with a new jti"
                            .to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let after = StoredRequest {
            document: amendment.document,
            signature: amendment.signature,
            validator: amendment.validator,
            ..current.after(&event)
        };
        Ok((after, event))
    }
}

/// A request for clarification's structured questions, and what answered them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clarification {
    /// The move to `clarification_requested` that asked them.
    pub event: u32,
    pub at: DateTime<Utc>,
    pub by: ActorId,
    pub questions: Vec<QuestionState>,
    /// The event of the amended document that answered, if one has.
    pub answered_by: Option<u32>,
}

/// A question, and whether the amendment that followed changed what it asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionState {
    pub question: Question,
    pub answered: bool,
}

/// The most questions one request for clarification asks, and the longest question.
const MAX_QUESTIONS: usize = 50;
const MAX_QUESTION: usize = 2_000;

/// The structured questions of a move, checked: only a request for clarification asks
/// them; each names a reason of Annex III, and a JSON Pointer (RFC 6901) that reaches the
/// request's document, or a field the document lacks within one it has (an incomplete
/// document is asked for what is missing). Returns the fact to keep with the move.
pub(crate) fn questions(current: &StoredRequest, transition: &crate::Transition) -> Result<Option<Fact>> {
    if transition.questions.is_empty() {
        return Ok(None);
    }
    if transition.to != State::ClarificationRequested {
        return Err(Error::invalid(
            "invalid_questions",
            "questions",
            "only a request for clarification (to clarification_requested) asks questions",
        ));
    }
    if transition.questions.len() > MAX_QUESTIONS {
        return Err(Error::invalid("invalid_questions", "questions", format!("ask at most {MAX_QUESTIONS}")));
    }
    let document: Value = serde_json::from_str(&current.document).map_err(Error::internal)?;
    let mut out = Vec::with_capacity(transition.questions.len());
    for (i, q) in transition.questions.iter().enumerate() {
        let field = |name: &str| format!("questions[{i}].{name}");
        let reason = ClarificationReason::parse(q.reason.trim()).ok_or_else(|| {
            let known: Vec<&str> = ClarificationReason::ALL.iter().map(|r| r.as_str()).collect();
            Error::invalid(
                "invalid_questions",
                field("reason"),
                format!("{:?} is not a reason; use one of: {}", q.reason, known.join(", ")),
            )
        })?;
        let pointer = match q.pointer.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => {
                let reaches = document.pointer(p).is_some()
                    || p.rfind('/')
                        .is_some_and(|cut| document.pointer(&p[..cut]).is_some_and(Value::is_object));
                if !p.starts_with('/') || !reaches {
                    return Err(Error::invalid(
                        "invalid_questions",
                        field("pointer"),
                        format!(
                            "{p:?} is not a JSON Pointer (RFC 6901) into the request's document, such as \
                             /justification or /targets/0/value"
                        ),
                    ));
                }
                Some(p.to_owned())
            }
        };
        let question = q.question.trim();
        if question.is_empty() || question.chars().count() > MAX_QUESTION {
            return Err(Error::invalid(
                "invalid_questions",
                field("question"),
                format!("ask the question in words, at most {MAX_QUESTION} characters"),
            ));
        }
        out.push(Question { reason, pointer, question: question.to_owned() });
    }
    Ok(Some(Fact::ClarificationAsked(journal::ClarificationAsked {
        request: current.id,
        event: current.version + 1,
        questions: out,
    })))
}

/// The RFC 6902 JSON Patch that turns `old` into `new`.
fn patch(old: &Value, new: &Value) -> Result<Value> {
    serde_json::to_value(json_patch::diff(old, new)).map_err(Error::internal)
}

/// Whether a change at `changed` answers a question about `pointer`: the same field, one
/// within it, or one that holds it (a list replaced as a whole).
fn touches(pointer: &str, changed: &str) -> bool {
    let within = |inner: &str, outer: &str| {
        inner == outer || (inner.starts_with(outer) && inner.as_bytes().get(outer.len()) == Some(&b'/'))
    };
    within(changed, pointer) || within(pointer, changed)
}

/// The JSON paths at which two documents differ, in document order (`a.b`, `list[2]`).
pub(crate) fn changed_paths(old: &Value, new: &Value) -> Vec<String> {
    fn walk(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<String>) {
        match (old, new) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => {
                let mut keys: Vec<&String> =
                    a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).collect();
                keys.dedup();
                for k in keys {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    walk(&p, a.get(k), b.get(k), out);
                }
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{i}]"), Some(x), Some(y), out);
                }
            }
            (a, b) if a != b => out.push(path.to_owned()),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk("", Some(old), Some(new), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_difference_is_a_json_patch_and_answers_the_questions_on_its_fields() {
        let old = json!({"justification": "a", "targets": [{"value": "x@example.com"}]});
        let new = json!({"justification": "b", "targets": [{"value": "x@example.com"}], "issuing": {"validated_by": "j"}});
        let p = patch(&old, &new).unwrap();
        assert_eq!(
            p,
            json!([
                {"op": "replace", "path": "/justification", "value": "b"},
                {"op": "add", "path": "/issuing", "value": {"validated_by": "j"}}
            ])
        );
        let mut applied = old.clone();
        json_patch::patch(&mut applied, &serde_json::from_value::<json_patch::Patch>(p).unwrap()).unwrap();
        assert_eq!(applied, new);
        assert!(touches("/justification", "/justification"));
        assert!(touches("/issuing/validated_by", "/issuing"));
        assert!(touches("/targets", "/targets/0/value"));
        assert!(!touches("/target", "/targets/0"));
    }

    #[test]
    fn the_changed_paths_are_named() {
        let old =
            json!({"issuing": {"authority": "a", "reference": "R"}, "targets": [{"v": 1}, {"v": 2}], "x": 1});
        let new = json!({"issuing": {"authority": "a", "reference": "R", "validated_by": {"authority": "j"}},
            "targets": [{"v": 1}, {"v": 3}], "y": 2});
        assert_eq!(changed_paths(&old, &new), ["issuing.validated_by", "targets[1].v", "x", "y"]);
        assert!(changed_paths(&old, &old).is_empty());
        // A list that grows or shrinks changed as a whole.
        assert_eq!(changed_paths(&json!({"t": [1]}), &json!({"t": [1, 2]})), ["t"]);
    }
}
