//! The hub's transaction scripts, written once for both databases: each
//! opens one transaction of the backend and sends it its dialect's
//! statements ([`WriteTx`]) in the order the rules ([`crate::rules`]) say.

use super::backend::{
    Backend, Cell, ChangeRow, DocumentRow, Locked, Param, PushWrites, Withdrawal, WriteTx,
};
use super::duplicates;
use super::office_data::{PLAN_KEY, PLAN_VERSION_KEY};
use super::{Hub, HubStorage, Listed, Listing, LoadedUnits, OfficeStorage, Opening};
use crate::error::HubError;
use crate::rules::attachments::ChunkOutcome;
use crate::rules::audit::{self, Action, Actor, Entry};
use crate::rules::devices::{
    self, code_hash, hash, new_code, new_token, now, CommuneActivity, DeviceInfo, Scope,
    OFFICE_ORIGIN, UPLINK_ORIGIN,
};
use crate::rules::duplicates as dup_rules;
use crate::rules::protocol::{
    self, Batch, OfficeWrite, Writer, PULL_ROWS, UPLINK_PULL_KEY, UPLINK_ROWS,
};
use crate::rules::register;
use crate::rules::staff::{Role, Staff, StaffAccount, StaffChange};
use crate::rules::units;
use automerge::AutoCommit;
use pcmt_core::projection::{self, Projected};
use pcmt_core::record_doc::{self, marks};
use pcmt_core::report::ReportSource;
use pcmt_core::sync::attach::{HubHolds, UploadAck};
use pcmt_core::sync::wire::{
    DocChanges, Enrolment, Epoch, OfferRequest, OfferResponse, PullRequest, PullResponse, PushAck,
    PushRequest,
};
use pcmt_model::{
    Absorbed, AttachmentKind, CheckInInput, ContentHash, Labelled, OrgTree, Plan, RecordKind,
    StatusRules,
};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Merges and stores `docs` from `writer` in `tx`: the documents, their
/// projection rows and audit entries, then their new changes in the feed,
/// in one call of the backend for the whole batch. Returns how many changes were
/// new to the hub and how many documents changed. The caller commits.
///
/// The slow part (loading and merging Automerge documents) runs under the
/// documents' locks; nothing here waits for other pushes' commits (see
/// `crate::pg` for how positions stay in order on PostgreSQL).
pub(crate) fn apply(
    tx: &mut dyn WriteTx,
    docs: &[DocChanges],
    writer: Writer<'_>,
    units: &OrgTree,
    rules: &StatusRules,
) -> Result<(u32, u32), HubError> {
    let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
    let origin = writer.origin();
    let Locked { stored, officer } = tx.lock_documents(&ids, origin)?;
    let (mut written, mut entries, mut changes) = (
        Vec::<(DocumentRow, AutoCommit)>::new(),
        Vec::new(),
        Vec::new(),
    );
    // Where each document stands in `written`: a push naming one document
    // twice merges the second part into the first's result.
    let mut slot: HashMap<Uuid, usize> = HashMap::new();
    let mut actor = None;
    // The people this push moves: id, the commune left, the move's changes.
    let mut moved: Vec<(Uuid, String, Vec<automerge::ChangeHash>)> = Vec::new();
    for dc in docs {
        let id = dc.id.to_string();
        let existing = match slot.get(&dc.id) {
            Some(&i) => Some(written[i].0.bytes.as_slice()),
            None => stored.get(&id).map(Vec::as_slice),
        };
        if existing.is_some() && writer.new_only() {
            continue;
        }
        let Some(mut merged) = protocol::merge(existing, dc, writer, units)? else {
            continue;
        };
        let actor = match &actor {
            Some(a) => a,
            None => actor.insert(writer.actor(|| Ok(officer.clone()))?),
        };
        let mut entry = Entry::record(
            actor.clone(),
            merged.action,
            dc.id,
            merged.kind,
            &merged.commune,
            merged.fresh.len(),
        );
        if let Some(from) = &merged.moved_from {
            // The office of the commune left sees the move too.
            entry.scope.push(from.clone());
            moved.push((
                dc.id,
                from.clone(),
                merged.fresh.iter().map(|c| c.hash()).collect(),
            ));
        }
        entries.push(entry);
        for change in &mut merged.fresh {
            changes.push(ChangeRow {
                doc_id: id.clone(),
                commune: merged.commune.clone(),
                hash: change.hash().0.to_vec(),
                // Uncompressed: a pull's message is compressed whole,
                // which a chunk deflated alone would defeat.
                bytes: change.raw_bytes().to_vec(),
                origin: origin.to_string(),
            });
        }
        let row = (
            DocumentRow {
                id,
                kind: merged.kind,
                commune: merged.commune,
                bytes: record_doc::save(&mut merged.doc),
            },
            merged.doc,
        );
        match slot.get(&dc.id) {
            Some(&i) => written[i] = row,
            None => {
                slot.insert(dc.id, written.len());
                written.push(row);
            }
        }
    }
    if written.is_empty() {
        return Ok((0, 0));
    }
    check_checkin_people(tx, &written, writer, units)?;
    for (person, from, fresh) in &moved {
        changes.extend(refile_move(tx, &mut written, *person, from, fresh, origin)?);
    }
    let (rows, docs): (Vec<DocumentRow>, Vec<_>) = written.into_iter().unzip();
    let (projected, readable) = project(&docs);
    let added = tx.store_push(&PushWrites {
        documents: &rows,
        projected: &projected,
        entries: &entries,
        changes: &changes,
    })?;
    refresh_due(tx, &projected, &readable, rules)?;
    let refs: Vec<_> = rows
        .iter()
        .zip(&docs)
        .flat_map(|(row, doc)| super::attachments::refs_of(&row.id, &row.commune, doc))
        .collect();
    super::attachments::index(tx, &refs)?;
    index_moves(tx, &rows, &docs)?;
    // A device's files may now share a citizen ID with others, or no
    // longer: the hub's flags on every file concerned, in the same
    // transaction, so a file is never stored without them.
    if let Writer::Device(_) = writer {
        let flags = duplicates::flags(tx, &rows, &docs)?;
        if !flags.is_empty() {
            let communes: Vec<String> = flags.iter().map(|d| d.commune.clone()).collect();
            let office = OfficeWrite {
                communes: &communes,
                by: &Actor::office(),
                new_only: false,
            };
            apply(tx, &flags, Writer::Office(&office), units, rules)?;
        }
    }
    Ok((added, u32::try_from(rows.len()).unwrap_or(u32::MAX)))
}

