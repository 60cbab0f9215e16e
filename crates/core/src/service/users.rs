//! Local users: create, read, edit (including the password), enable, disable, delete.

use crate::audit::{AuditKind, details};
use crate::authz::Permit;
use crate::keystone::UserAttributes;
use crate::model::DEFAULT_USER_GROUP;
use crate::model::{User, UserStatus, UserType};
use crate::names::{Description, Email, GroupName, Login};
use crate::password;
use crate::secret::Secret;
use crate::service::Ends;
use crate::store::{NewRevocation, NewUser, Record, RevocationKind, UserChanges};
use crate::{Error, Result};

use super::{Directory, blocking};

/// A new local user as requested.
#[derive(Debug)]
pub struct UserRequest {
    pub login: Login,
    pub email: Email,
    /// `DEFAULT` when absent.
    pub group: Option<GroupName>,
    pub description: Description,
    pub password: Secret,
    /// `USER` when absent; `ROOT` cannot be requested.
    pub kind: Option<UserType>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct UserUpdate {
    /// A new login (Keystone renames users; the ROOT user keeps its login).
    pub login: Option<Login>,
    pub email: Option<Email>,
    pub group: Option<GroupName>,
    pub description: Option<Description>,
    pub password: Option<Secret>,
}

impl Directory {
    /// The event of a change to a user, for the other nodes and the guards.
    pub(super) async fn user_event(&self, user: &User) -> NewRevocation {
        self.event(
            RevocationKind::User,
            user.id.to_string(),
            Some(user.account_id),
            Ends::User(&user.login),
        )
        .await
    }

    /// The record of a change to a user: `USER_MODIFIED` (or a password change's own type when
    /// that is all that changed), and its event.
    async fn user_record(
        &self,
        by: &impl super::journal::Authored,
        old: &User,
        new: &User,
        password: bool,
    ) -> Record {
        let account = Some(new.account_id);
        let changed = old.login != new.login
            || old.email != new.email
            || old.group != new.group
            || old.description != new.description
            || old.status != new.status;
        let password_kind = if new.kind == UserType::Root {
            AuditKind::AccountPasswordChanged
        } else {
            AuditKind::UserPasswordChanged
        };
        let record = if password && !changed {
            Record::new(self.audit(by, password_kind, account, details::password_changed(new)))
        } else {
            let modified = self.audit(
                by,
                AuditKind::UserModified,
                account,
                details::user_modified(old, new),
            );
            let record = Record::new(modified);
            if password {
                record.and(self.audit(by, password_kind, account, details::password_changed(new)))
            } else {
                record
            }
        };
        record.event(self.user_event(new).await)
    }

    /// What Keystone keeps of a user beyond the local user: its default project and extra
    /// attributes.
    pub async fn user_attributes(&self, user: &User) -> Result<UserAttributes> {
        self.store.user_attributes(user.id).await
    }

    /// Sets a user's default project (a project of its account) and extra attributes.
    pub async fn set_user_attributes(
        &self,
        permit: &Permit,
        user: &User,
        attributes: &UserAttributes,
    ) -> Result<()> {
        if user.account_id != permit.account() {
            return Err(Error::not_found(format!(
                "user {} does not exist",
                user.login
            )));
        }
        if let Some(project) = &attributes.default_project
            && self
                .tenancy(user.account_id)
                .await?
                .project(project)
                .is_none()
        {
            return Err(Error::invalid(format!(
                "default_project_id {project} is not a project of the user's domain"
            )));
        }
        let old = self.store.user_attributes(user.id).await?;
        let mut tx = self.begin().await?;
        tx.set_user_attributes(user.id, attributes).await?;
        let changed = |key: &str| old.extra.get(key) != attributes.extra.get(key);
        let mut fields: Vec<&str> = old
            .extra
            .keys()
            .chain(attributes.extra.keys())
            .map(String::as_str)
            .filter(|k| changed(k))
            .collect();
        fields.sort_unstable();
        fields.dedup();
        if old.default_project != attributes.default_project {
            fields.insert(0, "default_project_id");
        }
        let audit = self.audit_by(
            permit,
            AuditKind::UserModified,
            serde_json::json!({
                "user": user.login.as_str(),
                "userCreatedAt": user.created_at,
                "keystoneAttributes": fields,
            }),
        );
        self.commit(tx, Record::new(audit)).await
    }

