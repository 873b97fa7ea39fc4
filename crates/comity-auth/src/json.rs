//! Strict JSON: objects with a duplicate member are refused at every depth.
//!
//! `serde_json` keeps the last of two members with the same name. RFC 7515 §5.2 (step 4)
//! and RFC 7519 §4 allow a parser either to refuse duplicates or to keep the last one;
//! comity refuses them, because a signed document that two readers can read differently
//! (one keeping the first `request`, another the last) proves nothing. Nesting depth is
//! bounded by `serde_json`'s recursion limit (128).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::shown::Shown;

/// Parses `bytes` as one JSON object without duplicate members at any depth.
///
/// The error is a sentence that says what is wrong, without the input's text apart from
/// an escaped, truncated member name.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Strict>(bytes) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        Ok(Strict(other)) => Err(format!("it is a JSON {}, not an object", kind(&other))),
        // A data error can only come from `StrictVisitor`, whose message quotes the
        // member name escaped already; the others are syntax errors, which may quote
        // the input.
        Err(e) if e.is_data() => Err(e.to_string()),
        Err(e) => Err(format!("it is not valid JSON: {}", Shown::long(&e.to_string()))),
    }
}

/// The JSON type of a value, for messages.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JSON value from outside, for a message: a string escaped and cut, another value by
/// its type only.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => Shown::short(s).to_string(),
        other => format!("a JSON {}", kind(other)),
    }
}

/// A `serde_json::Value` read by [`StrictVisitor`].
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // JSON has no NaN or infinity, so `from_f64` only fails on values serde_json
        // cannot produce; null is what serde_json's own `Value` would hold then.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            if map.contains_key(&name) {
                return Err(de::Error::custom(format_args!(
                    "the member {} appears twice",
                    Shown::short(&name)
                )));
            }
            let Strict(value) = access.next_value()?;
            map.insert(name, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_duplicates_at_every_depth() {
        for (input, expected) in [
            (r#"{"a":1}"#, Ok(())),
            (r#"{"a":1,"a":1}"#, Err("appears twice")),
            (r#"{"a":{"b":[{"c":1,"c":2}]}}"#, Err("appears twice")),
            (r#"[1]"#, Err("JSON array, not an object")),
            (r#"{"a":1} x"#, Err("not valid JSON")),
            ("", Err("not valid JSON")),
        ] {
            let got = parse_object(input.as_bytes()).map(|_| ());
            match (got, expected) {
                (Ok(()), Ok(())) => {}
                (Err(message), Err(part)) => assert!(message.contains(part), "{input}: {message}"),
                (got, expected) => panic!("{input}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
        assert!(parse_object(deep.as_bytes()).is_err());
    }
}