/// Runs the script of a write of changes from outside the hub (a tablet's
/// push, a batch from the hub above), turning a panic into the refusal of
/// the documents it carries: the caller's transaction is rolled back on
/// the error, so nothing of it is stored, and the panic never leaves the
/// backend's `write`, so no lock is left poisoned.
///
/// Why around the whole script and not each call: Automerge 0.12 panics
/// on some documents built of changes it applied without complaint (see
/// `pcmt_core::sync::limits::apply_untrusted`, which refuses those known),
/// and the script calls it on the documents a push changed from end to end
/// (the merge, saving, the projections, a move's history, the citizen ID
/// flags and their edits). The statements in between report their errors
/// typed and do not panic, so what is caught here is Automerge's, on this
/// push: one record a tablet sent must not cost the other tablets a 500
/// at every retry.
pub(crate) fn refused_if_automerge_panics<T>(
    docs: &[DocChanges],
    script: impl FnOnce() -> Result<T, HubError>,
) -> Result<T, HubError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(script)).unwrap_or_else(|_| {
        let ids: Vec<String> = docs.iter().map(|d| d.id.to_string()).collect();
        Err(HubError::Rejected {
            id: ids.join(", "),
            reason: "Automerge failed on it".into(),
        })
    })
}

/// Refuses a check-in naming a person who did not live in its commune on
/// its day, whether the person is in this push or already stored (see
/// [`protocol::check_checkin_person`]). A check-in whose body cannot be
/// read names no one the projections will follow.
fn check_checkin_people(
    tx: &mut dyn WriteTx,
    written: &[(DocumentRow, AutoCommit)],
    writer: Writer<'_>,
    units: &OrgTree,
) -> Result<(), HubError> {
    let checkins: Vec<(&DocumentRow, CheckInInput)> = written
        .iter()
        .filter(|(row, _)| row.kind == RecordKind::CheckIn.code())
        .filter_map(|(row, doc)| Some((row, record_doc::read_record::<CheckInInput>(doc).ok()?)))
        .collect();
    if checkins.is_empty() {
        return Ok(());
    }
    let pushed: HashMap<String, &AutoCommit> = written
        .iter()
        .map(|(row, doc)| (row.id.clone(), doc))
        .collect();
    let elsewhere: Vec<String> = checkins
        .iter()
        .map(|(_, c)| c.person.to_string())
        .filter(|person| !pushed.contains_key(person))
        .collect();
    let stored = stored_documents(tx, &elsewhere)?;
    for (row, checkin) in &checkins {
        let person = checkin.person.to_string();
        let theirs = pushed.get(&person).copied().or_else(|| stored.get(&person));
        protocol::check_checkin_person(&row.id, &row.commune, checkin.date, theirs, writer, units)?;
    }
    Ok(())
}

