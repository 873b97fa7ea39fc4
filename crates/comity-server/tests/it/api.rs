//! Intake, reading, listing, moving, parties and operations endpoints.

use serde_json::{Value, json};

use crate::support::{REVIEWER, TestApp, example, examples};

crate::both_backends!(
    every_example_is_accepted_and_read_back,
    a_request_walks_its_lifecycle_and_every_step_is_an_event,
    illegal_and_stale_moves_are_refused_with_409_and_a_reason,
    moves_need_a_reason_and_record_the_caller,
    unknown_and_malformed_ids,
    listing_filters_and_pages,
    parties_are_registered_once_and_listed,
    intake_checks_the_parties_against_the_registers,
    operations_endpoints,
    the_api_description_covers_every_endpoint,
    the_description_says_which_operations_need_a_credential,
    every_answer_tells_a_browser_to_treat_it_as_data_and_keep_no_copy,
);

async fn every_example_is_accepted_and_read_back(app: TestApp) {
    for name in examples() {
        let doc = example(&name);
        let r = app
            .client
            .post(app.url("/v1/requests"))
            .header("content-type", "application/jose")
            .body(app.sign(&doc))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{name}");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let created: Value = r.json().await.unwrap();
        let id = created["id"].as_str().unwrap();
        assert_eq!(location, format!("/v1/requests/{id}"));
        assert_eq!(created["submitted"], "signed");
        // Intake screens every request and moves it on: to review, or an emergency to
        // verification by a second contact of its authority.
        if doc["emergency"] == true {
            assert_eq!(created["state"], "pending_verification", "{name}");
            assert_eq!(created["next_states"], json!(["under_review", "rejected", "withdrawn"]));
        } else {
            assert_eq!(created["state"], "under_review", "{name}");
            assert_eq!(
                created["next_states"],
                json!(["clarification_requested", "approved", "partially_approved", "rejected", "withdrawn"])
            );
        }
        // Each instrument's pack is named after it.
        let pack = doc["instrument"].as_str().unwrap();
        assert_eq!(created["screening"]["pack"]["id"], pack, "{name}");
        assert_ne!(created["screening"]["verdict"], "inadmissible", "{name}");

        // Intake answers with the entries it appended to the audit log: the receipt, the
        // screening, comity's two moves, the request's classification for the transparency
        // reports (issue 16) and one assignment per body routing by law found in the
        // register, consecutive.
        let logged: Vec<u64> = serde_json::from_value(created["log_indexes"].clone()).unwrap();
        let id = created["id"].as_str().unwrap();
        let provider = app.token(doc["addressee"]["provider"].as_str().unwrap());
        let (_, routed) = provider.get(&format!("/v1/requests/{id}/reviewers")).await;
        let routed = routed["reviewers"].as_array().unwrap().len();
        assert!(routed >= 1, "{name}: every example has a competent body in the register");
        assert_eq!(logged.len(), 5 + routed, "{name}");
        assert!(logged.windows(2).all(|w| w[1] == w[0] + 1), "{name}: {logged:?}");
        let mut created = created;
        created.as_object_mut().unwrap().remove("log_indexes");

        // The provider it is addressed to reads it back.
        let provider = app.token(doc["addressee"]["provider"].as_str().unwrap());
        let (status, read) = provider.get(&location).await;
        assert_eq!(status, 200);
        assert_eq!(read, created, "{name}: what is read back differs from what intake answered");
        assert_eq!(read["authority_record"]["authority"], doc["issuing"]["authority"]);
        // The stored document is the submitted one in canonical form.
        assert_eq!(read["document"]["targets"], without_nulls(&doc["targets"]), "{name}");
        assert_eq!(read["document"]["issuing"]["reference"], doc["issuing"]["reference"]);
        assert_eq!(read["authority"], doc["issuing"]["authority"]);
        assert_eq!(read["provider"], doc["addressee"]["provider"]);

        let (status, events) = provider.get(&format!("{location}/events")).await;
        assert_eq!(status, 200);
        assert_eq!(events.as_array().unwrap().len(), 3);
        assert_eq!(events[0]["seq"], 1);
        assert_eq!(events[0]["from"], Value::Null);
        assert_eq!(events[0]["to"], "received");
        // The receipt names the key that signed it, of the authority that owns it.
        let authority = doc["issuing"]["authority"].as_str().unwrap();
        let kid = app.key_of(authority).public().key_id();
        assert_eq!(events[0]["actor"], format!("key:{}@{authority}", kid.as_str()));
        assert!(events[0]["reason"].as_str().unwrap().contains("signed by key"), "{}", events[0]["reason"]);
        assert_eq!((&events[1]["to"], &events[1]["actor"]), (&json!("screening"), &json!("comity")));
        assert!(events[1]["reason"].as_str().unwrap().contains(pack), "{}", events[1]["reason"]);
        assert_eq!(events[2]["to"], created["state"]);
    }
}

