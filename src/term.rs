//! The terminal: raw mode and the alternate screen on the way in, and always restored on the
//! way out — normal quit, error, panic (in any task: the console then ends, never left
//! half-alive), allocation failure (restored before the abort), SIGTERM, and SIGHUP when an SSH
//! connection drops. Also a backend wrapper that writes nothing at all when a frame changes
//! nothing, which keeps an idle console silent over SSH, and never lets a control character
//! through.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::Terminal;

pub type Tui = Terminal<QuietBackend<CrosstermBackend<FrameWriter>>>;

/// Where frames go: gathered and written to stdout in one write when ratatui flushes after each
/// frame (stdout's own buffer is a line buffer of 1 KiB, which cut a full frame into dozens of
/// writes, and over SSH as many packets), and dropped once the terminal is restored, so that a
/// frame cut short by an error or a panic never lands on the operator's shell.
#[derive(Debug, Default)]
pub struct FrameWriter {
    frame: Vec<u8>,
}

impl Write for FrameWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if ACTIVE.load(Ordering::SeqCst) {
            self.frame.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.frame.is_empty() {
            return Ok(());
        }
        let written = if ACTIVE.load(Ordering::SeqCst) {
            let mut out = io::stdout().lock();
            out.write_all(&self.frame).and_then(|()| out.flush())
        } else {
            Ok(())
        };
        // Kept for the next frame, written or not: a frame is never sent twice.
        self.frame.clear();
        written
    }
}

static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The terminal's settings before raw mode, for a restore that must not allocate.
static SAVED_TERMIOS: OnceLock<libc::termios> = OnceLock::new();
/// The first panic's message, once one happened anywhere in the process.
static PANICKED: Mutex<Option<String>> = Mutex::new(None);

/// Enters raw mode and the alternate screen; the returned guard restores them when dropped.
pub fn enter() -> io::Result<(TerminalGuard, Tui)> {
    install_panic_hook();
    save_termios();
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableBracketedPaste,
        Hide
    )?;
    let terminal = Terminal::new(QuietBackend::new(CrosstermBackend::new(
        FrameWriter::default(),
    )))?;
    Ok((guard, terminal))
}

static MOUSE: AtomicBool = AtomicBool::new(false);

/// Clicks and the wheel come to the console (`mouse = true`); [`restore`] turns them off.
pub fn enable_mouse() -> io::Result<()> {
    MOUSE.store(true, Ordering::SeqCst);
    execute!(io::stdout(), EnableMouseCapture)
}

/// Gives the screen to another program (a shell in a container): the main screen, the cursor
/// shown, raw mode kept (the session's TTY wants every key as typed).
pub fn step_aside() -> io::Result<()> {
    let mut out = io::stdout();
    if MOUSE.load(Ordering::SeqCst) {
        execute!(out, DisableMouseCapture)?;
    }
    execute!(out, LeaveAlternateScreen, Show)?;
    out.flush()
}

/// Takes the screen back after [`step_aside`]; the caller redraws everything. Whatever modes
/// the program in the container left set are put back as the console needs them: bracketed
/// paste on (bash turns it off on exit, and a paste would then arrive as keys), application
/// cursor and keypad off, no mouse reporting, no keyboard protocol, plain colours.
pub fn come_back(terminal: &mut Tui) -> io::Result<()> {
    let mut out = io::stdout();
    write!(
        out,
        "\x1b[0m\x1b[?1l\x1b>\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[<u"
    )?;
    execute!(out, EnterAlternateScreen, EnableBracketedPaste, Hide)?;
    if MOUSE.load(Ordering::SeqCst) {
        execute!(out, EnableMouseCapture)?;
    }
    terminal.clear()
}

