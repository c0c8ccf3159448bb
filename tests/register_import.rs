//! The register imported at the office reaches the tablets (issue 20): a
//! tablet of Đăk Pék holds one person; the district's administrator
//! uploads the office's spreadsheet in the dashboard over HTTP, previews
//! it (the known person matched, a bad row refused), confirms, and the
//! tablet's next sync brings the new file, signed by the office in its
//! history. The same file again creates nothing. On both hubs.

use common::{field, Office};
use pcmt_hub::staff::{add_staff, Role};
use pcmt_model::fixtures::{day, person, COMMUNE};
use pcmt_model::person_sheet::{row_of, COLUMNS};
use pcmt_model::{Lang, PersonInput};
use sotay_pcmt::{on_both_hubs, TestDevice, TestHub};

mod common;

on_both_hubs!(an_imported_register_reaches_the_communes_tablet_once);

/// Uploads `file` for preview; the page.
fn upload(office: &Office, csrf: &str, file: &str) -> String {
    let boundary = "pcmt-scenario";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"so.csv\"\r\n\r\n{file}\r\n\
         --{boundary}--\r\n"
    );
    office
        .http
        .post(format!("{}/dashboard/admin/import/preview", office.url))
        .header("cookie", &office.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .unwrap()
        .text()
        .unwrap()
}

/// Confirms the file a preview carries; where it sends the browser.
fn confirm(office: &Office, csrf: &str, preview: &str) -> String {
    let r = office.post_form(
        "/dashboard/admin/import/confirm",
        &format!("csrf={csrf}&file={}", field(preview, "file")),
    );
    r.headers()["location"].to_str().unwrap().to_string()
}

fn csv(rows: &[Vec<String>]) -> String {
    pcmt_model::sheet::csv_of(&COLUMNS, rows)
}

fn an_imported_register_reaches_the_communes_tablet_once(hub: TestHub) {
    add_staff(
        &*hub.storage,
        "quantri",
        common::PASSWORD,
        COMMUNE,
        Role::Admin,
    )
    .unwrap();
    let tablet = TestDevice::new("A Lưu");
    tablet.enrol(&hub, &[COMMUNE]);
    let mut known = person("Y Thị Đã Có");
    known.citizen_id = Some("062098444001".into());
    tablet
        .store()
        .create_person(&known, &tablet.author, day(2026, 11, 24))
        .unwrap();
    tablet.sync(&hub);

    let units = hub.storage.units();
    let row = |p: &PersonInput| row_of(p, &units, Lang::Vi);
    let mut new_one = person("A Mới Nhập");
    new_one.citizen_id = Some("062098444002".into());
    let mut bad = row(&person("A Sai Ngày"));
    bad[1] = "31/02/1990".into();
    let file = csv(&[row(&new_one), row(&known), bad]);

    let office = Office::sign_in(&hub, "quantri");
    let page = office.get("/dashboard/admin/import");
    let csrf = field(&page, "csrf");
    let preview = upload(&office, &csrf, &file);
    assert!(
        preview
            .contains(r#"data-create="1" data-registered="1" data-repeats="0" data-refused="1""#),
        "{preview}"
    );
    assert!(preview.contains("Ngày sinh: Ngày không hợp lệ (dd/mm/yyyy)"));
    assert_eq!(
        confirm(&office, &csrf, &preview),
        "/dashboard/admin/import?created=1"
    );

    // The tablet's next sync brings the office's file, signed by it.
    tablet.sync(&hub);
    let store = tablet.store();
    let found = store.search_people("a moi nhap", 10, 0).unwrap();
    assert_eq!(found.len(), 1);
    let pulled: PersonInput = store.person_file(found[0].id).unwrap();
    assert_eq!(pulled.citizen_id, new_one.citizen_id);
    assert_eq!(pulled.commune, COMMUNE);
    let history = store.history(found[0].id).unwrap();
    assert_eq!(history[0].officer, "Văn phòng: quantri");
    let people = store.search_people("", 100, 0).unwrap().len();
    drop(store);

    // Imported again: nothing new, on the hub or the tablet.
    let again = upload(&office, &csrf, &file);
    assert!(again.contains(r#"data-create="0""#), "{again}");
    assert_eq!(
        confirm(&office, &csrf, &preview),
        "/dashboard/admin/import?created=0"
    );
    tablet.sync(&hub);
    assert_eq!(
        tablet.store().search_people("", 100, 0).unwrap().len(),
        people
    );
}
