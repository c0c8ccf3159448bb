//! Today (Hôm nay): who is due or overdue for a visit, the latest sessions
//! and surveys, the drug hot spots still active, and where sync stands.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::ui;
use pcmt_model::api::{DueVisit, HotSpotRow, ListFilter, SurveyRow};
use pcmt_model::{Labelled, SessionRow, VisitState};
use yew::prelude::*;

const RECENT: u32 = 5;

#[derive(Clone, PartialEq, Default)]
struct Data {
    due: Vec<DueVisit>,
    sessions: Vec<SessionRow>,
    surveys: Vec<SurveyRow>,
    /// Active spots come first in the list: the first few, active only.
    hot_spots: Vec<HotSpotRow>,
}

#[function_component]
pub fn Today() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let data = use_state(|| None::<Data>);
    {
        let (data, ctx2) = (data.clone(), ctx.clone());
        use_effect_with(ctx.generation, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let all = ListFilter::default();
                let loaded = async {
                    Ok::<_, pcmt_model::api::CommandError>(Data {
                        due: api::due_visits().await?,
                        sessions: api::list_sessions(&all, 0, RECENT).await?,
                        surveys: api::list_surveys(&all, 0, RECENT).await?,
                        hot_spots: api::list_hot_spots(&all, 0, RECENT)
                            .await?
                            .into_iter()
                            .filter(|h| !h.stage.is_resolved())
                            .collect(),
                    })
                };
                match loaded.await {
                    Ok(d) => data.set(Some(d)),
                    Err(e) => ctx2.fail(&e),
                }
            });
        });
    }
    let Some(d) = &*data else {
        return html! { <p class="loading">{ ctx.t("Đang tải…", "Loading…") }</p> };
    };
    let l = ctx.lang;
    let info = &ctx.info;
    let overdue = d
        .due
        .iter()
        .filter(|v| v.state == VisitState::Overdue)
        .count();
    html! {
        <div class="today">
            <section class="stats">
                <div id="stat-overdue" class={classes!("stat", (overdue > 0).then_some("alarm"))}><strong>{ overdue }</strong><span>{ l.pick("người quá hạn thăm gặp", "overdue for a visit") }</span></div>
                <div class="stat" id="stat-due"><strong>{ d.due.len() - overdue }</strong><span>{ l.pick("người sắp đến hạn", "due soon") }</span></div>
                <div class="stat" id="stat-unsynced"><strong>{ info.unsynced }</strong><span>{ l.pick("hồ sơ chưa đồng bộ", "records not synced") }</span></div>
                <div class="stat" id="stat-last-sync">
                    <strong class="small">{ info.last_sync.map(ui::moment).unwrap_or_else(|| l.pick("Chưa lần nào", "Never").into()) }</strong>
                    <span>{ l.pick("lần đồng bộ gần nhất", "last sync") }</span>
                </div>
            </section>
            if ctx.units.communes().next().is_none() {
                <section class="card" id="today-no-units">
                    <h2>{ l.pick("Máy chưa nhận danh sách xã, phường", "No commune list on this tablet yet") }</h2>
                    <p>{ l.pick(
                        "Danh sách xã, thôn của đơn vị do văn phòng gửi về ở lần đồng bộ đầu tiên. Hãy bấm Đồng bộ khi có mạng để bắt đầu ghi hồ sơ.",
                        "The office sends the list of communes and villages with the first sync. Press Sync when online to start recording.") }</p>
                </section>
            }
            if info.unreadable > 0 {
                <section class="card" id="today-unreadable">
                    { ui::heading(
                        &format!("{} {}", info.unreadable, l.pick("bản ghi phiên bản này chưa hiển thị được", "records this version cannot show")),
                        ui::nav_button("today-unreadable-list", l.pick("Xem danh sách", "See the list"), "secondary", ctx.go_to(Screen::Settings))) }
                    <p class="meta">{ l.pick(
                        "Dữ liệu vẫn được giữ trên máy và trên máy chủ. Hãy cập nhật ứng dụng để xem.",
                        "Their data is kept on this tablet and on the hub. Update the app to see them.") }</p>
                </section>
            }
            <section class="card">
                { ui::heading(l.pick("Cần thăm gặp", "Visits due"), ui::nav_button("today-people", l.pick("Sổ quản lý", "Register"), "secondary", ctx.go_to(Screen::People))) }
                if d.due.is_empty() {
                    <p class="empty">{ l.pick("Không ai quá hạn hoặc sắp đến hạn thăm gặp.", "Nobody is overdue or due soon.") }</p>
                }
                <ul id="due-list" class="rows">
                    { for d.due.iter().map(|v| due_row(&ctx, v)) }
                </ul>
            </section>
            <div class="two">
                <section class="card">
                    { ui::heading(l.pick("Buổi tuyên truyền gần đây", "Recent sessions"), ui::nav_button("today-new-session", l.pick("+ Ghi buổi mới", "+ New session"), "secondary", ctx.go_to(Screen::SessionEdit(None)))) }
                    if d.sessions.is_empty() {
                        <p class="empty">{ l.pick("Chưa có buổi nào.", "No sessions yet.") }</p>
                    }
                    <ul class="rows">
                        { for d.sessions.iter().map(|s| html! {
                            <li><button type="button" class="row-button" onclick={ctx.go_to(Screen::Session(s.id))}>
                                <span class="when">{ ui::day(s.date) }</span>
                                <span class="what"><strong>{ &s.venue_name }</strong>
                                    <span class="meta">{ format!("{} · {} · {} {}", ctx.commune_name(&s.commune), s.form.label(l), s.attendees, l.pick("người", "people")) }</span></span>
                            </button></li>
                        }) }
                    </ul>
                </section>
                <section class="card">
                    { ui::heading(l.pick("Rà soát gần đây", "Recent surveys"), ui::nav_button("today-new-survey", l.pick("+ Rà soát mới", "+ New survey"), "secondary", ctx.go_to(Screen::SurveyEdit(None)))) }
                    if d.surveys.is_empty() {
                        <p class="empty">{ l.pick("Chưa có đợt rà soát nào.", "No surveys yet.") }</p>
                    }
                    <ul class="rows">
                        { for d.surveys.iter().map(|s| html! {
                            <li><button type="button" class="row-button" onclick={ctx.go_to(Screen::Survey(s.id))}>
                                <span class="when">{ ui::day(s.date) }</span>
                                <span class="what"><strong>{ ctx.commune_name(&s.commune) }</strong>
                                    <span class="meta">{ crate::screens::surveys::findings(l, s) }</span></span>
                            </button></li>
                        }) }
                    </ul>
                </section>
            </div>
            <section class="card" id="today-hot-spots">
                { ui::heading(l.pick("Điểm, tụ điểm ma túy còn hoạt động", "Drug hot spots still active"),
                    ui::nav_button("today-new-hot-spot", l.pick("+ Ghi điểm mới", "+ New hot spot"), "secondary", ctx.go_to(Screen::HotSpotEdit(None)))) }
                if d.hot_spots.is_empty() {
                    <p class="empty">{ l.pick("Không có điểm, tụ điểm nào còn hoạt động.", "No hot spot is still active.") }</p>
                }
                <ul class="rows">
                    { for d.hot_spots.iter().map(|h| crate::screens::hot_spots::row(&ctx, h)) }
                </ul>
            </section>
        </div>
    }
}

