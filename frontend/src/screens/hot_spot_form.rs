//! Recording or editing a drug hot spot (Ghi điểm, tụ điểm phức tạp về ma
//! túy): the place, where it is (the position button as on the session
//! form), what was found, and its status over time — a new stage is a new
//! line, so two officers adding stages on their tablets both keep theirs.
//! Validated by the model crate; kept as a draft while typed.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::draft::{self, use_draft, FormAction, FormText};
use crate::load::{fetched, submit_and_open, use_editing};
use crate::ui::{
    self, chips, choice, date_input, field, list_choice, setter, text_area, text_input, toggle,
    Keys,
};
use pcmt_model::validation::{parse_date, parse_point_as_shown};
use pcmt_model::{
    Field, FieldError, HotSpotActivity, HotSpotInput, HotSpotSpan, HotSpotStage, Labelled,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct SpanText {
    /// The stored span's id, so an edit merges with other tablets' edits
    /// of other stages; nil for a new one (the core gives it one).
    #[serde(default)]
    id: Uuid,
    stage: HotSpotStage,
    from: String,
    notes: String,
}

/// The form as typed.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct HotSpotText {
    place: String,
    commune: String,
    village: String,
    location: String,
    outside_vietnam_confirmed: bool,
    activities: Vec<HotSpotActivity>,
    findings: String,
    stages: Vec<SpanText>,
    /// The stored position as it is, saved back while its line reads as
    /// shown (`parse_point_as_shown`).
    #[serde(default)]
    stored_point: Option<pcmt_model::GeoPoint>,
}

/// A fix lands in the spot's one position field.
impl FormText for HotSpotText {
    type Spot = ();
    fn place(&mut self, _: (), at: pcmt_model::GeoPoint) {
        self.location = ui::point_text(Some(at));
    }
}

/// The stage a new line starts at: the one after the last listed.
fn next_stage(last: Option<HotSpotStage>) -> HotSpotStage {
    match last {
        None => HotSpotStage::Detected,
        Some(HotSpotStage::Detected) => HotSpotStage::BeingDealtWith,
        Some(HotSpotStage::BeingDealtWith) => HotSpotStage::Cleared,
        Some(HotSpotStage::Cleared | HotSpotStage::Transformed) => HotSpotStage::Transformed,
    }
}

fn new_span(stage: HotSpotStage) -> SpanText {
    SpanText {
        id: Uuid::nil(),
        stage,
        from: ui::day(api::today()),
        notes: String::new(),
    }
}

impl HotSpotText {
    fn blank(commune: String) -> Self {
        Self {
            place: String::new(),
            commune,
            village: String::new(),
            location: String::new(),
            outside_vietnam_confirmed: false,
            activities: Vec::new(),
            findings: String::new(),
            stages: vec![new_span(HotSpotStage::Detected)],
            stored_point: None,
        }
    }

    fn of(h: &HotSpotInput) -> Self {
        // In time order: stages merged from two tablets may be listed
        // otherwise, and the model wants them in order.
        let mut spans: Vec<&HotSpotSpan> = h.stages.iter().collect();
        spans.sort_by_key(|s| s.from);
        Self {
            place: h.place_name.clone(),
            commune: h.commune.clone(),
            village: h.village.clone().unwrap_or_default(),
            location: ui::point_text(h.point),
            stored_point: h.point,
            outside_vietnam_confirmed: h.outside_vietnam_confirmed,
            activities: h.activities.clone(),
            findings: h.findings.clone(),
            stages: spans
                .into_iter()
                .map(|s| SpanText {
                    id: s.id,
                    stage: s.stage,
                    from: ui::day(s.from),
                    notes: s.notes.clone(),
                })
                .collect(),
        }
    }

