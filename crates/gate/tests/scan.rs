#![cfg(test)]
//! Whole-directory scans: files on several threads come back in walk order; large, binary and
//! allowlisted files are accounted for; the verdict follows the policy.

use std::path::Path;

use mudroom_gate::advisories::{Severity, Vulnerability};
use mudroom_gate::deps::{Ecosystem, Package};
use mudroom_gate::report::{AdvisoryOutcome, Policy};
use mudroom_gate::walk::MAX_SECRET_SCAN_BYTES;
use mudroom_gate::{ScanOptions, ScanReport, SecretScanner, scan_dir};

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn token(i: usize) -> String {
    // 36 characters after the prefix, varied enough to pass the entropy floor.
    let body: String = (0..36)
        .map(|k| {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            char::from(alphabet[(i * 7 + k * 13 + k * k) % alphabet.len()])
        })
        .collect();
    format!("ghp_{body}")
}

fn scan(root: &Path) -> ScanReport {
    let scanner = SecretScanner::builtin().unwrap();
    scan_dir(
        root,
        &ScanOptions {
            scanner: &scanner,
            advisories: None,
            exclude: vec![],
        },
    )
    .unwrap()
}

#[test]
fn many_files_are_reported_in_walk_order() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..60 {
        let text = format!("# file {i}\nfiller = {i}\nTOKEN = \"{}\"\n", token(i));
        write(dir.path(), &format!("src/m{i:03}.py"), text.as_bytes());
    }
    let r = scan(dir.path());
    assert_eq!(r.files_scanned, 60);
    assert_eq!(r.secrets.len(), 60);
    let files: Vec<&str> = r.secrets.iter().map(|s| s.file.as_str()).collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted);
    assert!(
        r.secrets
            .iter()
            .all(|s| s.line == 3 && s.rule_id == "github-token")
    );
}

#[test]
fn large_binary_and_allowlisted_files_are_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!("x = \"{}\"\n", token(1))
        .repeat(usize::try_from(MAX_SECRET_SCAN_BYTES).unwrap() / 40 + 1);
    write(dir.path(), "big.py", big.as_bytes());
    write(dir.path(), "image.bin", b"\x89PNG\r\n\x1a\n\0\0\0");
    write(dir.path(), "certs/client.pfx", b"\x30\x82\0\0");
    write(
        dir.path(),
        "node_modules/x/index.js",
        format!("t = '{}'", token(2)).as_bytes(),
    );
    write(dir.path(), "ok.txt", b"nothing here\n");
    let r = scan(dir.path());
    assert_eq!(r.files_skipped_large, 1);
    assert_eq!(r.files_skipped_binary, 2);
    assert_eq!(r.files_skipped_allowlisted, 1);
    assert_eq!(r.files_scanned, 1);
    assert!(
        r.notes
            .iter()
            .any(|n| n.file == "big.py" && n.message.contains("not scanned"))
    );
    // The key store is found by name although binary.
    let ids: Vec<&str> = r.secrets.iter().map(|s| s.rule_id.as_str()).collect();
    assert_eq!(ids, ["pkcs12-file"]);
    assert!(matches!(r.advisories, AdvisoryOutcome::NotChecked { .. }));
}

fn vuln(severity: Severity, informational: Option<&str>) -> Vulnerability {
    Vulnerability {
        id: format!("TEST-{severity}"),
        aliases: vec![],
        summary: "s".into(),
        severity,
        severity_source: "test".into(),
        informational: informational.map(str::to_owned),
        fixed: vec![],
        package: Package {
            ecosystem: Ecosystem::Npm,
            name: "p".into(),
            version: "1.0.0".into(),
            file: "package-lock.json".into(),
            line: 1,
        },
    }
}

#[test]
fn the_default_policy() {
    let p = Policy::default();
    assert!(p.blocks(&vuln(Severity::Critical, None)));
    assert!(p.blocks(&vuln(Severity::High, None)));
    assert!(p.blocks(&vuln(Severity::Unknown, None)));
    assert!(!p.blocks(&vuln(Severity::Medium, None)));
    assert!(!p.blocks(&vuln(Severity::Low, None)));
    assert!(!p.blocks(&vuln(Severity::Unknown, Some("unmaintained"))));

    let mut r = ScanReport {
        advisories: AdvisoryOutcome::Checked {
            vulnerabilities: vec![vuln(Severity::Medium, None), vuln(Severity::Low, None)],
            packages_checked: 1,
            database_advisories: 2,
            newest_import_at: Some(0),
            unchecked_ecosystems: vec![Ecosystem::PyPI],
        },
        ..ScanReport::default()
    };
    let v = r.verdict(&p);
    assert!(!v.blocked());
    assert_eq!(v.warnings, 2);
    let text = r.to_text(&p, 3 * 86_400);
    assert!(text.contains("newest import 3 days ago"), "{text}");
    assert!(
        text.contains("PyPI: NOT CHECKED (no PyPI advisories imported"),
        "{text}"
    );
    assert!(
        text.ends_with("result: passed with 2 warning(s)\n"),
        "{text}"
    );
    let sarif = r.to_sarif(&p, "file:///app/");
    let levels: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["warning", "warning"]);

    r.advisories = AdvisoryOutcome::NotChecked { reason: "x".into() };
    assert!(!r.verdict(&p).blocked());
    let strict = Policy {
        require_advisories: true,
        ..Policy::default()
    };
    assert!(r.verdict(&strict).blocked());
    assert_eq!(r.to_json(&strict)["result"], "blocked");
}
