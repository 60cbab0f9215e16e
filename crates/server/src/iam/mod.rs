//! The `/v2/iam` API: policies, permissions groups, resource groups, the account's resources with authorisation checks, and the
//! reference of actions. Each handler names its IAM action and gets a permit first, as the /1.0
//! handlers do.

mod permissions_groups;
mod policies;
mod reference;
mod resource_groups;
mod resources;
pub(crate) mod views;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v2/iam/policy", get(policies::list).post(policies::create))
        .route(
            "/v2/iam/policy/{id}",
            get(policies::get)
                .put(policies::replace)
                .delete(policies::delete),
        )
        .route(
            "/v2/iam/permissionsGroup",
            get(permissions_groups::list).post(permissions_groups::create),
        )
        .route(
            "/v2/iam/permissionsGroup/{urn}",
            get(permissions_groups::get)
                .put(permissions_groups::replace)
                .delete(permissions_groups::delete),
        )
        .route(
            "/v2/iam/resourceGroup",
            get(resource_groups::list).post(resource_groups::create),
        )
        .route(
            "/v2/iam/resourceGroup/{id}",
            get(resource_groups::get)
                .put(resource_groups::replace)
                .delete(resource_groups::delete),
        )
        .route("/v2/iam/resource", get(resources::list))
        .route(
            "/v2/iam/resource/{urn}",
            get(resources::get).put(resources::edit),
        )
        .route("/v2/iam/resource/{urn}/tag", post(resources::add_tag))
        .route(
            "/v2/iam/resource/{urn}/tag/{key}",
            delete(resources::remove_tag),
        )
        .route(
            "/v2/iam/resource/{urn}/authorization/check",
            post(resources::check),
        )
        .route("/v2/iam/authorization/check", post(resources::batch_check))
        .route("/v2/iam/reference/action", get(reference::actions))
        .route(
            "/v2/iam/reference/resource/type",
            get(reference::resource_types),
        )
}
