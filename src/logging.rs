//! The console's own log: records go to tui-logger's buffer for the log panel, never to the
//! terminal behind the UI.
//!
//! tui-logger's `init_logger` starts a thread that wakes every 10 ms to move records into the
//! panel's buffer: a constant cost on an idle console. Instead a plain `log::Log` feeds its
//! drain, and the event loop moves records on each tick and before drawing the panel.

use log::{LevelFilter, Log, Metadata, Record};

/// Chatty dependencies: only their warnings are worth the panel's space.
const QUIET_TARGETS: &[&str] = &[
    "bollard",
    "hyper",
    "hyper_util",
    "mio",
    "tokio_util",
    "rustls",
];

struct PanelLogger {
    drain: tui_logger::Drain,
}

impl Log for PanelLogger {
    fn enabled(&self, m: &Metadata) -> bool {
        let krate = m.target().split("::").next().unwrap_or_default();
        let quiet = QUIET_TARGETS.contains(&krate);
        let max = if quiet {
            LevelFilter::Warn
        } else {
            LevelFilter::Info
        };
        m.level() <= max
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            self.drain.log(record);
        }
    }

    fn flush(&self) {}
}

/// Messages the log panel keeps.
const PANEL_RECORDS: usize = 2_000;
/// Messages that may arrive between two ticks before the oldest is lost.
const HOT_RECORDS: usize = 256;

/// Installs the logger once; later calls (tests, a second console in one process) are no-ops.
pub fn init() {
    let logger = Box::new(PanelLogger {
        drain: tui_logger::Drain::new(),
    });
    if log::set_boxed_logger(logger).is_ok() {
        log::set_max_level(LevelFilter::Info);
        // The panel keeps the last PANEL_RECORDS messages (tui-logger's default is 10 000, a few
        // megabytes once full). Records wait in a hot buffer only until the next tick, so a small
        // one suffices; it is allocated anew at every move.
        tui_logger::set_buffer_depth(PANEL_RECORDS);
        tui_logger::set_hot_buffer_depth(HOT_RECORDS);
    }
}

/// Moves buffered records to where the panel reads them.
pub fn flush_to_panel() {
    tui_logger::move_events();
}
