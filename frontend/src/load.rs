//! Loading and saving from screens: one way to fetch what a screen shows,
//! and one way to submit a form.

use crate::app::Ctx;
use pcmt_model::api::CommandError;
use pcmt_model::FieldError;
use std::future::Future;
use yew::prelude::*;

/// What a screen shows, fetched again whenever `deps` change. None while
/// loading. Commands run side by side in the shell, so answers may come
/// back out of order: only the answer to the latest request is kept.
#[hook]
pub fn use_fetch<D, T, F, Fut>(deps: D, fetch: F) -> UseStateHandle<Option<Result<T, CommandError>>>
where
    D: PartialEq + Clone + 'static,
    T: 'static,
    F: Fn(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, CommandError>> + 'static,
{
    let state = use_state(|| None);
    let asked = use_mut_ref(|| 0_u64);
    {
        let state = state.clone();
        use_effect_with(deps, move |d| {
            let fut = fetch(d.clone());
            let this = {
                let mut n = asked.borrow_mut();
                *n += 1;
                *n
            };
            wasm_bindgen_futures::spawn_local(async move {
                let answer = fut.await;
                if *asked.borrow() == this {
                    state.set(Some(answer));
                }
            });
        });
    }
    state
}

/// Shows a fetched value with `view`, a loading line, or the error.
pub fn fetched<T>(
    ctx: &Ctx,
    state: &Option<Result<T, CommandError>>,
    view: impl FnOnce(&T) -> Html,
) -> Html {
    match state {
        None => html! { <p class="loading">{ ctx.t("Đang tải…", "Loading…") }</p> },
        Some(Err(e)) => {
            html! { <p class="form-failure" role="alert">{ e.message(ctx.lang).to_string() }</p> }
        }
        Some(Ok(v)) => view(v),
    }
}

/// Submits a parsed form: field errors stay beside their fields (from the
/// model on the tablet, or from the core), anything else becomes a notice.
pub fn submit<I, R, Fut>(
    ctx: &Ctx,
    parsed: Result<I, Vec<FieldError>>,
    errors: &UseStateHandle<Vec<FieldError>>,
    save: impl FnOnce(I) -> Fut + 'static,
    done: impl FnOnce(R) + 'static,
) where
    I: 'static,
    Fut: Future<Output = Result<R, CommandError>> + 'static,
{
    let input = match parsed {
        Ok(i) => i,
        Err(errs) => {
            errors.set(errs);
            reveal_first_error();
            ctx.notify.emit(crate::app::Notice::Failed(
                ctx.t(
                    "Chưa lưu: kiểm tra các ô được tô đỏ.",
                    "Not saved: check the fields marked in red.",
                )
                .into(),
            ));
            return;
        }
    };
    errors.set(Vec::new());
    let (errors, ctx) = (errors.clone(), ctx.clone());
    wasm_bindgen_futures::spawn_local(async move {
        match save(input).await {
            Ok(r) => {
                ctx.refresh.emit(());
                done(r);
            }
            Err(e) => {
                errors.set(e.fields.clone());
                ctx.fail(&e);
            }
        }
    });
}

/// The submit of a record form that opens the record once saved: the
/// form's text read by `check` (against the org tree and today), saved by
/// `save`, then the draft set back to `initial` and `then.0(row)` shown
/// with the notice `then.1` (vi) / `then.2` (en).
pub fn submit_and_open<D, I, R, Fut>(
    ctx: &Ctx,
    form: &UseReducerHandle<crate::draft::Form<D>>,
    errors: &UseStateHandle<Vec<FieldError>>,
    draft: (&Callback<D>, &D),
    check: fn(&D, &pcmt_model::OrgTree, chrono::NaiveDate) -> Result<I, Vec<FieldError>>,
    save: impl Fn(I) -> Fut + Clone + 'static,
    then: (fn(&R) -> crate::app::Screen, &'static str, &'static str),
) -> Callback<SubmitEvent>
where
    D: crate::draft::FormText,
    I: 'static,
    R: 'static,
    Fut: Future<Output = Result<R, CommandError>> + 'static,
{
    let (ctx, form, errors) = (ctx.clone(), form.clone(), errors.clone());
    let (reset, initial) = (draft.0.clone(), draft.1.clone());
    Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        let parsed = check(&form.text, &ctx.units, crate::api::today());
        let (ctx2, reset, initial) = (ctx.clone(), reset.clone(), initial.clone());
        submit(&ctx, parsed, &errors, save.clone(), move |row: R| {
            reset.emit(initial);
            ctx2.go_and_tell(
                then.0(&row),
                crate::app::Notice::Ok(ctx2.t(then.1, then.2).into()),
            );
        });
    })
}

