//! Cutting free text to what a record, a message or a terminal can carry: one rule everywhere,
//! counted in characters (never cutting inside one), the last character an ellipsis when
//! anything was cut.

use std::borrow::Cow;

/// `text` when it has at most `max` characters; else its first `max - 1` characters and `…`.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match cut(text, max) {
        None => Cow::Borrowed(text),
        Some(kept) => Cow::Owned(format!("{kept}…")),
    }
}

/// The prefix [`clip`] keeps (leaving room for the `…`), or `None` when `text` fits in `max`
/// characters. For callers that must adjust the cut (Slack keeps `&amp;` entities whole).
pub fn cut(text: &str, max: usize) -> Option<&str> {
    let (end, _) = text.char_indices().nth(max)?;
    let keep = text[..end].char_indices().nth(max.saturating_sub(1)).map_or(end, |(i, _)| i);
    Some(&text[..keep])
}

#[cfg(test)]
mod tests {
    use super::clip;
    use proptest::prelude::*;

    #[test]
    fn text_that_fits_is_untouched_and_longer_text_ends_in_an_ellipsis() {
        assert_eq!(clip("short", 5), "short");
        assert_eq!(clip("longer", 5), "long…");
        assert_eq!(clip("ééééé€", 3), "éé…");
        assert_eq!(clip("", 0), "");
    }

    proptest! {
        #[test]
        fn never_longer_than_asked_and_a_prefix_of_the_text(text in "\\PC{0,60}", max in 1usize..40) {
            let clipped = clip(&text, max);
            prop_assert!(clipped.chars().count() <= max);
            let kept = clipped.strip_suffix('…').unwrap_or(&clipped);
            prop_assert!(text.starts_with(kept));
        }
    }
}
