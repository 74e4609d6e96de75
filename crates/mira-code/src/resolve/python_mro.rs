//! Python's method resolution order (C3 linearization): with `class D(B, C)` and both
//! deriving from `A`, a method is looked up in D, B, C and then A, where walking the
//! bases depth-first would reach A through B before C.

use super::table::{MAX_DEPTH, SymbolTable};
use super::{Target, resolve_type};
use crate::lang::Language;

/// The project classes of `type_q`'s MRO (qualified names), itself first. Bases outside
/// the project (`object`, `Exception`) add nothing; `None` when the order does not exist
/// (inconsistent bases, a cycle), and then the caller walks the bases depth-first.
pub(super) fn mro(t: &SymbolTable, type_q: &str, depth: u8) -> Option<Vec<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut seqs: Vec<Vec<String>> = Vec::new();
    let mut direct = Vec::new();
    for (base, module) in t.bases_of(type_q) {
        if let Some((Target::Sym(b), _)) = resolve_type(t, &base, &module, Language::Python, depth + 1) {
            let bq = t.sym(b).qualified_name.clone();
            if bq == type_q {
                return None;
            }
            seqs.push(mro(t, &bq, depth + 1)?);
            direct.push(bq);
        }
    }
    seqs.push(direct);
    let mut out = vec![type_q.to_string()];
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Some(out);
        }
        // The first head that is in no other sequence's tail.
        let head = seqs
            .iter()
            .map(|s| &s[0])
            .find(|h| !seqs.iter().any(|s| s[1..].contains(h)))?
            .clone();
        for s in &mut seqs {
            if s[0] == head {
                s.remove(0);
            }
        }
        out.push(head);
    }
}
