//! Numbers and words for readers: Danish number formats in Danish (1.234.567 kr.,
//! 12,5 mio. kr., decimal comma) and English ones in English.

/// Language of a report and of the terminal texts (`--lang da|en`; Danish by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Dansk.
    Da,
    /// English.
    En,
}

impl Lang {
    /// The Danish or the English text, as the language says.
    pub fn pick<T>(self, da: T, en: T) -> T {
        match self {
            Lang::Da => da,
            Lang::En => en,
        }
    }
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

/// A number as written (up to six decimals, no trailing zeros), thousands grouped, in the
/// language's format: `0,8`, `14.575`, `0,0008` / `0.8`, `14,575`.
pub fn plain(v: f64, lang: Lang) -> String {
    let s = num(v, 6, lang);
    let point = lang.pick(',', '.');
    if s.contains(point) {
        s.trim_end_matches('0').trim_end_matches(point).to_string()
    } else {
        s
    }
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

/// Columns a string takes on a terminal: combining marks and zero-width characters take
/// none, East Asian wide characters and emoji two, everything else one.
pub fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F | 0x20D0..=0x20FF => 0,
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces to `width` display columns, on the right (`left = true`, for text)
/// or on the left (for numbers).
pub fn pad(s: &str, width: usize, left: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(display_width(s)));
    if left {
        format!("{s}{fill}")
    } else {
        format!("{fill}{s}")
    }
}

/// Axis labels in the language's number format: `mio()` gives `−12,5 mio.` in Danish (whole
/// numbers without decimals), `percent()` `45 %`, `count()` `1.200`, `decimal()` `0,5`.
pub mod axis {
    use super::{Lang, num};

    fn decimals(v: f64) -> usize {
        if (v - v.round()).abs() < 1e-9 { 0 } else { 1 }
    }

    /// Millions of kroner.
    pub fn mio(v: f64, lang: Lang) -> String {
        let m = v / 1e6;
        format!("{} mio.", num(m, decimals(m), lang))
    }

    /// A share as a percentage.
    pub fn percent(v: f64, lang: Lang) -> String {
        format!("{} %", num(v * 100.0, 0, lang))
    }

    /// A whole number.
    pub fn count(v: f64, lang: Lang) -> String {
        num(v, 0, lang)
    }

    /// A number with at most two decimals.
    pub fn decimal(v: f64, lang: Lang) -> String {
        let d = if (v - v.round()).abs() < 1e-9 {
            0
        } else if (v * 10.0 - (v * 10.0).round()).abs() < 1e-9 {
            1
        } else {
            2
        };
        num(v, d, lang)
    }
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

    #[test]
    fn axis_labels_in_danish_use_a_decimal_comma() {
        assert_eq!(axis::mio(-10_000_000.0, Lang::Da), "−10 mio.");
        assert_eq!(axis::mio(-2_500_000.0, Lang::Da), "−2,5 mio.");
        assert_eq!(axis::mio(-2_500_000.0, Lang::En), "−2.5 mio.");
        assert_eq!(axis::count(1200.0, Lang::Da), "1.200");
        assert_eq!(axis::decimal(0.5, Lang::Da), "0,5");
        assert_eq!(axis::percent(0.45, Lang::Da), "45 %");
    }

    #[test]
    fn padding_counts_display_columns() {
        assert_eq!(display_width("Førtidspension"), 14);
        assert_eq!(display_width("e\u{301}"), 1);
        assert_eq!(display_width("日本"), 4);
        assert_eq!(pad("æø", 4, true), "æø  ");
        assert_eq!(pad("日", 4, false), "  日");
    }
}
