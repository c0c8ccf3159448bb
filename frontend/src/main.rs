//! The screens of Sổ tay PCMT. They hold form state and call the shell's
//! commands; validation comes from the shared model crate, so what the form
//! says is what the core will accept.

mod api;
mod app;
mod session_form;
mod session_list;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
