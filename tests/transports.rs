//! Remote transports against real processes (no mocks): the second engine `scripts/test` starts
//! (unix socket, and TLS on 127.0.0.1:23760) and the machine's engine through the test sshd on
//! 127.0.0.1:2222 (`docker system dial-stdio`).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::query_parameters::{ListContainersOptionsBuilder, LogsOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use support::*;
use wheelhouse::app::Msg;
use wheelhouse::engine::endpoint::{Endpoint, TlsMaterial};
use wheelhouse::engine::handle::EngineHandle;
use wheelhouse::engine::transport::ssh;
use wheelhouse::ops::audit::{AuditLog, Operator};
use wheelhouse::ops::{
    no_cancel, Approval, Engines, Gate, Operation, Origin, Plan, PlanId, Step, Target,
};

const WAIT: Duration = Duration::from_secs(20);

/// `expect_err` without requiring the success type to be `Debug`.
trait MustFail<E> {
    fn or_fail_with(self, why: &str) -> E;
}

impl<T, E> MustFail<E> for Result<T, E> {
    fn or_fail_with(self, why: &str) -> E {
        match self {
            Ok(_) => panic!("succeeded, but {why}"),
            Err(e) => e,
        }
    }
}

/// Ids (full) of the containers labelled `label` on `docker`.
async fn ids_with_label(docker: &Docker, label: &str) -> Vec<String> {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&[("label".to_string(), vec![label.to_string()])].into())
        .build();
    docker
        .list_containers(Some(options))
        .await
        .expect("list containers")
        .into_iter()
        .filter_map(|c| c.id)
        .collect()
}

fn tls_endpoint(ca: &str, skip_verify: bool) -> Endpoint {
    let dir = tls_dir();
    Endpoint {
        name: "tls".into(),
        host: tls_addr(),
        tls: Some(TlsMaterial {
            ca: Some(dir.join(ca)),
            cert: Some(dir.join("cert.pem")),
            key: Some(dir.join("key.pem")),
            skip_verify,
        }),
    }
}

fn ssh_endpoint(name: &str) -> Endpoint {
    // The code under test reads its ssh config from WHEELHOUSE_SSH_CONFIG, as scripts/test exports.
    let wanted = ssh_config();
    let got = std::env::var_os(ssh::CONFIG_ENV).map(PathBuf::from);
    assert_eq!(
        got.as_deref(),
        Some(wanted.as_path()),
        "{} must name the test ssh config: run scripts/test",
        ssh::CONFIG_ENV
    );
    Endpoint {
        name: name.into(),
        host: ssh_host(),
        tls: None,
    }
}

