//! Calls into the Tauri shell (`window.__TAURI__.core.invoke`).

use pcmt_model::api::{AppInfo, CommandError, SyncReport};
use pcmt_model::{SessionInput, SessionRow};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
    async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

fn local_error(vi: &str, en: &str, detail: String) -> CommandError {
    CommandError {
        fields: Vec::new(),
        message_vi: format!("{vi} ({detail})"),
        message_en: format!("{en} ({detail})"),
    }
}

async fn call<A: Serialize, R: DeserializeOwned>(cmd: &str, args: &A) -> Result<R, CommandError> {
    // Tauri wants plain objects, not the JS Maps serde-wasm-bindgen makes by default.
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args.serialize(&serializer).map_err(|e| {
        local_error(
            "Lỗi dữ liệu gửi đi",
            "Could not encode the request",
            e.to_string(),
        )
    })?;
    match invoke(cmd, args).await {
        Ok(v) => serde_wasm_bindgen::from_value(v).map_err(|e| {
            local_error(
                "Lỗi dữ liệu nhận về",
                "Could not read the answer",
                e.to_string(),
            )
        }),
        Err(e) => Err(
            serde_wasm_bindgen::from_value::<CommandError>(e.clone()).unwrap_or_else(|_| {
                local_error(
                    "Ứng dụng không phản hồi",
                    "The app did not answer",
                    e.as_string().unwrap_or_else(|| format!("{e:?}")),
                )
            }),
        ),
    }
}

#[derive(Serialize)]
struct NoArgs {}

#[derive(Serialize)]
struct SaveArgs<'a> {
    input: &'a SessionInput,
}

#[derive(Serialize)]
struct PageArgs {
    offset: u32,
    limit: u32,
}

pub async fn app_info() -> Result<AppInfo, CommandError> {
    call("app_info", &NoArgs {}).await
}

pub async fn save_session(input: &SessionInput) -> Result<SessionRow, CommandError> {
    call("save_session", &SaveArgs { input }).await
}

pub async fn list_sessions(offset: u32, limit: u32) -> Result<Vec<SessionRow>, CommandError> {
    call("list_sessions", &PageArgs { offset, limit }).await
}

pub async fn sync_now() -> Result<SyncReport, CommandError> {
    call("sync_now", &NoArgs {}).await
}

/// Today's date on the tablet's clock, for validation.
pub fn today() -> chrono::NaiveDate {
    let d = js_sys::Date::new_0();
    chrono::NaiveDate::from_ymd_opt(d.get_full_year() as i32, d.get_month() + 1, d.get_date())
        .unwrap_or_default()
}
