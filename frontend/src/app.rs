//! The frame: first start until the tablet is set up, then the navigation
//! (a rail on the left in landscape, a tab bar at the bottom in portrait),
//! the sync button with its progress, how syncing stands (the tablet syncs
//! by itself: last sync, next try, offline), notices, and the current screen.

use crate::api;
use crate::screens::{
    checkin_form::CheckInForm, first_start::FirstStart, hot_spot_detail::HotSpotDetail,
    hot_spot_form::HotSpotEdit, hot_spots::HotSpots, hub_certificate::HubCertificate,
    lock::LockScreen, people::People, person_file::PersonFile, person_form::PersonEdit,
    reports::Reports, session_detail::SessionDetail, session_form::SessionEdit, sessions::Sessions,
    settings::SettingsScreen, survey_detail::SurveyDetail, survey_form::SurveyEdit,
    surveys::Surveys, today::Today,
};
use crate::ui;
use pcmt_model::api::{AppInfo, CommandError, LockState, SyncReport, SyncStatus, TryOutcome};
use pcmt_model::{Lang, OrgTree};
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

/// Where the officer is. Lists are the tabs; the rest open from them.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    Today,
    Sessions,
    SessionEdit(Option<Uuid>),
    Session(Uuid),
    People,
    PersonEdit(Option<Uuid>),
    Person(Uuid),
    CheckIn(Uuid),
    Surveys,
    SurveyEdit(Option<Uuid>),
    Survey(Uuid),
    HotSpots,
    HotSpotEdit(Option<Uuid>),
    HotSpot(Uuid),
    Reports,
    Settings,
}

impl Screen {
    /// The tab a screen belongs to, for highlighting.
    fn tab(&self) -> Screen {
        match self {
            Screen::Today => Screen::Today,
            Screen::Sessions | Screen::SessionEdit(_) | Screen::Session(_) => Screen::Sessions,
            Screen::People | Screen::PersonEdit(_) | Screen::Person(_) | Screen::CheckIn(_) => {
                Screen::People
            }
            Screen::Surveys | Screen::SurveyEdit(_) | Screen::Survey(_) => Screen::Surveys,
            Screen::HotSpots | Screen::HotSpotEdit(_) | Screen::HotSpot(_) => Screen::HotSpots,
            Screen::Reports => Screen::Reports,
            Screen::Settings => Screen::Settings,
        }
    }
}

/// What the shell last said of the lock (None until it answered). A
/// reducer: the PIN screen's language switch changes only the language,
/// so its answer, if it comes after an unlock it overlapped, cannot put
/// the PIN screen back over an open app.
#[derive(Clone, PartialEq)]
struct Lock(Option<LockState>);

enum LockAction {
    Told(LockState),
    Lang(Lang),
}

impl Reducible for Lock {
    type Action = LockAction;

    fn reduce(self: Rc<Self>, action: LockAction) -> Rc<Self> {
        match (action, &self.0) {
            (LockAction::Told(s), _) => Rc::new(Lock(Some(s))),
            (LockAction::Lang(lang), Some(s)) => {
                Rc::new(Lock(Some(LockState { lang, ..s.clone() })))
            }
            (LockAction::Lang(_), None) => self,
        }
    }
}

/// Counts the app's refreshes; screens fetch again when it moves. A reducer,
/// so two refreshes between renders still count twice.
#[derive(PartialEq)]
struct Generation(u32);

impl Reducible for Generation {
    type Action = ();
    fn reduce(self: Rc<Self>, _: ()) -> Rc<Self> {
        Rc::new(Generation(self.0.wrapping_add(1)))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Ok(String),
    Failed(String),
}

/// The frame's own state: the notice shown, and the sync the officer
/// started with its running totals. One reducer, so the end of a sync
/// reads the totals its progress events left, not those of the render
/// that started it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Frame {
    notice: Option<Notice>,
    syncing: bool,
    progress: Option<SyncReport>,
}

