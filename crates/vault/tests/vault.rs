#![cfg(test)]
//! Vault behavior: sealing, tamper resistance, master key checks, rotation, and what reaches disk.

use std::path::Path;

use mudroom_store::Store;
use mudroom_store::rusqlite::params;
use mudroom_vault::{MasterKey, Sealed, SecretBytes, Vault, VaultError};

fn key(byte: u8) -> MasterKey {
    MasterKey::from_bytes([byte; 32])
}

fn setup() -> (tempfile::TempDir, Store, Vault) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let vault = Vault::open(&store, key(1)).unwrap();
    (tmp, store, vault)
}

const ARN_A: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:alpha-AbCdEf";
const ARN_B: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:beta-GhIjKl";

#[test]
fn round_trip() {
    let (_tmp, _store, vault) = setup();
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let values: [&[u8]; 4] = [b"", b"x", b"hunter2 \x00\xff binary", &big];
    for (n, value) in values.iter().enumerate() {
        let version = format!("v{n}");
        vault.put_version(ARN_A, &version, value).unwrap();
        let got = vault.get_version(ARN_A, &version).unwrap().unwrap();
        assert_eq!(got.expose(), *value);
        assert_eq!(got.len(), value.len());

        let sealed = vault.seal(ARN_B, &version, value).unwrap();
        assert_eq!(sealed.ciphertext.len(), value.len() + 16);
        assert_eq!(sealed.wrapped_key.len(), 48);
        let opened = vault.open_sealed(ARN_B, &version, &sealed).unwrap();
        assert_eq!(opened.expose(), *value);
    }
    assert!(vault.get_version(ARN_A, "missing").unwrap().is_none());
    assert!(vault.get_version(ARN_B, "v0").unwrap().is_none());

    // a fresh data key and nonces for every seal of the same value
    let one = vault.seal(ARN_A, "v9", b"same").unwrap();
    let two = vault.seal(ARN_A, "v9", b"same").unwrap();
    assert_ne!(one.ciphertext, two.ciphertext);
    assert_ne!(one.wrapped_key, two.wrapped_key);
    assert_ne!(one.nonce, two.nonce);
}

#[test]
fn duplicate_version_is_refused_and_delete_removes() {
    let (_tmp, _store, vault) = setup();
    vault.put_version(ARN_A, "v1", b"first").unwrap();
    let err = vault.put_version(ARN_A, "v1", b"second").unwrap_err();
    assert!(matches!(err, VaultError::VersionExists { .. }), "{err:?}");
    assert!(err.to_string().contains("`v1`"), "{err}");
    assert_eq!(
        vault.get_version(ARN_A, "v1").unwrap().unwrap().expose(),
        b"first"
    );
    assert!(vault.delete_version(ARN_A, "v1").unwrap());
    assert!(!vault.delete_version(ARN_A, "v1").unwrap());
    assert!(vault.get_version(ARN_A, "v1").unwrap().is_none());
}

#[test]
fn put_version_in_commits_with_the_callers_transaction() {
    let (_tmp, store, vault) = setup();
    store
        .migrate(
            "meta",
            &["CREATE TABLE secret_meta (arn TEXT PRIMARY KEY);"],
        )
        .unwrap();
    let failed: Result<(), VaultError> = store.with_tx(|tx| {
        tx.execute("INSERT INTO secret_meta VALUES (?1)", [ARN_A])?;
        vault.put_version_in(tx, ARN_A, "v1", b"value")?;
        Err(VaultError::InvalidKey)
    });
    assert!(failed.is_err());
    assert!(vault.get_version(ARN_A, "v1").unwrap().is_none());
    store
        .with_tx(|tx| {
            tx.execute("INSERT INTO secret_meta VALUES (?1)", [ARN_A])?;
            vault.put_version_in(tx, ARN_A, "v1", b"value")
        })
        .unwrap();
    assert_eq!(
        vault.get_version(ARN_A, "v1").unwrap().unwrap().expose(),
        b"value"
    );
}

fn assert_refused(result: Result<SecretBytes, VaultError>) {
    match result {
        Err(VaultError::Decrypt { .. }) => {}
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(_) => panic!("tampered data decrypted"),
    }
}

