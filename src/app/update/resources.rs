//! The images, volumes and networks view: switching kind, moving, and removing or pruning
//! through the gate (confirmed, refused by read-only, audited like any change).

use super::*;
use crate::app::resources::{rows, ResourceKind, ResourceRow};
use crate::ops::{Operation, Plan, PruneWhat, Scope, Step, Target};

pub(crate) fn on_action(
    app: &mut App,
    action: Action,
    _arg: Option<Arg>,
    origin: Origin,
    fx: &mut Vec<Effect>,
) {
    let page = app.screen.viewport.body_rows.max(1) as usize;
    let last = row_count(app).saturating_sub(1);
    let r = &mut app.views.resources;
    match action {
        Action::Right => {
            r.kind = r.kind.next(true);
            r.cursor = 0;
        }
        Action::Left => {
            r.kind = r.kind.next(false);
            r.cursor = 0;
        }
        Action::Up => r.cursor = r.cursor.saturating_sub(1),
        Action::Down => r.cursor = (r.cursor + 1).min(last),
        Action::PageUp => r.cursor = r.cursor.saturating_sub(page),
        Action::PageDown => r.cursor = (r.cursor + page).min(last),
        Action::Top => r.cursor = 0,
        Action::Bottom => r.cursor = last,
        Action::Remove => ask_to_remove(app, origin, fx),
        Action::Prune => ask_to_prune(app, origin, fx),
        _ => {}
    }
}

/// The row under the cursor.
pub(crate) fn selected(app: &App) -> Option<ResourceRow> {
    let r = &app.views.resources;
    rows(r, &app.inventory, r.kind).into_iter().nth(r.cursor)
}

fn ask_to_remove(app: &mut App, origin: Origin, fx: &mut Vec<Effect>) {
    let Some(row) = selected(app) else {
        return;
    };
    if row.builtin {
        let text = format!(
            "{} is the engine's own network: it cannot be removed",
            row.name
        );
        return toast(app, ToastLevel::Error, text);
    }
    let kind = app.views.resources.kind;
    // An image of several names goes name by name (the engine refuses an id that more than
    // one repository names); the last name's removal removes the image.
    if kind == ResourceKind::Images && row.tags.len() > 1 {
        let steps = row
            .tags
            .iter()
            .map(|tag| {
                Step::new(
                    Target::Image {
                        endpoint: row.endpoint.clone(),
                        image: tag.clone(),
                    },
                    Operation::RemoveImage { force: false },
                )
            })
            .collect();
        let plan = Plan {
            id: app.next_plan_id(),
            title: format!("remove image {}", row.name),
            origin,
            steps,
            on_failure: crate::ops::OnFailure::Stop,
            scope: Scope::Containers,
        };
        return confirm_or_refuse(app, plan, used_notes(&row), fx);
    }
    let (target, op, what) = match kind {
        ResourceKind::Images => (
            Target::Image {
                endpoint: row.endpoint.clone(),
                image: row.id.clone(),
            },
            Operation::RemoveImage { force: false },
            "image",
        ),
        ResourceKind::Volumes => (
            Target::Volume {
                endpoint: row.endpoint.clone(),
                volume: row.id.clone(),
            },
            Operation::RemoveVolume,
            "volume",
        ),
        ResourceKind::Networks => (
            Target::Network {
                endpoint: row.endpoint.clone(),
                id: row.id.clone(),
                name: row.name.clone(),
            },
            Operation::RemoveNetwork,
            "network",
        ),
    };
    let notes = used_notes(&row);
    let plan = Plan {
        id: app.next_plan_id(),
        title: format!("remove {what} {}", row.name),
        origin,
        steps: vec![Step::new(target, op)],
        on_failure: crate::ops::OnFailure::Stop,
        scope: Scope::Containers,
    };
    confirm_or_refuse(app, plan, notes, fx);
}

fn used_notes(row: &ResourceRow) -> Vec<String> {
    if row.used_by.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "in use by {}: the engine refuses while they use it",
        row.used_by.join(", ")
    )]
}

fn ask_to_prune(app: &mut App, origin: Origin, fx: &mut Vec<Effect>) {
    let kind = app.views.resources.kind;
    let what = match kind {
        ResourceKind::Images => PruneWhat::DanglingImages,
        ResourceKind::Volumes => PruneWhat::Volumes,
        ResourceKind::Networks => PruneWhat::Networks,
    };
    // Every attached engine that is up, one step each: what nothing uses anywhere.
    let steps: Vec<Step> = app
        .endpoints
        .attached
        .iter()
        .filter(|e| matches!(e.state, crate::app::model::EndpointState::Up { .. }))
        .map(|e| {
            Step::new(
                Target::Engine {
                    endpoint: e.name.clone(),
                },
                Operation::Prune { what },
            )
        })
        .collect();
    if steps.is_empty() {
        return toast(app, ToastLevel::Error, "no engine is up to prune".into());
    }
    let unused = rows(&app.views.resources, &app.inventory, kind)
        .iter()
        .filter(|r| match what {
            PruneWhat::DanglingImages => r.dangling && r.used_by.is_empty(),
            _ => r.used_by.is_empty() && !r.builtin,
        })
        .count();
    let mut notes = vec![format!(
        "{unused} listed here may go; what the engine removes cannot be brought back"
    )];
    if what == PruneWhat::Volumes {
        notes.push("Engines from 23 on prune only anonymous volumes this way.".into());
    }
    let plan = Plan {
        id: app.next_plan_id(),
        title: format!("prune {}", what.text()),
        origin,
        steps,
        on_failure: crate::ops::OnFailure::EachAlone,
        scope: Scope::Containers,
    };
    confirm_or_refuse(app, plan, notes, fx);
}

fn confirm_or_refuse(app: &mut App, plan: Plan, notes: Vec<String>, fx: &mut Vec<Effect>) {
    if app.options.read_only {
        return refuse_read_only(app, plan, fx);
    }
    app.screen.overlay = Some(Overlay::Confirm(ConfirmDialog::prepared(plan, notes)));
}

/// One endpoint's listing arrived.
pub(super) fn on_listed(
    app: &mut App,
    endpoint: String,
    result: Result<
        (
            Vec<crate::app::model::ImageInfo>,
            Vec<crate::app::model::VolumeInfo>,
        ),
        String,
    >,
) {
    let r = &mut app.views.resources;
    r.loaded = true;
    r.images.retain(|i| i.endpoint != endpoint);
    r.volumes.retain(|v| v.endpoint != endpoint);
    r.errors.retain(|(e, _)| *e != endpoint);
    match result {
        Ok((images, volumes)) => {
            r.images.extend(images);
            r.volumes.extend(volumes);
        }
        Err(e) => r.errors.push((endpoint, e)),
    }
    // After a removal the list is shorter: the cursor stays on a row.
    let last = row_count(app).saturating_sub(1);
    let r = &mut app.views.resources;
    r.cursor = r.cursor.min(last);
}

/// Lines the view shows now.
fn row_count(app: &App) -> usize {
    let r = &app.views.resources;
    rows(r, &app.inventory, r.kind).len()
}

/// A change ended while the view is shown: list again, to show what it did.
pub(crate) fn relist(app: &App, fx: &mut Vec<Effect>) {
    if app.views.current == View::Resources {
        fx.push(Effect::ListStorage);
    }
}
