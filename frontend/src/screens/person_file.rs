//! A person's file (Hồ sơ): who they are, their status history, the next
//! visit, every visit so far, conflicts and history; check-in from here.

use crate::api;
use crate::app::{Ctx, Notice, Screen};
use crate::load::{fetched, use_fetch};
use crate::screens::attachments::Attachments;
use crate::screens::record_panel::{Conflicts, History};
use crate::screens::today::visit_badge;
use crate::ui;
use pcmt_model::api::{CheckInRow, CommandError, PersonRow};
use pcmt_model::{visit_state, Field, FileMarks, Labelled, PersonInput};
use uuid::Uuid;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: Uuid,
}

#[derive(Clone, PartialEq)]
struct Loaded {
    row: PersonRow,
    file: PersonInput,
    visits: Vec<CheckInRow>,
    marks: FileMarks,
}

#[function_component]
pub fn PersonFile(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let data = use_fetch((props.id, ctx.generation), |(id, _)| async move {
        Ok::<_, CommandError>(Loaded {
            row: api::person_row(id).await?,
            file: api::get_person(id).await?,
            visits: api::checkins_of(id).await?,
            marks: api::file_marks(id).await?,
        })
    });
    let l = ctx.lang;
    let id = props.id;
    html! {
        <div class="detail person-file">
            { ui::heading(l.pick("Hồ sơ quản lý", "Management file"), html! {
                <div class="head-actions">
                    { ui::nav_button("back", l.pick("← Danh sách", "← List"), "secondary", ctx.go_to(Screen::People)) }
                    { ui::nav_button("edit", l.pick("Sửa hồ sơ", "Edit file"), "secondary", ctx.go_to(Screen::PersonEdit(Some(id)))) }
                    { ui::nav_button("checkin", l.pick("Ghi lần gặp", "Record a visit"), "primary", ctx.go_to(Screen::CheckIn(id))) }
                </div>
            }) }
            <Conflicts id={id} />
            { fetched(&ctx, &data, |d: &Loaded| view(&ctx, d)) }
            if let Some(Ok(d)) = (*data).as_ref() {
                <MovePanel id={id} commune={d.file.commune.clone()} />
            }
            <Attachments record={id} name="person" title={l.pick("Giấy tờ, quyết định và ảnh của hồ sơ", "Documents, decisions and photos of the file")} />
            <History id={id} />
        </div>
    }
}