/// The documents among `ids` the hub holds, loaded (one that does not load
/// is left out: it names no commune to check against).
fn stored_documents(
    tx: &mut dyn WriteTx,
    ids: &[String],
) -> Result<HashMap<String, AutoCommit>, HubError> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(id) {
            continue;
        }
        let rows = tx.select(
            "SELECT bytes FROM documents WHERE id = $1",
            &[Param::Text(id)],
        )?;
        if let Some(doc) = rows
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(Cell::into_blob)
            .and_then(|b| record_doc::load(&b).ok())
        {
            out.insert(id.clone(), doc);
        }
    }
    Ok(out)
}

/// Keeps `person_moves` (hub migration 0017 / hub-pg 0014) as the person
/// files just stored say, for the reports: the moves of each that moved.
fn index_moves(
    tx: &mut dyn WriteTx,
    rows: &[DocumentRow],
    docs: &[AutoCommit],
) -> Result<(), HubError> {
    for (row, doc) in rows.iter().zip(docs) {
        if row.kind != RecordKind::Person.code() {
            continue;
        }
        let moves = record_doc::moves::moves(doc).unwrap_or_default();
        if moves.is_empty() {
            continue;
        }
        let json = serde_json::to_string(&moves).map_err(|e| HubError::Malformed(e.to_string()))?;
        tx.exec(
            "INSERT INTO person_moves (person, moves) VALUES ($1, $2)
             ON CONFLICT (person) DO UPDATE SET moves = excluded.moves",
            &[Param::Text(&row.id), Param::Text(&json)],
        )?;
    }
    Ok(())
}

/// The feed rows a move adds (issue 20): its changes once more under the
/// commune left, so that commune's tablets learn where and when the file
/// went (and nothing of it after); and under the new commune the file's
/// whole history with the check-ins made before, so that commune's tablets
/// receive everything, whatever their cursor. New rows, never old ones
/// rewritten: every cursor stays valid.
fn refile_move(
    tx: &mut dyn WriteTx,
    written: &mut [(DocumentRow, AutoCommit)],
    person: Uuid,
    from: &str,
    fresh: &[automerge::ChangeHash],
    origin: Uuid,
) -> Result<Vec<ChangeRow>, HubError> {
    let id = person.to_string();
    let Some(mark) = fresh.first().copied() else {
        return Ok(Vec::new());
    };
    let row_of = |doc_id: &str, commune: &str, r: protocol::Refiled| ChangeRow {
        doc_id: doc_id.to_string(),
        commune: commune.to_string(),
        hash: r.key,
        bytes: r.bytes,
        origin: origin.to_string(),
    };
    let mut rows = Vec::new();
    let Some((row, doc)) = written.iter_mut().find(|(row, _)| row.id == id) else {
        return Ok(rows);
    };
    let to = row.commune.clone();
    for change in fresh {
        if let Some(c) = doc.get_change_by_hash(change) {
            rows.push(row_of(
                &id,
                from,
                protocol::Refiled {
                    key: protocol::refile_key(*change, from, mark),
                    bytes: c.raw_bytes().to_vec(),
                },
            ));
        }
    }
    rows.extend(
        protocol::refile(doc, fresh, &to, mark)
            .into_iter()
            .map(|r| row_of(&id, &to, r)),
    );
    // The person's check-ins, stored or in this push.
    let stored: Vec<String> = tx
        .select(
            "SELECT id FROM checkin_rows WHERE person = $1 ORDER BY date, id",
            &[Param::Text(&id)],
        )?
        .into_iter()
        .filter_map(|r| {
            r.into_iter()
                .next()
                .and_then(|c| c.text().map(str::to_string))
        })
        .collect();
    let mut checkins = stored_documents(tx, &stored)?;
    for (row, doc) in written.iter() {
        let theirs = row.kind == RecordKind::CheckIn.code()
            && record_doc::read_record::<CheckInInput>(doc).is_ok_and(|c| c.person == person);
        if theirs {
            checkins.insert(row.id.clone(), doc.clone());
        }
    }
    // Stored ones in their order, then those of this push.
    let mut order: Vec<String> = stored
        .into_iter()
        .filter(|c| checkins.contains_key(c))
        .collect();
    order.extend(
        checkins
            .keys()
            .filter(|c| !order.contains(c))
            .cloned()
            .collect::<Vec<_>>(),
    );
    for checkin in order {
        if let Some(mut doc) = checkins.remove(&checkin) {
            for r in protocol::refile(&mut doc, &[], &to, mark) {
                rows.push(row_of(&checkin, &to, r));
            }
        }
    }
    Ok(rows)
}

