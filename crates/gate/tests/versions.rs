#![cfg(test)]
//! Range evaluation edge cases: OSV's event semantics under semantic versioning and PEP 440.

use mudroom_gate::advisories::version::{Range, check};
use mudroom_gate::deps::Ecosystem;

fn ranges(json: &str) -> Vec<Range> {
    serde_json::from_str(json).unwrap()
}

fn affected(eco: Ecosystem, version: &str, json: &str) -> bool {
    check(eco, version, &ranges(json), &[]).affected
}

#[test]
fn last_affected_is_inclusive() {
    let r = r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0.0"}, {"last_affected": "1.4.2"}]}]"#;
    assert!(!affected(Ecosystem::Npm, "0.9.9", r));
    assert!(affected(Ecosystem::Npm, "1.0.0", r));
    assert!(affected(Ecosystem::Npm, "1.4.2", r));
    assert!(!affected(Ecosystem::Npm, "1.4.3", r));
    // A pre-release of the next patch sorts after 1.4.2.
    assert!(!affected(Ecosystem::Npm, "1.4.3-alpha.0", r));
    // No fix: nothing is suggested.
    assert!(
        check(Ecosystem::Npm, "1.2.0", &ranges(r), &[])
            .fixed
            .is_empty()
    );
}

#[test]
fn introduced_without_an_end_affects_everything_after() {
    let r = r#"[{"type": "SEMVER", "events": [{"introduced": "2.0.0"}]}]"#;
    assert!(!affected(Ecosystem::CratesIo, "1.99.99", r));
    assert!(affected(Ecosystem::CratesIo, "2.0.0", r));
    assert!(affected(Ecosystem::CratesIo, "999.0.0", r));
    // 2.0.0-rc.1 comes before 2.0.0.
    assert!(!affected(Ecosystem::CratesIo, "2.0.0-rc.1", r));
}

#[test]
fn introduced_zero_includes_pre_releases_of_early_versions() {
    let r = r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.0.0"}]}]"#;
    assert!(affected(Ecosystem::CratesIo, "0.0.0-0", r));
    assert!(affected(Ecosystem::CratesIo, "0.1.0-alpha", r));
    assert!(affected(Ecosystem::CratesIo, "1.0.0-rc.9", r));
    assert!(!affected(Ecosystem::CratesIo, "1.0.0", r));
}

#[test]
fn events_are_sorted_before_evaluation() {
    // The same two windows, listed out of order.
    let r = r#"[{"type": "ECOSYSTEM", "events": [
        {"fixed": "3.0.5"}, {"introduced": "3.0.0"}, {"fixed": "1.2.0"}, {"introduced": "0"}]}]"#;
    for (v, want) in [
        ("1.1.9", true),
        ("1.2.0", false),
        ("2.9.9", false),
        ("3.0.0", true),
        ("3.0.4", true),
        ("3.0.5", false),
    ] {
        assert_eq!(affected(Ecosystem::Npm, v, r), want, "{v}");
    }
    let m = check(Ecosystem::Npm, "3.0.1", &ranges(r), &[]);
    assert_eq!(m.fixed, ["3.0.5"]);
}

#[test]
fn limit_caps_a_range() {
    let r = r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "2.0.0"}]}]"#;
    assert!(affected(Ecosystem::Npm, "1.9.9", r));
    assert!(!affected(Ecosystem::Npm, "2.0.0", r));
    assert!(!affected(Ecosystem::Npm, "2.1.0", r));
}

#[test]
fn any_of_several_ranges_and_the_version_list() {
    let r = ranges(
        r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.1"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.0.3"}]}]"#,
    );
    let listed = vec!["0.9.1".to_owned(), "3.0".to_owned()];
    let hit = |v: &str| check(Ecosystem::PyPI, v, &r, &listed).affected;
    assert!(hit("1.0.5"));
    assert!(hit("2.0.2"));
    assert!(!hit("1.5"));
    // Only in the list; PEP 440 zero padding makes 3.0.0 the listed 3.0.
    assert!(hit("0.9.1"));
    assert!(hit("3.0.0"));
    assert!(!hit("3.0.1"));
}

#[test]
fn pep440_ordering_pre_post_dev_epoch_local() {
    let r = r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2.0"}]}]"#;
    for (v, want) in [
        ("1.0.dev1", false),
        ("1.0a1", false),
        ("1.0rc2", false),
        ("1.0", true),
        ("1.0.post1", true),
        ("1.1.9+ubuntu1", true),
        ("1.2.0.dev0", true),
        ("1.2.0b1", true),
        ("1.2.0rc1", true),
        ("1.2.0", false),
        ("1.2.0+local", false),
        ("1.2.0.post1", false),
        // An epoch outranks any release number.
        ("1!0.5", false),
    ] {
        assert_eq!(affected(Ecosystem::PyPI, v, r), want, "{v}");
    }
    // Case and separators are normalized: 1.2.0RC1 is 1.2.0rc1.
    assert!(affected(Ecosystem::PyPI, "1.2.0RC1", r));
    assert!(affected(Ecosystem::PyPI, "1.2.0-rc.1", r));
}

#[test]
fn semver_ranges_on_pypi_packages_use_semver() {
    // OSV allows a SEMVER range on any ecosystem; it is read as semantic versioning.
    let r = r#"[{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.5.0"}]}]"#;
    assert!(affected(Ecosystem::PyPI, "2.4.9", r));
    assert!(!affected(Ecosystem::PyPI, "2.5.0", r));
}

#[test]
fn what_cannot_be_evaluated_is_counted_not_matched() {
    let r = ranges(
        r#"[{"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "0"}, {"fixed": "abc123"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version"}]},
            {"type": "NEWKIND", "events": [{"introduced": "0"}]}]"#,
    );
    let m = check(Ecosystem::Npm, "1.0.0", &r, &[]);
    assert!(!m.affected);
    // GIT ranges are skipped silently (exports pair them with versions); the others count.
    assert_eq!(m.unevaluated, 2);
    // An installed version that is not a version of the ecosystem (a git URL, a tag).
    let ok =
        ranges(r#"[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]"#);
    let m = check(Ecosystem::Npm, "github:user/repo#main", &ok, &[]);
    assert!(!m.affected);
    assert_eq!(m.unevaluated, 1);
}

#[test]
fn npm_prerelease_identifiers_order() {
    let r = r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0-alpha.2"}, {"fixed": "1.0.0-beta"}]}]"#;
    for (v, want) in [
        ("1.0.0-alpha", false),
        ("1.0.0-alpha.1", false),
        ("1.0.0-alpha.2", true),
        ("1.0.0-alpha.10", true),
        ("1.0.0-alpha.beta", true),
        ("1.0.0-beta", false),
        ("1.0.0", false),
    ] {
        assert_eq!(affected(Ecosystem::Npm, v, r), want, "{v}");
    }
}

#[test]
fn equal_introduced_and_fixed_affect_nothing() {
    let r = r#"[{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.0.0"}]}]"#;
    assert!(!affected(Ecosystem::Npm, "1.0.0", r));
    assert!(!affected(Ecosystem::Npm, "1.5.0", r));
}
