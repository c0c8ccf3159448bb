//! `cargo xtask bench import`: the register imported at the office
//! (issue 20) — how long the dashboard takes to preview a 2,000-row
//! workbook of varied people (`pcmt_model::fixtures::varied`: names,
//! places, CCCDs, statuses) against a register of 3,000 files, through
//! the router as a browser posts it (read, every row checked and matched,
//! the page written), and how long the confirmation takes to write the
//! new files. The rows are new ones, people already in the register,
//! repeats of a row above and refused ones, in known numbers: any count
//! the preview or the confirmation gets wrong fails the run. On an
//! in-memory SQLite hub, release build. Writes
//! `$PCMT_BENCH_DIR/import.json`.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use pcmt_hub::rules::audit::{Actor, Entry};
use pcmt_hub::rules::protocol::OfficeWrite;
use pcmt_hub::rules::register::office_docs;
use pcmt_hub::staff::{add_staff, Role};
use pcmt_hub::web::router;
use pcmt_hub::{HubStorage, HubStore, OfficeStorage};
use pcmt_model::fixtures::varied::{FieldWork, Rng};
use pcmt_model::person_sheet::{row_of, COLUMNS};
use pcmt_model::{Lang, OrgLevel, OrgTree, PersonInput};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceExt;

const ROWS: usize = 2000;
const REGISTERED: usize = 200;
const REPEATS: usize = 100;
const REFUSED: usize = 100;
const NEW: usize = ROWS - REGISTERED - REPEATS - REFUSED;
const OTHERS_IN_REGISTER: usize = 2800;
const RUNS: usize = 5;
const DISTRICT: &str = "62-610";
const PASSWORD: &str = "mật khẩu văn phòng";

fn people(work: &mut FieldWork<'_>, communes: &[String], n: usize) -> Vec<PersonInput> {
    (0..n)
        .map(|i| {
            let mut p = work.person(&communes[i % communes.len()]);
            // The register holds the span in force; the file's row too.
            let last = p.statuses.len() - 1;
            p.statuses = vec![p.statuses[last].clone()];
            p.statuses[0].until = None;
            p
        })
        .collect()
}

fn workbook(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, col) in COLUMNS.iter().enumerate() {
        sheet.write_string(0, c as u16, col.header).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, c as u16, cell)
                .expect("cell");
        }
    }
    book.save_to_buffer().expect("the workbook")
}

fn upload(cookie: &str, csrf: &str, file: &[u8]) -> Request<Body> {
    let boundary = "pcmt-bench";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"so.xlsx\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Request::post("/dashboard/admin/import/preview")
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("a request")
}

async fn text(app: &Router, req: Request<Body>) -> (StatusCode, String, String) {
    let r = app.clone().oneshot(req).await.expect("an answer");
    let status = r.status();
    let location = r
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(r.into_body(), 64 << 20)
        .await
        .expect("a body");
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        location,
    )
}

