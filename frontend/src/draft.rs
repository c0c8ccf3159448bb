//! A form as typed, in one reducer ([`Form`]): the officer's edits, a GPS
//! fix, the stored draft and a reset are actions applied to the form as it
//! is when they arrive, so an answer that comes late (a position fix while
//! the officer types, a draft read) never puts back what the form held when
//! it was asked for.
//!
//! Drafts: a half-filled form is kept on the device (through the store, not
//! the webview) so closing the app or a crash loses nothing; a saved or
//! abandoned form clears its draft. Each write is an fsync'd encrypted
//! write, so it is made once the officer pauses ([`DRAFT_PAUSE_MS`] after
//! the last change), when a field loses focus, when the app is hidden and
//! when the screen is left, never at every keystroke; one write at a time,
//! so they land in the order typed.

use crate::api;
use gloo_timers::callback::Timeout;
use pcmt_model::{GeoPoint, Lang};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// How long the officer must stop typing before the draft is written.
pub const DRAFT_PAUSE_MS: u32 = 800;

/// A form's text, which a position fix can land in.
pub trait FormText: Clone + PartialEq + 'static {
    /// Which position field a fix is for (a form with several: the site).
    type Spot;
    /// Writes the fix into that field, and only there.
    fn place(&mut self, spot: Self::Spot, at: GeoPoint);
}

/// The position button ("Lấy vị trí") of a form: one fix, written into
/// `spot` of the form as it is when the fix arrives (the officer may have
/// typed on meanwhile: only the position changes), or the officer told
/// there is none and may type it. `busy`, if given, is true meanwhile.
pub fn locate<D: FormText>(
    ctx: &crate::app::Ctx,
    form: &UseReducerHandle<Form<D>>,
    spot: D::Spot,
    busy: Option<UseStateHandle<bool>>,
) -> Callback<MouseEvent>
where
    D::Spot: Clone,
{
    let (form, ctx) = (form.clone(), ctx.clone());
    Callback::from(move |_: MouseEvent| {
        if let Some(b) = &busy {
            b.set(true);
        }
        let (form, spot) = (form.dispatcher(), spot.clone());
        let (ctx2, busy2, busy3) = (ctx.clone(), busy.clone(), busy.clone());
        crate::location::once(
            Callback::from(move |p| {
                form.dispatch(FormAction::Located(spot.clone(), p));
                if let Some(b) = &busy2 {
                    b.set(false);
                }
            }),
            Callback::from(move |_| {
                if let Some(b) = &busy3 {
                    b.set(false);
                }
                ctx2.notify.emit(crate::app::Notice::Failed(
                    ctx2.t(
                        "Không lấy được vị trí GPS. Có thể nhập tọa độ bằng tay.",
                        "No GPS position. You can type the coordinates.",
                    )
                    .into(),
                ));
            }),
        );
    })
}

/// The form's state: its text and what the screen says about its draft.
#[derive(Clone, PartialEq)]
pub struct Form<D> {
    pub text: D,
    /// The text came from a stored draft (the form says so).
    pub restored: bool,
    /// Counts changes to the text; `written` is the count the last draft
    /// write held, and `clean` the count at which the form was (re)opened.
    version: u64,
    written: u64,
    clean: u64,
}

impl<D> Form<D> {
    pub fn new(text: D) -> Self {
        Self {
            text,
            restored: false,
            version: 0,
            written: 0,
            clean: 0,
        }
    }

    /// What the officer typed is on the device as a draft.
    pub fn draft_saved(&self) -> bool {
        self.version != self.clean && self.written == self.version
    }
}

/// What can happen to a form.
pub enum FormAction<D: FormText> {
    /// The officer changed a field: applied to the form as it is now.
    Edit(Box<dyn FnOnce(&mut D)>),
    /// A GPS fix arrived: the position field changes, nothing else.
    Located(D::Spot, GeoPoint),
    /// The stored draft was read. Kept only if the officer has not started
    /// typing meanwhile: what they typed wins.
    DraftRead(D),
    /// The draft holding the form at this version was written.
    DraftWritten(u64),
    /// Saved or abandoned: the form starts again from this.
    Reset(D),
}

impl<D: FormText> Reducible for Form<D> {
    type Action = FormAction<D>;

