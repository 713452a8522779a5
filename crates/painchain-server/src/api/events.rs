//! `POST /api/events`, `POST /api/events/batch`, `GET /api/events`,
//! `GET /api/events/{id}`.

use std::collections::HashMap;

use axum::{
    extract::{DefaultBodyLimit, OriginalUri, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use painchain_core::{time, Event, NewEvent};
use painchain_store::InsertOutcome;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::integrations::unknown_integration;

mod batch;
use crate::{
    auth::{Ingest, Read},
    error::{ApiError, ApiResult, ErrorBody, ErrorDetail},
    extract::{ApiQuery, JsonBytes, JsonValue},
    query::{next_page_query, EventParams},
    state::AppState,
};

pub fn router(state: &AppState) -> Router<AppState> {
    let batch_limit = state.config.limits.max_batch_body_bytes;
    Router::new()
        .route("/api/events", post(create_event).get(list_events))
        .route(
            "/api/events/batch",
            // Batches may be bigger than single events; the inner layer wins.
            post(create_batch).layer(DefaultBodyLimit::max(batch_limit)),
        )
        .route("/api/events/{id}", get(get_event))
        .route(
            "/api/integrations/{id}/events",
            post(create_integration_batch).layer(DefaultBodyLimit::max(batch_limit)),
        )
}

/// `201` answer. `event_id`/`stored_at` are the seed's keys; `id` and
/// `duplicate` are ours.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub event_id: String,
    pub stored_at: String,
    pub id: String,
    pub duplicate: bool,
}

/// `409` answer: the existing event's id plus the usual error object.
#[derive(Serialize, ToSchema)]
pub struct Duplicate {
    pub event_id: String,
    pub id: String,
    pub duplicate: bool,
    pub error: ErrorDetail,
}

fn duplicate_response(id: String) -> Response {
    let body = Duplicate {
        event_id: id.clone(),
        id,
        duplicate: true,
        error: ErrorDetail {
            code: "duplicate",
            message: "an event with this integrationId and externalId already exists".into(),
            field: Some("externalId".into()),
        },
    };
    (StatusCode::CONFLICT, Json(body)).into_response()
}

/// Stores one event.
#[utoipa::path(
    post, path = "/api/events", tag = "events",
    request_body(content = NewEvent, description = "The event; unknown top-level fields are kept in `extra`."),
    params(("x-tenant-id" = Option<String>, Header, description = "Tenant (ignored when a token is used)")),
    responses(
        (status = 201, body = Created),
        (status = 409, body = Duplicate, description = "Same (tenant, integrationId, externalId) exists"),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "`unknown_integration`: `integrationId` names no integration of this tenant"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn create_event(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    JsonValue(body): JsonValue,
) -> ApiResult<Response> {
    let event = NewEvent::from_json(&body, &state.limits)?;
    drop(body);
    if let Some(integration) = &event.integration_id {
        super::integrations::check_integration(&state, caller.tenant(), integration).await?;
    }
    // Only build a copy for the live stream when someone is listening.
    let for_stream = state.has_subscribers().then(|| event.clone());
    match state.store.insert_event(caller.tenant(), event).await? {
        InsertOutcome::Created { id, stored_at } => {
            tracing::debug!(%id, tenant = caller.tenant(), "event stored");
            if let Some(e) = for_stream {
                state.publish(e.into_event(id.clone(), caller.tenant().to_string(), stored_at));
            }
            let body = Created {
                event_id: id.clone(),
                stored_at: time::format(stored_at),
                id,
                duplicate: false,
            };
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        InsertOutcome::Duplicate { id } => Ok(duplicate_response(id)),
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchResult {
    pub created: usize,
    pub duplicates: usize,
    pub invalid: usize,
    pub results: Vec<BatchItem>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchItem {
    pub index: usize,
    /// `created`, `duplicate` or `invalid`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

/// Stores up to 1000 events; valid ones in one transaction, invalid ones
/// (including those whose `integrationId` names no integration of the
/// tenant: `unknown_integration`) reported per item.
#[utoipa::path(
    post, path = "/api/events/batch", tag = "events",
    request_body(content = Vec<NewEvent>),
    responses((status = 200, body = BatchResult), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody))
)]
pub async fn create_batch(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Json<BatchResult>> {
    let mut batch = Batch::new(&state, "");
    batch::parse_array(&body, &mut |i, item| batch.push(i, item))?;
    drop(body);
    batch.store(&state, caller.tenant(), None).await.map(Json)
}

/// Events of one integration and the cursor they lead to.
#[derive(Deserialize, ToSchema)]
pub struct IntegrationBatch {
    /// Up to 1000 events; `integrationId` may be left out (it is this
    /// integration's).
    #[schema(value_type = Vec<NewEvent>)]
    pub events: Vec<Value>,
    /// Saved as the integration's cursor in the same transaction as the
    /// events (absent: the cursor stays).
    #[serde(default)]
    pub cursor: Option<Value>,
}

/// A connector's delivery: stores the events and moves the integration's
/// cursor atomically, so a connector killed at any moment either finds its
/// events and its new cursor, or neither.
#[utoipa::path(
    post, path = "/api/integrations/{id}/events", tag = "connectors",
    params(("id" = String, Path)),
    request_body = IntegrationBatch,
    responses(
        (status = 200, body = BatchResult),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "`unknown_integration`"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn create_integration_batch(
    State(state): State<AppState>,
    Ingest(caller): Ingest,
    Path(id): Path<String>,
    JsonBytes(body): JsonBytes,
) -> ApiResult<Json<BatchResult>> {
    super::integrations::check_integration(&state, caller.tenant(), &id).await?;
    let mut batch = Batch::new(&state, &id);
    let cursor = batch::parse_integration_batch(&body, &mut |i, item| batch.push(i, item))?;
    drop(body);
    let cursor = cursor.map(|c| (id.as_str(), c));
    batch.store(&state, caller.tenant(), cursor).await.map(Json)
}

/// A batch being validated item by item as it is parsed: each item's JSON
/// tree lives only while it is checked, so a big batch is held once (as
/// its events), not as bytes plus a tree plus events. A non-empty
/// `integration` is the integration every item belongs to.
struct Batch<'a> {
    integration: &'a str,
    prefix: &'static str,
    max: usize,
    limits: &'a painchain_core::EventLimits,
    seen: usize,
    results: Vec<BatchItem>,
    valid: Vec<NewEvent>,
    valid_index: Vec<usize>,
}

impl<'a> Batch<'a> {
    fn new(state: &'a AppState, integration: &'a str) -> Batch<'a> {
        Batch {
            integration,
            prefix: if integration.is_empty() { "" } else { "events" },
            max: state.config.limits.max_batch_items,
            limits: &state.limits,
            seen: 0,
            results: Vec::new(),
            valid: Vec::new(),
            valid_index: Vec::new(),
        }
    }

    fn push(&mut self, i: usize, mut item: Value) {
        self.seen = i + 1;
        if i >= self.max {
            return;
        }
        let (integration, prefix) = (self.integration, self.prefix);
        if !integration.is_empty() {
            // Absent, `null` and `""` all mean "no integration" elsewhere;
            // here every event is this integration's, so all three get it.
            if let Some(o) = item.as_object_mut() {
                let unset = match o.get("integrationId") {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.trim().is_empty(),
                    Some(_) => false,
                };
                if unset {
                    o.insert(
                        "integrationId".into(),
                        Value::String(integration.to_string()),
                    );
                }
            }
        }
        let at = format!("{prefix}[{i}].");
        let checked = NewEvent::from_json_at(&item, self.limits, &at).and_then(|e| {
            match e.integration_id.as_deref() {
                Some(other) if !integration.is_empty() && other != integration => {
                    Err(painchain_core::ValidationError {
                        code: "integration_mismatch",
                        field: format!("{at}integrationId"),
                        message: format!(
                            "`{at}integrationId` is `{other}`, but this batch is for integration `{integration}`"
                        ),
                    })
                }
                _ => Ok(e),
            }
        });
        match checked {
            Ok(e) => {
                self.valid_index.push(i);
                self.valid.push(e);
                // Placeholder, filled from the store's outcome below.
                self.results.push(BatchItem {
                    index: i,
                    status: "created",
                    id: None,
                    error: None,
                });
            }
            Err(v) => self.results.push(BatchItem {
                index: i,
                status: "invalid",
                id: None,
                error: Some(ErrorDetail {
                    code: v.code,
                    message: v.message,
                    field: Some(v.field),
                }),
            }),
        }
    }

    /// Stores the valid items (with `cursor`, if any) in one transaction
    /// and reports per item.
    async fn store(
        self,
        state: &AppState,
        tenant: &str,
        cursor: Option<(&str, Value)>,
    ) -> ApiResult<BatchResult> {
        let Batch {
            integration,
            prefix,
            max,
            seen,
            mut results,
            valid,
            valid_index,
            ..
        } = self;
        if seen > max {
            return Err(ApiError::BadRequest {
                code: "too_many_items",
                message: format!("a batch holds at most {max} events, got {seen}"),
                field: Some(
                    if integration.is_empty() {
                        "body"
                    } else {
                        "events"
                    }
                    .into(),
                ),
            });
        }
        store_valid(
            state,
            tenant,
            prefix,
            &mut results,
            valid,
            valid_index,
            cursor,
        )
        .await?;
        let created = results.iter().filter(|r| r.status == "created").count();
        let duplicates = results.iter().filter(|r| r.status == "duplicate").count();
        let invalid = results.len() - created - duplicates;
        Ok(BatchResult {
            created,
            duplicates,
            invalid,
            results,
        })
    }
}

/// Checks the integrations the valid items name, stores those that pass
/// and fills their `results`.
async fn store_valid(
    state: &AppState,
    tenant: &str,
    prefix: &str,
    results: &mut [BatchItem],
    mut valid: Vec<NewEvent>,
    mut valid_index: Vec<usize>,
    cursor: Option<(&str, Value)>,
) -> ApiResult<()> {
    // Items naming an integration the tenant does not have are invalid;
    // each distinct id is looked up once.
    let mut exists: HashMap<String, bool> = HashMap::new();
    let mut keep = vec![true; valid.len()];
    for (k, e) in valid.iter().enumerate() {
        let Some(integration) = &e.integration_id else {
            continue;
        };
        let ok = match exists.get(integration) {
            Some(ok) => *ok,
            None => {
                let ok = state
                    .known_integrations
                    .exists(&*state.store, tenant, integration)
                    .await?;
                exists.insert(integration.clone(), ok);
                ok
            }
        };
        if !ok {
            keep[k] = false;
            let i = valid_index[k];
            let field = format!("{prefix}[{i}].integrationId");
            let body = unknown_integration(integration, &field).body();
            results[i].status = "invalid";
            results[i].error = Some(body.error);
        }
    }
    if keep.contains(&false) {
        (valid, valid_index) = valid
            .into_iter()
            .zip(valid_index)
            .zip(keep)
            .filter_map(|(pair, keep)| keep.then_some(pair))
            .unzip();
    }
    let outcomes = ingest(state, tenant, valid, cursor).await?;
    for (k, outcome) in outcomes.into_iter().enumerate() {
        let item = &mut results[valid_index[k]];
        match outcome {
            InsertOutcome::Created { id, .. } => item.id = Some(id),
            InsertOutcome::Duplicate { id } => {
                item.status = "duplicate";
                item.id = Some(id);
            }
        }
    }
    Ok(())
}

/// Stores validated events of one tenant in one transaction and hands the
/// created ones to live-stream subscribers; outcomes in input order. The
/// ingest path shared by the batch endpoints and webhook deliveries.
pub async fn ingest(
    state: &AppState,
    tenant: &str,
    events: Vec<NewEvent>,
    cursor: Option<(&str, Value)>,
) -> ApiResult<Vec<InsertOutcome>> {
    if events.is_empty() && cursor.is_none() {
        return Ok(Vec::new());
    }
    // Only keep a copy for the live stream when someone is listening.
    let for_stream = state.has_subscribers().then(|| events.clone());
    let outcomes = match cursor {
        Some((integration, c)) => {
            state
                .store
                .insert_events_with_cursor(tenant, events, integration, c)
                .await?
        }
        None => state.store.insert_events(tenant, events).await?,
    };
    if let Some(events) = for_stream {
        for (e, outcome) in events.into_iter().zip(&outcomes) {
            if let InsertOutcome::Created { id, stored_at } = outcome {
                state.publish(e.into_event(id.clone(), tenant.to_string(), *stored_at));
            }
        }
    }
    Ok(outcomes)
}

/// Events newest first, as a bare array (seed clients expect one).
#[utoipa::path(
    get, path = "/api/events", tag = "events",
    params(EventParamsDoc),
    responses((status = 200, body = Vec<Event>,
        headers(("Link" = String, description = "`<...>; rel=\"next\"` when more follow"),
                ("X-Next-Cursor" = String, description = "cursor of the next page"))),
        (status = 400, body = ErrorBody))
)]
pub async fn list_events(
    State(state): State<AppState>,
    Read(caller): Read,
    OriginalUri(uri): OriginalUri,
    ApiQuery(params): ApiQuery<EventParams>,
) -> ApiResult<Response> {
    let parsed = params.filter(&state, caller.tenant()).await?;
    let page = params.page(100)?;
    if parsed.matches_nothing {
        return Ok(Json(Vec::<Event>::new()).into_response());
    }
    let result = state
        .store
        .list_events(caller.tenant(), &parsed.filter, &page)
        .await?;
    let mut headers = HeaderMap::new();
    if let Some(next) = result.next {
        let cursor = next.encode();
        let link = format!(
            "<{}?{}>; rel=\"next\"",
            uri.path(),
            next_page_query(uri.query(), &cursor)
        );
        if let (Ok(link), Ok(c)) = (HeaderValue::from_str(&link), HeaderValue::from_str(&cursor)) {
            headers.insert(axum::http::header::LINK, link);
            headers.insert("x-next-cursor", c);
        }
    }
    Ok((headers, Json(result.events)).into_response())
}

/// One event.
#[utoipa::path(
    get, path = "/api/events/{id}", tag = "events",
    params(("id" = String, Path)),
    responses((status = 200, body = Event), (status = 404, body = ErrorBody))
)]
pub async fn get_event(
    State(state): State<AppState>,
    Read(caller): Read,
    Path(id): Path<String>,
) -> ApiResult<Json<Event>> {
    state
        .store
        .get_event(caller.tenant(), &id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no event with id {id:?}")))
}

/// The filter parameters, for the OpenAPI document only.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventParamsDoc {
    /// Repeatable.
    connector: Option<Vec<String>>,
    /// Repeatable.
    project: Option<Vec<String>>,
    /// Repeatable, OR-ed; matches the event's tags or its integration's `config.tags`.
    tag: Option<Vec<String>>,
    kind: Option<Vec<String>>,
    status: Option<Vec<String>>,
    environment: Option<Vec<String>>,
    #[param(rename = "integrationId")]
    integration_id: Option<Vec<String>>,
    /// Team name or id; expands to the team's tags.
    team: Option<Vec<String>>,
    /// `type:value`, e.g. `commit:abc123`.
    #[param(rename = "ref")]
    refs: Option<Vec<String>>,
    /// Text search in title and data.
    q: Option<String>,
    /// RFC 3339 (or a date, read as UTC), from 1900-01-01 to 2199-12-31.
    #[param(rename = "startDate")]
    start_date: Option<String>,
    /// RFC 3339 (or a date, read as UTC), from 1900-01-01 to 2199-12-31.
    #[param(rename = "endDate")]
    end_date: Option<String>,
    /// Relative start: `15m`, `2h`, `7d`; at most `36500d`.
    since: Option<String>,
    /// Default 100 (timeline 50); larger values are clamped to 1000.
    #[param(minimum = 1)]
    limit: Option<u32>,
    /// From `X-Next-Cursor`.
    cursor: Option<String>,
    /// Legacy offset pagination.
    offset: Option<u32>,
}
