//! Recording or editing a survey (Ghi đợt rà soát) and the sites it found.
//! A site's point comes from the GPS or is typed; its boundary is walked
//! (each position fix adds a point as the officer walks) or typed, and its
//! area is shown as it grows. A sweep with no sites is saved as "no findings".

use crate::api;
use crate::app::{Ctx, Notice, Screen};
use crate::draft::{self, use_draft, Form, FormAction, FormText};
use crate::load::{fetched, submit, use_editing};
use crate::location::Watch;
use crate::plot::BoundaryPlot;
use crate::ui::{
    self, choice, date_input, field, free_chips, list_choice, setter, text_area, text_input,
    toggle, Keys,
};
use pcmt_model::validation::{
    parse_count, parse_date, parse_optional_decimal, parse_point, parse_point_as_shown, point_text,
};
use pcmt_model::{
    polygon_area_m2, ActionKind, Field, FieldError, GeoPoint, GrowthStage, Labelled, LandKind,
    PlantSpecies, SiteAction, SiteInput, SurveyInput, SurveyKind,
};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

/// Fixes closer than this to the last point are GPS jitter, not walking.
const MIN_STEP_M: f64 = 2.0;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
struct SiteText {
    /// The stored site's id, so an edit merges with other tablets' edits
    /// of other sites; nil for a new site (the core gives it one).
    #[serde(default)]
    id: Uuid,
    point: String,
    /// One "lat, lon" per line, in walking order.
    polygon: String,
    outside_vietnam_confirmed: bool,
    species: PlantSpecies,
    plant_count: String,
    growth_stage: GrowthStage,
    land_kind: LandKind,
    grower: String,
    action_kind: ActionKind,
    action_date: String,
    action_by: String,
    samples_taken: bool,
    /// Kept from the stored site: which earlier site this re-plants.
    replanting_of: Option<Uuid>,
    /// The stored site's point and boundary as they are: each saved back
    /// as it was while its line reads as shown (`parse_point_as_shown`).
    #[serde(default)]
    stored_point: Option<GeoPoint>,
    #[serde(default)]
    stored_polygon: Vec<GeoPoint>,
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyText {
    date: String,
    team: String,
    commune: String,
    villages: Vec<String>,
    kind: SurveyKind,
    area_covered_ha: String,
    notes: String,
    sites: Vec<SiteText>,
}

/// A fix for a site's point lands there and nowhere else; a site removed
/// meanwhile takes it with it.
impl FormText for SurveyText {
    type Spot = usize;
    fn place(&mut self, site: usize, at: GeoPoint) {
        if let Some(s) = self.sites.get_mut(site) {
            s.point = point_line(at);
        }
    }
}

fn point_line(p: GeoPoint) -> String {
    point_text(p)
}

/// The boundary points typed or walked so far; unreadable lines are skipped
/// for the running area and reported on save.
fn boundary(text: &str) -> Vec<GeoPoint> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| parse_point(Field::SitePolygon, l).ok())
        .collect()
}

/// Metres between two nearby fixes (equirectangular: exact enough for steps).
fn step_m(a: GeoPoint, b: GeoPoint) -> f64 {
    let r = 6_371_000.0_f64;
    let lat = ((a.lat + b.lat) / 2.0).to_radians();
    let dx = (b.lon - a.lon).to_radians() * lat.cos() * r;
    let dy = (b.lat - a.lat).to_radians() * r;
    (dx * dx + dy * dy).sqrt()
}

/// A site's error carries the site's place in the list.
fn at<T>(i: usize, r: Result<T, FieldError>) -> Result<T, FieldError> {
    r.map_err(|e| FieldError { item: Some(i), ..e })
}

impl SiteText {
    fn blank(officer: &str, date: &str) -> Self {
        Self {
            id: Uuid::nil(),
            point: String::new(),
            polygon: String::new(),
            outside_vietnam_confirmed: false,
            species: PlantSpecies::OpiumPoppy,
            plant_count: String::new(),
            growth_stage: GrowthStage::Growing,
            land_kind: LandKind::MaizeField,
            grower: String::new(),
            action_kind: ActionKind::Uprooted,
            action_date: date.to_string(),
            action_by: officer.to_string(),
            samples_taken: false,
            replanting_of: None,
            stored_point: None,
            stored_polygon: Vec::new(),
        }
    }

