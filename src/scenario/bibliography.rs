//! The register of sources: `[sources.KEY]` entries (institution or author, title, year, place,
//! address) and citations of them in `source` texts, written as the key in square brackets
//! followed by the place and the figure taken, e.g.
//! `source = "[kk-biu-2017] punkt 2: 9.5 mio. kr. a year for ≈18 caseworkers"`.
//!
//! `ressim check` refuses a citation of a key that is not in the register; the report cites the
//! short keys and ends with the entries cited.

use serde::Serialize;

/// One entry of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The key a `source` text cites it by.
    pub key: String,
    /// Institution or author.
    pub author: String,
    /// Title.
    pub title: String,
    /// Year of publication.
    pub year: i64,
    /// The table, page or section used.
    pub place: Option<String>,
    /// A public address.
    pub url: Option<String>,
}

/// True when `s` may be a key: lowercase ASCII letters, digits and `-`, starting with a letter
/// or digit.
pub fn is_key(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The citations in a text: every `[key]` whose inside is a key (other bracketed text, such
/// as `[0, 1]` or `[EST]`, is not a citation). With byte ranges of the brackets.
pub fn citations(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('[').map(|i| from + i) {
        let Some(close) = text[open + 1..].find(']').map(|i| open + 1 + i) else {
            break;
        };
        let inside = &text[open + 1..close];
        if is_key(inside) && inside.chars().any(|c| c.is_ascii_lowercase()) {
            out.push((open..close + 1, inside));
            from = close + 1;
        } else {
            from = open + 1;
        }
    }
    out
}

/// The keys a text cites, in order, each once.
pub fn cited_keys(text: &str) -> Vec<&str> {
    let mut keys: Vec<&str> = Vec::new();
    for (_, k) in citations(text) {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// A text with each citation replaced by `cite(key)` and everything else by `plain(text)`
/// (e.g. HTML-escaped text with links to the bibliography).
pub fn render(text: &str, plain: impl Fn(&str) -> String, cite: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (range, key) in citations(text) {
        out.push_str(&plain(&text[at..range.start]));
        out.push_str(&cite(key));
        at = range.end;
    }
    out.push_str(&plain(&text[at..]));
    out
}

impl Reference {
    /// One line of a bibliography: "Author (year). Title. Place. Address".
    pub fn line(&self) -> String {
        let mut s = format!("{} ({}). {}.", self.author, self.year, self.title);
        if let Some(p) = &self.place {
            s.push_str(&format!(" {p}."));
        }
        if let Some(u) = &self.url {
            s.push_str(&format!(" {u}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_are_lowercase_keys_in_brackets_only() {
        let t = "[kk-biu-2017] punkt 2; [ds-sagstal] and [EST], [0, 1], [a b], [2016] [x";
        assert_eq!(cited_keys(t), vec!["kk-biu-2017", "ds-sagstal"]);
        assert_eq!(cited_keys("[a][a] [b]"), vec!["a", "b"]);
        assert!(cited_keys("no brackets").is_empty());
        assert!(cited_keys("[[nested]]") == vec!["nested"]);
    }

    #[test]
    fn keys_are_lowercase_ascii_digits_and_hyphens() {
        assert!(is_key("lov-refusion-5"));
        assert!(is_key("2016-dst"));
        assert!(!is_key("lov-refusion-§5"));
        assert!(!is_key("-a"));
        assert!(!is_key("A"));
        assert!(!is_key(""));
    }

    #[test]
    fn render_replaces_citations_and_keeps_the_rest() {
        let r = render(
            "[a] p. 2 <b>",
            |s| s.replace('<', "&lt;"),
            |k| format!("#{k}"),
        );
        assert_eq!(r, "#a p. 2 &lt;b>");
    }
}
