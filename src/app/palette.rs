//! The `:` command palette: every action by its keymap name, plus a few commands that take an
//! argument (`:theme light`, `:sort uptime desc`, `:filter state:running`).

use super::action::{Action, Invocation, InvocationError};
use super::rows::SortColumn;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Action(Invocation),
    Theme(String),
    Sort(SortColumn, Option<bool>),
    Filter(String),
    /// The logs again from the last N lines, or from a time ago (seconds).
    LogsFrom(LogsFrom),
    Nothing,
}

/// Where `:tail` and `:since` start the logs view over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogsFrom {
    Tail(usize),
    SinceSecs(i64),
}

/// `90s`, `15m`, `2h`, `1d` (a bare number is seconds).
fn parse_duration(text: &str) -> Option<i64> {
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = digits.parse().ok()?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    // Ten years is further back than any engine keeps logs; more is a typo.
    const MOST: i64 = 10 * 365 * 86_400;
    n.checked_mul(scale).filter(|s| *s <= MOST)
}

/// Commands with arguments, and short aliases, besides the action names.
const EXTRA: &[&str] = &[
    "theme", "sort", "filter", "tail", "since", "ctx", "q", "quit!",
];
pub const THEMES: &[&str] = &["dark", "light", "mono"];

/// What a palette command does, for its suggestion line: an action's description from the
/// keymap, or the palette's own words for its commands.
pub fn describe(name: &str, keymap: &crate::config::keymap::Keymap) -> String {
    let own = match name {
        "theme" => Some("Switch theme: theme dark|light|mono"),
        "sort" => Some("Sort by a column: sort <column> [asc|desc]"),
        "filter" => Some("Filter the table: filter state:running web"),
        "ctx" => Some("Endpoints and contexts"),
        "tail" => Some("Logs again from the last N lines: tail 5000"),
        "since" => Some("Logs again from a time ago: since 15m"),
        "q" | "quit!" => Some("Quit"),
        _ => None,
    };
    if let Some(own) = own {
        return own.to_owned();
    }
    super::action::KeyContext::ALL
        .iter()
        .flat_map(|c| keymap.bindings(*c))
        .find(|b| b.action.name() == name)
        .map(|b| b.desc.clone())
        .unwrap_or_default()
}

/// Every first word the palette understands, for completion and the help text.
pub fn command_names() -> Vec<String> {
    let mut names: Vec<String> = Action::ALL.iter().map(|a| a.name().to_owned()).collect();
    names.extend(EXTRA.iter().map(|s| s.to_string()));
    names.sort();
    names
}

pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(cmd) = words.next() else {
        return Ok(Command::Nothing);
    };
    let rest: Vec<&str> = words.collect();
    match cmd {
        "q" | "quit!" => Ok(Command::Action(Action::Quit.into())),
        "ctx" => Ok(Command::Action(Action::Endpoints.into())),
        "theme" => match rest.as_slice() {
            [name] => Ok(Command::Theme((*name).to_owned())),
            _ => Err(format!("usage: theme <{}>", THEMES.join("|"))),
        },
        "sort" => {
            let usage = || {
                let cols: Vec<&str> = SortColumn::ALL.iter().map(|c| c.name()).collect();
                format!("usage: sort <{}> [asc|desc]", cols.join("|"))
            };
            let col = rest
                .first()
                .and_then(|c| SortColumn::from_name(c))
                .ok_or_else(usage)?;
            let dir = match rest.get(1) {
                None => None,
                Some(&"asc") => Some(false),
                Some(&"desc") => Some(true),
                Some(_) => return Err(usage()),
            };
            Ok(Command::Sort(col, dir))
        }
        "filter" => Ok(Command::Filter(rest.join(" "))),
        "tail" => match rest.as_slice() {
            [n] => n
                .parse()
                .map(|n| Command::LogsFrom(LogsFrom::Tail(n)))
                .map_err(|_| format!("tail: {n:?} is not a number of lines")),
            _ => Err("usage: tail <lines> (in the logs view)".into()),
        },
        "since" => match rest.as_slice() {
            [d] => parse_duration(d)
                .map(|s| Command::LogsFrom(LogsFrom::SinceSecs(s)))
                .ok_or_else(|| format!("since: {d:?} is not a duration (90s, 15m, 2h, 1d)")),
            _ => Err("usage: since <duration> (in the logs view: 90s, 15m, 2h, 1d)".into()),
        },
        name => match Invocation::parse(line) {
            Ok(invocation) => Ok(Command::Action(invocation)),
            Err(InvocationError::Usage(usage)) => Err(usage),
            Err(InvocationError::UnknownAction) => {
                Err(format!("unknown command \"{name}\" (Tab completes)"))
            }
        },
    }
}

