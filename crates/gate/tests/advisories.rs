#![cfg(test)]
//! The advisory database: import of the OSV fixtures (copies of real advisories, see
//! `fixtures/osv/README.md`), status, and matching with each ecosystem's version semantics.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use mudroom_gate::advisories::{AdvisoryDb, Severity, Vulnerability};
use mudroom_gate::deps::{Ecosystem, Package};
use mudroom_store::Store;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv")
}

fn db() -> (tempfile::TempDir, AdvisoryDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = AdvisoryDb::open(Store::open(dir.path().join("data")).unwrap()).unwrap();
    (dir, db)
}

fn imported() -> (tempfile::TempDir, AdvisoryDb) {
    let (dir, db) = db();
    let s = db.import(&fixtures(), 1_700_000_000).unwrap();
    assert_eq!(s.imported, 6, "{s:?}");
    assert_eq!(s.invalid, 0, "{s:?}");
    (dir, db)
}

fn pkg(ecosystem: Ecosystem, name: &str, version: &str) -> Package {
    Package {
        ecosystem,
        name: name.to_owned(),
        version: version.to_owned(),
        file: "lockfile".to_owned(),
        line: 1,
    }
}

fn check(db: &AdvisoryDb, ecosystem: Ecosystem, name: &str, version: &str) -> Vec<Vulnerability> {
    db.check(&[pkg(ecosystem, name, version)]).unwrap()
}

fn ids(v: &[Vulnerability]) -> Vec<&str> {
    v.iter().map(|x| x.id.as_str()).collect()
}

#[test]
fn an_empty_database_says_so() {
    let (_dir, db) = db();
    let s = db.status().unwrap();
    assert!(s.is_empty());
    assert!(s.newest_import.is_none());
    assert!(!s.covers(Ecosystem::Npm));
}

#[test]
fn status_counts_per_ecosystem_and_the_newest_import() {
    let (_dir, db) = imported();
    let s = db.status().unwrap();
    assert_eq!(s.advisories, 6);
    assert_eq!(s.withdrawn, 0);
    assert_eq!(
        s.by_ecosystem,
        [
            ("PyPI".to_owned(), 3),
            ("crates.io".to_owned(), 1),
            ("npm".to_owned(), 2)
        ]
    );
    let newest = s.newest_import.clone().unwrap();
    assert_eq!(newest.imported_at, 1_700_000_000);
    assert_eq!(newest.advisories, 6);
    assert!(s.covers(Ecosystem::PyPI) && s.covers(Ecosystem::CratesIo));
}

#[test]
fn lodash_command_injection_ghsa_35jh_r3h4_6jhm() {
    let (_dir, db) = imported();
    let v = check(&db, Ecosystem::Npm, "lodash", "4.17.20");
    assert_eq!(ids(&v), ["GHSA-35jh-r3h4-6jhm"]);
    assert_eq!(v[0].severity, Severity::High);
    assert_eq!(v[0].fixed, ["4.17.21"]);
    assert_eq!(v[0].aliases, ["CVE-2021-23337"]);
    assert_eq!(v[0].summary, "Command Injection in lodash");
    // The second affected package of the same advisory.
    assert_eq!(
        ids(&check(&db, Ecosystem::Npm, "lodash-es", "4.17.15")),
        ["GHSA-35jh-r3h4-6jhm"]
    );
    // The fix and later.
    assert!(check(&db, Ecosystem::Npm, "lodash", "4.17.21").is_empty());
    assert!(check(&db, Ecosystem::Npm, "lodash", "4.18.0").is_empty());
    // A pre-release of the fixed version is still before it.
    assert_eq!(
        ids(&check(&db, Ecosystem::Npm, "lodash", "4.17.21-beta.1")),
        ["GHSA-35jh-r3h4-6jhm"]
    );
    // Build metadata does not change precedence.
    assert!(check(&db, Ecosystem::Npm, "lodash", "4.17.21+build.5").is_empty());
    assert_eq!(
        check(&db, Ecosystem::Npm, "lodash", "4.17.20+build.5").len(),
        1
    );
    // Names are exact in npm.
    assert!(check(&db, Ecosystem::Npm, "Lodash", "4.17.20").is_empty());
}

