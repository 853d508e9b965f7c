//! A shell in a container: the console steps aside, the operator's terminal is handed to an
//! interactive exec session (a real TTY in the container, resized with the terminal), and the
//! console comes back when the session ends.
//!
//! The rules:
//! - **Through the gate.** A session is a plan of one `exec` step run by
//!   [`Gate::run_session`](crate::ops::Gate::run_session): read-only refuses it, its intent is
//!   on disk before it starts, and its end (the exit code) is recorded.
//! - **One reader of the keyboard.** The console's key reader keeps reading during the session;
//!   each key is written to the session as the bytes an xterm sends for it ([`key_bytes`]), so
//!   no second reader competes for the terminal's input. Pasted text goes as it was pasted.
//! - **Any image.** The default command looks for bash, then ash, then sh; an image without a
//!   shell says so instead of failing in silence.
//! - **The screen is given back whole.** The alternate screen is left for the session (the
//!   operator sees a plain terminal) and entered again afterwards, with a full redraw.

use std::io::Write;

use bollard::exec::{CreateExecOptions, ResizeExecOptions, StartExecOptions, StartExecResults};
use bollard::Docker;
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{signal, SignalKind};

use crate::ops::container::Done;
use crate::ops::error::{ErrorKind, OpError};

/// Finds a shell in the image: bash if it has one, else ash, else sh.
pub fn default_command() -> Vec<String> {
    [
        "/bin/sh",
        "-c",
        "if command -v bash >/dev/null 2>&1; then exec bash; \
         elif command -v ash >/dev/null 2>&1; then exec ash; else exec sh; fi",
    ]
    .map(String::from)
    .to_vec()
}

/// The command as a dialog and the audit log say it: the default is just `shell`.
pub fn command_text(command: &[String]) -> String {
    if command == default_command().as_slice() {
        "a shell (bash, ash or sh)".to_owned()
    } else {
        command.join(" ")
    }
}

/// Runs the session in the container `id` until its command ends; returns how it ended.
/// The terminal must be in raw mode, outside the alternate screen.
pub async fn session(
    docker: &Docker,
    id: &str,
    command: &[String],
    size: (u16, u16),
    keys: &mut EventStream,
) -> Result<Done, OpError> {
    let engine = |e: bollard::errors::Error| OpError::from_engine("", &e);
    let term = std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into());
    let exec = docker
        .create_exec(
            id,
            CreateExecOptions {
                attach_stdin: Some(true),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                tty: Some(true),
                env: Some(vec![format!("TERM={term}")]),
                cmd: Some(command.to_vec()),
                ..Default::default()
            },
        )
        .await
        .map_err(engine)?;
    let started = docker
        .start_exec(
            &exec.id,
            Some(StartExecOptions {
                detach: false,
                tty: true,
                ..Default::default()
            }),
        )
        .await
        .map_err(engine)?;
    let StartExecResults::Attached {
        mut output,
        mut input,
    } = started
    else {
        return Err(OpError::new(ErrorKind::Other, "the engine did not attach"));
    };
    resize(docker, &exec.id, size).await;
    // Output is copied on a task of its own, so a write to the session that waits (a big
    // paste into a program that echoes it) never stops its output from being read.
    let (seen_tx, mut output_done) = tokio::sync::oneshot::channel::<bool>();
    let pump = tokio::spawn(async move {
        let mut stdout = std::io::stdout();
        let mut any = false;
        while let Some(Ok(out)) = output.next().await {
            any = true;
            let _ = stdout.write_all(&out.into_bytes());
            let _ = stdout.flush();
        }
        let _ = seen_tx.send(any);
    });
    let mut hangup = signal(SignalKind::hangup()).ok();
    let mut terminate = signal(SignalKind::terminate()).ok();
    // Ctrl-P then Ctrl-Q leaves the session, as `docker attach` does.
    let mut after_ctrl_p = false;
    let output_seen = loop {
        tokio::select! {
            seen = &mut output_done => break seen.unwrap_or(true),
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(k))) => {
                    let ctrl = |c| k.code == KeyCode::Char(c) && k.modifiers.contains(KeyModifiers::CONTROL);
                    if after_ctrl_p && ctrl('q') {
                        break true;
                    }
                    after_ctrl_p = ctrl('p');
                    let bytes = key_bytes(k);
                    if !bytes.is_empty() && input.write_all(&bytes).await.is_err() {
                        break true;
                    }
                }
                Some(Ok(Event::Paste(text))) => {
                    if input.write_all(text.as_bytes()).await.is_err() {
                        break true;
                    }
                }
                Some(Ok(Event::Resize(w, h))) => resize(docker, &exec.id, (w, h)).await,
                Some(Ok(_)) => {}
                // The operator's terminal is gone: end the session with it.
                Some(Err(_)) | None => break true,
            },
            // The console is asked to go: the session ends first, so it is recorded.
            _ = async { hangup.as_mut()?.recv().await }, if hangup.is_some() => break true,
            _ = async { terminate.as_mut()?.recv().await }, if terminate.is_some() => break true,
        }
    };
    let _ = input.shutdown().await;
    pump.abort();
    let code = docker
        .inspect_exec(&exec.id)
        .await
        .ok()
        .and_then(|i| i.exit_code);
    match code {
        // `sh -c` ends 127 at once, saying nothing, when the image has no /bin/sh; a shell
        // that ran and whose last command was not found also ends 127, but said something.
        Some(127) if !output_seen && command == default_command().as_slice() => Err(OpError::new(
            ErrorKind::Other,
            "no shell found in the container (it has no /bin/sh)",
        )),
        code => Ok(Done {
            exit_code: code,
            ..Done::default()
        }),
    }
}

