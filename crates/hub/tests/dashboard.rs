//! The office dashboard through its HTTP routes (the router alone, no
//! socket): sign-in, sessions, scope, the sign-in limit and the downloads,
//! on a hub seeded with the demo district's year of field work. Every test
//! runs on both stores: `sqlite::name` and `postgres::name`, the second
//! skipped with a printed line when `PCMT_TEST_PG` is not set.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use pcmt_hub::staff as auth;
use pcmt_hub::staff::Role;
use pcmt_hub::testing::TestDatabase;
use pcmt_hub::web::{router_with, Limits, Storage};
use pcmt_hub::{demo, HubStorage, HubStore};
use std::future::Future;
use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const PASSWORD: &str = "mật khẩu văn phòng";
/// The demo district, and one of its communes.
const DISTRICT: &str = "62-610";
const PEK: &str = "62-610-23284";
const CHOONG: &str = "62-610-23287";
const XOP: &str = "62-610-23290";

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::run(super::$name, None);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(db) = pcmt_hub::testing::TestDatabase::from_env(stringify!($name))
                        .expect("the PostgreSQL server of PCMT_TEST_PG")
                    else {
                        return;
                    };
                    super::run(super::$name, Some(&db));
                }
            )*
        }
    };
}

on_both_stores!(
    without_a_session_every_page_and_download_sends_to_the_sign_in,
    the_right_password_opens_the_report_of_the_staff_members_unit,
    a_wrong_password_or_name_gets_a_clear_error_and_no_session,
    repeated_failures_lock_the_username_even_for_the_right_password,
    a_commune_account_sees_its_commune_only,
    downloads_have_their_type_a_vietnamese_name_and_parse,
    signing_out_ends_the_session,
    the_audit_log_shows_a_staff_member_only_their_units_entries,
    downloads_and_sign_ins_are_logged_for_the_units_they_concern,
    plain_staff_are_refused_every_administration_route,
    an_administrator_issues_a_code_a_tablet_enrols_and_is_revoked_all_logged,
    a_commune_administrator_administers_its_commune_only,
    sync_health_shows_what_each_communes_tablets_sent,
    drug_free_communes_are_classed_by_the_office_and_counted_beside_last_year,
    an_administrator_manages_staff_accounts_and_every_act_is_logged,
    a_commune_administrator_manages_its_communes_accounts_only,
    the_province_plan_sets_the_deadline_and_targets_of_every_report,
    the_register_goes_to_administrators_only_and_each_download_is_logged,
    files_sharing_a_citizen_id_are_listed_for_the_units_they_touch,
    the_provinces_administrator_loads_units_from_a_spreadsheet_after_a_bad_one_is_refused,
    an_administrator_imports_the_register_and_importing_it_again_creates_nothing,
    photos_show_open_whole_to_their_unit_logged_and_an_administrator_purges_one,
);

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Runs a scenario on a demo hub with two accounts, the district office and
/// Đăk Pék's, on SQLite (in memory) or on the PostgreSQL database given;
/// the scenario gets the router and the store (for what tablets do). The
/// store is made and dropped outside the runtime: the PostgreSQL client's
/// connections each own a small runtime of their own.
fn run<F: Future<Output = ()>>(
    scenario: impl FnOnce(Router, Storage) -> F,
    pg: Option<&TestDatabase>,
) {
    let storage: Storage = match pg {
        None => Arc::new(HubStore::open_in_memory().unwrap()),
        Some(db) => Arc::new(db.store().unwrap()),
    };
    demo::seed_office(&*storage, today()).unwrap();
    auth::add_staff(&*storage, "huyen", PASSWORD, DISTRICT, Role::Staff).unwrap();
    auth::add_staff(&*storage, "dakpek", PASSWORD, PEK, Role::Staff).unwrap();
    auth::add_staff(&*storage, "quantri", PASSWORD, DISTRICT, Role::Admin).unwrap();
    auth::add_staff(&*storage, "quantripek", PASSWORD, PEK, Role::Admin).unwrap();
    let app = router_with(
        storage.clone(),
        Limits {
            per_user: 3,
            failure_delay: Duration::from_millis(5),
            ..Limits::default()
        },
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(scenario(app, storage.clone()));
    drop(runtime);
    drop(storage);
}

async fn send(app: &Router, req: Request<Body>) -> Response {
    app.clone().oneshot(req).await.unwrap()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).unwrap()
}

