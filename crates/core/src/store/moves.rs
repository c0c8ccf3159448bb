//! A person moving to another commune (chuyển nơi cư trú, issue 20) on the
//! tablet: the officer's move of a file of their commune, and what the
//! tablet keeps of a file that left its communes — a read-only note
//! (`moved_people`, device migration 0010), the file, its visits and their
//! rows gone.
//!
//! A file leaves this tablet's communes by a move made here (once the hub
//! holds it), by the move pulled from the hub (made by another tablet of
//! the commune or the office), or by the hub's refusal of a change to it
//! ([`crate::sync::MovedAway`]), which says where and when.

use super::records::now;
use super::{load_doc, Author, Store};
use crate::error::doc_error;
use crate::projection::{project, SqliteRows};
use crate::record_doc::{self, moves};
use crate::sync::MovedAway;
use crate::CoreError;
use chrono::NaiveDate;
use pcmt_model::api::MovedPerson;
use pcmt_model::{residence, Move, MoveInput, OrgTree, PersonInput};
use rusqlite::{params, Connection, OptionalExtension};
use uuid::Uuid;

impl Store {
    /// Moves a person of this tablet's commune to another commune of the
    /// district from the day given, with the whole file. Until the hub
    /// holds the move the file stays here (under the commune it leaves,
    /// which the push names); then it becomes a note.
    pub fn move_person(
        &mut self,
        id: Uuid,
        input: &MoveInput,
        author: &Author,
        today: NaiveDate,
    ) -> Result<(), CoreError> {
        let person: PersonInput = self.record(id)?;
        let units = self.with_neighbours()?;
        let actor = self.actor();
        let tx = self.conn.transaction()?;
        let mut doc = load_doc(&tx, id)?;
        let before = moves::moves(&doc).map_err(|e| doc_error(&id.to_string(), e))?;
        input
            .validate(
                &units,
                &person.commune,
                person.managed_since(),
                &before,
                today,
            )
            .map_err(CoreError::Invalid)?;
        doc.set_actor(actor);
        let by = Move {
            id: Uuid::nil(),
            from: person.commune.clone(),
            to: input.to.clone(),
            on: input.on,
            by: author.officer.clone(),
        };
        moves::move_to(&mut doc, &by, &Self::note(author), now())
            .map_err(|e| doc_error(&id.to_string(), e))?;
        // The commune column stays the one left: the push's envelope,
        // which the hub checks against this tablet's communes.
        tx.execute(
            "UPDATE documents SET bytes = ?2, dirty = 1 WHERE id = ?1",
            params![id.to_string(), record_doc::save(&mut doc)],
        )?;
        project(&mut SqliteRows(&tx), &doc, &self.rules)?;
        index_moves(&tx, &id.to_string(), &doc)?;
        tx.commit()?;
        Ok(())
    }

    /// Where a person of `commune` may move to: the other communes of its
    /// district, by code and name, as the move form lists them.
    pub fn move_destinations(&self, commune: &str) -> Result<Vec<(String, String)>, CoreError> {
        let units = self.with_neighbours()?;
        Ok(units
            .communes()
            .filter(|c| c.code != commune && residence::same_district(&units, commune, &c.code))
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect())
    }

