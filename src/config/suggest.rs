//! "Did you mean …?" for misspelt names in configuration files.

/// The candidate closest to `wrong` by edit distance, if it is close enough to
/// be a plausible typo (at most a third of the word, and at least one edit).
pub fn nearest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(wrong, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// `; did you mean "x"?` or nothing, ready to append to a message.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    nearest(wrong, candidates)
        .map(|name| format!("; did you mean \"{name}\"?"))
        .unwrap_or_default()
}

/// Edit distance where swapping two neighbouring characters counts as one
/// edit, the commonest typo ("tabel"), besides insertions, deletions and
/// substitutions (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between the first i chars of a and first j of b.
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = rows[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("stp", "stop"), 1);
        assert_eq!(edit_distance("stop", "stop"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("tabel", "table"), 1);
    }

    #[test]
    fn suggests_only_plausible_typos() {
        let names = ["stop", "start", "restart"];
        assert_eq!(nearest("stp", names), Some("stop"));
        assert_eq!(nearest("restrat", names), Some("restart"));
        assert_eq!(nearest("xyzzy", names), None);
        assert_eq!(did_you_mean("stp", names), "; did you mean \"stop\"?");
    }
}
