//! Resolution against temporary DOCKER_CONFIG dirs laid out the way the docker CLI writes them.

use std::collections::HashMap;
use std::path::Path;

use super::*;

struct Fixture {
    dir: tempfile::TempDir,
    vars: HashMap<String, String>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = HashMap::new();
        vars.insert(
            "DOCKER_CONFIG".to_owned(),
            dir.path().to_string_lossy().into_owned(),
        );
        Fixture { dir, vars }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn set(mut self, k: &str, v: &str) -> Fixture {
        self.vars.insert(k.into(), v.into());
        self
    }

    fn env(&self) -> impl Fn(&str) -> Option<String> + '_ {
        |k| self.vars.get(k).cloned()
    }

    fn meta_dir(&self, name: &str) -> std::path::PathBuf {
        self.root().join("contexts/meta").join(context_dir(name))
    }

    fn raw_meta(self, name: &str, json: &str) -> Fixture {
        let d = self.meta_dir(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("meta.json"), json).unwrap();
        self
    }

    fn context(self, name: &str, host: &str) -> Fixture {
        let json = format!(
            r#"{{"Name":"{name}","Metadata":{{"Description":"about {name}"}},"Endpoints":{{"docker":{{"Host":"{host}","SkipTLSVerify":false}}}}}}"#
        );
        self.raw_meta(name, &json)
    }

    fn tls(self, name: &str, files: &[&str]) -> Fixture {
        let d = self
            .root()
            .join("contexts/tls")
            .join(context_dir(name))
            .join("docker");
        std::fs::create_dir_all(&d).unwrap();
        for f in files {
            std::fs::write(d.join(f), "pem").unwrap();
        }
        self
    }

    fn current(self, name: &str) -> Fixture {
        std::fs::write(
            self.root().join("config.json"),
            format!(r#"{{"auths":{{}},"currentContext":"{name}"}}"#),
        )
        .unwrap();
        self
    }

    fn resolve(&self, sel: &Selection) -> Resolution {
        resolve(sel, self.env()).unwrap()
    }

    /// The only endpoint of a resolution, which must have resolved.
    fn one(&self, sel: &Selection) -> Endpoint {
        let mut r = self.resolve(sel);
        assert_eq!(r.endpoints.len(), 1, "{:?}", r.endpoints);
        r.endpoints.remove(0).unwrap()
    }

    fn one_err(&self, sel: &Selection) -> ContextError {
        let mut r = self.resolve(sel);
        assert_eq!(r.endpoints.len(), 1, "{:?}", r.endpoints);
        r.endpoints.remove(0).unwrap_err()
    }
}

fn none() -> Selection {
    Selection::default()
}

fn ctx(names: &[&str]) -> Selection {
    Selection {
        contexts: names.iter().map(|s| s.to_string()).collect(),
        ..Selection::default()
    }
}

fn hosts(hs: &[&str]) -> Selection {
    Selection {
        hosts: hs.iter().map(|s| s.to_string()).collect(),
        ..Selection::default()
    }
}

fn all() -> Selection {
    Selection {
        all_contexts: true,
        ..Selection::default()
    }
}

// --- precedence -------------------------------------------------------------------------------

#[test]
fn nothing_set_is_the_default_context_on_the_local_socket() {
    let f = Fixture::new();
    let e = f.one(&none());
    assert_eq!(
        e,
        Endpoint {
            name: "default".into(),
            host: DEFAULT_SOCKET.into(),
            tls: None
        }
    );
}

#[test]
fn context_flag_beats_docker_host_docker_context_and_config() {
    let f = Fixture::new()
        .context("flag", "tcp://flag:1")
        .context("envctx", "tcp://envctx:1")
        .context("cfg", "tcp://cfg:1")
        .current("cfg")
        .set("DOCKER_HOST", "tcp://envhost:1")
        .set("DOCKER_CONTEXT", "envctx");
    let e = f.one(&ctx(&["flag"]));
    assert_eq!((e.name.as_str(), e.host.as_str()), ("flag", "tcp://flag:1"));
}

#[test]
fn context_flag_with_host_flag_is_an_error() {
    let f = Fixture::new().context("flag", "tcp://flag:1");
    let sel = Selection {
        contexts: vec!["flag".into()],
        hosts: vec!["tcp://h:1".into()],
        all_contexts: false,
    };
    let e = resolve(&sel, f.env()).unwrap_err();
    assert!(matches!(e, ContextError::Conflict { .. }));
    let text = e.to_string();
    assert!(
        text.contains("--host") && text.contains("--context"),
        "{text}"
    );
}

