//! In-memory indexes that token issue and validation read, so that neither queries the store:
//! [`Catalog`] (roles, their implications, regions, services, endpoints; global) and [`Tenancy`]
//! (one account's projects and role assignments). Both are rebuilt from the store after a change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Actor, Assignment, Endpoint, KsRole, Project, Region, Service, Target};

/// Roles, implications and the service catalog.
#[derive(Debug, Default)]
pub struct Catalog {
    pub roles: Vec<Arc<KsRole>>,
    by_id: HashMap<String, Arc<KsRole>>,
    by_name: HashMap<String, Arc<KsRole>>,
    /// Prior role id → the role ids it implies directly.
    pub implications: BTreeMap<String, BTreeSet<String>>,
    pub regions: Vec<Region>,
    pub services: Vec<Service>,
    pub endpoints: Vec<Endpoint>,
    /// The `catalog` array of token bodies, serialised once.
    rendered: Arc<str>,
}

impl Catalog {
    pub fn new(
        roles: Vec<KsRole>,
        implications: Vec<(String, String)>,
        regions: Vec<Region>,
        services: Vec<Service>,
        endpoints: Vec<Endpoint>,
    ) -> Self {
        let roles: Vec<Arc<KsRole>> = roles.into_iter().map(Arc::new).collect();
        let by_id = roles
            .iter()
            .map(|r| (r.id.clone(), Arc::clone(r)))
            .collect();
        let by_name = roles
            .iter()
            .map(|r| (r.name.as_str().to_owned(), Arc::clone(r)))
            .collect();
        let mut implied: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (prior, imp) in implications {
            implied.entry(prior).or_default().insert(imp);
        }
        let rendered = render_catalog(&services, &endpoints).to_string().into();
        Self {
            roles,
            by_id,
            by_name,
            implications: implied,
            regions,
            services,
            endpoints,
            rendered,
        }
    }

    pub fn role(&self, id: &str) -> Option<&Arc<KsRole>> {
        self.by_id.get(id)
    }

    pub fn role_by_name(&self, name: &str) -> Option<&Arc<KsRole>> {
        self.by_name.get(name)
    }

    /// The roles `granted` gives, implied roles included, each once, in name order.
    pub fn expand<'a>(&self, granted: impl IntoIterator<Item = &'a str>) -> Vec<Arc<KsRole>> {
        let mut seen: Vec<&str> = Vec::new();
        let mut todo: Vec<&str> = granted.into_iter().collect();
        while let Some(id) = todo.pop() {
            let Some((key, _)) = self.by_id.get_key_value(id) else {
                continue;
            };
            if seen.contains(&key.as_str()) {
                continue;
            }
            seen.push(key.as_str());
            if let Some(next) = self.implications.get(id) {
                todo.extend(next.iter().map(String::as_str));
            }
        }
        let mut roles: Vec<Arc<KsRole>> = seen
            .iter()
            .filter_map(|id| self.by_id.get(*id).cloned())
            .collect();
        roles.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        roles
    }

    /// The `catalog` array as JSON text.
    pub fn rendered(&self) -> &Arc<str> {
        &self.rendered
    }

    /// The `catalog` of a token scoped to `project`: endpoint URLs written with Keystone's
    /// templates (`$(project_id)s`, `%(project_id)s`, and the older `tenant_id` forms, as object
    /// storage's `/v1/AUTH_$(project_id)s`) name the project. Other tokens get the catalog as
    /// it is; without templates no copy is made.
    pub fn rendered_for(&self, project: Option<&str>) -> Arc<str> {
        const TEMPLATES: [&str; 4] = [
            "$(project_id)s",
            "%(project_id)s",
            "$(tenant_id)s",
            "%(tenant_id)s",
        ];
        match project {
            Some(id) if TEMPLATES.iter().any(|t| self.rendered.contains(t)) => {
                let mut text = self.rendered.to_string();
                for template in TEMPLATES {
                    text = text.replace(template, id);
                }
                text.into()
            }
            _ => Arc::clone(&self.rendered),
        }
    }
}

