//! End-to-end: office staff use the hub's dashboard in a real browser
//! (Debian's Chromium, headless, through chromedriver) against the hub
//! binary started with the demo district and a year of its field work.
//! Run by `cargo xtask test`, which builds the hub and names it in
//! PCMT_E2E_HUB. Screenshots land in target/e2e/ as dash-*.png (the
//! access log as dash-05-audit.png; the province's unit list loaded from a
//! spreadsheet as dash-08 to dash-11; the register imported from the
//! office's spreadsheet as dash-14 to dash-16; photos from a tablet as
//! thumbnails, one opened and one purged, as dash-22 to dash-25).

use chrono::{Datelike, Local};
use sotay_pcmt::e2e::{AppWindow, HubProcess, PATIENCE};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Waits for a finished download whose name ends with `ext`.
async fn downloaded(dir: &Path, ext: &str) -> PathBuf {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == ext));
        if let Some(p) = found {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "no .{ext} download in {}",
            dir.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the hub binary in headless Chromium; run by `cargo xtask test`"]
async fn staff_sign_in_choose_a_period_read_the_indicators_and_download_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start_with(dir.path(), &["--demo-office"]);
    let (name, password) = hub.staff.clone().expect("the demo account is printed");
    let name_of_account = name.clone();
    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    let c = &browser.client;

    // No session: the dashboard sends the browser to the sign-in page.
    c.goto(&format!("{}/dashboard", hub.url)).await.unwrap();
    browser.css("#sign-in").await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/dashboard/login"));
    browser.screenshot("dash-01-login").await;

    // A wrong password: a clear Vietnamese error, and still no way in.
    browser.type_into("#username", &name).await;
    browser.type_into("#password", "sai mật khẩu").await;
    browser.click("#sign-in").await;
    browser
        .wait_for_text("#login-error", "Tên đăng nhập hoặc mật khẩu không đúng")
        .await;
    browser.screenshot("dash-01b-wrong-password").await;

    // The right one: the current year's report of the demo district.
    browser.type_into("#password", &password).await;
    browser.click("#sign-in").await;
    browser
        .wait_for_text("#report-title", "Huyện Đăk Glei (demo)")
        .await;
    let year = Local::now().year();
    browser
        .wait_for_text("#report-period", &format!("Năm {year}"))
        .await;
    let sessions = browser
        .wait_for_text("#indicators tr[data-code=sessions]", "Số buổi tuyên truyền")
        .await;
    assert!(!sessions.contains("buổi 0"), "{sessions}");
    let communes = browser.texts("#communes tbody tr").await;
    assert_eq!(communes.len(), 3, "{communes:?}");
    browser.css("#site-plot").await;
    browser.full_page_screenshot("dash-02-report").await;

    // Choose this month: only its fields show, and the page follows.
    browser.choose("#kind", "month").await;
    let month_field_shown = browser
        .js(
            "return !document.getElementById('month').closest('label').hidden \
             && document.getElementById('half').closest('label').hidden",
        )
        .await;
    assert_eq!(month_field_shown, serde_json::Value::Bool(true));
    let month = Local::now().month();
    browser.choose("#month", &month.to_string()).await;
    browser.click("#show").await;
    browser
        .wait_for_text("#report-period", &format!("Tháng {month:02}/{year}"))
        .await;
    browser.wait_for_text("#indicators", "Đạt").await;
    browser.full_page_screenshot("dash-03-month").await;

    // The workbook downloads with its Vietnamese name and is a real XLSX (zip).
    browser.click("#download-xlsx").await;
    let file = downloaded(&dir.path().join("browser/downloads"), "xlsx").await;
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("Báo cáo PCMT - Huyện Đăk Glei (demo)"),
        "{name}"
    );
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an XLSX is a zip");

    // The access log: that download is its newest entry, under this account.
    browser.click("#audit-link").await;
    browser
        .wait_for_text("#audit-title", "Nhật ký truy cập và thay đổi")
        .await;
    let newest = browser
        .wait_for_text("#audit tbody tr", "Tải báo cáo về")
        .await;
    assert!(newest.contains("Báo cáo Excel (XLSX)"), "{newest}");
    assert!(newest.contains(&name_of_account), "{newest}");
    browser.screenshot("dash-05-audit").await;

    // The demo account administers the district: a code for a new tablet
    // of Đăk Pék, shown large, and the tablet enrolling with it.
    browser.click("#tablets-link").await;
    browser
        .wait_for_text("#tablets-title", "Quản lý máy tính bảng")
        .await;
    browser.type_into("#officer", "Y Hoa").await;
    browser.click("#commune-62-610-23284").await;
    browser.click("#issue").await;
    let code = browser.wait_for_text("#issued-code", "-").await;
    assert!(
        browser
            .wait_for_text("#issued", "Y Hoa")
            .await
            .contains("Xã Đăk Pék"),
        "the code names its officer and commune"
    );
    browser.full_page_screenshot("dash-06-tablet-code").await;
    let tablet = sotay_pcmt::TestDevice::new("Y Hoa");
    let enrolled = tokio::task::block_in_place(|| {
        pcmt_core::http::sync_with_hub(&tablet.store, &hub.url, Some(code.trim()))
    });
    assert!(enrolled.is_ok(), "{enrolled:?}");
    browser.click("#tablets-link").await;
    let listed = browser.wait_for_text("#tablets", "Y Hoa").await;
    assert!(listed.contains("Đang dùng"), "{listed}");
    browser.full_page_screenshot("dash-07-tablets").await;

    // An account for Đăk Pék's staff, added from the page; it is listed
    // with its commune and role.
    browser.click("#staff-link").await;
    browser
        .wait_for_text("#staff-title", "Tài khoản cán bộ")
        .await;
    browser.type_into("#new-username", "canbo.dakpek").await;
    browser.type_into("#new-password", "mật khẩu của xã").await;
    browser.choose("#new-unit", "62-610-23284").await;
    browser.choose("#new-role", "staff").await;
    browser.click("#add").await;
    browser
        .wait_for_text("#done", "Đã thêm tài khoản canbo.dakpek")
        .await;
    let row = browser
        .wait_for_text("#accounts tr[data-account='canbo.dakpek']", "Xã Đăk Pék")
        .await;
    assert!(
        row.contains("Cán bộ xem báo cáo") && row.contains("Đang dùng"),
        "{row}"
    );
    browser.full_page_screenshot("dash-12-staff").await;

    // The province's plan: half-years due before 16/6 and 16/12, support
    // reached at least 90%. The second half-year's report follows it.
    browser.click("#plan-link").await;
    browser
        .wait_for_text("#plan-title", "Kế hoạch: hạn báo cáo và chỉ tiêu")
        .await;
    browser
        .type_into("#plan-name", "Kế hoạch số 45/KH-UBND")
        .await;
    browser.type_into("#first-half-day", "16").await;
    browser.click("#second-half-on").await;
    browser.type_into("#second-half-day", "16").await;
    browser.type_into("#second-half-month", "12").await;
    browser.choose("#cmp-support_reached", "at_least").await;
    browser.type_into("#value-support_reached", "90").await;
    browser.click("#save-plan").await;
    browser.wait_for_text("#done", "Đã lưu kế hoạch").await;
    browser.full_page_screenshot("dash-13-plan").await;
    c.goto(&format!(
        "{}/dashboard?kind=half_year&year={year}&half=2",
        hub.url
    ))
    .await
    .unwrap();
    browser
        .wait_for_text("#report-period", &format!("trước ngày 16/12/{year}"))
        .await;
    let support = browser
        .wait_for_text("#indicators tr[data-code=support_reached]", "≥ 90%")
        .await;
    assert!(support.contains("≥ 90%"), "{support}");
    c.goto(&format!("{}/dashboard", hub.url)).await.unwrap();
    browser
        .wait_for_text("#report-title", "Huyện Đăk Glei (demo)")
        .await;

    // English on request; signing out ends the session.
    browser.click("#lang").await;
    browser
        .wait_for_text("#report-title", "Drug prevention and control report")
        .await;
    browser.full_page_screenshot("dash-04-english").await;
    browser.click("#sign-out").await;
    browser.css("#sign-in").await;
    c.goto(&format!("{}/dashboard", hub.url)).await.unwrap();
    browser.css("#sign-in").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the hub binary in headless Chromium; run by `cargo xtask test`"]
