//! What every listing shares: pages of [`PAGE_SIZE`] rows chosen on the server, the filter by
//! name, the Previous / Next links, and how dates and path segments are written.

use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use latchkey_core::store::Page;
use maud::{Markup, html};

/// The query of a listing page: the filter by name, the page, and what a change just did to
/// which row (`?done=created&subject=…`, said by [`done_message`]).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub name: String,
    pub page: Option<u64>,
    pub done: Option<String>,
    pub subject: Option<String>,
}

/// Rows per page of a listing.
pub const PAGE_SIZE: u32 = 50;

/// A date and time as the console shows it.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A value as one path segment.
pub fn segment(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The page `number` (from 1) of rows whose name contains `filter`.
pub fn page_of(filter: &str, number: Option<u64>) -> (Page, u64) {
    let number = number.unwrap_or(1).max(1);
    let page = Page {
        filter: filter.trim().to_owned(),
        offset: (number - 1).saturating_mul(u64::from(PAGE_SIZE)),
        limit: PAGE_SIZE,
    };
    (page, number)
}

/// The rows of `page` among `items` (already read whole), and how many match its filter.
pub fn window<'a, T>(items: &'a [T], name: impl Fn(&T) -> &str, page: &Page) -> (Vec<&'a T>, u64) {
    let needle = page.filter.to_lowercase();
    let matching: Vec<&T> = items
        .iter()
        .filter(|item| name(item).to_lowercase().contains(&needle))
        .collect();
    let total = matching.len() as u64;
    let shown = matching
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(page.limit as usize)
        .collect();
    (shown, total)
}

/// The filter form of a listing at `path`; `keep` are query fields it carries along.
pub fn filter_form(path: &str, label: &str, value: &str, keep: &[(&str, &str)]) -> Markup {
    html! {
        form method="get" action=(path) role="search" {
            @for (name, value) in keep { input type="hidden" name=(name) value=(value); }
            div {
                label for="name" { (label) }
                input #name type="search" name="name" value=(value);
            }
            button.secondary type="submit" { "Filter" }
        }
    }
}

/// Previous / Next links of a listing.
pub fn pager(path: &str, page: &Page, total: u64, number: u64) -> Markup {
    let pages = total.div_ceil(u64::from(page.limit)).max(1);
    let link = |n: u64| {
        let query =
            serde_urlencoded::to_string([("name", page.filter.clone()), ("page", n.to_string())])
                .unwrap_or_default();
        format!("{path}?{query}")
    };
    html! {
        nav.pager aria-label="Pages" {
            @if number > 1 { a href=(link(number - 1)) rel="prev" { "Previous" } }
            span { "Page " (number) " of " (pages) }
            @if number < pages { a href=(link(number + 1)) rel="next" { "Next" } }
        }
    }
}

/// Where a change sends the browser: the listing at `path`, saying what was done to `subject`
/// (the sentence is the console's, never the query's).
pub fn done(path: &str, what: &str, subject: &str) -> Response {
    let query =
        serde_urlencoded::to_string([("done", what), ("subject", subject)]).unwrap_or_default();
    Redirect::to(&format!("{path}?{query}")).into_response()
}

/// What a listing says was done, from its `done` and `subject`: `special` words the cases of
/// its own (a deletion that ends credentials), the rest are said alike for every `noun`.
pub fn done_message(
    noun: &str,
    done: Option<&str>,
    subject: Option<&str>,
    special: impl Fn(&str, &str) -> Option<String>,
) -> Option<String> {
    let (done, subject) = (done?, subject?);
    special(done, subject).or_else(|| {
        let said = match done {
            "created" => "is created",
            "edited" => "is saved",
            "deleted" => "is deleted",
            "enabled" => "is enabled",
            "disabled" => "is disabled",
            _ => return None,
        };
        Some(format!("{noun} {subject} {said}."))
    })
}