/// The projection rows of documents about to be stored, each beside its
/// document. The hub relays what tablets send and never validated record
/// bodies, so a body it cannot read (a newer app's schema) must not refuse
/// the push: the document is stored and synced as before, its rows stay as
/// they were when it was last readable, and the office's log says which
/// record the reports leave out.
fn project(docs: &[AutoCommit]) -> (Vec<Projected>, Vec<&AutoCommit>) {
    let mut projected: Vec<Projected> = Vec::with_capacity(docs.len());
    let mut readable = Vec::with_capacity(docs.len());
    for doc in docs {
        match projection::row_values(doc) {
            Ok(p) => {
                projected.push(p);
                readable.push(doc);
            }
            Err(error) => left_out(doc, &error),
        }
    }
    (projected, readable)
}

/// Refreshes the due date of the people whose check-ins were just stored,
/// each inside a savepoint for the same reason as [`project`]. A storage
/// failure fails the push. On PostgreSQL this runs after the feed's insert
/// (in the same call as the other writes, a round trip less for every
/// push): a push with check-ins holds pullers back for these statements
/// too.
fn refresh_due(
    tx: &mut dyn WriteTx,
    projected: &[Projected],
    readable: &[&AutoCommit],
    rules: &StatusRules,
) -> Result<(), HubError> {
    for (person, doc) in projected
        .iter()
        .zip(readable)
        .filter_map(|(p, d)| p.due_of.map(|person| (person, d)))
    {
        tx.savepoint("SAVEPOINT refresh_due")?;
        match projection::refresh_due(&mut *tx, person, rules) {
            Ok(()) => tx.savepoint("RELEASE refresh_due")?,
            Err(error) => {
                tx.savepoint("ROLLBACK TO refresh_due")?;
                tx.savepoint("RELEASE refresh_due")?;
                if error.is_storage() {
                    return Err(tx.storage_error(error));
                }
                left_out(doc, &error);
            }
        }
    }
    Ok(())
}

fn left_out(doc: &AutoCommit, error: &pcmt_core::CoreError) {
    let id = record_doc::read_header(doc)
        .map(|h| h.id.to_string())
        .unwrap_or_default();
    tracing::warn!(%id, %error, "record left out of the hub's reports");
}

impl<B: Backend> HubStorage for Hub<B> {
    fn push(&self, scope: &Scope, req: &PushRequest) -> Result<PushAck, HubError> {
        protocol::check_push(scope, req)?;
        let epoch = self.epoch()?;
        if req.epoch.as_ref().is_some_and(|e| *e != epoch) {
            // Cut against marks of another life of this database (or of
            // a hub that named no epoch): perhaps missing what they depend
            // on here. Nothing stored; the device resyncs.
            return Ok(protocol::unstored(epoch));
        }
        let (added, _) = self.backend.write(|tx| {
            refused_if_automerge_panics(&req.docs, || {
                apply(
                    tx,
                    &req.docs,
                    Writer::Device(scope),
                    &self.units(),
                    &self.rules,
                )
            })
        })?;
        let mut ack = protocol::ack(req, added, &epoch);
        // After the push committed: the pull sees it (and, as any pull,
        // leaves the device's own changes out).
        if let Some(pull) = &req.pull {
            ack.pull = Some(self.pull(scope, pull)?);
        }
        if let Some(have) = req.office {
            ack.office = super::office_data::answer(self, scope, have)?;
        }
        Ok(ack)
    }

    fn attachment_holds(
        &self,
        scope: &Scope,
        hashes: &[ContentHash],
    ) -> Result<Vec<HubHolds>, HubError> {
        super::attachments::holds(&self.backend, scope, hashes)
    }

    fn put_attachment_chunk(
        &self,
        scope: &Scope,
        hash: ContentHash,
        size: u64,
        pos: u64,
        bytes: &[u8],
    ) -> Result<UploadAck, HubError> {
        let now = chrono::Utc::now().timestamp();
        let outcome = self
            .backend
            .write(|tx| super::attachments::put_chunk(tx, scope, hash, size, pos, bytes, now))?;
        // Refused after the transaction that dropped the file committed.
        match outcome {
            ChunkOutcome::Ack(ack) => Ok(ack),
            ChunkOutcome::Refused(reason) => Err(HubError::Rejected {
                id: hash.hex(),
                reason,
            }),
        }
    }

    fn sweep_uploads(&self, before: i64) -> Result<u64, HubError> {
        self.backend
            .write(|tx| super::attachments::sweep(tx, before))
    }