async fn the_province_loads_its_units_from_a_spreadsheet_after_a_bad_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path());
    let password = "mật khẩu của văn phòng tỉnh";
    hub.add_admin("tinh", "62", password);
    let mut good = pcmt_hub::rules::units::to_csv(&pcmt_model::OrgTree::demo());
    good.push_str(
        "62-610-99001,Xã Đăk Plô,Xã,62-610\n62-610-99001-01,Thôn Đăk Ga,Thôn,62-610-99001\n",
    );
    let bad = format!("{good}62-610-99001,Xã trùng,Xã,62-610\n62-610-99002,,Xã,62-610\n");
    let (good_file, bad_file) = (
        dir.path().join("don-vi.csv"),
        dir.path().join("don-vi-loi.csv"),
    );
    std::fs::write(&good_file, &good).unwrap();
    std::fs::write(&bad_file, &bad).unwrap();
    let rows = good.lines().count();

    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    browser.sign_in(&hub.url, "tinh", password).await;
    browser.css("#units-link").await;
    browser.click("#units-link").await;
    browser
        .wait_for_text("#units-title", "Đơn vị hành chính")
        .await;
    browser.wait_for_text("#units-version", "1").await;
    browser.full_page_screenshot("dash-08-units").await;

    // A file with bad rows: each told in Vietnamese, nothing loaded.
    browser
        .upload("#units-file", &bad_file, "#units-upload")
        .await;
    let refused = browser
        .wait_for_text("#unit-errors", "thiếu tên đơn vị")
        .await;
    assert!(
        refused.contains(&format!(
            "Dòng {}: mã đơn vị trùng với dòng {}",
            rows + 1,
            rows - 1
        )),
        "{refused}"
    );
    browser.wait_for_text("#units-version", "1").await;
    browser.full_page_screenshot("dash-09-units-refused").await;

    // The corrected file: a preview, then the list loaded on confirmation.
    browser
        .upload("#units-file", &good_file, "#units-upload")
        .await;
    browser.wait_for_text("#preview", "Xã Đăk Plô").await;
    browser.full_page_screenshot("dash-10-units-preview").await;
    browser.click("#units-load").await;
    browser.wait_for_text("#done", "phiên bản 2").await;
    browser.wait_for_text("#current-units", "Xã Đăk Plô").await;
    browser.full_page_screenshot("dash-11-units-loaded").await;

    // The new commune can be given a tablet at once.
    browser.click("#tablets-link").await;
    browser.wait_for_text("#code-form", "Xã Đăk Plô").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the hub binary in headless Chromium; run by `cargo xtask test`"]
