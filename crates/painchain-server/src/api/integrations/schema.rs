//! Config schemas: connectors register either the seed's
//! `{fields: [{key, label, type, required, ...}]}` form or a JSON Schema.
//! Both are normalized to one JSON Schema, validated with the `jsonschema`
//! crate, and walked to find which config paths hold secrets.

use serde_json::{json, Map, Value};

/// What every integration config must have, whatever its type: the seed
/// contract requires `config.name` and `config.tags` (tags as an array, or
/// the JSON-encoded array string the seed's UI textarea sends).
pub fn base_schema() -> Value {
    json!({
        "type": "object",
        "required": ["name", "tags"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "tags": {"type": ["array", "string"], "items": {"type": "string"}}
        }
    })
}

/// Whether a registered schema is the seed's `fields` form.
pub fn is_fields_form(schema: &Value) -> bool {
    schema.get("fields").is_some_and(Value::is_array)
}

/// Normalizes a registered `configSchema` to JSON Schema, or says why it is
/// unusable (naming the offending path).
pub fn normalize(schema: &Value) -> Result<Value, String> {
    if !schema.is_object() {
        return Err("configSchema must be an object: {fields: [...]} or a JSON Schema".into());
    }
    let out = if is_fields_form(schema) {
        from_fields(schema["fields"].as_array().unwrap())?
    } else {
        let t = schema.get("type");
        if t.is_some_and(|t| t != "object") {
            return Err("configSchema: a JSON Schema for a config must have `type: object`".into());
        }
        schema.clone()
    };
    // The crate rejects schemas that are not valid JSON Schema (a bad
    // `type`, a broken `pattern`...).
    jsonschema::validator_for(&out)
        .map_err(|e| format!("configSchema is not a valid JSON Schema: {e}"))?;
    Ok(out)
}

fn from_fields(fields: &[Value]) -> Result<Value, String> {
    let mut props = Map::new();
    let mut required = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let at = format!("configSchema.fields[{i}]");
        let key = f
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| format!("{at}.key is required (a non-empty string)"))?;
        let ty = f.get("type").and_then(Value::as_str).unwrap_or("text");
        let mut p = match ty {
            "text" | "textarea" | "url" | "email" | "select" => json!({"type": "string"}),
            "password" => json!({"type": "string", "format": "password", "x-secret": true}),
            // Forms send numbers and booleans as strings often enough that
            // refusing them would only break the seed's UI.
            "number" => json!({"type": ["number", "string"]}),
            "checkbox" | "boolean" => json!({"type": ["boolean", "string"]}),
            other => {
                return Err(format!(
                    "{at}.type `{other}` is not one of text, textarea, password, number, checkbox"
                ))
            }
        };
        if key == "tags" {
            p = json!({"type": ["array", "string"], "items": {"type": "string"}});
        }
        let m = p.as_object_mut().unwrap();
        for (from, to) in [
            ("label", "title"),
            ("help", "description"),
            ("placeholder", "x-placeholder"),
        ] {
            if let Some(v) = f.get(from) {
                m.insert(to.into(), v.clone());
            }
        }
        if let Some(v) = f.get("default") {
            m.insert("default".into(), v.clone());
        }
        if ty == "number" {
            for k in ["min", "max"] {
                if let Some(v) = f.get(k).filter(|v| v.is_number()) {
                    m.insert(
                        if k == "min" { "minimum" } else { "maximum" }.into(),
                        v.clone(),
                    );
                }
            }
        }
        if let Some(opts) = f.get("options").and_then(Value::as_array) {
            let values: Vec<Value> = opts
                .iter()
                .map(|o| o.get("value").cloned().unwrap_or_else(|| o.clone()))
                .collect();
            m.insert("enum".into(), Value::Array(values));
        }
        m.insert("x-field-type".into(), json!(ty));
        if f.get("required").and_then(Value::as_bool).unwrap_or(false) {
            required.push(json!(key));
        }
        props.insert(key.to_string(), p);
    }
    Ok(json!({"type": "object", "properties": props, "required": required}))
}

/// One failing path of a config.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    /// Dotted path from the request body: `config.token`, `config.repos[0].name`.
    pub path: String,
    pub message: String,
}

