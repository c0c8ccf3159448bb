//! The projection rows that lists, searches and the due-visit list read.

use super::Store;
use crate::projection::{
    checkin_row, hotspot_row, person_row, session_row, survey_row, CHECKIN_SELECT, HOTSPOT_SELECT,
    PERSON_SELECT, SESSION_SELECT, SURVEY_SELECT,
};
use crate::text::fold;
use crate::CoreError;
use chrono::NaiveDate;
use pcmt_model::api::{CheckInRow, DueVisit, HotSpotRow, ListFilter, PersonRow, SurveyRow};
use pcmt_model::{visit_state, Labelled, SessionRow, DUE_SOON_DAYS};
use rusqlite::{params, OptionalExtension, Row};
use uuid::Uuid;

/// The period and commune filter shared by every dated list (?1 from, ?2 until, ?3 commune).
/// Sessions also filter by venue kind (?6) and form (?7).
const PERIOD_AND_COMMUNE: &str =
    "(?1 IS NULL OR s.date >= ?1) AND (?2 IS NULL OR s.date <= ?2) AND (?3 IS NULL OR s.commune = ?3)";
const VENUE_AND_FORM: &str = "(?6 IS NULL OR s.venue_kind = ?6) AND (?7 IS NULL OR s.form = ?7)";

fn filter_params(f: &ListFilter, limit: u32, offset: u32) -> impl rusqlite::Params {
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    (day(f.from), day(f.until), f.commune.clone(), limit, offset)
}

fn session_filter_params(f: &ListFilter, limit: u32, offset: u32) -> impl rusqlite::Params {
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    (
        day(f.from),
        day(f.until),
        f.commune.clone(),
        limit,
        offset,
        f.venue_kind.map(Labelled::code),
        f.form.map(Labelled::code),
    )
}

impl Store {
    /// One row read by `read`, or NotFound.
    fn one<T>(
        &self,
        sql: &str,
        id: Uuid,
        read: fn(&Row<'_>) -> Result<T, CoreError>,
    ) -> Result<T, CoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        stmt.query_row([id.to_string()], |r| Ok(read(r)))
            .optional()?
            .ok_or(CoreError::NotFound(id))?
    }

    fn many<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: fn(&Row<'_>) -> Result<T, CoreError>,
    ) -> Result<Vec<T>, CoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| Ok(read(r)))?;
        rows.map(|r| r?).collect()
    }

    pub fn session(&self, id: Uuid) -> Result<SessionRow, CoreError> {
        self.one(
            &format!("{SESSION_SELECT} WHERE s.id = ?1"),
            id,
            session_row,
        )
    }

    pub fn person(&self, id: Uuid) -> Result<PersonRow, CoreError> {
        self.one(&format!("{PERSON_SELECT} WHERE p.id = ?1"), id, person_row)
    }

    pub fn checkin(&self, id: Uuid) -> Result<CheckInRow, CoreError> {
        self.one(
            &format!("{CHECKIN_SELECT} WHERE c.id = ?1"),
            id,
            checkin_row,
        )
    }

    pub fn survey(&self, id: Uuid) -> Result<SurveyRow, CoreError> {
        self.one(&format!("{SURVEY_SELECT} WHERE s.id = ?1"), id, survey_row)
    }

    pub fn hot_spot(&self, id: Uuid) -> Result<HotSpotRow, CoreError> {
        self.one(
            &format!("{HOTSPOT_SELECT} WHERE h.id = ?1"),
            id,
            hotspot_row,
        )
    }

    /// Newest first, one page at a time.
    pub fn list_sessions(
        &self,
        filter: &ListFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<SessionRow>, CoreError> {
        let sql = format!("{SESSION_SELECT} WHERE {PERIOD_AND_COMMUNE} AND {VENUE_AND_FORM} ORDER BY s.date DESC, s.id DESC LIMIT ?4 OFFSET ?5");
        self.many(
            &sql,
            session_filter_params(filter, limit, offset),
            session_row,
        )
    }

    /// Surveys newest first, those with no findings included (they prove coverage).
    pub fn list_surveys(
        &self,
        filter: &ListFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<SurveyRow>, CoreError> {
        let sql = format!("{SURVEY_SELECT} WHERE {PERIOD_AND_COMMUNE} ORDER BY s.date DESC, s.id DESC LIMIT ?4 OFFSET ?5");
        self.many(&sql, filter_params(filter, limit, offset), survey_row)
    }

    /// Hot spots still open first (not cleared or transformed), then by
    /// the day they were detected, newest first; the period filters that
    /// day.
    pub fn list_hot_spots(
        &self,
        filter: &ListFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<HotSpotRow>, CoreError> {
        let sql = format!(
            "{HOTSPOT_SELECT} WHERE {} ORDER BY h.stage IN ('cleared', 'transformed'), h.date DESC, h.id DESC
             LIMIT ?4 OFFSET ?5",
            PERIOD_AND_COMMUNE.replace("s.", "h.")
        );
        self.many(&sql, filter_params(filter, limit, offset), hotspot_row)
    }

    /// People whose name contains `query`, with or without diacritics
    /// ("nguyen van a" finds "Nguyễn Văn A"), or whose citizen ID starts with it.
    pub fn search_people(
        &self,
        query: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<PersonRow>, CoreError> {
        let sql = format!(
            "{PERSON_SELECT} WHERE instr(p.name_key, ?1) > 0 OR (?2 <> '' AND p.citizen_id LIKE ?2 || '%')
             ORDER BY p.name_key, p.id LIMIT ?3 OFFSET ?4"
        );
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        let digits = if digits.len() == query.trim().len() {
            digits
        } else {
            String::new()
        };
        self.many(
            &sql,
            params![fold(query), digits, limit, offset],
            person_row,
        )
    }

    /// People due within the next few days or overdue, most overdue first.
    pub fn due_visits(&self, today: NaiveDate, limit: u32) -> Result<Vec<DueVisit>, CoreError> {
        let horizon = today + chrono::Days::new(DUE_SOON_DAYS.unsigned_abs());
        let sql = format!(
            "{PERSON_SELECT} WHERE p.due_on IS NOT NULL AND p.due_on <= ?1 ORDER BY p.due_on, p.name_key LIMIT ?2"
        );
        let people = self.many(
            &sql,
            params![horizon.format("%Y-%m-%d").to_string(), limit],
            person_row,
        )?;
        Ok(people
            .into_iter()
            .filter_map(|person| {
                let state = visit_state(person.due_on?, today);
                Some(DueVisit { person, state })
            })
            .collect())
    }

    /// A person's visits, newest first.
    pub fn checkins_of(&self, person: Uuid) -> Result<Vec<CheckInRow>, CoreError> {
        let sql = format!("{CHECKIN_SELECT} WHERE c.person = ?1 ORDER BY c.date DESC, c.id DESC");
        self.many(&sql, [person.to_string()], checkin_row)
    }
}
