//! The officer's waits in the real app window (issue 22): the release app
//! binary under tauri-driver and Xvfb, its store the production one
//! (SQLCipher, file-backed, synchronous=FULL) holding the demo district
//! plus 10,000 varied people (`pcmt_model::fixtures::varied`), the hub
//! stopped after enrolment (an officer in the field: auto-sync finds no hub
//! and stays out of the way).
//!
//! Measured, each over several starts of the app:
//! - start: from asking tauri-driver for a session (which starts the app)
//!   to the PIN screen; this includes WebDriver's own set-up, so it is an
//!   upper bound. Beside it, the page's own time to the PIN screen
//!   (`performance.now()` when it is found: from the WebView's navigation
//!   start, not the process's);
//! - unlock: the PIN's button to Today's figures; beside it Argon2id alone,
//!   measured in this process on the same vault, and the difference;
//! - list: the people button to the register's first page and due list;
//! - search: the keystroke that completes a name to its results;
//! - person: a row of the register to the person's file;
//! - save: the check-in's save button to "Đã ghi lần gặp".
//!
//! The in-window waits are timed inside the page (performance.now() from
//! the click or keystroke until the screen shows what the officer waits
//! for, polled every 2 ms), so WebDriver's round trips are not counted.
//! Every wait is checked for what it shows (the right person, the right
//! search results computed from the same store, each check-in saved): any
//! difference fails the run. Writes `$PCMT_BENCH_DIR/app.json`.

use fantoccini::wd::TimeoutConfiguration;
use pcmt_core::vault::Vault;
use pcmt_core::{Author, Store};
use pcmt_model::fixtures::varied::{FieldWork, Rng};
use pcmt_model::OrgTree;
use sotay_pcmt::e2e::{AppWindow, HubProcess, PIN};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

const PEOPLE: usize = 10_000;
const RUNS: usize = 3;
const COMMUNES: [&str; 3] = ["62-610-23284", "62-610-23287", "62-610-23290"];
/// The store's file in the app's data folder (src-tauri/src/state.rs).
const DB_FILE: &str = "sotay-pcmt.db";

/// The goals of issue 22, in milliseconds.
const GOALS: [(&str, f64); 5] = [
    ("start_ms", 2000.0),
    ("unlock_after_kdf_ms", 1000.0),
    ("list_ms", 300.0),
    ("search_ms", 150.0),
    ("save_ms", 200.0),
];

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Runs `action` in the page and waits there until `cond` holds; the
/// milliseconds between, or a failure (naming `step`) after 60 s.
async fn timed(app: &AppWindow, step: &str, action: &str, cond: &str) -> f64 {
    let script = format!(
        r#"const done = arguments[arguments.length - 1];
           const cond = () => {{ try {{ return !!({cond}); }} catch (e) {{ return false; }} }};
           const t0 = performance.now();
           {action};
           const poll = () => {{
             const t = performance.now() - t0;
             if (cond()) done(t);
             else if (t > 60000) done(-1);
             else setTimeout(poll, 2);
           }};
           poll();"#
    );
    // WebDriver's own limit above the page's 60 s: the page says first.
    app.client
        .update_timeouts(TimeoutConfiguration::new(
            Some(Duration::from_secs(90)),
            None,
            None,
        ))
        .await
        .expect("script timeout set");
    let ms = app
        .client
        .execute_async(&script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{step}: the timed script did not answer: {e}"))
        .as_f64()
        .unwrap_or(-1.0);
    assert!(ms >= 0.0, "{step}: never shown: {cond}");
    println!("{step}: {ms:.0} ms");
    ms
}

/// The register's rows as the page shows them: how many, and the first's id.
fn list_is(count: usize, first: Uuid) -> String {
    format!(
        "document.querySelectorAll('#people-list li.person').length === {count} && \
         document.querySelector('#people-list li.person').dataset.id === '{first}'"
    )
}

/// Sets the search field as a keystroke would, firing the input event.
fn type_search(text: &str) -> String {
    format!(
        "const input = document.getElementById('people-search');
         Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, {text:?});
         input.dispatchEvent(new Event('input', {{ bubbles: true }}))"
    )
}

