//! Attachments end to end over HTTP (issue 21), on both hubs: tablet A
//! attaches a photo to a session and syncs; tablet B gets the record and
//! its thumbnail, and the full photo once the officer opens it; a cut
//! upload resumes from the chunk where it stopped, resending at most one;
//! a tablet of another commune cannot fetch the photo by its hash; the
//! office's purge reaches both tablets of the commune, whose files then
//! no longer hold the bytes, and tells a tablet of another commune
//! nothing; a deleted record's photos are served to no one.

use pcmt_core::attach::samples;
use pcmt_core::http::HttpTransport;
use pcmt_core::store::{AttachTo, CHUNK_BYTES};
use pcmt_core::sync::attach::{run_attachments, AttachmentLink, HubHolds, UploadAck};
use pcmt_core::sync::SyncError;
use pcmt_model::fixtures::{self, day};
use pcmt_model::ContentHash;
use sotay_pcmt::{on_both_hubs, TestDevice, TestHub};

on_both_hubs!(
    a_photo_attached_on_one_tablet_reaches_another_as_a_thumbnail_then_whole,
    a_cut_upload_resumes_at_the_chunk_where_it_stopped,
    the_offices_purge_reaches_both_tablets_and_their_files_no_longer_hold_the_bytes,
    a_deleted_record_hides_its_photos_at_the_hub_and_on_the_other_tablet,
);

const COMMUNE: &str = "62-610-23284";
const OTHER: &str = "62-610-23287";

/// A new session of [`COMMUNE`] on `device`, held at `venue`.
fn session_at(device: &TestDevice, venue: &str) -> uuid::Uuid {
    let mut input = fixtures::session(venue);
    input.commune = COMMUNE.into();
    device
        .store()
        .create_session(&input, &device.author, day(2026, 11, 24))
        .unwrap()
        .id
}

fn token(device: &TestDevice) -> String {
    device.store().enrolment().unwrap().unwrap().token
}

fn a_photo_attached_on_one_tablet_reaches_another_as_a_thumbnail_then_whole(hub: TestHub) {
    let a = TestDevice::new("Cán bộ A");
    let b = TestDevice::new("Cán bộ B");
    a.enrol(&hub, &[COMMUNE]);
    b.enrol(&hub, &[COMMUNE]);
    let id = session_at(&a, "Chợ Đăk Glei");
    let photo = samples::camera_jpeg(3000, 2000, 5);
    let r = a
        .store()
        .attach(id, &photo, AttachTo::default(), &a.author)
        .unwrap();
    let thumb = r.thumbnail.unwrap();

    let sent = a.sync(&hub);
    assert_eq!(sent.sent_records, 1);
    assert_eq!(sent.sent_attachments, 2, "the photo and its thumbnail");
    // Sent once: the next sync sends nothing again.
    let again = a.sync(&hub);
    assert_eq!((again.sent_attachments, again.attachment_bytes), (0, 0));

    let got = b.sync(&hub);
    assert_eq!(got.received_records, 1);
    assert_eq!(
        got.received_attachments, 1,
        "the thumbnail comes with the record"
    );
    assert_eq!(
        b.store().attachments_of(id).unwrap(),
        std::slice::from_ref(&r)
    );
    assert_eq!(
        b.store().attachment(thumb).unwrap(),
        a.store().attachment(thumb).unwrap()
    );
    assert_eq!(b.store().attachment(r.hash).unwrap(), None);
    // The officer opens it: fetched whole at the next sync.
    b.store().want_attachment(r.hash).unwrap();
    let whole = b.sync(&hub);
    assert_eq!(whole.received_attachments, 1);
    let held = b.store().attachment(r.hash).unwrap().unwrap();
    assert_eq!(held, a.store().attachment(r.hash).unwrap().unwrap());
    // A photo B holds from the hub is never sent back.
    assert_eq!(b.sync(&hub).sent_attachments, 0);

    // A tablet of another commune, knowing the hash, gets nothing.
    let c = TestDevice::new("Cán bộ xã khác");
    c.enrol(&hub, &[OTHER]);
    let mut link = HttpTransport::new(&hub.url).unwrap();
    let stolen = token(&c);
    assert_eq!(link.get_chunk(&stolen, r.hash, 0).unwrap(), None);
    assert_eq!(link.get_chunk(&stolen, thumb, 0).unwrap(), None);
    assert_eq!(link.holds(&stolen, &[r.hash]).unwrap(), [HubHolds::Unknown]);
    // B's token does fetch it.
    let (size, first) = link.get_chunk(&token(&b), r.hash, 0).unwrap().unwrap();
    assert_eq!(size, held.len() as u64);
    assert_eq!(first, held[..first.len()]);
}