    fn attachment_chunk(
        &self,
        scope: &Scope,
        hash: ContentHash,
        pos: u64,
    ) -> Result<Option<(u64, Vec<u8>)>, HubError> {
        super::attachments::chunk(&self.backend, scope, hash, pos)
    }

    /// A cursor never passes a change still to come: one writer hands out
    /// feed positions in commit order on SQLite; on PostgreSQL a pull
    /// stops below every push still in flight (see `crate::pg`).
    fn pull(&self, scope: &Scope, req: &PullRequest) -> Result<PullResponse, HubError> {
        let allowed = protocol::pull_communes(scope, req)?;
        let rows = self.backend.feed(
            protocol::cursor(req)?,
            &allowed,
            &scope.device.to_string(),
            i64::from(PULL_ROWS + 1),
            protocol::wants_snapshots(req),
        )?;
        let nothing = rows.is_empty();
        let mut batch = Batch::new(req);
        for row in rows {
            if !batch.add(row)? {
                break;
            }
        }
        let mut answer = PullResponse {
            epoch: Some(self.epoch()?),
            ..batch.finish()
        };
        // A cursor only passes the feed's end if the feed lost its end
        // (a restore that kept the epoch): said by a cursor back at the end.
        if nothing && req.cursor > 0 {
            answer.cursor = protocol::within_feed(req.cursor, self.backend.feed_end()?);
        }
        Ok(answer)
    }

    fn offer(&self, scope: &Scope, req: &OfferRequest) -> Result<OfferResponse, HubError> {
        let ids = protocol::check_offer(scope, req)?;
        let stored: HashMap<String, (String, Vec<u8>)> = self
            .backend
            .documents(&ids)?
            .into_iter()
            .map(|(id, commune, bytes)| (id, (commune, bytes)))
            .collect();
        let mut lacking = Vec::new();
        for (offered, id) in req.docs.iter().zip(&ids) {
            lacking.extend(protocol::lacking(scope, offered, stored.get(id))?);
        }
        let held = match protocol::offered_span(req) {
            Some((first, last)) => protocol::held_in_ranges(
                &req.ranges,
                self.backend.documents_between(
                    &first.to_string(),
                    &last.to_string(),
                    &scope.communes,
                )?,
            )?,
            None => Vec::new(),
        };
        Ok(OfferResponse {
            lacking,
            epoch: Some(self.epoch()?),
            ranges: protocol::answer_ranges(&req.ranges, &held),
        })
    }

    fn epoch(&self) -> Result<Epoch, HubError> {
        if let Some(epoch) = &*self.epoch.read().unwrap_or_else(|p| p.into_inner()) {
            return Ok(epoch.clone());
        }
        let drawn = random_epoch()?;
        let epoch = Epoch(
            self.backend
                .write(|tx| tx.meta_or_insert(protocol::EPOCH_KEY, &drawn.0))?,
        );
        *self.epoch.write().unwrap_or_else(|p| p.into_inner()) = Some(epoch.clone());
        Ok(epoch)
    }

    fn new_epoch(&self, from: &str) -> Result<Epoch, HubError> {
        let epoch = random_epoch()?;
        let communes = self.units().communes().map(|c| c.code.clone()).collect();
        self.backend.write(|tx| {
            tx.set_meta(protocol::EPOCH_KEY, &epoch.0)?;
            tx.append_audit(&[Entry::restored(communes, from, &epoch.0)])
        })?;
        *self.epoch.write().unwrap_or_else(|p| p.into_inner()) = Some(epoch.clone());
        Ok(epoch)
    }

    fn issue_code_by(
        &self,
        by: &Actor,
        communes: &[String],
        officer: &str,
        valid_secs: i64,
    ) -> Result<String, HubError> {
        let (code_hash, communes_json, shown) = new_code(communes)?;
        self.backend.write(|tx| {
            tx.insert_code(&code_hash, &communes_json, officer, now() + valid_secs)?;
            tx.append_audit(&[Entry::code_issued(by, communes, officer)])
        })?;
        Ok(shown)
    }

