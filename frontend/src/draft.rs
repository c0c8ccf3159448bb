//! Drafts: a half-filled form is kept on the device (through the store, not
//! the webview) as the officer types, so closing the app or a crash loses
//! nothing; a saved or abandoned form clears its draft.

use crate::api;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// A form's state, restored from its draft when there is one. The second
/// value tells whether a draft was restored (the form says so); `reset`
/// puts the form back to `init` and drops the draft.
pub struct Draft<D> {
    pub state: UseStateHandle<D>,
    pub restored: bool,
    pub reset: Callback<D>,
}

#[hook]
pub fn use_draft<D>(key: String, init: D) -> Draft<D>
where
    D: Clone + PartialEq + Serialize + DeserializeOwned + 'static,
{
    let state = use_state(|| init.clone());
    let baseline = use_mut_ref(|| init.clone());
    let loaded: Rc<RefCell<bool>> = use_mut_ref(|| false);
    let restored = use_state(|| false);

    {
        let (state, loaded, restored) = (state.clone(), loaded.clone(), restored.clone());
        use_effect_with(key.clone(), move |key| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(Some(json)) = api::load_draft(&key).await {
                    if let Ok(d) = serde_json::from_str::<D>(&json) {
                        state.set(d);
                        restored.set(true);
                    }
                }
                *loaded.borrow_mut() = true;
            });
        });
    }
    {
        let (key, loaded, baseline) = (key.clone(), loaded.clone(), baseline.clone());
        use_effect_with((*state).clone(), move |d| {
            // Until the stored draft is read, the state is the blank form: saving
            // it would overwrite the draft we are about to restore.
            if *loaded.borrow() {
                let json = (*d != *baseline.borrow())
                    .then(|| serde_json::to_string(d).ok())
                    .flatten();
                wasm_bindgen_futures::spawn_local(async move {
                    // A draft that cannot be written only loses the draft, not the form.
                    let _ = api::save_draft(&key, json).await;
                });
            }
        });
    }
    let reset = {
        let (state, baseline, restored) = (state.clone(), baseline.clone(), restored.clone());
        Callback::from(move |next: D| {
            *baseline.borrow_mut() = next.clone();
            restored.set(false);
            state.set(next);
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let _ = api::save_draft(&key, None).await;
            });
        })
    };
    Draft {
        state,
        restored: *restored,
        reset,
    }
}
