//! Batch writes and generic row access: multi-row `VALUES` on SQLite, `COPY` on PostgreSQL.
//!
//! Row-at-a-time statements cost a round trip each (limits.md: ~30k rows/s); batches reach
//! hundreds of thousands of rows a second on both backends, so every bulk path comes through here.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AssertSqlSafe, Row};

use super::rows::{Field, TableRow};
use super::{Backend, Store, StoreError, Tx, on_pool, on_tx};

/// Most bound parameters in one SQLite statement; about 100 rows of 10 columns is the measured
/// sweet spot.
const SQLITE_PARAMS_PER_STATEMENT_MAX: usize = 2_000;
/// Most bound parameters in one PostgreSQL statement (its protocol limit is 65,535).
const POSTGRES_PARAMS_PER_STATEMENT_MAX: usize = 30_000;
/// Inserts of up to this many rows keep their prepared statement: single shifts from the API
/// write a handful of rows at a time, and preparing each one afresh costs more than the insert.
const SMALL_INSERT_ROWS_CACHED: usize = 8;
/// Fewer rows than this go to PostgreSQL as one `INSERT`: `COPY` costs extra round trips, which
/// only pay for themselves on larger batches (a single shift from the API has a handful of rows).
const COPY_ROWS_MIN: usize = 64;
/// Bytes of CSV sent per `COPY` chunk.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// The storage type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    Int,
    Text,
    Date,
    Instant,
    Bool,
}

/// A table (or the part of it a batch writes): its columns, the first `key_len` forming its key.
#[derive(Clone, Copy, Debug)]
pub struct TableSpec {
    pub table: &'static str,
    pub columns: &'static [(&'static str, ColType)],
    pub key_len: usize,
}

/// One typed, nullable value of a row as read back, before it becomes a row's field (see
/// [`super::rows`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Instant(Option<DateTime<Utc>>),
    Bool(bool),
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(Some(s.into()))
    }

    pub fn int(i: i64) -> Value {
        Value::Int(Some(i))
    }

    /// A canonical rendering, for audit records and comparisons (`None` for NULL).
    pub fn render(&self) -> Option<String> {
        match self {
            Value::Int(v) => v.map(|v| v.to_string()),
            Value::Text(v) => v.clone(),
            Value::Date(v) => v.map(|v| v.to_string()),
            Value::Instant(v) => v.map(|v| v.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            Value::Bool(v) => Some(v.to_string()),
        }
    }
}

/// Binds one field to a sqlx query (on either backend), keeping the first encoding error.
macro_rules! bind_field {
    ($query:expr, $field:expr, $failed:expr) => {{
        let bound = match $field {
            Field::Int(v) => $query.try_bind(v),
            Field::Text(v) => $query.try_bind(v),
            Field::Date(v) => $query.try_bind(v),
            Field::Instant(v) => $query.try_bind(v.as_ref().map(instant_seconds)),
            Field::Bool(v) => $query.try_bind(v),
        };
        if let Err(error) = bound {
            $failed.get_or_insert(error);
        }
    }};
}

impl TableSpec {
    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks that a row belongs to this table and has its declared column types: a mismatch is
    /// a programming error.
    pub(crate) fn check_row(&self, row: &impl TableRow) {
        assert_eq!(
            row.spec().table,
            self.table,
            "a {} row among rows of {}",
            row.spec().table,
            self.table
        );
        let mut columns = self.columns.iter();
        row.each_field(&mut |field| {
            let (name, col_type) = columns
                .next()
                .unwrap_or_else(|| panic!("a {} row has more fields than columns", self.table));
            assert_eq!(
                field.col_type(),
                *col_type,
                "{}.{name} has the declared type",
                self.table
            );
        });
        assert!(
            columns.next().is_none(),
            "a {} row has a field for every column",
            self.table
        );
    }

