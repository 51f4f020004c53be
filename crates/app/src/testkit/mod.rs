//! The port contract suite: one set of behavioural cases that every store adapter must
//! pass. Memory, SQLite and PostgreSQL run the very same cases; a team that writes its own
//! adapter runs them too, and so knows it can swap it in.
//!
//! In the adapter's tests (with `tokio` as a dev-dependency):
//!
//! ```ignore
//! use std::sync::Arc;
//! use supportdesk_app::testkit::ContractStore;
//!
//! async fn fresh_store() -> Option<ContractStore<MyStore>> {
//!     Some(ContractStore::new(Arc::new(MyStore::new())))
//! }
//!
//! supportdesk_app::store_contract_tests!(fresh_store);
//! ```
//!
//! Each case becomes its own `#[tokio::test]` with the case's name. A factory that returns
//! `None` (its backend is not available) makes every case print a loud `SKIPPED` line.

pub mod cases;
mod world;

use std::any::Any;
use std::sync::Arc;

pub use world::World;

/// The store under test, and whatever must live as long as it (a temporary file, a
/// database that is dropped at the end).
pub struct ContractStore<S> {
    /// The adapter.
    pub store: Arc<S>,
    _guard: Option<Box<dyn Any + Send + Sync>>,
}

impl<S> ContractStore<S> {
    /// A store that needs nothing else.
    pub fn new(store: Arc<S>) -> Self {
        Self { store, _guard: None }
    }

    /// A store that needs `guard` to stay alive until the case ends.
    pub fn with_guard(store: Arc<S>, guard: impl Any + Send + Sync) -> Self {
        Self { store, _guard: Some(Box::new(guard)) }
    }
}

/// Prints the loud line a skipped backend leaves in the test output.
pub fn report_skipped(case: &str, why: &str) {
    eprintln!("SKIPPED {case}: {why}");
}

