//! The events pane's data: engine events from every endpoint, bounded, with a filter.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::model::Health;

/// Oldest events are dropped past this many (about a megabyte of memory).
pub const EVENT_CAPACITY: usize = 2_000;

/// What kind of object an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ObjectKind {
    Container,
    Network,
    /// Any other type the engine reports (image, volume, daemon, service, node…).
    Other(String),
}

impl ObjectKind {
    pub fn parse(s: &str) -> ObjectKind {
        match s {
            "container" => ObjectKind::Container,
            "network" => ObjectKind::Network,
            other => ObjectKind::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ObjectKind::Container => "container",
            ObjectKind::Network => "network",
            ObjectKind::Other(s) => s,
        }
    }
}

/// What happened, as the engine's `Action` says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventAction {
    Create,
    Start,
    Restart,
    Die,
    Stop,
    Kill,
    Pause,
    Unpause,
    Destroy,
    Rename,
    Update,
    Oom,
    /// `health_status: healthy` and the like.
    Health(Health),
    Connect,
    Disconnect,
    /// Said by the console, not the engine: a container's network crossed a threshold (the
    /// `reason` attribute says which), or came back under them all.
    NetDegraded,
    NetRecovered,
    /// `exec_create: …`, `exec_start: …`, `exec_die`: health probes run as execs.
    Exec(String),
    Other(String),
}

impl EventAction {
    pub fn parse(s: &str) -> EventAction {
        use EventAction as A;
        match s {
            "create" => A::Create,
            "start" => A::Start,
            "restart" => A::Restart,
            "die" => A::Die,
            "stop" => A::Stop,
            "kill" => A::Kill,
            "pause" => A::Pause,
            "unpause" => A::Unpause,
            "destroy" => A::Destroy,
            "rename" => A::Rename,
            "update" => A::Update,
            "oom" => A::Oom,
            "connect" => A::Connect,
            "disconnect" => A::Disconnect,
            s if s.starts_with("exec_") => A::Exec(s.to_owned()),
            s => match s.strip_prefix("health_status: ") {
                Some(h) => A::Health(Health::parse(h)),
                None => A::Other(s.to_owned()),
            },
        }
    }

    /// The engine's own words for it.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        use EventAction as A;
        std::borrow::Cow::Borrowed(match self {
            A::Create => "create",
            A::Start => "start",
            A::Restart => "restart",
            A::Die => "die",
            A::Stop => "stop",
            A::Kill => "kill",
            A::Pause => "pause",
            A::Unpause => "unpause",
            A::Destroy => "destroy",
            A::Rename => "rename",
            A::Update => "update",
            A::Oom => "oom",
            A::Connect => "connect",
            A::Disconnect => "disconnect",
            A::NetDegraded => "net_degraded",
            A::NetRecovered => "net_recovered",
            A::Exec(s) | A::Other(s) => s,
            A::Health(h) => return format!("health_status: {}", h.as_str()).into(),
        })
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for EventAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_text())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineEvent {
    pub endpoint: String,
    pub time: DateTime<Utc>,
    pub kind: ObjectKind,
    pub action: EventAction,
    /// The object the event is about (a container id, or a network id).
    pub id: String,
    /// The few attributes the pane uses: `name`, `image`, `exitCode`, `signal`, `container`,
    /// `type` (see `engine::convert::event`).
    pub attributes: Attributes,
}

/// An event's attributes as a short list: a handful of pairs, thousands of events kept, so a
/// map's per-entry overhead would be most of the log's memory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attributes(Vec<(String, String)>);

impl Attributes {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl FromIterator<(String, String)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut v: Vec<(String, String)> = pairs.into_iter().collect();
        v.shrink_to_fit();
        Attributes(v)
    }
}

impl EngineEvent {
    /// The object's name (for network events, the network's), or empty when the engine gave none.
    pub fn name(&self) -> &str {
        self.attributes.get("name").unwrap_or_default()
    }

    /// What to call the object: its name, or its short id when the engine gave no name.
    pub fn label(&self) -> String {
        match self.name() {
            "" => self.id.chars().take(12).collect(),
            name => name.to_owned(),
        }
    }

    /// The container concerned: the object itself for container events, the attached container
    /// for network connect/disconnect.
    pub fn container_id(&self) -> Option<&str> {
        match self.kind {
            ObjectKind::Container => Some(&self.id),
            _ => self.attributes.get("container"),
        }
    }

