//! Converting text cells (CSV cells, XML text) into typed JSON values using the
//! schema-derived shape, and back.

use serde_json::{Number, Value};

use crate::schema::ScalarType;

/// Parses a text value as the scalar type the schema declares.
pub fn parse_scalar(text: &str, scalar: ScalarType) -> Result<Value, String> {
    match scalar {
        ScalarType::String => Ok(Value::String(text.to_string())),
        ScalarType::Integer => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("expected a whole number, found \"{text}\"")),
        ScalarType::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("expected a number (with a decimal point), found \"{text}\"")),
        ScalarType::Boolean => match text.trim() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, found \"{text}\"")),
        },
    }
}

/// Text form of a scalar JSON value (strings unquoted).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_parse_by_declared_type() {
        assert_eq!(
            parse_scalar("0412345", ScalarType::String),
            Ok(Value::from("0412345"))
        );
        assert_eq!(
            parse_scalar("1985", ScalarType::Integer),
            Ok(Value::from(1985))
        );
        assert_eq!(
            parse_scalar("127.5", ScalarType::Number),
            Ok(Value::from(127.5))
        );
        assert!(parse_scalar("12,5", ScalarType::Number).is_err());
        assert!(parse_scalar("NaN", ScalarType::Number).is_err());
        assert!(parse_scalar("x", ScalarType::Integer).is_err());
    }
}