    fn of(s: &SiteInput) -> Self {
        Self {
            id: s.id,
            point: point_line(s.point),
            polygon: s
                .polygon
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|p| point_line(*p))
                .collect::<Vec<_>>()
                .join("\n"),
            outside_vietnam_confirmed: s.outside_vietnam_confirmed,
            species: s.species,
            plant_count: s.plant_count.to_string(),
            growth_stage: s.growth_stage,
            land_kind: s.land_kind,
            grower: s.grower.clone().unwrap_or_default(),
            action_kind: s.action.kind,
            action_date: ui::day(s.action.date),
            action_by: s.action.by.clone(),
            samples_taken: s.samples_taken,
            replanting_of: s.replanting_of,
            stored_point: Some(s.point),
            stored_polygon: s.polygon.clone().unwrap_or_default(),
        }
    }

    fn parse(&self, i: usize, errs: &mut Vec<FieldError>) -> Option<SiteInput> {
        let point = ui::parsed(
            errs,
            at(
                i,
                parse_point_as_shown(Field::SitePoint, &self.point, self.stored_point),
            ),
        );
        let plant_count = ui::parsed(
            errs,
            at(i, parse_count(Field::PlantCount, &self.plant_count)),
        );
        let action_date = ui::parsed(
            errs,
            at(i, parse_date(Field::ActionDate, &self.action_date)),
        );
        let lines: Vec<&str> = self
            .polygon
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let mut polygon = Vec::new();
        for (k, line) in lines.iter().enumerate() {
            let stored = self.stored_polygon.get(k).copied();
            polygon.extend(ui::parsed(
                errs,
                at(i, parse_point_as_shown(Field::SitePolygon, line, stored)),
            ));
        }
        let grower = self.grower.trim();
        Some(SiteInput {
            id: self.id,
            point: point?,
            // Unreadable lines were reported above, so the save stops there.
            polygon: (!lines.is_empty()).then_some(polygon),
            outside_vietnam_confirmed: self.outside_vietnam_confirmed,
            species: self.species,
            plant_count: plant_count?,
            growth_stage: self.growth_stage,
            land_kind: self.land_kind,
            grower: (!grower.is_empty()).then(|| grower.to_string()),
            action: SiteAction {
                kind: self.action_kind,
                date: action_date?,
                by: self.action_by.trim().to_string(),
            },
            samples_taken: self.samples_taken,
            replanting_of: self.replanting_of,
        })
    }
}

impl SurveyText {
    fn blank(commune: String, team: String) -> Self {
        Self {
            date: ui::day(api::today()),
            team,
            commune,
            villages: Vec::new(),
            kind: SurveyKind::RoutineSweep,
            area_covered_ha: String::new(),
            notes: String::new(),
            sites: Vec::new(),
        }
    }

    fn of(s: &SurveyInput) -> Self {
        Self {
            date: ui::day(s.date),
            team: s.team.clone(),
            commune: s.commune.clone(),
            villages: s.villages.clone(),
            kind: s.kind,
            area_covered_ha: s.area_covered_ha.map(|h| h.to_string()).unwrap_or_default(),
            notes: s.notes.clone(),
            sites: s.sites.iter().map(SiteText::of).collect(),
        }
    }