/// A search whose last keystroke changes what the register shows: the
/// name typed up to its last letter, the whole name, and what each shows
/// (count, first row) as the store answers them.
struct Search {
    before: String,
    full: String,
    before_shows: (usize, Uuid),
    full_shows: (usize, Uuid),
    person: Uuid,
}

fn shows(store: &Store, query: &str) -> (usize, Uuid) {
    let rows = store.search_people(query, 50, 0).expect("search");
    (rows.len(), rows.first().map(|r| r.id).unwrap_or_default())
}

fn choose_search(store: &Store, people: &[(Uuid, String)]) -> Search {
    for (id, name) in people.iter().step_by(97) {
        let full = name.clone();
        let mut before = full.clone();
        before.pop();
        let (before_shows, full_shows) = (shows(store, &before), shows(store, &full));
        let found = store
            .search_people(&full, 50, 0)
            .expect("search")
            .iter()
            .any(|r| r.id == *id);
        if found && before_shows != full_shows && full_shows.0 > 0 {
            return Search {
                before,
                full,
                before_shows,
                full_shows,
                person: *id,
            };
        }
    }
    panic!("no name whose last letter changes the results");
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn wasm_bytes() -> u64 {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("frontend/dist");
    std::fs::read_dir(&dist)
        .expect("frontend/dist (cargo xtask builds it)")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum()
}

#[derive(Default)]
struct Samples {
    start_ms: Vec<f64>,
    page_to_pin_ms: Vec<f64>,
    unlock_ms: Vec<f64>,
    list_ms: Vec<f64>,
    search_ms: Vec<f64>,
    person_ms: Vec<f64>,
    save_ms: Vec<f64>,
}

/// One start of the app, and the officer's round through it.
async fn one_round(tablet: &Path, search: &Search, out: &mut Samples) {
    let started = Instant::now();
    let app = AppWindow::start(tablet, "http://127.0.0.1:9", "").await;
    app.css("#unlock-form").await;
    out.start_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    let page = app
        .js("return performance.now()")
        .await
        .as_f64()
        .unwrap_or(-1.0);
    out.page_to_pin_ms.push(page);

    app.type_into("#pin", PIN).await;
    out.unlock_ms.push(
        timed(
            &app,
            "unlock",
            "document.getElementById('unlock').click()",
            "document.querySelector('#stat-overdue strong')",
        )
        .await,
    );

    out.list_ms.push(
        timed(
            &app,
            "list",
            "document.getElementById('nav-people').click()",
            "document.querySelectorAll('#people-list li.person').length === 50 && \
             document.querySelector('#people-due li, #people-due-empty')",
        )
        .await,
    );

    // Typed up to the last letter (not timed), then the last keystroke.
    timed(
        &app,
        "search (all but the last letter)",
        &type_search(&search.before),
        &list_is(search.before_shows.0, search.before_shows.1),
    )
    .await;
    out.search_ms.push(
        timed(
            &app,
            "search",
            &type_search(&search.full),
            &list_is(search.full_shows.0, search.full_shows.1),
        )
        .await,
    );

    let row = format!("#people-list li[data-id='{}'] .row-button", search.person);
    out.person_ms.push(
        timed(
            &app,
            "person",
            &format!("document.querySelector(\"{row}\").click()"),
            &format!(
                "(document.querySelector('#person-name') || {{}}).textContent === {:?}",
                search.full
            ),
        )
        .await,
    );

    app.click("#checkin").await;
    app.type_into("#health_state", "Sức khỏe ổn định, làm nương cùng gia đình, không có biểu hiện sử dụng lại; gia đình cam kết phối hợp theo dõi.")
        .await;
    out.save_ms.push(
        timed(
            &app,
            "save",
            "document.getElementById('save').click()",
            "(document.getElementById('notice') || {}).textContent.includes('Đã ghi lần gặp')",
        )
        .await,
    );
    app.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let tablet = dir.path().join("tablet");

    // Enrolled once, as an officer does at the district office.
    {
        let hub = HubProcess::start(dir.path());
        let code = hub.issue_code(&COMMUNES);
        let app = AppWindow::start(&tablet, &hub.url, &code).await;
        app.set_pin().await;
        app.set_up("A Lưu", "Công an xã Đăk Pék").await;
        app.wait_for_text("#notice", "Đồng bộ xong").await;
        app.close().await;
    }

    // The vault opened here as the app opens it: Argon2id alone, timed.
    let vault = Vault::new(tablet.clone());
    let mut kdf_ms = Vec::new();
    let mut key = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        key = Some(vault.unlock(PIN, now_s()).expect("the PIN opens the vault"));
        kdf_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let key = key.expect("a key");

    // 10,000 people, varied, through the store's own command.
    let seeded = Instant::now();
    let people: Vec<(Uuid, String)>;
    let search;
    {
        let mut store = Store::open_encrypted(&tablet.join(DB_FILE), &key, OrgTree::demo())
            .expect("the app's store opens");
        let units = OrgTree::demo();
        let mut work = FieldWork {
            rng: Rng::new(22),
            units: &units,
            today: chrono::Local::now().date_naive(),
        };
        let author = Author {
            officer: "A Lưu".into(),
        };
        people = (0..PEOPLE)
            .map(|i| {
                let input = work.person(COMMUNES[i % COMMUNES.len()]);
                let row = store
                    .create_person(&input, &author, work.today)
                    .expect("a varied person is valid");
                (row.id, input.full_name)
            })
            .collect();
        search = choose_search(&store, &people);
    }
    let seed_s = seeded.elapsed().as_secs_f64();
    println!(
        "seeded {PEOPLE} people in {seed_s:.1} s; search {:?} → {:?}",
        search.before, search.full
    );

    let mut samples = Samples::default();
    for round in 0..RUNS {
        one_round(&tablet, &search, &mut samples).await;
        println!("round {round} done");
    }

    // What the waits showed was right: each round's check-in is stored.
    let store = Store::open_encrypted(&tablet.join(DB_FILE), &key, OrgTree::demo())
        .expect("the app's store opens");
    let visits = store.checkins_of(search.person).expect("check-ins").len();
    let mut failures = Vec::new();
    if visits != RUNS {
        failures.push(format!("{visits} check-ins saved, {RUNS} expected"));
    }
    let registered = store
        .search_people("", 20_000, 0)
        .expect("the register")
        .len();
    if registered < PEOPLE {
        failures.push(format!(
            "{registered} people in the register, {PEOPLE} seeded"
        ));
    }

    let kdf = median(&kdf_ms);
    let unlock = median(&samples.unlock_ms);
    let mut summary = serde_json::json!({
        "people": registered,
        "runs": RUNS,
        "wasm_bytes": wasm_bytes(),
        "start_ms": median(&samples.start_ms),
        "page_to_pin_ms": median(&samples.page_to_pin_ms),
        "unlock_ms": unlock,
        "unlock_kdf_ms": kdf,
        "unlock_after_kdf_ms": (unlock - kdf).max(0.0),
        "list_ms": median(&samples.list_ms),
        "search_ms": median(&samples.search_ms),
        "person_ms": median(&samples.person_ms),
        "save_ms": median(&samples.save_ms),
        "seed_s": seed_s,
    });
    for (name, goal) in GOALS {
        summary[format!("goal_{name}")] = goal.into();
    }
    for (name, v) in [
        ("start_ms", &samples.start_ms),
        ("unlock_ms", &samples.unlock_ms),
        ("list_ms", &samples.list_ms),
        ("search_ms", &samples.search_ms),
        ("person_ms", &samples.person_ms),
        ("save_ms", &samples.save_ms),
    ] {
        summary[format!("samples_{name}")] = serde_json::json!(v);
    }
    let out = std::env::var_os("PCMT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bench"));
    std::fs::create_dir_all(&out).expect("the bench folder");
    let path = out.join("app.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&summary).expect("json")).expect("write");
    println!("{}", serde_json::to_string_pretty(&summary).expect("json"));
    if !failures.is_empty() {
        eprintln!("WRONG RESULTS: {failures:?}");
        std::process::exit(1);
    }
}
