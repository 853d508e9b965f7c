//! The logs view follows its container across a restart: a stream that ends with the
//! container is resumed when it starts again, after the last line seen, with a line saying so.

use super::*;
use crate::app::logbuf::LogLine;

fn stamped(app: &mut App, session: u64, lines: &[(&str, &str)]) {
    let mut bytes = Vec::new();
    for (ts, text) in lines {
        bytes.extend_from_slice(format!("{ts} {text}\n").as_bytes());
    }
    update(
        app,
        Msg::LogChunk {
            session,
            stream: Stream::Stdout,
            bytes,
        },
    );
}

fn texts(app: &App) -> Vec<String> {
    let logs = app.views.logs.as_ref().unwrap();
    logs.buffer
        .iter()
        .map(|l: &LogLine| l.text.clone())
        .collect()
}

fn restarted(app: &mut App, name: &str, at: chrono::DateTime<chrono::Utc>) -> Vec<Effect> {
    let mut c = app.inventory.by_key(&key_of(app, name)).unwrap().clone();
    c.state = crate::app::model::RunState::Running;
    c.started_at = Some(at);
    update(app, Msg::ContainerChanged(Box::new(c)))
}

#[test]
fn a_stream_that_ends_with_its_container_resumes_when_it_starts_again() {
    let mut app = abc();
    select(&mut app, "bravo");
    press(&mut app, KeyCode::Enter);
    let first = app.views.logs.as_ref().unwrap().session;
    stamped(
        &mut app,
        first,
        &[
            ("2026-11-22T19:19:00.100000000Z", "one"),
            ("2026-11-22T19:19:00.200000000Z", "two"),
        ],
    );
    let fx = update(
        &mut app,
        Msg::LogEnded {
            session: first,
            error: None,
        },
    );
    assert!(fx.is_empty(), "still the same run: wait for it to start");
    let logs = app.views.logs.as_ref().unwrap();
    assert!(logs.awaiting_start);
    assert!(logs.ended.as_deref().unwrap().contains("following again"));

    let fx = restarted(&mut app, "bravo", app_time());
    let logs = app.views.logs.as_ref().unwrap();
    let second = logs.session;
    assert_ne!(second, first);
    assert_eq!(
        fx,
        [Effect::FollowLogs {
            key: key_of(&app, "bravo"),
            session: second,
            tail: 1000,
            // The second of the last line seen: the engine takes whole seconds.
            since: Some(
                chrono::DateTime::parse_from_rfc3339("2026-11-22T19:19:00Z")
                    .unwrap()
                    .timestamp()
            ),
        }]
    );
    assert!(logs.ended.is_none() && !logs.awaiting_start);
    // The resumed stream repeats that second's lines; they are not shown twice.
    stamped(
        &mut app,
        second,
        &[
            ("2026-11-22T19:19:00.100000000Z", "one"),
            ("2026-11-22T19:19:00.200000000Z", "two"),
            ("2026-11-22T19:19:05.000000000Z", "three"),
        ],
    );
    let shown = texts(&app);
    assert_eq!(shown[..2], ["one", "two"]);
    assert!(
        shown[2].contains("stopped") && shown[3].contains("restarted at"),
        "{shown:?}"
    );
    assert_eq!(shown[4..], ["three"]);
}

#[test]
fn a_restart_seen_before_the_stream_ends_reattaches_at_once_and_an_error_does_not() {
    let mut app = abc();
    select(&mut app, "bravo");
    press(&mut app, KeyCode::Enter);
    let first = app.views.logs.as_ref().unwrap().session;
    // The start event came before the end of the old stream.
    restarted(&mut app, "bravo", app_time());
    let fx = update(
        &mut app,
        Msg::LogEnded {
            session: first,
            error: None,
        },
    );
    assert!(
        matches!(fx[..], [Effect::FollowLogs { since: None, .. }]),
        "{fx:?}"
    );

    let now = app.views.logs.as_ref().unwrap().session;
    let fx = update(
        &mut app,
        Msg::LogEnded {
            session: now,
            error: Some("engine went away".into()),
        },
    );
    assert!(fx.is_empty());
    assert_eq!(
        app.views.logs.as_ref().unwrap().ended.as_deref(),
        Some("engine went away")
    );
}
