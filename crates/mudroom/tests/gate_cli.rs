#![cfg(test)]
//! `mudroom scan` on a fixture app (text, JSON and SARIF; exit codes), and
//! `mudroom advisories import` / `status` with the OSV fixtures of the gate crate.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{mudroom, scratch};

fn gate_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../gate/tests/fixtures")
}

/// A token shaped like a GitHub personal access token, made at run time so no file of the
/// repository holds one.
fn github_token() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let body: String = (0..36)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(alphabet[usize::try_from(x % 62).unwrap()])
        })
        .collect();
    format!("ghp_{body}")
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// An app with a web front end (npm lockfile with vulnerable lodash and minimist) and a Python
/// API (requirements with requests and urllib3), and, when `secret` is given, a token in its
/// settings.
fn fixture_app(name: &str, secret: Option<&str>) -> PathBuf {
    let root = scratch(name).join("app");
    let lock =
        std::fs::read_to_string(gate_fixtures().join("lockfiles/package-lock.v3.json")).unwrap();
    write(&root, "web/package-lock.json", &lock);
    write(
        &root,
        "web/src/index.js",
        "const key = process.env.API_KEY;\nexport default key;\n",
    );
    write(
        &root,
        "api/requirements.txt",
        "requests==2.28.1\nurllib3==1.26.5\nflask\n",
    );
    let settings = match secret {
        Some(s) => format!(
            "import os\n\nDEBUG = False\nGITHUB_TOKEN = \"{s}\"\nDB_PASSWORD = os.environ[\"DB_PASSWORD\"]\n"
        ),
        None => {
            "import os\n\nDEBUG = False\nDB_PASSWORD = os.environ[\"DB_PASSWORD\"]\n".to_owned()
        }
    };
    write(&root, "api/settings.py", &settings);
    write(
        &root,
        "README.md",
        "Set `API_KEY=<your-api-key>` before starting.\n",
    );
    root
}

