//! `painchain token create|list|revoke`, over HTTP or, with `--local`,
//! directly against the store (the bootstrap path for the first admin token).

use anyhow::{anyhow, Result};
use painchain_core::{
    token::{Scope, TokenInfo},
    DEFAULT_TENANT,
};
use reqwest::Method;
use serde_json::json;

use crate::{
    cli::{ServerArgs, StoreArgs},
    client::Client,
    serve::open_local_store,
    table,
};

/// Prints a new token: the bare secret on stdout (so
/// `TOKEN=$(painchain token create ...)` works), details on stderr.
fn print_created(info: &TokenInfo, secret: &str, json_out: bool) -> Result<()> {
    if json_out {
        let mut v = serde_json::to_value(info)?;
        v["token"] = json!(secret);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let connector = info
            .connector
            .as_deref()
            .map(|c| format!(", connector {c}"))
            .unwrap_or_default();
        let expires = info
            .expires_at
            .map(|e| format!(", expires {}", painchain_core::time::format(e)))
            .unwrap_or_default();
        eprintln!(
            "created token {:?} (id {}, scope {}, tenant {}{connector}{expires}); it is shown only once:",
            info.name,
            info.id,
            info.scope.as_str(),
            info.tenant_id
        );
        println!("{secret}");
    }
    Ok(())
}

/// What kind of token `painchain token create` makes.
pub struct Kind<'a> {
    pub scope: Option<&'a str>,
    /// A connector token's type.
    pub connector: Option<&'a str>,
    /// `90d`, `12h`...
    pub expires: Option<&'a str>,
}

#[allow(clippy::too_many_arguments)]
pub async fn create(
    server: &ServerArgs,
    store: &StoreArgs,
    local: bool,
    name: &str,
    kind: Kind<'_>,
    tenant: Option<&str>,
    json_out: bool,
) -> Result<()> {
    let scope = match (kind.scope, kind.connector) {
        (Some(s), Some(_)) if s != "ingest" => {
            return Err(anyhow!(
                "a connector token's scope is ingest (leave --scope out)"
            ))
        }
        (_, Some(_)) => "ingest",
        (Some(s), None) => s,
        (None, None) => return Err(anyhow!("--scope or --connector is required")),
    };
    let parsed = Scope::parse(scope).ok_or_else(|| anyhow!("unknown scope {scope:?}"))?;
    let expires_at = match kind.expires {
        None => None,
        Some(e) => {
            let d = painchain_core::time::parse_duration(e)
                .filter(|d| *d > chrono::Duration::zero())
                .ok_or_else(|| {
                    anyhow!("--expires: expected a duration such as 90d or 12h, got {e:?}")
                })?;
            Some(chrono::Utc::now() + d)
        }
    };
    let spec = painchain_server::auth::TokenSpec {
        scope: parsed,
        connector: kind.connector.map(String::from),
        expires_at,
    };
    if local {
        let tenant = tenant.unwrap_or(DEFAULT_TENANT);
        if tenant != painchain_core::token::ALL_TENANTS
            && !painchain_server::auth::valid_tenant(tenant)
        {
            return Err(anyhow!(
                "--tenant must be 1-128 characters of letters, digits and -_.:@"
            ));
        }
        let store = open_local_store(store).await?;
        let created =
            painchain_server::auth::create_token_in_store_with(store.as_ref(), tenant, name, &spec)
                .await;
        store.close().await;
        let (info, secret) = created?;
        return print_created(&info, &secret, json_out);
    }
    let client = Client::new(server)?;
    let mut body = json!({"name": name, "scope": scope});
    if let Some(t) = tenant {
        body["tenant"] = json!(t);
    }
    if let Some(c) = &spec.connector {
        body["connector"] = json!(c);
    }
    if let Some(at) = spec.expires_at {
        body["expiresAt"] = json!(painchain_core::time::format(at));
    }
    let v: serde_json::Value = client
        .json(client.request(Method::POST, "/api/tokens").json(&body))
        .await?;
    let secret = v["token"].as_str().unwrap_or_default().to_string();
    let info: TokenInfo = serde_json::from_value(v)?;
    print_created(&info, &secret, json_out)
}

pub async fn list(
    server: &ServerArgs,
    store: &StoreArgs,
    local: bool,
    json_out: bool,
) -> Result<()> {
    let tokens: Vec<TokenInfo> = if local {
        let store = open_local_store(store).await?;
        let r = store.list_tokens(None).await;
        store.close().await;
        r?
    } else {
        let client = Client::new(server)?;
        client
            .json(client.request(Method::GET, "/api/tokens"))
            .await?
    };
    if json_out {
        println!("{}", serde_json::to_string_pretty(&tokens)?);
    } else if tokens.is_empty() {
        eprintln!("no tokens");
    } else {
        println!("{}", table::tokens(&tokens));
    }
    Ok(())
}

pub async fn revoke(server: &ServerArgs, store: &StoreArgs, local: bool, id: &str) -> Result<()> {
    if local {
        let store = open_local_store(store).await?;
        let r = store.revoke_token(None, id).await;
        store.close().await;
        if !r? {
            return Err(anyhow!("no token with id {id:?}"));
        }
    } else {
        let client = Client::new(server)?;
        client
            .send(client.request(Method::DELETE, &format!("/api/tokens/{id}")))
            .await?;
    }
    eprintln!("revoked token {id}");
    Ok(())
}
