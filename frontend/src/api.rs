//! Calls into the Tauri shell (`window.__TAURI__.core.invoke`), one function
//! per command, and the sync progress events.

use pcmt_model::api::{
    AppInfo, AttachmentRow, CheckInRow, CommandError, DueVisit, FieldConflict, HistoryEntry,
    HotSpotRow, KeptRecord, ListFilter, LockState, PersonRow, Settings, SetupInput, SurveyRow,
    SyncReport, SyncStatus,
};
use pcmt_model::report::{ExportDone, ExportEntry, ExportFormat, Period, Report};
use pcmt_model::{
    AttachmentKind, CheckInInput, ContentHash, GeoPoint, HotSpotInput, Lang, PersonInput,
    SessionInput, SessionRow, SurveyInput,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    /// `invoke` with options: a raw body (a `Uint8Array`) and headers.
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn invoke_with(cmd: &str, body: JsValue, options: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], catch)]
    async fn listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>)
        -> Result<JsValue, JsValue>;
}

fn local_error(vi: &str, en: &str, detail: String) -> CommandError {
    CommandError::plain(format!("{vi} ({detail})"), format!("{en} ({detail})"))
}

async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, CommandError> {
    answer(invoke(cmd, encode(args)?).await)
}

fn encode<A: Serialize>(args: &A) -> Result<JsValue, CommandError> {
    // Tauri wants plain objects, not the JS Maps serde-wasm-bindgen makes by default.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    args.serialize(&serializer).map_err(|e| {
        local_error(
            "Lỗi dữ liệu gửi đi",
            "Could not encode the request",
            e.to_string(),
        )
    })
}

/// The shell's answer read as `R`, or its `CommandError`.
fn answer<R: DeserializeOwned>(result: Result<JsValue, JsValue>) -> Result<R, CommandError> {
    match result {
        Ok(v) => serde_wasm_bindgen::from_value(v).map_err(|e| {
            local_error(
                "Lỗi dữ liệu nhận về",
                "Could not read the answer",
                e.to_string(),
            )
        }),
        Err(e) => Err(shell_error(e)),
    }
}

/// The shell's refusal: its `CommandError`, or what it said otherwise.
fn shell_error(e: JsValue) -> CommandError {
    serde_wasm_bindgen::from_value::<CommandError>(e.clone()).unwrap_or_else(|_| {
        local_error(
            "Ứng dụng không phản hồi",
            "The app did not answer",
            e.as_string().unwrap_or_else(|| format!("{e:?}")),
        )
    })
}

#[derive(Serialize)]
struct NoArgs {}

#[derive(Serialize)]
struct Save<'a, T> {
    input: &'a T,
    id: Option<Uuid>,
}

#[derive(Serialize)]
struct ById {
    id: Uuid,
}

#[derive(Serialize)]
struct Page<'a> {
    filter: &'a ListFilter,
    offset: u32,
    limit: u32,
}

/// One page of a dated list (sessions, surveys, hot spots).
async fn page<R: DeserializeOwned>(
    cmd: &str,
    filter: &ListFilter,
    offset: u32,
    limit: u32,
) -> Result<Vec<R>, CommandError> {
    call(
        cmd,
        &Page {
            filter,
            offset,
            limit,
        },
    )
    .await
}

pub async fn app_info() -> Result<AppInfo, CommandError> {
    call("app_info", &NoArgs {}).await
}

pub async fn default_enrol_code() -> Result<String, CommandError> {
    call("default_enrol_code", &NoArgs {}).await
}

pub async fn set_up(input: &SetupInput) -> Result<AppInfo, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        input: &'a SetupInput,
    }
    call("set_up", &A { input }).await
}

/// A new code from the office for a revoked tablet, used at the next sync
/// (an empty one withdraws it).
pub async fn renew_enrolment(code: &str) -> Result<AppInfo, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        code: &'a str,
    }
    call("renew_enrolment", &A { code }).await
}

