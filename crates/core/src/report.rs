//! Reports computed from the projection tables (`*_rows`), for one org unit
//! rolled up through the tree and one period. The functions take a plain
//! SQLite connection holding those tables, not a [`crate::Store`], so a hub
//! that builds the same rows (the device migrations and
//! `projection::project`) computes the same figures with the same code.
//!
//! Sums and counts are SQL aggregates; what needs a person's whole history
//! (status in force, visits due) is counted by the model's
//! [`ManagementTally`], one person at a time.

use crate::projection::day;
use crate::text::fold;
use crate::CoreError;
use chrono::NaiveDate;
use pcmt_model::report::{
    tallies, Indicator, IndicatorCode as I, ManagementTally, NamedUnit, Period, Report,
    SiteFeature, VisitFacts,
};
use pcmt_model::{
    AudienceGroup, GeoPoint, Labelled, OrgLevel, OrgTree, OrgUnit, SessionForm, StatusRules,
    StatusSpan, TestResult, VenueKind,
};
use rusqlite::{params, Connection, Row};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// The part of every report query that picks rows: the period (?1, ?2) and
/// the communes of the unit (?3, a JSON list).
const IN_SCOPE: &str = "date >= ?1 AND date <= ?2 AND commune IN (SELECT value FROM json_each(?3))";

/// The communes a report covers, and the query parameters that select them.
struct Scope<'a> {
    period: &'a Period,
    communes: Vec<&'a OrgUnit>,
    communes_json: String,
}

impl<'a> Scope<'a> {
    fn new(units: &'a OrgTree, unit: &'a str, period: &'a Period) -> Result<Self, CoreError> {
        if units.get(unit).is_none() {
            return Err(CoreError::UnknownOrgUnit(unit.into()));
        }
        let communes: Vec<&OrgUnit> = units.units_within(unit, OrgLevel::Commune).collect();
        let codes: Vec<&str> = communes.iter().map(|c| c.code.as_str()).collect();
        let communes_json =
            serde_json::to_string(&codes).map_err(|e| CoreError::CorruptRecord {
                id: unit.into(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            period,
            communes,
            communes_json,
        })
    }

    fn params(&self) -> (String, String, &str) {
        (
            day(self.period.from),
            day(self.period.until),
            self.communes_json.as_str(),
        )
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
/// rolled up over its communes) for `period`.
pub fn compute(
    conn: &Connection,
    units: &OrgTree,
    rules: &StatusRules,
    unit: &str,
    period: &Period,
) -> Result<Report, CoreError> {
    let scope = Scope::new(units, unit, period)?;
    let name = units.get(unit).map(named).unwrap_or_else(|| NamedUnit {
        code: unit.into(),
        name: unit.into(),
    });
    let mut report = Report {
        unit: name,
        period: *period,
        indicators: Vec::new(),
        sessions_by_form: Vec::new(),
        sessions_by_venue: Vec::new(),
        attendees_by_group: Vec::new(),
        communes_not_reached: Vec::new(),
        schools_not_reached: Vec::new(),
        zones_not_reached: Vec::new(),
        people_by_status: Vec::new(),
        sites_by_species: Vec::new(),
        communes_without_finding: Vec::new(),
    };
    sessions(conn, units, unit, &scope, &mut report)?;
    management(conn, rules, &scope, &mut report)?;
    eradication(conn, &scope, &mut report)?;
    Ok(report)
}

fn sessions(
    conn: &Connection,
    units: &OrgTree,
    unit: &str,
    scope: &Scope<'_>,
    report: &mut Report,
) -> Result<(), CoreError> {
    let mut by_form: HashMap<SessionForm, u64> = HashMap::new();
    let mut by_venue: HashMap<VenueKind, u64> = HashMap::new();
    let [mut total, mut attendees, mut women, mut materials, mut pledges] = [0u64; 5];
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT form, venue_kind, count(*), sum(attendees), sum(women), sum(materials), sum(pledges)
         FROM session_rows WHERE {IN_SCOPE} GROUP BY form, venue_kind"
    ))?;
    let mut rows = stmt.query(scope.params())?;
    while let Some(r) = rows.next()? {
        let n = count(r.get(2)?);
        *by_form
            .entry(code_of("session_rows", &r.get::<_, String>(0)?)?)
            .or_default() += n;
        *by_venue
            .entry(code_of("session_rows", &r.get::<_, String>(1)?)?)
            .or_default() += n;
        total += n;
        attendees += count(r.get(3)?);
        women += count(r.get(4)?);
        materials += count(r.get(5)?);
        pledges += count(r.get(6)?);
    }

    let mut by_group: HashMap<AudienceGroup, u64> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT audience FROM session_rows WHERE {IN_SCOPE} AND audience != ''"
    ))?;
    let mut rows = stmt.query(scope.params())?;
    while let Some(r) = rows.next()? {
        let text: String = r.get(0)?;
        for part in text.split(',') {
            let (group, n) = part
                .split_once(':')
                .and_then(|(g, n)| Some((AudienceGroup::from_code(g)?, n.parse::<u64>().ok()?)))
                .ok_or_else(|| bad_row("session_rows", format!("audience `{part}`")))?;
            *by_group.entry(group).or_default() += n;
        }
    }

    // Reached: at least one session in the period. A school or industrial
    // zone is matched by its commune, venue kind and name (folded like
    // search keys), since sessions name their venue in words.
    let mut reached_communes = BTreeSet::new();
    let mut reached_venues = BTreeSet::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT DISTINCT commune, venue_kind, venue_key FROM session_rows WHERE {IN_SCOPE}"
    ))?;
    let mut rows = stmt.query(scope.params())?;
    while let Some(r) = rows.next()? {
        let (commune, kind, key): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        reached_communes.insert(commune.clone());
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
    ]);
    report.sessions_by_form = tallies(|f| by_form.get(&f).copied().unwrap_or(0));
    report.sessions_by_venue = tallies(|v| by_venue.get(&v).copied().unwrap_or(0));
    report.attendees_by_group = tallies(|g| by_group.get(&g).copied().unwrap_or(0));
    report.communes_not_reached = not_reached_communes;
    report.schools_not_reached = schools_missed;
    report.zones_not_reached = zones_missed;
    Ok(())
}

