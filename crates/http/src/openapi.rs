//! The OpenAPI 3.1 document, built by `utoipa` from the handlers' `#[utoipa::path]`
//! attributes and the DTOs' schemas, served at `GET /api/v1/openapi.json`.
//!
//! The test at the bottom holds the document against the list of routes the app really
//! registers, both ways, so a route cannot be added without documenting it.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::dto::events::{event_types, EventV1};
use crate::handlers::{
    admin_tickets, agents, auth, categories, customers, events, macros, notifications, ops, reports, settings, sla,
    tickets, trust, webhooks,
};

/// Adds the bearer security scheme every authenticated route names.
struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("HS256 JWT with `sub`, `role`, `tenant`, `perms`, `exp` (see api.md)"))
                    .build(),
            ),
        );
    }
}

/// Documents the answers of the JSON body extractor on every operation that takes a body:
/// actix-web's `JsonConfig` (set once for the whole app in `lib.rs`) refuses a body over the
/// limit with 413 and a body that is not `application/json` with 415, before any handler runs,
/// and [`crate::extract::JsonBody`] answers 408 to a body that does not arrive in time.
struct JsonBodyErrors;

impl JsonBodyErrors {
    fn add(operation: &mut Operation) {
        if operation.request_body.is_none() {
            return;
        }
        let errors = [
            ("408", "`request_timeout`: the body did not arrive within the body timeout; the connection is closed"),
            ("413", "Body too large"),
            ("415", "Not JSON"),
        ];
        for (status, description) in errors {
            operation.responses.responses.entry(status.to_owned()).or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                    )
                    .build()
                    .into()
            });
        }
    }
}

impl Modify for JsonBodyErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten() {
                Self::add(operation);
            }
        }
    }
}

/// Adds OpenAPI 3.1's top-level `webhooks`: one entry per event type, each a `POST` of an
/// [`EventV1`] with the Standard Webhooks headers. utoipa 5 has no field for the section,
/// so it goes in through the document's top-level extension map, which is flattened.
struct Webhooks;

impl Modify for Webhooks {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut hooks = serde_json::Map::new();
        for kind in event_types() {
            hooks.insert(
                kind.clone(),
                serde_json::json!({"post": {
                    "operationId": format!("webhook_{}", kind.replace('.', "_")),
                    "summary": format!("`{kind}` delivered to a subscribed endpoint"),
                    "description": "Signed with Standard Webhooks: `webhook-signature` is `v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64-decoded part of the endpoint's secret after `whsec_`. Any 2xx acknowledges; anything else is retried for 24 hours.",
                    "tags": ["webhooks"],
                    "parameters": [
                        {"name": "webhook-id", "in": "header", "required": true, "schema": {"type": "string"},
                         "description": "The event id: the same on every attempt"},
                        {"name": "webhook-timestamp", "in": "header", "required": true, "schema": {"type": "string"},
                         "description": "Unix seconds of this attempt"},
                        {"name": "webhook-signature", "in": "header", "required": true, "schema": {"type": "string"},
                         "description": "`v1,<base64 HMAC-SHA256>`"},
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/EventV1"}}}},
                    "responses": {"2XX": {"description": "Received; anything else is retried"}},
                    "x-ping": "An endpoint is also sent `webhook.ping` (schema PingV1) when an admin pings it",
                }}),
            );
        }
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .insert("webhooks".to_owned(), serde_json::Value::Object(hooks));
    }
}

/// Untagged enums are "one of these shapes", but their shapes overlap (a `ticket.triaged`
/// event's data has only optional fields, so every object fits it): JSON Schema's `oneOf`
/// would call each value invalid for matching two. The event's `type` says which shape it
/// is; the schema says "any of".
struct UntaggedAsAnyOf;

