//! Drug hot spots (Điểm, tụ điểm phức tạp về ma túy): those still active
//! first, then newest detected, each with the stage in force.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::use_pages;
use crate::ui;
use pcmt_model::api::{HotSpotRow, ListFilter};
use pcmt_model::{HotSpotStage, Labelled, Lang};
use yew::prelude::*;

/// A stage as a badge: still active stands out, cleared or transformed
/// reads as done.
pub fn stage_badge(l: Lang, stage: HotSpotStage) -> Html {
    let class = match stage {
        HotSpotStage::Detected => "overdue",
        HotSpotStage::BeingDealtWith => "due-soon",
        HotSpotStage::Cleared | HotSpotStage::Transformed => "met",
    };
    html! { <span class={classes!("badge", "stage", class)} data-stage={stage.code()}>{ stage.label(l) }</span> }
}

/// One spot as lists show it (here and on Today): detected on, place,
/// commune and activities, the stage in force and the sync state.
pub fn row(ctx: &Ctx, h: &HotSpotRow) -> Html {
    let l = ctx.lang;
    html! {
        <li class="hot-spot" data-id={h.id.to_string()}>
            <button type="button" class="row-button" onclick={ctx.go_to(Screen::HotSpot(h.id))}>
                <span class="when">{ ui::day(h.detected_on) }</span>
                <span class="what">
                    <strong>{ h.place.clone() }</strong>
                    <span class="meta">{ format!("{} · {}", ctx.commune_name(&h.commune),
                        h.activities.iter().map(|a| a.label(l)).collect::<Vec<_>>().join(", ")) }</span>
                    <span class="badges">
                        { stage_badge(l, h.stage) }
                        { ui::sync_badge(l, h.unsynced, h.conflicted) }
                    </span>
                </span>
            </button>
        </li>
    }
}

#[function_component]
pub fn HotSpots() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let pages = use_pages(
        &ctx,
        Some(ListFilter::default()),
        |f: ListFilter, offset, limit| async move { api::list_hot_spots(&f, offset, limit).await },
    );
    let l = ctx.lang;
    html! {
        <div class="hot-spots">
            { ui::heading(l.pick("Điểm, tụ điểm phức tạp về ma túy", "Drug hot spots"),
                ui::nav_button("new-hot-spot", l.pick("+ Ghi điểm mới", "+ New hot spot"), "primary", ctx.go_to(Screen::HotSpotEdit(None)))) }
            <section class="card">
                <h3 id="hot-spot-count">{ pages.count(l, "điểm, tụ điểm", "hot spots") }</h3>
                if pages.rows.is_empty() {
                    <p class="empty">{ l.pick("Chưa ghi điểm, tụ điểm nào.", "No hot spots recorded yet.") }</p>
                }
                <ul id="hot-spot-list" class="rows">
                    { for pages.rows.iter().map(|h| row(&ctx, h)) }
                </ul>
                { pages.more_button(l) }
            </section>
        </div>
    }
}