fn attr(html: &str, name: &str) -> String {
    let needle = format!(r#"{name}=""#);
    let at = html.find(&needle).map_or(html.len(), |i| i + needle.len());
    html[at..].split('"').next().unwrap_or_default().to_string()
}

fn counts(html: &str) -> [usize; 4] {
    let at = html.find(r#"id="import-counts""#).unwrap_or(0);
    let part = &html[at..];
    [
        "data-create",
        "data-registered",
        "data-repeats",
        "data-refused",
    ]
    .map(|a| attr(part, a).parse().unwrap_or(usize::MAX))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let store = Arc::new(HubStore::open_in_memory().expect("a hub"));
    add_staff(&*store, "quantri", PASSWORD, DISTRICT, Role::Admin).expect("an account");
    let units: Arc<OrgTree> = store.units();
    let communes: Vec<String> = units
        .units_within(DISTRICT, OrgLevel::Commune)
        .map(|c| c.code.clone())
        .collect();
    let today = chrono::Utc::now().date_naive();
    let mut work = FieldWork {
        rng: Rng::new(20),
        units: &units,
        today,
    };
    let registered = people(&mut work, &communes, REGISTERED + OTHERS_IN_REGISTER);
    let new = people(&mut work, &communes, NEW + REFUSED);
    let by = Actor::staff("quantri");
    let write = |list: &[PersonInput]| {
        let docs = office_docs(list, "quantri", 0).expect("documents");
        store
            .write_as_office(
                &docs,
                &OfficeWrite {
                    communes: &communes,
                    by: &by,
                    new_only: true,
                },
                &|n| Entry::register_imported("quantri", DISTRICT, n),
            )
            .expect("written")
    };
    write(&registered);

    let row = |p: &PersonInput| row_of(p, &units, Lang::Vi);
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(ROWS);
    rows.extend(new[..NEW].iter().map(row));
    rows.extend(registered[..REGISTERED].iter().map(row));
    rows.extend(new[..REPEATS].iter().map(row));
    rows.extend(new[NEW..].iter().map(|p| {
        let mut r = row(p);
        r[2] = "Không rõ".into();
        r
    }));
    // Interleaved, as an office's list is: every kind throughout the file.
    let mut shuffle = Rng::new(7);
    for i in (1..rows.len()).rev() {
        let j = shuffle.between(0, i as u64) as usize;
        rows.swap(i, j);
    }
    // Where a repeat lands before its original, the first of the two is
    // the new file and the second the repeat: the counts stay.
    let file = workbook(&rows);

    let app = router(store.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut failures: Vec<String> = Vec::new();
    let summary = runtime.block_on(async {
        let login = Request::post("/dashboard/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "username=quantri&password={}",
                PASSWORD
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect::<String>()
            )))
            .expect("a request");
        let r = app.clone().oneshot(login).await.expect("signed in");
        let cookie = r
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_string();
        let (_, page, _) = text(
            &app,
            Request::get("/dashboard/admin/import")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
        let csrf = attr(&page, r#"name="csrf" value"#);
        let mut preview_ms = Vec::new();
        let mut preview = String::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let (status, html, _) = text(&app, upload(&cookie, &csrf, &file)).await;
            preview_ms.push(started.elapsed().as_secs_f64() * 1000.0);
            if status != StatusCode::OK {
                failures.push(format!("preview answered {status}"));
            }
            preview = html;
        }
        let got = counts(&preview);
        let wanted = [NEW, REGISTERED, REPEATS, REFUSED];
        if got != wanted {
            failures.push(format!(
                "preview counts {got:?}, wanted {wanted:?} (new, registered, repeats, refused)"
            ));
        }
        let before = store.document_count().unwrap_or_default();
        let started = Instant::now();
        let confirm = Request::post("/dashboard/admin/import/confirm")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!(
                "csrf={csrf}&file={}",
                attr(&preview, r#"name="file" value"#)
            )))
            .expect("a request");
        let (_, _, location) = text(&app, confirm).await;
        let confirm_ms = started.elapsed().as_secs_f64() * 1000.0;
        let created = store.document_count().unwrap_or_default() - before;
        if created != NEW as u64 || location != format!("/dashboard/admin/import?created={NEW}") {
            failures.push(format!(
                "confirm created {created} ({location}), wanted {NEW}"
            ));
        }
        let (_, again, _) = text(&app, upload(&cookie, &csrf, &file)).await;
        let got = counts(&again);
        let wanted = [0, NEW + REGISTERED + REPEATS, 0, REFUSED];
        if got != wanted {
            failures.push(format!("second preview counts {got:?}, wanted {wanted:?}"));
        }
        serde_json::json!({
            "rows": ROWS,
            "file_bytes": file.len(),
            "register_files": REGISTERED + OTHERS_IN_REGISTER,
            "new": NEW,
            "registered": REGISTERED,
            "repeats": REPEATS,
            "refused": REFUSED,
            "preview_ms_median": median(preview_ms.clone()),
            "preview_ms_max": preview_ms.iter().copied().fold(0.0, f64::max),
            "preview_page_bytes": preview.len(),
            "confirm_ms": confirm_ms,
            "created": created,
        })
    });
    let out = std::env::var_os("PCMT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bench"));
    std::fs::create_dir_all(&out).expect("the bench folder");
    std::fs::write(
        out.join("import.json"),
        serde_json::to_vec_pretty(&summary).expect("json"),
    )
    .expect("write");
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
    if !failures.is_empty() {
        eprintln!("WRONG RESULTS: {failures:?}");
        std::process::exit(1);
    }
}
