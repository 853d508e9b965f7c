//! Service plans, read as pictures: each line a step, and after `⟲` what undoes it.

use super::*;
use crate::app::testing::container;
use crate::app::usage::{Limits, Sample, SampleSource};

fn web() -> ServiceKey {
    ServiceKey {
        endpoint: "default".into(),
        project: "shop".into(),
        service: "web".into(),
    }
}

fn replica(n: u32, state: &str) -> crate::app::model::Container {
    container(&format!("shop-web-{n}"), state)
        .project("shop", "web")
        .number(n)
        .into()
}

fn inventory(cs: Vec<crate::app::model::Container>) -> Inventory {
    let mut inv = Inventory::default();
    for c in cs {
        inv.upsert(c);
    }
    inv
}

fn id() -> PlanId {
    PlanId("p-7".into())
}

/// One line per step: what it does, and what undoes it.
fn picture(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|s| {
            let mut line = describe(s);
            if let Some(u) = &s.undo {
                line.push_str("  ⟲ ");
                line.push_str(&describe(u));
            }
            line
        })
        .collect()
}

fn describe(s: &Step) -> String {
    match &s.op {
        Operation::CreateReplica {
            from,
            number,
            replica_name,
            image,
            ..
        } => {
            let from = from.trim_end_matches('0');
            let image = image
                .as_ref()
                .map(|i| format!(" on {i}"))
                .unwrap_or_default();
            let alias = if replica_name == s.target.label() {
                String::new()
            } else {
                format!(" as {replica_name}")
            };
            format!(
                "create {} #{number} from {from}{image}{alias}",
                s.target.label()
            )
        }
        Operation::WaitHealthy { .. } => format!("wait for {}", s.target.label()),
        Operation::Remove { force, volumes } => format!(
            "remove {}{}{}",
            s.target.label(),
            if *force { " -f" } else { "" },
            if *volumes { " -v" } else { "" }
        ),
        _ => s.describe(),
    }
}

#[test]
fn scaling_up_copies_the_lowest_replica_and_numbers_after_the_highest() {
    let inv = inventory(vec![replica(1, "running"), replica(2, "running")]);
    let plan = scale(&inv, &web(), 4, 50, id(), Origin::Keystroke).unwrap();
    assert_eq!(plan.title, "scale shop/web on default from 2 to 4");
    assert_eq!(plan.on_failure, OnFailure::RollBack);
    // The template's id is the hex of its name, zero-padded: "shop-web-1" → 73686f702d7765622d31.
    let from = "73686f702d7765622d31";
    assert_eq!(
        picture(&plan),
        [
            format!("create shop-web-3 #3 from {from}  ⟲ remove shop-web-3 -f -v"),
            format!("create shop-web-4 #4 from {from}  ⟲ remove shop-web-4 -f -v"),
            "start shop-web-3".to_string(),
            "start shop-web-4".to_string(),
        ]
    );
}

#[test]
fn compose_v1_names_are_kept_and_gaps_do_not_reuse_numbers() {
    let inv = inventory(vec![
        container("shop_web_1", "running")
            .project("shop", "web")
            .number(1)
            .into(),
        container("shop_web_3", "running")
            .project("shop", "web")
            .number(3)
            .into(),
    ]);
    let plan = scale(&inv, &web(), 3, 50, id(), Origin::CommandLine).unwrap();
    assert_eq!(plan.steps[0].target.label(), "shop_web_4");
}

#[test]
fn scaling_down_stops_the_highest_numbers_before_removing_any() {
    let inv = inventory(vec![
        replica(1, "running"),
        replica(2, "running"),
        replica(3, "exited"),
        replica(4, "running"),
    ]);
    let plan = scale(&inv, &web(), 1, 50, id(), Origin::CommandLine).unwrap();
    assert_eq!(
        picture(&plan),
        [
            "stop shop-web-4  ⟲ start shop-web-4",
            "stop shop-web-2  ⟲ start shop-web-2",
            "remove shop-web-4",
            "remove shop-web-3",
            "remove shop-web-2",
        ]
    );
}

#[test]
fn scale_refuses_what_it_cannot_do_and_says_why() {
    let inv = inventory(vec![replica(1, "running")]);
    let e = scale(&inv, &web(), 51, 50, id(), Origin::Keystroke).unwrap_err();
    assert_eq!(
        e.0,
        "shop/web on default: 51 replicas is above max_replicas (50); raise it in config.toml to go higher"
    );
    let none = Inventory::default();
    let e = scale(&none, &web(), 2, 50, id(), Origin::Keystroke).unwrap_err();
    assert!(e.0.contains("no replica to copy from"), "{e}");
    let mut ported = replica(1, "running");
    ported.fixed_host_ports = vec![8080];
    let inv = inventory(vec![ported]);
    let e = scale(&inv, &web(), 2, 50, id(), Origin::Keystroke).unwrap_err();
    assert!(e.0.contains("publishes host port 8080"), "{e}");
    // To the count it has: nothing to do.
    let inv = inventory(vec![replica(1, "running")]);
    assert!(scale(&inv, &web(), 1, 50, id(), Origin::Keystroke)
        .unwrap()
        .steps
        .is_empty());
}

