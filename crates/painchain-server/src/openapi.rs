//! The OpenAPI document (`/api/openapi.json`) and its viewer (`/api/docs`,
//! Swagger UI compiled into the binary: no network needed).

use axum::Router;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};
use utoipa_swagger_ui::SwaggerUi;

use crate::{api, state::AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "PainChain API",
        description = "Change events in, a filterable timeline out. Errors are always \
            `{\"error\": {\"code\", \"message\", \"field\"?}}`. Send `Authorization: Bearer pc_...` \
            when auth is enabled; `x-tenant-id` selects the tenant when it is not."
    ),
    paths(
        api::events::create_event,
        api::events::create_batch,
        api::events::create_integration_batch,
        api::events::list_events,
        api::events::get_event,
        api::stream::stream_events,
        api::timeline::timeline,
        api::investigate::event_chain,
        api::investigate::event_contents,
        api::investigate::investigate_route,
        api::annotations::annotations,
        api::projects::list_projects,
        api::teams::list_teams,
        api::teams::create_team,
        api::teams::get_team,
        api::teams::update_team,
        api::teams::delete_team,
        api::tokens::list_tokens,
        api::tokens::create_token,
        api::tokens::revoke_token,
        api::service::health,
        api::service::ready,
        api::webhooks::github,
        api::integrations::types::register,
        api::integrations::types::list,
        api::integrations::types::get_one,
        api::integrations::types::schema,
        api::integrations::types::logo,
        api::integrations::crud::list,
        api::integrations::crud::create,
        api::integrations::declared::put_declared,
        api::integrations::crud::get_one,
        api::integrations::crud::update,
        api::integrations::crud::patch,
        api::integrations::crud::delete,
        api::integrations::crud::sync_now,
        api::integrations::crud::test,
        api::integrations::connector_api::get_status,
        api::integrations::connector_api::post_status,
        api::integrations::connector_api::get_cursor,
        api::integrations::connector_api::put_cursor,
        api::integrations::connector_api::heartbeat,
        api::integrations::connector_api::answer_test,
    ),
    components(schemas(
        painchain_core::Ref,
        crate::error::ErrorBody,
        crate::error::ErrorDetail,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "events", description = "Ingest and query change events"),
        (name = "investigate", description = "Change chains, deploy contents and ranked suspects for an incident"),
        (name = "projects"), (name = "teams"), (name = "tokens", description = "Admin only"),
        (name = "service", description = "Liveness and readiness"),
        (name = "integrations", description = "Connector types and their configured instances; reads need `read`, creating/editing/deleting `admin`, registering types and `{lastSync}` updates `ingest`"),
        (name = "connectors", description = "What connector processes call (ingest tokens): control poll, status reports, cursors, test answers"),
        (name = "webhooks", description = "Deliveries authenticated by their signature, not a token"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    SwaggerUi::new("/api/docs")
        .url("/api/openapi.json", ApiDoc::openapi())
        .into()
}
