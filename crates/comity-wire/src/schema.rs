//! The published JSON Schema of the request document.
//!
//! OpenAPI 3.1 schema objects are JSON Schema 2020-12, so the schema utoipa derives from
//! [`RequestDocument`] for the OpenAPI description is also the standalone JSON Schema:
//! one source, two publications. Only the reference prefix differs
//! (`#/components/schemas/` in OpenAPI, `#/$defs/` in JSON Schema).

use serde_json::{Value, json};
use utoipa::{PartialSchema, ToSchema};

use crate::RequestDocument;

/// The `$id` of the request document schema.
pub const REQUEST_SCHEMA_ID: &str = "https://comity.dev/schemas/request-v1.schema.json";

/// The JSON Schema (draft 2020-12) of the request document, version 1.
pub fn request_schema() -> Value {
    let mut defs = serde_json::Map::new();
    let mut nested = Vec::new();
    RequestDocument::schemas(&mut nested);
    for (name, schema) in nested {
        defs.insert(name, to_value(&schema));
    }
    let mut root = to_value(&RequestDocument::schema());
    if let Value::Object(map) = &mut root {
        map.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        map.insert("$id".into(), json!(REQUEST_SCHEMA_ID));
        map.insert("$defs".into(), Value::Object(defs));
    }
    rewrite_refs(&mut root);
    root
}

fn to_value<T: serde::Serialize>(schema: &T) -> Value {
    // Serializing a utoipa schema into a `Value` cannot fail: it is plain data.
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

pub(crate) fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(s) = v
                    && let Some(name) = s.strip_prefix("#/components/schemas/")
                {
                    *s = format!("#/$defs/{name}");
                }
                rewrite_refs(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}
