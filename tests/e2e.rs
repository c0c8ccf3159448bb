//! End-to-end: an officer uses the real app window (Tauri + WebKitGTK under
//! Xvfb, driven through tauri-driver), one test per workflow. Run by
//! `cargo xtask test`, which builds the app and hub and provides the display
//! and drivers. Every screen visited is saved in both tablet layouts under
//! target/e2e/.

use automerge::transaction::Transactable;
use chrono::{Days, Local, NaiveDate};
use pcmt_model::api::ListFilter;
use pcmt_model::GeoPoint;
use sotay_pcmt::e2e::{AppWindow, Hold, HubProcess, PIN, TEST_HOLD_DIR, TEST_SYNC_INTERVALS};
use sotay_pcmt::TestDevice;
use std::path::Path;

const DISTRICT: [&str; 3] = ["62-610-23284", "62-610-23287", "62-610-23290"];

fn today() -> NaiveDate {
    Local::now().date_naive()
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A hub with the demo district and a tablet set up by its officer.
async fn officer(dir: &Path) -> (HubProcess, AppWindow) {
    officer_with(dir, &[]).await
}

/// As [`officer`], the app started with more of its environment.
async fn officer_with(dir: &Path, env: &[(&str, &str)]) -> (HubProcess, AppWindow) {
    let hub = HubProcess::start(dir);
    let code = hub.issue_code(&DISTRICT);
    let app = AppWindow::start_with_env(&dir.join("tablet"), &hub.url, &code, env).await;
    app.set_pin().await;
    app.set_up("A Lưu", "Công an xã Đăk Pék").await;
    // The first start tries to enrol at once; wait for its outcome.
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    (hub, app)
}

/// Another officer's tablet, enrolled with the same hub. The blocking HTTP
/// client owns a runtime: it is made and dropped off the async threads.
fn other_tablet(hub: &HubProcess, name: &str, communes: &[&str]) -> TestDevice {
    let other = TestDevice::new(name);
    let code = hub.issue_code(communes);
    tokio::task::block_in_place(|| {
        pcmt_core::http::sync_with_hub(&other.store, &hub.url, Some(&code)).unwrap();
    });
    other
}

fn sync_other(hub: &HubProcess, other: &TestDevice) {
    tokio::task::block_in_place(|| {
        pcmt_core::http::sync_with_hub(&other.store, &hub.url, None).unwrap();
    });
}

/// A sweep of Xã Xốp with no findings, saved; back on the list of sweeps.
async fn sweep_with_no_findings(app: &AppWindow) {
    app.click("#nav-surveys").await;
    app.click("#new-survey").await;
    app.type_into("#team", "Tổ công tác Công an xã Đăk Pék")
        .await;
    app.choose("#commune", "62-610-23290").await;
    app.wait_for_text("#save", "Lưu: không phát hiện").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "không phát hiện").await;
    app.css("#no-findings").await;
    app.click("#nav-surveys").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn first_start_then_a_session_recorded_listed_filtered_synced_and_a_draft_kept() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path());
    let code = hub.issue_code(&DISTRICT);
    let tablet = dir.path().join("tablet");
    let app = AppWindow::start(&tablet, &hub.url, &code).await;

    // First start: a PIN first (the store is encrypted under it); a weak one
    // and a mistyped confirmation are refused on the spot.
    app.css("#pin-setup").await;
    app.type_into("#pin", "123456").await;
    app.type_into("#pin-again", "123456").await;
    app.click("#set-pin").await;
    app.wait_for_text("#pin-error", "").await;
    app.type_into("#pin", PIN).await;
    app.type_into("#pin-again", "730593").await;
    app.click("#set-pin").await;
    app.wait_for_text(".form-failure", "không khớp").await;
    app.screens("00-pin-setup").await;
    app.type_into("#pin-again", PIN).await;
    app.click("#set-pin").await;

    // Then the office's code and hub address are offered; name and unit are typed.
    app.css("#start").await;
    app.type_into("#officer", "").await;
    app.click("#start").await;
    assert_eq!(
        app.css("#officer-error").await.text().await.unwrap(),
        "Chưa nhập"
    );
    app.screens("01-first-start").await;
    app.set_up("A Lưu", "Công an xã Đăk Pék").await;
    let enrolled = app.wait_for_text("#notice", "Đồng bộ xong").await;
    assert!(enrolled.contains("nhận 3 hồ sơ"), "{enrolled}");
    app.wait_for_text(".bar .subtitle", "A Lưu · Công an xã Đăk Pék")
        .await;
    app.screens("02-today").await;

    // A careless entry: more women than attendees, a blank venue, no topic.
    app.click("#nav-sessions").await;
    app.wait_for_text("#session-count", "3 buổi").await;
    app.click("#new-session").await;
    app.type_into("#attendees", "120").await;
    app.type_into("#women", "140").await;
    app.click("#save").await;
    assert_eq!(
        app.css("#women-error").await.text().await.unwrap(),
        "Không được lớn hơn tổng số người dự"
    );
    assert_eq!(
        app.css("#venue_name-error").await.text().await.unwrap(),
        "Chưa nhập"
    );
    app.css("#topic-error").await;
    app.screens("03-session-form-errors").await;

    // Corrected and complete, with the details DOMAIN.md lists.
    app.type_into("#date", &dmy(today() - Days::new(4))).await;
    app.choose("#commune", "62-610-23287").await;
    app.choose("#venue_kind", "school").await;
    app.type_into("#venue_name", "Trường PTDTBT THCS Đăk Choong")
        .await;
    app.choose("#form", "talk").await;
    app.click("#topic-disguised_drugs").await;
    app.click("#topic-synthetic_drugs").await;
    app.type_into("#women", "64").await;
    app.type_into("#start_time", "07:30").await;
    app.type_into("#end_time", "09:00").await;
    app.type_into("#audience-students", "110").await;
    app.choose("#language", "minority").await;
    app.type_into("#language_name", "tiếng Xơ Đăng").await;
    app.click("#organisers-police").await;
    app.type_into("#materials", "150").await;
    app.type_into("#pledges", "98").await;
    app.screens("04-session-form-filled").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu buổi tuyên truyền")
        .await;
    app.wait_for_text("#unsynced", "1").await;

    app.click("#nav-sessions").await;
    let item = app
        .wait_for_text("#session-list", "Trường PTDTBT THCS Đăk Choong")
        .await;
    assert!(
        item.contains(&dmy(today() - Days::new(4))),
        "dd/mm/yyyy: {item}"
    );
    assert!(item.contains("Xã Đăk Choong"), "commune by name: {item}");
    assert!(item.contains("Chưa đồng bộ"), "not yet synced: {item}");
    app.wait_for_text("#session-count", "4 buổi").await;
    app.screens("05-session-list").await;

    // Filters: by form and by period.
    app.choose("#filter-form", "rally").await;
    app.wait_until_gone("#session-list", "Trường PTDTBT THCS Đăk Choong")
        .await;
    app.choose("#filter-form", "").await;
    app.type_into("#filter-from", &dmy(today() - Days::new(5)))
        .await;
    app.wait_for_text("#session-count", "1 buổi").await;
    app.screens("06-session-list-filtered").await;

    // The session's own screen, with its history.
    app.click("#session-list .row-button").await;
    let facts = app.wait_for_text("#session-facts", "tiếng Xơ Đăng").await;
    assert!(facts.contains("07:30 – 09:00"), "{facts}");
    assert!(facts.contains("Học sinh, sinh viên 110"), "{facts}");
    app.wait_for_text("#history", "A Lưu").await;
    app.screens("07-session-detail").await;

    // Sync: the session goes up.
    app.click("#sync").await;
    let outcome = app.wait_for_text("#notice", "Đồng bộ xong").await;
    assert!(outcome.contains("gửi 1 hồ sơ"), "{outcome}");
    app.click("#nav-settings").await;
    app.wait_for_text("#device-facts", "Đã đăng ký").await;
    app.screens("08-settings").await;

    // A half-filled form survives closing the app.
    app.click("#nav-sessions").await;
    app.click("#new-session").await;
    app.type_into("#venue_name", "Chợ phiên Đăk Pék").await;
    app.type_into("#attendees", "45").await;
    // Written once the officer pauses, not at every keystroke; the form says so.
    app.wait_for_text("#draft-state", "Bản nháp đã được giữ trên máy")
        .await;
    app.close().await;
    let app = AppWindow::start(&tablet, &hub.url, &code).await;
    // Reopened, the app asks for the PIN before showing anything; a wrong one
    // is refused and harms nothing.
    app.css("#unlock-form").await;
    app.type_into("#pin", "999999").await;
    app.click("#unlock").await;
    app.wait_for_text(".form-failure", "Mã PIN không đúng")
        .await;
    app.screens("09a-unlock").await;
    app.unlock().await;
    app.click("#nav-sessions").await;
    app.click("#new-session").await;
    app.css("#draft-restored").await;
    let venue = app.css("#venue_name").await.prop("value").await.unwrap();
    assert_eq!(venue.as_deref(), Some("Chợ phiên Đăk Pék"));
    app.screens("09-draft-restored").await;

    // A cut connection: the officer is told the next sync continues.
    drop(hub);
    app.click("#sync").await;
    let cut = app
        .wait_for_text("#notice", "lần đồng bộ sau sẽ tiếp tục")
        .await;
    assert!(cut.contains("Không kết nối được máy chủ huyện"), "{cut}");
    app.screens("10-sync-cut").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_person_registered_as_overdue_leaves_the_due_list_after_a_check_in() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, app) = officer(dir.path()).await;

    app.click("#nav-people").await;
    app.click("#new-person").await;
    app.type_into("#citizen_id", "0620950012").await;
    app.click("#save").await;
    assert_eq!(
        app.css("#citizen_id-error").await.text().await.unwrap(),
        "Phải gồm đúng 12 chữ số (đang có 10)"
    );
    app.type_into("#full_name", "Hồ Văn Thưởng").await;
    app.type_into("#birth_date", "14/03/1994").await;
    app.type_into("#citizen_id", "062094001234").await;
    app.type_into("#ethnicity", "Xơ Đăng").await;
    app.choose("#village", "62-610-23284-01").await;
    app.type_into("#address", "Thôn Đăk Ung, xã Đăk Pék").await;
    app.click("#substances-methamphetamine").await;
    // Under management since 60 days ago: a visit every 30 days, so overdue.
    app.type_into("#status_from-0", &dmy(today() - Days::new(60)))
        .await;
    app.screens("11-person-form").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu hồ sơ").await;
    app.wait_for_text("#person-name", "Hồ Văn Thưởng").await;
    app.wait_for_text(".person-head", "Quá hạn 30 ngày").await;
    app.screens("12-person-file").await;

    // The register finds him without diacritics, and lists him as overdue.
    app.click("#nav-people").await;
    app.wait_for_text("#people-due", "Hồ Văn Thưởng").await;
    app.type_into("#people-search", "ho van thuong").await;
    app.wait_for_text("#people-list", "Hồ Văn Thưởng").await;
    app.screens("13-people-register").await;
    app.click("#nav-today").await;
    app.wait_for_text("#due-list", "Quá hạn 30 ngày").await;
    app.wait_for_text("#stat-overdue", "1").await;
    app.screens("14-today-overdue").await;

    // The visit: a positive test needs the substance.
    app.click("#due-list .row-button").await;
    app.click("#checkin").await;
    app.choose("#test_kind", "urine_quick").await;
    app.choose("#test_result", "positive").await;
    app.click("#save").await;
    assert_eq!(
        app.css("#test_substances-error")
            .await
            .text()
            .await
            .unwrap(),
        "Chưa nhập"
    );
    app.choose("#test_result", "negative").await;
    app.type_into(
        "#health_state",
        "Sức khỏe ổn định, không có biểu hiện loạn thần",
    )
    .await;
    app.click("#support-counselling").await;
    app.screens("15-checkin-form").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã ghi lần gặp").await;
    let visits = app.wait_for_text("#visit-list", &dmy(today())).await;
    assert!(visits.contains("Xét nghiệm: Âm tính"), "{visits}");
    app.wait_for_text("#next-visit", &dmy(today() + Days::new(30)))
        .await;
    app.screens("16-person-after-visit").await;

    app.click("#nav-today").await;
    app.wait_until_gone("#due-list", "Hồ Văn Thưởng").await;
    app.wait_for_text("#stat-overdue", "0").await;
    app.click("#nav-people").await;
    app.css("#people-due-empty").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_survey_with_a_walked_boundary_and_one_with_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    app.fake_gps().await;

    app.click("#nav-surveys").await;
    app.click("#new-survey").await;
    app.type_into("#team", "Tổ công tác Công an xã Đăk Pék")
        .await;
    app.click("#villages-62-610-23284-01").await;
    app.type_into("#area_covered_ha", "120,5").await;
    app.click("#add-site").await;
    app.click("#locate-0").await;
    let point = app.css("#site_point-0").await;
    assert_eq!(
        point.prop("value").await.unwrap().as_deref(),
        Some("15.051200, 107.732100")
    );
    app.type_into("#plant_count-0", "800").await;
    app.choose("#growth_stage-0", "flowering").await;

    // The officer walks round the plot; each fix adds a corner.
    let corners = [
        GeoPoint {
            lat: 15.0512,
            lon: 107.7321,
        },
        GeoPoint {
            lat: 15.0512,
            lon: 107.7326,
        },
        GeoPoint {
            lat: 15.0516,
            lon: 107.7326,
        },
        GeoPoint {
            lat: 15.0516,
            lon: 107.7321,
        },
    ];
    app.click("#walk-start-0").await;
    app.css("#walking-0").await;
    for (i, c) in corners.iter().enumerate() {
        app.feed_fix(c.lat, c.lon).await;
        // Jitter a metre away is not a step.
        app.feed_fix(c.lat + 0.000005, c.lon).await;
        app.wait_for_text("#site-area-0", &format!("{} điểm", i + 1))
            .await;
    }
    let area = pcmt_model::polygon_area_m2(&corners);
    let shown = app.wait_for_text("#site-area-0", "4 điểm").await;
    assert!(
        shown.contains(&format!("{area:.0} m²")),
        "{shown} vs {area}"
    );
    // The boundary is drawn to scale as it is walked: open, each fix a
    // point, north and a scale bar, the area.
    assert_eq!(app.texts("#plot-0 circle.vertex").await.len(), 4);
    app.css("#plot-0 polyline.open").await;
    app.css("#plot-0 circle.current").await;
    let plot = app.css("#plot-0").await.text().await.unwrap();
    for part in ["Bắc", &format!("{area:.0} m²")] {
        assert!(plot.contains(part), "{part} in {plot}");
    }
    app.js("document.getElementById('plot-0').scrollIntoView({block: 'center'})")
        .await;
    app.screens("17-survey-walking").await;
    app.click("#walk-stop-0").await;
    app.css("#plot-0 polygon.walked").await;
    let typed = app
        .css("#site_polygon-0")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert_eq!(typed.lines().count(), 4, "{typed}");
    app.screens("18-survey-form").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu đợt rà soát").await;
    let site = app.wait_for_text("#site-0", "800 Cây thuốc phiện").await;
    assert!(site.contains(&format!("4 điểm · {area:.0} m²")), "{site}");
    assert_eq!(app.texts("#plot-0 circle.vertex").await.len(), 4);
    app.css("#plot-0 polygon.walked").await;
    app.screens("19-survey-detail").await;

    // A sweep with no findings is a record too: it proves coverage.
    sweep_with_no_findings(&app).await;
    let list = app.wait_for_text("#survey-list", "Không phát hiện").await;
    assert!(list.contains("1 điểm, 800 cây"), "{list}");
    app.screens("20-survey-list").await;

    // Both reach another tablet with the boundary as walked.
    app.click("#sync").await;
    app.wait_for_text("#notice", "gửi 2 hồ sơ").await;
    app.close().await;
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let surveys = other
        .store()
        .list_surveys(&ListFilter::default(), 10, 0)
        .unwrap();
    let walked = surveys
        .iter()
        .find(|s| s.sites == 1)
        .expect("the walked survey");
    assert_eq!(walked.plants, 800);
    assert!(
        (walked.area_m2 - area).abs() < 1e-6,
        "{} vs {area}",
        walked.area_m2
    );
    assert!(surveys
        .iter()
        .any(|s| s.sites == 0 && s.commune == "62-610-23290"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn two_tablets_edit_one_session_and_the_officer_settles_the_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    // The demo district holds a session at the Đăk Pék market; both tablets have it.
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let market = other
        .store()
        .list_sessions(&ListFilter::default(), 10, 0)
        .unwrap()
        .into_iter()
        .find(|r| r.venue_name.contains("Chợ trung tâm Đăk Pék"))
        .expect("the demo session");

    // Y Hoa corrects the venue and syncs.
    {
        let mut s = other.store();
        let mut input: pcmt_model::SessionInput = s.record(market.id).unwrap();
        input.venue_name = "Chợ trung tâm xã Đăk Pék (khu B)".into();
        s.update_session(market.id, &input, &other.author, today())
            .unwrap();
    }
    sync_other(&hub, &other);

    // Meanwhile A Lưu, offline, corrects the same field differently.
    app.click("#nav-sessions").await;
    app.click(&format!("li[data-id='{}'] .row-button", market.id))
        .await;
    app.click("#edit").await;
    app.type_into("#venue_name", "Chợ phiên Đăk Pék").await;
    app.click("#save").await;
    app.wait_for_text("#session-facts", "Chợ phiên Đăk Pék")
        .await;

    // Sync: both values are kept and shown side by side.
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    let conflict = app
        .wait_for_text("#conflicts", "Chợ trung tâm xã Đăk Pék (khu B)")
        .await;
    assert!(conflict.contains("Chợ phiên Đăk Pék"), "{conflict}");
    assert!(conflict.contains("Tên địa điểm"), "{conflict}");
    // Each value says whose it is.
    for officer in ["Y Hoa", "A Lưu"] {
        assert!(conflict.contains(officer), "{officer} in {conflict}");
    }
    app.click("#nav-sessions").await;
    app.wait_for_text("#session-list", "Có xung đột").await;
    app.click(&format!("li[data-id='{}'] .row-button", market.id))
        .await;
    app.screens("21-conflict").await;

    // The officer keeps Y Hoa's value: the button in the card that shows it.
    let pick = app
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(10))
        .for_element(fantoccini::Locator::XPath(
            "//*[@data-field='venue_name']//*[contains(@class, 'value')][contains(., 'khu B')]//button",
        ))
        .await
        .expect("a button beside each value");
    pick.click().await.expect("pick Y Hoa's value");
    app.wait_for_text("#notice", "Đã giải quyết xung đột").await;
    app.wait_until_gone("#conflicts", "khu B").await;
    app.wait_for_text("#session-facts", "Chợ trung tâm xã Đăk Pék (khu B)")
        .await;
    app.wait_for_text("#history", "Tên địa điểm").await;
    app.screens("22-conflict-settled").await;

    // The settlement travels: Y Hoa's tablet agrees, with no conflict left.
    app.click("#sync").await;
    app.wait_for_text("#notice", "gửi 1 hồ sơ").await;
    app.close().await;
    sync_other(&hub, &other);
    let s = other.store();
    assert!(s.conflicts(market.id).unwrap().is_empty());
    assert_eq!(
        s.session(market.id).unwrap().venue_name,
        "Chợ trung tâm xã Đăk Pék (khu B)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn two_tablets_each_add_a_site_to_a_one_site_survey_and_the_app_shows_three() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    app.fake_gps().await;
    // Y Hoa records a sweep with one site; both tablets have it.
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let mut survey = pcmt_model::fixtures::survey_with_site();
    survey.date = today() - Days::new(2);
    survey.sites[0].action.date = survey.date;
    let id = other
        .store()
        .create_survey(&survey, &other.author, today())
        .unwrap()
        .id;
    sync_other(&hub, &other);
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;

    // Apart, each adds a site: Y Hoa a cannabis patch, A Lưu on the form.
    {
        let mut s = other.store();
        let mut input: pcmt_model::SurveyInput = s.record(id).unwrap();
        let mut cannabis = input.sites[0].clone();
        cannabis.id = uuid::Uuid::nil();
        cannabis.species = pcmt_model::PlantSpecies::Cannabis;
        cannabis.plant_count = 40;
        cannabis.polygon = None;
        input.sites.push(cannabis);
        s.update_survey(id, &input, &other.author, today()).unwrap();
    }
    sync_other(&hub, &other);

    app.click("#nav-surveys").await;
    app.click(&format!("li[data-id='{id}'] .row-button")).await;
    app.click("#edit").await;
    app.click("#add-site").await;
    app.click("#locate-1").await;
    app.type_into("#plant_count-1", "300").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu đợt rà soát").await;
    app.wait_for_text("#site-1", "300").await;

    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    let third = app.wait_for_text("#site-2", "Điểm 3").await;
    let all = [
        app.css("#site-0").await.text().await.unwrap(),
        app.css("#site-1").await.text().await.unwrap(),
        third,
    ]
    .join("\n");
    for plants in [
        "1200 Cây thuốc phiện",
        "40 Cây cần sa",
        "300 Cây thuốc phiện",
    ] {
        assert!(all.contains(plants), "{plants} in {all}");
    }
    assert_eq!(
        app.texts("#conflicts").await,
        Vec::<String>::new(),
        "nothing to settle"
    );
    // The history names the site each officer added, not a count of sites.
    let history = app.wait_for_text("#history", "thêm mới").await;
    assert!(history.contains("Điểm phát hiện 2: thêm mới"), "{history}");
    // Her save touched no other site: the first site's boundary, stored
    // with more decimals than the form shows, was not rewritten.
    let hers = app
        .texts("#history li")
        .await
        .into_iter()
        .find(|e| e.contains("Điểm phát hiện 2: thêm mới"))
        .expect("her change in the history");
    assert!(!hers.contains("Ranh giới"), "{hers}");
    app.screens("50-survey-three-merged-sites").await;
    // The third site is below the fold: the whole page too.
    app.full_page_screenshot("51-survey-three-merged-sites-whole-page")
        .await;
    app.close().await;

    sync_other(&hub, &other);
    let on_other: pcmt_model::SurveyInput = other.store().record(id).unwrap();
    assert_eq!(on_other.sites.len(), 3);
    assert_eq!(other.store().conflicts(id).unwrap(), vec![]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn the_years_report_counts_the_districts_sessions_and_saves_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, app) = officer(dir.path()).await;

    app.click("#nav-reports").await;
    app.wait_for_text("#report-title", "Tháng").await;
    app.choose("#report-kind", "year").await;
    app.choose("#report-year", "2026").await;
    app.choose("#report-unit", "62-610").await;
    // The demo district's three sessions of 2026 reached the tablet at its first sync.
    app.wait_for_text("#report-title", "Năm 2026").await;
    let sessions = app.wait_for_text("#indicator-sessions", "3 buổi").await;
    assert!(sessions.contains("Số buổi tuyên truyền"), "{sessions}");
    let communes = app.wait_for_text("#indicator-communes_reached", "%").await;
    assert!(
        communes.contains("(3/3)"),
        "every demo commune had a session: {communes}"
    );
    app.screens("23-report").await;

    app.click("#export-xlsx").await;
    let saved = app.wait_for_text("#notice", "Đã lưu tệp").await;
    let workbook = dir
        .path()
        .join("tablet/exports/bao-cao-pcmt_huyen-dak-glei-demo_2026-01-01_2026-12-31.xlsx");
    assert!(saved.contains(&workbook.display().to_string()), "{saved}");
    let bytes = std::fs::read(&workbook).expect("the workbook was written");
    assert!(bytes.starts_with(b"PK"), "an XLSX is a zip archive");
    assert!(
        saved.contains("Tệp không có thông tin cá nhân") && saved.contains("nhật ký xuất tệp"),
        "the officer is told what the file holds and that it was logged: {saved}"
    );
    app.screens("24-report-exported").await;

    // Locked by hand (a tablet put down at a rally), nothing of the register
    // shows until the PIN is given again.
    app.click("#lock-now").await;
    app.css("#unlock-form").await;
    assert!(
        app.texts("#report-title").await.is_empty(),
        "the report is gone from the screen"
    );
    app.unlock().await;

    // The export is in the tablet's export log, with who and what.
    app.click("#nav-settings").await;
    let log = app
        .wait_for_text(
            "#export-log",
            "bao-cao-pcmt_huyen-dak-glei-demo_2026-01-01_2026-12-31.xlsx",
        )
        .await;
    assert!(log.contains("Năm 2026") && log.contains("A Lưu"), "{log}");

    // A new PIN: the old one stops working at once, the data stays.
    app.type_into("#old-pin", PIN).await;
    app.type_into("#new-pin", "581907").await;
    app.type_into("#new-pin-again", "581907").await;
    app.screens("25-settings-change-pin").await;
    app.click("#change-pin").await;
    app.wait_for_text("#notice", "Đã đổi mã PIN").await;
    app.click("#lock-now").await;
    app.type_into("#pin", PIN).await;
    app.click("#unlock").await;
    app.wait_for_text(".form-failure", "Mã PIN không đúng")
        .await;
    app.type_into("#pin", "581907").await;
    app.click("#unlock").await;
    app.click("#nav-reports").await;
    app.choose("#report-kind", "year").await;
    app.choose("#report-unit", "62-610").await;
    app.wait_for_text("#indicator-sessions", "3 buổi").await;

    // An officer who reads English gets the PIN screen in English too,
    // although the settings saying so are locked away; it can be switched
    // back there.
    app.click("#nav-settings").await;
    app.choose("#settings-lang", "en").await;
    app.click("#settings-save").await;
    app.wait_for_text("#nav-settings", "Settings").await;
    app.click("#lock-now").await;
    app.wait_for_text("#unlock-form", "Enter the PIN to open")
        .await;
    app.screens("26-unlock-english").await;
    app.click("#lock-lang").await;
    app.wait_for_text("#unlock-form", "Nhập mã PIN để mở").await;
    app.type_into("#pin", "581907").await;
    app.click("#unlock").await;
    // Opened, the settings' language holds again.
    app.wait_for_text("#nav-settings", "Settings").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_revoked_tablet_is_told_so_and_enrols_again_with_a_new_code() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    app.click("#nav-settings").await;
    let device = app.wait_for_text("#device-id", "-").await;
    hub.revoke(device.trim());

    // The next sync stops, says why and what to do; nothing is lost.
    app.click("#sync").await;
    let told = app.wait_for_text("#notice", "thu hồi").await;
    assert!(told.contains("Cài đặt › Đăng ký lại"), "{told}");
    app.wait_for_text("#enrol-state", "Văn phòng đã thu hồi quyền đồng bộ")
        .await;
    app.screens("27-sync-revoked").await;

    // Something that is no code is refused beside the field; then the
    // office's new code, typed in Settings, is used at the next sync.
    app.type_into("#renewal-code", &"7".repeat(40)).await;
    app.click("#renew").await;
    app.wait_for_text("#renewal", "Dài quá 32 ký tự").await;
    let code = hub.issue_code(&DISTRICT);
    app.type_into("#renewal-code", &code).await;
    app.click("#renew").await;
    app.wait_for_text("#notice", "đăng ký lại ở lần đồng bộ tới")
        .await;
    app.css("#renewal-pending").await;
    app.screens("28-renewal-code-waiting").await;
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.click("#nav-settings").await;
    app.wait_for_text("#enrol-state", "Đã đăng ký").await;
    assert!(
        app.texts("#renewal-pending").await.is_empty(),
        "the code was used once"
    );
    app.close().await;
}

/// The office's hub serves HTTPS with a certificate of its own (no public
/// authority): the first sync sends nothing and shows its fingerprint above
/// the screens; once the officer confirms that it matches the office's
/// print-out, the tablet enrols and syncs with that hub.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn an_officer_confirms_the_offices_own_hub_certificate_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert, key) = (dir.path().join("hub.crt"), dir.path().join("hub.key"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let printed = pcmt_core::tls::Fingerprint::of(made.cert.der()).to_string();
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    let hub = HubProcess::start_with(dir.path(), &["--tls-cert", &cert, "--tls-key", &key]);
    assert!(hub.url.starts_with("https://"), "{}", hub.url);
    let code = hub.issue_code(&DISTRICT);
    let app = AppWindow::start(&dir.path().join("tablet"), &hub.url, &code).await;
    app.set_pin().await;
    app.set_up("A Lưu", "Công an xã Đăk Pék").await;

    let told = app.wait_for_text("#notice", "chứng chỉ riêng").await;
    assert!(told.contains(&printed), "{told}");
    let shown = app.wait_for_text("#hub-certificate-seen", " ").await;
    assert_eq!(shown.trim(), printed);
    // Nothing came from the office yet: no commune to record in, and the
    // officer is told a sync brings them (not the demo district's).
    app.wait_for_text("#today-no-units", "Máy chưa nhận danh sách xã")
        .await;
    app.screens("29-hub-certificate-to-confirm").await;

    app.click("#trust-hub-certificate").await;
    app.wait_for_text("#notice", "Đã xác nhận chứng chỉ máy chủ")
        .await;
    app.wait_until_gone("#hub-certificate", "").await;
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.click("#nav-today").await;
    app.wait_until_gone("#today-no-units", "").await;
    app.click("#nav-settings").await;
    app.wait_for_text("#enrol-state", "Đã đăng ký").await;
    let pinned = app.wait_for_text("#hub-certificate-pinned", " ").await;
    assert_eq!(pinned.trim(), printed);
    app.screens("30-hub-certificate-pinned").await;
    app.close().await;
}

