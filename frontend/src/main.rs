//! The screens of Sổ tay PCMT. They hold form state and call the shell's
//! commands; validation comes from the shared model crate, so what the form
//! says is what the core will accept.

mod api;
mod app;
mod draft;
mod load;
mod location;
mod plot;
mod screens;
mod ui;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
