//! The OpenAPI document is a committed contract: `docs/openapi.json` must be
//! exactly what the server serves, so a change to a handler's types shows
//! up in review (and the UI's generated TypeScript types follow it).
//! After an intended change: `UPDATE_OPENAPI=1 cargo test -p painchain-server --test openapi_contract`.

use std::path::Path;

use utoipa::OpenApi;

#[test]
fn committed_openapi_document_matches_the_server() {
    let live = painchain_server::openapi::ApiDoc::openapi()
        .to_pretty_json()
        .expect("the document serialises")
        + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &live).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == live,
        "docs/openapi.json is out of date with the server's handlers; regenerate it with \
         `UPDATE_OPENAPI=1 cargo test -p painchain-server --test openapi_contract` \
         (then `npm run gen:api` in ui/) and commit both"
    );
}
