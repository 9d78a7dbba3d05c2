#![cfg(test)]
//! Store behavior within one process: settings, migrations, id, lock, backup and restore.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use mudroom_store::rusqlite::{self, Connection, OptionalExtension};
use mudroom_store::{Store, StoreError};

fn pragma_i64(conn: &Connection, name: &str) -> i64 {
    conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
        .unwrap()
}

fn pragma_text(conn: &Connection, name: &str) -> String {
    conn.query_row(&format!("PRAGMA {name}"), [], |row| row.get(0))
        .unwrap()
}

#[test]
fn open_creates_private_dir_and_db() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join(".mudroom");
    let store = Store::open(&dir).unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "data dir mode {mode:o}");
    assert!(dir.join("mudroom.db").is_file());
    assert_eq!(store.dir(), dir.as_path());
    assert_eq!(store.db_path(), dir.join("mudroom.db").as_path());
}

#[test]
fn open_refuses_a_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::open(&file).unwrap_err();
    assert!(matches!(err, StoreError::NotADirectory { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(message.starts_with("data directory `"), "{message}");
}

#[test]
fn durability_settings_on_writer_and_readers() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let check = |conn: &Connection| {
        assert_eq!(pragma_text(conn, "journal_mode"), "wal");
        // 2 = FULL
        assert_eq!(pragma_i64(conn, "synchronous"), 2);
        assert_eq!(pragma_i64(conn, "foreign_keys"), 1);
        assert_eq!(pragma_i64(conn, "busy_timeout"), 5000);
    };
    check(&store.conn());
    store
        .read(|conn| {
            check(conn);
            assert_eq!(pragma_i64(conn, "query_only"), 1);
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert!(tmp.path().join("mudroom.db-wal").exists());
}

#[test]
fn read_connections_refuse_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let result = store.read(|conn| {
        conn.execute_batch("CREATE TABLE t (x INTEGER)")?;
        Ok::<_, StoreError>(())
    });
    assert!(result.is_err());
}

#[test]
fn migrations_apply_once_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let v1 = "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
    let v2 = "ALTER TABLE things ADD COLUMN size INTEGER NOT NULL DEFAULT 0;";
    let v3 = "INSERT INTO things (name) VALUES ('seed');";
    assert_eq!(store.migrate("things", &[v1, v2]).unwrap(), 2);
    assert_eq!(store.migrate("things", &[v1, v2]).unwrap(), 0);
    assert_eq!(store.migrate("things", &[v1, v2, v3]).unwrap(), 1);
    assert_eq!(store.migrate("things", &[v1, v2, v3]).unwrap(), 0);
    assert_eq!(store.applied_migrations("things").unwrap(), vec![1, 2, 3]);
    // v3 ran exactly once
    let seeds: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM things WHERE name = 'seed'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(seeds, 1);

    // components are independent
    assert_eq!(
        store
            .migrate("other", &["CREATE TABLE other (x INTEGER);"])
            .unwrap(),
        1
    );
    assert_eq!(store.applied_migrations("other").unwrap(), vec![1]);

    // survives reopening
    drop(store);
    let store = Store::open(tmp.path()).unwrap();
    assert_eq!(store.migrate("things", &[v1, v2, v3]).unwrap(), 0);
}

#[test]
fn failed_migration_applies_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let good = "CREATE TABLE a (x INTEGER);";
    let bad = "CREATE TABLE b (x INTEGER); THIS IS NOT SQL;";
    let err = store.migrate("comp", &[good, bad]).unwrap_err();
    match &err {
        StoreError::Migration {
            component, version, ..
        } => {
            assert_eq!(component, "comp");
            assert_eq!(*version, 2);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(store.applied_migrations("comp").unwrap().is_empty());
    let table: Option<String> = store
        .conn()
        .query_row(
            "SELECT name FROM sqlite_master WHERE name IN ('a', 'b')",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert_eq!(table, None);
}

#[test]
fn newer_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store
        .migrate(
            "comp",
            &["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (x INTEGER);"],
        )
        .unwrap();
    let err = store
        .migrate("comp", &["CREATE TABLE a (x INTEGER);"])
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::SchemaTooNew {
                found: 2,
                known: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        store.migrate("", &[]).unwrap_err(),
        StoreError::EmptyComponent
    ));
}

#[test]
fn id_is_stable_and_distinct() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let id_a = Store::open(a.path()).unwrap().id();
    let id_a_again = Store::open(a.path()).unwrap().id();
    let id_b = Store::open(b.path()).unwrap().id();
    assert_eq!(id_a, id_a_again);
    assert_ne!(id_a, id_b);
    let text = id_a.to_string();
    assert_eq!(text.len(), 32);
    assert!(
        text.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
}

#[test]
fn with_tx_commits_on_ok_and_rolls_back_on_err() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    store
        .migrate("t", &["CREATE TABLE t (x INTEGER NOT NULL);"])
        .unwrap();
    store
        .with_tx(|tx| {
            tx.execute("INSERT INTO t VALUES (1)", [])?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let result: Result<(), StoreError> = store.with_tx(|tx| {
        tx.execute("INSERT INTO t VALUES (2)", [])?;
        Err(StoreError::EmptyComponent)
    });
    assert!(result.is_err());
    let values: Vec<i64> = store
        .read(|conn| {
            let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok::<_, StoreError>(rows.collect::<Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(values, vec![1]);
}

#[test]
fn second_server_lock_is_refused_in_process() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    let lock = store.lock_server().unwrap();
    assert_eq!(lock.path(), tmp.path().join("server.lock").as_path());

    // a second handle, as a second server would open
    let other = Store::open(tmp.path()).unwrap();
    let err = other.lock_server().unwrap_err();
    match &err {
        StoreError::Locked { dir, pid } => {
            assert_eq!(dir.as_path(), tmp.path());
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&tmp.path().display().to_string()),
        "{message}"
    );
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );

    // command-line use without the lock still reads and writes
    other
        .migrate("cli", &["CREATE TABLE cli (x INTEGER);"])
        .unwrap();
    other
        .with_tx(|tx| {
            tx.execute("INSERT INTO cli VALUES (7)", [])?;
            Ok::<_, StoreError>(())
        })
        .unwrap();

    drop(lock);
    let again = other.lock_server().unwrap();
    drop(again);
}

#[test]
fn backup_while_writing_is_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    // invariant: every transaction adds one ledger row and moves the total by the same amount
    store
        .migrate(
            "ledger",
            &[
                "CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
               CREATE TABLE total (id INTEGER PRIMARY KEY CHECK (id = 1), sum INTEGER NOT NULL,
                                   count INTEGER NOT NULL);
               INSERT INTO total VALUES (1, 0, 0);",
            ],
        )
        .unwrap();
    let write = |store: &Store, amount: i64| {
        store
            .with_tx(|tx| {
                tx.execute("INSERT INTO ledger (amount) VALUES (?1)", [amount])?;
                tx.execute(
                    "UPDATE total SET sum = sum + ?1, count = count + 1",
                    [amount],
                )?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    };
    for amount in 1..=50 {
        write(&store, amount);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut amount = 51;
            // bounded: stops by itself even if the backup never ends
            while !stop.load(Ordering::Relaxed) && amount < 20_000 {
                write(&store, amount);
                amount += 1;
            }
            amount - 1
        })
    };
    let backups: Vec<_> = (0..3)
        .map(|n| {
            let path = tmp.path().join(format!("backup-{n}.db"));
            store.backup_to(&path).unwrap();
            path
        })
        .collect();
    stop.store(true, Ordering::Relaxed);
    let last_written = writer.join().unwrap();

    for path in &backups {
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "backup mode {mode:o}");
        assert!(!Path::new(&format!("{}-wal", path.display())).exists());
        let conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        assert_eq!(pragma_text(&conn, "integrity_check"), "ok");
        let (sum, count): (i64, i64) = conn
            .query_row("SELECT sum, count FROM total", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        let (ledger_sum, ledger_count, max_amount): (i64, i64, i64) = conn
            .query_row(
                "SELECT sum(amount), count(*), max(amount) FROM ledger",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((sum, count), (ledger_sum, ledger_count));
        // a prefix of the writes: amounts 1..=n with nothing missing
        assert_eq!(ledger_count, max_amount);
        assert_eq!(ledger_sum, max_amount * (max_amount + 1) / 2);
        assert!(ledger_count >= 50 && ledger_count <= last_written);
    }
}

#[test]
fn backup_refuses_existing_destination() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let dest = tmp.path().join("exists.db");
    std::fs::write(&dest, b"keep me").unwrap();
    let err = store.backup_to(&dest).unwrap_err();
    assert!(matches!(err, StoreError::BackupExists { .. }), "{err:?}");
    assert!(err.to_string().contains(&dest.display().to_string()));
    assert_eq!(std::fs::read(&dest).unwrap(), b"keep me");
}

#[test]
fn restore_brings_back_the_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let store = Store::open(&data).unwrap();
    store
        .migrate("t", &["CREATE TABLE t (x INTEGER NOT NULL);"])
        .unwrap();
    let insert = |x: i64| {
        store
            .with_tx(|tx| {
                tx.execute("INSERT INTO t VALUES (?1)", [x])?;
                Ok::<_, StoreError>(())
            })
            .unwrap();
    };
    let values = |store: &Store| -> Vec<i64> {
        store
            .read(|conn| {
                let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                Ok::<_, StoreError>(rows.collect::<Result<_, _>>()?)
            })
            .unwrap()
    };
    insert(1);
    insert(2);
    let backup = tmp.path().join("backup.db");
    store.backup_to(&backup).unwrap();
    insert(3);
    assert_eq!(values(&store), vec![1, 2, 3]);

    // refused while a server holds the lock, and nothing changes
    let lock = store.lock_server().unwrap();
    let err = Store::restore_from(&backup, &data).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert_eq!(values(&store), vec![1, 2, 3]);
    drop(lock);

    // an open handle (a command-line tool) sees the restored content
    Store::restore_from(&backup, &data).unwrap();
    assert_eq!(values(&store), vec![1, 2]);
    insert(4);
    drop(store);
    let reopened = Store::open(&data).unwrap();
    assert_eq!(values(&reopened), vec![1, 2, 4]);
    assert_eq!(pragma_text(&reopened.conn(), "journal_mode"), "wal");

    // into a fresh directory: takes the backup's id
    let fresh = tmp.path().join("fresh");
    Store::restore_from(&backup, &fresh).unwrap();
    let restored = Store::open(&fresh).unwrap();
    assert_eq!(restored.id(), reopened.id());
    assert_eq!(values(&restored), vec![1, 2]);
}

#[test]
fn restore_refuses_what_is_not_a_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let junk = tmp.path().join("junk.db");
    std::fs::write(&junk, vec![0x42u8; 8192]).unwrap();
    let err = Store::restore_from(&junk, &data).unwrap_err();
    assert!(matches!(err, StoreError::InvalidBackup { .. }), "{err:?}");
    assert!(err.to_string().contains("junk.db"), "{err}");

    // a valid SQLite file that mudroom did not make
    let foreign = tmp.path().join("foreign.db");
    Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE x (y INTEGER);")
        .unwrap();
    let err = Store::restore_from(&foreign, &data).unwrap_err();
    assert!(matches!(err, StoreError::InvalidBackup { .. }), "{err:?}");

    let missing = tmp.path().join("missing.db");
    let err = Store::restore_from(&missing, &data).unwrap_err();
    assert!(matches!(err, StoreError::InvalidBackup { .. }), "{err:?}");
    assert!(!data.exists(), "nothing created when the backup is refused");
}
