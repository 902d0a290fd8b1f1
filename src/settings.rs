//! Editing settings as forms: a settings object (protocol parameters, a workload, a link)
//! is shown as a list of fields built from its JSON form, and a changed field is written
//! back and parsed again, so every protocol's parameters get a form without code of its
//! own, and the engine's own parsing and validation decide what is acceptable.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One editable field: its dotted path in the object, and its current value as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub path: String,
    pub label: String,
    pub kind: FieldKind,
    pub value: String,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Number,
    Toggle,
    Text,
    /// A list of names, written comma-separated.
    List,
    /// One of a few names.
    Choice(&'static [&'static str]),
}

/// Text settings that take one of a few values, by field name.
const CHOICES: &[(&str, &[&str])] = &[
    ("direction", &["both", "one_way"]),
    ("ordering", &["fifo", "reorder"]),
    (
        "latency.kind",
        &["constant", "uniform", "normal", "long_tail"],
    ),
];

/// The fields of a settings object, in its field order, skipping the `kind` tag.
pub fn fields<T: Serialize>(settings: &T) -> Vec<Field> {
    let mut found = Vec::new();
    if let Ok(value) = serde_json::to_value(settings) {
        collect("", &value, &mut found);
    }
    found
}

fn collect(prefix: &str, value: &Value, found: &mut Vec<Field>) {
    let Value::Object(map) = value else { return };
    for (name, inner) in map {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let label = path.replace(['_', '.'], " ");
        let field = |kind, text: String| Field {
            path: path.clone(),
            label: label.clone(),
            kind,
            value: text,
        };
        match inner {
            Value::Number(number) => found.push(field(FieldKind::Number, number.to_string())),
            Value::Bool(flag) => found.push(field(FieldKind::Toggle, flag.to_string())),
            Value::String(text) => {
                if let Some((_, options)) = CHOICES.iter().find(|(choice, _)| *choice == path) {
                    found.push(field(FieldKind::Choice(options), text.clone()));
                } else if name != "kind" {
                    found.push(field(FieldKind::Text, text.clone()));
                }
            }
            Value::Array(items) if items.iter().all(Value::is_string) => {
                let names: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                found.push(field(FieldKind::List, names.join(", ")));
            }
            Value::Object(_) => collect(&path, inner, found),
            _ => {}
        }
    }
}

/// `settings` with the field at `path` set from `text`, parsed back into `T`; an error
/// says what is wrong and leaves `settings` as it was.
pub fn with_field<T: Serialize + DeserializeOwned>(
    settings: &T,
    path: &str,
    kind: FieldKind,
    text: &str,
) -> Result<T, String> {
    let mut value = serde_json::to_value(settings).map_err(|err| err.to_string())?;
    let mut slot = &mut value;
    for part in path.split('.') {
        slot = slot
            .get_mut(part)
            .ok_or_else(|| format!("there is no setting {path}"))?;
    }
    *slot = match kind {
        FieldKind::Number => {
            let number: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("{path} must be a number, got \"{text}\""))?;
            if number.fract() == 0.0 && slot.is_u64() && number >= 0.0 {
                Value::from(number as u64)
            } else {
                Value::from(number)
            }
        }
        FieldKind::Toggle => Value::Bool(text == "true"),
        FieldKind::Text | FieldKind::Choice(_) => Value::String(text.to_string()),
        FieldKind::List => Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_string()))
                .collect(),
        ),
    };
    if path == "latency.kind" {
        // A new latency model keeps nothing of the old one's numbers: start from typical ones.
        value["latency"] = latency_defaults(text);
    }
    serde_json::from_value(value).map_err(|err| format!("{path}: {err}"))
}

/// Typical numbers for a latency model, in milliseconds.
fn latency_defaults(kind: &str) -> Value {
    match kind {
        "constant" => serde_json::json!({"kind": "constant", "ms": 30}),
        "normal" => serde_json::json!({"kind": "normal", "mean_ms": 30, "jitter_ms": 8}),
        "long_tail" => serde_json::json!({"kind": "long_tail", "min_ms": 10, "tail_ms": 40}),
        _ => serde_json::json!({"kind": "uniform", "min_ms": 20, "max_ms": 40}),
    }
}

