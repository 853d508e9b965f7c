//! Keymaps: which key sequences run which actions, per keyboard context.
//! Loaded from TOML (embedded presets, then the user's file merged over them)
//! and validated with file and line, so a typo never silently drops a key.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, Source};
use super::suggest::did_you_mean;
use crate::app::action::{Action, Arg, Invocation, InvocationError, KeyContext};

pub use super::keypress::KeyPress;

/// Keymap presets compiled into the binary, by name.
const PRESETS: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
];

/// `run` values that remove a binding instead of adding one.
const UNBIND: &[&str] = &["none", ""];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeyPress>,
    pub action: Action,
    /// What `run` says after the action's name (`run = "scale +1"`).
    pub arg: Option<Arg>,
    pub desc: String,
}

impl Binding {
    pub fn invocation(&self) -> Invocation {
        Invocation {
            action: self.action,
            arg: self.arg,
        }
    }
}

impl Binding {
    /// The key sequence as shown in help and footer hints, e.g. `g g`.
    pub fn keys_display(&self) -> String {
        display_sequence(&self.keys)
    }
}

/// What a key sequence typed so far means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    Action(Invocation),
    /// The start of a longer binding: wait for the next key.
    Prefix,
    Unbound,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keymap {
    bindings: BTreeMap<KeyContext, Vec<Binding>>,
    /// Sequences a user file unbinds (`run = "none"`); applied by `merged_over`.
    unbound: BTreeMap<KeyContext, Vec<Vec<KeyPress>>>,
}

impl Keymap {
    pub fn preset_names() -> impl Iterator<Item = &'static str> {
        PRESETS.iter().map(|(name, _)| *name)
    }

    pub fn preset(name: &str) -> Result<Keymap, ConfigError> {
        let (name, text) = PRESETS
            .iter()
            .find(|(preset, _)| *preset == name)
            .ok_or_else(|| ConfigError::UnknownPreset {
                kind: "keymap",
                name: name.to_owned(),
                known: Keymap::preset_names().collect(),
            })?;
        Keymap::parse(text, &format!("<embedded keymaps/{name}.toml>"))
    }

    pub fn parse(text: &str, path_for_errors: &str) -> Result<Keymap, ConfigError> {
        let source = Source::new(path_for_errors, text);
        let file: BTreeMap<Spanned<String>, RawSection> =
            toml::from_str(text).map_err(|e| source.toml_error(&e))?;
        // Report problems in file order, not in the map's alphabetical order.
        let mut sections: Vec<_> = file.into_iter().collect();
        sections.sort_by_key(|(name, _)| name.span().start);

        let mut keymap = Keymap::default();
        for (name, section) in sections {
            let context = parse_context(&source, &name)?;
            let mut seen = SeenSequences::default();
            for raw in section.keymap {
                let span = raw.span();
                let entry = parse_entry(&source, context, raw.into_inner(), span)?;
                seen.check(&source, context, &entry)?;
                match entry.action {
                    Some(run) => keymap.bindings.entry(context).or_default().push(Binding {
                        keys: entry.keys,
                        action: run.action,
                        arg: run.arg,
                        desc: entry.desc,
                    }),
                    None => keymap.unbound.entry(context).or_default().push(entry.keys),
                }
            }
        }
        Ok(keymap)
    }

    /// The user's keymap laid over `base`: a user binding replaces the base
    /// binding of the same sequence (in place, so help keeps its order), base
    /// bindings that would make a user sequence ambiguous are dropped, and
    /// `run = "none"` removes a base binding.
    pub fn merged_over(self, base: Keymap) -> Keymap {
        let mut merged = base.bindings;
        for context in KeyContext::ALL {
            let user = self.bindings.get(context).map_or(&[][..], Vec::as_slice);
            let unbound = self.unbound.get(context).map_or(&[][..], Vec::as_slice);
            let list = merged.entry(*context).or_default();
            list.retain(|b| !unbound.contains(&b.keys));
            let mut added = Vec::new();
            for binding in user {
                match list.iter_mut().find(|b| b.keys == binding.keys) {
                    Some(slot) => *slot = binding.clone(),
                    None => added.push(binding.clone()),
                }
            }
            list.retain(|b| {
                !user
                    .iter()
                    .any(|u| is_strict_prefix_either_way(&u.keys, &b.keys))
            });
            list.extend(added);
        }
        merged.retain(|_, list| !list.is_empty());
        Keymap {
            bindings: merged,
            unbound: BTreeMap::new(),
        }
    }

    /// What `seq` means in `context`, falling through to `global` when the
    /// context does not bind it (see `falls_through`).
    pub fn lookup(&self, context: KeyContext, seq: &[KeyPress]) -> Lookup {
        let Some(first) = seq.first() else {
            return Lookup::Unbound;
        };
        match self.lookup_in(context, seq) {
            Lookup::Unbound if falls_through(context, first) => {
                self.lookup_in(KeyContext::Global, seq)
            }
            found => found,
        }
    }

    fn lookup_in(&self, context: KeyContext, seq: &[KeyPress]) -> Lookup {
        let mut is_prefix = false;
        for binding in self.bindings(context) {
            if binding.keys == seq {
                return Lookup::Action(binding.invocation());
            }
            is_prefix |= binding.keys.starts_with(seq);
        }
        if is_prefix {
            Lookup::Prefix
        } else {
            Lookup::Unbound
        }
    }

    /// Bindings of one context in file order, for the help overlay.
    pub fn bindings(&self, context: KeyContext) -> &[Binding] {
        self.bindings.get(&context).map_or(&[], Vec::as_slice)
    }

    /// The first key sequence that runs `action` in `context`, or failing
    /// that a reachable one in `global`, as shown in footer hints: `s`, `g g`.
    pub fn hint(&self, context: KeyContext, action: Action) -> Option<String> {
        let own = self.bindings(context).iter();
        let inherited = self
            .bindings(KeyContext::Global)
            .iter()
            .filter(|b| b.keys.first().is_some_and(|k| falls_through(context, k)));
        own.chain(inherited)
            .find(|b| b.action == action)
            .map(Binding::keys_display)
    }
}

