//! Emergency requests are never acted on until verified (issue 5, item 6): held in
//! `pending_verification` until a second registered contact of the authority confirms,
//! through a one-time link or a signed confirmation; each authority's track record
//! shows how many of its emergencies were never confirmed.

use comity_auth::jws::{Claims, SigningKey};
use serde_json::{Value, json};

use crate::support::{TestApp, example, now_unix};

crate::both_backends!(
    an_emergency_waits_for_a_second_contact_through_a_one_time_link,
    a_contact_can_deny_and_a_signed_confirmation_works_but_not_by_the_submitting_key,
);

fn emergency() -> Value {
    example("eu-epoc-emergency-subscriber.json")
}

async fn register_contacts(app: &TestApp, key: Option<&SigningKey>) {
    let admin = app.admin();
    let mut contact = json!({"id": "duty-officer", "name": "Duty officer", "email": "duty@berlin.example.org", "phone": "+49 30 1234567"});
    if let Some(k) = key {
        contact["public_key"] = serde_json::from_str(&k.public().to_jwk()).unwrap();
    }
    let (status, body) = admin.post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = admin.post("/v1/admin/authorities/de-sta-berlin/contacts", &contact).await;
    assert_eq!(status, 409, "a contact id is registered once");
    let nothing = json!({"id": "nobody", "name": "No channel"});
    assert_eq!(admin.post("/v1/admin/authorities/de-sta-berlin/contacts", &nothing).await.0, 422);
}

