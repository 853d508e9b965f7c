//! The audit log: JSON lines in the data directory, written only by the gate.
//!
//! Each step of a plan is two lines: its **intent**, on disk before the engine is asked, and its
//! **outcome** once it answers (`ok`, `error`, or `abandoned` when the console quit first). A
//! step refused (read-only, or its intent could not be written) is one outcome line, `refused`.
//! Every line names the plan and the step (`plan`, `step` of `steps`), so a plan cut short reads
//! back as exactly the steps that ran.
//!
//! The file and its directory are private to the user (0600, 0700) whatever the umask: the log
//! names every container an operator touched. Each line is one `write` of a whole line in append
//! mode, so consoles sharing the file do not interleave within a line, and it is synced before
//! the gate goes on: an intent is a promise that must survive the console.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::error::OpError;
use super::plan::{Approval, Operation, Origin, Plan, PlanId, Scope, Step, Target};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Intent,
    Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub plan: PlanId,
    /// 1-based position of the step in its plan, and the plan's length.
    pub step: usize,
    pub steps: usize,
    pub phase: Phase,
    /// The engine's address (`unix://…`, `tcp://…`, `ssh://…`).
    #[serde(default)]
    pub host: String,
    /// What was changed, flattened: `target` (the kind), `endpoint`, and the kind's own fields
    /// (`container_id`, `container_name`).
    #[serde(flatten)]
    pub target: Target,
    /// The verb (`stop`, `kill`, …) with its parameters beside it.
    #[serde(flatten)]
    pub op: Operation,
    #[serde(flatten)]
    pub origin: Origin,
    /// What the plan is about when it is more than its containers (a compose service).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scope: Option<Scope>,
    /// On a rollback: the number of the step this one undoes (`step` is that number too).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub undoes: Option<usize>,
    /// The plan's title, so one line says what it was part of: `scale shop/web to 4`.
    #[serde(default)]
    pub plan_title: String,
    /// How the plan was approved; absent on refusals of unapproved plans.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub approved: Option<Approval>,
    /// `user@host` running the console, and its process id.
    pub operator: String,
    pub pid: u32,
    /// Outcome lines: `ok`, `unchanged`, `error`, `refused` or `abandoned`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// The id of a container the step created.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created_id: Option<String>,
    /// What the engine said: why it had nothing to do on `unchanged` (`already running`), or
    /// what a prune removed on `ok`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    /// How an exec session's command ended.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub exit_code: Option<i64>,
}

/// How one step ended, for its outcome line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending<'a> {
    /// Done; with the id of the container it created, if it made one, and what the engine
    /// said it did (a prune's count).
    Ok(Option<&'a str>, Option<&'a str>),
    /// An exec session that ended with this exit code.
    Exited(i64),
    /// The engine had nothing to change, and said why (`already running`).
    Unchanged(&'a str),
    Failed(&'a OpError),
    Refused(&'a str),
    /// The console quit before the engine answered.
    Abandoned,
}

/// Who is changing things: written on every line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub pid: u32,
}

impl Operator {
    /// `user@host` of this process.
    pub fn current() -> Operator {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| format!("uid{}", unsafe { libc::getuid() }));
        Operator {
            name: format!("{user}@{}", hostname()),
            pid: std::process::id(),
        }
    }
}

/// This machine's name, as the audit log and the rollouts' locks record it.
pub(crate) fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The fields every line of one step shares.
pub struct StepContext<'a> {
    pub plan: &'a Plan,
    /// 0-based position of the step in the plan.
    pub index: usize,
    /// The step itself: the plan's, or on a rollback the one that undoes it.
    pub step: &'a Step,
    pub undoing: bool,
    pub host: &'a str,
    pub approved: Option<&'a Approval>,
    pub operator: &'a Operator,
}

impl AuditRecord {
    fn base(ctx: &StepContext, phase: Phase, time: DateTime<Utc>) -> AuditRecord {
        AuditRecord {
            time: time.to_rfc3339_opts(SecondsFormat::Millis, true),
            plan: ctx.plan.id.clone(),
            step: ctx.index + 1,
            steps: ctx.plan.steps.len(),
            phase,
            host: ctx.host.to_owned(),
            target: ctx.step.target.clone(),
            op: ctx.step.op.clone(),
            origin: ctx.plan.origin.clone(),
            scope: match &ctx.plan.scope {
                Scope::Containers => None,
                other => Some(other.clone()),
            },
            undoes: ctx.undoing.then_some(ctx.index + 1),
            plan_title: ctx.plan.title.clone(),
            approved: ctx.approved.cloned(),
            operator: ctx.operator.name.clone(),
            pid: ctx.operator.pid,
            result: None,
            error_kind: None,
            error: None,
            created_id: None,
            note: None,
            exit_code: None,
        }
    }

