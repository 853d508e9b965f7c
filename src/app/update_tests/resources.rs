//! The images, volumes and networks view: read-only refuses its changes at once, and the
//! engine's own networks are never offered for removal.

use super::*;

/// The test app with its engine up (a prune goes to every engine that is).
fn up() -> App {
    let mut app = abc();
    update(
        &mut app,
        Msg::EndpointState {
            endpoint: "default".into(),
            state: crate::app::model::EndpointState::Up {
                version: "27.5.1".into(),
                api_version: "1.47".into(),
            },
        },
    );
    app
}

#[test]
fn read_only_refuses_a_prune_and_hands_the_refusal_to_the_gate_to_audit() {
    let mut app = up();
    app.options.read_only = true;
    let fx = act(&mut app, Action::Resources);
    assert!(fx.contains(&Effect::ListStorage), "{fx:?}");
    assert_eq!(app.views.current, View::Resources);
    let fx = act(&mut app, Action::Prune);
    assert!(
        matches!(&fx[..], [Effect::Refuse { plan, .. }] if plan.title == "prune dangling images"),
        "{fx:?}"
    );
    assert!(app.screen.overlay.is_none(), "no dialog in read-only");
}

#[test]
fn prune_asks_first_with_cancel_focused_and_tab_walks_the_kinds() {
    let mut app = up();
    act(&mut app, Action::Resources);
    act(&mut app, Action::Right);
    assert_eq!(
        app.views.resources.kind,
        crate::app::resources::ResourceKind::Volumes
    );
    act(&mut app, Action::Prune);
    assert_eq!(dialog(&app).focus, Button::Cancel);
    assert_eq!(dialog(&app).plan.title, "prune unused volumes");
}
