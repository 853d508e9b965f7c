//! Forms: a few labelled text fields the operator fills in before a plan is made (the replicas
//! of a scale, the limits, a rollout's image and batch sizes). A form only collects and checks
//! text; confirming it makes the plan, which is then shown whole in the confirmation dialog.

use crate::app::model::{Container, ContainerKey, ServiceKey};
use crate::app::swarm::{SwarmService, SwarmServiceKey};
use crate::app::usage::parse_size;
use crate::ops::service::{
    LimitChange, RolloutSpec, DEFAULT_HEALTH_TIMEOUT_SECS, DEFAULT_SETTLE_SECS,
};

/// What a form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormPurpose {
    Scale(ServiceKey),
    Limits(LimitsSubject),
    Rollout(ServiceKey),
    /// A Swarm service's replica count.
    SwarmScale(SwarmServiceKey),
    /// A Swarm service's image (the manager rolls it out with the service's update settings).
    SwarmUpdate(SwarmServiceKey),
}

/// Whose limits change: one container, or every replica of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitsSubject {
    Container(ContainerKey),
    Service(ServiceKey),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub label: &'static str,
    pub text: String,
    /// In chars.
    pub cursor: usize,
    /// What it was when the form opened: a field left so changes nothing.
    pub initial: String,
    /// Shown beside the field: what may be typed.
    pub hint: &'static str,
}

impl Field {
    fn new(label: &'static str, text: String, hint: &'static str) -> Field {
        Field {
            label,
            cursor: text.chars().count(),
            initial: text.clone(),
            text,
            hint,
        }
    }

    /// The text, unless it was left as it was or emptied.
    fn changed(&self) -> Option<&str> {
        let t = self.text.trim();
        (t != self.initial.trim() && !t.is_empty()).then_some(t)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub purpose: FormPurpose,
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last submit was refused, naming the field.
    pub error: Option<String>,
}

impl Form {
    pub fn scale(service: ServiceKey, current: usize) -> Form {
        Form {
            title: format!("Scale {} on {}", service.label(), service.endpoint),
            purpose: FormPurpose::Scale(service),
            fields: vec![Field {
                initial: String::new(),
                ..Field::new("replicas", current.to_string(), "how many in all")
            }],
            focus: 0,
            error: None,
        }
    }

    /// Limits, prefilled with those of `like` (the first target).
    pub fn limits(subject: LimitsSubject, title: String, like: &Container) -> Form {
        let l = &like.limits;
        let cpus = match (l.nano_cpus, l.cpu_quota_us) {
            (Some(n), _) => format!("{}", n as f64 / 1e9),
            (None, Some(q)) => format!("{}", q as f64 / l.cpu_period_us.unwrap_or(100_000) as f64),
            _ => String::new(),
        };
        let size = |v: Option<u64>| v.map(short_size).unwrap_or_default();
        let swap = match l.memory_swap {
            Some(-1) => "-1".to_owned(),
            Some(s) if s > 0 => short_size(s as u64),
            _ => String::new(),
        };
        Form {
            title,
            purpose: FormPurpose::Limits(subject),
            fields: vec![
                Field::new("cpus", cpus, "e.g. 0.5"),
                Field::new("memory", size(l.memory), "e.g. 256m, 1g"),
                Field::new(
                    "memory + swap",
                    swap,
                    "size, or -1: unlimited; kept in step if left",
                ),
                Field::new(
                    "memory reservation",
                    size(l.memory_reservation),
                    "soft limit",
                ),
                Field::new(
                    "pids",
                    l.pids.map(|p| p.to_string()).unwrap_or_default(),
                    "most processes; -1: no limit",
                ),
                Field::new(
                    "restart policy",
                    like.restart_policy.clone().unwrap_or_default(),
                    "no, always, unless-stopped, on-failure[:N]",
                ),
            ],
            focus: 0,
            error: None,
        }
    }

