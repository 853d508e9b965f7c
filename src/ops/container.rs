//! Container steps as engine calls. Only the gate calls these.

use bollard::query_parameters::{
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, RestartContainerOptions,
    StartContainerOptions, StopContainerOptions,
};
use bollard::Docker;

use super::error::OpError;
use super::plan::Operation;

/// Time allowed for one container step: stop and restart answer only after the container's
/// grace period (10 s by default, longer when the container asks for it).
pub const STEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

pub async fn apply(docker: &Docker, host: &str, id: &str, op: &Operation) -> Result<(), OpError> {
    let docker = docker.clone().with_timeout(STEP_TIMEOUT);
    let result = match op {
        Operation::Start => {
            docker
                .start_container(id, None::<StartContainerOptions>)
                .await
        }
        Operation::Stop => {
            docker
                .stop_container(id, None::<StopContainerOptions>)
                .await
        }
        Operation::Restart => {
            docker
                .restart_container(id, None::<RestartContainerOptions>)
                .await
        }
        Operation::Pause => docker.pause_container(id).await,
        Operation::Unpause => docker.unpause_container(id).await,
        Operation::Kill { signal } => {
            let opts = KillContainerOptionsBuilder::default()
                .signal(signal)
                .build();
            docker.kill_container(id, Some(opts)).await
        }
        Operation::Remove { volumes, force } => {
            let opts = RemoveContainerOptionsBuilder::default()
                .v(*volumes)
                .force(*force)
                .build();
            docker.remove_container(id, Some(opts)).await
        }
    };
    result.map_err(|e| OpError::from_engine(host, &e))
}
