//! Around every record: its conflicts (xung đột), above the record, with the
//! values written on different tablets side by side for the officer to pick
//! from or replace; and below it, its history (who changed which field,
//! when, on which tablet).

use crate::api;
use crate::app::{Ctx, Notice};
use crate::load::{fetched, use_fetch};
use crate::ui;
use pcmt_model::api::{
    ConflictValue, FieldConflict, HistoryEntry, Writer, ITEM_ADDED, ITEM_REMOVED,
};
use pcmt_model::{Field, Labelled, Lang};
use uuid::Uuid;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: Uuid,
}

/// A stored field's name in the officer's language. A field of one item of
/// a list (`sites/<id>/plant_count`) reads as the list, the item, and the
/// field: "Điểm phát hiện 2 — Số cây"; an item itself (`sites/<id>`,
/// added or removed) as the list and the item. `place`: the item's place
/// in the list, when the history knows it.
fn field_label(field: &str, place: Option<u32>, lang: Lang) -> String {
    match field.splitn(3, '/').collect::<Vec<_>>().as_slice() {
        [list, id, key] => format!(
            "{} {} — {}",
            one_label(list, lang),
            item_label(list, id, place, lang),
            one_label(key, lang)
        ),
        [list, id] => format!(
            "{} {}",
            one_label(list, lang),
            item_label(list, id, place, lang)
        ),
        _ => one_label(field, lang),
    }
}

/// An item of a list by what names it: an audience group by its label, a
/// site or a status span by its place in the list when known, else by the
/// end of its id (the same on every tablet).
fn item_label(list: &str, id: &str, place: Option<u32>, lang: Lang) -> String {
    if let Some(group) = code_label(list_id_field(list), id, lang) {
        return format!("({group})");
    }
    if let Some(n) = place {
        return n.to_string();
    }
    let short_id: String = id
        .chars()
        .rev()
        .take(5)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("·{short_id}")
}

/// The field naming the items of a list, as [`code_label`] knows it.
fn list_id_field(list: &str) -> &'static str {
    match list {
        "audience" => "group",
        _ => "id",
    }
}

fn one_label(field: &str, lang: Lang) -> String {
    match Field::from_code(field) {
        Some(f) => f.label(lang).to_string(),
        None => match field {
            "topics" => Field::Topic.label(lang).to_string(),
            "kind" => Field::SurveyKind.label(lang).to_string(),
            "sites" => lang.pick("Điểm phát hiện", "Site").to_string(),
            "attachments" => lang.pick("Ảnh, tệp đính kèm", "Photo or file").to_string(),
            "point" => Field::SitePoint.label(lang).to_string(),
            "polygon" => Field::SitePolygon.label(lang).to_string(),
            "from" => Field::StatusFrom.label(lang).to_string(),
            "until" => Field::StatusUntil.label(lang).to_string(),
            "count" => lang.pick("Số người", "Count").to_string(),
            "@deleted" => lang.pick("Đã xóa", "Deleted").to_string(),
            other => other.to_string(),
        },
    }
}

/// The field a value belongs to: the last part of an item's path.
fn leaf(field: &str) -> &str {
    field.rsplit('/').next().unwrap_or(field)
}

/// A stored value as the officer reads it elsewhere in the app: labels for
/// codes, unit names, dd/mm/yyyy, Có/Không; nested parts only counted.
fn shown(ctx: &Ctx, field: &str, raw: &str) -> String {
    let field = leaf(field);
    let l = ctx.lang;
    let one = |code: &str| -> String {
        if let Ok(day) = chrono::NaiveDate::parse_from_str(code, "%Y-%m-%d") {
            return ui::day(day);
        }
        code_label(field, code, l)
            .or_else(|| ctx.units.get(code).map(|u| u.name.clone()))
            .unwrap_or_else(|| code.to_string())
    };
    match raw {
        ITEM_ADDED => return l.pick("thêm mới", "added").into(),
        ITEM_REMOVED => return l.pick("đã bỏ", "removed").into(),
        "" | "null" => return "—".into(),
        "true" => return l.pick("Có", "Yes").into(),
        "false" => return l.pick("Không", "No").into(),
        _ => {}
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Array(items)) => {
            let codes: Option<Vec<&str>> = items.iter().map(|v| v.as_str()).collect();
            match codes {
                Some(codes) if !codes.is_empty() => {
                    codes.into_iter().map(one).collect::<Vec<_>>().join(", ")
                }
                Some(_) => "—".into(),
                None if field == "polygon" => {
                    format!("{} {}", items.len(), l.pick("điểm", "points"))
                }
                None => format!("{} {}", items.len(), l.pick("mục", "items")),
            }
        }
        Ok(serde_json::Value::Object(_)) => l.pick("(đã sửa)", "(changed)").into(),
        _ => one(raw),
    }
}

