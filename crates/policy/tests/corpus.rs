//! Every AWS managed policy in the shared corpus parses, validates and compiles.

use std::path::PathBuf;

use mudroom_policy::{CompiledPolicy, ParseOptions, PolicyKind, parse_policy};

/// The shared corpora: `MUDROOM_SHARED`, else `../shared` beside the repository.
fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("MUDROOM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    dir.is_dir().then_some(dir)
}

#[test]
fn managed_policies_all_parse() {
    let Some(shared) = shared() else {
        eprintln!("skipped: ../shared is absent, so the managed-policy corpus cannot be read");
        return;
    };
    let dir = shared.join("corpora/iam/managed-policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut refused = Vec::new();
    let mut statements = 0usize;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{e}"));
        // AWS managed policies are not bound by the customer size limits.
        match parse_policy(&text, ParseOptions::unlimited(PolicyKind::Identity)) {
            Ok(policy) => {
                statements += policy.statements.len();
                let compiled = CompiledPolicy::new("p", PolicyKind::Identity, &policy);
                assert_eq!(compiled.len(), policy.statements.len());
            }
            Err(e) => refused.push(format!("{}: {e}", path.display())),
        }
    }
    eprintln!(
        "{} managed policies, {statements} statements, {} refused",
        files.len(),
        refused.len()
    );
    assert!(files.len() >= 1_600, "the corpus has {} files", files.len());
    assert!(refused.is_empty(), "refused:\n{}", refused.join("\n"));
}
