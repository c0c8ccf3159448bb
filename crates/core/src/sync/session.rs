//! One sync with the hub as the tablet runs it, start to end: a renewal code
//! waiting is traded for a new enrolment first, a tablet with no enrolment
//! enrols with the office's code, the run ([`SyncRun`]) goes under the
//! enrolment's token, and how it ended is noted for the screens. Every one
//! of those decisions is made here, with no network: a [`HubLink`] (HTTP in
//! [`crate::http`], a fake in the tests below) only carries what
//! [`SyncSession::next`] asks for and hands the answer back.

use super::run::{carry_while_applying, SyncRun};
use super::wire::{EnrolRequest, Enrolment, PROTOCOL_VERSION};
use super::{Request, Response, SyncError};
use crate::shared::SharedStore;
use crate::store::{HUB_CERTIFICATE_SEEN, LAST_SYNC, RENEWAL_CODE, WITHDRAWN};
use crate::{CoreError, Store};
use pcmt_model::api::{SyncReport, Withdrawal};
use pcmt_model::Labelled;

/// Carries a session's requests to the hub: an enrolment with no token,
/// each exchange of the run under the token the session names.
pub trait HubLink {
    fn trade_code(&mut self, request: &EnrolRequest) -> Result<Enrolment, SyncError>;
    fn carry(&mut self, token: &str, request: &Request) -> Result<Response, SyncError>;
}

/// What the session wants carried next.
pub enum Outgoing {
    /// An office code to trade for a token.
    Enrol(EnrolRequest),
    /// One exchange of the run, presenting `token`.
    Exchange { token: String, request: Request },
}

/// The hub's answer to an [`Outgoing`].
pub enum Incoming {
    Enrolled(Enrolment),
    /// Boxed: an answer carrying the office's data is far larger than an
    /// enrolment.
    Exchanged(Box<Response>),
}

impl Incoming {
    /// Named without its content: an enrolment carries the device's token,
    /// which must not reach an error message or a log.
    fn name(&self) -> &'static str {
        match self {
            Incoming::Enrolled(_) => "an enrolment",
            Incoming::Exchanged(_) => "a sync answer",
        }
    }
}

enum Phase {
    /// About to look for a renewal code.
    Renewal,
    /// A renewal code is with the hub.
    Renewing,
    /// About to pick the enrolment the run goes under.
    Enrolment,
    /// The office's first code is with the hub.
    Enrolling,
    Run {
        token: String,
        run: SyncRun,
    },
    Done(SyncReport),
}

impl Phase {
    /// As [`Incoming::name`]: a phase holds the token.
    fn name(&self) -> &'static str {
        match self {
            Phase::Renewal => "renewal",
            Phase::Renewing => "renewing",
            Phase::Enrolment => "enrolment",
            Phase::Enrolling => "enrolling",
            Phase::Run { .. } => "run",
            Phase::Done(_) => "done",
        }
    }
}

/// One sync with the hub. Call [`SyncSession::next`] for what to carry,
/// hand the answer to [`SyncSession::receive`], until `next` returns `None`;
/// on an error from either side, tell [`SyncSession::failed`].
pub struct SyncSession {
    /// The office's one-time code, used only if the tablet holds no enrolment.
    code: Option<String>,
    phase: Phase,
}

impl SyncSession {
    pub fn new(code: Option<&str>) -> Self {
        Self {
            code: code.map(str::to_string),
            phase: Phase::Renewal,
        }
    }

    /// The next request to carry, or `None` when the sync is done; `now`
    /// (Unix seconds) is noted as the time of a sync that finished here.
    pub fn next(&mut self, store: &mut Store, now: i64) -> Result<Option<Outgoing>, CoreError> {
        loop {
            match &mut self.phase {
                Phase::Renewal => match store.local_value(RENEWAL_CODE)? {
                    Some(code) => {
                        self.phase = Phase::Renewing;
                        return Ok(Some(Outgoing::Enrol(enrol_request(code, store)?)));
                    }
                    None => self.phase = Phase::Enrolment,
                },
                Phase::Enrolment => match (store.enrolment()?, &self.code) {
                    (Some(e), _) => self.phase = running(e),
                    (None, Some(code)) => {
                        let request = enrol_request(code.clone(), store)?;
                        self.phase = Phase::Enrolling;
                        return Ok(Some(Outgoing::Enrol(request)));
                    }
                    (None, None) => return Err(SyncError::NotEnrolled.into()),
                },
                Phase::Run { token, run } => match run.next(store)? {
                    Some(request) => {
                        return Ok(Some(Outgoing::Exchange {
                            token: token.clone(),
                            request,
                        }))
                    }
                    None => {
                        store.set_local_value(LAST_SYNC, Some(&now.to_string()))?;
                        // A sync that went through ends any withdrawal kept,
                        // and any certificate refused before.
                        store.set_local_value(WITHDRAWN, None)?;
                        store.set_local_value(HUB_CERTIFICATE_SEEN, None)?;
                        self.phase = Phase::Done(run.report.clone());
                    }
                },
                Phase::Done(_) => return Ok(None),
                Phase::Renewing | Phase::Enrolling => {
                    return Err(SyncError::Malformed(format!(
                        "asked for the next request while {} waits for its answer",
                        self.phase.name()
                    ))
                    .into())
                }
            }
        }
    }