#[test]
fn services_are_found_by_name_with_close_matches_offered() {
    let inv = inventory(vec![
        replica(1, "running"),
        container("shop-api-1", "running")
            .project("shop", "api")
            .into(),
    ]);
    assert_eq!(find_service(&inv, "shop/web", None).unwrap(), web());
    assert_eq!(find_service(&inv, "web", None).unwrap(), web());
    let e = find_service(&inv, "shop/wbe", None).unwrap_err();
    assert_eq!(
        e.0,
        "no compose service \"shop/wbe\"; did you mean shop/web?"
    );
    let e = find_service(&inv, "shop/web", Some("prod")).unwrap_err();
    assert!(
        e.0.starts_with("no compose service \"shop/web\" on prod"),
        "{e}"
    );
}

#[test]
fn rolling_with_surge_starts_each_new_replica_before_its_old_one_goes() {
    let inv = inventory(vec![replica(1, "running"), replica(2, "running")]);
    let spec = RolloutSpec {
        image: Some("web:v2".into()),
        ..RolloutSpec::default()
    };
    let plan = rollout(&inv, &web(), &spec, id(), Origin::Keystroke).unwrap();
    // Ids are the hex of the name: both short ids are 73686f702d77 here.
    let (one, two) = ("73686f702d7765622d31", "73686f702d7765622d32");
    let short = "73686f702d77";
    assert_eq!(
        picture(&plan),
        [
            "check web:v2 is on the engine".to_string(),
            format!("create {short}_shop-web-1 #1 from {one} on web:v2 as shop-web-1  ⟲ remove {short}_shop-web-1 -f -v"),
            format!("start {short}_shop-web-1"),
            format!("wait for {short}_shop-web-1"),
            "stop shop-web-1  ⟲ start shop-web-1".to_string(),
            "rename shop-web-1 to shop-web-1_replaced_7  ⟲ rename shop-web-1_replaced_7 to shop-web-1".to_string(),
            format!("rename {short}_shop-web-1 to shop-web-1  ⟲ rename shop-web-1 to {short}_shop-web-1"),
            format!("create {short}_shop-web-2 #2 from {two} on web:v2 as shop-web-2  ⟲ remove {short}_shop-web-2 -f -v"),
            format!("start {short}_shop-web-2"),
            format!("wait for {short}_shop-web-2"),
            "stop shop-web-2  ⟲ start shop-web-2".to_string(),
            "rename shop-web-2 to shop-web-2_replaced_7  ⟲ rename shop-web-2_replaced_7 to shop-web-2".to_string(),
            format!("rename {short}_shop-web-2 to shop-web-2  ⟲ rename shop-web-2 to {short}_shop-web-2"),
            "remove shop-web-1_replaced_7 -f".to_string(),
            "remove shop-web-2_replaced_7 -f".to_string(),
        ]
    );
    // The old replicas are named by id throughout: renames do not lose them.
    let last = plan.steps.last().unwrap();
    assert!(last.target.container_key().is_some());
}