/// The canonical form leaves out absent and null optional fields.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

async fn a_request_walks_its_lifecycle_and_every_step_is_an_event(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    // Intake took it through received, screening and under_review; the reviewer approves,
    // the provider produces (approved -> producing), the authority acknowledges the
    // package (producing -> delivered), the provider closes.
    let path = ["approved", "producing", "delivered", "closed"];
    let check = |n: usize, to: &str, body: &Value| {
        assert_eq!(body["request"]["state"], *to, "{body}");
        assert_eq!(body["request"]["version"], n + 4);
        assert_eq!(body["event"]["seq"], n + 4);
        assert_eq!(body["event"]["to"], *to);
    };
    let (status, body) = app.move_to(&id, "approved").await;
    assert_eq!(status, 200, "{body}");
    check(0, "approved", &body);
    let export = crate::support::export();
    app.deliver(&id, &export).await;
    let (status, body) = app.move_to(&id, "closed").await;
    assert_eq!(status, 200, "{body}");
    check(3, "closed", &body);
    let last = body["request"].clone();
    let provider = app.token("example-mail");
    let (_, events) = provider.get(&format!("/v1/requests/{id}/events")).await;
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), path.len() + 3);
    for pair in events.windows(2) {
        assert_eq!(pair[1]["from"], pair[0]["to"], "events chain from state to state");
        assert!(pair[1]["at"].as_str() >= pair[0]["at"].as_str());
    }
    assert_eq!(events.last().unwrap()["reason"], "test moves it to closed");
    // Each step names who took it: the reviewer decided, the provider produced.
    let actor = |n: usize| events[n]["actor"].as_str().unwrap().to_owned();
    assert!(actor(3).starts_with("token:") && actor(3).ends_with(&format!("@{REVIEWER}")), "{}", actor(3));
    assert!(actor(6).ends_with("@example-mail"), "{}", actor(6));
    let (_, read) = provider.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["next_states"], json!([]), "closed is final");
    // The answer to a move is what a later read returns.
    for field in ["state", "version", "updated_at", "received_at"] {
        assert_eq!(last[field], read[field], "{field}");
    }
}

async fn illegal_and_stale_moves_are_refused_with_409_and_a_reason(app: TestApp) {
    let id = app.submit(&example("eu-epoc-pr-preservation.json")).await;
    // Nothing is produced without a decision.
    let (status, body) = app.move_to(&id, "delivered").await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "illegal_transition");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("clarification_requested, approved, partially_approved"),
        "{body}"
    );
    assert_eq!(app.move_to(&id, "approved").await.0, 200);
    // A preservation order never produces.
    let (status, body) = app.move_to(&id, "producing").await;
    assert_eq!(status, 409);
    assert!(body["error"]["message"].as_str().unwrap().contains("preservation"), "{body}");
    // A stale view is refused and changes nothing.
    let provider = app.token("example-cloud");
    let stale = json!({"to": "preserved", "reason": "kept", "expected_version": 3});
    let (status, body) = provider.post(&format!("/v1/requests/{id}/transitions"), &stale).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (_, read) = provider.get(&format!("/v1/requests/{id}")).await;
    assert_eq!(read["state"], "approved");
    assert_eq!(read["version"], 4);
    // Final states are final.
    assert_eq!(app.move_to(&id, "withdrawn").await.0, 200);
    let (status, body) = app.move_to(&id, "under_review").await;
    assert_eq!(status, 409);
    assert!(body["error"]["message"].as_str().unwrap().contains("final"), "{body}");
}

