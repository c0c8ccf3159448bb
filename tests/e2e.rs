//! End-to-end: an officer uses the real app window (Tauri + WebKitGTK under
//! Xvfb, driven through tauri-driver). Run by `cargo xtask test`, which
//! builds the app and hub and provides the display and drivers.

use chrono::NaiveDate;
use sotay_pcmt::e2e::{AppWindow, HubProcess};
use sotay_pcmt::TestDevice;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the built app under Xvfb; run by `cargo xtask test`"]
async fn officer_records_a_session_sees_it_listed_and_syncs_it_to_the_district() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path());
    let district = ["62-610-23284", "62-610-23287", "62-610-23290"];
    let code = hub.issue_code(&district);
    let app = AppWindow::start(&dir.path().join("tablet"), &hub.url, &code).await;

    app.css("#session-list").await;
    app.wait_for_text(".session-list h2", "(0)").await;
    app.screenshot("01-first-start").await;

    // A careless entry: more women than attendees, and a blank venue.
    app.type_into("#attendees", "120").await;
    app.type_into("#women", "140").await;
    app.click("#save").await;
    let women_error = app.css("#women-error").await.text().await.unwrap();
    assert_eq!(women_error, "Không được lớn hơn tổng số người dự");
    let venue_error = app.css("#venue_name-error").await.text().await.unwrap();
    assert_eq!(venue_error, "Chưa nhập");
    app.screenshot("02-inline-errors").await;
    app.wait_for_text(".session-list h2", "(0)").await;

    // Corrected and complete.
    app.type_into("#date", "20/11/2026").await;
    app.choose("#commune", "62-610-23287").await;
    app.choose("#venue_kind", "school").await;
    app.type_into("#venue_name", "Trường PTDTBT THCS Đăk Choong")
        .await;
    app.choose("#form", "talk").await;
    app.choose("#topic", "disguised_drugs").await;
    app.type_into("#women", "64").await;
    app.click("#save").await;

    let item = app
        .wait_for_text("#session-list", "Trường PTDTBT THCS Đăk Choong")
        .await;
    assert!(item.contains("20/11/2026"), "date shown dd/mm/yyyy: {item}");
    assert!(item.contains("Xã Đăk Choong"), "commune by name: {item}");
    assert!(
        item.contains("Chưa đồng bộ"),
        "marked as not yet synced: {item}"
    );
    app.wait_for_text(".session-list h2", "(1)").await;
    app.wait_for_text("#unsynced", "1").await;
    app.screenshot("03-saved-in-list").await;

    // Sync with the district hub: the session goes up, the demo district's come down.
    app.click("#sync").await;
    let outcome = app.wait_for_text("#notice", "Đồng bộ xong").await;
    assert!(outcome.contains("gửi 1 hồ sơ"), "{outcome}");
    assert!(outcome.contains("nhận 3 hồ sơ"), "{outcome}");
    app.wait_for_text(".session-list h2", "(4)").await;
    let list = app
        .wait_for_text("#session-list", "Chợ trung tâm Đăk Pék")
        .await;
    assert!(
        !list.contains("Chưa đồng bộ"),
        "everything is confirmed: {list}"
    );
    app.screenshot("04-after-sync").await;
    app.close().await;

    // Another officer's tablet receives the session typed into the window.
    let other = TestDevice::new("Y Hoa");
    // The blocking HTTP client owns a runtime: it is made and dropped off the async threads.
    let code = hub.issue_code(&["62-610-23287"]);
    tokio::task::block_in_place(|| {
        pcmt_core::http::sync_with_hub(&other.store, &hub.url, Some(&code)).unwrap();
    });
    let rows = other
        .store()
        .list_sessions(&pcmt_model::api::ListFilter::default(), 10, 0)
        .unwrap();
    let typed = rows
        .iter()
        .find(|r| r.venue_name == "Trường PTDTBT THCS Đăk Choong")
        .expect("the typed session reached the hub and the other tablet");
    assert_eq!(typed.date, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    assert_eq!((typed.attendees, typed.women), (120, 64));
    assert_eq!(typed.commune, "62-610-23287");
}