async fn an_administrator_imports_the_register_previewed_row_by_row() {
    use pcmt_model::fixtures::person;
    use pcmt_model::person_sheet::{row_of, COLUMNS};
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path());
    let password = "mật khẩu của văn phòng huyện";
    hub.add_admin("quantri", "62-610", password);
    let units = pcmt_model::OrgTree::demo();
    let row = |p: &pcmt_model::PersonInput| row_of(p, &units, pcmt_model::Lang::Vi);
    let mut first = person("A Nhập Một");
    first.citizen_id = Some("062098333001".into());
    let mut second = person("Y Nhập Hai");
    second.citizen_id = None;
    let mut bad = row(&person("A Sai Giới Tính"));
    bad[2] = "Không rõ".into();
    let rows = [row(&first), row(&second), row(&first), bad];
    let file = dir.path().join("so-theo-doi.csv");
    std::fs::write(&file, pcmt_model::sheet::csv_of(&COLUMNS, &rows)).unwrap();

    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    browser.sign_in(&hub.url, "quantri", password).await;
    browser.click("#import-link").await;
    browser
        .wait_for_text("#import-title", "Nhập sổ theo dõi người được quản lý")
        .await;
    browser.full_page_screenshot("dash-14-import").await;

    // The preview: two new files, a repeated row and a refused one with
    // its reason; nothing written yet.
    browser
        .upload("#import-file", &file, "#import-upload")
        .await;
    let preview = browser
        .wait_for_text(
            "#import-preview",
            "Giới tính: “Không rõ” không có trong danh mục",
        )
        .await;
    assert!(preview.contains("Trùng với dòng 2"), "{preview}");
    let counts = browser.wait_for_text("#import-counts", "Tạo mới").await;
    assert!(counts.starts_with("Tạo mới 2"), "{counts}");
    browser.full_page_screenshot("dash-15-import-preview").await;

    browser.click("#import-go").await;
    browser.wait_for_text("#done", "Đã tạo hồ sơ mới: 2").await;
    browser.full_page_screenshot("dash-16-import-done").await;

    // The same file again: the two are in the register now.
    browser
        .upload("#import-file", &file, "#import-upload")
        .await;
    let again = browser
        .wait_for_text("#import-counts", "Đã có trong sổ")
        .await;
    assert!(again.starts_with("Tạo mới 0"), "{again}");
}

