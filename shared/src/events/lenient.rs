//! Deserializers for the fields that do not identify an event: whatever type AWS sends, they
//! never fail the event.
//!
//! A monitoring tool that drops an event because an optional field changed type loses exactly
//! the events people need; so a scalar is kept as its text (`"4.0"`, `"123"`) and anything else
//! (an object where text was expected) is read as absent.

use std::fmt;

use serde::Deserializer;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Any JSON scalar as text; `null`, an object or an array as `None`.
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(TextVisitor)
}

/// An array's scalar items as text; anything else as an empty list.
pub(crate) fn texts<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    deserializer.deserialize_any(TextsVisitor)
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

struct TextsVisitor;

impl<'de> Visitor<'de> for TextsVisitor {
    type Value = Vec<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(TextSeed)? {
            items.extend(item);
        }
        Ok(items)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        TextVisitor.visit_map(map).map(|_| Vec::new())
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![v.to_owned()])
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

struct TextSeed;

impl<'de> serde::de::DeserializeSeed<'de> for TextSeed {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        text(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "super::text")]
        value: Option<String>,
        #[serde(default, deserialize_with = "super::texts")]
        list: Vec<String>,
    }

    fn probe(json: &str) -> (Option<String>, Vec<String>) {
        let p: Probe = serde_json::from_str(json).unwrap();
        (p.value, p.list)
    }

    #[test]
    fn scalars_are_kept_as_text_and_shapes_are_read_as_absent() {
        assert_eq!(probe(r#"{"value": "0"}"#).0.as_deref(), Some("0"));
        assert_eq!(probe(r#"{"value": 4.0}"#).0.as_deref(), Some("4"));
        assert_eq!(probe(r#"{"value": 123456789012}"#).0.as_deref(), Some("123456789012"));
        assert_eq!(probe(r#"{"value": true}"#).0.as_deref(), Some("true"));
        assert_eq!(probe(r#"{"value": null}"#).0, None);
        assert_eq!(probe(r#"{"value": {"a": [1, {"b": 2}]}}"#).0, None);
        assert_eq!(probe(r#"{"value": [1, 2]}"#).0, None);
        assert_eq!(probe(r#"{}"#).0, None);
    }

    #[test]
    fn lists_keep_their_scalar_items() {
        assert_eq!(probe(r#"{"list": ["a", 1, null, {"x": 1}]}"#).1, ["a", "1"]);
        assert_eq!(probe(r#"{"list": "arn:a"}"#).1, ["arn:a"]);
        assert_eq!(probe(r#"{"list": {"a": 1}}"#).1, Vec::<String>::new());
        assert_eq!(probe(r#"{"list": null}"#).1, Vec::<String>::new());
    }
}
