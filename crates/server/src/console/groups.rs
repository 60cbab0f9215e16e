//! Identities → User groups: the account's groups (Name, Role, Description, Creation, Last
//! update); add, edit, delete. The groups every account starts with cannot change.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::Error;
use latchkey_core::authz;
use latchkey_core::model::{Group, Role};
use latchkey_core::names::{Description, GroupName};
use latchkey_core::store::GroupChanges;
use maud::{Markup, html};
use serde::Deserialize;

use super::GROUPS as PATH;
use super::forms::{Errors, NoFields, confirm_delete, form_error, input, select, submit};
use super::layout::{Nav, notice, page, page_with};
use super::listing::{
    ListQuery, done, done_message, filter_form, page_of, pager, segment, when, window,
};
use super::session::{Answer, Console, Form, OrShow, Shown};

fn group_path(name: &GroupName) -> String {
    format!("{PATH}/{}", segment(name.as_str()))
}

/// `GET /console/identities/groups` — `account:apiovh:me/identity/group/get`.
pub async fn list(console: Console, Query(q): Query<ListQuery>) -> Answer {
    let permit = console.permit(&authz::GROUP_GET)?;
    let all = console
        .app
        .directory
        .account_groups(&permit)
        .await
        .or_show(&console)?;
    let (query, number) = page_of(&q.name, q.page);
    let (shown, total) = window(&all, |g| g.name.as_str(), &query);
    let content = html! {
        h1 { "User groups" }
        @if let Some(done) = done_message("Group", q.done.as_deref(), q.subject.as_deref(), |_, _| None) { (notice("success", html! { p { (done) } })) }
        div.bar {
            (filter_form(PATH, "Filter by name", &q.name, &[]))
            a.button href={ (PATH) "/new" } { "Add a group" }
        }
        @if shown.is_empty() {
            div.empty { p { "No group's name contains “" (query.filter) "”." } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Role" }
                    th scope="col" { "Description" }
                    th scope="col" { "Creation" }
                    th scope="col" { "Last update" }
                    th scope="col" { "Actions" }
                } }
                tbody { @for group in &shown { (row(group)) } }
            }
            (pager(PATH, &query, total, number))
        }
    };
    Ok(page(&console, "User groups", Nav::Groups, content))
}

