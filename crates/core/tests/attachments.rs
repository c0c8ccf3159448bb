//! Attachments on the tablet (issue 21): encrypted at rest like every
//! record (the same byte search as `encryption.rs`, with a plaintext
//! control), refused by their bytes with nothing stored, and a cut
//! download resumed from the chunk where it stopped.

use pcmt_core::attach::{hash_of, samples, AttachError};
use pcmt_core::store::{AttachTo, Received, CHUNK_BYTES};
use pcmt_core::vault::{KdfParams, ATTEMPTS_FILE, KEY_FILE};
use pcmt_core::{Author, CoreError, Store, Vault};
use pcmt_model::fixtures::{self, day};
use pcmt_model::{AttachmentKind, Lang, OrgTree};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const FAST: KdfParams = KdfParams {
    m_kib: 256,
    t_cost: 1,
    p_cost: 1,
};

fn author() -> Author {
    Author {
        officer: "Nguyễn Văn Tâm".into(),
    }
}

fn session(store: &mut Store) -> Uuid {
    store
        .create_session(
            &fixtures::session("Chợ Đăk Glei"),
            &author(),
            day(2026, 11, 24),
        )
        .expect("save session")
        .id
}

/// Every file in the folder (database, WAL, vault files, anything else).
fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[test]
fn a_photos_bytes_never_appear_in_the_encrypted_tablets_files_and_a_plaintext_store_shows_them() {
    let photo = samples::camera_jpeg(2400, 1800, 11);

    let control = tempfile::tempdir().unwrap();
    let mut store = Store::open(&control.path().join("plain.db"), OrgTree::demo()).unwrap();
    let id = session(&mut store);
    let r = store
        .attach(id, &photo, AttachTo::default(), &author())
        .unwrap();
    let stored = store.attachment(r.hash).unwrap().unwrap();
    let thumb = store.attachment(r.thumbnail.unwrap()).unwrap().unwrap();
    assert_eq!(hash_of(&stored), r.hash);
    let mut needles = samples::needles_of(&stored);
    needles.extend(samples::needles_of(&thumb));
    assert_eq!(
        samples::found_in(control.path(), &needles),
        needles.len(),
        "control: the plaintext store shows the photo, so the search works"
    );
    drop(store);

    let dir = tempfile::tempdir().unwrap();
    let key = Vault::new(dir.path())
        .with_params(FAST)
        .create("240719")
        .unwrap();
    let db = dir.path().join("device.db");
    let mut store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    let id = session(&mut store);
    let r2 = store
        .attach(id, &photo, AttachTo::default(), &author())
        .unwrap();
    // The same photo processed the same way: the same bytes to look for.
    assert_eq!(r2.hash, r.hash);
    assert_eq!(
        samples::found_in(dir.path(), &needles),
        0,
        "before the checkpoint"
    );
    drop(store);
    assert_eq!(samples::found_in(dir.path(), &needles), 0, "after it");
    // Nothing else was written beside the store: no photo in a folder.
    let others: Vec<String> = files(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("device.db") && n != KEY_FILE && n != ATTEMPTS_FILE)
        .collect();
    assert!(others.is_empty(), "{others:?}");
    let store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    assert_eq!(store.attachments_of(id).unwrap(), std::slice::from_ref(&r2));
    assert_eq!(store.attachment(r2.hash).unwrap().unwrap(), stored);
}

#[test]
fn a_file_that_is_not_an_image_or_pdf_is_refused_with_nothing_stored() {
    let mut store = Store::open_in_memory(OrgTree::demo()).unwrap();
    let id = session(&mut store);
    let before = store.history(id).unwrap().len();
    let mut docx = b"PK\x03\x04word/document.xml".to_vec();
    docx.resize(4000, 1);
    let err = store
        .attach(id, &docx, AttachTo::default(), &author())
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Attachment(AttachError::NotAllowed)),
        "{err:?}"
    );
    assert!(err
        .user_message(Lang::Vi)
        .starts_with("Chỉ đính kèm được ảnh (JPEG, PNG) hoặc tệp PDF."));
    assert!(store.attachments_of(id).unwrap().is_empty());
    assert!(store.outgoing_attachments().unwrap().is_empty());
    assert_eq!(store.history(id).unwrap().len(), before);

    // A PDF is kept as it is, with no thumbnail.
    let pdf = b"%PDF-1.4\n%%EOF\n".to_vec();
    let r = store
        .attach(id, &pdf, AttachTo::default(), &author())
        .unwrap();
    assert_eq!((r.kind, r.thumbnail), (AttachmentKind::Pdf, None));
    assert_eq!(store.attachment(r.hash).unwrap(), Some(pdf));
    assert_eq!(store.outgoing_attachments().unwrap().len(), 1);
}