/// Whether a sequence starting with `first` that `context` leaves unbound
/// goes on to `global`. Text inputs keep typable keys, so typing `q` into a
/// filter never quits, while <C-c> and the arrows still work there.
fn falls_through(context: KeyContext, first: &KeyPress) -> bool {
    match context {
        KeyContext::Global => false,
        KeyContext::Input => !first.is_text(),
        _ => true,
    }
}

fn display_sequence(keys: &[KeyPress]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_strict_prefix_either_way(a: &[KeyPress], b: &[KeyPress]) -> bool {
    a != b && (a.starts_with(b) || b.starts_with(a))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    #[serde(default)]
    keymap: Vec<Spanned<RawBinding>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: Option<Spanned<RawKeys>>,
    run: Option<Spanned<String>>,
    desc: Option<String>,
}

#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "\"on\" must be a key such as \"s\" or a list of keys such as [\"g\", \"g\"]"
)]
enum RawKeys {
    One(String),
    Sequence(Vec<String>),
}

/// A validated line of a keymap file; `action` is `None` for an unbind.
struct Entry {
    keys: Vec<KeyPress>,
    keys_span: Range<usize>,
    action: Option<Invocation>,
    desc: String,
}

fn parse_context(source: &Source, name: &Spanned<String>) -> Result<KeyContext, ConfigError> {
    let known = || KeyContext::ALL.iter().map(|c| context_name(*c));
    known()
        .position(|known| known == name.as_ref())
        .map(|i| KeyContext::ALL[i])
        .ok_or_else(|| {
            source.error_at(
                name.span(),
                format!(
                    "unknown section [{}]; sections are {}{}",
                    name.as_ref(),
                    known()
                        .map(|n| format!("[{n}]"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    did_you_mean(name.as_ref(), known())
                ),
            )
        })
}

pub(crate) fn context_name(context: KeyContext) -> &'static str {
    match context {
        KeyContext::Global => "global",
        KeyContext::Table => "table",
        KeyContext::Logs => "logs",
        KeyContext::Inspect => "inspect",
        KeyContext::Events => "events",
        KeyContext::Activity => "activity",
        KeyContext::Resources => "resources",
        KeyContext::Topology => "topology",
        KeyContext::Canary => "canary",
        KeyContext::Agent => "agent",
        KeyContext::Confirm => "confirm",
        KeyContext::Help => "help",
        KeyContext::Endpoints => "endpoints",
        KeyContext::Input => "input",
    }
}

fn parse_entry(
    source: &Source,
    context: KeyContext,
    raw: RawBinding,
    span: Range<usize>,
) -> Result<Entry, ConfigError> {
    let section = context_name(context);
    let on = raw.on.ok_or_else(|| {
        source.error_at(
            span.clone(),
            format!("binding in [{section}] has no \"on\"; add the key to press, e.g. on = \"s\""),
        )
    })?;
    let keys_span = on.span();
    let texts = match on.into_inner() {
        RawKeys::One(text) => vec![text],
        RawKeys::Sequence(texts) => texts,
    };
    if texts.is_empty() {
        return Err(source.error_at(
            keys_span,
            format!("empty key sequence in [{section}]; give at least one key"),
        ));
    }
    let keys = texts
        .iter()
        .map(|text| KeyPress::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|message| {
            source.error_at(keys_span.clone(), format!("{message} in [{section}]"))
        })?;

    let run = raw.run.ok_or_else(|| {
        source.error_at(
            span,
            format!(
                "binding in [{section}] has no \"run\"; name an action, or run = \"none\" to unbind"
            ),
        )
    })?;
    let action = if UNBIND.contains(&run.as_ref().as_str()) {
        None
    } else {
        let invocation = Invocation::parse(run.as_ref()).map_err(|e| {
            let name = run.as_ref().split_whitespace().next().unwrap_or_default();
            let message = match e {
                InvocationError::UnknownAction => format!(
                    "unknown action \"{name}\" in [{section}]{}",
                    did_you_mean(name, Action::ALL.iter().map(|a| a.name()))
                ),
                InvocationError::Usage(usage) => format!("{usage} (in [{section}])"),
            };
            source.error_at(run.span(), message)
        })?;
        Some(invocation)
    };
    let desc = raw
        .desc
        .or_else(|| action.map(|a| a.action.name().replace('_', " ")))
        .unwrap_or_default();
    Ok(Entry {
        keys,
        keys_span,
        action,
        desc,
    })
}

/// Sequences already bound in one section, with where, to report clashes.
#[derive(Default)]
struct SeenSequences {
    seen: Vec<(Vec<KeyPress>, bool, usize)>,
}

impl SeenSequences {
    fn check(
        &mut self,
        source: &Source,
        context: KeyContext,
        entry: &Entry,
    ) -> Result<(), ConfigError> {
        let section = context_name(context);
        let keys = display_sequence(&entry.keys);
        let binds = entry.action.is_some();
        for (other, other_binds, line) in &self.seen {
            if *other == entry.keys {
                return Err(source.error_at(
                    entry.keys_span.clone(),
                    format!(
                        "\"{keys}\" is bound twice in [{section}] (first on line {line}); \
                         remove one of them"
                    ),
                ));
            }
            // An unbind cannot make anything ambiguous: it binds nothing.
            if binds && *other_binds && is_strict_prefix_either_way(other, &entry.keys) {
                return Err(source.error_at(
                    entry.keys_span.clone(),
                    format!(
                        "\"{keys}\" and \"{}\" (line {line}) are ambiguous in [{section}]: \
                         one starts the other; bind one of them to a different key",
                        display_sequence(other)
                    ),
                ));
            }
        }
        let (line, _) = source.position(entry.keys_span.start);
        self.seen.push((entry.keys.clone(), binds, line));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeyPress {
        KeyPress::parse(text).unwrap()
    }

    fn keys(texts: &[&str]) -> Vec<KeyPress> {
        texts.iter().map(|t| key(t)).collect()
    }

    fn parse(text: &str) -> Keymap {
        Keymap::parse(text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> String {
        Keymap::parse(text, "test.toml").unwrap_err().to_string()
    }

    #[test]
    fn section_names_are_the_serde_names_of_contexts() {
        for ctx in KeyContext::ALL {
            let serde_name = serde_json::to_value(ctx).unwrap();
            assert_eq!(serde_name.as_str(), Some(context_name(*ctx)));
        }
    }

    #[test]
    fn both_presets_parse() {
        for name in Keymap::preset_names() {
            Keymap::preset(name).unwrap_or_else(|e| panic!("{e}"));
        }
        assert!(matches!(
            Keymap::preset("emacs"),
            Err(ConfigError::UnknownPreset { .. })
        ));
    }

    #[test]
    fn default_preset_binds_every_action() {
        let keymap = Keymap::preset("default").unwrap();
        for action in Action::ALL {
            let bound = KeyContext::ALL
                .iter()
                .any(|ctx| keymap.bindings(*ctx).iter().any(|b| b.action == *action));
            assert!(bound, "default keymap does not bind {action:?}");
        }
    }

    #[test]
    fn vim_preset_binds_everything_the_default_binds_in_the_same_context() {
        let default = Keymap::preset("default").unwrap();
        let vim = Keymap::preset("vim").unwrap();
        for ctx in KeyContext::ALL {
            for binding in default.bindings(*ctx) {
                assert!(
                    vim.hint(*ctx, binding.action).is_some(),
                    "vim keymap has no key for {:?} in {ctx:?}",
                    binding.action
                );
            }
        }
    }

    #[test]
    fn every_preset_binding_has_a_description() {
        for name in Keymap::preset_names() {
            let keymap = Keymap::preset(name).unwrap();
            for ctx in KeyContext::ALL {
                for b in keymap.bindings(*ctx) {
                    assert!(
                        !b.desc.is_empty(),
                        "{name}: {} in {ctx:?}",
                        b.keys_display()
                    );
                }
            }
        }
    }

    #[test]
    fn two_key_sequences_are_a_prefix_then_an_action() {
        let keymap = parse(
            r#"[global]
               keymap = [{ on = ["g", "g"], run = "top", desc = "Top" }]"#,
        );
        assert_eq!(
            keymap.lookup(KeyContext::Global, &keys(&["g"])),
            Lookup::Prefix
        );
        assert_eq!(
            keymap.lookup(KeyContext::Global, &keys(&["g", "g"])),
            Lookup::Action(Action::Top.into())
        );
        assert_eq!(
            keymap.lookup(KeyContext::Global, &keys(&["g", "x"])),
            Lookup::Unbound
        );
        assert_eq!(keymap.lookup(KeyContext::Global, &[]), Lookup::Unbound);
        assert_eq!(
            keymap.hint(KeyContext::Global, Action::Top).as_deref(),
            Some("g g")
        );
    }

    #[test]
    fn contexts_fall_through_to_global_but_text_inputs_keep_typed_characters() {
        let keymap = parse(
            r#"[global]
               keymap = [
                 { on = "q", run = "quit" },
                 { on = "<C-c>", run = "quit" },
                 { on = "<Down>", run = "down" },
               ]
               [table]
               keymap = [{ on = "s", run = "stop" }]
               [input]
               keymap = [{ on = "<Enter>", run = "input_accept" }]"#,
        );
        let table = KeyContext::Table;
        assert_eq!(
            keymap.lookup(table, &keys(&["s"])),
            Lookup::Action(Action::Stop.into())
        );
        assert_eq!(
            keymap.lookup(table, &keys(&["q"])),
            Lookup::Action(Action::Quit.into())
        );
        assert_eq!(
            keymap.lookup(KeyContext::Global, &keys(&["s"])),
            Lookup::Unbound
        );
        let input = KeyContext::Input;
        assert_eq!(keymap.lookup(input, &keys(&["q"])), Lookup::Unbound);
        assert_eq!(
            keymap.lookup(input, &keys(&["<C-c>"])),
            Lookup::Action(Action::Quit.into())
        );
        assert_eq!(
            keymap.lookup(input, &keys(&["<Down>"])),
            Lookup::Action(Action::Down.into())
        );
        assert_eq!(
            keymap.lookup(input, &keys(&["<Enter>"])),
            Lookup::Action(Action::InputAccept.into())
        );
        assert_eq!(keymap.hint(table, Action::Quit).as_deref(), Some("q"));
        // In a text input `q` types a q; the hint must offer what works there.
        assert_eq!(keymap.hint(input, Action::Quit).as_deref(), Some("<C-c>"));
    }

    #[test]
    fn user_bindings_replace_and_unbind_base_bindings() {
        let base = parse(
            r#"[table]
               keymap = [
                 { on = "s", run = "stop", desc = "Stop" },
                 { on = "r", run = "restart", desc = "Restart" },
                 { on = "K", run = "kill", desc = "Kill" },
                 { on = ["g", "g"], run = "top", desc = "Top" },
               ]"#,
        );
        let user = parse(
            r#"[table]
               keymap = [
                 { on = "s", run = "start", desc = "Start" },
                 { on = "K", run = "none" },
                 { on = "x", run = "kill", desc = "Kill" },
                 { on = "g", run = "logs", desc = "Logs" },
               ]"#,
        );
        let merged = user.merged_over(base);
        let table = KeyContext::Table;
        assert_eq!(
            merged.lookup(table, &keys(&["s"])),
            Lookup::Action(Action::Start.into())
        );
        assert_eq!(
            merged.lookup(table, &keys(&["r"])),
            Lookup::Action(Action::Restart.into())
        );
        assert_eq!(merged.lookup(table, &keys(&["K"])), Lookup::Unbound);
        assert_eq!(
            merged.lookup(table, &keys(&["x"])),
            Lookup::Action(Action::Kill.into())
        );
        // The user's `g` wins over the base's `g g` that it would make ambiguous.
        assert_eq!(
            merged.lookup(table, &keys(&["g"])),
            Lookup::Action(Action::Logs.into())
        );
        let order: Vec<String> = merged
            .bindings(table)
            .iter()
            .map(Binding::keys_display)
            .collect();
        assert_eq!(order, ["s", "r", "x", "g"]);
    }

    #[test]
    fn errors_name_the_line_and_the_fix() {
        let err = parse_err("[table]\nkeymap = [\n  { on = \"s\", run = \"stp\" },\n]\n");
        assert_eq!(
            err,
            "test.toml:3:21: unknown action \"stp\" in [table]; did you mean \"stop\"?"
        );
        let err = parse_err("[tabel]\nkeymap = []\n");
        assert!(
            err.starts_with("test.toml:1:2: unknown section [tabel]"),
            "{err}"
        );
        assert!(err.contains("did you mean \"table\"?"), "{err}");
        let err = parse_err("[table]\nkeymap = [{ run = \"stop\" }]\n");
        assert!(err.starts_with("test.toml:2:"), "{err}");
        assert!(err.contains("no \"on\""), "{err}");
        let err = parse_err("[table]\nkeymap = [{ on = \"<Entr>\", run = \"logs\" }]\n");
        assert!(err.contains("unknown key name \"<Entr>\""), "{err}");
        let err = parse_err("[table]\nkeymap = [{ on = 5, run = \"logs\" }]\n");
        assert!(
            err.starts_with("test.toml:2:18: \"on\" must be a key"),
            "{err}"
        );
        let err = parse_err("[table]\nkeymap = [{ on = [], run = \"logs\" }]\n");
        assert!(err.contains("empty key sequence"), "{err}");
    }

    #[test]
    fn duplicates_and_ambiguous_prefixes_are_rejected() {
        let err = parse_err(
            "[table]\nkeymap = [\n  { on = \"s\", run = \"stop\" },\n  { on = \"s\", run = \"start\" },\n]\n",
        );
        assert!(err.starts_with("test.toml:4:"), "{err}");
        assert!(
            err.contains("bound twice in [table] (first on line 3)"),
            "{err}"
        );
        let err = parse_err(
            "[table]\nkeymap = [\n  { on = \"d\", run = \"stop\" },\n  { on = [\"d\", \"d\"], run = \"remove\" },\n]\n",
        );
        assert!(err.starts_with("test.toml:4:"), "{err}");
        assert!(err.contains("ambiguous"), "{err}");
        // The same key in different contexts is fine.
        parse("[table]\nkeymap = [{ on = \"s\", run = \"stop\" }]\n[logs]\nkeymap = [{ on = \"s\", run = \"save_logs\" }]\n");
    }
}
