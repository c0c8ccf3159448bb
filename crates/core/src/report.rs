//! Reports computed from the projection rows (`*_rows`), for one org unit
//! rolled up through the tree and one period. The rows are read through a
//! [`ReportSource`], a handful of typed queries a store answers: SQLite
//! here ([`SqliteRows`], the tablet and the hub's SQLite store), PostgreSQL
//! in the hub. Everything else — what the rows mean, the indicators, the
//! roll-up — is computed once, below, so every store gives the same figures.
//!
//! Sums and counts are aggregates the store runs over rows in the period
//! and communes; what needs a person's whole history (status in force,
//! visits due) is counted by the model's [`ManagementTally`], one person at
//! a time.

use crate::projection::{day, SiteValues, SqliteRows};
use crate::text::fold;
use crate::CoreError;
use chrono::{Datelike, Months, NaiveDate};
use pcmt_model::report::{
    tallies, HotSpotTally, Indicator, IndicatorCode as I, ManagementTally, NamedUnit, Period,
    PersonKey, RegisterEntry, Report, SharedCitizenId, SiteFeature, VisitFacts,
};
use pcmt_model::{
    residence, AudienceGroup, GeoPoint, HotSpotSpan, Labelled, Move, OrgLevel, OrgTree, OrgUnit,
    SessionForm, StatusRules, StatusSpan, TestResult, VenueKind, EARLIEST_DATE,
};
use rusqlite::{params, Row};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The rows a report reads: dated `from`..=`until` (inclusive,
/// `YYYY-MM-DD`) in one of `communes`.
#[derive(Debug, Clone)]
pub struct RowScope {
    pub from: String,
    pub until: String,
    pub communes: Vec<String>,
}

/// Sessions of one form at one kind of venue, summed.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionGroup {
    pub form: String,
    pub venue_kind: String,
    pub sessions: i64,
    pub attendees: i64,
    pub women: i64,
    pub materials: i64,
    pub pledges: i64,
}

/// One check-in of a person, as the management section reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    pub person: String,
    /// The commune the check-in was made in.
    pub commune: String,
    pub date: String,
    pub attended: bool,
    pub next_visit: Option<String>,
    pub supported: bool,
    pub test_result: Option<String>,
    pub psychosis: bool,
}

/// Surveys in scope, summed (zero when there are none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurveyTotals {
    pub surveys: i64,
    pub area_covered_ha: f64,
    pub sites: i64,
    pub plants: i64,
    pub area_m2: f64,
    pub replanting: i64,
}

/// The people who moved, as both databases read it: their visits and
/// figures are sorted by the days they lived in each commune.
pub const MOVED_PEOPLE: &str = "SELECT person FROM person_moves";

/// (person, moves JSON) of every person who moved; both databases.
pub const MOVES_SQL: &str = "SELECT person, moves FROM person_moves";

/// Stands, in the SQL given to [`ReportSource::each_in_scope`], for the
/// store's own test that a row is in scope.
pub const SCOPE: &str = "{scope}";

