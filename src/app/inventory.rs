//! The containers and networks known on every endpoint. Containers are stored once and
//! addressed by a stable slot index so that derived row lists can refer to them cheaply.

use std::collections::{BTreeMap, HashMap};

use super::model::{Container, ContainerKey, Network, NetworkKey};

#[derive(Debug, Default, Clone)]
pub struct Inventory {
    containers: Vec<Container>,
    index: HashMap<ContainerKey, usize>,
    networks: BTreeMap<NetworkKey, Network>,
    /// What each endpoint says about its Swarm (managers: nodes, services and tasks).
    pub swarms: super::swarm::Swarms,
}

impl Inventory {
    pub fn len(&self) -> usize {
        self.containers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
    }

    pub fn get(&self, slot: usize) -> Option<&Container> {
        self.containers.get(slot)
    }

    pub fn by_key(&self, key: &ContainerKey) -> Option<&Container> {
        self.index.get(key).map(|&i| &self.containers[i])
    }

    pub fn slot_of(&self, key: &ContainerKey) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (usize, &Container)> {
        self.containers.iter().enumerate()
    }

    /// Inserts or replaces; returns true when anything changed.
    pub fn upsert(&mut self, c: Container) -> bool {
        match self.index.get(&c.key) {
            Some(&i) if self.containers[i] == c => false,
            Some(&i) => {
                self.containers[i] = c;
                true
            }
            None => {
                self.index.insert(c.key.clone(), self.containers.len());
                self.containers.push(c);
                true
            }
        }
    }

    pub fn remove(&mut self, key: &ContainerKey) -> Option<Container> {
        let slot = self.index.remove(key)?;
        let removed = self.containers.swap_remove(slot);
        if let Some(moved) = self.containers.get(slot) {
            self.index.insert(moved.key.clone(), slot);
        }
        Some(removed)
    }

    /// Replaces everything an endpoint has with a fresh listing (after a (re)connect),
    /// so containers removed while we were away disappear. Returns true when anything changed.
    pub fn replace_endpoint(&mut self, endpoint: &str, fresh: Vec<Container>) -> bool {
        let fresh_keys: std::collections::HashSet<ContainerKey> =
            fresh.iter().map(|c| c.key.clone()).collect();
        let gone: Vec<ContainerKey> = self
            .containers
            .iter()
            .filter(|c| c.key.endpoint == endpoint && !fresh_keys.contains(&c.key))
            .map(|c| c.key.clone())
            .collect();
        let mut changed = !gone.is_empty();
        for key in gone {
            self.remove(&key);
        }
        for mut c in fresh {
            if let Some(old) = self.by_key(&c.key) {
                c.keep_inspect_details(old);
            }
            changed |= self.upsert(c);
        }
        changed
    }
}

impl Inventory {
    pub fn networks(&self) -> impl Iterator<Item = &Network> {
        self.networks.values()
    }

    pub fn network(&self, key: &NetworkKey) -> Option<&Network> {
        self.networks.get(key)
    }

    /// A network of `endpoint` by name (names are unique on one engine).
    pub fn network_named(&self, endpoint: &str, name: &str) -> Option<&Network> {
        self.networks
            .values()
            .find(|n| n.endpoint == endpoint && n.name == name)
    }

    /// Inserts or replaces; true when anything changed.
    pub fn upsert_network(&mut self, n: Network) -> bool {
        let key = n.key();
        if self.networks.get(&key) == Some(&n) {
            return false;
        }
        self.networks.insert(key, n);
        true
    }

    pub fn remove_network(&mut self, key: &NetworkKey) -> bool {
        self.networks.remove(key).is_some()
    }

    /// Replaces an endpoint's networks with a fresh listing; true when anything changed.
    pub fn replace_endpoint_networks(&mut self, endpoint: &str, fresh: Vec<Network>) -> bool {
        let before = self.networks.len();
        let mut changed = false;
        self.networks.retain(|k, n| {
            let keep = k.endpoint != endpoint || fresh.iter().any(|f| f.id == n.id);
            changed |= !keep;
            keep
        });
        changed |= self.networks.len() != before;
        for n in fresh {
            changed |= self.upsert_network(n);
        }
        changed
    }

    /// Forgets everything of an endpoint (detached).
    pub fn drop_endpoint(&mut self, endpoint: &str) -> Vec<ContainerKey> {
        self.networks.retain(|k, _| k.endpoint != endpoint);
        self.swarms.remove(endpoint);
        let gone: Vec<ContainerKey> = self
            .containers
            .iter()
            .filter(|c| c.key.endpoint == endpoint)
            .map(|c| c.key.clone())
            .collect();
        for key in &gone {
            self.remove(key);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::container;

    #[test]
    fn remove_keeps_index_consistent() {
        let mut inv = Inventory::default();
        for n in ["a", "b", "c"] {
            inv.upsert(container(n, "running").into());
        }
        let a = inv.get(0).unwrap().key.clone();
        inv.remove(&a);
        assert_eq!(inv.len(), 2);
        for (slot, c) in inv.iter() {
            assert_eq!(inv.slot_of(&c.key), Some(slot));
        }
    }

    #[test]
    fn upsert_reports_changes_only() {
        let mut inv = Inventory::default();
        assert!(inv.upsert(container("a", "running").into()));
        assert!(!inv.upsert(container("a", "running").into()));
        assert!(inv.upsert(container("a", "exited").into()));
    }

    fn net(endpoint: &str, id: &str, name: &str) -> Network {
        Network {
            endpoint: endpoint.into(),
            id: id.into(),
            name: name.into(),
            driver: "bridge".into(),
            scope: "local".into(),
            internal: false,
            attachable: false,
            icc: true,
            ipv6: false,
            subnets: Vec::new(),
            labels: Default::default(),
        }
    }

    #[test]
    fn networks_are_kept_per_endpoint_and_replaced_by_a_listing() {
        let mut inv = Inventory::default();
        assert!(inv.upsert_network(net("a", "1", "front")));
        assert!(!inv.upsert_network(net("a", "1", "front")));
        inv.upsert_network(net("a", "2", "back"));
        inv.upsert_network(net("b", "1", "front"));
        assert!(inv.replace_endpoint_networks("a", vec![net("a", "2", "back")]));
        let names: Vec<(&str, &str)> = inv
            .networks()
            .map(|n| (n.endpoint.as_str(), n.name.as_str()))
            .collect();
        assert_eq!(names, [("a", "back"), ("b", "front")]);
        assert_eq!(
            inv.network_named("b", "front").map(|n| n.id.as_str()),
            Some("1")
        );
        inv.drop_endpoint("b");
        assert!(inv.network_named("b", "front").is_none());
    }

    #[test]
    fn replace_endpoint_drops_vanished_and_keeps_other_endpoints() {
        let mut inv = Inventory::default();
        inv.upsert(container("a", "running").into());
        inv.upsert(container("b", "running").into());
        inv.upsert(container("x", "running").endpoint("other").into());
        assert!(inv.replace_endpoint("default", vec![container("b", "exited").into()]));
        let names: Vec<_> = inv.iter().map(|(_, c)| c.name.clone()).collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains(&"b".to_string()) && names.contains(&"x".to_string()));
    }
}