enum FrameAction {
    Notify(Option<Notice>),
    SyncStarted,
    /// Running totals, as the shell sends them after every exchange.
    SyncProgress(SyncReport),
    /// The sync the officer started ended; its outcome is told in `Lang`.
    SyncEnded(Lang, Result<SyncReport, CommandError>),
}

impl Reducible for Frame {
    type Action = FrameAction;

    fn reduce(self: Rc<Self>, action: FrameAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FrameAction::Notify(notice) => next.notice = notice,
            FrameAction::SyncStarted => {
                next.syncing = true;
                next.progress = None;
                next.notice = None;
            }
            FrameAction::SyncProgress(r) => next.progress = Some(r),
            FrameAction::SyncEnded(l, outcome) => {
                next.notice = Some(match outcome {
                    Ok(r) => Notice::Ok(sync_outcome(l, &r)),
                    Err(e) => Notice::Failed(cut_sync(l, &e, self.progress.as_ref())),
                });
                next.syncing = false;
                next.progress = None;
            }
        }
        Rc::new(next)
    }
}

/// What every screen can reach: language, org units, the tablet's state,
/// and the frame's actions.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    pub lang: Lang,
    pub units: Rc<OrgTree>,
    pub info: Rc<AppInfo>,
    pub go: Callback<Screen>,
    pub notify: Callback<Notice>,
    /// Re-reads the tablet's state (unsynced count, settings) after a change.
    pub refresh: Callback<()>,
    /// Bumped after every save, sync or settled conflict, so open screens
    /// load again.
    pub generation: u32,
    /// A command found the app locked: show the PIN screen.
    pub locked: Callback<()>,
}

impl Ctx {
    /// Goes to a screen and then says what happened: going anywhere clears
    /// the previous notice, so the order matters.
    pub fn go_and_tell(&self, to: Screen, notice: Notice) {
        self.go.emit(to);
        self.notify.emit(notice);
    }