/// The token body's `catalog`: enabled services with their enabled endpoints.
fn render_catalog(services: &[Service], endpoints: &[Endpoint]) -> Value {
    let entries: Vec<Value> = services
        .iter()
        .filter(|s| s.enabled)
        .map(|s| {
            let eps: Vec<Value> = endpoints
                .iter()
                .filter(|e| e.enabled && e.service_id == s.id)
                .map(|e| {
                    json!({
                        "id": e.id,
                        "interface": e.interface.as_str(),
                        "region": e.region_id,
                        "region_id": e.region_id,
                        "url": e.url,
                    })
                })
                .collect();
            json!({ "endpoints": eps, "id": s.id, "type": s.kind, "name": s.name })
        })
        .collect();
    Value::Array(entries)
}

/// One account's projects and role assignments.
#[derive(Debug, Default)]
pub struct Tenancy {
    pub projects: Vec<Arc<Project>>,
    by_id: HashMap<String, Arc<Project>>,
    by_name: HashMap<String, Arc<Project>>,
    pub assignments: Vec<Assignment>,
    /// target → actor → role ids granted directly.
    grants: HashMap<Target, HashMap<Actor, Vec<String>>>,
    /// Keystone memberships in the account's groups, by user (of any account).
    memberships: HashMap<crate::model::UserId, Vec<(crate::names::GroupName, crate::model::Role)>>,
}

impl Tenancy {
    pub fn new(projects: Vec<Project>, assignments: Vec<Assignment>) -> Self {
        let projects: Vec<Arc<Project>> = projects.into_iter().map(Arc::new).collect();
        let by_id = projects
            .iter()
            .map(|p| (p.id.clone(), Arc::clone(p)))
            .collect();
        let by_name = projects
            .iter()
            .map(|p| (p.name.as_str().to_owned(), Arc::clone(p)))
            .collect();
        let mut grants: HashMap<Target, HashMap<Actor, Vec<String>>> = HashMap::new();
        for a in &assignments {
            grants
                .entry(a.target.clone())
                .or_default()
                .entry(a.actor.clone())
                .or_default()
                .push(a.role_id.clone());
        }
        Self {
            projects,
            by_id,
            by_name,
            assignments,
            grants,
            memberships: HashMap::new(),
        }
    }

    /// With the Keystone memberships in the account's groups.
    pub fn with_memberships(mut self, memberships: Vec<super::Membership>) -> Self {
        for m in memberships {
            self.memberships
                .entry(m.user)
                .or_default()
                .push((m.group, m.role));
        }
        self
    }

    /// The account's groups `user` is a Keystone member of (beside its IAM group), with their
    /// roles.
    pub fn groups_of(
        &self,
        user: crate::model::UserId,
    ) -> &[(crate::names::GroupName, crate::model::Role)] {
        self.memberships.get(&user).map_or(&[], Vec::as_slice)
    }

    /// The users that are Keystone members of `group`.
    pub fn members_of(&self, group: &crate::names::GroupName) -> Vec<crate::model::UserId> {
        let mut out: Vec<_> = self
            .memberships
            .iter()
            .filter(|(_, groups)| groups.iter().any(|(g, _)| g == group))
            .map(|(user, _)| *user)
            .collect();
        out.sort();
        out
    }

    pub fn project(&self, id: &str) -> Option<&Arc<Project>> {
        self.by_id.get(id)
    }

    pub fn project_by_name(&self, name: &str) -> Option<&Arc<Project>> {
        self.by_name.get(name)
    }