/// The queries a report needs from a store's projection rows. Each answers
/// over the rows of a [`RowScope`] unless said otherwise. Queries whose SQL
/// both databases read alike are written once, here; a store writes only
/// those its dialect needs differently.
pub trait ReportSource {
    /// Runs `sql`, in which [`SCOPE`] stands for the store's test that a
    /// row's date is in the period and its commune among the communes,
    /// handing each row to `row`.
    fn each_in_scope(
        &mut self,
        sql: &str,
        scope: &RowScope,
        row: &mut dyn FnMut(&dyn Columns) -> Result<(), CoreError>,
    ) -> Result<(), CoreError>;
    /// `session_rows` grouped by form and venue kind.
    fn session_groups(&mut self, scope: &RowScope) -> Result<Vec<SessionGroup>, CoreError>;
    /// The non-empty `audience` columns ("group:count,…").
    fn audiences(&mut self, scope: &RowScope) -> Result<Vec<String>, CoreError> {
        in_scope(
            self,
            "SELECT audience FROM session_rows WHERE {scope} AND audience != ''",
            scope,
            |r| r.col(0),
        )
    }
    /// Distinct (commune, venue kind, venue key) of the sessions.
    fn venues(&mut self, scope: &RowScope) -> Result<Vec<(String, String, String)>, CoreError> {
        in_scope(
            self,
            "SELECT DISTINCT commune, venue_kind, venue_key FROM session_rows WHERE {scope}",
            scope,
            |r| Ok((r.col(0)?, r.col(1)?, r.col(2)?)),
        )
    }
    /// Every check-in up to `until` of the people of `communes`, and of
    /// every person who moved, ordered by person, date and id. A check-in
    /// counts only if it was made in its person's commune (of its day, for
    /// one who moved: [`management`] checks): one naming a person of
    /// another commune (which the hub refuses once it holds the person)
    /// counts for no one.
    fn visits(&mut self, until: &str, communes: &[String]) -> Result<Vec<VisitRow>, CoreError>;
    /// (id, statuses JSON, commune) of the people of `communes` and of
    /// every person who moved ([`MOVED_PEOPLE`]).
    fn people(&mut self, communes: &[String]) -> Result<Vec<(String, String, String)>, CoreError>;
    /// (person, moves JSON) of every person who moved.
    fn moves(&mut self) -> Result<Vec<(String, String)>, CoreError>;
    /// The register of `communes` ([`REGISTER_COLUMNS`] of `person_rows`),
    /// by commune and name.
    fn register(&mut self, communes: &[String]) -> Result<Vec<RegisterEntry>, CoreError>;
    /// Every person file whose citizen ID another file holds too, in the
    /// whole store, by ID and commune ([`SHARED_CITIZEN_IDS_SQL`]).
    fn shared_citizen_ids(&mut self) -> Result<Vec<SharedCitizenId>, CoreError>;
    /// Every person file of the store as an import matches it
    /// ([`PERSON_KEYS_SQL`]).
    fn person_keys(&mut self) -> Result<Vec<PersonKey>, CoreError>;
    fn survey_totals(&mut self, scope: &RowScope) -> Result<SurveyTotals, CoreError>;
    /// The communes swept in scope, each with the sites its surveys found.
    fn sites_by_commune(&mut self, scope: &RowScope) -> Result<Vec<(String, i64)>, CoreError> {
        in_scope(
            self,
            "SELECT commune, CAST(sum(sites) AS BIGINT) FROM survey_rows WHERE {scope} GROUP BY commune",
            scope,
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    }
    /// Sites found per species code.
    fn species_counts(&mut self, scope: &RowScope) -> Result<Vec<(String, i64)>, CoreError> {
        in_scope(
            self,
            "SELECT species, count(*) FROM site_rows WHERE {scope} GROUP BY species",
            scope,
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    }
    /// The sites found, ordered by date, survey and index.
    fn sites(&mut self, scope: &RowScope) -> Result<Vec<SiteValues>, CoreError>;
    /// (id, stages JSON) of the hot spots detected in scope.
    fn hot_spots(&mut self, scope: &RowScope) -> Result<Vec<(String, String)>, CoreError> {
        in_scope(
            self,
            "SELECT id, stages FROM hotspot_rows WHERE {scope}",
            scope,
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    }
    /// How the office classed `communes` for `year` (`drug_free_communes`):
    /// (commune, drug-free) for those it classed.
    fn drug_free(
        &mut self,
        year: i32,
        communes: &[String],
    ) -> Result<Vec<(String, bool)>, CoreError>;
}

/// The rows of a query over `scope` (see [`ReportSource::each_in_scope`]),
/// each read by `read`.
pub fn in_scope<T>(
    source: &mut (impl ReportSource + ?Sized),
    sql: &str,
    scope: &RowScope,
    read: impl Fn(&dyn Columns) -> Result<T, CoreError>,
) -> Result<Vec<T>, CoreError> {
    let mut found = Vec::new();
    source.each_in_scope(sql, scope, &mut |r| {
        found.push(read(r)?);
        Ok(())
    })?;
    Ok(found)
}

/// One column of a result row read by position, from whichever database:
/// both stores' report sources build their values with the one mapping of
/// each value below (`from_row`), their SQL being all that differs.
pub trait Column<T> {
    fn col(&self, i: usize) -> Result<T, CoreError>;
}

/// The column types the report rows hold.
pub trait Columns:
    Column<String>
    + Column<Option<String>>
    + Column<i64>
    + Column<f64>
    + Column<Option<f64>>
    + Column<bool>
{
}

impl<R> Columns for R where
    R: Column<String>
        + Column<Option<String>>
        + Column<i64>
        + Column<f64>
        + Column<Option<f64>>
        + Column<bool>
        + ?Sized
{
}

impl<T: rusqlite::types::FromSql> Column<T> for Row<'_> {
    fn col(&self, i: usize) -> Result<T, CoreError> {
        Ok(self.get(i)?)
    }
}

impl SessionGroup {
    /// From (form, venue_kind, count, attendees, women, materials, pledges).
    pub fn from_row(r: &(impl Columns + ?Sized)) -> Result<Self, CoreError> {
        Ok(Self {
            form: r.col(0)?,
            venue_kind: r.col(1)?,
            sessions: r.col(2)?,
            attendees: r.col(3)?,
            women: r.col(4)?,
            materials: r.col(5)?,
            pledges: r.col(6)?,
        })
    }
}

impl VisitRow {
    /// From (person, date, attended, next_visit, supported, test_result,
    /// psychosis, commune).
    pub fn from_row(r: &(impl Columns + ?Sized)) -> Result<Self, CoreError> {
        Ok(Self {
            person: r.col(0)?,
            commune: r.col(7)?,
            date: r.col(1)?,
            attended: r.col(2)?,
            next_visit: r.col(3)?,
            supported: r.col(4)?,
            test_result: r.col(5)?,
            psychosis: r.col(6)?,
        })
    }
}

/// The files holding a citizen ID that another file holds too; both
/// databases read it as written.
pub const SHARED_CITIZEN_IDS_SQL: &str = "SELECT citizen_id, id, full_name, birth_date, commune
     FROM person_rows
     WHERE citizen_id IN (SELECT citizen_id FROM person_rows
                          WHERE citizen_id IS NOT NULL AND citizen_id != ''
                          GROUP BY citizen_id HAVING count(*) > 1)
     ORDER BY citizen_id, commune, id";

/// A row of [`SHARED_CITIZEN_IDS_SQL`].
pub fn shared_citizen_id(r: &(impl Columns + ?Sized)) -> Result<SharedCitizenId, CoreError> {
    Ok(SharedCitizenId {
        citizen_id: r.col(0)?,
        id: r.col(1)?,
        full_name: r.col(2)?,
        birth_date: r.col(3)?,
        commune: r.col(4)?,
    })
}

/// Every person file, as a register's import matches it; both databases
/// read it as written.
pub const PERSON_KEYS_SQL: &str =
    "SELECT id, citizen_id, name_key, birth_date, commune FROM person_rows";

/// A row of [`PERSON_KEYS_SQL`].
pub fn person_key(r: &(impl Columns + ?Sized)) -> Result<PersonKey, CoreError> {
    Ok(PersonKey {
        id: r.col(0)?,
        citizen_id: r.col(1)?,
        name_key: r.col(2)?,
        birth_date: r.col(3)?,
        commune: r.col(4)?,
    })
}

/// The columns of `person_rows` a register entry is read from, in
/// [`register_entry`]'s order.
pub const REGISTER_COLUMNS: &str =
    "full_name, citizen_id, birth_date, commune, village, status, due_on";

/// A register entry from [`REGISTER_COLUMNS`].
pub fn register_entry(r: &(impl Columns + ?Sized)) -> Result<RegisterEntry, CoreError> {
    Ok(RegisterEntry {
        full_name: r.col(0)?,
        citizen_id: r.col(1)?,
        birth_date: r.col(2)?,
        commune: r.col(3)?,
        village: r.col(4)?,
        status: r.col(5)?,
        due_on: r.col(6)?,
    })
}

impl SurveyTotals {
    /// From (count, area covered, sites, plants, area found, replanting).
    pub fn from_row(r: &(impl Columns + ?Sized)) -> Result<Self, CoreError> {
        Ok(Self {
            surveys: r.col(0)?,
            area_covered_ha: r.col(1)?,
            sites: r.col(2)?,
            plants: r.col(3)?,
            area_m2: r.col(4)?,
            replanting: r.col(5)?,
        })
    }
}

/// A site from `site_rows` selected as [`SITE_COLUMNS`].
pub fn site_from_row(r: &(impl Columns + ?Sized)) -> Result<SiteValues, CoreError> {
    Ok(SiteValues {
        survey: r.col(0)?,
        idx: r.col(1)?,
        date: r.col(2)?,
        commune: r.col(3)?,
        lat: r.col(4)?,
        lon: r.col(5)?,
        polygon: r.col(6)?,
        area_m2: r.col(7)?,
        species: r.col(8)?,
        plants: r.col(9)?,
        action: r.col(10)?,
        action_date: r.col(11)?,
        replanting: r.col(12)?,
    })
}

/// The columns [`site_from_row`] reads, in its order.
pub const SITE_COLUMNS: &str =
    "survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action, action_date, replanting";

/// The communes a report covers, and the rows that belong to it.
///
/// The communes are those that exist on the period's last day. A commune
/// merged into one of them by then (the 2025 reform) has its rows read
/// too, counted in the commune it became part of; its records keep their
/// own commune code.
struct Scope<'a> {
    period: &'a Period,
    units: &'a OrgTree,
    communes: Vec<&'a OrgUnit>,
    rows: RowScope,
}

impl<'a> Scope<'a> {
    fn new(units: &'a OrgTree, unit: &'a str, period: &'a Period) -> Result<Self, CoreError> {
        if units.get(unit).is_none() {
            return Err(CoreError::UnknownOrgUnit(unit.into()));
        }
        let communes: Vec<&OrgUnit> = units
            .units_within(unit, OrgLevel::Commune)
            .filter(|c| c.in_force(period.until))
            .collect();
        let counted: BTreeSet<&str> = communes.iter().map(|c| c.code.as_str()).collect();
        let rows = RowScope {
            from: day(period.from),
            until: day(period.until),
            communes: units
                .communes()
                .filter(|c| counted.contains(units.counted_in(&c.code, period.until)))
                .map(|c| c.code.clone())
                .collect(),
        };
        Ok(Self {
            period,
            units,
            communes,
            rows,
        })
    }