#[test]
fn host_flag_beats_docker_host_and_docker_context() {
    let f = Fixture::new()
        .context("envctx", "tcp://envctx:1")
        .set("DOCKER_HOST", "tcp://envhost:1")
        .set("DOCKER_CONTEXT", "envctx");
    let r = f.resolve(&hosts(&["unix:///run/x.sock"]));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let e = r.endpoints[0].clone().unwrap();
    assert_eq!(
        (e.name.as_str(), e.host.as_str()),
        ("x.sock", "unix:///run/x.sock")
    );
}

#[test]
fn docker_host_beats_docker_context_with_a_warning() {
    let f = Fixture::new()
        .context("envctx", "tcp://envctx:1")
        .set("DOCKER_HOST", "tcp://envhost:1")
        .set("DOCKER_CONTEXT", "envctx");
    let r = f.resolve(&none());
    let e = r.endpoints[0].clone().unwrap();
    assert_eq!(
        (e.name.as_str(), e.host.as_str()),
        ("default", "tcp://envhost:1")
    );
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].contains("DOCKER_CONTEXT=envctx is ignored"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn docker_host_beats_current_context_in_config() {
    let f = Fixture::new()
        .context("cfg", "tcp://cfg:1")
        .current("cfg")
        .set("DOCKER_HOST", "tcp://envhost:1");
    let r = f.resolve(&none());
    assert_eq!(r.endpoints[0].as_ref().unwrap().host, "tcp://envhost:1");
    assert!(r.warnings[0].contains("\"cfg\""), "{:?}", r.warnings);
}

#[test]
fn empty_docker_host_does_not_count() {
    let f = Fixture::new()
        .context("envctx", "tcp://envctx:1")
        .set("DOCKER_HOST", "")
        .set("DOCKER_CONTEXT", "envctx");
    let r = f.resolve(&none());
    assert!(r.warnings.is_empty());
    assert_eq!(r.endpoints[0].as_ref().unwrap().name, "envctx");
}

#[test]
fn docker_context_beats_config() {
    let f = Fixture::new()
        .context("envctx", "tcp://envctx:1")
        .context("cfg", "tcp://cfg:1")
        .current("cfg")
        .set("DOCKER_CONTEXT", "envctx");
    assert_eq!(f.one(&none()).host, "tcp://envctx:1");
}

#[test]
fn config_current_context_beats_default() {
    let f = Fixture::new()
        .context("cfg", "ssh://u@h:2222")
        .current("cfg");
    let e = f.one(&none());
    assert_eq!(
        (e.name.as_str(), e.host.as_str()),
        ("cfg", "ssh://u@h:2222")
    );
}

#[test]
fn config_dir_defaults_to_home_dot_docker() {
    let home = tempfile::tempdir().unwrap();
    let f = Fixture {
        dir: tempfile::tempdir().unwrap(),
        vars: HashMap::from([(
            "HOME".to_owned(),
            home.path().to_string_lossy().into_owned(),
        )]),
    };
    let d = home
        .path()
        .join(".docker/contexts/meta")
        .join(context_dir("hm"));
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(
        d.join("meta.json"),
        r#"{"Name":"hm","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://hm:1"}}}"#,
    )
    .unwrap();
    std::fs::write(
        home.path().join(".docker/config.json"),
        r#"{"currentContext":"hm"}"#,
    )
    .unwrap();
    assert_eq!(f.one(&none()).host, "tcp://hm:1");
}

#[test]
fn config_naming_default_or_broken_config_uses_default() {
    let f = Fixture::new().current("default");
    assert_eq!(f.one(&none()).name, "default");
    let f = Fixture::new();
    std::fs::write(f.root().join("config.json"), "{not json").unwrap();
    let r = f.resolve(&none());
    assert_eq!(r.endpoints[0].as_ref().unwrap().name, "default");
    assert!(r.warnings[0].contains("config.json"), "{:?}", r.warnings);
}

#[test]
fn context_named_default_is_the_default_context() {
    let f = Fixture::new().set("DOCKER_HOST", "tcp://envhost:1");
    let e = f.one(&ctx(&["default"]));
    assert_eq!(
        (e.name.as_str(), e.host.as_str()),
        ("default", "tcp://envhost:1")
    );
}

// --- the default context and TLS env -----------------------------------------------------------

#[test]
fn tls_verify_without_host_is_localhost_2376_with_certs_from_cert_path() {
    let certs = tempfile::tempdir().unwrap();
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::write(certs.path().join(f), "pem").unwrap();
    }
    let f = Fixture::new()
        .set("DOCKER_TLS_VERIFY", "1")
        .set("DOCKER_CERT_PATH", &certs.path().to_string_lossy());
    let e = f.one(&none());
    assert_eq!(e.host, "tcp://localhost:2376");
    assert_eq!(
        e.tls,
        Some(TlsMaterial {
            ca: Some(certs.path().join("ca.pem")),
            cert: Some(certs.path().join("cert.pem")),
            key: Some(certs.path().join("key.pem")),
            skip_verify: false,
        })
    );
}

