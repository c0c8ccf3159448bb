//! The list of recorded sessions, newest first.

use pcmt_model::{Labelled, Lang, OrgTree, SessionRow};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub units: OrgTree,
    pub rows: Vec<SessionRow>,
}

#[function_component]
pub fn SessionList(props: &Props) -> Html {
    let lang = props.lang;
    let commune_name = |code: &str| {
        props
            .units
            .get(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    html! {
        <section class="card session-list">
            <h2>{ lang.pick("Các buổi đã ghi", "Recorded sessions") }{ format!(" ({})", props.rows.len()) }</h2>
            if props.rows.is_empty() {
                <p class="empty">{ lang.pick("Chưa có buổi nào. Ghi buổi đầu tiên ở bên trái.", "No sessions yet. Record the first one on the left.") }</p>
            }
            <ul id="session-list">
                { for props.rows.iter().map(|r| html! {
                    <li class="session" data-id={r.id.to_string()}>
                        <div class="when">{ r.date.format("%d/%m/%Y").to_string() }</div>
                        <div class="what">
                            <strong class="venue">{ &r.venue_name }</strong>
                            <span class="meta">{ format!("{} · {} · {}", commune_name(&r.commune), r.form.label(lang), r.topics.iter().map(|t| t.label(lang)).collect::<Vec<_>>().join(", ")) }</span>
                        </div>
                        <div class="count">
                            <span class="attendees">{ r.attendees }</span>
                            <span class="unit">{ lang.pick("người", "people") }</span>
                        </div>
                        if r.unsynced {
                            <span class="badge pending">{ lang.pick("Chưa đồng bộ", "Not synced") }</span>
                        } else {
                            <span class="badge synced">{ lang.pick("Đã đồng bộ", "Synced") }</span>
                        }
                    </li>
                }) }
            </ul>
        </section>
    }
}