/// A record another tablet pushed that this version cannot read is kept,
/// counted and listed; a correction shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_record_this_version_cannot_show_is_listed_until_a_correction_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    // Another tablet of the district pushes a session whose attendees are words.
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let (odd, mut doc) = pcmt_hub::testing::unreadable_session_doc(DISTRICT[0]);
    tokio::task::block_in_place(|| other.push_doc(&hub.url, odd, &mut doc, &[]));

    // The sync goes through; the record is kept and said to be kept.
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.click("#nav-today").await;
    app.wait_for_text(
        "#today-unreadable",
        "1 bản ghi phiên bản này chưa hiển thị được",
    )
    .await;
    app.screens("31-unreadable-kept").await;
    app.click("#today-unreadable-list").await;
    let listed = app.wait_for_text("#unreadable", &odd.to_string()).await;
    assert!(listed.contains("Buổi tuyên truyền"), "{listed}");
    app.wait_for_text("#unreadable-count", "1").await;
    app.screens("32-unreadable-list").await;

    // A correction from the other tablet makes it readable: it shows.
    tokio::task::block_in_place(|| {
        other.push_field(&hub.url, odd, &mut doc, "attendees", 150u64.into())
    });
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.wait_for_text("#unreadable-count", "0").await;
    assert!(app.texts("#unreadable").await.is_empty(), "no list left");
    app.click("#nav-sessions").await;
    app.wait_for_text("#session-list", "Chợ Đăk Glei").await;
    app.close().await;
}

