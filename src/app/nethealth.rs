//! Whether a container's network looks unwell, from its usage against the thresholds in config:
//! one verdict for the table's NET column, the detail pane, the topology views and the alarm.
//!
//! What is measured is said as measured: retransmissions, not "loss" (loss is not seen
//! passively; a retransmission may follow a late ACK as well as a lost segment).

use super::usage::Usage;

/// Where a container's network starts to need a look. Defaults: an RTT p95 over 200 ms,
/// retransmissions over 0.5 % of sent segments, any packet dropped or interface error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetThresholds {
    pub rtt_p95_ms: f64,
    pub retransmit_percent: f64,
    /// Any new drop or interface error counts.
    pub drops: bool,
}

impl Default for NetThresholds {
    fn default() -> Self {
        NetThresholds {
            rtt_p95_ms: 200.0,
            retransmit_percent: 0.5,
            drops: true,
        }
    }
}

/// One reason a container's network needs a look.
#[derive(Debug, Clone, PartialEq)]
pub enum NetProblem {
    Rtt {
        p95_ms: f64,
        over_ms: f64,
    },
    Retransmits {
        percent: f64,
        over: f64,
    },
    /// New since the previous sample.
    Drops {
        dropped: u64,
        errors: u64,
    },
}

impl std::fmt::Display for NetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetProblem::Rtt { p95_ms, over_ms } => {
                write!(f, "RTT p95 {} over {over_ms:.0} ms", millis(*p95_ms))
            }
            NetProblem::Retransmits { percent, over } => {
                write!(f, "retransmits {percent:.1} % over {over} %")
            }
            NetProblem::Drops { dropped, errors } => {
                let packets = format!("{dropped} packet{} dropped", plural(*dropped));
                let errs = format!("{errors} interface error{}", plural(*errors));
                match (dropped, errors) {
                    (0, _) => f.write_str(&errs),
                    (_, 0) => f.write_str(&packets),
                    _ => write!(f, "{packets}, {errs}"),
                }
            }
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Milliseconds as an operator reads them: `0.12 ms`, `3.4 ms`, `250 ms`.
pub fn millis(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// What is over its threshold in `u`, worst kind first.
pub fn problems(u: &Usage, th: &NetThresholds) -> Vec<NetProblem> {
    let mut out = Vec::new();
    if let Some(p) = u
        .tcp_retransmit_percent
        .filter(|p| *p > th.retransmit_percent)
    {
        out.push(NetProblem::Retransmits {
            percent: p,
            over: th.retransmit_percent,
        });
    }
    let p95 = u
        .tcp_sockets
        .and_then(|s| s.rtt_p95_us)
        .map(|us| us as f64 / 1000.0);
    if let Some(p95_ms) = p95.filter(|ms| *ms > th.rtt_p95_ms) {
        out.push(NetProblem::Rtt {
            p95_ms,
            over_ms: th.rtt_p95_ms,
        });
    }
    let (dropped, errors) = (u.net_new_drops.unwrap_or(0), u.net_new_errors.unwrap_or(0));
    if th.drops && dropped + errors > 0 {
        out.push(NetProblem::Drops { dropped, errors });
    }
    out
}

/// Clean samples in a row before an alarm is over (a minute at the default sampling): drops
/// come in bursts, and a container that drops a packet every few seconds should raise one
/// alarm, not one per burst.
pub const CLEAR_AFTER_SAMPLES: u32 = 60;

/// Per container: whether its network alarm is raised, so that crossing a threshold is said
/// once (an event and a toast) and so is the return under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetAlarm {
    pub raised: bool,
    clean: u32,
}

/// What a sample did to the alarm.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmChange {
    Raised(String),
    Cleared,
}

impl NetAlarm {
    pub fn observe(&mut self, found: &[NetProblem]) -> Option<AlarmChange> {
        if !found.is_empty() {
            self.clean = 0;
            if self.raised {
                return None;
            }
            self.raised = true;
            let why: Vec<String> = found.iter().map(ToString::to_string).collect();
            return Some(AlarmChange::Raised(why.join(", ")));
        }
        if !self.raised {
            return None;
        }
        self.clean += 1;
        if self.clean < CLEAR_AFTER_SAMPLES {
            return None;
        }
        *self = NetAlarm::default();
        Some(AlarmChange::Cleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::usage::{Limits, Sample, SampleSource, TcpSockets};

    fn usage(retransmits: Option<f64>, p95_us: Option<u32>, new_drops: u64) -> Usage {
        let mut u = Usage::derive(
            None,
            &Sample::empty(SampleSource::Cgroup, std::time::Duration::ZERO),
            &Limits::default(),
        );
        u.tcp_retransmit_percent = retransmits;
        u.tcp_sockets = Some(TcpSockets {
            established: 1,
            rtt_p50_us: p95_us,
            rtt_p95_us: p95_us,
            ..TcpSockets::default()
        });
        u.net_new_drops = Some(new_drops);
        u
    }

    #[test]
    fn each_threshold_is_crossed_on_its_own_and_said_in_measured_words() {
        let th = NetThresholds::default();
        assert!(problems(&usage(Some(0.4), Some(199_000), 0), &th).is_empty());
        let found = problems(&usage(Some(2.0), Some(250_000), 3), &th);
        let said: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "retransmits 2.0 % over 0.5 %",
                "RTT p95 250 ms over 200 ms",
                "3 packets dropped"
            ]
        );
        let quiet_drops = NetThresholds { drops: false, ..th };
        assert!(problems(&usage(None, None, 3), &quiet_drops).is_empty());
    }

    #[test]
    fn an_alarm_is_raised_once_and_cleared_after_a_run_of_clean_samples() {
        let bad = [NetProblem::Drops {
            dropped: 1,
            errors: 0,
        }];
        let mut alarm = NetAlarm::default();
        assert_eq!(
            alarm.observe(&bad),
            Some(AlarmChange::Raised("1 packet dropped".into()))
        );
        assert_eq!(alarm.observe(&bad), None, "still raised: said once");
        for _ in 1..CLEAR_AFTER_SAMPLES {
            assert_eq!(alarm.observe(&[]), None);
        }
        // A burst within the run starts it again.
        assert_eq!(alarm.observe(&bad), None);
        for _ in 1..CLEAR_AFTER_SAMPLES {
            assert_eq!(alarm.observe(&[]), None);
        }
        assert_eq!(alarm.observe(&[]), Some(AlarmChange::Cleared));
        assert!(!alarm.raised);
    }
}
