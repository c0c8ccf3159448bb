//! The frame: first start until the tablet is set up, then the navigation
//! (a rail on the left in landscape, a tab bar at the bottom in portrait),
//! the sync button with its progress, notices, and the current screen.

use crate::api;
use crate::screens::{
    checkin_form::CheckInForm, first_start::FirstStart, people::People, person_file::PersonFile,
    person_form::PersonEdit, session_detail::SessionDetail, session_form::SessionEdit,
    sessions::Sessions, settings::SettingsScreen, survey_detail::SurveyDetail,
    survey_form::SurveyEdit, surveys::Surveys, today::Today,
};
use crate::ui;
use pcmt_model::api::{AppInfo, CommandError, SyncReport};
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
            Screen::Settings => Screen::Settings,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Ok(String),
    Failed(String),
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
    /// Bumped after every sync, so open lists load again.
    pub generation: u32,
}

impl Ctx {
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
        self.communes().into_iter().next().map(|c| c.0).unwrap_or_default()
    }

    pub fn fail(&self, e: &CommandError) {
        self.notify.emit(Notice::Failed(e.message(self.lang).to_string()));
    }
}

#[function_component]
pub fn App() -> Html {
    let units = use_memo((), |_| OrgTree::demo());
    let info = use_state(|| None::<Rc<AppInfo>>);
    let lang = use_state(Lang::default);
    let screen = use_state(|| Screen::Today);
    let notice = use_state(|| None::<Notice>);
    let syncing = use_state(|| false);
    let progress = use_state(|| None::<SyncReport>);
    let generation = use_state(|| 0u32);
    let load_error = use_state(|| None::<CommandError>);

    let refresh = {
        let (info, lang, load_error) = (info.clone(), lang.clone(), load_error.clone());
        Callback::from(move |_: ()| {
            let (info, lang, load_error) = (info.clone(), lang.clone(), load_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::app_info().await {
                    Ok(i) => {
                        if i.set_up {
                            lang.set(i.settings.lang);
                        }
                        info.set(Some(Rc::new(i)));
                    }
                    Err(e) => load_error.set(Some(e)),
                }
            });
        })
    };
    {
        let (refresh, progress) = (refresh.clone(), progress.clone());
        use_effect_with((), move |_| {
            refresh.emit(());
            api::on_sync_progress(Callback::from(move |r| progress.set(Some(r))));
        });
    }

    let go = {
        let (screen, notice) = (screen.clone(), notice.clone());
        Callback::from(move |s: Screen| {
            notice.set(None);
            screen.set(s);
            if let Some(w) = web_sys::window() {
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        })
    };
    let notify = {
        let notice = notice.clone();
        Callback::from(move |n: Notice| notice.set(Some(n)))
    };

    let l = *lang;
    let Some(current) = (*info).clone() else {
        return html! {
            <div class="app loading">
                <p>{ l.pick("Đang mở sổ tay…", "Opening the notebook…") }</p>
                { ui::failure(l, &load_error) }
            </div>
        };
    };

    let ctx = Ctx {
        lang: l,
        units: Rc::new((*units).clone()),
        info: current.clone(),
        go: go.clone(),
        notify: notify.clone(),
        refresh: refresh.clone(),
        generation: *generation,
    };

    let on_sync = {
        let (ctx, syncing, progress, notice, generation) = (
            ctx.clone(),
            syncing.clone(),
            progress.clone(),
            notice.clone(),
            generation.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *syncing {
                return;
            }
            syncing.set(true);
            progress.set(None);
            notice.set(None);
            let (ctx, syncing, progress, notice, generation) = (
                ctx.clone(),
                syncing.clone(),
                progress.clone(),
                notice.clone(),
                generation.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = api::sync_now().await;
                let l = ctx.lang;
                notice.set(Some(match outcome {
                    Ok(r) => Notice::Ok(sync_outcome(l, &r)),
                    Err(e) => Notice::Failed(cut_sync(l, &e, (*progress).as_ref())),
                }));
                syncing.set(false);
                progress.set(None);
                generation.set(*generation + 1);
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
            let next = if *lang == Lang::Vi { Lang::En } else { Lang::Vi };
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
                <span class="icon" aria-hidden="true">{ icon }</span>
                <span class="label">{ label }</span>
            </button>
        }
    };

    let notice_html = match &*notice {
        None => html! {},
        Some(Notice::Ok(msg)) => html! { <p id="notice" class="notice ok" role="status">{ msg }</p> },
        Some(Notice::Failed(msg)) => html! { <p id="notice" class="notice error" role="alert">{ msg }</p> },
    };
    let progress_html = match (&*syncing, &*progress) {
        (true, Some(r)) => html! { <p id="sync-progress" class="notice progress" role="status">{ sync_running(l, r) }</p> },
        (true, None) => html! { <p id="sync-progress" class="notice progress" role="status">{ l.pick("Đang kết nối máy chủ huyện…", "Connecting to the district hub…") }</p> },
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
        Screen::Settings => html! { <SettingsScreen /> },
    };

    html! {
        <ContextProvider<Ctx> context={ctx.clone()}>
            <div class="app">
                <header class="bar">
                    <div class="title">
                        <h1>{ "Sổ tay PCMT" }</h1>
                        <span class="subtitle">{ format!("{} · {}", current.settings.officer, current.settings.unit) }</span>
                    </div>
                    <div class="actions">
                        <button id="lang" class="secondary" onclick={toggle_lang}>{ l.pick("English", "Tiếng Việt") }</button>
                        <button id="sync" class="primary" onclick={on_sync} disabled={*syncing}>
                            { if *syncing { l.pick("Đang đồng bộ…", "Syncing…") } else { l.pick("Đồng bộ", "Sync") } }
                            if current.unsynced > 0 {
                                <span id="unsynced" class="count-badge" title={l.pick("Hồ sơ chưa đồng bộ", "Records not synced")}>{ current.unsynced }</span>
                            }
                        </button>
                    </div>
                </header>
                <div class="frame">
                    <nav class="nav" aria-label={l.pick("Chức năng", "Sections")}>
                        { nav_item("nav-today", "◉", l.pick("Hôm nay", "Today"), Screen::Today) }
                        { nav_item("nav-sessions", "📣", l.pick("Tuyên truyền", "Sessions"), Screen::Sessions) }
                        { nav_item("nav-people", "👥", l.pick("Người quản lý", "People"), Screen::People) }
                        { nav_item("nav-surveys", "🌿", l.pick("Rà soát cây", "Surveys"), Screen::Surveys) }
                        { nav_item("nav-settings", "⚙", l.pick("Cài đặt", "Settings"), Screen::Settings) }
                    </nav>
                    <main class="content">
                        { progress_html }
                        { notice_html }
                        { body }
                    </main>
                </div>
            </div>
        </ContextProvider<Ctx>>
    }
}

fn sync_running(l: Lang, r: &SyncReport) -> String {
    match l {
        Lang::Vi => format!(
            "Đang đồng bộ: đã gửi {} hồ sơ ({}), đã nhận {} hồ sơ ({})…",
            r.sent_records,
            ui::size(r.sent_bytes),
            r.received_records,
            ui::size(r.received_bytes)
        ),
        Lang::En => format!(
            "Syncing: sent {} records ({}), received {} ({})…",
            r.sent_records,
            ui::size(r.sent_bytes),
            r.received_records,
            ui::size(r.received_bytes)
        ),
    }
}

fn sync_outcome(l: Lang, r: &SyncReport) -> String {
    if r.sent_records == 0 && r.received_records == 0 {
        return l
            .pick(
                "Đồng bộ xong: máy và máy chủ huyện đã khớp, không có gì mới.",
                "Sync done: this tablet and the district hub already agree, nothing new.",
            )
            .into();
    }
    match l {
        Lang::Vi => format!(
            "Đồng bộ xong: gửi {} hồ sơ ({}), nhận {} hồ sơ ({}).",
            r.sent_records,
            ui::size(r.sent_bytes),
            r.received_records,
            ui::size(r.received_bytes)
        ),
        Lang::En => format!(
            "Sync done: sent {} records ({}), received {} ({}).",
            r.sent_records,
            ui::size(r.sent_bytes),
            r.received_records,
            ui::size(r.received_bytes)
        ),
    }
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