async fn moves_need_a_reason_and_record_the_caller(app: TestApp) {
    let id = app.submit(&example("mlat-content.json")).await;
    let path = format!("/v1/requests/{id}/transitions");
    let provider = app.token("example-social");
    let check = |body: Value, status: u16, code: &'static str, field: &'static str| {
        let provider = provider.clone();
        let path = &path;
        async move {
            let (got, answer) = provider.post(path, &body).await;
            assert_eq!(got, status, "{body} -> {answer}");
            assert_eq!(answer["error"]["code"], code, "{answer}");
            if !field.is_empty() {
                assert_eq!(answer["error"]["details"][0]["path"], field, "{answer}");
            }
        }
    };
    check(json!({"to": "clarification_requested", "reason": "  "}), 422, "invalid_transition", "reason")
        .await;
    check(json!({"to": "clarification_requested"}), 422, "invalid_document", "").await;
    check(json!({"to": "approvedd", "reason": "r"}), 422, "invalid_document", "to").await;
    check(json!({"to": "clarification_requested", "reason": "r", "extra": 1}), 422, "invalid_document", "")
        .await;
    // The actor is who the caller is, never what the body says.
    check(
        json!({"to": "clarification_requested", "actor": "ie-high-court", "reason": "r"}),
        422,
        "invalid_document",
        "",
    )
    .await;
    let (_, events) = provider.get(&format!("/v1/requests/{id}/events")).await;
    assert_eq!(events.as_array().unwrap().len(), 3, "a refused move leaves no event");
    let (status, body) = provider.move_to(&id, "clarification_requested").await;
    assert_eq!(status, 200, "{body}");
    assert!(body["event"]["actor"].as_str().unwrap().ends_with("@example-social"), "{body}");
}

