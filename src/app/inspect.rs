//! The inspect view's text: pretty JSON with what looks secret masked.

use serde_json::Value;

pub use crate::secrets::MASK;

/// Pretty JSON lines of an inspect document; values that look secret (`crate::secrets`: the
/// environment, labels, URL passwords in the command) are masked unless `reveal`. Returns the
/// lines and how many values were masked.
pub fn render_lines(doc: &Value, reveal: bool) -> (Vec<String>, usize) {
    let mut doc = doc.clone();
    let masked = if reveal {
        0
    } else {
        crate::secrets::mask_inspect(&mut doc)
    };
    let text = serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("<{e}>"));
    let lines = text
        .lines()
        .map(|l| super::logbuf::sanitize(l.as_bytes()))
        .collect();
    (lines, masked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_env_values_until_revealed() {
        let doc = serde_json::json!({
            "Config": {"Env": ["PATH=/bin", "DB_PASSWORD=hunter2", "API_TOKEN=abc", "EMPTY_KEY="]}
        });
        let (lines, masked) = render_lines(&doc, false);
        let text = lines.join("\n");
        assert_eq!(masked, 2);
        assert!(text.contains("PATH=/bin"));
        assert!(text.contains(&format!("DB_PASSWORD={MASK}")));
        assert!(!text.contains("hunter2") && !text.contains("abc\""));
        let (lines, masked) = render_lines(&doc, true);
        assert_eq!(masked, 0);
        assert!(lines.join("\n").contains("hunter2"));
    }
}
