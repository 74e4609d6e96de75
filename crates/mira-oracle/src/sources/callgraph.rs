//! One hop of the call graph around the symbols in play (named by the task or defined
//! by the best hits), and impact when the task asks what a change would break.

use mira_code::queries::{self, CallRef};

use super::{Found, Query, Scored, item};
use crate::rank::Ballot;

/// Call sites listed per direction and symbol.
const SITES: usize = 8;

pub async fn neighbours(q: &Query<'_>, symbols: &[String]) -> Result<Found, String> {
    let mut found = Found::default();
    let mut ballot = Ballot::new("callgraph", 0.5);
    for (rank, symbol) in symbols.iter().take(q.config.symbols.min(4)).enumerate() {
        let callers = queries::callers(q.db, q.project.id, symbol)
            .await
            .map_err(|e| e.to_string())?;
        let callees = queries::callees(q.db, q.project.id, symbol)
            .await
            .map_err(|e| e.to_string())?;
        if callers.is_empty() && callees.is_empty() {
            continue;
        }
        let mut text = String::new();
        section(&mut text, &format!("`{symbol}` is called by"), &callers, |c| {
            c.symbol.clone()
        });
        let resolved: Vec<&CallRef> = callees.iter().filter(|c| c.resolution != "unresolved").collect();
        let resolved: Vec<CallRef> = resolved.into_iter().cloned().collect();
        section(&mut text, &format!("`{symbol}` calls"), &resolved, |c| {
            c.symbol.clone()
        });
        for c in callers.iter().filter(|c| !c.is_test).take(SITES) {
            ballot.push(&c.file, format!("calls `{symbol}`"));
        }
        found.items.push(Scored {
            item: item("callgraph", None, None, text, format!("call graph of {symbol}")),
            base: 0.35 / (1.0 + rank as f64 * 0.3),
        });
    }
    found.ballots.push(ballot);
    Ok(found)
}

fn section(out: &mut String, title: &str, refs: &[CallRef], name: impl Fn(&CallRef) -> String) {
    if refs.is_empty() {
        return;
    }
    out.push_str(title);
    out.push_str(":\n");
    for c in refs.iter().take(SITES) {
        let test = if c.is_test { " (test)" } else { "" };
        out.push_str(&format!("- {} at {}:{}{test}\n", name(c), c.file, c.line));
    }
    if refs.len() > SITES {
        out.push_str(&format!("- ... and {} more\n", refs.len() - SITES));
    }
}

pub async fn impact(q: &Query<'_>, symbols: &[String]) -> Result<Found, String> {
    let mut found = Found::default();
    let mut ballot = Ballot::new("impact", 1.0);
    for symbol in symbols.iter().take(2) {
        let impact = queries::impact(q.db, q.project.id, symbol, 3)
            .await
            .map_err(|e| e.to_string())?;
        if impact.impacted.is_empty() {
            continue;
        }
        let mut text = format!(
            "Changing `{symbol}` may break {} symbol(s), {} of them tests:\n",
            impact.impacted.len(),
            impact.tests
        );
        for i in impact.impacted.iter().take(20) {
            let test = if i.is_test { " (test)" } else { "" };
            text.push_str(&format!(
                "- depth {}: {} at {}:{}{test}\n",
                i.depth, i.symbol, i.file, i.line
            ));
            if !i.is_test {
                ballot.push(&i.file, format!("may break when `{symbol}` changes"));
            }
        }
        if impact.impacted.len() > 20 {
            text.push_str(&format!("- ... and {} more\n", impact.impacted.len() - 20));
        }
        found.items.push(Scored {
            item: item("impact", None, None, text, format!("impact of {symbol}")),
            base: 0.85,
        });
    }
    found.ballots.push(ballot);
    Ok(found)
}