    /// Every problem at once: what could not be read (dates, the position)
    /// and what the model finds in the rest. A stage whose date cannot be
    /// read is missing from the input, so the model's line numbers would
    /// point at the wrong lines: its findings on the stages are left out
    /// until the dates read.
    fn check(
        &self,
        units: &pcmt_model::OrgTree,
        today: chrono::NaiveDate,
    ) -> Result<HotSpotInput, Vec<FieldError>> {
        let mut errs = Vec::new();
        let point = if self.location.trim().is_empty() {
            None
        } else {
            ui::parsed(
                &mut errs,
                parse_point_as_shown(Field::Location, &self.location, self.stored_point),
            )
        };
        let mut stages = Vec::new();
        for (i, s) in self.stages.iter().enumerate() {
            match parse_date(Field::StatusFrom, &s.from) {
                Ok(from) => stages.push(HotSpotSpan {
                    id: s.id,
                    stage: s.stage,
                    from,
                    notes: s.notes.trim().to_string(),
                }),
                Err(e) => errs.push(FieldError { item: Some(i), ..e }),
            }
        }
        let village = self.village.trim();
        let input = HotSpotInput {
            place_name: self.place.trim().to_string(),
            commune: self.commune.clone(),
            village: (!village.is_empty()).then(|| village.to_string()),
            point,
            outside_vietnam_confirmed: self.outside_vietnam_confirmed,
            activities: self.activities.clone(),
            findings: self.findings.trim().to_string(),
            stages,
        };
        if let Err(found) = input.validate(units, today) {
            let unread: Vec<Field> = errs.iter().map(|e| e.field).collect();
            let spans_unread = errs.iter().any(|e| e.item.is_some());
            errs.extend(
                found
                    .into_iter()
                    .filter(|e| !(unread.contains(&e.field) || (spans_unread && e.item.is_some()))),
            );
        }
        if errs.is_empty() {
            Ok(input)
        } else {
            Err(errs)
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct EditProps {
    pub id: Option<Uuid>,
}

#[function_component]
pub fn HotSpotEdit(props: &EditProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let loaded = use_editing(props.id, api::get_hot_spot, HotSpotText::of);
    fetched(&ctx, &loaded, |initial| {
        let initial = initial
            .clone()
            .unwrap_or_else(|| HotSpotText::blank(ctx.default_commune()));
        html! { <HotSpotFormView id={props.id} initial={initial} /> }
    })
}

#[derive(Properties, PartialEq)]
struct FormProps {
    id: Option<Uuid>,
    initial: HotSpotText,
}

/// Edits one stage of the list.
fn span_setter<V: 'static>(
    form: &UseReducerHandle<draft::Form<HotSpotText>>,
    i: usize,
    apply: fn(&mut SpanText, V),
) -> Callback<V> {
    ui::item_setter(form, |f: &mut HotSpotText| &mut f.stages, i, apply)
}

#[function_component]
fn HotSpotFormView(props: &FormProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let key = match props.id {
        Some(id) => format!("hot_spot.{id}"),
        None => "hot_spot.new".into(),
    };
    let draft = use_draft(key, props.initial.clone());
    let form = draft.form.clone();
    let errors = use_state(Vec::<FieldError>::new);
    let locating = use_state(|| false);
    let l = ctx.lang;
    let id = props.id;
    let on_submit = submit_and_open(
        &ctx,
        &form,
        &errors,
        (&draft.reset, &props.initial),
        HotSpotText::check,
        move |input| async move { api::save_hot_spot(&input, id).await },
        (
            |row: &pcmt_model::api::HotSpotRow| Screen::HotSpot(row.id),
            "Đã lưu điểm, tụ điểm trên máy.",
            "Hot spot saved on this tablet.",
        ),
    );
    let locate = draft::locate(&ctx, &form, (), Some(locating.clone()));
    let add_span = {
        let form = form.clone();
        Callback::from(move |_: MouseEvent| {
            form.dispatch(FormAction::Edit(Box::new(move |f: &mut HotSpotText| {
                let next = next_stage(f.stages.last().map(|s| s.stage));
                f.stages.push(new_span(next));
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
        Some(id) => Screen::HotSpot(id),
        None => Screen::HotSpots,
    };
    let title = if props.id.is_some() {
        l.pick("Sửa điểm, tụ điểm", "Edit hot spot")
    } else {
        l.pick(
            "Ghi điểm, tụ điểm phức tạp về ma túy",
            "Record a drug hot spot",
        )
    };
    html! {
        <form class="hot-spot-form" onsubmit={on_submit} onfocusout={draft.flush.clone()} novalidate=true>
            { ui::heading(title, ui::nav_button("back", l.pick("← Quay lại", "← Back"), "secondary", ctx.go_to(back))) }
            { draft::restored_note(l, &form) }
            <section class="card">
                <h3>{ l.pick("Địa điểm", "Place") }</h3>
                { field(l, "place", Field::HotSpotPlace, None, errs, text_input("place", &f.place, Keys::Text,
                    l.pick("VD: Quán karaoke X, lán rẫy bờ suối thôn 3", "e.g. Karaoke bar X, hut by the stream"),
                    setter(&form, |f: &mut HotSpotText, v| f.place = v))) }
                <div class="grid">
                    { field(l, "commune", Field::Commune, None, errs, list_choice("commune", ctx.communes(), &f.commune, setter(&form, |f: &mut HotSpotText, v| { f.commune = v; f.village.clear(); }))) }
                    { field(l, "village", Field::Village, None, errs, list_choice("village", villages, &f.village, setter(&form, |f: &mut HotSpotText, v| f.village = v))) }
                    { field(l, "location", Field::Location, None, errs, html! {
                        <div class="with-action">
                            { text_input("location", &f.location, Keys::Decimal, l.pick("vĩ độ, kinh độ", "latitude, longitude"), setter(&form, |f: &mut HotSpotText, v| f.location = v)) }
                            <button type="button" id="locate" class="secondary" onclick={locate} disabled={*locating}>
                                { if *locating { l.pick("Đang lấy…", "Locating…") } else { l.pick("Lấy vị trí", "Use GPS") } }
                            </button>
                        </div>
                    }) }
                </div>
                { toggle("outside_vietnam_confirmed", Field::OutsideVietnamConfirmed.label(l), f.outside_vietnam_confirmed, setter(&form, |f: &mut HotSpotText, v| f.outside_vietnam_confirmed = v)) }
            </section>
            <section class="card">
                <h3>{ l.pick("Nội dung phát hiện", "What was found") }</h3>
                { field(l, "activities", Field::Activities, None, errs, chips("activities", l, &f.activities, setter(&form, |f: &mut HotSpotText, v| f.activities = v))) }
                { field(l, "findings", Field::Findings, None, errs, text_area("findings", &f.findings, setter(&form, |f: &mut HotSpotText, v| f.findings = v))) }
            </section>
            <section class="card">
                <h3>{ Field::HotSpotStages.label(l) }</h3>
                { for errs.iter().filter(|e| e.field == Field::HotSpotStages).map(|e| html! { <p class="field-error" id="stages-error">{ e.problem_text(l) }</p> }) }
                { for f.stages.iter().enumerate().map(|(i, s)| {
                    let id = |name: &str| format!("{name}-{i}");
                    let remove = ui::item_remover(&form, |f: &mut HotSpotText| &mut f.stages, i);
                    html! {
                        <fieldset class="span">
                            <legend>{ format!("{} {}", l.pick("Tình trạng", "Status"), i + 1) }</legend>
                            <div class="grid">
                                { field(l, &id("stage"), Field::HotSpotStage, Some(i), errs, choice(&id("stage"), l, s.stage, span_setter(&form, i, |s, v| s.stage = v))) }
                                { field(l, &id("stage_from"), Field::StatusFrom, Some(i), errs, date_input(&id("stage_from"), &s.from, span_setter(&form, i, |s, v| s.from = v))) }
                            </div>
                            { field(l, &id("stage_notes"), Field::Notes, Some(i), errs, text_area(&id("stage_notes"), &s.notes, span_setter(&form, i, |s, v| s.notes = v))) }
                            if f.stages.len() > 1 {
                                <button type="button" class="secondary" id={id("remove-stage")} onclick={remove}>{ l.pick("Bỏ dòng này", "Remove this line") }</button>
                            }
                        </fieldset>
                    }
                }) }
                <button type="button" id="add-stage" class="secondary" onclick={add_span}>{ l.pick("+ Thêm tình trạng", "+ Add a status") }</button>
            </section>
            { draft::saved_note(l, &form) }
            <button id="save" class="primary wide" type="submit">{ l.pick("Lưu điểm, tụ điểm", "Save hot spot") }</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_line_takes_the_stage_after_the_last() {
        assert_eq!(next_stage(None), HotSpotStage::Detected);
        assert_eq!(
            next_stage(Some(HotSpotStage::Detected)),
            HotSpotStage::BeingDealtWith
        );
        assert_eq!(
            next_stage(Some(HotSpotStage::BeingDealtWith)),
            HotSpotStage::Cleared
        );
        assert_eq!(
            next_stage(Some(HotSpotStage::Cleared)),
            HotSpotStage::Transformed
        );
    }
}