/// The tablet syncs by itself. With the hub down, a record saved waits and
/// the frame says the tablet is offline and when it tries again; the hub
/// back, the record reaches it with nobody pressing Sync, and the frame
/// says when the tablet last synced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_record_saved_while_the_hub_is_down_reaches_it_without_a_click() {
    let dir = tempfile::tempdir().unwrap();
    // Seconds instead of the officer's minutes (1 after a save, back-off up
    // to 15), for this test only; the frame states the intervals in force.
    let intervals = "idle=600,after_save=2,backoff_max=3";
    let (hub, app) = officer_with(dir.path(), &[(TEST_SYNC_INTERVALS, intervals)]).await;
    app.wait_for_text("#sync-last", "Đồng bộ gần nhất:").await;
    app.wait_for_text("#sync-state", "Tự đồng bộ sau").await;
    let url = hub.url.clone();
    drop(hub);

    // A sweep with no findings, saved while the hub is down.
    sweep_with_no_findings(&app).await;
    let survey = app
        .css("#survey-list li.survey")
        .await
        .attr("data-id")
        .await
        .unwrap()
        .and_then(|id| id.parse::<uuid::Uuid>().ok())
        .expect("the survey's id in the list");
    app.wait_for_text("#unsynced", "1").await;
    let offline = app.wait_for_text("#sync-state", "Ngoại tuyến").await;
    assert!(offline.contains("thử lại sau"), "{offline}");
    app.screens("40-autosync-offline").await;
    let offline = app.wait_for_text("#sync-state", "Ngoại tuyến").await;
    assert!(offline.contains("thử lại sau"), "still offline: {offline}");

    // The hub is back at its address; nobody touches the tablet.
    let back = std::time::Instant::now();
    let hub = HubProcess::start_again(dir.path(), &url);
    let deadline = back + sotay_pcmt::e2e::PATIENCE;
    let held = loop {
        let held = tokio::task::block_in_place(|| hub.holds(survey));
        if held || std::time::Instant::now() > deadline {
            break held;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    };
    assert!(held, "the survey never reached the hub's store");
    // For whoever compares it with the wait the frame stated (backoff_max).
    eprintln!(
        "the survey reached the hub {:.1} s after it was started again",
        back.elapsed().as_secs_f64()
    );
    app.wait_until_gone("#sync-state", "Ngoại tuyến").await;
    app.wait_for_text("#sync-state", "Tự đồng bộ sau").await;
    app.wait_until_gone("#unsynced", "1").await;
    app.click("#nav-surveys").await;
    app.wait_until_gone("#survey-list", "Chưa đồng bộ").await;
    app.screens("41-autosync-back").await;
    app.close().await;
}