/// The label of a closed-list code, for the fields that hold one.
fn code_label(field: &str, code: &str, l: Lang) -> Option<String> {
    fn of<T: Labelled>(code: &str, l: Lang) -> Option<String> {
        T::from_code(code).map(|v| v.label(l).to_string())
    }
    match field {
        "venue_kind" => of::<pcmt_model::VenueKind>(code, l),
        "form" => of::<pcmt_model::SessionForm>(code, l),
        "topics" => of::<pcmt_model::Topic>(code, l),
        "kind" => of::<pcmt_model::SurveyKind>(code, l),
        "sex" => of::<pcmt_model::Sex>(code, l),
        "substances" => of::<pcmt_model::Substance>(code, l),
        "place" => of::<pcmt_model::CheckInPlace>(code, l),
        "support" => of::<pcmt_model::SupportKind>(code, l),
        "species" => of::<pcmt_model::PlantSpecies>(code, l),
        "growth_stage" => of::<pcmt_model::GrowthStage>(code, l),
        "land_kind" => of::<pcmt_model::LandKind>(code, l),
        "status" => of::<pcmt_model::LegalStatus>(code, l),
        "group" => of::<pcmt_model::AudienceGroup>(code, l),
        "activities" => of::<pcmt_model::HotSpotActivity>(code, l),
        "stage" => of::<pcmt_model::HotSpotStage>(code, l),
        _ => None,
    }
}

/// Long values (lists, nested parts) are cut for the history line.
fn short(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() > MAX {
        format!("{}…", value.chars().take(MAX).collect::<String>())
    } else {
        value.to_string()
    }
}

#[function_component]
pub fn Conflicts(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    // Settling a conflict refreshes the app (a new generation): this list,
    // the record and its history are all read again.
    let conflicts = use_fetch((props.id, ctx.generation), |(id, _)| {
        api::record_conflicts(id)
    });
    let l = ctx.lang;
    let resolve = {
        let (ctx, id) = (ctx.clone(), props.id);
        Callback::from(move |(field, value): (String, String)| {
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::resolve_conflict(id, &field, &value).await {
                    Ok(()) => {
                        ctx.notify.emit(Notice::Ok(
                            ctx.t(
                                "Đã giải quyết xung đột. Thay đổi sẽ được gửi ở lần đồng bộ tới.",
                                "Conflict settled. The change goes out at the next sync.",
                            )
                            .into(),
                        ));
                        ctx.refresh.emit(());
                    }
                    Err(e) => ctx.fail(&e),
                }
            });
        })
    };
    html! {
        <>
            { fetched(&ctx, &conflicts, |list: &Vec<FieldConflict>| if list.is_empty() { html! {} } else { html! {
                <section class="card conflicts" id="conflicts">
                    <h3>{ l.pick("Xung đột cần xử lý", "Conflicts to settle") }</h3>
                    <p class="lead">{ l.pick(
                        "Hai máy đã sửa cùng một mục trước khi đồng bộ. Không giá trị nào bị mất: chọn giá trị đúng, hoặc nhập giá trị khác.",
                        "Two tablets changed the same field before syncing. Nothing was lost: pick the right value, or type another.") }</p>
                    { for list.iter().map(|c| conflict_view(l, c, resolve.clone())) }
                </section>
            } }) }
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    pub id: Uuid,
}

