//! A bounded buffer of log lines for one container, with search.
//!
//! Lines arrive as raw bytes from the engine. They are made safe to draw here, once, so that
//! rendering never meets control sequences, invalid UTF-8 or megabyte-long lines.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Longest line kept, in bytes of text; the rest is dropped with a visible marker.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    /// Said by the console itself, not the container (`restarted`): drawn apart, saved as such.
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: Stream,
    /// Which container it came from, in merged logs (an index into the view's sources; 0 for
    /// a single container's logs).
    pub source: u16,
    /// The engine's RFC 3339 timestamp, as sent.
    pub timestamp: Option<String>,
    /// Without escape sequences: what search, saving and copying see.
    pub text: String,
    /// The colours the program asked for, each from a byte offset of `text` on (empty for
    /// most lines, which costs nothing).
    pub styles: Vec<(u32, crate::app::sgr::Sgr)>,
}

#[derive(Debug, Clone)]
pub struct LogBuffer {
    lines: VecDeque<LogLine>,
    capacity: usize,
    /// Lines dropped from the front since the buffer was created, so that positions held by
    /// the view (scroll, current match) can be kept stable as the ring turns.
    dropped: u64,
    /// What is being received from each source (a container; several in merged logs).
    incoming: Vec<Incoming>,
    /// Merged logs: lines are put in timestamp order, not arrival order (each container's
    /// backlog arrives whole, one after the other).
    ordered: bool,
    /// Lines that were cut, for the saved file's header.
    cut_lines: u64,
}

/// One source's lines in the making.
#[derive(Debug, Clone, Default)]
struct Incoming {
    /// A line still being received, per stream (the engine frames by write, not by line).
    partial: [Vec<u8>; 2],
    /// Bytes of the line being received that are not kept (past [`MAX_LINE_BYTES`]), per
    /// stream: the marker says the real count.
    partial_dropped: [u64; 2],
    /// After reattaching from a whole second, lines up to this timestamp are already here.
    seen_through: Option<String>,
    /// The newest timestamp received, kept here rather than read from the lines: in busy
    /// merged logs a quiet source's lines may all have left the ring.
    last: Option<String>,
}

impl LogBuffer {
    pub fn new(capacity: usize) -> Self {
        LogBuffer {
            lines: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            dropped: 0,
            incoming: Vec::new(),
            ordered: false,
            cut_lines: 0,
        }
    }

    /// A buffer for the merged logs of several containers: lines in timestamp order.
    pub fn merged(capacity: usize) -> Self {
        LogBuffer {
            ordered: true,
            ..LogBuffer::new(capacity)
        }
    }

    fn incoming(&mut self, source: u16) -> &mut Incoming {
        let i = source as usize;
        if self.incoming.len() <= i {
            self.incoming.resize_with(i + 1, Incoming::default);
        }
        &mut self.incoming[i]
    }

    /// The engine's timestamp of the newest line of `source`, to resume from after a restart.
    pub fn last_timestamp(&self, source: u16) -> Option<&str> {
        self.incoming.get(source as usize)?.last.as_deref()
    }

    /// Drops lines of `source` stamped up to `timestamp` when they come again: a stream
    /// resumed from the start of that second repeats them. RFC 3339 with fixed nanoseconds,
    /// as the engine writes it, orders as text.
    pub fn skip_through(&mut self, source: u16, timestamp: Option<String>) {
        // A line cut off by the end of the old stream does not continue in the new one.
        let inc = self.incoming(source);
        *inc = Incoming {
            last: inc.last.take(),
            seen_through: timestamp,
            ..Incoming::default()
        };
    }