async fn an_emergency_waits_for_a_second_contact_through_a_one_time_link(app: TestApp) {
    register_contacts(&app, None).await;
    let id = app.submit(&emergency()).await;
    let provider = app.token("example-mail");
    let (_, read) = provider.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["state"], "pending_verification");
    assert_eq!(read["authority_record"]["held"], 1);
    assert_eq!(read["authority_record"]["confirmed"], 0);
    assert_eq!(read["authority_record"]["unconfirmed_share"], 1.0);

    // Nobody moves it on through the ordinary door, not even the provider.
    let (status, body) = provider.move_to(&id, "under_review").await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("second registered contact"), "{body}");

    // The provider's legal team gets a link for the authority's registered contact, with
    // the contact's registered channels to send it by.
    let (status, contacts) = provider.get("/v1/admin/authorities/de-sta-berlin/contacts").await;
    assert_eq!(status, 200, "{contacts}");
    let (status, link) = provider
        .post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "duty-officer"}))
        .await;
    assert_eq!(status, 201, "{link}");
    assert_eq!(link["email"], "duty@berlin.example.org");
    let url = link["url"].as_str().unwrap().to_owned();
    // The secret travels in the fragment, which no browser sends to a server, and reaches
    // comity only in a body: never in a path a proxy would log (issue 12, finding 6).
    let secret = url.strip_prefix("/verify#").expect("a link of the form /verify#<secret>").to_owned();
    assert!(secret.len() >= 40 && !secret.contains(['/', '?', '#']), "{url}");
    // Others may not issue one: the authority itself (it would confirm itself), a reviewer.
    assert_eq!(
        app.token("de-sta-berlin")
            .post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "duty-officer"}))
            .await
            .0,
        403
    );
    let (status, _) =
        provider.post(&format!("/v1/requests/{id}/verification/links"), &json!({"contact": "nobody"})).await;
    assert_eq!(status, 422);

    // The contact sees which request it is, none of its targets.
    let (status, view) = app.anonymous().post("/v1/verify/view", &json!({"token": secret})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["authority"], "de-sta-berlin");
    assert_eq!(view["targets"], 2);
    let text = view.to_string();
    for target in emergency()["targets"].as_array().unwrap() {
        let value = target["selector"]["value"].as_str().unwrap();
        assert!(!text.contains(value), "the link shows a target: {text}");
    }
    // and confirms: the request goes to review, with the contact as the actor.
    let (status, moved) = app
        .anonymous()
        .post(
            "/v1/verify",
            &json!({"token": secret, "decision": "confirm", "note": "called back on the registered number"}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["state"], "under_review");
    let (_, events) = provider.get(&format!("/v1/requests/{id}/events")).await;
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(last["actor"], "duty-officer@de-sta-berlin");
    assert!(last["reason"].as_str().unwrap().contains("one-time link"), "{last}");
    // The link works once.
    assert_eq!(
        app.anonymous().post("/v1/verify", &json!({"token": secret, "decision": "confirm"})).await.0,
        404
    );
    assert_eq!(app.anonymous().post("/v1/verify/view", &json!({"token": secret})).await.0, 404);
    assert_eq!(app.anonymous().post("/v1/verify/view", &json!({"token": "not-a-link"})).await.0, 404);

    let (_, record) = provider.get("/v1/authorities/de-sta-berlin/record").await;
    assert_eq!((record["held"].as_u64(), record["confirmed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(record["unconfirmed_share"], 0.0);
}

async fn a_contact_can_deny_and_a_signed_confirmation_works_but_not_by_the_submitting_key(app: TestApp) {
    let contact_key = SigningKey::generate();
    register_contacts(&app, Some(&contact_key)).await;
    let provider = app.token("example-mail");
    let confirmation = |key: &SigningKey, id: &str, decision: &str| {
        let now = now_unix() as i64;
        let claims = Claims {
            iss: "de-sta-berlin".into(),
            aud: "example-mail".into(),
            iat: now,
            exp: now + 120,
            jti: uuid::Uuid::now_v7().to_string(),
            request: json!({"id": id, "decision": decision}).as_object().cloned().unwrap(),
        };
        key.sign_compact(&key.public().key_id(), &claims.to_payload())
    };
    let anonymous = app.anonymous();
    let send = |id: &str, jws: String| {
        let path = format!("/v1/requests/{id}/verification");
        let anonymous = anonymous.clone();
        async move { anonymous.post_raw(&path, "application/jose", jws.into_bytes()).await }
    };

    // Denied through a link: rejected, never acted on.
    let mut doc = emergency();
    doc["issuing"]["reference"] = "BER-EMERG-2".into();
    let denied = app.submit(&doc).await;
    let (_, link) = provider
        .post(&format!("/v1/requests/{denied}/verification/links"), &json!({"contact": "duty-officer"}))
        .await;
    let (status, moved) = app
        .anonymous()
        .post(
            "/v1/verify",
            &json!({"token": link["url"].as_str().unwrap().strip_prefix("/verify#").unwrap(), "decision": "deny", "note": "we sent no such request"}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["state"], "rejected");

    // Confirmed with the contact's own key.
    doc["issuing"]["reference"] = "BER-EMERG-3".into();
    let id = app.submit(&doc).await;
    // Not with the key that signed the request, even if it is registered as a contact's:
    // the second channel must be a second key.
    let submitting = app.key_of("de-sta-berlin");
    let clerk = json!({"id": "clerk", "name": "Clerk", "public_key": serde_json::from_str::<Value>(&submitting.public().to_jwk()).unwrap()});
    assert_eq!(app.admin().post("/v1/admin/authorities/de-sta-berlin/contacts", &clerk).await.0, 201);
    let (status, body) = send(&id, confirmation(&submitting, &id, "confirm")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("same_key")), "{body}");
    // Nor with a key no contact of the authority has.
    let (status, body) = send(&id, confirmation(&SigningKey::generate(), &id, "confirm")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unknown_key")), "{body}");
    // A confirmation for another request does not confirm this one.
    let (status, body) = send(&id, confirmation(&contact_key, &denied, "confirm")).await;
    assert_eq!(status, 401, "{body}");
    let (status, moved) = send(&id, confirmation(&contact_key, &id, "confirm")).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["state"], "under_review");
    // Once settled, a second confirmation changes nothing.
    let (status, body) = send(&id, confirmation(&contact_key, &id, "confirm")).await;
    assert_eq!(status, 409, "{body}");

    // The record counts the two held: one confirmed by key, one denied.
    let (_, record) = provider.get("/v1/authorities/de-sta-berlin/record").await;
    assert_eq!(
        (record["held"].as_u64(), record["confirmed"].as_u64(), record["rejected"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(record["unconfirmed_share"], 0.5);
    assert_eq!(record["rejected_share"], 0.5);
    // An authority sees its own record; another requester does not see it.
    assert_eq!(app.token("de-sta-berlin").get("/v1/authorities/de-sta-berlin/record").await.0, 200);
    assert_eq!(app.token("fr-tj-paris").get("/v1/authorities/de-sta-berlin/record").await.0, 403);
}