    /// A user changes its own password, proving it with the current one (Keystone's
    /// `POST /v3/users/{id}/password`). The new password must pass the password policy; the
    /// user's earlier tokens end, as after any password change.
    pub async fn change_own_password(
        &self,
        user: crate::model::UserId,
        original: &Secret,
        new: Secret,
        client: std::net::IpAddr,
    ) -> Result<()> {
        let current = self
            .cached_user(user)
            .await?
            .ok_or_else(|| Error::not_found(format!("user {user} does not exist")))?;
        let account = self.store.account(current.account_id).await?;
        let (account, current) = self
            .verify_password(account, &current.login, original, client)
            .await?;
        let mut changes = UserChanges {
            password_hash: Some(self.hash_password(new).await?),
            ..UserChanges::default()
        };
        if current.status == UserStatus::PasswordChangeRequired {
            changes.status = Some(UserStatus::Ok);
        }
        let author = self.user_author(&account, &current, "password");
        let mut tx = self.begin().await?;
        let updated = tx
            .update_user(account.id, &current.login, changes, self.clock.now())
            .await?;
        let sessions = tx.delete_user_sessions(updated.id).await?;
        let record = self.user_record(&author, &current, &updated, true).await;
        self.commit(tx, record).await?;
        self.cache.forget_user(updated.id, &[]);
        self.forget_sessions(&sessions);
        Ok(())
    }

    pub async fn create_user(&self, permit: &Permit, request: UserRequest) -> Result<User> {
        let kind = request.kind.unwrap_or(UserType::User);
        if kind == UserType::Root {
            return Err(Error::invalid(
                "an account has exactly one ROOT user; use USER or SERVICE",
            ));
        }
        let group = match request.group {
            Some(group) => group,
            None => GroupName::parse(DEFAULT_USER_GROUP)?,
        };
        let password_hash = self.hash_password(request.password).await?;
        let mut tx = self.begin().await?;
        let user = tx
            .create_user(
                permit.account(),
                NewUser {
                    login: request.login,
                    email: request.email,
                    group,
                    description: request.description,
                    password_hash,
                    status: UserStatus::Ok,
                    kind,
                    now: self.clock.now(),
                },
            )
            .await?;
        let audit = self.audit_by(permit, AuditKind::UserCreated, details::user_created(&user));
        self.commit(tx, Record::new(audit)).await?;
        Ok(user)
    }

    pub async fn list_users(&self, permit: &Permit) -> Result<Vec<Login>> {
        self.store.list_users(permit.account()).await
    }

    /// One page of the account's users by login, and how many match the page's filter.
    pub async fn users_page(
        &self,
        permit: &Permit,
        page: &crate::store::Page,
    ) -> Result<(Vec<User>, u64)> {
        self.store.users_page(permit.account(), page).await
    }

    pub async fn user(&self, permit: &Permit, login: &Login) -> Result<User> {
        self.store
            .user(permit.account(), login)
            .await?
            .ok_or_else(|| user_not_found(login))
    }

