//! Report benchmark: the yearly report of a province of 100 communes holding
//! `PCMT_BENCH_RECORDS` records (default 100,000: sessions, person files,
//! check-ins, surveys, some with walked sites, and drug hot spots, dated
//! over 2025 and 2026),
//! with every indicator beside the year before, plus its map features and
//! workbook. The sessions and hot spots detected counted in both years are
//! checked against the generator's own count, and a difference fails the
//! run.
//!
//! The records are saved through the normal store commands, once: the
//! database is kept in the bench folder (`report-<records>-v<N>.db`) and
//! reused by later runs, since building it takes minutes on 2 cores.
//!
//! Writes `$PCMT_BENCH_DIR/report.json` (default target/bench) with
//! `records` and `report_s` (median of the timed runs).

use chrono::{Datelike, Days, NaiveDate};
use pcmt_core::{Author, Store};
use pcmt_model::fixtures::{self, day, span, square};
use pcmt_model::report::{IndicatorCode, Period};
use pcmt_model::{
    AudienceCount, AudienceGroup, Labelled, Lang, LegalStatus, OrgLevel, OrgTree, OrgUnit,
    PersonInput, SessionDetails, SessionForm, SessionInput, SupportKind, SurveyInput, VenueKind,
};
use std::path::{Path, PathBuf};
use std::time::Instant;
use uuid::Uuid;

/// Bump when the generated data changes, so a stale cached database is not
/// reused.
const DATA_VERSION: u32 = 5;
const DISTRICTS: usize = 10;
const COMMUNES_PER_DISTRICT: usize = 10;
const RUNS: usize = 7;

fn unit(code: String, name: String, level: OrgLevel, parent: Option<&str>) -> OrgUnit {
    OrgUnit::new(&code, &name, level, parent)
}

/// Province "90" → 10 districts → 10 communes each, every commune with two
/// villages and a school, every district with an industrial zone.
fn province() -> OrgTree {
    let mut units = vec![unit(
        "90".into(),
        "Tỉnh đo hiệu năng".into(),
        OrgLevel::Province,
        None,
    )];
    for d in 0..DISTRICTS {
        let dc = format!("90-{d:02}");
        units.push(unit(
            dc.clone(),
            format!("Huyện {d}"),
            OrgLevel::District,
            Some("90"),
        ));
        for c in 0..COMMUNES_PER_DISTRICT {
            let cc = format!("{dc}-{c:02}");
            units.push(unit(
                cc.clone(),
                format!("Xã {d}-{c}"),
                OrgLevel::Commune,
                Some(&dc),
            ));
            for v in 1..=2 {
                units.push(unit(
                    format!("{cc}-V{v}"),
                    format!("Thôn {v} xã {d}-{c}"),
                    OrgLevel::Village,
                    Some(&cc),
                ));
            }
            let name = format!("Xã {d}-{c}");
            units.push(unit(
                format!("{cc}-S1"),
                school_of(&name),
                OrgLevel::School,
                Some(&cc),
            ));
            if c == 0 {
                units.push(unit(
                    format!("{cc}-K1"),
                    zone_of(&name),
                    OrgLevel::IndustrialZone,
                    Some(&cc),
                ));
            }
            units.push(unit(
                format!("{cc}-A1"),
                agency_of(&name),
                OrgLevel::Agency,
                Some(&cc),
            ));
        }
    }
    OrgTree::from_units(units).expect("generated tree")
}

/// Sessions name their venue in words; these are the names the tree holds.
fn school_of(commune_name: &str) -> String {
    format!("Trường THCS {commune_name}")
}

fn zone_of(commune_name: &str) -> String {
    format!("Cụm công nghiệp {commune_name}")
}

fn agency_of(commune_name: &str) -> String {
    format!("Trạm Y tế {commune_name}")
}

fn communes(tree: &OrgTree) -> Vec<OrgUnit> {
    tree.communes().cloned().collect()
}

/// A day from 1 January 2025 to 20 November 2026, spread by `i`: the
/// yearly report of 2026 reads about half the records, and its comparison
/// with the same days of 2025 the other half, as a real province's would.
fn dated(i: usize) -> NaiveDate {
    day(2025, 1, 1) + Days::new((i * 7919 % 689) as u64)
}

/// What the `i`-th record of a commune's `round` is; `has_people` whether the
/// commune has a person file to visit yet.
#[derive(PartialEq)]
enum Kind {
    Person,
    CheckIn,
    Survey,
    Session,
    HotSpot,
}

fn kind_of(round: usize, has_people: bool) -> Kind {
    match round % 10 {
        // One round in 40: a commune records a hot spot every few weeks.
        3 if round % 40 == 3 => Kind::HotSpot,
        4 => Kind::Person,
        5..=8 if has_people => Kind::CheckIn,
        9 => Kind::Survey,
        _ => Kind::Session,
    }
}