fn run(root: &Path, args: &[&str]) -> Output {
    mudroom(root).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn import_fixtures(root: &Path, data: &Path) {
    let osv = gate_fixtures().join("osv");
    let out = run(
        root,
        &[
            "advisories",
            "import",
            "--data-dir",
            data.to_str().unwrap(),
            osv.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).starts_with("imported 6 advisories from"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn scan_without_a_database_never_pretends_to_have_checked() {
    let app = fixture_app("gate-cli-nodb", None);
    let data = app.parent().unwrap().join("data");
    let out = run(
        &app,
        &[
            "scan",
            app.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    // No secret, advisories not checked: passes, and says so.
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("advisories: NOT CHECKED (database empty; run mudroom advisories import)"),
        "{text}"
    );
    assert!(text.contains("secrets: 0 found"), "{text}");
    assert!(text.contains("dependencies: 8 package(s)"), "{text}");
    assert!(text.ends_with("result: passed\n"), "{text}");
    // A scan does not create the data directory.
    assert!(!data.exists());

    // When advisories are required, the same scan blocks.
    let out = run(
        &app,
        &[
            "scan",
            app.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--require-advisories",
        ],
    );
    assert_exit(&out, 1);
    assert!(stdout(&out).contains("result: BLOCKED (advisories not checked)"));

    // Status of the missing database.
    let out = run(
        &app,
        &["advisories", "status", "--data-dir", data.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    assert_eq!(
        stdout(&out),
        "advisories: none (database empty; run mudroom advisories import)\n"
    );
}

#[test]
fn import_and_status() {
    let app = fixture_app("gate-cli-import", None);
    let data = app.parent().unwrap().join("data");
    import_fixtures(&app, &data);
    let out = run(
        &app,
        &["advisories", "status", "--data-dir", data.to_str().unwrap()],
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("advisories: 6 (0 withdrawn) from 1 import(s)\n"),
        "{text}"
    );
    for line in [
        "  PyPI         3\n",
        "  crates.io    1\n",
        "  npm          2\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(text.contains("newest import: just now ("), "{text}");

    let out = run(
        &app,
        &[
            "advisories",
            "status",
            "--json",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["advisories"], 6);
    assert_eq!(v["by_ecosystem"]["npm"], 2);
    assert_eq!(v["empty"], false);
    assert!(v["newest_import_age_seconds"].as_i64().unwrap() >= 0);

    // Importing a single file and then a directory without advisories.
    let one = gate_fixtures().join("osv/RUSTSEC-2020-0071.json");
    let out = run(
        &app,
        &[
            "advisories",
            "import",
            "--data-dir",
            data.to_str().unwrap(),
            one.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("crates.io    1"));
    let empty = app.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = run(
        &app,
        &[
            "advisories",
            "import",
            "--data-dir",
            data.to_str().unwrap(),
            empty.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no OSV advisories in"));
    let out = run(
        &app,
        &[
            "advisories",
            "import",
            "--data-dir",
            data.to_str().unwrap(),
            "/nonexistent/osv",
        ],
    );
    assert_exit(&out, 2);
}

#[test]
fn scan_blocks_on_secrets_and_advisories_in_every_format() {
    let token = github_token();
    let app = fixture_app("gate-cli-blocked", Some(&token));
    let data = app.parent().unwrap().join("data");
    import_fixtures(&app, &data);
    let base = [
        "scan",
        app.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];

    // Text.
    let out = run(&app, &base);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(!text.contains(&token), "the secret is printed: {text}");
    assert!(
        text.contains("  BLOCK  api/settings.py:4:17  github-token  ghp_…"),
        "{text}"
    );
    assert!(
        text.contains("BLOCK  critical  minimist 1.2.5 (npm)  GHSA-xvch-5gv4-984h"),
        "{text}"
    );
    assert!(
        text.contains("BLOCK  high      lodash 4.17.20 (npm)  GHSA-35jh-r3h4-6jhm"),
        "{text}"
    );
    assert!(
        text.contains("warn   medium    requests 2.28.1 (PyPI)  GHSA-j8r2-6x86-q33q"),
        "{text}"
    );
    assert!(
        text.contains("fixed in 1.26.17  api/requirements.txt:2"),
        "{text}"
    );
    assert!(
        text.ends_with("result: BLOCKED (1 secret(s), 3 advisory(ies))\n"),
        "{text}"
    );

    // JSON.
    let mut args = base.to_vec();
    args.extend(["--format", "json"]);
    let out = run(&app, &args);
    assert_exit(&out, 1);
    assert!(!stdout(&out).contains(&token));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["result"], "blocked");
    assert_eq!(v["verdict"]["secrets"], 1);
    assert_eq!(v["verdict"]["blocking_advisories"], 3);
    assert_eq!(v["verdict"]["warnings"], 2);
    assert_eq!(v["secrets"][0]["rule_id"], "github-token");
    assert_eq!(v["secrets"][0]["line"], 4);
    assert_eq!(v["advisories"]["status"], "checked");
    let vulns = v["advisories"]["vulnerabilities"].as_array().unwrap();
    let urllib3 = vulns
        .iter()
        .find(|x| x["package"]["name"] == "urllib3")
        .unwrap();
    assert_eq!(urllib3["id"], "GHSA-v845-jxx5-vc9f");
    assert_eq!(urllib3["blocking"], false);
    assert_eq!(urllib3["fixed"][0], "1.26.17");
    let lodash = vulns
        .iter()
        .find(|x| x["package"]["name"] == "lodash")
        .unwrap();
    assert_eq!(lodash["blocking"], true);
    assert_eq!(lodash["severity"], "high");

    // SARIF.
    let mut args = base.to_vec();
    args.extend(["--format", "sarif"]);
    let out = run(&app, &args);
    assert_exit(&out, 1);
    assert!(!stdout(&out).contains(&token));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["version"], "2.1.0");
    let run0 = &s["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 1 + 5);
    for r in results {
        // Each result's ruleIndex points at its rule.
        let i = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[i]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "SRCROOT");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let secret = results
        .iter()
        .find(|r| r["ruleId"] == "github-token")
        .unwrap();
    assert_eq!(secret["level"], "error");
    assert_eq!(
        secret["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "api/settings.py"
    );
    assert_eq!(
        secret["locations"][0]["physicalLocation"]["region"]["startColumn"],
        17
    );
    let requests = results
        .iter()
        .find(|r| r["ruleId"] == "GHSA-j8r2-6x86-q33q")
        .unwrap();
    assert_eq!(requests["level"], "warning");
    let root_uri = run0["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with("/app/"),
        "{root_uri}"
    );
}

#[test]
fn warnings_alone_pass() {
    let app = scratch("gate-cli-warn").join("app");
    write(&app, "requirements.txt", "requests==2.28.1\n");
    let data = app.parent().unwrap().join("data");
    import_fixtures(&app, &data);
    let out = run(
        &app,
        &[
            "scan",
            app.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("warn   medium    requests 2.28.1 (PyPI)"),
        "{text}"
    );
    // PyPA's copy of the same vulnerability is merged into GitHub's.
    assert!(!text.contains("PYSEC-2023-74  "), "{text}");
    assert!(
        text.ends_with("result: passed with 1 warning(s)\n"),
        "{text}"
    );
}

#[test]
fn custom_rules_and_bad_usage() {
    let app = fixture_app("gate-cli-usage", None);
    let root = app.parent().unwrap().to_path_buf();
    let data = root.join("data");
    // A rule file that extends the defaults with an internal token format.
    let rules = root.join("rules.toml");
    std::fs::write(
        &rules,
        "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"internal-token\"\ndescription = \"internal token\"\nregex = '''itk_[a-z0-9]{24}'''\nkeywords = [\"itk_\"]\n",
    )
    .unwrap();
    // Assembled here so that the repository itself holds no token of this shape.
    let internal = format!("itk_{}", "0a1b2c3d4e5f6a7b8c9d0e1f");
    write(&app, "api/client.py", &format!("TOKEN = '{internal}'\n"));
    let out = run(
        &app,
        &[
            "scan",
            app.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
        ],
    );
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("api/client.py:1:10  internal-token  itk_…"),
        "{}",
        stdout(&out)
    );

    let bad_rules = root.join("bad.toml");
    std::fs::write(
        &bad_rules,
        "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n",
    )
    .unwrap();
    for args in [
        vec!["scan", "/nonexistent/app"],
        vec!["scan", app.to_str().unwrap(), "--format", "xml"],
        vec![
            "scan",
            app.to_str().unwrap(),
            "--rules",
            bad_rules.to_str().unwrap(),
        ],
        vec![
            "scan",
            app.to_str().unwrap(),
            "--rules",
            "/nonexistent/rules.toml",
        ],
        vec!["advisories", "frobnicate"],
    ] {
        let mut full = args.clone();
        full.extend(["--data-dir", data.to_str().unwrap()]);
        let out = run(&app, &full);
        assert_exit(&out, 2);
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
}

#[test]
fn the_data_directory_inside_the_app_is_not_scanned() {
    let app = fixture_app("gate-cli-inside", None);
    let data = app.join(".state");
    import_fixtures(&app, &data);
    // The database files are binary and hold advisory text; none of it is app code.
    let out = run(
        &app,
        &[
            "scan",
            app.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = v["notes"].as_array().unwrap();
    assert!(
        notes
            .iter()
            .all(|n| !n["file"].as_str().unwrap().starts_with(".state")),
        "{notes:?}"
    );
    assert_eq!(v["files_skipped_binary"], 0);
}
