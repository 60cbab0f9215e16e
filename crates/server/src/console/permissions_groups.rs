//! IAM → Permissions groups: the installation's managed groups (read-only) and the account's
//! own (Name, Owner, Description, Permissions, Last update); add, edit, delete the account's.
//! Policies add a group's permissions to their own by picking it in the policy form.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use latchkey_core::Error;
use latchkey_core::authz;
use latchkey_core::names::Description;
use latchkey_core::policy::permissions_group::{
    PermissionsGroup, PermissionsGroupDraft, PermissionsGroupName,
};
use latchkey_core::policy::{ActionPattern, Permissions};
use maud::{Markup, html};
use serde::Deserialize;

use super::PERMISSIONS_GROUPS as PATH;
use super::forms::{Errors, NoFields, confirm_delete, form_error, input, submit, textarea};
use super::layout::{Nav, notice, page, page_with};
use super::listing::{
    ListQuery, done, done_message, filter_form, page_of, pager, segment, when, window,
};
use super::session::{Answer, Console, Form, OrShow, Shown};

fn group_path(name: &PermissionsGroupName) -> String {
    format!("{PATH}/{}", segment(name.as_str()))
}

/// `GET /console/iam/permissions-groups` — `account:apiovh:iam/permissionsGroup/get`.
pub async fn list(console: Console, Query(q): Query<ListQuery>) -> Answer {
    let permit = console.permit(&authz::PERMISSIONS_GROUP_GET)?;
    let all = console
        .app
        .directory
        .list_permissions_groups(&permit)
        .await
        .or_show(&console)?;
    let (query, number) = page_of(&q.name, q.page);
    let (shown, total) = window(&all, |g| g.name.as_str(), &query);
    let nic = &console.caller.principal.account.nic;
    let content = html! {
        h1 { "Permissions groups" }
        @if let Some(done) = done_message("Permissions group", q.done.as_deref(), q.subject.as_deref(), |_, _| None) { (notice("success", html! { p { (done) } })) }
        p.hint { "A permissions group is a named set of allowed, excepted and denied actions that policies add to their own. Groups owned by latchkey are the installation's and cannot change." }
        div.bar {
            (filter_form(PATH, "Filter by name", &q.name, &[]))
            a.button href={ (PATH) "/new" } { "Create a permissions group" }
        }
        @if shown.is_empty() {
            div.empty { p { "No permissions group's name contains “" (query.filter) "”." } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Owner" }
                    th scope="col" { "Description" }
                    th scope="col" { "Permissions" }
                    th scope="col" { "Last update" }
                    th scope="col" { "Actions" }
                } }
                tbody { @for g in &shown { (row(g, nic)) } }
            }
            (pager(PATH, &query, total, number))
        }
    };
    Ok(page(
        &console,
        "Permissions groups",
        Nav::PermissionsGroups,
        content,
    ))
}

fn actions_list(label: &str, actions: &[ActionPattern]) -> Markup {
    html! {
        @if !actions.is_empty() {
            p.sub { (label) }
            ul { @for a in actions { li { code { (a.as_str()) } } } }
        }
    }
}

