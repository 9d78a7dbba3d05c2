//! Reading the log: entries, queries, export, and chain verification.

use std::fmt;
use std::io::Write;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Row, params_from_iter};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::AuditLog;
use crate::error::{Error, Result};
use crate::hash::{Hash, HashInput};
use crate::record::Decision;

/// The most entries that one [`AuditLog::query`] or [`AuditLog::tail`] returns.
pub const MAX_QUERY_ROWS: usize = 10_000;

const COLUMNS: &str = "seq, time, principal, action, resource, decision, statement, source_ip, \
                       request_id, detail, prev_hash, hash";

/// A stored record, as read back. Exported as one JSON object per line with these field names;
/// hashes as 64 lowercase hex digits, `detail` as its stored JSON text (a string), so an export
/// can be re-hashed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Sequence number, from 1, without gaps.
    pub seq: u64,
    /// When it was recorded: RFC 3339, UTC, milliseconds (`2025-01-02T03:04:05.678Z`).
    pub time: String,
    /// Who.
    pub principal: String,
    /// What.
    pub action: String,
    /// To which resource.
    pub resource: String,
    /// The outcome.
    pub decision: Decision,
    /// The deciding statement (`policy-name#Sid`).
    pub statement: Option<String>,
    /// The caller's IP address, or empty.
    pub source_ip: String,
    /// The request id.
    pub request_id: String,
    /// The detail object's stored JSON text.
    pub detail: Option<String>,
    /// The previous record's hash ([`Hash::GENESIS`] for seq 1).
    pub prev_hash: Hash,
    /// This record's hash as stored.
    pub hash: Hash,
}

impl Entry {
    /// The hash this entry's fields and `prev_hash` should have; equal to [`Entry::hash`] unless
    /// the row was altered.
    pub fn computed_hash(&self) -> Hash {
        HashInput {
            seq: self.seq,
            time: &self.time,
            principal: &self.principal,
            action: &self.action,
            resource: &self.resource,
            decision: self.decision.as_str(),
            statement: self.statement.as_deref(),
            source_ip: &self.source_ip,
            request_id: &self.request_id,
            detail: self.detail.as_deref(),
            prev_hash: &self.prev_hash,
        }
        .hash()
    }

    /// [`Entry::time`] parsed, or `None` if it is not valid RFC 3339.
    pub fn timestamp(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.time, &Rfc3339).ok()
    }

    /// [`Entry::detail`] parsed as JSON, or `None` when absent or not valid JSON.
    pub fn detail_json(&self) -> Option<serde_json::Value> {
        self.detail
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
    }

    /// Reads a row selected with [`COLUMNS`]. `Err(column)` names a column whose value has the
    /// wrong type or shape.
    fn from_row(row: &Row<'_>) -> rusqlite::Result<std::result::Result<Entry, &'static str>> {
        let seq: i64 = row.get(0)?;
        let Ok(seq) = u64::try_from(seq) else {
            return Ok(Err("seq"));
        };
        macro_rules! col {
            ($i:expr, $name:expr) => {
                match row.get($i) {
                    Ok(v) => v,
                    Err(rusqlite::Error::InvalidColumnType(..))
                    | Err(rusqlite::Error::FromSqlConversionFailure(..)) => return Ok(Err($name)),
                    Err(e) => return Err(e),
                }
            };
        }
        let time: String = col!(1, "time");
        let principal: String = col!(2, "principal");
        let action: String = col!(3, "action");
        let resource: String = col!(4, "resource");
        let decision: String = col!(5, "decision");
        let statement: Option<String> = col!(6, "statement");
        let source_ip: String = col!(7, "source_ip");
        let request_id: String = col!(8, "request_id");
        let detail: Option<String> = col!(9, "detail");
        let prev_hash: Vec<u8> = col!(10, "prev_hash");
        let hash: Vec<u8> = col!(11, "hash");
        let Some(prev_hash) = Hash::from_slice(&prev_hash) else {
            return Ok(Err("prev_hash"));
        };
        let Some(hash) = Hash::from_slice(&hash) else {
            return Ok(Err("hash"));
        };
        Ok(Ok(Entry {
            seq,
            time,
            principal,
            action,
            resource,
            decision: Decision::from(decision),
            statement,
            source_ip,
            request_id,
            detail,
            prev_hash,
            hash,
        }))
    }
}