async fn unknown_and_malformed_ids(app: TestApp) {
    let unknown = "0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f";
    let provider = app.token("example-mail");
    for path in [format!("/v1/requests/{unknown}"), format!("/v1/requests/{unknown}/events")] {
        let (status, body) = provider.get(&path).await;
        assert_eq!(status, 404, "{path}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (status, _) = provider.move_to(unknown, "screening").await;
    assert_eq!(status, 404);
    let (status, body) = provider.get("/v1/requests/not-an-id").await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("not a request id"), "{body}");
}

async fn listing_filters_and_pages(app: TestApp) {
    // Six requests to example-mail, from three authorities; the other examples elsewhere.
    let mut ids = Vec::new();
    for (n, authority) in
        ["fr-tj-paris", "de-sta-berlin", "nl-om-rotterdam", "fr-tj-paris", "de-sta-berlin", "fr-tj-paris"]
            .iter()
            .enumerate()
    {
        let mut doc = example("eu-epoc-traffic.json");
        doc["issuing"]["authority"] = (*authority).into();
        doc["issuing"]["country"] = authority[..2].to_uppercase().into();
        doc["issuing"]["reference"] = format!("REF-{n}").into();
        doc["issuing"]["validated_by"] = Value::Null;
        doc["data_categories"] = json!(["subscriber"]);
        ids.push(app.submit(&doc).await);
    }
    app.submit(&example("mlat-content.json")).await;
    app.move_to(&ids[0], "approved").await;
    let provider = app.token("example-mail");
    let (status, all) = provider.get("/v1/requests").await;
    assert_eq!(status, 200);
    // The provider sees what is addressed to it, and nothing else.
    assert_eq!(all["total"], 6);
    let listed: Vec<&str> =
        all["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    let newest_first: Vec<&str> = ids.iter().rev().map(String::as_str).collect();
    assert_eq!(listed, newest_first);

    let (_, approved) = provider.get("/v1/requests?state=approved").await;
    assert_eq!(approved["total"], 1);
    assert_eq!(approved["items"][0]["id"], ids[0].as_str());
    let (_, under_review) = provider.get("/v1/requests?state=under_review").await;
    assert_eq!(under_review["total"], 5);
    let (_, by_authority) = provider.get("/v1/requests?authority=fr-tj-paris").await;
    assert_eq!(by_authority["total"], 3);
    let (_, other_provider) = provider.get("/v1/requests?provider=example-social").await;
    assert_eq!(other_provider["total"], 0, "a filter cannot widen the scope");
    let (_, page2) = provider.get("/v1/requests?per_page=4&page=2").await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 2);
    assert_eq!(page2["total"], 6);
    assert_eq!(page2["page"], 2);
    // An authority sees its own; the reviewer what is assigned to it.
    assert_eq!(app.token("fr-tj-paris").get("/v1/requests").await.1["total"], 3);
    // Routing by law assigned the court of Ireland, where example-mail is established, to
    // each of its six; the MLAT request to example-social went to the United States'.
    let (_, assigned) = app.token(REVIEWER).get("/v1/requests").await;
    assert_eq!(assigned["total"], 6);
    let (_, elsewhere) = app.token("us-oia").get("/v1/requests").await;
    assert_eq!(elsewhere["total"], 1);

    for bad in ["state=lost", "page=0", "per_page=500", "page=x", "authority=Not%20An%20Id", "colour=blue"] {
        let (status, body) = provider.get(&format!("/v1/requests?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{bad}");
    }
}

async fn parties_are_registered_once_and_listed(app: TestApp) {
    let app_admin = app.admin();
    let app = &app_admin;
    let (_, authorities) = app.get("/v1/admin/authorities").await;
    assert_eq!(authorities.as_array().unwrap().len(), crate::support::AUTHORITIES.len());
    assert_eq!(authorities[0]["id"], "br-jf-sp-10", "ordered by id");
    // The same id in another register is taken too.
    let dup = json!({"id": "fr-tj-paris", "country": "FR", "name": "Someone"});
    let (status, body) = app.post("/v1/admin/providers", &dup).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("already registered"), "{body}");
    let bad = json!({"id": "Bad Id", "country": "XX", "kind": "court", "name": ""});
    let (status, body) = app.post("/v1/admin/reviewers", &bad).await;
    assert_eq!(status, 422, "{body}");
    let paths: Vec<&str> =
        body["error"]["details"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["id", "country", "name"]);
    let (_, providers) = app.get("/v1/admin/providers").await;
    assert_eq!(providers.as_array().unwrap().len(), 3);
    let (_, reviewers) = app.get("/v1/admin/reviewers").await;
    assert_eq!(reviewers[0]["kind"], "court");
    // Parties of one institution are registered with it.
    let court = json!({"id": "gb-ipc-review", "country": "GB", "kind": "court", "name": "Judicial Commissioners", "institution": "gb-ipc"});
    let (status, body) = app.post("/v1/admin/reviewers", &court).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["institution"], "gb-ipc");
}

