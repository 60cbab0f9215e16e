//! URNs that name identities and resources, exactly as clients parse them:
//! `urn:v1:{plate}:identity:user:{nic}/{login}`, `urn:v1:{plate}:resource:account:{nic}`, ….

use std::fmt;

use serde::{Serialize, Serializer};

use crate::names::{ClientId, GroupName, Login, Nic, Plate};

mod pattern;

pub use pattern::{UrnKind, UrnPattern, is_resource_group_urn};

/// A URN naming an identity or a resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Urn(String);

impl Urn {
    pub fn account_identity(plate: &Plate, nic: &Nic) -> Self {
        Self(format!("urn:v1:{plate}:identity:account:{nic}"))
    }

    pub fn user(plate: &Plate, nic: &Nic, login: &Login) -> Self {
        Self(format!("urn:v1:{plate}:identity:user:{nic}/{login}"))
    }

    pub fn group(plate: &Plate, nic: &Nic, name: &GroupName) -> Self {
        Self(format!("urn:v1:{plate}:identity:group:{nic}/{name}"))
    }

    /// A service account (OAuth2 client) as an identity.
    pub fn credential(plate: &Plate, nic: &Nic, client: &ClientId) -> Self {
        Self(format!(
            "urn:v1:{plate}:identity:credential:{nic}/oauth2-{client}"
        ))
    }

    /// The account as a resource that policies and the authoriser name.
    pub fn account_resource(plate: &Plate, nic: &Nic) -> Self {
        Self(format!("urn:v1:{plate}:resource:account:{nic}"))
    }

    /// A product's resource: `urn:v1:{plate}:resource:{type}:{name}` (both checked by the
    /// resource model).
    pub fn product_resource(plate: &Plate, kind: &str, name: &str) -> Self {
        Self(format!("urn:v1:{plate}:resource:{kind}:{name}"))
    }

    /// A resource group: `urn:v1:{plate}:resourceGroup:{id}`.
    pub fn resource_group(plate: &Plate, id: &uuid::Uuid) -> Self {
        Self(format!("urn:v1:{plate}:resourceGroup:{}", id.hyphenated()))
    }

    /// A resource URN as a caller names it: `urn:v1:{plate}:resource:{type}:{id}`, no wildcard.
    pub fn resource(s: &str) -> crate::Result<Self> {
        let pattern = UrnPattern::resource(s)?;
        if !pattern.is_exact() {
            return Err(crate::Error::invalid(format!(
                "{s:?} is a pattern; name one resource"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this names some account as a resource: `urn:v1:{any plate}:resource:account:…`.
    pub fn names_an_account(&self) -> bool {
        self.0
            .strip_prefix("urn:v1:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(_, rest)| rest.starts_with("resource:account:"))
    }

    /// Whether this is `urn:v1:{plate}:resource:account:{nic}`, without building that string.
    pub fn is_account_resource(&self, plate: &Plate, nic: &Nic) -> bool {
        self.0
            .strip_prefix("urn:v1:")
            .and_then(|rest| rest.strip_prefix(plate.as_str()))
            .and_then(|rest| rest.strip_prefix(":resource:account:"))
            .is_some_and(|rest| rest == nic.as_str())
    }
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Urn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urns_have_the_documented_shapes() {
        let plate = Plate::parse("eu").unwrap();
        let nic = Nic::parse("xx11111-ovh").unwrap();
        let login = Login::parse("john").unwrap();
        let group = GroupName::parse("ops").unwrap();
        assert_eq!(
            Urn::user(&plate, &nic, &login).as_str(),
            "urn:v1:eu:identity:user:xx11111-ovh/john"
        );
        assert_eq!(
            Urn::group(&plate, &nic, &group).as_str(),
            "urn:v1:eu:identity:group:xx11111-ovh/ops"
        );
        assert_eq!(
            Urn::account_identity(&plate, &nic).as_str(),
            "urn:v1:eu:identity:account:xx11111-ovh"
        );
        assert_eq!(
            Urn::account_resource(&plate, &nic).as_str(),
            "urn:v1:eu:resource:account:xx11111-ovh"
        );
    }

    #[test]
    fn account_resource_is_recognised_exactly() {
        let eu = Plate::parse("eu").unwrap();
        let ca = Plate::parse("ca").unwrap();
        let nic = Nic::parse("xx11111-ovh").unwrap();
        let other = Nic::parse("xx11112-ovh").unwrap();
        let urn = Urn::account_resource(&eu, &nic);
        assert!(urn.is_account_resource(&eu, &nic));
        assert!(!urn.is_account_resource(&ca, &nic));
        assert!(!urn.is_account_resource(&eu, &other));
        assert!(!Urn::account_identity(&eu, &nic).is_account_resource(&eu, &nic));
        assert!(urn.names_an_account());
        assert!(Urn::account_resource(&ca, &other).names_an_account());
        assert!(!Urn::account_identity(&eu, &nic).names_an_account());
        let vps = Urn::resource("urn:v1:eu:resource:vps:vps-1").unwrap();
        assert!(!vps.names_an_account());
    }
}