/// A client's workload with its automatic operations switched on or off. Off keeps the
/// settings with a rate of 0 (operations by hand only); on brings back a rate, the
/// default one if it was off.
pub fn workload_switched(
    current: Option<&dsplay_sim::workload::WorkloadSpec>,
    on: bool,
) -> dsplay_sim::workload::WorkloadSpec {
    use dsplay_sim::workload::WorkloadSpec;
    let mut workload = current.cloned().unwrap_or_else(WorkloadSpec::manual);
    if !on {
        workload.rate_per_s = 0.0;
    } else if workload.rate_per_s <= 0.0 {
        workload.rate_per_s = WorkloadSpec::default().rate_per_s;
    }
    workload
}

#[cfg(test)]
mod tests {
    use super::*;
    use dsplay_sim::protocols::ProtocolConfig;
    use dsplay_sim::workload::WorkloadSpec;

    #[test]
    fn protocol_parameters_become_fields_without_the_kind_tag() {
        let config: ProtocolConfig = serde_json::from_str(r#"{"kind": "sequential"}"#).unwrap();
        let found = fields(&config);
        let value_of = |found: &[Field], path: &str| {
            found
                .iter()
                .find(|field| field.path == path)
                .map(|field| field.value.clone())
        };
        assert!(found.iter().all(|field| field.path != "kind"));
        assert_eq!(value_of(&found, "heartbeat_ms").as_deref(), Some("100.0"));
        let changed = with_field(&config, "resend_ms", FieldKind::Number, "250").unwrap();
        assert_eq!(
            value_of(&fields(&changed), "resend_ms").as_deref(),
            Some("250.0")
        );
    }

    #[test]
    fn workload_keys_are_a_comma_separated_list_and_bad_numbers_are_refused() {
        let workload = WorkloadSpec::default();
        let keys = fields(&workload)
            .into_iter()
            .find(|field| field.path == "keys")
            .unwrap();
        assert_eq!((keys.kind, keys.value.as_str()), (FieldKind::List, "x"));
        let changed = with_field(&workload, "keys", FieldKind::List, "x, y ,z").unwrap();
        assert_eq!(changed.keys, ["x", "y", "z"]);
        let error = with_field(&workload, "rate_per_s", FieldKind::Number, "fast").unwrap_err();
        assert_eq!(error, "rate_per_s must be a number, got \"fast\"");
    }

    #[test]
    fn nested_settings_use_dotted_paths() {
        let link: dsplay_sim::scenario::LinkSpec = serde_json::from_str(
            r#"{"a": "r1", "b": "r2", "latency": {"kind": "uniform", "min_ms": 5, "max_ms": 9}}"#,
        )
        .unwrap();
        let found = fields(&link);
        assert!(found
            .iter()
            .any(|field| field.path == "latency.max_ms" && field.value == "9.0"));
        let changed = with_field(&link, "latency.max_ms", FieldKind::Number, "30").unwrap();
        assert_eq!(
            changed.latency,
            dsplay_sim::topology::LatencyModel::Uniform {
                min_ms: 5.0,
                max_ms: 30.0
            }
        );
        let kind = found
            .iter()
            .find(|field| field.path == "latency.kind")
            .unwrap();
        assert!(matches!(kind.kind, FieldKind::Choice(options) if options.contains(&"long_tail")));
        let tail = with_field(&link, "latency.kind", kind.kind, "long_tail").unwrap();
        assert_eq!(
            tail.latency,
            dsplay_sim::topology::LatencyModel::LongTail {
                min_ms: 10.0,
                tail_ms: 40.0
            }
        );
        let one_way = with_field(
            &link,
            "direction",
            FieldKind::Choice(&["both", "one_way"]),
            "one_way",
        )
        .unwrap();
        assert_eq!(one_way.direction, dsplay_sim::topology::Direction::OneWay);
    }

    #[test]
    fn the_workload_switch_keeps_the_settings_and_toggles_the_rate() {
        use dsplay_sim::workload::WorkloadSpec;
        let busy = WorkloadSpec {
            rate_per_s: 7.0,
            keys: vec!["feed".into()],
            ..WorkloadSpec::default()
        };
        let off = workload_switched(Some(&busy), false);
        assert_eq!(off.rate_per_s, 0.0);
        assert_eq!(off.keys, ["feed"]);
        let on = workload_switched(Some(&off), true);
        assert_eq!(on.rate_per_s, WorkloadSpec::default().rate_per_s);
        assert_eq!(workload_switched(Some(&busy), true), busy);
        assert_eq!(workload_switched(None, false).rate_per_s, 0.0);
    }
}
