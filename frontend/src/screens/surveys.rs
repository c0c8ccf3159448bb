//! Eradication surveys (Rà soát cây có chứa chất ma túy): sweeps newest
//! first, those with no findings included (they prove coverage).

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::use_pages;
use crate::ui;
use pcmt_model::api::{ListFilter, SurveyRow};
use pcmt_model::{Labelled, Lang};
use yew::prelude::*;

/// What a survey found, in one line.
pub fn findings(l: Lang, s: &SurveyRow) -> String {
    if s.sites == 0 {
        return format!(
            "{} · {}",
            s.kind.label(l),
            l.pick("Không phát hiện", "No findings")
        );
    }
    match l {
        Lang::Vi => format!(
            "{} · {} điểm, {} cây, {}",
            s.kind.label(l),
            s.sites,
            s.plants,
            ui::area(s.area_m2)
        ),
        Lang::En => format!(
            "{} · {} sites, {} plants, {}",
            s.kind.label(l),
            s.sites,
            s.plants,
            ui::area(s.area_m2)
        ),
    }
}

#[function_component]
pub fn Surveys() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let pages = use_pages(
        &ctx,
        Some(ListFilter::default()),
        |f: ListFilter, offset, limit| async move { api::list_surveys(&f, offset, limit).await },
    );
    let l = ctx.lang;
    html! {
        <div class="surveys">
            { ui::heading(l.pick("Rà soát, phát hiện, triệt phá cây có chứa chất ma túy", "Drug-plant surveys"),
                ui::nav_button("new-survey", l.pick("+ Đợt rà soát mới", "+ New survey"), "primary", ctx.go_to(Screen::SurveyEdit(None)))) }
            <section class="card">
                <h3 id="survey-count">{ pages.count(l, "đợt rà soát", "surveys") }</h3>
                if pages.rows.is_empty() {
                    <p class="empty">{ l.pick("Chưa có đợt rà soát nào.", "No surveys yet.") }</p>
                }
                <ul id="survey-list" class="rows">
                    { for pages.rows.iter().map(|s| html! {
                        <li class="survey" data-id={s.id.to_string()}>
                            <button type="button" class="row-button" onclick={ctx.go_to(Screen::Survey(s.id))}>
                                <span class="when">{ ui::day(s.date) }</span>
                                <span class="what">
                                    <strong>{ ctx.commune_name(&s.commune) }</strong>
                                    <span class="meta">{ findings(l, s) }</span>
                                    <span class="badges">{ ui::sync_badge(l, s.unsynced, false) }</span>
                                </span>
                            </button>
                        </li>
                    }) }
                </ul>
                { pages.more_button(l) }
            </section>
        </div>
    }
}
