//! The query filters of Keystone's list calls: `name`, `domain_id`, `enabled`, and for
//! projects `parent_id`, `is_domain` and the tag filters.

use latchkey_core::keystone::{self, Project, domain_id};
use latchkey_core::model::Account;

use crate::query::Query;

/// Query filters Keystone's list calls accept: `name`, `domain_id`, `enabled`, and for projects
/// `parent_id`, `is_domain` and the tag filters.
pub(crate) struct Filters {
    pub name: Option<String>,
    pub domain_id: Option<String>,
    pub enabled: Option<bool>,
    pub parent_id: Option<String>,
    pub is_domain: Option<bool>,
    /// `tags` (all of), `tags-any`, `not-tags` (not all of), `not-tags-any` (none of).
    pub tags: [Option<Vec<String>>; 4],
}

fn truthy(v: &str) -> bool {
    !matches!(
        v.to_ascii_lowercase().as_str(),
        "0" | "false" | "no" | "off"
    )
}

impl Filters {
    pub fn parse(query: Option<&str>) -> Self {
        let query = Query::parse(query);
        let list = |key: &str| {
            query
                .last(key)
                .map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        };
        Filters {
            name: query.last("name").map(str::to_owned),
            domain_id: query.last("domain_id").map(str::to_owned),
            enabled: query.last("enabled").map(truthy),
            parent_id: query.last("parent_id").map(str::to_owned),
            is_domain: query.last("is_domain").map(truthy),
            tags: [
                list("tags"),
                list("tags-any"),
                list("not-tags"),
                list("not-tags-any"),
            ],
        }
    }

    pub fn project_passes(&self, account: &Account, p: &Project) -> bool {
        let has = |t: &String| p.tags.contains(t);
        let parent = p.parent_id.clone().unwrap_or_else(|| domain_id(account));
        self.name.as_deref().is_none_or(|n| p.name.as_str() == n)
            && self.enabled.is_none_or(|e| p.enabled == e)
            && self.parent_id.as_deref().is_none_or(|x| parent == x)
            && self.tags[0].as_ref().is_none_or(|t| t.iter().all(has))
            && self.tags[1].as_ref().is_none_or(|t| t.iter().any(has))
            && self.tags[2].as_ref().is_none_or(|t| !t.iter().all(has))
            && self.tags[3].as_ref().is_none_or(|t| !t.iter().any(has))
    }

    pub fn domain_passes(&self, account: &Account) -> bool {
        self.name
            .as_deref()
            .is_none_or(|n| keystone::domain_name(account) == n)
            && self.enabled.is_none_or(|e| account.domain.enabled == e)
            && self.parent_id.is_none()
            && self.tags.iter().all(Option::is_none)
    }
}