    pub async fn update_user(
        &self,
        permit: &Permit,
        login: &Login,
        update: UserUpdate,
    ) -> Result<User> {
        let current = self.user(permit, login).await?;
        if current.kind == UserType::Root
            && update.group.as_ref().is_some_and(|g| *g != current.group)
        {
            return Err(Error::invalid("the ROOT user's group cannot be changed"));
        }
        if current.kind == UserType::Root
            && update.login.as_ref().is_some_and(|l| *l != current.login)
        {
            return Err(Error::invalid("the ROOT user's login cannot be changed"));
        }
        let mut changes = UserChanges {
            login: update.login.filter(|l| *l != current.login),
            email: update.email,
            group: update.group,
            description: update.description,
            ..UserChanges::default()
        };
        let password = update.password.is_some();
        if let Some(password) = update.password {
            changes.password_hash = Some(self.hash_password(password).await?);
            if current.status == UserStatus::PasswordChangeRequired {
                changes.status = Some(UserStatus::Ok);
            }
        }
        let mut tx = self.begin().await?;
        let user = tx
            .update_user(permit.account(), login, changes, self.clock.now())
            .await?;
        // A new password ends the user's console sessions (each node also refuses a session
        // older than the password).
        let sessions = if password {
            tx.delete_user_sessions(user.id).await?
        } else {
            Vec::new()
        };
        let mut record = self.user_record(permit, &current, &user, password).await;
        let renamed = user.login != current.login;
        if renamed && let Some(account) = self.cached_account(permit.account()).await? {
            let plate = &self.config.plate;
            let urns = (
                &crate::urn::Urn::user(plate, &account.nic, &current.login),
                &crate::urn::Urn::user(plate, &account.nic, &user.login),
            );
            record = self.policies_follow(&mut *tx, permit, urns, record).await?;
        }
        self.commit(tx, record).await?;
        self.cache.forget_user(user.id, &[]);
        self.forget_sessions(&sessions);
        if renamed {
            self.reload_policies(permit.account()).await?;
        }
        Ok(user)
    }

    /// Enables (`true`) or disables (`false`) a user. A disabled user's tokens stop working at once.
    pub async fn set_user_enabled(
        &self,
        permit: &Permit,
        login: &Login,
        enabled: bool,
    ) -> Result<User> {
        let current = self.user(permit, login).await?;
        if current.kind == UserType::Root && !enabled {
            return Err(Error::invalid("the ROOT user cannot be disabled"));
        }
        let status = if enabled {
            UserStatus::Ok
        } else {
            UserStatus::Disabled
        };
        let changes = UserChanges {
            status: Some(status),
            ..UserChanges::default()
        };
        let mut tx = self.begin().await?;
        let user = tx
            .update_user(permit.account(), login, changes, self.clock.now())
            .await?;
        let sessions = if enabled {
            Vec::new()
        } else {
            tx.delete_user_sessions(user.id).await?
        };
        let record = self.user_record(permit, &current, &user, false).await;
        self.commit(tx, record).await?;
        self.cache.forget_user(user.id, &[]);
        self.forget_sessions(&sessions);
        Ok(user)
    }

    /// Deletes a user and its tokens.
    pub async fn delete_user(&self, permit: &Permit, login: &Login) -> Result<()> {
        let current = self.user(permit, login).await?;
        if current.kind == UserType::Root {
            return Err(Error::invalid("the ROOT user cannot be deleted"));
        }
        let actor = crate::keystone::Actor::User(current.id);
        // Its grants on other domains go with it: those domains' snapshots reload too.
        let granting = self.store.accounts_granting(&actor).await?;
        let mut tx = self.begin().await?;
        let tokens = tx.delete_user(permit.account(), login).await?;
        tx.revoke_actor_roles(permit.account(), &actor).await?;
        let ends = Ends::User(&current.login);
        let account = Some(permit.account());
        let mut events = vec![self.user_event(&current).await];
        for hash in &tokens {
            events.push(
                self.event(RevocationKind::Pat, hash.to_hex(), account, ends)
                    .await,
            );
        }
        let audit = self.audit_by(
            permit,
            AuditKind::UserDeleted,
            details::user_deleted(&current),
        );
        let record = Record::new(audit)
            .events(events)
            .events(self.keystone_events(permit.account(), &granting));
        self.commit(tx, record).await?;
        self.cache.forget_user(current.id, &tokens);
        self.keystone_accounts_changed(permit.account(), &granting)
            .await
    }

    fn forget_sessions(&self, sessions: &[crate::secret::TokenHash]) {
        for hash in sessions {
            self.cache.forget_session(hash);
        }
    }

    async fn hash_password(&self, password: Secret) -> Result<String> {
        password::check_policy(&password)?;
        let _slot = self
            .password_checks
            .acquire()
            .await
            .map_err(Error::internal)?;
        blocking(move || password::hash(&password)).await?
    }
}

pub(crate) fn user_not_found(login: &Login) -> Error {
    Error::not_found(format!("user {login} does not exist"))
}
