//! PyPI packages: `requirements*.txt`, `poetry.lock`, `Pipfile.lock`, `uv.lock`, installed
//! distributions' metadata.

use serde_json::Value;

use super::{Ecosystem, Package, Parsed, json_key_lines, toml_packages};

fn package(name: &str, version: &str, file: &str, line: usize) -> Package {
    Package {
        ecosystem: Ecosystem::PyPI,
        name: name.to_owned(),
        version: version.to_owned(),
        file: file.to_owned(),
        line,
    }
}

/// `requirements*.txt`: lines pinned with `==` (or `===`) are packages; other requirements
/// cannot be checked without resolving them and are counted in a note. Options (`-r`, `-e`,
/// `--hash`), comments, environment markers and line continuations are understood.
pub(super) fn requirements(rel: &str, text: &str) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut unpinned: Vec<String> = Vec::new();
    let mut logical = String::new();
    let mut start_line = 0;
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        if logical.is_empty() {
            start_line = i + 1;
        }
        // A comment starts at `#` at the line start or after whitespace.
        let line = match raw.find(" #").or_else(|| raw.find("\t#")) {
            Some(p) => raw.get(..p).unwrap_or(raw),
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if let Some(cont) = line.trim_end().strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            if i + 1 < lines.len() {
                continue;
            }
        } else {
            logical.push_str(line);
        }
        let req = std::mem::take(&mut logical);
        let req = req.trim();
        if req.is_empty() || req.starts_with('-') {
            continue;
        }
        // Drop per-requirement options (`--hash=...`) and environment markers.
        let req = req.split(" --").next().unwrap_or(req);
        let req = req.split(';').next().unwrap_or(req).trim();
        // URLs and local paths are not registry packages.
        if req.contains("://")
            || req.starts_with('.')
            || req.starts_with('/')
            || req.contains(" @ ")
        {
            continue;
        }
        let Some((name, version)) = pinned(req) else {
            unpinned.push(req.to_owned());
            continue;
        };
        out.packages.push(package(name, version, rel, start_line));
    }
    if !unpinned.is_empty() {
        let shown: Vec<&str> = unpinned.iter().take(3).map(String::as_str).collect();
        out.notes.push(format!(
            "{} requirement(s) not pinned with `==` were not checked ({}{})",
            unpinned.len(),
            shown.join(", "),
            if unpinned.len() > 3 { ", ..." } else { "" }
        ));
    }
    Ok(out)
}

/// `name[extras]==version` (or `===`), without wildcards.
fn pinned(req: &str) -> Option<(&str, &str)> {
    let (left, version) = req.split_once("===").or_else(|| req.split_once("=="))?;
    let version = version.trim();
    // A second clause (`==1.0,<2`) or a wildcard is not one exact version.
    if version.is_empty() || version.contains(['*', ',', ' ', '<', '>', '!', '~']) {
        return None;
    }
    let name = left.split('[').next().unwrap_or(left).trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    valid.then_some((name, version))
}

/// `poetry.lock`: `[[package]]` entries; local directory and file packages are the project's.
pub(super) fn poetry_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    for p in toml_packages(text)? {
        let local = p
            .source
            .as_ref()
            .and_then(|s| s.get("type"))
            .and_then(toml::Value::as_str)
            .is_some_and(|t| t == "directory" || t == "file");
        if local {
            continue;
        }
        if let Some(v) = &p.version {
            out.packages.push(package(&p.name, v, rel, p.line));
        }
    }
    Ok(out)
}

/// `uv.lock`: `[[package]]` entries; the project itself and path, editable and workspace
/// packages (`source = { editable | virtual | path | directory | workspace }`) are left out.
pub(super) fn uv_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    for p in toml_packages(text)? {
        let local = p.source.as_ref().is_some_and(|s| {
            ["editable", "virtual", "path", "directory", "workspace"]
                .iter()
                .any(|k| s.get(k).is_some())
        });
        if local {
            continue;
        }
        if let Some(v) = &p.version {
            out.packages.push(package(&p.name, v, rel, p.line));
        }
    }
    Ok(out)
}

/// `Pipfile.lock`: `default` and `develop` map names to `{"version": "==1.2.3"}`; git and path
/// entries have no version.
pub(super) fn pipfile_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let lines = json_key_lines(text);
    let mut out = Parsed::default();
    let mut any_section = false;
    for section in ["default", "develop"] {
        let Some(map) = doc.get(section).and_then(Value::as_object) else {
            continue;
        };
        any_section = true;
        for (name, entry) in map {
            let Some(v) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            let v = v.trim_start_matches('=').trim();
            if v.is_empty() {
                continue;
            }
            let line = lines.get(name.as_str()).copied().unwrap_or(1);
            out.packages.push(package(name, v, rel, line));
        }
    }
    if !any_section {
        return Err("no `default` or `develop` section".to_owned());
    }
    Ok(out)
}

/// `*.dist-info/METADATA` and `*.egg-info/PKG-INFO`: the `Name:` and `Version:` headers.
pub(super) fn metadata(rel: &str, text: &str) -> Result<Parsed, String> {
    let mut name = None;
    let mut version = None;
    let mut line = 1;
    for (i, l) in text.lines().enumerate() {
        if l.is_empty() {
            break;
        }
        if let Some(n) = l.strip_prefix("Name:") {
            name = Some(n.trim());
            line = i + 1;
        } else if let Some(v) = l.strip_prefix("Version:") {
            version = Some(v.trim());
        }
    }
    let mut out = Parsed::default();
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
            out.packages.push(package(n, v, rel, line));
        }
        _ => return Err("no `Name:` and `Version:` headers".to_owned()),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins() {
        assert_eq!(pinned("requests==2.31.0"), Some(("requests", "2.31.0")));
        assert_eq!(
            pinned("requests[socks]==2.31.0"),
            Some(("requests", "2.31.0"))
        );
        assert_eq!(pinned("Django===4.2"), Some(("Django", "4.2")));
        assert_eq!(pinned("flask==2.*"), None);
        assert_eq!(pinned("flask>=2.0"), None);
        assert_eq!(pinned("flask==2.0,<3"), None);
        assert_eq!(pinned("flask"), None);
    }
}
