//! Turning text into an FTS5 query: the words that tell items apart, each quoted (so
//! FTS5 operators in the text are plain words), joined with OR so that BM25 ranks by how
//! many and how rare the matched words are.

/// Question words and other words that match nearly every turn of a conversation.
const STOPWORDS: &[&str] = &[
    "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "doing", "for", "from", "had",
    "has", "have", "having", "he", "her", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "just", "me", "might", "my", "of", "on", "or", "our", "ours", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "theirs", "them", "then", "there", "these", "they", "this",
    "those", "to", "too", "us", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "whose", "why", "will", "with", "would", "you", "your", "yours", "s", "t",
];

/// Terms used at most: a pasted log adds little past this many, and each one costs.
const MAX_TERMS: usize = 64;

pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// The lowercase words of `text` that are worth matching, first occurrence order,
/// without repeats.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if is_stopword(&word) || out.contains(&word) {
            continue;
        }
        out.push(word);
        if out.len() == MAX_TERMS {
            break;
        }
    }
    out
}

/// `"a" OR "b" OR ...`: each term quoted, so that FTS5 reads it as a plain word.
pub fn or_of(terms: &[String]) -> String {
    terms.iter().map(|t| quoted(t)).collect::<Vec<_>>().join(" OR ")
}

/// One term as an FTS5 string (terms are alphanumeric, so nothing inside needs escaping).
pub fn quoted(term: &str) -> String {
    format!("\"{term}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_words_are_dropped_and_operators_quoted() {
        assert_eq!(
            or_of(&terms("When did Caroline go to the LGBTQ support group? NOT AND")),
            "\"caroline\" OR \"go\" OR \"lgbtq\" OR \"support\" OR \"group\" OR \"not\""
        );
        assert!(terms("what is it?").is_empty());
    }
}
