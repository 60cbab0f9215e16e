//! What a request for a Keystone token asks: the one authentication method, and the scope.

use crate::secret::Secret;

/// A domain named in a request.
#[derive(Debug, Clone)]
pub enum DomainRef {
    Id(String),
    Name(String),
}

/// A user named in a password request.
#[derive(Debug, Clone)]
pub enum UserRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// A project named in a scope.
#[derive(Debug, Clone)]
pub enum ProjectRef {
    Id(String),
    Name { name: String, domain: DomainRef },
}

/// The one authentication method of a request.
#[derive(Debug)]
pub enum Method {
    Password { user: UserRef, password: Secret },
    Token(Secret),
    ApplicationCredential { id: String, secret: Secret },
}

/// What the token should be scoped to.
#[derive(Debug, Clone)]
pub enum ScopeRequest {
    /// None asked: unscoped (an application credential gets its project).
    Default,
    Project(ProjectRef),
    Domain(DomainRef),
    System,
    /// A trust (OS-TRUST), by id.
    Trust(String),
}
