//! "Did you mean …?" suggestions for misspelled keys and names.
//!
//! Strings are compared after normalization: ASCII letters are lower-cased and `_` counts as
//! `-`, so `Max_Replicas` matches `max-replicas` at distance 0. The distance is the optimal
//! string alignment distance (Damerau–Levenshtein restricted to non-overlapping edits: insert,
//! delete, substitute, or swap two adjacent characters, each costing 1), counted in characters.

/// Inputs longer than this (in characters) get no suggestion: identifiers are short, and the
/// cap keeps the quadratic distance computation cheap whatever a user writes.
pub const MAX_INPUT_CHARS: usize = 256;

fn normalize(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The optimal string alignment distance between two strings, after the normalization
/// described in the module docs (case and `_`/`-` are ignored).
///
/// Runs in O(|a|·|b|) time and O(|b|) memory; callers with untrusted input should bound the
/// lengths (as [`closest`] does).
pub fn distance(a: &str, b: &str) -> usize {
    osa(&normalize(a), &normalize(b))
}

fn osa(a: &[char], b: &[char]) -> usize {
    // Three rolling rows: i-2, i-1 and i.
    let width = b.len().saturating_add(1);
    let mut before: Vec<usize> = vec![0; width];
    let mut prev: Vec<usize> = (0..width).collect();
    let mut cur: Vec<usize> = vec![0; width];
    for (i, &ca) in a.iter().enumerate() {
        let row = i.saturating_add(1);
        if let Some(first) = cur.first_mut() {
            *first = row;
        }
        for (j, &cb) in b.iter().enumerate() {
            let col = j.saturating_add(1);
            let cost = usize::from(ca != cb);
            let deletion = prev
                .get(col)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(1);
            let insertion = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let substitution = prev
                .get(j)
                .copied()
                .unwrap_or(usize::MAX)
                .saturating_add(cost);
            let mut best = deletion.min(insertion).min(substitution);
            if let (Some(i1), Some(j1)) = (i.checked_sub(1), j.checked_sub(1)) {
                if a.get(i1) == Some(&cb) && b.get(j1) == Some(&ca) {
                    let transposition = before
                        .get(j1)
                        .copied()
                        .unwrap_or(usize::MAX)
                        .saturating_add(1);
                    best = best.min(transposition);
                }
            }
            if let Some(slot) = cur.get_mut(col) {
                *slot = best;
            }
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(usize::MAX)
}

/// The candidate closest to `input`, if it is close enough to be a plausible misspelling.
///
/// A candidate qualifies when its distance (see [`distance`]) is at most
/// `max(1, chars(input) / 3)`: one edit for short words, one per three characters for longer
/// ones. Among qualifying candidates the smallest distance wins; ties go to the
/// lexicographically smallest candidate, so the answer does not depend on the candidates'
/// order. Empty inputs, empty candidates and inputs longer than [`MAX_INPUT_CHARS`] get `None`.
///
/// ```
/// use platc_values::suggest::closest;
/// assert_eq!(closest("replcas", ["replicas", "resources"]), Some("replicas"));
/// assert_eq!(closest("Max_Surge", ["max-surge"]), Some("max-surge"));
/// assert_eq!(closest("zzz", ["replicas"]), None);
/// ```
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let a = normalize(input);
    if a.is_empty() || a.len() > MAX_INPUT_CHARS {
        return None;
    }
    let threshold = (a.len() / 3).max(1);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate.is_empty() {
            continue;
        }
        // Cheap reject: the distance is at least the difference in length.
        let len = candidate.chars().count();
        if len.abs_diff(a.len()) > threshold {
            continue;
        }
        let d = osa(&a, &normalize(candidate));
        if d > threshold {
            continue;
        }
        let better = match best {
            None => true,
            Some((bd, bc)) => d < bd || (d == bd && candidate < bc),
        };
        if better {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ab", "ba"), 1);
        assert_eq!(distance("replicas", "replcias"), 1);
        assert_eq!(distance("ca", "abc"), 3); // OSA, not unrestricted Damerau–Levenshtein
        assert_eq!(distance("MAX_SURGE", "max-surge"), 0);
        assert_eq!(distance("héllo", "hello"), 1);
    }

    #[test]
    fn suggests_close_candidates() {
        let keys = ["replicas", "resources", "readiness", "image", "env", "port"];
        assert_eq!(closest("replicas", keys), Some("replicas"));
        assert_eq!(closest("replica", keys), Some("replicas"));
        assert_eq!(closest("replcias", keys), Some("replicas"));
        assert_eq!(closest("imgae", keys), Some("image"));
        assert_eq!(closest("IMAGE", keys), Some("image"));
        assert_eq!(closest("envv", keys), Some("env"));
        assert_eq!(closest("prot", keys), Some("port"));
        assert_eq!(closest("resource_s", keys), Some("resources"));
    }

    #[test]
    fn ignores_underscore_and_case() {
        assert_eq!(
            closest("event_bus", ["event-bus", "events"]),
            Some("event-bus")
        );
        assert_eq!(closest("Event-Bus", ["event_bus"]), Some("event_bus"));
    }

    #[test]
    fn rejects_distant_candidates() {
        assert_eq!(closest("xyz", ["replicas", "image"]), None);
        assert_eq!(closest("ab", ["cd"]), None);
        assert_eq!(closest("database", ["cache"]), None);
        assert_eq!(closest("imag", ["image", "port"]), Some("image"));
        // 9 chars: threshold 3.
        assert_eq!(closest("resources", ["rezourzez"]), Some("rezourzez"));
        assert_eq!(closest("resources", ["rzzurzzzs"]), None);
    }

    #[test]
    fn threshold_is_one_for_short_inputs() {
        assert_eq!(closest("a", ["b"]), Some("b"));
        assert_eq!(closest("a", ["bc"]), None);
        assert_eq!(closest("ab", ["abc"]), Some("abc"));
        assert_eq!(closest("abcdef", ["abcxyz"]), None);
        assert_eq!(closest("abcdef", ["abcdxy"]), Some("abcdxy"));
    }

    #[test]
    fn ties_break_lexicographically() {
        assert_eq!(closest("cat", ["cut", "bat", "cab"]), Some("bat"));
        assert_eq!(closest("cat", ["cab", "cut", "bat"]), Some("bat"));
        assert_eq!(closest("cat", ["cut", "cab"]), Some("cab"));
        // A closer candidate beats a lexicographically smaller one.
        assert_eq!(closest("stage", ["aaage", "stages"]), Some("stages"));
    }

    #[test]
    fn empty_and_hostile_inputs() {
        assert_eq!(closest("", ["a", ""]), None);
        assert_eq!(closest("a", [""]), None);
        assert_eq!(closest("abc", std::iter::empty()), None);
        let huge = "a".repeat(1 << 20);
        assert_eq!(closest(&huge, [huge.as_str()]), None);
        assert_eq!(
            closest("replicas", [huge.as_str(), "replica"]),
            Some("replica")
        );
        assert_eq!(closest("\u{0}\u{1}", ["\u{0}\u{2}"]), Some("\u{0}\u{2}"));
        assert_eq!(closest("💥💥💥", ["💥💥"]), Some("💥💥"));
        let long = "b".repeat(MAX_INPUT_CHARS);
        assert_eq!(closest(&long, [long.as_str()]), Some(long.as_str()));
    }

    proptest! {
        #[test]
        fn never_panics(input in ".{0,40}", candidates in proptest::collection::vec(".{0,40}", 0..8)) {
            let _ = closest(&input, candidates.iter().map(String::as_str));
        }

        #[test]
        fn order_does_not_matter(input in "[a-c_-]{1,6}", mut candidates in proptest::collection::vec("[a-c_-]{1,6}", 0..8)) {
            let first = closest(&input, candidates.iter().map(String::as_str)).map(str::to_string);
            candidates.reverse();
            let second = closest(&input, candidates.iter().map(String::as_str)).map(str::to_string);
            prop_assert_eq!(first, second);
        }

        #[test]
        fn distance_is_a_symmetric_bounded_measure(a in ".{0,20}", b in ".{0,20}") {
            let d = distance(&a, &b);
            prop_assert_eq!(d, distance(&b, &a));
            prop_assert!(d <= a.chars().count().max(b.chars().count()));
            prop_assert_eq!(distance(&a, &a), 0);
        }

        #[test]
        fn result_is_a_candidate_within_threshold(input in "[a-e]{1,10}", candidates in proptest::collection::vec("[a-e]{1,10}", 0..8)) {
            if let Some(best) = closest(&input, candidates.iter().map(String::as_str)) {
                prop_assert!(candidates.iter().any(|c| c == best));
                prop_assert!(distance(&input, best) <= (input.len() / 3).max(1));
            }
        }
    }
}