    /// A line from the console itself (`restarted`).
    pub fn note(&mut self, source: u16, text: String) {
        self.push(LogLine {
            stream: Stream::Note,
            source,
            timestamp: None,
            text,
            styles: Vec::new(),
        });
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    pub fn get(&self, i: usize) -> Option<&LogLine> {
        self.lines.get(i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// Feeds one chunk from the engine of the only source. With timestamps on, the engine
    /// prefixes each line with its time and a space. Returns the number of complete lines.
    pub fn push_chunk(&mut self, stream: Stream, bytes: &[u8], has_timestamps: bool) -> usize {
        self.push_chunk_from(0, stream, bytes, has_timestamps)
    }

    /// [`push_chunk`](Self::push_chunk) for one of several sources.
    pub fn push_chunk_from(
        &mut self,
        source: u16,
        stream: Stream,
        bytes: &[u8],
        has_timestamps: bool,
    ) -> usize {
        let idx = match stream {
            Stream::Stdout => 0,
            Stream::Stderr => 1,
            // Notes are whole lines from the console, never chunks of a stream.
            Stream::Note => return 0,
        };
        let mut added = 0;
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n') {
            self.keep_partial(source, idx, &rest[..pos]);
            rest = &rest[pos + 1..];
            let inc = self.incoming(source);
            let raw = std::mem::take(&mut inc.partial[idx]);
            let dropped = std::mem::take(&mut inc.partial_dropped[idx]);
            self.push_raw(source, stream, &raw, dropped, has_timestamps);
            added += 1;
        }
        self.keep_partial(source, idx, rest);
        added
    }

    /// Keeps what of a line can be shown (its timestamp, then up to [`MAX_LINE_BYTES`] of
    /// text) and counts the rest: a stream that never sends a newline costs no more memory.
    fn keep_partial(&mut self, source: u16, idx: usize, bytes: &[u8]) {
        const TIMESTAMP_ROOM: usize = 40;
        let inc = self.incoming(source);
        let partial = &mut inc.partial[idx];
        let room = (MAX_LINE_BYTES + TIMESTAMP_ROOM + 1).saturating_sub(partial.len());
        let kept = bytes.len().min(room);
        partial.extend_from_slice(&bytes[..kept]);
        inc.partial_dropped[idx] += (bytes.len() - kept) as u64;
    }

    fn push_raw(
        &mut self,
        source: u16,
        stream: Stream,
        raw: &[u8],
        dropped: u64,
        has_timestamps: bool,
    ) {
        let raw = if dropped == 0 {
            raw.strip_suffix(b"\r").unwrap_or(raw)
        } else {
            raw
        };
        let (timestamp, body) = if has_timestamps {
            split_timestamp(raw)
        } else {
            (None, raw)
        };
        let inc = self.incoming(source);
        if let Some(seen) = &inc.seen_through {
            match &timestamp {
                Some(ts) if ts.as_str() <= seen.as_str() => return,
                _ => inc.seen_through = None,
            }
        }
        if timestamp.is_some() {
            inc.last.clone_from(&timestamp);
        }
        let not_kept = body.len().saturating_sub(MAX_LINE_BYTES) as u64 + dropped;
        if not_kept > 0 {
            self.cut_lines += 1;
        }
        let (text, styles) = sanitize_styled(body, not_kept);
        self.push(LogLine {
            stream,
            source,
            timestamp,
            text,
            styles,
        });
    }

    pub fn push(&mut self, line: LogLine) {
        // In merged logs a line older than the newest goes where its time puts it; lines
        // without a time (the console's notes) go at the end. Timestamps compare as text:
        // the engine writes them with nine fraction digits, always.
        if self.lines.len() == self.capacity {
            let older_than_all = self.ordered
                && matches!(
                    (&line.timestamp, self.lines.front().and_then(|l| l.timestamp.as_deref())),
                    (Some(ts), Some(first)) if ts.as_str() < first
                );
            if older_than_all {
                // Full, and older than everything kept: it would be the first to go.
                return;
            }
            self.lines.pop_front();
            self.dropped += 1;
        }
        let at = match (&line.timestamp, self.ordered) {
            (Some(ts), true) => {
                let later = self
                    .lines
                    .iter()
                    .rev()
                    .take_while(|l| l.timestamp.as_deref().is_some_and(|t| t > ts.as_str()))
                    .count();
                self.lines.len() - later
            }
            _ => self.lines.len(),
        };
        self.lines.insert(at, line);
    }

    pub fn clear(&mut self) {
        self.dropped += self.lines.len() as u64;
        self.lines.clear();
        self.incoming.clear();
    }

    /// Indices of lines containing `needle` (case-insensitive).
    pub fn find_all(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return Vec::new();
        }
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| crate::text::contains_ignore_case(&l.text, needle))
            .map(|(i, _)| i)
            .collect()
    }

    /// The buffer as a file: a header saying what is not in it (lines the ring dropped, lines
    /// cut), then each line with its time and the stream it came from.
    /// The saved file: a header, then a line each (time, stream, and in merged logs the
    /// container, by `names`, then the text).
    pub fn to_file_text(&self, title: &str, names: Option<&[&str]>) -> String {
        let mut out = format!("# {title}\n");
        if self.dropped > 0 {
            out.push_str(&format!(
                "# {} earlier lines are not here: the buffer keeps the last {}\n",
                self.dropped, self.capacity
            ));
        }
        if self.cut_lines > 0 {
            out.push_str(&format!(
                "# {} lines were longer than {} KiB and are cut, each saying how many bytes were not kept\n",
                self.cut_lines,
                MAX_LINE_BYTES / 1024
            ));
        }
        out.push_str(match names {
            Some(_) => "# time stream container text\n",
            None => "# time stream text\n",
        });
        for l in &self.lines {
            out.push_str(l.timestamp.as_deref().unwrap_or("-"));
            out.push_str(match l.stream {
                Stream::Stdout => " stdout ",
                Stream::Stderr => " stderr ",
                Stream::Note => " console ",
            });
            if let Some(names) = names {
                out.push_str(names.get(l.source as usize).copied().unwrap_or("?"));
                out.push(' ');
            }
            out.push_str(&l.text);
            out.push('\n');
        }
        out
    }
}