    pub fn intent(ctx: &StepContext, time: DateTime<Utc>) -> AuditRecord {
        AuditRecord::base(ctx, Phase::Intent, time)
    }

    pub fn outcome(ctx: &StepContext, ending: Ending, time: DateTime<Utc>) -> AuditRecord {
        let mut r = AuditRecord::base(ctx, Phase::Outcome, time);
        let (result, kind, error) = match ending {
            Ending::Ok(created, said) => {
                r.created_id = created.map(str::to_owned);
                r.note = said.map(str::to_owned);
                ("ok", None, None)
            }
            Ending::Exited(code) => {
                r.exit_code = Some(code);
                ("ok", None, None)
            }
            Ending::Unchanged(why) => {
                r.note = Some(why.to_owned());
                ("unchanged", None, None)
            }
            Ending::Failed(e) => ("error", Some(e.kind.as_str()), Some(e.message.clone())),
            Ending::Refused(why) => ("refused", Some("refused"), Some(why.to_owned())),
            Ending::Abandoned => (
                "abandoned",
                None,
                Some("the console quit before the engine answered; the change may or may not have happened".to_owned()),
            ),
        };
        r.result = Some(result.into());
        r.error_kind = kind.map(str::to_owned);
        r.error = error;
        r
    }
}

#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> Self {
        AuditLog { path }
    }

    /// The lines of the log's last `tail` bytes written by the process `pid` under plan ids
    /// starting `plan_prefix`: what one console did, for its activity view. Lines that do not parse (another version's, a torn first
    /// line of the tail) are skipped.
    pub fn read_own(
        &self,
        pid: u32,
        plan_prefix: &str,
        tail: u64,
    ) -> Result<Vec<AuditRecord>, String> {
        Ok(self
            .read_tail(tail)?
            .into_iter()
            // The pid alone could be an earlier run's; plan ids carry this run's start too.
            .filter(|r| r.pid == pid && r.plan.0.starts_with(plan_prefix))
            .collect())
    }

    /// Every record in the log's last `tail` bytes, whoever wrote it; lines that do not parse
    /// are skipped.
    pub fn read_tail(&self, tail: u64) -> Result<Vec<AuditRecord>, String> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        let len = file
            .metadata()
            .map_err(|e| format!("{}: {e}", self.path.display()))?
            .len();
        file.seek(SeekFrom::Start(len.saturating_sub(tail)))
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        let mut bytes = Vec::new();
        file.take(tail)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        Ok(String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| serde_json::from_str::<AuditRecord>(l).ok())
            .collect())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line and syncs it to disk.
    pub fn append(&self, record: &AuditRecord) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut file = self.open()?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("audit log {}: {e}", self.path.display()))
    }

    /// [`append`](Self::append) on a blocking thread: syncing to disk can take tens of
    /// milliseconds, and the console's one async thread must keep answering keys meanwhile.
    /// Awaited, so a step's intent is still on disk before its engine call.
    pub async fn write(&self, record: AuditRecord) -> Result<(), String> {
        let log = self.clone();
        tokio::task::spawn_blocking(move || log.append(&record))
            .await
            .unwrap_or_else(|e| Err(format!("audit log {}: {e}", self.path.display())))
    }

    /// Whether a line could be written now (the directory and file exist or can be made, and
    /// are writable): checked at start-up so that the operator hears at once, not at the first
    /// change.
    pub fn check_writable(&self) -> Result<(), String> {
        self.open().map(drop)
    }

    fn open(&self) -> Result<std::fs::File, String> {
        let fail = |e: std::io::Error| format!("audit log {}: {e}", self.path.display());
        if let Some(dir) = self.path.parent() {
            private_dir(dir).map_err(|e| format!("audit log directory {}: {e}", dir.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .map_err(fail)?;
        tighten(&file, 0o600).map_err(fail)?;
        Ok(file)
    }
}

/// Creates `dir` (and missing parents) readable by the owner only; an existing directory that
/// others can read is tightened.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    let meta = std::fs::metadata(dir)?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Takes group and other bits off an open file that has them (one made before this rule, or
/// under a permissive umask elsewhere).
pub fn tighten(file: &std::fs::File, mode: u32) -> std::io::Result<()> {
    let meta = file.metadata()?;
    if meta.permissions().mode() & 0o777 & !mode != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::error::ErrorKind;

    fn plan() -> Plan {
        let target = Target::Container {
            endpoint: "default".into(),
            id: "abc".into(),
            name: "web".into(),
        };
        Plan {
            id: PlanId("p-1".into()),
            title: "kill web".into(),
            origin: Origin::Keystroke,
            steps: vec![
                Step::new(
                    target.clone(),
                    Operation::Kill {
                        signal: "SIGTERM".into(),
                    },
                ),
                Step::new(target, Operation::Stop),
            ],
            on_failure: Default::default(),
            scope: Scope::ComposeService {
                endpoint: "default".into(),
                project: "shop".into(),
                service: "web".into(),
            },
        }
    }

    #[test]
    fn agent_and_canary_origins_say_which_proposal_and_step() {
        let record = |origin: Origin| {
            let mut plan = plan();
            plan.origin = origin;
            let operator = Operator {
                name: "op@box".into(),
                pid: 1,
            };
            let ctx = StepContext {
                plan: &plan,
                index: 0,
                step: &plan.steps[0],
                undoing: false,
                host: "h",
                approved: None,
                operator: &operator,
            };
            let r = AuditRecord::intent(&ctx, Utc::now());
            let line = serde_json::to_value(&r).unwrap();
            let back: AuditRecord = serde_json::from_value(line.clone()).unwrap();
            assert_eq!(back, r, "reads back");
            line
        };
        let agent = record(Origin::Agent {
            policy: "scale-on-cpu".into(),
            proposal: "p-7".into(),
        });
        assert_eq!(
            (&agent["origin"], &agent["policy"], &agent["proposal"]),
            (&"agent".into(), &"scale-on-cpu".into(), &"p-7".into())
        );
        let canary = record(Origin::Canary {
            canary_rollout: "r-2".into(),
            canary_step: 3,
        });
        assert_eq!(canary["origin"], "canary");
        assert_eq!(canary["canary_step"], 3);
        // The plan's own step number is not overwritten by the canary's.
        assert_eq!(canary["step"], 1);
    }

    #[test]
    fn each_step_is_an_intent_then_an_outcome_naming_plan_and_step() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("sub/audit.jsonl"));
        let t = DateTime::parse_from_rfc3339("2026-11-22T18:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let plan = plan();
        let operator = Operator {
            name: "op@box".into(),
            pid: 42,
        };
        let ctx = |index| StepContext {
            plan: &plan,
            index,
            step: &plan.steps[index],
            undoing: false,
            host: "unix:///var/run/docker.sock",
            approved: Some(&Approval::Operator),
            operator: &operator,
        };
        log.append(&AuditRecord::intent(&ctx(0), t)).unwrap();
        log.append(&AuditRecord::outcome(&ctx(0), Ending::Ok(None, None), t))
            .unwrap();
        let boom = OpError::new(ErrorKind::Conflict, "boom");
        log.append(&AuditRecord::outcome(&ctx(1), Ending::Failed(&boom), t))
            .unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        let l = &lines[0];
        assert_eq!(l["time"], "2026-11-22T18:00:00.000Z");
        assert_eq!(
            (l["plan"].as_str(), l["step"].as_u64(), l["steps"].as_u64()),
            (Some("p-1"), Some(1), Some(2))
        );
        assert_eq!(l["phase"], "intent");
        assert!(l.get("result").is_none());
        assert_eq!(l["target"], "container");
        assert_eq!(l["endpoint"], "default");
        assert_eq!(l["container_id"], "abc");
        assert_eq!(l["container_name"], "web");
        assert_eq!(l["action"], "kill");
        assert_eq!(l["signal"], "SIGTERM");
        assert_eq!(l["origin"], "keystroke");
        assert_eq!(l["approved"], "operator");
        assert_eq!(l["operator"], "op@box");
        assert_eq!(l["pid"], 42);
        assert_eq!(l["host"], "unix:///var/run/docker.sock");
        assert_eq!(
            l["scope"],
            serde_json::json!({"kind": "compose_service", "endpoint": "default",
                               "project": "shop", "service": "web"})
        );
        assert_eq!(
            (lines[1]["phase"].as_str(), lines[1]["result"].as_str()),
            (Some("outcome"), Some("ok"))
        );
        assert_eq!(lines[2]["result"], "error");
        assert_eq!(lines[2]["error_kind"], "conflict");
        assert_eq!(lines[2]["error"], "boom");
        // Records read back as they were written.
        let back: AuditRecord = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(back, AuditRecord::intent(&ctx(0), t));
    }

    #[test]
    fn the_log_and_its_directory_are_private_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let old = unsafe { libc::umask(0) };
        let log = AuditLog::new(data.join("audit.jsonl"));
        let result = log.check_writable();
        unsafe { libc::umask(old) };
        result.unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(log.path()), 0o600);
        // A log left readable by others (an older version, a copy) is tightened on next use.
        std::fs::set_permissions(log.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        log.check_writable().unwrap();
        assert_eq!(mode(log.path()), 0o600);
    }

    #[test]
    fn an_unwritable_log_says_where_and_why() {
        let dir = tempfile::tempdir().unwrap();
        // The data directory is a file: nothing can be made under it.
        let blocker = dir.path().join("data");
        std::fs::write(&blocker, "").unwrap();
        let log = AuditLog::new(blocker.join("audit.jsonl"));
        let err = log.check_writable().unwrap_err();
        assert!(err.contains(&blocker.display().to_string()), "{err}");
    }
}
