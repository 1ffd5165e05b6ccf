//! Numbers and words for readers: Danish number formats in Danish (1.234.567 kr.,
//! 12,5 mio. kr., decimal comma) and English ones in English.

/// Language of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Dansk.
    Da,
    /// English.
    En,
}

/// Group the integer part in threes with `sep`.
fn grouped(int: u64, sep: char) -> String {
    let s = int.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// A number with `decimals` decimals in the language's format.
pub fn num(v: f64, decimals: usize, lang: Lang) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let (thousands, point) = match lang {
        Lang::Da => ('.', ','),
        Lang::En => (',', '.'),
    };
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let int: u64 = int.parse().unwrap_or(0);
    let mut s = String::new();
    // No minus sign on a value that rounds to zero.
    if v < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        s.push('−');
    }
    s.push_str(&grouped(int, thousands));
    if decimals > 0 {
        s.push(point);
        s.push_str(frac);
    }
    s
}

/// Whole kroner: `1.234.567 kr.` / `DKK 1,234,567`.
pub fn dkk(v: f64, lang: Lang) -> String {
    match lang {
        Lang::Da => format!("{} kr.", num(v, 0, lang)),
        Lang::En => format!("DKK {}", num(v, 0, lang)),
    }
}

/// Millions: `12,5 mio. kr.` / `DKK 12.5m`.
pub fn mio(v: f64, lang: Lang) -> String {
    match lang {
        Lang::Da => format!("{} mio. kr.", num(v / 1e6, 1, lang)),
        Lang::En => format!("DKK {}m", num(v / 1e6, 1, lang)),
    }
}

/// A share as a percentage: `12,5 %` / `12.5 %`.
pub fn pct(v: f64, lang: Lang) -> String {
    format!("{} %", num(v * 100.0, 1, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danish_and_english_formats() {
        assert_eq!(dkk(1_234_567.4, Lang::Da), "1.234.567 kr.");
        assert_eq!(dkk(1_234_567.4, Lang::En), "DKK 1,234,567");
        assert_eq!(mio(12_456_000.0, Lang::Da), "12,5 mio. kr.");
        assert_eq!(mio(-12_456_000.0, Lang::En), "DKK −12.5m");
        assert_eq!(pct(0.125, Lang::Da), "12,5 %");
        assert_eq!(num(999.0, 0, Lang::Da), "999");
        assert_eq!(num(1000.0, 0, Lang::Da), "1.000");
        assert_eq!(num(-0.04, 1, Lang::Da), "0,0");
        assert_eq!(num(f64::NAN, 1, Lang::Da), "–");
    }
}
