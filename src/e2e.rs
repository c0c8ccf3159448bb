//! Driving the real app window for end-to-end tests: the hub binary, then
//! tauri-driver (which starts WebKitWebDriver, which starts the app), and a
//! WebDriver client on top. `cargo xtask test` builds the binaries, puts
//! tauri-driver on PATH, provides a display (Xvfb) and names the paths in
//! the environment variables below.
//!
//! The office dashboard is driven the same way in Debian's headless
//! Chromium through chromedriver ([`AppWindow::chromium`]): same helpers,
//! no display needed.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Path of the built app binary.
pub const APP_ENV: &str = "PCMT_E2E_APP";
/// Path of the built hub binary.
pub const HUB_ENV: &str = "PCMT_E2E_HUB";
/// Folder for screenshots (default: target/e2e).
pub const OUT_ENV: &str = "PCMT_E2E_OUT";
/// chromedriver to use (default: `chromedriver` on PATH).
pub const CHROMEDRIVER_ENV: &str = "PCMT_E2E_CHROMEDRIVER";

/// The app's shortened auto-sync intervals, for a test that waits for it.
pub use pcmt_core::sync::schedule::TEST_INTERVALS_ENV as TEST_SYNC_INTERVALS;

/// How long a screen may take to show what the test waits for.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The app's folder of held steps (the shell's `test_hold`, debug builds):
/// a step waits while a file named after it is there.
pub const TEST_HOLD_DIR: &str = "PCMT_TEST_HOLD_DIR";

/// A slow step of the app held open: unlocking (`unlock`), counting a
/// report (`report`), making an export (`export`), a sync with the store
/// in hand (`sync-store`) or between two exchanges (`sync-progress`).
/// While it lives, that step cannot finish; so whatever the window answers
/// meanwhile, it answers before the step is done.
pub struct Hold(PathBuf);

impl Hold {
    pub fn on(dir: &Path, step: &str) -> Self {
        let file = dir.join(step);
        std::fs::write(&file, b"held by the test").expect("create the hold file");
        Self(file)
    }

    /// Lets the step finish.
    pub fn release(self) {}
}

impl Drop for Hold {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn env_path(name: &str) -> PathBuf {
    match std::env::var_os(name) {
        Some(p) => PathBuf::from(p),
        None => panic!("{name} is not set: end-to-end tests run through `cargo xtask test`"),
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A child process killed when the test ends, pass or fail.
pub struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // A driver started by `driver` leads a process group of its own:
        // killing the group takes the browser or WebKitWebDriver it started
        // too, which would otherwise outlive the test (and hold its output
        // pipe open).
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A WebDriver server, in a process group of its own (see [`Killed`]).
fn driver_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    command
}

/// The hub binary with the demo district, on a port of its own.
pub struct HubProcess {
    pub url: String,
    /// The demo dashboard account's name and password, as the hub printed them.
    pub staff: Option<(String, String)>,
    db: PathBuf,
    _child: Killed,
}

impl HubProcess {
    /// A one-time enrolment code, issued with the hub's own office command.
    pub fn issue_code(&self, communes: &[&str]) -> String {
        self.office_tool(&[
            "--issue-code",
            &communes.join(","),
            "--officer",
            "A Lưu (Công an xã)",
        ])
    }

    /// Whether the hub's store holds changes of record `id`, read from its
    /// database beside the running hub.
    pub fn holds(&self, id: uuid::Uuid) -> bool {
        use pcmt_hub::HubStorage;
        let store = pcmt_hub::HubStore::open(&self.db).expect("the hub's database opens");
        let (docs, _) = store
            .changes_after(0, 64 << 20)
            .expect("the hub's own changes");
        docs.iter().any(|d| d.id == id)
    }

    /// The office withdraws a tablet (`pcmt-hub --revoke`).
    pub fn revoke(&self, device: &str) {
        self.office_tool(&["--revoke", device]);
    }