/// Puts `text` on the clipboard of the terminal the operator sits at (OSC 52): it travels
/// with the output, so it works over ssh; a terminal that does not allow it ignores it.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    let mut out = io::stdout();
    write!(out, "{}", osc52(text))?;
    out.flush()
}

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as it was. Safe to call more than once and from the panic hook;
/// errors are ignored because the terminal may already be gone (SSH dropped).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(
            out,
            DisableMouseCapture,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            Show
        );
        let _ = disable_raw_mode();
        let _ = out.flush();
    }
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first so the panic message lands on a normal screen, readable.
        restore();
        if let Ok(mut first) = PANICKED.lock() {
            first.get_or_insert_with(|| info.to_string());
        }
        previous(info);
    }));
}

/// The message of a panic that happened anywhere in the process. A panic inside a background
/// task is caught by the async runtime and would leave the console running on a restored
/// terminal; the event loop checks this and ends instead.
pub fn panicked() -> Option<String> {
    PANICKED.lock().ok().and_then(|p| p.clone())
}

fn save_termios() {
    let mut t = std::mem::MaybeUninit::<libc::termios>::uninit();
    // SAFETY: tcgetattr fills the struct when it returns 0; it is only read then.
    if unsafe { libc::tcgetattr(libc::STDIN_FILENO, t.as_mut_ptr()) } == 0 {
        let _ = SAVED_TERMIOS.set(unsafe { t.assume_init() });
    }
}

/// Restores the terminal without allocating: for when the allocator has failed. Writes the
/// sequences `restore` would (bracketed paste off, main screen, cursor on) and puts back the
/// saved terminal settings.
pub fn restore_without_allocating() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    const SEQ: &[u8] =
        b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1049l\x1b[?25h";
    // SAFETY: writing a static buffer to stdout and passing a saved termios back.
    unsafe {
        libc::write(libc::STDOUT_FILENO, SEQ.as_ptr().cast(), SEQ.len());
        if let Some(t) = SAVED_TERMIOS.get() {
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t);
        }
    }
}

/// The system allocator, restoring the terminal when an allocation fails: the process is
/// about to abort ("memory allocation of N bytes failed") and must not leave the operator's
/// terminal in raw mode on the alternate screen.
pub struct RestoringAllocator;

// SAFETY: every call is forwarded to the system allocator unchanged.
unsafe impl GlobalAlloc for RestoringAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            restore_without_allocating();
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            restore_without_allocating();
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            restore_without_allocating();
        }
        p
    }
}

fn unsafe_symbol(symbol: &str) -> bool {
    // Fast path: printable ASCII, nearly every cell.
    !symbol.bytes().all(|b| (0x20..0x7f).contains(&b))
        && symbol.chars().any(crate::text::is_unsafe_for_terminal)
}

/// Forwards to the inner backend but skips writes that would change nothing on screen: empty
/// diffs, and cursor hide/show/move when the cursor is already so.
pub struct QuietBackend<B: Backend> {
    inner: B,
    cursor_visible: Option<bool>,
    cursor_at: Option<Position>,
    dirty: bool,
}

impl<B: Backend> QuietBackend<B> {
    pub fn new(inner: B) -> Self {
        QuietBackend {
            inner,
            cursor_visible: None,
            cursor_at: None,
            dirty: false,
        }
    }

    pub fn inner(&self) -> &B {
        &self.inner
    }
}