/// The records of `kind` dated in `year` (a session's day, a hot spot's
/// detection) the generator made, counted without the store: the report
/// must find exactly these.
fn made_in(kind: Kind, year: i32, records: usize, communes: usize) -> usize {
    (0..records)
        .filter(|&i| {
            let round = i / communes;
            // A commune has a person from its first round 4 on.
            kind_of(round, round > 4) == kind && dated(round).year() == year
        })
        .count()
}

/// A hot spot detected on `dated(i)`; one in two dealt with a week later,
/// and of those one in two cleared a month after detection, when that is
/// before the day the records are made.
fn hot_spot(i: usize, commune: &OrgUnit, made_on: NaiveDate) -> pcmt_model::HotSpotInput {
    use pcmt_model::HotSpotStage as H;
    let found = dated(i);
    let mut stages = vec![fixtures::hot_spot_span(H::Detected, found)];
    // The spot's number among the commune's (`i` is always 3 past a
    // multiple of 40).
    let n = i / 40;
    for (step, stage, after) in [(2, H::BeingDealtWith, 7), (4, H::Cleared, 37)] {
        let on = found + Days::new(after);
        if n % step == 0 && on <= made_on {
            stages.push(fixtures::hot_spot_span(stage, on));
        }
    }
    pcmt_model::HotSpotInput {
        commune: commune.code.clone(),
        village: Some(format!("{}-V1", commune.code)),
        stages,
        ..fixtures::hot_spot(&format!("Quán {i}"), found)
    }
}

fn person(i: usize, commune: &OrgUnit) -> PersonInput {
    use LegalStatus as L;
    let statuses = match i % 4 {
        // Under management before the first check-in (June 2025).
        0 => vec![span(L::DrugUserManaged, day(2024, 9, 1), None)],
        1 => vec![span(L::VoluntaryCommunityRehab, day(2025, 1, 10), None)],
        2 => vec![
            span(L::CompulsoryRehab, day(2024, 3, 1), Some(day(2025, 3, 1))),
            span(L::PostRehab, day(2025, 3, 1), None),
        ],
        _ => vec![span(L::AddictionConfirmed, day(2025, 5, 1), None)],
    };
    PersonInput {
        commune: commune.code.clone(),
        village: Some(format!("{}-V1", commune.code)),
        statuses,
        ..fixtures::person(&format!("Nguyễn Văn Đo {i}"))
    }
}

fn session(i: usize, commune: &OrgUnit) -> SessionInput {
    let (kind, name) = match i % 5 {
        0 => (VenueKind::School, school_of(&commune.name)),
        1 => (VenueKind::IndustrialZone, zone_of(&commune.name)),
        2 => (VenueKind::Agency, agency_of(&commune.name)),
        _ => (
            VenueKind::VillageHall,
            format!("Nhà văn hóa thôn {}", i % 7),
        ),
    };
    SessionInput {
        date: dated(i),
        commune: commune.code.clone(),
        venue_kind: kind,
        venue_name: name,
        form: SessionForm::ALL[i % SessionForm::ALL.len()],
        attendees: 40 + (i % 200) as u32,
        women: 20,
        details: SessionDetails {
            audience: vec![
                AudienceCount {
                    group: AudienceGroup::Students,
                    count: 20,
                },
                AudienceCount {
                    group: AudienceGroup::Parents,
                    count: 10,
                },
            ],
            materials: 50,
            pledges: (i % 30) as u32,
            ..SessionDetails::default()
        },
        ..fixtures::session("")
    }
}

fn survey(i: usize, commune: &OrgUnit) -> SurveyInput {
    let date = dated(i);
    let mut s = SurveyInput {
        date,
        commune: commune.code.clone(),
        villages: vec![format!("{}-V1", commune.code)],
        area_covered_ha: Some(20.0 + (i % 50) as f64),
        ..fixtures::survey_without_findings()
    };
    if i % 5 == 0 {
        let mut site = fixtures::poppy_site();
        let lat = 14.5 + (i % 100) as f64 * 0.001;
        site.point.lat = lat;
        site.polygon = Some(square(lat, site.point.lon, 30.0));
        site.action.date = date;
        s.sites.push(site);
    }
    s
}

