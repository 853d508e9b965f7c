//! One pass of the agent (perception and every rule) over n containers with a fresh sample
//! each, as the console runs it once a second: the target is under 0.3 % of a core at 1 000
//! containers, that is under 3 ms a pass. The samples are recorded outside the timed part (that
//! is the sampler's cost, measured elsewhere).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

use wheelhouse::agent::Agent;
use wheelhouse::app::usage::{Sample, SampleSource, UsageEntry};
use wheelhouse::scenes;

fn pass(c: &mut Criterion) {
    let mut group = c.benchmark_group("agent_pass");
    for n in [100usize, 1_000] {
        let mut containers = scenes::synthetic(n);
        for c in &mut containers {
            c.limits.nano_cpus = Some(500_000_000);
            c.limits.memory = Some(64 << 20);
        }
        let mut usage: HashMap<_, UsageEntry> = HashMap::new();
        let mut agent = Agent::default();
        let swarms = wheelhouse::app::swarm::Swarms::default();
        let start = scenes::scene_now();
        let mut second = 0u64;
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                for _ in 0..iters {
                    second += 1;
                    let now = start + chrono::TimeDelta::seconds(second as i64);
                    for (i, c) in containers.iter().enumerate() {
                        let mut s =
                            Sample::empty(SampleSource::Cgroup, Duration::from_secs(second));
                        // A third of a core each, give or take, and a steady working set.
                        s.cpu_usage_ns = Some(second * (300_000_000 + (i as u64 % 7) * 10_000_000));
                        s.memory_usage = Some((20 << 20) + ((i as u64 % 13) << 20));
                        s.nr_periods = Some(second * 10);
                        s.nr_throttled = Some(second * (i as u64 % 3));
                        s.oom_kills = Some(0);
                        let e = usage.entry(c.key.clone()).or_default();
                        e.record(s, &c.limits);
                        e.sampled_at = Some(now);
                    }
                    let began = Instant::now();
                    agent.pass(containers.iter(), &usage, &swarms, Vec::new(), now);
                    timed += began.elapsed();
                }
                timed
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pass);
criterion_main!(benches);