fn row(g: &PermissionsGroup, nic: &latchkey_core::names::Nic) -> Markup {
    let p = &g.permissions;
    let base = group_path(&g.name);
    html! {
        tr {
            td { strong { (g.name) } }
            td { (g.owner_name(nic)) }
            td { (g.description.as_str()) }
            td {
                details {
                    summary { (p.allow.len()) " allowed, " (p.except.len()) " excepted, " (p.deny.len()) " denied" }
                    (actions_list("Allow", &p.allow))
                    (actions_list("Except", &p.except))
                    (actions_list("Deny", &p.deny))
                }
            }
            td { (when(g.updated_at)) }
            td.actions {
                @if g.read_only() {
                    span.status.warn { "Read-only" }
                } @else {
                    a href={ (base) "/edit" } aria-label={ "Edit " (g.name) } { "Edit" }
                    " "
                    a.danger href={ (base) "/delete" } aria-label={ "Delete " (g.name) } { "Delete" }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GroupFields {
    name: String,
    description: String,
    allow: String,
    except: String,
    deny: String,
}

impl GroupFields {
    fn of(g: &PermissionsGroup) -> Self {
        let lines = |l: &[ActionPattern]| {
            l.iter()
                .map(ActionPattern::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        };
        Self {
            name: g.name.to_string(),
            description: g.description.as_str().to_owned(),
            allow: lines(&g.permissions.allow),
            except: lines(&g.permissions.except),
            deny: lines(&g.permissions.deny),
        }
    }

    /// The draft the form asks for, or what is wrong with it, field by field.
    fn draft(&self) -> Result<PermissionsGroupDraft, Errors> {
        let mut errors = Errors::default();
        let name = errors.check("name", PermissionsGroupName::parse(self.name.trim()));
        let description = errors.check("description", Description::parse(&self.description));
        let mut actions = |field: &'static str, text: &str| -> Vec<ActionPattern> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .filter_map(|a| errors.check(field, ActionPattern::parse(a)))
                .collect()
        };
        let permissions = Permissions {
            allow: actions("allow", &self.allow),
            except: actions("except", &self.except),
            deny: actions("deny", &self.deny),
        };
        let (Some(name), Some(description)) = (name, description) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let draft = PermissionsGroupDraft {
            name,
            description,
            permissions,
        };
        draft
            .validate()
            .map_err(|e| Errors::of("form", e.to_string()))?;
        Ok(draft)
    }
}

fn group_form(
    console: &Console,
    editing: Option<&PermissionsGroup>,
    f: &GroupFields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let (title, action) = match editing {
        Some(g) => (
            format!("Edit {}", g.name),
            format!("{}/edit", group_path(&g.name)),
        ),
        None => ("Create a permissions group".to_owned(), PATH.to_owned()),
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Permissions groups" } " › " (title) }
        h1 { (title) }
        (form_error(errors))
        form method="post" action=(action) {
            (super::layout::csrf(console))
            (input("name", "Name", "text", &f.name, Some(html! { "Letters, digits, " code { "_ . -" } "; part of the group's URN, so it cannot change while a policy names the group." }), errors))
            (input("description", "Description", "text", &f.description, None, errors))
            (textarea("allow", "Allowed actions", html! { "One action or pattern per line, for example " code { "objectStorage:apiovh:object/*" } "." }, &f.allow, errors))
            (textarea("except", "Except", html! { "Actions or patterns taken out of this group's allowed ones, one per line." }, &f.except, errors))
            (textarea("deny", "Deny", html! { "Actions or patterns refused whatever other policies allow, one per line." }, &f.deny, errors))
            (submit(editing.is_some(), PATH))
        }
    };
    page_with(console, status, &title, Nav::PermissionsGroups, content)
}

/// `GET /console/iam/permissions-groups/new`.
pub async fn new(console: Console) -> Answer {
    Ok(group_form(
        &console,
        None,
        &GroupFields::default(),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST /console/iam/permissions-groups` — `account:apiovh:iam/permissionsGroup/create`.
pub async fn create(form: Form<GroupFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::PERMISSIONS_GROUP_CREATE)?;
    let draft = match f.draft() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(group_form(
                &console,
                None,
                &f,
                &errors,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    match console
        .app
        .directory
        .create_permissions_group(&permit, draft)
        .await
    {
        Ok(g) => Ok(done(PATH, "created", g.name.as_str())),
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

/// The account's own group of that name, and its URN (managed groups are not edited here).
async fn the_group(console: &Console, name: &str) -> Result<(PermissionsGroup, String), Shown> {
    let permit = console.permit(&authz::PERMISSIONS_GROUP_GET)?;
    let name = PermissionsGroupName::parse(name)
        .map_err(|_| Error::not_found(format!("permissions group {name} does not exist")))
        .or_show(console)?;
    let account = &console.caller.principal.account;
    let urn = latchkey_core::policy::permissions_group::urn(
        &console.app.plate,
        account.nic.as_str(),
        &name,
    );
    let group = console
        .app
        .directory
        .permissions_group(&permit, account, &urn)
        .await
        .or_show(console)?;
    Ok((group, urn))
}

/// `GET …/{name}/edit`.
pub async fn edit_form(console: Console, Path(name): Path<String>) -> Answer {
    let (group, _) = the_group(&console, &name).await?;
    Ok(group_form(
        &console,
        Some(&group),
        &GroupFields::of(&group),
        &Errors::default(),
        StatusCode::OK,
    ))
}

/// `POST …/{name}/edit` — `account:apiovh:iam/permissionsGroup/edit`.
pub async fn edit(Path(name): Path<String>, form: Form<GroupFields>) -> Answer {
    let Form { console, fields: f } = form;
    let permit = console.permit(&authz::PERMISSIONS_GROUP_EDIT)?;
    let (group, urn) = the_group(&console, &name).await?;
    let draft = match f.draft() {
        Ok(d) => d,
        Err(errors) => {
            return Ok(group_form(
                &console,
                Some(&group),
                &f,
                &errors,
                StatusCode::BAD_REQUEST,
            ));
        }
    };
    let account = &console.caller.principal.account;
    match console
        .app
        .directory
        .replace_permissions_group(&permit, account, &urn, draft)
        .await
    {
        Ok(g) => Ok(done(PATH, "edited", g.name.as_str())),
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

/// `GET …/{name}/delete`: the confirmation.
pub async fn confirm(console: Console, Path(name): Path<String>) -> Answer {
    let (group, _) = the_group(&console, &name).await?;
    let what = html! {
        p { "The permissions group " strong { (group.name) } " goes for good. A group a policy names cannot be deleted: take it out of the policy first." }
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Permissions groups" } " › Delete " (group.name) }
        h1 { "Delete the permissions group " (group.name) "?" }
        (confirm_delete(&console, what, &format!("{}/delete", group_path(&group.name)), PATH))
    };
    Ok(page(
        &console,
        "Delete a permissions group",
        Nav::PermissionsGroups,
        content,
    ))
}

/// `POST …/{name}/delete` — `account:apiovh:iam/permissionsGroup/delete`.
pub async fn delete(Path(name): Path<String>, form: Form<NoFields>) -> Answer {
    let console = form.console;
    let permit = console.permit(&authz::PERMISSIONS_GROUP_DELETE)?;
    let (group, urn) = the_group(&console, &name).await?;
    console
        .app
        .directory
        .delete_permissions_group(&permit, &console.caller.principal.account, &urn)
        .await
        .or_show(&console)?;
    Ok(done(PATH, "deleted", group.name.as_str()))
}
