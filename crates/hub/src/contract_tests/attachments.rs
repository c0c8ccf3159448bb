//! Attachments in the storage (issue 21), on both stores: chunked upload
//! resumed where it stopped, stored once, checked by its bytes, scoped to
//! the communes whose records refer to it, within its limits.

use super::{enrolled, push_from};
use crate::error::HubError;
use crate::rules::attachments::{self as rules, MAX_CHUNK_BYTES};
use crate::rules::audit::{self, Action};
use crate::storage::{HubStorage, Listing, Opening};
use automerge::AutoCommit;
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::attach::{HubHolds, UploadAck};
use pcmt_core::sync::wire::DocChanges;
use pcmt_model::{AttachmentKind, AttachmentRef, ContentHash, OrgTree, RecordKind};
use sha2::{Digest, Sha256};
use uuid::Uuid;

on_both!(
    sqlite: &crate::sqlite::HubStore::open_in_memory().expect("an in-memory hub"),
    postgres: |db| &db.store().expect("a PostgreSQL hub store");
    a_file_goes_up_in_chunks_resumes_where_it_stopped_and_is_held_once,
    a_file_that_is_not_an_image_or_pdf_is_refused_and_nothing_of_it_is_kept,
    a_device_of_another_commune_can_neither_fetch_nor_send_a_file_by_its_hash,
    a_file_over_the_limit_and_a_device_past_its_daily_limit_are_refused,
    a_deleted_records_files_are_served_to_no_one_until_it_is_restored,
    a_file_taken_out_of_its_record_is_served_to_no_one,
    staff_open_a_file_of_their_unit_audited_and_staff_of_another_unit_get_nothing,
    a_purge_drops_the_bytes_refuses_the_file_again_and_tells_only_its_communes_tablets,
    uploads_abandoned_for_a_day_are_swept_and_no_longer_count_against_the_day,
);

const A: &str = "62-610-23284";
const B: &str = "62-610-23287";

/// A PDF of `len` bytes whose content depends on `seed`.
fn pdf(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x as u8);
    }
    bytes
}

fn hash(bytes: &[u8]) -> ContentHash {
    ContentHash(Sha256::digest(bytes).into())
}

fn reference(hash: ContentHash, size: u64) -> AttachmentRef {
    AttachmentRef {
        hash,
        kind: AttachmentKind::Pdf,
        size,
        thumbnail: None,
        taken_at: chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap(),
        site: None,
        position: None,
    }
}

/// A session of `commune` referring to these files, pushed by `scope`'s
/// tablet.
fn push_referring(
    hub: &dyn HubStorage,
    scope: &crate::rules::devices::Scope,
    commune: &str,
    files: &[(ContentHash, u64)],
) -> (Uuid, AutoCommit) {
    let refs: Vec<AttachmentRef> = files.iter().map(|(h, size)| reference(*h, *size)).collect();
    push_refs(hub, scope, commune, &refs)
}

/// A session of `commune` holding these attachments, pushed by `scope`'s
/// tablet.
fn push_refs(
    hub: &dyn HubStorage,
    scope: &crate::rules::devices::Scope,
    commune: &str,
    refs: &[AttachmentRef],
) -> (Uuid, AutoCommit) {
    let (id, mut doc) = super::session_doc(commune);
    let note = ChangeNote {
        officer: "t".into(),
    };
    for r in refs {
        assert!(record_doc::attachments::add(&mut doc, r, &note, 1).unwrap());
    }
    let docs = vec![DocChanges::since(
        id,
        RecordKind::Session,
        commune,
        &mut doc,
        &[],
    )];
    hub.push(scope, &push_from(scope, docs)).unwrap();
    (id, doc)
}

fn uploads_logged(hub: &dyn HubStorage) -> usize {
    hub.audit_log(&audit::Query::visible_to(&OrgTree::demo(), "62-610"))
        .unwrap()
        .entries
        .iter()
        .filter(|e| e.entry.action == Action::AttachmentUploaded)
        .count()
}

