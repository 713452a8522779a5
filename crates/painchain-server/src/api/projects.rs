//! `GET /api/projects`: projects created implicitly by events, with counts,
//! last event time, accumulated tags and connectors.

use axum::{extract::State, routing::get, Json, Router};
use painchain_core::team::Project;

use crate::{auth::Read, error::ApiResult, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/projects", get(list_projects))
}

#[utoipa::path(get, path = "/api/projects", tag = "projects", responses((status = 200, body = Vec<Project>)))]
pub async fn list_projects(
    State(state): State<AppState>,
    Read(caller): Read,
) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(state.store.list_projects(caller.tenant()).await?))
}
