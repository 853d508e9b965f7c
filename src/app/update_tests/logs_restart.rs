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
    let first = app.views.logs.as_ref().unwrap().sources[0].session;
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
    assert!(logs.sources[0].awaiting_start);
    assert!(logs.ended.as_deref().unwrap().contains("following again"));

    let fx = restarted(&mut app, "bravo", app_time());
    let logs = app.views.logs.as_ref().unwrap();
    let second = logs.sources[0].session;
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
    assert!(logs.ended.is_none() && !logs.sources[0].awaiting_start);
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
    let first = app.views.logs.as_ref().unwrap().sources[0].session;
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

    let now = app.views.logs.as_ref().unwrap().sources[0].session;
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

#[test]
fn merged_logs_of_a_service_interleave_by_time_tag_replicas_and_follow_new_ones() {
    let mut app = projects();
    act(&mut app, Action::ToggleTree);
    select_group(&mut app, "s:demo/web");
    let fx = press(&mut app, KeyCode::Enter);
    let logs = app.views.logs.as_ref().unwrap();
    assert!(logs.is_merged());
    assert_eq!(logs.title, "demo/web");
    let names: Vec<&str> = logs.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["demo-web-1", "demo-web-2"]);
    assert_eq!(fx.len(), 2, "one stream each: {fx:?}");
    let (one, two) = (logs.sources[0].session, logs.sources[1].session);
    // Each backlog arrives whole, the second after the first: shown by time.
    stamped(
        &mut app,
        one,
        &[
            ("2026-11-22T19:19:01.000000000Z", "web-1 first"),
            ("2026-11-22T19:19:03.000000000Z", "web-1 third"),
        ],
    );
    stamped(
        &mut app,
        two,
        &[
            ("2026-11-22T19:19:02.000000000Z", "web-2 second"),
            ("2026-11-22T19:19:04.000000000Z", "web-2 fourth"),
        ],
    );
    assert_eq!(
        texts(&app),
        ["web-1 first", "web-2 second", "web-1 third", "web-2 fourth"]
    );
    let sources: Vec<u16> = app
        .views
        .logs
        .as_ref()
        .unwrap()
        .buffer
        .iter()
        .map(|l| l.source)
        .collect();
    assert_eq!(sources, [0, 1, 0, 1]);
    // A new replica of the service is followed as it appears.
    let mut third = app
        .inventory
        .by_key(&key_of(&app, "demo-web-1"))
        .unwrap()
        .clone();
    third.key.id = "c0ffee".repeat(10) + "0000";
    third.name = "demo-web-3".into();
    let fx = update(&mut app, Msg::ContainerChanged(Box::new(third)));
    assert!(
        matches!(&fx[..], [Effect::FollowLogs { key, .. }] if key.id.starts_with("c0ffee")),
        "{fx:?}"
    );
    assert!(texts(&app).last().unwrap().contains("demo-web-3 joined"));
    // Leaving stops every stream.
    let fx = press(&mut app, KeyCode::Esc);
    let stopped = fx
        .iter()
        .filter(|f| matches!(f, Effect::StopLogs { .. }))
        .count();
    assert_eq!(stopped, 3, "{fx:?}");
}