fn a_file_goes_up_in_chunks_resumes_where_it_stopped_and_is_held_once(hub: &dyn HubStorage) {
    let file = pdf(2 * MAX_CHUNK_BYTES + 1000, 1);
    let (h, size) = (hash(&file), file.len() as u64);
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    push_referring(hub, &tablet, A, &[(h, size)]);
    assert_eq!(
        hub.attachment_holds(&tablet, &[h]).unwrap(),
        [HubHolds::From(0)]
    );
    let chunk = |pos: usize| &file[pos..(pos + MAX_CHUNK_BYTES).min(file.len())];
    assert_eq!(
        hub.put_attachment_chunk(&tablet, h, size, 0, chunk(0))
            .unwrap(),
        UploadAck::Next(MAX_CHUNK_BYTES as u64)
    );
    // Cut: the tablet asks again and goes on from the chunk it stopped at;
    // a chunk sent twice is not kept twice.
    assert_eq!(
        hub.attachment_holds(&tablet, &[h]).unwrap(),
        [HubHolds::From(MAX_CHUNK_BYTES as u64)]
    );
    assert_eq!(
        hub.put_attachment_chunk(&tablet, h, size, 0, chunk(0))
            .unwrap(),
        UploadAck::Next(MAX_CHUNK_BYTES as u64)
    );
    // Not whole yet: served to no one.
    assert_eq!(hub.attachment_chunk(&tablet, h, 0).unwrap(), None);
    let second = MAX_CHUNK_BYTES;
    assert_eq!(
        hub.put_attachment_chunk(&tablet, h, size, second as u64, chunk(second))
            .unwrap(),
        UploadAck::Next(2 * MAX_CHUNK_BYTES as u64)
    );
    let last = 2 * MAX_CHUNK_BYTES;
    assert_eq!(
        hub.put_attachment_chunk(&tablet, h, size, last as u64, chunk(last))
            .unwrap(),
        UploadAck::Whole
    );
    assert_eq!(uploads_logged(hub), 1);

    // Another tablet of the commune attaching the same photo sends
    // nothing: the hub holds it whole.
    let other = enrolled(hub, &[A], "Cán bộ B");
    push_referring(hub, &other, A, &[(h, size)]);
    assert_eq!(
        hub.attachment_holds(&other, &[h]).unwrap(),
        [HubHolds::Whole]
    );
    assert_eq!(
        hub.put_attachment_chunk(&other, h, size, 0, chunk(0))
            .unwrap(),
        UploadAck::Whole
    );
    assert_eq!(uploads_logged(hub), 1);
    // And fetches it chunk by chunk, from any position.
    let mut got = Vec::new();
    while (got.len() as u64) < size {
        let (total, bytes) = hub
            .attachment_chunk(&other, h, got.len() as u64)
            .unwrap()
            .unwrap();
        assert_eq!(total, size);
        assert!(!bytes.is_empty() && bytes.len() <= MAX_CHUNK_BYTES);
        got.extend(bytes);
    }
    assert_eq!(got, file);
    let (_, tail) = hub.attachment_chunk(&other, h, size - 10).unwrap().unwrap();
    assert_eq!(tail, file[file.len() - 10..]);
}

fn a_file_that_is_not_an_image_or_pdf_is_refused_and_nothing_of_it_is_kept(hub: &dyn HubStorage) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    // A Word document named like a photo: its bytes say what it is.
    let mut docx = b"PK\x03\x04word/document.xml".to_vec();
    docx.resize(5000, 7);
    // A PDF whose bytes are not the ones its hash names.
    let pdf_file = pdf(MAX_CHUNK_BYTES + 10, 2);
    let wrong = hash(b"another file");
    let (id, _) = push_referring(
        hub,
        &tablet,
        A,
        &[
            (hash(&docx), docx.len() as u64),
            (wrong, pdf_file.len() as u64),
        ],
    );
    let refused = hub
        .put_attachment_chunk(&tablet, hash(&docx), docx.len() as u64, 0, &docx)
        .unwrap_err();
    let HubError::Rejected { reason, .. } = &refused else {
        panic!("refused as {refused:?}");
    };
    assert_eq!(*reason, rules::not_allowed());
    assert!(reason.starts_with("Tệp không phải ảnh JPEG, PNG hay tệp PDF"));
    assert_eq!(
        hub.attachment_holds(&tablet, &[hash(&docx)]).unwrap(),
        [HubHolds::From(0)]
    );

    let size = pdf_file.len() as u64;
    hub.put_attachment_chunk(&tablet, wrong, size, 0, &pdf_file[..MAX_CHUNK_BYTES])
        .unwrap();
    let refused = hub
        .put_attachment_chunk(
            &tablet,
            wrong,
            size,
            MAX_CHUNK_BYTES as u64,
            &pdf_file[MAX_CHUNK_BYTES..],
        )
        .unwrap_err();
    assert!(
        matches!(&refused, HubError::Rejected { reason, .. } if *reason == rules::mismatch()),
        "{refused:?}"
    );
    // What had arrived of it is gone: sent again, it starts from 0.
    assert_eq!(
        hub.attachment_holds(&tablet, &[wrong]).unwrap(),
        [HubHolds::From(0)]
    );
    assert_eq!(hub.attachment_chunk(&tablet, wrong, 0).unwrap(), None);
    assert_eq!(uploads_logged(hub), 0);
    assert!(hub.document_count().unwrap() >= 1, "{id}");
}

