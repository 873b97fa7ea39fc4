//! The store suite: every test in `suite` runs once on SQLite (a fresh temporary
//! directory) and once on PostgreSQL (a fresh database on the server named by
//! `COMITY_TEST_DATABASE_URL`, such as `postgres://postgres@127.0.0.1:5432/postgres`;
//! without it the PostgreSQL half says SKIPPED on stderr and passes).

#![allow(clippy::unwrap_used)]

mod harness;
mod inbox_suite;
mod log_suite;
mod schema;
mod suite;
mod tls;
mod trust_suite;

/// One `#[tokio::test]` per backend for each named test of a suite module, in a module
/// of its own: `store_tests!(mod name for suite { test, ... })`.
macro_rules! store_tests {
    (mod $module:ident for $suite:ident { $($name:ident),* $(,)? }) => {
        mod $module {
            mod sqlite {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let mut h = crate::harness::Harness::sqlite().await;
                        crate::$suite::$name(&mut h).await;
                        h.finish().await;
                    }
                )*
            }

            mod postgres {
                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let Some(mut h) = crate::harness::Harness::postgres().await else {
                            return;
                        };
                        crate::$suite::$name(&mut h).await;
                        h.finish().await;
                    }
                )*
            }
        }
    };
}

store_tests!(mod store for suite {
    ping_answers,
    parties_round_trip_in_each_register,
    party_ids_are_unique_across_registers,
    insert_then_get_returns_the_request_and_its_receipt,
    a_request_id_is_stored_once,
    an_idempotency_key_is_used_once_per_authority,
    a_taken_key_jti_or_id_refuses_the_whole_intake,
    recent_targets_are_scoped_windowed_and_bounded,
    list_filters_and_paginates_newest_first,
    requests_received_at_the_same_time_list_by_id_descending,
    a_move_changes_state_bumps_version_and_appends_an_event,
    a_stale_move_is_a_conflict_and_changes_nothing,
    moving_an_unknown_request_is_not_found,
    concurrent_inserts_all_commit,
    a_failing_write_does_not_fail_the_writes_beside_it,
    data_survives_reopening,
    events_cannot_be_changed_or_deleted,
    a_corrupted_row_is_reported_not_panicked_on,
    count_by_state_groups_requests,
    two_instances_racing_on_one_move_never_both_win,
    every_write_is_logged_in_order_and_the_tree_is_its_entries,
    two_processes_append_to_one_tree,
    every_kind_of_edit_is_caught,
    an_intake_screening_and_a_later_one_are_numbered_1_then_2,
    a_database_from_before_request_salts_gives_each_request_its_own,
    the_representatives_register_migrates_a_database_with_notices,
    one_holder_has_a_lease_until_it_runs_out,
    failure_buckets_add_up_across_servers_and_drain,
    heartbeats_count_the_live_servers,
    a_package_is_kept_in_chunks_sealed_whole_and_shredded_with_its_key,
});

store_tests!(mod trust for trust_suite {
    parties_carry_institutions_and_two_more_registers,
    a_party_changes_with_its_fact_and_from_what_it_was,
    journal_entries_are_numbered_logged_and_found,
    what_is_registered_once_is_refused_twice_and_nothing_is_appended,
    the_journal_is_append_only,
    accounts_round_trip_and_a_totp_step_is_used_once,
    login_attempts_count_per_name_and_client_and_lock_before_the_check,
    a_password_change_ends_the_other_sessions_and_is_journaled,
    the_last_admin_credential_is_kept_when_asked,
    sessions_tokens_and_links,
    a_signed_submission_is_kept_and_its_jti_used_once,
    an_authority_track_record_counts_its_requests,
    a_production_key_is_kept_with_its_fact_and_once,
    registers_are_kept_until_a_process_changes_them,
});

mod open {
    use comity_core::{PartyRole, Store, StoreError};

    #[tokio::test]
    async fn without_a_url_it_opens_sqlite_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("not-yet");
        let store = comity_store::open(None, &data_dir).await.unwrap();
        store.ping().await.unwrap();
        assert!(store.parties(PartyRole::Authority).await.unwrap().is_empty());
        assert!(data_dir.join(comity_store::DATABASE_FILE).is_file());
        // An empty URL (an empty environment variable) counts as none.
        comity_store::open(Some(""), &data_dir).await.unwrap().ping().await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_processes_may_open_a_new_data_directory_at_once() {
        // `comity serve` and `comity authority add` started together on a fresh directory
        // both find the schema missing and both try to create it.
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let (a, b) = tokio::join!(
                comity_store::SqliteStore::open(dir.path()),
                comity_store::SqliteStore::open(dir.path())
            );
            let (a, b) = (a.unwrap(), b.unwrap());
            a.ping().await.unwrap();
            b.ping().await.unwrap();
            a.close().await;
            b.close().await;
        }
    }

    /// Issue 11: SQLite gained `log_head` (migration 0007); a database from before it starts
    /// from the entries it holds, and its log goes on from there.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sqlite_database_from_before_log_head_migrates_forward() {
        use crate::suite::{authority, new_request, t0};
        let mut h = crate::harness::Harness::sqlite().await;
        h.store().add_party(&authority("fr-tj-paris")).await.unwrap();
        h.store().insert_request(&new_request("fr-tj-paris", "example-mail", t0())).await.unwrap();
        let size = h.store().log_size().await.unwrap();
        assert_eq!(size, 2);
        h.raw("DROP TABLE log_head; DELETE FROM _sqlx_migrations WHERE version IN (7, 8)").await.unwrap();

        h.reopen().await;
        assert_eq!(h.store().log_size().await.unwrap(), size);
        let later = new_request("fr-tj-paris", "example-mail", t0() + chrono::Duration::seconds(1));
        assert_eq!(h.store().insert_request(&later).await.unwrap().log, vec![size]);
        assert_eq!(h.store().log_size().await.unwrap(), size + 1);
        let key = comity_log::LogKey::generate("comity.test/log");
        let verified =
            comity_store::verify::verify_store(h.store(), key.verifier_key(), |_, _| {}).await.unwrap();
        assert_eq!(verified.entries, size + 1);
        h.finish().await;
    }

    #[tokio::test]
    async fn a_sqlite_url_points_to_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let err = comity_store::open(Some("sqlite:///tmp/x.db"), dir.path()).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)));
        assert!(err.to_string().contains("--data-dir"), "{err}");
    }

    #[tokio::test]
    async fn other_urls_are_refused_without_repeating_them() {
        let dir = tempfile::tempdir().unwrap();
        let err = comity_store::open(Some("mysql://root:s3cret@db/x"), dir.path()).await.unwrap_err();
        let message = err.to_string();
        assert!(message.contains("postgres://"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }

    #[tokio::test]
    async fn a_postgres_url_opens_postgresql() {
        // A database of its own: the migrations must not land in the server's default one.
        let Some(db) = comity_store::testing::TestDatabase::create().await else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let store = comity_store::open(Some(db.url()), dir.path()).await.unwrap();
        store.ping().await.unwrap();
        assert!(format!("{store:?}").starts_with("PgStore"));
        assert!(!dir.path().join(comity_store::DATABASE_FILE).exists());
        drop(store);
    }
}

store_tests!(mod inbox for inbox_suite {
    the_inbox_is_ordered_across_pages_and_scoped,
});
