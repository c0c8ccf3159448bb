//! Encryption at rest and the app lock (issue 8, tablet side).
//!
//! People's names, citizen IDs and notes are written through the normal
//! store commands, then the raw bytes of the database file and its WAL are
//! searched for them, as they are typed and as folded search keys. The same
//! search over a plaintext store must find them, or the test proves nothing.

use pcmt_core::text::fold;
use pcmt_core::vault::{Attempts, KdfParams, ATTEMPTS_FILE, KEY_FILE};
use pcmt_core::{Author, CoreError, DbKey, Store, Vault, VaultError};
use pcmt_model::fixtures::{self, day};
use pcmt_model::{Lang, OrgTree, Problem};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Cheap Argon2 so the suite does not spend seconds per unlock; the cost
/// itself is measured by the store benchmark with the default parameters.
const FAST: KdfParams = KdfParams {
    m_kib: 256,
    t_cost: 1,
    p_cost: 1,
};
const PIN: &str = "240719";
const NOW: i64 = 1_790_000_000;

fn vault(dir: &Path) -> Vault {
    Vault::new(dir).with_params(FAST)
}

struct Secret {
    name: &'static str,
    citizen_id: &'static str,
    address: &'static str,
    note: &'static str,
}

const PEOPLE: [Secret; 2] = [
    Secret {
        name: "Hoàng Thị Mỹ Duyên",
        citizen_id: "062199004567",
        address: "Thôn Kon Riêng, ngõ Bìm Bịp",
        note: "Đang điều trị Methadone tại trạm y tế xã",
    },
    Secret {
        name: "Rơ Chăm Blông",
        citizen_id: "062087112233",
        address: "Làng Tờ Drăng, nhà rông cũ",
        note: "Gia đình bảo lãnh, mẹ là Y Hmiên",
    },
];

/// Every string that must not be readable in the files: as typed, and as
/// the folded keys the search columns hold. The address is written too but
/// is no needle: it lives only in the Automerge document, whose columns are
/// deflated, so even the plaintext control would not show it.
fn needles() -> Vec<String> {
    PEOPLE
        .iter()
        .flat_map(|p| {
            [
                p.name.to_string(),
                fold(p.name),
                p.citizen_id.to_string(),
                p.note.to_string(),
            ]
        })
        .collect()
}

/// Writes each person with a status note and a check-in whose notes repeat
/// the note, through the commands the screens use.
fn write_people(store: &mut Store) -> Vec<Uuid> {
    let author = Author {
        officer: "Nguyễn Văn Tâm".into(),
    };
    let today = day(2026, 11, 24);
    PEOPLE
        .iter()
        .map(|p| {
            let mut input = fixtures::person(p.name);
            input.citizen_id = Some(p.citizen_id.into());
            input.address = p.address.into();
            input.statuses[1].notes = p.note.into();
            let id = store
                .create_person(&input, &author, today)
                .expect("save person")
                .id;
            let mut visit = fixtures::checkin(id, day(2026, 11, 20));
            visit.notes = p.note.into();
            store
                .create_checkin(&visit, &author, today)
                .expect("save check-in");
            id
        })
        .collect()
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The needles found in any of the files (missing files hold nothing).
fn found_in(files: &[PathBuf], needles: &[String]) -> Vec<String> {
    let contents: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    needles
        .iter()
        .filter(|n| {
            contents
                .iter()
                .any(|c| c.windows(n.len()).any(|w| w == n.as_bytes()))
        })
        .cloned()
        .collect()
}

fn db_and_wal(db: &Path) -> Vec<PathBuf> {
    vec![db.to_path_buf(), sidecar(db, "-wal")]
}

/// Every file in the folder and its bytes, to show an operation wrote nothing.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("dir entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read file"),
            )
        })
        .collect()
}

fn wal_len(db: &Path) -> u64 {
    std::fs::metadata(sidecar(db, "-wal"))
        .map(|m| m.len())
        .unwrap_or(0)
}

#[test]
fn encrypted_files_hold_no_names_ids_or_notes_and_a_plaintext_store_does() {
    let dir = tempfile::tempdir().unwrap();
    let needles = needles();

    let plain = dir.path().join("plain.db");
    let mut store = Store::open(&plain, OrgTree::demo()).unwrap();
    write_people(&mut store);
    assert!(wal_len(&plain) > 0, "the control's saves sit in its WAL");
    assert_eq!(
        found_in(&db_and_wal(&plain), &needles),
        needles,
        "control: a plaintext store shows every string, so the search works"
    );
    drop(store);

    let db = dir.path().join("device.db");
    let key = vault(dir.path()).create(PIN).unwrap();
    let mut store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    write_people(&mut store);
    assert!(
        wal_len(&db) > 0,
        "saves not yet checkpointed are in the WAL"
    );
    assert_eq!(
        found_in(&db_and_wal(&db), &needles),
        Vec::<String>::new(),
        "before checkpoint"
    );
    drop(store);
    assert_eq!(
        found_in(&db_and_wal(&db), &needles),
        Vec::<String>::new(),
        "after the checkpoint on close"
    );
    let key_files = [dir.path().join(KEY_FILE), dir.path().join(ATTEMPTS_FILE)];
    assert_eq!(found_in(&key_files, &needles), Vec::<String>::new());
}