/// A point in the chain: a sequence number and the hash of the record there. The head of an
/// empty log is seq 0 with [`Hash::GENESIS`].
///
/// Keep the head somewhere the log's host cannot rewrite (another machine, a transparency log, a
/// signed message) and later pass it to [`AuditLog::verify_against`]: that is what turns "the
/// chain is consistent" into "the chain is the one we saw".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Head {
    /// The last record's seq (0 when empty).
    pub seq: u64,
    /// The last record's hash.
    pub hash: Hash,
}

/// What [`AuditLog::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every record from seq 1 on is linked and hashes correctly.
    Intact {
        /// How many records were checked.
        records: u64,
        /// The last record checked.
        head: Head,
    },
    /// The first place where the chain breaks.
    Broken(ChainBreak),
}

impl Verification {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        matches!(self, Verification::Intact { .. })
    }
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first bad sequence number.
    pub seq: u64,
    /// Why.
    pub reason: BreakReason,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {}: {}", self.seq, self.reason)
    }
}

/// Why a chain breaks at a given seq.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakReason {
    /// The row's fields do not hash to its stored hash: the row was edited.
    HashMismatch {
        /// The stored hash.
        stored: Hash,
        /// The hash of the stored fields.
        computed: Hash,
    },
    /// The row's `prev_hash` is not the previous row's hash: a row before it was removed,
    /// replaced or moved.
    BrokenLink {
        /// The previous row's hash.
        expected: Hash,
        /// The row's `prev_hash`.
        found: Hash,
    },
    /// This seq is missing: the row after seq−1 has seq `found` (deleted rows when `found` is
    /// larger; an out-of-range seq otherwise).
    Sequence {
        /// The seq of the row found in its place.
        found: i64,
    },
    /// A column has the wrong type or shape.
    Malformed {
        /// The column.
        column: &'static str,
    },
    /// The chain ends before the anchored seq: rows were removed from the end.
    Truncated {
        /// The anchored seq.
        anchored: u64,
    },
    /// The record at the anchored seq has another hash: the chain was rewritten.
    AnchorMismatch {
        /// The anchored hash.
        anchored: Hash,
        /// The stored hash.
        stored: Hash,
    },
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakReason::HashMismatch { stored, computed } => {
                write!(
                    f,
                    "hash mismatch: stored {stored}, fields hash to {computed}"
                )
            }
            BreakReason::BrokenLink { expected, found } => write!(
                f,
                "broken link: prev_hash is {found}, previous record's hash is {expected}"
            ),
            BreakReason::Sequence { found } => write!(f, "gap in seq: next row is seq {found}"),
            BreakReason::Malformed { column } => write!(f, "malformed column `{column}`"),
            BreakReason::Truncated { anchored } => {
                write!(f, "chain ends before anchored seq {anchored}")
            }
            BreakReason::AnchorMismatch { anchored, stored } => {
                write!(f, "anchored hash {anchored}, stored hash {stored}")
            }
        }
    }
}

/// Checks a stream of rows in seq order against the chain rules.
struct Checker<'a> {
    expected: u64,
    prev: Hash,
    anchor: Option<&'a Head>,
}

