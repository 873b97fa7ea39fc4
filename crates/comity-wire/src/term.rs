//! A vocabulary term on the wire.
//!
//! [`Term<T>`] serializes any `comity_core::Vocabulary` as its spelling, refuses unknown
//! spellings with the list of known ones, and describes itself in JSON Schema as an
//! `enum`, so each vocabulary is listed once (in `comity-core`) and nowhere else.

use std::{fmt, marker::PhantomData};

use comity_core::Vocabulary;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use utoipa::openapi::{
    Array, ArrayBuilder, ObjectBuilder, RefOr, Schema, Type,
    schema::{OneOfBuilder, SchemaType},
};

/// A term of the vocabulary `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Term<T>(pub T);

impl<T: Vocabulary> Serialize for Term<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

impl<'de, T: Vocabulary> Deserialize<'de> for Term<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(PhantomData<T>);
        impl<T: Vocabulary> de::Visitor<'_> for Visitor<T> {
            type Value = Term<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "one of: {}", spellings::<T>())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Term<T>, E> {
                T::parse(v).map(Term).ok_or_else(|| {
                    E::custom(format!("unknown value {v:?}, expected one of: {}", spellings::<T>()))
                })
            }
        }
        deserializer.deserialize_str(Visitor(PhantomData))
    }
}

fn spellings<T: Vocabulary>() -> String {
    T::all().iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
}

/// The JSON Schema of one term of `T`: a string enumeration.
pub fn schema<T: Vocabulary>() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(T::all().iter().map(|t| t.as_str())))
        .into()
}

/// The schema of an optional term: the enumeration or `null`.
pub fn optional_schema<T: Vocabulary>() -> Schema {
    OneOfBuilder::new()
        .item(schema::<T>())
        .item(ObjectBuilder::new().schema_type(SchemaType::Type(Type::Null)))
        .into()
}

/// The schema of a list of terms without repetition.
pub fn list_schema<T: Vocabulary>() -> Array {
    ArrayBuilder::new().items(RefOr::T(schema::<T>())).unique_items(true).min_items(Some(1)).build()
}
