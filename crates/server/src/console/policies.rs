//! Policies: the account's IAM policies (Name, Description, Identities, Allowed actions, a
//! read-only marker), created and edited with pickers for identities (the account's groups and
//! service accounts by name, users by login, or any URN), resources and actions (the action
//! reference, or patterns with wildcards), except and deny, an expiry; "View JSON" shows a
//! policy as `/v2/iam/policy` returns it.

use std::collections::BTreeSet;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use latchkey_core::Error;
use latchkey_core::authz::{self, Permit};
use latchkey_core::names::{Description, Login, PolicyName};
use latchkey_core::policy::{
    ActionPattern, Condition, ConditionDocument, Permissions, Policy, PolicyDraft, PolicyId,
    UrnPattern,
};
use latchkey_core::service::policies::PolicyFilter;
use latchkey_core::urn::Urn;
use maud::{Markup, html};
use serde::Deserialize;

use super::POLICIES as PATH;
use super::forms::{Errors, NoFields, confirm_delete, form_error, input, submit, textarea};
use super::layout::{Nav, csrf, notice, page, page_with};
use super::listing::{done, done_message, filter_form, page_of, pager, when, window};
use super::session::{Answer, Console, Form, OrShow, Shown};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    name: String,
    identity: String,
    page: Option<u64>,
    done: Option<String>,
    subject: Option<String>,
}

fn policy_path(id: PolicyId) -> String {
    format!("{PATH}/{id}")
}

/// `GET /console/iam/policies` — `account:apiovh:iam/policy/get`; `?identity=` keeps the
/// policies that name that identity.
pub async fn list(console: Console, Query(q): Query<ListQuery>) -> Answer {
    let permit = console.permit(&authz::POLICY_GET)?;
    let filter = PolicyFilter {
        identities: Some(q.identity.clone())
            .filter(|i| !i.is_empty())
            .into_iter()
            .collect(),
        ..PolicyFilter::default()
    };
    let all = console
        .app
        .directory
        .list_policies(&permit, &filter)
        .await
        .or_show(&console)?;
    let (query, number) = page_of(&q.name, q.page);
    let (shown, total) = window(&all, |p| p.name.as_str(), &query);
    let now = console.app.directory.clock().now();
    let content = html! {
        h1 { "Policies" }
        @if let Some(done) = done_message("Policy", q.done.as_deref(), q.subject.as_deref(), |_, _| None) { (notice("success", html! { p { (done) } })) }
        @if !q.identity.is_empty() {
            p { "Policies that name " code { (q.identity) } ". " a href=(PATH) { "All policies" } }
        }
        div.bar {
            (filter_form(PATH, "Filter by name", &q.name, &[("identity", &q.identity)]))
            a.button href={ (PATH) "/new" } { "Create a policy" }
        }
        @if shown.is_empty() {
            div.empty { p { "No policy here. A policy gives identities of the account the actions it lists; create one to give a user, a group or a service account its rights." } }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" { "Description" }
                    th scope="col" { "Identities" }
                    th scope="col" { "Allowed actions" }
                    th scope="col" { "Read-only" }
                    th scope="col" { "Actions" }
                } }
                tbody { @for p in &shown { (row(p, now)) } }
            }
            (pager(PATH, &query, total, number))
        }
    };
    Ok(page(&console, "Policies", Nav::Policies, content))
}

fn row(p: &Policy, now: chrono::DateTime<chrono::Utc>) -> Markup {
    let base = policy_path(p.id);
    html! {
        tr {
            td {
                strong { (p.name.as_str()) }
                @if p.is_expired(now) { span.sub { "Expired" } }
                @else if let Some(at) = p.expired_at { span.sub { "Expires " (when(at)) } }
            }
            td { (p.description.as_str()) }
            td { (p.identities.len()) }
            td { (p.permissions.allow.len()) }
            td { @if p.read_only { span.status.warn { "Read-only" } } @else { "No" } }
            td.actions {
                a href={ (base) "/json" } aria-label={ "View JSON of " (p.name.as_str()) } { "View JSON" }
                @if !p.read_only {
                    " "
                    a href={ (base) "/edit" } aria-label={ "Edit " (p.name.as_str()) } { "Edit" }
                    " "
                    a.danger href={ (base) "/delete" } aria-label={ "Delete " (p.name.as_str()) } { "Delete" }
                }
            }
        }
    }
}