#[test]
fn rolling_without_surge_stops_first_and_two_at_a_time_when_allowed() {
    let inv = inventory(vec![
        replica(1, "running"),
        replica(2, "running"),
        replica(3, "running"),
    ]);
    let spec = RolloutSpec {
        max_surge: 0,
        max_unavailable: 2,
        ..RolloutSpec::default()
    };
    let plan = rollout(&inv, &web(), &spec, id(), Origin::Keystroke).unwrap();
    let lines = picture(&plan);
    // No image given: re-created on the image each runs, so nothing to check first.
    assert!(lines[0].starts_with("stop shop-web-1"), "{lines:#?}");
    assert!(lines[1].starts_with("rename shop-web-1 to shop-web-1_replaced_7"));
    assert!(lines[2].starts_with("stop shop-web-2"));
    assert!(lines[4].starts_with("create shop-web-1 #1"), "{lines:#?}");
    assert!(lines[5].starts_with("create shop-web-2 #2"));
    assert_eq!(lines[6], "start shop-web-1");
    assert_eq!(lines[8], "wait for shop-web-1");
    // The third replica is its own batch, after the first two are healthy.
    assert!(lines[10].starts_with("stop shop-web-3"), "{lines:#?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("remove ")).count(), 3);
}

#[test]
fn rollout_refuses_what_cannot_work() {
    let inv = inventory(vec![replica(1, "running")]);
    let spec = RolloutSpec {
        max_surge: 0,
        max_unavailable: 0,
        ..RolloutSpec::default()
    };
    let e = rollout(&inv, &web(), &spec, id(), Origin::Keystroke).unwrap_err();
    assert!(e.0.contains("cannot both be 0"), "{e}");
    let mut ported = replica(1, "running");
    ported.fixed_host_ports = vec![80];
    let inv = inventory(vec![ported]);
    let e = rollout(
        &inv,
        &web(),
        &RolloutSpec::default(),
        id(),
        Origin::Keystroke,
    )
    .unwrap_err();
    assert!(e.0.contains("use max surge 0"), "{e}");
}

fn usage_with_memory(key: &ContainerKey, working_set: u64) -> HashMap<ContainerKey, UsageEntry> {
    let mut entry = UsageEntry::default();
    let mut s = Sample::empty(SampleSource::Cgroup, std::time::Duration::from_secs(1));
    s.memory_usage = Some(working_set);
    entry.record(s, &Limits::default());
    [(key.clone(), entry)].into()
}

#[test]
fn limits_keep_swap_in_step_with_memory_and_refuse_less_than_in_use() {
    const M: u64 = 1 << 20;
    let made_with_m: crate::app::model::Container = replica(1, "running");
    let mut c = made_with_m;
    c.limits = Limits {
        memory: Some(64 * M),
        memory_swap: Some(128 * M as i64),
        nano_cpus: Some(500_000_000),
        ..Limits::default()
    };
    let usage = usage_with_memory(&c.key, 40 * M);
    let change = LimitChange {
        cpus: Some(1.5),
        memory: Some(256 * M),
        ..LimitChange::default()
    };
    let plan = limits(
        &[&c],
        &usage,
        &change,
        "shop/web",
        Scope::Containers,
        id(),
        Origin::Palette,
    )
    .unwrap();
    assert_eq!(
        picture(&plan),
        ["update shop-web-1: cpus 1.5, memory 256M (with swap 512M)  ⟲ update shop-web-1: cpus 0.5, memory 64M (with swap 128M)"]
    );
    // Without swap (`--memory-swap` equal to `-m`), still without.
    let mut no_swap = c.clone();
    no_swap.limits.memory_swap = Some(64 * M as i64);
    let plan = limits(
        &[&no_swap],
        &usage,
        &change,
        "shop/web",
        Scope::Containers,
        id(),
        Origin::Palette,
    )
    .unwrap();
    assert_eq!(
        picture(&plan),
        ["update shop-web-1: cpus 1.5, memory 256M (with swap 256M)  ⟲ update shop-web-1: cpus 0.5, memory 64M (with swap 64M)"]
    );
    let low = LimitChange {
        memory: Some(16 * M),
        ..LimitChange::default()
    };
    let e = limits(
        &[&c],
        &usage,
        &low,
        "shop/web",
        Scope::Containers,
        id(),
        Origin::Palette,
    )
    .unwrap_err();
    assert_eq!(
        e.0,
        "shop-web-1 on default: memory 16M is below what it uses now (40M)"
    );
    // A quota-limited container keeps quota and period.
    let mut q = replica(2, "running");
    q.limits = Limits {
        cpu_quota_us: Some(50_000),
        cpu_period_us: Some(100_000),
        ..Limits::default()
    };
    let plan = limits(
        &[&q],
        &HashMap::new(),
        &change,
        "x",
        Scope::Containers,
        id(),
        Origin::Palette,
    )
    .unwrap();
    match &plan.steps[0].op {
        Operation::UpdateLimits { limits } => {
            assert_eq!(
                (limits.cpu_quota, limits.cpu_period, limits.nano_cpus),
                (Some(150_000), Some(100_000), None)
            );
        }
        other => panic!("{other:?}"),
    }
    // A limit that was not set cannot be unset again by the engine: no undo is promised.
    assert!(plan.steps[0].undo.is_none());
    let e = limits(
        &[&c],
        &usage,
        &LimitChange::default(),
        "shop/web",
        Scope::Containers,
        id(),
        Origin::Palette,
    )
    .unwrap_err();
    assert!(e.0.contains("nothing to change"), "{e}");
}

#[test]
fn only_the_unhealthy_restart_each_waiting_for_health_before_the_next() {
    let inv = inventory(vec![
        container("shop-web-1", "running")
            .project("shop", "web")
            .number(1)
            .health(Health::Unhealthy)
            .into(),
        container("shop-web-2", "running")
            .project("shop", "web")
            .number(2)
            .health(Health::Healthy)
            .into(),
        container("shop-web-3", "running")
            .project("shop", "web")
            .number(3)
            .health(Health::Unhealthy)
            .into(),
    ]);
    let plan = restart_unhealthy(&inv, &web(), 60, id(), Origin::CommandLine).unwrap();
    assert_eq!(
        picture(&plan),
        [
            "restart shop-web-1",
            "wait for shop-web-1",
            "restart shop-web-3",
            "wait for shop-web-3"
        ]
    );
    assert_eq!(plan.on_failure, OnFailure::Stop);
}