#[test]
fn a_wrong_key_is_a_clear_error_and_changes_no_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let key = vault(dir.path()).create(PIN).unwrap();
    let ids = write_people(&mut Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap());
    let before = snapshot(dir.path());

    let wrong = DbKey::from_bytes([7; 32]);
    let err = Store::open_encrypted(&db, &wrong, OrgTree::demo())
        .err()
        .expect("a wrong key must not open the store");
    assert!(matches!(err, CoreError::WrongKey), "{err:?}");
    assert!(err.user_message(Lang::Vi).contains("Không mở được dữ liệu"));
    assert!(err.user_message(Lang::En).contains("Nothing was changed"));
    // Nor does opening it as plain SQLite.
    let err = Store::open(&db, OrgTree::demo()).err().expect("no key");
    assert!(matches!(err, CoreError::WrongKey), "{err:?}");
    assert_eq!(snapshot(dir.path()), before, "no file was written");

    let store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    assert_eq!(store.person(ids[1]).unwrap().full_name, PEOPLE[1].name);
}

#[test]
fn the_right_pin_after_wrong_ones_opens_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let ids = {
        let key = vault(dir.path()).create(PIN).unwrap();
        write_people(&mut Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap())
    };
    let db_bytes = std::fs::read(&db).unwrap();
    let key_file = std::fs::read(dir.path().join(KEY_FILE)).unwrap();

    for (n, pin) in ["240718", "000000", "mật khẩu sai"].into_iter().enumerate() {
        let err = vault(dir.path()).unlock(pin, NOW + n as i64).unwrap_err();
        assert!(
            matches!(err, VaultError::WrongPin { failures, wait_s: 0 } if failures == n as u32 + 1),
            "{err:?}"
        );
        assert_eq!(err.user_message(Lang::Vi), "Mã PIN không đúng.");
    }
    assert_eq!(std::fs::read(&db).unwrap(), db_bytes);
    assert_eq!(std::fs::read(dir.path().join(KEY_FILE)).unwrap(), key_file);

    let key = vault(dir.path()).unlock(PIN, NOW + 5).unwrap();
    assert_eq!(vault(dir.path()).attempts(), Attempts::default());
    let store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    assert_eq!(store.person(ids[0]).unwrap().full_name, PEOPLE[0].name);
}

#[test]
fn wrong_pins_slow_down_and_the_count_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    vault(dir.path()).create(PIN).unwrap();
    let wrong = "135792";
    for n in 1..=4 {
        let err = vault(dir.path()).unlock(wrong, NOW).unwrap_err();
        assert!(matches!(err, VaultError::WrongPin { wait_s: 0, failures } if failures == n));
    }
    let err = vault(dir.path()).unlock(wrong, NOW).unwrap_err();
    assert!(matches!(
        err,
        VaultError::WrongPin {
            failures: 5,
            wait_s: 30
        }
    ));
    assert!(err.user_message(Lang::Vi).contains("30 giây"));

    // A new Vault over the same files is the app after a restart. Even the
    // right PIN is refused while the wait runs, and the refusal counts nothing.
    let err = vault(dir.path()).unlock(PIN, NOW + 10).unwrap_err();
    assert!(
        matches!(err, VaultError::TooManyAttempts { wait_s: 20 }),
        "{err:?}"
    );
    assert_eq!(vault(dir.path()).attempts().failures, 5);

    let err = vault(dir.path()).unlock(wrong, NOW + 30).unwrap_err();
    assert!(matches!(
        err,
        VaultError::WrongPin {
            failures: 6,
            wait_s: 60
        }
    ));
    let err = vault(dir.path()).unlock(PIN, NOW + 89).unwrap_err();
    assert!(matches!(err, VaultError::TooManyAttempts { wait_s: 1 }));
    let err = vault(dir.path()).unlock(wrong, NOW + 90).unwrap_err();
    assert!(matches!(
        err,
        VaultError::WrongPin {
            failures: 7,
            wait_s: 300
        }
    ));
    assert!(err.user_message(Lang::En).contains("5 min"));

    vault(dir.path()).unlock(PIN, NOW + 390).unwrap();
    assert_eq!(vault(dir.path()).attempts().failures, 0);
}

