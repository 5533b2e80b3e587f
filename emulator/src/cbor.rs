//! CBOR helpers for Smithy RPC v2: a small map builder for responses (timestamps as tag 1,
//! absent members omitted) and a typed view of request maps.
//!
//! The CodeConnections operations are written once, against this data model, and serve both
//! of the service's protocols: it is the richer of the two (a timestamp is a tagged value, not
//! a bare number), so awsJson1_0 is derived from it ([`to_json`], [`CborRequest::from_json`])
//! and only the codec differs between the routes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ciborium::Value;

use crate::error::ApiError;

/// CBOR tag 1: epoch-based date/time (RFC 8949 §3.4.2), the only timestamp form RPC v2 allows.
const EPOCH_TAG: u64 = 1;

/// A timestamp as RPC v2 sends it: tag 1 around whole seconds, or a float when there are
/// milliseconds (the protocol's resolution).
pub fn timestamp(t: DateTime<Utc>) -> Value {
    let millis = t.timestamp_subsec_millis();
    let inner = if millis == 0 {
        Value::Integer(t.timestamp().into())
    } else {
        Value::Float(epoch_float(t.timestamp(), millis))
    };
    Value::Tag(EPOCH_TAG, Box::new(inner))
}

/// Seconds plus milliseconds as the float that reads back as exactly those milliseconds.
/// The Rust SDK truncates decoded timestamps to milliseconds, so the nearest double to
/// `x.208` (which may lie just below it) would come back as `.207`; step up until it doesn't.
fn epoch_float(secs: i64, millis: u32) -> f64 {
    let mut f = secs as f64 + f64::from(millis) / 1000.0;
    if f > 0.0 {
        for _ in 0..8 {
            let rem = f - f.floor();
            if (rem * 1e9) as u32 / 1_000_000 >= millis {
                break;
            }
            f = f64::from_bits(f.to_bits() + 1);
        }
    }
    f
}

/// Builds a CBOR map member by member; `opt_*` members are left out when absent, because
/// RPC v2 omits null members rather than encoding them.
#[derive(Debug, Default, Clone)]
pub struct CborMap(Vec<(Value, Value)>);

impl CborMap {
    /// An empty map.
    pub fn new() -> Self {
        CborMap(Vec::new())
    }

    /// Any value.
    pub fn value(mut self, key: &str, value: Value) -> Self {
        self.0.push((Value::Text(key.to_owned()), value));
        self
    }

    /// A text member (strings and enum values alike).
    pub fn text(self, key: &str, value: &str) -> Self {
        self.value(key, Value::Text(value.to_owned()))
    }

    /// A text member, omitted when absent.
    pub fn opt_text(self, key: &str, value: Option<&str>) -> Self {
        match value {
            Some(v) => self.text(key, v),
            None => self,
        }
    }

    /// A timestamp member (tag 1).
    pub fn timestamp(self, key: &str, value: DateTime<Utc>) -> Self {
        self.value(key, timestamp(value))
    }

    /// A timestamp member, omitted when absent.
    pub fn opt_timestamp(self, key: &str, value: Option<DateTime<Utc>>) -> Self {
        match value {
            Some(v) => self.timestamp(key, v),
            None => self,
        }
    }

    /// A nested structure.
    pub fn map(self, key: &str, value: CborMap) -> Self {
        self.value(key, value.build())
    }

    /// A nested structure, omitted when absent.
    pub fn opt_map(self, key: &str, value: Option<CborMap>) -> Self {
        match value {
            Some(v) => self.map(key, v),
            None => self,
        }
    }

    /// A list of structures.
    pub fn list(self, key: &str, items: impl IntoIterator<Item = CborMap>) -> Self {
        let items = items.into_iter().map(CborMap::build).collect();
        self.value(key, Value::Array(items))
    }

    /// The finished map.
    pub fn build(self) -> Value {
        Value::Map(self.0)
    }
}

/// Serialises a value; writing into a `Vec` cannot fail for a `Value` tree.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if let Err(e) = ciborium::into_writer(value, &mut out) {
        tracing::error!(error = %e, "cannot encode CBOR response");
        out.clear();
    }
    out
}

/// The members of an RPC v2 request (a CBOR map with text keys, definite or indefinite length).
#[derive(Debug, Default)]
pub struct CborRequest {
    members: BTreeMap<String, Value>,
}

impl CborRequest {
    /// Decodes a request body. An empty body stands for an operation without input members.
    pub fn decode(body: &[u8]) -> Result<CborRequest, ApiError> {
        if body.is_empty() {
            return Ok(CborRequest::default());
        }
        let value: Value = ciborium::from_reader(body)
            .map_err(|e| ApiError::InvalidInput(format!("request body is not CBOR: {e}")))?;
        let Value::Map(entries) = value else {
            return Err(ApiError::InvalidInput("request body must be a CBOR map".to_owned()));
        };
        let mut members = BTreeMap::new();
        for (key, value) in entries {
            let Value::Text(key) = key else {
                return Err(ApiError::InvalidInput("request member names must be text".to_owned()));
            };
            // Null members count as absent, as in the Smithy spec.
            if !value.is_null() {
                members.insert(key, value);
            }
        }
        Ok(CborRequest { members })
    }

