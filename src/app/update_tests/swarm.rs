//! A manager's picture in the console: an update that Swarm rolls back is said, a manager that
//! stops answering keeps its last picture marked, and the keys on a Swarm service plan for its
//! manager (read-only refusing them at once).

use super::*;
use crate::app::swarm::{SwarmRole, SwarmState, UpdateStatus};

fn with_web(app: &mut App) {
    let web = crate::app::swarm::tests::service("default", Some("shop"), "shop_web");
    update(
        app,
        Msg::SwarmListed {
            endpoint: "default".into(),
            state: Box::new(SwarmState {
                role: SwarmRole::Manager,
                services: vec![web],
                ..SwarmState::default()
            }),
        },
    );
}

fn changed(app: &mut App, state: Option<&str>) {
    let mut web = app.inventory.swarms.get("default").unwrap().services[0].clone();
    web.update_status = state.map(|s| UpdateStatus {
        state: s.into(),
        message: "update rolled back due to failure or early termination of task".into(),
        started_at: None,
        completed_at: None,
    });
    update(
        app,
        Msg::SwarmServiceChanged {
            endpoint: "default".into(),
            id: web.key.id.clone(),
            service: Some(Box::new(web)),
            tasks: Vec::new(),
        },
    );
}

#[test]
fn an_update_swarm_rolls_back_is_said_in_the_managers_words() {
    let mut app = abc();
    with_web(&mut app);
    changed(&mut app, Some("updating"));
    assert!(errors(&app).is_empty());
    changed(&mut app, Some("rollback_started"));
    assert_eq!(
        errors(&app),
        ["shop/web: update failed, rolling back: update rolled back due to failure or early termination of task"]
    );
    // The same state read again says nothing twice.
    changed(&mut app, Some("rollback_started"));
    assert_eq!(errors(&app).len(), 1);
}

#[test]
fn a_manager_that_stops_answering_keeps_its_picture_marked_until_it_answers() {
    let mut app = abc();
    with_web(&mut app);
    let lost = |reason: Option<&str>| Msg::SwarmLost {
        endpoint: "default".into(),
        reason: reason.map(Into::into),
    };
    update(&mut app, lost(Some("This node is not a swarm manager.")));
    let swarm = app.inventory.swarms.get("default").unwrap();
    assert_eq!(
        swarm.lost.as_deref(),
        Some("This node is not a swarm manager.")
    );
    assert_eq!(swarm.services.len(), 1, "the last picture stays");
    assert_eq!(errors(&app).len(), 1);
    update(&mut app, lost(Some("still not")));
    assert_eq!(errors(&app).len(), 1, "said once");
    changed(&mut app, None);
    assert_eq!(app.inventory.swarms.get("default").unwrap().lost, None);
}

#[test]
fn scale_on_a_swarm_service_row_plans_for_its_manager_and_read_only_refuses_it() {
    let mut app = abc();
    with_web(&mut app);
    act(&mut app, Action::ToggleTree);
    select_group(&mut app, "swarm:shop_web");
    app.options.read_only = false;
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('+'), KeyModifiers::NONE)),
    );
    match &app.screen.overlay {
        Some(Overlay::Confirm(d)) => {
            assert_eq!(d.plan.title, "scale shop/web to 3 replicas");
            assert_eq!(d.plan.steps[0].op, Operation::ScaleService { replicas: 3 });
        }
        other => panic!("no confirmation: {other:?}"),
    }
    app.screen.overlay = None;
    app.options.read_only = true;
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('+'), KeyModifiers::NONE)),
    );
    assert!(app.screen.overlay.is_none());
    assert!(
        errors(&app).iter().any(|e| e.contains("read-only")),
        "{:?}",
        errors(&app)
    );
}