/// A tablet set up with a folder for its held steps: each slow step is
/// held open by the test (the app's test holds) while the officer clicks
/// elsewhere, so the window must answer before the step is done. Commands
/// run on the main thread froze it, WebDriver included: the click that
/// started the step never came back.
async fn officer_with_holds(dir: &Path) -> (HubProcess, AppWindow, std::path::PathBuf) {
    let holds = dir.join("holds");
    std::fs::create_dir_all(&holds).unwrap();
    let env = holds.display().to_string();
    let (hub, app) = officer_with(dir, &[(TEST_HOLD_DIR, env.as_str())]).await;
    (hub, app, holds)
}

/// Holds `step` open, starts it, and checks that the window answers while
/// it runs: it says the step is under way (`busy`: selector and words),
/// and `then` (another click) goes through. Dropping the hold lets the
/// step finish.
async fn answers_while_held(
    app: &AppWindow,
    holds: &Path,
    step: &str,
    start: impl std::future::Future<Output = ()>,
    busy: (&str, &str),
    shot: &str,
    then: impl std::future::Future<Output = ()>,
) -> Hold {
    let hold = Hold::on(holds, step);
    app.answers(&format!("held at {step}"), async {
        start.await;
        app.wait_for_text(busy.0, busy.1).await;
        app.screens(shot).await;
        then.await;
    })
    .await;
    hold
}

