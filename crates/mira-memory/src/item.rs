//! Memory items by id, as every surface prints them: `f12` a fact, `s5` a rolling
//! summary, `p3` a learned pattern, `t34` a turn (a bare number is a fact).

use mira_store::Db;

use crate::{MemoryError, facts, patterns, summaries, turns};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemId {
    Fact(i64),
    Summary(i64),
    Pattern(i64),
    Turn(i64),
}

impl ItemId {
    pub fn parse(id: &str) -> Result<Self, MemoryError> {
        let bad = || {
            MemoryError::Invalid(format!(
                "{id:?} is not a memory item id: use f12 for a fact, s5 for a summary, p3 for a pattern or t34 for a turn, as `mira memory list` and `search` print them"
            ))
        };
        let id = id.trim();
        let (kind, number) = match id.chars().next() {
            Some(c @ ('f' | 's' | 'p' | 't')) => (c, &id[1..]),
            _ => ('f', id),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        Ok(match kind {
            's' => Self::Summary(n),
            'p' => Self::Pattern(n),
            't' => Self::Turn(n),
            _ => Self::Fact(n),
        })
    }

    /// Deletes the item for good (a fact with its sources and index entry, and so on).
    pub async fn forget(self, db: &Db) -> Result<(), MemoryError> {
        match self {
            Self::Fact(n) => facts::forget(db, n).await,
            Self::Summary(n) => summaries::forget(db, n).await,
            Self::Pattern(n) => patterns::forget(db, n).await,
            Self::Turn(n) => turns::forget(db, n).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ItemId;

    #[test]
    fn ids_are_read_by_their_letter_and_bad_ones_say_what_to_use() {
        assert_eq!(ItemId::parse("f12").unwrap(), ItemId::Fact(12));
        assert_eq!(ItemId::parse("12").unwrap(), ItemId::Fact(12));
        assert_eq!(ItemId::parse("s5").unwrap(), ItemId::Summary(5));
        assert_eq!(ItemId::parse("p3").unwrap(), ItemId::Pattern(3));
        assert_eq!(ItemId::parse("t34").unwrap(), ItemId::Turn(34));
        let e = ItemId::parse("x9").unwrap_err().to_string();
        assert!(e.contains("s5 for a summary"), "{e}");
    }
}
