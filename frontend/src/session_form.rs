//! The propaganda session form (Ghi buổi tuyên truyền). Raw text is kept as
//! typed; on save it is parsed and validated with the model crate, and every
//! problem is shown beside its field in the officer's language.

use crate::api;
use pcmt_model::validation::{parse_count, parse_date};
use pcmt_model::{
    Field, FieldError, Labelled, Lang, OrgTree, SessionForm as Form, SessionInput, SessionRow,
    Topic, VenueKind,
};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Clone, PartialEq)]
struct Draft {
    date: String,
    commune: String,
    venue_kind: VenueKind,
    venue_name: String,
    form: Form,
    topic: Topic,
    attendees: String,
    women: String,
}

impl Draft {
    fn new(today: chrono::NaiveDate, commune: String) -> Self {
        Self {
            date: today.format("%d/%m/%Y").to_string(),
            commune,
            venue_kind: VenueKind::School,
            venue_name: String::new(),
            form: Form::Talk,
            topic: Topic::SyntheticDrugs,
            attendees: String::new(),
            women: "0".into(),
        }
    }

    /// Parses the text fields; every unreadable one is reported.
    fn parse(&self) -> Result<SessionInput, Vec<FieldError>> {
        let date = parse_date(Field::Date, &self.date);
        let attendees = parse_count(Field::Attendees, &self.attendees);
        let women = parse_count(Field::Women, &self.women);
        match (date, attendees, women) {
            (Ok(date), Ok(attendees), Ok(women)) => Ok(SessionInput {
                date,
                commune: self.commune.clone(),
                venue_kind: self.venue_kind,
                venue_name: self.venue_name.clone(),
                form: self.form,
                attendees,
                women,
                topics: vec![self.topic],
                details: Default::default(),
            }),
            (d, a, w) => Err([d.err(), a.err(), w.err()].into_iter().flatten().collect()),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub units: OrgTree,
    pub on_saved: Callback<SessionRow>,
}

#[function_component]
pub fn SessionForm(props: &Props) -> Html {
    let lang = props.lang;
    let first_commune = props
        .units
        .communes()
        .next()
        .map(|c| c.code.clone())
        .unwrap_or_default();
    let draft = use_state(|| Draft::new(api::today(), first_commune.clone()));
    let errors = use_state(Vec::<FieldError>::new);
    let failure = use_state(|| None::<String>);
    let saving = use_state(|| false);

    let edit = |apply: fn(&mut Draft, String)| {
        let draft = draft.clone();
        Callback::from(move |value: String| {
            let mut d = (*draft).clone();
            apply(&mut d, value);
            draft.set(d);
        })
    };

    let on_submit = {
        let (draft, errors, failure, saving) = (
            draft.clone(),
            errors.clone(),
            failure.clone(),
            saving.clone(),
        );
        let units = props.units.clone();
        let on_saved = props.on_saved.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *saving {
                return;
            }
            let input = match draft
                .parse()
                .and_then(|i| i.validate(&units, api::today()).map(|_| i))
            {
                Ok(i) => i,
                Err(errs) => {
                    errors.set(errs);
                    return;
                }
            };
            errors.set(Vec::new());
            failure.set(None);
            saving.set(true);
            let (draft, errors, failure, saving, on_saved) = (
                draft.clone(),
                errors.clone(),
                failure.clone(),
                saving.clone(),
                on_saved.clone(),
            );
            let commune = input.commune.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::save_session(&input).await {
                    Ok(row) => {
                        // Keep the date and commune: officers often log several sessions of one trip.
                        let mut next = Draft::new(api::today(), commune);
                        next.date = draft.date.clone();
                        draft.set(next);
                        on_saved.emit(row);
                    }
                    Err(e) => {
                        errors.set(e.fields.clone());
                        failure.set(Some(e.message(lang).to_string()));
                    }
                }
                saving.set(false);
            });
        })
    };

    let errs = (*errors).clone();
    let field = |id: &'static str, f: Field, control: Html| -> Html {
        let mine: Vec<_> = errs.iter().filter(|e| e.field == f).collect();
        let class = if mine.is_empty() {
            "field"
        } else {
            "field invalid"
        };
        html! {
            <div class={class}>
                <label for={id}>{ f.label(lang) }</label>
                { control }
                { for mine.iter().map(|e| html! { <p class="field-error" id={format!("{id}-error")}>{ e.problem_text(lang) }</p> }) }
            </div>
        }
    };
    let text = |id: &'static str,
                value: &str,
                mode: &'static str,
                placeholder: &'static str,
                cb: Callback<String>| {
        html! {
            <input id={id} type="text" inputmode={mode} placeholder={placeholder} value={value.to_string()}
                oninput={Callback::from(move |e: InputEvent| cb.emit(e.target_unchecked_into::<HtmlInputElement>().value()))} />
        }
    };
    let d = &*draft;

    html! {
        <form class="card session-form" onsubmit={on_submit} novalidate=true>
            <h2>{ lang.pick("Ghi buổi tuyên truyền", "Record a propaganda session") }</h2>
            <div class="grid">
                { field("date", Field::Date, text("date", &d.date, "numeric", "dd/mm/yyyy", edit(|d, v| d.date = v))) }
                { field("commune", Field::Commune, html! {
                    <select id="commune" onchange={select_cb(edit(|d, v| d.commune = v))}>
                        { for props.units.communes().map(|c| html! {
                            <option value={c.code.clone()} selected={c.code == d.commune}>{ &c.name }</option>
                        }) }
                    </select>
                }) }
                { field("venue_kind", Field::VenueKind, choice("venue_kind", lang, d.venue_kind,
                    edit(|d, v| if let Some(k) = VenueKind::from_code(&v) { d.venue_kind = k }))) }
                { field("venue_name", Field::VenueName, text("venue_name", &d.venue_name, "text",
                    lang.pick("VD: Trường THCS Đăk Pék", "e.g. Đăk Pék lower secondary school"), edit(|d, v| d.venue_name = v))) }
                { field("form", Field::Form, choice("form", lang, d.form,
                    edit(|d, v| if let Some(f) = Form::from_code(&v) { d.form = f }))) }
                { field("topic", Field::Topic, choice("topic", lang, d.topic,
                    edit(|d, v| if let Some(t) = Topic::from_code(&v) { d.topic = t }))) }
                { field("attendees", Field::Attendees, text("attendees", &d.attendees, "numeric", "0", edit(|d, v| d.attendees = v))) }
                { field("women", Field::Women, text("women", &d.women, "numeric", "0", edit(|d, v| d.women = v))) }
            </div>
            if let Some(msg) = &*failure {
                <p class="form-failure" role="alert">{ msg }</p>
            }
            <button id="save" class="primary" type="submit" disabled={*saving}>
                { if *saving { lang.pick("Đang lưu…", "Saving…") } else { lang.pick("Lưu buổi tuyên truyền", "Save session") } }
            </button>
        </form>
    }
}

fn select_cb(cb: Callback<String>) -> Callback<Event> {
    Callback::from(move |e: Event| cb.emit(e.target_unchecked_into::<HtmlSelectElement>().value()))
}

/// A select over a closed list of choices, labelled in the officer's language.
fn choice<T: Labelled + PartialEq>(
    id: &'static str,
    lang: Lang,
    current: T,
    cb: Callback<String>,
) -> Html {
    html! {
        <select id={id} onchange={select_cb(cb)}>
            { for T::ALL.iter().map(|v| html! {
                <option value={v.code()} selected={*v == current}>{ v.label(lang) }</option>
            }) }
        </select>
    }
}
