//! The limits several servers share (issue 17, migration 0030), written once for both
//! backends: client networks' failure buckets and the servers' heartbeats.
//!
//! Times are kept as microseconds since the Unix epoch (`BIGINT`), not as each backend's
//! time type, so that one upsert can drain and add in integer arithmetic that both
//! databases read alike: `CASE WHEN drained_at_us > now THEN drained_at_us ELSE now END +
//! step`. No statement reads the database's clock: every time is the caller's value.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use comity_core::{FailureBucket, StoreError};

use crate::db::{Conn, Row, args};
use crate::rows::{At, backend};

/// A time as the tables of this module keep it.
pub(crate) fn micros_since_epoch(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn read_bucket<R: Row>(row: &R) -> Result<FailureBucket, StoreError> {
    let network = row.text(&At { table: "failure_buckets", id: "?" }, "network")?;
    let at = At { table: "failure_buckets", id: &network };
    let drained = row.int(&at, "drained_at_us")?;
    Ok(FailureBucket {
        network: network.parse::<IpAddr>().map_err(|e| at.corrupt("network", e))?,
        drained_at: DateTime::from_timestamp_micros(drained)
            .ok_or_else(|| at.corrupt("drained_at_us", "out of range"))?,
    })
}

/// See `Store::add_failures`.
pub(crate) async fn add_failures<C: Conn>(
    conn: &mut C,
    failures: &[(IpAddr, u32)],
    step_us: i64,
    now_us: i64,
) -> Result<Vec<FailureBucket>, StoreError> {
    let mut after = Vec::with_capacity(failures.len());
    for (network, count) in failures {
        let added = step_us.saturating_mul(i64::from(*count));
        // The WHERE-less upsert drains and adds in one statement under the row's lock, so
        // two servers adding at once both count.
        let row = conn
            .fetch_one(
                "INSERT INTO failure_buckets (network, drained_at_us) VALUES ($1, $2 + $3) \
                 ON CONFLICT (network) DO UPDATE SET drained_at_us = \
                 CASE WHEN failure_buckets.drained_at_us > $2 THEN failure_buckets.drained_at_us ELSE $2 END + $3 \
                 RETURNING network, drained_at_us",
                args![network.to_string(), now_us, added],
            )
            .await
            .map_err(backend)?;
        after.push(read_bucket(&row)?);
    }
    Ok(after)
}

/// See `Store::failure_buckets`.
pub(crate) async fn failure_buckets<C: Conn>(
    conn: &mut C,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<FailureBucket>, StoreError> {
    conn.fetch_all(
        "SELECT network, drained_at_us FROM failure_buckets WHERE drained_at_us > $1 \
         ORDER BY drained_at_us DESC LIMIT $2",
        args![micros_since_epoch(now), i64::from(limit)],
        read_bucket,
    )
    .await
}

/// See `Store::prune_failures`.
pub(crate) async fn prune_failures<C: Conn>(conn: &mut C, now_us: i64) -> Result<u64, StoreError> {
    conn.execute("DELETE FROM failure_buckets WHERE drained_at_us <= $1", args![now_us])
        .await
        .map_err(backend)
}

/// See `Store::heartbeat`.
pub(crate) async fn heartbeat<C: Conn>(
    conn: &mut C,
    server: &str,
    now_us: i64,
    live_since_us: i64,
) -> Result<u32, StoreError> {
    conn.execute(
        "INSERT INTO server_heartbeats (server, seen_at_us) VALUES ($1, $2) \
         ON CONFLICT (server) DO UPDATE SET seen_at_us = excluded.seen_at_us",
        args![server, now_us],
    )
    .await
    .map_err(backend)?;
    conn.execute("DELETE FROM server_heartbeats WHERE seen_at_us < $1", args![live_since_us])
        .await
        .map_err(backend)?;
    let row = conn
        .fetch_one(
            "SELECT COUNT(*) AS live FROM server_heartbeats WHERE seen_at_us >= $1",
            args![live_since_us],
        )
        .await
        .map_err(backend)?;
    let live = row.int(&At { table: "server_heartbeats", id: "count" }, "live")?;
    Ok(u32::try_from(live).unwrap_or(u32::MAX))
}

/// See `Store::leave`.
pub(crate) async fn leave<C: Conn>(conn: &mut C, server: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM server_heartbeats WHERE server = $1", args![server]).await.map_err(backend)?;
    Ok(())
}