/// A person due for a visit, with how late or how soon.
pub fn due_row(ctx: &Ctx, v: &DueVisit) -> Html {
    let l = ctx.lang;
    let p = &v.person;
    html! {
        <li class="due" data-id={p.id.to_string()}>
            <button type="button" class="row-button" onclick={ctx.go_to(Screen::Person(p.id))}>
                <span class="what"><strong>{ &p.full_name }</strong>
                    <span class="meta">{ format!("{} · {}", ctx.commune_name(&p.commune), p.status.map(|s| s.label(l)).unwrap_or_default()) }</span></span>
                { visit_badge(ctx, v.state, p.due_on) }
            </button>
        </li>
    }
}

/// How late or how soon a visit is, in days, beside the state's label.
pub fn visit_badge(ctx: &Ctx, state: VisitState, due_on: Option<chrono::NaiveDate>) -> Html {
    let l = ctx.lang;
    let days = due_on
        .map(|d| (d - crate::api::today()).num_days())
        .unwrap_or(0);
    let (class, text) = match (state, l) {
        (VisitState::Overdue, pcmt_model::Lang::Vi) => {
            ("overdue", format!("Quá hạn {} ngày", -days))
        }
        (VisitState::Overdue, pcmt_model::Lang::En) => {
            ("overdue", format!("Overdue {} days", -days))
        }
        (VisitState::DueSoon, pcmt_model::Lang::Vi) => ("due-soon", format!("Còn {days} ngày")),
        (VisitState::DueSoon, pcmt_model::Lang::En) => ("due-soon", format!("Due in {days} days")),
        (VisitState::DueToday, _) => ("due-soon", state.label(l).to_string()),
        (other, _) => ("neutral", other.label(l).to_string()),
    };
    html! { <span class={classes!("badge", class)}>{ text }</span> }
}
