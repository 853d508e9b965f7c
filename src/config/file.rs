//! Reading the user's files (settings, keymaps, themes, docker contexts): regular files only,
//! and never more than a bound. A FIFO named as `--config` would otherwise block the start
//! forever, and `/dev/zero` would fill memory.

use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Largest configuration file read. Real ones are a few kilobytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The whole text of a regular file of at most `limit` bytes. The error says what the path is
/// when it is not a regular file, and the limit when it is larger; `NotFound` passes through
/// unchanged (a missing file is often normal).
pub fn read_text(path: &Path, limit: u64) -> io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    // O_NONBLOCK: if the path was swapped for a FIFO after the check, opening it must not wait
    // for a writer. It has no effect on regular files.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::other(format!(
            "larger than {} KiB; this is not a configuration file",
            limit / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        io::Error::other(format!(
            "not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn not_regular(kind: &std::fs::FileType) -> io::Error {
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    };
    io::Error::other(format!("{what}, not a regular file"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_oversized_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_text(&fifo, MAX_CONFIG_BYTES).unwrap_err();
        assert_eq!(err.to_string(), "a FIFO, not a regular file");
        let err = read_text(dir.path(), MAX_CONFIG_BYTES).unwrap_err();
        assert_eq!(err.to_string(), "a directory, not a regular file");
        let err = read_text(Path::new("/dev/zero"), MAX_CONFIG_BYTES).unwrap_err();
        assert_eq!(err.to_string(), "a device, not a regular file");

        let big = dir.path().join("big.toml");
        std::fs::write(&big, vec![b'#'; 2048]).unwrap();
        let err = read_text(&big, 1024).unwrap_err();
        assert!(err.to_string().contains("larger than 1 KiB"), "{err}");
        assert_eq!(read_text(&big, 4096).unwrap().len(), 2048);

        let missing = read_text(&dir.path().join("none"), 10).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }
}
