//! Pieces of forms every page uses: a labelled field with its hint and its error (in the API's
//! words, next to the field), and the confirmation page of a deletion.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::layout::{Framed, csrf};

/// A form that carries nothing but its CSRF token (a button: enable, delete, sign out).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}

/// What is wrong with a form, by field name (`form` for the form as a whole).
#[derive(Debug, Default)]
pub struct Errors(BTreeMap<&'static str, String>);

impl Errors {
    pub fn set(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A field of `field`'s error if parsing failed, else the value.
    pub fn check<T>(&mut self, field: &'static str, parsed: latchkey_core::Result<T>) -> Option<T> {
        parsed.map_err(|e| self.set(field, e.to_string())).ok()
    }

    /// One field's error.
    pub fn of(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.set(field, message);
        errors
    }
}

/// A labelled input: `kind` is its `type`; the hint and the error are tied to it for screen
/// readers.
pub fn input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    hint: Option<Markup>,
    errors: &Errors,
) -> Markup {
    let error = errors.get(name);
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.as_str());
    }
    if error.is_some() {
        described.push(error_id.as_str());
    }
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        label for=(name) { (label) }
        @if let Some(hint) = hint { p.hint id=(hint_id) { (hint) } }
        input id=(name) type=(kind) name=(name) value=(value)
            aria-describedby=[described] aria-invalid=[error.map(|_| "true")];
        @if let Some(e) = error { p.field-error id=(error_id) { (e) } }
    }
}

/// A labelled `<select>` of `(value, label)` options.
pub fn select(
    name: &str,
    label: &str,
    options: &[(String, String)],
    chosen: &str,
    errors: &Errors,
) -> Markup {
    let error = errors.get(name);
    let error_id = format!("{name}-error");
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) aria-describedby=[error.map(|_| error_id.as_str())] {
            @for (value, text) in options {
                option value=(value) selected[value == chosen] { (text) }
            }
        }
        @if let Some(e) = error { p.field-error id=(error_id) { (e) } }
    }
}

/// The form's own error, above it.
pub fn form_error(errors: &Errors) -> Markup {
    html! {
        @if let Some(e) = errors.get("form") {
            (super::layout::notice("error", html! { p { (e) } }))
        }
    }
}

/// A form's buttons: Save (editing) or Create, and Cancel back to `back`.
pub fn submit(editing: bool, back: &str) -> Markup {
    html! {
        p {
            button type="submit" { @if editing { "Save" } @else { "Create" } }
            " "
            a.button.secondary href=(back) { "Cancel" }
        }
    }
}

/// A labelled multi-line field, one value per line.
pub fn textarea(name: &str, label: &str, hint: Markup, value: &str, errors: &Errors) -> Markup {
    let error = errors.get(name);
    html! {
        label for=(name) { (label) }
        p.hint id={ (name) "-hint" } { (hint) }
        textarea id=(name) name=(name) rows="3" aria-describedby={ (name) "-hint" @if error.is_some() { " " (name) "-error" } } { (value) }
        @if let Some(e) = error { p.field-error id={ (name) "-error" } { (e) } }
    }
}

/// A value shown this once, with its Copy button (`id` names its element).
pub fn secret_value(id: &str, value: &str) -> Markup {
    html! {
        code.secret id=(id) { (value) }
        button.secondary type="button" data-copy=(id) { "Copy" }
        span.copy-done id={ (id) "-copied" } role="status" {}
    }
}

/// The panel of values shown once: the warning, then the values; `list` is where a reload of
/// the page goes instead (`console.js` replaces the history entry).
pub fn shown_once(title: &str, warning: &str, list: &str, values: Markup) -> Markup {
    html! {
        section.notice.warning aria-labelledby="shown-once-title" data-shown-once=(list) {
            h2 #shown-once-title { (title) }
            p { strong { (warning) } }
            (values)
        }
    }
}

/// The confirmation of a deletion: what it ends, a Delete button posting to `action`, Cancel
/// back to `back`.
pub fn confirm_delete(console: &impl Framed, what: Markup, action: &str, back: &str) -> Markup {
    html! {
        section.notice.warning role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-text" {
            h2 #confirm-title { "Confirm the deletion" }
            div #confirm-text { (what) }
            form method="post" action=(action) {
                (csrf(console))
                button.danger type="submit" { "Delete" }
                " "
                a.button.secondary href=(back) { "Cancel" }
            }
        }
    }
}