fn row(group: &Group) -> Markup {
    let base = group_path(&group.name);
    html! {
        tr {
            td { strong { (group.name) } }
            td { (group.role) }
            td { (group.description.as_str()) }
            td { (when(group.created_at)) }
            td { (when(group.updated_at)) }
            td.actions {
                @if group.default_group {
                    span.hint { "Default group" }
                } @else {
                    a href={ (base) "/edit" } aria-label={ "Edit " (group.name) } { "Edit" }
                    " "
                    a.danger href={ (base) "/delete" } aria-label={ "Delete " (group.name) } { "Delete" }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GroupFields {
    name: String,
    role: String,
    description: String,
}

fn roles() -> Vec<(String, String)> {
    [
        ("ADMIN", "ADMIN: everything on the account"),
        ("REGULAR", "REGULAR: what policies allow"),
        ("UNPRIVILEGED", "UNPRIVILEGED: what policies allow"),
        ("NONE", "NONE: what policies allow"),
    ]
    .map(|(v, l)| (v.to_owned(), l.to_owned()))
    .to_vec()
}

fn group_form(
    console: &Console,
    editing: Option<&Group>,
    f: &GroupFields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let (title, action) = match editing {
        Some(g) => (
            format!("Edit {}", g.name),
            format!("{}/edit", group_path(&g.name)),
        ),
        None => ("Add a group".to_owned(), PATH.to_owned()),
    };
    let role = if f.role.is_empty() {
        "REGULAR"
    } else {
        f.role.as_str()
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "User groups" } " › " (title) }
        h1 { (title) }
        (form_error(errors))
        form method="post" action=(action) {
            (super::layout::csrf(console))
            @if editing.is_none() {
                (input("name", "Name", "text", &f.name, None, errors))
            }
            (select("role", "Role", &roles(), role, errors))
            (input("description", "Description", "text", &f.description, None, errors))
            (submit(editing.is_some(), PATH))
        }
    };
    page_with(console, status, &title, Nav::Groups, content)
}

/// `GET /console/identities/groups/new`.
pub async fn new(console: Console) -> Answer {
    Ok(group_form(
        &console,
        None,
        &GroupFields::default(),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST /console/identities/groups` — `account:apiovh:me/identity/group/create`.
pub async fn create(form: Form<GroupFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::GROUP_CREATE)?;
    let mut errors = Errors::default();
    let name = errors.check("name", GroupName::parse(f.name.trim()));
    let role = errors.check("role", f.role.parse::<Role>());
    let description = errors.check("description", Description::parse(&f.description));
    let (Some(name), Some(role), Some(description)) = (name, role, description) else {
        return Ok(group_form(
            &console,
            None,
            &f,
            &errors,
            StatusCode::BAD_REQUEST,
        ));
    };
    match console
        .app
        .directory
        .create_group(&permit, name, role, description)
        .await
    {
        Ok(group) => Ok(done(PATH, "created", group.name.as_str())),
        Err(Error::Conflict(m)) => Ok(group_form(
            &console,
            None,
            &f,
            &Errors::of("name", m),
            StatusCode::CONFLICT,
        )),
        Err(Error::Invalid(m)) => Ok(group_form(
            &console,
            None,
            &f,
            &Errors::of("form", m),
            StatusCode::BAD_REQUEST,
        )),
        Err(e) => Err(console.error(e).into()),
    }
}

async fn the_group(console: &Console, name: &str) -> Result<Group, Shown> {
    let permit = console.permit(&authz::GROUP_GET)?;
    let name = GroupName::parse(name).or_show(console)?;
    console
        .app
        .directory
        .group(&permit, &name)
        .await
        .or_show(console)
}

/// `GET …/{group}/edit`.
pub async fn edit_form(console: Console, Path(name): Path<String>) -> Answer {
    let group = the_group(&console, &name).await?;
    let fields = GroupFields {
        name: group.name.to_string(),
        role: group.role.to_string(),
        description: group.description.as_str().to_owned(),
    };
    Ok(group_form(
        &console,
        Some(&group),
        &fields,
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST …/{group}/edit` — `account:apiovh:me/identity/group/edit`.
pub async fn edit(Path(name): Path<String>, form: Form<GroupFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::GROUP_EDIT)?;
    let group = the_group(&console, &name).await?;
    let mut errors = Errors::default();
    let role = errors.check("role", f.role.parse::<Role>());
    let description = errors.check("description", Description::parse(&f.description));
    if !errors.is_empty() {
        return Ok(group_form(
            &console,
            Some(&group),
            &f,
            &errors,
            StatusCode::BAD_REQUEST,
        ));
    }
    let changes = GroupChanges {
        name: None,
        role,
        description,
    };
    match console
        .app
        .directory
        .update_group(&permit, &group.name, changes)
        .await
    {
        Ok(saved) => Ok(done(PATH, "edited", saved.name.as_str())),
        Err(Error::Invalid(m) | Error::Conflict(m)) => Ok(group_form(
            &console,
            Some(&group),
            &f,
            &Errors::of("form", m),
            StatusCode::BAD_REQUEST,
        )),
        Err(e) => Err(console.error(e).into()),
    }
}

/// `GET …/{group}/delete`: the confirmation.
pub async fn confirm(console: Console, Path(name): Path<String>) -> Answer {
    let group = the_group(&console, &name).await?;
    let what = html! {
        p { "The group " strong { (group.name) } " is deleted. A group that still has members cannot be deleted: move them to another group first." }
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "User groups" } " › Delete " (group.name) }
        h1 { "Delete the group " (group.name) "?" }
        (confirm_delete(&console, what, &format!("{}/delete", group_path(&group.name)), PATH))
    };
    Ok(page(&console, "Delete a group", Nav::Groups, content))
}

/// `POST …/{group}/delete` — `account:apiovh:me/identity/group/delete`.
pub async fn delete(Path(name): Path<String>, form: Form<NoFields>) -> Answer {
    let console = form.console;
    let permit = console.permit(&authz::GROUP_DELETE)?;
    let name = GroupName::parse(&name).or_show(&console)?;
    console
        .app
        .directory
        .delete_group(&permit, &name)
        .await
        .or_show(&console)?;
    Ok(done(PATH, "deleted", name.as_str()))
}