    /// `insert into t (cols) values ($1, ..), (..) [suffix]` for `rows` rows. SQLite gets
    /// anonymous `?` parameters: looking up numbered names costs it time linear in their count
    /// for every bind, which is quadratic over a large statement.
    fn insert_sql(&self, rows: usize, suffix: &str, backend: Backend) -> String {
        let width = self.columns.len();
        let mut sql = format!(
            "insert into {} ({}) values ",
            self.table,
            self.column_list()
        );
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ", (" });
            for c in 0..width {
                let separator = if c == 0 { "" } else { ", " };
                match backend {
                    Backend::Sqlite => {
                        let _ = write!(sql, "{separator}?");
                    }
                    Backend::Postgres => {
                        let _ = write!(sql, "{separator}${}", r * width + c + 1);
                    }
                }
            }
            sql.push(')');
        }
        sql.push_str(suffix);
        sql
    }

    /// `insert into t (cols) values (?1, ?2, ..)` for one row, for prepared single-row inserts.
    pub(crate) fn insert_sql_single(&self) -> String {
        let params: Vec<String> = (1..=self.columns.len()).map(|i| format!("?{i}")).collect();
        format!(
            "insert into {} ({}) values ({})",
            self.table,
            self.column_list(),
            params.join(", ")
        )
    }

    /// `on conflict (keys) do update set col = excluded.col, ..`.
    pub(crate) fn upsert_suffix(&self) -> String {
        let keys: Vec<&str> = self.columns[..self.key_len]
            .iter()
            .map(|(n, _)| *n)
            .collect();
        let sets: Vec<String> = self.columns[self.key_len..]
            .iter()
            .map(|(n, _)| format!("{n} = excluded.{n}"))
            .collect();
        if sets.is_empty() {
            format!(" on conflict ({}) do nothing", keys.join(", "))
        } else {
            format!(
                " on conflict ({}) do update set {}",
                keys.join(", "),
                sets.join(", ")
            )
        }
    }
}

/// Inserts `rows` (all of one table) inside `tx`, in as few statements as the backend allows.
pub async fn insert_rows<R: TableRow>(tx: &mut Tx, rows: &[R]) -> Result<(), StoreError> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let spec = first.spec();
    rows.iter().for_each(|r| spec.check_row(r));
    match tx {
        Tx::Sqlite(_) => write_values(tx, spec, rows, "", SQLITE_PARAMS_PER_STATEMENT_MAX).await,
        Tx::Postgres(_) if rows.len() < COPY_ROWS_MIN => {
            write_values(tx, spec, rows, "", POSTGRES_PARAMS_PER_STATEMENT_MAX).await
        }
        Tx::Postgres(t) => copy_rows(t, spec, rows).await,
    }
}

/// Inserts or updates `rows` (all of one table) by their key (the first `key_len` columns).
pub async fn upsert_rows<R: TableRow>(tx: &mut Tx, rows: &[R]) -> Result<(), StoreError> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let spec = first.spec();
    rows.iter().for_each(|r| spec.check_row(r));
    let limit = match tx {
        Tx::Sqlite(_) => SQLITE_PARAMS_PER_STATEMENT_MAX,
        Tx::Postgres(_) => POSTGRES_PARAMS_PER_STATEMENT_MAX,
    };
    write_values(tx, spec, rows, &spec.upsert_suffix(), limit).await
}

async fn write_values<R: TableRow>(
    tx: &mut Tx,
    spec: &TableSpec,
    rows: &[R],
    suffix: &str,
    params_max: usize,
) -> Result<(), StoreError> {
    let per_statement = (params_max / spec.columns.len()).max(1);
    let full_sql = spec.insert_sql(per_statement, suffix, tx.backend());
    for chunk in rows.chunks(per_statement) {
        // Full chunks and small inserts reuse cached prepared statements; any other partial chunk
        // is prepared once and not cached, so the statement cache (and memory) stays the same
        // size however many batches run.
        let cached = chunk.len() == per_statement || chunk.len() <= SMALL_INSERT_ROWS_CACHED;
        let sql = if chunk.len() == per_statement {
            full_sql.clone()
        } else {
            spec.insert_sql(chunk.len(), suffix, tx.backend())
        };
        on_tx!(tx, conn => {
            let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(cached);
            let mut failed = None;
            for row in chunk {
                row.each_field(&mut |field| bind_field!(query, field, failed));
            }
            if let Some(error) = failed {
                return Err(StoreError::Sqlx(sqlx::Error::Encode(error)));
            }
            query.execute(conn).await?;
        });
    }
    Ok(())
}

