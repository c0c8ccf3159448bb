//! Opening or editing a person's management file (Lập hồ sơ quản lý): who
//! they are, where they live, what they use, and their legal status over
//! time. Validated by the model crate; kept as a draft while typed.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::draft::{self, use_draft, Form, FormAction, FormText, NoSpot};
use crate::load::{fetched, submit_and_open, use_editing};
use crate::ui::{
    self, chips, choice, date_input, field, list_choice, optional_choice, setter, text_area,
    text_input, Keys,
};
use pcmt_model::validation::{parse_date, parse_optional_date};
use pcmt_model::{
    ClosedReason, Field, FieldError, Labelled, LegalStatus, PersonInput, Sex, StatusSpan, Substance,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct SpanText {
    /// The stored span's id, so an edit merges with other tablets' edits
    /// of other spans; nil for a new span (the core gives it one).
    #[serde(default)]
    id: Uuid,
    status: LegalStatus,
    closed_reason: Option<ClosedReason>,
    from: String,
    until: String,
    notes: String,
}

impl FormText for PersonText {
    type Spot = NoSpot;
    fn place(&mut self, spot: NoSpot, _: pcmt_model::GeoPoint) {
        match spot {}
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonText {
    full_name: String,
    birth_date: String,
    sex: Sex,
    citizen_id: String,
    ethnicity: String,
    commune: String,
    village: String,
    address: String,
    phone: String,
    family_contact: String,
    substances: Vec<Substance>,
    officer_in_charge: String,
    statuses: Vec<SpanText>,
}

fn some_text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl PersonText {
    fn blank(commune: String, officer: String) -> Self {
        Self {
            full_name: String::new(),
            birth_date: String::new(),
            sex: Sex::Male,
            citizen_id: String::new(),
            ethnicity: String::new(),
            commune,
            village: String::new(),
            address: String::new(),
            phone: String::new(),
            family_contact: String::new(),
            substances: Vec::new(),
            officer_in_charge: officer,
            statuses: vec![SpanText {
                id: Uuid::nil(),
                status: LegalStatus::DrugUserManaged,
                closed_reason: None,
                from: ui::day(api::today()),
                until: String::new(),
                notes: String::new(),
            }],
        }
    }

    fn of(p: &PersonInput) -> Self {
        Self {
            full_name: p.full_name.clone(),
            birth_date: ui::day(p.birth_date),
            sex: p.sex,
            citizen_id: p.citizen_id.clone().unwrap_or_default(),
            ethnicity: p.ethnicity.clone(),
            commune: p.commune.clone(),
            village: p.village.clone().unwrap_or_default(),
            address: p.address.clone(),
            phone: p.phone.clone().unwrap_or_default(),
            family_contact: p.family_contact.clone(),
            substances: p.substances.clone(),
            officer_in_charge: p.officer_in_charge.clone(),
            statuses: p
                .statuses
                .iter()
                .map(|s| SpanText {
                    id: s.id,
                    status: s.status,
                    closed_reason: s.closed_reason,
                    from: ui::day(s.from),
                    until: s.until.map(ui::day).unwrap_or_default(),
                    notes: s.notes.clone(),
                })
                .collect(),
        }
    }

    /// Every problem at once: what could not be read (dates) and what the
    /// model finds in the rest, so the officer does not fix one batch of red
    /// fields only to meet the next.
    fn check(
        &self,
        units: &pcmt_model::OrgTree,
        today: chrono::NaiveDate,
    ) -> Result<PersonInput, Vec<FieldError>> {
        let (input, mut errs) = self.read(today);
        if let Err(found) = input.validate(units, today) {
            let unread: Vec<Field> = errs.iter().map(|e| e.field).collect();
            // A span that could not be read is missing from the input, so the
            // model's row numbers would point at the wrong spans.
            let spans_unread = errs.iter().any(|e| e.item.is_some());
            let about_spans = |f: Field| {
                matches!(
                    f,
                    Field::Statuses | Field::StatusFrom | Field::StatusUntil | Field::ClosedReason
                )
            };
            errs.extend(found.into_iter().filter(|e| {
                !(unread.contains(&e.field) || (spans_unread && about_spans(e.field)))
            }));
        }
        if errs.is_empty() {
            Ok(input)
        } else {
            Err(errs)
        }
    }

    /// The record as far as it can be read, with today standing in for an
    /// unreadable birth date, and the reading errors.
    fn read(&self, today: chrono::NaiveDate) -> (PersonInput, Vec<FieldError>) {
        let mut errs = Vec::new();
        let birth_date = parse_date(Field::BirthDate, &self.birth_date)
            .map_err(|e| errs.push(e))
            .ok();
        let mut statuses = Vec::new();
        for (i, s) in self.statuses.iter().enumerate() {
            let from = parse_date(Field::StatusFrom, &s.from);
            let until = parse_optional_date(Field::StatusUntil, &s.until);
            match (from, until) {
                (Ok(from), Ok(until)) => statuses.push(StatusSpan {
                    id: s.id,
                    status: s.status,
                    closed_reason: (s.status == LegalStatus::Closed)
                        .then_some(s.closed_reason)
                        .flatten(),
                    from,
                    until,
                    notes: s.notes.trim().to_string(),
                }),
                (a, b) => errs.extend(
                    [a.err(), b.err()]
                        .into_iter()
                        .flatten()
                        .map(|e| FieldError { item: Some(i), ..e }),
                ),
            }
        }
        let input = PersonInput {
            full_name: self.full_name.trim().to_string(),
            birth_date: birth_date.unwrap_or(today),
            sex: self.sex,
            citizen_id: some_text(&self.citizen_id),
            ethnicity: self.ethnicity.trim().to_string(),
            commune: self.commune.clone(),
            village: some_text(&self.village),
            address: self.address.trim().to_string(),
            phone: some_text(&self.phone),
            family_contact: self.family_contact.trim().to_string(),
            substances: self.substances.clone(),
            officer_in_charge: self.officer_in_charge.trim().to_string(),
            statuses,
        };
        (input, errs)
    }
}

#[derive(Properties, PartialEq)]
pub struct EditProps {
    pub id: Option<Uuid>,
}

#[function_component]
pub fn PersonEdit(props: &EditProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let loaded = use_editing(props.id, api::get_person, PersonText::of);
    fetched(&ctx, &loaded, |initial| {
        let initial = initial.clone().unwrap_or_else(|| {
            PersonText::blank(ctx.default_commune(), ctx.info.settings.officer.clone())
        });
        html! { <PersonFormView id={props.id} initial={initial} /> }
    })
}

#[derive(Properties, PartialEq)]
struct FormProps {
    id: Option<Uuid>,
    initial: PersonText,
}

/// Edits one status span of the list.
fn span_setter<V: 'static>(
    form: &UseReducerHandle<Form<PersonText>>,
    i: usize,
    apply: fn(&mut SpanText, V),
) -> Callback<V> {
    ui::item_setter(form, |f: &mut PersonText| &mut f.statuses, i, apply)
}

#[function_component]
fn PersonFormView(props: &FormProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let key = match props.id {
        Some(id) => format!("person.{id}"),
        None => "person.new".into(),
    };
    let draft = use_draft(key, props.initial.clone());
    let form = draft.form.clone();
    let errors = use_state(Vec::<FieldError>::new);
    let l = ctx.lang;
    let id = props.id;
    let on_submit = submit_and_open(
        &ctx,
        &form,
        &errors,
        (&draft.reset, &props.initial),
        PersonText::check,
        move |input| async move { api::save_person(&input, id).await },
        (
            |row: &pcmt_model::api::PersonRow| Screen::Person(row.id),
            "Đã lưu hồ sơ trên máy.",
            "File saved on this tablet.",
        ),
    );
    let add_span = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            let from = ui::day(api::today());
            form.dispatch(FormAction::Edit(Box::new(move |f: &mut PersonText| {
                f.statuses.push(SpanText {
                    id: Uuid::nil(),
                    status: LegalStatus::PostRehab,
                    closed_reason: None,
                    from,
                    until: String::new(),
                    notes: String::new(),
                })
            })));
        })
    };
    let f = &form.text;
    let live = ui::live_errors(&errors, || f.check(&ctx.units, api::today()));
    let errs = &live;
    let villages: Vec<(String, String)> = std::iter::once((
        String::new(),
        l.pick("— Chưa chọn —", "— None —").to_string(),
    ))
    .chain(
        ctx.units
            .villages_of(&f.commune)
            .map(|v| (v.code.clone(), v.name.clone())),
    )
    .collect();
    let back = match props.id {
        Some(id) => Screen::Person(id),
        None => Screen::People,
    };
    html! {
        <form class="person-form" onsubmit={on_submit} onfocusout={draft.flush.clone()} novalidate=true>
            { ui::heading(if props.id.is_some() { l.pick("Sửa hồ sơ", "Edit file") } else { l.pick("Lập hồ sơ quản lý", "Open a management file") },
                ui::nav_button("back", l.pick("← Quay lại", "← Back"), "secondary", ctx.go_to(back))) }
            { draft::restored_note(l, &form) }
            <section class="card">
                <h3>{ l.pick("Nhân thân", "Identity") }</h3>
                <div class="grid">
                    { field(l, "full_name", Field::FullName, None, errs, text_input("full_name", &f.full_name, Keys::Text, l.pick("VD: Nguyễn Văn A", "e.g. Nguyễn Văn A"), setter(&form, |f: &mut PersonText, v| f.full_name = v))) }
                    { field(l, "birth_date", Field::BirthDate, None, errs, date_input("birth_date", &f.birth_date, setter(&form, |f: &mut PersonText, v| f.birth_date = v))) }
                    { field(l, "sex", Field::Sex, None, errs, choice("sex", l, f.sex, setter(&form, |f: &mut PersonText, v| f.sex = v))) }
                    { field(l, "citizen_id", Field::CitizenId, None, errs, text_input("citizen_id", &f.citizen_id, Keys::Numeric, l.pick("12 chữ số", "12 digits"), setter(&form, |f: &mut PersonText, v| f.citizen_id = v))) }
                    { field(l, "ethnicity", Field::Ethnicity, None, errs, text_input("ethnicity", &f.ethnicity, Keys::Text, l.pick("VD: Xơ Đăng", "e.g. Xơ Đăng"), setter(&form, |f: &mut PersonText, v| f.ethnicity = v))) }
                    { field(l, "phone", Field::Phone, None, errs, text_input("phone", &f.phone, Keys::Tel, "", setter(&form, |f: &mut PersonText, v| f.phone = v))) }
                    { field(l, "commune", Field::Commune, None, errs, list_choice("commune", ctx.communes(), &f.commune, setter(&form, |f: &mut PersonText, v| { f.commune = v; f.village.clear(); }))) }
                    { field(l, "village", Field::Village, None, errs, list_choice("village", villages, &f.village, setter(&form, |f: &mut PersonText, v| f.village = v))) }
                    { field(l, "address", Field::Address, None, errs, text_input("address", &f.address, Keys::Text, "", setter(&form, |f: &mut PersonText, v| f.address = v))) }
                    { field(l, "family_contact", Field::FamilyContact, None, errs, text_input("family_contact", &f.family_contact, Keys::Text, l.pick("Tên, số điện thoại", "Name, phone"), setter(&form, |f: &mut PersonText, v| f.family_contact = v))) }
                    { field(l, "officer_in_charge", Field::OfficerInCharge, None, errs, text_input("officer_in_charge", &f.officer_in_charge, Keys::Text, "", setter(&form, |f: &mut PersonText, v| f.officer_in_charge = v))) }
                </div>
                { field(l, "substances", Field::Substances, None, errs, chips("substances", l, &f.substances, setter(&form, |f: &mut PersonText, v| f.substances = v))) }
            </section>
            <section class="card">
                <h3>{ Field::Statuses.label(l) }</h3>
                { for errs.iter().filter(|e| e.field == Field::Statuses).map(|e| html! { <p class="field-error" id="statuses-error">{ e.problem_text(l) }</p> }) }
                { for f.statuses.iter().enumerate().map(|(i, s)| {
                    let id = |name: &str| format!("{name}-{i}");
                    let remove = ui::item_remover(&form, |f: &mut PersonText| &mut f.statuses, i);
                    html! {
                        <fieldset class="span">
                            <legend>{ format!("{} {}", l.pick("Giai đoạn", "Period"), i + 1) }</legend>
                            <div class="grid">
                                { field(l, &id("status"), Field::Status, Some(i), errs, choice(&id("status"), l, s.status, span_setter(&form, i, |s, v| s.status = v))) }
                                if s.status == LegalStatus::Closed {
                                    { field(l, &id("closed_reason"), Field::ClosedReason, Some(i), errs, optional_choice(&id("closed_reason"), l, s.closed_reason, "—", span_setter(&form, i, |s, v| s.closed_reason = v))) }
                                }
                                { field(l, &id("status_from"), Field::StatusFrom, Some(i), errs, date_input(&id("status_from"), &s.from, span_setter(&form, i, |s, v| s.from = v))) }
                                { field(l, &id("status_until"), Field::StatusUntil, Some(i), errs, date_input(&id("status_until"), &s.until, span_setter(&form, i, |s, v| s.until = v))) }
                            </div>
                            { field(l, &id("status_notes"), Field::Notes, Some(i), errs, text_area(&id("status_notes"), &s.notes, span_setter(&form, i, |s, v| s.notes = v))) }
                            if f.statuses.len() > 1 {
                                <button type="button" class="secondary" id={id("remove-status")} onclick={remove}>{ l.pick("Bỏ giai đoạn này", "Remove this period") }</button>
                            }
                        </fieldset>
                    }
                }) }
                <button type="button" id="add-status" class="secondary" onclick={add_span}>{ l.pick("+ Thêm giai đoạn", "+ Add a period") }</button>
            </section>
            { draft::saved_note(l, &form) }
            <button id="save" class="primary wide" type="submit">{ l.pick("Lưu hồ sơ", "Save file") }</button>
        </form>
    }
}