    pub fn t(&self, vi: &'static str, en: &'static str) -> &'static str {
        self.lang.pick(vi, en)
    }

    pub fn go_to(&self, screen: Screen) -> Callback<MouseEvent> {
        self.go.reform(move |_| screen.clone())
    }

    pub fn commune_name(&self, code: &str) -> String {
        self.units
            .get(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// Communes this tablet works in: those of its enrolment, or every commune
    /// known before the first sync.
    pub fn communes(&self) -> Vec<(String, String)> {
        self.units
            .communes()
            .filter(|c| self.info.communes.is_empty() || self.info.communes.contains(&c.code))
            .map(|c| (c.code.clone(), c.name.clone()))
            .collect()
    }

    pub fn default_commune(&self) -> String {
        self.communes()
            .into_iter()
            .next()
            .map(|c| c.0)
            .unwrap_or_default()
    }

    pub fn fail(&self, e: &CommandError) {
        if e.locked {
            self.locked.emit(());
            return;
        }
        self.notify
            .emit(Notice::Failed(e.message(self.lang).to_string()));
    }
}

#[function_component]
pub fn App() -> Html {
    let info = use_state(|| None::<Rc<AppInfo>>);
    // The office's list once a sync brought it, else none (the Today
    // screen says a sync is needed): read again only when its version
    // changes.
    let units = {
        let office = info.as_ref().map(|i| (i.office_version, i.units.clone()));
        let version = office.as_ref().map_or(0, |(v, _)| *v);
        use_memo(version, move |_| {
            office
                .filter(|(v, list)| *v > 0 && !list.is_empty())
                .and_then(|(_, list)| OrgTree::from_units(list).ok())
                .unwrap_or_else(OrgTree::empty)
        })
    };
    let lang = use_state(Lang::default);
    let screen = use_state(|| Screen::Today);
    let frame = use_reducer(Frame::default);
    let sync_status = use_state_eq(|| None::<SyncStatus>);
    let generation = use_reducer(|| Generation(0));
    let load_error = use_state(|| None::<CommandError>);
    // None until the shell said whether a PIN is set and the store is open.
    // Asked every 15 s: an unchanged answer must not redraw the screen.
    let lock = use_reducer_eq(|| Lock(None));
    let last_touch = use_mut_ref(|| 0.0_f64);
    let show_locked = {
        let lock = lock.clone();
        Callback::from(move |_: ()| {
            let lock = lock.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(s) = api::lock_state().await {
                    lock.dispatch(LockAction::Told(s));
                }
            });
        })
    };

    let refresh = {
        let (info, lang, load_error) = (info.clone(), lang.clone(), load_error.clone());
        let (show_locked, sync_status) = (show_locked.clone(), sync_status.clone());
        let generation = generation.dispatcher();
        Callback::from(move |_: ()| {
            // Whatever changed (a save, a sync, a settled conflict), every
            // screen reads its data again.
            generation.dispatch(());
            let (info, lang, load_error) = (info.clone(), lang.clone(), load_error.clone());
            let (show_locked, sync_status) = (show_locked.clone(), sync_status.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::app_info().await {
                    Ok(i) => {
                        if i.set_up {
                            lang.set(i.settings.lang);
                        }
                        info.set(Some(Rc::new(i)));
                    }
                    Err(e) if e.locked => show_locked.emit(()),
                    Err(e) => load_error.set(Some(e)),
                }
                if let Ok(s) = api::sync_status().await {
                    sync_status.set(Some(s));
                }
            });
        })
    };
    {
        let (refresh, progress, lock, show_locked, sync_status) = (
            refresh.clone(),
            frame.dispatcher(),
            lock.clone(),
            show_locked.clone(),
            sync_status.clone(),
        );
        use_effect_with((), move |_| {
            let refresh_after = refresh.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::lock_state().await {
                    Ok(s) => {
                        let open = s.pin_set && !s.locked;
                        lock.dispatch(LockAction::Told(s));
                        if open {
                            refresh.emit(());
                        }
                    }
                    // The shell could not say: the PIN screen is the safe side.
                    Err(_) => lock.dispatch(LockAction::Told(LockState {
                        pin_set: true,
                        locked: true,
                        wait_s: 0,
                        lang: Lang::default(),
                    })),
                }
            });
            api::on_sync_progress(Callback::from(move |r| {
                progress.dispatch(FrameAction::SyncProgress(r))
            }));
            // A sync the tablet ran by itself that moved records: the screens
            // (and the count of unsent records) read their data again.
            let was_running = std::cell::Cell::new(false);
            api::on_sync_status(Callback::from(move |s: SyncStatus| {
                let ended = was_running.replace(s.running) && !s.running;
                if ended && s.last_try == Some(TryOutcome::Synced) && s.moved > 0 {
                    refresh_after.emit(());
                }
                sync_status.set(Some(s));
            }));
            // The shell locks after the idle time; asking every 15 s puts the
            // PIN screen up even when nobody touches the tablet.
            every(15_000, move || show_locked.emit(()));
        });
    }

    let go = {
        let (screen, frame) = (screen.clone(), frame.dispatcher());
        Callback::from(move |s: Screen| {
            frame.dispatch(FrameAction::Notify(None));
            screen.set(s);
            if let Some(w) = web_sys::window() {
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        })
    };
    let notify = {
        let frame = frame.dispatcher();
        Callback::from(move |n: Notice| frame.dispatch(FrameAction::Notify(Some(n))))
    };

    let l = *lang;
    match &lock.0 {
        None => {
            return html! { <div class="app loading"><p>{ l.pick("Đang mở sổ tay…", "Opening the notebook…") }</p></div> };
        }
        Some(s) if !s.pin_set || s.locked => {
            let on_open = {
                let (lock, refresh, lang) = (lock.clone(), refresh.clone(), lang.clone());
                Callback::from(move |s: LockState| {
                    // A first start keeps the language chosen on the PIN
                    // screen; a set-up tablet's settings say the same.
                    lang.set(s.lang);
                    lock.dispatch(LockAction::Told(s));
                    refresh.emit(());
                })
            };
            let on_lang = {
                let lock = lock.clone();
                Callback::from(move |s: LockState| lock.dispatch(LockAction::Lang(s.lang)))
            };
            return html! { <LockScreen lang={s.lang} state={s.clone()} {on_open} {on_lang} /> };
        }
        Some(_) => {}
    }
    let Some(current) = (*info).clone() else {
        return html! {
            <div class="app loading">
                <p>{ l.pick("Đang mở sổ tay…", "Opening the notebook…") }</p>
                { ui::failure(l, &load_error) }
            </div>
        };
    };

    let still_here = |last: Rc<std::cell::RefCell<f64>>| {
        let show_locked = show_locked.clone();
        Callback::from(move |_: PointerEvent| {
            // Once every 20 s is enough to keep the idle time from running out.
            let now = js_sys::Date::now();
            if now - *last.borrow() < 20_000.0 {
                return;
            }
            *last.borrow_mut() = now;
            let show_locked = show_locked.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if matches!(api::still_here().await, Ok(s) if s.locked) {
                    show_locked.emit(());
                }
            });
        })
    };
    let lock_now = {
        let lock = lock.clone();
        Callback::from(move |_: MouseEvent| {
            let lock = lock.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(s) = api::lock_now().await {
                    lock.dispatch(LockAction::Told(s));
                }
            });
        })
    };

    let ctx = Ctx {
        lang: l,
        units: Rc::new((*units).clone()),
        info: current.clone(),
        go: go.clone(),
        notify: notify.clone(),
        refresh: refresh.clone(),
        generation: generation.0,
        locked: show_locked.clone(),
    };

    let on_sync = {
        let (ctx, frame) = (ctx.clone(), frame.clone());
        Callback::from(move |_: MouseEvent| {
            if frame.syncing {
                return;
            }
            frame.dispatch(FrameAction::SyncStarted);
            let (ctx, frame) = (ctx.clone(), frame.dispatcher());
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = api::sync_now().await;
                frame.dispatch(FrameAction::SyncEnded(ctx.lang, outcome));
                ctx.refresh.emit(());
            });
        })
    };

    if !current.set_up {
        let on_done = {
            let (refresh, on_sync) = (refresh.clone(), on_sync.clone());
            Callback::from(move |_: ()| {
                refresh.emit(());
                // Try the enrolment at once; offline, it waits for the next sync.
                if let Ok(e) = MouseEvent::new("click") {
                    on_sync.emit(e);
                }
            })
        };
        let set_lang = {
            let lang = lang.clone();
            Callback::from(move |l: Lang| lang.set(l))
        };
        return html! {
            <ContextProvider<Ctx> context={ctx}>
                <FirstStart on_done={on_done} set_lang={set_lang} />
            </ContextProvider<Ctx>>
        };
    }

    let toggle_lang = {
        let (ctx, lang) = (ctx.clone(), lang.clone());
        Callback::from(move |_: MouseEvent| {
            let next = if *lang == Lang::Vi {
                Lang::En
            } else {
                Lang::Vi
            };
            lang.set(next);
            let mut settings = ctx.info.settings.clone();
            settings.lang = next;
            let ctx = ctx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::save_settings(&settings).await {
                    Ok(_) => ctx.refresh.emit(()),
                    Err(e) => ctx.fail(&e),
                }
            });
        })
    };

    let tab = screen.tab();
    let nav_item = |id: &'static str, icon: &'static str, label: &'static str, to: Screen| {
        let active = tab == to;
        html! {
            <button type="button" id={id} class={classes!("nav-item", active.then_some("active"))}
                aria-current={active.then_some("page")} onclick={ctx.go_to(to)}>
                <svg class="icon" viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor"
                    stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                    <path d={icon} />
                </svg>
                <span class="label">{ label }</span>
            </button>
        }
    };

    let notice_html = match &frame.notice {
        None => html! {},
        Some(Notice::Ok(msg)) => {
            html! { <p id="notice" class="notice ok" role="status">{ msg }</p> }
        }
        Some(Notice::Failed(msg)) => {
            html! { <p id="notice" class="notice error" role="alert">{ msg }</p> }
        }
    };
    let progress_html = match (frame.syncing, &frame.progress) {
        (true, Some(r)) => {
            html! { <p id="sync-progress" class="notice progress" role="status"><span class="spinner" aria-hidden="true"></span>{ sync_running(l, r) }</p> }
        }
        (true, None) => {
            html! { <p id="sync-progress" class="notice progress" role="status"><span class="spinner" aria-hidden="true"></span>{ l.pick("Đang kết nối máy chủ huyện…", "Connecting to the district hub…") }</p> }
        }
        _ => html! {},
    };

    let body = match (*screen).clone() {
        Screen::Today => html! { <Today /> },
        Screen::Sessions => html! { <Sessions /> },
        Screen::SessionEdit(id) => html! { <SessionEdit id={id} /> },
        Screen::Session(id) => html! { <SessionDetail id={id} /> },
        Screen::People => html! { <People /> },
        Screen::PersonEdit(id) => html! { <PersonEdit id={id} /> },
        Screen::Person(id) => html! { <PersonFile id={id} /> },
        Screen::CheckIn(person) => html! { <CheckInForm person={person} /> },
        Screen::Surveys => html! { <Surveys /> },
        Screen::SurveyEdit(id) => html! { <SurveyEdit id={id} /> },
        Screen::Survey(id) => html! { <SurveyDetail id={id} /> },
        Screen::HotSpots => html! { <HotSpots /> },
        Screen::HotSpotEdit(id) => html! { <HotSpotEdit id={id} /> },
        Screen::HotSpot(id) => html! { <HotSpotDetail id={id} /> },
        Screen::Reports => html! { <Reports /> },
        Screen::Settings => html! { <SettingsScreen /> },
    };

    html! {
        <ContextProvider<Ctx> context={ctx.clone()}>
            <div class="app" onpointerdown={still_here(last_touch.clone())}>
                <header class="bar">
                    <div class="title">
                        <h1>{ "Sổ tay PCMT" }</h1>
                        <span class="subtitle">{ format!("{} · {}", current.settings.officer, current.settings.unit) }</span>
                    </div>
                    <div class="actions">
                        if current.enrolled {
                            <SyncLine lang={l} status={(*sync_status).clone()} />
                        }
                        <button id="lock-now" class="secondary" onclick={lock_now}>{ l.pick("Khóa", "Lock") }</button>
                        <button id="lang" class="secondary" onclick={toggle_lang}>{ l.pick("English", "Tiếng Việt") }</button>
                        <button id="sync" class="primary" onclick={on_sync} disabled={frame.syncing}>
                            { if frame.syncing { l.pick("Đang đồng bộ…", "Syncing…") } else { l.pick("Đồng bộ", "Sync") } }
                            if current.unsynced > 0 {
                                <span id="unsynced" class="count-badge" title={l.pick("Hồ sơ chưa đồng bộ", "Records not synced")}>{ current.unsynced }</span>
                            }
                        </button>
                    </div>
                </header>
                <div class="frame">
                    <nav class="nav" aria-label={l.pick("Chức năng", "Sections")}>
                        { nav_item("nav-today", icons::TODAY, l.pick("Hôm nay", "Today"), Screen::Today) }
                        { nav_item("nav-sessions", icons::SESSIONS, l.pick("Tuyên truyền", "Sessions"), Screen::Sessions) }
                        { nav_item("nav-people", icons::PEOPLE, l.pick("Người quản lý", "People"), Screen::People) }
                        { nav_item("nav-surveys", icons::SURVEYS, l.pick("Rà soát cây", "Surveys"), Screen::Surveys) }
                        { nav_item("nav-hot-spots", icons::HOT_SPOTS, l.pick("Điểm ma túy", "Hot spots"), Screen::HotSpots) }
                        { nav_item("nav-reports", icons::REPORTS, l.pick("Báo cáo", "Reports"), Screen::Reports) }
                        { nav_item("nav-settings", icons::SETTINGS, l.pick("Cài đặt", "Settings"), Screen::Settings) }
                    </nav>
                    <main class="content">
                        { progress_html }
                        { notice_html }
                        <HubCertificate />
                        { body }
                    </main>
                </div>
            </div>
        </ContextProvider<Ctx>>
    }
}