impl Checker<'_> {
    fn check(
        &mut self,
        row: std::result::Result<(i64, Entry), (i64, &'static str)>,
    ) -> Option<ChainBreak> {
        let expected = self.expected;
        let broken = |reason| {
            Some(ChainBreak {
                seq: expected,
                reason,
            })
        };
        let (raw_seq, entry) = match row {
            Ok(ok) => ok,
            Err((raw_seq, column)) => {
                if raw_seq != i64::try_from(expected).unwrap_or(i64::MAX) {
                    return broken(BreakReason::Sequence { found: raw_seq });
                }
                return broken(BreakReason::Malformed { column });
            }
        };
        if entry.seq != expected {
            return broken(BreakReason::Sequence { found: raw_seq });
        }
        if entry.prev_hash != self.prev {
            return broken(BreakReason::BrokenLink {
                expected: self.prev,
                found: entry.prev_hash,
            });
        }
        let computed = entry.computed_hash();
        if computed != entry.hash {
            return broken(BreakReason::HashMismatch {
                stored: entry.hash,
                computed,
            });
        }
        if let Some(anchor) = self.anchor
            && anchor.seq == expected
            && anchor.hash != entry.hash
        {
            return broken(BreakReason::AnchorMismatch {
                anchored: anchor.hash,
                stored: entry.hash,
            });
        }
        self.prev = entry.hash;
        self.expected += 1;
        None
    }

    fn finish(self) -> Verification {
        let records = self.expected - 1;
        if let Some(anchor) = self.anchor
            && anchor.seq > records
        {
            return Verification::Broken(ChainBreak {
                seq: self.expected,
                reason: BreakReason::Truncated {
                    anchored: anchor.seq,
                },
            });
        }
        Verification::Intact {
            records,
            head: Head {
                seq: records,
                hash: self.prev,
            },
        }
    }
}

/// Which entries [`AuditLog::query`] returns: all conditions must hold. Build it with
/// [`Filter::new`] and the setters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Filter {
    /// Exactly this principal.
    pub principal: Option<String>,
    /// Exactly this action.
    pub action: Option<String>,
    /// Exactly this decision.
    pub decision: Option<Decision>,
    /// Recorded at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Recorded before this time.
    pub until: Option<OffsetDateTime>,
    /// Seq greater than this (a cursor for paging forward).
    pub after_seq: Option<u64>,
    /// Seq less than this (a cursor for paging backward).
    pub before_seq: Option<u64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    /// At most this many entries (capped at [`MAX_QUERY_ROWS`]); default 100.
    pub limit: usize,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter::new()
    }
}

impl Filter {
    /// Everything, oldest first, at most 100 entries.
    pub fn new() -> Filter {
        Filter {
            principal: None,
            action: None,
            decision: None,
            since: None,
            until: None,
            after_seq: None,
            before_seq: None,
            newest_first: false,
            limit: 100,
        }
    }

    /// Only this principal.
    #[must_use]
    pub fn principal(mut self, principal: impl Into<String>) -> Filter {
        self.principal = Some(principal.into());
        self
    }

    /// Only this action.
    #[must_use]
    pub fn action(mut self, action: impl Into<String>) -> Filter {
        self.action = Some(action.into());
        self
    }

    /// Only this decision.
    #[must_use]
    pub fn decision(mut self, decision: impl Into<Decision>) -> Filter {
        self.decision = Some(decision.into());
        self
    }

    /// Only records at or after `since`.
    #[must_use]
    pub fn since(mut self, since: OffsetDateTime) -> Filter {
        self.since = Some(since);
        self
    }

    /// Only records before `until`.
    #[must_use]
    pub fn until(mut self, until: OffsetDateTime) -> Filter {
        self.until = Some(until);
        self
    }

    /// Only seq greater than `seq`.
    #[must_use]
    pub fn after_seq(mut self, seq: u64) -> Filter {
        self.after_seq = Some(seq);
        self
    }

    /// Only seq less than `seq`.
    #[must_use]
    pub fn before_seq(mut self, seq: u64) -> Filter {
        self.before_seq = Some(seq);
        self
    }

    /// Newest first.
    #[must_use]
    pub fn newest_first(mut self) -> Filter {
        self.newest_first = true;
        self
    }

    /// At most `limit` entries (capped at [`MAX_QUERY_ROWS`]).
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Filter {
        self.limit = limit;
        self
    }

