//! Teams (`/api/teams`): a named set of tags; `team=` filters expand to them.
//! Reading needs `read`, changing needs `admin`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::get,
    Json, Router,
};
use painchain_core::team::Team;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{
    auth::{Admin, Read},
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiJson,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/teams", get(list_teams).post(create_team))
        .route(
            "/api/teams/{id}",
            get(get_team).put(update_team).delete(delete_team),
        )
}

const MAX_NAME: usize = 200;
const MAX_TAGS: usize = 100;

#[derive(Deserialize, ToSchema)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct TeamUpdate {
    pub name: Option<String>,
    pub tags: Option<Vec<String>>,
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(ApiError::invalid("name", "`name` must not be empty"));
    }
    if n.len() > MAX_NAME {
        return Err(ApiError::invalid(
            "name",
            format!("`name` is longer than {MAX_NAME} bytes"),
        ));
    }
    Ok(n.to_string())
}

fn check_tags(tags: &[String]) -> Result<Vec<String>, ApiError> {
    if tags.len() > MAX_TAGS {
        return Err(ApiError::invalid(
            "tags",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() || t.len() > MAX_NAME {
            return Err(ApiError::invalid(
                format!("tags[{i}]"),
                format!("`tags[{i}]` must be 1-{MAX_NAME} bytes"),
            ));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    Ok(out)
}

fn conflict(name: &str) -> ApiError {
    ApiError::Conflict(format!("a team named {name:?} already exists"))
}

#[utoipa::path(get, path = "/api/teams", tag = "teams", responses((status = 200, body = Vec<Team>)))]
pub async fn list_teams(
    State(state): State<AppState>,
    Read(caller): Read,
) -> ApiResult<Json<Vec<Team>>> {
    Ok(Json(state.store.list_teams(caller.tenant()).await?))
}

#[utoipa::path(post, path = "/api/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = Team), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(body): ApiJson<NewTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let name = check_name(&body.name)?;
    let tags = check_tags(&body.tags)?;
    match state.store.create_team(caller.tenant(), &name, &tags).await {
        Ok(t) => Ok((StatusCode::CREATED, Json(t))),
        Err(painchain_store::StoreError::Conflict(_)) => Err(conflict(&name)),
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(get, path = "/api/teams/{id}", tag = "teams", params(("id" = String, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorBody)))]
pub async fn get_team(
    State(state): State<AppState>,
    Read(caller): Read,
    Path(id): Path<String>,
) -> ApiResult<Json<Team>> {
    state
        .store
        .get_team(caller.tenant(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no team with id {id:?}")))
}

#[utoipa::path(put, path = "/api/teams/{id}", tag = "teams", params(("id" = String, Path)), request_body = TeamUpdate,
    responses((status = 200, body = Team), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_team(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TeamUpdate>,
) -> ApiResult<Json<Team>> {
    let name = body.name.as_deref().map(check_name).transpose()?;
    let tags = body.tags.as_deref().map(check_tags).transpose()?;
    match state
        .store
        .update_team(caller.tenant(), &id, name.as_deref(), tags.as_deref())
        .await
    {
        Ok(t) => Ok(Json(t)),
        Err(painchain_store::StoreError::NotFound) => {
            Err(ApiError::NotFound(format!("no team with id {id:?}")))
        }
        Err(painchain_store::StoreError::Conflict(_)) => {
            Err(conflict(name.as_deref().unwrap_or_default()))
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(delete, path = "/api/teams/{id}", tag = "teams", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_team(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if state.store.delete_team(caller.tenant(), &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no team with id {id:?}")))
    }
}