fn a_device_of_another_commune_can_neither_fetch_nor_send_a_file_by_its_hash(hub: &dyn HubStorage) {
    let file = pdf(3000, 3);
    let (h, size) = (hash(&file), file.len() as u64);
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    push_referring(hub, &tablet, A, &[(h, size)]);
    assert_eq!(
        hub.put_attachment_chunk(&tablet, h, size, 0, &file)
            .unwrap(),
        UploadAck::Whole
    );
    let stranger = enrolled(hub, &[B], "Cán bộ xã khác");
    assert_eq!(
        hub.attachment_holds(&stranger, &[h]).unwrap(),
        [HubHolds::Unknown]
    );
    assert_eq!(hub.attachment_chunk(&stranger, h, 0).unwrap(), None);
    // The same answer as for a hash no one holds.
    assert_eq!(
        hub.attachment_chunk(&stranger, hash(b"nothing"), 0)
            .unwrap(),
        None
    );
    assert!(matches!(
        hub.put_attachment_chunk(&stranger, h, size, 0, &file),
        Err(HubError::Forbidden(_))
    ));
    // A record of its own commune naming the hash does not open it either
    // unless it is its commune's record: it is, so now it may fetch.
    push_referring(hub, &stranger, B, &[(h, size)]);
    assert_eq!(
        hub.attachment_chunk(&stranger, h, 0).unwrap(),
        Some((size, file.clone()))
    );
    // A file nobody's record refers to is taken from no one.
    let loose = pdf(100, 4);
    assert!(matches!(
        hub.put_attachment_chunk(&tablet, hash(&loose), 100, 0, &loose),
        Err(HubError::Forbidden(_))
    ));
}

fn a_file_over_the_limit_and_a_device_past_its_daily_limit_are_refused(hub: &dyn HubStorage) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    let big = rules::MAX_FILE_BYTES + 1;
    let start = pdf(1000, 5);
    // Files announced at the per-file limit, begun one after another.
    let per_day = (rules::MAX_DEVICE_DAY_BYTES / rules::MAX_FILE_BYTES) as usize;
    let files: Vec<(ContentHash, u64)> = (0..=per_day)
        .map(|i| (hash(&[i as u8, 1, 2]), rules::MAX_FILE_BYTES))
        .chain([(hash(b"big"), big)])
        .collect();
    push_referring(hub, &tablet, A, &files);
    let refused = hub
        .put_attachment_chunk(&tablet, hash(b"big"), big, 0, &start)
        .unwrap_err();
    assert!(
        matches!(&refused, HubError::Rejected { reason, .. } if *reason == rules::too_large(big)),
        "{refused:?}"
    );
    for (h, size) in &files[..per_day] {
        assert_eq!(
            hub.put_attachment_chunk(&tablet, *h, *size, 0, &start)
                .unwrap(),
            UploadAck::Next(start.len() as u64)
        );
    }
    let (h, size) = files[per_day];
    let refused = hub
        .put_attachment_chunk(&tablet, h, size, 0, &start)
        .unwrap_err();
    assert!(
        matches!(&refused, HubError::Rejected { reason, .. } if *reason == rules::over_daily_limit()),
        "{refused:?}"
    );
    assert_eq!(
        hub.attachment_holds(&tablet, &[h]).unwrap(),
        [HubHolds::From(0)]
    );
    // Another tablet has a day of its own.
    let other = enrolled(hub, &[A], "Cán bộ B");
    assert_eq!(
        hub.put_attachment_chunk(&other, h, size, 0, &start)
            .unwrap(),
        UploadAck::Next(start.len() as u64)
    );
}

