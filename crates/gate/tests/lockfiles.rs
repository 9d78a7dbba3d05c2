#![cfg(test)]
//! Lockfile formats: each fixture is a small, realistic lockfile of its format; the packages
//! read from it are compared in full, and each package's line is checked to hold its entry.

use std::path::Path;

use mudroom_gate::deps::{self, Ecosystem, Package, SourceKind};
use mudroom_gate::walk;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lockfiles")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses fixture `name` as `kind`, checks every package's line, and returns the packages
/// sorted as (name, version) pairs.
fn parse(kind: SourceKind, name: &str) -> (Vec<(String, String)>, Vec<Package>, Vec<String>) {
    let text = fixture(name);
    let parsed = deps::parse(kind, name, &text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for p in &parsed.packages {
        assert_eq!(p.file, name);
        let line = lines[p.line - 1];
        // The entry's line names the package (or, for aliases, the alias it is installed as).
        let short = p.name.rsplit('/').next().unwrap();
        assert!(
            line.contains(short) || line.contains("-cjs") || line.trim() == "[[package]]",
            "{name}:{}: `{line}` does not hold {p:?}",
            p.line
        );
    }
    let mut pairs: Vec<(String, String)> = parsed
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    pairs.sort();
    (pairs, parsed.packages, parsed.notes)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

#[test]
fn package_lock_v3_with_nesting_aliases_and_workspaces() {
    let (got, packages, _) = parse(SourceKind::NpmLock, "package-lock.v3.json");
    assert_eq!(
        got,
        pairs(&[
            ("@babel/code-frame", "7.22.13"),
            ("lodash", "4.17.20"),
            ("minimist", "1.2.5"),
            ("minimist", "0.0.8"),
            ("mkdirp", "0.5.5"),
            ("string-width", "4.2.3"),
        ])
    );
    assert!(packages.iter().all(|p| p.ecosystem == Ecosystem::Npm));
    let lodash = packages.iter().find(|p| p.name == "lodash").unwrap();
    assert_eq!(lodash.line, 36);
}

#[test]
fn package_lock_v1_nested_dependencies() {
    let (got, _, _) = parse(SourceKind::NpmLock, "package-lock.v1.json");
    assert_eq!(
        got,
        pairs(&[
            ("express", "4.17.1"),
            ("qs", "6.7.0"),
            ("lodash", "4.17.15"),
            ("strip-ansi", "6.0.1"),
        ])
    );
}

#[test]
fn yarn_classic_and_berry() {
    let (got, packages, _) = parse(SourceKind::YarnLock, "yarn.classic.lock");
    assert_eq!(
        got,
        pairs(&[
            ("@babel/code-frame", "7.22.13"),
            ("lodash", "4.17.19"),
            ("minimist", "0.0.8"),
            ("string-width", "4.2.3"),
        ])
    );
    assert_eq!(
        packages.iter().find(|p| p.name == "lodash").unwrap().line,
        13
    );

    let (got, _, _) = parse(SourceKind::YarnLock, "yarn.berry.lock");
    // The workspace entry is the project itself.
    assert_eq!(
        got,
        pairs(&[
            ("@types/node", "20.8.10"),
            ("lodash", "4.17.20"),
            ("strip-ansi", "6.0.1"),
        ])
    );
}

#[test]
fn pnpm_v5_v6_v9() {
    let (got, _, _) = parse(SourceKind::PnpmLock, "pnpm-lock.v5.yaml");
    assert_eq!(
        got,
        pairs(&[("@emotion/react", "11.10.5"), ("lodash", "4.17.15")])
    );

    let (got, packages, _) = parse(SourceKind::PnpmLock, "pnpm-lock.v6.yaml");
    assert_eq!(
        got,
        pairs(&[
            ("@babel/core", "7.22.0"),
            ("lodash", "4.17.20"),
            ("react-dom", "18.2.0"),
            ("react", "18.2.0"),
        ])
    );
    assert_eq!(
        packages.iter().find(|p| p.name == "lodash").unwrap().line,
        27
    );

    let (got, _, _) = parse(SourceKind::PnpmLock, "pnpm-lock.v9.yaml");
    assert_eq!(
        got,
        pairs(&[
            ("@types/node", "20.8.10"),
            ("minimist", "1.2.5"),
            ("tarball-dep", "1.0.0"),
        ])
    );
}

#[test]
fn requirements_pins_only_with_a_note_for_the_rest() {
    let (got, packages, notes) = parse(SourceKind::Requirements, "requirements.txt");
    assert_eq!(
        got,
        pairs(&[
            ("certifi", "2023.7.22"),
            ("charset-normalizer", "3.3.2"),
            ("idna", "3.4"),
            ("requests", "2.28.1"),
            ("urllib3", "1.26.5"),
            ("zope.interface", "6.1"),
        ])
    );
    // A continued requirement is reported at its first line.
    assert_eq!(
        packages.iter().find(|p| p.name == "certifi").unwrap().line,
        5
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("2 requirement(s) not pinned"),
        "{notes:?}"
    );
    assert!(notes[0].contains("Django>=4.2,<5"), "{notes:?}");
}

#[test]
fn poetry_pipfile_uv() {
    let (got, packages, _) = parse(SourceKind::PoetryLock, "poetry.lock");
    assert_eq!(
        got,
        pairs(&[
            ("certifi", "2023.7.22"),
            ("requests", "2.30.0"),
            ("urllib3", "2.0.4")
        ])
    );
    assert!(packages.iter().all(|p| p.ecosystem == Ecosystem::PyPI));

    let (got, _, _) = parse(SourceKind::PipfileLock, "Pipfile.lock");
    assert_eq!(
        got,
        pairs(&[
            ("flask", "2.3.3"),
            ("requests", "2.31.0"),
            ("pytest", "7.4.3")
        ])
    );

    let (got, _, _) = parse(SourceKind::UvLock, "uv.lock");
    assert_eq!(
        got,
        pairs(&[
            ("certifi", "2024.2.2"),
            ("requests", "2.25.1"),
            ("urllib3", "2.0.5")
        ])
    );
}

#[test]
fn cargo_lock_registry_and_sparse_sources_not_workspace_crates() {
    let (got, packages, _) = parse(SourceKind::CargoLock, "Cargo.lock");
    assert_eq!(
        got,
        pairs(&[
            ("serde", "1.0.193"),
            ("time", "0.1.45"),
            ("tokio", "1.35.0")
        ])
    );
    assert!(packages.iter().all(|p| p.ecosystem == Ecosystem::CratesIo));
}

#[test]
fn python_distribution_metadata_headers_only() {
    let (got, packages, _) = parse(SourceKind::PythonMetadata, "METADATA");
    assert_eq!(got, pairs(&[("urllib3", "1.26.5")]));
    assert_eq!(packages[0].line, 2);
}

#[test]
fn malformed_lockfiles_are_errors_not_empty_lists() {
    for (kind, text) in [
        (SourceKind::NpmLock, "{not json"),
        (SourceKind::NpmLock, "{\"name\": \"x\"}"),
        (
            SourceKind::YarnLock,
            "lodash@^4\n  version \"1\"\nnot an entry\n",
        ),
        (SourceKind::PnpmLock, "packages: [\n"),
        (SourceKind::CargoLock, "[[package]\nname = 1"),
        (SourceKind::PipfileLock, "{}"),
        (SourceKind::PythonMetadata, "Summary: nothing\n"),
    ] {
        assert!(deps::parse(kind, "f", text).is_err(), "{kind:?}: {text:?}");
    }
}

#[test]
fn inventory_of_a_directory_prefers_lockfiles_over_vendored_copies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("web/package-lock.json", &fixture("package-lock.v3.json"));
    // Installed copies: one also in the lockfile (not repeated), one only installed.
    write(
        "web/node_modules/lodash/package.json",
        "{\n  \"name\": \"lodash\",\n  \"version\": \"4.17.20\"\n}\n",
    );
    write(
        "web/node_modules/@scope/extra/package.json",
        "{\n  \"name\": \"@scope/extra\",\n  \"version\": \"2.0.0\"\n}\n",
    );
    write(
        "web/node_modules/lodash/fp/package.json",
        "{\"main\": \"../fp.js\"}",
    );
    write(
        "web/node_modules/left-pad/yarn.lock",
        "garbage that is never read\n",
    );
    write(
        "api/.venv/lib/python3.12/site-packages/urllib3-1.26.5.dist-info/METADATA",
        &fixture("METADATA"),
    );
    write("api/requirements.txt", "urllib3==1.26.5\nflask\n");
    write("api/broken/poetry.lock", "[[package]\n");

    let walked = walk::walk(root, &[]).unwrap();
    let inv = deps::inventory(&walked);
    let got: Vec<(String, &str, &str)> = inv
        .packages
        .iter()
        .map(|p| (p.file.clone(), p.name.as_str(), p.version.as_str()))
        .collect();
    assert!(got.contains(&(
        "web/node_modules/@scope/extra/package.json".into(),
        "@scope/extra",
        "2.0.0"
    )));
    assert!(got.contains(&("web/package-lock.json".into(), "lodash", "4.17.20")));
    assert!(
        !got.iter()
            .any(|g| g.0 == "web/node_modules/lodash/package.json")
    );
    assert!(got.contains(&("api/requirements.txt".into(), "urllib3", "1.26.5")));
    assert!(!got.iter().any(|g| g.0.ends_with("METADATA")), "{got:?}");
    assert_eq!(got.len(), 6 + 1 + 1, "{got:?}");
    assert!(
        inv.notes.iter().any(|n| n.file == "api/broken/poetry.lock"
            && n.message.starts_with("cannot read its packages")),
        "{:?}",
        inv.notes
    );
    assert!(
        inv.notes
            .iter()
            .any(|n| n.file == "api/requirements.txt" && n.message.contains("not pinned"))
    );
    assert!(inv.sources.contains(&"web/package-lock.json".to_owned()));
}
