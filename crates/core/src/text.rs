//! Search keys come from the model crate, so the screens, the core and the
//! exports fold text the same way.

pub use pcmt_model::text::fold;