/// The officer confirms the certificate the hub presented (`fingerprint`
/// as the screen showed it): the tablet trusts it, and only it.
pub async fn trust_hub_certificate(fingerprint: &str) -> Result<AppInfo, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        fingerprint: &'a str,
    }
    call("trust_hub_certificate", &A { fingerprint }).await
}

pub async fn save_settings(settings: &Settings) -> Result<AppInfo, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        settings: &'a Settings,
    }
    call("save_settings", &A { settings }).await
}

pub async fn save_draft(key: &str, json: Option<String>) -> Result<(), CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        key: &'a str,
        json: Option<String>,
    }
    call("save_draft", &A { key, json }).await
}

pub async fn load_draft(key: &str) -> Result<Option<String>, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        key: &'a str,
    }
    call("load_draft", &A { key }).await
}

pub async fn save_session(
    input: &SessionInput,
    id: Option<Uuid>,
) -> Result<SessionRow, CommandError> {
    call("save_session", &Save { input, id }).await
}

pub async fn get_session(id: Uuid) -> Result<SessionInput, CommandError> {
    call("get_session", &ById { id }).await
}

pub async fn save_person(input: &PersonInput, id: Option<Uuid>) -> Result<PersonRow, CommandError> {
    call("save_person", &Save { input, id }).await
}

pub async fn get_person(id: Uuid) -> Result<PersonInput, CommandError> {
    call("get_person", &ById { id }).await
}

pub async fn person_row(id: Uuid) -> Result<PersonRow, CommandError> {
    call("person_row", &ById { id }).await
}

/// A person moves to another commune of the district.
pub async fn move_person(id: Uuid, input: &pcmt_model::MoveInput) -> Result<(), CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        id: Uuid,
        input: &'a pcmt_model::MoveInput,
    }
    call("move_person", &A { id, input }).await
}

pub async fn move_destinations(commune: &str) -> Result<Vec<(String, String)>, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        commune: &'a str,
    }
    call("move_destinations", &A { commune }).await
}

pub async fn moved_people() -> Result<Vec<pcmt_model::api::MovedPerson>, CommandError> {
    call("moved_people", &NoArgs {}).await
}

/// Another file with the same citizen ID, a merge (issue 20).
pub async fn file_marks(id: Uuid) -> Result<pcmt_model::FileMarks, CommandError> {
    call("file_marks", &ById { id }).await
}

pub async fn save_survey(input: &SurveyInput, id: Option<Uuid>) -> Result<SurveyRow, CommandError> {
    call("save_survey", &Save { input, id }).await
}

pub async fn get_survey(id: Uuid) -> Result<SurveyInput, CommandError> {
    call("get_survey", &ById { id }).await
}

pub async fn save_hot_spot(
    input: &HotSpotInput,
    id: Option<Uuid>,
) -> Result<HotSpotRow, CommandError> {
    call("save_hot_spot", &Save { input, id }).await
}

pub async fn get_hot_spot(id: Uuid) -> Result<HotSpotInput, CommandError> {
    call("get_hot_spot", &ById { id }).await
}

pub async fn list_hot_spots(
    filter: &ListFilter,
    offset: u32,
    limit: u32,
) -> Result<Vec<HotSpotRow>, CommandError> {
    page("list_hot_spots", filter, offset, limit).await
}

pub async fn save_checkin(input: &CheckInInput) -> Result<CheckInRow, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        input: &'a CheckInInput,
    }
    call("save_checkin", &A { input }).await
}

pub async fn list_sessions(
    filter: &ListFilter,
    offset: u32,
    limit: u32,
) -> Result<Vec<SessionRow>, CommandError> {
    page("list_sessions", filter, offset, limit).await
}

pub async fn list_surveys(
    filter: &ListFilter,
    offset: u32,
    limit: u32,
) -> Result<Vec<SurveyRow>, CommandError> {
    page("list_surveys", filter, offset, limit).await
}

