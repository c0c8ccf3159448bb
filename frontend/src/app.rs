//! The app frame: title bar with sync and language, the session form and
//! the list.

use crate::api;
use crate::session_form::SessionForm;
use crate::session_list::SessionList;
use pcmt_model::api::SyncReport;
use pcmt_model::{Lang, OrgTree, SessionRow};
use yew::prelude::*;

const PAGE: u32 = 200;

#[derive(Clone, PartialEq)]
enum Notice {
    Saved,
    Synced(SyncReport),
    Failed(String),
}

#[function_component]
pub fn App() -> Html {
    let lang = use_state(Lang::default);
    let units = use_memo((), |_| OrgTree::demo());
    let rows = use_state(Vec::<SessionRow>::new);
    let unsynced = use_state(|| 0u64);
    let notice = use_state(|| None::<Notice>);
    let syncing = use_state(|| false);

    let reload = {
        let (rows, unsynced, notice, lang) =
            (rows.clone(), unsynced.clone(), notice.clone(), lang.clone());
        Callback::from(move |_: ()| {
            let (rows, unsynced, notice, lang) =
                (rows.clone(), unsynced.clone(), notice.clone(), *lang);
            wasm_bindgen_futures::spawn_local(async move {
                match api::list_sessions(0, PAGE).await {
                    Ok(r) => rows.set(r),
                    Err(e) => notice.set(Some(Notice::Failed(e.message(lang).into()))),
                }
                if let Ok(info) = api::app_info().await {
                    unsynced.set(info.unsynced);
                }
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }

    let on_saved = {
        let (reload, notice) = (reload.clone(), notice.clone());
        Callback::from(move |_row: SessionRow| {
            notice.set(Some(Notice::Saved));
            reload.emit(());
        })
    };

    let on_sync = {
        let (reload, notice, syncing, lang) = (
            reload.clone(),
            notice.clone(),
            syncing.clone(),
            lang.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *syncing {
                return;
            }
            syncing.set(true);
            let (reload, notice, syncing, lang) =
                (reload.clone(), notice.clone(), syncing.clone(), *lang);
            wasm_bindgen_futures::spawn_local(async move {
                match api::sync_now().await {
                    Ok(report) => notice.set(Some(Notice::Synced(report))),
                    Err(e) => notice.set(Some(Notice::Failed(e.message(lang).into()))),
                }
                syncing.set(false);
                reload.emit(());
            });
        })
    };

    let toggle_lang = {
        let lang = lang.clone();
        Callback::from(move |_: MouseEvent| {
            lang.set(if *lang == Lang::Vi {
                Lang::En
            } else {
                Lang::Vi
            })
        })
    };

    let l = *lang;
    let notice_html = match &*notice {
        None => html! {},
        Some(Notice::Saved) => {
            html! { <p id="notice" class="notice ok">{ l.pick("Đã lưu trên máy.", "Saved on this device.") }</p> }
        }
        Some(Notice::Synced(r)) => html! {
            <p id="notice" class="notice ok">{ match l {
                Lang::Vi => format!("Đồng bộ xong: gửi {} hồ sơ, nhận {} hồ sơ ({} KB).", r.sent_records, r.received_records, (r.sent_bytes + r.received_bytes).div_ceil(1024)),
                Lang::En => format!("Sync done: sent {} records, received {} ({} KB).", r.sent_records, r.received_records, (r.sent_bytes + r.received_bytes).div_ceil(1024)),
            } }</p>
        },
        Some(Notice::Failed(msg)) => {
            html! { <p id="notice" class="notice error" role="alert">{ msg }</p> }
        }
    };

    html! {
        <div class="app">
            <header class="bar">
                <div class="title">
                    <h1>{ "Sổ tay PCMT" }</h1>
                    <span class="subtitle">{ l.pick("Tuyên truyền, phổ biến, giáo dục", "Propaganda and education") }</span>
                </div>
                <div class="actions">
                    <button id="lang" class="secondary" onclick={toggle_lang}>{ l.pick("English", "Tiếng Việt") }</button>
                    <button id="sync" class="primary" onclick={on_sync} disabled={*syncing}>
                        { if *syncing { l.pick("Đang đồng bộ…", "Syncing…") } else { l.pick("Đồng bộ", "Sync") } }
                        if *unsynced > 0 {
                            <span id="unsynced" class="count-badge">{ *unsynced }</span>
                        }
                    </button>
                </div>
            </header>
            { notice_html }
            <main class="columns">
                <SessionForm lang={l} units={(*units).clone()} on_saved={on_saved} />
                <SessionList lang={l} units={(*units).clone()} rows={(*rows).clone()} />
            </main>
        </div>
    }
}