#[test]
fn a_cut_download_resumes_at_the_chunk_where_it_stopped_and_a_wrong_body_is_dropped() {
    let mut store = Store::open_in_memory(OrgTree::demo()).unwrap();
    let mut file = b"%PDF-1.4\n".to_vec();
    file.resize(2 * CHUNK_BYTES + 77, 3);
    let (hash, size) = (hash_of(&file), file.len() as u64);
    store.want_attachment(hash).unwrap();
    assert_eq!(store.incoming_attachments().unwrap(), [(hash, 0)]);
    let chunk = |pos: usize| &file[pos..(pos + CHUNK_BYTES).min(file.len())];
    assert_eq!(
        store.receive_chunk(hash, 0, size, chunk(0)).unwrap(),
        Received::From(CHUNK_BYTES as u64)
    );
    // Cut here: the next sync asks from the chunk it stopped at.
    assert_eq!(
        store.incoming_attachments().unwrap(),
        [(hash, CHUNK_BYTES as u64)]
    );
    // A chunk at the wrong place is not kept.
    assert_eq!(
        store.receive_chunk(hash, 0, size, chunk(0)).unwrap(),
        Received::From(CHUNK_BYTES as u64)
    );
    let second = CHUNK_BYTES;
    store
        .receive_chunk(hash, second as u64, size, chunk(second))
        .unwrap();
    let last = 2 * CHUNK_BYTES;
    assert_eq!(
        store
            .receive_chunk(hash, last as u64, size, chunk(last))
            .unwrap(),
        Received::Whole
    );
    assert_eq!(store.attachment(hash).unwrap(), Some(file.clone()));
    assert!(store.incoming_attachments().unwrap().is_empty());
    // Held from the hub: never sent back to it.
    assert!(store.outgoing_attachments().unwrap().is_empty());

    // Bytes that are not the file its hash names: dropped, asked again.
    let other = hash_of(b"another");
    store.want_attachment(other).unwrap();
    assert_eq!(
        store.receive_chunk(other, 0, 10, b"%PDF-1.4\n!").unwrap(),
        Received::Mismatch
    );
    assert_eq!(store.attachment(other).unwrap(), None);
    assert_eq!(store.incoming_attachments().unwrap(), [(other, 0)]);
}

/// The office's purge reaches the tablet with the office's data: the
/// photo's and thumbnail's bytes leave the store's files (the byte search,
/// on a plaintext store where it finds them before), the record's
/// reference reads as purged, and the file is neither fetched nor
/// attached again; a deleted record shows no attachments.
#[test]
fn a_purge_in_the_office_data_drops_the_bytes_from_the_tablets_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("device.db"), OrgTree::demo()).unwrap();
    let id = session(&mut store);
    let photo = samples::camera_jpeg(1600, 1200, 21);
    let r = store
        .attach(id, &photo, AttachTo::default(), &author())
        .unwrap();
    let thumb = r.thumbnail.unwrap();
    let mut needles = samples::needles_of(&store.attachment(r.hash).unwrap().unwrap());
    needles.extend(samples::needles_of(
        &store.attachment(thumb).unwrap().unwrap(),
    ));
    store.want_attachment(r.hash).unwrap();
    assert_eq!(
        samples::found_in(dir.path(), &needles),
        needles.len(),
        "control"
    );

    let office = pcmt_core::sync::wire::OfficeData {
        version: 9,
        units: OrgTree::demo().units().cloned().collect(),
        plan: None,
        neighbours: Vec::new(),
        purged: vec![r.hash, thumb],
    };
    store.apply_office(&office).unwrap();
    assert_eq!(
        samples::found_in(dir.path(), &needles),
        0,
        "the bytes are gone"
    );
    assert_eq!(store.attachment(r.hash).unwrap(), None);
    assert_eq!(store.attachment(thumb).unwrap(), None);
    assert!(store.is_purged(r.hash).unwrap() && store.is_purged(thumb).unwrap());
    // The reference stays, read as purged; nothing is fetched or sent.
    assert_eq!(store.attachments_of(id).unwrap(), std::slice::from_ref(&r));
    assert_eq!(store.incoming_attachments().unwrap(), []);
    assert_eq!(store.outgoing_attachments().unwrap(), []);
    assert_eq!(store.office_version().unwrap(), 9);
    assert_eq!(
        pcmt_model::attachment::purged_note(Lang::Vi),
        "Tệp đã bị văn phòng xóa"
    );
    // The same photo attached again is refused in the officer's words.
    let again = store
        .attach(id, &photo, AttachTo::default(), &author())
        .unwrap_err();
    assert!(
        matches!(again, CoreError::Attachment(AttachError::Purged)),
        "{again:?}"
    );
    assert!(again
        .user_message(Lang::Vi)
        .contains("Văn phòng đã xóa hẳn tệp này"));
    drop(store);
    assert_eq!(samples::found_in(dir.path(), &needles), 0, "closed");

    // A deleted record's attachments are hidden with it.
    let mut store = Store::open(&dir.path().join("device.db"), OrgTree::demo()).unwrap();
    let other = session(&mut store);
    let kept = store
        .attach(other, &samples::png(64, 48), AttachTo::default(), &author())
        .unwrap();
    assert_eq!(store.attachments_of(other).unwrap(), [kept]);
    store.delete(other, &author()).unwrap();
    assert_eq!(store.attachments_of(other).unwrap(), []);
}