#[derive(Properties, PartialEq)]
struct SyncLineProps {
    lang: Lang,
    status: Option<SyncStatus>,
}

/// How syncing stands, beside the button: during a sync "Đang đồng bộ…";
/// otherwise offline or not, when the tablet tries next, and when a sync
/// last went through. Its own clock ticks every second, so only this line
/// is drawn again as the wait counts down.
#[function_component]
fn SyncLine(props: &SyncLineProps) -> Html {
    let now = use_state_eq(now_s);
    {
        let now = now.clone();
        use_effect_with((), move |_| {
            let timer = Timer::every(1_000, move || now.set(now_s()));
            move || drop(timer)
        });
    }
    let Some(status) = &props.status else {
        return html! {};
    };
    let l = props.lang;
    let wait = status.next_try.map(|at| in_words(l, at - *now));
    let trouble = match status.last_try {
        Some(TryOutcome::Offline) => Some(l.pick("Ngoại tuyến", "Offline")),
        Some(TryOutcome::Failed) => Some(l.pick("Chưa đồng bộ được", "Sync failed")),
        _ => None,
    };
    let (state, class) = match (status.running, trouble, wait) {
        (true, ..) => (l.pick("Đang đồng bộ…", "Syncing…").to_string(), "running"),
        (false, Some(t), Some(w)) => (
            format!("{t} · {} {w}", l.pick("thử lại sau", "retrying in")),
            "offline",
        ),
        (false, Some(t), None) => (t.to_string(), "offline"),
        (false, None, Some(w)) => (
            format!("{} {w}", l.pick("Tự đồng bộ sau", "Next sync in")),
            "",
        ),
        (false, None, None) => (String::new(), ""),
    };
    let last = match status.last_sync {
        Some(at) => format!(
            "{}\u{a0}{}",
            l.pick("Đồng bộ gần nhất:", "Last sync:"),
            clock(at)
        ),
        None => l.pick("Chưa đồng bộ lần nào", "Never synced").to_string(),
    };
    html! {
        <p id="sync-status" class={classes!("sync-status", class)} role="status">
            <span id="sync-state">{ state }</span>
            <span id="sync-last">{ last }</span>
        </p>
    }
}

