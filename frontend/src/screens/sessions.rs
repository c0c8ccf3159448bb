//! Propaganda sessions (Tuyên truyền): the list, filtered by period, venue
//! kind and form, a page at a time.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::use_pages;
use crate::ui::{self, date_input, field, optional_choice, setter};
use pcmt_model::api::ListFilter;
use pcmt_model::validation::parse_optional_date;
use pcmt_model::{Field, Labelled, SessionForm, SessionRow, VenueKind};
use yew::prelude::*;

#[derive(Clone, PartialEq, Default)]
struct Filters {
    from: String,
    until: String,
    venue_kind: Option<VenueKind>,
    form: Option<SessionForm>,
}

/// The list's filter from what was typed, or the date errors to show.
fn filter_of(f: &Filters) -> Result<ListFilter, Vec<pcmt_model::FieldError>> {
    let from = parse_optional_date(Field::StatusFrom, &f.from);
    let until = parse_optional_date(Field::StatusUntil, &f.until);
    match (from, until) {
        (Ok(from), Ok(until)) => Ok(ListFilter {
            from,
            until,
            commune: None,
            venue_kind: f.venue_kind,
            form: f.form,
        }),
        (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
    }
}

#[function_component]
pub fn Sessions() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let filters = use_state(Filters::default);
    let parsed = filter_of(&filters);
    let pages = use_pages(
        &ctx,
        parsed.as_ref().ok().cloned(),
        |f: ListFilter, offset, limit| async move { api::list_sessions(&f, offset, limit).await },
    );
    let errs = parsed.err().unwrap_or_default();
    let l = ctx.lang;
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
    let errs = &errs;
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
                <h3 id="session-count">{ pages.count(l, "buổi", "sessions") }</h3>
                if pages.rows.is_empty() {
                    <p class="empty">{ l.pick("Không có buổi nào trong khoảng đã chọn.", "No sessions in the chosen range.") }</p>
                }
                <ul id="session-list" class="rows">
                    { for pages.rows.iter().map(|r| session_row(&ctx, r)) }
                </ul>
                { pages.more_button(l) }
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