/// A session of `commune` holding a photo and its thumbnail, pushed by
/// `scope`'s tablet, both files sent whole: (record, document, photo,
/// thumbnail, photo's bytes).
fn photo_sent(
    hub: &dyn HubStorage,
    scope: &crate::rules::devices::Scope,
    commune: &str,
    seed: u8,
) -> (Uuid, AutoCommit, ContentHash, ContentHash, Vec<u8>) {
    // A JPEG by its first bytes (the hub does not decode it).
    let jpeg = |len: usize, seed: u8| {
        let mut bytes = pdf(len, seed);
        bytes.splice(..9, [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I']);
        bytes
    };
    let (photo, thumb) = (jpeg(3000, seed), jpeg(400, seed.wrapping_add(100)));
    let reference = AttachmentRef {
        kind: AttachmentKind::Jpeg,
        thumbnail: Some(hash(&thumb)),
        ..reference(hash(&photo), photo.len() as u64)
    };
    let (id, doc) = push_refs(hub, scope, commune, &[reference]);
    for file in [&photo, &thumb] {
        assert_eq!(
            hub.put_attachment_chunk(scope, hash(file), file.len() as u64, 0, file)
                .unwrap(),
            UploadAck::Whole
        );
    }
    (id, doc, hash(&photo), hash(&thumb), photo)
}

/// Staff opening a file of `record`.
fn file(record: Uuid) -> Opening<'static> {
    Opening::File {
        record,
        by: "staff",
    }
}

/// `scope`'s tablet deletes (or restores) record `id`.
fn set_deleted(
    hub: &dyn HubStorage,
    scope: &crate::rules::devices::Scope,
    commune: &str,
    id: Uuid,
    doc: &mut AutoCommit,
    deleted: bool,
) {
    let heads = doc.get_heads();
    let note = ChangeNote {
        officer: "t".into(),
    };
    assert!(record_doc::set_deleted(doc, deleted, &note, 2));
    let docs = vec![DocChanges::since(
        id,
        RecordKind::Session,
        commune,
        doc,
        &heads,
    )];
    hub.push(scope, &push_from(scope, docs)).unwrap();
}

fn a_deleted_records_files_are_served_to_no_one_until_it_is_restored(hub: &dyn HubStorage) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    let (id, mut doc, photo, thumb, bytes) = photo_sent(hub, &tablet, A, 10);
    let in_a = |c: &str| c == A;
    assert!(hub.attachment_chunk(&tablet, thumb, 0).unwrap().is_some());
    set_deleted(hub, &tablet, A, id, &mut doc, true);
    for h in [photo, thumb] {
        assert_eq!(hub.attachment_chunk(&tablet, h, 0).unwrap(), None);
        assert_eq!(hub.open_attachment(h, file(id), &in_a).unwrap(), None);
    }
    let this_year = Listing::Taken {
        communes: vec![A.into()],
        from: 0,
        to: i64::MAX,
    };
    assert_eq!(hub.attachments_listed(&this_year).unwrap(), []);
    assert_eq!(hub.attachments_listed(&Listing::Of(vec![id])).unwrap(), []);
    // Kept, not dropped: a restore serves them again.
    set_deleted(hub, &tablet, A, id, &mut doc, false);
    assert_eq!(
        hub.attachment_chunk(&tablet, photo, 0).unwrap(),
        Some((bytes.len() as u64, bytes))
    );
    assert_eq!(hub.attachments_listed(&this_year).unwrap().len(), 1);
}

/// The refs a push notes replace the record's earlier ones (the push's
/// `store_push` clears them: on PostgreSQL inside its one call).
fn a_file_taken_out_of_its_record_is_served_to_no_one(hub: &dyn HubStorage) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    let (id, mut doc, photo, thumb, _) = photo_sent(hub, &tablet, A, 20);
    let kept = pdf(500, 21);
    let kept_size = kept.len() as u64;
    let heads = doc.get_heads();
    let note = ChangeNote {
        officer: "t".into(),
    };
    assert!(
        record_doc::attachments::add(&mut doc, &reference(hash(&kept), kept_size), &note, 2)
            .unwrap()
    );
    assert!(record_doc::attachments::remove(&mut doc, photo, &note, 3).unwrap());
    let docs = vec![DocChanges::since(
        id,
        RecordKind::Session,
        A,
        &mut doc,
        &heads,
    )];
    hub.push(&tablet, &push_from(&tablet, docs)).unwrap();
    assert_eq!(
        hub.put_attachment_chunk(&tablet, hash(&kept), kept_size, 0, &kept)
            .unwrap(),
        UploadAck::Whole
    );
    let in_a = |c: &str| c == A;
    for h in [photo, thumb] {
        assert_eq!(hub.attachment_chunk(&tablet, h, 0).unwrap(), None);
        assert_eq!(hub.open_attachment(h, file(id), &in_a).unwrap(), None);
    }
    let listed = hub.attachments_listed(&Listing::Of(vec![id])).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].hash, hash(&kept));
}

