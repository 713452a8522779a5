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
        api::events::list_events,
        api::events::get_event,
        api::stream::stream_events,
        api::timeline::timeline,
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
        (name = "projects"), (name = "teams"), (name = "tokens", description = "Admin only"),
        (name = "service", description = "Liveness and readiness"),
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
