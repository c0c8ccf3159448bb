//! Languages and labels. Vietnamese is the default: officers read Vietnamese
//! first, English is for visiting staff and partners.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// Picks the text for this language out of a (Vietnamese, English) pair.
    pub fn pick(self, vi: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// A closed list of choices with a stable code (stored in documents and
/// rows) and a label in each language (shown on screens and in reports).
pub trait Labelled: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(self) -> &'static str;
    fn label(self, lang: Lang) -> &'static str;
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Declares a closed list with its codes and vi/en labels in one place, so a
/// new choice cannot get a code without a label or the other way round.
#[macro_export]
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = ($code:literal, $vi:literal, $en:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $code)] $variant),+
        }

        impl $crate::lang::Labelled for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }
            fn label(self, lang: $crate::lang::Lang) -> &'static str {
                match self { $(Self::$variant => lang.pick($vi, $en)),+ }
            }
        }
    };
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Every closed list: codes unique and round-tripping through serde and
    /// `from_code`, a label in each language.
    pub(crate) fn assert_well_labelled<T>()
    where
        T: Labelled + PartialEq + std::fmt::Debug + serde::Serialize + serde::de::DeserializeOwned,
    {
        let mut codes: Vec<_> = T::ALL.iter().map(|v| v.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), T::ALL.len(), "duplicate code");
        for v in T::ALL {
            assert_eq!(T::from_code(v.code()), Some(*v));
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.code()));
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), *v);
            assert!(!v.label(Lang::Vi).is_empty() && !v.label(Lang::En).is_empty());
        }
    }

    labelled_enum!(Colour {
        Red = ("red", "Đỏ", "Red"),
        Blue = ("blue", "Xanh", "Blue"),
    });

    #[test]
    fn codes_round_trip_and_labels_follow_language() {
        for c in Colour::ALL {
            assert_eq!(Colour::from_code(c.code()), Some(*c));
        }
        assert_eq!(Colour::Red.label(Lang::Vi), "Đỏ");
        assert_eq!(Colour::Red.label(Lang::En), "Red");
        assert_eq!(Colour::from_code("green"), None);
        assert_eq!(serde_json::to_string(&Colour::Blue).unwrap(), "\"blue\"");
    }
}