/// The policy form's fields, as typed: checked pickers repeat their field.
#[derive(Debug, Default)]
pub struct PolicyFields {
    name: String,
    description: String,
    identities: BTreeSet<String>,
    other_identities: String,
    account_resource: bool,
    other_resources: String,
    allow: BTreeSet<String>,
    other_allow: String,
    except: String,
    deny: String,
    /// The URNs of the permissions groups picked.
    permissions_groups: BTreeSet<String>,
    /// The conditions as JSON, in OVHcloud's shape; empty for none.
    conditions: String,
    expires: String,
}

impl PolicyFields {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "description" => f.description = v,
                "identity" => {
                    f.identities.insert(v);
                }
                "other_identities" => f.other_identities = v,
                "account_resource" => f.account_resource = true,
                "other_resources" => f.other_resources = v,
                "allow" => {
                    f.allow.insert(v);
                }
                "other_allow" => f.other_allow = v,
                "except" => f.except = v,
                "deny" => f.deny = v,
                "permissions_group" => {
                    f.permissions_groups.insert(v);
                }
                "conditions" => f.conditions = v,
                "expires" => f.expires = v,
                _ => {}
            }
        }
        f
    }

    /// The fields of an existing policy: what a picker offers is checked, the rest typed.
    fn of(
        p: &Policy,
        offered: &[(String, String)],
        actions: &[(String, String)],
        account: &str,
    ) -> Self {
        let offered: BTreeSet<&str> = offered.iter().map(|(urn, _)| urn.as_str()).collect();
        let known: BTreeSet<&str> = actions.iter().map(|(name, _)| name.as_str()).collect();
        let lines = |items: Vec<&str>| items.join("\n");
        let (picked, typed): (Vec<_>, Vec<_>) = p
            .identities
            .iter()
            .map(UrnPattern::as_str)
            .partition(|i| offered.contains(i));
        let (allowed, patterns): (Vec<_>, Vec<_>) = p
            .permissions
            .allow
            .iter()
            .map(ActionPattern::as_str)
            .partition(|a| known.contains(a));
        Self {
            name: p.name.as_str().to_owned(),
            description: p.description.as_str().to_owned(),
            identities: picked.into_iter().map(str::to_owned).collect(),
            other_identities: lines(typed),
            account_resource: p.resources.iter().any(|r| r.as_str() == account),
            other_resources: lines(
                p.resources
                    .iter()
                    .map(UrnPattern::as_str)
                    .filter(|r| *r != account)
                    .collect(),
            ),
            allow: allowed.into_iter().map(str::to_owned).collect(),
            other_allow: lines(patterns),
            except: lines(
                p.permissions
                    .except
                    .iter()
                    .map(ActionPattern::as_str)
                    .collect(),
            ),
            deny: lines(
                p.permissions
                    .deny
                    .iter()
                    .map(ActionPattern::as_str)
                    .collect(),
            ),
            permissions_groups: p.permissions_groups.iter().cloned().collect(),
            conditions: p
                .conditions
                .as_ref()
                .and_then(|c| serde_json::to_string_pretty(c.document()).ok())
                .unwrap_or_default(),
            expires: p
                .expired_at
                .map(|at| at.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        }
    }
}

/// Users offered in the identity picker when the account has no more than this many; beyond,
/// they are typed by login.
const PICKED_USERS: u32 = 100;

