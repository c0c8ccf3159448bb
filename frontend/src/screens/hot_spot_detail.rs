//! One hot spot: where, what was found, its status history, conflicts and
//! history of changes, and Edit (where a new stage is added).

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::{fetched, use_fetch};
use crate::screens::hot_spots::stage_badge;
use crate::screens::record_panel::{Conflicts, History};
use crate::ui;
use pcmt_model::{Field, HotSpotInput, Labelled};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: Uuid,
}

#[function_component]
pub fn HotSpotDetail(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let spot = use_fetch((props.id, ctx.generation), |(id, _)| api::get_hot_spot(id));
    let l = ctx.lang;
    let id = props.id;
    html! {
        <div class="detail">
            { ui::heading(l.pick("Điểm, tụ điểm phức tạp về ma túy", "Drug hot spot"), html! {
                <div class="head-actions">
                    { ui::nav_button("back", l.pick("← Danh sách", "← List"), "secondary", ctx.go_to(Screen::HotSpots)) }
                    { ui::nav_button("edit", l.pick("Sửa, thêm tình trạng", "Edit, add a status"), "primary", ctx.go_to(Screen::HotSpotEdit(Some(id)))) }
                </div>
            }) }
            <Conflicts id={id} />
            { fetched(&ctx, &spot, |h: &HotSpotInput| view(&ctx, h)) }
            <History id={id} />
        </div>
    }
}

fn view(ctx: &Ctx, h: &HotSpotInput) -> Html {
    let l = ctx.lang;
    let fact = |f: Field, v: String| html! { <><dt>{ f.label(l) }</dt><dd data-field={f.code()}>{ v }</dd></> };
    let or_dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    // Oldest first, as the plans' reports tell a spot's story; a merge of
    // two tablets' stages may have listed them otherwise.
    let mut spans: Vec<_> = h.stages.iter().collect();
    spans.sort_by_key(|s| s.from);
    html! {
        <>
            <section class="card">
                <h3 id="hot-spot-place">{ h.place_name.clone() }</h3>
                if let Some(stage) = h.current_stage() {
                    <p id="hot-spot-stage">{ stage_badge(l, stage) }</p>
                }
                <dl class="facts" id="hot-spot-facts">
                    { fact(Field::Commune, ctx.commune_name(&h.commune)) }
                    { fact(Field::Village, h.village.as_deref().map(|v| ctx.commune_name(v)).unwrap_or_else(|| "—".into())) }
                    { fact(Field::Location, h.point.map(|p| ui::point_text(Some(p))).unwrap_or_else(|| "—".into())) }
                    { fact(Field::Activities, h.activities.iter().map(|a| a.label(l)).collect::<Vec<_>>().join(", ")) }
                    { fact(Field::Findings, or_dash(&h.findings)) }
                </dl>
            </section>
            <section class="card">
                <h3>{ Field::HotSpotStages.label(l) }</h3>
                <ol class="stages" id="hot-spot-stages">
                    { for spans.iter().map(|s| html! {
                        <li class="stage" data-stage={s.stage.code()}>
                            <span class="when">{ ui::day(s.from) }</span>
                            <strong>{ s.stage.label(l) }</strong>
                            if !s.notes.trim().is_empty() {
                                <span class="meta">{ format!(" — {}", s.notes) }</span>
                            }
                        </li>
                    }) }
                </ol>
            </section>
        </>
    }
}