    /// The SQL and its parameters.
    fn to_sql(&self) -> (String, Vec<SqlValue>) {
        let mut conds: Vec<&str> = Vec::new();
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(p) = &self.principal {
            conds.push("principal = ?");
            args.push(SqlValue::Text(p.clone()));
        }
        if let Some(a) = &self.action {
            conds.push("action = ?");
            args.push(SqlValue::Text(a.clone()));
        }
        if let Some(d) = &self.decision {
            conds.push("decision = ?");
            args.push(SqlValue::Text(d.as_str().to_owned()));
        }
        // Stored times are fixed-width UTC text, so text comparison is time comparison.
        // A bound outside years 0 to 9999 is no bound (or, for an impossible one, excludes all).
        if let Some(t) = self.since.and_then(time_bound) {
            conds.push("time >= ?");
            args.push(SqlValue::Text(t));
        } else if self.since.is_some_and(|t| t.year() > 9999) {
            conds.push("0");
        }
        if let Some(t) = self.until.and_then(time_bound) {
            conds.push("time < ?");
            args.push(SqlValue::Text(t));
        } else if self.until.is_some_and(|t| t.year() < 0) {
            conds.push("0");
        }
        if let Some(s) = self.after_seq {
            conds.push("seq > ?");
            args.push(SqlValue::Integer(i64::try_from(s).unwrap_or(i64::MAX)));
        }
        if let Some(s) = self.before_seq {
            conds.push("seq < ?");
            args.push(SqlValue::Integer(i64::try_from(s).unwrap_or(i64::MAX)));
        }
        let mut sql = format!("SELECT {COLUMNS} FROM audit");
        if !conds.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conds.join(" AND "));
        }
        sql.push_str(if self.newest_first {
            " ORDER BY seq DESC"
        } else {
            " ORDER BY seq"
        });
        sql.push_str(" LIMIT ?");
        let limit = self.limit.min(MAX_QUERY_ROWS);
        args.push(SqlValue::Integer(i64::try_from(limit).unwrap_or(0)));
        (sql, args)
    }
}

fn time_bound(t: OffsetDateTime) -> Option<String> {
    let utc = t.to_offset(time::UtcOffset::UTC);
    (0..=9999)
        .contains(&utc.year())
        .then(|| crate::rfc3339_ms(utc))
}

/// Reads rows of `sql` as entries; a malformed row is an error here (verify reports it instead).
fn entries(conn: &Connection, sql: &str, args: Vec<SqlValue>) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare(sql).map_err(Error::db("prepare query"))?;
    let mut rows = stmt
        .query(params_from_iter(args))
        .map_err(Error::db("query"))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(Error::db("read row"))? {
        out.push(entry_or_corrupt(row)?);
    }
    Ok(out)
}

fn entry_or_corrupt(row: &Row<'_>) -> Result<Entry> {
    match Entry::from_row(row).map_err(Error::db("read row"))? {
        Ok(e) => Ok(e),
        Err(column) => {
            let seq: i64 = row.get(0).map_err(Error::db("read row"))?;
            Err(Error::Corrupt(format!(
                "seq {seq}: malformed column `{column}` (run verify)"
            )))
        }
    }
}

impl AuditLog {
    /// The last `n` entries (at most [`MAX_QUERY_ROWS`]), oldest first.
    pub fn tail(&self, n: usize) -> Result<Vec<Entry>> {
        let filter = Filter::new().newest_first().limit(n);
        let mut out = self.query(&filter)?;
        out.reverse();
        Ok(out)
    }

    /// The entries matching `filter`, in seq order (descending with
    /// [`Filter::newest_first`]), at most `filter.limit`.
    pub fn query(&self, filter: &Filter) -> Result<Vec<Entry>> {
        let (sql, args) = filter.to_sql();
        self.with_reader(|conn| entries(conn, &sql, args))
    }