fn now_s() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// A wait as the officer reads it: minutes, rounded up, or seconds when
/// under one (only shortened test intervals show those).
fn in_words(l: Lang, seconds: i64) -> String {
    match seconds {
        s if s <= 0 => l.pick("giây lát", "a moment").into(),
        // No-break spaces: a narrow bar wraps between phrases, not inside one.
        s if s < 60 => format!("{s}\u{a0}{}", l.pick("giây", "s")),
        s => format!("{}\u{a0}{}", (s + 59) / 60, l.pick("phút", "min")),
    }
}

/// HH:MM today, dd/mm HH:MM before.
fn clock(epoch_secs: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_secs as f64 * 1000.0));
    let today = js_sys::Date::new_0();
    let time = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
    if d.to_date_string() == today.to_date_string() {
        time
    } else {
        format!("{:02}/{:02}\u{a0}{time}", d.get_date(), d.get_month() + 1)
    }
}

/// A browser interval, cleared when dropped.
struct Timer {
    id: Option<i32>,
    _tick: wasm_bindgen::closure::Closure<dyn Fn()>,
}

impl Timer {
    fn every(ms: i32, tick: impl Fn() + 'static) -> Self {
        use wasm_bindgen::JsCast;
        let tick = wasm_bindgen::closure::Closure::<dyn Fn()>::new(tick);
        let id = web_sys::window().and_then(|w| {
            w.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                ms,
            )
            .ok()
        });
        Self { id, _tick: tick }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if let (Some(w), Some(id)) = (web_sys::window(), self.id) {
            w.clear_interval_with_handle(id);
        }
    }
}

