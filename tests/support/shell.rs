//! A shell in a container, driven as an operator would: `x`, `y`, type, read, `exit`.

use std::time::Duration;

use super::bin::{Tui, WhDirs};

/// Opens a shell in the selected container `name` (filtered to one row), runs a command that
/// proves it is inside with a real TTY of the terminal's size, resizes the terminal, exits
/// with a code, and checks the console comes back and the audit log holds the session.
pub fn shell_round_trip(t: &Tui, dirs: &WhDirs, name: &str, id: &str) {
    t.send_keys(&["x"]);
    t.expect_text(&format!("Open a shell in {name}"), Duration::from_secs(5));
    t.send_keys(&["y"]);
    t.expect_text(
        &format!("── open a shell in {name}"),
        Duration::from_secs(15),
    );
    t.expect_text("/ #", Duration::from_secs(15));
    t.send_literal("echo in-$(hostname) tty=$(stty size)");
    t.send_keys(&["Enter"]);
    let short = &id[..12];
    let (cols, rows) = t.size();
    t.expect_text(
        &format!("in-{short} tty={rows} {cols}"),
        Duration::from_secs(10),
    );
    // A resize reaches the session's TTY.
    t.resize(cols - 10, rows - 4);
    std::thread::sleep(Duration::from_millis(500));
    t.send_literal("echo now=$(stty size)");
    t.send_keys(&["Enter"]);
    t.expect_text(
        &format!("now={} {}", rows - 4, cols - 10),
        Duration::from_secs(10),
    );
    t.send_literal("exit 3");
    t.send_keys(&["Enter"]);
    // The console is back, whole (its notice of the end lasts a few seconds only, so the
    // audit log is what says how it ended).
    t.expect_text("Containers", Duration::from_secs(20));
    t.expect_text(name, Duration::from_secs(5));
    let records = super::poll(Duration::from_secs(5), || {
        let r = dirs.audit_records();
        match r.iter().find(|r| r["phase"] == "outcome") {
            Some(_) => Ok(r),
            None => Err(format!("no outcome yet: {r:?}")),
        }
    })
    .unwrap();
    let outcome = records.iter().find(|r| r["phase"] == "outcome").unwrap();
    assert_eq!(outcome["action"], "exec", "{outcome}");
    assert_eq!(outcome["exit_code"], 3, "{outcome}");
    assert_eq!(outcome["container_id"], id, "{outcome}");
    assert!(
        records.iter().any(|r| r["phase"] == "intent"),
        "{records:?}"
    );
}