async fn intake_checks_the_parties_against_the_registers(app: TestApp) {
    let check = |edit: fn(&mut Value), code: &'static str, path: &'static str| {
        let app = &app;
        async move {
            let mut doc = example("eu-epoc-traffic.json");
            edit(&mut doc);
            let (status, body) = app.person("fr-tj-paris").await.post("/v1/requests", &doc).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(body["error"]["code"], code, "{body}");
            assert_eq!(body["error"]["details"][0]["path"], path, "{body}");
        }
    };
    check(|d| d["issuing"]["authority"] = "xx-unknown".into(), "unknown_authority", "issuing.authority")
        .await;
    check(
        |d| d["issuing"]["authority_type"] = "judge".into(),
        "authority_mismatch",
        "issuing.authority_type",
    )
    .await;
    check(|d| d["issuing"]["country"] = "BE".into(), "authority_mismatch", "issuing.country").await;
    check(
        |d| d["issuing"]["validated_by"]["authority"] = "xx-judge".into(),
        "unknown_authority",
        "issuing.validated_by.authority",
    )
    .await;
    check(
        |d| d["issuing"]["validated_by"]["authority_type"] = "court".into(),
        "authority_mismatch",
        "issuing.validated_by.authority_type",
    )
    .await;
    check(|d| d["addressee"]["provider"] = "gb-nca".into(), "unknown_provider", "addressee.provider").await;
    let (_, list) = app.token("fr-tj-paris").get("/v1/requests").await;
    assert_eq!(list["total"], 0, "nothing refused was stored");
}