/// Runs `tick` every `ms` milliseconds for the life of the page (the frame
/// never goes away, so neither does its timer).
fn every(ms: i32, tick: impl Fn() + 'static) {
    std::mem::forget(Timer::every(ms, tick));
}

/// Line icons as SVG paths: drawn by the app itself, so no tablet shows an
/// empty box for a missing emoji font.
mod icons {
    pub const TODAY: &str = "M4 6h16v14H4z M4 10h16 M8 3v5 M16 3v5 M8 14h3v3H8z";
    pub const SESSIONS: &str =
        "M3 10v4h4l6 4V6l-6 4H3z M16.5 9.5a3.5 3.5 0 0 1 0 5 M19 7a7 7 0 0 1 0 10";
    pub const PEOPLE: &str = "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M2 21v-1a7 7 0 0 1 14 0v1 M16 3.5a4 4 0 0 1 0 7.5 M22 21v-1a6 6 0 0 0-4-5.6";
    pub const SURVEYS: &str = "M5 19C5 9 11 4 20 4c0 9-5 15-15 15z M5 19l8-8 M3 21l2-2";
    /// A map pin with a mark: a place to watch.
    pub const HOT_SPOTS: &str =
        "M12 22s7-6.5 7-12a7 7 0 0 0-14 0c0 5.5 7 12 7 12z M12 7v4 M12 13.5v.5";
    pub const REPORTS: &str = "M4 20V10 M10 20V4 M16 20v-7 M22 20H2";
    pub const SETTINGS: &str = "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z M12 2v3 M12 19v3 M2 12h3 M19 12h3 M4.9 4.9 7 7 M17 17l2.1 2.1 M4.9 19.1 7 17 M17 7l2.1-2.1";
}