#[function_component]
pub fn History(props: &HistoryProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    // A settled conflict or a sync bumps the generation: the history is read again.
    let history = use_fetch((props.id, ctx.generation), |(id, _)| {
        api::record_history(id)
    });
    let l = ctx.lang;
    html! {
        <section class="card history" id="history">
            <h3>{ l.pick("Lịch sử thay đổi", "History") }</h3>
            { fetched(&ctx, &history, |list: &Vec<HistoryEntry>| html! {
                <ol class="history-list">
                    { for list.iter().enumerate().rev().map(|(i, h)| html! {
                        <li>
                            <div class="who"><strong>{ ui::moment(h.time) }</strong>
                                { format!(" · {} · {} {}", if h.officer.is_empty() { "?" } else { &h.officer }, l.pick("máy", "tablet"), h.device.chars().take(8).collect::<String>()) }</div>
                            <div class="meta">{ if i == 0 {
                                // The first change writes every field: naming them all says nothing.
                                l.pick("Lập hồ sơ", "Record created").to_string()
                            } else {
                                h.fields.iter().filter(|f| !f.field.starts_with('@') || f.field == "@deleted")
                                    .map(|f| format!("{}: {}", field_label(&f.field, f.item, l), short(&shown(&ctx, &f.field, &f.value))))
                                    .collect::<Vec<_>>().join(" · ")
                            } }</div>
                        </li>
                    }) }
                </ol>
            }) }
        </section>
    }
}

fn conflict_view(l: Lang, c: &FieldConflict, resolve: Callback<(String, String)>) -> Html {
    let field = c.field.clone();
    let other_id = format!("other-{field}");
    let use_other = {
        let (field, other_id, resolve) = (field.clone(), other_id.clone(), resolve.clone());
        Callback::from(move |_: MouseEvent| {
            let value = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&other_id))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(e).ok())
                .map(|i| i.value())
                .unwrap_or_default();
            if !value.trim().is_empty() {
                resolve.emit((field.clone(), value));
            }
        })
    };
    html! {
        <div class="conflict" data-field={field.clone()}>
            <h4>{ field_label(&field, None, l) }</h4>
            <div class="side-by-side">
                { for c.values.iter().enumerate().map(|(i, v)| {
                    let (field, v2, resolve) = (field.clone(), v.text.clone(), resolve.clone());
                    html! {
                        <div class="value">
                            <p class="text">{ &v.text }</p>
                            { writers_view(l, v) }
                            <button type="button" id={format!("pick-{field}-{i}")} class="primary"
                                onclick={Callback::from(move |_: MouseEvent| resolve.emit((field.clone(), v2.clone())))}>
                                { l.pick("Chọn giá trị này", "Keep this value") }
                            </button>
                        </div>
                    }
                }) }
            </div>
            <div class="with-action">
                <input id={other_id.clone()} type="text" placeholder={l.pick("Hoặc nhập giá trị khác", "Or type another value")} />
                <button type="button" id={format!("use-other-{field}")} class="secondary" onclick={use_other}>{ l.pick("Dùng giá trị này", "Use this") }</button>
            </div>
        </div>
    }
}

/// Who wrote a conflict's value: officer, tablet and time, one line per
/// change that wrote it (two officers may have typed the same figure).
fn writers_view(l: Lang, value: &ConflictValue) -> Html {
    if value.writers.is_empty() {
        return html! {};
    }
    html! {
        <ul class="writers">
            { for value.writers.iter().map(|w| html! { <li>{ writer_line(l, w) }</li> }) }
        </ul>
    }
}

fn writer_line(l: Lang, w: &Writer) -> String {
    let officer = if w.officer.is_empty() {
        l.pick("(không rõ cán bộ)", "(officer unknown)")
    } else {
        w.officer.as_str()
    };
    format!(
        "{officer} · {} {} · {}",
        l.pick("máy", "tablet"),
        w.device.chars().take(8).collect::<String>(),
        ui::moment(w.time)
    )
}