    /// The commune of the report a row of `commune` counts in.
    fn counted_in(&self, commune: &'a str) -> &'a str {
        self.units.counted_in(commune, self.period.until)
    }
}

fn named(u: &OrgUnit) -> NamedUnit {
    NamedUnit {
        code: u.code.clone(),
        name: u.name.clone(),
    }
}

fn bad_row(table: &str, reason: impl Into<String>) -> CoreError {
    CoreError::CorruptRecord {
        id: table.into(),
        reason: reason.into(),
    }
}

fn code_of<T: Labelled>(table: &str, code: &str) -> Result<T, CoreError> {
    T::from_code(code).ok_or_else(|| bad_row(table, format!("unknown code `{code}`")))
}

fn count(n: i64) -> u64 {
    n.unsigned_abs()
}

/// Computes the report of `unit` (a commune, or a district or province
/// rolled up over its communes) for `period`, counted up to `today` while
/// the period runs ([`Period::so_far`]): every figure, flows and stocks
/// alike, is of the days that have passed. Each indicator carries its value
/// for the same days a year earlier.
pub fn compute(
    rows: &mut dyn ReportSource,
    units: &OrgTree,
    rules: &StatusRules,
    unit: &str,
    period: &Period,
    today: NaiveDate,
) -> Result<Report, CoreError> {
    let counted = period.so_far(today);
    let a_year_ago = today.checked_sub_months(Months::new(12)).unwrap_or(today);
    let earlier = period.a_year_earlier().so_far(a_year_ago);
    // This year's and last year's scopes, in that order: the later one's
    // reads cover the earlier's, so people and visits are read once.
    let scopes = [
        Scope::new(units, unit, &counted)?,
        Scope::new(units, unit, &earlier)?,
    ];
    let name = units.get(unit).map(named).unwrap_or_else(|| NamedUnit {
        code: unit.into(),
        name: unit.into(),
    });
    let mut reports = scopes
        .each_ref()
        .map(|scope| Report::empty(name.clone(), *period, scope.period.until, earlier, today));
    for (scope, report) in scopes.iter().zip(reports.iter_mut()) {
        sessions(rows, units, unit, scope, report)?;
    }
    management(rows, rules, &scopes, &mut reports)?;
    for (scope, report) in scopes.iter().zip(reports.iter_mut()) {
        eradication(rows, scope, report)?;
        drug_free(rows, scope, report)?;
    }
    hot_spots(rows, &scopes, &mut reports)?;
    let [mut report, before] = reports;
    for indicator in &mut report.indicators {
        indicator.previous = before.indicator(indicator.code).and_then(|i| i.value);
    }
    Ok(report)
}

fn sessions(
    rows: &mut dyn ReportSource,
    units: &OrgTree,
    unit: &str,
    scope: &Scope<'_>,
    report: &mut Report,
) -> Result<(), CoreError> {
    let mut by_form: HashMap<SessionForm, u64> = HashMap::new();
    let mut by_venue: HashMap<VenueKind, u64> = HashMap::new();
    let [mut total, mut attendees, mut women, mut materials, mut pledges] = [0u64; 5];
    for g in rows.session_groups(&scope.rows)? {
        let n = count(g.sessions);
        *by_form
            .entry(code_of("session_rows", &g.form)?)
            .or_default() += n;
        *by_venue
            .entry(code_of("session_rows", &g.venue_kind)?)
            .or_default() += n;
        total += n;
        attendees += count(g.attendees);
        women += count(g.women);
        materials += count(g.materials);
        pledges += count(g.pledges);
    }

    let mut by_group: HashMap<AudienceGroup, u64> = HashMap::new();
    for text in rows.audiences(&scope.rows)? {
        for part in text.split(',') {
            let (group, n) = part
                .split_once(':')
                .and_then(|(g, n)| Some((AudienceGroup::from_code(g)?, n.parse::<u64>().ok()?)))
                .ok_or_else(|| bad_row("session_rows", format!("audience `{part}`")))?;
            *by_group.entry(group).or_default() += n;
        }
    }

    // Reached: at least one session in the period. A school, industrial
    // zone or agency is matched by its commune, venue kind and name (folded
    // like search keys), since sessions name their venue in words: a
    // session held at an agency (venue kind "Cơ quan, doanh nghiệp")
    // reaches it.
    let mut reached_communes = BTreeSet::new();
    let mut reached_venues = BTreeSet::new();
    for (commune, kind, key) in rows.venues(&scope.rows)? {
        reached_communes.insert(scope.counted_in(&commune).to_string());
        reached_venues.insert((commune, kind, key));
    }
    let not_reached_communes: Vec<NamedUnit> = scope
        .communes
        .iter()
        .filter(|c| !reached_communes.contains(&c.code))
        .map(|c| named(c))
        .collect();
    let venue_share = |level: OrgLevel, kind: VenueKind| -> (u64, Vec<NamedUnit>) {
        let all: Vec<&OrgUnit> = units.units_within(unit, level).collect();
        let missed: Vec<NamedUnit> = all
            .iter()
            .filter(|v| {
                let key = (
                    v.parent.clone().unwrap_or_default(),
                    kind.code().to_string(),
                    fold(&v.name),
                );
                !reached_venues.contains(&key)
            })
            .map(|v| named(v))
            .collect();
        (all.len() as u64, missed)
    };
    let (schools, schools_missed) = venue_share(OrgLevel::School, VenueKind::School);
    let (zones, zones_missed) = venue_share(OrgLevel::IndustrialZone, VenueKind::IndustrialZone);
    let (agencies, agencies_missed) = venue_share(OrgLevel::Agency, VenueKind::Agency);
    let communes = scope.communes.len() as u64;

    report.indicators.extend([
        Indicator::amount(I::Sessions, total as f64),
        Indicator::amount(I::Attendees, attendees as f64),
        Indicator::amount(I::WomenAttendees, women as f64),
        Indicator::amount(I::Materials, materials as f64),
        Indicator::amount(I::Pledges, pledges as f64),
        Indicator::share(
            I::CommunesReached,
            communes - not_reached_communes.len() as u64,
            communes,
        ),
        Indicator::share(
            I::SchoolsReached,
            schools - schools_missed.len() as u64,
            schools,
        ),
        Indicator::share(I::ZonesReached, zones - zones_missed.len() as u64, zones),
        Indicator::share(
            I::AgenciesReached,
            agencies - agencies_missed.len() as u64,
            agencies,
        ),
    ]);
    report.sessions_by_form = tallies(|f| by_form.get(&f).copied().unwrap_or(0));
    report.sessions_by_venue = tallies(|v| by_venue.get(&v).copied().unwrap_or(0));
    report.attendees_by_group = tallies(|g| by_group.get(&g).copied().unwrap_or(0));
    report.communes_not_reached = not_reached_communes;
    report.schools_not_reached = schools_missed;
    report.zones_not_reached = zones_missed;
    report.agencies_not_reached = agencies_missed;
    Ok(())
}

fn parse_day(table: &str, text: &str) -> Result<NaiveDate, CoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| bad_row(table, format!("date `{text}`")))
}