fn sync_running(l: Lang, r: &SyncReport) -> String {
    format!(
        "{}: {}…",
        l.pick("Đang đồng bộ", "Syncing"),
        sync_counts(l, r)
    )
}

fn sync_outcome(l: Lang, r: &SyncReport) -> String {
    let files = r.sent_attachments + r.received_attachments;
    if r.sent_records == 0 && r.received_records == 0 && files == 0 {
        return l
            .pick(
                "Đồng bộ xong: máy và máy chủ huyện đã khớp, không có gì mới.",
                "Sync done: this tablet and the district hub already agree, nothing new.",
            )
            .into();
    }
    format!(
        "{}: {}.",
        l.pick("Đồng bộ xong", "Sync done"),
        sync_counts(l, r)
    )
}

/// Records and bytes each way, then the photos and files apart from them
/// (they travel after the records), the same words while running and at
/// the end.
fn sync_counts(l: Lang, r: &SyncReport) -> String {
    let records = format!(
        "{} {} {} ({}), {} {} {} ({})",
        l.pick("đã gửi", "sent"),
        r.sent_records,
        l.pick("hồ sơ", "records"),
        ui::size(r.sent_bytes),
        l.pick("đã nhận", "received"),
        r.received_records,
        l.pick("hồ sơ", "records"),
        ui::size(r.received_bytes)
    );
    if r.sent_attachments + r.received_attachments + r.attachment_bytes == 0 {
        return records;
    }
    format!(
        "{records}; {}: {} {}, {} {} ({})",
        l.pick("ảnh và tệp", "photos and files"),
        l.pick("đã gửi", "sent"),
        r.sent_attachments,
        l.pick("đã nhận", "received"),
        r.received_attachments,
        ui::size(r.attachment_bytes)
    )
}

