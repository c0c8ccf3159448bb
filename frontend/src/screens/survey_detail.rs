//! One survey: where and when, what each site held and how it was dealt
//! with, photos of the sweep and of each site, conflicts and history.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::{fetched, use_fetch};
use crate::plot::BoundaryPlot;
use crate::screens::attachments::Attachments;
use crate::screens::record_panel::{Conflicts, History};
use crate::ui;
use pcmt_model::{Field, Labelled, SurveyInput};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: Uuid,
}

#[function_component]
pub fn SurveyDetail(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let survey = use_fetch((props.id, ctx.generation), |(id, _)| api::get_survey(id));
    let l = ctx.lang;
    let id = props.id;
    html! {
        <div class="detail">
            { ui::heading(l.pick("Đợt rà soát", "Survey"), html! {
                <div class="head-actions">
                    { ui::nav_button("back", l.pick("← Danh sách", "← List"), "secondary", ctx.go_to(Screen::Surveys)) }
                    { ui::nav_button("edit", l.pick("Sửa", "Edit"), "primary", ctx.go_to(Screen::SurveyEdit(Some(id)))) }
                </div>
            }) }
            <Conflicts id={id} />
            { fetched(&ctx, &survey, |s: &SurveyInput| view(&ctx, id, s)) }
            <History id={id} />
        </div>
    }
}

fn view(ctx: &Ctx, id: Uuid, s: &SurveyInput) -> Html {
    let l = ctx.lang;
    let fact = |f: Field, v: String| html! { <><dt>{ f.label(l) }</dt><dd data-field={f.code()}>{ v }</dd></> };
    html! {
        <>
            <section class="card">
                <dl class="facts" id="survey-facts">
                    { fact(Field::Date, ui::day(s.date)) }
                    { fact(Field::Commune, ctx.commune_name(&s.commune)) }
                    { fact(Field::Team, s.team.clone()) }
                    { fact(Field::SurveyKind, s.kind.label(l).into()) }
                    { fact(Field::Villages, if s.villages.is_empty() { "—".into() } else { s.villages.iter().map(|v| ctx.commune_name(v)).collect::<Vec<_>>().join(", ") }) }
                    { fact(Field::AreaCovered, s.area_covered_ha.map(|h| format!("{h} ha")).unwrap_or_else(|| "—".into())) }
                    { fact(Field::Notes, if s.notes.is_empty() { "—".into() } else { s.notes.clone() }) }
                </dl>
                if s.sites.is_empty() {
                    <p class="badge synced big" id="no-findings">{ l.pick("Không phát hiện cây có chứa chất ma túy", "No drug plants found") }</p>
                }
            </section>
            <Attachments record={id} name="survey" title={l.pick("Ảnh và tệp của đợt rà soát", "Photos and files of the sweep")} />
            { for s.sites.iter().enumerate().map(|(i, site)| html! {
                <section class="card site" id={format!("site-{i}")}>
                    <h3>{ format!("{} {}: {} {}", l.pick("Điểm", "Site"), i + 1, site.plant_count, site.species.label(l)) }</h3>
                    <dl class="facts">
                        { fact(Field::SitePoint, format!("{:.6}, {:.6}", site.point.lat, site.point.lon)) }
                        { fact(Field::SitePolygon, match (&site.polygon, site.area_m2()) {
                            (Some(p), Some(a)) => format!("{} {} · {}", p.len(), l.pick("điểm", "points"), ui::area(a)),
                            _ => "—".into(),
                        }) }
                        { fact(Field::GrowthStage, site.growth_stage.label(l).into()) }
                        { fact(Field::LandKind, site.land_kind.label(l).into()) }
                        { fact(Field::Grower, site.grower.clone().unwrap_or_else(|| "—".into())) }
                        { fact(Field::Action, format!("{} · {} · {}", site.action.kind.label(l), ui::day(site.action.date), site.action.by)) }
                        { fact(Field::SamplesTaken, if site.samples_taken { l.pick("Có", "Yes") } else { l.pick("Không", "No") }.into()) }
                    </dl>
                    if let Some(boundary) = &site.polygon {
                        <BoundaryPlot id={format!("plot-{i}")} boundary={boundary.clone()} point={site.point} lang={l} />
                    }
                    // A site's photos keep the site's recorded position.
                    <Attachments record={id} site={Some((site.id, site.point))} name={format!("site-{i}")}
                        title={format!("{} {} — {}", l.pick("Ảnh điểm", "Photos of site"), i + 1, l.pick("trước và sau khi nhổ phá", "before and after destruction"))} />
                </section>
            }) }
        </>
    }
}