    /// A used, expired or unknown code gets the same refusal, so a guesser
    /// learns nothing. A device marked lost is refused before its code is
    /// looked at, so the code stays unused; so are a reserved id and an id
    /// the hub knows that the request does not prove it holds (its previous
    /// token): a valid code never takes over a colleague's device id.
    fn enrol(
        &self,
        code: &str,
        device: Uuid,
        previous_token: Option<&str>,
    ) -> Result<Enrolment, HubError> {
        let hashed = code_hash(code);
        let id = device.to_string();
        let (token, code_row) = self.backend.write(|tx| {
            devices::not_lost(tx.device_lost(&id)?)?;
            devices::not_reserved(device)?;
            let code_row = devices::usable_code(tx.code(&hashed)?)?;
            // After the code: without a valid one, nothing is learnt of
            // which ids the hub knows.
            let known = tx.device_token_hash(&id)?;
            devices::proves_device(known.as_deref(), previous_token)?;
            let (token, token_hash) = new_token()?;
            tx.use_code(&hashed, &id)?;
            let fresh = known.is_none();
            let stored = tx.put_device(
                &id,
                &token_hash,
                &code_row.communes,
                &code_row.officer,
                now(),
                fresh,
            )?;
            if !stored {
                // Another enrolment of this new id committed meanwhile.
                return Err(devices::taken());
            }
            tx.append_audit(&[Entry::enrolled(
                device,
                &code_row.officer,
                &code_row.communes,
            )])?;
            Ok((token, code_row))
        })?;
        devices::enrolment(token, &code_row.communes, code_row.officer)
    }

    fn authenticate(&self, token: &str) -> Result<Scope, HubError> {
        let (device, office) = super::office_data::device_by_token(&self.backend, &hash(token))?;
        let mut scope = devices::scope_of(device)?;
        scope.office = Some(office);
        // A tablet of a commune formed by a merger manages the people and
        // places of the communes merged into it, whose records keep their
        // old codes: it reads and writes those too, and its part of the
        // tree holds them.
        scope.communes = self.units().with_merged(&scope.communes);
        Ok(scope)
    }

    fn withdraw(&self, by: &Actor, device: Uuid, how: Withdrawal) -> Result<bool, HubError> {
        self.backend.write(|tx| {
            let Some((officer, communes)) = tx.withdraw(&device.to_string(), how, now())? else {
                return Ok(false);
            };
            let action = match how {
                Withdrawal::Revoked => Action::DeviceRevoked,
                Withdrawal::Lost => Action::DeviceLost,
            };
            tx.append_audit(&[Entry::withdrawn(by, action, device, &officer, &communes)])?;
            Ok(true)
        })
    }

    fn document_count(&self) -> Result<u64, HubError> {
        self.backend.document_count()
    }

    fn meta(&self, key: &str) -> Result<Option<String>, HubError> {
        self.backend.meta(key)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), HubError> {
        self.backend.write(|tx| tx.set_meta(key, value))
    }

    fn changes_after(
        &self,
        after: i64,
        max_bytes: usize,
    ) -> Result<(Vec<DocChanges>, i64), HubError> {
        let rows = self
            .backend
            .own_feed(after, &UPLINK_ORIGIN.to_string(), UPLINK_ROWS)?;
        protocol::group_for_uplink(rows, after, max_bytes)
    }

    fn apply_from_above(&self, batch: &[DocChanges], cursor: u64) -> Result<u32, HubError> {
        self.backend.write(|tx| {
            let (_, changed_docs) = {
                let units = self.units();
                refused_if_automerge_panics(batch, || {
                    apply(tx, batch, Writer::Above(&units), &units, &self.rules)
                })?
            };
            tx.set_meta(UPLINK_PULL_KEY, &cursor.to_string())?;
            Ok(changed_docs)
        })
    }

    fn write_as_office(
        &self,
        docs: &[DocChanges],
        office: &OfficeWrite<'_>,
        logged: &dyn Fn(u32) -> Entry,
    ) -> Result<u32, HubError> {
        self.backend.write(|tx| {
            let (_, written) = apply(tx, docs, Writer::Office(office), &self.units(), &self.rules)?;
            tx.append_audit(std::slice::from_ref(&logged(written)))?;
            Ok(written)
        })
    }

    fn move_as_office(
        &self,
        person: Uuid,
        input: &pcmt_model::MoveInput,
        office: &OfficeWrite<'_>,
        username: &str,
        today: chrono::NaiveDate,
    ) -> Result<Result<(), Vec<pcmt_model::FieldError>>, HubError> {
        let id = person.to_string();
        let units = self.units();
        let stored = self.backend.documents(std::slice::from_ref(&id))?;
        // A file outside the unit is refused as one the hub does not hold.
        let Some((_, _, bytes)) = stored
            .into_iter()
            .find(|(_, commune, _)| office.communes.contains(commune))
        else {
            return Err(HubError::Forbidden(format!("record {id}")));
        };
        let now = chrono::Utc::now().timestamp();
        let dc =
            match crate::rules::register::office_move(&bytes, input, username, &units, today, now)?
            {
                Ok(dc) => dc,
                Err(errors) => return Ok(Err(errors)),
            };
        self.backend.write(|tx| {
            apply(
                tx,
                std::slice::from_ref(&dc),
                Writer::Office(office),
                &units,
                &self.rules,
            )
        })?;
        Ok(Ok(()))
    }