#[test]
fn tampered_bytes_are_refused() {
    let (_tmp, _store, vault) = setup();
    let sealed = vault.seal(ARN_A, "v1", b"the value").unwrap();
    let positions = |len: usize| [0, len / 2, len - 1];
    for i in positions(sealed.ciphertext.len()) {
        let mut bad = sealed.clone();
        bad.ciphertext[i] ^= 0x01;
        assert_refused(vault.open_sealed(ARN_A, "v1", &bad));
    }
    for i in positions(sealed.wrapped_key.len()) {
        let mut bad = sealed.clone();
        bad.wrapped_key[i] ^= 0x80;
        assert_refused(vault.open_sealed(ARN_A, "v1", &bad));
    }
    for i in positions(12) {
        let mut bad = sealed.clone();
        bad.nonce[i] ^= 0x01;
        assert_refused(vault.open_sealed(ARN_A, "v1", &bad));
        let mut bad = sealed.clone();
        bad.key_nonce[i] ^= 0x01;
        assert_refused(vault.open_sealed(ARN_A, "v1", &bad));
    }
    let mut truncated = sealed.clone();
    truncated.ciphertext.truncate(10);
    assert_refused(vault.open_sealed(ARN_A, "v1", &truncated));
    // the untouched blob still opens
    assert_eq!(
        vault.open_sealed(ARN_A, "v1", &sealed).unwrap().expose(),
        b"the value"
    );
}

#[test]
fn flipped_byte_in_the_database_is_refused() {
    let (_tmp, store, vault) = setup();
    vault.put_version(ARN_A, "v1", b"stored value").unwrap();
    let mut sealed = vault.get_sealed(ARN_A, "v1").unwrap().unwrap();
    sealed.ciphertext[3] ^= 0x04;
    store
        .conn()
        .execute(
            "UPDATE vault_versions SET ciphertext = ?1 WHERE arn = ?2 AND version_id = 'v1'",
            params![sealed.ciphertext, ARN_A],
        )
        .unwrap();
    let err = vault.get_version(ARN_A, "v1").unwrap_err();
    assert!(matches!(err, VaultError::Decrypt { .. }), "{err:?}");
    assert!(err.to_string().contains(ARN_A), "{err}");
}

/// Overwrites the sealed columns of one row with `sealed`.
fn write_row(store: &Store, arn: &str, version: &str, sealed: &Sealed) {
    let changed = store
        .conn()
        .execute(
            "UPDATE vault_versions SET key_nonce = ?3, wrapped_key = ?4, nonce = ?5,
                 ciphertext = ?6 WHERE arn = ?1 AND version_id = ?2",
            params![
                arn,
                version,
                &sealed.key_nonce[..],
                sealed.wrapped_key,
                &sealed.nonce[..],
                sealed.ciphertext
            ],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[test]
fn blobs_swapped_between_arns_are_refused() {
    let (_tmp, store, vault) = setup();
    vault.put_version(ARN_A, "v1", b"value of alpha").unwrap();
    vault.put_version(ARN_B, "v1", b"value of beta").unwrap();
    let a = vault.get_sealed(ARN_A, "v1").unwrap().unwrap();
    let b = vault.get_sealed(ARN_B, "v1").unwrap().unwrap();
    assert_refused(vault.open_sealed(ARN_B, "v1", &a));
    assert_refused(vault.open_sealed(ARN_A, "v1", &b));
    write_row(&store, ARN_A, "v1", &b);
    write_row(&store, ARN_B, "v1", &a);
    for arn in [ARN_A, ARN_B] {
        let err = vault.get_version(arn, "v1").unwrap_err();
        assert!(matches!(err, VaultError::Decrypt { .. }), "{err:?}");
    }
    // swapping back restores both
    write_row(&store, ARN_A, "v1", &a);
    write_row(&store, ARN_B, "v1", &b);
    assert_eq!(
        vault.get_version(ARN_A, "v1").unwrap().unwrap().expose(),
        b"value of alpha"
    );
}

#[test]
fn blobs_swapped_between_versions_are_refused() {
    let (_tmp, store, vault) = setup();
    vault.put_version(ARN_A, "v1", b"old value").unwrap();
    vault.put_version(ARN_A, "v2", b"new value").unwrap();
    let v1 = vault.get_sealed(ARN_A, "v1").unwrap().unwrap();
    let v2 = vault.get_sealed(ARN_A, "v2").unwrap().unwrap();
    write_row(&store, ARN_A, "v1", &v2);
    write_row(&store, ARN_A, "v2", &v1);
    for version in ["v1", "v2"] {
        let err = vault.get_version(ARN_A, version).unwrap_err();
        assert!(matches!(err, VaultError::Decrypt { .. }), "{err:?}");
    }
    // only the value part swapped, each row keeping its own wrapped key: still refused
    let mut mixed = v1.clone();
    mixed.nonce = v2.nonce;
    mixed.ciphertext = v2.ciphertext.clone();
    assert_refused(vault.open_sealed(ARN_A, "v1", &mixed));
    assert_refused(vault.open_sealed(ARN_A, "v2", &mixed));
}

/// Every row of every table, as text, in a stable order.
fn dump(store: &Store) -> Vec<String> {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let mut line = format!("{table}:");
            for i in 0..columns {
                let value: mudroom_store::rusqlite::types::Value = row.get(i).unwrap();
                line.push_str(&format!(" {value:?}"));
            }
            out.push(line);
        }
    }
    out.sort();
    out
}