/// Goes to a tab of the frame and sees it chosen.
async fn tab(app: &AppWindow, id: &str) {
    app.click(id).await;
    app.css(&format!("{id}.active")).await;
}

/// Unlocking (Argon2id, then opening the store): the button says so, and
/// the PIN screen's language switch still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn the_window_answers_while_the_app_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, app, holds) = officer_with_holds(dir.path()).await;
    app.click("#lock-now").await;
    app.css("#unlock-form").await;
    app.type_into("#pin", PIN).await;
    let unlock = answers_while_held(
        &app,
        &holds,
        "unlock",
        app.click("#unlock"),
        ("#unlock", "Đang mở khóa dữ liệu"),
        "42-unlocking",
        async {
            app.click("#lock-lang").await;
            app.wait_for_text("#unlock-form", "Enter the PIN to open")
                .await;
        },
    )
    .await;
    unlock.release();
    app.css("#nav-today").await;
    app.close().await;
}

/// A year's report counted with the store in hand, then a file made from
/// it: the officer can go to another screen meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn the_window_answers_while_a_report_is_counted_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, app, holds) = officer_with_holds(dir.path()).await;
    app.click("#nav-reports").await;
    app.wait_for_text("#report-title", "Tháng").await;
    let report = answers_while_held(
        &app,
        &holds,
        "report",
        app.choose("#report-kind", "year"),
        ("#report-busy", "Đang tính báo cáo"),
        "43-report-counting",
        tab(&app, "#nav-today"),
    )
    .await;
    report.release();
    app.click("#nav-reports").await;
    app.choose("#report-kind", "year").await;
    app.wait_for_text("#report-title", "Năm").await;

    let export = answers_while_held(
        &app,
        &holds,
        "export",
        app.click("#export-csv"),
        ("#export-csv", "Đang lưu tệp"),
        "44-exporting",
        tab(&app, "#nav-people"),
    )
    .await;
    export.release();
    app.wait_for_text("#notice", "Đã lưu tệp").await;
    app.close().await;
}

/// A sync applying a batch, with the store in hand: the sessions the
/// officer opens wait for it, the window does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn the_window_answers_while_a_sync_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, app, holds) = officer_with_holds(dir.path()).await;
    let sync = answers_while_held(
        &app,
        &holds,
        "sync-store",
        app.click("#sync"),
        ("#sync-progress", "Đang kết nối"),
        "45-syncing",
        tab(&app, "#nav-sessions"),
    )
    .await;
    sync.release();
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.wait_for_text("#session-count", "3 buổi").await;
    app.close().await;
}

/// A sync cut between two exchanges (the hub gone): the officer is told
/// what went through before the cut, from the progress the sync reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_sync_cut_midway_says_what_went_through_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    let holds = dir.path().join("holds");
    std::fs::create_dir_all(&holds).unwrap();
    let hub = HubProcess::start(dir.path());
    // A session another tablet edited 4,000 times: more changes than one
    // pull carries (the hub's PULL_ROWS), so the first sync takes two.
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let (id, mut doc) = pcmt_hub::testing::session_doc(DISTRICT[0]);
    for n in 0..4000 {
        doc.put(automerge::ROOT, "venue_name", format!("Chợ Đăk Glei {n}"))
            .unwrap();
        doc.commit();
    }
    tokio::task::block_in_place(|| other.push_doc(&hub.url, id, &mut doc, &[]));

    let code = hub.issue_code(&DISTRICT);
    let app = AppWindow::start_with_env(
        &dir.path().join("tablet"),
        &hub.url,
        &code,
        &[(TEST_HOLD_DIR, holds.display().to_string().as_str())],
    )
    .await;
    app.set_pin().await;
    // The first start syncs at once; it is held after its first exchange.
    let between = Hold::on(&holds, "sync-progress");
    app.set_up("A Lưu", "Công an xã Đăk Pék").await;
    let midway = app.wait_for_text("#sync-progress", "đã nhận 4 hồ sơ").await;
    assert!(midway.contains("đã gửi 0 hồ sơ"), "{midway}");
    drop(hub);
    between.release();
    let cut = app.wait_for_text("#notice", "Trước khi bị ngắt").await;
    assert!(cut.contains("Không kết nối được máy chủ huyện"), "{cut}");
    assert!(
        cut.contains("Trước khi bị ngắt đã gửi 0 và nhận 4 hồ sơ"),
        "{cut}"
    );
    app.screens("46-sync-cut-midway").await;
    app.close().await;
}

/// The GPS answers while the officer types on: the fix fills the position
/// and nothing else; what was typed meanwhile stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_position_fix_arriving_while_the_officer_types_fills_only_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, app) = officer(dir.path()).await;
    app.fake_gps().await;
    app.hold_fixes().await;

    app.click("#nav-sessions").await;
    app.click("#new-session").await;
    app.type_into("#venue_name", "Chợ").await;
    app.click("#locate").await;
    app.wait_for_text("#locate", "Đang lấy").await;
    app.type_into("#venue_name", "Chợ phiên Đăk Pék").await;
    app.type_into("#attendees", "45").await;
    app.answer_fix(15.0512, 107.7321).await;
    app.wait_for_value("#location", "15.051200, 107.732100")
        .await;
    assert_eq!(app.value("#venue_name").await, "Chợ phiên Đăk Pék");
    assert_eq!(app.value("#attendees").await, "45");
    app.screens("47-gps-while-typing-session").await;

    app.click("#nav-surveys").await;
    app.click("#new-survey").await;
    app.click("#add-site").await;
    app.click("#locate-0").await;
    app.type_into("#plant_count-0", "1200").await;
    app.type_into("#grower-0", "Hộ ông A").await;
    app.answer_fix(15.0601, 107.7402).await;
    app.wait_for_value("#site_point-0", "15.060100, 107.740200")
        .await;
    assert_eq!(app.value("#plant_count-0").await, "1200");
    assert_eq!(app.value("#grower-0").await, "Hộ ông A");
    app.screens("48-gps-while-typing-site").await;
    app.close().await;
}