fn visit_facts(r: &Row<'_>) -> Result<(String, VisitFacts), CoreError> {
    let date = |col: usize| -> Result<Option<NaiveDate>, CoreError> {
        r.get::<_, Option<String>>(col)?
            .map(|t| {
                NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                    .map_err(|_| bad_row("checkin_rows", format!("date `{t}`")))
            })
            .transpose()
    };
    let result: Option<String> = r.get(5)?;
    Ok((
        r.get(0)?,
        VisitFacts {
            date: date(1)?.ok_or_else(|| bad_row("checkin_rows", "no date"))?,
            attended: r.get(2)?,
            next_visit: date(3)?,
            supported: r.get(4)?,
            positive_test: result.as_deref() == Some(TestResult::Positive.code()),
            psychosis_signs: r.get(6)?,
        },
    ))
}

fn management(
    conn: &Connection,
    rules: &StatusRules,
    scope: &Scope<'_>,
    report: &mut Report,
) -> Result<(), CoreError> {
    let (_, until, communes) = scope.params();
    // Every visit up to the period's end: the last one before the period
    // decides whether a file is up to date on its first day.
    let mut visits: HashMap<String, Vec<VisitFacts>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT c.person, c.date, c.attended, c.next_visit, c.supported, c.test_result, c.psychosis
         FROM checkin_rows c JOIN person_rows p ON p.id = c.person
         WHERE c.date <= ?1 AND p.commune IN (SELECT value FROM json_each(?2))
         ORDER BY c.person, c.date, c.id",
    )?;
    let mut rows = stmt.query(params![until, communes])?;
    while let Some(r) = rows.next()? {
        let (person, v) = visit_facts(r)?;
        visits.entry(person).or_default().push(v);
    }

    let mut tally = ManagementTally::default();
    let mut stmt = conn.prepare_cached(
        "SELECT id, statuses FROM person_rows WHERE commune IN (SELECT value FROM json_each(?1))",
    )?;
    let mut rows = stmt.query([communes])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let spans: Vec<StatusSpan> = serde_json::from_str(&r.get::<_, String>(1)?)
            .map_err(|e| bad_row("person_rows", format!("{id}: {e}")))?;
        let theirs = visits.get(&id).map(Vec::as_slice).unwrap_or_default();
        tally.add(&spans, theirs, scope.period, rules);
    }

    report.indicators.extend([
        Indicator::amount(I::PeopleManaged, tally.managed as f64),
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
    Ok(())
}

fn eradication(conn: &Connection, scope: &Scope<'_>, report: &mut Report) -> Result<(), CoreError> {
    let (surveys, swept, sites, plants, area, replanting): (i64, f64, i64, i64, f64, i64) = conn
        .prepare_cached(&format!(
            "SELECT count(*), total(area_covered_ha), coalesce(sum(sites), 0),
                    coalesce(sum(plants), 0), total(area_m2), coalesce(sum(replanting), 0)
             FROM survey_rows WHERE {IN_SCOPE}"
        ))?
        .query_row(scope.params(), |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?;

    // Only communes swept in the period can be said to have no finding.
    let mut clean = BTreeSet::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT commune FROM survey_rows WHERE {IN_SCOPE} GROUP BY commune HAVING sum(sites) = 0"
    ))?;
    let mut rows = stmt.query(scope.params())?;
    while let Some(r) = rows.next()? {
        clean.insert(r.get::<_, String>(0)?);
    }
    let mut by_species = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT species, count(*) FROM site_rows WHERE {IN_SCOPE} GROUP BY species"
    ))?;
    let mut rows = stmt.query(scope.params())?;
    while let Some(r) = rows.next()? {
        let species: pcmt_model::PlantSpecies = code_of("site_rows", &r.get::<_, String>(0)?)?;
        by_species.insert(species, count(r.get(1)?));
    }

    report.communes_without_finding = scope
        .communes
        .iter()
        .filter(|c| clean.contains(&c.code))
        .map(|c| named(c))
        .collect();
    report.indicators.extend([
        Indicator::amount(I::Surveys, count(surveys) as f64),
        Indicator::amount(I::AreaSwept, swept),
        Indicator::amount(I::SitesFound, count(sites) as f64),
        Indicator::amount(I::PlantsDestroyed, count(plants) as f64),
        Indicator::amount(I::AreaDestroyed, area),
        Indicator::amount(I::ReplantingFound, count(replanting) as f64),
        Indicator::amount(
            I::CommunesWithoutFinding,
            report.communes_without_finding.len() as f64,
        ),
    ]);
    report.sites_by_species = tallies(|s| by_species.get(&s).copied().unwrap_or(0));
    Ok(())
}

