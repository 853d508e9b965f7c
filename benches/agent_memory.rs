//! What the agent's perception keeps per container, in bytes: n containers fed a sample a
//! second for longer than the longest policy window (so every window is full), a pass after
//! each, the live heap counted by a counting allocator around each. The usage histories the
//! console keeps anyway are counted on their own, for comparison.
//! `cargo bench --bench agent_memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use wheelhouse::agent::Agent;
use wheelhouse::app::model::Container;
use wheelhouse::app::usage::{Sample, SampleSource, UsageEntry};
use wheelhouse::scenes;

/// Live bytes on the heap.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

// SAFETY: every call is passed to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Seconds fed: past the default policies' longest window (5 minutes).
const SECONDS: u64 = 400;

fn feed(
    containers: &[Container],
    usage: &mut HashMap<wheelhouse::app::model::ContainerKey, UsageEntry>,
    second: u64,
) {
    let start = scenes::scene_now();
    for (i, c) in containers.iter().enumerate() {
        let mut s = Sample::empty(SampleSource::Cgroup, Duration::from_secs(second));
        s.cpu_usage_ns = Some(second * (300_000_000 + (i as u64 % 7) * 10_000_000));
        s.memory_usage = Some((20 << 20) + ((i as u64 % 13) << 20));
        let e = usage.entry(c.key.clone()).or_default();
        e.record(s, &c.limits);
        e.sampled_at = Some(start + chrono::TimeDelta::seconds(second as i64));
    }
}

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn main() {
    let swarms = wheelhouse::app::swarm::Swarms::default();
    for n in [100usize, 1_000] {
        let containers = scenes::synthetic(n);
        let mut usage = HashMap::new();
        let mut agent = Agent::default();
        // Fed and passed in turn, as the console does; each one's growth counted on its own.
        let (mut histories, mut perception) = (0, 0);
        for second in 1..=SECONDS {
            let at = live();
            feed(&containers, &mut usage, second);
            histories += live() - at;
            let at = live();
            let now = scenes::scene_now() + chrono::TimeDelta::seconds(second as i64);
            agent.pass(containers.iter(), &usage, &swarms, Vec::new(), now);
            perception += live() - at;
        }
        println!(
            "{n} containers: agent {:.2} MiB ({} bytes a container); usage histories {:.2} MiB",
            perception as f64 / 1048576.0,
            perception / n as isize,
            histories as f64 / 1048576.0
        );
    }
}