#[test]
fn cert_path_defaults_to_the_config_dir() {
    let f = Fixture::new()
        .set("DOCKER_TLS_VERIFY", "1")
        .set("DOCKER_HOST", "tcp://h:2376");
    std::fs::write(f.root().join("ca.pem"), "pem").unwrap();
    let e = f.one(&none());
    let tls = e.tls.unwrap();
    assert_eq!(tls.ca, Some(f.root().join("ca.pem")));
    assert_eq!((tls.cert, tls.key), (None, None));
}

#[test]
fn tls_verify_without_ca_is_an_error_naming_the_dir() {
    let f = Fixture::new().set("DOCKER_TLS_VERIFY", "1");
    let e = f.one_err(&none());
    assert!(matches!(e, ContextError::MissingTls { .. }));
    let text = e.to_string();
    assert!(
        text.contains("ca.pem") && text.contains(&*f.root().to_string_lossy()),
        "{text}"
    );
}

#[test]
fn empty_tls_verify_means_no_tls() {
    let f = Fixture::new()
        .set("DOCKER_TLS_VERIFY", "")
        .set("DOCKER_HOST", "tcp://h:2375");
    assert_eq!(f.one(&none()).tls, None);
}

#[test]
fn tls_env_does_not_apply_to_named_contexts() {
    let f = Fixture::new()
        .context("plain", "tcp://plain:2375")
        .set("DOCKER_TLS_VERIFY", "1");
    assert_eq!(f.one(&ctx(&["plain"])).tls, None);
}

#[test]
fn hosts_are_normalized_like_the_cli() {
    let f = Fixture::new();
    assert_eq!(f.one(&hosts(&["127.0.0.1:9"])).host, "tcp://127.0.0.1:9");
    assert_eq!(
        f.one(&hosts(&["tcp://127.0.0.1"])).host,
        "tcp://127.0.0.1:2375"
    );
}

// --- named contexts, TLS files -----------------------------------------------------------------

#[test]
fn meta_json_as_the_cli_writes_it() {
    let f = Fixture::new().raw_meta(
        "remote",
        r#"{"Name":"remote","Metadata":{"Description":"x"},"Endpoints":{"docker":{"Host":"ssh://u@h:2222","SkipTLSVerify":false}}}"#,
    );
    assert_eq!(
        f.one(&ctx(&["remote"])),
        Endpoint {
            name: "remote".into(),
            host: "ssh://u@h:2222".into(),
            tls: None
        }
    );
}

#[test]
fn tls_files_of_a_context_are_found() {
    let f = Fixture::new()
        .context("sec", "tcp://sec:2376")
        .tls("sec", &["ca.pem", "cert.pem", "key.pem"]);
    let dir = f
        .root()
        .join("contexts/tls")
        .join(context_dir("sec"))
        .join("docker");
    assert_eq!(
        f.one(&ctx(&["sec"])).tls,
        Some(TlsMaterial {
            ca: Some(dir.join("ca.pem")),
            cert: Some(dir.join("cert.pem")),
            key: Some(dir.join("key.pem")),
            skip_verify: false,
        })
    );
}

#[test]
fn only_a_ca_is_enough() {
    let f = Fixture::new()
        .context("sec", "tcp://sec:2376")
        .tls("sec", &["ca.pem"]);
    let tls = f.one(&ctx(&["sec"])).tls.unwrap();
    assert!(tls.ca.is_some() && tls.cert.is_none() && tls.key.is_none());
}

#[test]
fn skip_tls_verify_is_carried() {
    let f = Fixture::new().raw_meta(
        "skip",
        r#"{"Name":"skip","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://s:2376","SkipTLSVerify":true}}}"#,
    );
    assert_eq!(
        f.one(&ctx(&["skip"])).tls,
        Some(TlsMaterial {
            ca: None,
            cert: None,
            key: None,
            skip_verify: true
        })
    );
}

