//! What looks like a secret, and its mask. Inspect, `ps --json` and the detail pane show a
//! container's environment, labels and command; operators share their screens and paste their
//! output, so values that look secret are masked unless asked for.
//!
//! A value is masked when its **name** looks secret (`DB_PASSWORD`, `GITHUB_PAT`, `db.password`,
//! `apiKey`), and a **URL's password** is masked wherever it appears
//! (`postgres://app:hunter2@db/app` → `postgres://app:••••••••@db/app`), whatever its name: a
//! `DATABASE_URL` names no secret but carries one. Masking too much costs a keystroke (reveal);
//! too little cannot be taken back.

use std::collections::BTreeMap;

use serde_json::Value;

pub const MASK: &str = "••••••••";

/// Found inside a word: `DB_PASSWORD`, `dbPassword`, `AWS_SECRET_ACCESS_KEY`.
const INSIDE_A_WORD: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PGPASS",
    "AUTHORIZATION",
    "SECRET",
    "TOKEN",
    "CREDENTIAL",
    "PRIVATE",
    "APIKEY",
    "COOKIE",
    "SESSION",
];

/// Whole words only, or a word's end (`SSHKEY`, `BASICAUTH`): as parts of other words they
/// mean something else (`PATH`, `PASSAGE`, `AUTHOR`, `KEYBOARD`).
const WHOLE_WORD: &[&str] = &["PASS", "PWD", "PAT", "DSN", "SALT", "PIN", "OTP"];
const WORD_END: &[&str] = &["KEY", "KEYS", "AUTH"];

/// Whether a variable or label of this name holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .any(|w| {
            INSIDE_A_WORD.iter().any(|m| w.contains(m))
                || WHOLE_WORD.contains(&w)
                || WORD_END.iter().any(|m| w.ends_with(m))
        })
}

/// The text with the password of every URL in it masked; None when there is none.
pub fn mask_url_passwords(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut masked = false;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the path, query, fragment, or anything that ends a word.
        let end = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | ';' | ',') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = &after[..end];
        match authority
            .rfind('@')
            .and_then(|a| authority[..a].split_once(':').map(|(user, _)| (user, a)))
        {
            Some((user, a)) if a > user.len() + 1 => {
                out.push_str(user);
                out.push(':');
                out.push_str(MASK);
                out.push_str(&authority[a..]);
                masked = true;
            }
            _ => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    masked.then_some(out)
}

/// A value under a name: all of it when the name looks secret, else its URL passwords.
pub fn mask_value(name: &str, value: &str) -> Option<String> {
    if value.is_empty() {
        None
    } else if is_secret_name(name) {
        (value != MASK).then(|| MASK.to_owned())
    } else {
        mask_url_passwords(value)
    }
}

/// `NAME=value` as the engine lists an environment.
pub fn mask_env_entry(entry: &str) -> Option<String> {
    let (name, value) = entry.split_once('=')?;
    mask_value(name, value).map(|v| format!("{name}={v}"))
}

/// Masks labels in place; returns how many values were masked.
pub fn mask_labels(labels: &mut BTreeMap<String, String>) -> usize {
    let mut masked = 0;
    for (name, value) in labels.iter_mut() {
        if let Some(v) = mask_value(name, value) {
            *value = v;
            masked += 1;
        }
    }
    masked
}

