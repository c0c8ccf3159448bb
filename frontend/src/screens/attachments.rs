//! A record's photos and files (issue 21), shown inside the record: a
//! large button that opens the camera or the file picker, a line while the
//! tablet processes the file, the refusal in the officer's words, the
//! thumbnails in a grid, and a large view on a tap. Sessions, surveys (the
//! sweep's own photos, and each site's with the position it keeps),
//! person files and visits all use this one panel.

use crate::api::{self, ObjectUrl};
use crate::app::{Ctx, Notice};
use crate::load::{fetched, use_fetch};
use crate::ui;
use pcmt_model::api::{AttachmentRow, CommandError};
use pcmt_model::{AttachmentKind, ContentHash, GeoPoint, Labelled, Lang};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The record the files belong to.
    pub record: Uuid,
    /// A survey's site, with the position its photos keep; None for the
    /// record itself (a survey's own photos name no site).
    #[prop_or_default]
    pub site: Option<(Uuid, GeoPoint)>,
    /// Prefix of the panel's element ids (`session`, `site-0`, …).
    pub name: AttrValue,
    #[prop_or_default]
    pub title: Option<AttrValue>,
}

/// What the officer's last pick came to, shown under the button.
#[derive(Clone, PartialEq)]
enum Pick {
    Idle,
    Working,
    Refused(String),
}

#[function_component]
pub fn Attachments(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let l = ctx.lang;
    let list = use_fetch((props.record, ctx.generation), |(id, _)| {
        api::attachments_of(id)
    });
    let pick = use_state(|| Pick::Idle);
    // The hash opened: its row is read from the list, so a sync that
    // brings the whole file shows it in the open view.
    let open = use_state(|| None::<ContentHash>);
    let site = props.site;
    let onchange = {
        let (ctx, pick, record) = (ctx.clone(), pick.clone(), props.record);
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            // Emptied at once, so picking the same file again still counts.
            input.set_value("");
            pick.set(Pick::Working);
            let (ctx, pick) = (ctx.clone(), pick.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer);
                        api::attach_file(record, site, &bytes).await
                    }
                    Err(_) => Err(CommandError::plain(
                        "Không đọc được tệp đã chọn. Hãy chọn lại.",
                        "The chosen file could not be read. Pick it again.",
                    )),
                };
                match answer {
                    Ok(row) => {
                        pick.set(Pick::Idle);
                        ctx.notify
                            .emit(Notice::Ok(attached_text(ctx.lang, row.attachment.kind)));
                        ctx.refresh.emit(());
                    }
                    Err(e) if e.locked => {
                        pick.set(Pick::Idle);
                        ctx.fail(&e);
                    }
                    Err(e) => pick.set(Pick::Refused(e.message(ctx.lang).to_string())),
                }
            });
        })
    };
    let name = props.name.clone();
    let input_id = format!("{name}-attach-input");
    let working = *pick == Pick::Working;
    let opened = match (&*open, &*list) {
        (Some(hash), Some(Ok(rows))) => rows.iter().find(|r| r.attachment.hash == *hash).cloned(),
        _ => None,
    };
    html! {
        <section class="card attachments" id={format!("{name}-attachments")}>
            <h3>{ props.title.clone().unwrap_or_else(|| l.pick("Ảnh và tệp đính kèm", "Photos and files").into()) }</h3>
            <label for={input_id.clone()} class={classes!("attach-button", working.then_some("busy"))}
                id={format!("{name}-attach")}>
                <svg viewBox="0 0 24 24" aria-hidden="true"><path d={CAMERA} /></svg>
                { l.pick("Chụp ảnh / Đính kèm tệp", "Take a photo / Attach a file") }
            </label>
            <input type="file" id={input_id} class="attach-input" accept="image/*,application/pdf"
                capture="environment" disabled={working} onchange={onchange} />
            { match &*pick {
                Pick::Idle => html! {},
                Pick::Working => html! {
                    <p class="notice progress" role="status" id={format!("{name}-attach-busy")}>
                        <span class="spinner" aria-hidden="true"></span>
                        { l.pick("Đang xử lý tệp (thu nhỏ ảnh, xóa thông tin máy ảnh)…", "Processing the file (downscaling, removing camera data)…") }
                    </p>
                },
                Pick::Refused(why) => html! {
                    <p class="form-failure" role="alert" id={format!("{name}-attach-error")}>{ why.clone() }</p>
                },
            } }
            { fetched(&ctx, &list, |rows: &Vec<AttachmentRow>| {
                let mine: Vec<&AttachmentRow> = rows.iter()
                    .filter(|r| r.attachment.site == site.map(|(s, _)| s))
                    .collect();
                if mine.is_empty() {
                    return html! { <p class="empty">{ l.pick("Chưa có ảnh hay tệp nào.", "No photos or files yet.") }</p> };
                }
                html! {
                    <ul class="thumb-grid" id={format!("{name}-thumbs")}>
                        { for mine.into_iter().map(|r| {
                            let (open, hash) = (open.clone(), r.attachment.hash);
                            html! { <li><Tile row={r.clone()} onopen={Callback::from(move |_| open.set(Some(hash)))} /></li> }
                        }) }
                    </ul>
                }
            }) }
            if let Some(row) = opened {
                <LargeView row={row} onclose={{ let open = open.clone(); Callback::from(move |_| open.set(None)) }} />
            }
        </section>
    }
}