/// An HTTP link that loses the connection after `puts` chunks went up.
struct Cut {
    inner: HttpTransport,
    puts: usize,
}

impl AttachmentLink for Cut {
    fn holds(&mut self, token: &str, hashes: &[ContentHash]) -> Result<Vec<HubHolds>, SyncError> {
        self.inner.holds(token, hashes)
    }

    fn put_chunk(
        &mut self,
        token: &str,
        hash: ContentHash,
        size: u64,
        pos: u64,
        bytes: &[u8],
    ) -> Result<UploadAck, SyncError> {
        if self.puts == 0 {
            return Err(SyncError::Unreachable("cut".into()));
        }
        self.puts -= 1;
        self.inner.put_chunk(token, hash, size, pos, bytes)
    }

    fn get_chunk(
        &mut self,
        token: &str,
        hash: ContentHash,
        pos: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, SyncError> {
        self.inner.get_chunk(token, hash, pos)
    }
}

fn a_cut_upload_resumes_at_the_chunk_where_it_stopped(hub: TestHub) {
    let a = TestDevice::new("Cán bộ A");
    a.enrol(&hub, &[COMMUNE]);
    let id = session_at(&a, "Nhà văn hóa thôn");
    // A scanned decision: a PDF of three chunks and a bit.
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 99;
    while pdf.len() < 3 * CHUNK_BYTES + 500 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pdf.push(x as u8);
    }
    let r = a
        .store()
        .attach(id, &pdf, AttachTo::default(), &a.author)
        .unwrap();
    // The records go first; then the upload is cut after two chunks.
    let mut records = HttpTransport::new(&hub.url).unwrap();
    pcmt_core::sync::run_session(&a.store, &mut records, None, &mut |_| {}).unwrap();
    let mut cut = Cut {
        inner: HttpTransport::new(&hub.url).unwrap(),
        puts: 2,
    };
    let err = run_attachments(&a.store, &mut cut, &token(&a), &mut |_| {});
    assert!(err.is_err(), "the link was cut");
    let mut link = HttpTransport::new(&hub.url).unwrap();
    assert_eq!(
        link.holds(&token(&a), &[r.hash]).unwrap(),
        [HubHolds::From(2 * CHUNK_BYTES as u64)]
    );
    let report = run_attachments(&a.store, &mut link, &token(&a), &mut |_| {}).unwrap();
    assert_eq!(report.uploaded, 1);
    assert_eq!(report.bytes_sent, pdf.len() as u64 - 2 * CHUNK_BYTES as u64);
    assert_eq!(report.bytes_resent, 0);
    let (size, _) = link.get_chunk(&token(&a), r.hash, 0).unwrap().unwrap();
    assert_eq!(size, pdf.len() as u64);
}

/// Tablet A attaches a photo to a new session of [`COMMUNE`] and syncs;
/// tablet B syncs and opens it (fetched whole at its next sync).
fn photo_on_both(
    hub: &TestHub,
    a: &TestDevice,
    b: &TestDevice,
    seed: u64,
) -> (uuid::Uuid, pcmt_model::AttachmentRef) {
    let id = session_at(a, "Chợ Đăk Glei");
    let r = a
        .store()
        .attach(
            id,
            &samples::camera_jpeg(2000, 1500, seed),
            AttachTo::default(),
            &a.author,
        )
        .unwrap();
    a.sync(hub);
    b.sync(hub);
    b.store().want_attachment(r.hash).unwrap();
    b.sync(hub);
    assert!(b.store().attachment(r.hash).unwrap().is_some());
    (id, r)
}

