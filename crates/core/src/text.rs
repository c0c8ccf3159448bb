//! Text keys for search: officers type names without diacritics on tablets
//! with no Vietnamese keyboard, so "nguyen van a" must find "Nguyễn Văn A".

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

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn vietnamese_names_fold_to_plain_lower_case() {
        assert_eq!(fold("Nguyễn Văn A"), "nguyen van a");
        assert_eq!(fold("  ĐẶNG   Thị  Ưng "), "dang thi ung");
        assert_eq!(fold("Hồ Ngọc Hà"), "ho ngoc ha");
        assert_eq!(fold("Y Thị Hoa"), fold("y thi hoa"));
        assert_eq!(fold("Đăk Pék"), "dak pek");
    }
}