/// Completes the word being typed: the command, or the argument of `theme` and `sort`.
/// Returns None when nothing (or nothing unambiguous beyond what is typed) completes.
pub fn complete(line: &str) -> Option<String> {
    let words: Vec<&str> = line.split(' ').collect();
    let (head, partial, candidates): (String, &str, Vec<String>) = match words.as_slice() {
        [one] => (String::new(), one, command_names()),
        ["theme", arg] => (
            "theme ".into(),
            arg,
            THEMES.iter().map(|s| s.to_string()).collect(),
        ),
        ["sort", arg] => (
            "sort ".into(),
            arg,
            SortColumn::ALL
                .iter()
                .map(|c| c.name().to_string())
                .collect(),
        ),
        _ => return None,
    };
    let matching: Vec<&String> = candidates
        .iter()
        .filter(|c| c.starts_with(partial))
        .collect();
    let common = common_prefix(&matching)?;
    let mut out = format!("{head}{common}");
    if matching.len() == 1
        && head.is_empty()
        && ["theme", "sort", "filter"].contains(&common.as_str())
    {
        out.push(' ');
    }
    (out != line).then_some(out)
}

/// The candidates for what is being typed, for the list shown under the palette.
pub fn suggestions(line: &str) -> Vec<String> {
    let first = line.split(' ').next().unwrap_or("");
    if line.contains(' ') {
        return Vec::new();
    }
    command_names()
        .into_iter()
        .filter(|c| c.starts_with(first))
        .collect()
}

fn common_prefix(words: &[&String]) -> Option<String> {
    let first = words.first()?;
    let mut len = first.len();
    for w in &words[1..] {
        len = first
            .bytes()
            .zip(w.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    Some(first[..len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_aliases_and_arguments() {
        assert_eq!(parse("logs"), Ok(Command::Action(Action::Logs.into())));
        assert_eq!(parse("q"), Ok(Command::Action(Action::Quit.into())));
        assert_eq!(parse("theme light"), Ok(Command::Theme("light".into())));
        assert_eq!(
            parse("sort uptime desc"),
            Ok(Command::Sort(SortColumn::Uptime, Some(true)))
        );
        assert_eq!(
            parse("filter state:running web"),
            Ok(Command::Filter("state:running web".into()))
        );
        assert!(parse("frobnicate").unwrap_err().contains("unknown command"));
        assert!(parse("sort nope").is_err());
        assert_eq!(parse("  "), Ok(Command::Nothing));
    }

    #[test]
    fn completes_commands_and_arguments() {
        assert_eq!(complete("insp").as_deref(), Some("inspect"));
        assert_eq!(complete("them").as_deref(), Some("theme "));
        assert_eq!(complete("theme l").as_deref(), Some("theme light"));
        assert_eq!(complete("sort up").as_deref(), Some("sort uptime"));
        // "toggle_" is shared by several: completes to the common prefix only.
        assert_eq!(complete("togg").as_deref(), Some("toggle_"));
        assert_eq!(complete("zzz"), None);
        assert!(suggestions("toggle_").len() > 2);
    }
}
