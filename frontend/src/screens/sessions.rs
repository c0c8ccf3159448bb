//! Propaganda sessions (Tuyên truyền): the list, filtered by period, venue
//! kind and form, a page at a time.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::ui::{self, date_input, field, optional_choice, setter};
use pcmt_model::api::ListFilter;
use pcmt_model::validation::parse_optional_date;
use pcmt_model::{Field, Labelled, SessionForm, SessionRow, VenueKind};
use yew::prelude::*;

/// Rows per page: enough to fill a portrait screen twice, small enough to
/// draw at once however long the list.
pub const PAGE: u32 = 50;

#[derive(Clone, PartialEq, Default)]
struct Filters {
    from: String,
    until: String,
    venue_kind: Option<VenueKind>,
    form: Option<SessionForm>,
}

#[function_component]
pub fn Sessions() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let filters = use_state(Filters::default);
    let rows = use_state(Vec::<SessionRow>::new);
    let more = use_state(|| false);
    let errors = use_state(Vec::new);
    let l = ctx.lang;

    let load = {
        let (rows, more, errors, ctx) = (rows.clone(), more.clone(), errors.clone(), ctx.clone());
        move |f: Filters, offset: u32, current: Vec<SessionRow>| {
            let from = parse_optional_date(Field::StatusFrom, &f.from);
            let until = parse_optional_date(Field::StatusUntil, &f.until);
            let (from, until) = match (from, until) {
                (Ok(a), Ok(b)) => (a, b),
                (a, b) => {
                    errors.set([a.err(), b.err()].into_iter().flatten().collect());
                    return;
                }
            };
            errors.set(Vec::new());
            let filter = ListFilter {
                from,
                until,
                commune: None,
                venue_kind: f.venue_kind,
                form: f.form,
            };
            let (rows, more, ctx) = (rows.clone(), more.clone(), ctx.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::list_sessions(&filter, offset, PAGE).await {
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
        use_effect_with(((*filters).clone(), ctx.generation), move |(f, _)| {
            load(f.clone(), 0, Vec::new())
        });
    }
    let load_more = {
        let (load, filters, rows) = (load.clone(), filters.clone(), rows.clone());
        Callback::from(move |_: MouseEvent| load((*filters).clone(), rows.len() as u32, (*rows).clone()))
    };
    let preset = |id: &'static str, label: &'static str, from: Option<chrono::NaiveDate>| {
        let filters = filters.clone();
        html! {
            <button type="button" id={id} class="chip" onclick={Callback::from(move |_: MouseEvent| {
                let mut f = (*filters).clone();
                f.from = from.map(ui::day).unwrap_or_default();
                f.until = String::new();
                filters.set(f);
            })}>{ label }</button>
        }
    };
    let today = api::today();
    let month_start = today.with_day0(0);
    let year_start = today.with_ordinal0(0);
    let f = &*filters;
    let errs = &*errors;
    html! {
        <div class="sessions">
            { ui::heading(l.pick("Buổi tuyên truyền", "Propaganda sessions"),
                ui::nav_button("new-session", l.pick("+ Ghi buổi mới", "+ New session"), "primary", ctx.go_to(Screen::SessionEdit(None)))) }
            <section class="card filters">
                <div class="presets">
                    { preset("period-all", l.pick("Tất cả", "All"), None) }
                    { preset("period-month", l.pick("Tháng này", "This month"), month_start) }
                    { preset("period-year", l.pick("Năm nay", "This year"), year_start) }
                </div>
                <div class="grid four">
                    { field(l, "filter-from", Field::StatusFrom, None, errs, date_input("filter-from", &f.from, setter(&filters, |f: &mut Filters, v| f.from = v))) }
                    { field(l, "filter-until", Field::StatusUntil, None, errs, date_input("filter-until", &f.until, setter(&filters, |f: &mut Filters, v| f.until = v))) }
                    { field(l, "filter-venue", Field::VenueKind, None, errs, optional_choice("filter-venue", l, f.venue_kind, l.pick("Tất cả", "All"), setter(&filters, |f: &mut Filters, v| f.venue_kind = v))) }
                    { field(l, "filter-form", Field::Form, None, errs, optional_choice("filter-form", l, f.form, l.pick("Tất cả", "All"), setter(&filters, |f: &mut Filters, v| f.form = v))) }
                </div>
            </section>
            <section class="card session-list">
                <h3 id="session-count">{ match l {
                    pcmt_model::Lang::Vi => format!("{} buổi{}", rows.len(), if *more { " (còn nữa)" } else { "" }),
                    pcmt_model::Lang::En => format!("{} sessions{}", rows.len(), if *more { " (more below)" } else { "" }),
                } }</h3>
                if rows.is_empty() {
                    <p class="empty">{ l.pick("Không có buổi nào trong khoảng đã chọn.", "No sessions in the chosen range.") }</p>
                }
                <ul id="session-list" class="rows">
                    { for rows.iter().map(|r| session_row(&ctx, r)) }
                </ul>
                if *more {
                    <button type="button" id="more" class="secondary wide" onclick={load_more}>{ l.pick("Xem thêm", "Show more") }</button>
                }
            </section>
        </div>
    }
}

fn session_row(ctx: &Ctx, r: &SessionRow) -> Html {
    let l = ctx.lang;
    html! {
        <li class="session" data-id={r.id.to_string()}>
            <button type="button" class="row-button" onclick={ctx.go_to(Screen::Session(r.id))}>
                <span class="when">{ ui::day(r.date) }</span>
                <span class="what">
                    <strong class="venue">{ &r.venue_name }</strong>
                    <span class="meta">{ format!("{} · {} · {}", ctx.commune_name(&r.commune), r.form.label(l), r.topics.iter().map(|t| t.label(l)).collect::<Vec<_>>().join(", ")) }</span>
                    <span class="badges">{ ui::sync_badge(l, r.unsynced, r.conflicted) }</span>
                </span>
                <span class="count"><span class="attendees">{ r.attendees }</span><span class="unit">{ l.pick("người", "people") }</span></span>
            </button>
        </li>
    }
}

use chrono::Datelike;