    /// The last committed record's seq and hash (seq 0 and [`Hash::GENESIS`] when empty).
    /// Publish it outside the host now and then: see [`Head`].
    pub fn head(&self) -> Result<Head> {
        self.with_reader(|conn| {
            let sql = format!("SELECT {COLUMNS} FROM audit ORDER BY seq DESC LIMIT 1");
            let last = entries(conn, &sql, Vec::new())?;
            Ok(last.first().map_or(
                Head {
                    seq: 0,
                    hash: Hash::GENESIS,
                },
                |e| Head {
                    seq: e.seq,
                    hash: e.hash,
                },
            ))
        })
    }

    /// Checks the whole chain on one consistent snapshot (a read transaction; appends go on
    /// meanwhile and are not seen): seqs run 1, 2, 3... without gaps, each row's `prev_hash` is
    /// the previous row's hash (zeros for seq 1), and each row's fields hash to its stored hash.
    /// Returns the first bad seq and why, or the number of records and the head.
    ///
    /// This proves the rows are mutually consistent, not that they are the rows that were
    /// written: someone able to write the file can rewrite the whole chain from the edit on.
    /// Compare the head with one kept elsewhere ([`AuditLog::verify_against`]).
    pub fn verify(&self) -> Result<Verification> {
        self.verify_inner(None)
    }

    /// [`AuditLog::verify`], and also that the record at `anchor.seq` exists and has
    /// `anchor.hash`: detects a rewritten chain, and rows removed from the end, up to the anchor.
    /// Records after the anchor are only as trustworthy as [`AuditLog::verify`] makes them.
    pub fn verify_against(&self, anchor: &Head) -> Result<Verification> {
        self.verify_inner(Some(anchor))
    }

    fn verify_inner(&self, anchor: Option<&Head>) -> Result<Verification> {
        self.with_reader(|conn| {
            let tx = conn.transaction().map_err(Error::db("begin snapshot"))?;
            let verdict = {
                let mut stmt = tx
                    .prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY seq"))
                    .map_err(Error::db("prepare verify"))?;
                let mut rows = stmt.query([]).map_err(Error::db("verify"))?;
                let mut checker = Checker {
                    expected: 1,
                    prev: Hash::GENESIS,
                    anchor,
                };
                let mut broken = None;
                while let Some(row) = rows.next().map_err(Error::db("read row"))? {
                    let raw_seq: i64 = row.get(0).map_err(Error::db("read row"))?;
                    let parsed = Entry::from_row(row)
                        .map_err(Error::db("read row"))?
                        .map(|e| (raw_seq, e))
                        .map_err(|column| (raw_seq, column));
                    if let Some(b) = checker.check(parsed) {
                        broken = Some(b);
                        break;
                    }
                }
                match broken {
                    Some(b) => Verification::Broken(b),
                    None => checker.finish(),
                }
            };
            tx.finish().map_err(Error::db("end snapshot"))?;
            Ok(verdict)
        })
    }

    /// Writes every entry as JSON lines (one [`Entry`] per line, seq order) from one snapshot;
    /// returns how many. Rows are streamed, so memory stays small for a large log.
    pub fn export(&self, mut out: impl Write) -> Result<u64> {
        self.with_reader(|conn| {
            let tx = conn.transaction().map_err(Error::db("begin snapshot"))?;
            let mut count = 0u64;
            {
                let mut stmt = tx
                    .prepare(&format!("SELECT {COLUMNS} FROM audit ORDER BY seq"))
                    .map_err(Error::db("prepare export"))?;
                let mut rows = stmt.query([]).map_err(Error::db("export"))?;
                while let Some(row) = rows.next().map_err(Error::db("read row"))? {
                    let entry = entry_or_corrupt(row)?;
                    serde_json::to_writer(&mut out, &entry)
                        .map_err(|e| Error::Export(std::sync::Arc::new(e.into())))?;
                    out.write_all(b"\n")
                        .map_err(|e| Error::Export(std::sync::Arc::new(e)))?;
                    count += 1;
                }
            }
            out.flush()
                .map_err(|e| Error::Export(std::sync::Arc::new(e)))?;
            tx.finish().map_err(Error::db("end snapshot"))?;
            Ok(count)
        })
    }
}