    pub fn swarm_scale(service: &SwarmService) -> Form {
        Form {
            title: format!(
                "Scale Swarm service {} on {}",
                service.label(),
                service.key.endpoint
            ),
            purpose: FormPurpose::SwarmScale(service.key.clone()),
            fields: vec![Field {
                initial: String::new(),
                ..Field::new(
                    "replicas",
                    service.replicas.unwrap_or(0).to_string(),
                    "how many tasks in all",
                )
            }],
            focus: 0,
            error: None,
        }
    }

    /// The image only: how the update rolls out is the service's own update config.
    pub fn swarm_update(service: &SwarmService) -> Form {
        let how = service
            .update_config
            .as_ref()
            .map(|u| {
                format!(
                    "{} at a time, {}, on failure {}",
                    u.parallelism.max(1),
                    u.order,
                    u.failure_action
                )
            })
            .unwrap_or_else(|| "the manager's default update settings".into());
        Form {
            title: format!(
                "Update Swarm service {} on {} ({how})",
                service.label(),
                service.key.endpoint
            ),
            purpose: FormPurpose::SwarmUpdate(service.key.clone()),
            fields: vec![Field {
                initial: String::new(),
                ..Field::new(
                    "image",
                    service.image.clone(),
                    "every node must have it or pull it",
                )
            }],
            focus: 0,
            error: None,
        }
    }

    pub fn rollout(service: ServiceKey, image: &str) -> Form {
        let d = RolloutSpec::default();
        Form {
            title: format!(
                "Replace the replicas of {} on {}",
                service.label(),
                service.endpoint
            ),
            purpose: FormPurpose::Rollout(service),
            fields: vec![
                Field {
                    initial: String::new(),
                    ..Field::new("image", image.to_owned(), "on the engine already")
                },
                Field {
                    initial: String::new(),
                    ..Field::new(
                        "max surge",
                        d.max_surge.to_string(),
                        "new ones ahead of old",
                    )
                },
                Field {
                    initial: String::new(),
                    ..Field::new(
                        "max unavailable",
                        d.max_unavailable.to_string(),
                        "down at once, without surge",
                    )
                },
                Field {
                    initial: String::new(),
                    ..Field::new(
                        "health timeout (s)",
                        DEFAULT_HEALTH_TIMEOUT_SECS.to_string(),
                        "per new replica",
                    )
                },
                Field {
                    initial: String::new(),
                    ..Field::new(
                        "settle (s)",
                        DEFAULT_SETTLE_SECS.to_string(),
                        "running this long, if no health check",
                    )
                },
            ],
            focus: 0,
            error: None,
        }
    }

    pub fn next_field(&mut self, forward: bool) {
        let n = self.fields.len();
        self.focus = if forward {
            (self.focus + 1) % n
        } else {
            (self.focus + n - 1) % n
        };
    }

    pub fn text(&self, label: &str) -> &str {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map_or("", |f| f.text.trim())
    }

    fn changed(&self, label: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .and_then(Field::changed)
    }

    /// The replica count a scale form asks for.
    pub fn replicas(&self) -> Result<u32, String> {
        let t = self.text("replicas");
        t.parse()
            .map_err(|_| format!("replicas: {t:?} is not a whole number of replicas (0 or more)"))
    }

    /// The change a limits form asks for: only the fields the operator changed.
    pub fn limit_change(&self) -> Result<LimitChange, String> {
        let mut change = LimitChange::default();
        if let Some(t) = self.changed("cpus") {
            change.cpus = Some(
                t.parse()
                    .map_err(|_| format!("cpus: {t:?} is not a number of CPUs (e.g. 0.5)"))?,
            );
        }
        if let Some(t) = self.changed("memory") {
            change.memory = Some(parse_size(t).map_err(|e| format!("memory: {e}"))?);
        }
        if let Some(t) = self.changed("memory + swap") {
            change.memory_swap = Some(if t == "-1" {
                -1
            } else {
                parse_size(t).map_err(|e| format!("memory + swap: {e}"))? as i64
            });
        }
        if let Some(t) = self.changed("memory reservation") {
            change.memory_reservation =
                Some(parse_size(t).map_err(|e| format!("memory reservation: {e}"))?);
        }
        if let Some(t) = self.changed("pids") {
            change.pids = Some(
                t.parse()
                    .map_err(|_| format!("pids: {t:?} is not a whole number (or -1)"))?,
            );
        }
        if let Some(t) = self.changed("restart policy") {
            // Its error names the field already: `restart policy "x": one of …`.
            crate::ops::plan::RestartPolicy::parse(t)?;
            change.restart = Some(t.to_owned());
        }
        Ok(change)
    }

