//! Traefik: a weighted service in its file provider (which it reloads by itself when the file
//! changes), counts from its Prometheus metrics.
//!
//! The rules:
//! - The file is wheelhouse's: it holds only the weighted service, rewritten whole by rename.
//!   The stable and canary services it weighs (load balancers over the replicas) and the
//!   router that uses it live in the operator's other files of the same directory.
//! - Traefik takes a weight of 0 (that service gets nothing), so every share is realisable.
//! - With `api` configured, a change is done only once Traefik's API shows the new weights;
//!   if it does not within [`APPLY_WITHIN`] (a file it refused: its log says why), the old file
//!   goes back. Traefik waits `providersThrottleDuration` (2 s by default) before reloading.
//! - Counts are `traefik_service_requests_total` per service (5xx by its `code`), latency
//!   `traefik_service_request_duration_seconds_sum`; both only grow, like HAProxy's.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::router::{realised_percent, weights_for, write_atomically, Memory, Router};
use super::traffic::{Side, Traffic};

/// How long a change may take to show in Traefik's API.
pub const APPLY_WITHIN: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_WEIGHT: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traefik {
    /// The file-provider file wheelhouse writes.
    pub file: PathBuf,
    /// The weighted service's name in that file.
    pub service: String,
    /// The services it weighs: `web-stable` (of the file provider) or `web@docker`.
    pub stable: Vec<String>,
    pub canary: Vec<String>,
    /// Its Prometheus metrics: `http://127.0.0.1:8082/metrics`.
    pub metrics: String,
    /// Its API (`http://127.0.0.1:8080`), to see a change taken.
    pub api: Option<String>,
}

impl Router for Traefik {
    fn describe(&self) -> String {
        format!("traefik service {} ({})", self.service, self.file.display())
    }

    fn realisable(&self, percent: u32) -> u32 {
        let (ws, wc) = self.weights(percent);
        realised_percent(ws, wc, self.stable.len(), self.canary.len()).round() as u32
    }

    fn preview(&self, percent: u32) -> Vec<String> {
        let (ws, wc) = self.weights(percent);
        let list: Vec<String> = self
            .stable
            .iter()
            .map(|s| format!("{s}={ws}"))
            .chain(self.canary.iter().map(|c| format!("{c}={wc}")))
            .collect();
        vec![format!(
            "It writes {} (weights {}){}.",
            self.file.display(),
            list.join(", "),
            if self.api.is_some() {
                ", then waits for Traefik's API to show them"
            } else {
                "; Traefik reloads it by itself"
            }
        )]
    }

    async fn check(&self) -> Result<(), String> {
        super::http::get(&self.metrics, READ_TIMEOUT).await?;
        if let Some(api) = &self.api {
            self.running(api).await?;
        }
        Ok(())
    }

