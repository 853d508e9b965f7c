//! The images, volumes and networks of the attached engines, with what uses each: the state of
//! their view and its rows, derived from the listings and the inventory.

use chrono::{DateTime, Utc};

use super::inventory::Inventory;
use super::model::{ImageInfo, VolumeInfo};

/// Which kind the view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResourceKind {
    #[default]
    Images,
    Volumes,
    Networks,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 3] = [
        ResourceKind::Images,
        ResourceKind::Volumes,
        ResourceKind::Networks,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ResourceKind::Images => "Images",
            ResourceKind::Volumes => "Volumes",
            ResourceKind::Networks => "Networks",
        }
    }

    pub fn next(self, forward: bool) -> ResourceKind {
        let i = ResourceKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(0);
        ResourceKind::ALL[(i + if forward { 1 } else { 2 }) % 3]
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResourcesState {
    pub kind: ResourceKind,
    pub images: Vec<ImageInfo>,
    pub volumes: Vec<VolumeInfo>,
    /// Endpoints whose listing failed, with why.
    pub errors: Vec<(String, String)>,
    pub cursor: usize,
    pub loaded: bool,
}

/// One line of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceRow {
    pub endpoint: String,
    /// What the engine knows it by: an image or network id, a volume name.
    pub id: String,
    pub name: String,
    /// The driver of a volume or network; empty for an image.
    pub driver: String,
    pub size: Option<u64>,
    pub created: Option<DateTime<Utc>>,
    /// Containers (any state) that use it.
    pub used_by: Vec<String>,
    /// An image no name points at.
    pub dangling: bool,
    /// A network the engine made itself (`bridge`, `host`, `none`): it cannot be removed.
    pub builtin: bool,
    /// An image's names (`repo:tag`).
    pub tags: Vec<String>,
}

/// The rows of `kind`, by endpoint then name; what is unused and dangling says so.
pub fn rows(state: &ResourcesState, inventory: &Inventory, kind: ResourceKind) -> Vec<ResourceRow> {
    let users = |endpoint: &str, uses: &dyn Fn(&super::model::Container) -> bool| -> Vec<String> {
        let mut names: Vec<String> = inventory
            .iter()
            .map(|(_, c)| c)
            .filter(|c| c.key.endpoint == endpoint && uses(c))
            .map(|c| c.name.clone())
            .collect();
        names.sort();
        names
    };
    let mut rows: Vec<ResourceRow> = match kind {
        ResourceKind::Images => state
            .images
            .iter()
            .map(|i| {
                let tags: Vec<&str> = i
                    .tags
                    .iter()
                    .map(String::as_str)
                    .filter(|t| *t != "<none>:<none>")
                    .collect();
                let short = crate::text::short_id(i.id.trim_start_matches("sha256:")).to_owned();
                ResourceRow {
                    endpoint: i.endpoint.clone(),
                    id: i.id.clone(),
                    name: if tags.is_empty() {
                        format!("<none> {short}")
                    } else {
                        tags.join(", ")
                    },
                    driver: String::new(),
                    size: Some(i.size),
                    created: i.created,
                    // A container names its image by a tag (`nginx` is `nginx:latest`), or
                    // by id when it has none.
                    used_by: users(&i.endpoint, &|c| {
                        let image = c.image.as_str();
                        let latest = format!("{image}:latest");
                        !image.is_empty()
                            && (tags.contains(&image)
                                || (!image.contains(':') && tags.contains(&latest.as_str()))
                                || image == i.id
                                || (image.len() >= 12
                                    && i.id.trim_start_matches("sha256:").starts_with(image)))
                    }),
                    dangling: i.dangling(),
                    builtin: false,
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                }
            })
            .collect(),
        ResourceKind::Volumes => state
            .volumes
            .iter()
            .map(|v| ResourceRow {
                endpoint: v.endpoint.clone(),
                id: v.name.clone(),
                name: v.name.clone(),
                driver: v.driver.clone(),
                size: None,
                created: v.created,
                used_by: users(&v.endpoint, &|c| c.volumes.contains(&v.name)),
                dangling: false,
                builtin: false,
                tags: Vec::new(),
            })
            .collect(),
        ResourceKind::Networks => inventory
            .networks()
            .map(|n| ResourceRow {
                endpoint: n.endpoint.clone(),
                id: n.id.clone(),
                name: n.name.clone(),
                driver: n.driver.clone(),
                size: None,
                created: None,
                used_by: users(&n.endpoint, &|c| {
                    c.networks.iter().any(|a| a.network_id == n.id)
                }),
                dangling: false,
                builtin: matches!(n.name.as_str(), "bridge" | "host" | "none"),
                tags: Vec::new(),
            })
            .collect(),
    };
    rows.sort_by(|a, b| (&a.endpoint, &a.name).cmp(&(&b.endpoint, &b.name)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::container;

    #[test]
    fn rows_say_what_uses_each_and_what_dangles() {
        let mut inventory = Inventory::default();
        let mut web: crate::app::model::Container =
            container("web", "running").image("shop:2").into();
        web.volumes = vec!["data".into()];
        inventory.upsert(web);
        // Created as `shop`: that is `shop:latest`.
        inventory.upsert(container("cron", "exited").image("shop").into());
        let state = ResourcesState {
            images: vec![
                ImageInfo {
                    endpoint: "default".into(),
                    id: "sha256:cccc".into(),
                    tags: vec!["shop:latest".into()],
                    size: 10,
                    created: None,
                },
                ImageInfo {
                    endpoint: "default".into(),
                    id: "sha256:aaaa".into(),
                    tags: vec!["shop:2".into()],
                    size: 10,
                    created: None,
                },
                ImageInfo {
                    endpoint: "default".into(),
                    id: "sha256:bbbbbbbbbbbbbbbb".into(),
                    tags: vec![],
                    size: 5,
                    created: None,
                },
            ],
            volumes: vec![
                VolumeInfo {
                    endpoint: "default".into(),
                    name: "data".into(),
                    driver: "local".into(),
                    created: None,
                },
                VolumeInfo {
                    endpoint: "default".into(),
                    name: "old".into(),
                    driver: "local".into(),
                    created: None,
                },
            ],
            ..ResourcesState::default()
        };
        let images = rows(&state, &inventory, ResourceKind::Images);
        assert_eq!(images[0].name, "<none> bbbbbbbbbbbb");
        assert!(images[0].dangling && images[0].used_by.is_empty());
        assert_eq!(images[1].used_by, ["web"]);
        assert_eq!(images[2].used_by, ["cron"]);
        let volumes = rows(&state, &inventory, ResourceKind::Volumes);
        assert_eq!(volumes[0].used_by, ["web"]);
        assert!(volumes[1].used_by.is_empty());
    }
}