fn the_offices_purge_reaches_both_tablets_and_their_files_no_longer_hold_the_bytes(hub: TestHub) {
    let a = TestDevice::new("Cán bộ A");
    let b = TestDevice::new("Cán bộ B");
    let c = TestDevice::new("Cán bộ xã khác");
    a.enrol(&hub, &[COMMUNE]);
    b.enrol(&hub, &[COMMUNE]);
    c.enrol(&hub, &[OTHER]);
    let (id, r) = photo_on_both(&hub, &a, &b, 31);
    let thumb = r.thumbnail.unwrap();
    let (_, kept) = photo_on_both(&hub, &a, &b, 32);
    let mut needles = samples::needles_of(&a.store().attachment(r.hash).unwrap().unwrap());
    needles.extend(samples::needles_of(
        &a.store().attachment(thumb).unwrap().unwrap(),
    ));
    for t in [&a, &b] {
        assert_eq!(
            samples::found_in(t.dir(), &needles),
            needles.len(),
            "control"
        );
    }
    c.sync(&hub);

    let purged = hub
        .storage
        .purge_attachment(r.hash, &|_| true, "quantri", "Ảnh chụp phải người đi đường")
        .unwrap();
    assert_eq!(purged, Some(vec![COMMUNE.to_string()]));
    for t in [&a, &b] {
        t.sync(&hub);
        let store = t.store();
        assert!(store.is_purged(r.hash).unwrap() && store.is_purged(thumb).unwrap());
        assert_eq!(store.attachment(r.hash).unwrap(), None);
        assert_eq!(store.attachment(thumb).unwrap(), None);
        // The record still names it: the screens show it as purged.
        assert_eq!(store.attachments_of(id).unwrap(), std::slice::from_ref(&r));
        // The other photo stays.
        assert!(store.attachment(kept.hash).unwrap().is_some());
        drop(store);
        assert_eq!(
            samples::found_in(t.dir(), &needles),
            0,
            "{}",
            t.author.officer
        );
    }
    // Nothing comes back, and the hub refuses it from the tablet that made it.
    let again = a.sync(&hub);
    assert_eq!((again.sent_attachments, again.received_attachments), (0, 0));
    let mut link = HttpTransport::new(&hub.url).unwrap();
    assert_eq!(
        link.holds(&token(&a), &[r.hash]).unwrap(),
        [HubHolds::Unknown]
    );
    assert_eq!(link.get_chunk(&token(&b), r.hash, 0).unwrap(), None);
    let photo = a.store().attachment(kept.hash).unwrap().unwrap();
    let refused = link.put_chunk(&token(&a), r.hash, photo.len() as u64, 0, &photo);
    assert!(refused.is_err(), "{refused:?}");
    // A tablet of another commune is told nothing of it.
    c.sync(&hub);
    assert!(!c.store().is_purged(r.hash).unwrap());
    assert!(!c.store().is_purged(thumb).unwrap());
}

fn a_deleted_record_hides_its_photos_at_the_hub_and_on_the_other_tablet(hub: TestHub) {
    let a = TestDevice::new("Cán bộ A");
    let b = TestDevice::new("Cán bộ B");
    a.enrol(&hub, &[COMMUNE]);
    b.enrol(&hub, &[COMMUNE]);
    let (id, r) = photo_on_both(&hub, &a, &b, 33);
    a.store().delete(id, &a.author).unwrap();
    a.sync(&hub);
    b.sync(&hub);
    assert_eq!(b.store().attachments_of(id).unwrap(), []);
    let mut link = HttpTransport::new(&hub.url).unwrap();
    for h in [r.hash, r.thumbnail.unwrap()] {
        assert_eq!(link.get_chunk(&token(&b), h, 0).unwrap(), None);
    }
    // Restored, they show and are served again.
    a.store().restore(id, &a.author).unwrap();
    a.sync(&hub);
    b.sync(&hub);
    assert_eq!(
        b.store().attachments_of(id).unwrap(),
        std::slice::from_ref(&r)
    );
    assert!(link.get_chunk(&token(&b), r.hash, 0).unwrap().is_some());
}