fn visit_facts(v: VisitRow) -> Result<(String, VisitFacts), CoreError> {
    Ok((
        v.person,
        VisitFacts {
            date: parse_day("checkin_rows", &v.date)?,
            attended: v.attended,
            next_visit: v
                .next_visit
                .map(|t| parse_day("checkin_rows", &t))
                .transpose()?,
            supported: v.supported,
            positive_test: v.test_result.as_deref() == Some(TestResult::Positive.code()),
            psychosis_signs: v.psychosis,
        },
    ))
}

/// The days of `scope`'s period a person of `commune` who made `moves`
/// lived in its communes, as one period (from the first such day to the
/// last): None when they lived elsewhere all along. A person who never
/// moved counts for the whole period, as the people read are theirs.
fn lived_in(scope: &Scope<'_>, commune: &str, moves: &[Move]) -> Option<Period> {
    let period = scope.period;
    if moves.is_empty() {
        return Some(*period);
    }
    let within: Vec<_> = residence::stays(commune, moves)
        .into_iter()
        .filter(|s| scope.rows.communes.iter().any(|c| c == s.commune))
        .filter(|s| s.from.is_none_or(|f| f <= period.until))
        .filter(|s| s.until.is_none_or(|u| u > period.from))
        .collect();
    let from = within
        .first()?
        .from
        .map_or(period.from, |f| f.max(period.from));
    let until = within
        .last()?
        .until
        .and_then(|u| u.pred_opt())
        .map_or(period.until, |u| u.min(period.until));
    (from <= until).then_some(Period {
        kind: period.kind,
        from,
        until,
    })
}

