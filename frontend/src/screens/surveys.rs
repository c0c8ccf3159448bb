//! Eradication surveys (Rà soát cây có chứa chất ma túy): sweeps newest
//! first, those with no findings included (they prove coverage).

use crate::api;
use crate::app::{Ctx, Screen};
use crate::ui;
use pcmt_model::api::{ListFilter, SurveyRow};
use pcmt_model::{Labelled, Lang};
use yew::prelude::*;

use super::sessions::PAGE;

/// What a survey found, in one line.
pub fn findings(l: Lang, s: &SurveyRow) -> String {
    if s.sites == 0 {
        return format!("{} · {}", s.kind.label(l), l.pick("Không phát hiện", "No findings"));
    }
    match l {
        Lang::Vi => format!("{} · {} điểm, {} cây, {}", s.kind.label(l), s.sites, s.plants, ui::area(s.area_m2)),
        Lang::En => format!("{} · {} sites, {} plants, {}", s.kind.label(l), s.sites, s.plants, ui::area(s.area_m2)),
    }
}

#[function_component]
pub fn Surveys() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let rows = use_state(Vec::<SurveyRow>::new);
    let more = use_state(|| false);
    let l = ctx.lang;
    let load = {
        let (rows, more, ctx) = (rows.clone(), more.clone(), ctx.clone());
        move |offset: u32, current: Vec<SurveyRow>| {
            let (rows, more, ctx) = (rows.clone(), more.clone(), ctx.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::list_surveys(&ListFilter::default(), offset, PAGE).await {
                    Ok(page) => {
                        more.set(page.len() as u32 == PAGE);
                        let mut all = current;
                        all.extend(page);
                        rows.set(all);
                    }
                    Err(e) => ctx.fail(&e),
                }
            });
        }
    };
    {
        let load = load.clone();
        use_effect_with(ctx.generation, move |_| load(0, Vec::new()));
    }
    let load_more = {
        let (load, rows) = (load.clone(), rows.clone());
        Callback::from(move |_: MouseEvent| load(rows.len() as u32, (*rows).clone()))
    };
    html! {
        <div class="surveys">
            { ui::heading(l.pick("Rà soát, phát hiện, triệt phá cây có chứa chất ma túy", "Drug-plant surveys"),
                ui::nav_button("new-survey", l.pick("+ Đợt rà soát mới", "+ New survey"), "primary", ctx.go_to(Screen::SurveyEdit(None)))) }
            <section class="card">
                <h3 id="survey-count">{ match l {
                    Lang::Vi => format!("{} đợt rà soát", rows.len()),
                    Lang::En => format!("{} surveys", rows.len()),
                } }</h3>
                if rows.is_empty() {
                    <p class="empty">{ l.pick("Chưa có đợt rà soát nào.", "No surveys yet.") }</p>
                }
                <ul id="survey-list" class="rows">
                    { for rows.iter().map(|s| html! {
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
                if *more {
                    <button type="button" id="more" class="secondary wide" onclick={load_more}>{ l.pick("Xem thêm", "Show more") }</button>
                }
            </section>
        </div>
    }
}