    /// Health probes run as execs: three events per probe that say nothing new.
    pub fn is_probe_noise(&self) -> bool {
        matches!(self.action, EventAction::Exec(_))
    }

    /// The most telling attribute, for the pane's DETAIL column.
    pub fn detail(&self) -> String {
        let a = &self.attributes;
        let mut parts = Vec::new();
        if let Some(code) = a.get("exitCode") {
            parts.push(format!("exit {code}"));
        }
        if let Some(sig) = a.get("signal") {
            parts.push(format!("signal {sig}"));
        }
        if let Some(reason) = a.get("reason") {
            parts.push(reason.to_owned());
        }
        if self.kind == ObjectKind::Network {
            if let Some(c) = self.container_id() {
                parts.push(format!("container {}", crate::text::short_id(c)));
            }
        } else if let Some(image) = a.get("image") {
            parts.push(image.to_owned());
        }
        parts.join(", ")
    }
}

/// The last [`EVENT_CAPACITY`] events, each with a sequence number that stays its own as the
/// ring turns, so a cursor held by number never slides onto another event.
#[derive(Debug, Clone, Default)]
pub struct EventLog {
    events: VecDeque<(u64, EngineEvent)>,
    next_seq: u64,
}

impl EventLog {
    pub fn push(&mut self, e: EngineEvent) {
        if self.events.len() == EVENT_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back((self.next_seq, e));
        self.next_seq += 1;
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &EngineEvent> {
        self.events.iter().map(|(_, e)| e)
    }

    /// Events with their sequence numbers, oldest first.
    pub fn numbered(&self) -> impl DoubleEndedIterator<Item = (u64, &EngineEvent)> {
        self.events.iter().map(|(n, e)| (*n, e))
    }

    /// Forgets an endpoint's events when it is detached.
    pub fn drop_endpoint(&mut self, endpoint: &str) {
        self.events.retain(|(_, e)| e.endpoint != endpoint);
    }
}

/// `type:network action:die endpoint:prod container:web` and free text; all terms must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    terms: Vec<(Option<String>, String)>,
}

impl EventFilter {
    pub fn parse(text: &str) -> Self {
        let terms = text
            .split_whitespace()
            .map(|t| match t.split_once(':') {
                Some((k, v))
                    if ["type", "action", "endpoint", "container", "name"].contains(&k) =>
                {
                    (Some(k.to_owned()), v.to_lowercase())
                }
                _ => (None, t.to_lowercase()),
            })
            .collect();
        EventFilter { terms }
    }

    pub fn matches(&self, e: &EngineEvent) -> bool {
        self.terms.iter().all(|(key, needle)| {
            let has = |s: &str| s.to_lowercase().contains(needle.as_str());
            match key.as_deref() {
                Some("type") => has(e.kind.as_str()),
                Some("action") => has(&e.action.as_text()),
                Some("endpoint") => has(&e.endpoint),
                Some("container") | Some("name") => has(e.name()) || has(&e.id),
                _ => {
                    has(e.name())
                        || has(&e.action.as_text())
                        || has(e.kind.as_str())
                        || has(&e.detail())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &str, action: &str, name: &str) -> EngineEvent {
        EngineEvent {
            endpoint: "default".into(),
            time: crate::app::testing::epoch(),
            kind: ObjectKind::parse(kind),
            action: EventAction::parse(action),
            id: format!("{name}-id"),
            attributes: [("name", name), ("exitCode", "137")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn log_is_bounded() {
        let mut log = EventLog::default();
        for i in 0..EVENT_CAPACITY + 10 {
            log.push(ev("container", "start", &format!("c{i}")));
        }
        assert_eq!(log.len(), EVENT_CAPACITY);
        assert_eq!(log.iter().next().unwrap().name(), "c10");
    }

    #[test]
    fn filter_terms() {
        let e = ev("container", "die", "web-1");
        assert!(EventFilter::parse("type:container action:die").matches(&e));
        assert!(EventFilter::parse("web").matches(&e));
        assert!(EventFilter::parse("137").matches(&e));
        assert!(!EventFilter::parse("type:network").matches(&e));
        assert!(ev("container", "exec_start: true", "x").is_probe_noise());
        assert_eq!(e.detail(), "exit 137");
    }
}