#[test]
fn minimist_two_branches_ghsa_xvch_5gv4_984h() {
    let (_dir, db) = imported();
    for (version, fixed) in [
        ("0.0.8", Some("0.2.4")),
        ("0.2.3", Some("0.2.4")),
        ("1.0.0", Some("1.2.6")),
        ("1.2.5", Some("1.2.6")),
        ("0.2.4", None),
        ("0.2.5", None),
        ("1.2.6", None),
        ("1.2.8", None),
    ] {
        let v = check(&db, Ecosystem::Npm, "minimist", version);
        match fixed {
            Some(f) => {
                assert_eq!(ids(&v), ["GHSA-xvch-5gv4-984h"], "{version}");
                assert_eq!(v[0].fixed, [f], "{version}");
                assert_eq!(v[0].severity, Severity::Critical);
            }
            None => assert!(v.is_empty(), "{version}: {v:?}"),
        }
    }
}

#[test]
fn requests_in_two_databases_is_one_finding_ghsa_j8r2_and_pysec_2023_74() {
    let (_dir, db) = imported();
    let v = check(&db, Ecosystem::PyPI, "requests", "2.28.1");
    assert_eq!(ids(&v), ["GHSA-j8r2-6x86-q33q"], "{v:?}");
    assert_eq!(v[0].aliases, ["CVE-2023-32681", "PYSEC-2023-74"]);
    // GitHub rates it; PyPA does not: the rating stands.
    assert_eq!(v[0].severity, Severity::Medium);
    assert_eq!(v[0].fixed, ["2.31.0"]);
    for version in ["2.31.0", "2.32.3", "2.2.1", "1.2.3"] {
        assert!(
            check(&db, Ecosystem::PyPI, "requests", version).is_empty(),
            "{version}"
        );
    }
    // PEP 440: `2.3` is `2.3.0`; a release candidate of 2.30.0 is inside the range; names are
    // normalized.
    assert_eq!(check(&db, Ecosystem::PyPI, "requests", "2.3").len(), 1);
    assert_eq!(
        check(&db, Ecosystem::PyPI, "requests", "2.30.0rc1").len(),
        1
    );
    assert_eq!(check(&db, Ecosystem::PyPI, "Requests", "2.28.1").len(), 1);
    assert_eq!(
        check(&db, Ecosystem::PyPI, "requests", "2.28.1.post1").len(),
        1
    );
    // The release candidate of the fix is still affected; its post-release is not.
    assert_eq!(
        check(&db, Ecosystem::PyPI, "requests", "2.31.0rc1").len(),
        1
    );
    assert!(check(&db, Ecosystem::PyPI, "requests", "2.31.0.post1").is_empty());
}

#[test]
fn pysec_alone_has_no_severity_and_matches_by_range_or_version_list() {
    let (_dir, db) = db();
    db.import(&fixtures().join("PYSEC-2023-74.json"), 1)
        .unwrap();
    let v = check(&db, Ecosystem::PyPI, "requests", "2.25.1");
    assert_eq!(ids(&v), ["PYSEC-2023-74"]);
    assert_eq!(v[0].severity, Severity::Unknown);
    assert_eq!(v[0].fixed, ["2.31.0"]);
}