/// Rows per page: enough to fill a portrait screen twice, small enough to
/// draw at once however long the list (10,000 records open as fast as 50).
pub const PAGE: u32 = 50;

/// A list read a page at a time: the rows so far, whether more wait, and
/// the button's callback for the next page.
pub struct Pages<T> {
    pub rows: std::rc::Rc<Vec<T>>,
    pub more: bool,
    pub load_more: Callback<MouseEvent>,
}

/// Reads the first page again whenever `query` changes or a save or sync
/// happened; `None` (a filter still being typed wrong) loads nothing.
#[hook]
pub fn use_pages<Q, T, F, Fut>(ctx: &Ctx, query: Option<Q>, fetch: F) -> Pages<T>
where
    Q: PartialEq + Clone + 'static,
    T: Clone + 'static,
    F: Fn(Q, u32, u32) -> Fut + 'static,
    Fut: Future<Output = Result<Vec<T>, CommandError>> + 'static,
{
    let rows = use_state(|| std::rc::Rc::new(Vec::new()));
    let more = use_state(|| false);
    let load = {
        let (rows, more, ctx) = (rows.clone(), more.clone(), ctx.clone());
        std::rc::Rc::new(move |q: Q, current: std::rc::Rc<Vec<T>>| {
            let fut = fetch(q, current.len() as u32, PAGE);
            let (rows, more, ctx) = (rows.clone(), more.clone(), ctx.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match fut.await {
                    Ok(page) => {
                        more.set(page.len() as u32 == PAGE);
                        let mut all = (*current).clone();
                        all.extend(page);
                        rows.set(std::rc::Rc::new(all));
                    }
                    Err(e) => ctx.fail(&e),
                }
            });
        })
    };
    {
        let load = load.clone();
        use_effect_with((query.clone(), ctx.generation), move |(q, _)| {
            if let Some(q) = q {
                load(q.clone(), std::rc::Rc::new(Vec::new()));
            }
        });
    }
    let load_more = {
        let current = (*rows).clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(q) = query.clone() {
                load(q, current.clone());
            }
        })
    };
    Pages {
        rows: (*rows).clone(),
        more: *more,
        load_more,
    }
}

impl<T> Pages<T> {
    /// "50 buổi (còn nữa)": how many are shown and whether more wait.
    pub fn count(&self, l: pcmt_model::Lang, vi: &'static str, en: &'static str) -> String {
        let more = if self.more {
            l.pick(" (còn nữa)", " (more below)")
        } else {
            ""
        };
        format!("{} {}{more}", self.rows.len(), l.pick(vi, en))
    }

    /// The next-page button, shown only while more wait.
    pub fn more_button(&self, l: pcmt_model::Lang) -> Html {
        if !self.more {
            return html! {};
        }
        html! {
            <button type="button" id="more" class="secondary wide" onclick={self.load_more.clone()}>
                { l.pick("Xem thêm", "Show more") }
            </button>
        }
    }
}

/// Brings the first field marked in red into view once the screen has drawn
/// the marks: on a long form the save button is far from the mistake.
fn reveal_first_error() {
    use wasm_bindgen::JsCast;
    let Some(window) = web_sys::window() else {
        return;
    };
    let reveal = wasm_bindgen::closure::Closure::once_into_js(|| {
        let first = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(".field.invalid").ok().flatten());
        if let Some(field) = first {
            let options = web_sys::ScrollIntoViewOptions::new();
            options.set_block(web_sys::ScrollLogicalPosition::Center);
            field.scroll_into_view_with_scroll_into_view_options(&options);
        }
    });
    // The red marks are drawn on Yew's next render, after this handler.
    let _ =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(reveal.unchecked_ref(), 50);
}

/// The record an edit screen starts from, as its form's text: read with
/// `get` when editing, `None` for a new record.
#[hook]
pub fn use_editing<R, T, Fut>(
    id: Option<uuid::Uuid>,
    get: fn(uuid::Uuid) -> Fut,
    text_of: fn(&R) -> T,
) -> UseStateHandle<Option<Result<Option<T>, CommandError>>>
where
    R: 'static,
    T: 'static,
    Fut: Future<Output = Result<R, CommandError>> + 'static,
{
    use_fetch(id, move |id| async move {
        match id {
            Some(id) => get(id).await.map(|r| Some(text_of(&r))),
            None => Ok(None),
        }
    })
}
