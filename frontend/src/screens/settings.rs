//! Settings (Cài đặt): language, officer, unit and hub address; what the
//! tablet is (device, communes, data size, version).

use crate::api;
use crate::app::{Ctx, Notice};
use crate::load::{fetched, use_fetch};
use crate::ui::{self, field, list_choice, setter, text_input, Keys};
use pcmt_model::api::{CommandError, KeptRecord, Settings};
use pcmt_model::pin::check_new_pin;
use pcmt_model::report::ExportEntry;
use pcmt_model::{Field, FieldError, Labelled, Lang};
use yew::prelude::*;

/// Kept records listed at once; more than this is rare (a newer app's
/// records, before this tablet is updated), and the count says how many.
const KEPT_PAGE: u32 = 100;

#[function_component]
pub fn SettingsScreen() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let form = use_state(|| ctx.info.settings.clone());
    let errors = use_state(Vec::<FieldError>::new);
    let l = ctx.lang;
    let on_submit = {
        let (form, errors, ctx) = (form.clone(), errors.clone(), ctx.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let settings = (*form).clone();
            let (errors, ctx) = (errors.clone(), ctx.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::save_settings(&settings).await {
                    Ok(_) => {
                        errors.set(Vec::new());
                        ctx.notify.emit(Notice::Ok(
                            settings
                                .lang
                                .pick("Đã lưu cài đặt.", "Settings saved.")
                                .into(),
                        ));
                        ctx.refresh.emit(());
                    }
                    Err(e) => {
                        errors.set(e.fields.clone());
                        ctx.fail(&e);
                    }
                }
            });
        })
    };
    let f = &*form;
    let errs = &*errors;
    let lock_choices: Vec<(String, String)> = Settings::LOCK_AFTER_CHOICES
        .iter()
        .map(|m| (m.to_string(), format!("{m} {}", l.pick("phút", "min"))))
        .collect();
    let info = &ctx.info;
    let communes = if info.communes.is_empty() {
        l.pick("(chưa đăng ký với văn phòng)", "(not enrolled yet)")
            .to_string()
    } else {
        info.communes
            .iter()
            .map(|c| ctx.commune_name(c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    html! {
        <div class="settings">
            { ui::heading(l.pick("Cài đặt", "Settings"), html! {}) }
            // First when there are any: the Today screen's card leads here.
            if info.unreadable > 0 { <KeptRecords /> }
            <form class="card" onsubmit={on_submit} novalidate=true>
                <div class="grid">
                    <div class="field">
                        <label for="settings-lang">{ l.pick("Ngôn ngữ", "Language") }</label>
                        <select id="settings-lang" onchange={setter(&form, |f: &mut Settings, v: String| f.lang = if v == "en" { Lang::En } else { Lang::Vi }).reform(|e: Event| e.target_unchecked_into::<web_sys::HtmlSelectElement>().value())}>
                            <option value="vi" selected={f.lang == Lang::Vi}>{ "Tiếng Việt" }</option>
                            <option value="en" selected={f.lang == Lang::En}>{ "English" }</option>
                        </select>
                    </div>
                    { field(l, "officer", Field::Officer, None, errs, text_input("officer", &f.officer, Keys::Text, "", setter(&form, |f: &mut Settings, v| f.officer = v))) }
                    { field(l, "unit", Field::Unit, None, errs, text_input("unit", &f.unit, Keys::Text, "", setter(&form, |f: &mut Settings, v| f.unit = v))) }
                    { field(l, "hub_url", Field::HubUrl, None, errs, text_input("hub_url", &f.hub_url, Keys::Text, "https://", setter(&form, |f: &mut Settings, v| f.hub_url = v))) }
                    { field(l, "lock_after", Field::LockAfter, None, errs, list_choice("lock_after", lock_choices, &f.lock_after_min.to_string(),
                        setter(&form, |f: &mut Settings, v: String| f.lock_after_min = v.parse().unwrap_or(f.lock_after_min)))) }
                </div>
                <button id="settings-save" class="primary wide" type="submit">{ l.pick("Lưu cài đặt", "Save settings") }</button>
            </form>
            <section class="card">
                <h3>{ l.pick("Về máy này", "About this tablet") }</h3>
                <dl class="facts" id="device-facts">
                    <dt>{ l.pick("Mã thiết bị", "Device ID") }</dt><dd id="device-id">{ &info.device_id }</dd>
                    <dt>{ l.pick("Đăng ký với văn phòng", "Enrolled with the office") }</dt>
                    <dd id="enrol-state" class={classes!(info.withdrawn.is_some().then_some("withdrawn"))}>{ match (info.withdrawn, info.enrolled) {
                        (Some(w), _) => w.label(l),
                        (None, true) => l.pick("Đã đăng ký", "Yes"),
                        (None, false) => l.pick("Chưa (sẽ đăng ký ở lần đồng bộ đầu tiên)", "Not yet (at the first sync)"),
                    } }</dd>
                    <dt>{ l.pick("Xã được phân công", "Communes") }</dt><dd>{ communes }</dd>
                    <dt>{ l.pick("Chứng chỉ máy chủ", "Hub certificate") }</dt>
                    <dd id="hub-certificate-pinned">{ match &info.hub_certificate {
                        Some(fp) => html! { <code class="fingerprint">{ fp }</code> },
                        None => html! { l.pick("Của tổ chức cấp chứng chỉ công khai (chưa xác nhận chứng chỉ riêng)", "From a public certificate authority (no office certificate confirmed)") },
                    } }</dd>
                    <dt>{ l.pick("Dữ liệu trên máy", "Data on this tablet") }</dt><dd id="data-size">{ ui::size(info.data_bytes) }</dd>
                    <dt>{ l.pick("Hồ sơ chưa đồng bộ", "Records not synced") }</dt><dd>{ info.unsynced }</dd>
                    <dt>{ l.pick("Bản ghi chưa hiển thị được", "Records this version cannot show") }</dt><dd id="unreadable-count">{ info.unreadable }</dd>
                    <dt>{ l.pick("Đồng bộ gần nhất", "Last sync") }</dt><dd>{ info.last_sync.map(ui::moment).unwrap_or_else(|| l.pick("Chưa lần nào", "Never").into()) }</dd>
                    <dt>{ l.pick("Phiên bản", "Version") }</dt><dd>{ &info.app_version }</dd>
                </dl>
            </section>
            if info.enrolled { <RenewEnrolment /> }
            <CommunePhotos />
            <ExportLog />
            <ChangePin />
        </div>
    }
}

/// Records this tablet keeps but this version cannot show (a newer app's,
/// or with a field of the wrong shape): listed so the officer knows they
/// exist and that an update shows them.
#[function_component]
fn KeptRecords() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let kept = use_fetch(ctx.generation, |_| api::unreadable_records(0, KEPT_PAGE));
    let l = ctx.lang;
    html! {
        <section class="card" id="unreadable">
            <h3>{ l.pick("Bản ghi phiên bản này chưa hiển thị được", "Records this version cannot show") }</h3>
            <p class="meta">{ l.pick(
                "Máy đã nhận các bản ghi này khi đồng bộ nhưng phiên bản ứng dụng này chưa đọc được (do phiên bản mới hơn tạo ra, hoặc có ô dữ liệu không đúng dạng). Dữ liệu vẫn được giữ nguyên trên máy và trên máy chủ. Hãy cập nhật ứng dụng; bản ghi sẽ hiện ra khi ứng dụng đọc được.",
                "This tablet received these records at a sync, but this version of the app cannot read them (written by a newer version, or with a field of the wrong shape). Their data is kept on this tablet and on the hub. Update the app; a record shows as soon as the app can read it.") }</p>
            { fetched(&ctx, &kept, |records: &Vec<KeptRecord>| html! {
                <table class="table">
                    <thead><tr>
                        <th>{ l.pick("Loại", "Kind") }</th>
                        <th>{ l.pick("Xã", "Commune") }</th>
                        <th>{ l.pick("Mã bản ghi", "Record ID") }</th>
                        <th>{ l.pick("Chi tiết kỹ thuật", "Technical detail") }</th>
                    </tr></thead>
                    <tbody>
                        { for records.iter().map(|k| html! {
                            <tr data-id={k.id.to_string()}>
                                <td>{ k.kind.map(|kind| kind.label(l)).unwrap_or(l.pick("Loại chưa biết", "Unknown kind")) }</td>
                                <td>{ ctx.commune_name(&k.commune) }</td>
                                <td>{ k.id.to_string() }</td>
                                <td class="meta">{ &k.reason }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }) }
        </section>
    }
}

/// Đăng ký lại: after the office revoked this tablet (or gave its officer
/// other communes), a new code from the office, used at the next sync.
#[function_component]
fn RenewEnrolment() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let code = use_state(String::new);
    let errors = use_state(Vec::<FieldError>::new);
    let l = ctx.lang;
    let on_submit = {
        let (code, errors, ctx) = (code.clone(), errors.clone(), ctx.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (typed, code, errors, ctx) =
                ((*code).clone(), code.clone(), errors.clone(), ctx.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::renew_enrolment(&typed).await {
                    Ok(info) => {
                        code.set(String::new());
                        errors.set(Vec::new());
                        ctx.notify.emit(Notice::Ok(
                            if info.renewal_pending {
                                ctx.t(
                                    "Đã nhận mã mới: máy sẽ đăng ký lại ở lần đồng bộ tới.",
                                    "New code kept: the tablet enrols again at the next sync.",
                                )
                            } else {
                                ctx.t("Đã bỏ mã đang chờ.", "The waiting code was withdrawn.")
                            }
                            .into(),
                        ));
                        ctx.refresh.emit(());
                    }
                    Err(e) => {
                        errors.set(e.fields.clone());
                        ctx.fail(&e);
                    }
                }
            });
        })
    };
    let set = {
        let code = code.clone();
        Callback::from(move |v: String| code.set(v))
    };
    html! {
        <form class="card" id="renewal" onsubmit={on_submit} novalidate=true>
            <h3>{ l.pick("Đăng ký lại với văn phòng", "Enrol again with the office") }</h3>
            <p class="meta">{ l.pick(
                "Chỉ dùng khi văn phòng đã thu hồi quyền đồng bộ của máy và cấp mã mới. Dữ liệu trên máy được giữ nguyên.",
                "Only when the office revoked this tablet's access and gave a new code. Data on the tablet is kept.") }</p>
            if ctx.info.renewal_pending {
                <p class="meta" id="renewal-pending">{ l.pick(
                    "Có một mã mới đang chờ: máy sẽ đăng ký lại ở lần đồng bộ tới.",
                    "A new code is waiting: the tablet enrols again at the next sync.") }</p>
            }
            <div class="grid">
                { field(l, "renewal-code", Field::EnrolCode, None, &errors, text_input("renewal-code", &code, Keys::Text, "XXXXX-XXXXX", set)) }
            </div>
            <button id="renew" class="secondary wide" type="submit">{ l.pick("Dùng mã này ở lần đồng bộ tới", "Use this code at the next sync") }</button>
        </form>
    }
}

/// "Tải tất cả ảnh của xã": a tablet receives only thumbnails with the
/// records; before going where there is no signal, the officer fetches a
/// commune's full photos and files at the next sync.
#[function_component]
fn CommunePhotos() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let l = ctx.lang;
    html! {
        <section class="card" id="commune-photos">
            <h3>{ l.pick("Ảnh gốc của xã", "Full photos of a commune") }</h3>
            <p class="meta">{ l.pick(
                "Máy chỉ nhận ảnh thu nhỏ cùng hồ sơ. Trước khi đến nơi không có sóng, hãy tải ảnh gốc và tệp của cả xã ở lần đồng bộ tới.",
                "The tablet receives only thumbnails with the records. Before going where there is no signal, fetch a commune's full photos and files at the next sync.") }</p>
            <div class="commune-buttons">
                { for ctx.communes().into_iter().map(|(code, name)| {
                    let ctx = ctx.clone();
                    let id = format!("commune-photos-{code}");
                    let label = format!("{} {name}", l.pick("Tải tất cả ảnh của", "Fetch all photos of"));
                    let onclick = Callback::from(move |_: MouseEvent| {
                        let (ctx, code) = (ctx.clone(), code.clone());
                        wasm_bindgen_futures::spawn_local(async move {
                            match api::want_commune_attachments(&code).await {
                                Ok(n) => ctx.notify.emit(Notice::Ok(match ctx.lang {
                                    Lang::Vi => format!("{n} ảnh và tệp sẽ tải về ở lần đồng bộ tới."),
                                    Lang::En => format!("{n} photos and files come at the next sync."),
                                })),
                                Err(e) => ctx.fail(&e),
                            }
                        });
                    });
                    html! { <button type="button" class="secondary" id={id} onclick={onclick}>{ label }</button> }
                }) }
            </div>
        </section>
    }
}