async fn resize(docker: &Docker, exec: &str, (width, height): (u16, u16)) {
    let _ = docker
        .resize_exec(exec, ResizeExecOptions { height, width })
        .await;
}

/// The bytes an xterm sends for a key, for a program behind a TTY: what the operator typed,
/// as the shell in the container expects to read it. Releases and unknown keys send nothing.
pub fn key_bytes(k: KeyEvent) -> Vec<u8> {
    if k.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let mut out = Vec::new();
    if alt {
        // Meta sends ESC first.
        out.push(0x1b);
    }
    let csi = |s: &str| [b"\x1b[".as_slice(), s.as_bytes()].concat();
    // Shift, Alt and Ctrl on a cursor or editing key are a parameter of its sequence
    // (`\x1b[1;5D` is Ctrl-Left), as xterm sends them; Alt is then not an ESC prefix.
    let modifier = 1
        + u8::from(k.modifiers.contains(KeyModifiers::SHIFT))
        + 2 * u8::from(alt)
        + 4 * u8::from(ctrl);
    let cursor = |final_byte: char| {
        if modifier > 1 {
            csi(&format!("1;{modifier}{final_byte}"))
        } else {
            csi(&final_byte.to_string())
        }
    };
    let tilde = |n: u8| {
        if modifier > 1 {
            csi(&format!("{n};{modifier}~"))
        } else {
            csi(&format!("{n}~"))
        }
    };
    let is_cursor = matches!(
        k.code,
        KeyCode::Up
            | KeyCode::Down
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::Insert
            | KeyCode::Delete
            | KeyCode::PageUp
            | KeyCode::PageDown
    );
    if alt && is_cursor {
        out.clear();
    }
    let tail: Vec<u8> = match k.code {
        KeyCode::Char(c) if ctrl => match c.to_ascii_lowercase() {
            c @ 'a'..='z' => vec![c as u8 - b'a' + 1],
            ' ' | '@' | '2' => vec![0],
            '[' | '3' => vec![0x1b],
            '\\' | '4' => vec![0x1c],
            ']' | '5' => vec![0x1d],
            '^' | '6' => vec![0x1e],
            '_' | '7' | '/' => vec![0x1f],
            other => other.to_string().into_bytes(),
        },
        KeyCode::Char(c) => c.to_string().into_bytes(),
        KeyCode::Enter => vec![b'\r'],
        KeyCode::Tab => vec![b'\t'],
        KeyCode::BackTab => csi("Z"),
        KeyCode::Backspace => vec![0x7f],
        KeyCode::Esc => vec![0x1b],
        KeyCode::Up => cursor('A'),
        KeyCode::Down => cursor('B'),
        KeyCode::Right => cursor('C'),
        KeyCode::Left => cursor('D'),
        KeyCode::Home => cursor('H'),
        KeyCode::End => cursor('F'),
        KeyCode::Insert => tilde(2),
        KeyCode::Delete => tilde(3),
        KeyCode::PageUp => tilde(5),
        KeyCode::PageDown => tilde(6),
        KeyCode::F(n) => match n {
            1 => b"\x1bOP".to_vec(),
            2 => b"\x1bOQ".to_vec(),
            3 => b"\x1bOR".to_vec(),
            4 => b"\x1bOS".to_vec(),
            5 => csi("15~"),
            6 => csi("17~"),
            7 => csi("18~"),
            8 => csi("19~"),
            9 => csi("20~"),
            10 => csi("21~"),
            11 => csi("23~"),
            12 => csi("24~"),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    if tail.is_empty() {
        return Vec::new();
    }
    out.extend(tail);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> Vec<u8> {
        key_bytes(KeyEvent::new(code, mods))
    }

    #[test]
    fn keys_become_the_bytes_a_terminal_sends() {
        let none = KeyModifiers::NONE;
        assert_eq!(key(KeyCode::Char('l'), none), b"l");
        assert_eq!(key(KeyCode::Char('é'), none), "é".as_bytes());
        assert_eq!(key(KeyCode::Enter, none), b"\r");
        assert_eq!(key(KeyCode::Backspace, none), [0x7f]);
        assert_eq!(key(KeyCode::Char('c'), KeyModifiers::CONTROL), [3]);
        assert_eq!(key(KeyCode::Char('d'), KeyModifiers::CONTROL), [4]);
        assert_eq!(key(KeyCode::Up, none), b"\x1b[A");
        assert_eq!(key(KeyCode::Delete, none), b"\x1b[3~");
        assert_eq!(key(KeyCode::F(1), none), b"\x1bOP");
        assert_eq!(key(KeyCode::Char('b'), KeyModifiers::ALT), b"\x1bb");
        assert_eq!(key(KeyCode::Left, KeyModifiers::CONTROL), b"\x1b[1;5D");
        assert_eq!(key(KeyCode::Right, KeyModifiers::ALT), b"\x1b[1;3C");
        assert_eq!(key(KeyCode::Delete, KeyModifiers::SHIFT), b"\x1b[3;2~");
        assert!(key(KeyCode::CapsLock, none).is_empty());
        let mut release = KeyEvent::new(KeyCode::Char('x'), none);
        release.kind = KeyEventKind::Release;
        assert!(key_bytes(release).is_empty());
    }

    #[test]
    fn the_default_command_is_said_in_words() {
        assert_eq!(
            command_text(&default_command()),
            "a shell (bash, ash or sh)"
        );
        assert_eq!(command_text(&["top".to_string()]), "top");
    }
}