#[test]
fn changing_the_pin_rewraps_the_key_and_leaves_the_data_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let ids = {
        let key = vault(dir.path()).create(PIN).unwrap();
        write_people(&mut Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap())
    };
    let db_bytes = std::fs::read(&db).unwrap();
    let new_pin = "Cà phê sáng ở Đăk Pék";

    let err = vault(dir.path()).change_pin(PIN, "1234", NOW).unwrap_err();
    assert!(
        matches!(&err, VaultError::WeakPin(e) if matches!(e.problem, Problem::PinTooShort { .. }))
    );
    let err = vault(dir.path())
        .change_pin("999111", new_pin, NOW)
        .unwrap_err();
    assert!(matches!(err, VaultError::WrongPin { failures: 1, .. }));

    vault(dir.path()).change_pin(PIN, new_pin, NOW).unwrap();
    assert_eq!(
        std::fs::read(&db).unwrap(),
        db_bytes,
        "data not re-encrypted"
    );
    assert!(matches!(
        vault(dir.path()).unlock(PIN, NOW).unwrap_err(),
        VaultError::WrongPin { .. }
    ));
    let key = vault(dir.path()).unlock(new_pin, NOW).unwrap();
    let store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    assert_eq!(store.person(ids[1]).unwrap().full_name, PEOPLE[1].name);
}

#[test]
fn a_vault_is_created_once_with_an_acceptable_pin() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    assert!(!v.exists());
    assert!(matches!(v.unlock(PIN, NOW), Err(VaultError::Missing)));
    assert!(matches!(v.create("111111"), Err(VaultError::WeakPin(_))));
    assert!(!v.exists());
    v.create(PIN).unwrap();
    assert!(v.exists());
    assert!(matches!(v.create("864209"), Err(VaultError::AlreadyExists)));
    v.unlock(PIN, NOW).unwrap();
}

#[test]
fn a_damaged_key_file_is_reported_as_such_not_as_a_wrong_pin() {
    let dir = tempfile::tempdir().unwrap();
    vault(dir.path()).create(PIN).unwrap();
    let path = dir.path().join(KEY_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let err = vault(dir.path()).unlock(PIN, NOW).unwrap_err();
    assert!(matches!(err, VaultError::Corrupt(_)), "{err:?}");
    assert!(err.user_message(Lang::Vi).contains("Tệp khóa bị hỏng"));

    // Weaker parameters written into the file do not open it either: they
    // are bound to the wrapped key.
    let weaker = text.replace("\"m_kib\": 256", "\"m_kib\": 64");
    assert_ne!(weaker, text);
    std::fs::write(&path, weaker).unwrap();
    assert!(matches!(
        vault(dir.path()).unlock(PIN, NOW).unwrap_err(),
        VaultError::WrongPin { .. }
    ));
}

#[test]
fn a_plaintext_store_is_encrypted_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let ids = write_people(&mut Store::open(&db, OrgTree::demo()).unwrap());
    let key = vault(dir.path()).create(PIN).unwrap();

    Store::encrypt_in_place(&db, &key).unwrap();
    assert_eq!(found_in(&db_and_wal(&db), &needles()), Vec::<String>::new());
    assert!(matches!(
        Store::open(&db, OrgTree::demo()).err(),
        Some(CoreError::WrongKey)
    ));
    let mut store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    assert_eq!(store.person(ids[0]).unwrap().full_name, PEOPLE[0].name);
    assert_eq!(
        store.search_people(&fold(PEOPLE[1].name), 10, 0).unwrap()[0].id,
        ids[1]
    );
    // Still a working store: the schema version came along, so no migration
    // ran again, and saves go on.
    write_people(&mut store);
}

#[test]
fn a_count_that_cannot_be_written_does_not_lock_the_officer_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("device.db");
    let key = vault(dir.path()).create(PIN).unwrap();
    let ids = write_people(&mut Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap());
    // A folder where the count should be: every write of it fails, as on a
    // full or read-only disk.
    std::fs::create_dir(dir.path().join(ATTEMPTS_FILE)).unwrap();
    assert!(matches!(
        vault(dir.path()).unlock("975310", NOW).unwrap_err(),
        VaultError::WrongPin { .. }
    ));
    let key = vault(dir.path()).unlock(PIN, NOW).unwrap();
    let store = Store::open_encrypted(&db, &key, OrgTree::demo()).unwrap();
    assert_eq!(store.person(ids[0]).unwrap().full_name, PEOPLE[0].name);
}
