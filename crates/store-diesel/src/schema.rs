//! The tables as Diesel sees them, written by hand to match `migrations/{sqlite,postgres}`.
//!
//! Only the SQL types that Diesel's `MultiConnection` carries to both backends appear here
//! (`Text`, `BigInt`, `Integer`, `SmallInt`, `Bool`, `Timestamp`), so one query compiles for
//! SQLite and PostgreSQL alike. Ids are UUID strings, enums their wire names, priority its
//! rank.

diesel::table! {
    /// One row per tenant: its ticket counter and its policy.
    tenants (key) {
        key -> Text,
        last_number -> BigInt,
        allow_customer_close -> Bool,
        reopen_closed_on_customer_reply -> Bool,
        created_at -> Timestamp,
        name -> Text,
        allow_registration -> Bool,
        auto_close_resolved_after_days -> Integer,
    }
}

diesel::table! {
    /// A tenant's macros.
    macros (tenant, id) {
        tenant -> Text,
        id -> Text,
        name -> Text,
        body -> Text,
        internal -> Bool,
        status -> Nullable<Text>,
        priority -> Nullable<SmallInt>,
        add_tags -> Text,
        assign_to_self -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One row per job of the job runner: its schedule and lease.
    jobs (name) {
        name -> Text,
        next_run_at -> Timestamp,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    /// Ticket categories and subcategories.
    categories (tenant, id) {
        tenant -> Text,
        id -> Text,
        slug -> Text,
        name -> Text,
        parent_id -> Nullable<Text>,
        active -> Bool,
        position -> Integer,
    }
}

diesel::table! {
    /// Customer profiles.
    customers (tenant, id) {
        tenant -> Text,
        id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        image_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_key -> Text,
        email_key -> Text,
    }
}

diesel::table! {
    /// Agents and admins.
    agents (tenant, id) {
        tenant -> Text,
        id -> Text,
        email -> Text,
        name -> Text,
        role -> Text,
        permissions -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_generation -> BigInt,
        sessions_revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Credentials, unique per tenant and email.
    logins (tenant, email) {
        tenant -> Text,
        email -> Text,
        principal_id -> Text,
        role -> Text,
        password_hash -> Text,
    }
}

diesel::table! {
    /// Tickets.
    tickets (tenant, id) {
        tenant -> Text,
        id -> Text,
        number -> BigInt,
        customer_id -> Text,
        category_id -> Text,
        subject -> Text,
        subject_search -> Text,
        status -> Text,
        priority -> SmallInt,
        source -> Text,
        order_id -> Nullable<Text>,
        delivery_id -> Nullable<Text>,
        assignee_id -> Nullable<Text>,
        tags -> Text,
        resolution_note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_activity_at -> Timestamp,
        last_customer_message_at -> Nullable<Timestamp>,
        last_agent_message_at -> Nullable<Timestamp>,
        first_responded_at -> Nullable<Timestamp>,
        resolved_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        public_version -> BigInt,
        public_updated_at -> Timestamp,
        public_last_activity_at -> Timestamp,
        public_last_agent_message_at -> Nullable<Timestamp>,
        sla -> Nullable<Text>,
        sla_due_at -> Timestamp,
        sla_alert_at -> Nullable<Timestamp>,
        sla_breached -> Bool,
        satisfaction_rating -> Nullable<Text>,
        satisfaction_comment -> Nullable<Text>,
        satisfaction_rated_at -> Nullable<Timestamp>,
        first_response_minutes -> Nullable<BigInt>,
        resolution_minutes -> Nullable<BigInt>,
        resolution_at -> Nullable<Timestamp>,
        reopened_at -> Nullable<Timestamp>,
        reopen_count -> Integer,
        sla_met -> Nullable<Bool>,
    }
}

diesel::table! {
    /// One row per tag of a ticket, for the tag filter.
    ticket_tags (tenant, ticket_id, tag) {
        tenant -> Text,
        ticket_id -> Text,
        tag -> Text,
    }
}

diesel::table! {
    /// Messages and internal notes.
    messages (seq) {
        seq -> BigInt,
        tenant -> Text,
        id -> Text,
        ticket_id -> Text,
        author_type -> Text,
        author_id -> Text,
        author_name -> Text,
        author_image_url -> Nullable<Text>,
        body -> Text,
        internal -> Bool,
        attachments -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The audit trail and the outbox; `ticket_*` are NULL for a tenant event.
    events (seq) {
        seq -> BigInt,
        tenant -> Text,
        id -> Text,
        ticket_id -> Nullable<Text>,
        actor_type -> Text,
        actor_id -> Text,
        actor_name -> Text,
        actor_image_url -> Nullable<Text>,
        kind -> Text,
        data -> Text,
        created_at -> Timestamp,
        /// The writing transaction's id on PostgreSQL (0 on SQLite): the feed's first key.
        txid -> BigInt,
        /// The version of `data`'s serialised form (`stored.rs`).
        format -> SmallInt,
        ticket_number -> Nullable<BigInt>,
        ticket_subject -> Nullable<Text>,
        ticket_status -> Nullable<Text>,
        ticket_priority -> Nullable<SmallInt>,
        ticket_customer_id -> Nullable<Text>,
        ticket_assignee_id -> Nullable<Text>,
        ticket_version -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Idempotency records of writes.
    idempotency_keys (tenant, principal_id, key) {
        tenant -> Text,
        principal_id -> Text,
        key -> Text,
        fingerprint -> Text,
        ticket_id -> Text,
        message_id -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// How many breached tickets (`sla_breached`) of a tenant are in a status, in the same
    /// shards as `ticket_counts`; kept by triggers (migration `breached_counts`).
    breached_counts (tenant, status, shard) {
        tenant -> Text,
        status -> Text,
        shard -> SmallInt,
        tickets -> BigInt,
    }
}

diesel::table! {
    /// How many tickets of a tenant are in a status, spread over shards (the ticket number
    /// modulo 8; see the migration `ticket_counts`).
    ticket_counts (tenant, status, shard) {
        tenant -> Text,
        status -> Text,
        shard -> SmallInt,
        tickets -> BigInt,
    }
}

diesel::table! {
    /// HS256 keys shops sign their own tokens with, named by the token's `kid`.
    signing_keys (kid) {
        kid -> Text,
        tenant -> Text,
        secret -> Text,
        allow_staff -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Integration keys, by the SHA-256 of the key.
    api_keys (tenant, id) {
        tenant -> Text,
        id -> Text,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        permissions -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Tokens ended by logout, until they would have expired.
    revoked_tokens (token_hash) {
        token_hash -> Text,
        tenant -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Secrets of the service itself (e.g. the key of its own login tokens).
    service_secrets (name) {
        name -> Text,
        secret -> Text,
        created_at -> Timestamp,
    }
}

/// Fills an empty `ticket_counts` from the tickets themselves, as the migration that made it
/// did: what [`DieselStore::recount_tickets`](crate::DieselStore::recount_tickets) runs
/// after emptying it, and what a bulk load into `tickets` runs after it.
pub const COUNT_TICKETS: &str = "INSERT INTO ticket_counts (tenant, status, shard, tickets) \
    SELECT tenant, status, CAST(number % 8 AS SMALLINT), COUNT(*) FROM tickets \
    GROUP BY tenant, status, CAST(number % 8 AS SMALLINT)";

/// Fills an empty `breached_counts` from the tickets, as its migration did (the triggers
/// keep it afterwards, bulk loads included).
pub const COUNT_BREACHED: &str = "INSERT INTO breached_counts (tenant, status, shard, tickets) \
    SELECT tenant, status, CAST(number % 8 AS SMALLINT), COUNT(*) FROM tickets WHERE sla_breached \
    GROUP BY tenant, status, CAST(number % 8 AS SMALLINT)";

diesel::table! {
    /// Webhook endpoints, with the feed position their deliveries were created up to.
    webhook_endpoints (tenant, id) {
        tenant -> Text,
        id -> Text,
        url -> Text,
        events -> Text,
        active -> Bool,
        description -> Text,
        secret -> Text,
        cursor_txid -> BigInt,
        cursor_seq -> BigInt,
        failing_since -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One event to one endpoint, with its attempts and lease.
    webhook_deliveries (tenant, id) {
        tenant -> Text,
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        status -> Text,
        attempts -> Integer,
        response_status -> Nullable<Integer>,
        duration_ms -> Nullable<BigInt>,
        error -> Nullable<Text>,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Each tenant's notification settings.
    notification_settings (tenant) {
        tenant -> Text,
        enabled -> Text,
        tenant_address -> Nullable<Text>,
    }
}

diesel::table! {
    /// Each tenant's edited notification templates.
    notification_templates (tenant, kind) {
        tenant -> Text,
        kind -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
    }
}

diesel::table! {
    /// The feed position each tenant's mail was queued up to.
    mail_positions (tenant) {
        tenant -> Text,
        cursor_txid -> BigInt,
        cursor_seq -> BigInt,
    }
}

diesel::table! {
    /// One event's notification mails, with attempts and lease.
    mail_deliveries (tenant, id) {
        tenant -> Text,
        id -> Text,
        event_id -> Text,
        status -> Text,
        attempts -> Integer,
        error -> Nullable<Text>,
        next_attempt_at -> Nullable<Timestamp>,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Business calendars (week and holidays as text, see `supportdesk_app::sla_storage`).
    business_hours (tenant, id) {
        tenant -> Text,
        id -> Text,
        name -> Text,
        time_zone -> Text,
        week -> Text,
        holidays -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// SLA policies.
    sla_policies (tenant, id) {
        tenant -> Text,
        id -> Text,
        name -> Text,
        position -> Integer,
        match_priority -> Nullable<Text>,
        match_category_id -> Nullable<Text>,
        match_source -> Nullable<Text>,
        first_response_minutes -> Integer,
        next_response_minutes -> Nullable<Integer>,
        resolution_minutes -> Integer,
        business_hours_id -> Nullable<Text>,
        pause_while_answered -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One row per ticket: its searchable text, folded by the service, one column per
    /// field; SQLite indexes it with FTS5 (`ticket_fts`), PostgreSQL with a `tsvector`.
    ticket_search (tenant, ticket_id) {
        tenant -> Text,
        ticket_id -> Text,
        subject -> Text,
        messages -> Text,
        notes -> Text,
        customer -> Text,
        refs -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    business_hours,
    sla_policies,
    jobs,
    macros,
    ticket_search,
    notification_settings,
    notification_templates,
    mail_positions,
    mail_deliveries,
    webhook_endpoints,
    webhook_deliveries,
    tenants,
    categories,
    customers,
    agents,
    logins,
    tickets,
    ticket_tags,
    messages,
    events,
    idempotency_keys,
    breached_counts,
    ticket_counts,
    signing_keys,
    api_keys,
    revoked_tokens,
    service_secrets,
);