fn form(user: &str, password: &str) -> Request<Body> {
    let body = format!(
        "username={}&password={}",
        urlencode(user),
        urlencode(password)
    );
    Request::post("/dashboard/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn body(r: Response) -> Vec<u8> {
    axum::body::to_bytes(r.into_body(), 50 << 20)
        .await
        .unwrap()
        .to_vec()
}

async fn text(r: Response) -> String {
    String::from_utf8(body(r).await).unwrap()
}

fn header_of(r: &Response, name: header::HeaderName) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// Signs in and returns the cookie to send back.
async fn sign_in(app: &Router, user: &str) -> String {
    let r = send(app, form(user, PASSWORD)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(header_of(&r, header::LOCATION), "/dashboard");
    let cookie = header_of(&r, header::SET_COOKIE);
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Max-Age=36000",
        "Path=/dashboard",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    cookie.split(';').next().unwrap().to_string()
}

async fn without_a_session_every_page_and_download_sends_to_the_sign_in(app: Router, _: Storage) {
    for path in [
        "/dashboard",
        "/dashboard/audit",
        "/dashboard/export/xlsx",
        "/dashboard?unit=62-610&kind=month",
    ] {
        for cookie in [None, Some("pcmt_staff=forged"), Some("other=1")] {
            let r = send(&app, get(path, cookie)).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path} {cookie:?}");
            assert_eq!(header_of(&r, header::LOCATION), "/dashboard/login");
        }
    }
    let login = send(&app, get("/dashboard/login", None)).await;
    assert_eq!(login.status(), StatusCode::OK);
    assert!(text(login).await.contains("Mật khẩu"));
    let root = send(&app, get("/", None)).await;
    assert_eq!(header_of(&root, header::LOCATION), "/dashboard");
}

async fn the_right_password_opens_the_report_of_the_staff_members_unit(app: Router, _: Storage) {
    let cookie = sign_in(&app, "Huyen").await;
    let r = send(&app, get("/dashboard", Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = text(r).await;
    assert!(html.contains("Huyện Đăk Glei (demo)"));
    assert!(html.contains(r#"<tr data-code="sessions">"#));
    assert!(html.contains(r#"class="met">Đạt"#), "a met target is shown");
    assert!(
        html.contains(r#"class="unmet">Chưa đạt"#),
        "so is an unmet one"
    );
    assert!(html.contains(r#"id="chart-sessions""#));
    // Each indicator beside the same days a year earlier.
    assert!(html.contains(r#"<p class="sub" id="previous-period">Cùng kỳ năm trước: "#));
    assert_eq!(
        html.matches(r#"<td class="num previous">"#).count(),
        html.matches("<tr data-code=").count()
    );
    assert!(html.contains(r#"id="site-plot""#));
    assert_eq!(html.matches("<tr data-commune=").count(), 3);
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing fetched from elsewhere"
    );
    // English on request.
    let en = text(send(&app, get("/dashboard?lang=en", Some(&cookie))).await).await;
    assert!(en.contains("Drug prevention and control report"));
    // This year's page counts up to today and says so; last year's has ended.
    use chrono::Datelike;
    let year_page = |year: i32| {
        let (app, cookie) = (app.clone(), cookie.clone());
        async move {
            let path = format!("/dashboard?kind=year&year={year}");
            text(send(&app, get(&path, Some(&cookie))).await).await
        }
    };
    let this_year = pcmt_model::report::Period::year(today().year()).unwrap();
    if this_year.counted_to(today()) < this_year.until {
        let said = format!(
            "số liệu tính đến hết ngày {}",
            pcmt_model::report::dmy(today())
        );
        assert!(year_page(today().year()).await.contains(&said), "{said}");
    }
    assert!(!year_page(today().year() - 1)
        .await
        .contains(r#"id="period-pending""#));
}

async fn a_wrong_password_or_name_gets_a_clear_error_and_no_session(app: Router, _: Storage) {
    for (user, password) in [("huyen", "sai mật khẩu"), ("khong-co", PASSWORD)] {
        let r = send(&app, form(user, password)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(header_of(&r, header::SET_COOKIE).is_empty());
        assert!(text(r)
            .await
            .contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    }
}

async fn repeated_failures_lock_the_username_even_for_the_right_password(app: Router, _: Storage) {
    for _ in 0..3 {
        let r = send(&app, form("huyen", "đoán mò đoán mò")).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = send(&app, form("huyen", PASSWORD)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(text(r).await.contains("Đăng nhập sai quá nhiều lần"));
    // Another account is not locked by them.
    sign_in(&app, "dakpek").await;
}

async fn a_commune_account_sees_its_commune_only(app: Router, _: Storage) {
    let cookie = sign_in(&app, "dakpek").await;
    let own = send(&app, get(&format!("/dashboard?unit={PEK}"), Some(&cookie))).await;
    assert_eq!(own.status(), StatusCode::OK);
    let html = text(own).await;
    assert!(html.contains("Xã Đăk Pék"));
    assert!(
        !html.contains(r#"value="62-610-23287""#),
        "no other commune offered"
    );
    for path in [
        format!("/dashboard?unit={CHOONG}"),
        format!("/dashboard?unit={DISTRICT}"),
        format!("/dashboard/export/geojson?unit={CHOONG}"),
        format!("/dashboard/export/xlsx?unit={DISTRICT}"),
    ] {
        let r = send(&app, get(&path, Some(&cookie))).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(text(r).await.contains("không được xem số liệu"));
    }
    let unknown = send(&app, get("/dashboard?unit=99", Some(&cookie))).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let bad = send(&app, get("/dashboard?kind=month&month=13", Some(&cookie))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

async fn downloads_have_their_type_a_vietnamese_name_and_parse(app: Router, _: Storage) {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    let cookie = sign_in(&app, "huyen").await;
    // The last twelve months: the whole demo year.
    let from = today() - chrono::Days::new(364);
    let q = format!("unit={DISTRICT}&kind=range&from={from}&until={}", today());
    let fetch = |format: &'static str| {
        let app = app.clone();
        let (q, cookie) = (q.clone(), cookie.clone());
        async move {
            let r = send(
                &app,
                get(&format!("/dashboard/export/{format}?{q}"), Some(&cookie)),
            )
            .await;
            assert_eq!(r.status(), StatusCode::OK, "{format}");
            let disposition = header_of(&r, header::CONTENT_DISPOSITION);
            assert!(
                disposition.starts_with("attachment; filename=\""),
                "{disposition}"
            );
            assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
            assert!(disposition.contains(&format!(".{format}")), "{disposition}");
            (header_of(&r, header::CONTENT_TYPE), body(r).await)
        }
    };

    let (kind, xlsx) = fetch("xlsx").await;
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Tuyên truyền",
            "Quản lý, cai nghiện",
            "Triệt xóa",
            "Xã không có ma túy",
            "Điểm, tụ điểm ma túy"
        ]
    );
    let sheet = wb.worksheet_range("Tuyên truyền").unwrap();
    let cells: Vec<String> = sheet.rows().flatten().map(|c| c.to_string()).collect();
    assert!(
        cells.iter().any(|c| c.contains("Huyện Đăk Glei (demo)")),
        "{cells:?}"
    );

    let (kind, csv) = fetch("csv").await;
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    assert!(String::from_utf8(csv)
        .unwrap()
        .contains("Số buổi tuyên truyền"));

    let (kind, geo) = fetch("geojson").await;
    assert_eq!(kind, "application/geo+json");
    let parsed: geojson::GeoJson = String::from_utf8(geo).unwrap().parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = parsed else {
        panic!("not a feature collection")
    };
    // Four sites, each a point and a walked boundary.
    assert_eq!(fc.features.len(), 8);
    assert!(fc.features.iter().all(|f| f
        .properties
        .as_ref()
        .is_some_and(|p| !p.contains_key("grower"))));

    let (kind, kml) = fetch("kml").await;
    assert_eq!(kind, "application/vnd.google-earth.kml+xml");
    let kml = String::from_utf8(kml).unwrap();
    assert!(kml.starts_with("<?xml"));
    assert_eq!(kml.matches("<Placemark").count(), 8);

    // The official document, read back: the header and the district's
    // place, dated the day it was made.
    let (kind, docx) = fetch("docx").await;
    assert_eq!(
        kind,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let blocks = pcmt_export::read_blocks(&docx).unwrap();
    let Some(pcmt_export::Block::Table(header)) = blocks.first() else {
        panic!("no header: {blocks:?}")
    };
    assert!(header[0][1].starts_with("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert_eq!(
        header[1][1],
        pcmt_export::place_and_date("Đăk Glei", today(), pcmt_model::Lang::Vi)
    );
    assert!(blocks.contains(&pcmt_export::Block::Paragraph("BÁO CÁO".into())));

    let missing = send(&app, get("/dashboard/export/pdf", Some(&cookie))).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn signing_out_ends_the_session(app: Router, _: Storage) {
    let cookie = sign_in(&app, "huyen").await;
    let out = send(
        &app,
        Request::post("/dashboard/logout")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(header_of(&out, header::SET_COOKIE).contains("Max-Age=0"));
    let after = send(&app, get("/dashboard", Some(&cookie))).await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
}

/// A tablet enrolled in `commune` for `officer` pushes a new session;
/// returns the record's id.
fn tablet_pushes_a_session(hub: &dyn HubStorage, commune: &str, officer: &str) -> uuid::Uuid {
    use pcmt_model::{SessionForm, SessionInput, Topic, VenueKind};
    let input = SessionInput {
        date: today(),
        commune: commune.into(),
        venue_kind: VenueKind::Market,
        venue_name: "Chợ phiên".into(),
        form: SessionForm::Broadcast,
        attendees: 40,
        women: 20,
        topics: vec![Topic::DisguisedDrugs],
        details: Default::default(),
    };
    tablet_pushes(hub, commune, officer, &input)
}

/// A tablet newly enrolled in `commune` for `officer` pushes `record` as a
/// new record; returns its id.
fn tablet_pushes<R: pcmt_core::record_doc::Record>(
    hub: &dyn HubStorage,
    commune: &str,
    officer: &str,
    record: &R,
) -> uuid::Uuid {
    use pcmt_core::record_doc::{self, ChangeNote};
    use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
    let code = hub.issue_code(&[commune.into()], officer, 3600).unwrap();
    let enrolment = hub.enrol(&code, uuid::Uuid::now_v7(), None).unwrap();
    let scope = hub.authenticate(&enrolment.token).unwrap();
    let id = uuid::Uuid::now_v7();
    let note = ChangeNote {
        officer: officer.into(),
    };
    let mut doc =
        record_doc::new_record(id, commune, record, automerge::ActorId::random(), &note, 0)
            .unwrap();
    hub.push(
        &scope,
        &PushRequest {
            protocol: PROTOCOL_VERSION,
            device: scope.device,
            docs: vec![DocChanges::since(id, R::KIND, commune, &mut doc, &[])],
            pull: None,
            epoch: None,
            office: None,
        },
    )
    .unwrap();
    id
}

fn rows(html: &str) -> usize {
    html.matches("<tr data-action=").count()
}

async fn the_audit_log_shows_a_staff_member_only_their_units_entries(app: Router, store: Storage) {
    // The stores are called from blocking threads, as the server does.
    let at_pek = tokio::task::spawn_blocking(move || {
        let at_pek = tablet_pushes_a_session(&*store, PEK, "A Lưu");
        tablet_pushes_a_session(&*store, CHOONG, "Y Bình");
        at_pek
    })
    .await
    .unwrap();

    let commune = sign_in(&app, "dakpek").await;
    let r = send(&app, get("/dashboard/audit", Some(&commune))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = text(r).await;
    assert!(html.contains("Nhật ký truy cập và thay đổi"));
    assert!(html.contains("A Lưu"), "its own tablet's officer");
    let hex = at_pek.simple().to_string();
    assert!(html.contains(&format!("<code>{}</code>", &hex[hex.len() - 8..])));
    assert!(!html.contains("Y Bình"), "another commune's tablet");
    assert!(!html.contains("Xã Đăk Choong"));

    // The district's year of seeded records fills more than a page.
    let district = sign_in(&app, "huyen").await;
    let html = text(send(&app, get("/dashboard/audit", Some(&district))).await).await;
    assert!(html.contains("A Lưu") && html.contains("Y Bình"));
    let first = html.find("<tr data-action=").unwrap();
    let row = &html[first..first + html[first..].find("</tr>").unwrap()];
    assert!(
        row.starts_with(r#"<tr data-action="signed_in""#) && row.contains("<td>huyen<"),
        "newest first, this sign-in: {row}"
    );
    assert_eq!(rows(&html), 100, "a page of a hundred");
    assert!(html.contains(r#"id="older" href="/dashboard/audit?page=1""#));
    let older = text(send(&app, get("/dashboard/audit?page=1", Some(&district))).await).await;
    assert!(rows(&older) > 0 && older.contains(r#"id="newer""#));
    assert!(
        !older.contains("<td>huyen<"),
        "the sign-in was on the first page"
    );

    // A record's own entries, from the link in its row.
    let path = format!("/dashboard/audit?record={at_pek}&lang=en");
    let html = text(send(&app, get(&path, Some(&commune))).await).await;
    assert_eq!(rows(&html), 1);
    assert!(html.contains("Record created") && html.contains("1 changes"));
    assert!(html.contains("Access and change log"));
    let bad = send(&app, get("/dashboard/audit?device=nope", Some(&commune))).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(text(bad).await.contains("Bộ lọc không hợp lệ"));
}

async fn downloads_and_sign_ins_are_logged_for_the_units_they_concern(app: Router, _: Storage) {
    let wrong = send(&app, form("huyen", "sai mật khẩu")).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let cookie = sign_in(&app, "huyen").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(report.contains(r#"id="audit-link" href="/dashboard/audit""#));
    let csv = send(
        &app,
        get(
            &format!("/dashboard/export/csv?unit={DISTRICT}&kind=year&year=2026"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);

    let html = text(send(&app, get("/dashboard/audit", Some(&cookie))).await).await;
    let actions: Vec<&str> = html
        .split(r#"<tr data-action=""#)
        .skip(1)
        .take(3)
        .map(|row| &row[..row.find('"').unwrap()])
        .collect();
    assert_eq!(
        actions,
        ["export_downloaded", "signed_in", "sign_in_failed"]
    );
    assert!(html.contains("Tải báo cáo về"));
    assert!(html.contains("Bảng chỉ tiêu (CSV)"));
    assert!(html.contains("Năm 2026 (từ 01/01/2026 đến 31/12/2026)"));

    // Đăk Pék's account reads neither the district's export nor its sign-ins.
    let commune = sign_in(&app, "dakpek").await;
    let html = text(send(&app, get("/dashboard/audit", Some(&commune))).await).await;
    assert!(!html.contains("export_downloaded"));
    assert!(!html.contains("sign_in_failed"));
    assert!(!html.contains("<td>huyen<"));
}

/// Runs `work` on the store off the async threads (the PostgreSQL client
/// blocks), as the hub itself does.
async fn on_store<T: Send + 'static>(
    store: &Storage,
    work: impl FnOnce(&dyn HubStorage) -> T + Send + 'static,
) -> T {
    let store = store.clone();
    tokio::task::spawn_blocking(move || work(&*store))
        .await
        .unwrap()
}

/// A form post with the session's cookie.
fn post_form(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// The CSRF token a page's forms carry.
fn csrf_of(html: &str) -> String {
    let needle = r#"name="csrf" value=""#;
    let at = html.find(needle).expect("a form token") + needle.len();
    html[at..].split('"').next().unwrap().to_string()
}

async fn plain_staff_are_refused_every_administration_route(app: Router, store: Storage) {
    let cookie = sign_in(&app, "huyen").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(
        !report.contains("tablets-link") && !report.contains("staff-link"),
        "no link to what is refused"
    );
    let device = uuid::Uuid::now_v7();
    on_store(&store, move |s| {
        let code = s.issue_code(&[PEK.into()], "A Lưu", 3600).unwrap();
        s.enrol(&code, device, None).unwrap();
    })
    .await;
    for req in [
        get("/dashboard/admin/tablets", Some(&cookie)),
        post_form(
            "/dashboard/admin/tablets/code",
            &cookie,
            &format!("officer=A&commune-{PEK}=1&csrf=x"),
        ),
        post_form(
            &format!("/dashboard/admin/tablets/{device}/revoke"),
            &cookie,
            "csrf=x",
        ),
        post_form(
            &format!("/dashboard/admin/tablets/{device}/lost"),
            &cookie,
            "csrf=x",
        ),
        get("/dashboard/admin/staff", Some(&cookie)),
        post_form(
            "/dashboard/admin/staff",
            &cookie,
            &format!("username=moi&password=mat.khau.dai.du&unit={PEK}&role=admin&csrf=x"),
        ),
        post_form("/dashboard/admin/staff/dakpek/disable", &cookie, "csrf=x"),
        post_form(
            "/dashboard/admin/staff/huyen/place",
            &cookie,
            &format!("unit={DISTRICT}&role=admin&csrf=x"),
        ),
        post_form(
            "/dashboard/admin/staff/dakpek/password",
            &cookie,
            "password=mat.khau.moi.dai&csrf=x",
        ),
        get("/dashboard/admin/units", Some(&cookie)),
        get("/dashboard/admin/units/mau-don-vi.xlsx", Some(&cookie)),
        upload(
            &cookie,
            "x",
            "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên\n",
        ),
        post_form(
            "/dashboard/admin/units/load",
            &cookie,
            "csrf=x&version=1&units=%5B%5D",
        ),
        get("/dashboard/admin/import", Some(&cookie)),
        get(
            "/dashboard/admin/import/mau-so-theo-doi.xlsx",
            Some(&cookie),
        ),
        upload_to(
            "/dashboard/admin/import/preview",
            &cookie,
            "x",
            &register_csv(&[]),
        ),
        post_form(
            "/dashboard/admin/import/confirm",
            &cookie,
            &format!("csrf=x&file={}", hex::encode(register_csv(&[]))),
        ),
        post_form(
            "/dashboard/duplicates/merge",
            &cookie,
            &format!(
                "csrf=x&kept={}&gone={}",
                uuid::Uuid::now_v7(),
                uuid::Uuid::now_v7()
            ),
        ),
    ] {
        let r = send(&app, req).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(text(r).await.contains("Chỉ quản trị viên"));
    }
    let devices = on_store(&store, |s| s.devices().unwrap()).await;
    assert!(devices.iter().all(|d| d.revoked_at.is_none()));
    assert_eq!(on_store(&store, |s| s.units_version()).await, 1);
    let accounts = on_store(&store, |s| s.staff_accounts().unwrap()).await;
    assert_eq!(accounts.len(), 4, "no account added");
    assert!(accounts
        .iter()
        .all(|a| a.disabled_at.is_none() && a.staff.role == Role::Staff
            || a.staff.username.starts_with("quantri")));
    sign_in(&app, "dakpek").await;
}

async fn an_administrator_issues_a_code_a_tablet_enrols_and_is_revoked_all_logged(
    app: Router,
    store: Storage,
) {
    let cookie = sign_in(&app, "quantri").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(report.contains("tablets-link"));
    let page = send(&app, get("/dashboard/admin/tablets", Some(&cookie))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = text(page).await;
    let csrf = csrf_of(&page);

    // A forged form (no token, another session's) changes nothing.
    for token in ["", "0123"] {
        let r = send(
            &app,
            post_form(
                "/dashboard/admin/tablets/code",
                &cookie,
                &format!("officer=Y%20Hoa&commune-{PEK}=1&csrf={token}"),
            ),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(text(r).await.contains("Biểu mẫu đã hết hạn"));
    }
    // No officer, no commune: said in Vietnamese.
    let r = send(
        &app,
        post_form(
            "/dashboard/admin/tablets/code",
            &cookie,
            &format!("officer=&commune-{PEK}=1&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(text(r).await.contains("họ tên cán bộ"));
    let r = send(
        &app,
        post_form(
            "/dashboard/admin/tablets/code",
            &cookie,
            &format!("officer=Y%20Hoa&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(text(r).await.contains("ít nhất một xã"));

    // The code, shown large; a tablet enrols with it for Đăk Pék.
    let r = send(
        &app,
        post_form(
            "/dashboard/admin/tablets/code",
            &cookie,
            &format!("officer=Y%20Hoa&commune-{PEK}=1&csrf={csrf}&lang=vi"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = text(r).await;
    let needle = r#"id="issued-code">"#;
    let at = page.find(needle).expect("the code") + needle.len();
    let code = page[at..].split('<').next().unwrap().to_string();
    assert!(
        code.contains('-') && code.len() >= 10,
        "read out in two parts: {code}"
    );
    let device = uuid::Uuid::now_v7();
    let (enrolment, again) = on_store(&store, move |s| {
        (
            s.enrol(&code, device, None).unwrap(),
            s.enrol(&code, uuid::Uuid::now_v7(), None),
        )
    })
    .await;
    assert_eq!(enrolment.communes, vec![PEK.to_string()]);
    assert!(again.is_err(), "a code works once");

    let page = text(send(&app, get("/dashboard/admin/tablets", Some(&cookie))).await).await;
    let row = page
        .split("<tr data-device=")
        .find(|r| r.contains(&device.to_string()))
        .expect("the new tablet listed");
    assert!(
        row.contains("Y Hoa") && row.contains("Đăk Pék") && row.contains("Đang dùng"),
        "{row}"
    );

    // Revoked from the page: its token no longer syncs.
    let r = send(
        &app,
        post_form(
            &format!("/dashboard/admin/tablets/{device}/revoke"),
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = header_of(&r, header::LOCATION);
    assert!(
        back.starts_with("/dashboard/admin/tablets?done=revoked-"),
        "{back}"
    );
    let token = enrolment.token.clone();
    assert!(on_store(&store, move |s| s.authenticate(&token).is_err()).await);
    let page = text(send(&app, get(&back, Some(&cookie))).await).await;
    assert!(
        page.contains("Đã thu hồi máy"),
        "the page says what was done"
    );

    // Both acts are in the log, by the administrator.
    let log = text(send(&app, get("/dashboard/audit", Some(&cookie))).await).await;
    for action in ["Cấp mã đăng ký máy", "Thu hồi máy"] {
        let entry = log
            .split("<tr data-action=")
            .find(|r| r.contains(action))
            .unwrap_or_else(|| panic!("{action} in the log"));
        assert!(entry.contains("quantri"), "{entry}");
    }
}

async fn a_commune_administrator_administers_its_commune_only(app: Router, store: Storage) {
    let cookie = sign_in(&app, "quantripek").await;
    let page = text(send(&app, get("/dashboard/admin/tablets", Some(&cookie))).await).await;
    let csrf = csrf_of(&page);
    assert!(page.contains(&format!("commune-{PEK}")));
    assert!(
        !page.contains(&format!("commune-{CHOONG}")),
        "only its commune to choose"
    );
    let r = send(
        &app,
        post_form(
            "/dashboard/admin/tablets/code",
            &cookie,
            &format!("officer=A&commune-{CHOONG}=1&csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A tablet of Đăk Choong: not listed, and not revocable from here.
    let other = uuid::Uuid::now_v7();
    on_store(&store, move |s| {
        let code = s.issue_code(&[CHOONG.into()], "B", 3600).unwrap();
        s.enrol(&code, other, None).unwrap();
    })
    .await;
    let page = text(send(&app, get("/dashboard/admin/tablets", Some(&cookie))).await).await;
    assert!(!page.contains(&other.to_string()));
    let r = send(
        &app,
        post_form(
            &format!("/dashboard/admin/tablets/{other}/lost"),
            &cookie,
            &format!("csrf={csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let listed = on_store(&store, |s| s.devices().unwrap()).await;
    let d = listed.iter().find(|d| d.id == other.to_string()).unwrap();
    assert!(d.lost_at.is_none() && d.revoked_at.is_none());
}

async fn drug_free_page(app: &Router, year: i32, cookie: &str) -> String {
    let path = format!("/dashboard/drug-free?year={year}");
    text(send(app, get(&path, Some(cookie))).await).await
}

/// Posts the drug-free form as the page sends it: every commune listed,
/// the ticked ones drug-free, the session's form token.
fn classing(
    year: i32,
    listed: &[&str],
    free: &[&str],
    (cookie, csrf): (&str, &str),
) -> Request<Body> {
    let mut fields = vec![format!("year={year}"), format!("csrf={csrf}")];
    fields.extend(listed.iter().map(|c| format!("commune={c}")));
    fields.extend(free.iter().map(|c| format!("free={c}")));
    Request::post("/dashboard/drug-free")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(fields.join("&")))
        .unwrap()
}

/// Issue 23: communes classed drug-free (xã không có ma túy) per year by
/// the office, through the dashboard's form, and the district report's
/// count and share of them with last year beside this year.
async fn drug_free_communes_are_classed_by_the_office_and_counted_beside_last_year(
    app: Router,
    store: Storage,
) {
    use chrono::Datelike;
    use pcmt_model::report::{IndicatorCode as I, Period};
    let this_year = today().year();
    let last_year = this_year - 1;
    // The store's client blocks: off the runtime's own threads.
    let report = |unit: &'static str| {
        tokio::task::block_in_place(|| {
            pcmt_hub::storage::with_rows(&*store, |rows| {
                pcmt_core::report::compute(
                    rows,
                    &store.units(),
                    &store.rules(),
                    unit,
                    &Period::year(this_year).unwrap(),
                    today(),
                )
            })
            .unwrap()
            .unwrap()
        })
    };
    // Nothing classed yet: no figure, rather than none drug-free.
    let before = report(DISTRICT);
    for code in [I::DrugFreeCommunes, I::DrugFreeShare] {
        let i = before.indicator(code).unwrap();
        assert_eq!((i.value, i.previous), (None, None), "{code:?}");
    }
    let cookie = sign_in(&app, "huyen").await;
    let page = drug_free_page(&app, this_year, &cookie).await;
    assert_eq!(page.matches("Chưa phân loại").count(), 3, "{page}");
    assert!(page.contains(r#"id="drug-free-save""#));
    let csrf = csrf_of(&page);
    // A form without this session's token is refused, whoever sends it.
    for forged in ["", "0123"] {
        let refused = send(&app, classing(this_year, &[PEK], &[PEK], (&cookie, forged))).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }

    let all = [PEK, CHOONG, XOP];
    // Last year: Đăk Pék alone. This year: Choong first, then corrected to
    // Đăk Pék and Xốp (a save replaces the year's classing).
    for (year, free) in [
        (last_year, &[PEK][..]),
        (this_year, &[CHOONG][..]),
        (this_year, &[PEK, XOP][..]),
    ] {
        let saved = send(&app, classing(year, &all, free, (&cookie, &csrf))).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            header_of(&saved, header::LOCATION),
            format!("/dashboard/drug-free?year={year}&saved=1")
        );
    }
    // Đăk Pék's own account may not class itself, nor may the office class
    // a unit outside its own or one that is not a commune: 403, nothing saved.
    let commune = sign_in(&app, "dakpek").await;
    let readonly = drug_free_page(&app, this_year, &commune).await;
    let commune_csrf = csrf_of(&readonly);
    let refused = send(
        &app,
        classing(this_year, &[PEK], &[PEK], (&commune, &commune_csrf)),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(readonly.contains(r#"id="drug-free-readonly""#));
    assert!(!readonly.contains(r#"id="drug-free-save""#));
    for outside in ["62", "99-999", "62-610-23284-A1"] {
        let refused = send(&app, classing(this_year, &[outside], &[], (&cookie, &csrf))).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{outside}");
    }

    // This year 2 of the district's 3 communes (Đăk Pék, Xốp), last year 1
    // (Đăk Pék): +1, +100%; shares 66,7% against 33,3%: +33,3 points.
    let r = report(DISTRICT);
    let free = r.indicator(I::DrugFreeCommunes).unwrap();
    assert_eq!((free.value, free.previous), (Some(2.0), Some(1.0)));
    assert_eq!(free.change_text(pcmt_model::Lang::Vi), "+1 (+100,0%)");
    let share = r.indicator(I::DrugFreeShare).unwrap();
    assert_eq!((share.numerator, share.denominator), (Some(2), Some(3)));
    assert_eq!(share.change_text(pcmt_model::Lang::Vi), "+33,3 điểm %");
    let names: Vec<&str> = r
        .drug_free_communes
        .iter()
        .map(|u| u.name.as_str())
        .collect();
    assert_eq!(names, ["Xã Đăk Pék", "Xã Xốp"]);
    // Đăk Choong's report: classed this year, not drug-free: 0 of 1
    // (none last year, when it was classed too).
    let choong = report(CHOONG);
    let none = choong.indicator(I::DrugFreeCommunes).unwrap();
    assert_eq!((none.value, none.previous), (Some(0.0), Some(0.0)));

    // The page shows the classing, the report page the indicator, and the
    // log each save, with its year.
    let page = drug_free_page(&app, this_year, &cookie).await;
    assert_eq!(page.matches("Không có ma túy").count(), 2, "{page}");
    assert!(page.contains(&format!(r#"id="free-{XOP}" checked"#)));
    let html = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(html.contains(r#"data-code="drug_free_communes""#));
    let log = text(send(&app, get("/dashboard/audit", Some(&cookie))).await).await;
    assert_eq!(log.matches(r#"data-action="drug_free_classed""#).count(), 3);
    assert!(log.contains(&format!("năm {last_year}")));
}

/// Issue 19's sync health: each commune's tablets in use, the last record
/// change they brought and how many this month; a commune with no tablet
/// in use, or silent, stands out.
async fn sync_health_shows_what_each_communes_tablets_sent(app: Router, store: Storage) {
    let cookie = sign_in(&app, "quantri").await;
    let row = |page: &str, commune: &str| -> String {
        page.split("<tr data-commune=")
            .find(|r| r.starts_with(&format!("\"{commune}\"")))
            .unwrap_or_else(|| panic!("{commune} in the sync health: {page}"))
            .split("</tr>")
            .next()
            .unwrap()
            .to_string()
    };
    let page = text(send(&app, get("/dashboard/admin/tablets", Some(&cookie))).await).await;
    assert!(page.contains(r#"id="sync-health""#));
    for commune in [PEK, CHOONG, XOP] {
        let r = row(&page, commune);
        assert!(
            r.contains(r#"class="silent""#) && r.contains("Chưa có máy đang dùng"),
            "{r}"
        );
    }
    // A Đăk Pék tablet sends two sessions: the commune is heard from.
    on_store(&store, |s| {
        tablet_pushes_a_session(s, PEK, "A Lưu");
        tablet_pushes_a_session(s, PEK, "A Lưu");
    })
    .await;
    let page = text(send(&app, get("/dashboard/admin/tablets", Some(&cookie))).await).await;
    let pek = row(&page, PEK);
    assert!(
        !pek.contains("silent") && pek.contains("Bình thường"),
        "{pek}"
    );
    assert!(
        pek.contains(r#"<td class="num">2</td><td class="when">"#),
        "two tablets in use: {pek}"
    );
    assert!(
        pek.contains(r#"<td class="num">2</td><td><span"#),
        "two records this month: {pek}"
    );
    assert!(row(&page, CHOONG).contains("silent"));
}

/// Whether `password` opens a session for `user`.
async fn signs_in(app: &Router, user: &str, password: &str) -> bool {
    send(app, form(user, password)).await.status() == StatusCode::SEE_OTHER
}

/// Whether `cookie`'s session still opens a page.
async fn session_lives(app: &Router, cookie: &str) -> bool {
    send(app, get("/dashboard", Some(cookie))).await.status() == StatusCode::OK
}

async fn an_administrator_manages_staff_accounts_and_every_act_is_logged(
    app: Router,
    store: Storage,
) {
    let cookie = sign_in(&app, "quantri").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(report.contains("staff-link"));
    let page = send(&app, get("/dashboard/admin/staff", Some(&cookie))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = text(page).await;
    for user in ["huyen", "dakpek", "quantri", "quantripek"] {
        assert!(
            page.contains(&format!(r#"data-account="{user}""#)),
            "{user}"
        );
    }
    assert!(
        !page.contains(r#"id="disable-quantri""#),
        "an administrator is offered no way to lock themselves out"
    );
    let csrf = csrf_of(&page);
    let add = |extra: &str| {
        post_form(
            "/dashboard/admin/staff",
            &cookie,
            &format!("username=canbo.xop&unit={XOP}&role=staff&{extra}"),
        )
    };
    const FIRST: &str = "mat.khau.dau.tien";
    const SECOND: &str = "mat.khau.thu.hai";

    // Forged, too short, a village for a unit: refused, nothing added.
    for (r, status, says) in [
        (
            send(&app, add(&format!("password={FIRST}&csrf=0123"))).await,
            StatusCode::FORBIDDEN,
            "Biểu mẫu đã hết hạn",
        ),
        (
            send(&app, add(&format!("password=ngan&csrf={csrf}"))).await,
            StatusCode::BAD_REQUEST,
            "ít nhất 10 ký tự",
        ),
        (
            send(
                &app,
                post_form(
                    "/dashboard/admin/staff",
                    &cookie,
                    &format!(
                        "username=canbo.thon&unit={PEK}-01&role=staff&password={FIRST}&csrf={csrf}"
                    ),
                ),
            )
            .await,
            StatusCode::FORBIDDEN,
            "Chỉ được đặt tài khoản vào đơn vị",
        ),
    ] {
        assert_eq!(r.status(), status);
        assert!(text(r).await.contains(says));
    }
    assert!(!signs_in(&app, "canbo.xop", FIRST).await);

    // Added: it signs in and reads Đăk Xốp only.
    let r = send(&app, add(&format!("password={FIRST}&csrf={csrf}"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = header_of(&r, header::LOCATION);
    assert_eq!(back, "/dashboard/admin/staff?done=add-canbo.xop");
    let page = text(send(&app, get(&back, Some(&cookie))).await).await;
    assert!(page.contains("Đã thêm tài khoản canbo.xop"));
    let r = send(&app, form("canbo.xop", FIRST)).await;
    let theirs = header_of(&r, header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert!(session_lives(&app, &theirs).await);
    let r = send(&app, add(&format!("password={FIRST}&csrf={csrf}"))).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text(r).await.contains("Đã có tài khoản tên canbo.xop"));

    // A new password ends the old one's sessions.
    let act = |what: &str, extra: &str| {
        post_form(
            &format!("/dashboard/admin/staff/canbo.xop/{what}"),
            &cookie,
            &format!("csrf={csrf}&{extra}"),
        )
    };
    let r = send(&app, act("password", &format!("password={SECOND}"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!session_lives(&app, &theirs).await);
    assert!(!signs_in(&app, "canbo.xop", FIRST).await);
    assert!(signs_in(&app, "canbo.xop", SECOND).await);

    // Made an administrator of Đăk Xốp: the tablets page opens for them.
    let r = send(&app, act("place", &format!("unit={XOP}&role=admin"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = send(&app, form("canbo.xop", SECOND)).await;
    let theirs = header_of(&r, header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let tablets = send(&app, get("/dashboard/admin/tablets", Some(&theirs))).await;
    assert_eq!(tablets.status(), StatusCode::OK);

    // Disabled: the session ends and the password no longer signs in;
    // enabled again, it does.
    let r = send(&app, act("disable", "")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!session_lives(&app, &theirs).await);
    assert!(!signs_in(&app, "canbo.xop", SECOND).await);
    let page = text(send(&app, get("/dashboard/admin/staff", Some(&cookie))).await).await;
    let row = page
        .split("<tr data-account=")
        .find(|r| r.starts_with("\"canbo.xop\""))
        .expect("the account listed");
    assert!(
        row.contains("Đã khóa") && row.contains("enable-canbo.xop"),
        "{row}"
    );
    let r = send(&app, act("disable", "")).await;
    assert_eq!(
        header_of(&r, header::LOCATION),
        "/dashboard/admin/staff?done=unchanged-canbo.xop"
    );
    send(&app, act("enable", "")).await;
    assert!(signs_in(&app, "canbo.xop", SECOND).await);

    // Their own account: a new password yes, never disabled or demoted.
    for (what, extra) in [("disable", ""), ("place", "unit=62-610&role=staff")] {
        let r = send(
            &app,
            post_form(
                &format!("/dashboard/admin/staff/quantri/{what}"),
                &cookie,
                &format!("csrf={csrf}&{extra}"),
            ),
        )
        .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(text(r).await.contains("không thể tự khóa"));
    }
    let me = on_store(&store, |s| s.staff_account("quantri").unwrap()).await;
    assert_eq!(me.unwrap().1.role, Role::Admin);

    // Every act in the log, by the administrator, concerning Đăk Xốp; no
    // password anywhere in it.
    let log = text(send(&app, get("/dashboard/audit", Some(&cookie))).await).await;
    for action in [
        "Tạo tài khoản cán bộ",
        "Đặt lại mật khẩu",
        "Đổi đơn vị, vai trò tài khoản",
        "Khóa tài khoản",
        "Mở khóa tài khoản",
    ] {
        let entry = log
            .split("<tr data-action=")
            .find(|r| r.contains(action))
            .unwrap_or_else(|| panic!("{action} in the log"));
        assert!(
            entry.contains("quantri") && entry.contains("tài khoản canbo.xop"),
            "{entry}"
        );
    }
    assert!(!log.contains(FIRST) && !log.contains(SECOND));
    let xop_log = text(
        send(
            &app,
            get(
                "/dashboard/audit",
                Some(&sign_in_with(&app, "canbo.xop", SECOND).await),
            ),
        )
        .await,
    )
    .await;
    assert!(
        xop_log.contains("Tạo tài khoản cán bộ"),
        "the commune's own staff read what was done to their accounts"
    );
}

async fn sign_in_with(app: &Router, user: &str, password: &str) -> String {
    let r = send(app, form(user, password)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{user} signs in");
    header_of(&r, header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

async fn a_commune_administrator_manages_its_communes_accounts_only(app: Router, store: Storage) {
    let cookie = sign_in(&app, "quantripek").await;
    let page = text(send(&app, get("/dashboard/admin/staff", Some(&cookie))).await).await;
    let csrf = csrf_of(&page);
    assert!(page.contains(r#"data-account="dakpek""#));
    for other in ["huyen", "quantri"] {
        assert!(
            !page.contains(&format!(r#"data-account="{other}""#)),
            "{other}"
        );
    }
    assert!(page.contains(&format!(r#"<option value="{PEK}""#)));
    assert!(
        !page.contains(&format!(r#"<option value="{DISTRICT}""#))
            && !page.contains(&format!(r#"<option value="{XOP}""#)),
        "only its commune to place accounts in"
    );
    for req in [
        post_form(
            "/dashboard/admin/staff/huyen/disable",
            &cookie,
            &format!("csrf={csrf}"),
        ),
        post_form(
            "/dashboard/admin/staff/huyen/password",
            &cookie,
            &format!("password=mat.khau.cua.toi&csrf={csrf}"),
        ),
        post_form(
            "/dashboard/admin/staff/dakpek/place",
            &cookie,
            &format!("unit={DISTRICT}&role=admin&csrf={csrf}"),
        ),
        post_form(
            "/dashboard/admin/staff",
            &cookie,
            &format!("username=moi&password=mat.khau.dai.du&unit={XOP}&role=staff&csrf={csrf}"),
        ),
    ] {
        assert_eq!(send(&app, req).await.status(), StatusCode::FORBIDDEN);
    }
    let accounts = on_store(&store, |s| s.staff_accounts().unwrap()).await;
    assert_eq!(accounts.len(), 4);
    let huyen = accounts
        .iter()
        .find(|a| a.staff.username == "huyen")
        .unwrap();
    assert!(huyen.disabled_at.is_none());
    let dakpek = accounts
        .iter()
        .find(|a| a.staff.username == "dakpek")
        .unwrap();
    assert_eq!(dakpek.staff.unit, PEK);
    assert!(signs_in(&app, "huyen", PASSWORD).await);
}

async fn the_province_plan_sets_the_deadline_and_targets_of_every_report(
    app: Router,
    store: Storage,
) {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    use pcmt_model::Plan;
    // Plain staff, and a commune's administrator, may not set it.
    let plain = sign_in(&app, "huyen").await;
    let r = send(&app, get("/dashboard/admin/plan", Some(&plain))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let pek = sign_in(&app, "quantripek").await;
    let r = send(&app, get("/dashboard/admin/plan", Some(&pek))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(text(r).await.contains("phụ trách toàn bộ các xã"));
    let page = text(send(&app, get("/dashboard", Some(&pek))).await).await;
    assert!(!page.contains("plan-link"));

    let cookie = sign_in(&app, "quantri").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(report.contains("plan-link"));
    let page = send(&app, get("/dashboard/admin/plan", Some(&cookie))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = text(page).await;
    assert!(
        page.contains(r#"id="monthly" value="17""#),
        "the bundled plan until the office sets one"
    );
    let csrf = csrf_of(&page);
    // The other province's plan of the issue: half-years before 16/6 and
    // 16/12, and support reached at least 90% (the seeds say over 80%).
    let plan = |csrf: &str, monthly: &str, communes: &str| {
        format!(
            "csrf={csrf}&name=K%E1%BA%BF%20ho%E1%BA%A1ch%20s%E1%BB%91%2045&monthly={monthly}\
             &first-half-day=16&first-half-month=6&second-half-on=1&second-half-day=16&second-half-month=12\
             &year-day=16&year-month=12&cmp-support_reached=at_least&value-support_reached=90\
             &cmp-communes_reached=at_least&value-communes_reached={communes}"
        )
    };
    let unchanged = || async {
        let stored = on_store(&store, |s| s.plan().unwrap()).await;
        assert_eq!(stored, Plan::bundled());
    };
    let r = send(
        &app,
        post_form("/dashboard/admin/plan", &cookie, &plan("0123", "15", "100")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    unchanged().await;
    // Day 31 of every month, 120% of communes: both said, nothing saved.
    let r = send(
        &app,
        post_form("/dashboard/admin/plan", &cookie, &plan(&csrf, "31", "120")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(r).await;
    assert!(refused.contains("Kế hoạch chưa được lưu"), "{refused}");
    assert!(refused.contains("từ 1 đến 28"), "{refused}");
    assert!(refused.contains("số phần trăm từ 0 đến 100"), "{refused}");
    assert!(
        refused.contains(r#"id="monthly" value="31""#),
        "the values as typed"
    );
    unchanged().await;

    let r = send(
        &app,
        post_form("/dashboard/admin/plan", &cookie, &plan(&csrf, "15", "100")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&r, header::LOCATION),
        "/dashboard/admin/plan?saved=1"
    );
    let stored = on_store(&store, |s| s.plan().unwrap()).await;
    assert_eq!(stored.monthly_by_day, 15);
    assert_eq!(stored.targets.len(), 2);

    // The second half-year's report is now due before 16/12 and judges
    // support reached against ≥ 90%; files kept up to date lost their target.
    use chrono::Datelike;
    let year = today().year();
    let q = format!("unit={DISTRICT}&kind=half_year&year={year}&half=2");
    let page = text(send(&app, get(&format!("/dashboard?{q}"), Some(&cookie))).await).await;
    assert!(
        page.contains(&format!("Hạn gửi báo cáo: trước ngày 16/12/{year}")),
        "the deadline of the plan"
    );
    let row = |code: &str| {
        page.split("<tr data-code=")
            .find(|r| r.starts_with(&format!("\"{code}\"")))
            .unwrap_or_else(|| panic!("{code}"))
            .split("</tr>")
            .next()
            .unwrap()
            .to_string()
    };
    assert!(
        row("support_reached").contains("≥ 90%"),
        "{}",
        row("support_reached")
    );
    assert!(
        !row("files_up_to_date").contains("≥"),
        "{}",
        row("files_up_to_date")
    );
    // And the workbook says the same.
    let xlsx = body(
        send(
            &app,
            get(&format!("/dashboard/export/xlsx?{q}"), Some(&cookie)),
        )
        .await,
    )
    .await;
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let cells: Vec<String> = book
        .sheet_names()
        .into_iter()
        .flat_map(|name| {
            let sheet = book.worksheet_range(&name).unwrap();
            sheet
                .rows()
                .flatten()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        cells
            .iter()
            .any(|c| c.contains(&format!("trước ngày 16/12/{year}"))),
        "{cells:?}"
    );
    assert!(cells.iter().any(|c| c == "≥ 90%"), "{cells:?}");

    // Logged, by the administrator, with the plan's name and deadlines.
    let log = text(send(&app, get("/dashboard/audit", Some(&cookie))).await).await;
    let entry = log
        .split("<tr data-action=")
        .find(|r| r.contains("Đặt hạn báo cáo và chỉ tiêu"))
        .expect("the plan in the log");
    assert!(
        entry.contains("quantri") && entry.contains("Kế hoạch số 45") && entry.contains("16/12"),
        "{entry}"
    );
}

/// The cells of a register workbook's one sheet, row by row.
fn register_rows(xlsx: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Sổ theo dõi").unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

async fn the_register_goes_to_administrators_only_and_each_download_is_logged(
    app: Router,
    store: Storage,
) {
    const PATH: &str = "/dashboard/admin/register.xlsx";
    let plain = sign_in(&app, "huyen").await;
    let r = send(&app, get(PATH, Some(&plain))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = text(send(&app, get("/dashboard", Some(&plain))).await).await;
    assert!(!page.contains("register-link"));

    // The district's administrator: every person of the district, the
    // first row naming who took it.
    let district: Vec<String> = [PEK, CHOONG, XOP].map(String::from).to_vec();
    let people = on_store(&store, move |s| {
        pcmt_hub::storage::with_rows(s, |rows| rows.register(&district))
            .unwrap()
            .unwrap()
    })
    .await;
    assert!(people.len() >= 3, "the demo district has people to list");
    let cookie = sign_in(&app, "quantri").await;
    let r = send(&app, get(PATH, Some(&cookie))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(header_of(&r, header::CONTENT_DISPOSITION).contains("So-theo-doi"));
    let rows = register_rows(body(r).await);
    assert!(
        rows[0][0].starts_with("Tải về bởi quantri lúc "),
        "{:?}",
        rows[0]
    );
    let listed: Vec<&Vec<String>> = rows[4..].iter().filter(|r| !r[1].is_empty()).collect();
    assert_eq!(listed.len(), people.len());
    for p in &people {
        assert!(
            listed
                .iter()
                .any(|r| r[1] == p.full_name && r[2] == p.citizen_id.clone().unwrap_or_default()),
            "{} listed",
            p.full_name
        );
    }

    // A commune's administrator: that commune's people only.
    let pek = sign_in(&app, "quantripek").await;
    let rows = register_rows(body(send(&app, get(PATH, Some(&pek))).await).await);
    let listed: Vec<&Vec<String>> = rows[4..].iter().filter(|r| !r[1].is_empty()).collect();
    assert!(!listed.is_empty());
    assert!(listed.len() < people.len());
    assert!(listed.iter().all(|r| r[4] == "Xã Đăk Pék"), "{listed:?}");

    // Both downloads in the log, each with its unit and count; none for
    // the refused one.
    let log = text(send(&app, get("/dashboard/audit", Some(&cookie))).await).await;
    let entries: Vec<&str> = log
        .split("<tr data-action=")
        .filter(|r| r.contains("Tải sổ theo dõi người được quản lý"))
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert!(entries
        .iter()
        .any(|e| e.contains("quantri<") || e.contains("quantri ")));
    assert!(entries
        .iter()
        .any(|e| e.contains(&format!("{} người", people.len()))));
}

async fn files_sharing_a_citizen_id_are_listed_for_the_units_they_touch(
    app: Router,
    store: Storage,
) {
    use pcmt_model::fixtures::person;
    const SHARED: &str = "062098777001";
    let (at_pek, at_choong, _) = on_store(&store, |s| {
        let mut one = person("Y Thị Trùng");
        one.citizen_id = Some(SHARED.into());
        let mut other = person("Y Thị Trùng");
        other.commune = CHOONG.into();
        other.village = None;
        other.citizen_id = Some(SHARED.into());
        let mut alone = person("A Riêng");
        alone.citizen_id = Some("062098777002".into());
        (
            tablet_pushes(s, PEK, "A Lưu", &one),
            tablet_pushes(s, CHOONG, "Y Bình", &other),
            tablet_pushes(s, PEK, "A Lưu", &alone),
        )
    })
    .await;
    // The district sees both files, with names.
    let cookie = sign_in(&app, "huyen").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(report.contains("duplicates-link"));
    let page = text(send(&app, get("/dashboard/duplicates", Some(&cookie))).await).await;
    let group = page
        .split("<div class=\"card duplicate\"")
        .find(|g| g.contains(SHARED))
        .expect("the shared ID listed");
    assert!(group.contains(&at_pek.to_string()) && group.contains(&at_choong.to_string()));
    assert_eq!(group.matches("Y Thị Trùng").count(), 2, "{group}");
    assert!(group.contains("Xã Đăk Pék") && group.contains("Xã Đăk Choong"));
    assert!(
        !page.contains("062098777002"),
        "a citizen ID held once is no duplicate"
    );
    // Đăk Pék's staff: its own file by name, the other by commune only.
    let pek = sign_in(&app, "dakpek").await;
    let page = text(send(&app, get("/dashboard/duplicates", Some(&pek))).await).await;
    let group = page
        .split("<div class=\"card duplicate\"")
        .find(|g| g.contains(SHARED))
        .expect("the shared ID listed for the commune too");
    assert_eq!(group.matches("Y Thị Trùng").count(), 1, "{group}");
    assert!(group.contains("Một hồ sơ của Xã Đăk Choong"), "{group}");
    // Plain staff get no merge form; the two files are in two communes,
    // so the administrator is told to move one first.
    assert!(!group.contains("merge-button"), "{group}");
    let admin = sign_in(&app, "quantri").await;
    let page = text(send(&app, get("/dashboard/duplicates", Some(&admin))).await).await;
    let group = page
        .split("<div class=\"card duplicate\"")
        .find(|g| g.contains(SHARED))
        .unwrap();
    assert!(!group.contains("merge-button"), "{group}");
    assert!(group.contains("chuyển nơi cư trú"), "{group}");
    let csrf = csrf_of(&text(send(&app, get("/dashboard/admin/import", Some(&admin))).await).await);
    let r = merge(&app, &admin, &csrf, at_pek, at_choong).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(text(r).await.contains("chuyển nơi cư trú"));

    // A second file of Đăk Pék with the ID: the form, then the merge.
    let again = on_store(&store, |s| {
        let mut twice = person("Y Thị Trùng");
        twice.citizen_id = Some(SHARED.into());
        tablet_pushes(s, PEK, "Y Hoa", &twice)
    })
    .await;
    let page = text(send(&app, get("/dashboard/duplicates", Some(&admin))).await).await;
    let group = page
        .split("<div class=\"card duplicate\"")
        .find(|g| g.contains(SHARED))
        .unwrap();
    assert!(group.contains("merge-button") && group.contains(&again.to_string()));
    // A forged token is refused, and nothing merges.
    let forged = merge(&app, &admin, "x", at_pek, again).await;
    assert_ne!(forged.status(), StatusCode::SEE_OTHER);
    let r = merge(&app, &admin, &csrf, at_pek, again).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&r, header::LOCATION),
        "/dashboard/duplicates?merged=1"
    );
    let page = text(send(&app, get("/dashboard/duplicates?merged=1", Some(&admin))).await).await;
    assert!(page.contains("Đã gộp hai hồ sơ"));
    let group = page
        .split("<div class=\"card duplicate\"")
        .find(|g| g.contains(SHARED))
        .unwrap();
    assert!(
        !group.contains(&again.to_string()),
        "the merged file left the list"
    );
    assert!(group.contains(&at_pek.to_string()) && group.contains(&at_choong.to_string()));
    let log = text(send(&app, get("/dashboard/audit", Some(&admin))).await).await;
    assert!(log.contains("Gộp hai hồ sơ trùng số CCCD"));
    assert!(log.contains(&format!("gộp hồ sơ {again}")));

    // The other commune's file: moved to Đăk Pék by its code (the CCCD
    // alone names two files), then merged; no duplicate is left.
    let code = &at_choong.to_string()[30..];
    let day = today().format("%d/%m/%Y").to_string();
    let ambiguous = send(
        &app,
        post_form(
            "/dashboard/admin/move",
            &admin,
            &format!("csrf={csrf}&citizen_id={SHARED}&file=&to={PEK}&on={day}"),
        ),
    )
    .await;
    assert!(text(ambiguous).await.contains("ghi mã hồ sơ cần chuyển"));
    let moved = send(
        &app,
        post_form(
            "/dashboard/admin/move",
            &admin,
            &format!("csrf={csrf}&citizen_id={SHARED}&file={code}&to={PEK}&on={day}"),
        ),
    )
    .await;
    assert_eq!(
        moved.status(),
        StatusCode::SEE_OTHER,
        "{}",
        text(moved).await
    );
    let r = merge(&app, &admin, &csrf, at_pek, at_choong).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = text(send(&app, get("/dashboard/duplicates", Some(&admin))).await).await;
    assert!(!page.contains(SHARED), "{page}");
}

/// The duplicates page's merge form, sent by `cookie` with `csrf`.
async fn merge(
    app: &Router,
    cookie: &str,
    csrf: &str,
    kept: uuid::Uuid,
    gone: uuid::Uuid,
) -> Response {
    let body = format!("csrf={csrf}&kept={kept}&gone={gone}");
    send(app, post_form("/dashboard/duplicates/merge", cookie, &body)).await
}

/// A spreadsheet uploaded as the units page's form sends it.
fn upload(cookie: &str, csrf: &str, file: &str) -> Request<Body> {
    upload_to("/dashboard/admin/units/preview", cookie, csrf, file)
}

/// A spreadsheet uploaded as a page's form sends it to `path`.
fn upload_to(path: &str, cookie: &str, csrf: &str, file: &str) -> Request<Body> {
    let boundary = "pcmt-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nvi\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"don-vi.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{boundary}--\r\n"
    );
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

/// A hidden field's value as the page holds it, unescaped.
fn hidden(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let at = html.find(&needle).expect("the hidden field") + needle.len();
    html[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn the_provinces_administrator_loads_units_from_a_spreadsheet_after_a_bad_one_is_refused(
    app: Router,
    store: Storage,
) {
    on_store(&store, |s| {
        auth::add_staff(s, "tinh", PASSWORD, "62", Role::Admin).unwrap()
    })
    .await;
    // The district's administrator manages its tablets, not the province's list.
    let district = sign_in(&app, "quantri").await;
    let r = send(&app, get("/dashboard/admin/units", Some(&district))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let cookie = sign_in(&app, "tinh").await;
    let report = text(send(&app, get("/dashboard", Some(&cookie))).await).await;
    assert!(report.contains("units-link"));
    let page = send(&app, get("/dashboard/admin/units", Some(&cookie))).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = text(page).await;
    assert!(page.contains("Phiên bản danh sách: <b>1</b>"), "{page}");
    assert!(page.contains(r#"data-code="62-610-23284""#));
    let csrf = csrf_of(&page);

    let template = send(
        &app,
        get("/dashboard/admin/units/mau-don-vi.xlsx", Some(&cookie)),
    )
    .await;
    assert_eq!(template.status(), StatusCode::OK);
    assert!(header_of(&template, header::CONTENT_TYPE).contains("spreadsheetml"));
    let bytes = body(template).await;
    assert_eq!(pcmt_hub::rules::units::read_file(&bytes).unwrap(), []);

    let mut good = pcmt_hub::rules::units::to_csv(&pcmt_model::OrgTree::demo());
    good.push_str(
        "62-610-99001,Xã Đăk Plô,Xã,62-610\n62-610-99001-01,Thôn Đăk Ga,Thôn,62-610-99001\n",
    );
    let bad = format!("{good}62-610-99001,Xã trùng,Xã,62-610\n62-610-99002,,Xã,62-610\n62-610-99003,Xã Lạ,Xã,63\n");
    let audit_before = on_store(&store, |s| {
        s.audit_log(&pcmt_hub::rules::audit::Query::visible_to(&s.units(), "62"))
            .unwrap()
            .entries
            .first()
            .map(|e| e.id)
    })
    .await;

    // A forged form changes nothing.
    let r = send(&app, upload(&cookie, "0123", &good)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A bad file: every bad row listed in Vietnamese, nothing loaded.
    let r = send(&app, upload(&cookie, &csrf, &bad)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(r).await;
    let rows = good.lines().count();
    for told in [
        format!("Dòng {}: mã đơn vị trùng với dòng {}", rows + 1, rows - 1),
        format!("Dòng {}: thiếu tên đơn vị", rows + 2),
        format!(
            "Dòng {}: không có đơn vị cấp trên mã 63 trong danh sách",
            rows + 3
        ),
    ] {
        assert!(refused.contains(&told), "{told} in {refused}");
    }
    assert!(!refused.contains("units-confirm"));
    let (version, audit_after) = on_store(&store, |s| {
        let total = s
            .audit_log(&pcmt_hub::rules::audit::Query::visible_to(&s.units(), "62"))
            .unwrap()
            .entries
            .first()
            .map(|e| e.id);
        (s.units_version(), total)
    })
    .await;
    assert_eq!((version, audit_after), (1, audit_before));

    // The good file: a preview, then the load on confirmation.
    let r = send(&app, upload(&cookie, &csrf, &good)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let preview = text(r).await;
    assert!(preview.contains("units-confirm"));
    assert!(preview.contains("Xã Đăk Plô"));
    assert_eq!(
        on_store(&store, |s| s.units_version()).await,
        1,
        "a preview stores nothing"
    );
    let units = hidden(&preview, "units");
    let body = format!(
        "csrf={csrf}&lang=vi&version={}&units={}",
        hidden(&preview, "version"),
        urlencode(&units)
    );
    let r = send(
        &app,
        post_form("/dashboard/admin/units/load", &cookie, &body),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&r, header::LOCATION),
        "/dashboard/admin/units?loaded=2"
    );
    let (version, tree, entries) = on_store(&store, |s| {
        let log = s
            .audit_log(&pcmt_hub::rules::audit::Query::visible_to(&s.units(), "62"))
            .unwrap();
        (s.units_version(), s.units(), log.entries)
    })
    .await;
    assert_eq!(version, 2);
    assert!(tree.is_commune("62-610-99001"));
    assert!(tree.is_village_of("62-610-99001-01", "62-610-99001"));
    let loaded = entries
        .iter()
        .find(|e| e.entry.action == pcmt_hub::rules::audit::Action::UnitsLoaded)
        .expect("the load is logged");
    assert_eq!(loaded.entry.actor.name.as_deref(), Some("tinh"));
    assert_eq!(loaded.entry.detail.version, Some(2));
    assert_eq!(loaded.entry.detail.units, Some(tree.units().count() as u32));
    assert_eq!(loaded.entry.scope, ["62"]);

    // Sent again, the same confirmation is refused: the list moved on.
    let r = send(
        &app,
        post_form("/dashboard/admin/units/load", &cookie, &body),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(on_store(&store, |s| s.units_version()).await, 2);
}

/// A register as an office's CSV: the template's header, then `rows`.
fn register_csv(rows: &[Vec<String>]) -> String {
    pcmt_model::sheet::csv_of(&pcmt_model::person_sheet::COLUMNS, rows)
}

/// The preview's counts: new, registered, repeated, refused.
fn import_counts(html: &str) -> [usize; 4] {
    let at = html.find(r#"id="import-counts""#).expect("the counts");
    let of = |name: &str| -> usize {
        let needle = format!(r#"data-{name}=""#);
        let from = at + html[at..].find(&needle).unwrap() + needle.len();
        html[from..].split('"').next().unwrap().parse().unwrap()
    };
    [of("create"), of("registered"), of("repeats"), of("refused")]
}

async fn an_administrator_imports_the_register_and_importing_it_again_creates_nothing(
    app: Router,
    store: Storage,
) {
    use pcmt_core::sync::wire::{PullRequest, PROTOCOL_VERSION};
    use pcmt_hub::rules::register::import_id;
    use pcmt_model::fixtures::person;
    use pcmt_model::person_sheet::row_of;
    use pcmt_model::Labelled;
    let units = on_store(&store, |s| s.units()).await;
    // A tablet of Đăk Pék already holds one of the people.
    let mut known = person("Y Thị Đã Có");
    known.citizen_id = Some("062098555001".into());
    let pushed = known.clone();
    on_store(&store, move |s| tablet_pushes(s, PEK, "A Lưu", &pushed)).await;
    let row = |p: &pcmt_model::PersonInput| row_of(p, &units, pcmt_model::Lang::Vi);
    let mut new_one = person("A Mới Một");
    new_one.citizen_id = Some("062098555002".into());
    let mut without_cccd = person("Y Mới Hai");
    without_cccd.citizen_id = None;
    let mut bad = row(&person("A Sai"));
    bad[2] = "Không rõ".into();
    bad[3] = "12345".into();
    let mut elsewhere = person("A Xã Khác");
    elsewhere.commune = CHOONG.into();
    elsewhere.village = None;
    elsewhere.citizen_id = Some("062098555003".into());
    let file = register_csv(&[
        row(&new_one),
        row(&without_cccd),
        row(&known),
        row(&new_one),
        bad,
        row(&elsewhere),
    ]);

    // Đăk Pék's administrator previews: nothing is written.
    let cookie = sign_in(&app, "quantripek").await;
    let page = text(send(&app, get("/dashboard/admin/import", Some(&cookie))).await).await;
    assert!(page.contains("import-form"), "{page}");
    let template = body(
        send(
            &app,
            get(
                "/dashboard/admin/import/mau-so-theo-doi.xlsx",
                Some(&cookie),
            ),
        )
        .await,
    )
    .await;
    let columns = &pcmt_model::person_sheet::COLUMNS;
    assert_eq!(
        pcmt_hub::rules::units::read_table(&template, columns).unwrap(),
        []
    );
    let csrf = csrf_of(&page);
    let before = on_store(&store, |s| s.document_count().unwrap()).await;
    let r = send(
        &app,
        upload_to("/dashboard/admin/import/preview", &cookie, &csrf, &file),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let preview = text(r).await;
    assert_eq!(import_counts(&preview), [2, 1, 1, 2], "{preview}");
    assert!(preview.contains("Giới tính: “Không rõ” không có trong danh mục"));
    assert!(preview.contains("Số CCCD: Phải gồm đúng 12 chữ số (đang có 5)"));
    assert!(preview.contains("Xã không thuộc đơn vị của tài khoản này"));
    assert!(preview.contains("Trùng với dòng 2"));
    assert!(preview.contains("Đã có trong sổ: Xã Đăk Pék"));
    assert_eq!(
        on_store(&store, |s| s.document_count().unwrap()).await,
        before,
        "nothing written by a preview"
    );

    // Files that cannot be read, and altered confirmations: told in
    // Vietnamese, nothing written.
    for (file, said) in [
        (
            "PK\u{3}\u{4} not a workbook".to_string(),
            "Không đọc được tệp",
        ),
        (
            "Họ và tên,Ngày sinh\nA,01/01/1990\n".to_string(),
            "Dòng tiêu đề thiếu cột “Giới tính”",
        ),
    ] {
        let r = send(
            &app,
            upload_to("/dashboard/admin/import/preview", &cookie, &csrf, &file),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(text(r).await.contains(said));
    }
    for file in ["zz-not-hex", &hex::encode("Họ và tên\n")] {
        let r = send(
            &app,
            post_form(
                "/dashboard/admin/import/confirm",
                &cookie,
                &format!("csrf={csrf}&file={file}"),
            ),
        )
        .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(
        on_store(&store, |s| s.document_count().unwrap()).await,
        before
    );

    // A forged form writes nothing; the confirmed one creates the two.
    let confirm = |token: &str, file: &str| {
        post_form(
            "/dashboard/admin/import/confirm",
            &cookie,
            &format!("csrf={token}&lang=vi&file={file}"),
        )
    };
    let carried = hidden(&preview, "file");
    let r = send(&app, confirm("forged", &carried)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = send(&app, confirm(&csrf, &carried)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", text(r).await);
    let to = header_of(&r, header::LOCATION);
    assert_eq!(to, "/dashboard/admin/import?created=2");
    let done = text(send(&app, get(&to, Some(&cookie))).await).await;
    assert!(done.contains(r#"<b id="created">2</b>"#), "{done}");
    assert_eq!(
        on_store(&store, |s| s.document_count().unwrap()).await,
        before + 2
    );

    // Logged as the administrator: the import and each file.
    let log = on_store(&store, |s| {
        s.audit_log(&pcmt_hub::rules::audit::Query::visible_to(&s.units(), PEK))
            .unwrap()
    })
    .await;
    let by_admin = |action: &str| {
        log.entries
            .iter()
            .filter(|l| {
                l.entry.action.code() == action
                    && l.entry.actor.name.as_deref() == Some("quantripek")
            })
            .count()
    };
    assert_eq!(by_admin("register_imported"), 1);
    assert_eq!(by_admin("record_created"), 2);

    // The same file again: everyone is in the register now.
    let r = send(
        &app,
        upload_to("/dashboard/admin/import/preview", &cookie, &csrf, &file),
    )
    .await;
    let again = text(r).await;
    assert_eq!(import_counts(&again), [0, 4, 0, 2], "{again}");
    assert!(!again.contains("import-confirm"));
    let r = send(&app, confirm(&csrf, &carried)).await;
    assert_eq!(
        header_of(&r, header::LOCATION),
        "/dashboard/admin/import?created=0"
    );
    assert_eq!(
        on_store(&store, |s| s.document_count().unwrap()).await,
        before + 2
    );

    // A tablet of Đăk Pék receives the two files at its next pull.
    let ids = on_store(&store, |s| {
        let code = s.issue_code(&[PEK.into()], "Y Mai", 3600).unwrap();
        let enrolment = s.enrol(&code, uuid::Uuid::now_v7(), None).unwrap();
        let scope = s.authenticate(&enrolment.token).unwrap();
        let mut ids = Vec::new();
        let mut cursor = 0;
        loop {
            let batch = s
                .pull(
                    &scope,
                    &PullRequest {
                        protocol: PROTOCOL_VERSION,
                        device: scope.device,
                        communes: vec![PEK.into()],
                        cursor,
                        max_bytes: 1 << 20,
                    },
                )
                .unwrap();
            ids.extend(batch.docs.iter().map(|d| d.id));
            ids.extend(batch.snapshots.iter().map(|d| d.id));
            cursor = batch.cursor;
            if !batch.more {
                break;
            }
        }
        ids
    })
    .await;
    for p in [&new_one, &without_cccd] {
        let mut parsed = p.clone();
        parsed.statuses.truncate(1);
        assert!(ids.contains(&import_id(&parsed)), "{} pulled", p.full_name);
    }
}

/// A record of `commune` holding a photo a tablet processed and sent
/// whole, with its thumbnail.
struct SentPhoto {
    scope: pcmt_hub::Scope,
    id: uuid::Uuid,
    doc: automerge::AutoCommit,
    photo: pcmt_model::ContentHash,
    thumb: pcmt_model::ContentHash,
    bytes: Vec<u8>,
}

fn tablet_sends_photo(hub: &dyn HubStorage, commune: &str, seed: u64) -> SentPhoto {
    use pcmt_core::attach::{hash_of, process, samples};
    use pcmt_core::record_doc::{self, ChangeNote};
    use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
    let code = hub.issue_code(&[commune.into()], "A Lưu", 3600).unwrap();
    let enrolment = hub.enrol(&code, uuid::Uuid::now_v7(), None).unwrap();
    let scope = hub.authenticate(&enrolment.token).unwrap();
    let (id, mut doc) = pcmt_hub::testing::session_doc(commune);
    let processed = process(&samples::camera_jpeg(800, 600, seed)).unwrap();
    let thumb = processed.thumbnail.unwrap();
    let reference = pcmt_model::AttachmentRef {
        hash: hash_of(&processed.bytes),
        kind: processed.kind,
        size: processed.bytes.len() as u64,
        thumbnail: Some(hash_of(&thumb)),
        taken_at: chrono::Utc::now(),
        site: None,
        position: None,
    };
    let note = ChangeNote {
        officer: "A Lưu".into(),
    };
    record_doc::attachments::add(&mut doc, &reference, &note, 1).unwrap();
    let push = PushRequest {
        protocol: PROTOCOL_VERSION,
        device: scope.device,
        docs: vec![DocChanges::since(
            id,
            pcmt_model::RecordKind::Session,
            commune,
            &mut doc,
            &[],
        )],
        pull: None,
        epoch: None,
        office: None,
    };
    hub.push(&scope, &push).unwrap();
    for file in [&processed.bytes, &thumb] {
        let mut pos = 0;
        while pos < file.len() {
            let end = (pos + pcmt_core::store::CHUNK_BYTES).min(file.len());
            hub.put_attachment_chunk(
                &scope,
                hash_of(file),
                file.len() as u64,
                pos as u64,
                &file[pos..end],
            )
            .unwrap();
            pos = end;
        }
    }
    SentPhoto {
        scope,
        id,
        doc,
        photo: reference.hash,
        thumb: hash_of(&thumb),
        bytes: processed.bytes,
    }
}

impl SentPhoto {
    fn open_path(&self) -> String {
        format!("/dashboard/attachment/{}?record={}", self.photo, self.id)
    }

    /// The tablet deletes the record.
    fn delete(mut self, hub: &dyn HubStorage, commune: &str) {
        use pcmt_core::record_doc::{self, ChangeNote};
        use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
        let heads = self.doc.get_heads();
        let note = ChangeNote {
            officer: "A Lưu".into(),
        };
        assert!(record_doc::set_deleted(&mut self.doc, true, &note, 2));
        let push = PushRequest {
            protocol: PROTOCOL_VERSION,
            device: self.scope.device,
            docs: vec![DocChanges::since(
                self.id,
                pcmt_model::RecordKind::Session,
                commune,
                &mut self.doc,
                &heads,
            )],
            pull: None,
            epoch: None,
            office: None,
        };
        hub.push(&self.scope, &push).unwrap();
    }
}

async fn photos_show_open_whole_to_their_unit_logged_and_an_administrator_purges_one(
    app: Router,
    store: Storage,
) {
    let (sent, gone) = on_store(&store, |hub| {
        auth::add_staff(hub, "dakchoong", PASSWORD, CHOONG, Role::Admin).unwrap();
        (
            tablet_sends_photo(hub, PEK, 1),
            tablet_sends_photo(hub, PEK, 2),
        )
    })
    .await;
    let gone_path = gone.open_path();
    let gone_photo = gone.photo;
    on_store(&store, move |hub| gone.delete(hub, PEK)).await;
    let pek = sign_in(&app, "dakpek").await;
    let page = text(send(&app, get(&format!("/dashboard?unit={PEK}"), Some(&pek))).await).await;
    assert!(
        page.contains(&format!(r#"data-hash="{}""#, sent.photo)),
        "listed"
    );
    assert!(page.contains(&format!("/dashboard/thumbnail/{}", sent.thumb)));
    assert!(
        !page.contains(&gone_photo.hex()),
        "a deleted record's photo is not shown"
    );
    assert!(
        !page.contains(r#"class="purge""#),
        "plain staff get no purge form"
    );

    // The thumbnail, and the whole photo with its type, a name, no cache.
    let thumb = send(
        &app,
        get(&format!("/dashboard/thumbnail/{}", sent.thumb), Some(&pek)),
    )
    .await;
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(header_of(&thumb, header::CONTENT_TYPE), "image/jpeg");
    let whole = send(&app, get(&sent.open_path(), Some(&pek))).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(header_of(&whole, header::CONTENT_TYPE), "image/jpeg");
    assert_eq!(
        header_of(&whole, header::CACHE_CONTROL),
        "private, no-store"
    );
    assert_eq!(
        header_of(&whole, header::CONTENT_DISPOSITION),
        format!("inline; filename=\"{}.jpg\"", &sent.photo.hex()[..12])
    );
    assert_eq!(body(whole).await, sent.bytes);
    // The thumbnail route is no way to the whole photo.
    let sneaky = send(
        &app,
        get(&format!("/dashboard/thumbnail/{}", sent.photo), Some(&pek)),
    )
    .await;
    assert_eq!(sneaky.status(), StatusCode::NOT_FOUND);
    // A deleted record's photo: 404.
    assert_eq!(
        send(&app, get(&gone_path, Some(&pek))).await.status(),
        StatusCode::NOT_FOUND
    );

    // Staff of another commune: 404 by the hash, with or without the record.
    let choong = sign_in(&app, "dakchoong").await;
    for path in [
        sent.open_path(),
        format!("/dashboard/thumbnail/{}", sent.thumb),
        format!(
            "/dashboard/attachment/{}?record={}",
            sent.photo,
            uuid::Uuid::now_v7()
        ),
    ] {
        let r = send(&app, get(&path, Some(&choong))).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(text(r).await.contains("Không có tệp này"));
    }
    let choong_page = text(send(&app, get("/dashboard", Some(&choong))).await).await;
    assert!(!choong_page.contains(&sent.photo.hex()));

    // Each opening is in the log: who, which file, which record.
    let log = text(send(&app, get("/dashboard/audit", Some(&pek))).await).await;
    assert_eq!(
        log.matches(r#"data-action="attachment_opened""#).count(),
        1,
        "the thumbnail is not logged"
    );
    assert!(log.contains(&sent.photo.hex()[..12]));

    // Plain staff may not purge; an administrator must send the form's
    // token and a reason.
    let purge = format!("/dashboard/attachment/{}/purge", sent.photo);
    let refused = send(&app, post_form(&purge, &pek, "csrf=x&reason=y")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let admin = sign_in(&app, "quantri").await;
    let page = text(send(&app, get(&format!("/dashboard?unit={PEK}"), Some(&admin))).await).await;
    assert!(page.contains(r#"class="purge""#));
    let csrf = csrf_of(&page);
    let forged = send(&app, post_form(&purge, &admin, "csrf=forged&reason=y")).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let no_reason = send(
        &app,
        post_form(&purge, &admin, &format!("csrf={csrf}&reason=+")),
    )
    .await;
    assert_eq!(no_reason.status(), StatusCode::BAD_REQUEST);
    assert!(text(no_reason).await.contains("Hãy ghi lý do xóa tệp"));
    // Another commune's administrator: as if there were no such file.
    let tablets = send(&app, get("/dashboard/admin/tablets", Some(&choong))).await;
    let choong_csrf = csrf_of(&text(tablets).await);
    let elsewhere = send(
        &app,
        post_form(&purge, &choong, &format!("csrf={choong_csrf}&reason=x")),
    )
    .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, get(&sent.open_path(), Some(&pek)))
            .await
            .status(),
        StatusCode::OK
    );

    let reason = "Ảnh chụp phải người đi đường";
    let back = format!("/dashboard?unit={PEK}");
    let done = send(
        &app,
        post_form(
            &purge,
            &admin,
            &format!(
                "csrf={csrf}&reason={}&back={}",
                urlencode(reason),
                urlencode(&back)
            ),
        ),
    )
    .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&done, header::LOCATION),
        format!("{back}&purged=1#attachments")
    );
    for path in [
        sent.open_path(),
        format!("/dashboard/thumbnail/{}", sent.thumb),
    ] {
        assert_eq!(
            send(&app, get(&path, Some(&pek))).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let page = text(send(&app, get(&back, Some(&admin))).await).await;
    assert!(!page.contains(&sent.photo.hex()));
    let log = text(send(&app, get("/dashboard/audit", Some(&admin))).await).await;
    assert_eq!(log.matches(r#"data-action="attachment_purged""#).count(), 1);
    assert!(log.contains(reason));
    // Refused if a tablet sends it again.
    let again = on_store(&store, move |hub| {
        hub.put_attachment_chunk(
            &sent.scope,
            sent.photo,
            sent.bytes.len() as u64,
            0,
            &sent.bytes[..1000],
        )
    })
    .await;
    assert!(
        matches!(again, Err(pcmt_hub::HubError::Rejected { .. })),
        "{again:?}"
    );
}
