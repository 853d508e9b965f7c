//! The `/` filter: space-separated terms, all of which must match.
//!
//! - `text`          substring (case-insensitive) of name, image or compose project
//! - `key=value`     a label with that value (`key=` matches the label with an empty value)
//! - `key=`*none*    see above; `label:key` matches any container carrying the label
//! - `state:running` run state; `health:unhealthy` health; `project:web`, `service:api`,
//!   `endpoint:prod`, `name:api`, `image:nginx` restrict the substring to one field;
//!   `stack:shop` a Swarm stack, `node:worker-1` a Swarm task's node (hostname or id)
//! - a leading `!` negates any term

use super::model::{Container, Health, RunState};
use super::swarm::{SwarmService, LABEL_NODE_ID};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    negated: bool,
    kind: TermKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TermKind {
    Text(String),
    Label { key: String, value: Option<String> },
    State(RunState),
    Health(Health),
    Field { field: Field, needle: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Image,
    Project,
    Service,
    Endpoint,
    Stack,
    Node,
}

impl Filter {
    /// Parses a filter line. Unknown `word:` prefixes are treated as plain text so that
    /// a name containing a colon still matches.
    pub fn parse(input: &str) -> Filter {
        let terms = input.split_whitespace().map(parse_term).collect();
        Filter { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// What in a filter line was not understood, each naming the term and what would be:
    /// a state or health no container can have, a `word:` prefix that is no filter key.
    pub fn problems(input: &str) -> Vec<String> {
        const STATES: &str = "running, exited, paused, restarting, created, removing, dead";
        const KEYS: &str =
            "state, health, label, name, image, project, service, endpoint, stack, node";
        let mut out = Vec::new();
        for raw in input.split_whitespace() {
            let body = raw.strip_prefix('!').unwrap_or(raw);
            let Some((prefix, rest)) = body.split_once(':') else {
                continue;
            };
            match prefix.to_ascii_lowercase().as_str() {
                "state" | "status" if RunState::parse(rest) == RunState::Unknown => {
                    out.push(format!("{raw}: no state \"{rest}\" (one of {STATES})"))
                }
                "health" if Health::parse(rest) == Health::None && rest != "none" => {
                    out.push(format!(
                        "{raw}: no health \"{rest}\" (one of healthy, unhealthy, starting, none)"
                    ))
                }
                "state" | "status" | "health" | "label" | "name" | "image" | "project"
                | "service" | "endpoint" | "stack" | "node" => {}
                // Names may hold a colon: still matched as text, but likely a typo.
                _ => out.push(format!(
                    "{raw}: \"{prefix}:\" is no filter key ({KEYS}), so it is matched as text"
                )),
            }
        }
        out
    }

    pub fn matches(&self, c: &Container) -> bool {
        self.matches_in(c, &|_| None)
    }

    /// As [`Filter::matches`], with the hostname of a Swarm node by id (for `node:`).
    pub fn matches_in(&self, c: &Container, node: &dyn Fn(&str) -> Option<String>) -> bool {
        self.terms
            .iter()
            .all(|t| t.kind.matches(c, node) != t.negated)
    }

    /// Whether a Swarm service's line (and the tasks it wants that have no container) passes:
    /// terms about containers' own state and health do not apply to it and let it through.
    pub fn matches_swarm_service(&self, s: &SwarmService) -> bool {
        self.terms.iter().all(|t| {
            let stack = s.stack.as_deref().unwrap_or("");
            let hit = match &t.kind {
                TermKind::Text(n) => {
                    contains_ci(&s.key.name, n) || contains_ci(&s.image, n) || contains_ci(stack, n)
                }
                TermKind::Label { key, value } => match (s.labels.get(key), value) {
                    (Some(v), Some(want)) => v == want,
                    (Some(_), None) => true,
                    (None, _) => false,
                },
                TermKind::State(_) | TermKind::Health(_) => return true,
                TermKind::Field { field, needle } => {
                    let value = match field {
                        Field::Name => s.key.name.as_str(),
                        Field::Image => s.image.as_str(),
                        Field::Stack | Field::Project => stack,
                        Field::Service => s.short_name(),
                        Field::Endpoint => s.key.endpoint.as_str(),
                        Field::Node => return true,
                    };
                    contains_ci(value, needle)
                }
            };
            hit != t.negated
        })
    }
}

fn parse_term(raw: &str) -> Term {
    let (negated, body) = match raw.strip_prefix('!') {
        Some(rest) if !rest.is_empty() => (true, rest),
        _ => (false, raw),
    };
    Term {
        negated,
        kind: parse_kind(body),
    }
}

fn parse_kind(body: &str) -> TermKind {
    if let Some((prefix, rest)) = body.split_once(':') {
        let needle = rest.to_lowercase();
        let field = match prefix.to_ascii_lowercase().as_str() {
            "state" | "status" => return TermKind::State(RunState::parse(rest)),
            "health" => return TermKind::Health(Health::parse(rest)),
            "label" => {
                return match rest.split_once('=') {
                    Some((k, v)) => TermKind::Label {
                        key: k.to_owned(),
                        value: Some(v.to_owned()),
                    },
                    None => TermKind::Label {
                        key: rest.to_owned(),
                        value: None,
                    },
                }
            }
            "name" => Some(Field::Name),
            "image" => Some(Field::Image),
            "project" => Some(Field::Project),
            "service" => Some(Field::Service),
            "endpoint" => Some(Field::Endpoint),
            "stack" => Some(Field::Stack),
            "node" => Some(Field::Node),
            _ => None,
        };
        if let Some(field) = field {
            return TermKind::Field { field, needle };
        }
    }
    if let Some((key, value)) = body.split_once('=') {
        if !key.is_empty() {
            return TermKind::Label {
                key: key.to_owned(),
                value: Some(value.to_owned()),
            };
        }
    }
    TermKind::Text(body.to_lowercase())
}

fn contains_ci(haystack: &str, lowercase_needle: &str) -> bool {
    haystack.to_lowercase().contains(lowercase_needle)
}

impl TermKind {
    fn matches(&self, c: &Container, node: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            TermKind::Text(n) => {
                contains_ci(&c.name, n)
                    || contains_ci(&c.image, n)
                    || c.project().is_some_and(|p| contains_ci(p, n))
                    || c.stack().is_some_and(|p| contains_ci(p, n))
            }
            TermKind::Label { key, value } => match (c.labels.get(key), value) {
                (Some(v), Some(want)) => v == want,
                (Some(_), None) => true,
                (None, _) => false,
            },
            TermKind::State(s) => c.state == *s,
            TermKind::Health(h) => c.health == *h,
            TermKind::Field { field, needle } => {
                let value = match field {
                    Field::Name => Some(c.name.as_str()),
                    Field::Image => Some(c.image.as_str()),
                    Field::Project => c.project(),
                    Field::Service => c.service(),
                    Field::Endpoint => Some(c.key.endpoint.as_str()),
                    Field::Stack => c.stack(),
                    Field::Node => {
                        let Some(id) = c.labels.get(LABEL_NODE_ID) else {
                            return false;
                        };
                        return id.to_lowercase().starts_with(needle.as_str())
                            || node(id).is_some_and(|h| contains_ci(&h, needle));
                    }
                };
                value.is_some_and(|v| contains_ci(v, needle))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::container;

    #[test]
    fn text_matches_name_image_and_project() {
        let c = container("web-api-1", "running")
            .project("shop", "api")
            .image("busybox");
        assert!(Filter::parse("API").matches(&c));
        assert!(Filter::parse("busy").matches(&c));
        assert!(Filter::parse("shop").matches(&c));
        assert!(!Filter::parse("nginx").matches(&c));
        assert!(Filter::parse("").matches(&c));
    }

    #[test]
    fn terms_combine_with_and_and_negate() {
        let c = container("db", "exited").label("tier", "data");
        assert!(Filter::parse("tier=data state:exited").matches(&c));
        assert!(!Filter::parse("tier=data state:running").matches(&c));
        assert!(Filter::parse("!state:running").matches(&c));
        assert!(Filter::parse("label:tier").matches(&c));
        assert!(!Filter::parse("label:owner").matches(&c));
        assert!(!Filter::parse("tier=web").matches(&c));
    }

    #[test]
    fn field_terms_and_health() {
        let c = container("api-1", "running")
            .project("shop", "api")
            .health(Health::Unhealthy);
        assert!(Filter::parse("service:api").matches(&c));
        assert!(!Filter::parse("project:other").matches(&c));
        assert!(Filter::parse("health:unhealthy").matches(&c));
        assert!(Filter::parse("endpoint:default").matches(&c));
        // An unknown prefix is text, so names with colons still match.
        let odd = container("weird:name", "running");
        assert!(Filter::parse("weird:na").matches(&odd));
    }

    #[test]
    fn what_is_not_understood_is_named() {
        assert_eq!(
            Filter::problems("state:runing web"),
            ["state:runing: no state \"runing\" (one of running, exited, paused, restarting, created, removing, dead)"]
        );
        assert_eq!(
            Filter::problems("foo:bar"),
            ["foo:bar: \"foo:\" is no filter key (state, health, label, name, image, project, service, endpoint, stack, node), so it is matched as text"]
        );
        assert!(Filter::problems("state:running !health:unhealthy tier=web project:x").is_empty());
        assert_eq!(Filter::problems("health:sick").len(), 1);
    }

    #[test]
    fn stack_and_node_match_swarm_tasks() {
        let task: Container = container("shop_web.1.abc", "running")
            .label(crate::app::swarm::LABEL_STACK, "shop")
            .label(crate::app::swarm::LABEL_NODE_ID, "n1xyz")
            .into();
        let nodes = |id: &str| (id == "n1xyz").then(|| "worker-1".to_owned());
        let pass = |f: &str| Filter::parse(f).matches_in(&task, &nodes);
        assert!(pass("stack:shop") && pass("shop") && pass("node:worker") && pass("node:n1x"));
        assert!(!pass("stack:other") && !pass("node:worker-2") && pass("!node:worker-2"));
        assert!(!Filter::parse("node:worker").matches(&container("plain", "running").into()));
    }
}