fn split_timestamp(raw: &[u8]) -> (Option<String>, &[u8]) {
    match raw.iter().position(|&b| b == b' ') {
        // RFC 3339 with nanoseconds is 30 bytes; anything shorter than a date is not a stamp.
        Some(pos) if (20..=40).contains(&pos) && raw[0].is_ascii_digit() => (
            Some(String::from_utf8_lossy(&raw[..pos]).into_owned()),
            &raw[pos + 1..],
        ),
        _ => (None, raw),
    }
}

/// Makes a line safe to draw: invalid UTF-8 becomes U+FFFD, tabs become spaces, other control
/// characters (escape sequences included) become visible `^X` forms, and the length is capped.
pub fn sanitize(raw: &[u8]) -> String {
    sanitize_styled(raw, raw.len().saturating_sub(MAX_LINE_BYTES) as u64).0
}

/// [`sanitize`] for a line of which `not_kept` bytes (past the cap) never reached `raw` whole,
/// keeping the colours of its SGR sequences beside the text (`crate::app::sgr`) and dropping
/// every other escape sequence.
fn sanitize_styled(raw: &[u8], not_kept: u64) -> (String, Vec<(u32, crate::app::sgr::Sgr)>) {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(MAX_LINE_BYTES)]);
    let mut out = String::with_capacity(text.len());
    let mut styles: Vec<(u32, crate::app::sgr::Sgr)> = Vec::new();
    let mut style = crate::app::sgr::Sgr::default();
    let mut chars = text.char_indices();
    while let Some((i, ch)) = chars.next() {
        if ch == '\x1b' {
            let (len, sgr) = crate::app::sgr::sequence(&text, i + 1);
            if len > 0 {
                if let Some(params) = sgr {
                    style.apply(params);
                    let at = out.len() as u32;
                    match styles.last_mut() {
                        // Several sequences in a row: the last one counts.
                        Some((last, s)) if *last == at => *s = style,
                        _ => styles.push((at, style)),
                    }
                }
                // Skip to the byte after the sequence (an OSC may hold multi-byte text).
                let end = i + 1 + len;
                while chars.clone().next().is_some_and(|(j, _)| j < end) {
                    chars.next();
                }
                continue;
            }
        }
        match ch {
            '\t' => out.push_str("    "),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push((b'@' + c as u8) as char);
            }
            '\u{7f}' => out.push_str("^?"),
            c if ('\u{80}'..='\u{9f}').contains(&c) => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    if not_kept > 0 {
        out.push_str(&format!(" … [{not_kept} bytes not kept]"));
    }
    // A line in plain colours to the end needs no styles at all.
    if styles
        .iter()
        .all(|(_, s)| *s == crate::app::sgr::Sgr::default())
    {
        styles.clear();
    }
    (out, styles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_kept_beside_the_text_and_other_escapes_dropped() {
        use crate::app::sgr::{Colour, Sgr};
        let mut b = LogBuffer::new(10);
        b.push_chunk(
            Stream::Stdout,
            b"\x1b[1;31mERROR\x1b[0m disk \x1b]0;evil title\x07full\x1b[2J\x1b[H!\n",
            false,
        );
        let line = b.get(0).unwrap();
        assert_eq!(line.text, "ERROR disk full!");
        let red = Sgr {
            fg: Some(Colour::Indexed(1)),
            bold: true,
            ..Sgr::default()
        };
        assert_eq!(line.styles, [(0, red), (5, Sgr::default())]);
        // A plain line, and one that only resets, carry no styles.
        b.push_chunk(Stream::Stdout, b"plain\n\x1b[0mreset only\n", false);
        assert!(b.get(1).unwrap().styles.is_empty());
        assert!(b.get(2).unwrap().styles.is_empty());
        assert_eq!(b.get(2).unwrap().text, "reset only");
        // A bare control character is still shown, not acted on.
        b.push_chunk(Stream::Stdout, b"bell\x07\n", false);
        assert_eq!(b.get(3).unwrap().text, "bell^G");
    }

    #[test]
    fn ring_is_bounded_and_counts_drops() {
        let mut b = LogBuffer::new(3);
        b.push_chunk(Stream::Stdout, b"1\n2\n3\n4\n5\n", false);
        assert_eq!(b.len(), 3);
        assert_eq!(b.dropped(), 2);
        assert_eq!(b.get(0).unwrap().text, "3");
    }

    #[test]
    fn partial_lines_join_across_chunks_per_stream() {
        let mut b = LogBuffer::new(10);
        assert_eq!(b.push_chunk(Stream::Stdout, b"hel", false), 0);
        b.push_chunk(Stream::Stderr, b"oops\n", false);
        b.push_chunk(Stream::Stdout, b"lo\r\n", false);
        let got: Vec<_> = b.iter().map(|l| (l.stream, l.text.clone())).collect();
        assert_eq!(
            got,
            [
                (Stream::Stderr, "oops".to_string()),
                (Stream::Stdout, "hello".to_string())
            ]
        );
    }

    #[test]
    fn timestamps_are_split_off() {
        let mut b = LogBuffer::new(10);
        b.push_chunk(
            Stream::Stdout,
            b"2026-11-22T18:00:00.123456789Z hello world\n",
            true,
        );
        let l = b.get(0).unwrap();
        assert_eq!(
            l.timestamp.as_deref(),
            Some("2026-11-22T18:00:00.123456789Z")
        );
        assert_eq!(l.text, "hello world");
    }

    #[test]
    fn hostile_bytes_are_made_safe() {
        let s = sanitize(b"a\x1b[2Jb\tc\xff\xfed\x07");
        // The escape sequence is dropped (it is not a colour), a bare control is shown.
        assert_eq!(s, "ab    c\u{fffd}\u{fffd}d^G");
        assert!(!s.chars().any(|c| c.is_control()));
    }

    #[test]
    fn megabyte_lines_are_capped() {
        let mut b = LogBuffer::new(10);
        let mut big = vec![b'x'; 1_000_000];
        big.push(b'\n');
        b.push_chunk(Stream::Stdout, &big, false);
        let l = b.get(0).unwrap();
        assert!(l.text.len() < MAX_LINE_BYTES + 64);
        assert!(
            l.text
                .ends_with(&format!(" [{} bytes not kept]", 1_000_000 - MAX_LINE_BYTES)),
            "{}",
            &l.text[l.text.len() - 40..]
        );
    }

    #[test]
    fn a_line_arriving_in_many_chunks_says_the_real_count_not_kept() {
        let mut b = LogBuffer::new(10);
        // 1 MiB in 64 KiB writes, as the engine frames it: only 16 KiB are kept.
        let chunk = vec![b'y'; 64 * 1024];
        for _ in 0..16 {
            b.push_chunk(Stream::Stdout, &chunk, false);
        }
        b.push_chunk(Stream::Stdout, b"\n", false);
        let text = &b.get(0).unwrap().text;
        let not_kept = 1024 * 1024 - MAX_LINE_BYTES;
        assert!(
            text.ends_with(&format!(" [{not_kept} bytes not kept]")),
            "{}",
            &text[text.len() - 40..]
        );
        // The next line starts afresh.
        b.push_chunk(Stream::Stdout, b"short\n", false);
        assert_eq!(b.get(1).unwrap().text, "short");
    }

    #[test]
    fn the_saved_file_says_what_it_lacks_and_which_stream_said_what() {
        let mut b = LogBuffer::new(2);
        b.push_chunk(Stream::Stdout, b"2026-11-22T18:00:00.1Z one\n", true);
        b.push_chunk(Stream::Stderr, b"2026-11-22T18:00:01.1Z two\n", true);
        let mut long = b"2026-11-22T18:00:02.1Z ".to_vec();
        long.extend(vec![b'z'; MAX_LINE_BYTES + 10]);
        long.push(b'\n');
        b.push_chunk(Stream::Stdout, &long, true);
        let text = b.to_file_text("logs of web-1", None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "# logs of web-1");
        assert_eq!(
            lines[1],
            "# 1 earlier lines are not here: the buffer keeps the last 2"
        );
        assert!(
            lines[2].starts_with("# 1 lines were longer than 16 KiB"),
            "{}",
            lines[2]
        );
        assert_eq!(lines[4], "2026-11-22T18:00:01.1Z stderr two");
        assert!(lines[5].starts_with("2026-11-22T18:00:02.1Z stdout zzz"));
        assert!(lines[5].ends_with("[10 bytes not kept]"));
    }

    #[test]
    fn search_is_case_insensitive() {
        let mut b = LogBuffer::new(10);
        b.push_chunk(Stream::Stdout, b"Error one\nfine\nanother error\n", false);
        assert_eq!(b.find_all("ERROR"), vec![0, 2]);
        assert!(b.find_all("").is_empty());
    }
}
