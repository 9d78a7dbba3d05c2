#![cfg(test)]
//! Finding, creating and refusing master key files and the `MUDROOM_MASTER_KEY` value.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use mudroom_store::Store;
use mudroom_vault::{KeyConfig, KeySource, MasterKey, Vault, VaultError, load_master_key};
use zeroize::Zeroizing;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn config_home(dir: &Path) -> KeyConfig {
    KeyConfig {
        config_home: Some(dir.to_path_buf()),
        ..KeyConfig::default()
    }
}

fn expected_path(config: &Path, store: &Store) -> PathBuf {
    config
        .join("mudroom")
        .join("keys")
        .join(format!("{}.key", store.id()))
}

#[test]
fn key_file_is_created_private_then_reused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let config = tmp.path().join("config");
    let cfg = config_home(&config);
    let path = expected_path(&config, &store);

    let first = load_master_key(&store, &cfg).unwrap();
    assert_eq!(
        first.source,
        KeySource::File {
            path: path.clone(),
            created: true
        }
    );
    let notice = first.notice().unwrap();
    assert!(notice.contains(&path.display().to_string()), "{notice}");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&config.join("mudroom")), 0o700);
    // no temporary file left behind
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );

    let vault = Vault::open(&store, first.key).unwrap();
    vault.put_version("arn:x", "v1", b"kept").unwrap();
    drop(vault);

    let second = load_master_key(&store, &cfg).unwrap();
    assert_eq!(
        second.source,
        KeySource::File {
            path: path.clone(),
            created: false
        }
    );
    assert!(second.notice().is_none());
    let vault = Vault::open(&store, second.key).unwrap();
    assert_eq!(
        vault.get_version("arn:x", "v1").unwrap().unwrap().expose(),
        b"kept"
    );
}

#[test]
fn home_config_is_the_fallback() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let home = tmp.path().join("home");
    for config_home in [None, Some(PathBuf::from("relative/config"))] {
        let cfg = KeyConfig {
            config_home,
            home: Some(home.clone()),
            ..KeyConfig::default()
        };
        let expected = expected_path(&home.join(".config"), &store);
        assert_eq!(cfg.key_file_path(store.id()).unwrap(), expected);
    }
    let err = KeyConfig::default().key_file_path(store.id()).unwrap_err();
    assert!(matches!(err, VaultError::NoKeyLocation), "{err:?}");
    let err = load_master_key(&store, &KeyConfig::default()).unwrap_err();
    assert!(matches!(err, VaultError::NoKeyLocation), "{err:?}");
}

#[test]
fn env_key_wins_and_bad_env_key_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let config = tmp.path().join("config");
    let hex = "5a".repeat(32);
    let cfg = KeyConfig {
        env_key: Some(Zeroizing::new(hex.clone())),
        config_home: Some(config.clone()),
        ..KeyConfig::default()
    };
    let loaded = load_master_key(&store, &cfg).unwrap();
    assert_eq!(loaded.source, KeySource::Env);
    assert_eq!(loaded.key.to_hex().as_str(), hex);
    assert!(loaded.notice().is_none());
    assert!(!config.exists(), "no key file made when the env key is set");

    let secret_looking = "not-a-key-but-maybe-a-secret";
    let cfg = KeyConfig {
        env_key: Some(Zeroizing::new(secret_looking.to_owned())),
        ..KeyConfig::default()
    };
    let err = load_master_key(&store, &cfg).unwrap_err();
    assert!(matches!(err, VaultError::MasterKeyEnv), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("MUDROOM_MASTER_KEY"), "{message}");
    assert!(!message.contains(secret_looking), "{message}");
}

#[test]
fn key_file_inside_the_data_dir_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let store = Store::open(&data).unwrap();

    let inside = KeyConfig {
        key_file: Some(data.join("keys").join("master.key")),
        ..KeyConfig::default()
    };
    let err = load_master_key(&store, &inside).unwrap_err();
    assert!(
        matches!(err, VaultError::KeyFileInDataDir { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("master.key"), "{err}");
    assert!(!data.join("keys").exists(), "nothing created");

    // the XDG location pointing into the data directory
    let err = load_master_key(&store, &config_home(&data)).unwrap_err();
    assert!(
        matches!(err, VaultError::KeyFileInDataDir { .. }),
        "{err:?}"
    );

    // through a symlink and a `..` detour
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    for sneaky in [
        link.join("master.key"),
        tmp.path()
            .join("elsewhere")
            .join("..")
            .join("data")
            .join("k.key"),
    ] {
        std::fs::create_dir_all(tmp.path().join("elsewhere")).unwrap();
        let cfg = KeyConfig {
            key_file: Some(sneaky.clone()),
            ..KeyConfig::default()
        };
        let err = load_master_key(&store, &cfg).unwrap_err();
        assert!(
            matches!(err, VaultError::KeyFileInDataDir { .. }),
            "{}: {err:?}",
            sneaky.display()
        );
    }
}

#[test]
fn key_file_readable_by_others_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let path = tmp.path().join("master.key");
    std::fs::write(&path, format!("{}\n", "11".repeat(32))).unwrap();
    let cfg = KeyConfig {
        key_file: Some(path.clone()),
        ..KeyConfig::default()
    };
    for bad_mode in [0o640, 0o604, 0o660, 0o644] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bad_mode)).unwrap();
        let err = load_master_key(&store, &cfg).unwrap_err();
        match &err {
            VaultError::KeyFilePermissions { mode, .. } => assert_eq!(*mode, bad_mode),
            other => panic!("unexpected {other:?}"),
        }
        let message = err.to_string();
        assert!(message.contains("chmod 600"), "{message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let loaded = load_master_key(&store, &cfg).unwrap();
    assert_eq!(loaded.key.to_hex().as_str(), "11".repeat(32));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    load_master_key(&store, &cfg).unwrap();
}

#[test]
fn garbage_key_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let path = tmp.path().join("master.key");
    std::fs::write(&path, "this is not a key\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let cfg = KeyConfig {
        key_file: Some(path.clone()),
        ..KeyConfig::default()
    };
    let err = load_master_key(&store, &cfg).unwrap_err();
    assert!(matches!(err, VaultError::KeyFileInvalid { .. }), "{err:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "this is not a key\n"
    );
}

#[test]
fn missing_key_file_of_a_used_vault_is_an_error_not_a_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path().join("data")).unwrap();
    let config = tmp.path().join("config");
    let cfg = config_home(&config);
    let loaded = load_master_key(&store, &cfg).unwrap();
    Vault::open(&store, loaded.key).unwrap();
    let path = expected_path(&config, &store);
    std::fs::remove_file(&path).unwrap();

    let err = load_master_key(&store, &cfg).unwrap_err();
    assert!(matches!(err, VaultError::KeyFileMissing { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
    assert!(!path.exists(), "no replacement key was made");
}

#[test]
fn generated_keys_differ() {
    let a = MasterKey::generate().unwrap();
    let b = MasterKey::generate().unwrap();
    assert_ne!(a.to_hex().as_str(), b.to_hex().as_str());
    assert_eq!(a.to_hex().len(), 64);
}