    /// Applies the hub's answer to the last request.
    pub fn receive(&mut self, store: &mut Store, incoming: Incoming) -> Result<(), CoreError> {
        match (&mut self.phase, incoming) {
            // The old enrolment is replaced only now that the hub said yes:
            // a wrong or used code leaves the tablet as it was, and the code
            // waiting for the officer to correct. Other communes start their
            // pull from the beginning of the feed.
            (Phase::Renewing, Incoming::Enrolled(fresh)) => {
                let before = store.enrolment()?;
                let communes_changed = before.is_some_and(|b| b.communes != fresh.communes);
                store.renew_enrolment(&fresh, communes_changed)?;
                store.set_local_value(RENEWAL_CODE, None)?;
                self.phase = Phase::Enrolment;
            }
            (Phase::Enrolling, Incoming::Enrolled(enrolment)) => {
                store.set_enrolment(&enrolment)?;
                self.phase = running(enrolment);
            }
            (Phase::Run { run, .. }, Incoming::Exchanged(response)) => {
                run.receive(store, *response)?
            }
            (phase, other) => {
                return Err(SyncError::Malformed(format!(
                    "{} does not fit the {} phase",
                    other.name(),
                    phase.name()
                ))
                .into())
            }
        }
        Ok(())
    }

    /// Notes how a failed sync ended: a refusal that withdraws this tablet
    /// (revoked, lost) is kept for the settings screen until a sync goes
    /// through, and so is a hub certificate the tablet refused, for the
    /// officer to compare and confirm; a change refused because its person
    /// file moved out of this tablet's commune turns the file into its
    /// read-only note, so the next sync sends the rest; anything else leaves
    /// nothing behind.
    pub fn failed(&mut self, store: &mut Store, error: &CoreError) -> Result<(), CoreError> {
        self.phase = Phase::Done(self.report());
        if let Some(w) = withdrawal(error) {
            store.set_local_value(WITHDRAWN, Some(w.code()))?;
        }
        match error {
            CoreError::Sync(SyncError::Moved(moved)) => store.note_refused_move(moved),
            CoreError::Sync(
                SyncError::UnknownCertificate { fingerprint }
                | SyncError::CertificateChanged { fingerprint },
            ) => store.set_local_value(HUB_CERTIFICATE_SEEN, Some(&fingerprint.to_hex())),
            _ => Ok(()),
        }
    }

    /// The run, once the tablet's enrolment is settled.
    fn run_mut(&mut self) -> Option<&mut SyncRun> {
        match &mut self.phase {
            Phase::Run { run, .. } => Some(run),
            _ => None,
        }
    }

    /// What the run has moved so far.
    pub fn report(&self) -> SyncReport {
        match &self.phase {
            Phase::Run { run, .. } => run.progress(),
            Phase::Done(report) => report.clone(),
            _ => SyncReport::default(),
        }
    }
}

fn running(enrolment: Enrolment) -> Phase {
    Phase::Run {
        token: enrolment.token,
        run: SyncRun::new(enrolment.communes),
    }
}

/// A tablet enrolling again (a renewal) sends the token it holds, revoked
/// or not, to prove to the hub that the device id is its own.
fn enrol_request(code: String, store: &Store) -> Result<EnrolRequest, CoreError> {
    Ok(EnrolRequest {
        protocol: PROTOCOL_VERSION,
        code,
        device: store.device_id(),
        previous_token: store.enrolment()?.map(|e| e.token),
    })
}

/// The hub's refusal of this tablet that `error` is, if it is one.
pub fn withdrawal(error: &CoreError) -> Option<Withdrawal> {
    match error {
        CoreError::Sync(SyncError::Revoked) => Some(Withdrawal::Revoked),
        CoreError::Sync(SyncError::Lost) => Some(Withdrawal::Lost),
        _ => None,
    }
}