/// Validates `config` against the base schema and the type's schema,
/// returning every problem (empty = valid). Messages never quote values of
/// secret paths.
pub fn validate(schema: &Value, config: &Value, secret: &dyn Fn(&str) -> bool) -> Vec<Problem> {
    let mut out = Vec::new();
    for s in [&base_schema(), schema] {
        let Ok(v) = jsonschema::validator_for(s) else {
            continue; // checked at registration
        };
        for e in v.iter_errors(config) {
            let pointer = e.instance_path().to_string();
            let path = dotted(&pointer);
            let message = if secret(&path) {
                "is not valid (value hidden: it is a secret)".to_string()
            } else {
                e.to_string()
            };
            let p = Problem { path, message };
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// `/repos/0/name` → `config.repos[0].name`.
fn dotted(pointer: &str) -> String {
    let mut s = String::from("config");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.parse::<usize>().is_ok() {
            s.push_str(&format!("[{seg}]"));
        } else {
            s.push('.');
            s.push_str(&seg);
        }
    }
    s
}

/// Config keys that are secret whatever the schema says.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.ends_with("token")
        || k.ends_with("secret")
        || k.ends_with("password")
        || matches!(
            k.as_str(),
            "apikey" | "api_key" | "privatekey" | "private_key" | "credentials"
        )
}

/// JSON pointers (with `*` for any array item) of properties the schema
/// marks secret: `format: password`, `x-secret: true` or `writeOnly: true`.
pub fn secret_pointers(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, String::new(), &mut out);
    out
}

fn walk(s: &Value, at: String, out: &mut Vec<String>) {
    let Some(obj) = s.as_object() else {
        return;
    };
    let marked = obj.get("format").and_then(Value::as_str) == Some("password")
        || obj.get("x-secret").and_then(Value::as_bool) == Some(true)
        || obj.get("writeOnly").and_then(Value::as_bool) == Some(true);
    if marked && !at.is_empty() {
        out.push(at.clone());
    }
    if let Some(props) = obj.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            walk(v, format!("{at}/{k}"), out);
        }
    }
    if let Some(items) = obj.get("items") {
        walk(items, format!("{at}/*"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_form_becomes_json_schema() {
        let s = normalize(&json!({"fields": [
            {"key": "name", "label": "Name", "type": "text", "required": true},
            {"key": "tags", "type": "textarea", "required": true},
            {"key": "apiKey", "type": "password", "required": true},
            {"key": "interval", "type": "number", "min": 10}
        ]}))
        .unwrap();
        assert_eq!(s["properties"]["apiKey"]["format"], "password");
        assert_eq!(s["properties"]["interval"]["minimum"], 10);
        assert_eq!(s["required"], json!(["name", "tags", "apiKey"]));
        assert_eq!(secret_pointers(&s), vec!["/apiKey".to_string()]);
    }

    #[test]
    fn bad_schemas_are_named() {
        assert!(normalize(&json!({"fields": [{"label": "x"}]}))
            .unwrap_err()
            .contains("fields[0].key"));
        assert!(
            normalize(&json!({"type": "object", "properties": {"a": {"type": "nope"}}})).is_err()
        );
        assert!(normalize(&json!("x")).is_err());
    }

    #[test]
    fn validation_lists_every_path() {
        let s = normalize(
            &json!({"type": "object", "required": ["token"], "properties": {
                "token": {"type": "string", "format": "password"},
                "repos": {"type": "array", "items": {"type": "object", "required": ["name"]}}
            }}),
        )
        .unwrap();
        let p = validate(
            &s,
            &json!({"tags": "[]", "repos": [{}], "token": 5}),
            &|p| p.ends_with("token"),
        );
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"config"), "{p:?}"); // name missing
        assert!(paths.contains(&"config.repos[0]"), "{p:?}");
        assert!(paths.contains(&"config.token"), "{p:?}");
        assert!(!p
            .iter()
            .any(|p| p.message.contains('5') && p.path == "config.token"));
    }

    #[test]
    fn nested_secret_pointers() {
        let s = json!({"type": "object", "properties": {
            "webhook": {"type": "object", "properties": {"key": {"type": "string", "x-secret": true}}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"pw": {"type": "string", "writeOnly": true}}}}
        }});
        let mut p = secret_pointers(&s);
        p.sort();
        assert_eq!(
            p,
            vec!["/list/*/pw".to_string(), "/webhook/key".to_string()]
        );
        assert!(
            is_secret_key("githubToken") && is_secret_key("secret") && !is_secret_key("tokenUrl")
        );
    }
}
