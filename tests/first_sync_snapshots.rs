//! A new tablet's first sync (issue 18, item 4): records it has never seen
//! arrive whole (snapshots) where that is smaller than their changes, a
//! sync cut part-way resumes from its cursor rather than starting over,
//! and the tablet ends up holding exactly what the tablet that made the
//! records holds. Run against the hub on SQLite and on PostgreSQL (when
//! `PCMT_TEST_PG` is set).

use pcmt_core::sync::{run_sync, Request, Response, SyncError, Transport};
use pcmt_core::{Author, Store};
use pcmt_hub::testing::TestDatabase;
use pcmt_hub::web::Storage;
use pcmt_hub::{HubStore, Scope};
use pcmt_model::{OrgTree, SessionForm, SessionInput, Topic, VenueKind};
use std::sync::{Arc, Mutex};

const COMMUNES: [&str; 2] = ["62-610-23284", "62-610-23287"];

/// What the link saw of the pulls that reached the tablet.
#[derive(Default)]
struct Seen {
    /// Each pull's cursor as asked, and the cursor its answer reached.
    pulls: Vec<(u64, u64)>,
    snapshots: usize,
    changes: usize,
}

/// Carries requests to an in-process hub through the real wire encoding
/// (`pcmt_hub::testing::deliver`), asking for small
/// batches so a first sync takes several, and cut after `cut_after`
/// exchanges if set.
struct Link<'s> {
    hub: Storage,
    scope: Scope,
    max_bytes: u32,
    cut_after: Option<usize>,
    exchanges: usize,
    seen: &'s mut Seen,
}

impl Transport for Link<'_> {
    fn exchange(&mut self, request: &Request) -> Result<Response, SyncError> {
        if self.cut_after == Some(self.exchanges) {
            return Err(SyncError::Unreachable("the link was cut".into()));
        }
        self.exchanges += 1;
        let mut request = request.clone();
        // A pull goes alone, or in the last push (a push of nothing when
        // there is nothing to send).
        let pull = match &mut request {
            Request::Pull(p) => Some(p),
            Request::Push(push) => push.pull.as_mut(),
            Request::Offer(_) => None,
        };
        if let Some(p) = pull {
            p.max_bytes = self.max_bytes;
        }
        let answer = pcmt_hub::testing::deliver(&*self.hub, &self.scope, &request)?;
        let asked_and_got = match (&request, &answer) {
            (Request::Pull(p), Response::Pull(batch)) => Some((p, batch)),
            (Request::Push(push), Response::Push(ack)) => push.pull.as_ref().zip(ack.pull.as_ref()),
            _ => None,
        };
        if let Some((p, batch)) = asked_and_got {
            self.seen.pulls.push((p.cursor, batch.cursor));
            self.seen.snapshots += batch.snapshots.len();
            self.seen.changes += batch.docs.iter().map(|d| d.changes.len()).sum::<usize>();
        }
        Ok(answer)
    }
}

fn sync(
    store: &Mutex<Store>,
    hub: &Storage,
    cut_after: Option<usize>,
    seen: &mut Seen,
) -> Result<(), pcmt_core::CoreError> {
    let communes: Vec<String> = COMMUNES.iter().map(|c| c.to_string()).collect();
    let device = store.lock().unwrap().device_id();
    let mut link = Link {
        hub: hub.clone(),
        scope: Scope {
            device,
            communes: communes.clone(),
            office: None,
        },
        max_bytes: 6_000,
        cut_after,
        exchanges: 0,
        seen,
    };
    run_sync(store, &mut link, communes).map(|_| ())
}

fn session(commune: &str, n: u32) -> SessionInput {
    SessionInput {
        date: pcmt_model::fixtures::day(2026, 11, 2),
        commune: commune.into(),
        venue_kind: VenueKind::Market,
        venue_name: format!("Chợ phiên thôn {n}"),
        form: SessionForm::Broadcast,
        attendees: 10 + n,
        women: 0,
        topics: vec![Topic::DisguisedDrugs],
        details: Default::default(),
    }
}

fn first_sync_on(hub: Storage) {
    let author = Author {
        officer: "Cán bộ thử".into(),
    };
    // The office's tablet: 40 sessions, half of them corrected three times.
    let office = Mutex::new(Store::open_in_memory(OrgTree::demo()).unwrap());
    {
        let mut s = office.lock().unwrap();
        let today = pcmt_model::fixtures::day(2026, 11, 24);
        for n in 0..40 {
            let commune = COMMUNES[n as usize % 2];
            let id = s
                .create_session(&session(commune, n), &author, today)
                .unwrap()
                .id;
            if n % 2 == 0 {
                for k in 1..=3 {
                    let mut edit = session(commune, n);
                    edit.attendees += k;
                    s.update_session(id, &edit, &author, today).unwrap();
                }
            }
        }
    }
    sync(&office, &hub, None, &mut Seen::default()).expect("the office's push");

    // A new tablet of the same communes; its first sync is cut after two
    // exchanges, then runs again to the end.
    let tablet = Mutex::new(Store::open_in_memory(OrgTree::demo()).unwrap());
    let mut seen = Seen::default();
    assert!(sync(&tablet, &hub, Some(2), &mut seen).is_err(), "cut");
    let cut_at = tablet.lock().unwrap().pull_cursor().unwrap();
    assert!(cut_at > 0, "the batches before the cut were kept");
    assert_eq!(seen.pulls.last().map(|p| p.1), Some(cut_at));
    let before_resume = seen.pulls.len();
    sync(&tablet, &hub, None, &mut seen).expect("the first sync, resumed");
    assert_eq!(
        seen.pulls[before_resume].0, cut_at,
        "the sync resumed from its cursor, not from the start"
    );
    assert!(
        seen.snapshots > 0,
        "records edited before the tablet first saw them came whole"
    );
    assert!(
        seen.changes > 0,
        "records of one change came as that change"
    );

    let (office, tablet) = (office.lock().unwrap(), tablet.lock().unwrap());
    assert_eq!(
        tablet.document_heads().unwrap(),
        office.document_heads().unwrap(),
        "nothing lost, nothing more"
    );
    let rows = |s: &Store| s.list_sessions(&Default::default(), 1000, 0).unwrap();
    assert_eq!(rows(&tablet), rows(&office));
    assert_eq!(tablet.unsynced_count().unwrap(), 0);
}

#[test]
fn a_new_tablets_first_sync_gets_snapshots_resumes_when_cut_and_loses_nothing_sqlite() {
    first_sync_on(Arc::new(HubStore::open_in_memory().unwrap()));
}

#[test]
fn a_new_tablets_first_sync_gets_snapshots_resumes_when_cut_and_loses_nothing_postgres() {
    let Some(db) = TestDatabase::from_env("first_sync_snapshots").expect("PCMT_TEST_PG server")
    else {
        return;
    };
    first_sync_on(Arc::new(db.store().expect("a PostgreSQL hub store")));
}
