//! First start (Bắt đầu): language, the officer and their unit, the district
//! hub, and the office's one-time enrolment code. Works offline: the code is
//! traded for a token at the first sync.

use crate::api;
use crate::app::Ctx;
use crate::draft::{Form, FormAction, FormText, NoSpot};
use crate::ui::{self, field, setter, text_input, Keys};
use pcmt_model::api::{CommandError, Settings, SetupInput};
use pcmt_model::{Field, FieldError, Lang};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_done: Callback<()>,
    pub set_lang: Callback<Lang>,
}

#[derive(Clone, PartialEq)]
struct Setup {
    settings: Settings,
    code: String,
}

/// The office's code the environment offers lands only in an empty box:
/// one the officer already typed stays.
impl FormText for Setup {
    type Spot = NoSpot;
    fn place(&mut self, spot: NoSpot, _: pcmt_model::GeoPoint) {
        match spot {}
    }
}

fn offer_code(code: String) -> FormAction<Setup> {
    FormAction::Edit(Box::new(move |f: &mut Setup| {
        if f.code.trim().is_empty() {
            f.code = code;
        }
    }))
}

#[function_component]
pub fn FirstStart(props: &Props) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let form = use_reducer(|| {
        Form::new(Setup {
            settings: ctx.info.settings.clone(),
            code: String::new(),
        })
    });
    let errors = use_state(Vec::<FieldError>::new);
    let failure = use_state(|| None::<CommandError>);
    {
        let form = form.dispatcher();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(code) = api::default_enrol_code().await {
                    form.dispatch(offer_code(code));
                }
            });
        });
    }
    let l = ctx.lang;
    let pick_lang = |lang: Lang| {
        let (form, set_lang) = (form.clone(), props.set_lang.clone());
        Callback::from(move |_: MouseEvent| {
            form.dispatch(FormAction::Edit(Box::new(move |f: &mut Setup| {
                f.settings.lang = lang
            })));
            set_lang.emit(lang);
        })
    };
    let on_submit = {
        let (form, errors, failure, on_done) = (
            form.clone(),
            errors.clone(),
            failure.clone(),
            props.on_done.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = SetupInput {
                settings: form.text.settings.clone(),
                code: form.text.code.clone(),
            };
            let (errors, failure, on_done) = (errors.clone(), failure.clone(), on_done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::set_up(&input).await {
                    Ok(_) => on_done.emit(()),
                    Err(e) => {
                        errors.set(e.fields.clone());
                        failure.set(Some(e));
                    }
                }
            });
        })
    };
    let f = &form.text;
    let errs = &*errors;
    html! {
        <div class="first-start">
            <form class="card" onsubmit={on_submit} novalidate=true>
                <h1>{ "Sổ tay PCMT" }</h1>
                <p class="lead">{ l.pick(
                    "Sổ tay điện tử phòng, chống ma túy cho cán bộ xã. Điền các thông tin dưới đây một lần; sau đó ứng dụng dùng được cả khi không có mạng.",
                    "The drug-prevention field notebook for commune officers. Fill this in once; after that the app works without a network.") }</p>
                <div class="field">
                    <span class="label">{ l.pick("Ngôn ngữ", "Language") }</span>
                    <div class="segmented">
                        <button type="button" id="first-lang-vi" class={classes!("chip", (f.settings.lang == Lang::Vi).then_some("on"))} onclick={pick_lang(Lang::Vi)}>{ "Tiếng Việt" }</button>
                        <button type="button" id="first-lang-en" class={classes!("chip", (f.settings.lang == Lang::En).then_some("on"))} onclick={pick_lang(Lang::En)}>{ "English" }</button>
                    </div>
                </div>
                <div class="grid">
                    { field(l, "officer", Field::Officer, None, errs, text_input("officer", &f.settings.officer, Keys::Text,
                        l.pick("Họ và tên cán bộ", "Officer's full name"), setter(&form, |f: &mut Setup, v| f.settings.officer = v))) }
                    { field(l, "unit", Field::Unit, None, errs, text_input("unit", &f.settings.unit, Keys::Text,
                        l.pick("VD: Công an xã Đăk Pék", "e.g. Đăk Pék commune police"), setter(&form, |f: &mut Setup, v| f.settings.unit = v))) }
                    { field(l, "hub_url", Field::HubUrl, None, errs, text_input("hub_url", &f.settings.hub_url, Keys::Text,
                        "https://", setter(&form, |f: &mut Setup, v| f.settings.hub_url = v))) }
                    { field(l, "enrol_code", Field::EnrolCode, None, errs, text_input("enrol_code", &f.code, Keys::Text,
                        l.pick("Mã văn phòng huyện cấp", "Code from the district office"), setter(&form, |f: &mut Setup, v| f.code = v))) }
                </div>
                <p class="meta">{ l.pick(
                    "Nếu văn phòng in kèm mã một dấu vân tay chứng chỉ máy chủ, hãy giữ lại: ở lần đồng bộ đầu, máy sẽ hiện dấu vân tay của máy chủ để bạn so trước khi gửi gì.",
                    "If the office printed a hub certificate fingerprint with the code, keep it: at the first sync the tablet shows the hub's fingerprint for you to compare before anything is sent.") }</p>
                { ui::failure(l, &failure) }
                <button id="start" class="primary wide" type="submit">{ l.pick("Bắt đầu sử dụng", "Start") }</button>
            </form>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn blank() -> Rc<Form<Setup>> {
        Rc::new(Form::new(Setup {
            settings: Settings {
                lang: Lang::Vi,
                officer: String::new(),
                unit: String::new(),
                hub_url: "https://hub.example".into(),
                lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
            },
            code: String::new(),
        }))
    }

    fn typed(code: &'static str) -> FormAction<Setup> {
        FormAction::Edit(Box::new(move |f: &mut Setup| f.code = code.into()))
    }

    #[test]
    fn the_offered_code_fills_an_empty_box_only() {
        let offered = blank().reduce(offer_code("ABCD-EFGH".into()));
        assert_eq!(offered.text.code, "ABCD-EFGH");
        // Typed before the offer arrived: what was typed stays.
        let typed_first = blank()
            .reduce(typed("K7M2-P9QX"))
            .reduce(offer_code("ABCD-EFGH".into()));
        assert_eq!(typed_first.text.code, "K7M2-P9QX");
    }
}