impl UntaggedAsAnyOf {
    const SCHEMAS: [&'static str; 1] = ["EventDataV1"];
}

impl Modify for UntaggedAsAnyOf {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{AnyOfBuilder, Schema};
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in Self::SCHEMAS {
            if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get(name) {
                let any_of = one_of
                    .items
                    .iter()
                    .fold(AnyOfBuilder::new(), |any_of, item| any_of.item(item.clone()))
                    .description(one_of.description.clone())
                    .build();
                components.schemas.insert(name.to_owned(), RefOr::T(Schema::AnyOf(any_of)));
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "supportdesk API",
        version = "1",
        description = "Support tickets for shops: customers open and follow tickets, agents work the queue. \
Errors are application/problem+json; every response carries X-Request-Id and \
X-Content-Type-Options: nosniff, and every answer to a request with an Authorization header carries \
Cache-Control: no-store."
    ),
    paths(
        ops::get_health,
        ops::get_ready,
        ops::get_metrics,
        ops::get_openapi,
        auth::register_customer,
        auth::create_token,
        tickets::open_ticket,
        tickets::list_tickets,
        tickets::get_ticket,
        tickets::update_ticket,
        tickets::create_message,
        tickets::rate_ticket,
        categories::list_categories,
        categories::list_admin_categories,
        categories::get_category,
        categories::create_category,
        categories::update_category,
        categories::delete_category,
        admin_tickets::list_admin_tickets,
        admin_tickets::open_admin_ticket,
        admin_tickets::get_admin_ticket,
        admin_tickets::triage_ticket,
        admin_tickets::set_ticket_status,
        admin_tickets::assign_ticket,
        admin_tickets::create_admin_message,
        admin_tickets::list_ticket_events,
        agents::list_agents,
        agents::get_agent,
        agents::create_agent,
        agents::update_agent,
        customers::list_customers,
        customers::get_customer,
        customers::put_customer,
        customers::list_customer_tickets,
        settings::get_settings,
        settings::put_settings,
        trust::delete_session,
        trust::list_signing_keys,
        trust::create_signing_key,
        trust::delete_signing_key,
        trust::list_api_keys,
        trust::create_api_key,
        trust::delete_api_key,
        trust::revoke_agent_sessions,
        events::list_events,
        macros::list_macros,
        macros::create_macro,
        macros::get_macro,
        macros::update_macro,
        macros::delete_macro,
        macros::apply_macro,
        webhooks::list_webhooks,
        webhooks::create_webhook,
        webhooks::get_webhook,
        webhooks::update_webhook,
        webhooks::delete_webhook,
        webhooks::rotate_webhook_secret,
        webhooks::ping_webhook,
        webhooks::list_deliveries,
        webhooks::retry_delivery,
        notifications::get_notification_settings,
        notifications::put_notification_settings,
        notifications::get_notification_template,
        notifications::put_notification_template,
        sla::list_business_hours,
        sla::create_business_hours,
        sla::get_business_hours,
        sla::update_business_hours,
        sla::delete_business_hours,
        sla::list_sla_policies,
        sla::create_sla_policy,
        sla::get_sla_policy,
        sla::update_sla_policy,
        sla::delete_sla_policy,
        reports::report_summary,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldProblem, EventV1, crate::dto::webhooks::PingV1)),
    modifiers(&BearerSecurity, &JsonBodyErrors, &Webhooks, &UntaggedAsAnyOf),
    tags(
        (name = "tickets", description = "A customer's own tickets"),
        (name = "categories", description = "The categories customers choose from"),
        (name = "admin-tickets", description = "The agents' queue and ticket work"),
        (name = "admin-categories", description = "Category management"),
        (name = "admin-agents", description = "Agent management"),
        (name = "admin-customers", description = "Customer profiles from the shop"),
        (name = "admin-settings", description = "The tenant's policy"),
        (name = "admin-trust", description = "Signing keys for shop-minted tokens, and API keys for integrations"),
        (name = "auth", description = "The service's own accounts"),
        (name = "ops", description = "Health, readiness, metrics, this document"),
        (name = "admin-events", description = "The change feed: every committed event, after a cursor"),
        (name = "admin-webhooks", description = "Webhook endpoints, their delivery log, retries and pings"),
        (name = "admin-macros", description = "Canned replies with actions, applied to a ticket in one transaction"),
        (name = "admin-notifications", description = "Email notifications: which are sent, and their templates"),
        (name = "admin-sla", description = "Business hours and SLA policies"),
        (name = "admin-reports", description = "Summaries of volume, response times, SLA attainment and satisfaction"),
        (name = "webhooks", description = "What supportdesk posts to a subscribed endpoint"),
    )
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as JSON, built once per [`crate::ApiState`].
pub(crate) fn openapi_json() -> String {
    openapi().to_json().unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeSet;

    use super::*;
    use crate::routes::RouteEntry;

    fn registered_routes() -> BTreeSet<(String, String)> {
        let mut registered: Vec<RouteEntry> = Vec::new();
        let _ = actix_web::App::new().configure(|cfg| registered = crate::register_routes(cfg));
        registered.into_iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect()
    }

    fn documented_routes() -> BTreeSet<(String, String)> {
        let doc = serde_json::to_value(openapi()).unwrap();
        let mut routes = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete", "head", "options", "trace"] {
                if item.get(method).is_some() {
                    routes.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        routes
    }

    #[test]
    fn every_registered_route_is_in_the_openapi_document_and_nothing_else_is() {
        let registered = registered_routes();
        let documented = documented_routes();
        let undocumented: Vec<_> = registered.difference(&documented).collect();
        let unregistered: Vec<_> = documented.difference(&registered).collect();
        assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
        assert!(unregistered.is_empty(), "documented routes the app does not serve: {unregistered:?}");
        assert!(registered.len() >= 33, "only {} routes registered", registered.len());
    }

    #[test]
    fn the_document_describes_every_event_type_as_a_webhook_of_the_event_schema() {
        let doc = serde_json::to_value(openapi()).unwrap();
        for kind in event_types() {
            let hook = &doc["webhooks"][&kind]["post"];
            assert_eq!(
                hook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/EventV1"
            );
        }
        // `webhook.disabled` belongs to no ticket: `ticket` may be null.
        let ticket = doc["components"]["schemas"]["EventV1"]["properties"]["ticket"].to_string();
        assert!(ticket.contains("null") && ticket.contains("EventTicketV1"), "{ticket}");
        assert!(doc["paths"]["/api/v1/admin/events"]["get"].is_object());
    }

    #[test]
    fn event_data_is_any_of_its_overlapping_shapes_not_exactly_one() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let data = &doc["components"]["schemas"]["EventDataV1"];
        assert!(data.get("oneOf").is_none(), "{data}");
        // One shape per kind, but `message_added` and `note_added` share theirs.
        let shapes = supportdesk_app::event_kinds().count() - 1;
        assert_eq!(data["anyOf"].as_array().map(Vec::len), Some(shapes), "{data}");
        // A change's values are strings or lists of strings: the schema allows any value.
        let change = &doc["components"]["schemas"]["ChangeV1"]["properties"];
        assert!(change["from"].get("type").is_none(), "{change}");
        assert!(change["to"].get("type").is_none(), "{change}");
    }

    #[test]
    fn the_document_is_openapi_3_1_with_a_bearer_scheme() {
        let doc = serde_json::to_value(openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["bearerFormat"], "JWT");
    }

    #[test]
    fn every_operation_with_a_body_documents_413_and_415() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let mut with_body = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if operation.get("requestBody").is_none() {
                    continue;
                }
                with_body += 1;
                for status in ["413", "415"] {
                    let response = &operation["responses"][status];
                    assert!(
                        response["content"]["application/problem+json"]["schema"]["$ref"]
                            == "#/components/schemas/Problem",
                        "{method} {path} does not document {status}: {response}"
                    );
                }
            }
        }
        assert!(with_body >= 15, "only {with_body} operations take a body");
    }

    #[test]
    fn every_operation_of_the_document_has_an_operation_id_and_a_tag() {
        let doc = serde_json::to_value(openapi()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                assert!(operation["operationId"].is_string(), "{method} {path} has no operationId");
                assert!(operation["tags"].is_array(), "{method} {path} has no tag");
            }
        }
    }
}
