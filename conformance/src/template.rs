//! Templates in case bodies, paths, headers and expectations:
//! `{{uuid:NAME}}` (a fresh UUID per case run, the same for the same NAME),
//! `{{serial:NAME}}` (a fresh unique serial number), `{{country}}`, `{{agency}}`,
//! `{{today}}` and `{{CAPTURED}}` (a value captured from an earlier reply).
//! Hand-written: the syntax is a handful of placeholders, not worth a template engine.

use std::collections::BTreeMap;

use serde_json::Value;

/// The values of one case run.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub country: Option<String>,
    pub agency: Option<String>,
    pub today: String,
    /// Generated and captured values by name (`uuid:m1`, `serial:s`, `trace`).
    pub values: BTreeMap<String, String>,
}

impl Vars {
    pub fn new(country: Option<String>, agency: Option<String>) -> Vars {
        Vars {
            country,
            agency,
            today: today(),
            values: BTreeMap::new(),
        }
    }

    /// Expands every placeholder of `text`; an unknown one is an error naming it.
    pub fn expand(&mut self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                return Err(format!("unclosed placeholder in \"{text}\""));
            };
            let name = after[..end].trim();
            out.push_str(&self.value(name)?);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn value(&mut self, name: &str) -> Result<String, String> {
        if let Some(v) = self.values.get(name) {
            return Ok(v.clone());
        }
        let fresh = match name.split_once(':') {
            Some(("uuid", _)) => uuid::Uuid::new_v4().to_string(),
            // Unique across runs and cases: a target keeps what earlier runs sent.
            Some(("serial", _)) => {
                let u = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
                format!("CT-{}", &u[..12])
            }
            Some((other, _)) => return Err(format!("unknown placeholder kind \"{other}\"")),
            None => match name {
                "country" => {
                    return self
                        .country
                        .clone()
                        .ok_or_else(|| "the case uses {{country}}: give --country".to_string())
                }
                "agency" => {
                    return self
                        .agency
                        .clone()
                        .ok_or_else(|| "the case uses {{agency}}: give --agency".to_string())
                }
                "today" => return Ok(self.today.clone()),
                other => {
                    return Err(format!(
                        "unknown placeholder {{{{{other}}}}} (not captured by an earlier step)"
                    ))
                }
            },
        };
        self.values.insert(name.to_string(), fresh.clone());
        Ok(fresh)
    }

    /// Expands the strings inside a JSON value (for `equals`).
    pub fn expand_value(&mut self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => Value::String(self.expand(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.expand_value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.expand_value(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(seconds as i64)[..10].to_string()
}

/// `2026-11-25T19:32:10Z` for seconds since the epoch (H. Hinnant's civil_from_days;
/// hand-written to avoid a date crate for one format).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_same_value_and_fresh_otherwise() {
        let mut vars = Vars::new(Some("RS".into()), None);
        let a = vars.expand("{{uuid:m1}}/{{uuid:m1}}/{{uuid:m2}}").unwrap();
        let parts: Vec<&str> = a.split('/').collect();
        assert_eq!(parts[0], parts[1]);
        assert_ne!(parts[0], parts[2]);
        assert_eq!(parts[0].len(), 36);
        assert_eq!(vars.expand("{{ country }}-x").unwrap(), "RS-x");
        let s = vars.expand("{{serial:s}}").unwrap();
        assert!(s.starts_with("CT-"));
        assert_eq!(vars.expand("{{today}}").unwrap().len(), 10);
    }

    #[test]
    fn unknown_and_missing_values_are_errors() {
        let mut vars = Vars::new(None, None);
        assert!(vars.expand("{{agency}}").unwrap_err().contains("--agency"));
        assert!(vars.expand("{{trace}}").unwrap_err().contains("trace"));
        assert!(vars.expand("{{uuid:x").is_err());
        vars.values.insert("trace".into(), "T-1".into());
        assert_eq!(
            vars.expand("/v1/traces/{{trace}}").unwrap(),
            "/v1/traces/T-1"
        );
    }

    #[test]
    fn values_inside_json_are_expanded() {
        let mut vars = Vars::new(Some("BR".into()), None);
        let v = vars
            .expand_value(&serde_json::json!({"a": ["{{country}}", 1]}))
            .unwrap();
        assert_eq!(v, serde_json::json!({"a": ["BR", 1]}));
    }

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_769_600), "2024-03-07T00:00:00Z");
    }
}
