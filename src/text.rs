//! Text that comes from engines and containers, handled without panics or surprises.
//!
//! Anyone who can create a container chooses its name, labels, command, log lines and probe
//! output, so none of it is trusted to be ASCII, short, or free of control sequences. The rules:
//!
//! - **Slice by chars, never by bytes.** An id or a name may hold multi-byte characters; a byte
//!   index inside one panics. [`short_id`] takes the first twelve chars.
//! - **Compare case-insensitively char by char.** Lowercasing can change byte lengths (`İ` is two
//!   bytes, its lowercase `i̇` three; the Kelvin sign `K` is three, `k` one), so positions found in
//!   a lowercased copy are not positions in the original. [`find_ignore_case`] maps them back.
//! - **Nothing reaches a terminal as a control sequence.** Human-readable output (the `ps`
//!   table, error messages that echo input) goes through [`escape_controls`] or
//!   [`for_terminal`]; the console's screen is guarded in one place, `term::QuietBackend`, with
//!   [`is_unsafe_for_terminal`]. Bidirectional overrides (U+202E and friends) count as control
//!   characters here: they reorder what follows them on the line.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::ops::Range;

/// The first twelve characters of an engine id: the short form the docker CLI prints.
pub fn short_id(id: &str) -> &str {
    match id.char_indices().nth(12) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// Every 64-digit hex id in a message (engines name containers by them) cut to its short
/// form, as `docker ps` shows ids: the same container, in a fifth of the room.
pub fn short_ids(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() == 64 {
            out.push_str(&run[..12]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in message.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Byte ranges of `haystack` where `needle` occurs, ignoring case; every range starts and ends
/// on a char boundary of `haystack`. Matches do not overlap. An empty needle matches nothing.
pub fn find_ignore_case(haystack: &str, needle: &str) -> Vec<Range<usize>> {
    let needle = needle.to_lowercase();
    if needle.is_empty() {
        return Vec::new();
    }
    // The lowercased text, and for each of its bytes the offset of the original char it came from.
    let mut lower = String::with_capacity(haystack.len());
    let mut origin = Vec::with_capacity(haystack.len());
    for (at, ch) in haystack.char_indices() {
        let before = lower.len();
        lower.extend(ch.to_lowercase());
        origin.resize(lower.len(), at);
        debug_assert!(lower.len() > before);
    }
    let starts_char = |i: usize| i == 0 || origin[i] != origin[i - 1];
    let ends_char = |i: usize| i == lower.len() || origin[i] != origin[i - 1];
    lower
        .match_indices(needle.as_str())
        .filter(|(s, m)| starts_char(*s) && ends_char(s + m.len()))
        .map(|(s, m)| {
            let e = s + m.len();
            let end = if e == lower.len() {
                haystack.len()
            } else {
                origin[e]
            };
            origin[s]..end
        })
        .collect()
}

/// Whether `haystack` contains `needle`, ignoring case.
pub fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    !find_ignore_case(haystack, needle).is_empty()
}

/// Characters that reorder the rest of a line when a terminal (or a viewer) applies the
/// Unicode bidirectional algorithm: embeddings, overrides, isolates and marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether `c` would act on a terminal instead of being shown: C0 and C1 controls, DEL, and
/// bidirectional controls.
pub fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// One line of text with every unsafe character written as a visible escape: `^[` for ESC
/// (caret notation for C0 and DEL, as the log view shows them), `\u{9b}` for C1 and bidi
/// controls. Newlines and tabs are escaped too: a table cell or a field stays one line.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Like [`escape_controls`], but keeps newlines and tabs: for messages of several lines.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_layout: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_layout && (c == '\n' || c == '\t');
    if !s.chars().any(|c| is_unsafe_for_terminal(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if keep(c) || !is_unsafe_for_terminal(c) => out.push(c),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push((b'@' + c as u8) as char);
            }
            '\u{7f}' => out.push_str("^?"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// JSON text with every character that [`is_unsafe_for_terminal`] as a `\uXXXX` escape.
/// serde_json escapes C0 controls itself but writes DEL, C1 and bidi controls raw; outside
/// strings JSON has only ASCII, so escaping them anywhere keeps the document equal.
pub fn json_for_terminal(json: String) -> String {
    // Newlines, tabs and CRs outside strings are JSON's whitespace (pretty printing); inside
    // strings serde_json has escaped them already.
    let unsafe_in_json = |c: char| is_unsafe_for_terminal(c) && !matches!(c, '\n' | '\r' | '\t');
    if !json.chars().any(unsafe_in_json) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_in_json(c) {
            // Every such char is in the Basic Multilingual Plane: one escape each.
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ids_are_shortened_and_nothing_else() {
        let id = "ac012571eee1c182cbf81c5f6472724a88b58ed1c0c66801117ad10d1cac201c";
        assert_eq!(
            short_ids(&format!(
                "Cannot kill container: {id}: Container {id} is not running"
            )),
            "Cannot kill container: ac012571eee1: Container ac012571eee1 is not running"
        );
        assert_eq!(short_ids("deadbeef cafe 1234"), "deadbeef cafe 1234");
    }

    #[test]
    fn short_ids_count_chars_not_bytes() {
        assert_eq!(short_id("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
        // Twelve two-byte chars: a byte slice at 12 would cut the seventh in half.
        assert_eq!(short_id("éééééééééééééé"), "éééééééééééé");
        assert_eq!(short_id(""), "");
    }

    #[test]
    fn search_survives_case_folding_that_changes_byte_lengths() {
        // İ (2 bytes) lowercases to 3 bytes, K (Kelvin, 3 bytes) to 1: the lengths cancel out,
        // which once fooled a length check into slicing inside a char.
        let text = "İİxKabc";
        let hits = find_ignore_case(text, "kabc");
        assert_eq!(hits, vec![5..text.len()]);
        assert_eq!(&text[hits[0].clone()], "Kabc");
        assert_eq!(find_ignore_case(text, "x"), vec![4..5]);
        // A match of only part of a char's lowercase form is not a match in the original.
        assert!(find_ignore_case(text, "i").is_empty());
        assert_eq!(find_ignore_case(text, "i̇"), vec![0..2, 2..4]);
        assert_eq!(
            find_ignore_case("Error and ERROR", "error"),
            vec![0..5, 10..15]
        );
        assert!(find_ignore_case("abc", "").is_empty());
        assert!(contains_ignore_case("ÅNGSTRÖM", "ström"));
    }

    #[test]
    fn every_range_is_on_char_boundaries_for_awkward_text() {
        let samples = [
            "ẞß",
            "ǅǆ",
            "ΣΑΣ",
            "İstanbul",
            "ﬃ",
            "日本語テキスト",
            "\u{202e}abc",
        ];
        for text in samples {
            for needle in ["s", "ss", "i", "ß", "σ", "ǆ", "ffi", "本", "abc"] {
                for r in find_ignore_case(text, needle) {
                    assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                    assert!(r.start < r.end, "{text:?} {needle:?}");
                }
            }
        }
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        let title = "web\u{1b}]0;pwned\u{7}\u{1b}[2J";
        assert_eq!(escape_controls(title), "web^[]0;pwned^G^[[2J");
        assert_eq!(escape_controls("abc\u{202e}cba"), "abc\\u{202e}cba");
        assert_eq!(escape_controls("csi\u{9b}31m"), "csi\\u{9b}31m");
        assert_eq!(escape_controls("two\nlines"), "two^Jlines");
        assert_eq!(for_terminal("two\nlines\t!"), "two\nlines\t!");
        assert!(matches!(escape_controls("plain ünïcode"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_meaning_without_raw_controls() {
        let value = serde_json::json!({ "label": "a\u{202e}b\u{9b}c\u{7f}\u{1b}" });
        let text = json_for_terminal(serde_json::to_string(&value).unwrap());
        assert!(!text.chars().any(is_unsafe_for_terminal), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
        // Pretty printing's own newlines are whitespace and stay.
        let pretty = json_for_terminal(serde_json::to_string_pretty(&value).unwrap());
        assert!(
            pretty.contains('\n') && !pretty.contains('\u{202e}'),
            "{pretty}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
            value
        );
    }
}
