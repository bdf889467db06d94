//! The audit log's export: the filtered set, whole, as NDJSON or CSV, in chain order, read
//! in batches as it is sent (`http/audit_export.rs` serves it). The scope decides what each
//! entry shows: a team's export has no sequence numbers or hashes, which would tell how much
//! the rest of the log holds.

use bytes::Bytes;
use futures_util::stream;
use hangar_app::models::audit::{AuditCriteria, AuditFilter, AuditScope};

use super::AuditEntry;
use super::search::{self, Order};
use crate::clock::rfc3339;
use crate::db::Db;

/// Entries read per database round trip while streaming.
const BATCH: usize = 1_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

impl Format {
    /// NDJSON unless asked otherwise (it is the faithful one).
    pub fn parse(text: Option<&str>) -> Option<Self> {
        match text {
            None | Some("ndjson") => Some(Self::Ndjson),
            Some("csv") => Some(Self::Csv),
            _ => None,
        }
    }
}

impl Format {
    /// `(content type, file extension)`.
    pub fn media(self) -> (&'static str, &'static str) {
        match self {
            Self::Ndjson => ("application/x-ndjson", "ndjson"),
            Self::Csv => ("text/csv; charset=utf-8", "csv"),
        }
    }
}

/// The filter as the audit entry of an export records it.
pub fn describe(filter: &AuditFilter, scope: &AuditScope) -> String {
    let mut pairs = filter.pairs();
    if let AuditScope::Team(_) = scope {
        pairs.retain(|(name, _)| *name != "team");
    }
    let set: Vec<String> = pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if set.is_empty() {
        "every entry".into()
    } else {
        set.join(" ")
    }
}

/// The export's body: a CSV header first, then batches in chain order until none is left.
pub fn entries(
    db: Db,
    criteria: AuditCriteria,
    format: Format,
    full: bool,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let header = (format == Format::Csv).then(|| Bytes::from(csv_header(full)));
    let batches = stream::try_unfold(Some(0_i64), move |after| {
        let (db, criteria) = (db.clone(), criteria.clone());
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let batch = search::fetch(&db, &criteria, Order::ChainAfter(after), BATCH)
                .await
                .map_err(|error| {
                    tracing::error!(%error, "audit export failed part-way");
                    std::io::Error::other("the audit log could not be read")
                })?;
            let Some(last) = batch.last() else {
                return Ok(None);
            };
            let next = (batch.len() == BATCH).then_some(last.seq);
            let mut chunk = String::new();
            for entry in &batch {
                match format {
                    Format::Ndjson => chunk.push_str(&ndjson_line(entry, full)),
                    Format::Csv => chunk.push_str(&csv_line(entry, full)),
                }
                chunk.push('\n');
            }
            Ok(Some((Bytes::from(chunk), next)))
        }
    });
    // Fused: the compression layer's encoder polls once more after the end.
    futures_util::StreamExt::fuse(futures_util::StreamExt::chain(
        stream::iter(header.map(Ok)),
        batches,
    ))
}

/// One entry as a JSON object on one line; `full` adds its place in the chain.
pub fn ndjson_line(entry: &AuditEntry, full: bool) -> String {
    let mut object = serde_json::json!({
        "at": rfc3339(entry.at_ms),
        "at_ms": entry.at_ms,
        "actor_name": entry.actor_name,
        "actor_subject": entry.actor_subject,
        "actor_issuer": entry.actor_issuer,
        "team": entry.team,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "request_id": entry.request_id,
    });
    if full {
        object["seq"] = entry.seq.into();
        object["prev_hash"] = entry.prev_hash.clone().into();
        object["hash"] = entry.hash.clone().into();
    }
    object.to_string()
}

const CSV_COLUMNS: [&str; 10] = [
    "at",
    "actor_name",
    "actor_subject",
    "actor_issuer",
    "team",
    "action",
    "target",
    "outcome",
    "detail",
    "request_id",
];

pub fn csv_header(full: bool) -> String {
    let mut columns: Vec<&str> = Vec::new();
    if full {
        columns.push("seq");
    }
    columns.extend(CSV_COLUMNS);
    if full {
        columns.extend(["prev_hash", "hash"]);
    }
    format!("{}\n", columns.join(","))
}

pub fn csv_line(entry: &AuditEntry, full: bool) -> String {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let mut cells: Vec<String> = Vec::new();
    if full {
        cells.push(entry.seq.to_string());
    }
    cells.extend([
        rfc3339(entry.at_ms),
        text(&entry.actor_name),
        text(&entry.actor_subject),
        text(&entry.actor_issuer),
        text(&entry.team),
        entry.action.clone(),
        text(&entry.target),
        entry.outcome.clone(),
        text(&entry.detail),
        text(&entry.request_id),
    ]);
    if full {
        cells.extend([entry.prev_hash.clone(), entry.hash.clone()]);
    }
    cells
        .iter()
        .map(|cell| csv_cell(cell))
        .collect::<Vec<_>>()
        .join(",")
}

/// RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a formula (the log
/// holds what users typed). NDJSON is the faithful export.
fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 7,
            at_ms: 1_795_305_600_000,
            actor_issuer: Some("https://idp".into()),
            actor_subject: Some("alice".into()),
            actor_name: Some("Alice, A.".into()),
            team: Some("team_a".into()),
            action: "variable.save".into(),
            target: Some("=HYPERLINK(\"x\")".into()),
            outcome: "success".into(),
            detail: Some("line one\nline two".into()),
            request_id: None,
            prev_hash: "p".into(),
            hash: "h".into(),
        }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let line = csv_line(&entry(), false);
        assert_eq!(
            line,
            "2026-11-22T00:00:00Z,\"Alice, A.\",alice,https://idp,team_a,variable.save,\
             \"'=HYPERLINK(\"\"x\"\")\",success,\"line one\nline two\","
        );
        assert!(csv_line(&entry(), true).starts_with("7,"));
        assert!(csv_line(&entry(), true).ends_with(",p,h"));
        assert_eq!(csv_header(false).split(',').count(), 10);
    }

    #[test]
    fn a_team_export_has_no_place_in_the_chain() {
        let team: serde_json::Value = serde_json::from_str(&ndjson_line(&entry(), false)).unwrap();
        assert!(team.get("seq").is_none() && team.get("hash").is_none());
        assert_eq!(team["detail"], "line one\nline two");
        let full: serde_json::Value = serde_json::from_str(&ndjson_line(&entry(), true)).unwrap();
        assert_eq!(
            (full["seq"].as_i64(), full["hash"].as_str()),
            (Some(7), Some("h"))
        );
    }
}
