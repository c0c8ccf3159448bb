//! Loading and saving from screens: one way to fetch what a screen shows,
//! and one way to submit a form.

use crate::app::Ctx;
use pcmt_model::api::CommandError;
use pcmt_model::FieldError;
use std::future::Future;
use yew::prelude::*;

/// What a screen shows, fetched again whenever `deps` change. None while
/// loading.
#[hook]
pub fn use_fetch<D, T, F, Fut>(deps: D, fetch: F) -> UseStateHandle<Option<Result<T, CommandError>>>
where
    D: PartialEq + Clone + 'static,
    T: 'static,
    F: Fn(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, CommandError>> + 'static,
{
    let state = use_state(|| None);
    {
        let state = state.clone();
        use_effect_with(deps, move |d| {
            let fut = fetch(d.clone());
            wasm_bindgen_futures::spawn_local(async move { state.set(Some(fut.await)) });
        });
    }
    state
}

/// Shows a fetched value with `view`, a loading line, or the error.
pub fn fetched<T>(ctx: &Ctx, state: &Option<Result<T, CommandError>>, view: impl FnOnce(&T) -> Html) -> Html {
    match state {
        None => html! { <p class="loading">{ ctx.t("Đang tải…", "Loading…") }</p> },
        Some(Err(e)) => html! { <p class="form-failure" role="alert">{ e.message(ctx.lang).to_string() }</p> },
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