/// The management figures of each scope, from one read of the people and
/// of their visits (up to the first scope's end, the latest).
fn management(
    rows: &mut dyn ReportSource,
    rules: &StatusRules,
    scopes: &[Scope<'_>; 2],
    reports: &mut [Report; 2],
) -> Result<(), CoreError> {
    let latest = &scopes[0].rows;
    let moved: HashMap<String, Vec<Move>> = rows
        .moves()?
        .into_iter()
        .map(|(id, json)| {
            let moves = serde_json::from_str(&json)
                .map_err(|e| bad_row("person_moves", format!("{id}: {e}")))?;
            Ok((id, moves))
        })
        .collect::<Result<_, CoreError>>()?;
    // Every visit up to the period's end: the last one before the period
    // decides whether a file is up to date on its first day.
    let mut visits: HashMap<String, Vec<(String, VisitFacts)>> = HashMap::new();
    for v in rows.visits(&latest.until, &latest.communes)? {
        let made_in = v.commune.clone();
        let (person, v) = visit_facts(v)?;
        visits.entry(person).or_default().push((made_in, v));
    }

    let mut tallies_of = [ManagementTally::default(), ManagementTally::default()];
    for (id, statuses, commune) in rows.people(&latest.communes)? {
        let spans: Vec<StatusSpan> = serde_json::from_str(&statuses)
            .map_err(|e| bad_row("person_rows", format!("{id}: {e}")))?;
        let moves = moved.get(&id).map(Vec::as_slice).unwrap_or_default();
        // A visit counts where the person lived on its day.
        let theirs: Vec<VisitFacts> = visits
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|(made_in, v)| *made_in == residence::commune_on(&commune, moves, v.date))
            .map(|(_, v)| *v)
            .collect();
        for (tally, scope) in tallies_of.iter_mut().zip(scopes) {
            if let Some(period) = lived_in(scope, &commune, moves) {
                tally.add(&spans, &theirs, &period, rules);
            }
        }
    }

    for (tally, report) in tallies_of.iter().zip(reports.iter_mut()) {
        report.indicators.extend([
            Indicator::amount(I::PeopleManaged, tally.managed as f64),
            Indicator::amount(I::NewlyFound, tally.newly_found as f64),
            Indicator::share(I::FilesUpToDate, tally.up_to_date, tally.managed),
            Indicator::share(I::SupportReached, tally.supported, tally.managed),
            Indicator::share(I::CheckInsDone, tally.visits_done, tally.visits_due),
            Indicator::amount(I::PositiveTests, tally.positive_tests as f64),
            Indicator::amount(I::PsychosisSigns, tally.psychosis_people as f64),
            Indicator::share(
                I::PostRehabEntered,
                tally.post_rehab_entered,
                tally.rehab_finished,
            ),
        ]);
        report.people_by_status = tallies(|s| tally.count_of(s))
            .into_iter()
            .filter(|t| t.item != pcmt_model::LegalStatus::Closed)
            .collect();
    }
    Ok(())
}