#[test]
fn cert_without_key_is_an_error() {
    let f = Fixture::new()
        .context("half", "tcp://half:2376")
        .tls("half", &["cert.pem"]);
    let e = f.one_err(&ctx(&["half"]));
    assert!(matches!(e, ContextError::MissingTls { .. }));
    assert_eq!(e.host(), Some("tcp://half:2376"));
    let text = e.to_string();
    assert!(
        text.contains("\"half\"") && text.contains("key.pem is missing"),
        "{text}"
    );
}

// --- errors -----------------------------------------------------------------------------------

#[test]
fn unknown_context_lists_the_known_ones() {
    let f = Fixture::new()
        .context("zeta", "tcp://z:1")
        .context("alpha", "tcp://a:1");
    let e = f.one_err(&ctx(&["nope"]));
    let text = e.to_string();
    assert!(text.contains("\"nope\""), "{text}");
    assert!(
        text.contains("known contexts: default, alpha, zeta"),
        "{text}"
    );
    assert_eq!(e.context(), "nope");
}

#[test]
fn unknown_docker_context_is_an_error_too() {
    let f = Fixture::new().set("DOCKER_CONTEXT", "gone");
    assert!(matches!(f.one_err(&none()), ContextError::Unknown { .. }));
}

#[test]
fn malformed_meta_names_the_file_line_and_column() {
    let f = Fixture::new().raw_meta("bad", "{\n  \"Name\": \"bad\",\n  \"Endpoints\": {,\n}");
    let e = f.one_err(&ctx(&["bad"]));
    match &e {
        ContextError::Malformed { line, column, .. } => assert_eq!((*line, *column), (3, 17)),
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("meta.json") && text.contains("line 3, column 17"),
        "{text}"
    );
}