pub async fn search_people(
    query: &str,
    offset: u32,
    limit: u32,
) -> Result<Vec<PersonRow>, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        query: &'a str,
        offset: u32,
        limit: u32,
    }
    call(
        "search_people",
        &A {
            query,
            offset,
            limit,
        },
    )
    .await
}

/// Records kept on the tablet that this version cannot show.
pub async fn unreadable_records(offset: u32, limit: u32) -> Result<Vec<KeptRecord>, CommandError> {
    #[derive(Serialize)]
    struct A {
        offset: u32,
        limit: u32,
    }
    call("unreadable_records", &A { offset, limit }).await
}

pub async fn due_visits() -> Result<Vec<DueVisit>, CommandError> {
    call("due_visits", &NoArgs {}).await
}

pub async fn checkins_of(person: Uuid) -> Result<Vec<CheckInRow>, CommandError> {
    #[derive(Serialize)]
    struct A {
        person: Uuid,
    }
    call("checkins_of", &A { person }).await
}

pub async fn record_history(id: Uuid) -> Result<Vec<HistoryEntry>, CommandError> {
    call("record_history", &ById { id }).await
}

pub async fn record_conflicts(id: Uuid) -> Result<Vec<FieldConflict>, CommandError> {
    call("record_conflicts", &ById { id }).await
}

pub async fn resolve_conflict(id: Uuid, field: &str, value: &str) -> Result<(), CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        id: Uuid,
        field: &'a str,
        value: &'a str,
    }
    call("resolve_conflict", &A { id, field, value }).await
}

pub async fn sync_now() -> Result<SyncReport, CommandError> {
    call("sync_now", &NoArgs {}).await
}

/// Last sync, next try and how the last try ended.
pub async fn sync_status() -> Result<SyncStatus, CommandError> {
    call("sync_status", &NoArgs {}).await
}

/// Calls `on_progress` with the running totals of every sync, for as long
/// as the window lives.
pub fn on_sync_progress(on_progress: yew::Callback<SyncReport>) {
    on_event("sync-progress", on_progress);
}

/// Calls `on_status` whenever the shell's syncing changes (a sync started
/// or ended, by the button or by itself, or the next try moved).
pub fn on_sync_status(on_status: yew::Callback<SyncStatus>) {
    on_event("sync-status", on_status);
}

fn on_event<T: DeserializeOwned + 'static>(name: &'static str, on: yew::Callback<T>) {
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let payload =
            js_sys::Reflect::get(&event, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        if let Ok(value) = serde_wasm_bindgen::from_value::<T>(payload) {
            on.emit(value);
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        // The listener lives as long as the window: the closure is kept alive on purpose.
        if listen(name, &handler).await.is_ok() {
            handler.forget();
        }
    });
}

/// Today's date on the tablet's clock, for validation.
pub fn today() -> chrono::NaiveDate {
    let d = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())
        .unwrap_or_default()
}

#[derive(Serialize)]
struct ReportArgs<'a> {
    unit: &'a str,
    period: &'a Period,
}

pub async fn report(unit: &str, period: &Period) -> Result<Report, CommandError> {
    call("report", &ReportArgs { unit, period }).await
}

pub async fn export_report(
    unit: &str,
    period: &Period,
    format: ExportFormat,
) -> Result<ExportDone, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        #[serde(flatten)]
        what: ReportArgs<'a>,
        format: ExportFormat,
    }
    let what = ReportArgs { unit, period };
    call("export_report", &A { what, format }).await
}

/// The files saved from this tablet, newest first (nhật ký xuất tệp).
pub async fn export_log() -> Result<Vec<ExportEntry>, CommandError> {
    call("export_log", &NoArgs {}).await
}

/// The PIN screen's language toggle; works while the app is locked.
pub async fn choose_lang(lang: Lang) -> Result<LockState, CommandError> {
    #[derive(Serialize)]
    struct A {
        lang: Lang,
    }
    call("choose_lang", &A { lang }).await
}

pub async fn lock_state() -> Result<LockState, CommandError> {
    call("lock_state", &NoArgs {}).await
}