/// The sites found in `unit` during `period`, for the map exports, in date
/// order.
pub fn site_features(
    conn: &Connection,
    units: &OrgTree,
    unit: &str,
    period: &Period,
) -> Result<Vec<SiteFeature>, CoreError> {
    let scope = Scope::new(units, unit, period)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT survey, idx, date, commune, lat, lon, polygon, area_m2, species, plants, action,
                action_date, replanting
         FROM site_rows WHERE {IN_SCOPE} ORDER BY date, survey, idx"
    ))?;
    let mut rows = stmt.query(scope.params())?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(site_feature(r)?);
    }
    Ok(out)
}

fn site_feature(r: &Row<'_>) -> Result<SiteFeature, CoreError> {
    let survey: String = r.get(0)?;
    let bad = |what: &str| bad_row("site_rows", format!("{survey}: {what}"));
    let date = |col: usize| -> Result<NaiveDate, CoreError> {
        NaiveDate::parse_from_str(&r.get::<_, String>(col)?, "%Y-%m-%d").map_err(|_| bad("date"))
    };
    let polygon: Option<Vec<GeoPoint>> = r
        .get::<_, Option<String>>(6)?
        .map(|t| serde_json::from_str(&t))
        .transpose()
        .map_err(|_| bad("polygon"))?;
    Ok(SiteFeature {
        survey: Uuid::parse_str(&survey).map_err(|_| bad("id"))?,
        index: r.get(1)?,
        date: date(2)?,
        commune: r.get(3)?,
        point: GeoPoint {
            lat: r.get(4)?,
            lon: r.get(5)?,
        },
        polygon,
        area_m2: r.get(7)?,
        species: code_of("site_rows", &r.get::<_, String>(8)?)?,
        plant_count: r.get(9)?,
        action: code_of("site_rows", &r.get::<_, String>(10)?)?,
        action_date: date(11)?,
        replanting: r.get(12)?,
    })
}
