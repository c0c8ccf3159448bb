//! Recording or editing a propaganda session (Ghi buổi tuyên truyền): every
//! field of DOMAIN.md. Text is kept as typed (and as a draft on the device);
//! on save it is parsed and validated with the model crate, and every
//! problem shows beside its field in the officer's language.

use crate::api;
use crate::app::{Ctx, Notice, Screen};
use crate::draft::{self, use_draft, FormText};
use crate::load::{fetched, submit, use_editing};
use crate::ui::{
    self, chips, choice, date_input, field, list_choice, optional_choice, setter, text_area,
    text_input, Keys,
};
use pcmt_model::validation::{
    parse_count, parse_count_or_zero, parse_date, parse_optional_time, parse_point_as_shown,
};
use pcmt_model::{
    AudienceCount, AudienceGroup, Campaign, Field, FieldError, Labelled, Organiser, SessionDetails,
    SessionForm as Form, SessionInput, SessionLanguage, Topic, VenueKind,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yew::prelude::*;

/// The form as typed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionText {
    date: String,
    commune: String,
    venue_kind: VenueKind,
    venue_name: String,
    form: Form,
    topics: Vec<Topic>,
    attendees: String,
    women: String,
    start_time: String,
    end_time: String,
    location: String,
    /// One box per audience group, in `AudienceGroup::ALL` order.
    audience: Vec<String>,
    language: SessionLanguage,
    language_name: String,
    organisers: Vec<Organiser>,
    materials: String,
    pledges: String,
    campaign: Option<Campaign>,
    notes: String,
    /// The stored position as it is, saved back while its line reads as
    /// shown (`parse_point_as_shown`).
    #[serde(default)]
    stored_location: Option<pcmt_model::GeoPoint>,
}

/// A fix lands in the session's one position field.
impl FormText for SessionText {
    type Spot = ();
    fn place(&mut self, _: (), at: pcmt_model::GeoPoint) {
        self.location = ui::point_text(Some(at));
    }
}

impl SessionText {
    fn blank(commune: String) -> Self {
        Self {
            date: ui::day(api::today()),
            commune,
            venue_kind: VenueKind::School,
            venue_name: String::new(),
            form: Form::Talk,
            topics: Vec::new(),
            attendees: String::new(),
            women: String::new(),
            start_time: String::new(),
            end_time: String::new(),
            location: String::new(),
            audience: vec![String::new(); AudienceGroup::ALL.len()],
            language: SessionLanguage::default(),
            language_name: String::new(),
            organisers: Vec::new(),
            materials: String::new(),
            pledges: String::new(),
            campaign: None,
            notes: String::new(),
            stored_location: None,
        }
    }

    fn of(s: &SessionInput) -> Self {
        let d = &s.details;
        let time = |t: Option<chrono::NaiveTime>| {
            t.map(|t| t.format("%H:%M").to_string()).unwrap_or_default()
        };
        Self {
            date: ui::day(s.date),
            commune: s.commune.clone(),
            venue_kind: s.venue_kind,
            venue_name: s.venue_name.clone(),
            form: s.form,
            topics: s.topics.clone(),
            attendees: s.attendees.to_string(),
            women: s.women.to_string(),
            start_time: time(d.start_time),
            end_time: time(d.end_time),
            location: ui::point_text(d.location),
            audience: AudienceGroup::ALL
                .iter()
                .map(|g| {
                    d.audience
                        .iter()
                        .find(|a| a.group == *g)
                        .map(|a| a.count.to_string())
                        .unwrap_or_default()
                })
                .collect(),
            language: d.language,
            language_name: d.language_name.clone(),
            organisers: d.organisers.clone(),
            materials: d.materials.to_string(),
            pledges: d.pledges.to_string(),
            campaign: d.campaign,
            notes: d.notes.clone(),
            stored_location: d.location,
        }
    }