    fn append_audit(&self, entry: &Entry) -> Result<(), HubError> {
        self.backend
            .write(|tx| tx.append_audit(std::slice::from_ref(entry)))
    }

    fn audit_log(&self, query: &audit::Query) -> Result<audit::Page, HubError> {
        self.backend.audit_log(query)
    }
}

fn random_epoch() -> Result<Epoch, HubError> {
    Epoch::random().map_err(|e| HubError::Random(e.to_string()))
}

impl<B: Backend> OfficeStorage for Hub<B> {
    fn merge_person_files(
        &self,
        by: &Staff,
        kept: Uuid,
        gone: Uuid,
    ) -> Result<Result<(), (&'static str, &'static str)>, HubError> {
        let units = self.units();
        self.backend.write(|tx| {
            let (k, g) = duplicates::merge_files(tx, kept, gone)?;
            if let Some(why) =
                dup_rules::merge_refusal(k.as_ref(), g.as_ref(), |c| units.is_within(c, &by.unit))
            {
                return Ok(Err(why));
            }
            let commune = k.map(|k| k.commune).unwrap_or_default();
            let checkins: Vec<Uuid> = tx
                .select(
                    "SELECT id FROM checkin_rows WHERE person = $1",
                    &[Param::Text(&gone.to_string())],
                )?
                .into_iter()
                .filter_map(|r| r.first()?.text()?.parse().ok())
                .collect();
            let mut ids = vec![kept, gone];
            ids.extend(&checkins);
            let stored = tx.lock_documents(&ids, OFFICE_ORIGIN)?.stored;
            let note = register::office_note(&by.username);
            let mut docs = Vec::new();
            docs.extend(duplicates::edit_stored(&stored, gone, &note, |d, n, t| {
                marks::merge_into(d, kept, n, t)
            })?);
            let absorbed = Absorbed {
                file: gone,
                by: by.username.clone(),
                at: now(),
            };
            docs.extend(duplicates::edit_stored(&stored, kept, &note, |d, n, t| {
                marks::absorb(d, absorbed, n, t)
            })?);
            for id in checkins {
                docs.extend(duplicates::edit_stored(&stored, id, &note, |d, n, t| {
                    let mut visit: CheckInInput = record_doc::read_record(d)?;
                    visit.person = kept;
                    record_doc::update_record(d, &visit, n, t)
                })?);
            }
            let actor = Actor::staff(&by.username);
            let communes = [commune.clone()];
            let office = OfficeWrite {
                communes: &communes,
                by: &actor,
                new_only: false,
            };
            apply(tx, &docs, Writer::Office(&office), &units, &self.rules)?;
            tx.append_audit(&[Entry::files_merged(&actor, kept, gone, &commune)])?;
            Ok(Ok(()))
        })
    }

    fn units(&self) -> Arc<OrgTree> {
        self.units
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .tree
            .clone()
    }

    fn units_version(&self) -> u64 {
        self.units.read().unwrap_or_else(|p| p.into_inner()).version
    }

    fn refresh_units(&self) -> Result<(u64, Arc<OrgTree>), HubError> {
        let stored = match self.backend.meta(units::VERSION_KEY)? {
            Some(v) => v
                .parse::<u64>()
                .map_err(|e| HubError::Malformed(format!("{}: {e}", units::VERSION_KEY)))?,
            None => 0,
        };
        {
            let held = self.units.read().unwrap_or_else(|p| p.into_inner());
            if held.version == stored {
                return Ok((held.version, held.tree.clone()));
            }
        }
        // Read after the version: a list loaded in between is newer than
        // the version kept, which the next refresh reads again.
        let tree = OrgTree::from_units(self.backend.org_units()?)
            .map_err(|e| HubError::Malformed(e.to_string()))?;
        let tree = Arc::new(tree);
        *self.units.write().unwrap_or_else(|p| p.into_inner()) = LoadedUnits {
            version: stored,
            tree: tree.clone(),
        };
        Ok((stored, tree))
    }

    fn load_units(&self, tree: &OrgTree, by: &Actor) -> Result<u64, HubError> {
        let list: Vec<_> = tree.units().cloned().collect();
        let version = self.backend.write(|tx| {
            tx.replace_org_units(&list)?;
            let version = tx.bump_meta(units::VERSION_KEY)?;
            tx.append_audit(&[Entry::units_loaded(by, version, &self.units(), tree)])?;
            Ok(version)
        })?;
        *self.units.write().unwrap_or_else(|p| p.into_inner()) = LoadedUnits {
            version,
            tree: Arc::new(tree.clone()),
        };
        Ok(version)
    }