async fn operations_endpoints(app: TestApp) {
    let anonymous = app.anonymous();
    assert_eq!(anonymous.get("/healthz").await, (200, json!({"status": "ok"})));
    assert_eq!(anonymous.get("/readyz").await, (200, json!({"status": "ok"})));
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    app.move_to(&id, "approved").await;
    app.submit(&example("mlat-content.json")).await;

    // Aggregates, for those who may read them (an auditor, the operator), not the public.
    assert_eq!(anonymous.get("/metrics").await.0, 401);
    assert_eq!(app.token("fr-tj-paris").get("/metrics").await.0, 403);
    let r = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(app.issue_token(crate::support::OPERATOR).await)
        .send()
        .await
        .unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let metrics = r.text().await.unwrap();
    assert!(metrics.contains("comity_requests_received_total 2"), "{metrics}");
    assert!(metrics.contains("comity_requests{state=\"under_review\"} 1"), "{metrics}");
    assert!(metrics.contains("comity_requests{state=\"approved\"} 1"), "{metrics}");
    assert!(metrics.contains("comity_requests{state=\"received\"} 0"), "{metrics}");
    assert!(metrics.contains("comity_transitions_total{state=\"approved\"} 1"), "{metrics}");
    assert!(
        metrics.contains("route=\"/v1/requests/{id}/transitions\""),
        "routes are labelled by template: {metrics}"
    );
    assert!(metrics.trim_end().ends_with("# EOF"));

    let (status, schema) = anonymous.get("/v1/schemas/request").await;
    assert_eq!(status, 200);
    assert_eq!(schema, comity_wire::request_schema());

    let (status, body) = anonymous.get("/v1/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let r = app.client.delete(app.url("/v1/requests")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 405);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

async fn the_api_description_covers_every_endpoint(app: TestApp) {
    let (status, doc) = app.anonymous().get("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let expected = [
        ("/v1/requests", "post"),
        ("/v1/requests", "get"),
        ("/v1/requests/{id}", "get"),
        ("/v1/requests/{id}/events", "get"),
        ("/v1/requests/{id}/clocks", "get"),
        ("/v1/requests/{id}/grounds", "post"),
        ("/v1/requests/{id}/amendments", "post"),
        ("/v1/requests/{id}/documents", "get"),
        ("/v1/requests/{id}/clarifications", "get"),
        ("/v1/requests/{id}/conflicting-obligations", "post"),
        ("/v1/requests/{id}/conflicting-obligations/decision", "post"),
        ("/v1/requests/{id}/preservation/extension", "post"),
        ("/v1/requests/{id}/transitions", "post"),
        ("/v1/requests/{id}/screenings", "get"),
        ("/v1/screen", "post"),
        ("/v1/packs", "get"),
        ("/v1/packs/{id}/versions/{version}", "get"),
        ("/v1/packs/{id}/diff", "get"),
        ("/v1/admin/authorities", "post"),
        ("/v1/admin/authorities", "get"),
        ("/v1/admin/providers", "post"),
        ("/v1/admin/providers", "get"),
        ("/v1/admin/reviewers", "post"),
        ("/v1/admin/reviewers", "get"),
        ("/v1/schemas/request", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
        ("/openapi.json", "get"),
        ("/v1/requests/{id}/log", "get"),
        ("/v1/log", "get"),
        ("/v1/log/proof/inclusion", "get"),
        ("/v1/log/proof/consistency", "get"),
        ("/log/checkpoint", "get"),
        ("/log/tile/{path}", "get"),
        ("/v1/requests/{id}/signature", "get"),
        ("/v1/requests/{id}/reviewers", "post"),
        ("/v1/requests/{id}/reviewers", "get"),
        ("/v1/requests/{id}/reviewers/objections", "post"),
        ("/v1/requests/{id}/verification", "post"),
        ("/v1/requests/{id}/verification/links", "post"),
        ("/v1/verify/view", "post"),
        ("/v1/verify", "post"),
        ("/v1/authorities/{id}/record", "get"),
        ("/v1/session", "post"),
        ("/v1/session", "get"),
        ("/v1/session", "delete"),
        ("/v1/session/password", "post"),
        ("/v1/admin/auditors", "post"),
        ("/v1/admin/auditors", "get"),
        ("/v1/admin/operators", "post"),
        ("/v1/admin/operators", "get"),
        ("/v1/admin/representatives", "post"),
        ("/v1/admin/representatives", "get"),
        ("/v1/admin/parties/{id}", "get"),
        ("/v1/admin/parties/{id}", "patch"),
        ("/v1/admin/parties/{id}/history", "get"),
        ("/v1/admin/parties/{id}/deactivate", "post"),
        ("/v1/admin/parties/{id}/reactivate", "post"),
        ("/v1/admin/parties/{id}/suspensions", "post"),
        ("/v1/admin/parties/{id}/suspensions", "get"),
        ("/v1/admin/parties/{id}/suspensions/{number}/lift", "post"),
        ("/v1/admin/suspensions", "get"),
        ("/v1/requests/{id}/representatives", "post"),
        ("/v1/requests/{id}/representatives", "get"),
        ("/v1/requests/{id}/decision", "get"),
        ("/v1/admin/authorities/{id}/keys", "post"),
        ("/v1/admin/authorities/{id}/keys", "get"),
        ("/v1/admin/authorities/{id}/keys/{kid}/revoke", "post"),
        ("/v1/admin/authorities/{id}/contacts", "post"),
        ("/v1/admin/authorities/{id}/contacts", "get"),
        ("/v1/admin/authorities/{id}/contacts/{contact}", "patch"),
        ("/v1/admin/authorities/{id}/contacts/{contact}/remove", "post"),
        ("/v1/admin/users", "post"),
        ("/v1/admin/users", "get"),
        ("/v1/admin/tokens", "post"),
        ("/v1/admin/tokens", "get"),
        ("/v1/admin/tokens/{id}/revoke", "post"),
        ("/v1/admin/users/{username}/disable", "post"),
        ("/v1/admin/authorities/{id}/recipients", "post"),
        ("/v1/admin/authorities/{id}/recipients", "get"),
        ("/v1/admin/providers/{id}/keys", "get"),
        ("/v1/admin/parties/{id}/endpoints", "post"),
        ("/v1/admin/parties/{id}/endpoints", "get"),
        ("/v1/admin/parties/{id}/endpoints/remove", "post"),
        ("/v1/admin/notices", "get"),
        ("/v1/admin/notices/{id}/retry", "post"),
        ("/v1/webhooks/key", "get"),
        ("/v1/requests/{id}/productions", "post"),
        ("/v1/requests/{id}/productions", "get"),
        ("/v1/requests/{id}/productions/{production}", "get"),
        ("/v1/requests/{id}/productions/{production}/package", "get"),
        ("/v1/requests/{id}/productions/{production}/acknowledgement", "post"),
        ("/v1/requests/{id}/further-use", "post"),
        ("/v1/requests/{id}/further-use", "get"),
        ("/v1/requests/{id}/further-use/{ask}/decision", "post"),
        ("/v1/requests/{id}/further-use/{ask}/uses", "post"),
        ("/v1/requests/{id}/further-use/{ask}/answer", "get"),
        ("/v1/further-use/counts", "get"),
        ("/v1/requests/{id}/productions/{production}/disposal", "post"),
        ("/v1/requests/{id}/notices", "get"),
        ("/v1/requests/{id}/notices/{target}/recipient", "post"),
        ("/v1/requests/{id}/notices/{target}/decision", "post"),
        ("/v1/requests/{id}/notices/{target}/delivery", "post"),
        ("/v1/requests/{id}/notices/{target}/text", "get"),
        ("/v1/requests/{id}/remedies", "post"),
        ("/v1/requests/{id}/remedies", "get"),
        ("/v1/requests/{id}/remedies/{case}", "get"),
        ("/v1/requests/{id}/remedies/{case}/persons", "post"),
        ("/v1/requests/{id}/remedies/{case}/persons/{person}/notice", "get"),
        ("/v1/remedies/counts", "get"),
        ("/v1/transparency", "get"),
        ("/v1/transparency.csv", "get"),
        ("/v1/schemas/transparency-report", "get"),
        ("/v1/transparency/authorities/{id}", "get"),
        ("/v1/transparency/releases", "get"),
        ("/v1/transparency/releases/{number}", "get"),
        ("/v1/transparency/releases/{number}/cells.csv", "get"),
        ("/v1/statistics/e-evidence", "get"),
        ("/v1/evaluations", "get"),
        ("/v1/admin/evaluations", "post"),
    ];
    let paths = doc["paths"].as_object().unwrap();
    let described: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(described, expected.len(), "every operation and no other is described");
    for (path, method) in expected {
        assert!(doc["paths"][path][method].is_object(), "{method} {path} is not described");
        // And it answers: no described endpoint is missing from the router.
        let r = app
            .client
            .request(
                method.to_uppercase().parse().unwrap(),
                app.url(
                    &path
                        .replace("{id}", "0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f")
                        .replace("{kid}", "k1")
                        .replace("{token}", "t"),
                ),
            )
            .send()
            .await
            .unwrap();
        assert_ne!(r.status().as_u16(), 405, "{method} {path}");
        // A request, a tile or a checkpoint that does not exist yet is a 404 of its own.
        if !path.contains('{') && path != "/log/checkpoint" {
            assert_ne!(r.status().as_u16(), 404, "{method} {path}");
        }
    }
}

/// Each operation of `/openapi.json`, as (method, path template, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.to_uppercase(), path.clone(), operation.clone()));
        }
    }
    all
}

