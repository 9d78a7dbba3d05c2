#![cfg(test)]
//! `mudroom up APP_DIR`: the manifest is validated (errors with file:line:col refuse the start)
//! and its roles become IAM roles owned by the app.

mod common;

use common::{Server, assert_ok, mudroom};

#[test]
fn quickstart_roles_are_deployed() {
    let Some(python) = common::python() else {
        return;
    };
    let app = common::repo().join("examples/quickstart");
    let mut server = Server::start_app("deploy_quickstart", &app);
    assert_ok(&server.python(&python, "deploy_check.py", &[]));
    let root = server.root.clone();
    let data = server.data_dir.clone();
    server.stop();
    // A restart redeploys the same app over its own roles.
    let server = Server::start_in(&root, &data);
    assert_ok(&server.python(&python, "deploy_check.py", &[]));
    let out = mudroom(&root)
        .args([
            "audit",
            "query",
            "--action",
            "mudroom:DeployRole",
            "--json",
            "--data-dir",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn bad_manifests_refuse_to_start() {
    let root = common::scratch("deploy_bad");
    let app = root.join("app");
    std::fs::create_dir_all(app.join("functions/f")).unwrap();
    std::fs::write(
        app.join("functions/f/app.py"),
        "def handler(e, c):\n    return 1\n",
    )
    .unwrap();
    std::fs::write(
        app.join("mudroom.toml"),
        "[app]\nname = \"bad\"\n\n[functions.f]\nruntime = \"python3\"\nhandler = \"app.handler\"\ncode = \"functions/f\"\nrole = \"nope\"\ntimout = \"3s\"\n",
    )
    .unwrap();
    let out = mudroom(&root)
        .arg("up")
        .arg(&app)
        .arg("--data-dir")
        .arg(root.join("data"))
        .args([
            "--services-listen",
            &format!("127.0.0.1:{}", common::free_port()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mudroom.toml:8:"), "{err}");
    assert!(err.contains("timout"), "{err}");
}

#[test]
fn a_role_owned_by_another_app_is_refused() {
    let quickstart = common::repo().join("examples/quickstart");
    let mut server = Server::start_app("deploy_foreign", &quickstart);
    let root = server.root.clone();
    let data = server.data_dir.clone();
    server.stop();
    // Another app declaring the same role name.
    let other = root.join("other");
    std::fs::create_dir_all(other.join("functions/hello")).unwrap();
    std::fs::create_dir_all(other.join("policies")).unwrap();
    std::fs::copy(
        quickstart.join("functions/hello/app.py"),
        other.join("functions/hello/app.py"),
    )
    .unwrap();
    std::fs::copy(
        quickstart.join("policies/hello.json"),
        other.join("policies/hello.json"),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(quickstart.join("mudroom.toml"))
        .unwrap()
        .replace("name = \"quickstart\"", "name = \"other\"");
    std::fs::write(other.join("mudroom.toml"), manifest).unwrap();
    let out = mudroom(&root)
        .arg("up")
        .arg(&other)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "--services-listen",
            &format!("127.0.0.1:{}", common::free_port()),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to app `quickstart`"), "{err}");
}