    /// An administrator account of `unit` (`pcmt-hub --add-staff --admin`).
    pub fn add_admin(&self, name: &str, unit: &str, password: &str) {
        self.office_tool_with(
            &["--add-staff", name, "--unit", unit, "--admin"],
            &[("PCMT_STAFF_PASSWORD", password)],
        );
    }

    /// Runs the hub binary as the office's command-line tool on this hub's
    /// database (beside the running hub); returns what it printed.
    fn office_tool(&self, args: &[&str]) -> String {
        self.office_tool_with(args, &[])
    }

    fn office_tool_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = Command::new(env_path(HUB_ENV))
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("the hub binary runs as an office tool");
        assert!(
            out.status.success(),
            "pcmt-hub {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[])
    }

    /// The demo hub with more of the binary's flags (e.g. `--demo-office`).
    pub fn start_with(dir: &Path, flags: &[&str]) -> Self {
        Self::spawn(dir, "127.0.0.1:0", &[&["--demo"], flags].concat())
    }

    /// A real province's hub as first started: no demo district, no unit
    /// list, no account.
    pub fn start_province(dir: &Path) -> Self {
        Self::spawn(dir, "127.0.0.1:0", &[])
    }

    /// The hub of `dir` started again at the address it had (`url`), with
    /// its database as it was: a district server back after an outage.
    pub fn start_again(dir: &Path, url: &str) -> Self {
        let address = url.strip_prefix("http://").unwrap_or(url);
        Self::spawn(dir, address, &["--demo"])
    }

    fn spawn(dir: &Path, listen: &str, flags: &[&str]) -> Self {
        let mut child = Command::new(env_path(HUB_ENV))
            .args(["--listen", listen, "--db"])
            .arg(dir.join("hub.db"))
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the hub binary starts");
        let stdout = child.stdout.take().expect("hub stdout");
        let child = Killed(child);
        let mut staff = None;
        let mut url = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // "demo dashboard account: NAME / PASSWORD (unit …) at …"
            if let Some(rest) = line.strip_prefix("demo dashboard account: ") {
                let mut words = rest.split_whitespace();
                if let (Some(name), Some("/"), Some(password)) =
                    (words.next(), words.next(), words.next())
                {
                    staff = Some((name.to_string(), password.to_string()));
                }
            }
            if let Some(u) = line.split("listening on ").nth(1) {
                url = Some(u.to_string());
                break;
            }
        }
        Self {
            url: url.expect("the hub prints the address it listens on"),
            staff,
            db: dir.join("hub.db"),
            _child: child,
        }
    }
}

/// The app under tauri-driver, and a WebDriver session on its window.
pub struct AppWindow {
    pub client: Client,
    out: PathBuf,
    _driver: Killed,
}

/// The PIN the tests' officer chooses: six digits, neither repeated nor in a row.
pub const PIN: &str = "730592";

impl AppWindow {
    /// Starts the app with its store in `data_dir`, syncing with `hub_url`
    /// and enrolling with `code` at its first sync.
    pub async fn start(data_dir: &Path, hub_url: &str, code: &str) -> Self {
        Self::start_with_env(data_dir, hub_url, code, &[]).await
    }

    /// As [`AppWindow::start`], with more of the app's environment (e.g.
    /// the auto-sync's shortened test intervals).
    pub async fn start_with_env(
        data_dir: &Path,
        hub_url: &str,
        code: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let (port, native_port) = (free_port(), free_port());
        let driver = driver_command("tauri-driver")
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .envs(env.iter().copied())
            .env("PCMT_DATA_DIR", data_dir)
            .env("PCMT_EXPORT_DIR", data_dir.join("exports"))
            .env("PCMT_HUB_URL", hub_url)
            .env("PCMT_ENROL_CODE", code)
            .env("PCMT_OFFICER", "A Lưu (Công an xã)")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver starts (cargo xtask test puts it on PATH)");
        let driver = Killed(driver);
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            json!({ "application": env_path(APP_ENV) }),
        );
        caps.insert("browserName".into(), json!("wry"));
        Self::connect(port, caps, driver).await
    }

