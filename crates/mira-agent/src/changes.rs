//! One file change, made safely: a checkpoint of the file's previous bytes first, then
//! the artifact (a unified diff); in auto mode the file is written at once, in ask mode
//! nothing touches the disk until the change is applied, and a rejection is what the
//! model reads back.

use std::path::Path;

use crate::artifacts::{self, Decision};
use crate::checkpoints::{self, sha256_hex};
use crate::events::AgentEvent;
use crate::fsutil::{read_in, write_atomic};
use crate::tools::{Mode, ToolContext, ToolOutput};

fn lossy(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
}

fn counts(diff: &str) -> (usize, usize) {
    let added = diff
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .count();
    let removed = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .count();
    (added, removed)
}

/// Proposes writing `new` to `target` (`path` relative to the root), whose bytes are
/// `previous` (`None`: it does not exist).
pub(crate) async fn propose(
    ctx: &ToolContext,
    path: &str,
    target: &Path,
    previous: Option<Vec<u8>>,
    new: Vec<u8>,
) -> Result<ToolOutput, String> {
    if previous.as_deref() == Some(new.as_slice()) {
        return Ok(ToolOutput::ok(format!(
            "no change: {path} already has this content"
        )));
    }
    let db = &ctx.db;
    let operation_id = ctx.operation_id();
    let checkpoint_id = checkpoints::take(db, operation_id, path, previous.as_deref())
        .await
        .map_err(|e| format!("cannot take a checkpoint of {path}, so nothing was changed: {e}"))?;
    let diff = artifacts::unified_diff(path, &lossy(previous.as_deref()), &lossy(Some(new.as_slice())));
    let (added, removed) = counts(&diff);
    let artifact = |artifact_id: i64, status: &str| AgentEvent::Artifact {
        artifact_id,
        checkpoint_id: checkpoint_id.clone(),
        path: path.to_string(),
        diff: diff.clone(),
        status: status.to_string(),
    };
    let applied = format!(
        "applied: {path} {} (+{added} -{removed} lines; checkpoint {})",
        if previous.is_some() { "changed" } else { "created" },
        &checkpoint_id[..12]
    );
    match ctx.mode {
        Mode::Auto => {
            write_atomic(&ctx.root, target, &new).map_err(|e| format!("cannot write {path}: {e}"))?;
            let id = artifacts::create(db, operation_id, &checkpoint_id, path, &diff, "applied")
                .await
                .map_err(|e| e.to_string())?;
            ctx.emitter.emit(artifact(id, "applied"), None).await;
            Ok(ToolOutput::ok(applied))
        }
        Mode::Ask => {
            let id = artifacts::create(db, operation_id, &checkpoint_id, path, &diff, "pending")
                .await
                .map_err(|e| e.to_string())?;
            let decision = ctx.handle.expect_decision(id);
            ctx.emitter.emit(artifact(id, "pending"), None).await;
            crate::hook_points::notify(
                ctx,
                "permission_prompt",
                &format!("Mira needs your decision on a change to {path}"),
            )
            .await;
            let cancel = ctx.handle.token();
            let decision = tokio::select! {
                d = decision => d.unwrap_or(Decision::Reject),
                _ = cancel.cancelled() => {
                    ctx.handle.forget_decision(id);
                    decide(ctx, id, "rejected").await;
                    return Err(format!("the operation was cancelled; the change to {path} was not written"));
                }
            };
            match decision {
                Decision::Reject => {
                    decide(ctx, id, "rejected").await;
                    Ok(ToolOutput::err(format!(
                        "the user rejected this change to {path}; it was not written. Do not propose it again: \
                         change your approach, or ask_user what they want."
                    )))
                }
                Decision::Apply => {
                    // The file may have changed while the change waited.
                    let now = read_in(&ctx.root, path).ok().flatten();
                    if now.as_deref().map(sha256_hex) != previous.as_deref().map(sha256_hex) {
                        decide(ctx, id, "rejected").await;
                        return Err(format!(
                            "{path} changed on disk while this change waited for a decision; it was not written. Read the file again."
                        ));
                    }
                    if let Err(e) = write_atomic(&ctx.root, target, &new) {
                        decide(ctx, id, "rejected").await;
                        return Err(format!("cannot write {path}: {e}"));
                    }
                    decide(ctx, id, "applied").await;
                    Ok(ToolOutput::ok(applied))
                }
            }
        }
    }
}

async fn decide(ctx: &ToolContext, artifact_id: i64, status: &str) {
    if let Err(e) = artifacts::set_status(&ctx.db, artifact_id, status).await {
        tracing::warn!(artifact_id, error = %e, "cannot record an artifact's decision");
    }
    ctx.emitter
        .emit(
            AgentEvent::ArtifactDecided {
                artifact_id,
                status: status.into(),
            },
            None,
        )
        .await;
}