#[test]
fn wrong_master_key_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    {
        let store = Store::open(&data).unwrap();
        let vault = Vault::open(&store, key(1)).unwrap();
        vault.put_version(ARN_A, "v1", b"value").unwrap();
    }
    let db = data.join("mudroom.db");
    let before_bytes = std::fs::read(&db).unwrap();
    let store = Store::open(&data).unwrap();
    let before = dump(&store);
    let err = Vault::open(&store, key(2)).unwrap_err();
    assert!(matches!(err, VaultError::WrongMasterKey { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&data.display().to_string()), "{message}");
    assert_eq!(dump(&store), before);
    drop(store);
    assert_eq!(std::fs::read(&db).unwrap(), before_bytes);

    let store = Store::open(&data).unwrap();
    let vault = Vault::open(&store, key(1)).unwrap();
    assert_eq!(
        vault.get_version(ARN_A, "v1").unwrap().unwrap().expose(),
        b"value"
    );
}

#[test]
fn rotation_rewraps_keys_and_keeps_ciphertexts() {
    let (tmp, store, vault) = setup();
    let entries: Vec<(String, String, Vec<u8>)> = (0..20)
        .map(|i| {
            (
                format!("{ARN_A}-{}", i % 4),
                format!("v{i}"),
                format!("value number {i}").into_bytes(),
            )
        })
        .collect();
    for (arn, version, value) in &entries {
        vault.put_version(arn, version, value).unwrap();
    }
    let before: Vec<Sealed> = entries
        .iter()
        .map(|(arn, version, _)| vault.get_sealed(arn, version).unwrap().unwrap())
        .collect();
    // a second handle still on the old key, as another process would have
    let stale = Vault::open(&store, key(1)).unwrap();

    assert_eq!(vault.rotate_master_key(key(7)).unwrap(), entries.len());

    for ((arn, version, value), old) in entries.iter().zip(&before) {
        let now = vault.get_sealed(arn, version).unwrap().unwrap();
        assert_eq!(now.ciphertext, old.ciphertext, "ciphertext untouched");
        assert_eq!(now.nonce, old.nonce);
        assert_ne!(now.wrapped_key, old.wrapped_key, "data key re-wrapped");
        assert_eq!(
            vault.get_version(arn, version).unwrap().unwrap().expose(),
            &value[..]
        );
        // the old key no longer unwraps the stored data key
        assert_refused(stale.open_sealed(arn, version, &now));
    }
    let err = stale.get_version(&entries[0].0, &entries[0].1).unwrap_err();
    assert!(matches!(err, VaultError::KeyRotated { .. }), "{err:?}");
    let err = stale.put_version(ARN_B, "v1", b"late write").unwrap_err();
    assert!(matches!(err, VaultError::KeyRotated { .. }), "{err:?}");
    let err = stale.rotate_master_key(key(8)).unwrap_err();
    assert!(matches!(err, VaultError::KeyRotated { .. }), "{err:?}");

    // new writes after rotation use the new key
    vault.put_version(ARN_B, "v1", b"after rotation").unwrap();
    drop((vault, stale, store));

    let store = Store::open(tmp.path().join("data")).unwrap();
    let err = Vault::open(&store, key(1)).unwrap_err();
    assert!(matches!(err, VaultError::WrongMasterKey { .. }), "{err:?}");
    let vault = Vault::open(&store, key(7)).unwrap();
    for (arn, version, value) in &entries {
        assert_eq!(
            vault.get_version(arn, version).unwrap().unwrap().expose(),
            &value[..]
        );
    }
    assert_eq!(
        vault.get_version(ARN_B, "v1").unwrap().unwrap().expose(),
        b"after rotation"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn scan_files(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = dir.join(format!("mudroom.db{suffix}"));
        if let Ok(bytes) = std::fs::read(&path)
            && contains(&bytes, needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn plaintext_never_reaches_the_database_files() {
    let (tmp, store, vault) = setup();
    let data = tmp.path().join("data");
    let mut canary = *b"mudroom-canary-plaintext-0000000000000000";
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).unwrap();
    for (slot, byte) in canary[25..].chunks_mut(2).zip(random) {
        slot.copy_from_slice(format!("{byte:02x}").as_bytes());
    }
    // the scan itself works: the ARN is stored in clear and is found
    vault.put_version(ARN_A, "v1", &canary).unwrap();
    assert!(!scan_files(&data, ARN_A.as_bytes()).is_empty());
    assert!(data.join("mudroom.db-wal").exists());
    assert_eq!(scan_files(&data, &canary), Vec::<String>::new());
    // also a prefix long enough to be distinctive, in case of splits across pages
    assert_eq!(scan_files(&data, &canary[..24]), Vec::<String>::new());

    // nor a backup
    let backup = tmp.path().join("backup.db");
    store.backup_to(&backup).unwrap();
    let backup_bytes = std::fs::read(&backup).unwrap();
    assert!(contains(&backup_bytes, ARN_A.as_bytes()));
    assert!(!contains(&backup_bytes, &canary[..24]));

    // and after checkpointing into the main file and closing
    drop(vault);
    store
        .conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(store);
    assert_eq!(scan_files(&data, &canary), Vec::<String>::new());
    assert!(!scan_files(&data, ARN_A.as_bytes()).is_empty());
}

#[test]
fn secrets_and_keys_print_redacted() {
    let (_tmp, _store, vault) = setup();
    vault
        .put_version(ARN_A, "v1", b"super-secret-value")
        .unwrap();
    let secret = vault.get_version(ARN_A, "v1").unwrap().unwrap();
    assert_eq!(format!("{secret:?}"), "<redacted>");
    assert_eq!(format!("{secret}"), "<redacted>");
    assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
    assert_eq!(secret.expose(), b"super-secret-value");

    let master = MasterKey::parse(&"ab".repeat(32)).unwrap();
    let printed = format!("{master:?}");
    assert!(!printed.contains("ab"), "{printed}");
    assert!(printed.contains("<redacted>"));

    let sealed = vault.get_sealed(ARN_A, "v1").unwrap().unwrap();
    let printed = format!("{sealed:?}");
    assert!(printed.contains("ciphertext_len"), "{printed}");

    let config = mudroom_vault::KeyConfig {
        env_key: Some(zeroize::Zeroizing::new("ab".repeat(32))),
        ..Default::default()
    };
    let printed = format!("{config:?}");
    assert!(!printed.contains("abab"), "{printed}");
}

#[test]
fn master_key_parsing() {
    let bytes: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let b64_nopad = b64.trim_end_matches('=').to_owned();
    let from_hex = MasterKey::parse(&hex).unwrap();
    assert_eq!(from_hex.to_hex().as_str(), hex);
    for text in [
        hex.to_uppercase(),
        format!("  {hex}\n"),
        b64.clone(),
        b64_nopad,
        format!("{b64}\n"),
    ] {
        assert_eq!(
            MasterKey::parse(&text).unwrap().to_hex().as_str(),
            hex,
            "{text}"
        );
    }
    for bad in [
        "",
        "abcd",
        &hex[..62],
        &format!("{hex}00"),
        &base64::engine::general_purpose::STANDARD.encode([1u8; 31]),
        &"zz".repeat(32),
    ] {
        let err = MasterKey::parse(bad).unwrap_err();
        assert!(matches!(err, VaultError::InvalidKey), "{bad}: {err:?}");
    }
}