    fn parse(&self) -> Result<SurveyInput, Vec<FieldError>> {
        let mut errs = Vec::new();
        let date = parse_date(Field::Date, &self.date)
            .map_err(|e| errs.push(e))
            .ok();
        let area = parse_optional_decimal(Field::AreaCovered, &self.area_covered_ha)
            .map_err(|e| errs.push(e))
            .ok();
        let sites: Vec<_> = self
            .sites
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.parse(i, &mut errs))
            .collect();
        match (date, area) {
            (Some(date), Some(area_covered_ha)) if errs.is_empty() => Ok(SurveyInput {
                date,
                team: self.team.trim().to_string(),
                commune: self.commune.clone(),
                villages: self.villages.clone(),
                kind: self.kind,
                area_covered_ha,
                notes: self.notes.trim().to_string(),
                sites,
            }),
            _ => Err(errs),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct EditProps {
    pub id: Option<Uuid>,
}

#[function_component]
pub fn SurveyEdit(props: &EditProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let loaded = use_editing(props.id, api::get_survey, SurveyText::of);
    fetched(&ctx, &loaded, |initial| {
        let initial = initial.clone().unwrap_or_else(|| {
            SurveyText::blank(ctx.default_commune(), ctx.info.settings.unit.clone())
        });
        html! { <SurveyFormView id={props.id} initial={initial} /> }
    })
}

#[derive(Properties, PartialEq)]
struct FormProps {
    id: Option<Uuid>,
    initial: SurveyText,
}

/// The boundary being walked: which site, the live GPS watch, and the
/// points it added (kept outside the form state, which GPS callbacks
/// cannot see the latest of).
#[derive(Default)]
struct Walk {
    site: Option<usize>,
    watch: Option<Watch>,
    points: Vec<GeoPoint>,
    no_gps: bool,
}

fn site_setter<V: 'static>(
    form: &UseReducerHandle<Form<SurveyText>>,
    i: usize,
    apply: fn(&mut SiteText, V),
) -> Callback<V> {
    ui::item_setter(form, |f: &mut SurveyText| &mut f.sites, i, apply)
}

/// Ends the walk under way, if any (the GPS stops): which site, and the
/// points it added.
fn end_walk(walk: &Rc<RefCell<Walk>>) -> Option<(usize, Vec<GeoPoint>)> {
    let mut w = walk.borrow_mut();
    w.watch = None;
    let points = std::mem::take(&mut w.points);
    w.site.take().map(|site| (site, points))
}

/// Writes the walked points into the site's boundary text (and its point,
/// if none was given).
fn add_walked(f: &mut SurveyText, site: usize, points: &[GeoPoint]) {
    if let Some(site) = f.sites.get_mut(site) {
        let mut lines: Vec<String> = site
            .polygon
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        lines.extend(points.iter().map(|p| point_line(*p)));
        site.polygon = lines.join("\n");
        if site.point.trim().is_empty() {
            if let Some(first) = points.first() {
                site.point = point_line(*first);
            }
        }
    }
}

/// Ends the walk and hands its points to the form; returns the form as it
/// is with them, for a save that reads it at once.
fn finish_walk(walk: &Rc<RefCell<Walk>>, form: &UseReducerHandle<Form<SurveyText>>) -> SurveyText {
    let mut current = form.text.clone();
    if let Some((site, points)) = end_walk(walk) {
        add_walked(&mut current, site, &points);
        form.dispatch(FormAction::Edit(Box::new(move |f: &mut SurveyText| {
            add_walked(f, site, &points)
        })));
    }
    current
}

#[function_component]
fn SurveyFormView(props: &FormProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let key = match props.id {
        Some(id) => format!("survey.{id}"),
        None => "survey.new".into(),
    };
    let draft = use_draft(key, props.initial.clone());
    let form = draft.form.clone();
    let errors = use_state(Vec::<FieldError>::new);
    let walk: Rc<RefCell<Walk>> = use_mut_ref(Walk::default);
    let redraw = use_force_update();
    let l = ctx.lang;

    let on_submit = {
        let (ctx, form, errors, reset, id, initial, walk) = (
            ctx.clone(),
            form.clone(),
            errors.clone(),
            draft.reset.clone(),
            props.id,
            props.initial.clone(),
            walk.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let current = finish_walk(&walk, &form);
            let parsed = current
                .parse()
                .and_then(|i| i.validate(&ctx.units, api::today()).map(|_| i));
            let (ctx2, reset, initial) = (ctx.clone(), reset.clone(), initial.clone());
            submit(
                &ctx,
                parsed,
                &errors,
                move |input| async move { api::save_survey(&input, id).await },
                move |row: pcmt_model::api::SurveyRow| {
                    reset.emit(initial);
                    ctx2.go_and_tell(
                        Screen::Survey(row.id),
                        Notice::Ok(
                            if row.sites == 0 {
                                ctx2.t(
                                    "Đã lưu đợt rà soát (không phát hiện) trên máy.",
                                    "Survey saved on this tablet (no findings).",
                                )
                            } else {
                                ctx2.t(
                                    "Đã lưu đợt rà soát trên máy.",
                                    "Survey saved on this tablet.",
                                )
                            }
                            .into(),
                        ),
                    );
                },
            );
        })
    };
    let add_site = {
        let (form, officer) = (form.clone(), ctx.info.settings.officer.clone());
        Callback::from(move |_: MouseEvent| {
            let officer = officer.clone();
            form.dispatch(FormAction::Edit(Box::new(move |f: &mut SurveyText| {
                let date = f.date.clone();
                f.sites.push(SiteText::blank(&officer, &date));
            })));
        })
    };

