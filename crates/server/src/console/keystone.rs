//! Keystone: the account's projects and the roles granted on them, and Download OpenRC for a
//! user, a project and a region (the same file as `GET /1.0/me/identity/user/{user}/openrc`).

use axum::extract::Query;
use latchkey_core::authz;
use latchkey_core::keystone::{Actor, Assignment, Project, Target};
use latchkey_core::names::Login;
use maud::{Markup, html};
use serde::Deserialize;

use super::OPENRC;
use super::layout::{Nav, notice, page};
use super::session::{Answer, Console, OrShow};

/// `GET /console/keystone` — `account:keystone:project/get` (and `…grant/get` for the grants).
pub async fn overview(console: Console) -> Answer {
    let permit = console.permit(&authz::KS_PROJECT_GET)?;
    let directory = &console.app.directory;
    let projects = directory.projects(&permit).await.or_show(&console)?;
    let grants = match console.permit(&authz::KS_GRANT_GET) {
        Ok(permit) => Some(directory.project_grants(&permit).await.or_show(&console)?),
        Err(_) => None,
    };
    let mut described = Vec::new();
    for project in &projects {
        let mut lines = Vec::new();
        for a in grants.iter().flatten() {
            if matches!(&a.target, Target::Project(id) if *id == project.id) {
                lines.push(grant_line(&console, a).await);
            }
        }
        described.push((project, lines));
    }
    let regions: Vec<String> = directory
        .keystone_catalog()
        .regions
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let me = console
        .caller
        .principal
        .user()
        .map(|u| u.login.to_string())
        .unwrap_or_default();
    let content = html! {
        h1 { "Keystone" }
        p.hint { "OpenStack's view of the account: its domain's projects and the roles granted on them, for the " code { "openstack" } " client and OpenStack services." }
        h2 { "Projects" }
        @if projects.is_empty() {
            div.empty { p { "The account has no Keystone project yet. Create one with " code { "openstack project create" } " or " code { "POST /v3/projects" } "." } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "ID" }
                    th scope="col" { "Description" }
                    th scope="col" { "Status" }
                    th scope="col" { "Role grants" }
                } }
                tbody { @for (project, lines) in &described { (row(project, lines, grants.is_some())) } }
            }
        }
        h2 #openrc-title { "Download OpenRC" }
        @if projects.is_empty() || regions.is_empty() {
            (notice("warning", html! { p { "An OpenRC file needs a project and a region." } }))
        } @else {
            form method="get" action=(OPENRC) aria-labelledby="openrc-title" {
                label for="openrc-user" { "User" }
                p.hint id="openrc-user-hint" { "The login of a user holding a role on the project." }
                input #openrc-user type="text" name="user" value=(me) aria-describedby="openrc-user-hint";
                label for="openrc-project" { "Project" }
                select #openrc-project name="project" {
                    @for p in &projects { option value=(p.id) { (p.name.as_str()) } }
                }
                label for="openrc-region" { "Region" }
                select #openrc-region name="region" {
                    @for r in &regions { option value=(r) { (r) } }
                }
                p { button type="submit" { "Download OpenRC" } }
            }
        }
    };
    Ok(page(&console, "Keystone", Nav::Keystone, content))
}

fn row(project: &Project, grants: &[String], readable: bool) -> Markup {
    html! {
        tr {
            td { strong { (project.name.as_str()) } }
            td { code { (project.id) } }
            td { (project.description.as_str()) }
            td { @if project.enabled { span.status.ok { "Enabled" } } @else { span.status.off { "Disabled" } } }
            td {
                @if !readable { span.hint { "Not allowed to list grants" } }
                @else if grants.is_empty() { span.hint { "No role granted" } }
                @else { ul { @for g in grants { li { (g) } } } }
            }
        }
    }
}

/// "member to user alice", in the account's words.
async fn grant_line(console: &Console, a: &Assignment) -> String {
    let directory = &console.app.directory;
    let role = directory
        .keystone_role(&a.role_id)
        .map_or_else(|_| a.role_id.clone(), |r| r.name.as_str().to_owned());
    let actor = match &a.actor {
        Actor::User(id) => match directory.cached_user(*id).await {
            Ok(Some(user)) => format!("user {}", user.login),
            _ => format!("user {id}"),
        },
        Actor::Group(name) => format!("group {name}"),
        Actor::Client(id) => format!("service account {id}"),
    };
    format!("{role} to {actor}")
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OpenRcQuery {
    user: String,
    project: String,
    region: String,
}

/// `GET /console/keystone/openrc` — `account:apiovh:me/identity/user/get`: the file.
pub async fn openrc(console: Console, Query(q): Query<OpenRcQuery>) -> Answer {
    let permit = console.permit(&authz::USER_GET)?;
    let login = Login::parse(q.user.trim()).or_show(&console)?;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let (project, region) = (some(&q.project), some(&q.region));
    let rc = console
        .app
        .directory
        .openrc(&permit, &login, project.as_deref(), region.as_deref())
        .await
        .or_show(&console)?;
    Ok(crate::ovh::openrc::download(&rc))
}