    /// Reads every box; each unreadable one is reported, not just the first.
    fn parse(&self) -> Result<SessionInput, Vec<FieldError>> {
        let mut errs = Vec::new();
        let date = ui::parsed(&mut errs, parse_date(Field::Date, &self.date));
        let attendees = ui::parsed(&mut errs, parse_count(Field::Attendees, &self.attendees));
        let women = ui::parsed(&mut errs, parse_count_or_zero(Field::Women, &self.women));
        let start_time = ui::parsed(
            &mut errs,
            parse_optional_time(Field::StartTime, &self.start_time),
        );
        let end_time = ui::parsed(
            &mut errs,
            parse_optional_time(Field::EndTime, &self.end_time),
        );
        let location = if self.location.trim().is_empty() {
            Some(None)
        } else {
            ui::parsed(
                &mut errs,
                parse_point_as_shown(Field::Location, &self.location, self.stored_location),
            )
            .map(Some)
        };
        let materials = ui::parsed(
            &mut errs,
            parse_count_or_zero(Field::Materials, &self.materials),
        );
        let pledges = ui::parsed(
            &mut errs,
            parse_count_or_zero(Field::Pledges, &self.pledges),
        );
        let mut audience = Vec::new();
        for (i, (g, text)) in AudienceGroup::ALL.iter().zip(&self.audience).enumerate() {
            match parse_count_or_zero(Field::Audience, text) {
                Ok(0) => {}
                Ok(count) => audience.push(AudienceCount { group: *g, count }),
                Err(e) => errs.push(FieldError { item: Some(i), ..e }),
            }
        }
        match (
            date, attendees, women, start_time, end_time, location, materials, pledges,
        ) {
            (
                Some(date),
                Some(attendees),
                Some(women),
                Some(start_time),
                Some(end_time),
                Some(location),
                Some(materials),
                Some(pledges),
            ) if errs.is_empty() => Ok(SessionInput {
                date,
                commune: self.commune.clone(),
                venue_kind: self.venue_kind,
                venue_name: self.venue_name.trim().to_string(),
                form: self.form,
                attendees,
                women,
                topics: self.topics.clone(),
                details: SessionDetails {
                    start_time,
                    end_time,
                    location,
                    audience,
                    language: self.language,
                    language_name: self.language_name.trim().to_string(),
                    organisers: self.organisers.clone(),
                    materials,
                    pledges,
                    campaign: self.campaign,
                    notes: self.notes.trim().to_string(),
                },
            }),
            _ => Err(errs),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct EditProps {
    pub id: Option<Uuid>,
}

/// A new session, or an existing one loaded first.
#[function_component]
pub fn SessionEdit(props: &EditProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let loaded = use_editing(props.id, api::get_session, SessionText::of);
    fetched(&ctx, &loaded, |initial| {
        let initial = initial
            .clone()
            .unwrap_or_else(|| SessionText::blank(ctx.default_commune()));
        html! { <SessionFormView id={props.id} initial={initial} /> }
    })
}

#[derive(Properties, PartialEq)]
struct FormProps {
    id: Option<Uuid>,
    initial: SessionText,
}

#[function_component]
fn SessionFormView(props: &FormProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let key = match props.id {
        Some(id) => format!("session.{id}"),
        None => "session.new".into(),
    };
    let draft = use_draft(key, props.initial.clone());
    let form = draft.form.clone();
    let errors = use_state(Vec::<FieldError>::new);
    let locating = use_state(|| false);
    let l = ctx.lang;

    let on_submit = {
        let (ctx, form, errors, reset, id) = (
            ctx.clone(),
            form.clone(),
            errors.clone(),
            draft.reset.clone(),
            props.id,
        );
        let initial = props.initial.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = form
                .text
                .parse()
                .and_then(|i| i.validate(&ctx.units, api::today()).map(|_| i));
            let (ctx2, reset, initial) = (ctx.clone(), reset.clone(), initial.clone());
            let keep_date = form.text.date.clone();
            let keep_commune = form.text.commune.clone();
            submit(
                &ctx,
                parsed,
                &errors,
                move |input| async move { api::save_session(&input, id).await },
                move |row: pcmt_model::SessionRow| {
                    let saved = Notice::Ok(
                        ctx2.t(
                            "Đã lưu buổi tuyên truyền trên máy.",
                            "Session saved on this tablet.",
                        )
                        .into(),
                    );
                    if id.is_some() {
                        reset.emit(initial);
                        ctx2.go_and_tell(Screen::Session(row.id), saved);
                    } else {
                        // Officers often log several sessions of one trip: keep date and commune.
                        let mut next = SessionText::blank(keep_commune);
                        next.date = keep_date;
                        reset.emit(next);
                        ctx2.notify.emit(saved);
                    }
                },
            );
        })
    };
    let locate = draft::locate(&ctx, &form, (), Some(locating.clone()));

    let f = &form.text;
    let live = ui::live_errors(&errors, || {
        f.parse()
            .and_then(|i| i.validate(&ctx.units, api::today()).map(|_| i))
    });
    let errs = &live;
    let title = if props.id.is_some() {
        l.pick("Sửa buổi tuyên truyền", "Edit session")
    } else {
        l.pick("Ghi buổi tuyên truyền", "Record a propaganda session")
    };
    let back = match props.id {
        Some(id) => Screen::Session(id),
        None => Screen::Sessions,
    };
    html! {
        <form class="session-form" onsubmit={on_submit} onfocusout={draft.flush.clone()} novalidate=true>
            { ui::heading(title, ui::nav_button("back", l.pick("← Quay lại", "← Back"), "secondary", ctx.go_to(back))) }
            { draft::restored_note(l, &form) }
            <section class="card">
                <h3>{ l.pick("Thông tin chính", "Main details") }</h3>
                <div class="grid">
                    { field(l, "date", Field::Date, None, errs, date_input("date", &f.date, setter(&form, |f: &mut SessionText, v| f.date = v))) }
                    { field(l, "commune", Field::Commune, None, errs, list_choice("commune", ctx.communes(), &f.commune, setter(&form, |f: &mut SessionText, v| f.commune = v))) }
                    { field(l, "venue_kind", Field::VenueKind, None, errs, choice("venue_kind", l, f.venue_kind, setter(&form, |f: &mut SessionText, v| f.venue_kind = v))) }
                    { field(l, "venue_name", Field::VenueName, None, errs, text_input("venue_name", &f.venue_name, Keys::Text,
                        l.pick("VD: Trường THCS Đăk Pék", "e.g. Đăk Pék lower secondary school"), setter(&form, |f: &mut SessionText, v| f.venue_name = v))) }
                    { field(l, "form", Field::Form, None, errs, choice("form", l, f.form, setter(&form, |f: &mut SessionText, v| f.form = v))) }
                    { field(l, "campaign", Field::Campaign, None, errs, optional_choice("campaign", l, f.campaign, l.pick("Không thuộc đợt nào", "None"), setter(&form, |f: &mut SessionText, v| f.campaign = v))) }
                    { field(l, "attendees", Field::Attendees, None, errs, text_input("attendees", &f.attendees, Keys::Numeric, "0", setter(&form, |f: &mut SessionText, v| f.attendees = v))) }
                    { field(l, "women", Field::Women, None, errs, text_input("women", &f.women, Keys::Numeric, "0", setter(&form, |f: &mut SessionText, v| f.women = v))) }
                </div>
                { field(l, "topic", Field::Topic, None, errs, chips("topic", l, &f.topics, setter(&form, |f: &mut SessionText, v| f.topics = v))) }
            </section>
            <section class="card">
                <h3>{ l.pick("Chi tiết thêm", "More details") }</h3>
                <div class="grid">
                    { field(l, "start_time", Field::StartTime, None, errs, text_input("start_time", &f.start_time, Keys::Numeric, "HH:MM", setter(&form, |f: &mut SessionText, v| f.start_time = v))) }
                    { field(l, "end_time", Field::EndTime, None, errs, text_input("end_time", &f.end_time, Keys::Numeric, "HH:MM", setter(&form, |f: &mut SessionText, v| f.end_time = v))) }
                    { field(l, "location", Field::Location, None, errs, html! {
                        <div class="with-action">
                            { text_input("location", &f.location, Keys::Decimal, l.pick("vĩ độ, kinh độ", "latitude, longitude"), setter(&form, |f: &mut SessionText, v| f.location = v)) }
                            <button type="button" id="locate" class="secondary" onclick={locate} disabled={*locating}>
                                { if *locating { l.pick("Đang lấy…", "Locating…") } else { l.pick("Lấy vị trí", "Use GPS") } }
                            </button>
                        </div>
                    }) }
                    { field(l, "language", Field::Language, None, errs, choice("language", l, f.language, setter(&form, |f: &mut SessionText, v| f.language = v))) }
                    if f.language != SessionLanguage::Vietnamese {
                        { field(l, "language_name", Field::LanguageName, None, errs, text_input("language_name", &f.language_name, Keys::Text,
                            l.pick("VD: tiếng Xơ Đăng", "e.g. Xơ Đăng"), setter(&form, |f: &mut SessionText, v| f.language_name = v))) }
                    }
                    { field(l, "materials", Field::Materials, None, errs, text_input("materials", &f.materials, Keys::Numeric, "0", setter(&form, |f: &mut SessionText, v| f.materials = v))) }
                    { field(l, "pledges", Field::Pledges, None, errs, text_input("pledges", &f.pledges, Keys::Numeric, "0", setter(&form, |f: &mut SessionText, v| f.pledges = v))) }
                </div>
                { field(l, "organisers", Field::Organisers, None, errs, chips("organisers", l, &f.organisers, setter(&form, |f: &mut SessionText, v| f.organisers = v))) }
                <fieldset class="audience">
                    <legend>{ Field::Audience.label(l) }</legend>
                    <div class="grid four">
                        { for AudienceGroup::ALL.iter().enumerate().map(|(i, g)| {
                            let id = format!("audience-{}", g.code());
                            let cb = ui::item_setter(&form, |f: &mut SessionText| &mut f.audience, i, |slot, v| *slot = v);
                            let value = f.audience.get(i).cloned().unwrap_or_default();
                            let mine: Vec<_> = errs.iter().filter(|e| e.field == Field::Audience && e.item == Some(i)).collect();
                            html! {
                                <div class={classes!("field", (!mine.is_empty()).then_some("invalid"))}>
                                    <label for={id.clone()}>{ g.label(l) }</label>
                                    { text_input(&id, &value, Keys::Numeric, "0", cb) }
                                    { for mine.iter().map(|e| html! { <p class="field-error" id={format!("{id}-error")}>{ e.problem_text(l) }</p> }) }
                                </div>
                            }
                        }) }
                    </div>
                    { for errs.iter().filter(|e| e.field == Field::Audience && e.item.is_none()).map(|e| html! {
                        <p class="field-error" id="audience-error" role="alert">{ e.problem_text(l) }</p>
                    }) }
                </fieldset>
                { field(l, "notes", Field::Notes, None, errs, text_area("notes", &f.notes, setter(&form, |f: &mut SessionText, v| f.notes = v))) }
            </section>
            { draft::saved_note(l, &form) }
            <button id="save" class="primary wide" type="submit">
                { if props.id.is_some() { l.pick("Lưu thay đổi", "Save changes") } else { l.pick("Lưu buổi tuyên truyền", "Save session") } }
            </button>
        </form>
    }
}
