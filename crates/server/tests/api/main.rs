//! API tests: the real server over real HTTP, on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)]

mod helpers;

mod accounts;
mod audit;
mod authentication;
mod bad_input;
mod cluster;
mod conditions;
mod connections;
mod console;
mod groups;
mod isolation;
mod keystone_admin;
mod keystone_domains;
mod keystone_tokens;
mod metrics;
mod oauth2;
mod openapi;
mod outage;
mod pats;
mod permissions_groups;
mod persistence;
mod policies;
mod resource_groups;
mod resources;
mod revocation_feed;
mod service_accounts;
mod users;
