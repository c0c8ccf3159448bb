//! The register of people under management imported at the office
//! (issue 20): the rows an administrator confirmed become documents of
//! the same shape a tablet makes (`pcmt_core::record_doc`), written by an
//! Automerge actor of the office's own and attributed to the staff member
//! in each change's note, then stored through the push's path
//! (`HubStorage::write_as_office`). Reading and sorting the file is
//! `super::units`' and `pcmt_model::person_sheet`'s.

use crate::error::HubError;
use automerge::ActorId;
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::wire::DocChanges;
use pcmt_model::person_sheet::{self, COLUMNS};
use pcmt_model::{Labelled, Lang, OrgTree, PersonInput, RecordKind};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The id of an imported file, derived from its row
/// (`person_sheet::import_key`): two imports of one row racing each other
/// name one document, which the store writes once.
pub fn import_id(p: &PersonInput) -> Uuid {
    let digest = Sha256::digest(format!("pcmt-import|{}", person_sheet::import_key(p)));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// How the office signs the changes it makes: the staff member, as the
/// tablets' history shows the officer of a change.
pub fn office_note(username: &str) -> ChangeNote {
    ChangeNote {
        officer: format!("Văn phòng: {username}"),
    }
}

/// The documents of `people`, one change each, by one new actor of the
/// office (never a tablet's, so its changes can never collide with one),
/// at `time` (seconds).
pub fn office_docs(
    people: &[PersonInput],
    username: &str,
    time: i64,
) -> Result<Vec<DocChanges>, HubError> {
    let actor = ActorId::random();
    let note = office_note(username);
    people
        .iter()
        .map(|p| {
            let id = import_id(p);
            let mut doc = record_doc::new_record(id, &p.commune, p, actor.clone(), &note, time)
                .map_err(|e| HubError::Malformed(format!("record {id}: {e}")))?;
            Ok(DocChanges {
                id,
                kind: RecordKind::Person.code().to_string(),
                commune: p.commune.clone(),
                changes: doc
                    .get_changes(&[])
                    .into_iter()
                    .map(|c| c.raw_bytes().to_vec())
                    .collect(),
            })
        })
        .collect()
}

/// The office's move of a stored person file (issue 20): checked as the
/// tablet checks one (`MoveInput::validate`, against the hub's tree), made
/// as one change by a new actor of the office signed as the staff member,
/// sent under the commune it leaves. The field errors, in the officer's
/// words, when the move cannot be made.
pub fn office_move(
    stored: &[u8],
    input: &pcmt_model::MoveInput,
    username: &str,
    units: &OrgTree,
    today: chrono::NaiveDate,
    time: i64,
) -> Result<Result<DocChanges, Vec<pcmt_model::FieldError>>, HubError> {
    let bad = |e: record_doc::DocError| HubError::Malformed(e.to_string());
    let mut doc = record_doc::load(stored).map_err(bad)?;
    let header = record_doc::read_header(&doc).map_err(bad)?;
    let person: PersonInput = record_doc::read_record(&doc).map_err(bad)?;
    let before = record_doc::moves::moves(&doc).map_err(bad)?;
    if let Err(errors) = input.validate(
        units,
        &header.commune,
        person.managed_since(),
        &before,
        today,
    ) {
        return Ok(Err(errors));
    }
    let heads = doc.get_heads();
    doc.set_actor(ActorId::random());
    let by = office_note(username);
    let mv = pcmt_model::Move {
        id: Uuid::nil(),
        from: header.commune.clone(),
        to: input.to.clone(),
        on: input.on,
        by: by.officer.clone(),
    };
    record_doc::moves::move_to(&mut doc, &mv, &by, time).map_err(bad)?;
    Ok(Ok(DocChanges::since(
        header.id,
        RecordKind::Person,
        &header.commune,
        &mut doc,
        &heads,
    )))
}

/// The template of the register: its columns, and an example row of each
/// kind of file.
pub fn template(units: &OrgTree, lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let examples: Vec<Vec<String>> = example_people(units)
        .iter()
        .map(|p| person_sheet::row_of(p, units, Lang::Vi))
        .collect();
    super::units::workbook(
        "Sổ theo dõi",
        &COLUMNS,
        &examples,
        lang.pick(
            "Điền danh sách vào trang “Sổ theo dõi”; chỉ trang đầu tiên được đọc. Ngày viết dd/mm/yyyy. Xã, thôn ghi mã hoặc tên như trong danh mục đơn vị. Chất ma túy: một hoặc nhiều, cách nhau bởi dấu phẩy. Tình trạng pháp lý, giới tính, chất ma túy ghi như trong ví dụ. Người đã có trong sổ (cùng số CCCD, hoặc cùng họ tên, ngày sinh và xã) không được tạo lại.",
            "Fill in the “Sổ theo dõi” sheet; only the first sheet is read. Dates as dd/mm/yyyy. Communes and villages by code or by name as in the unit list. Substances: one or more, separated by commas. Status, sex and substances as in the examples. People already in the register (same CCCD, or same name, birth date and commune) are not created again.",
        ),
    )
}

/// Two made-up people of the first commune the tree lists (the template's
/// examples).
fn example_people(units: &OrgTree) -> Vec<PersonInput> {
    use pcmt_model::{LegalStatus, Sex, StatusSpan, Substance};
    let Some(commune) = units.communes().next() else {
        return Vec::new();
    };
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let person = |name: &str, sex, cccd: Option<&str>, status, from| PersonInput {
        full_name: name.into(),
        birth_date: day(1995, 3, 14),
        sex,
        citizen_id: cccd.map(String::from),
        ethnicity: "Kinh".into(),
        commune: commune.code.clone(),
        village: units
            .villages_of(&commune.code)
            .next()
            .map(|v| v.code.clone()),
        address: "Số nhà 12".into(),
        phone: Some("0912 345 678".into()),
        family_contact: "Nguyễn Thị Lan (mẹ), 0987 654 321".into(),
        substances: vec![Substance::Methamphetamine, Substance::Cannabis],
        officer_in_charge: "Trần Văn Bình".into(),
        statuses: vec![StatusSpan {
            id: Uuid::nil(),
            status,
            closed_reason: None,
            from,
            until: None,
            notes: String::new(),
        }],
    };
    vec![
        person(
            "Nguyễn Văn An",
            Sex::Male,
            Some("062095001234"),
            LegalStatus::DrugUserManaged,
            day(2025, 2, 3),
        ),
        person(
            "Lê Thị Hoa",
            Sex::Female,
            None,
            LegalStatus::VoluntaryCommunityRehab,
            day(2025, 8, 1),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcmt_model::fixtures::person;

    #[test]
    fn an_imported_file_is_a_tablets_document_with_an_id_from_its_row() {
        let p = person("A Lê Văn Hùng");
        let docs = office_docs(std::slice::from_ref(&p), "vanphong", 1_700_000_000).unwrap();
        assert_eq!(docs[0].id, import_id(&p));
        assert_eq!(import_id(&p), import_id(&p.clone()));
        let mut doc = automerge::AutoCommit::new();
        for bytes in &docs[0].changes {
            doc.apply_changes([automerge::Change::from_bytes(bytes.clone()).unwrap()])
                .unwrap();
        }
        let back: PersonInput = record_doc::read_record(&doc).unwrap();
        assert_eq!(back.full_name, p.full_name);
        assert!(back.statuses.iter().all(|s| !s.id.is_nil()));
        let history = record_doc::history(&mut doc);
        assert_eq!(history[0].officer, "Văn phòng: vanphong");
    }

    #[test]
    fn the_template_reads_back_as_an_empty_register_with_its_columns() {
        let bytes = template(&OrgTree::demo(), Lang::Vi).unwrap();
        assert_eq!(
            super::super::units::read_table(&bytes, &COLUMNS).unwrap(),
            []
        );
    }
}