/// Generates one `#[tokio::test]` per contract case, each calling `$factory().await` for a
/// fresh store. See the [module documentation](crate::testkit).
#[macro_export]
macro_rules! store_contract_tests {
    ($factory:path) => {
        $crate::store_contract_tests!(@cases $factory;
            creates_a_ticket_and_reads_it_back_by_id_and_by_number,
            numbers_start_at_one_and_increase_per_tenant,
            the_first_message_is_the_description_and_the_trail_starts_with_created,
            values_read_back_exactly_as_written,
            lists_filter_by_status,
            queue_totals_stay_exact_under_concurrent_status_moves,
            lists_filter_by_category,
            lists_filter_by_priority_and_source,
            lists_filter_by_order_id,
            lists_filter_by_delivery_and_export_by_updated_since,
            lists_filter_by_customer,
            lists_filter_by_assignee_and_unassigned,
            lists_filter_by_tag,
            search_finds_words_by_prefix_in_every_field_for_staff,
            search_matches_phrases_exactly_and_excludes_words,
            search_folds_case_and_accents,
            customers_search_only_their_own_subjects_and_public_messages,
            search_never_crosses_tenants,
            search_finds_what_a_write_added_at_once,
            search_orders_by_relevance_unless_sorted,
            search_by_relevance_pages_counts_and_narrows,
            lists_filter_by_ticket_number_text,
            paging_returns_the_requested_slice_and_the_total,
            a_cursor_walk_neither_repeats_nor_skips_while_tickets_are_inserted,
            cursors_are_refused_on_another_list_and_when_forged,
            pages_reach_ten_thousand_items_and_a_search_pages_by_offset_cursor,
            a_page_past_the_end_is_empty_but_keeps_the_total,
            lists_sort_by_every_sort_key,
            one_unfinished_ticket_per_order,
            one_unfinished_ticket_per_delivery,
            another_customers_ticket_for_the_same_order_neither_blocks_nor_leaks,
            a_resolved_ticket_frees_its_order_for_a_new_ticket,
            reopening_is_refused_when_the_order_has_a_newer_unfinished_ticket,
            reopening_is_not_blocked_by_another_customers_ticket_for_the_order,
            twenty_concurrent_creates_for_one_order_give_one_ticket_per_customer,
            internal_notes_and_tags_leave_the_customers_version_times_and_order_alone,
            a_customers_if_match_is_compared_with_the_public_version,
            a_stale_version_is_refused_and_changes_nothing,
            concurrent_updates_from_one_version_let_exactly_one_win,
            concurrent_replies_without_a_version_all_land,
            an_idempotent_create_replays_the_first_ticket,
            an_idempotency_key_with_another_body_is_refused,
            ten_concurrent_retries_with_one_key_create_one_ticket,
            an_idempotent_reply_replays_the_first_message,
            idempotency_keys_belong_to_one_principal,
            tickets_of_another_tenant_are_invisible,
            categories_accounts_and_settings_of_another_tenant_are_invisible,
            customers_see_neither_internal_notes_nor_other_customers_tickets,
            the_audit_trail_records_every_change_in_order,
            the_feed_returns_every_event_of_the_tenant_once_in_order_with_its_ticket,
            the_feed_keeps_only_the_asked_kinds_and_resumes_after_a_cursor,
            the_feed_of_a_tenant_never_shows_another_tenants_events,
            a_new_endpoint_gets_one_delivery_per_later_event_of_its_tenant_and_types,
            a_leased_delivery_is_handed_out_once_until_its_lease_runs_out,
            fanned_out_deliveries_are_leased_to_their_creator,
            an_attempt_is_recorded_and_failing_since_lasts_until_a_success,
            a_disabled_endpoints_deliveries_wait_until_it_is_enabled,
            disabling_an_endpoint_writes_one_webhook_disabled_event,
            endpoints_update_list_and_delete_with_their_deliveries,
            mail_settings_and_templates_read_back_per_tenant,
            mail_is_queued_once_per_later_event_and_leased_once,
            a_new_tenant_gets_the_six_default_categories_once,
            category_slugs_are_unique_per_tenant,
            login_emails_are_unique_per_tenant,
            agents_round_trip_and_update_with_their_login,
            customer_profiles_upsert_and_provision,
            the_customer_directory_finds_by_name_and_email_prefix,
            a_directory_walk_by_cursor_neither_repeats_nor_skips,
            tenant_settings_round_trip,
            tenants_are_created_once_with_their_name_and_registration_switch,
            signing_keys_belong_to_their_tenant,
            api_keys_are_found_by_hash_and_act_with_their_permissions,
            logged_out_tokens_are_revoked_until_they_expire,
            security_changes_end_an_agents_sessions,
            the_last_active_admin_stays_also_under_racing_demotions,
            business_hours_and_sla_policies_round_trip_per_tenant,
            a_tickets_sla_is_set_at_open_and_moves_with_every_change,
            the_queue_sorts_by_due_time_and_filters_by_due_and_breach,
            breach_detection_reports_each_overdue_clock_once_with_an_event,
            a_due_job_is_leased_to_one_claimer_until_its_lease_runs_out,
            resolved_tickets_are_closed_by_the_system_once_due,
            a_ticket_reopened_by_the_customer_is_not_auto_closed,
            the_job_runner_runs_due_jobs_and_takes_over_expired_leases,
            a_satisfaction_rating_is_stored_once_per_resolution,
            macros_are_created_listed_changed_and_deleted_per_tenant,
            a_macro_is_applied_in_one_change_and_replays_with_its_key,
            the_report_summary_counts_business_minutes_across_a_weekend,
        );
    };
    (@cases $factory:path; $($case:ident),+ $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                match $factory().await {
                    Some(store) => $crate::testkit::cases::$case(store).await,
                    None => $crate::testkit::report_skipped(stringify!($case), "backend not available"),
                }
            }
        )+
    };
}