    fn reduce(self: Rc<Self>, action: FormAction<D>) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            FormAction::Edit(edit) => {
                edit(&mut next.text);
                next.version += 1;
            }
            FormAction::Located(spot, at) => {
                next.text.place(spot, at);
                next.version += 1;
            }
            FormAction::DraftRead(text) => {
                if self.version != self.clean {
                    return self;
                }
                next.text = text;
                next.restored = true;
            }
            FormAction::DraftWritten(version) => next.written = version,
            FormAction::Reset(text) => {
                next.text = text;
                next.restored = false;
                next.version += 1;
                next.clean = next.version;
            }
        }
        Rc::new(next)
    }
}

/// A form kept as a draft under `key`: its state, `reset` (back to a blank
/// form, draft dropped) and `flush` (write the draft now: wire it to the
/// form's `onfocusout`).
pub struct Draft<D: FormText> {
    pub form: UseReducerHandle<Form<D>>,
    pub reset: Callback<D>,
    pub flush: Callback<FocusEvent>,
}

/// The draft writer: the latest text to write, the pause timer, and
/// whether a write is on its way (the next waits for it).
struct Writer {
    key: String,
    /// What to write next (None: drop the draft) and the form version it holds.
    next: Option<(Option<String>, u64)>,
    /// What the store holds, so an unchanged form is not written again.
    stored: Option<Option<String>>,
    timer: Option<Timeout>,
    busy: bool,
    written: Callback<u64>,
}

fn flush(writer: &Rc<RefCell<Writer>>) {
    let mut w = writer.borrow_mut();
    w.timer = None;
    if w.busy {
        return;
    }
    let Some((json, version)) = w.next.take() else {
        return;
    };
    if w.stored.as_ref() == Some(&json) {
        w.written.emit(version);
        return;
    }
    w.busy = true;
    let key = w.key.clone();
    drop(w);
    let writer = writer.clone();
    wasm_bindgen_futures::spawn_local(async move {
        // A draft that cannot be written only loses the draft, not the form.
        let ok = api::save_draft(&key, json.clone()).await.is_ok();
        let mut w = writer.borrow_mut();
        w.busy = false;
        if ok {
            w.stored = Some(json);
            w.written.emit(version);
        }
        let more = w.next.is_some() && w.timer.is_none();
        drop(w);
        if more {
            flush(&writer);
        }
    });
}

#[hook]
pub fn use_draft<D>(key: String, init: D) -> Draft<D>
where
    D: FormText + Serialize + DeserializeOwned,
{
    let form = use_reducer(|| Form::new(init.clone()));
    let baseline = use_mut_ref(|| init.clone());
    // Until the stored draft is read, the form is the blank one: writing it
    // would overwrite the draft about to be restored.
    let loaded = use_mut_ref(|| false);
    let writer = {
        let (key, dispatcher) = (key.clone(), form.dispatcher());
        use_mut_ref(move || Writer {
            key,
            next: None,
            stored: None,
            timer: None,
            busy: false,
            written: Callback::from(move |v| dispatcher.dispatch(FormAction::DraftWritten(v))),
        })
    };

    {
        let (dispatcher, loaded, writer) = (form.dispatcher(), loaded.clone(), writer.clone());
        use_effect_with(key, move |key| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(json) = api::load_draft(&key).await {
                    if let Some(d) = json
                        .as_deref()
                        .and_then(|j| serde_json::from_str::<D>(j).ok())
                    {
                        dispatcher.dispatch(FormAction::DraftRead(d));
                    }
                    writer.borrow_mut().stored = Some(json);
                }
                *loaded.borrow_mut() = true;
            });
        });
    }
    {
        let (loaded, baseline, writer) = (loaded.clone(), baseline.clone(), writer.clone());
        use_effect_with((form.text.clone(), form.version), move |(text, version)| {
            if *loaded.borrow() {
                let json = (*text != *baseline.borrow())
                    .then(|| serde_json::to_string(text).ok())
                    .flatten();
                let mut w = writer.borrow_mut();
                w.next = Some((json, *version));
                let again = writer.clone();
                w.timer = Some(Timeout::new(DRAFT_PAUSE_MS, move || flush(&again)));
            }
        });
    }
    {
        // Leaving the screen, or the app going to the background (a tablet
        // may close it there), writes what waits.
        let writer = writer.clone();
        use_effect_with((), move |_| {
            let hidden = {
                let writer = writer.clone();
                wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || flush(&writer))
            };
            let document = web_sys::window().and_then(|w| w.document());
            if let Some(d) = &document {
                // Without the listener the draft is still written after the pause.
                let _ = d.add_event_listener_with_callback(
                    "visibilitychange",
                    hidden.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(d) = &document {
                    let _ = d.remove_event_listener_with_callback(
                        "visibilitychange",
                        hidden.as_ref().unchecked_ref(),
                    );
                }
                flush(&writer);
            }
        });
    }
    let reset = {
        let (dispatcher, baseline, writer) = (form.dispatcher(), baseline.clone(), writer.clone());
        Callback::from(move |next: D| {
            *baseline.borrow_mut() = next.clone();
            {
                let mut w = writer.borrow_mut();
                w.timer = None;
                w.next = Some((None, 0));
            }
            flush(&writer);
            dispatcher.dispatch(FormAction::Reset(next));
        })
    };
    let flush_now = Callback::from(move |_: FocusEvent| flush(&writer));
    Draft {
        form,
        reset,
        flush: flush_now,
    }
}

