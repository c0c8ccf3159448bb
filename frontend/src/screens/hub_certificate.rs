//! Chứng chỉ máy chủ: a hub certificate the tablet refused (the office's
//! own, not yet confirmed, or not the one confirmed), shown above every
//! screen until the officer compares its fingerprint with the one the
//! office printed with the enrolment code and confirms it. Nothing is sent
//! to the hub meanwhile.

use crate::api;
use crate::app::{Ctx, Notice};
use yew::prelude::*;

#[function_component]
pub fn HubCertificate() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let Some(seen) = ctx.info.hub_certificate_seen.clone() else {
        return html! {};
    };
    let l = ctx.lang;
    let changed = ctx.info.hub_certificate.is_some();
    let on_trust = {
        let (ctx, seen) = (ctx.clone(), seen.clone());
        Callback::from(move |_: MouseEvent| {
            let (ctx, seen) = (ctx.clone(), seen.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::trust_hub_certificate(&seen).await {
                    Ok(_) => {
                        ctx.notify.emit(Notice::Ok(
                            ctx.t(
                                "Đã xác nhận chứng chỉ máy chủ. Bấm Đồng bộ để gửi dữ liệu.",
                                "The hub's certificate is confirmed. Press Sync to send the data.",
                            )
                            .into(),
                        ));
                        ctx.refresh.emit(());
                    }
                    Err(e) => ctx.fail(&e),
                }
            });
        })
    };
    html! {
        <section class="card certificate" id="hub-certificate">
            <h3>{ if changed {
                l.pick("Chứng chỉ máy chủ đã thay đổi", "The hub's certificate has changed")
            } else {
                l.pick("Xác nhận chứng chỉ máy chủ", "Confirm the hub's certificate")
            } }</h3>
            <p>{ if changed { l.pick(
                "Máy chủ gửi một chứng chỉ KHÁC chứng chỉ đã xác nhận: có thể có người giả làm máy chủ huyện. Chưa có gì được gửi đi. Chỉ xác nhận khi văn phòng huyện cho biết đã đổi chứng chỉ và dấu vân tay mới dưới đây khớp từng nhóm với bản văn phòng đưa.",
                "The hub presented a certificate OTHER than the one confirmed: someone may be posing as the district hub. Nothing was sent. Confirm only if the district office says it changed its certificate and the new fingerprint below matches theirs group by group.")
            } else { l.pick(
                "Máy chủ huyện dùng chứng chỉ riêng của văn phòng. So từng nhóm của dấu vân tay dưới đây với dấu vân tay văn phòng in kèm mã đăng ký. Chưa có gì được gửi đi.",
                "The district hub uses the office's own certificate. Compare each group of the fingerprint below with the one the office printed with the enrolment code. Nothing has been sent yet.")
            } }</p>
            <code class="fingerprint" id="hub-certificate-seen">{ &seen }</code>
            <p class="meta">{ l.pick(
                "Nếu có nhóm nào khác, đừng xác nhận: hãy báo ngay văn phòng huyện.",
                "If any group differs, do not confirm: tell the district office at once.") }</p>
            <button id="trust-hub-certificate" class="primary wide" onclick={on_trust}>{
                l.pick("Khớp hoàn toàn: tin cậy chứng chỉ này", "It matches exactly: trust this certificate")
            }</button>
        </section>
    }
}