    fn rules(&self) -> Arc<StatusRules> {
        self.rules.clone()
    }

    fn plan(&self) -> Result<Plan, HubError> {
        match self.backend.meta(PLAN_KEY)? {
            None => Ok(Plan::bundled()),
            Some(json) => serde_json::from_str(&json).map_err(|e| HubError::Plan(e.to_string())),
        }
    }

    fn set_plan(&self, plan: &Plan, logged: &Entry) -> Result<(), HubError> {
        let json = serde_json::to_string(plan).map_err(|e| HubError::Plan(e.to_string()))?;
        self.backend.write(|tx| {
            tx.set_meta(PLAN_KEY, &json)?;
            // Tablets are given the office's data again (`office_data`).
            tx.bump_meta(PLAN_VERSION_KEY)?;
            tx.append_audit(std::slice::from_ref(logged))
        })
    }

    fn read_rows(&self, work: &mut dyn FnMut(&mut dyn ReportSource)) -> Result<(), HubError> {
        self.backend.read_rows(work)
    }

    fn put_staff(
        &self,
        username: &str,
        phc: &str,
        unit: &str,
        role: Role,
        created_at: i64,
    ) -> Result<(), HubError> {
        self.backend.write(|tx| {
            tx.put_staff(username, phc, unit, role, created_at)?;
            tx.delete_sessions_of(username)
        })
    }

    fn change_staff(
        &self,
        username: &str,
        change: &StaffChange,
        at: i64,
        logged: &Entry,
    ) -> Result<bool, HubError> {
        self.backend.write(|tx| {
            if !tx.change_staff(username, change, at)? {
                return Ok(false);
            }
            tx.delete_sessions_of(username)?;
            tx.append_audit(std::slice::from_ref(logged))?;
            Ok(true)
        })
    }

    fn staff_accounts(&self) -> Result<Vec<StaffAccount>, HubError> {
        self.backend.staff_accounts()
    }

    fn staff_account(&self, username: &str) -> Result<Option<(String, Staff)>, HubError> {
        self.backend.staff_account(username)
    }

    fn put_staff_session(
        &self,
        token_hash: &[u8],
        username: &str,
        expires_at: i64,
        now: i64,
        signed_in: &Entry,
    ) -> Result<(), HubError> {
        self.backend.write(|tx| {
            tx.delete_sessions_expired(now)?;
            tx.insert_session(token_hash, username, expires_at)?;
            tx.append_audit(std::slice::from_ref(signed_in))
        })
    }

    fn staff_session(&self, token_hash: &[u8], now: i64) -> Result<Option<Staff>, HubError> {
        self.backend.staff_session(token_hash, now)
    }

    fn delete_staff_session(&self, token_hash: &[u8]) -> Result<(), HubError> {
        self.backend.write(|tx| tx.delete_session(token_hash))
    }

    fn devices(&self) -> Result<Vec<DeviceInfo>, HubError> {
        self.backend.devices()
    }

    fn commune_activity(&self, since: i64) -> Result<Vec<CommuneActivity>, HubError> {
        self.backend.commune_activity(since)
    }

    fn class_drug_free(
        &self,
        year: i32,
        communes: &[(String, bool)],
        at: i64,
        logged: &Entry,
    ) -> Result<(), HubError> {
        let by = logged.actor.name.as_deref().unwrap_or_default();
        self.backend.write(|tx| {
            for (commune, free) in communes {
                tx.put_drug_free(year, commune, *free, by, at)?;
            }
            tx.append_audit(std::slice::from_ref(logged))
        })
    }

    fn attachments_listed(&self, listing: &Listing) -> Result<Vec<Listed>, HubError> {
        super::attachments::listed(&self.backend, listing)
    }

    fn open_attachment(
        &self,
        hash: ContentHash,
        opening: Opening<'_>,
        may_see: &dyn Fn(&str) -> bool,
    ) -> Result<Option<(AttachmentKind, Vec<u8>)>, HubError> {
        self.backend
            .write(|tx| super::attachments::open(tx, hash, opening, may_see))
    }

    fn purge_attachment(
        &self,
        hash: ContentHash,
        may_purge: &dyn Fn(&[String]) -> bool,
        username: &str,
        reason: &str,
    ) -> Result<Option<Vec<String>>, HubError> {
        let now = chrono::Utc::now().timestamp();
        self.backend
            .write(|tx| super::attachments::purge(tx, hash, may_purge, username, reason, now))
    }
}