#[test]
fn urllib3_cookie_leak_on_two_branches_ghsa_v845_jxx5_vc9f() {
    let (_dir, db) = imported();
    for (version, fixed) in [
        ("1.26.5", Some("1.26.17")),
        ("1.26.16", Some("1.26.17")),
        ("2.0.0", Some("2.0.6")),
        ("2.0.5", Some("2.0.6")),
        ("1.26.17", None),
        ("1.26.18", None),
        ("2.0.6", None),
        ("2.1.0", None),
        ("2.0.0a1", None),
    ] {
        let v = check(&db, Ecosystem::PyPI, "urllib3", version);
        match fixed {
            Some(f) => {
                assert_eq!(ids(&v), ["GHSA-v845-jxx5-vc9f"], "{version}");
                assert_eq!(v[0].fixed, [f], "{version}");
                assert_eq!(v[0].severity, Severity::Medium);
            }
            // 2.0.0a1 sorts after 1.26.17 and before 2.0.0: in neither range.
            None => assert!(v.is_empty(), "{version}: {v:?}"),
        }
    }
}

#[test]
fn rustsec_time_segfault_semver_ranges_rustsec_2020_0071() {
    let (_dir, db) = imported();
    for (version, affected) in [
        ("0.1.45", true),
        ("0.1.0", true),
        ("0.2.0", false),
        ("0.2.6", false),
        ("0.2.7", true),
        ("0.2.22", true),
        ("0.2.23", false),
        ("0.3.30", false),
    ] {
        let v = check(&db, Ecosystem::CratesIo, "time", version);
        assert_eq!(!v.is_empty(), affected, "{version}: {v:?}");
        if affected {
            assert_eq!(v[0].id, "RUSTSEC-2020-0071");
            // Rated by its CVSS vector alone: 6.2.
            assert_eq!(v[0].severity, Severity::Medium);
            assert!(
                v[0].severity_source.ends_with("= 6.2"),
                "{}",
                v[0].severity_source
            );
            assert!(v[0].informational.is_none());
        }
    }
    assert_eq!(
        check(&db, Ecosystem::CratesIo, "time", "0.1.45")[0].fixed,
        ["0.2.0"]
    );
}

fn write_advisory(dir: &Path, name: &str, json: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, json).unwrap();
    path
}

#[test]
fn withdrawn_advisories_are_stored_but_never_matched() {
    let (dir, db) = imported();
    // A withdrawal of the lodash advisory, as OSV publishes one.
    let text = std::fs::read_to_string(fixtures().join("GHSA-35jh-r3h4-6jhm.json"))
        .unwrap()
        .replace(
            "\"modified\": \"2022-02-08T21:35:09Z\",",
            "\"modified\": \"2024-01-01T00:00:00Z\",\n  \"withdrawn\": \"2024-01-01T00:00:00Z\",",
        );
    let path = write_advisory(dir.path(), "withdrawn.json", &text);
    let s = db.import(&path, 1_800_000_000).unwrap();
    assert_eq!((s.imported, s.withdrawn), (1, 1));
    assert!(check(&db, Ecosystem::Npm, "lodash", "4.17.20").is_empty());
    let st = db.status().unwrap();
    assert_eq!((st.advisories, st.withdrawn), (6, 1));
    assert_eq!(st.newest_import.unwrap().imported_at, 1_800_000_000);
    assert_eq!(st.imports, 2);
}

#[test]
fn importing_again_replaces_an_advisory() {
    let (dir, db) = imported();
    // The same id with a narrower range: the old affected entries go.
    let text = std::fs::read_to_string(fixtures().join("GHSA-35jh-r3h4-6jhm.json"))
        .unwrap()
        .replace("\"introduced\": \"0\"", "\"introduced\": \"4.17.0\"");
    let path = write_advisory(dir.path(), "again.json", &text);
    db.import(&path, 2).unwrap();
    assert!(check(&db, Ecosystem::Npm, "lodash", "4.16.6").is_empty());
    assert_eq!(check(&db, Ecosystem::Npm, "lodash", "4.17.20").len(), 1);
    assert_eq!(db.status().unwrap().advisories, 6);
}

