//! The integrations API through the real server (SQLite and PostgreSQL;
//! PostgreSQL skipped with a notice when PAINCHAIN_TEST_DATABASE_URL is
//! unset): type registration in both schema forms, logos, config
//! validation, secrets encrypted at rest and redacted, tenant scoping,
//! config-managed rows, status/cursor/heartbeat/test/sync, delete.

#[macro_use]
mod common;

use std::time::Duration;

use base64::{engine::general_purpose::STANDARD, Engine};
use painchain_core::token::Scope;
use painchain_server::{
    api::integrations::{declared, SecretBox},
    testing::{Backend, TestServer},
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const TOKEN: &str = "ghp_supersecretvalue123456";
const HOOK: &str = "whsec_anothersecret987654";

struct H {
    s: TestServer,
    c: reqwest::Client,
    dir: tempfile::TempDir,
}

impl H {
    async fn start(b: Backend) -> Option<H> {
        Self::start_with(b, |_| {}).await
    }

    async fn start_with(b: Backend, f: impl FnOnce(&mut painchain_server::Config)) -> Option<H> {
        // PostgreSQL needs an explicit key; the same for every test here.
        std::env::set_var(
            "PAINCHAIN_SECRET_KEY",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let s = TestServer::start_with(b, |c| {
            c.data_dir = data;
            f(c)
        })
        .await?;
        Some(H {
            s,
            c: reqwest::Client::new(),
            dir,
        })
    }

    async fn req(
        &self,
        m: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut r = self.c.request(m, self.s.url(path));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let st = resp.status();
        let text = resp.text().await.unwrap();
        (
            st,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str, h: &[(&str, &str)]) -> (StatusCode, Value) {
        self.req(Method::GET, path, None, h).await
    }

    async fn post(&self, path: &str, body: Value, h: &[(&str, &str)]) -> (StatusCode, Value) {
        self.req(Method::POST, path, Some(body), h).await
    }

    async fn register_github_like(&self) {
        let (st, b) = self
            .post("/api/integrations/types/register", seed_type(), &[])
            .await;
        assert_eq!(st, StatusCode::OK, "{b}");
    }

    async fn create(&self, tenant: &str) -> Value {
        let (st, b) = self
            .post(
                "/api/integrations",
                github_integration(),
                &[("x-tenant-id", tenant)],
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        b
    }
}

fn png_logo() -> String {
    format!(
        "data:image/png;base64,{}",
        STANDARD.encode(b"\x89PNG\r\n\x1a\nfake")
    )
}

/// The seed's metadata.json form.
fn seed_type() -> Value {
    json!({
        "id": "ghlike", "displayName": "GitHub-like", "color": "#000", "logo": png_logo(),
        "description": "seed form",
        "configSchema": {"fields": [
            {"key": "name", "label": "Name", "type": "text", "required": true},
            {"key": "tags", "label": "Tags", "type": "textarea", "required": true},
            {"key": "token", "label": "Token", "type": "password", "required": true},
            {"key": "interval", "label": "Interval", "type": "number", "min": 10}
        ]}
    })
}

fn github_integration() -> Value {
    json!({"type": "ghlike", "name": "acme", "config": {
        "name": "acme", "tags": ["backend"], "token": TOKEN,
        "webhook": {"secret": HOOK, "enabled": true}
    }})
}

both_backends!(
    secrets_with_auth_on,
    registers_both_schema_forms_idempotently,
    logos_must_be_images,
    invalid_configs_list_every_path,
    secrets_are_encrypted_at_rest_and_redacted,
    integrations_are_tenant_scoped,
    config_managed_integrations_refuse_edits,
    connector_control_plane,
    delete_keeps_events_unless_purged,
    events_must_name_an_existing_integration,
    events_with_their_cursor,
    all_tenants_tokens_serve_every_tenant,
);

async fn registers_both_schema_forms_idempotently(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let json_schema_type = json!({
        "id": "jsy", "displayName": "JSON Schema type",
        "configSchema": {"type": "object", "required": ["path"], "properties": {
            "path": {"type": "string", "minLength": 1},
            "apiKey": {"type": "string", "x-secret": true}
        }}
    });
    let (st, b1) = h
        .post(
            "/api/integrations/types/register",
            json_schema_type.clone(),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        b1,
        json!({"id": "jsy", "displayName": "JSON Schema type", "registered": true})
    );
    // Re-registering updates in place.
    let mut again = json_schema_type.clone();
    again["displayName"] = json!("Renamed");
    assert_eq!(
        h.post("/api/integrations/types/register", again, &[])
            .await
            .0,
        StatusCode::OK
    );

    let (_, types) = h.get("/api/integrations/types", &[]).await;
    let types = types.as_array().unwrap();
    assert_eq!(types.len(), 2);
    let jsy = types.iter().find(|t| t["id"] == "jsy").unwrap();
    assert_eq!(jsy["displayName"], "Renamed");
    assert_eq!(jsy["live"], true);
    assert!(jsy["lastHeartbeat"].is_string());

    let (st, s) = h.get("/api/integrations/types/ghlike/schema", &[]).await;
    assert_eq!(st, StatusCode::OK);
    assert!(s["configSchema"]["fields"].is_array(), "as registered");
    assert_eq!(s["jsonSchema"]["properties"]["token"]["format"], "password");
    let (st, e) = h.get("/api/integrations/types/nope", &[]).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(e["error"]["message"].as_str().unwrap().contains("nope"));

    // A broken schema is refused with the reason.
    let (st, e) = h
        .post(
            "/api/integrations/types/register",
            json!({"id": "bad", "configSchema": {"type": "object", "properties": {"a": {"type": "wat"}}}}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "configSchema");
}

async fn logos_must_be_images(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    let mut t = seed_type();
    t["logo"] = json!("data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==");
    let (st, e) = h.post("/api/integrations/types/register", t, &[]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(e["error"]["field"], "logo");
    assert!(e["error"]["message"].as_str().unwrap().contains("image"));

    h.register_github_like().await;
    let resp =
        h.c.get(h.s.url("/api/integrations/types/ghlike/logo"))
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert!(resp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert!(resp.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

async fn invalid_configs_list_every_path(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let (st, e) = h
        .post(
            "/api/integrations",
            json!({"type": "ghlike", "name": "x", "config": {"name": "x", "token": 42, "interval": 3}}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["code"], "invalid_config");
    let paths: Vec<&str> = e["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"config"), "tags missing: {paths:?}");
    assert!(paths.contains(&"config.token"), "{paths:?}");
    assert!(paths.contains(&"config.interval"), "{paths:?}");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("tags") && msg.contains("config.interval"),
        "{msg}"
    );

    let (st, e) = h
        .post(
            "/api/integrations",
            json!({"type": "gti", "config": {"name": "x", "tags": []}}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("ghlike"),
        "lists known types: {e}"
    );
}

/// Every file of the SQLite data dir, concatenated (database and WAL).
fn data_dir_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            out.extend(std::fs::read(p).unwrap());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn secrets_are_encrypted_at_rest_and_redacted(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let created = h.create("default").await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["tenant_id"], "default");
    assert!(created["registered_at"].is_string());
    assert_eq!(
        created["config"]["token"], "••••3456",
        "the create answer is redacted"
    );

    // At rest: the stored row holds ciphertext only...
    let raw =
        h.s.store
            .get_integration("default", &id)
            .await
            .unwrap()
            .unwrap();
    let raw_text = raw.config.to_string();
    assert!(
        !raw_text.contains(TOKEN) && !raw_text.contains(HOOK),
        "{raw_text}"
    );
    assert!(raw.config["token"]
        .as_str()
        .unwrap()
        .starts_with("pcenc:v1:"));
    assert!(raw.config["webhook"]["secret"]
        .as_str()
        .unwrap()
        .starts_with("pcenc:v1:"));
    assert_eq!(raw.config["webhook"]["enabled"], true);
    // ...and no byte of the database files contains the secrets.
    if b == Backend::Sqlite {
        let bytes = data_dir_bytes(&h.dir.path().join("data"));
        assert!(contains(&bytes, "acme"), "sanity: the row is in the files");
        assert!(!contains(&bytes, TOKEN) && !contains(&bytes, HOOK));
    }

    // A browser (the UI) gets masks; a local non-browser client (a
    // connector on loopback, auth off) gets the clear values.
    let (_, ui) = h
        .get(
            "/api/integrations/"
                .to_string()
                .as_str()
                .trim_end_matches('/'),
            &[("origin", "http://localhost:8000")],
        )
        .await;
    assert_eq!(ui[0]["config"]["token"], "••••3456");
    assert_eq!(ui[0]["config"]["webhook"]["secret"], "••••7654");
    let (_, conn) = h
        .get(
            "/api/integrations?type=ghlike",
            &[("x-painchain-connector", "ghlike")],
        )
        .await;
    assert_eq!(conn[0]["config"]["token"], TOKEN);
    assert_eq!(conn[0]["config"]["webhook"]["secret"], HOOK);

    // Sending the mask back keeps the secret; a new value replaces it.
    let mut cfg = ui[0]["config"].clone();
    cfg["tags"] = json!(["backend", "prod"]);
    let (st, b2) = h
        .req(
            Method::PUT,
            &format!("/api/integrations/{id}"),
            Some(json!({"config": cfg})),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b2}");
    let (_, one) = h.get(&format!("/api/integrations/{id}"), &[]).await;
    assert_eq!(one["config"]["token"], TOKEN);
    assert_eq!(one["config"]["tags"], json!(["backend", "prod"]));
}

/// A token made directly in the store, with a connector binding or expiry.
async fn token_with(
    store: &dyn painchain_store::Store,
    tenant: &str,
    scope: Scope,
    connector: Option<&str>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let spec = painchain_server::auth::TokenSpec {
        scope,
        connector: connector.map(String::from),
        expires_at,
    };
    let (_, t) = painchain_server::auth::create_token_in_store_with(store, tenant, "t", &spec)
        .await
        .unwrap();
    format!("Bearer {t}")
}

/// Issue #10, items 4 and 9: registering a (global) connector type needs a
/// connector token bound to it or the operator; only connector tokens of
/// the integration's type see its secrets (admins and ingest tokens see
/// masks); a declared secret field stays secret; expired tokens are 401.
async fn secrets_with_auth_on(b: Backend) {
    let Some(h) = H::start_with(b, |c| c.auth.enabled = true).await else {
        return;
    };
    let store = &*h.s.store;
    let admin = token_with(store, "default", Scope::Admin, None, None).await;
    let read = token_with(store, "default", Scope::Read, None, None).await;
    let ingest = token_with(store, "default", Scope::Ingest, None, None).await;
    let acme_admin = token_with(store, "acme", Scope::Admin, None, None).await;
    let acme_ingest = token_with(store, "acme", Scope::Ingest, None, None).await;
    let conn = token_with(store, "default", Scope::Ingest, Some("ghlike"), None).await;
    let other_conn = token_with(store, "default", Scope::Ingest, Some("other"), None).await;
    let all_conn = token_with(store, "*", Scope::Ingest, Some("*"), None).await;
    let expired = token_with(
        store,
        "default",
        Scope::Admin,
        None,
        Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
    )
    .await;
    let register = |t: &str, body: Value| {
        let h = &h;
        let t = t.to_string();
        async move {
            h.post(
                "/api/integrations/types/register",
                body,
                &[("authorization", &t)],
            )
            .await
        }
    };
    for (t, what) in [
        (&read, "read"),
        (&ingest, "ingest"),
        (&acme_admin, "a tenant's admin"),
        (&acme_ingest, "a tenant's ingest"),
        (&other_conn, "another type's connector"),
    ] {
        let (st, e) = register(t, seed_type()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{what} may not register: {e}");
    }
    assert_eq!(register(&conn, seed_type()).await.0, StatusCode::OK);
    assert_eq!(register(&all_conn, seed_type()).await.0, StatusCode::OK);
    assert_eq!(
        register(&admin, seed_type()).await.0,
        StatusCode::OK,
        "operator"
    );
    // A secret field can't lose its secrecy, whoever registers.
    let mut plain = seed_type();
    plain["configSchema"]["fields"][2]["type"] = json!("text");
    let (st, e) = register(&conn, plain).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "configSchema");
    let mut dropped = seed_type();
    dropped["configSchema"]["fields"]
        .as_array_mut()
        .unwrap()
        .remove(2);
    assert_eq!(
        register(&all_conn, dropped).await.0,
        StatusCode::BAD_REQUEST
    );

    let (st, _) = h
        .post(
            "/api/integrations",
            github_integration(),
            &[("authorization", &ingest)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "creating needs admin");
    let (st, _) = h
        .post(
            "/api/integrations",
            github_integration(),
            &[("authorization", &other_conn)],
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "or a connector token of the type"
    );
    let (st, _) = h
        .post(
            "/api/integrations",
            github_integration(),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    // A standalone connector applying its YAML file manages integrations
    // of its own type with its connector token.
    let (st, mine) = h
        .post(
            "/api/integrations",
            github_integration(),
            &[("authorization", &conn)],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{mine}");
    let mine = mine["id"].as_str().unwrap().to_string();
    let (st, _) = h
        .req(
            Method::DELETE,
            &format!("/api/integrations/{mine}"),
            None,
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    for (t, clear) in [
        (&read, false),
        (&ingest, false),
        (&admin, false),
        (&other_conn, false),
        (&conn, true),
        (&all_conn, true),
    ] {
        let (st, r) = h.get("/api/integrations", &[("authorization", t)]).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let want = if clear { TOKEN } else { "••••3456" };
        assert_eq!(r[0]["config"]["token"], want, "{t}");
        let id = r[0]["id"].as_str().unwrap();
        let (_, one) = h
            .get(&format!("/api/integrations/{id}"), &[("authorization", t)])
            .await;
        assert_eq!(one["config"]["token"], want);
    }
    let (st, e) = h
        .get("/api/integrations", &[("authorization", &expired)])
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{e}");

    // Connector tokens over the API: the operator only; expiry checked.
    let (st, e) = h
        .post(
            "/api/tokens",
            json!({"name": "c", "connector": "ghlike"}),
            &[("authorization", &acme_admin)],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (st, t) = h
        .post(
            "/api/tokens",
            json!({"name": "c", "connector": "ghlike", "expiresAt": "2099-01-01T00:00:00Z"}),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    assert_eq!(
        (t["connector"].as_str(), t["scope"].as_str()),
        (Some("ghlike"), Some("ingest"))
    );
    assert_eq!(t["expiresAt"], "2099-01-01T00:00:00Z");
    let fresh = format!("Bearer {}", t["token"].as_str().unwrap());
    let (_, r) = h
        .get("/api/integrations", &[("authorization", &fresh)])
        .await;
    assert_eq!(r[0]["config"]["token"], TOKEN);
    let (st, e) = h
        .post(
            "/api/tokens",
            json!({"name": "c", "scope": "read", "expiresAt": "2001-01-01T00:00:00Z"}),
            &[("authorization", &admin)],
        )
        .await;
    assert_eq!(
        (st, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("expiresAt"))
    );
}

async fn integrations_are_tenant_scoped(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let a = h.create("tenant-a").await;
    let id = a["id"].as_str().unwrap();
    let (_, list_b) = h
        .get("/api/integrations", &[("x-tenant-id", "tenant-b")])
        .await;
    assert_eq!(list_b, json!([]));
    let (st, _) = h
        .get(
            &format!("/api/integrations/{id}"),
            &[("x-tenant-id", "tenant-b")],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = h
        .req(
            Method::DELETE,
            &format!("/api/integrations/{id}"),
            None,
            &[("x-tenant-id", "tenant-b")],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = h
        .get(
            &format!("/api/integrations/{id}/cursor"),
            &[("x-tenant-id", "tenant-b")],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list_a) = h
        .get("/api/integrations", &[("x-tenant-id", "tenant-a")])
        .await;
    assert_eq!(list_a.as_array().unwrap().len(), 1);
    // The ciphertext is bound to its row: the same key can't be used to
    // read it elsewhere (covered in unit tests); here, the tenant id shows.
    assert_eq!(list_a[0]["tenantId"], "tenant-a");
}

async fn config_managed_integrations_refuse_edits(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let sbox = SecretBox::load(&|k| std::env::var(k).ok(), &h.dir.path().join("data")).unwrap();
    let d = declared::DeclaredIntegration {
        name: "from-yaml".into(),
        integration_type: "ghlike".into(),
        config: json!({"name": "from-yaml", "tags": [], "token": TOKEN}),
        enabled: true,
        tenant: None,
    };
    let ids = declared::apply(
        &*h.s.store,
        &sbox,
        std::slice::from_ref(&d),
        0,
        (None, None, true),
    )
    .await
    .unwrap();
    // Applying again updates the same row.
    assert_eq!(
        declared::apply(
            &*h.s.store,
            &sbox,
            std::slice::from_ref(&d),
            0,
            (None, None, true)
        )
        .await
        .unwrap(),
        ids
    );
    let id = &ids[0];
    let (_, row) = h.get(&format!("/api/integrations/{id}"), &[]).await;
    assert_eq!(row["managedBy"], "config");
    assert_eq!(
        row["config"]["token"], TOKEN,
        "encrypted with the server's key"
    );
    let (st, e) = h
        .req(
            Method::PUT,
            &format!("/api/integrations/{id}"),
            Some(json!({"enabled": false})),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "managed_by_config");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("config file"));
    let (st, _) = h
        .req(
            Method::DELETE,
            &format!("/api/integrations/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
    // Connectors may still report lastSync.
    let (st, _) = h
        .req(
            Method::PUT,
            &format!("/api/integrations/{id}"),
            Some(json!({"lastSync": "2024-01-01T00:00:00Z"})),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // A bad declared config names the entry and the path.
    let mut bad = d.clone();
    bad.config = json!({"name": "from-yaml", "tags": []});
    let err = declared::apply(&*h.s.store, &sbox, &[bad], 0, (None, None, true))
        .await
        .unwrap_err();
    assert!(err.contains("from-yaml") && err.contains("token"), "{err}");
    // Removed from the file: deleted.
    declared::apply(&*h.s.store, &sbox, &[], 0, (None, None, true))
        .await
        .unwrap();
    assert_eq!(
        h.get(&format!("/api/integrations/{id}"), &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn connector_control_plane(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let id = h.create("default").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (_, row) = h.get(&format!("/api/integrations/{id}"), &[]).await;
    assert_eq!(row["connectorStatus"]["state"], "pending");

    // Status reports show up with the integration.
    let (st, _) = h
        .post(
            &format!("/api/integrations/{id}/status"),
            json!({"state": "error", "lastError": "401 bad credentials", "eventsCollected": 7, "lastSyncAt": "2024-05-01T00:00:00Z"}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, row) = h.get(&format!("/api/integrations/{id}"), &[]).await;
    assert_eq!(row["connectorStatus"]["state"], "error");
    assert_eq!(row["connectorStatus"]["eventsCollected"], 7);
    assert_eq!(row["status"], "error");
    assert_eq!(row["lastSync"], "2024-05-01T00:00:00Z");
    let (st, _) = h
        .post(
            &format!("/api/integrations/{id}/status"),
            json!({"state": "weird"}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // Cursor round trip.
    let (_, c) = h.get(&format!("/api/integrations/{id}/cursor"), &[]).await;
    assert_eq!(c, json!({"cursor": null}));
    let (st, _) = h
        .req(
            Method::PUT,
            &format!("/api/integrations/{id}/cursor"),
            Some(json!({"cursor": {"etag": "x", "n": 3}})),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, c) = h.get(&format!("/api/integrations/{id}/cursor"), &[]).await;
    assert_eq!(c["cursor"]["n"], 3);

    // Heartbeat: generation changes when the integration does; sync
    // requests are handed out once.
    let hb = |h: &H| {
        let url = h.s.url("/api/integrations/types/ghlike/heartbeat");
        let c = h.c.clone();
        async move {
            c.post(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let g1 = hb(&h).await["generation"].clone();
    let (st, s) = h
        .post(&format!("/api/integrations/{id}/sync"), json!({}), &[])
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{s}");
    assert_eq!(s["live"], true);
    let beat = hb(&h).await;
    assert_eq!(beat["sync"], json!([id]));
    assert_eq!(beat["generation"], g1);
    assert_eq!(hb(&h).await["sync"], json!([]));
    h.req(
        Method::PUT,
        &format!("/api/integrations/{id}"),
        Some(json!({"enabled": false})),
        &[],
    )
    .await;
    let (_, row) = h.get(&format!("/api/integrations/{id}"), &[]).await;
    assert_eq!(row["connectorStatus"]["state"], "disabled");
    assert_eq!(row["status"], "inactive");
    assert_ne!(hb(&h).await["generation"], g1);
    let (st, _) = h
        .post(&format!("/api/integrations/{id}/sync"), json!({}), &[])
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "disabled");

    // Connection test: a fake connector answers through the control poll.
    let c = h.c.clone();
    let hb_url = h.s.url("/api/integrations/types/ghlike/heartbeat");
    let base = h.s.base.clone();
    let answerer = tokio::spawn(async move {
        for _ in 0..50 {
            let v: Value = c.post(&hb_url).send().await.unwrap().json().await.unwrap();
            if let Some(t) = v["tests"].as_array().and_then(|t| t.first()) {
                let url = format!(
                    "{base}/api/integrations/types/ghlike/tests/{}",
                    t["id"].as_str().unwrap()
                );
                c.post(url)
                    .json(&json!({"ok": false, "error": "401: Bad credentials"}))
                    .send()
                    .await
                    .unwrap();
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let (st, t) = h
        .post(&format!("/api/integrations/{id}/test"), json!({}), &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["ok"], false);
    assert_eq!(t["message"], "401: Bad credentials");
    answerer.await.unwrap();
}

async fn delete_keeps_events_unless_purged(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let mut ids = vec![];
    for _ in 0..2 {
        let id = h.create("default").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (st, e) = h
            .post(
                "/api/events",
                json!({"title": "t", "connector": "ghlike", "project": "p", "timestamp": "2024-01-01T00:00:00Z",
                       "externalId": "x", "integrationId": id}),
                &[],
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{e}");
        ids.push(id);
    }
    let count = |h: &H, id: String| {
        let url = h.s.url(&format!("/api/events?integrationId={id}"));
        let c = h.c.clone();
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Vec<Value>>()
                .await
                .unwrap()
                .len()
        }
    };
    let (st, _) = h
        .req(
            Method::DELETE,
            &format!("/api/integrations/{}", ids[0]),
            None,
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(count(&h, ids[0].clone()).await, 1, "events stay");
    let (st, _) = h
        .req(
            Method::DELETE,
            &format!("/api/integrations/{}?purge=true", ids[1]),
            None,
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(count(&h, ids[1].clone()).await, 0, "purged");
    assert_eq!(
        h.get(&format!("/api/integrations/{}", ids[1]), &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

/// `integrationId` must name an integration of the caller's tenant:
/// `404 unknown_integration` for one event, a per-item `invalid` in a batch
/// (the rest still stored); no integrationId stays fine; a deleted
/// integration is refused at once, although it was just accepted (cached).
async fn events_must_name_an_existing_integration(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let id = h.create("default").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ev = |ext: &str, integration: Value| {
        let mut e = json!({"title": format!("event {ext}"), "connector": "ghlike", "project": "p",
                           "timestamp": "2024-01-01T00:00:00Z", "externalId": ext});
        if integration != json!("<absent>") {
            e["integrationId"] = integration;
        }
        e
    };
    let (st, b1) = h.post("/api/events", ev("a", json!(id)), &[]).await;
    assert_eq!(st, StatusCode::CREATED, "{b1}");

    let (st, b1) = h
        .post("/api/events", ev("b", json!("no-such-integration")), &[])
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b1}");
    assert_eq!(b1["error"]["code"], "unknown_integration");
    assert_eq!(b1["error"]["field"], "integrationId");
    let msg = b1["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("no-such-integration") && msg.contains("POST /api/integrations"),
        "{msg}"
    );
    // Another tenant's integration is unknown here.
    let (st, b1) = h
        .post(
            "/api/events",
            ev("c", json!(id)),
            &[("x-tenant-id", "other")],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b1}");
    assert_eq!(b1["error"]["code"], "unknown_integration");
    // Seed clients may send no integrationId, or null.
    for (ext, i) in [("d", json!("<absent>")), ("e", Value::Null)] {
        let (st, b1) = h.post("/api/events", ev(ext, i), &[]).await;
        assert_eq!(st, StatusCode::CREATED, "{b1}");
    }

    // Batch: unknown ids are invalid items, the rest is stored.
    let batch = json!([
        ev("f", json!(id)),
        ev("g", json!("nope-1")),
        ev("h", Value::Null),
        ev("i", json!("nope-1")),
        ev("a", json!(id)),
    ]);
    let (st, r) = h.post("/api/events/batch", batch, &[]).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (&r["created"], &r["duplicates"], &r["invalid"]),
        (&json!(2), &json!(1), &json!(2)),
        "{r}"
    );
    let statuses: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["created", "invalid", "created", "invalid", "duplicate"]
    );
    assert_eq!(r["results"][1]["error"]["code"], "unknown_integration");
    assert_eq!(r["results"][1]["error"]["field"], "[1].integrationId");
    assert_eq!(r["results"][3]["error"]["field"], "[3].integrationId");
    let (_, all) = h.get("/api/events?limit=1000", &[]).await;
    assert_eq!(all.as_array().unwrap().len(), 5, "a, d, e, f, h");

    // Deleted: refused at once, also in a batch.
    let (st, _) = h
        .req(
            Method::DELETE,
            &format!("/api/integrations/{id}"),
            None,
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, b1) = h.post("/api/events", ev("j", json!(id)), &[]).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{b1}");
    assert_eq!(b1["error"]["code"], "unknown_integration");
    let (st, r) = h
        .post("/api/events/batch", json!([ev("k", json!(id))]), &[])
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(r["invalid"], 1, "{r}");
    let (_, all) = h.get("/api/events?limit=1000", &[]).await;
    assert_eq!(all.as_array().unwrap().len(), 5, "its events stay");
}

async fn events_with_their_cursor(b: Backend) {
    let Some(h) = H::start(b).await else { return };
    h.register_github_like().await;
    let id = h.create("default").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/integrations/{id}/events");
    let ev = |ext: &str| {
        json!({"title": format!("event {ext}"), "connector": "ghlike", "project": "p",
               "timestamp": "2024-01-01T00:00:00Z", "externalId": ext})
    };
    let mut foreign = ev("d");
    foreign["integrationId"] = json!("someone-else");
    let (st, r) = h
        .post(
            &path,
            json!({"events": [ev("a"), ev("b"), {"title": ""}, foreign], "cursor": {"sha": "abc"}}),
            &[],
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        (&r["created"], &r["invalid"]),
        (&json!(2), &json!(2)),
        "{r}"
    );
    assert_eq!(r["results"][2]["error"]["field"], "events[2].title", "{r}");
    assert_eq!(
        r["results"][3]["error"]["code"], "integration_mismatch",
        "{r}"
    );
    let (_, c) = h.get(&format!("/api/integrations/{id}/cursor"), &[]).await;
    assert_eq!(c["cursor"], json!({"sha": "abc"}));
    // The events are the integration's even though they did not say so.
    let (_, list) = h.get(&format!("/api/events?integrationId={id}"), &[]).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");

    // Duplicates are accepted: the cursor moves; no cursor: it stays.
    let (_, r) = h
        .post(
            &path,
            json!({"events": [ev("a")], "cursor": {"sha": "def"}}),
            &[],
        )
        .await;
    assert_eq!(r["duplicates"], 1, "{r}");
    let (_, r) = h.post(&path, json!({"events": [ev("c")]}), &[]).await;
    assert_eq!(r["created"], 1, "{r}");
    let (_, c) = h.get(&format!("/api/integrations/{id}/cursor"), &[]).await;
    assert_eq!(c["cursor"], json!({"sha": "def"}));

    // Whole-request errors name the field.
    let (st, e) = h.post(&path, json!({"cursor": 1}), &[]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("events"),
        "{e}"
    );
    let (st, e) = h
        .post("/api/integrations/nope/events", json!({"events": []}), &[])
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    assert_eq!(e["error"]["code"], "unknown_integration");
    // Another tenant cannot write this integration's events or cursor.
    let (st, _) = h
        .post(
            &path,
            json!({"events": [ev("z")], "cursor": 9}),
            &[("x-tenant-id", "other")],
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, c) = h.get(&format!("/api/integrations/{id}/cursor"), &[]).await;
    assert_eq!(c["cursor"], json!({"sha": "def"}));
}

async fn all_tenants_tokens_serve_every_tenant(b: Backend) {
    let Some(h) = H::start_with(b, |c| c.auth.enabled = true).await else {
        return;
    };
    let store = &*h.s.store;
    let token = |tenant: &'static str, scope| async move {
        let (_, t) = painchain_server::auth::create_token_in_store(store, tenant, "t", scope)
            .await
            .unwrap();
        format!("Bearer {t}")
    };
    let default_admin = token("default", Scope::Admin).await;
    let acme_admin = token("acme", Scope::Admin).await;
    let acme_ingest = token("acme", Scope::Ingest).await;
    // What an all-tenants token made before connector tokens became.
    let all = token_with(store, "*", Scope::Ingest, Some("*"), None).await;
    let auth = |t: &str| [("authorization", t.to_string())];
    let hdr = |a: &[(&'static str, String)]| -> Vec<(&'static str, String)> { a.to_vec() };
    let call =
        |m: Method, path: String, body: Option<Value>, headers: Vec<(&'static str, String)>| {
            let h = &h;
            async move {
                let hs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                h.req(m, &path, body, &hs).await
            }
        };
    let (st, _) = call(
        Method::POST,
        "/api/integrations/types/register".into(),
        Some(seed_type()),
        hdr(&auth(&all)),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let mut ids = vec![];
    for t in [&default_admin, &acme_admin] {
        let (st, b) = call(
            Method::POST,
            "/api/integrations".into(),
            Some(github_integration()),
            hdr(&auth(t)),
        )
        .await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        ids.push(b["id"].as_str().unwrap().to_string());
    }

    // Every tenant's integrations, each with its tenant and its secrets.
    let (st, list) = call(
        Method::GET,
        "/api/integrations?type=ghlike&allTenants=true".into(),
        None,
        hdr(&auth(&all)),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let mut tenants: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tenantId"].as_str().unwrap())
        .collect();
    tenants.sort();
    assert_eq!(tenants, ["acme", "default"]);
    assert_eq!(list[0]["config"]["token"], TOKEN);
    // Without the flag: the tenant the request names.
    let mut acme = hdr(&auth(&all));
    acme.push(("x-tenant-id", "acme".into()));
    let (_, list) = call(Method::GET, "/api/integrations".into(), None, acme.clone()).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], json!(ids[1]));
    // A tenant's token can't ask for every tenant.
    let (st, e) = call(
        Method::GET,
        "/api/integrations?allTenants=true".into(),
        None,
        hdr(&auth(&acme_ingest)),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (st, _) = call(
        Method::POST,
        "/api/integrations/types/ghlike/heartbeat?allTenants=true".into(),
        None,
        hdr(&auth(&acme_ingest)),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Requests of any tenant reach the all-tenants control poll.
    let (st, _) = call(
        Method::POST,
        format!("/api/integrations/{}/sync", ids[1]),
        Some(json!({})),
        hdr(&auth(&acme_admin)),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (st, beat) = call(
        Method::POST,
        "/api/integrations/types/ghlike/heartbeat?allTenants=true".into(),
        None,
        hdr(&auth(&all)),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{beat}");
    assert_eq!(beat["sync"], json!([ids[1]]));

    // Tests too, answered in the test's tenant.
    let c = h.c.clone();
    let base = h.s.base.clone();
    let all2 = all.clone();
    let answerer = tokio::spawn(async move {
        for _ in 0..80 {
            let v: Value = c
                .post(format!(
                    "{base}/api/integrations/types/ghlike/heartbeat?allTenants=true"
                ))
                .header("authorization", &all2)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(t) = v["tests"].as_array().and_then(|t| t.first()) {
                let url = format!(
                    "{base}/api/integrations/types/ghlike/tests/{}",
                    t["id"].as_str().unwrap()
                );
                let tenant = t["tenantId"].as_str().unwrap();
                // The wrong tenant can't answer it.
                let st = c
                    .post(&url)
                    .header("authorization", &all2)
                    .json(&json!({"ok": true}))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(st, StatusCode::NOT_FOUND);
                let st = c
                    .post(&url)
                    .header("authorization", &all2)
                    .header("x-tenant-id", tenant)
                    .json(&json!({"ok": true}))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(st, StatusCode::NO_CONTENT);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no test handed out");
    });
    let (st, t) = call(
        Method::POST,
        format!("/api/integrations/{}/test", ids[1]),
        Some(json!({})),
        hdr(&auth(&acme_admin)),
    )
    .await;
    assert_eq!((st, &t["ok"]), (StatusCode::OK, &json!(true)), "{t}");
    answerer.await.unwrap();

    // Events go to the tenant the request names, with the cursor.
    let ev = json!({"title": "t", "connector": "ghlike", "project": "p", "timestamp": "2024-01-01T00:00:00Z", "externalId": "e1"});
    let (st, r) = call(
        Method::POST,
        format!("/api/integrations/{}/events", ids[1]),
        Some(json!({"events": [ev], "cursor": 5})),
        acme.clone(),
    )
    .await;
    assert_eq!((st, &r["created"]), (StatusCode::OK, &json!(1)), "{r}");
    let (_, mine) = call(
        Method::GET,
        "/api/events".into(),
        None,
        hdr(&auth(&acme_ingest)),
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, theirs) = call(
        Method::GET,
        "/api/events".into(),
        None,
        hdr(&auth(&default_admin)),
    )
    .await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);
    // Without naming acme, the integration is not found (default tenant).
    let (st, _) = call(
        Method::POST,
        format!("/api/integrations/{}/events", ids[1]),
        Some(json!({"events": []})),
        hdr(&auth(&all)),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

/// Two replicas on one PostgreSQL database: a sync or test requested on A
/// reaches a connector polling B, and B's answer reaches A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_cross_replicas() {
    let Some(a) = H::start(Backend::Postgres).await else {
        return;
    };
    let b = H {
        s: a.s.start_replica().await.expect("a replica"),
        c: reqwest::Client::new(),
        dir: tempfile::tempdir().unwrap(),
    };
    a.register_github_like().await;
    let id = a.create("default").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = a
        .post(&format!("/api/integrations/{id}/sync"), json!({}), &[])
        .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (_, beat) = b
        .post("/api/integrations/types/ghlike/heartbeat", json!({}), &[])
        .await;
    assert_eq!(beat["sync"], json!([id]));
    let (_, beat) = a
        .post("/api/integrations/types/ghlike/heartbeat", json!({}), &[])
        .await;
    assert_eq!(beat["sync"], json!([]), "handed out once, across replicas");

    let c = b.c.clone();
    let base = b.s.base.clone();
    let answerer = tokio::spawn(async move {
        for _ in 0..80 {
            let v: Value = c
                .post(format!("{base}/api/integrations/types/ghlike/heartbeat"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(t) = v["tests"].as_array().and_then(|t| t.first()) {
                let url = format!(
                    "{base}/api/integrations/types/ghlike/tests/{}",
                    t["id"].as_str().unwrap()
                );
                let st = c
                    .post(url)
                    .json(&json!({"ok": false, "error": "403: token lacks repo scope"}))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(st, StatusCode::NO_CONTENT);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no test handed out");
    });
    let (st, t) = a
        .post(&format!("/api/integrations/{id}/test"), json!({}), &[])
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["message"], "403: token lacks repo scope");
    answerer.await.unwrap();
    drop(b);
}