    /// Debian's Chromium, headless, under chromedriver, with its profile and
    /// downloads in `dir`; the window is a 1280-wide office screen.
    pub async fn chromium(dir: &Path) -> Self {
        let port = free_port();
        let driver =
            driver_command(std::env::var_os(CHROMEDRIVER_ENV).unwrap_or("chromedriver".into()))
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("chromedriver starts (Debian package chromium-driver)");
        let driver = Killed(driver);
        let profile = dir.join("profile");
        let downloads = dir.join("downloads");
        std::fs::create_dir_all(&downloads).expect("the downloads folder");
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                // As root Chromium needs --no-sandbox; the rest keeps a test
                // run from reaching the network on its own.
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={},{}", OFFICE.0, OFFICE.1),
                ],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        Self::connect(port, caps, driver).await
    }

    async fn connect(
        port: u16,
        caps: serde_json::Map<String, serde_json::Value>,
        driver: Killed,
    ) -> Self {
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(c) => break c,
                // The driver takes a moment to listen: retry until the deadline.
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => panic!("no WebDriver session: {e}"),
            }
        };
        let out = std::env::var_os(OUT_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e"));
        std::fs::create_dir_all(&out).expect("the screenshot folder");
        Self {
            client,
            out,
            _driver: driver,
        }
    }

    pub async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(el) => el,
            Err(e) => self.fail(format!("`{selector}` did not appear: {e}")).await,
        }
    }

    /// Replaces the text of an input, as an officer would by selecting all and typing.
    pub async fn type_into(&self, selector: &str, text: &str) {
        let el = self.css(selector).await;
        // Emptied and announced in one step, as an officer's select-all and
        // delete: WebDriver's clear fires no input event, and moves the
        // focus away, which lets the screen be drawn again (a draft kept,
        // say) with the old text before the first key.
        let arg = serde_json::to_value(&el).expect("an element reference");
        self.client
            .execute(
                "const f = arguments[0]; f.value = '';
                 f.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![arg],
            )
            .await
            .expect("empty the field");
        if !text.is_empty() {
            el.send_keys(text)
                .await
                .unwrap_or_else(|e| panic!("type {text:?} into {selector}: {e}"));
        }
    }

    /// Picks an option of a drop-down. WebKitWebDriver cannot click an
    /// <option> (it answers with an empty error), so the value is set and the
    /// change announced, as the drop-down itself would; an option that is not
    /// offered fails the test.
    pub async fn choose(&self, selector: &str, value: &str) {
        let el = self.css(selector).await;
        let arg = serde_json::to_value(&el).expect("an element reference");
        let chosen = self
            .client
            .execute(
                "const s = arguments[0]; s.value = arguments[1];
                 if (s.value !== arguments[1]) return false;
                 s.dispatchEvent(new Event('change', {bubbles: true}));
                 return true;",
                vec![arg, value.into()],
            )
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {selector}: {e}"));
        assert_eq!(
            chosen,
            serde_json::Value::Bool(true),
            "{selector} offers no {value}"
        );
    }

    pub async fn click(&self, selector: &str) {
        self.css(selector)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Waits until the text of `selector` contains `needle`; returns that text.
    pub async fn wait_for_text(&self, selector: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = match self.client.find(Locator::Css(selector)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                self.fail(format!(
                    "`{selector}` never showed {needle:?}; it shows {text:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs `check` (clicks, reads), failing the test if the window does
    /// not answer it in [`PATIENCE`]. A window whose main thread is busy
    /// answers nothing, not even WebDriver, so the failure takes no
    /// screenshot (it would wait too).
    pub async fn answers<T>(&self, during: &str, check: impl std::future::Future<Output = T>) -> T {
        match tokio::time::timeout(PATIENCE, check).await {
            Ok(t) => t,
            Err(_) => panic!("the window did not answer while {during}"),
        }
    }

    /// Waits until the form field `selector` holds `value`.
    pub async fn wait_for_value(&self, selector: &str, value: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.value(selector).await;
            if now == value {
                return;
            }
            if Instant::now() > deadline {
                self.fail(format!(
                    "`{selector}` never held {value:?}; it holds {now:?}"
                ))
                .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What the form field `selector` holds.
    pub async fn value(&self, selector: &str) -> String {
        self.css(selector)
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Saves a screenshot of the window as `<out>/<name>.png` and returns its path.
    /// Fails the test with what the officer would have seen instead, for
    /// whoever reads the failure.
    pub async fn fail(&self, what: String) -> ! {
        // Named after the test, so one failure's screen does not hide another's.
        let test = std::thread::current()
            .name()
            .unwrap_or("test")
            .replace("::", "-");
        let shot = self.screenshot(&format!("FAILED-{test}")).await;
        panic!("{what} (screen: {})", shot.display())
    }

    /// Saves the whole page, not just the window: the window is made as
    /// tall as the page (at its current width) for the shot, then restored.
    pub async fn full_page_screenshot(&self, name: &str) -> PathBuf {
        let (w, h) = self
            .client
            .get_window_size()
            .await
            .expect("the window size");
        let page = self
            .js("return Math.ceil(document.documentElement.scrollHeight)")
            .await
            .as_u64()
            .unwrap_or(u64::from(OFFICE.1));
        let chrome = self
            .js("return window.outerHeight - window.innerHeight")
            .await
            .as_u64()
            .unwrap_or(0);
        let tall = u32::try_from(page + chrome).unwrap_or(u32::MAX).min(8000);
        self.client
            .set_window_size(w as u32, tall.max(h as u32))
            .await
            .expect("make the window as tall as the page");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let path = self.screenshot(name).await;
        self.client
            .set_window_size(w as u32, h as u32)
            .await
            .expect("restore the window");
        path
    }

    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.out.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// The dashboard of the hub at `hub_url`, signed in as `name`.
    pub async fn sign_in(&self, hub_url: &str, name: &str, password: &str) {
        self.client
            .goto(&format!("{hub_url}/dashboard"))
            .await
            .expect("the dashboard loads");
        self.type_into("#username", name).await;
        self.type_into("#password", password).await;
        self.click("#sign-in").await;
    }

    /// Picks `file` in the file input `input` (`#units-file`,
    /// `#import-file`), then presses `upload`.
    pub async fn upload(&self, input: &str, file: &Path, upload: &str) {
        self.type_into(input, &file.to_string_lossy()).await;
        self.click(upload).await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }

    /// First start's PIN: chosen and typed twice; the store opens encrypted.
    pub async fn set_pin(&self) {
        self.css("#pin-setup").await;
        self.type_into("#pin", PIN).await;
        self.type_into("#pin-again", PIN).await;
        self.click("#set-pin").await;
        self.css("#start").await;
    }

    /// The PIN screen of a reopened (or idle-locked) app.
    pub async fn unlock(&self) {
        self.css("#unlock-form").await;
        self.type_into("#pin", PIN).await;
        self.click("#unlock").await;
        self.css("#nav-today").await;
    }

    /// The first-start screen, as an officer fills it in: name and unit typed,
    /// hub address and office code as the environment offered them.
    pub async fn set_up(&self, officer: &str, unit: &str) {
        self.css("#start").await;
        self.type_into("#officer", officer).await;
        self.type_into("#unit", unit).await;
        self.click("#start").await;
        self.css("#nav-today").await;
    }

    /// Screenshots of the current screen on a landscape tablet (1280×800)
    /// and a portrait one (800×1280): `<name>-landscape.png`, `<name>-portrait.png`.
    pub async fn screens(&self, name: &str) {
        for (layout, (w, h)) in [("landscape", LANDSCAPE), ("portrait", PORTRAIT)] {
            self.client
                .set_window_size(w, h)
                .await
                .unwrap_or_else(|e| panic!("resize the window to {w}×{h}: {e}"));
            self.wait_for_width(w).await;
            self.screenshot(&format!("{name}-{layout}")).await;
        }
        self.client
            .set_window_size(LANDSCAPE.0, LANDSCAPE.1)
            .await
            .expect("resize back to landscape");
        self.wait_for_width(LANDSCAPE.0).await;
    }

    /// Waits until the page has been laid out for a window `width` wide.
    async fn wait_for_width(&self, width: u32) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let inner = self
                .client
                .execute("return window.innerWidth", vec![])
                .await
                .ok()
                .and_then(|v| v.as_u64());
            if inner == Some(u64::from(width)) {
                // One more frame so the new layout is painted.
                tokio::time::sleep(Duration::from_millis(300)).await;
                return;
            }
            if Instant::now() > deadline {
                panic!("the window never became {width} px wide (it is {inner:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Stands in for the tablet's GPS: the page's geolocation becomes a fake
    /// whose fixes the test feeds with [`AppWindow::feed_fix`]. A single fix
    /// asked for comes at once, or, after [`AppWindow::hold_fixes`], when
    /// the test gives it with [`AppWindow::answer_fix`].
    pub async fn fake_gps(&self) {
        self.js("const geo = {
                watchPosition(ok) { window.__pcmtFix = ok; return 7; },
                clearWatch() { window.__pcmtFix = null; },
                getCurrentPosition(ok) {
                    if (window.__pcmtHoldFix) { window.__pcmtAsked = ok; } else { ok(window.__pcmtHere); }
                },
            };
            window.__pcmtHere = { coords: { latitude: 15.0512, longitude: 107.7321, accuracy: 4 } };
            Object.defineProperty(navigator, 'geolocation', { get: () => geo, configurable: true });
            return true;")
            .await;
    }

    /// One position fix, as the GPS reports while the officer walks.
    pub async fn feed_fix(&self, lat: f64, lon: f64) {
        self.give_fix(
            "window.__pcmtFix",
            lat,
            lon,
            "the app is watching the position",
        )
        .await;
    }

    /// From now on a single fix asked for waits for [`AppWindow::answer_fix`],
    /// as a GPS searching for satellites does while the officer types on.
    pub async fn hold_fixes(&self) {
        self.js("window.__pcmtHoldFix = true; return true;").await;
    }

    /// Answers the single fix the app asked for with this position.
    pub async fn answer_fix(&self, lat: f64, lon: f64) {
        let asked =
            "(() => { const ok = window.__pcmtAsked; window.__pcmtAsked = null; return ok; })()";
        self.give_fix(asked, lat, lon, "the app asked for a position")
            .await;
    }

    /// Hands the position to the app's callback `to` (a script expression).
    async fn give_fix(&self, to: &str, lat: f64, lon: f64, expected: &str) {
        let given = self
            .js(&format!(
                "const here = {{ coords: {{ latitude: {lat}, longitude: {lon}, accuracy: 4 }} }};
                 window.__pcmtHere = here;
                 const ok = {to};
                 if (!ok) return false;
                 ok(here);
                 return true;"
            ))
            .await;
        assert_eq!(given, serde_json::Value::Bool(true), "{expected}");
    }

    /// Text of every element matching `selector`.
    pub async fn texts(&self, selector: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in self
            .client
            .find_all(Locator::Css(selector))
            .await
            .unwrap_or_default()
        {
            out.push(el.text().await.unwrap_or_default());
        }
        out
    }

    /// Waits until no element matching `selector` contains `needle`.
    pub async fn wait_until_gone(&self, selector: &str, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let texts = self.texts(selector).await;
            if !texts.iter().any(|t| t.contains(needle)) {
                return;
            }
            if Instant::now() > deadline {
                self.fail(format!("`{selector}` still shows {needle:?}: {texts:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// An office computer's browser window: 1280 wide.
pub const OFFICE: (u32, u32) = (1280, 900);

/// A 10-inch tablet held landscape, and portrait.
pub const LANDSCAPE: (u32, u32) = (1280, 800);
pub const PORTRAIT: (u32, u32) = (800, 1280);
