//! Parameter metadata in the store (component `ssm`). Values are never here: each version's
//! value is sealed in the vault under the parameter's ARN and the version number.

use mudroom_store::rusqlite::{self, Connection, OptionalExtension, Row, params};

/// The migrations of component `ssm`.
pub const MIGRATIONS: &[&str] = &["
    CREATE TABLE ssm_parameters (
        path TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        arn TEXT NOT NULL UNIQUE,
        latest INTEGER NOT NULL,
        tier TEXT NOT NULL
    ) STRICT;
    CREATE TABLE ssm_versions (
        path TEXT NOT NULL REFERENCES ssm_parameters(path) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        data_type TEXT NOT NULL,
        tier TEXT NOT NULL,
        description TEXT,
        allowed_pattern TEXT,
        key_id TEXT,
        modified_ms INTEGER NOT NULL,
        modified_user TEXT NOT NULL,
        PRIMARY KEY (path, version)
    ) STRICT;
    CREATE TABLE ssm_labels (
        path TEXT NOT NULL,
        label TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (path, label),
        FOREIGN KEY (path, version) REFERENCES ssm_versions(path, version) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX ssm_labels_version ON ssm_labels(path, version);
    CREATE TABLE ssm_tags (
        path TEXT NOT NULL REFERENCES ssm_parameters(path) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (path, key)
    ) STRICT;
"];

/// A parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// The key: the name with one leading `/`.
    pub path: String,
    /// The name as created.
    pub name: String,
    /// Its ARN (the vault binds each value to it).
    pub arn: String,
    /// The newest version.
    pub latest: i64,
}

/// One version's metadata.
#[derive(Debug, Clone)]
pub struct Version {
    /// The version number.
    pub version: i64,
    /// `String`, `StringList` or `SecureString`.
    pub ty: String,
    /// `text`.
    pub data_type: String,
    /// `Standard` or `Advanced`.
    pub tier: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The allowed pattern, if any.
    pub allowed_pattern: Option<String>,
    /// The key id, for `SecureString`.
    pub key_id: Option<String>,
    /// When it was written, in milliseconds since the epoch.
    pub modified_ms: i64,
    /// Who wrote it (an ARN).
    pub modified_user: String,
}

const PARAM_COLUMNS: &str = "p.path, p.name, p.arn, p.latest";
const VERSION_COLUMNS: &str = "v.version, v.type, v.data_type, v.tier, v.description, v.allowed_pattern, v.key_id, v.modified_ms, v.modified_user";

fn param_row(row: &Row<'_>) -> rusqlite::Result<Param> {
    Ok(Param {
        path: row.get(0)?,
        name: row.get(1)?,
        arn: row.get(2)?,
        latest: row.get(3)?,
    })
}

fn version_row(row: &Row<'_>, at: usize) -> rusqlite::Result<Version> {
    Ok(Version {
        version: row.get(at)?,
        ty: row.get(at + 1)?,
        data_type: row.get(at + 2)?,
        tier: row.get(at + 3)?,
        description: row.get(at + 4)?,
        allowed_pattern: row.get(at + 5)?,
        key_id: row.get(at + 6)?,
        modified_ms: row.get(at + 7)?,
        modified_user: row.get(at + 8)?,
    })
}

/// The parameter keyed `path`.
pub fn param(conn: &Connection, path: &str) -> rusqlite::Result<Option<Param>> {
    conn.query_row(
        &format!("SELECT {PARAM_COLUMNS} FROM ssm_parameters p WHERE p.path = ?1"),
        [path],
        param_row,
    )
    .optional()
}

/// One version of the parameter keyed `path`.
pub fn version(conn: &Connection, path: &str, version: i64) -> rusqlite::Result<Option<Version>> {
    conn.query_row(
        &format!(
            "SELECT {VERSION_COLUMNS} FROM ssm_versions v WHERE v.path = ?1 AND v.version = ?2"
        ),
        params![path, version],
        |r| version_row(r, 0),
    )
    .optional()
}

/// Every version of the parameter keyed `path`, oldest first, from version `after` on.
pub fn versions(conn: &Connection, path: &str, after: i64) -> rusqlite::Result<Vec<Version>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {VERSION_COLUMNS} FROM ssm_versions v WHERE v.path = ?1 AND v.version > ?2 ORDER BY v.version"
    ))?;
    stmt.query_map(params![path, after], |r| version_row(r, 0))?
        .collect()
}

/// The version a label is on.
pub fn label_version(conn: &Connection, path: &str, label: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT version FROM ssm_labels WHERE path = ?1 AND label = ?2",
        params![path, label],
        |r| r.get(0),
    )
    .optional()
}

