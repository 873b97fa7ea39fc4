//! The portal's inbox (issue 14): keyset pages (`?after=CURSOR`) in the order of each
//! request's soonest running deadline, every request once, in the person's scope. The
//! order itself, across pages and scopes, is the store suite's (`inbox_suite`).

use chrono::{DateTime, Utc};
use comity_core::RequestId;
use serde_json::json;

use crate::support::{TestApp, example};

/// The session cookie (`name=value`) of a new person of `org`, signed in through the API.
async fn session_cookie(app: &TestApp, org: &str, username: &str) -> String {
    let (password, secret) = app.create_user(org, username).await;
    let code = comity_auth::totp::code_at(&secret, crate::support::now_unix());
    let r = reqwest::Client::new()
        .post(app.url("/v1/session"))
        .json(&json!({ "username": username, "password": password, "totp": code }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.status());
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn get(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let r = reqwest::Client::new().get(app.url(path)).header("cookie", cookie).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The requests a page lists, in its order.
fn listed(page: &str) -> Vec<RequestId> {
    page.split("href=\"/requests/")
        .skip(1)
        .filter_map(|s| RequestId::parse(s.split('"').next()?).ok())
        .collect()
}

/// The cursor of a page's "next" link.
fn next(page: &str) -> Option<String> {
    let link = page.split("href=\"/?after=").nth(1)?;
    Some(link.split('"').next()?.to_owned())
}

async fn the_inbox_pages_by_deadline_each_request_once(app: TestApp) {
    let mut ids = Vec::new();
    for _ in 0..51 {
        ids.push(RequestId::parse(&app.submit(&example("eu-epoc-traffic.json")).await).unwrap());
    }
    let cookie = session_cookie(&app, "example-mail", "legal.team").await;
    let (status, first) = get(&app, &cookie, "/").await;
    assert_eq!(status, 200);
    assert!(first.contains("51 requests"), "the total is kept");
    let after = next(&first).expect("a next link on the first page");
    assert!(!first.contains("rel=\"first\""));
    let (status, second) = get(&app, &cookie, &format!("/?after={after}")).await;
    assert_eq!(status, 200);
    assert!(next(&second).is_none(), "two pages of 50");
    assert!(second.contains("href=\"/\" rel=\"first\""));
    let mut seen = listed(&first);
    assert_eq!(seen.len(), 50);
    seen.extend(listed(&second));
    // Each request once, soonest running deadline first across both pages.
    let mut once = seen.clone();
    once.sort();
    once.dedup();
    ids.sort();
    assert_eq!(once, ids);
    let mut dues: Vec<(bool, Option<DateTime<Utc>>)> = Vec::new();
    for id in &seen {
        let clocks = app.store.clocks(*id).await.unwrap();
        let due = clocks.iter().filter(|c| c.closed.is_none()).map(|c| c.due).min();
        dues.push((due.is_none(), due));
    }
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");

    // A link the inbox did not make is refused, with the way home.
    let (status, page) = get(&app, &cookie, "/?after=not-a-cursor").await;
    assert_eq!(status, 400);
    assert!(page.contains("href=\"/\""), "{page}");
    // Another provider's legal team sees none of them, on any page.
    let other = session_cookie(&app, "example-cloud", "cloud.legal").await;
    let (_, theirs) = get(&app, &other, "/").await;
    assert!(listed(&theirs).is_empty());
    let (_, theirs) = get(&app, &other, &format!("/?after={after}")).await;
    assert!(listed(&theirs).is_empty());
}

crate::both_backends!(the_inbox_pages_by_deadline_each_request_once);
