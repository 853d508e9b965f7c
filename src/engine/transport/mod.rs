//! Transports bollard does not bring (or brings without what we need): verified TLS with the
//! endpoint's own CA, and ssh through the system client with one master connection per endpoint.
//! Both plug into bollard through `Docker::connect_with_custom_transport`.

pub mod ssh;
pub mod tls;

use std::error::Error as StdError;
use std::fmt;

use bollard::BollardRequest;

/// The body type of bollard's requests (bollard names it only through [`BollardRequest`]).
pub(crate) type RequestBody = <BollardRequest as HasBody>::Body;

pub(crate) trait HasBody {
    type Body;
}

impl<B> HasBody for hyper::Request<B> {
    type Body = B;
}

/// A transport failure already phrased for an operator (it names the endpoint and the cause).
/// [`describe_error`](super::endpoint::describe_error) shows it as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError(pub String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for TransportError {}

impl TransportError {
    /// As a bollard error (its `IOError` carries any error type).
    pub fn into_bollard(self) -> bollard::errors::Error {
        bollard::errors::Error::IOError {
            err: std::io::Error::other(self),
        }
    }

    /// The first `TransportError` anywhere in `e`'s source chain (also inside `io::Error`s, whose
    /// `source()` skips the error they wrap).
    pub fn find<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a TransportError> {
        let mut next: Option<&(dyn StdError + 'static)> = Some(e);
        while let Some(err) = next {
            if let Some(t) = err.downcast_ref::<TransportError>() {
                return Some(t);
            }
            // bollard's IOError is `#[error(transparent)]`: its `source()` skips the io::Error too.
            let io = err.downcast_ref::<std::io::Error>().or(
                match err.downcast_ref::<bollard::errors::Error>() {
                    Some(bollard::errors::Error::IOError { err }) => Some(err),
                    _ => None,
                },
            );
            if let Some(t) = io
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<TransportError>())
            {
                return Some(t);
            }
            next = err.source();
        }
        None
    }
}

/// Every message in `e`'s source chain, outermost first, joined with ": " (hyper's own messages
/// alone say little: "client error (Connect)").
pub fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_inside_bollard_and_io_errors() {
        let e = TransportError("ssh://h: Permission denied (publickey).".into()).into_bollard();
        assert_eq!(
            TransportError::find(&e).map(|t| t.0.as_str()),
            Some("ssh://h: Permission denied (publickey).")
        );
        let io = std::io::Error::other(TransportError("x".into()));
        assert!(TransportError::find(&io).is_some());
        let plain = std::io::Error::other("y");
        assert!(TransportError::find(&plain).is_none());
    }
}