/// Streams rows to PostgreSQL with `COPY .. FROM STDIN (FORMAT csv)`.
async fn copy_rows<R: TableRow>(
    conn: &mut sqlx::PgConnection,
    spec: &TableSpec,
    rows: &[R],
) -> Result<(), StoreError> {
    let statement = format!(
        "copy {} ({}) from stdin with (format csv)",
        spec.table,
        spec.column_list()
    );
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut buffer = String::with_capacity(COPY_CHUNK_BYTES + 4096);
    for row in rows {
        let mut first = true;
        row.each_field(&mut |field| {
            if !first {
                buffer.push(',');
            }
            first = false;
            write_csv_value(&mut buffer, field);
        });
        buffer.push('\n');
        if buffer.len() >= COPY_CHUNK_BYTES {
            copy.send(buffer.as_bytes()).await?;
            buffer.clear();
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.as_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// Writes one CSV field for `COPY`: NULL is an empty unquoted field, text is always quoted.
fn write_csv_value(out: &mut String, value: Field<'_>) {
    match value {
        Field::Text(Some(s)) => {
            out.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    out.push('"');
                }
                out.push(ch);
            }
            out.push('"');
        }
        Field::Int(Some(v)) => {
            let _ = write!(out, "{v}");
        }
        Field::Date(Some(v)) => {
            let _ = write!(out, "{v}");
        }
        Field::Instant(Some(v)) => {
            let _ = write!(out, "{}", instant_seconds(&v));
        }
        Field::Bool(v) => out.push(if v { 't' } else { 'f' }),
        Field::Text(None) | Field::Int(None) | Field::Date(None) | Field::Instant(None) => {}
    }
}

/// An instant as stored: whole seconds since the Unix epoch, UTC, on both backends.
pub fn instant_seconds(instant: &DateTime<Utc>) -> i64 {
    instant.timestamp()
}

/// The instant a stored count of seconds stands for (`None` only far outside chrono's range).
pub fn instant_from_seconds(seconds: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
}

/// Reads every row of `spec.table` (reference tables only: they are small), ordered by key.
pub async fn load_rows(store: &Store, spec: &TableSpec) -> Result<Vec<Vec<Value>>, StoreError> {
    let keys: Vec<&str> = spec.columns[..spec.key_len]
        .iter()
        .map(|(n, _)| *n)
        .collect();
    let sql = format!(
        "select {} from {} order by {}",
        spec.column_list(),
        spec.table,
        keys.join(", ")
    );
    on_pool!(store, pool => {
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(pool).await?;
        rows.iter()
            .map(|row| {
                spec.columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, col_type))| {
                        Ok(match col_type {
                            ColType::Int => Value::Int(row.try_get(i)?),
                            ColType::Text => Value::Text(row.try_get(i)?),
                            ColType::Date => Value::Date(row.try_get(i)?),
                            ColType::Instant => Value::Instant(
                                row.try_get::<Option<i64>, _>(i)?.and_then(instant_from_seconds),
                            ),
                            ColType::Bool => Value::Bool(row.try_get(i)?),
                        })
                    })
                    .collect::<Result<Vec<Value>, sqlx::Error>>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(StoreError::from)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: TableSpec = TableSpec {
        table: "t",
        columns: &[("a", ColType::Int), ("b", ColType::Text)],
        key_len: 1,
    };

    #[test]
    fn statements_number_parameters_across_rows() {
        assert_eq!(
            SPEC.insert_sql(2, "", Backend::Postgres),
            "insert into t (a, b) values ($1, $2), ($3, $4)"
        );
        assert_eq!(
            SPEC.insert_sql(2, "", Backend::Sqlite),
            "insert into t (a, b) values (?, ?), (?, ?)"
        );
        assert_eq!(
            SPEC.upsert_suffix(),
            " on conflict (a) do update set b = excluded.b"
        );
    }

    #[test]
    fn copy_fields_quote_text_and_leave_null_empty() {
        let mut out = String::new();
        for (i, v) in [
            Field::Text(Some("a \"b\", c")),
            Field::Text(None),
            Field::Int(Some(-3)),
            Field::Bool(true),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            write_csv_value(&mut out, v);
        }
        assert_eq!(out, "\"a \"\"b\"\", c\",,-3,t");
    }
}
