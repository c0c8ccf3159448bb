//! Recording a visit (Ghi lần gặp): attended or not and why, a drug test,
//! health and psychosis signs, work and family, support given, and the next
//! appointment. Checked against the person's file by the model crate.

use crate::api;
use crate::app::{Ctx, Notice, Screen};
use crate::draft::{self, use_draft, FormText, NoSpot};
use crate::load::{fetched, submit, use_fetch};
use crate::ui::{
    self, chips, choice, date_input, field, optional_choice, setter, text_area, text_input, toggle,
    Keys,
};
use pcmt_model::validation::{parse_date, parse_optional_date};
use pcmt_model::{
    CheckInInput, CheckInPlace, DrugTest, Field, FieldError, Labelled, PersonInput, Substance,
    SupportKind, TestKind, TestResult,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yew::prelude::*;

impl FormText for CheckInText {
    type Spot = NoSpot;
    fn place(&mut self, spot: NoSpot, _: pcmt_model::GeoPoint) {
        match spot {}
    }
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct CheckInText {
    date: String,
    place: CheckInPlace,
    attended: bool,
    absence_reason: String,
    /// None: no test at this visit.
    test_kind: Option<TestKind>,
    test_result: TestResult,
    test_substances: Vec<Substance>,
    health_state: String,
    psychosis_signs: bool,
    work_situation: String,
    family_situation: String,
    support: Vec<SupportKind>,
    relapse_suspected: bool,
    next_visit: String,
    notes: String,
}

impl CheckInText {
    fn blank() -> Self {
        Self {
            date: ui::day(api::today()),
            place: CheckInPlace::Home,
            attended: true,
            absence_reason: String::new(),
            test_kind: None,
            test_result: TestResult::Negative,
            test_substances: Vec::new(),
            health_state: String::new(),
            psychosis_signs: false,
            work_situation: String::new(),
            family_situation: String::new(),
            support: Vec::new(),
            relapse_suspected: false,
            next_visit: String::new(),
            notes: String::new(),
        }
    }

    fn parse(&self, person: Uuid, officer: &str) -> Result<CheckInInput, Vec<FieldError>> {
        let date = parse_date(Field::Date, &self.date);
        let next = parse_optional_date(Field::NextVisit, &self.next_visit);
        let (date, next_visit) = match (date, next) {
            (Ok(d), Ok(n)) => (d, n),
            (a, b) => return Err([a.err(), b.err()].into_iter().flatten().collect()),
        };
        let reason = self.absence_reason.trim();
        Ok(CheckInInput {
            person,
            date,
            officer: officer.to_string(),
            place: self.place,
            attended: self.attended,
            absence_reason: (!reason.is_empty()).then(|| reason.to_string()),
            drug_test: self.test_kind.map(|kind| DrugTest {
                kind,
                result: self.test_result,
                substances: if self.test_result == TestResult::Positive {
                    self.test_substances.clone()
                } else {
                    Vec::new()
                },
            }),
            health_state: self.health_state.trim().to_string(),
            psychosis_signs: self.psychosis_signs,
            work_situation: self.work_situation.trim().to_string(),
            family_situation: self.family_situation.trim().to_string(),
            support: self.support.clone(),
            relapse_suspected: self.relapse_suspected,
            next_visit,
            notes: self.notes.trim().to_string(),
        })
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub person: Uuid,
}

#[function_component]
pub fn CheckInForm(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let file = use_fetch(props.person, api::get_person);
    fetched(
        &ctx,
        &file,
        |p: &PersonInput| html! { <CheckInFormView person={props.person} file={p.clone()} /> },
    )
}

#[derive(Properties, PartialEq)]
struct FormProps {
    person: Uuid,
    file: PersonInput,
}

#[function_component]
fn CheckInFormView(props: &FormProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let draft = use_draft(format!("checkin.{}", props.person), CheckInText::blank());
    let form = draft.form.clone();
    let errors = use_state(Vec::<FieldError>::new);
    let l = ctx.lang;
    let on_submit = {
        let (ctx, form, errors, reset, person, file) = (
            ctx.clone(),
            form.clone(),
            errors.clone(),
            draft.reset.clone(),
            props.person,
            props.file.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = form
                .text
                .parse(person, &ctx.info.settings.officer)
                .and_then(|i| i.validate(&file, api::today()).map(|_| i));
            let (ctx2, reset) = (ctx.clone(), reset.clone());
            submit(
                &ctx,
                parsed,
                &errors,
                move |input| async move { api::save_checkin(&input).await },
                move |_row| {
                    reset.emit(CheckInText::blank());
                    ctx2.go_and_tell(
                        Screen::Person(person),
                        Notice::Ok(
                            ctx2.t("Đã ghi lần gặp trên máy.", "Visit recorded on this tablet.")
                                .into(),
                        ),
                    );
                },
            );
        })
    };
    let f = &form.text;
    let live = ui::live_errors(&errors, || {
        f.parse(props.person, &ctx.info.settings.officer)
            .and_then(|i| i.validate(&props.file, api::today()).map(|_| i))
    });
    let errs = &live;
    html! {
        <form class="checkin-form" onsubmit={on_submit} onfocusout={draft.flush.clone()} novalidate=true>
            { ui::heading(&format!("{} — {}", l.pick("Ghi lần gặp", "Record a visit"), props.file.full_name),
                ui::nav_button("back", l.pick("← Hồ sơ", "← File"), "secondary", ctx.go_to(Screen::Person(props.person)))) }
            { draft::restored_note(l, &form) }
            <section class="card">
                <div class="grid">
                    { field(l, "date", Field::Date, None, errs, date_input("date", &f.date, setter(&form, |f: &mut CheckInText, v| f.date = v))) }
                    { field(l, "place", Field::Place, None, errs, choice("place", l, f.place, setter(&form, |f: &mut CheckInText, v| f.place = v))) }
                </div>
                { toggle("attended", Field::Attended.label(l), f.attended, setter(&form, |f: &mut CheckInText, v| f.attended = v)) }
                if !f.attended {
                    { field(l, "absence_reason", Field::AbsenceReason, None, errs, text_input("absence_reason", &f.absence_reason, Keys::Text, "", setter(&form, |f: &mut CheckInText, v| f.absence_reason = v))) }
                }
                { for errs.iter().filter(|e| e.field == Field::Officer).map(|e| html! { <p class="field-error">{ e.message(l) }</p> }) }
            </section>
            if f.attended {
                <section class="card">
                    <h3>{ l.pick("Xét nghiệm", "Drug test") }</h3>
                    <div class="grid">
                        { field(l, "test_kind", Field::TestKind, None, errs, optional_choice("test_kind", l, f.test_kind, l.pick("Không xét nghiệm", "No test"), setter(&form, |f: &mut CheckInText, v| f.test_kind = v))) }
                        if f.test_kind.is_some() {
                            { field(l, "test_result", Field::TestResult, None, errs, choice("test_result", l, f.test_result, setter(&form, |f: &mut CheckInText, v| f.test_result = v))) }
                        }
                    </div>
                    if f.test_kind.is_some() && f.test_result == TestResult::Positive {
                        { field(l, "test_substances", Field::TestSubstances, None, errs, chips("test_substances", l, &f.test_substances, setter(&form, |f: &mut CheckInText, v| f.test_substances = v))) }
                    }
                </section>
            }
            <section class="card">
                <h3>{ l.pick("Tình hình", "Situation") }</h3>
                { toggle("psychosis_signs", Field::PsychosisSigns.label(l), f.psychosis_signs, setter(&form, |f: &mut CheckInText, v| f.psychosis_signs = v)) }
                { toggle("relapse_suspected", Field::RelapseSuspected.label(l), f.relapse_suspected, setter(&form, |f: &mut CheckInText, v| f.relapse_suspected = v)) }
                <div class="grid">
                    { field(l, "health_state", Field::HealthState, None, errs, text_area("health_state", &f.health_state, setter(&form, |f: &mut CheckInText, v| f.health_state = v))) }
                    { field(l, "work_situation", Field::WorkSituation, None, errs, text_area("work_situation", &f.work_situation, setter(&form, |f: &mut CheckInText, v| f.work_situation = v))) }
                    { field(l, "family_situation", Field::FamilySituation, None, errs, text_area("family_situation", &f.family_situation, setter(&form, |f: &mut CheckInText, v| f.family_situation = v))) }
                    { field(l, "notes", Field::Notes, None, errs, text_area("notes", &f.notes, setter(&form, |f: &mut CheckInText, v| f.notes = v))) }
                </div>
                { field(l, "support", Field::Support, None, errs, chips("support", l, &f.support, setter(&form, |f: &mut CheckInText, v| f.support = v))) }
                { field(l, "next_visit", Field::NextVisit, None, errs, date_input("next_visit", &f.next_visit, setter(&form, |f: &mut CheckInText, v| f.next_visit = v))) }
            </section>
            { draft::saved_note(l, &form) }
            <button id="save" class="primary wide" type="submit">{ l.pick("Lưu lần gặp", "Save visit") }</button>
        </form>
    }
}