    /// The files that moved out of this tablet's communes, newest first.
    pub fn moved_people(&self) -> Result<Vec<MovedPerson>, CoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, full_name, from_commune, to_commune, to_name, moved_on FROM moved_people
             ORDER BY moved_on DESC, full_name",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    MovedPerson {
                        id: Uuid::nil(),
                        full_name: r.get(1)?,
                        from: r.get(2)?,
                        to: r.get(3)?,
                        to_name: r.get(4)?,
                        on: NaiveDate::MIN,
                    },
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, note, on)| {
                let bad = |what: &str| CoreError::CorruptRecord {
                    id: format!("moved_people {id}"),
                    reason: what.to_string(),
                };
                Ok(MovedPerson {
                    id: Uuid::parse_str(&id).map_err(|_| bad("id"))?,
                    on: NaiveDate::parse_from_str(&on, "%Y-%m-%d").map_err(|_| bad("moved_on"))?,
                    ..note
                })
            })
            .collect()
    }

    /// The note of a file that moved out of this tablet's communes, if it
    /// did.
    pub fn moved_person(&self, id: Uuid) -> Result<Option<MovedPerson>, CoreError> {
        Ok(self.moved_people()?.into_iter().find(|m| m.id == id))
    }

    /// The hub refused a change to a file that moved out of this tablet's
    /// commune: it becomes the note, its unsent changes and visits with it
    /// (the hub would refuse them all the same); the rest stays to be sent.
    pub(crate) fn note_refused_move(&mut self, moved: &MovedAway) -> Result<(), CoreError> {
        let tx = self.conn.transaction()?;
        let from: Option<String> = tx
            .query_row(
                "SELECT commune FROM documents WHERE id = ?1",
                [moved.id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(from) = from {
            note_and_drop(&tx, moved.id, &from, &moved.to, &moved.to_name, moved.on)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Turns every person file of this tablet that the hub holds (nothing
/// unsent) and that moved out of `communes` into a note. Runs after a pull
/// and after the hub acknowledged a push.
pub(crate) fn settle_moves(conn: &Connection, units: &OrgTree) -> Result<(), CoreError> {
    let enrolment: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'enrolment'", [], |r| {
            r.get(0)
        })
        .optional()?;
    // A tablet not enrolled has no communes of its own to leave.
    let Some(communes) = enrolment
        .and_then(|json| serde_json::from_str::<crate::sync::wire::Enrolment>(&json).ok())
        .map(|e| e.communes)
        .filter(|c| !c.is_empty())
    else {
        return Ok(());
    };
    let ours = units.with_merged(&communes);
    let candidates: Vec<String> = {
        let mut stmt = conn.prepare_cached(
            "SELECT p.id FROM person_rows p JOIN documents d ON d.id = p.id
             WHERE d.dirty = 0 AND p.commune NOT IN (SELECT value FROM json_each(?1))",
        )?;
        let ours_json = serde_json::to_string(&ours).map_err(|e| CoreError::CorruptRecord {
            id: "communes".into(),
            reason: e.to_string(),
        })?;
        let ids = stmt
            .query_map([ours_json], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids
    };
    for id in candidates {
        let uuid = Uuid::parse_str(&id).map_err(|_| CoreError::CorruptRecord {
            id: id.clone(),
            reason: "not a UUID".into(),
        })?;
        let doc = load_doc(conn, uuid)?;
        let header = record_doc::read_header(&doc).map_err(|e| doc_error(&id, e))?;
        let all = moves::moves(&doc).unwrap_or_default();
        let Some(last) = residence::last(&all) else {
            continue;
        };
        // The commune of ours it left last.
        let Some(left) = all.iter().rev().find(|m| ours.contains(&m.from)) else {
            continue;
        };
        let to_name = units
            .get(&last.to)
            .map_or_else(|| last.to.clone(), |u| u.name.clone());
        note_and_drop(conn, uuid, &left.from, &header.commune, &to_name, last.on)?;
    }
    Ok(())
}

/// Keeps `person_moves` as a person file's document says, for the
/// reports (see `crate::report`): written for every stored or pulled
/// person file that moved.
pub(crate) fn index_moves(
    conn: &Connection,
    id: &str,
    doc: &automerge::AutoCommit,
) -> Result<(), CoreError> {
    let moves = moves::moves(doc).unwrap_or_default();
    if moves.is_empty() {
        return Ok(());
    }
    let json = serde_json::to_string(&moves).map_err(|e| CoreError::CorruptRecord {
        id: id.to_string(),
        reason: e.to_string(),
    })?;
    conn.prepare_cached(
        "INSERT INTO person_moves (person, moves) VALUES (?1, ?2)
         ON CONFLICT (person) DO UPDATE SET moves = excluded.moves",
    )?
    .execute(params![id, json])?;
    Ok(())
}

/// Writes the note of `person` and removes the file, its visits, their
/// rows and what they referred to.
fn note_and_drop(
    conn: &Connection,
    person: Uuid,
    from: &str,
    to: &str,
    to_name: &str,
    on: NaiveDate,
) -> Result<(), CoreError> {
    let id = person.to_string();
    let name: String = conn
        .query_row(
            "SELECT full_name FROM person_rows WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_default();
    conn.execute(
        "INSERT INTO moved_people (id, full_name, from_commune, to_commune, to_name, moved_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(id) DO UPDATE SET to_commune = excluded.to_commune,
           to_name = excluded.to_name, moved_on = excluded.moved_on",
        params![
            id,
            name,
            from,
            to,
            to_name,
            on.format("%Y-%m-%d").to_string()
        ],
    )?;
    let docs: Vec<String> = {
        let mut stmt = conn.prepare_cached("SELECT id FROM checkin_rows WHERE person = ?1")?;
        let mut docs: Vec<String> = stmt
            .query_map([&id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        docs.push(id.clone());
        docs
    };
    for doc in &docs {
        for sql in [
            "DELETE FROM checkin_rows WHERE id = ?1",
            "DELETE FROM person_rows WHERE id = ?1",
            "DELETE FROM attachment_refs WHERE doc_id = ?1",
            "DELETE FROM person_moves WHERE person = ?1",
            "DELETE FROM documents WHERE id = ?1",
        ] {
            conn.execute(sql, [doc])?;
        }
    }
    Ok(())
}
