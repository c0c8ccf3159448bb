//! The pieces every form and list is built from: a labelled field with its
//! errors beside it, text boxes, choices, chips, toggles, badges, and how
//! dates, times and sizes are written. One look, one behaviour, everywhere.

use crate::draft::{Form, FormAction, FormText};
use pcmt_model::{Field, FieldError, Labelled, Lang};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// A callback that edits one part of a form's state.
pub fn setter<D: 'static, V: 'static>(
    state: &impl Editable<D>,
    apply: fn(&mut D, V),
) -> Callback<V> {
    let state = state.clone();
    Callback::from(move |v: V| state.edit(Box::new(move |d: &mut D| apply(d, v))))
}

/// A callback that edits one item of a list in a form's state (a status
/// span, a site), if the item is still there when the edit arrives.
pub fn item_setter<D: 'static, I: 'static, V: 'static>(
    state: &impl Editable<D>,
    list: fn(&mut D) -> &mut Vec<I>,
    i: usize,
    apply: fn(&mut I, V),
) -> Callback<V> {
    let state = state.clone();
    Callback::from(move |v: V| {
        state.edit(Box::new(move |d: &mut D| {
            if let Some(item) = list(d).get_mut(i) {
                apply(item, v);
            }
        }))
    })
}

/// A button's callback that removes one item of a list in a form's state
/// (a status span, a stage), if the item is still there when it arrives.
pub fn item_remover<D: 'static, I: 'static>(
    state: &impl Editable<D>,
    list: fn(&mut D) -> &mut Vec<I>,
    i: usize,
) -> Callback<MouseEvent> {
    let state = state.clone();
    Callback::from(move |_: MouseEvent| {
        state.edit(Box::new(move |d: &mut D| {
            let items = list(d);
            if i < items.len() {
                items.remove(i);
            }
        }))
    })
}

/// State a field's callback can change. A form's reducer applies the edit
/// to the form as it is when the edit arrives; a plain state (settings,
/// filters, answered only by the officer's own input) to the value of the
/// last render.
pub trait Editable<D>: Clone + 'static {
    fn edit(&self, change: Box<dyn FnOnce(&mut D)>);
}

impl<D: Clone + 'static> Editable<D> for UseStateHandle<D> {
    fn edit(&self, change: Box<dyn FnOnce(&mut D)>) {
        let mut d = (**self).clone();
        change(&mut d);
        self.set(d);
    }
}

impl<D: FormText> Editable<D> for UseReducerHandle<Form<D>> {
    fn edit(&self, change: Box<dyn FnOnce(&mut D)>) {
        self.dispatch(FormAction::Edit(change));
    }
}

/// A labelled field. Its errors (those for `f`, and for `item` when the field
/// is inside a list) are shown under it, with ids `<id>-error` for tests and
/// screen readers.
pub fn field(
    lang: Lang,
    id: &str,
    f: Field,
    item: Option<usize>,
    errors: &[FieldError],
    control: Html,
) -> Html {
    let mine: Vec<_> = errors
        .iter()
        .filter(|e| e.field == f && (item.is_none() || e.item == item))
        .collect();
    let class = classes!("field", (!mine.is_empty()).then_some("invalid"));
    html! {
        <div class={class}>
            <label for={id.to_string()}>{ f.label(lang) }</label>
            { control }
            // A wrapper that is always there: Yew pairs unkeyed children from
            // the end, so an error appearing beside the input would otherwise
            // replace the input mid-typing and drop the officer's focus.
            <div class="field-errors">
                { for mine.iter().map(|e| html! {
                    <p class="field-error" id={format!("{id}-error")} role="alert">{ e.problem_text(lang) }</p>
                }) }
            </div>
        </div>
    }
}

/// The red marks to show: none until a save was refused, then the form's
/// current problems, so each mark goes as soon as its field is put right.
pub fn live_errors<T>(
    refused: &[FieldError],
    check: impl FnOnce() -> Result<T, Vec<FieldError>>,
) -> Vec<FieldError> {
    if refused.is_empty() {
        Vec::new()
    } else {
        check().err().unwrap_or_default()
    }
}

