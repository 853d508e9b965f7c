//! `/events` query handling: `since`/`until` times and `filters`, matched as dockerd matches
//! them (including its prefix rule for `health_status`, `exec_create` and `exec_start`).

use std::collections::HashMap;

use super::world::Event;

/// The parsed `filters` parameter: key → accepted values.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    by_key: HashMap<String, Vec<String>>,
}

impl EventFilter {
    /// Accepts both forms dockerd accepts: `{"type":["container"]}` and the older
    /// `{"type":{"container":true}}`.
    pub fn parse(text: &str) -> Result<EventFilter, String> {
        if text.trim().is_empty() {
            return Ok(EventFilter::default());
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("invalid filter: {e}"))?;
        let obj = value
            .as_object()
            .ok_or_else(|| "invalid filter: not an object".to_string())?;
        let mut by_key = HashMap::new();
        for (k, v) in obj {
            let values: Vec<String> = match v {
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, on)| on.as_bool().unwrap_or(false))
                    .map(|(k, _)| k.clone())
                    .collect(),
                _ => return Err(format!("invalid filter: bad value for {k}")),
            };
            by_key.insert(k.clone(), values);
        }
        Ok(EventFilter { by_key })
    }

    fn accepts(&self, key: &str, candidates: &[&str]) -> bool {
        match self.by_key.get(key) {
            None => true,
            Some(values) if values.is_empty() => true,
            Some(values) => values.iter().any(|v| candidates.contains(&v.as_str())),
        }
    }

    pub fn matches(&self, e: &Event) -> bool {
        if !self.accepts("type", &[e.typ]) {
            return false;
        }
        if let Some(wanted) = self.by_key.get("event").filter(|v| !v.is_empty()) {
            // dockerd (#25798): when the filter names health_status, exec_create or exec_start,
            // every event value matches as a prefix ("health_status" matches
            // "health_status: healthy"); otherwise exactly.
            let fuzzy = wanted
                .iter()
                .any(|w| matches!(w.as_str(), "health_status" | "exec_create" | "exec_start"));
            let hit = wanted
                .iter()
                .any(|w| *w == e.action || (fuzzy && e.action.starts_with(w.as_str())));
            if !hit {
                return false;
            }
        }
        let name = e.attributes.get("name").map(String::as_str).unwrap_or("");
        let short = &e.id[..e.id.len().min(12)];
        if !self.accepts("container", &[e.id.as_str(), short, name]) {
            return false;
        }
        if let Some(labels) = self.by_key.get("label").filter(|v| !v.is_empty()) {
            let ok = labels.iter().all(|l| match l.split_once('=') {
                Some((k, v)) => e.attributes.get(k).is_some_and(|x| x == v),
                None => e.attributes.contains_key(l),
            });
            if !ok {
                return false;
            }
        }
        true
    }
}

/// `since`/`until` as dockerd takes them: seconds, optionally with a fraction (`1700000000.5`).
/// RFC 3339 times are accepted too.
pub fn parse_time_nano(text: &str) -> Result<i64, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return t
            .timestamp_nanos_opt()
            .ok_or_else(|| format!("time out of range: {text}"));
    }
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs
        .parse()
        .map_err(|_| format!("invalid time value: {text}"))?;
    let mut nanos = 0i64;
    if !frac.is_empty() {
        let digits: String = frac.chars().take(9).collect();
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("invalid time value: {text}"))?;
        nanos = n * 10i64.pow(9 - digits.len() as u32);
    }
    Ok(secs * 1_000_000_000 + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ev(action: &str) -> Event {
        let mut attributes = BTreeMap::new();
        attributes.insert("name".into(), "shop-web-1".into());
        attributes.insert("com.docker.compose.project".into(), "shop".into());
        Event {
            time_nano: 0,
            typ: "container",
            action: action.into(),
            id: "a".repeat(64),
            attributes,
        }
    }

    #[test]
    fn health_status_is_a_prefix_and_exec_stays_out() {
        let f = EventFilter::parse(r#"{"type":["container"],"event":["start","health_status"]}"#)
            .unwrap();
        assert!(f.matches(&ev("health_status: healthy")));
        assert!(f.matches(&ev("start")));
        assert!(!f.matches(&ev("exec_create: pg_isready")));
        assert!(!f.matches(&ev("exec_die")));
        let exact = EventFilter::parse(r#"{"event":{"start":true}}"#).unwrap();
        assert!(!exact.matches(&ev("start2")));
        let image = EventFilter::parse(r#"{"type":["image"]}"#).unwrap();
        assert!(!image.matches(&ev("start")));
        let label = EventFilter::parse(r#"{"label":["com.docker.compose.project=shop"]}"#).unwrap();
        assert!(label.matches(&ev("start")));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time_nano("12").unwrap(), 12_000_000_000);
        assert_eq!(parse_time_nano("12.5").unwrap(), 12_500_000_000);
        assert!(parse_time_nano("x").is_err());
    }
}