    async fn apply(&self, percent: u32) -> Result<(), String> {
        self.check().await?;
        let shown = self.file.display();
        let old = match std::fs::read(&self.file) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(format!("{shown}: {e}")),
        };
        write_atomically(&self.file, self.render(percent).as_bytes())?;
        let Some(api) = &self.api else {
            return Ok(());
        };
        let want = self.weights(percent);
        let deadline = tokio::time::Instant::now() + APPLY_WITHIN;
        loop {
            if self.running(api).await.ok() == Some(want) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                let back = match old {
                    Some(bytes) => write_atomically(&self.file, &bytes),
                    None => std::fs::remove_file(&self.file).map_err(|e| e.to_string()),
                };
                return Err(format!(
                    "Traefik at {api} did not take the new weights of {} within {APPLY_WITHIN:?} \
                     (its log says why); {}",
                    self.service,
                    match back {
                        Ok(()) => format!("{shown} is as it was"),
                        Err(e) => format!("putting {shown} back failed: {e}"),
                    }
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn read(&self, _: &mut Memory) -> Result<Traffic, String> {
        let page = super::http::get(&self.metrics, READ_TIMEOUT).await?;
        let (ws, wc) = match &self.api {
            Some(api) => self.running(api).await?,
            None => self.written()?,
        };
        let side = |names: &[String]| -> Side {
            let mut s = Side {
                servers: names.len(),
                servers_up: names.len(),
                latency_total_ms: Some(0.0),
                ..Side::default()
            };
            for name in names {
                let label = qualified(name);
                for (labels, v) in samples(&page, "traefik_service_requests_total") {
                    if labels.get("service") == Some(&label) {
                        s.requests += v as u64;
                        if labels.get("code").is_some_and(|c| c.starts_with('5')) {
                            s.errors += v as u64;
                        }
                    }
                }
                for (labels, v) in samples(&page, "traefik_service_request_duration_seconds_sum") {
                    if labels.get("service") == Some(&label) {
                        s.latency_total_ms = s.latency_total_ms.map(|t| t + v * 1000.0);
                    }
                }
            }
            s.latency_ms = s
                .latency_total_ms
                .filter(|_| s.requests > 0)
                .map(|t| t / s.requests as f64);
            s
        };
        Ok(Traffic {
            queries: Vec::new(),
            stable: side(&self.stable),
            canary: side(&self.canary),
            weight_percent: realised_percent(ws, wc, self.stable.len(), self.canary.len()),
        })
    }
}

/// The file's layout (the part wheelhouse writes and reads back).
#[derive(Serialize, Deserialize)]
struct DynamicFile {
    http: HttpSection,
}

#[derive(Serialize, Deserialize)]
struct HttpSection {
    services: BTreeMap<String, WeightedService>,
}

#[derive(Serialize, Deserialize)]
struct WeightedService {
    weighted: Weighted,
}

#[derive(Serialize, Deserialize)]
struct Weighted {
    services: Vec<Weight>,
}

#[derive(Serialize, Deserialize, Debug)]
struct Weight {
    name: String,
    weight: u32,
}

impl Traefik {
    fn weights(&self, percent: u32) -> (u32, u32) {
        weights_for(percent, self.stable.len(), self.canary.len(), MAX_WEIGHT)
    }

    /// The file for `percent`.
    pub fn render(&self, percent: u32) -> String {
        let (ws, wc) = self.weights(percent);
        let services = self
            .stable
            .iter()
            .map(|s| (s, ws))
            .chain(self.canary.iter().map(|c| (c, wc)))
            .map(|(name, weight)| Weight {
                name: name.clone(),
                weight,
            })
            .collect();
        let file = DynamicFile {
            http: HttpSection {
                services: BTreeMap::from([(
                    self.service.clone(),
                    WeightedService {
                        weighted: Weighted { services },
                    },
                )]),
            },
        };
        format!(
            "# Written by wheelhouse: {percent} % of service {} to the canary. It is rewritten on every change of share.\n{}",
            self.service,
            toml::to_string(&file).unwrap_or_default()
        )
    }

    /// (stable, canary) weights from the file as written.
    fn written(&self) -> Result<(u32, u32), String> {
        let shown = self.file.display();
        let text = std::fs::read_to_string(&self.file).map_err(|e| format!("{shown}: {e}"))?;
        let file: DynamicFile = toml::from_str(&text).map_err(|e| format!("{shown}: {e}"))?;
        let weighted = file
            .http
            .services
            .get(&self.service)
            .ok_or_else(|| format!("{shown} has no service {}", self.service))?;
        self.pick(&weighted.weighted.services, &shown.to_string())
    }

    /// (stable, canary) weights Traefik runs, from its API.
    async fn running(&self, api: &str) -> Result<(u32, u32), String> {
        let url = format!(
            "{}/api/http/services/{}",
            api.trim_end_matches('/'),
            qualified(&self.service)
        );
        let body = super::http::get(&url, READ_TIMEOUT).await?;
        #[derive(Deserialize)]
        struct Answer {
            weighted: Option<Weighted>,
        }
        let answer: Answer = serde_json::from_str(&body).map_err(|e| format!("{url}: {e}"))?;
        let weighted = answer
            .weighted
            .ok_or_else(|| format!("{url}: service {} is not a weighted one", self.service))?;
        self.pick(&weighted.services, &url)
    }

    /// The highest weight on each side; a service of the rollout the list lacks is an error.
    fn pick(&self, list: &[Weight], from: &str) -> Result<(u32, u32), String> {
        let side = |names: &[String]| -> Result<u32, String> {
            names.iter().try_fold(0, |top, name| {
                let w = list.iter().find(|w| &w.name == name).ok_or_else(|| {
                    let known: Vec<&str> = list.iter().map(|w| w.name.as_str()).collect();
                    format!(
                        "{from}: service {} weighs no {name:?} (it weighs {})",
                        self.service,
                        known.join(", ")
                    )
                })?;
                Ok(top.max(w.weight))
            })
        };
        Ok((side(&self.stable)?, side(&self.canary)?))
    }
}

/// A service as metrics and the API name it: of the file provider unless it says otherwise.
fn qualified(name: &str) -> String {
    if name.contains('@') {
        name.to_owned()
    } else {
        format!("{name}@file")
    }
}

/// The samples of metric `name` in Prometheus's text format, with their labels.
fn samples<'a>(
    page: &'a str,
    name: &'a str,
) -> impl Iterator<Item = (BTreeMap<String, String>, f64)> + 'a {
    page.lines().filter_map(move |line| {
        let rest = line.strip_prefix(name)?;
        let (labels, value) = match rest.strip_prefix('{') {
            Some(r) => {
                let end = r.rfind('}')?;
                (labels(&r[..end]), &r[end + 1..])
            }
            None if rest.starts_with(' ') => (BTreeMap::new(), rest),
            None => return None,
        };
        let value = value.split_whitespace().next()?.parse().ok()?;
        Some((labels, value))
    })
}

/// `a="1",b="x\"y"` as a map.
fn labels(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        let key: String = chars
            .by_ref()
            .skip_while(|c| *c == ',' || c.is_whitespace())
            .take_while(|c| *c != '=')
            .collect();
        if key.is_empty() || chars.next() != Some('"') {
            return out;
        }
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => break,
                },
                '"' => break,
                c => value.push(c),
            }
        }
        out.insert(key.trim().to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_read_by_service_and_code() {
        let page = "# HELP x\n\
            traefik_service_requests_total{code=\"200\",method=\"GET\",protocol=\"http\",service=\"web-stable@file\"} 80\n\
            traefik_service_requests_total{code=\"502\",method=\"GET\",protocol=\"http\",service=\"web-canary@file\"} 5\n\
            traefik_service_requests_total{code=\"200\",method=\"GET\",protocol=\"http\",service=\"web-canary@file\"} 15\n\
            traefik_service_requests_total_other{service=\"web-canary@file\"} 99\n";
        let got: Vec<(String, f64)> = samples(page, "traefik_service_requests_total")
            .map(|(l, v)| (format!("{}/{}", l["service"], l["code"]), v))
            .collect();
        assert_eq!(
            got,
            vec![
                ("web-stable@file/200".into(), 80.0),
                ("web-canary@file/502".into(), 5.0),
                ("web-canary@file/200".into(), 15.0)
            ]
        );
        assert_eq!(labels(r#"a="x\"y",b="2""#)["a"], "x\"y");
    }

    #[test]
    fn the_file_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let t = Traefik {
            file: dir.path().join("web.toml"),
            service: "web".into(),
            stable: vec!["web-stable".into()],
            canary: vec!["web-canary".into()],
            metrics: "http://127.0.0.1:1/metrics".into(),
            api: None,
        };
        std::fs::write(&t.file, t.render(20)).unwrap();
        assert_eq!(t.written().unwrap(), (4, 1));
        std::fs::write(&t.file, t.render(0)).unwrap();
        assert_eq!(t.written().unwrap(), (100, 0));
        let other = Traefik {
            canary: vec!["web-v3".into()],
            ..t.clone()
        };
        assert!(other
            .written()
            .unwrap_err()
            .contains("weighs no \"web-v3\""));
    }
}