/// The identities a picker offers: the account's users (up to [`PICKED_USERS`]), groups and
/// service accounts, by URN, with a label (what the identity may list; an identity not allowed
/// to list them types logins or URNs).
async fn offered_identities(console: &Console) -> Vec<(String, String)> {
    let principal = &console.caller.principal;
    let (plate, nic) = (&console.app.plate, &principal.account.nic);
    let directory = &console.app.directory;
    let mut out = Vec::new();
    let first_users = latchkey_core::store::Page {
        filter: String::new(),
        offset: 0,
        limit: PICKED_USERS,
    };
    if let Ok(permit) = directory.authorize(principal, &authz::USER_GET)
        && let Ok((users, total)) = directory.users_page(&permit, &first_users).await
        && total <= u64::from(PICKED_USERS)
    {
        for u in users {
            let urn = Urn::user(plate, nic, &u.login).to_string();
            out.push((urn, format!("User {}", u.login)));
        }
    }
    if let Ok(permit) = directory.authorize(principal, &authz::GROUP_GET)
        && let Ok(groups) = directory.account_groups(&permit).await
    {
        for g in groups {
            let urn = Urn::group(plate, nic, &g.name).to_string();
            out.push((urn, format!("Group {}", g.name)));
        }
    }
    if let Ok(permit) = directory.authorize(principal, &authz::CLIENT_GET)
        && let Ok(clients) = directory.service_accounts_of(&permit).await
    {
        for sa in clients {
            let urn = sa.urn(plate, nic).to_string();
            out.push((
                urn,
                format!("Service account {} ({})", sa.name.as_str(), sa.client_id),
            ));
        }
    }
    out
}

/// The permissions groups a picker offers (the managed ones and the account's, when the caller
/// may list them), by URN with their name and owner and a description, then those the form
/// names that were not offered.
async fn offered_permissions_groups(
    console: &Console,
    named: &BTreeSet<String>,
) -> Vec<(String, String, String)> {
    let principal = &console.caller.principal;
    let directory = &console.app.directory;
    let mut out = Vec::new();
    if let Ok(permit) = directory.authorize(principal, &authz::PERMISSIONS_GROUP_GET)
        && let Ok(groups) = directory.list_permissions_groups(&permit).await
    {
        for g in groups {
            let nic = &principal.account.nic;
            let label = format!("{} ({})", g.name, g.owner_name(nic));
            out.push((
                g.urn(&console.app.plate, nic),
                label,
                g.description.as_str().to_owned(),
            ));
        }
    }
    for urn in named {
        if !out.iter().any(|(u, ..)| u == urn) {
            out.push((urn.clone(), urn.clone(), String::new()));
        }
    }
    out
}

fn checkbox(name: &str, value: &str, label: Markup, checked: bool, id: &str) -> Markup {
    html! {
        div.inline {
            input id=(id) type="checkbox" name=(name) value=(value) checked[checked];
            label for=(id) { (label) }
        }
    }
}

