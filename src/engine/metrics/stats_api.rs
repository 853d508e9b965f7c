//! Counters through the engine's stats API, for engines whose cgroups we cannot read (remote,
//! or another pid namespace). One non-streaming request per sample: streaming costs the daemon
//! CPU per container per second; deltas come from our own successive samples.

use std::time::Duration;

use bollard::models::{ContainerBlkioStatEntry, ContainerStatsResponse};
use bollard::query_parameters::StatsOptionsBuilder;
use bollard::Docker;
use chrono::DateTime;
use futures_util::StreamExt;
use tokio::time::timeout;

use crate::app::usage::{Sample, SampleSource};

/// `stream=false` alone waits two collector cycles; `one-shot` skips that on newer engines.
pub async fn sample(docker: &Docker, id: &str, limit: Duration) -> Result<Sample, String> {
    let options = StatsOptionsBuilder::default()
        .stream(false)
        .one_shot(true)
        .build();
    let mut stream = docker.stats(id, Some(options));
    let answer = timeout(limit, stream.next())
        .await
        .map_err(|_| format!("stats of {id}: no answer within {limit:?}"))?
        .ok_or_else(|| format!("stats of {id}: empty answer"))?
        .map_err(|e| format!("stats of {id}: {e}"))?;
    to_sample(&answer).ok_or_else(|| format!("stats of {id}: the container is not running"))
}

/// The engine's answer as a sample stamped with the engine's read time (its clock, so that
/// request latency does not skew rates). None for a stopped container (all zero, no read time).
pub fn to_sample(r: &ContainerStatsResponse) -> Option<Sample> {
    let read = DateTime::parse_from_rfc3339(r.read.as_deref()?).ok()?;
    let nanos = u64::try_from(read.timestamp_nanos_opt()?).ok()?;
    let mut s = Sample::empty(SampleSource::StatsApi, Duration::from_nanos(nanos));
    if let Some(cpu) = &r.cpu_stats {
        s.cpu_usage_ns = cpu.cpu_usage.as_ref().and_then(|u| u.total_usage);
        s.system_cpu_ns = cpu.system_cpu_usage;
        s.online_cpus = cpu.online_cpus.filter(|n| *n > 0).or_else(|| {
            let per_cpu = cpu.cpu_usage.as_ref()?.percpu_usage.as_ref()?;
            u32::try_from(per_cpu.len()).ok().filter(|n| *n > 0)
        });
        if let Some(t) = &cpu.throttling_data {
            s.nr_periods = t.periods;
            s.nr_throttled = t.throttled_periods;
            s.throttled_ns = t.throttled_time;
        }
    }
    if s.system_cpu_ns.is_none() && s.cpu_usage_ns.is_none() {
        return None;
    }
    if let Some(m) = &r.memory_stats {
        s.memory_usage = m.usage;
        // v2 engines report inactive_file, v1 engines total_inactive_file.
        s.inactive_file = m.stats.as_ref().and_then(|st| {
            st.get("inactive_file")
                .or_else(|| st.get("total_inactive_file"))
                .copied()
        });
        s.oom_kills = m.stats.as_ref().and_then(|st| st.get("oom_kill").copied());
    }
    s.pids_current = r.pids_stats.as_ref().and_then(|p| p.current);
    if let Some(nets) = &r.networks {
        s.net_rx_bytes = Some(nets.values().filter_map(|n| n.rx_bytes).sum());
        s.net_tx_bytes = Some(nets.values().filter_map(|n| n.tx_bytes).sum());
        let sum = |f: fn(&bollard::models::ContainerNetworkStats) -> Option<u64>| {
            nets.values().filter_map(f).sum::<u64>()
        };
        s.net_drops = Some(sum(|n| n.rx_dropped) + sum(|n| n.tx_dropped));
        s.net_errors = Some(sum(|n| n.rx_errors) + sum(|n| n.tx_errors));
    }
    if let Some(entries) = r
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
    {
        s.blk_read_bytes = Some(sum_op(entries, "read"));
        s.blk_write_bytes = Some(sum_op(entries, "write"));
    }
    Some(s)
}

fn sum_op(entries: &[ContainerBlkioStatEntry], op: &str) -> u64 {
    entries
        .iter()
        .filter(|e| e.op.as_deref().is_some_and(|o| o.eq_ignore_ascii_case(op)))
        .filter_map(|e| e.value)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_from_a_v1_engine_maps_to_a_sample() {
        let json = r#"{
          "read": "2026-11-22T19:20:01.5Z",
          "cpu_stats": {"cpu_usage": {"total_usage": 5000000000},
                        "system_cpu_usage": 90000000000, "online_cpus": 2,
                        "throttling_data": {"periods": 40, "throttled_periods": 30, "throttled_time": 7}},
          "memory_stats": {"usage": 10485760, "limit": 33554432,
                           "stats": {"total_inactive_file": 1048576, "inactive_file": 1048576}},
          "pids_stats": {"current": 2},
          "networks": {"eth0": {"rx_bytes": 100, "tx_bytes": 50, "rx_dropped": 3, "tx_errors": 1},
                       "eth1": {"rx_bytes": 1, "tx_bytes": 2, "tx_dropped": 2}},
          "blkio_stats": {"io_service_bytes_recursive": [
              {"major": 8, "minor": 0, "op": "Read", "value": 4096},
              {"major": 8, "minor": 0, "op": "Write", "value": 512},
              {"major": 8, "minor": 0, "op": "Total", "value": 4608}]}
        }"#;
        let r: ContainerStatsResponse = serde_json::from_str(json).unwrap();
        let s = to_sample(&r).unwrap();
        assert_eq!(s.source, SampleSource::StatsApi);
        assert_eq!(s.cpu_usage_ns, Some(5_000_000_000));
        assert_eq!(s.system_cpu_ns, Some(90_000_000_000));
        assert_eq!(s.online_cpus, Some(2));
        assert_eq!((s.nr_periods, s.nr_throttled), (Some(40), Some(30)));
        assert_eq!(s.working_set(), Some(9 * 1024 * 1024));
        assert_eq!(s.pids_current, Some(2));
        assert_eq!((s.net_rx_bytes, s.net_tx_bytes), (Some(101), Some(52)));
        assert_eq!((s.net_drops, s.net_errors), (Some(5), Some(1)));
        assert_eq!(
            (s.blk_read_bytes, s.blk_write_bytes),
            (Some(4096), Some(512))
        );
        let later: ContainerStatsResponse =
            serde_json::from_str(&json.replace("01.5Z", "02.5Z")).unwrap();
        assert_eq!(to_sample(&later).unwrap().at - s.at, Duration::from_secs(1));
    }

    #[test]
    fn a_stopped_container_gives_no_sample() {
        let json = r#"{"read": "0001-01-01T00:00:00Z", "cpu_stats": {}, "memory_stats": {}}"#;
        let r: ContainerStatsResponse = serde_json::from_str(json).unwrap();
        assert_eq!(to_sample(&r), None);
    }
}