/// `inputmode` tells the tablet which keyboard to show.
#[derive(Clone, Copy, PartialEq)]
pub enum Keys {
    Text,
    Numeric,
    Decimal,
    Tel,
}

impl Keys {
    fn mode(self) -> &'static str {
        match self {
            Keys::Text => "text",
            Keys::Numeric => "numeric",
            Keys::Decimal => "decimal",
            Keys::Tel => "tel",
        }
    }
}

pub fn text_input(
    id: &str,
    value: &str,
    keys: Keys,
    placeholder: &str,
    cb: Callback<String>,
) -> Html {
    html! {
        <input id={id.to_string()} type="text" inputmode={keys.mode()} placeholder={placeholder.to_string()}
            value={value.to_string()} autocomplete="off"
            oninput={Callback::from(move |e: InputEvent| cb.emit(e.target_unchecked_into::<HtmlInputElement>().value()))} />
    }
}

/// A PIN or passphrase box: hidden as typed; the numeric keyboard comes
/// first (a PIN is digits), and the officer can switch for a passphrase.
pub fn secret_input(id: &str, value: &str, cb: Callback<String>) -> Html {
    html! {
        <input id={id.to_string()} type="password" inputmode="numeric" autocomplete="off"
            value={value.to_string()}
            oninput={Callback::from(move |e: InputEvent| cb.emit(e.target_unchecked_into::<HtmlInputElement>().value()))} />
    }
}

pub fn text_area(id: &str, value: &str, cb: Callback<String>) -> Html {
    html! {
        <textarea id={id.to_string()} rows="3" value={value.to_string()}
            oninput={Callback::from(move |e: InputEvent| cb.emit(e.target_unchecked_into::<HtmlTextAreaElement>().value()))} />
    }
}

/// A date box: typed as dd/mm/yyyy, the way officers write dates.
pub fn date_input(id: &str, value: &str, cb: Callback<String>) -> Html {
    text_input(id, value, Keys::Numeric, "dd/mm/yyyy", cb)
}

fn select_cb(cb: Callback<String>) -> Callback<Event> {
    Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))
}

/// One of a closed list, labelled in the officer's language.
pub fn choice<T: Labelled + PartialEq>(id: &str, lang: Lang, current: T, cb: Callback<T>) -> Html {
    let cb = Callback::from(move |code: String| {
        if let Some(v) = T::from_code(&code) {
            cb.emit(v)
        }
    });
    html! {
        <select id={id.to_string()} onchange={select_cb(cb)}>
            { for T::ALL.iter().map(|v| html! {
                <option value={v.code()} selected={*v == current}>{ v.label(lang) }</option>
            }) }
        </select>
    }
}

/// One of a closed list, or none (`none` names what none means).
pub fn optional_choice<T: Labelled + PartialEq>(
    id: &str,
    lang: Lang,
    current: Option<T>,
    none: &str,
    cb: Callback<Option<T>>,
) -> Html {
    let cb = cb.reform(|code: String| T::from_code(&code));
    html! {
        <select id={id.to_string()} onchange={select_cb(cb)}>
            <option value="" selected={current.is_none()}>{ none.to_string() }</option>
            { for T::ALL.iter().map(|v| html! {
                <option value={v.code()} selected={Some(*v) == current}>{ v.label(lang) }</option>
            }) }
        </select>
    }
}

/// A choice among free items (communes, villages): (value, label) pairs.
pub fn list_choice(
    id: &str,
    items: Vec<(String, String)>,
    current: &str,
    cb: Callback<String>,
) -> Html {
    html! {
        <select id={id.to_string()} onchange={select_cb(cb)}>
            { for items.into_iter().map(|(v, label)| html! {
                <option value={v.clone()} selected={v == current}>{ label }</option>
            }) }
        </select>
    }
}