    /// The rollout a rollout form asks for.
    pub fn rollout_spec(&self) -> Result<RolloutSpec, String> {
        let number = |label: &str| -> Result<u64, String> {
            let t = self.text(label);
            t.parse()
                .map_err(|_| format!("{label}: {t:?} is not a whole number"))
        };
        let image = self.text("image");
        if image.is_empty() {
            return Err("image: name the image to roll out".into());
        }
        Ok(RolloutSpec {
            image: Some(image.to_owned()),
            max_surge: number("max surge")? as u32,
            max_unavailable: number("max unavailable")? as u32,
            health_timeout_secs: number("health timeout (s)")?,
            settle_secs: number("settle (s)")?,
        })
    }
}

/// A size as a person would type it back: `64m`, `1g`, or bytes when it is not round.
fn short_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "g"), (1 << 20, "m"), (1 << 10, "k")];
    for (unit, suffix) in UNITS {
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{}{suffix}", bytes / unit);
        }
    }
    bytes.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::container;
    use crate::app::usage::Limits;

    #[test]
    fn a_limits_form_changes_only_what_was_edited() {
        let c: Container = container("web-1", "running")
            .limits(Limits {
                nano_cpus: Some(500_000_000),
                memory: Some(64 << 20),
                memory_swap: Some(128 << 20),
                ..Limits::default()
            })
            .into();
        let mut f = Form::limits(
            LimitsSubject::Container(c.key.clone()),
            "Limits of web-1".into(),
            &c,
        );
        let texts: Vec<&str> = f.fields.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["0.5", "64m", "128m", "", "", ""]);
        assert_eq!(f.limit_change(), Ok(LimitChange::default()));
        f.fields[1].text = "256m".into();
        assert_eq!(
            f.limit_change(),
            Ok(LimitChange {
                memory: Some(256 << 20),
                ..LimitChange::default()
            })
        );
        f.fields[4].text = "many".into();
        assert_eq!(
            f.limit_change().unwrap_err(),
            "pids: \"many\" is not a whole number (or -1)"
        );
        f.fields[4].text = String::new();
        f.fields[5].text = "on-failure:3".into();
        assert_eq!(
            f.limit_change().map(|c| c.restart),
            Ok(Some("on-failure:3".into()))
        );
        f.fields[5].text = "sometimes".into();
        assert!(f
            .limit_change()
            .unwrap_err()
            .starts_with("restart policy \"sometimes\": one of no, always"));
    }

    #[test]
    fn scale_and_rollout_forms_say_which_field_is_wrong() {
        let web = ServiceKey {
            endpoint: "default".into(),
            project: "shop".into(),
            service: "web".into(),
        };
        let mut f = Form::scale(web.clone(), 2);
        assert_eq!(f.replicas(), Ok(2));
        f.fields[0].text = "-1".into();
        assert!(f.replicas().unwrap_err().starts_with("replicas:"));
        let mut r = Form::rollout(web, "web:v1");
        r.fields[0].text = "web:v2".into();
        let spec = r.rollout_spec().unwrap();
        assert_eq!((spec.image.as_deref(), spec.max_surge), (Some("web:v2"), 1));
        r.fields[1].text = "x".into();
        assert_eq!(
            r.rollout_spec().unwrap_err(),
            "max surge: \"x\" is not a whole number"
        );
        r.fields[1].text = "1".into();
        r.fields[4].text = "30".into();
        assert_eq!(r.rollout_spec().unwrap().settle_secs, 30);
        r.next_field(false);
        assert_eq!(r.fields[r.focus].label, "settle (s)", "wraps around");
    }
}
