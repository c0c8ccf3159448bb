//! One session: what was recorded, its photos and files, its conflicts and
//! history, and Edit.

use crate::api;
use crate::app::{Ctx, Screen};
use crate::load::{fetched, use_fetch};
use crate::screens::attachments::Attachments;
use crate::screens::record_panel::{Conflicts, History};
use crate::ui;
use pcmt_model::{Field, Labelled, SessionInput, SessionLanguage};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: Uuid,
}

#[function_component]
pub fn SessionDetail(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let session = use_fetch((props.id, ctx.generation), |(id, _)| api::get_session(id));
    let l = ctx.lang;
    let id = props.id;
    html! {
        <div class="detail">
            { ui::heading(l.pick("Buổi tuyên truyền", "Propaganda session"), html! {
                <div class="head-actions">
                    { ui::nav_button("back", l.pick("← Danh sách", "← List"), "secondary", ctx.go_to(Screen::Sessions)) }
                    { ui::nav_button("edit", l.pick("Sửa", "Edit"), "primary", ctx.go_to(Screen::SessionEdit(Some(id)))) }
                </div>
            }) }
            <Conflicts id={id} />
            { fetched(&ctx, &session, |s: &SessionInput| facts(&ctx, s)) }
            <Attachments record={id} name="session" />
            <History id={id} />
        </div>
    }
}

fn facts(ctx: &Ctx, s: &SessionInput) -> Html {
    let l = ctx.lang;
    let d = &s.details;
    let list = |items: Vec<&'static str>| {
        if items.is_empty() {
            "—".to_string()
        } else {
            items.join(", ")
        }
    };
    let row = |f: Field, v: String| html! { <><dt>{ f.label(l) }</dt><dd data-field={f.code()}>{ v }</dd></> };
    html! {
        <section class="card">
            <dl class="facts" id="session-facts">
                { row(Field::Date, ui::day(s.date)) }
                { row(Field::Commune, ctx.commune_name(&s.commune)) }
                { row(Field::VenueKind, s.venue_kind.label(l).into()) }
                { row(Field::VenueName, s.venue_name.clone()) }
                { row(Field::Form, s.form.label(l).into()) }
                { row(Field::Topic, list(s.topics.iter().map(|t| t.label(l)).collect())) }
                { row(Field::Attendees, s.attendees.to_string()) }
                { row(Field::Women, s.women.to_string()) }
                { row(Field::StartTime, match (d.start_time, d.end_time) {
                    (Some(a), Some(b)) => format!("{} – {}", a.format("%H:%M"), b.format("%H:%M")),
                    (Some(a), None) => a.format("%H:%M").to_string(),
                    _ => "—".into(),
                }) }
                { row(Field::Location, d.location.map(|p| format!("{:.5}, {:.5}", p.lat, p.lon)).unwrap_or_else(|| "—".into())) }
                { row(Field::Audience, if d.audience.is_empty() { "—".into() } else {
                    d.audience.iter().map(|a| format!("{} {}", a.group.label(l), a.count)).collect::<Vec<_>>().join(", ") }) }
                { row(Field::Language, if d.language == SessionLanguage::Vietnamese { d.language.label(l).into() } else { format!("{} ({})", d.language.label(l), d.language_name) }) }
                { row(Field::Organisers, list(d.organisers.iter().map(|o| o.label(l)).collect())) }
                { row(Field::Materials, d.materials.to_string()) }
                { row(Field::Pledges, d.pledges.to_string()) }
                { row(Field::Campaign, d.campaign.map(|c| c.label(l).to_string()).unwrap_or_else(|| "—".into())) }
                { row(Field::Notes, if d.notes.is_empty() { "—".into() } else { d.notes.clone() }) }
            </dl>
        </section>
    }
}