fn build(path: &Path, tree: &OrgTree, records: usize) {
    let mut store = Store::open(path, tree.clone()).expect("store");
    let author = Author {
        officer: "Cán bộ đo hiệu năng".into(),
    };
    let today = day(2026, 11, 24);
    let communes = communes(tree);
    let mut people: Vec<Vec<Uuid>> = vec![Vec::new(); communes.len()];
    for i in 0..records {
        let c = i % communes.len();
        let commune = &communes[c];
        let round = i / communes.len();
        match kind_of(round, !people[c].is_empty()) {
            Kind::Person => {
                let row = store
                    .create_person(&person(round, commune), &author, today)
                    .expect("person");
                people[c].push(row.id);
            }
            Kind::CheckIn => {
                let who = people[c][round % people[c].len()];
                // From June 2025 to mid-November 2026.
                let mut visit =
                    fixtures::checkin(who, day(2025, 6, 1) + Days::new((round % 530) as u64));
                visit.support = if round % 3 == 0 {
                    vec![]
                } else {
                    vec![SupportKind::Counselling]
                };
                store
                    .create_checkin(&visit, &author, today)
                    .expect("check-in");
            }
            Kind::Survey => {
                store
                    .create_survey(&survey(i, commune), &author, today)
                    .expect("survey");
            }
            Kind::Session => {
                store
                    .create_session(&session(round, commune), &author, today)
                    .expect("session");
            }
            Kind::HotSpot => {
                store
                    .create_hot_spot(&hot_spot(round, commune, today), &author, today)
                    .expect("hot spot");
            }
        }
        if i > 0 && i % 10_000 == 0 {
            println!("  {i} records saved");
        }
    }
}

fn main() {
    let records: usize = std::env::var("PCMT_BENCH_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let out_dir = std::env::var_os("PCMT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench"));
    std::fs::create_dir_all(&out_dir).expect("bench output folder");
    let tree = province();
    let db = out_dir.join(format!("report-{records}-v{DATA_VERSION}.db"));

    let mut build_s = None;
    if !db.exists() {
        println!("building {} through store commands (once)…", db.display());
        let partial = db.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        let t = Instant::now();
        build(&partial, &tree, records);
        std::fs::rename(&partial, &db).expect("keep the built database");
        build_s = Some(t.elapsed().as_secs_f64());
    } else {
        println!("reusing {}", db.display());
    }

    let store = Store::open(&db, tree).expect("store");
    let year = Period::year(2026).expect("2026");
    let mut times = Vec::new();
    let mut report = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = store.report("90", &year, year.until).expect("report");
        times.push(t.elapsed().as_secs_f64());
        report = Some(r);
    }
    times.sort_by(f64::total_cmp);
    let report = report.expect("at least one run");
    let t = Instant::now();
    let sites = store.site_features("90", &year).expect("sites");
    let sites_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let xlsx = pcmt_export::xlsx(&report, Lang::Vi).expect("workbook");
    let xlsx_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let geojson = pcmt_export::geojson(&sites).expect("geojson");
    let geojson_s = t.elapsed().as_secs_f64();

    let value = |c: IndicatorCode| {
        report
            .indicator(c)
            .and_then(|i| i.value)
            .unwrap_or(f64::NAN)
    };
    // The sessions this year and the year before, against the generator's
    // own count: a wrong figure fails the run, however fast.
    let communes = DISTRICTS * COMMUNES_PER_DISTRICT;
    let sessions = report.indicator(IndicatorCode::Sessions);
    let got = (
        sessions.and_then(|i| i.value),
        sessions.and_then(|i| i.previous),
    );
    let want = (
        Some(made_in(Kind::Session, 2026, records, communes) as f64),
        Some(made_in(Kind::Session, 2025, records, communes) as f64),
    );
    let spots = report.indicator(IndicatorCode::HotSpotsDetected);
    let spots_got = (spots.and_then(|i| i.value), spots.and_then(|i| i.previous));
    let spots_want = (
        Some(made_in(Kind::HotSpot, 2026, records, communes) as f64),
        Some(made_in(Kind::HotSpot, 2025, records, communes) as f64),
    );
    let summary = serde_json::json!({
        "records": records,
        "communes": DISTRICTS * COMMUNES_PER_DISTRICT,
        "report_s": times[times.len() / 2],
        "report_max_s": times[times.len() - 1],
        "site_features_s": sites_s,
        "xlsx_s": xlsx_s,
        "xlsx_bytes": xlsx.len(),
        "geojson_s": geojson_s,
        "geojson_bytes": geojson.len(),
        "sessions_counted": value(IndicatorCode::Sessions),
        "sessions_previous_year": got.1,
        "sessions_made": want,
        "people_managed": value(IndicatorCode::PeopleManaged),
        "sites_counted": value(IndicatorCode::SitesFound),
        "hot_spots_detected": spots_got,
        "hot_spots_made": spots_want,
        "hot_spots_resolved_share": value(IndicatorCode::HotSpotsResolvedShare),
        "build_s": build_s,
    });
    let path = out_dir.join("report.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary).expect("json"))
        .expect("write summary");
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
    println!("wrote {}", path.display());
    if got != want {
        eprintln!("WRONG: sessions (2026, 2025) counted {got:?}, made {want:?}");
        std::process::exit(1);
    }
    if spots_got != spots_want {
        eprintln!(
            "WRONG: hot spots detected (2026, 2025) counted {spots_got:?}, made {spots_want:?}"
        );
        std::process::exit(1);
    }
}
