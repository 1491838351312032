//! Canonical JSON and the hash of an experiment config.

use serde_json::{Map, Value};

/// `value` with every object's keys in sorted order, whatever order it was built in (and
/// whichever map serde_json was compiled with).
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut sorted = Map::new();
            for key in keys {
                if let Some(inner) = map.get(key) {
                    sorted.insert(key.clone(), canonical(inner));
                }
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The first 16 hex digits of the BLAKE3 hash of `value`'s canonical compact JSON. Two configs
/// that say the same thing (keys in any order) hash the same.
pub fn config_hash(value: &Value) -> String {
    let text = canonical(value).to_string();
    let hex = blake3::hash(text.as_bytes()).to_hex();
    hex.chars().take(16).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_does_not_change_the_hash() {
        let a = json!({"engine": "transformers", "transformers": {"generation": {"a": 1, "b": [1, {"y": 2, "x": 1}]}}});
        let b = json!({"transformers": {"generation": {"b": [1, {"x": 1, "y": 2}], "a": 1}}, "engine": "transformers"});
        assert_eq!(config_hash(&a), config_hash(&b));
        assert_eq!(config_hash(&a).len(), 16);
        assert!(config_hash(&a).chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn different_values_hash_differently() {
        assert_ne!(config_hash(&json!({"a": 1})), config_hash(&json!({"a": 2})));
        // 1 and 1.0 are different JSON texts: a config is hashed as written.
        assert_ne!(
            config_hash(&json!({"a": 1})),
            config_hash(&json!({"a": 1.0}))
        );
    }

    #[test]
    fn canonical_sorts_nested_keys() {
        let value = canonical(&json!({"b": {"d": 1, "c": 2}, "a": 0}));
        assert_eq!(value.to_string(), r#"{"a":0,"b":{"c":2,"d":1}}"#);
    }
}