fn logged(hub: &dyn HubStorage, action: Action) -> Vec<audit::Entry> {
    hub.audit_log(&audit::Query::visible_to(&OrgTree::demo(), "62"))
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.entry)
        .filter(|e| e.action == action)
        .collect()
}

fn staff_open_a_file_of_their_unit_audited_and_staff_of_another_unit_get_nothing(
    hub: &dyn HubStorage,
) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    let (id, _, photo, thumb, bytes) = photo_sent(hub, &tablet, A, 11);
    let listed = hub
        .attachments_listed(&Listing::Taken {
            communes: vec![A.into(), B.into()],
            from: 0,
            to: i64::MAX,
        })
        .unwrap();
    assert_eq!(listed.len(), 1, "the photo, not its thumbnail");
    let l = &listed[0];
    assert_eq!(
        (l.record, l.commune.as_str(), l.hash, l.thumbnail, l.kind),
        (id, A, photo, Some(thumb), AttachmentKind::Jpeg)
    );
    assert_eq!(l.size, bytes.len() as u64);
    // Another unit's staff: nothing, by the hash or with the record, and
    // nothing logged; the thumbnail neither.
    let in_b = |c: &str| c == B;
    let by_b = Opening::File {
        record: id,
        by: "b.staff",
    };
    for (h, opening) in [(photo, by_b), (thumb, Opening::Thumbnail)] {
        assert_eq!(hub.open_attachment(h, opening, &in_b).unwrap(), None);
    }
    assert!(logged(hub, Action::AttachmentOpened).is_empty());
    // The unit's staff: the whole file, logged with who, which file and
    // which record. Named with another record, nothing.
    let in_a = |c: &str| c == A;
    let by_a = |record| Opening::File {
        record,
        by: "a.staff",
    };
    assert_eq!(
        hub.open_attachment(photo, by_a(Uuid::now_v7()), &in_a)
            .unwrap(),
        None
    );
    // A thumbnail is no way to a whole file unlogged, nor the reverse.
    assert_eq!(
        hub.open_attachment(photo, Opening::Thumbnail, &in_a)
            .unwrap(),
        None
    );
    assert_eq!(hub.open_attachment(thumb, by_a(id), &in_a).unwrap(), None);
    assert_eq!(
        hub.open_attachment(photo, by_a(id), &in_a).unwrap(),
        Some((AttachmentKind::Jpeg, bytes))
    );
    let opened = logged(hub, Action::AttachmentOpened);
    assert_eq!(opened.len(), 1);
    let e = &opened[0];
    assert_eq!(e.actor, audit::Actor::staff("a.staff"));
    assert_eq!(e.record, Some(id));
    assert_eq!(e.scope, [A]);
    assert_eq!(e.detail.attachment, Some(photo.hex()));
    // A thumbnail shown on a page is not logged one by one.
    assert!(hub
        .open_attachment(thumb, Opening::Thumbnail, &in_a)
        .unwrap()
        .is_some());
    assert_eq!(logged(hub, Action::AttachmentOpened).len(), 1);
}