    /// Lifts an awsJson request body into the same members, so the operations read one input
    /// type whatever the protocol. An empty body stands for an operation without input members.
    pub fn from_json(body: &[u8]) -> Result<CborRequest, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(CborRequest::default());
        }
        let value: serde_json::Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::InvalidInput(format!("request body is not JSON: {e}")))?;
        let serde_json::Value::Object(entries) = value else {
            return Err(ApiError::InvalidInput("request body must be a JSON object".to_owned()));
        };
        let members = entries
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k, from_json_value(v)))
            .collect();
        Ok(CborRequest { members })
    }

    /// A text member, if present.
    pub fn opt_text(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.members.get(name) {
            None => Ok(None),
            Some(Value::Text(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::InvalidInput(format!("{name} must be a string"))),
        }
    }

    /// A required, non-empty text member.
    pub fn text(&self, name: &str) -> Result<&str, ApiError> {
        match self.opt_text(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(ApiError::InvalidInput(format!(
                "1 validation error detected: Value at '{}' failed to satisfy constraint: Member must not be null",
                lower_first(name)
            ))),
        }
    }

    /// An integer member, if present.
    pub fn opt_int(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.members.get(name) {
            None => Ok(None),
            Some(Value::Integer(i)) => i64::try_from(*i)
                .map(Some)
                .map_err(|_| ApiError::InvalidInput(format!("{name} is out of range"))),
            Some(_) => Err(ApiError::InvalidInput(format!("{name} must be an integer"))),
        }
    }
}

fn from_json_value(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Integer(i.into()),
            (None, Some(u)) => Value::Integer(u.into()),
            (None, None) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::Text(s),
        serde_json::Value::Array(items) => {
            Value::Array(items.into_iter().map(from_json_value).collect())
        }
        serde_json::Value::Object(entries) => Value::Map(
            entries.into_iter().map(|(k, v)| (Value::Text(k), from_json_value(v))).collect(),
        ),
    }
}

/// A response built for RPC v2 as awsJson sends it: a timestamp (tag 1) becomes its
/// epoch-seconds number, everything else maps one to one. Byte strings and non-text keys
/// never occur in these services' outputs; they become null rather than invented text.
pub fn to_json(value: &Value) -> serde_json::Value {
    match value {
        // Tag 1 is the only tag the outputs use.
        Value::Tag(_, inner) => to_json(inner),
        Value::Integer(i) => {
            let i = i128::from(*i);
            i64::try_from(i)
                .map_or_else(|_| serde_json::Value::from(i as f64), serde_json::Value::from)
        }
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Text(s) => serde_json::Value::from(s.as_str()),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Array(items) => items.iter().map(to_json).collect(),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .iter()
                .filter_map(|(k, v)| match k {
                    Value::Text(k) => Some((k.clone(), to_json(v))),
                    _ => None,
                })
                .collect(),
        ),
        _ => serde_json::Value::Null,
    }
}

/// AWS validation messages name members camelCase.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn timestamps_are_tagged_like_the_reference_bytes() {
        let whole = Utc.timestamp_opt(1_735_689_600, 0).unwrap();
        assert_eq!(encode(&timestamp(whole)), hex("c11a67748580"));
        let frac = Utc.timestamp_millis_opt(1_735_693_200_250).unwrap();
        assert_eq!(encode(&timestamp(frac)), hex("c1fb41d9dd24e4100000"));
    }

    #[test]
    fn fractional_timestamps_read_back_to_the_millisecond() {
        for ms in [1u32, 7, 123, 208, 250, 500, 999] {
            for secs in [1_735_693_200i64, 1_763_629_839, 1_700_000_000] {
                let f = epoch_float(secs, ms);
                let rem = f - f.floor();
                assert_eq!(f.floor() as i64, secs);
                assert_eq!((rem * 1e9) as u32 / 1_000_000, ms, "{secs}.{ms:03}");
            }
        }
    }

    #[test]
    fn decodes_indefinite_maps_from_the_rust_client() {
        // Captured from aws-sdk-codeconnections 1.105.0 (reference §3.4).
        let body = hex(
            "bf6853796e63547970656e43464e5f535441434b5f53594e436c5265736f757263654e616d65686d792d737461636bff",
        );
        let req = CborRequest::decode(&body).unwrap();
        assert_eq!(req.text("SyncType").unwrap(), "CFN_STACK_SYNC");
        assert_eq!(req.text("ResourceName").unwrap(), "my-stack");
        assert!(req.text("Id").is_err());
        assert_eq!(req.opt_int("MaxResults").unwrap(), None);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for body in [&b"\xff"[..], b"\x01", b"\xbf", b"\xa1\x01\x02", b"not cbor at all"] {
            assert!(CborRequest::decode(body).is_err(), "{body:?}");
        }
        assert!(CborRequest::decode(b"").is_ok());
    }

    #[test]
    fn json_gets_the_same_members_and_epoch_numbers() {
        let req = CborRequest::from_json(
            br#"{"ResourceName":"my-stack","MaxResults":5,"NextToken":null}"#,
        )
        .unwrap();
        assert_eq!(req.text("ResourceName").unwrap(), "my-stack");
        assert_eq!(req.opt_int("MaxResults").unwrap(), Some(5));
        assert_eq!(req.opt_text("NextToken").unwrap(), None);
        assert!(CborRequest::from_json(b"[1]").is_err());
        assert!(CborRequest::from_json(b"{").is_err());
        assert!(CborRequest::from_json(b"").is_ok());

        let whole = Utc.timestamp_opt(1_735_689_600, 0).unwrap();
        let frac = Utc.timestamp_millis_opt(1_735_693_200_250).unwrap();
        let out = CborMap::new().timestamp("A", whole).timestamp("B", frac).text("C", "x").build();
        assert_eq!(to_json(&out).to_string(), r#"{"A":1735689600,"B":1735693200.25,"C":"x"}"#);
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
}