/// Drives a [`SyncSession`] to the end over `link`, telling `progress` the
/// running totals after every exchange. The store is held only while the
/// session works on it, never while a request is on the wire, so the
/// officer can keep saving during a slow sync.
pub fn run_session(
    store: &dyn SharedStore,
    link: &mut dyn HubLink,
    code: Option<&str>,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<SyncReport, CoreError> {
    let mut session = SyncSession::new(code);
    let outcome = drive(&mut session, store, link, progress);
    if let Err(error) = &outcome {
        // The refusal is what the officer must read: failing to note it for
        // the settings screen (the app locked meanwhile) must not hide it.
        if let Ok(mut s) = store.access() {
            let _ = session.failed(&mut s, error);
        }
    }
    outcome
}

fn drive(
    session: &mut SyncSession,
    store: &dyn SharedStore,
    link: &mut dyn HubLink,
    progress: &mut dyn FnMut(&SyncReport),
) -> Result<SyncReport, CoreError> {
    loop {
        let now = chrono::Utc::now().timestamp();
        let Some(outgoing) = session.next(&mut *store.access()?, now)? else {
            return Ok(session.report());
        };
        let incoming = match &outgoing {
            Outgoing::Enrol(request) => Incoming::Enrolled(link.trade_code(request)?),
            Outgoing::Exchange { token, request } => Incoming::Exchanged(Box::new(
                carry_while_applying(store, session.run_mut(), || link.carry(token, request))?,
            )),
        };
        let exchanged = matches!(incoming, Incoming::Exchanged(_));
        session.receive(&mut *store.access()?, incoming)?;
        if exchanged {
            progress(&session.report());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::wire::{PullResponse, PushAck};
    use pcmt_model::OrgTree;
    use std::sync::Mutex;

    const PEK: &str = "62-610-23284";
    const XOP: &str = "62-610-23287";

    /// A hub in a few lines: codes it accepts, and what it did.
    #[derive(Default)]
    struct FakeHub {
        codes: Vec<(&'static str, Enrolment)>,
        refuse_exchanges: Option<SyncError>,
        traded: Vec<EnrolRequest>,
        tokens_presented: Vec<String>,
        pulls_from: Vec<u64>,
    }

    impl HubLink for FakeHub {
        fn trade_code(&mut self, request: &EnrolRequest) -> Result<Enrolment, SyncError> {
            self.traded.push(request.clone());
            self.codes
                .iter()
                .find(|(c, _)| *c == request.code)
                .map(|(_, e)| e.clone())
                .ok_or(SyncError::Refused {
                    status: 401,
                    message: "unknown code".into(),
                })
        }

        fn carry(&mut self, token: &str, request: &Request) -> Result<Response, SyncError> {
            self.tokens_presented.push(token.to_string());
            if let Some(e) = &self.refuse_exchanges {
                return Err(e.clone());
            }
            Ok(match request {
                Request::Push(p) => Response::Push(PushAck {
                    stored: p.docs.iter().map(|d| d.id).collect(),
                    new_changes: 0,
                    pull: None,
                    epoch: None,
                    office: None,
                }),
                Request::Pull(p) => {
                    self.pulls_from.push(p.cursor);
                    Response::Pull(PullResponse {
                        docs: Vec::new(),
                        cursor: 40,
                        more: false,
                        snapshots: Vec::new(),
                        epoch: None,
                    })
                }
                Request::Offer(_) => panic!("a hub with no epoch is never offered to"),
            })
        }
    }

    fn enrolment(token: &str, communes: &[&str]) -> Enrolment {
        Enrolment {
            token: token.into(),
            communes: communes.iter().map(|c| c.to_string()).collect(),
            officer: "A Lưu".into(),
        }
    }

    fn tablet() -> Mutex<Store> {
        Mutex::new(Store::open_in_memory(OrgTree::demo()).unwrap())
    }

    fn sync(
        store: &Mutex<Store>,
        hub: &mut FakeHub,
        code: Option<&str>,
    ) -> Result<SyncReport, CoreError> {
        run_session(store, hub, code, &mut |_| {})
    }

    #[test]
    fn a_tablet_with_no_enrolment_and_no_code_is_told_to_ask_the_office_and_sends_nothing() {
        let store = tablet();
        let mut hub = FakeHub::default();
        let err = sync(&store, &mut hub, None).unwrap_err();
        assert!(
            matches!(err, CoreError::Sync(SyncError::NotEnrolled)),
            "{err:?}"
        );
        assert!(hub.traded.is_empty() && hub.tokens_presented.is_empty());
        assert_eq!(store.access().unwrap().withdrawn().unwrap(), None);
    }

    #[test]
    fn the_offices_code_is_traded_once_and_every_exchange_presents_its_token() {
        let store = tablet();
        let device = store.access().unwrap().device_id();
        let mut hub = FakeHub {
            codes: vec![("ABCDE-FGHJK", enrolment("t1", &[PEK]))],
            ..FakeHub::default()
        };
        sync(&store, &mut hub, Some("ABCDE-FGHJK")).unwrap();
        assert_eq!(hub.traded.len(), 1);
        assert_eq!(
            (hub.traded[0].device, hub.traded[0].protocol),
            (device, PROTOCOL_VERSION)
        );
        assert_eq!(hub.traded[0].previous_token, None, "a first enrolment");
        assert_eq!(
            store.access().unwrap().enrolment().unwrap(),
            Some(enrolment("t1", &[PEK]))
        );
        assert!(store.access().unwrap().last_sync().unwrap().is_some());
        // Enrolled now: a code given again is not traded again.
        sync(&store, &mut hub, Some("ABCDE-FGHJK")).unwrap();
        assert_eq!(hub.traded.len(), 1);
        assert!(!hub.tokens_presented.is_empty());
        assert!(hub.tokens_presented.iter().all(|t| t == "t1"));
        assert_eq!(
            hub.pulls_from,
            vec![0, 40],
            "the cursor moved with the pull"
        );
    }

    #[test]
    fn a_refused_first_code_keeps_nothing() {
        let store = tablet();
        let mut hub = FakeHub::default();
        let err = sync(&store, &mut hub, Some("WRONG")).unwrap_err();
        assert!(matches!(
            err,
            CoreError::Sync(SyncError::Refused { status: 401, .. })
        ));
        assert_eq!(store.access().unwrap().enrolment().unwrap(), None);
        assert_eq!(store.access().unwrap().last_sync().unwrap(), None);
    }

    #[test]
    fn a_renewal_code_replaces_the_enrolment_only_once_the_hub_accepts_it() {
        let store = tablet();
        let mut hub = FakeHub {
            codes: vec![
                ("FIRST", enrolment("t1", &[PEK])),
                ("SAME", enrolment("t2", &[PEK])),
                ("MOVED", enrolment("t3", &[XOP])),
            ],
            ..FakeHub::default()
        };
        sync(&store, &mut hub, Some("FIRST")).unwrap();

        store.access().unwrap().set_renewal_code("USED").unwrap();
        let err = sync(&store, &mut hub, None).unwrap_err();
        assert!(matches!(
            err,
            CoreError::Sync(SyncError::Refused { status: 401, .. })
        ));
        let s = store.access().unwrap();
        assert_eq!(s.enrolment().unwrap(), Some(enrolment("t1", &[PEK])));
        assert!(
            s.renewal_pending().unwrap(),
            "kept for the officer to correct"
        );
        drop(s);

        // The same communes: the pull goes on from where it was.
        store.access().unwrap().set_renewal_code(" SAME ").unwrap();
        sync(&store, &mut hub, None).unwrap();
        assert_eq!(hub.traded.last().map(|r| r.code.as_str()), Some("SAME"));
        assert_eq!(
            hub.traded.last().and_then(|r| r.previous_token.as_deref()),
            Some("t1"),
            "a renewal proves the device id with the token it held"
        );
        assert_eq!(hub.tokens_presented.last().map(String::as_str), Some("t2"));
        assert_eq!(hub.pulls_from.last(), Some(&40));
        assert!(!store.access().unwrap().renewal_pending().unwrap());

        // Other communes: their pull starts from the beginning of the feed.
        store.access().unwrap().set_renewal_code("MOVED").unwrap();
        sync(&store, &mut hub, None).unwrap();
        assert_eq!(hub.pulls_from.last(), Some(&0));
        assert_eq!(
            store.access().unwrap().enrolment().unwrap(),
            Some(enrolment("t3", &[XOP]))
        );
    }

    #[test]
    fn a_withdrawn_tablet_is_noted_until_a_sync_goes_through() {
        let store = tablet();
        let mut hub = FakeHub {
            codes: vec![("FIRST", enrolment("t1", &[PEK]))],
            refuse_exchanges: Some(SyncError::Lost),
            ..FakeHub::default()
        };
        let err = sync(&store, &mut hub, Some("FIRST")).unwrap_err();
        assert!(matches!(err, CoreError::Sync(SyncError::Lost)));
        assert_eq!(
            store.access().unwrap().withdrawn().unwrap(),
            Some(Withdrawal::Lost)
        );

        hub.refuse_exchanges = Some(SyncError::Unreachable("down".into()));
        sync(&store, &mut hub, None).unwrap_err();
        assert_eq!(
            store.access().unwrap().withdrawn().unwrap(),
            Some(Withdrawal::Lost),
            "an unreachable hub says nothing new"
        );

        hub.refuse_exchanges = Some(SyncError::Revoked);
        sync(&store, &mut hub, None).unwrap_err();
        assert_eq!(
            store.access().unwrap().withdrawn().unwrap(),
            Some(Withdrawal::Revoked)
        );

        hub.refuse_exchanges = None;
        sync(&store, &mut hub, None).unwrap();
        assert_eq!(store.access().unwrap().withdrawn().unwrap(), None);
    }

    #[test]
    fn a_refused_hub_certificate_is_kept_for_the_officer_until_a_sync_goes_through() {
        let store = tablet();
        let seen = crate::tls::Fingerprint::of(b"the office's certificate");
        let mut hub = FakeHub {
            codes: vec![("FIRST", enrolment("t1", &[PEK]))],
            refuse_exchanges: Some(SyncError::UnknownCertificate { fingerprint: seen }),
            ..FakeHub::default()
        };
        sync(&store, &mut hub, Some("FIRST")).unwrap_err();
        assert_eq!(
            store.access().unwrap().hub_certificate_seen().unwrap(),
            Some(seen)
        );

        hub.refuse_exchanges = Some(SyncError::Unreachable("down".into()));
        sync(&store, &mut hub, None).unwrap_err();
        assert_eq!(
            store.access().unwrap().hub_certificate_seen().unwrap(),
            Some(seen),
            "an unreachable hub says nothing new"
        );

        hub.refuse_exchanges = None;
        sync(&store, &mut hub, None).unwrap();
        assert_eq!(
            store.access().unwrap().hub_certificate_seen().unwrap(),
            None
        );
    }

    #[test]
    fn a_finished_session_notes_the_time_it_was_given_and_then_asks_for_nothing() {
        let mut store = Store::open_in_memory(OrgTree::demo()).unwrap();
        store.set_enrolment(&enrolment("t1", &[PEK])).unwrap();
        let mut session = SyncSession::new(None);
        let Some(Outgoing::Exchange { request, .. }) = session.next(&mut store, 1_000).unwrap()
        else {
            panic!("a push of nothing with the pull first: nothing to push");
        };
        assert!(matches!(&request, Request::Push(p) if p.docs.is_empty() && p.pull.is_some()));
        let done = PullResponse {
            docs: Vec::new(),
            cursor: 3,
            more: false,
            snapshots: Vec::new(),
            epoch: None,
        };
        let ack = PushAck {
            stored: Vec::new(),
            new_changes: 0,
            pull: Some(done),
            epoch: None,
            office: None,
        };
        session
            .receive(
                &mut store,
                Incoming::Exchanged(Box::new(Response::Push(ack))),
            )
            .unwrap();
        assert!(session.next(&mut store, 1_234).unwrap().is_none());
        assert_eq!(store.last_sync().unwrap(), Some(1_234));
        assert!(session.next(&mut store, 9_999).unwrap().is_none());
        assert_eq!(store.last_sync().unwrap(), Some(1_234));
        assert_eq!(session.report().round_trips, 1);
    }

    #[test]
    fn an_answer_out_of_turn_is_refused_without_naming_the_token() {
        let mut store = Store::open_in_memory(OrgTree::demo()).unwrap();
        let mut session = SyncSession::new(Some("FIRST"));
        assert!(matches!(
            session.next(&mut store, 0).unwrap(),
            Some(Outgoing::Enrol(_))
        ));
        let stray = Incoming::Exchanged(Box::new(Response::Push(PushAck {
            stored: Vec::new(),
            new_changes: 0,
            pull: None,
            epoch: None,
            office: None,
        })));
        let err = session.receive(&mut store, stray).unwrap_err();
        assert!(
            matches!(err, CoreError::Sync(SyncError::Malformed(_))),
            "{err:?}"
        );
        let mut session = SyncSession::new(None);
        store
            .set_enrolment(&enrolment("secret-token", &[PEK]))
            .unwrap();
        session.next(&mut store, 0).unwrap();
        let err = session
            .receive(
                &mut store,
                Incoming::Enrolled(enrolment("secret-token", &[PEK])),
            )
            .unwrap_err();
        assert!(!err.to_string().contains("secret-token"), "{err}");
    }
}
