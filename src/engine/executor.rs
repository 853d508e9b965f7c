//! The one gate every mutation passes: read-only refusal, the engine call, the audit record.
//! Nothing else in the program sends a mutating request to an engine.

use std::collections::HashMap;

use bollard::query_parameters::{
    KillContainerOptionsBuilder, RemoveContainerOptionsBuilder, RestartContainerOptions,
    StartContainerOptions, StopContainerOptions,
};
use bollard::Docker;
use chrono::Utc;

use super::audit::{AuditLog, AuditRecord};
use super::endpoint::{describe_error, Endpoint};
use crate::app::effect::{Mutation, MutationOutcome, MutationRequest, Target};

const MUTATION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// Cheap to clone: the runtime runs each confirmed request in its own task, so a slow stop
/// (the engine waits for the grace period) never holds up the next action.
#[derive(Clone)]
pub struct Executor {
    read_only: bool,
    audit: AuditLog,
    endpoints: HashMap<String, Endpoint>,
}

impl Executor {
    pub fn new(read_only: bool, audit: AuditLog, endpoints: Vec<Endpoint>) -> Self {
        Executor {
            read_only,
            audit,
            endpoints: endpoints.into_iter().map(|e| (e.name.clone(), e)).collect(),
        }
    }

    /// Runs a confirmed request target by target; each outcome is audited and returned.
    pub async fn execute(&self, request: &MutationRequest) -> Vec<MutationOutcome> {
        let mut outcomes = Vec::with_capacity(request.targets.len());
        for target in &request.targets {
            let result = if self.read_only {
                Err("refused: wheelhouse is in read-only mode".to_string())
            } else {
                self.apply(target, &request.mutation).await
            };
            let host = self
                .endpoints
                .get(&target.key.endpoint)
                .map_or("", |e| e.host.as_str());
            let record = AuditRecord::new(
                Utc::now(),
                host,
                target,
                &request.mutation,
                request.origin,
                &result,
                self.read_only,
            );
            if let Err(e) = self.audit.append(&record) {
                log::error!("audit log {}: {e}", self.audit.path().display());
            }
            outcomes.push(MutationOutcome {
                target: target.clone(),
                mutation: request.mutation.clone(),
                result,
            });
        }
        outcomes
    }

    async fn client(&self, endpoint: &str) -> Result<Docker, String> {
        let ep = self
            .endpoints
            .get(endpoint)
            .ok_or_else(|| format!("unknown endpoint {endpoint}"))?;
        // Stop and restart answer only after the container's grace period (10 s by default).
        Ok(ep.connect().await?.with_timeout(MUTATION_TIMEOUT))
    }

    async fn apply(&self, target: &Target, mutation: &Mutation) -> Result<(), String> {
        let docker = self.client(&target.key.endpoint).await?;
        let id = target.key.id.as_str();
        let result = match mutation {
            Mutation::Start => {
                docker
                    .start_container(id, None::<StartContainerOptions>)
                    .await
            }
            Mutation::Stop => {
                docker
                    .stop_container(id, None::<StopContainerOptions>)
                    .await
            }
            Mutation::Restart => {
                docker
                    .restart_container(id, None::<RestartContainerOptions>)
                    .await
            }
            Mutation::Pause => docker.pause_container(id).await,
            Mutation::Unpause => docker.unpause_container(id).await,
            Mutation::Kill { signal } => {
                let opts = KillContainerOptionsBuilder::default()
                    .signal(signal)
                    .build();
                docker.kill_container(id, Some(opts)).await
            }
            Mutation::Remove { volumes, force } => {
                let opts = RemoveContainerOptionsBuilder::default()
                    .v(*volumes)
                    .force(*force)
                    .build();
                docker.remove_container(id, Some(opts)).await
            }
        };
        result.map_err(|e| describe_error(&target.key.endpoint, &e))
    }
}