    /// Role ids granted directly to any of `actors` on `target`.
    pub fn granted<'a>(&'a self, actors: &[Actor], target: &Target) -> Vec<&'a str> {
        let mut out = Vec::new();
        if let Some(holders) = self.grants.get(target) {
            for actor in actors {
                if let Some(ids) = holders.get(actor) {
                    out.extend(ids.iter().map(String::as_str));
                }
            }
        }
        out
    }

    /// The projects above `id`, nearest first (a broken or cyclic chain stops).
    pub fn ancestors(&self, id: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut at = self.by_id.get(id).and_then(|p| p.parent_id.as_deref());
        while let Some(parent) = at {
            if out.contains(&parent) || out.len() > self.projects.len() {
                break;
            }
            out.push(parent);
            at = self.by_id.get(parent).and_then(|p| p.parent_id.as_deref());
        }
        out
    }

    /// Role ids any of `actors` holds on `target`: granted there, and for a project also
    /// inherited from its domain and from the projects above it (OS-INHERIT).
    pub fn effective<'a>(&'a self, actors: &[Actor], target: &Target) -> Vec<&'a str> {
        let mut out = self.granted(actors, target);
        if let Target::Project(id) = target {
            out.extend(self.granted(actors, &Target::DomainProjects));
            for parent in self.ancestors(id) {
                out.extend(self.granted(actors, &Target::ProjectsBelow(parent.to_owned())));
            }
        }
        out
    }

    /// The enabled projects on which any of `actors` holds a role, in name order.
    pub fn projects_of(&self, actors: &[Actor]) -> Vec<Arc<Project>> {
        let mut out: Vec<Arc<Project>> = self
            .projects
            .iter()
            .filter(|p| p.enabled)
            .filter(|p| {
                !self
                    .effective(actors, &Target::Project(p.id.clone()))
                    .is_empty()
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{Description, DisplayName};

    fn role(id: &str) -> KsRole {
        KsRole {
            id: id.into(),
            name: DisplayName::parse(id).unwrap(),
            description: Description::parse("").unwrap(),
            domain_id: None,
        }
    }

    #[test]
    fn implied_roles_expand_transitively_and_once() {
        let catalog = Catalog::new(
            ["admin", "manager", "member", "reader", "service"]
                .map(role)
                .into(),
            vec![
                ("admin".into(), "manager".into()),
                ("manager".into(), "member".into()),
                ("member".into(), "reader".into()),
                // A cycle must not loop.
                ("reader".into(), "member".into()),
            ],
            vec![],
            vec![],
            vec![],
        );
        let names = |ids: &[&str]| -> Vec<String> {
            catalog
                .expand(ids.iter().copied())
                .iter()
                .map(|r| r.name.as_str().to_owned())
                .collect()
        };
        assert_eq!(names(&["admin"]), ["admin", "manager", "member", "reader"]);
        assert_eq!(
            names(&["member", "service"]),
            ["member", "reader", "service"]
        );
        assert_eq!(names(&["unknown"]), Vec::<String>::new());
    }

    #[test]
    fn endpoint_templates_name_the_tokens_project() {
        let service = Service {
            id: "s1".into(),
            kind: "object-store".into(),
            name: "swift".into(),
            description: Description::parse("").unwrap(),
            enabled: true,
        };
        let endpoint = |id: &str, url: &str| Endpoint {
            id: id.into(),
            service_id: "s1".into(),
            region_id: None,
            interface: crate::keystone::Interface::Public,
            url: url.into(),
            enabled: true,
        };
        let catalog = Catalog::new(
            vec![],
            vec![],
            vec![],
            vec![service],
            vec![
                endpoint("e1", "http://store/v1/AUTH_$(project_id)s"),
                endpoint("e2", "http://old/v1/AUTH_%(tenant_id)s"),
            ],
        );
        let scoped = catalog.rendered_for(Some("abc123"));
        assert!(scoped.contains("http://store/v1/AUTH_abc123"), "{scoped}");
        assert!(scoped.contains("http://old/v1/AUTH_abc123"), "{scoped}");
        assert!(!scoped.contains("(project_id)s"));
        assert!(catalog.rendered_for(None).contains("AUTH_$(project_id)s"));
        // Without templates the shared text is handed out, not copied.
        let plain = Catalog::new(vec![], vec![], vec![], vec![], vec![]);
        assert!(Arc::ptr_eq(
            &plain.rendered_for(Some("p")),
            plain.rendered()
        ));
    }
}
