//! Photos and files of a record (issue 21). The file the officer picked
//! travels from the webview as the raw body of the request (no JSON array
//! of numbers, no base64), its record and site in headers; a file read
//! back travels as a raw response, which the screen turns into a Blob URL.
//! Android's webview cannot send a raw body: there Tauri sends the bytes
//! as a JSON array, read here too.

use super::records::{read, save};
use pcmt_core::store::AttachTo;
use pcmt_core::Store;
use pcmt_model::api::{AttachmentRow, CommandError};
use pcmt_model::{AttachmentRef, ContentHash, GeoPoint};
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::AppHandle;
use uuid::Uuid;

/// Headers of an attach request: the record, and for a survey's site the
/// site and the position the photo was taken at.
pub const RECORD_HEADER: &str = "x-pcmt-record";
pub const SITE_HEADER: &str = "x-pcmt-site";
pub const LAT_HEADER: &str = "x-pcmt-lat";
pub const LON_HEADER: &str = "x-pcmt-lon";

fn bad_request(what: &str) -> CommandError {
    CommandError::plain(
        format!("Yêu cầu đính kèm không hợp lệ ({what})."),
        format!("The attach request is not valid ({what})."),
    )
}

/// Attaches the file in the request's body to a record (a site's photo
/// with its position); the core processes it (a photo downscaled with its
/// EXIF gone, anything but a photo or PDF refused in the officer's words).
#[tauri::command]
pub async fn attach_file(
    app: AppHandle,
    request: Request<'_>,
) -> Result<AttachmentRow, CommandError> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let id = header(RECORD_HEADER)
        .and_then(|v| Uuid::parse_str(&v).ok())
        .ok_or_else(|| bad_request("record"))?;
    let site = match header(SITE_HEADER) {
        Some(v) => Some(Uuid::parse_str(&v).map_err(|_| bad_request("site"))?),
        None => None,
    };
    let coordinate = |name| header(name).and_then(|v| v.parse::<f64>().ok());
    let position = match (coordinate(LAT_HEADER), coordinate(LON_HEADER)) {
        (Some(lat), Some(lon)) => Some(GeoPoint { lat, lon }),
        _ => None,
    };
    let file: Vec<u8> = match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        InvokeBody::Json(value) => {
            serde_json::from_value(value.clone()).map_err(|_| bad_request("body"))?
        }
    };
    save(app, move |store, author| {
        let attachment = store.attach(id, &file, AttachTo { site, position }, author)?;
        Ok(AttachmentRow {
            attachment,
            held: true,
        })
    })
    .await
}

#[tauri::command]
pub async fn attachments_of(app: AppHandle, id: Uuid) -> Result<Vec<AttachmentRow>, CommandError> {
    read(app, move |store| {
        store
            .attachments_of(id)?
            .into_iter()
            .map(|attachment| row(store, attachment))
            .collect()
    })
    .await
}

fn row(store: &Store, attachment: AttachmentRef) -> Result<AttachmentRow, pcmt_core::CoreError> {
    Ok(AttachmentRow {
        held: store.holds_attachment(attachment.hash)?,
        attachment,
    })
}

/// A file (or thumbnail) the tablet holds whole, as raw bytes.
#[tauri::command]
pub async fn read_attachment(app: AppHandle, hash: ContentHash) -> Result<Response, CommandError> {
    let bytes = read(app, move |store| store.attachment(hash)).await?;
    bytes.map(Response::new).ok_or_else(|| {
        CommandError::plain(
            "Tệp này chưa có trên máy; sẽ tải về ở lần đồng bộ tới.",
            "This file is not on the tablet yet; it comes at the next sync.",
        )
    })
}

/// The officer opened a photo the tablet holds only the thumbnail of.
#[tauri::command]
pub async fn want_attachment(app: AppHandle, hash: ContentHash) -> Result<(), CommandError> {
    save(app, move |store, _| store.want_attachment(hash)).await
}

/// "Tải tất cả ảnh của xã": how many files were newly asked for.
#[tauri::command]
pub async fn want_commune_attachments(
    app: AppHandle,
    commune: String,
) -> Result<usize, CommandError> {
    save(app, move |store, _| {
        store.want_commune_attachments(&commune)
    })
    .await
}