fn a_purge_drops_the_bytes_refuses_the_file_again_and_tells_only_its_communes_tablets(
    hub: &dyn HubStorage,
) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    let stranger = enrolled(hub, &[B], "Cán bộ xã khác");
    let (id, _, photo, thumb, bytes) = photo_sent(hub, &tablet, A, 12);
    let (_, _, kept, _, _) = photo_sent(hub, &tablet, A, 13);
    let (_, _, theirs, _, _) = photo_sent(hub, &stranger, B, 14);
    let office_of = |scope: &crate::rules::devices::Scope| {
        let mut req = push_from(scope, Vec::new());
        req.office = Some(0);
        hub.push(scope, &req).unwrap().office.unwrap()
    };
    let before = office_of(&tablet);
    assert_eq!(before.purged, []);

    // Only an administrator of the commune's unit may: the check is the
    // caller's, and a refusal writes nothing.
    let of_b = |communes: &[String]| communes.iter().all(|c| c == B);
    assert_eq!(
        hub.purge_attachment(photo, &of_b, "b.admin", "Lộ mặt người dân")
            .unwrap(),
        None
    );
    assert_eq!(
        hub.attachment_chunk(&tablet, photo, 0).unwrap().unwrap().0,
        bytes.len() as u64
    );
    let of_a = |communes: &[String]| communes.iter().all(|c| c == A);
    // A thumbnail is purged with its file, not alone.
    assert_eq!(
        hub.purge_attachment(thumb, &of_a, "a.admin", "x").unwrap(),
        None
    );
    assert_eq!(
        hub.purge_attachment(photo, &of_a, "a.admin", "Ảnh chụp phải người đi đường")
            .unwrap(),
        Some(vec![A.to_string()])
    );
    for h in [photo, thumb] {
        assert_eq!(hub.attachment_chunk(&tablet, h, 0).unwrap(), None);
        assert_eq!(
            hub.open_attachment(h, file(id), &|c: &str| c == A).unwrap(),
            None
        );
        // Refused if sent again, by the record's own tablet too.
        assert_eq!(
            hub.attachment_holds(&tablet, &[h]).unwrap(),
            [HubHolds::Unknown]
        );
        let refused = hub
            .put_attachment_chunk(&tablet, h, bytes.len() as u64, 0, &bytes)
            .unwrap_err();
        assert!(
            matches!(&refused, HubError::Rejected { reason, .. } if *reason == rules::purged()),
            "{refused:?}"
        );
    }
    // Purged once: a second purge finds nothing.
    assert_eq!(
        hub.purge_attachment(photo, &of_a, "a.admin", "again")
            .unwrap(),
        None
    );
    // The other photos stay.
    assert!(hub.attachment_chunk(&tablet, kept, 0).unwrap().is_some());
    assert!(hub
        .attachment_chunk(&stranger, theirs, 0)
        .unwrap()
        .is_some());
    let listed = hub.attachments_listed(&Listing::Of(vec![id])).unwrap();
    assert_eq!(listed, []);

    let purged = logged(hub, Action::AttachmentPurged);
    assert_eq!(purged.len(), 1);
    let e = &purged[0];
    assert_eq!(e.actor, audit::Actor::staff("a.admin"));
    assert_eq!(e.scope, [A]);
    assert_eq!(e.detail.attachment, Some(photo.hex()));
    assert_eq!(
        e.detail.reason.as_deref(),
        Some("Ảnh chụp phải người đi đường")
    );

    // The commune's tablets are told with the office's data, at a new
    // version; a tablet of another commune is told nothing.
    let after = office_of(&tablet);
    assert!(after.version > before.version);
    let mut told = vec![photo, thumb];
    told.sort();
    assert_eq!(after.purged, told);
    assert_eq!(office_of(&stranger).purged, []);
}

fn uploads_abandoned_for_a_day_are_swept_and_no_longer_count_against_the_day(hub: &dyn HubStorage) {
    let tablet = enrolled(hub, &[A], "Cán bộ A");
    let start = pdf(1000, 6);
    let per_day = (rules::MAX_DEVICE_DAY_BYTES / rules::MAX_FILE_BYTES) as usize;
    let files: Vec<(ContentHash, u64)> = (0..=per_day)
        .map(|i| (hash(&[i as u8, 9, 9]), rules::MAX_FILE_BYTES))
        .collect();
    push_referring(hub, &tablet, A, &files);
    let begin =
        |(h, size): (ContentHash, u64)| hub.put_attachment_chunk(&tablet, h, size, 0, &start);
    for f in &files[..per_day] {
        assert_eq!(begin(*f).unwrap(), UploadAck::Next(start.len() as u64));
    }
    let last = files[per_day];
    assert!(matches!(
        begin(last),
        Err(HubError::Rejected { reason, .. }) if reason == rules::over_daily_limit()
    ));
    let now = chrono::Utc::now().timestamp();
    // Begun within the day: kept.
    assert_eq!(hub.sweep_uploads(now - rules::ABANDONED_SECS).unwrap(), 0);
    assert_eq!(
        hub.attachment_holds(&tablet, &[files[0].0]).unwrap(),
        [HubHolds::From(start.len() as u64)]
    );
    // A day later: swept with their bytes, and the day is free again.
    assert_eq!(hub.sweep_uploads(now + 1).unwrap(), per_day as u64);
    assert_eq!(
        hub.attachment_holds(&tablet, &[files[0].0]).unwrap(),
        [HubHolds::From(0)]
    );
    assert_eq!(begin(last).unwrap(), UploadAck::Next(start.len() as u64));
}