fn eradication(
    rows: &mut dyn ReportSource,
    scope: &Scope<'_>,
    report: &mut Report,
) -> Result<(), CoreError> {
    let totals = rows.survey_totals(&scope.rows)?;
    // Only communes swept in the period can be said to have no finding; a
    // commune with communes merged into it, only if none of them found any.
    let (mut swept, mut found) = (BTreeSet::new(), BTreeSet::new());
    for (commune, sites) in rows.sites_by_commune(&scope.rows)? {
        let counted = scope.counted_in(&commune).to_string();
        if sites > 0 {
            found.insert(counted.clone());
        }
        swept.insert(counted);
    }
    let clean: BTreeSet<&String> = swept.difference(&found).collect();
    let mut by_species = HashMap::new();
    for (code, n) in rows.species_counts(&scope.rows)? {
        let species: pcmt_model::PlantSpecies = code_of("site_rows", &code)?;
        by_species.insert(species, count(n));
    }

    report.communes_without_finding = scope
        .communes
        .iter()
        .filter(|c| clean.contains(&c.code))
        .map(|c| named(c))
        .collect();
    report.indicators.extend([
        Indicator::amount(I::Surveys, count(totals.surveys) as f64),
        Indicator::amount(I::AreaSwept, totals.area_covered_ha),
        Indicator::amount(I::SitesFound, count(totals.sites) as f64),
        Indicator::amount(I::PlantsDestroyed, count(totals.plants) as f64),
        Indicator::amount(I::AreaDestroyed, totals.area_m2),
        Indicator::amount(I::ReplantingFound, count(totals.replanting) as f64),
        Indicator::amount(
            I::CommunesWithoutFinding,
            report.communes_without_finding.len() as f64,
        ),
    ]);
    report.sites_by_species = tallies(|s| by_species.get(&s).copied().unwrap_or(0));
    Ok(())
}