/// Issue 21: a tablet's photos of a session and of a site show as
/// thumbnails on the report page; staff open one whole (logged); an
/// administrator purges one with a reason, and the tablet drops its bytes
/// at its next sync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives the hub binary in headless Chromium; run by `cargo xtask test`"]
async fn photos_show_as_thumbnails_and_an_administrator_purges_one() {
    use pcmt_core::attach::samples;
    use pcmt_core::store::AttachTo;
    use pcmt_model::fixtures;
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(dir.path());
    let password = "mật khẩu của văn phòng huyện";
    hub.add_admin("quantri", "62-610", password);

    // A tablet of Đăk Pék photographs a session and a poppy site.
    let tablet = sotay_pcmt::TestDevice::new("A Lưu (Công an xã)");
    let code = hub.issue_code(&["62-610-23284"]);
    let today = Local::now().date_naive();
    let (session_photo, site_photo) = {
        let mut store = tablet.store();
        let session = store
            .create_session(
                &fixtures::session("Nhà văn hóa thôn 2"),
                &tablet.author,
                today,
            )
            .unwrap()
            .id;
        let mut sweep = fixtures::survey_with_site();
        sweep.date = today;
        sweep.sites[0].action.date = today;
        let survey = store
            .create_survey(&sweep, &tablet.author, today)
            .unwrap()
            .id;
        let on_session = store
            .attach(
                session,
                &samples::camera_jpeg(2400, 1800, 7),
                AttachTo::default(),
                &tablet.author,
            )
            .unwrap();
        let site = &sweep.sites[0];
        let on_site = store
            .attach(
                survey,
                &samples::camera_jpeg(2000, 1500, 8),
                AttachTo {
                    site: Some(site.id),
                    position: Some(site.point),
                },
                &tablet.author,
            )
            .unwrap();
        (on_session, on_site)
    };
    let url = hub.url.clone();
    let store = &tablet.store;
    let report = tokio::task::block_in_place(|| {
        pcmt_core::http::sync_with_hub(store, &url, Some(&code)).unwrap()
    });
    assert_eq!(
        report.sent_attachments, 4,
        "two photos and their thumbnails"
    );

    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    browser.sign_in(&hub.url, "quantri", password).await;
    let c = &browser.client;
    c.goto(&format!("{}/dashboard?unit=62-610-23284", hub.url))
        .await
        .unwrap();
    let sites = browser
        .wait_for_text("#site-photos", "Cây thuốc phiện")
        .await;
    assert!(sites.contains("1.200"), "{sites}");
    let photo = |h: pcmt_model::ContentHash| format!(r#"figure[data-hash="{h}"]"#);
    browser
        .css(&format!("#site-photos {} img", photo(site_photo.hash)))
        .await;
    browser
        .css(&format!(
            "#attachment-list {} img",
            photo(session_photo.hash)
        ))
        .await;
    // Every thumbnail draws once in view (they load lazily; an image that
    // failed has no natural width).
    browser
        .js("document.getElementById('attachments').scrollIntoView()")
        .await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let drawn = browser
            .js("return [...document.querySelectorAll('figure.attachment img')].every(i => i.complete && i.naturalWidth > 0)")
            .await;
        if drawn == serde_json::Value::Bool(true) {
            break;
        }
        assert!(Instant::now() < deadline, "the thumbnails never drew");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    browser
        .js("document.getElementById('site-photo-card').scrollIntoView()")
        .await;
    browser.screenshot("dash-22-photos").await;

    // Opened whole, in the browser, and logged.
    let href = browser
        .js(&format!(
            "return document.querySelector('{} a').getAttribute('href')",
            photo(session_photo.hash)
        ))
        .await;
    c.goto(&format!("{}{}", hub.url, href.as_str().unwrap()))
        .await
        .unwrap();
    let width = browser
        .js("return document.images.length ? document.images[0].naturalWidth : 0")
        .await;
    assert_eq!(
        width,
        serde_json::json!(1600),
        "the whole photo, 1,600 px wide"
    );
    browser.screenshot("dash-23-photo-opened").await;

    // The administrator purges the session's photo with a reason.
    c.goto(&format!("{}/dashboard?unit=62-610-23284", hub.url))
        .await
        .unwrap();
    let card = photo(session_photo.hash);
    browser
        .type_into(
            &format!("{card} input[name=reason]"),
            "Ảnh chụp phải người đi đường",
        )
        .await;
    browser
        .js(&format!(
            "document.querySelector('{card}').scrollIntoView()"
        ))
        .await;
    browser.screenshot("dash-24-purge").await;
    browser.click(&format!("{card} form.purge button")).await;
    browser
        .wait_for_text("#attachments", "Ảnh, tệp đính kèm trong kỳ")
        .await;
    let listed = browser.texts("#attachment-list figure").await;
    assert_eq!(listed.len(), 1, "the site's photo stays: {listed:?}");
    browser
        .css(&format!("#attachment-list {}", photo(site_photo.hash)))
        .await;

    // The log says who purged which file and why.
    browser.click("#audit-link").await;
    let entry = browser
        .wait_for_text(
            "tr[data-action=attachment_purged]",
            "Ảnh chụp phải người đi đường",
        )
        .await;
    assert!(entry.contains("quantri"), "{entry}");
    browser.screenshot("dash-25-purge-logged").await;

    // At its next sync the tablet drops the photo's bytes and keeps the
    // reference, shown as purged.
    tokio::task::block_in_place(|| pcmt_core::http::sync_with_hub(store, &url, None).unwrap());
    let store = tablet.store();
    assert!(store.is_purged(session_photo.hash).unwrap());
    assert_eq!(store.attachment(session_photo.hash).unwrap(), None);
    assert!(store.attachment(site_photo.hash).unwrap().is_some());
}