#[test]
fn meta_without_docker_endpoint_is_an_error() {
    let f = Fixture::new().raw_meta("k8s", r#"{"Name":"k8s","Metadata":{},"Endpoints":{}}"#);
    let e = f.one_err(&ctx(&["k8s"]));
    assert!(matches!(e, ContextError::NoDockerEndpoint { .. }));
    assert!(e.to_string().contains("no docker endpoint"), "{e}");
}

#[test]
fn unsupported_scheme_is_named() {
    let f = Fixture::new().context("ftp", "ftp://x");
    let e = f.one_err(&ctx(&["ftp"]));
    let text = e.to_string();
    assert!(
        text.contains("\"ftp\"") && text.contains("unix, tcp, ssh"),
        "{text}"
    );
    let e = f.one_err(&hosts(&["npipe:////./pipe/docker_engine"]));
    assert!(e.to_string().contains("\"npipe\""), "{e}");
    let f = Fixture::new().set("DOCKER_HOST", "http://x:1");
    assert!(f.one_err(&none()).to_string().contains("DOCKER_HOST"));
}

#[test]
fn a_broken_context_does_not_stop_the_others() {
    let f = Fixture::new()
        .context("good", "tcp://good:1")
        .raw_meta("bad", "{");
    let r = f.resolve(&ctx(&["good", "bad", "nope", "good"]));
    assert_eq!(r.endpoints.len(), 3);
    assert_eq!(r.endpoints[0].as_ref().unwrap().name, "good");
    assert!(matches!(
        r.endpoints[1],
        Err(ContextError::Malformed { .. })
    ));
    assert!(matches!(r.endpoints[2], Err(ContextError::Unknown { .. })));
    assert_eq!(r.ok().count(), 1);
    assert_eq!(r.errors().count(), 2);
    assert!(r.explicit);
}

// --- several endpoints -------------------------------------------------------------------------

#[test]
fn all_contexts_is_default_plus_every_context_on_disk() {
    let f = Fixture::new()
        .context("zeta", "tcp://z:1")
        .context("alpha", "unix:///a.sock")
        .raw_meta("broken", "[]")
        .set("DOCKER_HOST", "tcp://envhost:1");
    let r = f.resolve(&all());
    assert!(!r.explicit);
    let names: Vec<String> = r
        .endpoints
        .iter()
        .map(|e| match e {
            Ok(e) => e.name.clone(),
            Err(e) => format!("err:{}", e.context()),
        })
        .collect();
    // On disk, sorted by name; a broken meta.json is known only by its directory name.
    let mut on_disk = vec![
        "alpha".to_string(),
        "zeta".into(),
        format!("err:{}", context_dir("broken")),
    ];
    on_disk.sort_by_key(|s| s.trim_start_matches("err:").to_owned());
    let mut expected = vec!["default".to_string()];
    expected.extend(on_disk);
    assert_eq!(names, expected);
    assert_eq!(r.endpoints[0].as_ref().unwrap().host, "tcp://envhost:1");
}

#[test]
fn all_contexts_conflicts_with_host_and_context() {
    let f = Fixture::new();
    let mut sel = all();
    sel.hosts = vec!["tcp://h:1".into()];
    assert!(resolve(&sel, f.env()).is_err());
    let mut sel = all();
    sel.contexts = vec!["x".into()];
    assert!(resolve(&sel, f.env()).is_err());
}

#[test]
fn several_hosts_are_named_by_host_and_disambiguated() {
    let f = Fixture::new();
    let r = f.resolve(&hosts(&[
        "tcp://127.0.0.1:2375",
        "unix:///path/x.sock",
        "unix:///other/x.sock",
        "ssh://u@h:2222",
        "unix:///path/x.sock",
    ]));
    let names: Vec<String> = r
        .endpoints
        .iter()
        .map(|e| e.as_ref().unwrap().name.clone())
        .collect();
    assert_eq!(
        names,
        [
            "127.0.0.1:2375",
            "x.sock",
            "x.sock#2",
            "u@h:2222",
            "x.sock#3"
        ]
    );
}

#[test]
fn several_contexts_attach_several_endpoints() {
    let f = Fixture::new()
        .context("one", "tcp://one:1")
        .context("two", "unix:///two.sock");
    let r = f.resolve(&ctx(&["two", "one"]));
    let hosts: Vec<&str> = r.ok().map(|e| e.host.as_str()).collect();
    assert_eq!(hosts, ["unix:///two.sock", "tcp://one:1"]);
}

// --- listing -----------------------------------------------------------------------------------

#[test]
fn list_is_default_first_then_sorted_with_current_marked() {
    let f = Fixture::new()
        .context("zeta", "tcp://z:2376")
        .tls("zeta", &["ca.pem"])
        .context("alpha", "ssh://u@h")
        .raw_meta(
            "skip",
            r#"{"Name":"skip","Metadata":{},"Endpoints":{"docker":{"Host":"tcp://s:2376","SkipTLSVerify":true}}}"#,
        )
        .raw_meta("nodocker", r#"{"Name":"nodocker","Endpoints":{}}"#)
        .current("zeta");
    let rows = list_contexts(f.env());
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["default", "alpha", "nodocker", "skip", "zeta"]);
    let current: Vec<&str> = rows
        .iter()
        .filter(|r| r.current)
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(current, ["zeta"]);
    assert_eq!(rows[0].description, DEFAULT_DESCRIPTION);
    assert_eq!(rows[0].host, DEFAULT_SOCKET);
    assert_eq!(rows[1].description, "about alpha");
    assert!(rows[2]
        .error
        .as_deref()
        .unwrap()
        .contains("no docker endpoint"));
    assert!(rows[3].skip_tls_verify && !rows[3].tls);
    assert!(rows[4].tls && rows[4].error.is_none());
}

#[test]
fn list_marks_default_current_when_docker_host_is_set() {
    let f = Fixture::new()
        .context("zeta", "tcp://z:1")
        .current("zeta")
        .set("DOCKER_HOST", "tcp://envhost:1");
    let rows = list_contexts(f.env());
    assert!(rows[0].current && !rows[1].current);
    assert_eq!(rows[0].host, "tcp://envhost:1");
}

#[test]
fn list_shows_a_malformed_context_with_its_error() {
    let f = Fixture::new()
        .context("good", "tcp://g:1")
        .raw_meta("bad", "{");
    let rows = list_contexts(f.env());
    assert_eq!(rows.len(), 3);
    let bad = rows.iter().find(|r| r.error.is_some()).unwrap();
    assert!(
        bad.error.as_deref().unwrap().contains("malformed"),
        "{bad:?}"
    );
}

#[test]
fn context_dir_is_sha256_hex_of_the_name() {
    // `echo -n aa | sha256sum`, and the directory docker 28 created for a context named "aa".
    assert_eq!(
        context_dir("aa"),
        "961b6dd3ede3cb8ecbaacbd68de040cd78eb2ed5889130cceb4c49268ea4d506"
    );
}