/// Issue 23: an officer records a drug hot spot with its position, later
/// records that it was cleared, and finds it in the year's report; it
/// reaches another tablet cleared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_hot_spot_recorded_then_cleared_counts_in_the_years_report() {
    use chrono::Datelike;
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    app.fake_gps().await;
    let year = today().year();
    // Found ten days ago, or on 1 January if that is earlier: this year.
    let found = (today() - Days::new(10)).max(NaiveDate::from_ymd_opt(year, 1, 1).unwrap());

    app.click("#nav-hot-spots").await;
    app.wait_for_text("#hot-spot-count", "0").await;
    app.click("#new-hot-spot").await;
    app.type_into("#place", "Quán karaoke bờ suối, thôn Đăk Dung")
        .await;
    app.choose("#village", "62-610-23284-01").await;
    app.click("#locate").await;
    app.wait_for_value("#location", "15.051200, 107.732100")
        .await;
    app.click("#activities-organised_use").await;
    app.click("#activities-dealing").await;
    app.type_into(
        "#findings",
        "Thanh niên tụ tập sử dụng ma túy tổng hợp vào ban đêm; chủ quán cung cấp",
    )
    .await;
    app.type_into("#stage_from-0", &dmy(found)).await;
    app.js("document.getElementById('place').scrollIntoView({block: 'start'})")
        .await;
    app.screens("60-hot-spot-form").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu điểm, tụ điểm").await;
    app.wait_for_text("#hot-spot-stage", "Mới phát hiện").await;
    let facts = app.css("#hot-spot-facts").await.text().await.unwrap();
    for part in [
        "Tổ chức sử dụng trái phép chất ma túy",
        "Mua bán trái phép chất ma túy",
        "15.051200, 107.732100",
    ] {
        assert!(facts.contains(part), "{part} in {facts}");
    }
    app.screens("61-hot-spot-detail").await;

    // The police clear it: a new line in its history, cleared today.
    app.click("#edit").await;
    app.click("#add-stage").await;
    app.wait_for_value("#stage_from-1", &dmy(today())).await;
    app.choose("#stage-1", "cleared").await;
    app.type_into("#stage_notes-1", "Đã triệt xóa, xử lý chủ quán")
        .await;
    app.screens("62-hot-spot-cleared-form").await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu điểm, tụ điểm").await;
    app.wait_for_text("#hot-spot-stage", "Đã triệt xóa").await;
    let stages = app.texts("#hot-spot-stages li").await;
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(
        stages[0].contains(&dmy(found)) && stages[0].contains("Mới phát hiện"),
        "{stages:?}"
    );
    assert!(
        stages[1].contains("Đã triệt xóa") && stages[1].contains("xử lý chủ quán"),
        "{stages:?}"
    );
    // The history names the change to the list.
    app.wait_for_text("#history", "A Lưu").await;
    app.screens("63-hot-spot-detail-cleared").await;
    app.click("#back").await;
    app.wait_for_text("#hot-spot-list", "Đã triệt xóa").await;
    app.screens("64-hot-spot-list").await;

    // The year's report of the district: found and cleared this year, 1
    // of 1 cleared, above the plan's 80%.
    app.click("#nav-reports").await;
    app.wait_for_text("#report-title", "Tháng").await;
    app.choose("#report-kind", "year").await;
    app.choose("#report-year", &year.to_string()).await;
    app.choose("#report-unit", "62-610").await;
    app.wait_for_text("#report-title", &format!("Năm {year}"))
        .await;
    app.wait_for_text("#indicator-hot_spots_detected", "1 điểm")
        .await;
    app.wait_for_text("#indicator-hot_spots_resolved", "1 điểm")
        .await;
    let share = app
        .wait_for_text("#indicator-hot_spots_resolved_share", "(1/1)")
        .await;
    assert!(share.contains("100,0%") && share.contains("Đạt"), "{share}");
    app.js("document.getElementById('section-hot_spots').scrollIntoView({block: 'start'})")
        .await;
    app.screens("65-hot-spot-report").await;

    // It reaches another tablet of the district, cleared.
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.close().await;
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let spots = other
        .store()
        .list_hot_spots(&ListFilter::default(), 10, 0)
        .unwrap();
    assert_eq!(spots.len(), 1);
    assert_eq!(spots[0].stage, pcmt_model::HotSpotStage::Cleared);
    assert_eq!(spots[0].detected_on, found);
}

/// Thừa Thiên Huế after the 2025 reform: Hồng Kim and Bắc Sơn end on 30
/// June 2025 and are part of A Lưới 1 from the next day.
const HUE_UNITS: &str =
    "Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Hiệu lực từ ngày,Hiệu lực đến ngày,Sáp nhập vào mã
