//! The app lock (khóa ứng dụng): choosing the PIN at first start, and
//! giving it to open the app. Shown before anything else, so nothing of the
//! register is on screen until the PIN was given. Needs no open store.

use crate::api;
use crate::ui::{self, field};
use pcmt_model::api::{CommandError, LockState};
use pcmt_model::pin::check_new_pin;
use pcmt_model::{Field, FieldError, Lang};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lang: Lang,
    pub state: LockState,
    /// The store is open: the app may show itself.
    pub on_open: Callback<LockState>,
    /// The officer switched the language here, before any store is open.
    pub on_lang: Callback<LockState>,
}

fn secret_input(id: &str, value: &UseStateHandle<String>) -> Html {
    let set = value.clone();
    ui::secret_input(id, value, Callback::from(move |v| set.set(v)))
}

#[function_component]
pub fn LockScreen(props: &Props) -> Html {
    let pin = use_state(String::new);
    let again = use_state(String::new);
    let errors = use_state(Vec::<FieldError>::new);
    let failure = use_state(|| None::<CommandError>);
    let busy = use_state(|| false);
    let l = props.lang;
    let choosing = !props.state.pin_set;

    let on_submit = {
        let (pin, again, errors, failure, busy, on_open) = (
            pin.clone(),
            again.clone(),
            errors.clone(),
            failure.clone(),
            busy.clone(),
            props.on_open.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            let secret = (*pin).clone();
            if choosing {
                if let Err(e) = check_new_pin(Field::Pin, &secret) {
                    errors.set(vec![e]);
                    return;
                }
                if *again != secret {
                    errors.set(Vec::new());
                    failure.set(Some(CommandError::plain(
                        "Hai lần nhập mã PIN không khớp nhau.",
                        "The two PINs typed do not match.",
                    )));
                    return;
                }
            }
            errors.set(Vec::new());
            failure.set(None);
            busy.set(true);
            let (pin, errors, failure, busy, on_open) = (
                pin.clone(),
                errors.clone(),
                failure.clone(),
                busy.clone(),
                on_open.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                let opened = if choosing {
                    api::set_pin(&secret).await
                } else {
                    api::unlock(&secret).await
                };
                busy.set(false);
                match opened {
                    Ok(state) => on_open.emit(state),
                    Err(e) => {
                        pin.set(String::new());
                        errors.set(e.fields.clone());
                        failure.set(Some(e));
                    }
                }
            });
        })
    };

    let waiting = (props.state.wait_s > 0 && !choosing).then(|| {
        format!(
            "{} {} {}",
            l.pick(
                "Đã nhập sai nhiều lần: thử lại sau",
                "Too many wrong PINs: try again in"
            ),
            props.state.wait_s,
            l.pick("giây.", "seconds.")
        )
    });
    let errs = &*errors;
    let toggle_lang = {
        let on_lang = props.on_lang.clone();
        let next = if l == Lang::Vi { Lang::En } else { Lang::Vi };
        Callback::from(move |_: MouseEvent| {
            let on_lang = on_lang.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(state) = api::choose_lang(next).await {
                    on_lang.emit(state);
                }
            });
        })
    };
    html! {
        <div class="first-start lock">
            <form class="card" id={if choosing { "pin-setup" } else { "unlock-form" }} onsubmit={on_submit} novalidate=true>
                <div class="lock-top">
                    <h1>{ "Sổ tay PCMT" }</h1>
                    <button type="button" id="lock-lang" class="secondary" onclick={toggle_lang}>{ l.pick("English", "Tiếng Việt") }</button>
                </div>
                if choosing {
                    <h2>{ l.pick("Đặt mã PIN cho máy này", "Choose a PIN for this tablet") }</h2>
                    <p class="lead">{ l.pick(
                        "Hồ sơ người được quản lý là dữ liệu nhạy cảm: dữ liệu trên máy được mã hóa và chỉ mở được bằng mã PIN này. Dùng ít nhất 6 chữ số, không lặp lại hay liên tiếp (như 111111, 123456), hoặc một mật khẩu từ 10 ký tự. Hãy ghi nhớ: không ai khôi phục được mã PIN.",
                        "Files on people under management are sensitive: the data on this tablet is encrypted and opens only with this PIN. Use at least 6 digits, not repeated or in a row (like 111111, 123456), or a passphrase of 10 characters or more. Remember it: nobody can recover a PIN.") }</p>
                    <div class="grid">
                        { field(l, "pin", Field::Pin, None, errs, secret_input("pin", &pin)) }
                        { field(l, "pin-again", Field::PinAgain, None, errs, secret_input("pin-again", &again)) }
                    </div>
                } else {
                    <h2>{ l.pick("Nhập mã PIN để mở", "Enter the PIN to open") }</h2>
                    <p class="lead">{ l.pick(
                        "Ứng dụng đã khóa để bảo vệ hồ sơ trên máy.",
                        "The app is locked to protect the files on this tablet.") }</p>
                    { field(l, "pin", Field::Pin, None, errs, secret_input("pin", &pin)) }
                }
                if let Some(w) = waiting { <p class="form-failure" id="pin-wait" role="alert">{ w }</p> }
                { ui::failure(l, &failure) }
                <button id={if choosing { "set-pin" } else { "unlock" }} class="primary wide" type="submit" disabled={*busy}>
                    if *busy { <span class="spinner" aria-hidden="true"></span> }
                    { match (choosing, *busy) {
                        (_, true) => l.pick("Đang mở khóa dữ liệu…", "Opening the data…"),
                        (true, false) => l.pick("Đặt mã PIN và mã hóa dữ liệu", "Set the PIN and encrypt the data"),
                        (false, false) => l.pick("Mở khóa", "Unlock"),
                    } }
                </button>
            </form>
        </div>
    }
}