    let f = &form.text;
    let live = ui::live_errors(&errors, || {
        f.parse()
            .and_then(|i| i.validate(&ctx.units, api::today()).map(|_| i))
    });
    let errs = &live;
    let villages: Vec<(String, String)> = ctx
        .units
        .villages_of(&f.commune)
        .map(|v| (v.code.clone(), v.name.clone()))
        .collect();
    let back = match props.id {
        Some(id) => Screen::Survey(id),
        None => Screen::Surveys,
    };
    let walking = walk.borrow().site;
    let site_view = |i: usize, s: &SiteText| -> Html {
        let id = |name: &str| format!("{name}-{i}");
        let mut points = boundary(&s.polygon);
        if walking == Some(i) {
            points.extend(walk.borrow().points.iter().copied());
        }
        let area = polygon_area_m2(&points);
        let start_walk = {
            let (walk, redraw, ctx) = (walk.clone(), redraw.clone(), ctx.clone());
            Callback::from(move |_: MouseEvent| {
                let (w2, r2) = (walk.clone(), redraw.clone());
                let (w3, r3, ctx3) = (walk.clone(), redraw.clone(), ctx.clone());
                let watch = Watch::start(
                    Callback::from(move |p: GeoPoint| {
                        let mut w = w2.borrow_mut();
                        if w.points
                            .last()
                            .is_none_or(|last| step_m(*last, p) >= MIN_STEP_M)
                        {
                            w.points.push(p);
                        }
                        drop(w);
                        r2.force_update();
                    }),
                    Callback::from(move |_| {
                        w3.borrow_mut().no_gps = true;
                        ctx3.notify.emit(Notice::Failed(ctx3.t(
                            "Không có tín hiệu GPS. Có thể nhập các điểm ranh giới bằng tay (mỗi dòng: vĩ độ, kinh độ).",
                            "No GPS signal. You can type the boundary points (one per line: latitude, longitude).").into()));
                        r3.force_update();
                    }),
                );
                let mut w = walk.borrow_mut();
                w.site = Some(i);
                w.points.clear();
                w.no_gps = false;
                w.watch = Some(watch);
                drop(w);
                redraw.force_update();
            })
        };
        let stop_walk = {
            let (walk, form) = (walk.clone(), form.clone());
            Callback::from(move |_: MouseEvent| {
                finish_walk(&walk, &form);
            })
        };
        let locate = draft::locate(&ctx, &form, i, None);
        let remove = {
            let (form, walk) = (form.clone(), walk.clone());
            Callback::from(move |_: MouseEvent| {
                if walk.borrow().site == Some(i) {
                    end_walk(&walk);
                }
                form.dispatch(FormAction::Edit(Box::new(move |f: &mut SurveyText| {
                    if i < f.sites.len() {
                        f.sites.remove(i);
                    }
                })));
            })
        };
        html! {
            <section class="card site" id={id("site")}>
                <h3>{ format!("{} {}", l.pick("Điểm phát hiện", "Site found"), i + 1) }</h3>
                <div class="grid">
                    { field(l, &id("site_point"), Field::SitePoint, Some(i), errs, html! {
                        <div class="with-action">
                            { text_input(&id("site_point"), &s.point, Keys::Decimal, l.pick("vĩ độ, kinh độ", "latitude, longitude"), site_setter(&form, i, |s, v| s.point = v)) }
                            <button type="button" id={id("locate")} class="secondary" onclick={locate}>{ l.pick("Lấy vị trí", "Use GPS") }</button>
                        </div>
                    }) }
                    { field(l, &id("species"), Field::Species, Some(i), errs, choice(&id("species"), l, s.species, site_setter(&form, i, |s, v| s.species = v))) }
                    { field(l, &id("plant_count"), Field::PlantCount, Some(i), errs, text_input(&id("plant_count"), &s.plant_count, Keys::Numeric, "0", site_setter(&form, i, |s, v| s.plant_count = v))) }
                    { field(l, &id("growth_stage"), Field::GrowthStage, Some(i), errs, choice(&id("growth_stage"), l, s.growth_stage, site_setter(&form, i, |s, v| s.growth_stage = v))) }
                    { field(l, &id("land_kind"), Field::LandKind, Some(i), errs, choice(&id("land_kind"), l, s.land_kind, site_setter(&form, i, |s, v| s.land_kind = v))) }
                    { field(l, &id("grower"), Field::Grower, Some(i), errs, text_input(&id("grower"), &s.grower, Keys::Text, l.pick("Nếu xác định được", "If known"), site_setter(&form, i, |s, v| s.grower = v))) }
                    { field(l, &id("action"), Field::Action, Some(i), errs, choice(&id("action"), l, s.action_kind, site_setter(&form, i, |s, v| s.action_kind = v))) }
                    { field(l, &id("action_date"), Field::ActionDate, Some(i), errs, date_input(&id("action_date"), &s.action_date, site_setter(&form, i, |s, v| s.action_date = v))) }
                    { field(l, &id("action_by"), Field::ActionBy, Some(i), errs, text_input(&id("action_by"), &s.action_by, Keys::Text, "", site_setter(&form, i, |s, v| s.action_by = v))) }
                </div>
                { toggle(&id("samples_taken"), Field::SamplesTaken.label(l), s.samples_taken, site_setter(&form, i, |s, v| s.samples_taken = v)) }
                { toggle(&id("outside_vietnam_confirmed"), Field::OutsideVietnamConfirmed.label(l), s.outside_vietnam_confirmed, site_setter(&form, i, |s, v| s.outside_vietnam_confirmed = v)) }
                <div class="boundary">
                    <div class="boundary-head">
                        <strong>{ Field::SitePolygon.label(l) }</strong>
                        <span class="area" id={id("site-area")}>{ format!("{} {} · {}", points.len(), l.pick("điểm", "points"), ui::area(area)) }</span>
                        if walking == Some(i) {
                            <button type="button" id={id("walk-stop")} class="primary" onclick={stop_walk}>{ l.pick("■ Dừng đi ranh giới", "■ Stop walking") }</button>
                        } else {
                            <button type="button" id={id("walk-start")} class="secondary" onclick={start_walk} disabled={walking.is_some()}>{ l.pick("▶ Bắt đầu đi ranh giới", "▶ Walk the boundary") }</button>
                        }
                    </div>
                    <BoundaryPlot id={id("plot")} boundary={points.clone()} point={parse_point(Field::SitePoint, &s.point).ok()} walking={walking == Some(i)} lang={l} />
                    if walking == Some(i) {
                        <p class="notice progress" id={id("walking")}>{ l.pick("Đang ghi vị trí khi di chuyển quanh khu trồng… Đi hết một vòng rồi bấm Dừng.", "Recording positions as you walk around the plot… Walk all the way round, then press Stop.") }</p>
                    }
                    { field(l, &id("site_polygon"), Field::SitePolygon, Some(i), errs, text_area(&id("site_polygon"), &s.polygon, site_setter(&form, i, |s, v| s.polygon = v))) }
                </div>
                <button type="button" class="secondary" id={id("remove-site")} onclick={remove}>{ l.pick("Bỏ điểm này", "Remove this site") }</button>
            </section>
        }
    };

