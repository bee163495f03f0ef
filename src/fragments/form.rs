//! Form pieces: the CSRF field, labelled inputs with their error in place.

use maud::{Markup, html};

use crate::domain::Lang;
use crate::domain::user::FieldError;
use crate::fragments::View;

/// The name of the CSRF field of every POST form (the middleware checks it).
pub const CSRF_FIELD: &str = "csrf";

/// The hidden CSRF field every POST form carries.
pub fn csrf(view: &View) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(view.csrf); }
}

/// The message for `field` among `errors`, if any.
pub fn error_for<'a>(errors: &'a [FieldError], field: &str, lang: Lang) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message(lang))
}

/// A labelled input with its value and error.
pub struct Input<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub value: &'a str,
    pub kind: &'a str,
    pub required: bool,
    pub error: Option<&'a str>,
    pub hint: Option<&'a str>,
    pub autocomplete: &'a str,
    /// The keyboard a phone shows (`decimal`, `numeric`, `email`…), when not the default.
    pub inputmode: Option<&'a str>,
    /// The expected shape, shown in the empty field ("DD/MM/YYYY").
    pub placeholder: Option<&'a str>,
}

impl<'a> Input<'a> {
    pub fn new(name: &'a str, label: &'a str, value: &'a str) -> Input<'a> {
        Input {
            name,
            label,
            value,
            kind: "text",
            required: false,
            error: None,
            hint: None,
            autocomplete: "off",
            inputmode: None,
            placeholder: None,
        }
    }

    pub fn placeholder(mut self, text: &'a str) -> Self {
        self.placeholder = Some(text);
        self
    }

    pub fn inputmode(mut self, mode: &'a str) -> Self {
        self.inputmode = Some(mode);
        self
    }

    pub fn kind(mut self, kind: &'a str) -> Self {
        self.kind = kind;
        self
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn error(mut self, error: Option<&'a str>) -> Self {
        self.error = error;
        self
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn autocomplete(mut self, value: &'a str) -> Self {
        self.autocomplete = value;
        self
    }

    pub fn render(&self) -> Markup {
        let id = format!("f-{}", self.name);
        // A hint the error repeats word for word is said once.
        let hint = self.hint.filter(|h| Some(*h) != self.error);
        // The error first (read first), then the hint, both tied to the input.
        let described: Vec<String> = [
            self.error.map(|_| format!("{id}-err")),
            hint.map(|_| format!("{id}-hint")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div class="field" {
                label for=(id) class=[self.required.then_some("req")] { (self.label) }
                input id=(id) name=(self.name) type=(self.kind) value=(self.value)
                    required[self.required] autocomplete=(self.autocomplete)
                    inputmode=[self.inputmode]
                    placeholder=[self.placeholder]
                    aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[described];
                @if let Some(h) = hint { small class="hint" id={(id) "-hint"} { (h) } }
                @if let Some(e) = self.error { small class="error" id={(id) "-err"} { (e) } }
            }
        }
    }
}

/// A labelled drop-down with its value and error.
pub struct Select<'a> {
    pub name: &'a str,
    pub label: &'a str,
    /// (value, text) pairs.
    pub options: &'a [(String, String)],
    pub value: &'a str,
    /// The id is `{id_prefix}-{name}`: `f` in forms, `q` in the filter panel.
    pub id_prefix: &'a str,
    pub required: bool,
    pub error: Option<&'a str>,
    /// The text of a first, empty option ("All") when there is one.
    pub any: Option<&'a str>,
}

impl<'a> Select<'a> {
    pub fn new(
        name: &'a str,
        label: &'a str,
        options: &'a [(String, String)],
        value: &'a str,
    ) -> Select<'a> {
        Select {
            name,
            label,
            options,
            value,
            id_prefix: "f",
            required: false,
            error: None,
            any: None,
        }
    }

    pub fn id_prefix(mut self, prefix: &'a str) -> Self {
        self.id_prefix = prefix;
        self
    }

    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    pub fn error(mut self, error: Option<&'a str>) -> Self {
        self.error = error;
        self
    }

    pub fn any(mut self, text: &'a str) -> Self {
        self.any = Some(text);
        self
    }

    pub fn render(&self) -> Markup {
        let id = format!("{}-{}", self.id_prefix, self.name);
        html! {
            div class="field" {
                label for=(id) class=[self.required.then_some("req")] { (self.label) }
                select id=(id) name=(self.name) required[self.required] aria-invalid=[self.error.map(|_| "true")]
                    aria-describedby=[self.error.map(|_| format!("{id}-err"))] {
                    @if let Some(any) = self.any { option value="" { (any) } }
                    @for (v, l) in self.options {
                        option value=(v) selected[v == self.value] { (l) }
                    }
                }
                @if let Some(e) = self.error { small class="error" id={(id) "-err"} { (e) } }
            }
        }
    }
}

/// A multi-line text field.
pub fn textarea(
    name: &str,
    label: &str,
    value: &str,
    error: Option<&str>,
    hint: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    html! {
        div class="field" {
            label for=(id) { (label) }
            textarea id=(id) name=(name) rows="3" aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| format!("{id}-err"))] { (value) }
            @if let Some(h) = hint { small class="hint" { (h) } }
            @if let Some(e) = error { small class="error" id={(id) "-err"} { (e) } }
        }
    }
}