/// The description is what clients and fuzzers are built from, so it must say what the
/// server does. An outside test's fuzzer never sent a query parameter because every one
/// was declared `in: path` (issue 12, finding 4): every parameter is now declared where
/// it goes, every operation lists the statuses every layer can answer, and the operations
/// that need no credential are marked so, each checked against the running server.
async fn the_description_says_which_operations_need_a_credential(app: TestApp) {
    let (_, doc) = app.anonymous().get("/openapi.json").await;
    let operations = operations(&doc);
    assert!(operations.len() > 50, "{}", operations.len());
    let mut public = Vec::new();
    for (method, path, operation) in &operations {
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let name = parameter["name"].as_str().unwrap();
            let in_path = path.contains(&format!("{{{name}}}"));
            let declared = parameter["in"].as_str().unwrap();
            if declared != "header" {
                assert_eq!(
                    declared,
                    if in_path { "path" } else { "query" },
                    "{method} {path}: parameter {name}"
                );
            }
        }
        let responses = operation["responses"].as_object().unwrap();
        for status in ["401", "429", "503"] {
            assert!(responses.contains_key(status), "{method} {path} does not document {status}");
        }
        if operation.get("requestBody").is_some() {
            for status in ["400", "408", "413", "415"] {
                assert!(responses.contains_key(status), "{method} {path} does not document {status}");
            }
        }
        // Anonymous, with ids that name nothing and an empty body: an operation that needs
        // a credential says so before anything else; a public one answers on its merits.
        let concrete = path
            .replace("{id}", "0192f3c4-5b6a-7c8d-9e0f-1a2b3c4d5e6f")
            .replace("{production}", "prod-aaaaaaaaaaaaaaaa")
            .replace("{kid}", "no-such-key")
            .replace("{username}", "nobody")
            .replace("{path}", "0/000");
        let body = operation.get("requestBody").map(|_| json!({}));
        let answer = app.anonymous().send(method, &concrete, body.as_ref()).await;
        let refused = answer.status == 401 && answer.body["error"]["code"] == "unauthenticated";
        let marked_public = operation["security"] == json!([{}]);
        assert_eq!(
            !refused,
            marked_public,
            "{method} {path}: answered {} {} to an anonymous caller, but the description says it {} a credential",
            answer.status,
            answer.body,
            if marked_public { "needs no" } else { "needs" },
        );
        if marked_public {
            public.push(format!("{method} {path}"));
        }
    }
    // The list is the server's, not this test's: it has the health checks and the log.
    assert!(
        public.contains(&"GET /healthz".to_owned()) && public.contains(&"GET /log/checkpoint".to_owned()),
        "{public:?}"
    );
}

