//! Rules for the free text that buyers and organisers send.

/// Whether `text` holds a control character (NUL, CR, LF, tab, escape, …). Such characters are
/// refused in ids and names: they reach e-mail headers, PDFs, CSV exports and logs, where a
/// line break can forge a header or a log line.
pub fn has_control_chars(text: &str) -> bool {
    text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::has_control_chars;

    #[test]
    fn control_characters_are_found_anywhere() {
        for bad in [
            "a\0b",
            "ana\r\nBcc: x",
            "\tname",
            "end\n",
            "esc\u{1b}[31m",
            "del\u{7f}",
        ] {
            assert!(has_control_chars(bad), "{bad:?}");
        }
        for good in [
            "ana@example.com",
            "Coldplay - Live in Santiago",
            "Zoë Ñandú 東京",
            "",
        ] {
            assert!(!has_control_chars(good), "{good:?}");
        }
    }
}