impl<B: Backend> Backend for QuietBackend<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let mut content = content.peekable();
        if content.peek().is_none() {
            return Ok(());
        }
        self.dirty = true;
        // Drawing moves the terminal's cursor.
        self.cursor_at = None;
        // The last line of defence for the screen: ratatui drops C0/C1 controls from text, but
        // appends zero-width characters (bidirectional overrides among them) to the cell before,
        // and a cell's symbol can be set directly. Whatever a terminal would act on is taken
        // out of the cell (U+FFFD if nothing else is left). Copies are made only when such a
        // cell is present.
        let cells: Vec<(u16, u16, &Cell)> = content.collect();
        if !cells.iter().any(|(_, _, c)| unsafe_symbol(c.symbol())) {
            return self.inner.draw(cells.into_iter());
        }
        let safe: Vec<(u16, u16, Cell)> = cells
            .into_iter()
            .map(|(x, y, c)| {
                let mut c = c.clone();
                if unsafe_symbol(c.symbol()) {
                    let kept: String = c
                        .symbol()
                        .chars()
                        .filter(|&ch| !crate::text::is_unsafe_for_terminal(ch))
                        .collect();
                    c.set_symbol(if kept.is_empty() { "\u{fffd}" } else { &kept });
                }
                (x, y, c)
            })
            .collect();
        self.inner.draw(safe.iter().map(|(x, y, c)| (*x, *y, c)))
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.dirty = true;
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        if self.cursor_visible == Some(false) {
            return Ok(());
        }
        self.cursor_visible = Some(false);
        self.dirty = true;
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        if self.cursor_visible == Some(true) {
            return Ok(());
        }
        self.cursor_visible = Some(true);
        self.dirty = true;
        self.inner.show_cursor()
    }

    /// Not asked of the terminal: asking writes a query and reads the reply from the input the
    /// key reader owns, which can time out (and then a clear fails, as after a shell session).
    /// A full-screen console only needs the position to put the cursor back after a clear, and
    /// the next frame places it anyway.
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        Ok(self.cursor_at.unwrap_or(Position::ORIGIN))
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        let position = position.into();
        if self.cursor_at == Some(position) {
            return Ok(());
        }
        self.cursor_at = Some(position);
        self.dirty = true;
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.dirty = true;
        self.cursor_at = None;
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.dirty = true;
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        if !std::mem::take(&mut self.dirty) {
            return Ok(());
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_carries_the_text_in_base64() {
        assert_eq!(osc52("web-1"), "\x1b]52;c;d2ViLTE=\x07");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64("é".as_bytes()), "w6k=");
    }
    use ratatui::widgets::Paragraph;

    /// Counts bytes that reach the "terminal".
    #[derive(Default, Clone)]
    struct Counter(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);
    impl Write for Counter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_unchanged_frame_writes_nothing() {
        let sink = Counter::default();
        let backend = QuietBackend::new(CrosstermBackend::new(sink.clone()));
        let mut term = Terminal::with_options(
            backend,
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 20, 2)),
            },
        )
        .unwrap();
        let draw = |term: &mut Terminal<_>, text: &'static str| {
            term.draw(|f| f.render_widget(Paragraph::new(text), f.area()))
                .unwrap();
        };
        draw(&mut term, "hello");
        let first = sink.0.borrow().len();
        assert!(first > 0);
        draw(&mut term, "hello");
        draw(&mut term, "hello");
        assert_eq!(
            sink.0.borrow().len(),
            first,
            "identical frames must write 0 bytes"
        );
        draw(&mut term, "hellO");
        assert!(sink.0.borrow().len() > first);
    }

    #[test]
    fn no_cell_reaches_the_terminal_as_a_control_sequence() {
        let sink = Counter::default();
        let backend = QuietBackend::new(CrosstermBackend::new(sink.clone()));
        let mut term = Terminal::with_options(
            backend,
            ratatui::TerminalOptions {
                viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 20, 1)),
            },
        )
        .unwrap();
        term.draw(|f| {
            f.render_widget(Paragraph::new("abcd"), f.area());
            // Set directly, bypassing the text path that drops controls and zero-width
            // characters: a bidi override, and CSI as one C1 char.
            f.buffer_mut()[(2, 0)].set_symbol("\u{202e}");
            f.buffer_mut()[(10, 0)].set_symbol("\u{9b}");
            // As ratatui stores a zero-width override after a letter: the letter stays.
            f.buffer_mut()[(12, 0)].set_symbol("d\u{202e}");
        })
        .unwrap();
        let written = String::from_utf8_lossy(&sink.0.borrow()).into_owned();
        assert!(!written.contains('\u{202e}'), "{written:?}");
        assert!(!written.contains('\u{9b}'), "{written:?}");
        // The cells holding only an override or a CSI are drawn as U+FFFD; the letter stays.
        assert_eq!(written.matches('\u{fffd}').count(), 2, "{written:?}");
        assert!(written.contains('d'), "{written:?}");
    }
}
