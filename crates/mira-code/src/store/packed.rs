//! Reading many small rows as one: a query aggregates its rows into one text value
//! (fields joined by the ASCII unit separator, records by the record separator), which
//! this splits again. The driver hands rows over one at a time between threads, which
//! costs microseconds a row; a re-index reads a few thousand rows on its way, and this
//! is most of what that costs.

use sqlx::SqliteConnection;

/// SQL for one record of `fields` (SQL expressions), to put in `group_concat(.., char(30))`.
pub fn record(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| format!("COALESCE({f}, '')"))
        .collect::<Vec<_>>()
        .join(" || char(31) || ")
}

/// Runs `sql` (one row, one text column built with [`record`]) and splits it into records
/// of `width` fields; `None` when a field held a separator itself (then the caller reads
/// rows instead).
pub async fn fetch(
    conn: &mut SqliteConnection,
    sql: &str,
    bind: i64,
    width: usize,
) -> Result<Option<Vec<Vec<String>>>, sqlx::Error> {
    let packed: Option<String> = sqlx::query_scalar(sql).bind(bind).fetch_one(&mut *conn).await?;
    let packed = packed.unwrap_or_default();
    let mut out = Vec::new();
    for rec in packed.split('\u{1e}').filter(|r| !r.is_empty()) {
        let fields: Vec<String> = rec.split('\u{1f}').map(str::to_string).collect();
        if fields.len() != width {
            return Ok(None);
        }
        out.push(fields);
    }
    Ok(Some(out))
}