/// A copy of the test ssh config with `replace` applied, in `dir` (its own ControlPath, since the
/// control socket name includes the config file).
fn ssh_config_variant(dir: &Path, name: &str, replace: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(ssh_config()).expect("read test ssh config");
    for (from, to) in replace {
        assert!(text.contains(from), "{from:?} not in the test ssh config");
        text = text.replace(from, to);
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

// ---- TLS -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_verified_lists_the_second_engine_and_negotiates() {
    let guard = TestContainers::on(&engine2_sock());
    let id = guard.run("tls", &[], &[]);
    let docker = tls_endpoint("ca.pem", false)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("verified TLS connect: {e}"));
    // The engine is 20.10 (API 1.41): the client came down from bollard's newer default.
    let v = docker.client_version();
    assert!(
        v <= *bollard::API_DEFAULT_VERSION && v.to_string() != "0.0",
        "negotiated {v}"
    );
    assert_eq!(ids_with_label(&docker, &guard.label()).await, vec![id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_a_wrong_ca_says_the_server_is_not_trusted() {
    let e = tls_endpoint("other-ca.pem", false)
        .connect()
        .await
        .or_fail_with("a server cert from another CA must be refused");
    eprintln!("shown: {e}");
    let ca = tls_dir().join("other-ca.pem");
    assert!(
        e.contains("not trusted by") && e.contains(&ca.display().to_string()),
        "{e}"
    );
    assert!(e.contains(&tls_addr()), "names the endpoint: {e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_skip_verify_connects_despite_a_wrong_ca() {
    let endpoint = tls_endpoint("other-ca.pem", true);
    assert!(endpoint.tls.as_ref().unwrap().skip_verify);
    let docker = endpoint
        .connect()
        .await
        .unwrap_or_else(|e| panic!("skip_verify connect: {e}"));
    docker.ping().await.expect("ping");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_missing_key_file_is_named() {
    let mut endpoint = tls_endpoint("ca.pem", false);
    let missing = tls_dir().join("no-such-key.pem");
    endpoint.tls.as_mut().unwrap().key = Some(missing.clone());
    let e = endpoint.client().or_fail_with("a missing key must fail");
    eprintln!("shown: {e}");
    assert!(e.contains(&missing.display().to_string()), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_needs_a_client_certificate() {
    // The engine runs with --tlsverify: without our client cert it refuses the handshake.
    let mut endpoint = tls_endpoint("ca.pem", false);
    let tls = endpoint.tls.as_mut().unwrap();
    tls.cert = None;
    tls.key = None;
    let e = endpoint.connect().await.or_fail_with("no client cert");
    eprintln!("shown: {e}");
    assert!(
        e.contains(&tls_addr()) && e.contains("requires a client certificate"),
        "{e}"
    );
}

// ---- second engine over its unix socket ---------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_engine_unix_socket_sees_its_containers() {
    let sock = engine2_sock();
    let guard = TestContainers::on(&sock);
    let id = guard.run("unix", &[], &[]);
    let endpoint = Endpoint::default_from(Some(&sock), None);
    let docker = endpoint.connect().await.expect("engine2 over unix");
    assert_eq!(
        ids_with_label(&docker, &guard.label()).await,
        vec![id.clone()]
    );
    // And the machine's engine does not have it: these really are two engines.
    let main = Endpoint::default_from(None, std::env::var("DOCKER_HOST").ok().as_deref())
        .connect()
        .await
        .expect("main engine");
    assert!(ids_with_label(&main, &guard.label()).await.is_empty());
}

// ---- ssh ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_lists_the_engine_through_dial_stdio() {
    let guard = TestContainers::new();
    let id = guard.run("ssh-list", &[], &[]);
    let docker = ssh_endpoint("remote")
        .connect()
        .await
        .unwrap_or_else(|e| panic!("ssh connect: {e}"));
    assert_eq!(ids_with_label(&docker, &guard.label()).await, vec![id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_follows_logs() {
    let guard = TestContainers::new();
    let id = guard.run(
        "ssh-logs",
        &[],
        &[
            "sh",
            "-c",
            "i=0; while true; do echo line-$i; i=$((i+1)); sleep 0.2; done",
        ],
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let task = tokio::spawn(wheelhouse::engine::logs::follow(
        wheelhouse::engine::handle::EngineHandle::new(ssh_endpoint("remote")),
        id,
        7,
        wheelhouse::engine::logs::FollowFrom {
            tail: 5,
            since: None,
        },
        tx,
    ));
    let mut seen = String::new();
    let got = tokio::time::timeout(WAIT, async {
        while let Some(msg) = rx.recv().await {
            match msg {
                Msg::LogChunk { session, bytes, .. } => {
                    assert_eq!(session, 7);
                    seen.push_str(&String::from_utf8_lossy(&bytes));
                    // Lines keep coming while following: several distinct ones prove the stream.
                    if seen.matches("line-").count() >= 8 {
                        return true;
                    }
                }
                Msg::LogEnded { error, .. } => panic!("log stream ended: {error:?}; seen {seen}"),
                _ => {}
            }
        }
        false
    })
    .await;
    task.abort();
    assert!(matches!(got, Ok(true)), "followed logs: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_executor_pauses_and_unpauses() {
    let guard = TestContainers::new();
    let id = guard.run("ssh-pause", &[], &[]);
    let audit_dir = tempfile::tempdir().unwrap();
    let gate = Gate::new(
        false,
        AuditLog::new(audit_dir.path().join("audit.jsonl")),
        Operator::current(),
    );
    let engines: Engines = [(
        "remote".to_string(),
        EngineHandle::new(ssh_endpoint("remote")),
    )]
    .into();
    let target = Target::Container {
        endpoint: "remote".into(),
        id: id.clone(),
        name: guard.name("ssh-pause"),
    };
    for (op, paused) in [(Operation::Pause, "true"), (Operation::Unpause, "false")] {
        let plan = Plan {
            id: PlanId::next(0),
            title: op.verb().into(),
            origin: Origin::Keystroke,
            steps: vec![Step::new(target.clone(), op.clone())],
            on_failure: Default::default(),
            scope: Default::default(),
        };
        let report = gate
            .run(plan, Approval::Operator, &engines, no_cancel(), |_| async {
            })
            .await;
        assert_eq!(report.results, [Some(Ok(()))], "{op:?}");
        assert_eq!(docker(&["inspect", "-f", "{{.State.Paused}}", &id]), paused);
    }
}

/// Established TCP connections to 127.0.0.1:`port`, seen from the client side.
fn established_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let remote = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[2] == remote && f[3] == "01"
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_one_master_serves_concurrent_streams_on_the_given_port() {
    let guard = TestContainers::new();
    let id = guard.run(
        "ssh-mux",
        &[],
        &["sh", "-c", "while true; do echo tick; sleep 0.2; done"],
    );
    // A config of its own gives this test its own ControlPath, so other tests' connections
    // do not count.
    let dir = tempfile::tempdir().unwrap();
    let config = ssh_config_variant(dir.path(), "mux-config", &[]);
    let options = ssh::SshOptions::with_config(Some(config));
    let url = ssh_host();
    let target = ssh::SshTarget::parse(&url).unwrap();
    assert_eq!(target.port, Some(2222), "the endpoint under test uses 2222");
    let dialer = ssh::Dialer::new(&url, &target, &options).unwrap();
    let args = dialer.command_args().join(" ");
    assert!(args.contains("-p 2222"), "{args}");
    let control = dialer.control_path().display().to_string();
    let prefix = control.trim_end_matches("%C").to_string();

    let docker = ssh::client(&url, &options, 10, bollard::API_DEFAULT_VERSION)
        .map(|(d, _)| d)
        .unwrap()
        .negotiate_version()
        .await
        .unwrap_or_else(|e| panic!("ssh connect: {e}"));
    // Once the master is up, the engine's socket is forwarded through it (the test sshd
    // allows stream-local forwarding), in the background.
    let status = dialer.status();
    let deadline = tokio::time::Instant::now() + WAIT;
    while !status.forwarded() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the engine's socket was never forwarded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let dial_stdio =
        |procs: &[(u32, String, char)]| procs.iter().filter(|p| p.1.contains("dial-stdio")).count();
    let children_before = dial_stdio(&processes_with(&prefix));
    // Five concurrent log streams: each a channel through the forwarded socket, no process.
    let mut streams = Vec::new();
    for _ in 0..5 {
        let options = LogsOptionsBuilder::default()
            .follow(true)
            .stdout(true)
            .tail("1")
            .build();
        streams.push(docker.logs(&id, Some(options)));
    }
    let firsts = futures_util::future::join_all(streams.iter_mut().map(|s| s.next())).await;
    for first in &firsts {
        assert!(matches!(first, Some(Ok(_))), "stream started: {first:?}");
    }
    let procs = processes_with(&prefix);
    let masters: Vec<_> = procs.iter().filter(|p| p.1.ends_with("[mux]")).collect();
    assert_eq!(masters.len(), 1, "exactly one ssh master: {procs:#?}");
    assert!(
        dial_stdio(&procs) <= children_before,
        "no child per stream (before them: {children_before}): {procs:#?}"
    );
    assert!(status.channels() >= 5, "{} channels", status.channels());
    // The master reached the sshd on 2222 (nothing listens on 22 for this test).
    assert!(established_to(2222) >= 1, "no connection to port 2222");

    // Dropping the streams and the client kills and reaps their children (no zombies).
    drop(streams);
    drop(docker);
    let left = poll(WAIT, || {
        let left: Vec<_> = processes_with(&prefix)
            .into_iter()
            .filter(|p| p.1.contains("dial-stdio") || p.2 == 'Z')
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{left:?}"))
        }
    });
    assert!(left.is_ok(), "children left after drop: {left:?}");
    // Stop this test's master (it would otherwise persist for ControlPersist).
    let master_pid = masters[0].0;
    let _ = std::process::Command::new("kill")
        .arg(master_pid.to_string())
        .status();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_refused_key_quotes_permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let ssh_dir = ssh_dir();
    let good = ssh_dir.join("id_ed25519").display().to_string();
    let bad = ssh_dir.join("id_unauthorized").display().to_string();
    let config = ssh_config_variant(dir.path(), "refused-config", &[(&good, &bad)]);
    let options = ssh::SshOptions::with_config(Some(config));
    let url = ssh_host();
    let docker = ssh::client(&url, &options, 10, bollard::API_DEFAULT_VERSION)
        .unwrap()
        .0;
    let e = docker
        .ping()
        .await
        .or_fail_with("an unauthorized key must fail");
    let text = wheelhouse::engine::endpoint::describe_error(&url, &e);
    eprintln!("shown: {text}");
    assert!(text.contains("Permission denied"), "{text}");
    assert!(text.contains("127.0.0.1"), "names the host: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_unknown_host_key_is_an_error_and_not_learned() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("known_hosts");
    std::fs::write(&empty, "").unwrap();
    let known = ssh_dir().join("known_hosts").display().to_string();
    let config = ssh_config_variant(
        dir.path(),
        "unknown-host-config",
        &[(&known, &empty.display().to_string())],
    );
    let options = ssh::SshOptions::with_config(Some(config));
    let url = ssh_host();
    let endpoint_docker = ssh::client(&url, &options, 10, bollard::API_DEFAULT_VERSION)
        .unwrap()
        .0;
    let e = endpoint_docker
        .ping()
        .await
        .or_fail_with("an unknown host key must fail");
    let text = wheelhouse::engine::endpoint::describe_error(&url, &e);
    eprintln!("shown: {text}");
    assert!(text.contains("Host key verification failed"), "{text}");
    assert!(text.contains("127.0.0.1"), "names the host: {text}");
    assert_eq!(
        std::fs::read_to_string(&empty).unwrap(),
        "",
        "the host key must not be added to known_hosts"
    );
}
