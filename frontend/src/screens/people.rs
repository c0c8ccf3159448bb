//! People under management (Sổ quản lý): who is due or overdue, and the
//! register, searched by name with or without diacritics, or by CCCD.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::{fetched, use_fetch, use_pages};
use crate::screens::today::{due_row, visit_badge};
use crate::ui::{self, text_input, Keys};
use pcmt_model::api::{DueVisit, MovedPerson, PersonRow};
use pcmt_model::{visit_state, Labelled};
use yew::prelude::*;

#[function_component]
pub fn People() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let query = use_state(String::new);
    let due = use_fetch(ctx.generation, |_| api::due_visits());
    let moved = use_fetch(ctx.generation, |_| api::moved_people());
    let l = ctx.lang;

    let pages = use_pages(
        &ctx,
        Some((*query).clone()),
        |q: String, offset, limit| async move { api::search_people(&q, offset, limit).await },
    );
    let on_query = {
        let query = query.clone();
        Callback::from(move |v: String| query.set(v))
    };
    html! {
        <div class="people">
            { ui::heading(l.pick("Người được quản lý", "People under management"),
                ui::nav_button("new-person", l.pick("+ Lập hồ sơ", "+ New file"), "primary", ctx.go_to(Screen::PersonEdit(None)))) }
            <section class="card">
                <h3>{ l.pick("Cần thăm gặp", "Visits due") }</h3>
                { fetched(&ctx, &due, |list: &Vec<DueVisit>| html! {
                    <>
                        if list.is_empty() {
                            <p class="empty" id="people-due-empty">{ l.pick("Không ai quá hạn hoặc sắp đến hạn.", "Nobody is overdue or due soon.") }</p>
                        }
                        <ul id="people-due" class="rows">{ for list.iter().map(|v| due_row(&ctx, v)) }</ul>
                    </>
                }) }
            </section>
            <section class="card">
                <div class="search">
                    <label for="people-search">{ l.pick("Tìm theo tên (có dấu hoặc không dấu) hoặc số CCCD", "Search by name (with or without diacritics) or citizen ID") }</label>
                    { text_input("people-search", &query, Keys::Text, l.pick("VD: nguyen van a", "e.g. nguyen van a"), on_query) }
                </div>
                <h3 id="people-count">{ pages.count(l, "người", "people") }</h3>
                <ul id="people-list" class="rows">
                    { for pages.rows.iter().map(|p| person_row(&ctx, p)) }
                </ul>
                { pages.more_button(l) }
            </section>
            { fetched(&ctx, &moved, |list: &Vec<MovedPerson>| html! {
                if !list.is_empty() {
                    <section class="card">
                        <h3>{ l.pick("Đã chuyển đi", "Moved away") }</h3>
                        <ul id="moved-list" class="rows">
                            { for list.iter().map(|m| html! {
                                <li class="moved">
                                    <strong>{ &m.full_name }</strong>
                                    <div class="meta">{ m.text(l) }</div>
                                </li>
                            }) }
                        </ul>
                    </section>
                }
            }) }
        </div>
    }
}

fn person_row(ctx: &Ctx, p: &PersonRow) -> Html {
    let l = ctx.lang;
    let state = p.due_on.map(|d| visit_state(d, api::today()));
    html! {
        <li class="person" data-id={p.id.to_string()}>
            <button type="button" class="row-button" onclick={ctx.go_to(Screen::Person(p.id))}>
                <span class="what">
                    <strong>{ &p.full_name }</strong>
                    <span class="meta">{ format!("{} · {} · {}", ui::day(p.birth_date), ctx.commune_name(&p.commune), p.status.map(|s| s.label(l)).unwrap_or_default()) }</span>
                    <span class="badges">{ ui::sync_badge(l, p.unsynced, p.conflicted) }</span>
                </span>
                if let Some(s) = state { { visit_badge(ctx, s, p.due_on) } }
            </button>
        </li>
    }
}