/// Every label of the parameter keyed `path`, with its version, in label order.
pub fn labels(conn: &Connection, path: &str) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare("SELECT label, version FROM ssm_labels WHERE path = ?1 ORDER BY label")?;
    stmt.query_map([path], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// The labels on one version.
pub fn version_labels(
    conn: &Connection,
    path: &str,
    version: i64,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn
        .prepare("SELECT label FROM ssm_labels WHERE path = ?1 AND version = ?2 ORDER BY label")?;
    stmt.query_map(params![path, version], |r| r.get(0))?
        .collect()
}

/// The tags of the parameter keyed `path`, by key.
pub fn tags(conn: &Connection, path: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT key, value FROM ssm_tags WHERE path = ?1 ORDER BY key")?;
    stmt.query_map([path], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Sets tags (replacing the values of existing keys).
pub fn put_tags(conn: &Connection, path: &str, tags: &[(String, String)]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare(
        "INSERT INTO ssm_tags (path, key, value) VALUES (?1, ?2, ?3)
         ON CONFLICT (path, key) DO UPDATE SET value = excluded.value",
    )?;
    for (k, v) in tags {
        stmt.execute(params![path, k, v])?;
    }
    Ok(())
}

/// Removes tags by key.
pub fn remove_tags(conn: &Connection, path: &str, keys: &[String]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("DELETE FROM ssm_tags WHERE path = ?1 AND key = ?2")?;
    for k in keys {
        stmt.execute(params![path, k])?;
    }
    Ok(())
}

/// How many parameters of `tier` exist.
pub fn count_tier(conn: &Connection, tier: &str) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM ssm_parameters WHERE tier = ?1",
        [tier],
        |r| r.get(0),
    )
}

/// Parameters with their newest version, in path order: those whose path is in
/// `[from, to)` (`None`: unbounded) and after `after`.
pub fn list(
    conn: &Connection,
    from: Option<&str>,
    to: Option<&str>,
    after: Option<&str>,
) -> rusqlite::Result<Vec<(Param, Version)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PARAM_COLUMNS}, {VERSION_COLUMNS} FROM ssm_parameters p
         JOIN ssm_versions v ON v.path = p.path AND v.version = p.latest
         WHERE (?1 IS NULL OR p.path >= ?1) AND (?2 IS NULL OR p.path < ?2)
           AND (?3 IS NULL OR p.path > ?3)
         ORDER BY p.path"
    ))?;
    stmt.query_map(params![from, to, after], |r| {
        Ok((param_row(r)?, version_row(r, 4)?))
    })?
    .collect()
}

/// Inserts a parameter row (its first version follows).
pub fn insert_param(conn: &Connection, p: &Param, tier: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO ssm_parameters (path, name, arn, latest, tier) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![p.path, p.name, p.arn, p.latest, tier],
    )?;
    Ok(())
}

/// Points the parameter at its new newest version.
pub fn set_latest(conn: &Connection, path: &str, latest: i64, tier: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE ssm_parameters SET latest = ?2, tier = ?3 WHERE path = ?1",
        params![path, latest, tier],
    )?;
    Ok(())
}

/// Inserts one version's metadata.
pub fn insert_version(conn: &Connection, path: &str, v: &Version) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO ssm_versions (path, version, type, data_type, tier, description, allowed_pattern, key_id, modified_ms, modified_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            path,
            v.version,
            v.ty,
            v.data_type,
            v.tier,
            v.description,
            v.allowed_pattern,
            v.key_id,
            v.modified_ms,
            v.modified_user
        ],
    )?;
    Ok(())
}

/// The oldest version and how many versions there are.
pub fn oldest(conn: &Connection, path: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT COALESCE(MIN(version), 0), count(*) FROM ssm_versions WHERE path = ?1",
        [path],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Deletes one version's metadata and its sealed value.
pub fn delete_version(conn: &Connection, p: &Param, version: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM ssm_versions WHERE path = ?1 AND version = ?2",
        params![p.path, version],
    )?;
    delete_sealed(conn, &p.arn, Some(version))
}

/// Deletes a parameter: its rows (versions, labels and tags cascade) and every sealed value.
pub fn delete_param(conn: &Connection, p: &Param) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM ssm_parameters WHERE path = ?1", [&p.path])?;
    delete_sealed(conn, &p.arn, None)
}

/// Removes sealed values from the vault's table inside the caller's transaction, so that a
/// parameter and its values disappear together (the vault's own delete runs in a transaction of
/// its own, which would wait forever for the writer held here).
fn delete_sealed(conn: &Connection, arn: &str, version: Option<i64>) -> rusqlite::Result<()> {
    let version = version.map(|v| v.to_string());
    mudroom_vault::Vault::delete_in(conn, arn, version.as_deref())?;
    Ok(())
}

/// Attaches `label` to `version`, moving it from any other version.
pub fn set_label(conn: &Connection, path: &str, label: &str, version: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO ssm_labels (path, label, version) VALUES (?1, ?2, ?3)
         ON CONFLICT (path, label) DO UPDATE SET version = excluded.version",
        params![path, label, version],
    )?;
    Ok(())
}

/// Detaches `label` from `version`; whether it was there.
pub fn remove_label(
    conn: &Connection,
    path: &str,
    label: &str,
    version: i64,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM ssm_labels WHERE path = ?1 AND label = ?2 AND version = ?3",
        params![path, label, version],
    )? > 0)
}
