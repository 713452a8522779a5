//! Streaming parse of batch bodies: the array's items are handed out one
//! `Value` at a time while the bytes are read, so a 15 MB batch never
//! exists as one JSON tree next to its bytes and its events.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::{error::ApiError, extract::malformed};

type Sink<'f> = &'f mut dyn FnMut(usize, Value);

/// `[item, ...]`: each item goes to `sink` with its index.
pub fn parse_array(bytes: &[u8], sink: Sink<'_>) -> Result<(), ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Items {
        sink,
        field: "body",
    }
    .deserialize(&mut de)
    .map_err(|e| shape_or_syntax(e, "body", "the batch body must be a JSON array of events"))?;
    de.end().map_err(malformed)
}

/// `{"events": [item, ...], "cursor": ...}`: items go to `sink`; returns
/// the cursor. Unknown keys are ignored.
pub fn parse_integration_batch(bytes: &[u8], sink: Sink<'_>) -> Result<Option<Value>, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let cursor = (&mut de).deserialize_map(Envelope { sink }).map_err(|e| {
        shape_or_syntax(
            e,
            "events",
            "the body must be {\"events\": [...], \"cursor\": ...}",
        )
    })?;
    de.end().map_err(malformed)?;
    // The items are checked as events; the cursor is stored as it came, so
    // it must be storable on both backends too.
    if let Some(at) = cursor.as_ref().and_then(painchain_core::nul_path) {
        let field = if at == "body" {
            "cursor".to_string()
        } else {
            format!("cursor.{at}")
        };
        return Err(ApiError::BadRequest {
            code: "invalid_field",
            message: format!("`{field}` must not contain NUL (\\u0000) characters"),
            field: Some(field),
        });
    }
    Ok(cursor)
}

/// A syntax error is `malformed_json`; a wrong shape names the field.
fn shape_or_syntax(e: serde_json::Error, field: &str, message: &str) -> ApiError {
    if e.is_data() {
        ApiError::BadRequest {
            code: "invalid_type",
            message: format!("{message} ({e})"),
            field: Some(field.into()),
        }
    } else {
        malformed(e)
    }
}

struct Items<'f> {
    sink: Sink<'f>,
    field: &'static str,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "`{}`: a JSON array of events", self.field)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while let Some(item) = seq.next_element::<Value>()? {
            (self.sink)(i, item);
            i += 1;
        }
        Ok(())
    }
}

struct Envelope<'f> {
    sink: Sink<'f>,
}

impl<'de> Visitor<'de> for Envelope<'_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with `events` (an array) and an optional `cursor`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let mut cursor = None;
        let mut events = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "events" => {
                    map.next_value_seed(Items {
                        sink: &mut *self.sink,
                        field: "events",
                    })?;
                    events = true;
                }
                // `null` is "no cursor", as before.
                "cursor" => cursor = map.next_value::<Option<Value>>()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !events {
            return Err(serde::de::Error::missing_field("events"));
        }
        Ok(cursor)
    }
}
