//! Every router a rollout can split traffic with, behind one trait: what it can realise, what
//! it is sent, setting a share and reading both sides' counters. The [`routers!`] list below
//! makes the config's enum, the kinds its parser knows and the dispatch from one line per
//! router, so a new router is a module and a line here.
//!
//! The rules every router keeps:
//! - `apply` checks first and changes nothing when it cannot change everything (a server it
//!   does not have, a configuration its program refuses): the old weights stay.
//! - `read` gives cumulative counters per side; a router whose counters come from a log keeps
//!   its place in [`Memory`] between readings, so a reading costs what was appended since.
//! - `realisable` says which share it really sets for the one asked, so the slider and the
//!   dialog show that, not a share the router cannot give.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::traffic::Traffic;

/// What a router does for a rollout.
pub trait Router {
    /// How the screen and the audit log name it: `haproxy 127.0.0.1:9999 backend web`.
    fn describe(&self) -> String;
    /// The canary share (per cent) it really sets when `percent` is asked.
    fn realisable(&self, percent: u32) -> u32;
    /// What it is sent for `percent`, in the words of the confirmation dialog.
    fn preview(&self, percent: u32) -> Vec<String>;
    /// The router answers and has every server the rollout names.
    fn check(&self) -> impl Future<Output = Result<(), String>> + Send;
    /// Sets the share; on an error nothing changed.
    fn apply(&self, percent: u32) -> impl Future<Output = Result<(), String>> + Send;
    /// Both sides' counters now.
    fn read(&self, memory: &mut Memory) -> impl Future<Output = Result<Traffic, String>> + Send;
}

/// What a router remembers between readings (where a log was read up to).
#[derive(Debug, Default)]
pub struct Memory {
    pub log: Option<super::access_log::Tail>,
}

macro_rules! routers {
    ($($variant:ident($ty:ty) = $kind:literal,)*) => {
        /// A rollout's router, as `rollouts.toml` configures it.
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum RouterSpec {
            $(#[serde(rename = $kind)] $variant($ty),)*
        }

        /// The `kind`s this version drives.
        pub const KINDS: &[&str] = &[$($kind,)*];

        impl RouterSpec {
            pub fn kind(&self) -> &'static str {
                match self { $(RouterSpec::$variant(_) => $kind,)* }
            }
            pub fn describe(&self) -> String {
                match self { $(RouterSpec::$variant(r) => r.describe(),)* }
            }
            pub fn realisable(&self, percent: u32) -> u32 {
                match self { $(RouterSpec::$variant(r) => r.realisable(percent),)* }
            }
            pub fn preview(&self, percent: u32) -> Vec<String> {
                match self { $(RouterSpec::$variant(r) => r.preview(percent),)* }
            }
            pub async fn check(&self) -> Result<(), String> {
                match self { $(RouterSpec::$variant(r) => r.check().await,)* }
            }
            pub async fn apply(&self, percent: u32) -> Result<(), String> {
                match self { $(RouterSpec::$variant(r) => r.apply(percent).await,)* }
            }
            pub async fn read(&self, memory: &mut Memory) -> Result<Traffic, String> {
                match self { $(RouterSpec::$variant(r) => r.read(memory).await,)* }
            }
        }
    };
}

routers! {
    Haproxy(super::haproxy::Haproxy) = "haproxy",
    Nginx(super::nginx::Nginx) = "nginx",
    Traefik(super::traefik::Traefik) = "traefik",
    Replicas(super::replicas::ReplicaRatio) = "replicas",
}

/// Weights (stable, canary) per server for `percent` % to the canary over `n_stable` and
/// `n_canary` servers, each weight at most `max` and at least 1 on the side that gets any
/// traffic: p·n_s to (100−p)·n_c, reduced, scaled into range and rounded.
pub fn weights_for(percent: u32, n_stable: usize, n_canary: usize, max: u32) -> (u32, u32) {
    let percent = percent.min(100);
    if percent == 0 {
        return (100.min(max), 0);
    }
    if percent == 100 {
        return (0, 100.min(max));
    }
    let (ns, nc) = (n_stable.max(1) as u64, n_canary.max(1) as u64);
    let mut canary = u64::from(percent) * ns;
    let mut stable = u64::from(100 - percent) * nc;
    let g = gcd(canary, stable);
    canary /= g;
    stable /= g;
    let top = canary.max(stable);
    if top > u64::from(max) {
        let scale = f64::from(max) / top as f64;
        canary = ((canary as f64 * scale).round() as u64).max(1);
        stable = ((stable as f64 * scale).round() as u64).max(1);
    }
    (stable as u32, canary as u32)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// The canary's share (per cent) that per-server weights give.
pub fn realised_percent(stable_w: u32, canary_w: u32, n_stable: usize, n_canary: usize) -> f64 {
    let c = f64::from(canary_w) * n_canary as f64;
    let s = f64::from(stable_w) * n_stable as f64;
    if c + s == 0.0 {
        0.0
    } else {
        c / (c + s) * 100.0
    }
}

/// Writes `path` whole or not at all: a file beside it, then a rename over it.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.wheelhouse-new"));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_give_the_share_asked_within_range() {
        assert_eq!(weights_for(0, 1, 1, 256), (100, 0));
        assert_eq!(weights_for(100, 2, 1, 256), (0, 100));
        assert_eq!(weights_for(20, 1, 1, 256), (4, 1));
        assert_eq!(
            weights_for(50, 3, 1, 256),
            (1, 3),
            "one canary against three stable"
        );
        for (p, ns, nc) in [(1, 1, 1), (33, 2, 3), (95, 5, 1), (7, 4, 4), (20, 10, 1)] {
            let (ws, wc) = weights_for(p, ns, nc, 256);
            assert!(ws <= 256 && wc <= 256, "{p} {ns} {nc}");
            let got = realised_percent(ws, wc, ns, nc);
            assert!((got - p as f64).abs() < 0.6, "{p} % over {ns}+{nc}: {got}");
        }
        // Past what weights of 1 to 256 can say, the nearest: the share reported is the real one.
        let (ws, wc) = weights_for(99, 5, 1, 256);
        assert!((98.0..99.0).contains(&realised_percent(ws, wc, 5, 1)));
    }

    #[test]
    fn every_kind_reads_back_by_its_name() {
        for kind in KINDS {
            let text = format!("{{\"kind\":\"{kind}\"}}");
            let err = serde_json::from_str::<RouterSpec>(&text).unwrap_err();
            assert!(
                !err.to_string().contains("unknown variant"),
                "{kind}: {err}"
            );
        }
    }
}
