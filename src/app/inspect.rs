//! The inspect view's text: pretty JSON with secret-looking environment values masked.

use serde_json::Value;

pub const MASK: &str = "••••••••";

/// Name fragments that mark an environment variable as secret.
const SECRET_MARKERS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "PRIVATE",
    "AUTH",
    "SESSION",
    "COOKIE",
    "SALT",
    "DSN",
];

pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| upper.contains(m))
}

/// Pretty JSON lines of an inspect document; `Config.Env` values of secret-looking names are
/// replaced by a mask unless `reveal`. Returns the lines and how many values were masked.
pub fn render_lines(doc: &Value, reveal: bool) -> (Vec<String>, usize) {
    let mut doc = doc.clone();
    let mut masked = 0;
    if !reveal {
        if let Some(env) = doc.pointer_mut("/Config/Env").and_then(Value::as_array_mut) {
            for entry in env.iter_mut() {
                if let Some(s) = entry.as_str() {
                    if let Some((name, value)) = s.split_once('=') {
                        if is_secret_name(name) && !value.is_empty() {
                            *entry = Value::String(format!("{name}={MASK}"));
                            masked += 1;
                        }
                    }
                }
            }
        }
    }
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

    #[test]
    fn secret_names() {
        for n in [
            "MYSQL_ROOT_PASSWORD",
            "aws_secret_access_key",
            "GITHUB_TOKEN",
            "SSH_KEY",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["PATH", "HOME", "LANG"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