/// Nhật ký xuất tệp: every report file saved from this tablet, so the
/// officer can account for each one.
#[function_component]
fn ExportLog() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let log = use_fetch(ctx.generation, |_| api::export_log());
    let l = ctx.lang;
    html! {
        <section class="card" id="export-log">
            <h3>{ l.pick("Nhật ký xuất tệp", "Export log") }</h3>
            { fetched(&ctx, &log, |entries: &Vec<ExportEntry>| if entries.is_empty() {
                html! { <p class="meta">{ l.pick("Chưa xuất tệp nào từ máy này.", "No file exported from this tablet yet.") }</p> }
            } else {
                html! {
                    <table class="table">
                        <thead><tr>
                            <th>{ l.pick("Lúc", "When") }</th>
                            <th>{ l.pick("Tệp", "File") }</th>
                            <th>{ l.pick("Đơn vị, kỳ", "Unit, period") }</th>
                            <th>{ l.pick("Cán bộ", "Officer") }</th>
                            <th>{ l.pick("Dữ liệu cá nhân", "Personal data") }</th>
                        </tr></thead>
                        <tbody>
                            { for entries.iter().map(|e| html! {
                                <tr>
                                    <td>{ ui::moment(e.at) }</td>
                                    <td>{ format!("{} ({}, {})", e.file, e.format.label(l), ui::size(e.bytes)) }</td>
                                    <td>{ format!("{} · {}", e.unit_name, e.period.label(l)) }</td>
                                    <td>{ &e.officer }</td>
                                    <td>{ if e.personal_data { l.pick("Có", "Yes") } else { l.pick("Không", "No") } }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            }) }
        </section>
    }
}

/// Changing the PIN rewraps the data's key: nothing is re-encrypted, and the
/// old PIN stops working at once.
#[function_component]
fn ChangePin() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let form = use_state(|| (String::new(), String::new(), String::new()));
    let errors = use_state(Vec::<FieldError>::new);
    let l = ctx.lang;
    let on_submit = {
        let (form, errors, ctx) = (form.clone(), errors.clone(), ctx.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (old, new, again) = (*form).clone();
            if let Err(e) = check_new_pin(Field::NewPin, &new) {
                errors.set(vec![e]);
                return;
            }
            if new != again {
                errors.set(Vec::new());
                ctx.fail(&CommandError::plain(
                    "Hai lần nhập mã PIN mới không khớp nhau.",
                    "The two new PINs typed do not match.",
                ));
                return;
            }
            errors.set(Vec::new());
            let (form, errors, ctx) = (form.clone(), errors.clone(), ctx.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::change_pin(&old, &new).await {
                    Ok(()) => {
                        form.set(Default::default());
                        ctx.notify
                            .emit(Notice::Ok(ctx.t("Đã đổi mã PIN.", "PIN changed.").into()));
                    }
                    Err(e) => {
                        errors.set(e.fields.clone());
                        ctx.fail(&e);
                    }
                }
            });
        })
    };
    let secret = |id: &'static str, value: &str, set: fn(&mut (String, String, String), String)| {
        ui::secret_input(id, value, setter(&form, set))
    };
    let (old, new, again) = &*form;
    let errs = &*errors;
    html! {
        <form class="card" id="change-pin-form" onsubmit={on_submit} novalidate=true>
            <h3>{ l.pick("Đổi mã PIN", "Change the PIN") }</h3>
            <div class="grid four">
                { field(l, "old-pin", Field::OldPin, None, errs, secret("old-pin", old, |f, v| f.0 = v)) }
                { field(l, "new-pin", Field::NewPin, None, errs, secret("new-pin", new, |f, v| f.1 = v)) }
                { field(l, "new-pin-again", Field::PinAgain, None, errs, secret("new-pin-again", again, |f, v| f.2 = v)) }
            </div>
            <button id="change-pin" class="secondary wide" type="submit">{ l.pick("Đổi mã PIN", "Change the PIN") }</button>
        </form>
    }
}