async fn policy_form(
    console: &Console,
    editing: Option<&Policy>,
    f: &PolicyFields,
    errors: &Errors,
    status: StatusCode,
) -> Response {
    let offered = offered_identities(console).await;
    let actions = picker_actions(console).await;
    let groups = offered_permissions_groups(console, &f.permissions_groups).await;
    let account = console
        .caller
        .principal
        .account
        .resource_urn(&console.app.plate)
        .to_string();
    let (title, action) = match editing {
        Some(p) => (
            format!("Edit {}", p.name.as_str()),
            format!("{}/edit", policy_path(p.id)),
        ),
        None => ("Create a policy".to_owned(), PATH.to_owned()),
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Policies" } " › " (title) }
        h1 { (title) }
        (form_error(errors))
        form method="post" action=(action) {
            (csrf(console))
            (input("name", "Name", "text", &f.name, None, errors))
            (input("description", "Description", "text", &f.description, None, errors))
            fieldset {
                legend { "Identities" }
                @if offered.is_empty() { p.hint { "No group or service account to pick: type the identities below." } }
                @for (i, (urn, label)) in offered.iter().enumerate() {
                    (checkbox("identity", urn, html! { (label) }, f.identities.contains(urn), &format!("identity-{i}")))
                }
                (textarea("other_identities", "Other identities", html! { "One per line: a user's login, or an identity URN such as " code { "urn:v1:eu:identity:user:nic/login" } " (wildcards " code { "*" } " allowed)." }, &f.other_identities, errors))
            }
            fieldset {
                legend { "Resources" }
                (checkbox("account_resource", "on", html! { "This account " code { (account) } }, f.account_resource, "account-resource"))
                (textarea("other_resources", "Other resources", html! { "One resource URN per line (wildcards allowed)." }, &f.other_resources, errors))
            }
            fieldset {
                legend { "Allowed actions" }
                div.actions-grid {
                    @for (i, (name, description)) in actions.iter().enumerate() {
                        (checkbox("allow", name, html! { code { (name) } " " span.sub { (description) } }, f.allow.contains(name), &format!("allow-{i}")))
                    }
                }
                (textarea("other_allow", "Other allowed actions", html! { "One action or pattern per line, for example " code { "account:apiovh:me/api/oauth2/client/*" } "." }, &f.other_allow, errors))
                (textarea("except", "Except", html! { "Actions or patterns taken out of the allowed ones, one per line." }, &f.except, errors))
                (textarea("deny", "Deny", html! { "Actions or patterns refused whatever other policies allow, one per line." }, &f.deny, errors))
            }
            fieldset {
                legend { "Permissions groups" }
                p.hint { "Each group picked adds its permissions to the policy's, on the same identities and resources; a group's except narrows only its own allowed actions." }
                div.actions-grid {
                    @for (i, (urn, label, description)) in groups.iter().enumerate() {
                        (checkbox("permissions_group", urn, html! { (label) " " span.sub { (description) } }, f.permissions_groups.contains(urn), &format!("permissions-group-{i}")))
                    }
                }
            }
            (textarea("conditions", "Conditions", html! { "Optional: when the policy applies, as JSON in OVHcloud's shape, for example " code { r#"{"operator": "MATCH", "values": {"request.IP.IN_RANGE": "10.0.0.0/8"}}"# } "." }, &f.conditions, errors))
            (input("expires", "Expiry date", "date", &f.expires, Some(html! { "Optional: from this day (midnight UTC) the policy no longer applies." }), errors))
            (submit(editing.is_some(), PATH))
        }
    };
    page_with(console, status, &title, Nav::Policies, content)
}

/// The actions the picker offers: the server's own, then those product back ends declared.
async fn picker_actions(console: &Console) -> Vec<(String, String)> {
    let mut actions: Vec<(String, String)> = authz::ACCOUNT_ACTIONS
        .iter()
        .map(|a| (a.name.to_owned(), a.description.to_owned()))
        .collect();
    match console.app.directory.declared_actions().await {
        Ok(declared) => actions.extend(declared.into_iter().map(|a| (a.action, a.description))),
        Err(e) => tracing::warn!(error = %e, "the declared actions are not offered"),
    }
    actions
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// The draft a form asks for, or what is wrong with it, field by field.
fn read_form(console: &Console, f: &PolicyFields) -> Result<PolicyDraft, Errors> {
    let mut errors = Errors::default();
    let plate = &console.app.plate;
    let nic = &console.caller.principal.account.nic;
    let name = errors.check("name", PolicyName::parse(f.name.trim()));
    let description = errors.check("description", Description::parse(&f.description));
    let mut identities = Vec::new();
    for urn in &f.identities {
        identities.extend(errors.check("other_identities", UrnPattern::identity(urn)));
    }
    for line in lines(&f.other_identities) {
        let parsed = if line.starts_with("urn:") {
            UrnPattern::identity(line)
        } else {
            Login::parse(line)
                .and_then(|login| UrnPattern::identity(Urn::user(plate, nic, &login).as_str()))
        };
        identities.extend(errors.check("other_identities", parsed));
    }
    let mut resources = Vec::new();
    if f.account_resource {
        let account = console.caller.principal.account.resource_urn(plate);
        resources.extend(errors.check("other_resources", UrnPattern::resource(account.as_str())));
    }
    for line in lines(&f.other_resources) {
        resources.extend(errors.check("other_resources", UrnPattern::resource(line)));
    }
    let mut allow = Vec::new();
    for a in f
        .allow
        .iter()
        .map(String::as_str)
        .chain(lines(&f.other_allow))
    {
        allow.extend(errors.check("other_allow", ActionPattern::parse(a)));
    }
    let except: Vec<_> = lines(&f.except)
        .filter_map(|a| errors.check("except", ActionPattern::parse(a)))
        .collect();
    let deny: Vec<_> = lines(&f.deny)
        .filter_map(|a| errors.check("deny", ActionPattern::parse(a)))
        .collect();
    let conditions = match f.conditions.trim() {
        "" => None,
        json => match serde_json::from_str::<ConditionDocument>(json) {
            Ok(doc) => errors.check("conditions", Condition::parse(doc)),
            Err(e) => {
                errors.set("conditions", format!("the conditions are not valid: {e}"));
                None
            }
        },
    };
    let expired_at = match f.expires.trim() {
        "" => None,
        day => match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
            Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()),
            Err(_) => {
                errors.set("expires", "give the expiry date as a day (2026-12-31)");
                None
            }
        },
    };
    let (Some(name), Some(description)) = (name, description) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let draft = PolicyDraft {
        name,
        description,
        identities,
        resources,
        permissions: Permissions {
            allow,
            except,
            deny,
        },
        conditions,
        permissions_groups: f.permissions_groups.iter().cloned().collect(),
        expired_at,
    };
    draft
        .validate()
        .map_err(|e| Errors::of("form", e.to_string()))?;
    Ok(draft)
}

/// `GET /console/iam/policies/new`.
pub async fn new(console: Console) -> Answer {
    let fields = PolicyFields {
        account_resource: true,
        ..PolicyFields::default()
    };
    Ok(policy_form(&console, None, &fields, &Errors::default(), StatusCode::OK).await)
}

/// The form's fields from a posted form (pickers send a field once per checked box).
#[derive(Debug)]
pub struct Pairs(Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(Pairs)
    }
}

/// `POST /console/iam/policies` — `account:apiovh:iam/policy/create`.
pub async fn create(form: Form<Pairs>) -> Answer {
    let Form { console, fields } = form;
    let permit = console.permit(&authz::POLICY_CREATE)?;
    let f = PolicyFields::from_pairs(fields.0);
    let draft = match read_form(&console, &f) {
        Ok(draft) => draft,
        Err(errors) => {
            return Ok(policy_form(&console, None, &f, &errors, StatusCode::BAD_REQUEST).await);
        }
    };
    match console.app.directory.create_policy(&permit, draft).await {
        Ok(p) => Ok(done(PATH, "created", p.name.as_str())),
        Err(Error::Invalid(m)) => Ok(policy_form(
            &console,
            None,
            &f,
            &Errors::of("form", m),
            StatusCode::BAD_REQUEST,
        )
        .await),
        Err(Error::Conflict(m)) => Ok(policy_form(
            &console,
            None,
            &f,
            &Errors::of("name", m),
            StatusCode::CONFLICT,
        )
        .await),
        Err(e) => Err(console.error(e).into()),
    }
}

async fn the_policy(console: &Console, id: &str) -> Result<(Permit, Policy), Shown> {
    let permit = console.permit(&authz::POLICY_GET)?;
    let id = id
        .parse::<PolicyId>()
        .map_err(|_| Error::not_found(format!("policy {id} does not exist")))
        .or_show(console)?;
    let policy = console
        .app
        .directory
        .policy(&permit, id)
        .await
        .or_show(console)?;
    Ok((permit, policy))
}

/// `GET …/{id}/json`: the policy as `/v2/iam/policy/{id}` returns it.
pub async fn json(console: Console, Path(id): Path<String>) -> Answer {
    let (_, policy) = the_policy(&console, &id).await?;
    let name = policy.name.as_str().to_owned();
    let view = crate::iam::views::PolicyView::new(policy, &console.caller.principal.account.nic);
    let text = serde_json::to_string_pretty(&view)
        .map_err(Error::internal)
        .or_show(&console)?;
    let content = html! {
        p.crumbs { a href=(PATH) { "Policies" } " › " (name) }
        h1 { "Policy " (name) }
        p.hint { "As " code { "GET /v2/iam/policy/" (id) } " returns it." }
        pre.json { code { (text) } }
    };
    Ok(page(
        &console,
        &format!("Policy {name}"),
        Nav::Policies,
        content,
    ))
}

/// `GET …/{id}/edit`.
pub async fn edit_form(console: Console, Path(id): Path<String>) -> Answer {
    let (_, policy) = the_policy(&console, &id).await?;
    let offered = offered_identities(&console).await;
    let account = console
        .caller
        .principal
        .account
        .resource_urn(&console.app.plate)
        .to_string();
    let actions = picker_actions(&console).await;
    let fields = PolicyFields::of(&policy, &offered, &actions, &account);
    Ok(policy_form(
        &console,
        Some(&policy),
        &fields,
        &Errors::default(),
        StatusCode::OK,
    )
    .await)
}

/// `POST …/{id}/edit` — `account:apiovh:iam/policy/edit`.
pub async fn edit(Path(id): Path<String>, form: Form<Pairs>) -> Answer {
    let Form { console, fields } = form;
    let permit = console.permit(&authz::POLICY_EDIT)?;
    let (_, policy) = the_policy(&console, &id).await?;
    let f = PolicyFields::from_pairs(fields.0);
    let draft = match read_form(&console, &f) {
        Ok(draft) => draft,
        Err(errors) => {
            return Ok(policy_form(
                &console,
                Some(&policy),
                &f,
                &errors,
                StatusCode::BAD_REQUEST,
            )
            .await);
        }
    };
    match console
        .app
        .directory
        .replace_policy(&permit, policy.id, draft)
        .await
    {
        Ok(p) => Ok(done(PATH, "edited", p.name.as_str())),
        Err(Error::Invalid(m) | Error::Conflict(m)) => Ok(policy_form(
            &console,
            Some(&policy),
            &f,
            &Errors::of("form", m),
            StatusCode::BAD_REQUEST,
        )
        .await),
        Err(e) => Err(console.error(e).into()),
    }
}

/// `GET …/{id}/delete`: the confirmation.
pub async fn confirm(console: Console, Path(id): Path<String>) -> Answer {
    let (_, policy) = the_policy(&console, &id).await?;
    let what = html! {
        p { "The identities of " strong { (policy.name.as_str()) } " lose what it allows them at once. This cannot be undone." }
    };
    let content = html! {
        p.crumbs { a href=(PATH) { "Policies" } " › Delete " (policy.name.as_str()) }
        h1 { "Delete the policy " (policy.name.as_str()) "?" }
        (confirm_delete(&console, what, &format!("{}/delete", policy_path(policy.id)), PATH))
    };
    Ok(page(&console, "Delete a policy", Nav::Policies, content))
}

/// `POST …/{id}/delete` — `account:apiovh:iam/policy/delete`.
pub async fn delete(Path(id): Path<String>, form: Form<NoFields>) -> Answer {
    let console = form.console;
    let permit = console.permit(&authz::POLICY_DELETE)?;
    let (_, policy) = the_policy(&console, &id).await?;
    console
        .app
        .directory
        .delete_policy(&permit, policy.id)
        .await
        .or_show(&console)?;
    Ok(done(PATH, "deleted", policy.name.as_str()))
}
