//! Git history around the files in play: the files that usually change with them (a fix
//! in one often needs the other) and who knows them best.

use mira_git::queries;

use super::{Found, Query, Scored, item};
use crate::rank::Ballot;

pub async fn cochange(q: &Query<'_>, in_play: &[String]) -> Result<Found, String> {
    let mut found = Found::default();
    let mut ballot = Ballot::new("cochange", 0.6);
    for (rank, file) in in_play.iter().take(3).enumerate() {
        let partners = queries::cochange(q.db, q.project.id, file, 6, q.git)
            .await
            .map_err(|e| e.to_string())?;
        if partners.is_empty() {
            continue;
        }
        let mut text = format!("Files that usually change together with {file}:\n");
        for p in &partners {
            text.push_str(&format!(
                "- {} (confidence {:.2}: {})\n",
                p.file, p.confidence, p.evidence
            ));
            if p.confidence >= 0.3 {
                ballot.push(
                    &p.file,
                    format!(
                        "changes with {file} ({:.0}% of its commits)",
                        p.confidence * 100.0
                    ),
                );
            }
        }
        found.items.push(Scored {
            item: item("cochange", None, None, text, format!("co-change of {file}")),
            base: 0.25 / (1.0 + rank as f64 * 0.5),
        });
    }
    found.ballots.push(ballot);
    Ok(found)
}

pub async fn experts(q: &Query<'_>, in_play: &[String]) -> Result<Found, String> {
    let mut found = Found::default();
    let Some(file) = in_play.first() else {
        return Ok(found);
    };
    let experts = queries::experts(q.db, q.project.id, file, false, 3)
        .await
        .map_err(|e| e.to_string())?;
    if experts.is_empty() {
        return Ok(found);
    }
    let mut text = format!("Who knows {file} best:\n");
    for e in &experts {
        text.push_str(&format!(
            "- {} ({} commits, {} lines changed, last {}; score {:.0})\n",
            e.name,
            e.commits,
            e.lines_changed,
            queries::ago(chrono_now() - e.last_commit_at),
            e.score
        ));
    }
    found.items.push(Scored {
        item: item("experts", None, None, text, format!("experts of {file}")),
        base: 0.1,
    });
    Ok(found)
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