/// Communes classed drug-free by the office for the year the counted days
/// end in: how many, and their share of the unit's communes. A unit none
/// of whose communes is classed for that year has no figure (not yet
/// classed, or a tablet, which holds no classing), rather than none.
fn drug_free(
    rows: &mut dyn ReportSource,
    scope: &Scope<'_>,
    report: &mut Report,
) -> Result<(), CoreError> {
    let year = scope.period.until.year();
    let classed: HashMap<String, bool> = rows
        .drug_free(year, &scope.rows.communes)?
        .into_iter()
        .collect();
    report.drug_free_classed = !classed.is_empty();
    report.drug_free_communes = scope
        .communes
        .iter()
        .filter(|c| classed.get(&c.code) == Some(&true))
        .map(|c| named(c))
        .collect();
    let free = report.drug_free_communes.len() as u64;
    report.indicators.extend(if report.drug_free_classed {
        [
            Indicator::amount(I::DrugFreeCommunes, free as f64),
            Indicator::share(I::DrugFreeShare, free, scope.communes.len() as u64),
        ]
    } else {
        [
            Indicator::amount_if_known(I::DrugFreeCommunes, None),
            Indicator::amount_if_known(I::DrugFreeShare, None),
        ]
    });
    Ok(())
}

/// The hot spot figures of each scope, from one read of the spots detected
/// up to the first scope's end (the latest), counted by the model's
/// [`HotSpotTally`].
fn hot_spots(
    rows: &mut dyn ReportSource,
    scopes: &[Scope<'_>; 2],
    reports: &mut [Report; 2],
) -> Result<(), CoreError> {
    let detected_by = RowScope {
        from: day(EARLIEST_DATE),
        ..scopes[0].rows.clone()
    };
    let mut tallies_of = [HotSpotTally::default(), HotSpotTally::default()];
    for (id, stages) in rows.hot_spots(&detected_by)? {
        let spans: Vec<HotSpotSpan> = serde_json::from_str(&stages)
            .map_err(|e| bad_row("hotspot_rows", format!("{id}: {e}")))?;
        for (tally, scope) in tallies_of.iter_mut().zip(scopes) {
            tally.add(&spans, scope.period);
        }
    }
    for (tally, report) in tallies_of.iter().zip(reports.iter_mut()) {
        report.indicators.extend([
            Indicator::amount(I::HotSpotsDetected, tally.detected as f64),
            Indicator::amount(I::HotSpotsResolved, tally.resolved as f64),
            Indicator::amount(I::HotSpotsOpen, (tally.known - tally.resolved_now()) as f64),
            Indicator::share(I::HotSpotsResolvedShare, tally.resolved_now(), tally.known),
        ]);
        report.hot_spots_by_stage = tallies(|s| tally.count_of(s));
    }
    Ok(())
}

/// The sites found in `unit` during `period`, for the map exports, in date
/// order.
pub fn site_features(
    rows: &mut dyn ReportSource,
    units: &OrgTree,
    unit: &str,
    period: &Period,
) -> Result<Vec<SiteFeature>, CoreError> {
    let scope = Scope::new(units, unit, period)?;
    rows.sites(&scope.rows)?
        .into_iter()
        .map(site_feature)
        .collect()
}

fn site_feature(s: SiteValues) -> Result<SiteFeature, CoreError> {
    let bad = |what: &str| bad_row("site_rows", format!("{}: {what}", s.survey));
    let polygon: Option<Vec<GeoPoint>> = s
        .polygon
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|_| bad("polygon"))?;
    Ok(SiteFeature {
        survey: Uuid::parse_str(&s.survey).map_err(|_| bad("id"))?,
        index: u32::try_from(s.idx).map_err(|_| bad("index"))?,
        date: parse_day("site_rows", &s.date)?,
        point: GeoPoint {
            lat: s.lat,
            lon: s.lon,
        },
        polygon,
        area_m2: s.area_m2,
        species: code_of("site_rows", &s.species)?,
        plant_count: u32::try_from(s.plants).map_err(|_| bad("plants"))?,
        action: code_of("site_rows", &s.action)?,
        action_date: parse_day("site_rows", &s.action_date)?,
        replanting: s.replanting,
        commune: s.commune,
    })
}

/// The part of every SQLite report query that picks rows: the period (?1,
/// ?2) and the communes (?3, a JSON list).
const IN_SCOPE: &str = "date >= ?1 AND date <= ?2 AND commune IN (SELECT value FROM json_each(?3))";

fn json_list(codes: &[String]) -> Result<String, CoreError> {
    serde_json::to_string(codes).map_err(|e| bad_row("communes", e.to_string()))
}