/// Several of a closed list, as large toggle chips (easier with gloves than
/// a multi-select). Each chip has id `<id>-<code>`.
pub fn chips<T: Labelled + PartialEq>(
    id: &str,
    lang: Lang,
    selected: &[T],
    cb: Callback<Vec<T>>,
) -> Html {
    let items = T::ALL
        .iter()
        .map(|v| (v.code().to_string(), v.label(lang).to_string()))
        .collect();
    let chosen: Vec<String> = selected.iter().map(|v| v.code().to_string()).collect();
    free_chips(
        id,
        items,
        &chosen,
        cb.reform(|codes: Vec<String>| codes.iter().filter_map(|c| T::from_code(c)).collect()),
    )
}

/// Chips over free items: (value, label) pairs.
pub fn free_chips(
    id: &str,
    items: Vec<(String, String)>,
    selected: &[String],
    cb: Callback<Vec<String>>,
) -> Html {
    html! {
        <div class="chips" id={id.to_string()} role="group">
            { for items.into_iter().map(|(value, label)| {
                let on = selected.contains(&value);
                let (cb, selected, v) = (cb.clone(), selected.to_vec(), value.clone());
                let toggle = Callback::from(move |_: MouseEvent| {
                    let mut next: Vec<String> = selected.iter().filter(|s| **s != v).cloned().collect();
                    if !on {
                        next.push(v.clone());
                    }
                    cb.emit(next);
                });
                html! {
                    <button type="button" id={format!("{id}-{value}")} class={classes!("chip", on.then_some("on"))}
                        aria-pressed={on.to_string()} onclick={toggle}>
                        if on { <span class="tick">{ "✓ " }</span> }
                        { label }
                    </button>
                }
            }) }
        </div>
    }
}

/// A yes/no question as one large checkbox with its label.
pub fn toggle(id: &str, label: &str, checked: bool, cb: Callback<bool>) -> Html {
    html! {
        <label class="toggle" for={id.to_string()}>
            <input id={id.to_string()} type="checkbox" checked={checked}
                onchange={Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<HtmlInputElement>().checked()))} />
            <span>{ label.to_string() }</span>
        </label>
    }
}

/// A position as the position box holds it ("15.051200, 107.732100"), or
/// empty.
pub fn point_text(p: Option<pcmt_model::GeoPoint>) -> String {
    p.map(pcmt_model::validation::point_text)
        .unwrap_or_default()
}

/// A record's sync state, as every list shows it.
pub fn sync_badge(lang: Lang, unsynced: bool, conflicted: bool) -> Html {
    html! {
        <>
            if conflicted {
                <span class="badge conflict">{ lang.pick("Có xung đột", "Conflict") }</span>
            }
            if unsynced {
                <span class="badge pending">{ lang.pick("Chưa đồng bộ", "Not synced") }</span>
            } else {
                <span class="badge synced">{ lang.pick("Đã đồng bộ", "Synced") }</span>
            }
        </>
    }
}

pub fn day(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A moment in local time, dd/mm/yyyy HH:MM.
pub fn moment(epoch_secs: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_secs as f64 * 1000.0));
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        d.get_date(),
        d.get_month() + 1,
        d.get_full_year(),
        d.get_hours(),
        d.get_minutes()
    )
}

pub fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Square metres as officers report them: m² under a hectare, then ha.
pub fn area(m2: f64) -> String {
    if m2 >= 10_000.0 {
        format!("{:.2} ha", m2 / 10_000.0)
    } else {
        format!("{:.0} m²", m2)
    }
}

/// A screen's heading with its main action on the right.
pub fn heading(title: &str, action: Html) -> Html {
    html! {
        <div class="screen-head">
            <h2>{ title.to_string() }</h2>
            { action }
        </div>
    }
}

/// A button that moves elsewhere.
pub fn nav_button(id: &str, label: &str, class: &'static str, to: Callback<MouseEvent>) -> Html {
    html! { <button type="button" id={id.to_string()} class={class} onclick={to}>{ label.to_string() }</button> }
}

/// What a failed load or save says, in place of the content.
pub fn failure(lang: Lang, error: &Option<pcmt_model::api::CommandError>) -> Html {
    match error {
        Some(e) => {
            html! { <p class="form-failure" role="alert">{ e.message(lang).to_string() }</p> }
        }
        None => html! {},
    }
}

/// The value of a parsed box, or None with its error noted, so a form
/// reports every unreadable box at once, not just the first.
pub fn parsed<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}
