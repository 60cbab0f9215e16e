//! `GET /me/identity/user/{user}/openrc?project=&region=`: an OpenRC file for the `openstack`
//! client. It sets everything but the password, which it asks for when `OS_PASSWORD` is unset.

use axum::extract::{RawQuery, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use latchkey_core::authz;
use latchkey_core::service::keystone::admin::OpenRc;

use super::login_param;
use crate::error::ApiResult;
use crate::extract::{Caller, PathParams};
use crate::query::Query;
use crate::state::AppState;

/// `account:apiovh:me/identity/user/get`.
pub async fn get(
    State(app): State<AppState>,
    Caller(who): Caller,
    PathParams(user): PathParams<String>,
    RawQuery(query): RawQuery,
) -> ApiResult<Response> {
    let permit = app.directory.authorize(&who, &authz::USER_GET)?;
    let login = login_param(&who, &user)?;
    let query = Query::parse(query.as_deref());
    query.only(&["project", "region"])?;
    let rc = app
        .directory
        .openrc(&permit, &login, query.last("project"), query.last("region"))
        .await?;
    Ok(download(&rc))
}

/// The OpenRC file as a download (the console's Download OpenRC answers the same).
pub fn download(rc: &OpenRc) -> Response {
    let file = format!("attachment; filename=\"openrc-{}.sh\"", rc.region);
    (
        [
            (CONTENT_TYPE, "text/x-shellscript; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, file),
        ],
        render(rc),
    )
        .into_response()
}

/// Quotes a value for a POSIX shell: single quotes, with each `'` closed, escaped and reopened.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn render(rc: &OpenRc) -> String {
    let vars = [
        ("OS_AUTH_URL", rc.auth_url.as_str()),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_USER_DOMAIN_NAME", rc.user_domain.as_str()),
        ("OS_PROJECT_DOMAIN_NAME", rc.project_domain.as_str()),
        ("OS_USERNAME", rc.username.as_str()),
        ("OS_PROJECT_ID", rc.project_id.as_str()),
        ("OS_PROJECT_NAME", rc.project_name.as_str()),
        ("OS_TENANT_ID", rc.project_id.as_str()),
        ("OS_TENANT_NAME", rc.project_name.as_str()),
        ("OS_REGION_NAME", rc.region.as_str()),
        ("OS_INTERFACE", "public"),
    ];
    let mut out = String::from(
        "#!/usr/bin/env bash\n\
         # OpenStack credentials for the openstack client. Source this file: . ./openrc.sh\n\
         # The password is not written here; set OS_PASSWORD, or type it when asked.\n",
    );
    for (name, value) in vars {
        out.push_str(&format!("export {name}={}\n", quote(value)));
    }
    out.push_str(
        "if [ -z \"${OS_PASSWORD:-}\" ]; then\n\
         \x20   printf 'Password for %s in project %s: ' \"$OS_USERNAME\" \"$OS_PROJECT_NAME\" >&2\n\
         \x20   read -rs OS_PASSWORD\n\
         \x20   echo >&2\n\
         \x20   export OS_PASSWORD\n\
         fi\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_for_the_shell() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's $HOME"), r"'it'\''s $HOME'");
    }
}