#[test]
fn invalid_files_are_counted_and_the_rest_imported() {
    let (dir, db) = db();
    let src = dir.path().join("osv");
    std::fs::create_dir_all(src.join("nested")).unwrap();
    std::fs::copy(
        fixtures().join("GHSA-xvch-5gv4-984h.json"),
        src.join("nested/a.json"),
    )
    .unwrap();
    write_advisory(&src, "broken.json", "{\"id\": ");
    write_advisory(&src, "noid.json", "{\"summary\": \"x\"}");
    write_advisory(&src, "notes.txt", "not json, not read");
    let s = db.import(&src, 3).unwrap();
    assert_eq!((s.imported, s.invalid), (1, 2), "{s:?}");
    let examples: Vec<&str> = s.invalid_examples.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(examples, ["broken.json", "noid.json"]);
}

#[test]
fn osv_zip_export_deflated() {
    let (dir, db) = db();
    let zip_path = dir.path().join("all.zip");
    {
        let file = std::fs::File::create(&zip_path).unwrap();
        let mut zip = zip::ZipWriter::new(file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for name in ["GHSA-35jh-r3h4-6jhm.json", "GHSA-xvch-5gv4-984h.json"] {
            zip.start_file(name, options).unwrap();
            zip.write_all(&std::fs::read(fixtures().join(name)).unwrap())
                .unwrap();
        }
        zip.finish().unwrap();
    }
    let s = db.import(&zip_path, 4).unwrap();
    assert_eq!(s.imported, 2);
    assert_eq!(s.by_ecosystem.get("npm"), Some(&2));
    assert_eq!(check(&db, Ecosystem::Npm, "minimist", "1.2.5").len(), 1);
    // Not an archive.
    let bad = write_advisory(dir.path(), "bad.zip", "PK not really");
    assert!(db.import(&bad, 5).is_err());
}

#[test]
fn informational_and_malicious_package_reports() {
    let (dir, db) = db();
    // A RustSec "unmaintained" notice in OSV form.
    let unmaintained = r#"{
      "id": "RUSTSEC-0000-0001",
      "modified": "2024-01-01T00:00:00Z",
      "summary": "crate is unmaintained",
      "affected": [{
        "package": {"ecosystem": "crates.io", "name": "oldcrate"},
        "database_specific": {"informational": "unmaintained"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}]
      }]
    }"#;
    // OSV's malicious-package reports carry no rating; they are critical.
    let malicious = r#"{
      "id": "MAL-0000-0001",
      "modified": "2024-01-01T00:00:00Z",
      "summary": "Malicious code in evil-pkg (npm)",
      "affected": [{
        "package": {"ecosystem": "npm", "name": "evil-pkg"},
        "versions": ["1.0.0", "1.0.1"]
      }]
    }"#;
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    write_advisory(&src, "u.json", unmaintained);
    write_advisory(&src, "m.json", malicious);
    db.import(&src, 6).unwrap();
    let v = check(&db, Ecosystem::CratesIo, "oldcrate", "3.1.4");
    assert_eq!(v[0].informational.as_deref(), Some("unmaintained"));
    assert_eq!(v[0].severity, Severity::Unknown);
    let m = check(&db, Ecosystem::Npm, "evil-pkg", "1.0.1");
    assert_eq!(m[0].severity, Severity::Critical);
    assert!(check(&db, Ecosystem::Npm, "evil-pkg", "1.0.2").is_empty());
}

#[test]
fn many_packages_in_one_check_keep_their_locations() {
    let (_dir, db) = imported();
    let mut a = pkg(Ecosystem::Npm, "lodash", "4.17.20");
    a.file = "web/package-lock.json".into();
    a.line = 36;
    let b = pkg(Ecosystem::PyPI, "urllib3", "1.26.5");
    let c = pkg(Ecosystem::PyPI, "idna", "3.4");
    let v = db.check(&[a, b, c]).unwrap();
    assert_eq!(ids(&v), ["GHSA-35jh-r3h4-6jhm", "GHSA-v845-jxx5-vc9f"]);
    assert_eq!(
        (v[0].package.file.as_str(), v[0].package.line),
        ("web/package-lock.json", 36)
    );
}
