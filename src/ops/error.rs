//! Why a step did not happen, typed so that callers can act on the kind (retry a conflict, say
//! "already gone" for not-found) and the audit log can record it.
//!
//! Messages follow one style: they name what was acted on and where, then the engine's own words
//! unchanged, e.g. `web-1 on prod: No such container: web-1 (HTTP 404)`.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The engine has no such object (HTTP 404).
    NotFound,
    /// The object is not in a state that allows it, or someone else changed it (HTTP 409).
    Conflict,
    /// The engine did not answer in time.
    Timeout,
    /// The gate refused it: read-only, or its audit record could not be written.
    Refused,
    /// The engine could not be reached at all.
    Unreachable,
    /// Anything else the engine said.
    Other,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Refused => "refused",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpError {
    pub kind: ErrorKind,
    pub message: String,
}

impl OpError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        OpError {
            kind,
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        OpError::new(ErrorKind::Refused, message)
    }

    /// An engine error, classified, in words an operator can act on.
    pub fn from_engine(host: &str, e: &bollard::errors::Error) -> Self {
        use bollard::errors::Error as E;
        let kind = match e {
            E::DockerResponseServerError { status_code, .. } => match status_code {
                404 => ErrorKind::NotFound,
                409 => ErrorKind::Conflict,
                _ => ErrorKind::Other,
            },
            E::RequestTimeoutError => ErrorKind::Timeout,
            E::HyperLegacyError { .. } | E::IOError { .. } | E::SocketNotFoundError(_) => {
                ErrorKind::Unreachable
            }
            _ => ErrorKind::Other,
        };
        OpError::new(kind, crate::engine::endpoint::describe_error(host, e))
    }
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OpError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_answers_are_classified() {
        let answer = |status_code| bollard::errors::Error::DockerResponseServerError {
            status_code,
            message: "No such container: web-1".into(),
        };
        let e = OpError::from_engine("unix:///s", &answer(404));
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.message, "No such container: web-1 (HTTP 404)");
        assert_eq!(
            OpError::from_engine("h", &answer(409)).kind,
            ErrorKind::Conflict
        );
        assert_eq!(
            OpError::from_engine("h", &answer(500)).kind,
            ErrorKind::Other
        );
        let timeout = OpError::from_engine("h", &bollard::errors::Error::RequestTimeoutError);
        assert_eq!(timeout.kind, ErrorKind::Timeout);
    }
}
