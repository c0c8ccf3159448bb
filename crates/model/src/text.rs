//! Text as officers read and type it. Search keys: officers type names
//! without diacritics on tablets with no Vietnamese keyboard, so "nguyen van
//! a" must find "Nguyễn Văn A". Numbers: "1.234,5" in Vietnamese.

use crate::Lang;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Lower case, Vietnamese diacritics removed (đ → d), spaces collapsed.
pub fn fold(text: &str) -> String {
    let bare: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect();
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A number as the reader writes it: "1.234,5" in Vietnamese, "1,234.5" in
/// English.
pub fn number(v: f64, decimals: usize, lang: Lang) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::new();
    if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fold, number};
    use crate::Lang;

    #[test]
    fn vietnamese_names_fold_to_plain_lower_case() {
        assert_eq!(fold("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(fold("  ĐẶNG   Thị  Ưng "), "dang thi ung");
        assert_eq!(fold("Hồ Ngọc Hà"), "ho ngoc ha");
        assert_eq!(fold("Y Thị Hoa"), fold("y thi hoa"));
        assert_eq!(fold("Đăk Pék"), "dak pek");
    }

    #[test]
    fn numbers_are_grouped_the_way_each_language_writes_them() {
        assert_eq!(number(1234567.0, 0, Lang::Vi), "1.234.567");
        assert_eq!(number(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(number(87.5, 1, Lang::Vi), "87,5");
        assert_eq!(number(0.0, 0, Lang::Vi), "0");
        assert_eq!(number(-12.0, 0, Lang::Vi), "-12");
    }
}