/// Masks an inspect document in place: the environment, the labels, and URL passwords in the
/// command line. Returns how many values were masked.
pub fn mask_inspect(doc: &mut Value) -> usize {
    let mut masked = 0;
    if let Some(env) = doc.pointer_mut("/Config/Env").and_then(Value::as_array_mut) {
        for entry in env.iter_mut() {
            if let Some(m) = entry.as_str().and_then(mask_env_entry) {
                *entry = Value::String(m);
                masked += 1;
            }
        }
    }
    if let Some(labels) = doc
        .pointer_mut("/Config/Labels")
        .and_then(Value::as_object_mut)
    {
        for (name, value) in labels.iter_mut() {
            if let Some(m) = value.as_str().and_then(|v| mask_value(name, v)) {
                *value = Value::String(m);
                masked += 1;
            }
        }
    }
    for pointer in [
        "/Config/Cmd",
        "/Config/Entrypoint",
        "/Args",
        "/Config/Healthcheck/Test",
    ] {
        if let Some(words) = doc.pointer_mut(pointer).and_then(Value::as_array_mut) {
            for word in words.iter_mut() {
                if let Some(m) = word.as_str().and_then(mask_url_passwords) {
                    *word = Value::String(m);
                    masked += 1;
                }
            }
        }
    }
    if let Some(path) = doc.get_mut("Path") {
        if let Some(m) = path.as_str().and_then(mask_url_passwords) {
            *path = Value::String(m);
            masked += 1;
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_by_word_not_by_accident() {
        for n in [
            "MYSQL_ROOT_PASSWORD",
            "aws_secret_access_key",
            "GITHUB_TOKEN",
            "GITHUB_PAT",
            "SSH_KEY",
            "db.password",
            "dbPassword",
            "apiKey",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "TLS_PRIVATE",
            "traefik.http.middlewares.admin.basicauth.users",
            "SENTRY_DSN",
            "REDIS_PASS",
            "DB_PWD",
            "GPG_PASSPHRASE",
            "PGPASSFILE",
            "HTTP_AUTHORIZATION",
        ] {
            assert!(is_secret_name(n), "{n} looks secret");
        }
        for n in [
            "PATH",
            "HOME",
            "LANG",
            "PASSAGE",
            "org.opencontainers.image.authors",
            "KEYBOARD_LAYOUT",
            "com.docker.compose.config-hash",
        ] {
            assert!(!is_secret_name(n), "{n} is not a secret");
        }
    }

    #[test]
    fn url_passwords_are_masked_wherever_they_are() {
        assert_eq!(
            mask_url_passwords("postgres://app:hunter2@db/app").as_deref(),
            Some("postgres://app:••••••••@db/app")
        );
        assert_eq!(
            mask_url_passwords("--upstream=https://u:p%40ss@h:8443/x?y --then amqp://a:b@q")
                .as_deref(),
            Some("--upstream=https://u:••••••••@h:8443/x?y --then amqp://a:••••••••@q")
        );
        assert_eq!(
            mask_url_passwords("amqp://u:p@h1;amqp://u:p2@h2,redis://:p3@h3").as_deref(),
            Some("amqp://u:••••••••@h1;amqp://u:••••••••@h2,redis://:••••••••@h3")
        );
        // A user without a password, a port, no authority at all: nothing to hide.
        assert_eq!(mask_url_passwords("ssh://git@github.com:22/x"), None);
        assert_eq!(mask_url_passwords("http://localhost:8080/health"), None);
        assert_eq!(mask_url_passwords("plain text"), None);
    }

    #[test]
    fn env_entries_and_labels() {
        assert_eq!(
            mask_env_entry("DATABASE_URL=postgres://app:hunter2@db/app").as_deref(),
            Some("DATABASE_URL=postgres://app:••••••••@db/app")
        );
        assert_eq!(
            mask_env_entry("GITHUB_PAT=ghp_abc").as_deref(),
            Some("GITHUB_PAT=••••••••")
        );
        assert_eq!(mask_env_entry("EMPTY_KEY="), None);
        assert_eq!(mask_env_entry("PATH=/bin"), None);
        let mut labels: BTreeMap<String, String> = [
            ("db.password", "hunter2"),
            ("app.dsn", "mysql://root:pw@db"),
            ("com.docker.compose.service", "web"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(mask_labels(&mut labels), 2);
        assert_eq!(labels["db.password"], MASK);
        assert_eq!(labels["app.dsn"], MASK);
        assert_eq!(labels["com.docker.compose.service"], "web");
    }

    #[test]
    fn an_inspect_document_is_masked_in_env_labels_and_command() {
        let mut doc = serde_json::json!({
            "Path": "app",
            "Args": ["--db", "postgres://app:hunter2@db/app"],
            "Config": {
                "Env": ["PATH=/bin", "DB_PASSWORD=hunter2", "API_TOKEN=abc", "EMPTY_KEY="],
                "Labels": {"db.password": "hunter2", "tier": "web"},
                "Cmd": ["--db", "postgres://app:hunter2@db/app"]
            }
        });
        assert_eq!(mask_inspect(&mut doc), 5);
        let text = doc.to_string();
        assert!(!text.contains("hunter2") && !text.contains("abc"), "{text}");
        assert!(text.contains("PATH=/bin") && text.contains("\"tier\":\"web\""));
    }
}
