//! A JSON value borrowed from the text it was read from: a string without escapes is a
//! slice of the line, not a copy. A production reads every record of an export of
//! gigabytes and writes most of them back; with `serde_json::Value` each string, each
//! field name and each object's index was a fresh allocation, and allocating was the
//! largest single cost of a production (`docs/benchmarks.md`, "Production").
//!
//! It reads and writes as `serde_json::Value` does with its `preserve_order` feature
//! (which this workspace has on): members in the order written, a name written twice
//! keeping its first place and its last value, numbers as `serde_json::Number`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;

/// A JSON value whose strings borrow from the text read, where they can.
#[derive(Debug, Clone, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// A JSON object's members, in the order written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

/// Beyond this many members, finding a name written twice goes through a hash map rather
/// than a look at each member, so that a hostile line of a million names is not quadratic.
const LINEAR: usize = 16;

impl<'a> Object<'a> {
    pub fn with_capacity(n: usize) -> Self {
        Object(Vec::with_capacity(n))
    }

    pub fn get(&self, name: &str) -> Option<&Json<'a>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Takes a member out, keeping the others in order.
    pub fn remove(&mut self, name: &str) -> Option<Json<'a>> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(at).1)
    }

    /// Adds a member at the end. The caller knows the name is not there yet: a builder of
    /// a record as it leaves.
    pub fn push(&mut self, name: impl Into<Cow<'a, str>>, value: Json<'a>) {
        self.0.push((name.into(), value));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v))
    }

    /// The members with their names as read, for a copy that borrows what this borrows.
    pub fn members(&self) -> impl Iterator<Item = (&Cow<'a, str>, &Json<'a>)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// The first member's name.
    pub fn first_name(&self) -> Option<&str> {
        self.0.first().map(|(n, _)| n.as_ref())
    }
}

impl<'a> FromIterator<(Cow<'a, str>, Json<'a>)> for Object<'a> {
    fn from_iter<I: IntoIterator<Item = (Cow<'a, str>, Json<'a>)>>(members: I) -> Self {
        Object(members.into_iter().collect())
    }
}

impl<'a> Json<'a> {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => serializer.serialize_unit(),
            Json::Bool(b) => serializer.serialize_bool(*b),
            Json::Number(n) => n.serialize(serializer),
            Json::String(s) => serializer.serialize_str(s),
            Json::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(object) => object.serialize(serializer),
        }
    }
}

impl Serialize for Object<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name.as_ref(), value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Self::Value, E> {
        // As serde_json's Value: a float JSON cannot hold is null.
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(s)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        Deserialize::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members: Vec<(Cow<'de, str>, Json<'de>)> = Vec::new();
        // Where each name is, once there are too many members to look at each.
        let mut index: Option<HashMap<Cow<'de, str>, usize>> = None;
        while let Some(Name(name)) = map.next_key()? {
            let value: Json<'de> = map.next_value()?;
            let before = match &mut index {
                Some(index) => index.get(&name).copied(),
                None => members.iter().position(|(n, _)| *n == name),
            };
            match before {
                Some(at) => members[at].1 = value,
                None => {
                    if let Some(index) = &mut index {
                        index.insert(name.clone(), members.len());
                    }
                    members.push((name, value));
                    if index.is_none() && members.len() > LINEAR {
                        index = Some(members.iter().enumerate().map(|(i, (n, _))| (n.clone(), i)).collect());
                    }
                }
            }
        }
        Ok(Json::Object(Object(members)))
    }
}

/// A member's name, borrowed where it has no escape.
struct Name<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = Name<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member's name")
            }

            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(s)))
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(s.to_owned())))
            }

            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(s)))
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// Reads `text` as one JSON value, borrowing its strings.
pub fn from_str(text: &str) -> serde_json::Result<Json<'_>> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Reads `text` both ways and checks that the borrowed value writes back byte for byte
    /// as `serde_json::Value` does: the same members in the same order, the same numbers.
    fn same_as_value(text: &str) {
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let json = from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&json).unwrap(), serde_json::to_string(&value).unwrap(), "{text}");
    }

    #[test]
    fn it_reads_and_writes_as_serde_json_value_does() {
        for text in [
            r#"{"b":1,"a":[true,false,null],"c":{"z":"x","y":-2}}"#,
            r#"{"n":1.0,"m":1e300,"k":-0.0,"big":18446744073709551615,"neg":-9223372036854775808}"#,
            r#"{"esc":"a\"b\\c\u00e9\ud83d\ude00\n","plain":"déjà vu","\u0061b":"escaped name"}"#,
            r#"{"twice":1,"other":2,"twice":3}"#,
            r#"[[],{},"",0]"#,
            "\"text\"",
        ] {
            same_as_value(text);
        }
        // A name written twice among many members: the hash map's path.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 25)).collect();
        same_as_value(&format!("{{{}}}", many.join(",")));
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text = r#"{"plain":"abc","escaped":"a\nb"}"#;
        let Json::Object(object) = from_str(text).unwrap() else { panic!("an object") };
        let members: Vec<_> = object.0.iter().collect();
        assert!(matches!(members[0], (Cow::Borrowed("plain"), Json::String(Cow::Borrowed("abc")))));
        assert!(matches!(members[1].1, Json::String(Cow::Owned(_))));
    }

    #[test]
    fn bad_json_is_refused_as_serde_json_refuses_it() {
        for text in ["{", r#"{"a":}"#, "[1,]", r#"{"a":1}x"#, "[1e400]", &"[".repeat(200)] {
            let ours = from_str(text).map(|_| ()).map_err(|e| e.to_string());
            let theirs =
                serde_json::from_str::<serde_json::Value>(text).map(|_| ()).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{text}");
            assert!(ours.is_err());
        }
    }
}
