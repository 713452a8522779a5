//! Turns the user's free-text `q` into a full-text query that can never be a
//! syntax error: we split it into alphanumeric words ourselves (the same way
//! both engines' tokenizers split indexed text) and emit each as a quoted
//! prefix term, AND-ed. Punctuation, operators and quotes in `q` are thereby
//! separators, never syntax.

/// Lower-cased alphanumeric words of `q`, at most 16 (longer queries add
/// nothing but cost). Empty when `q` has no searchable word.
pub(crate) fn words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .take(16)
        .collect()
}

/// FTS5 MATCH expression: `"word"* "other"*` (implicit AND). Words contain no
/// `"` (they are alphanumeric), quoting is belt and braces.
pub(crate) fn fts5_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// PostgreSQL `to_tsquery('simple', ...)` input: `'word':* & 'other':*`.
pub(crate) fn pg_tsquery(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("'{}':*", w.replace('\'', "''").replace('\\', "\\\\")))
        .collect::<Vec<_>>()
        .join(" & ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_quotes_are_separators() {
        assert_eq!(
            words(r#"deploy "prod" OR-x:y (z*) -"#),
            ["deploy", "prod", "or", "x", "y", "z"]
        );
        assert!(words(" \"'():*- ").is_empty());
        assert_eq!(fts5_query(&words("Déploi ab")), r#""déploi"* "ab"*"#);
        assert_eq!(pg_tsquery(&words("a b")), "'a':* & 'b':*");
    }
}