fn view(ctx: &Ctx, d: &Loaded) -> Html {
    let l = ctx.lang;
    let (p, row) = (&d.file, &d.row);
    let state = row.due_on.map(|due| visit_state(due, api::today()));
    let or_dash = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    let fact = |f: Field, v: String| html! { <><dt>{ f.label(l) }</dt><dd data-field={f.code()}>{ v }</dd></> };
    html! {
        <>
            { marks_notice(ctx, &d.marks) }
            <section class="card person-head">
                <h3 id="person-name">{ &p.full_name }</h3>
                <div class="status-line">
                    <span class="status">{ p.current_status().map(|s| s.label(l)).unwrap_or("—") }</span>
                    if let Some(s) = state { { visit_badge(ctx, s, row.due_on) } }
                    <span id="next-visit" class="meta">{ match row.due_on {
                        Some(d) => format!("{} {}", l.pick("Hạn thăm gặp:", "Next visit due:"), ui::day(d)),
                        None => l.pick("Không có lịch thăm gặp", "No visits scheduled").to_string(),
                    } }</span>
                    { ui::sync_badge(l, row.unsynced, row.conflicted) }
                </div>
                <dl class="facts">
                    { fact(Field::BirthDate, ui::day(p.birth_date)) }
                    { fact(Field::Sex, p.sex.label(l).into()) }
                    { fact(Field::CitizenId, p.citizen_id.clone().unwrap_or_else(|| "—".into())) }
                    { fact(Field::Ethnicity, or_dash(&p.ethnicity)) }
                    { fact(Field::Commune, ctx.commune_name(&p.commune)) }
                    { fact(Field::Village, p.village.as_deref().map(|v| ctx.commune_name(v)).unwrap_or_else(|| "—".into())) }
                    { fact(Field::Address, or_dash(&p.address)) }
                    { fact(Field::Phone, p.phone.clone().unwrap_or_else(|| "—".into())) }
                    { fact(Field::FamilyContact, or_dash(&p.family_contact)) }
                    { fact(Field::Substances, p.substances.iter().map(|s| s.label(l)).collect::<Vec<_>>().join(", ")) }
                    { fact(Field::OfficerInCharge, or_dash(&p.officer_in_charge)) }
                </dl>
            </section>
            <section class="card">
                <h3>{ Field::Statuses.label(l) }</h3>
                <table class="table" id="status-history">
                    <thead><tr>
                        <th>{ Field::Status.label(l) }</th><th>{ Field::StatusFrom.label(l) }</th><th>{ Field::StatusUntil.label(l) }</th><th>{ Field::Notes.label(l) }</th>
                    </tr></thead>
                    <tbody>
                        { for p.statuses.iter().rev().map(|s| html! {
                            <tr>
                                <td>{ s.status.label(l) }{ s.closed_reason.map(|r| format!(" ({})", r.label(l))).unwrap_or_default() }</td>
                                <td>{ ui::day(s.from) }</td>
                                <td>{ s.until.map(ui::day).unwrap_or_else(|| "—".into()) }</td>
                                <td>{ &s.notes }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </section>
            <section class="card">
                <h3>{ format!("{} ({})", l.pick("Các lần gặp", "Visits"), d.visits.len()) }</h3>
                if d.visits.is_empty() {
                    <p class="empty">{ l.pick("Chưa có lần gặp nào.", "No visits yet.") }</p>
                }
                <ul id="visit-list" class="rows">
                    { for d.visits.iter().enumerate().map(|(i, v)| html! { <Visit n={i} row={v.clone()} /> }) }
                </ul>
            </section>
        </>
    }
}

/// What the hub and the office marked on the file: another file with the
/// same citizen ID (named by its commune only: its data is that commune's),
/// and files the office merged into this one.
fn marks_notice(ctx: &Ctx, marks: &FileMarks) -> Html {
    let l = ctx.lang;
    let shared = marks.open_duplicate().then(|| {
        let communes: Vec<String> = marks
            .shared_with
            .iter()
            .map(|s| ctx.commune_name(&s.commune))
            .collect();
        html! {
            <section class="card notice warn" id="duplicate-notice" role="status">
                <h3>{ l.pick("Có thể trùng hồ sơ", "Possible duplicate file") }</h3>
                <p>{ format!(
                    "{} {}. {}",
                    l.pick("Số CCCD này cũng có trong", "This citizen ID is also in"),
                    communes
                        .iter()
                        .map(|c| format!("{} {c}", l.pick("một hồ sơ của", "a file of")))
                        .collect::<Vec<_>>()
                        .join(", "),
                    l.pick(
                        "Văn phòng sẽ đối chiếu và gộp hồ sơ nếu là cùng một người; hãy tiếp tục ghi các lần gặp như thường lệ.",
                        "The office will check and merge the files if they are one person; keep recording visits as usual."
                    ),
                ) }</p>
            </section>
        }
    });
    let absorbed = (!marks.absorbed.is_empty()).then(|| {
        html! {
            <section class="card notice info" id="merged-notice" role="status">
                <p>{ format!(
                    "{} {} {}",
                    l.pick("Văn phòng đã gộp", "The office merged"),
                    marks.absorbed.len(),
                    l.pick(
                        "hồ sơ trùng vào hồ sơ này; các lần gặp của hồ sơ đó nay ở đây.",
                        "duplicate file(s) into this one; their visits are now here."
                    ),
                ) }</p>
            </section>
        }
    });
    html! { <>{ for shared }{ for absorbed }</> }
}

#[derive(Properties, PartialEq)]
struct VisitProps {
    /// Its place in the list, newest first: names its elements.
    n: usize,
    row: CheckInRow,
}

/// One visit, with its photos (a signed record of the visit, a test
/// strip) behind a button, so the list stays short.
#[function_component]
fn Visit(props: &VisitProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let shown = use_state(|| false);
    let (l, v, n) = (ctx.lang, &props.row, props.n);
    let toggle = {
        let shown = shown.clone();
        Callback::from(move |_: MouseEvent| shown.set(!*shown))
    };
    html! {
        <li class="visit">
            <div class="visit-line">
                <span class="when">{ ui::day(v.date) }</span>
                <span class="what">
                    <strong>{ if v.attended { l.pick("Có mặt", "Attended") } else { l.pick("Vắng mặt", "Absent") } }</strong>
                    <span class="meta">{ [
                        v.test_result.map(|t| format!("{}: {}", l.pick("Xét nghiệm", "Test"), t.label(l))),
                        v.psychosis_signs.then(|| l.pick("Có biểu hiện loạn thần", "Psychosis signs").to_string()),
                        v.relapse_suspected.then(|| l.pick("Nghi sử dụng lại", "Relapse suspected").to_string()),
                        v.next_visit.map(|d| format!("{} {}", l.pick("Hẹn:", "Next:"), ui::day(d))),
                    ].into_iter().flatten().collect::<Vec<_>>().join(" · ") }</span>
                </span>
                { ui::sync_badge(l, v.unsynced, false) }
                <button type="button" class="secondary" id={format!("visit-{n}-photos")} onclick={toggle}>
                    { if *shown { l.pick("Ẩn ảnh", "Hide photos") } else { l.pick("Ảnh, tệp", "Photos, files") } }
                </button>
            </div>
            if *shown {
                <Attachments record={v.id} name={format!("visit-{n}")}
                    title={format!("{} {}", l.pick("Ảnh và tệp của lần gặp", "Photos and files of the visit on"), ui::day(v.date))} />
            }
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct MoveProps {
    id: Uuid,
    commune: String,
}

/// Chuyển nơi cư trú: the person moved to another commune of the district
/// on a day. The file goes with its history at the next sync; this tablet
/// then keeps a note only (if the commune is not one of its own).
#[function_component]
fn MovePanel(props: &MoveProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let open = use_state(|| false);
    let to = use_state(String::new);
    let on = use_state(String::new);
    let failed = use_state(|| None::<CommandError>);
    let places = use_fetch(props.commune.clone(), |c| async move {
        api::move_destinations(&c).await
    });
    let l = ctx.lang;
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let save = {
        let (to, on, failed, ctx, id) = (
            to.clone(),
            on.clone(),
            failed.clone(),
            ctx.clone(),
            props.id,
        );
        // The district's other communes are not in the tablet's tree:
        // their names come with the list.
        let known: Vec<(String, String)> = match (*places).as_ref() {
            Some(Ok(p)) => p.clone(),
            _ => Vec::new(),
        };
        Callback::from(move |_: MouseEvent| {
            let target = if to.is_empty() {
                known.first().map(|(c, _)| c.clone()).unwrap_or_default()
            } else {
                (*to).clone()
            };
            let day = match pcmt_model::validation::parse_date(Field::MoveOn, &on) {
                Ok(d) => d,
                Err(e) => {
                    failed.set(Some(CommandError {
                        fields: vec![e],
                        ..CommandError::plain("", "")
                    }));
                    return;
                }
            };
            let (failed, ctx) = (failed.clone(), ctx.clone());
            let name = known
                .iter()
                .find(|(c, _)| *c == target)
                .map_or_else(|| ctx.commune_name(&target), |(_, n)| n.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let input = pcmt_model::MoveInput {
                    to: target,
                    on: day,
                };
                match api::move_person(id, &input).await {
                    Ok(()) => {
                        failed.set(None);
                        ctx.refresh.emit(());
                        ctx.notify.emit(Notice::Ok(format!(
                            "{} {name}. {}",
                            ctx.t("Đã ghi việc chuyển đến", "Move recorded to"),
                            ctx.t(
                                "Hồ sơ chuyển cho xã mới ở lần đồng bộ tới.",
                                "The file goes to the new commune at the next sync."
                            ),
                        )));
                    }
                    Err(e) => failed.set(Some(e)),
                }
            });
        })
    };
    let on_to = {
        let to = to.clone();
        Callback::from(move |e: Event| {
            to.set(
                e.target_unchecked_into::<web_sys::HtmlSelectElement>()
                    .value(),
            )
        })
    };
    let on_on = {
        let on = on.clone();
        Callback::from(move |v: String| on.set(v))
    };
    html! {
        <section class="card move-panel">
            <button type="button" class="secondary" id="move" onclick={toggle}>
                { l.pick("Chuyển nơi cư trú…", "Moved to another commune…") }
            </button>
            if *open {
                <p class="meta">{ l.pick(
                    "Hồ sơ chuyển cùng toàn bộ quá trình quản lý và các lần gặp đến xã mới (cùng huyện). Xã này chỉ còn ghi chú đã chuyển đi.",
                    "The file moves with its whole history and visits to the new commune (same district). This commune keeps only a note."
                ) }</p>
                <div class="field">
                    <label for="move-to">{ Field::MoveTo.label(l) }</label>
                    { fetched(&ctx, &places, |p: &Vec<(String, String)>| html! {
                        <select id="move-to" onchange={on_to.clone()}>
                            { for p.iter().map(|(code, name)| html! { <option value={code.clone()} selected={*to == *code}>{ name }</option> }) }
                        </select>
                    }) }
                </div>
                <div class="field">
                    <label for="move-on">{ Field::MoveOn.label(l) }</label>
                    { ui::date_input("move-on", &on, on_on) }
                </div>
                if let Some(e) = &*failed {
                    <p class="form-failure" id="move-error" role="alert">{
                        std::iter::once(e.message(l).to_string())
                            .chain(e.fields.iter().map(|f| f.message(l)))
                            .filter(|t| !t.is_empty())
                            .collect::<Vec<_>>()
                            .join(" · ")
                    }</p>
                }
                <button type="button" class="primary" id="move-save" onclick={save}>
                    { l.pick("Ghi việc chuyển", "Record the move") }
                </button>
            }
        </section>
    }
}