/// A failed sync: what happened, what was already done, and that nothing is lost.
fn cut_sync(l: Lang, e: &CommandError, done: Option<&SyncReport>) -> String {
    let mut msg = e.message(l).to_string();
    if let Some(r) = done.filter(|r| r.sent_records + r.received_records > 0) {
        msg.push('\n');
        msg.push_str(&match l {
            Lang::Vi => format!(
                "Trước khi bị ngắt đã gửi {} và nhận {} hồ sơ; lần đồng bộ sau sẽ tiếp tục từ đó.",
                r.sent_records, r.received_records
            ),
            Lang::En => format!(
                "Before the cut, {} records were sent and {} received; the next sync continues from there.",
                r.sent_records, r.received_records
            ),
        });
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(sent: u64, received: u64) -> SyncReport {
        SyncReport {
            sent_records: sent,
            received_records: received,
            ..SyncReport::default()
        }
    }

    fn cut() -> CommandError {
        CommandError::plain(
            "Không kết nối được máy chủ huyện.",
            "Could not reach the district hub.",
        )
    }

    #[test]
    fn the_pin_screens_language_answer_changes_only_the_language() {
        let locked = LockState {
            pin_set: true,
            locked: true,
            wait_s: 0,
            lang: Lang::Vi,
        };
        let open = LockState {
            locked: false,
            ..locked.clone()
        };
        // The switch was pressed while unlocking; its answer (locked, in
        // English) comes after the unlock's.
        let lock = Rc::new(Lock(None))
            .reduce(LockAction::Told(locked))
            .reduce(LockAction::Told(open))
            .reduce(LockAction::Lang(Lang::En));
        let s = lock.0.as_ref().expect("told");
        assert!(!s.locked, "still open");
        assert_eq!(s.lang, Lang::En);
    }

    #[test]
    fn sync_progress_tells_photos_and_files_apart_from_records() {
        let records_only = report(2, 3);
        assert!(
            !sync_counts(Lang::Vi, &records_only).contains("ảnh"),
            "no photo words when none moved"
        );
        let with_files = SyncReport {
            sent_attachments: 2,
            received_attachments: 1,
            attachment_bytes: 300 * 1024,
            ..report(1, 0)
        };
        assert_eq!(
            sync_counts(Lang::Vi, &with_files),
            "đã gửi 1 hồ sơ (0 KB), đã nhận 0 hồ sơ (0 KB); ảnh và tệp: đã gửi 2, đã nhận 1 (300 KB)"
        );
        // A sync that only fetched a photo the officer asked for is news.
        let only_a_photo = SyncReport {
            received_attachments: 1,
            attachment_bytes: 1024,
            ..report(0, 0)
        };
        assert!(
            sync_outcome(Lang::Vi, &only_a_photo).contains("đã nhận 1"),
            "{}",
            sync_outcome(Lang::Vi, &only_a_photo)
        );
    }

    #[test]
    fn a_cut_sync_tells_the_totals_its_progress_reached() {
        let frame = Rc::new(Frame::default())
            .reduce(FrameAction::SyncStarted)
            .reduce(FrameAction::SyncProgress(report(0, 2)))
            .reduce(FrameAction::SyncProgress(report(1, 4)))
            .reduce(FrameAction::SyncEnded(Lang::Vi, Err(cut())));
        assert!(!frame.syncing);
        assert_eq!(frame.progress, None);
        let Some(Notice::Failed(told)) = &frame.notice else {
            panic!("a failure: {:?}", frame.notice);
        };
        assert!(
            told.starts_with("Không kết nối được máy chủ huyện."),
            "{told}"
        );
        assert!(
            told.contains("Trước khi bị ngắt đã gửi 1 và nhận 4 hồ sơ"),
            "{told}"
        );
    }

    #[test]
    fn a_sync_cut_before_any_exchange_says_only_why() {
        let frame = Rc::new(Frame::default())
            .reduce(FrameAction::SyncProgress(report(3, 3)))
            .reduce(FrameAction::SyncStarted)
            .reduce(FrameAction::SyncEnded(Lang::En, Err(cut())));
        assert_eq!(
            frame.notice,
            Some(Notice::Failed("Could not reach the district hub.".into()))
        );
    }

    #[test]
    fn a_finished_sync_tells_its_totals_and_going_elsewhere_clears_them() {
        let frame = Rc::new(Frame::default())
            .reduce(FrameAction::SyncStarted)
            .reduce(FrameAction::SyncEnded(Lang::Vi, Ok(report(2, 0))));
        let Some(Notice::Ok(told)) = &frame.notice else {
            panic!("done: {:?}", frame.notice);
        };
        assert!(told.contains("đã gửi 2 hồ sơ"), "{told}");
        assert_eq!(frame.reduce(FrameAction::Notify(None)).notice, None);
    }
}
