//! Numbers written the Danish way (`520 000`, `520.000,50`, `0,4`): TOML cannot read them, and
//! its own message ("string values must be quoted", "expected newline") does not say why. This
//! module recognises such a number around the place TOML stopped and says how to write it.

/// When the TOML error at byte `offset` of `text` sits in a number written with a space or a dot
/// between thousands or a decimal comma, a message that says so and shows how to write it.
pub fn danish_number_hint(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text.get(line_start..line_end)?;
    let at = offset - line_start;
    let bytes = line.as_bytes();
    let numeric = |b: u8| b.is_ascii_digit() || b == b' ' || b == b'.' || b == b',' || b == b'_';
    // Widen from the error position over digits, spaces, dots and commas.
    let mut start = at.min(bytes.len());
    while start > 0 && numeric(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = at.min(bytes.len());
    while end < bytes.len() && numeric(bytes[end]) {
        end += 1;
    }
    let written = line.get(start..end)?.trim();
    // A list (`[1, 2]`) or several values are not one number: a comma followed by a space.
    if written.contains(", ") || !written.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let digit_gap = |sep: char| {
        let cs: Vec<char> = written.chars().collect();
        cs.windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == sep && w[2].is_ascii_digit())
    };
    let space = digit_gap(' ');
    let comma = digit_gap(',');
    if !space && !comma {
        return None;
    }
    // Thousands separators (spaces, and dots when a decimal comma is used) go; the comma becomes
    // a decimal point.
    let mut plain: String = written.chars().filter(|c| *c != ' ' && *c != '_').collect();
    if comma {
        plain = plain.replace('.', "").replace(',', ".");
    }
    if plain.parse::<f64>().is_err() || plain.matches('.').count() > 1 {
        return None;
    }
    let grouped = group_thousands(&plain);
    let what = match (space, comma) {
        (true, true) => "a space between thousands and a decimal comma",
        (true, false) => "a space between thousands",
        _ if written.contains('.') => "dots between thousands and a decimal comma",
        _ => "a decimal comma",
    };
    let also = if grouped != plain {
        format!(" or {grouped}")
    } else {
        String::new()
    };
    Some(format!(
        "`{written}` looks like a number written the Danish way ({what}), which TOML cannot \
         read; write numbers with a decimal point and no spaces or dots between thousands: \
         {plain}{also}"
    ))
}

/// `520000.5` → `520_000.5`: the integer part grouped by three with underscores.
fn group_thousands(plain: &str) -> String {
    let (int, frac) = match plain.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (plain, None),
    };
    if int.len() <= 3 {
        return plain.to_string();
    }
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(text: &str) -> Option<String> {
        let e = toml::from_str::<toml::Table>(text).unwrap_err();
        danish_number_hint(text, e.span().unwrap().start)
    }

    #[test]
    fn spaces_dots_and_commas_are_explained() {
        let h = hint("[a]\ncost_per_fte_year = 520 000\n").unwrap();
        assert!(h.contains("520000 or 520_000"), "{h}");
        assert!(h.contains("space between thousands"), "{h}");
        let h = hint("x = 520.000,50\n").unwrap();
        assert!(h.contains("520000.50"), "{h}");
        assert!(h.contains("decimal comma"), "{h}");
        let h = hint("[arms.t]\noffer_share = 0,4\n").unwrap();
        assert!(h.contains(": 0.4"), "{h}");
        let h = hint("[b]\nx = 1 250 000 # kr.\n").unwrap();
        assert!(h.contains("1250000 or 1_250_000"), "{h}");
    }

    #[test]
    fn other_errors_get_no_hint() {
        assert_eq!(hint("x = [1, 2\n"), None);
        assert_eq!(hint("x = \"open\n"), None);
        assert_eq!(hint("x = abc\n"), None);
    }
}