/// The officer touched the screen: the idle time starts again.
pub async fn still_here() -> Result<LockState, CommandError> {
    call("still_here", &NoArgs {}).await
}

#[derive(Serialize)]
struct PinArgs<'a> {
    pin: &'a str,
}

pub async fn set_pin(pin: &str) -> Result<LockState, CommandError> {
    call("set_pin", &PinArgs { pin }).await
}

pub async fn unlock(pin: &str) -> Result<LockState, CommandError> {
    call("unlock", &PinArgs { pin }).await
}

pub async fn lock_now() -> Result<LockState, CommandError> {
    call("lock_now", &NoArgs {}).await
}

pub async fn change_pin(old: &str, new: &str) -> Result<(), CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        old: &'a str,
        new: &'a str,
    }
    call("change_pin", &A { old, new }).await
}

/// Attaches the officer's file (its bytes as the page read them) to a
/// record, or to one site of a survey with the position it was taken at.
/// The bytes go as the request's raw body, not as JSON.
pub async fn attach_file(
    record: Uuid,
    site: Option<(Uuid, GeoPoint)>,
    bytes: &js_sys::Uint8Array,
) -> Result<AttachmentRow, CommandError> {
    let headers = js_sys::Object::new();
    let set = |name: &str, value: String| {
        // Setting a property of a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&headers, &name.into(), &value.into());
    };
    set("x-pcmt-record", record.to_string());
    if let Some((site, at)) = site {
        set("x-pcmt-site", site.to_string());
        set("x-pcmt-lat", at.lat.to_string());
        set("x-pcmt-lon", at.lon.to_string());
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"headers".into(), &headers);
    answer(invoke_with("attach_file", bytes.into(), options.into()).await)
}

pub async fn attachments_of(id: Uuid) -> Result<Vec<AttachmentRow>, CommandError> {
    call("attachments_of", &ById { id }).await
}

#[derive(Serialize)]
struct ByHash {
    hash: ContentHash,
}

/// A held file as a Blob URL the page can show (an `<img>`, a link to a
/// PDF); revoked when the returned value is dropped.
pub async fn attachment_url(
    hash: ContentHash,
    kind: AttachmentKind,
) -> Result<ObjectUrl, CommandError> {
    let bytes = invoke("read_attachment", encode(&ByHash { hash })?)
        .await
        .map_err(shell_error)?;
    // A raw response arrives as an ArrayBuffer (as an array of numbers
    // where the webview cannot take raw bytes): both become one Blob part.
    let part = if bytes.is_instance_of::<js_sys::ArrayBuffer>() {
        bytes
    } else {
        js_sys::Uint8Array::from(bytes).into()
    };
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(kind.mime());
    let blob = web_sys::Blob::new_with_buffer_source_sequence_and_options(
        &js_sys::Array::of1(&part),
        &options,
    )
    .and_then(|b| web_sys::Url::create_object_url_with_blob(&b))
    .map_err(|e| {
        local_error(
            "Không hiển thị được tệp",
            "Could not show the file",
            format!("{e:?}"),
        )
    })?;
    Ok(ObjectUrl(blob))
}

/// A Blob URL, revoked (its memory given back) when dropped.
#[derive(Debug, PartialEq)]
pub struct ObjectUrl(String);

impl ObjectUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Drop for ObjectUrl {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.0);
    }
}

/// The officer opened a photo held only as its thumbnail: fetched whole
/// at the next sync.
pub async fn want_attachment(hash: ContentHash) -> Result<(), CommandError> {
    call("want_attachment", &ByHash { hash }).await
}

/// "Tải tất cả ảnh của xã": every file of the commune's records, at the
/// next sync. How many were newly asked for.
pub async fn want_commune_attachments(commune: &str) -> Result<usize, CommandError> {
    #[derive(Serialize)]
    struct A<'a> {
        commune: &'a str,
    }
    call("want_commune_attachments", &A { commune }).await
}