46,Thành phố Huế,Tỉnh,,,,
19774,Phường Thuận Hóa,Phường,46,,,
19996,Xã Hồng Kim,Xã,46,,30/06/2025,20014
20002,Xã Bắc Sơn,Xã,46,,30/06/2025,20014
20014,Xã A Lưới 1,Xã,46,01/07/2025,,
20014-01,Thôn A Đớt,Thôn,20014,,,
20014-02,Thôn Hồng Thủy,Thôn,20014,,,
20014-S1,Trường THCS A Lưới,Trường học,20014,,,
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_province_loads_its_units_in_the_browser_and_an_officer_enrols_in_the_real_window() {
    let dir = tempfile::tempdir().unwrap();
    // A real province's hub: no demo district, only its first
    // administrator, made with the hub's command.
    let hub = HubProcess::start_province(dir.path());
    let password = "mật khẩu văn phòng tỉnh Huế";
    hub.add_admin("tinh", "46", password);
    let bad = format!("{HUE_UNITS}20017,Xã A Lưới 2,Xã,46,31/02/2025,,\n20020,Xã Lạ,Xã,47,,,\n");
    let (good_file, bad_file) = (
        dir.path().join("don-vi-hue.csv"),
        dir.path().join("don-vi-loi.csv"),
    );
    std::fs::write(&good_file, HUE_UNITS).unwrap();
    std::fs::write(&bad_file, &bad).unwrap();

    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    let c = &browser.client;
    browser.sign_in(&hub.url, "tinh", password).await;
    browser
        .wait_for_text("#no-units", "chưa có danh sách đơn vị")
        .await;
    browser.full_page_screenshot("dash-17-province-first").await;
    browser.click("#load-units-first").await;

    // A bad file first: each bad row told, nothing loaded.
    browser
        .upload("#units-file", &bad_file, "#units-upload")
        .await;
    let refused = browser
        .wait_for_text("#unit-errors", "ngày “31/02/2025” không hợp lệ")
        .await;
    assert!(
        refused.contains("Dòng 11: không có đơn vị cấp trên mã 47 trong danh sách"),
        "{refused}"
    );
    browser
        .full_page_screenshot("dash-18-province-refused")
        .await;
    browser
        .upload("#units-file", &good_file, "#units-upload")
        .await;
    let preview = browser
        .wait_for_text("#preview", "sáp nhập vào Xã A Lưới 1")
        .await;
    assert!(preview.contains("từ 01/07/2025"), "{preview}");
    browser
        .full_page_screenshot("dash-19-province-preview")
        .await;
    browser.click("#units-load").await;
    browser.wait_for_text("#current-units", "Xã A Lưới 1").await;

    // Hồng Kim's tablet, enrolled before the merger, had recorded a
    // session and a person there in May 2025.
    let hong_kim = other_tablet(&hub, "Hồ Văn Kim", &["19996"]);
    {
        let mut store = hong_kim.store();
        let session = pcmt_model::SessionInput {
            commune: "19996".into(),
            date: NaiveDate::from_ymd_opt(2025, 5, 10).unwrap(),
            ..pcmt_model::fixtures::session("Trường Tiểu học Hồng Kim")
        };
        store
            .create_session(&session, &hong_kim.author, today())
            .unwrap();
        let person = pcmt_model::PersonInput {
            commune: "19996".into(),
            village: None,
            citizen_id: Some("046098001234".into()),
            ..pcmt_model::fixtures::person("Hồ Văn Sơn")
        };
        store
            .create_person(&person, &hong_kim.author, today())
            .unwrap();
    }
    sync_other(&hub, &hong_kim);

    // The administrator issues a code for A Lưới 1 in the browser...
    browser.click("#tablets-link").await;
    browser.type_into("#officer", "Hồ Thị Lan").await;
    browser.click("#commune-20014").await;
    browser.click("#issue").await;
    let code = browser.wait_for_text("#issued-code", "-").await;
    browser.full_page_screenshot("dash-20-province-code").await;

    // ...which the officer types into the real app window.
    let app = AppWindow::start(&dir.path().join("tablet"), &hub.url, code.trim()).await;
    app.set_pin().await;
    app.set_up("Hồ Thị Lan", "Công an xã A Lưới 1").await;
    let synced = app.wait_for_text("#notice", "Đồng bộ xong").await;
    assert!(synced.contains("nhận 2 hồ sơ"), "{synced}");
    // Hồng Kim's person is now A Lưới 1's to manage; a new file goes in
    // A Lưới 1, among its own villages.
    app.click("#nav-people").await;
    app.wait_for_text("#people-list", "Hồ Văn Sơn").await;
    app.screens("66-province-people").await;
    app.click("#new-person").await;
    let communes = app.texts("#commune option").await;
    assert_eq!(
        communes,
        ["Xã A Lưới 1"],
        "only its own commune to record in"
    );
    let villages = app.texts("#village option").await;
    assert!(
        villages.iter().any(|v| v == "Thôn Hồng Thủy"),
        "{villages:?}"
    );
    app.screens("67-province-person-form").await;

    // Its 2025 report counts Hồng Kim's session and person in A Lưới 1.
    app.click("#nav-reports").await;
    app.wait_for_text("#report-title", "Tháng").await;
    app.choose("#report-kind", "year").await;
    app.choose("#report-year", "2025").await;
    app.choose("#report-unit", "20014").await;
    app.wait_for_text("#report-title", "Năm 2025").await;
    app.wait_for_text("#indicator-sessions", "1").await;
    app.wait_for_text("#indicator-people_managed", "1").await;
    app.screens("68-province-merged-report").await;

    // So does the dashboard's, which lists A Lưới 1 and not the old communes.
    c.goto(&format!("{}/dashboard?kind=year&year=2025", hub.url))
        .await
        .unwrap();
    let row = browser
        .wait_for_text("#communes tr[data-commune=\"20014\"]", "Xã A Lưới 1")
        .await;
    let rows = browser.texts("#communes tbody tr").await;
    assert_eq!(rows.len(), 2, "Thuận Hóa and A Lưới 1: {rows:?}");
    browser
        .full_page_screenshot("dash-21-province-merged-report")
        .await;
    assert!(row.starts_with("Xã A Lưới 1 1 "), "{row}");
    app.close().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn one_citizen_registered_on_two_tablets_is_flagged_in_the_window_and_merged_in_the_browser()
{
    const SHARED: &str = "062094007788";
    let dir = tempfile::tempdir().unwrap();
    let (hub, app) = officer(dir.path()).await;
    let password = "mật khẩu văn phòng huyện";
    hub.add_admin("quantri", "62-610", password);

    // Another officer of Đăk Pék registered him first, with a visit.
    let other = other_tablet(&hub, "Hội phụ nữ — Y Hoa", &[DISTRICT[0]]);
    let visited = today() - Days::new(5);
    let theirs = {
        let mut s = other.store();
        let mut p = pcmt_model::fixtures::person("Hồ Văn Thưởng");
        p.citizen_id = Some(SHARED.into());
        let row = s.create_person(&p, &other.author, today()).unwrap();
        s.create_checkin(
            &pcmt_model::fixtures::checkin(row.id, visited),
            &other.author,
            today(),
        )
        .unwrap();
        row.id
    };
    sync_other(&hub, &other);

    // The officer registers him again in the window and syncs.
    register_person(&app, "Hồ Văn Thưởng", SHARED).await;
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    let flag = app
        .wait_for_text("#duplicate-notice", "Có thể trùng hồ sơ")
        .await;
    assert!(flag.contains("một hồ sơ của Xã Đăk Pék"), "{flag}");
    app.screens("69-duplicate-flag").await;

    // The district's administrator merges the other file into his.
    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    browser.sign_in(&hub.url, "quantri", password).await;
    browser.click("#duplicates-link").await;
    browser.wait_for_text(".duplicate", SHARED).await;
    let files = browser
        .js("return [...document.querySelectorAll('.duplicate select[name=kept] option')].map(o => o.value)")
        .await;
    let files: Vec<String> = serde_json::from_value(files).unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    let ours = files.iter().find(|f| **f != theirs.to_string()).unwrap();
    browser.choose(".duplicate select[name=kept]", ours).await;
    browser
        .choose(".duplicate select[name=gone]", &theirs.to_string())
        .await;
    browser.full_page_screenshot("dash-40-duplicates").await;
    browser.click(".merge-button").await;
    browser.wait_for_text("#done", "Đã gộp hai hồ sơ").await;
    browser.full_page_screenshot("dash-41-merged").await;

    // At the next sync the window shows one file holding both visits.
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.wait_for_text("#merged-notice", "đã gộp 1 hồ sơ").await;
    app.wait_for_text("#visit-list", &dmy(visited)).await;
    app.wait_until_gone("#duplicate-notice", "Có thể trùng")
        .await;
    app.screens("90-merged-file").await;
    app.click("#nav-people").await;
    app.type_into("#people-search", "ho van thuong").await;
    app.wait_for_text("#people-list", "Hồ Văn Thưởng").await;
    assert_eq!(app.texts("#people-list li").await.len(), 1);
    app.close().await;
}

/// Waits until the image `selector` has loaded; returns its natural width.
async fn loaded_width(app: &AppWindow, selector: &str) -> u64 {
    app.css(selector).await;
    let script = format!(
        "const i = document.querySelector({selector:?}); return i && i.complete ? i.naturalWidth : 0;"
    );
    for _ in 0..150 {
        if let Some(w) = app.js(&script).await.as_u64().filter(|w| *w > 0) {
            return w;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.fail(format!("{selector} never loaded")).await
}

/// Scrolls `selector` to the middle of the window, as the officer would
/// to reach it, before a screenshot.
async fn scroll_to(app: &AppWindow, selector: &str) {
    app.css(selector).await;
    app.js(&format!(
        "document.querySelector({selector:?}).scrollIntoView({{block: 'center'}});"
    ))
    .await;
}

/// Opens the record `id` from the list behind the rail button `nav`.
async fn open_record(app: &AppWindow, nav: &str, id: uuid::Uuid) {
    app.click(nav).await;
    app.click(&format!("li[data-id='{id}'] .row-button")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_photo_attached_to_a_session_and_a_site_reaches_a_second_tablet_and_opens_whole() {
    let dir = tempfile::tempdir().unwrap();
    // The tablets sync when told to, so each sync's words can be checked.
    let by_hand = [(
        TEST_SYNC_INTERVALS,
        "idle=3600,after_save=3600,backoff_max=3600",
    )];
    let (hub, app) = officer_with(dir.path(), &by_hand).await;
    // A session and a sweep with one site, recorded by a colleague and
    // synced to the officer's tablet.
    let other = other_tablet(&hub, "Y Hoa", &DISTRICT);
    let mut session = pcmt_model::fixtures::session("Nhà văn hóa thôn Đăk Ung");
    session.date = today();
    let mut survey = pcmt_model::fixtures::survey_with_site();
    survey.date = today() - Days::new(2);
    survey.sites[0].action.date = survey.date;
    let person = pcmt_model::fixtures::person("Hoàng Văn Quyết");
    let (session_id, survey_id, person_id) = {
        let mut s = other.store();
        let a = s.create_session(&session, &other.author, today()).unwrap();
        let b = s.create_survey(&survey, &other.author, today()).unwrap();
        let c = s.create_person(&person, &other.author, today()).unwrap();
        (a.id, b.id, c.id)
    };
    sync_other(&hub, &other);
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;

    // A camera's 12-megapixel photo, and a text file named like a photo.
    let photo = dir.path().join("buoi-tuyen-truyen.jpg");
    std::fs::write(
        &photo,
        pcmt_core::attach::samples::camera_jpeg(4000, 3000, 21),
    )
    .unwrap();
    let not_a_photo = dir.path().join("ghi-chu.jpg");
    std::fs::write(&not_a_photo, "Biên bản buổi tuyên truyền, bản nháp.\n").unwrap();

    // The session's photo: picked in the file input, processed, shown.
    open_record(&app, "#nav-sessions", session_id).await;
    app.css("#session-attach").await;
    scroll_to(&app, "#session-attachments").await;
    app.screens("70-session-no-photo-yet").await;
    app.type_into("#session-attach-input", &photo.to_string_lossy())
        .await;
    app.wait_for_text("#notice", "Đã đính kèm ảnh").await;
    loaded_width(&app, "#session-thumbs .thumb img").await;
    scroll_to(&app, "#session-attachments").await;
    app.screens("71-session-photo-attached").await;

    // The text file is refused by its bytes, in Vietnamese; nothing added.
    app.type_into("#session-attach-input", &not_a_photo.to_string_lossy())
        .await;
    app.wait_for_text(
        "#session-attach-error",
        "Chỉ đính kèm được ảnh (JPEG, PNG) hoặc tệp PDF",
    )
    .await;
    assert_eq!(app.texts("#session-thumbs .thumb").await.len(), 1);
    scroll_to(&app, "#session-attachments").await;
    app.screens("72-not-a-photo-refused").await;

    // The site's photo keeps the site's position, shown under it.
    open_record(&app, "#nav-surveys", survey_id).await;
    app.type_into("#site-0-attach-input", &photo.to_string_lossy())
        .await;
    app.wait_for_text("#notice", "Đã đính kèm ảnh").await;
    let caption = app.wait_for_text("#site-0-thumbs", "Vị trí:").await;
    let point = survey.sites[0].point;
    assert!(
        caption.contains(&format!("{:.5}, {:.5}", point.lat, point.lon)),
        "{caption}"
    );
    assert_eq!(
        app.texts("#survey-thumbs .thumb").await.len(),
        0,
        "the sweep's own photos"
    );
    scroll_to(&app, "#site-0-attachments").await;
    app.screens("73-site-photo-with-its-position").await;

    // Sync: records first, then the photos, told apart. The same photo on
    // two records is one file (and one thumbnail) at the hub.
    app.click("#sync").await;
    let told = app.wait_for_text("#notice", "ảnh và tệp: đã gửi 2").await;
    assert!(told.contains("đã gửi 2 hồ sơ"), "{told}");
    app.screens("74-sync-tells-photos-apart").await;

    // A scanned decision in a person's file: a PDF, kept as it is, shown
    // as a tile with its size, opened or saved from the large view.
    let decision = dir.path().join("quyet-dinh.pdf");
    std::fs::write(
        &decision,
        "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    app.click("#nav-people").await;
    app.type_into("#people-search", "hoang van quyet").await;
    app.click(&format!("li[data-id='{person_id}'] .row-button"))
        .await;
    app.type_into("#person-attach-input", &decision.to_string_lossy())
        .await;
    app.wait_for_text("#notice", "Đã đính kèm tệp PDF").await;
    app.wait_for_text("#person-thumbs", "PDF").await;
    app.click("#person-thumbs .thumb").await;
    app.wait_for_text("#attachment-pdf", "Mở / tải tệp PDF")
        .await;
    app.screens("79-person-file-pdf-open").await;
    app.click("#attachment-close").await;
    app.close().await;
    sync_other(&hub, &other);
    assert_eq!(other.store().attachments_of(session_id).unwrap().len(), 1);

    // A second tablet, its own app window and store, enrols with the hub.
    let code = hub.issue_code(&DISTRICT);
    let second =
        AppWindow::start_with_env(&dir.path().join("tablet-b"), &hub.url, &code, &by_hand).await;
    second.set_pin().await;
    second.set_up("Y Hoa", "Công an xã Đăk Pék").await;
    second.wait_for_text("#notice", "Đồng bộ xong").await;
    open_record(&second, "#nav-sessions", session_id).await;
    // The thumbnail came with the record; the photo itself did not.
    let thumb_width = loaded_width(&second, "#session-thumbs .thumb img").await;
    assert!(thumb_width <= 256, "a thumbnail, {thumb_width} px wide");
    scroll_to(&second, "#session-attachments").await;
    second.screens("75-second-tablet-thumbnail").await;
    second.click("#session-thumbs .thumb").await;
    second
        .wait_for_text("#attachment-pending", "Ảnh gốc sẽ tải về ở lần đồng bộ tới")
        .await;
    second.screens("76-full-photo-asked-for").await;
    second.click("#attachment-close").await;
    second.click("#sync").await;
    second.wait_for_text("#notice", "Đồng bộ xong").await;
    second.click("#session-thumbs .thumb").await;
    let width = loaded_width(&second, "#attachment-full").await;
    assert_eq!(
        width, 1600,
        "the photo downscaled to 1,600 px on its long side"
    );
    second.screens("77-full-photo-open").await;
    second.click("#attachment-close").await;

    // The site's photo on the second tablet, with its position.
    open_record(&second, "#nav-surveys", survey_id).await;
    loaded_width(&second, "#site-0-thumbs .thumb img").await;
    second.wait_for_text("#site-0-thumbs", "Vị trí:").await;
    scroll_to(&second, "#site-0-attachments").await;
    second.screens("78-second-tablet-site-photo").await;
    second.close().await;
}

/// Fills and saves the person form as an officer does: a file of Thôn Đăk
/// Ung in Đăk Pék under management since 60 days ago.
async fn register_person(app: &AppWindow, name: &str, citizen_id: &str) {
    app.click("#nav-people").await;
    app.click("#new-person").await;
    app.type_into("#full_name", name).await;
    app.type_into("#birth_date", "14/03/1994").await;
    app.type_into("#citizen_id", citizen_id).await;
    app.type_into("#ethnicity", "Xơ Đăng").await;
    app.choose("#village", "62-610-23284-01").await;
    app.click("#substances-methamphetamine").await;
    app.type_into("#status_from-0", &dmy(today() - Days::new(60)))
        .await;
    app.click("#save").await;
    app.wait_for_text("#notice", "Đã lưu hồ sơ").await;
    app.wait_for_text("#person-name", name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn a_person_moved_in_the_window_reaches_the_new_commune_and_the_office_moves_him_on() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path());
    let password = "mật khẩu văn phòng huyện";
    hub.add_admin("quantri", "62-610", password);
    // Đăk Pék's tablet only: a move to Đăk Choong takes the file away.
    let code = hub.issue_code(&[DISTRICT[0]]);
    let app = AppWindow::start(&dir.path().join("tablet"), &hub.url, &code).await;
    app.set_pin().await;
    app.set_up("A Lưu", "Công an xã Đăk Pék").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    let choong = other_tablet(&hub, "Công an xã — Y Bình", &[DISTRICT[1]]);

    register_person(&app, "Hồ Văn Chuyển", "062094005566").await;
    app.click("#move").await;
    app.choose("#move-to", DISTRICT[1]).await;
    app.type_into("#move-on", "31/02/2026").await;
    app.click("#move-save").await;
    app.wait_for_text("#move-error", "Cư trú tại xã mới từ ngày")
        .await;
    app.type_into("#move-on", &dmy(today() - Days::new(1)))
        .await;
    app.screens("80-move-form").await;
    app.click("#move-save").await;
    app.wait_for_text("#notice", "Đã ghi việc chuyển đến Xã Đăk Choong")
        .await;
    app.click("#sync").await;
    app.wait_for_text("#notice", "Đồng bộ xong").await;
    app.click("#nav-people").await;
    let note = app
        .wait_for_text("#moved-list", "đã chuyển đến Xã Đăk Choong")
        .await;
    assert!(note.contains("Hồ Văn Chuyển"), "{note}");
    app.wait_until_gone("#people-list", "Hồ Văn Chuyển").await;
    app.screens("81-moved-note").await;

    // Đăk Choong's tablet receives the whole file.
    sync_other(&hub, &choong);
    let found = choong
        .store()
        .search_people("ho van chuyen", 10, 0)
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].commune, DISTRICT[1]);

    // The office moves him on to Xốp from the browser, by his CCCD.
    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    browser.sign_in(&hub.url, "quantri", password).await;
    browser.click("#move-link").await;
    browser.type_into("#citizen_id", "062094005566").await;
    browser.choose("#to", DISTRICT[2]).await;
    browser.type_into("#on", &dmy(today())).await;
    browser.full_page_screenshot("dash-42-move").await;
    browser.click("#move-save").await;
    browser.wait_for_text("#done", "Xã Xốp").await;
    browser.full_page_screenshot("dash-43-moved").await;
    sync_other(&hub, &choong);
    assert!(choong
        .store()
        .search_people("ho van chuyen", 10, 0)
        .unwrap()
        .is_empty());
    app.close().await;
    browser.close().await;
}