/// Every answer, refusals and unknown paths included, tells a browser to render nothing,
/// load nothing, frame nothing, send no referrer, and keep no copy of what may be
/// personal data; the public log's tiles keep their own caching (issue 12, finding 6).
async fn every_answer_tells_a_browser_to_treat_it_as_data_and_keep_no_copy(app: TestApp) {
    let id = app.submit(&example("eu-epoc-traffic.json")).await;
    let provider = app.token("example-mail");
    let answers = [
        ("a request's document", provider.send("GET", &format!("/v1/requests/{id}"), None).await, 200),
        ("a health check", app.anonymous().send("GET", "/healthz", None).await, 200),
        ("an unknown path", app.anonymous().send("GET", "/v1/nothing-here", None).await, 404),
        ("a refused credential", app.anonymous().send("GET", "/v1/requests", None).await, 401),
        ("a malformed body", provider.send("POST", "/v1/screen", Some(&json!([]))).await, 422),
    ];
    for (what, answer, status) in &answers {
        assert_eq!(answer.status, *status, "{what}: {}", answer.body);
        let h = |name: &str| answer.headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        let csp = h("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{what}: {csp}"
        );
        assert_eq!(h("x-content-type-options").as_deref(), Some("nosniff"), "{what}");
        assert_eq!(h("x-frame-options").as_deref(), Some("DENY"), "{what}");
        assert_eq!(h("referrer-policy").as_deref(), Some("no-referrer"), "{what}");
        assert_eq!(h("cache-control").as_deref(), Some("no-store"), "{what}");
        // Plain HTTP, no proxy: HSTS would be ignored, and X-Forwarded-Proto is not believed.
        assert_eq!(h("strict-transport-security"), None, "{what}");
    }
    let r = app.client.get(app.url("/healthz")).header("x-forwarded-proto", "https").send().await.unwrap();
    assert!(r.headers().get("strict-transport-security").is_none(), "a client is not a proxy");
    app.checkpoint_now().await;
    let r = app.client.get(app.url("/log/checkpoint")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache", "the checkpoint keeps its own caching");
}