impl SqliteRows<'_> {
    /// The rows of a query, each read by `row`.
    fn select<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        row: impl Fn(&Row<'_>) -> Result<T, CoreError>,
    ) -> Result<Vec<T>, CoreError> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut found = Vec::new();
        while let Some(r) = rows.next()? {
            found.push(row(r)?);
        }
        Ok(found)
    }
}

impl ReportSource for SqliteRows<'_> {
    fn each_in_scope(
        &mut self,
        sql: &str,
        scope: &RowScope,
        row: &mut dyn FnMut(&dyn Columns) -> Result<(), CoreError>,
    ) -> Result<(), CoreError> {
        let communes = json_list(&scope.communes)?;
        let mut stmt = self.0.prepare_cached(&sql.replace(SCOPE, IN_SCOPE))?;
        let mut rows = stmt.query(params![scope.from, scope.until, communes])?;
        while let Some(r) = rows.next()? {
            row(r)?;
        }
        Ok(())
    }

    fn session_groups(&mut self, scope: &RowScope) -> Result<Vec<SessionGroup>, CoreError> {
        in_scope(
            self,
            "SELECT form, venue_kind, count(*), sum(attendees), sum(women), sum(materials), sum(pledges)
                 FROM session_rows WHERE {scope} GROUP BY form, venue_kind",
            scope,
            |r| SessionGroup::from_row(r),
        )
    }

    fn visits(&mut self, until: &str, communes: &[String]) -> Result<Vec<VisitRow>, CoreError> {
        self.select(
            &format!(
                "SELECT c.person, c.date, c.attended, c.next_visit, c.supported, c.test_result,
                   c.psychosis, d.commune
                 FROM checkin_rows c JOIN person_rows p ON p.id = c.person
                 JOIN documents d ON d.id = c.id
                 WHERE c.date <= ?1 AND ((d.commune = p.commune
                     AND p.commune IN (SELECT value FROM json_each(?2)))
                   OR p.id IN ({MOVED_PEOPLE}))
                 ORDER BY c.person, c.date, c.id"
            ),
            params![until, json_list(communes)?],
            |r| VisitRow::from_row(r),
        )
    }

    fn people(&mut self, communes: &[String]) -> Result<Vec<(String, String, String)>, CoreError> {
        self.select(
            &format!(
                "SELECT id, statuses, commune FROM person_rows
                 WHERE commune IN (SELECT value FROM json_each(?1)) OR id IN ({MOVED_PEOPLE})"
            ),
            params![json_list(communes)?],
            |r| Ok((r.col(0)?, r.col(1)?, r.col(2)?)),
        )
    }

    fn moves(&mut self) -> Result<Vec<(String, String)>, CoreError> {
        self.select(MOVES_SQL, [], |r| Ok((r.col(0)?, r.col(1)?)))
    }

    fn register(&mut self, communes: &[String]) -> Result<Vec<RegisterEntry>, CoreError> {
        self.select(
            &format!(
                "SELECT {REGISTER_COLUMNS} FROM person_rows
                 WHERE commune IN (SELECT value FROM json_each(?1))
                 ORDER BY commune, name_key, id"
            ),
            params![json_list(communes)?],
            |r| register_entry(r),
        )
    }

    fn shared_citizen_ids(&mut self) -> Result<Vec<SharedCitizenId>, CoreError> {
        self.select(SHARED_CITIZEN_IDS_SQL, [], |r| shared_citizen_id(r))
    }

    fn person_keys(&mut self) -> Result<Vec<PersonKey>, CoreError> {
        self.select(PERSON_KEYS_SQL, [], |r| person_key(r))
    }

    fn survey_totals(&mut self, scope: &RowScope) -> Result<SurveyTotals, CoreError> {
        let mut totals = in_scope(
            self,
            "SELECT count(*), total(area_covered_ha), coalesce(sum(sites), 0),
                        coalesce(sum(plants), 0), total(area_m2), coalesce(sum(replanting), 0)
                 FROM survey_rows WHERE {scope}",
            scope,
            |r| SurveyTotals::from_row(r),
        )?;
        Ok(totals.pop().unwrap_or_default())
    }

    fn sites(&mut self, scope: &RowScope) -> Result<Vec<SiteValues>, CoreError> {
        in_scope(
            self,
            &format!(
                "SELECT {SITE_COLUMNS} FROM site_rows WHERE {{scope}} ORDER BY date, survey, idx"
            ),
            scope,
            |r| site_from_row(r),
        )
    }

    fn drug_free(
        &mut self,
        year: i32,
        communes: &[String],
    ) -> Result<Vec<(String, bool)>, CoreError> {
        self.select(
            "SELECT commune, drug_free FROM drug_free_communes
             WHERE year = ?1 AND commune IN (SELECT value FROM json_each(?2))",
            params![year, json_list(communes)?],
            |r| Ok((r.col(0)?, r.col(1)?)),
        )
    }
}