/// The form's opening line when it came back from a stored draft.
pub fn restored_note<D>(l: Lang, form: &Form<D>) -> Html {
    html! {
        if form.restored {
            <p class="notice draft" id="draft-restored">{ l.pick("Đã khôi phục bản nháp chưa lưu.", "An unsaved draft was restored.") }</p>
        }
    }
}

/// Beside the save button: whether what was typed is kept on the device.
/// Always drawn (empty when not), so the form never jumps as it changes.
pub fn saved_note<D>(l: Lang, form: &Form<D>) -> Html {
    html! {
        <p class="draft-state" id="draft-state" role="status">{
            if form.draft_saved() { l.pick("Bản nháp đã được giữ trên máy.", "Draft kept on this tablet.") } else { "" }
        }</p>
    }
}

/// A form with no position field.
pub enum NoSpot {}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Note {
        words: String,
        at: Option<GeoPoint>,
    }

    impl FormText for Note {
        type Spot = ();
        fn place(&mut self, _: (), at: GeoPoint) {
            self.at = Some(at);
        }
    }

    fn blank() -> Rc<Form<Note>> {
        Rc::new(Form::new(Note {
            words: String::new(),
            at: None,
        }))
    }

    fn typed(words: &'static str) -> FormAction<Note> {
        FormAction::Edit(Box::new(move |n: &mut Note| n.words = words.into()))
    }

    const HERE: GeoPoint = GeoPoint {
        lat: 15.0512,
        lon: 107.7321,
    };

    #[test]
    fn a_fix_arriving_after_typing_sets_the_position_and_keeps_the_text() {
        // The officer asks for a fix, then types while the GPS searches.
        let form = blank()
            .reduce(typed("Chợ phiên"))
            .reduce(FormAction::Located((), HERE));
        assert_eq!(form.text.words, "Chợ phiên");
        assert_eq!(form.text.at, Some(HERE));
    }

    #[test]
    fn a_draft_read_after_the_officer_started_typing_does_not_replace_it() {
        let stored = Note {
            words: "yesterday's".into(),
            at: None,
        };
        let form = blank().reduce(FormAction::DraftRead(stored.clone()));
        assert!(form.restored);
        assert_eq!(form.text, stored);

        let form = blank()
            .reduce(typed("today's"))
            .reduce(FormAction::DraftRead(stored));
        assert!(!form.restored);
        assert_eq!(form.text.words, "today's");
    }

    #[test]
    fn the_draft_shows_as_saved_only_for_the_text_that_was_written() {
        let form = blank().reduce(typed("a"));
        assert!(!form.draft_saved());
        let written_at = form.version;
        let form = form.reduce(FormAction::DraftWritten(written_at));
        assert!(form.draft_saved());
        // Typed on while that write was on its way: not saved yet.
        let form = form.reduce(typed("ab"));
        assert!(!form.draft_saved());
        let form = form.reduce(FormAction::DraftWritten(written_at));
        assert!(!form.draft_saved());
    }

    #[test]
    fn a_reset_form_is_clean_and_no_longer_restored() {
        let stored = Note {
            words: "kept".into(),
            at: Some(HERE),
        };
        let form = blank()
            .reduce(FormAction::DraftRead(stored))
            .reduce(typed("more"));
        let v = form.version;
        let form = form
            .reduce(FormAction::DraftWritten(v))
            .reduce(FormAction::Reset(Note {
                words: String::new(),
                at: None,
            }));
        assert!(!form.restored);
        assert!(!form.draft_saved());
        assert_eq!(form.text.words, "");
        // A write of the old text landing after the reset changes nothing shown.
        assert!(!form.reduce(FormAction::DraftWritten(v)).draft_saved());
    }
}