    html! {
        <form class="survey-form" onsubmit={on_submit} onfocusout={draft.flush.clone()} novalidate=true>
            { ui::heading(if props.id.is_some() { l.pick("Sửa đợt rà soát", "Edit survey") } else { l.pick("Ghi đợt rà soát", "Record a survey") },
                ui::nav_button("back", l.pick("← Quay lại", "← Back"), "secondary", ctx.go_to(back))) }
            { draft::restored_note(l, &form) }
            <section class="card">
                <div class="grid">
                    { field(l, "date", Field::Date, None, errs, date_input("date", &f.date, setter(&form, |f: &mut SurveyText, v| f.date = v))) }
                    { field(l, "commune", Field::Commune, None, errs, list_choice("commune", ctx.communes(), &f.commune, setter(&form, |f: &mut SurveyText, v| { f.commune = v; f.villages.clear(); }))) }
                    { field(l, "team", Field::Team, None, errs, text_input("team", &f.team, Keys::Text, l.pick("VD: Tổ công tác Công an xã", "e.g. commune police team"), setter(&form, |f: &mut SurveyText, v| f.team = v))) }
                    { field(l, "survey_kind", Field::SurveyKind, None, errs, choice("survey_kind", l, f.kind, setter(&form, |f: &mut SurveyText, v| f.kind = v))) }
                    { field(l, "area_covered_ha", Field::AreaCovered, None, errs, text_input("area_covered_ha", &f.area_covered_ha, Keys::Decimal, "0", setter(&form, |f: &mut SurveyText, v| f.area_covered_ha = v))) }
                </div>
                { field(l, "villages", Field::Villages, None, errs, free_chips("villages", villages, &f.villages, setter(&form, |f: &mut SurveyText, v| f.villages = v))) }
                { field(l, "notes", Field::Notes, None, errs, text_area("notes", &f.notes, setter(&form, |f: &mut SurveyText, v| f.notes = v))) }
            </section>
            { for f.sites.iter().enumerate().map(|(i, s)| site_view(i, s)) }
            { draft::saved_note(l, &form) }
            <div class="form-actions">
                <button type="button" id="add-site" class="secondary wide" onclick={add_site}>{ l.pick("+ Thêm điểm phát hiện", "+ Add a site found") }</button>
                <button id="save" class="primary wide" type="submit">{
                    if f.sites.is_empty() { l.pick("Lưu: không phát hiện", "Save: no findings") } else { l.pick("Lưu đợt rà soát", "Save survey") }
                }</button>
            </div>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_sites(n: usize) -> Rc<Form<SurveyText>> {
        let site = |k: usize| SiteText {
            grower: format!("Hộ {k}"),
            ..SiteText::blank("A Lưu", "26/11/2026")
        };
        Rc::new(Form::new(SurveyText {
            date: "26/11/2026".into(),
            team: "Tổ công tác".into(),
            commune: "62-610-23284".into(),
            villages: Vec::new(),
            kind: SurveyKind::RoutineSweep,
            area_covered_ha: String::new(),
            notes: String::new(),
            sites: (0..n).map(site).collect(),
        }))
    }

    const HERE: GeoPoint = GeoPoint {
        lat: 15.0601,
        lon: 107.7402,
    };

    #[test]
    fn a_fix_lands_in_its_site_only_and_keeps_what_was_typed_meanwhile() {
        let form = with_sites(2)
            .reduce(FormAction::Edit(Box::new(|f: &mut SurveyText| {
                f.sites[1].plant_count = "1200".into()
            })))
            .reduce(FormAction::Located(1, HERE));
        assert_eq!(form.text.sites[1].point, "15.060100, 107.740200");
        assert_eq!(form.text.sites[1].plant_count, "1200");
        assert_eq!(form.text.sites[0].point, "");
    }

    #[test]
    fn a_stored_site_read_into_the_form_and_saved_untouched_is_the_same_site() {
        // Stored with more decimals than the form shows (another tablet's
        // GPS, an import): an officer who only opens and saves the survey
        // must not rewrite it, which would be a change, and could be a
        // conflict, they never made.
        let precise = |lat: f64, lon: f64| GeoPoint { lat, lon };
        let stored = SiteInput {
            id: Uuid::from_u128(7),
            point: precise(15.060_123_456_7, 107.740_234_567_8),
            polygon: Some(vec![
                precise(15.060_000_123, 107.740_000_456),
                precise(15.060_300_789, 107.740_100_012),
                precise(15.060_200_345, 107.740_400_678),
            ]),
            ..SiteText {
                point: "15.0601, 107.7402".into(),
                plant_count: "120".into(),
                ..SiteText::blank("A Lưu", "26/11/2026")
            }
            .parse(0, &mut Vec::new())
            .expect("a complete site")
        };
        let mut errs = Vec::new();
        let saved = SiteText::of(&stored).parse(0, &mut errs);
        assert!(errs.is_empty());
        assert_eq!(saved.as_ref(), Some(&stored));
        // A point the officer changes is taken as typed.
        let mut text = SiteText::of(&stored);
        text.point = "15.061000, 107.741000".into();
        let moved = text.parse(0, &mut errs).unwrap();
        assert_eq!(moved.point, precise(15.061, 107.741));
        assert_eq!(moved.polygon, stored.polygon, "the boundary untouched");
    }

    #[test]
    fn a_fix_for_a_site_removed_meanwhile_changes_nothing() {
        let form = with_sites(1).reduce(FormAction::Edit(Box::new(|f: &mut SurveyText| {
            f.sites.remove(0);
        })));
        let located = form.clone().reduce(FormAction::Located(0, HERE));
        assert!(located.text == form.text, "nothing to place the fix in");
    }

    #[test]
    fn a_walk_adds_its_points_after_those_typed_and_gives_an_empty_point_the_first() {
        let mut f = with_sites(1).text.clone();
        f.sites[0].polygon = "15.000000, 107.000000\n".into();
        add_walked(
            &mut f,
            0,
            &[
                HERE,
                GeoPoint {
                    lat: 15.0602,
                    lon: 107.7403,
                },
            ],
        );
        assert_eq!(
            f.sites[0].polygon,
            "15.000000, 107.000000\n15.060100, 107.740200\n15.060200, 107.740300"
        );
        assert_eq!(f.sites[0].point, "15.060100, 107.740200");
    }
}
