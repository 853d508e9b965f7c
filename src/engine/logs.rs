//! Following one container's logs over the streaming API.

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::endpoint::describe_error;
use super::handle::EngineHandle;
use crate::app::logbuf::Stream;
use crate::app::Msg;

/// Where a stream starts: the last `tail` lines, or (`since`, unix seconds) everything from
/// then on, as when a restarted container is followed again.
#[derive(Debug, Clone, Copy)]
pub struct FollowFrom {
    pub tail: usize,
    pub since: Option<i64>,
}

/// Streams until the container's log ends, the engine fails, or the console drops the channel.
/// The task is aborted when the operator leaves the logs view.
pub async fn follow(
    engine: EngineHandle,
    id: String,
    session: u64,
    from: FollowFrom,
    tx: mpsc::Sender<Msg>,
) {
    let error = run(&engine, &id, session, from, &tx).await.err();
    let _ = tx.send(Msg::LogEnded { session, error }).await;
}

async fn run(
    engine: &EngineHandle,
    id: &str,
    session: u64,
    from: FollowFrom,
    tx: &mpsc::Sender<Msg>,
) -> Result<(), String> {
    let docker = engine.docker().await?;
    let mut options = LogsOptionsBuilder::default()
        .follow(true)
        .stdout(true)
        .stderr(true)
        .timestamps(true);
    options = match from.since {
        Some(since) => options
            .since(since.clamp(0, i32::MAX as i64) as i32)
            .tail("all"),
        None => options.tail(&from.tail.to_string()),
    };
    let options = options.build();
    let mut stream = docker.logs(id, Some(options));
    while let Some(item) = stream.next().await {
        let (stream_kind, bytes) = match item.map_err(|e| describe_error(engine.host(), &e))? {
            LogOutput::StdErr { message } => (Stream::Stderr, message),
            // A TTY container has one combined stream, reported as console output.
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                (Stream::Stdout, message)
            }
            LogOutput::StdIn { .. } => continue,
        };
        let msg = Msg::LogChunk {
            session,
            stream: stream_kind,
            bytes: bytes.to_vec(),
        };
        if tx.send(msg).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}