fn attached_text(l: Lang, kind: AttachmentKind) -> String {
    match (l, kind) {
        (Lang::Vi, AttachmentKind::Pdf) => {
            "Đã đính kèm tệp PDF. Tệp sẽ được gửi ở lần đồng bộ tới.".into()
        }
        (Lang::Vi, _) => "Đã đính kèm ảnh. Ảnh sẽ được gửi ở lần đồng bộ tới.".into(),
        (Lang::En, AttachmentKind::Pdf) => "PDF attached. It goes out at the next sync.".into(),
        (Lang::En, _) => "Photo attached. It goes out at the next sync.".into(),
    }
}

/// A camera: the attach button's picture.
const CAMERA: &str = "M4 8h3l2-3h6l2 3h3v11H4z M12 17a4 4 0 1 0 0-8 4 4 0 0 0 0 8z";

/// Time taken, and a site's position, as the officer reads them, joined
/// by `between`.
fn caption(l: Lang, a: &pcmt_model::AttachmentRef, between: &str) -> String {
    let mut parts = vec![ui::moment(a.taken_at.timestamp())];
    if let Some(p) = a.position {
        parts.push(format!(
            "{} {:.5}, {:.5}",
            l.pick("Vị trí:", "Position:"),
            p.lat,
            p.lon
        ));
    }
    parts.join(between)
}

#[derive(Properties, PartialEq)]
struct TileProps {
    row: AttachmentRow,
    onopen: Callback<()>,
}

/// One attachment in the grid: its thumbnail (a PDF's kind and size), a
/// large touch target that opens it.
#[function_component]
fn Tile(props: &TileProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let l = ctx.lang;
    let a = &props.row.attachment;
    // Read again after a sync, which may have brought the thumbnail.
    let thumb = use_fetch((a.thumbnail, ctx.generation), |(hash, _)| async move {
        match hash {
            Some(hash) => api::attachment_url(hash, AttachmentKind::Jpeg)
                .await
                .map(Some),
            None => Ok(None),
        }
    });
    let picture = match &*thumb {
        Some(Ok(Some(url))) => {
            html! { <img src={url.as_str().to_string()} alt={a.kind.label(l)} /> }
        }
        Some(Ok(None)) => {
            html! { <span class="file-tile">{ format!("PDF · {}", ui::size(a.size)) }</span> }
        }
        Some(Err(_)) => {
            html! { <span class="file-tile">{ l.pick("Ảnh chưa tải về", "Not downloaded yet") }</span> }
        }
        None => html! { <span class="file-tile">{ "…" }</span> },
    };
    let onopen = props.onopen.reform(|_: MouseEvent| ());
    html! {
        <button type="button" class="thumb" data-hash={a.hash.hex()} data-kind={a.kind.code()} onclick={onopen}>
            { picture }
            <span class="caption">{ caption(l, a, "\n") }</span>
        </button>
    }
}

#[derive(Properties, PartialEq)]
struct LargeProps {
    row: AttachmentRow,
    onclose: Callback<()>,
}

/// What the large view shows: the whole file, or the thumbnail while the
/// whole waits for the next sync.
enum Shown {
    Whole(ObjectUrl),
    ThumbnailOnly(Option<ObjectUrl>),
}

/// The large view over the screen: the whole photo if the tablet holds
/// it; if not, the thumbnail, the whole asked for at the next sync; a PDF
/// opened or saved through the webview.
#[function_component]
fn LargeView(props: &LargeProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let l = ctx.lang;
    let a = props.row.attachment.clone();
    let shown = use_fetch((props.row.clone(), ctx.generation), |(row, _)| async move {
        let a = row.attachment;
        if row.held {
            return api::attachment_url(a.hash, a.kind).await.map(Shown::Whole);
        }
        api::want_attachment(a.hash).await?;
        let thumb = match a.thumbnail {
            Some(t) => api::attachment_url(t, AttachmentKind::Jpeg).await.ok(),
            None => None,
        };
        Ok(Shown::ThumbnailOnly(thumb))
    });
    let close = props.onclose.reform(|_: MouseEvent| ());
    let body = |s: &Shown| match s {
        Shown::Whole(url) if a.kind == AttachmentKind::Pdf => html! {
            <a class="button-link primary" id="attachment-pdf" href={url.as_str().to_string()}
                download={format!("{}.pdf", &a.hash.hex()[..12])} target="_blank">
                { l.pick("Mở / tải tệp PDF", "Open / save the PDF") }{ format!(" ({})", ui::size(a.size)) }
            </a>
        },
        Shown::Whole(url) => html! {
            <img id="attachment-full" class="large" src={url.as_str().to_string()} alt={a.kind.label(l)} />
        },
        Shown::ThumbnailOnly(thumb) => html! {
            <>
                if let Some(t) = thumb {
                    <img id="attachment-thumb-large" class="large blurred" src={t.as_str().to_string()} alt={a.kind.label(l)} />
                }
                <p class="notice draft" id="attachment-pending" role="status">{ l.pick(
                    "Ảnh gốc sẽ tải về ở lần đồng bộ tới.",
                    "The full image comes at the next sync.") }</p>
            </>
        },
    };
    html! {
        <div class="overlay" id="attachment-view" role="dialog" aria-modal="true">
            <div class="overlay-body">
                <div class="overlay-head">
                    <span class="caption">{ format!("{} · {} · {}", a.kind.label(l), ui::size(a.size), caption(l, &a, " · ")) }</span>
                    <button type="button" id="attachment-close" class="secondary" onclick={close}>{ l.pick("Đóng", "Close") }</button>
                </div>
                { fetched(&ctx, &shown, body) }
            </div>
        </div>
    }
}
