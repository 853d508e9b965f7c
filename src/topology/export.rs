//! The topology for other tools: JSON (the model itself), Graphviz dot and Mermaid.
//!
//! In both drawings an engine is a cluster, a project (or stack) a cluster inside it and a
//! service one inside that, holding its containers; networks are ellipses joined to their
//! members by undirected edges labelled with the address; `depends_on` is a dashed arrow from
//! the service that waits to the one it waits for; `host`, `none` and `container:` modes are
//! written on the container, not drawn as edges. Every name is quoted for the format (names and
//! aliases may hold quotes, backslashes, brackets or newlines).

use std::fmt::Write;

use super::model::{GroupKind, NetworkMode, Topology};

pub fn json(topo: &Topology) -> String {
    serde_json::to_string_pretty(topo).unwrap_or_else(|_| "{}".into())
}

/// A dot string literal.
fn dq(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a Mermaid `["…"]` label: quotes and angle brackets as its entity codes.
fn mq(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn mode_note(mode: &NetworkMode) -> Option<String> {
    match mode {
        NetworkMode::Networks => None,
        NetworkMode::Host => Some("network: host".into()),
        NetworkMode::None => Some("network: none".into()),
        NetworkMode::Container {
            target,
            target_missing,
        } => Some(format!(
            "network: container {target}{}",
            if *target_missing { " (gone)" } else { "" }
        )),
    }
}

fn container_label(topo: &Topology, i: usize) -> String {
    let c = &topo.containers[i];
    let mut label = format!("{}\n{}", c.name, c.state);
    if let Some(note) = mode_note(&c.network_mode) {
        label.push('\n');
        label.push_str(&note);
    }
    let ports: Vec<String> = c
        .ports
        .iter()
        .filter(|p| p.host_port.is_some())
        .map(|p| p.display())
        .collect();
    if !ports.is_empty() {
        label.push('\n');
        label.push_str(&ports.join(", "));
    }
    label
}

pub fn dot(topo: &Topology) -> String {
    let mut out = String::from("digraph topology {\n  rankdir=LR;\n  compound=true;\n  node [shape=box, fontname=\"monospace\"];\n");
    for (e, endpoint) in topo.endpoints.iter().enumerate() {
        let _ = writeln!(
            out,
            "  subgraph cluster_e{e} {{\n    label={};",
            dq(&endpoint.name)
        );
        for (g, group) in endpoint.groups.iter().enumerate() {
            let label = match group.kind {
                GroupKind::Standalone => "(no project)".to_owned(),
                GroupKind::Stack => format!("stack {}", group.name),
                GroupKind::Compose => group.name.clone(),
            };
            let _ = writeln!(
                out,
                "    subgraph cluster_e{e}_g{g} {{\n      label={};",
                dq(&label)
            );
            for (s, svc) in group.services.iter().enumerate() {
                // Standalone containers sit in their group without a service around them.
                let cluster = !svc.name.is_empty();
                if cluster {
                    let _ = writeln!(
                        out,
                        "      subgraph cluster_e{e}_g{g}_s{s} {{\n        label={};",
                        dq(&svc.name)
                    );
                }
                for &i in &svc.containers {
                    let _ = writeln!(
                        out,
                        "        c{i} [label={}];",
                        dq(&container_label(topo, i))
                    );
                }
                if cluster {
                    out.push_str("      }\n");
                }
            }
            out.push_str("    }\n");
        }
        out.push_str("  }\n");
    }
    for (n, net) in topo.networks.iter().enumerate() {
        let mut flags = vec![net.driver.clone()];
        if net.internal {
            flags.push("internal".into());
        }
        if !net.icc {
            flags.push("no icc".into());
        }
        let _ = writeln!(
            out,
            "  n{n} [shape=ellipse, label={}];",
            dq(&format!("{}\n{}", net.name, flags.join(", ")))
        );
    }
    for (i, c) in topo.containers.iter().enumerate() {
        for m in &c.networks {
            if let Some(n) = m.network {
                let label = m.ipv4.clone().unwrap_or_default();
                let _ = writeln!(out, "  c{i} -> n{n} [dir=none, label={}];", dq(&label));
            }
        }
    }
    // depends_on between services of one project: from the first container of each.
    for (e, endpoint) in topo.endpoints.iter().enumerate() {
        for (g, group) in endpoint.groups.iter().enumerate() {
            for (s, svc) in group.services.iter().enumerate() {
                // A service without a name (standalone containers) has no cluster to point at.
                for dep in svc.depends_on.iter().filter(|_| !svc.name.is_empty()) {
                    let Some((t, target)) = group
                        .services
                        .iter()
                        .enumerate()
                        .find(|(_, o)| o.name == dep.service)
                    else {
                        continue;
                    };
                    let (Some(from), Some(to)) =
                        (svc.containers.first(), target.containers.first())
                    else {
                        continue;
                    };
                    let _ = writeln!(
                        out,
                        "  c{from} -> c{to} [style=dashed, ltail=cluster_e{e}_g{g}_s{s}, lhead=cluster_e{e}_g{g}_s{t}, label={}];",
                        dq(&dep.condition)
                    );
                }
            }
        }
    }
    out.push_str("}\n");
    out
}

pub fn mermaid(topo: &Topology) -> String {
    let mut out = String::from("flowchart LR\n");
    for (e, endpoint) in topo.endpoints.iter().enumerate() {
        let _ = writeln!(out, "  subgraph e{e} [\"{}\"]", mq(&endpoint.name));
        for (g, group) in endpoint.groups.iter().enumerate() {
            let label = match group.kind {
                GroupKind::Standalone => "(no project)".to_owned(),
                GroupKind::Stack => format!("stack {}", group.name),
                GroupKind::Compose => group.name.clone(),
            };
            let _ = writeln!(out, "    subgraph e{e}g{g} [\"{}\"]", mq(&label));
            for (s, svc) in group.services.iter().enumerate() {
                let cluster = !svc.name.is_empty();
                if cluster {
                    let _ = writeln!(out, "      subgraph e{e}g{g}s{s} [\"{}\"]", mq(&svc.name));
                }
                for &i in &svc.containers {
                    let label = container_label(topo, i).replace('\n', "<br>");
                    // The <br> joins are the format's own; the text around them is escaped.
                    let label: Vec<String> = label.split("<br>").map(mq).collect();
                    let _ = writeln!(out, "        c{i}[\"{}\"]", label.join("<br>"));
                }
                if cluster {
                    out.push_str("      end\n");
                }
            }
            out.push_str("    end\n");
        }
        out.push_str("  end\n");
    }
    for (n, net) in topo.networks.iter().enumerate() {
        let _ = writeln!(out, "  n{n}([\"{} · {}\"])", mq(&net.name), mq(&net.driver));
    }
    for (i, c) in topo.containers.iter().enumerate() {
        for m in &c.networks {
            if let Some(n) = m.network {
                match &m.ipv4 {
                    Some(ip) => {
                        let _ = writeln!(out, "  c{i} ---|\"{}\"| n{n}", mq(ip));
                    }
                    None => {
                        let _ = writeln!(out, "  c{i} --- n{n}");
                    }
                }
            }
        }
    }
    for (e, endpoint) in topo.endpoints.iter().enumerate() {
        for (g, group) in endpoint.groups.iter().enumerate() {
            for (s, svc) in group.services.iter().enumerate() {
                for dep in svc.depends_on.iter().filter(|_| !svc.name.is_empty()) {
                    if let Some(t) = group.services.iter().position(|o| o.name == dep.service) {
                        let _ = writeln!(
                            out,
                            "  e{e}g{g}s{s} -.->|\"{}\"| e{e}g{g}s{t}",
                            mq(&dep.condition)
                        );
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_and_brackets_are_quoted_for_each_format() {
        assert_eq!(dq("we\"ird\\name\nx"), "\"we\\\"ird\\\\name\\nx\"");
        assert_eq!(mq("a\"b<c>#d"), "a#quot;b#lt;c#gt;#35;d");
    }
}
