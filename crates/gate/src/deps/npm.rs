//! npm packages: `package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`, `node_modules`.

use std::collections::HashMap;

use serde_json::Value;
use yaml_rust2::YamlLoader;

use super::{Ecosystem, Package, Parsed, json_key_lines};

fn package(name: &str, version: &str, file: &str, line: usize) -> Package {
    Package {
        ecosystem: Ecosystem::Npm,
        name: name.to_owned(),
        version: version.to_owned(),
        file: file.to_owned(),
        line,
    }
}

/// Whether `rel` is the `package.json` of an installed package:
/// `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`.
pub(super) fn is_node_modules_package(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    match parts.as_slice() {
        [.., nm, name, "package.json"] if *nm == "node_modules" => {
            !name.starts_with('.') && !name.starts_with('@')
        }
        [.., nm, scope, _, "package.json"] if *nm == "node_modules" => scope.starts_with('@'),
        _ => false,
    }
}

/// Whether `rel` lies inside an installed package (`node_modules/<pkg>/…`).
pub(super) fn inside_dependency(rel: &str) -> bool {
    rel.starts_with("node_modules/") || rel.contains("/node_modules/")
}

/// `package-lock.json` / `npm-shrinkwrap.json`: v2 and v3 list `packages` by install path;
/// v1 nests `dependencies`.
pub(super) fn package_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let lines = json_key_lines(text);
    let mut out = Parsed::default();
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        for (path, entry) in packages {
            // "" is the project; paths without node_modules are workspace members; links point at
            // an entry listed separately.
            let Some(idx) = path.rfind("node_modules/") else {
                continue;
            };
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .or_else(|| path.get(idx + "node_modules/".len()..))
                .unwrap_or_default();
            if name.is_empty() {
                continue;
            }
            let line = lines.get(path.as_str()).copied().unwrap_or(1);
            out.packages.push(package(name, version, rel, line));
        }
        return Ok(out);
    }
    if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
        v1_dependencies(deps, rel, &lines, &mut out.packages);
        return Ok(out);
    }
    if doc.get("lockfileVersion").is_none() {
        return Err("no `lockfileVersion`, `packages` or `dependencies`".to_owned());
    }
    Ok(out)
}

fn v1_dependencies(
    deps: &serde_json::Map<String, Value>,
    rel: &str,
    lines: &HashMap<&str, usize>,
    out: &mut Vec<Package>,
) {
    for (key, entry) in deps {
        if let Some(version) = entry.get("version").and_then(Value::as_str) {
            // An alias: "version": "npm:real-name@1.2.3".
            let (name, version) = match version.strip_prefix("npm:") {
                Some(aliased) => split_name_version(aliased).unwrap_or((key, version)),
                None => (key.as_str(), version),
            };
            let line = lines.get(key.as_str()).copied().unwrap_or(1);
            out.push(package(name, version, rel, line));
        }
        if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
            v1_dependencies(nested, rel, lines, out);
        }
    }
}

/// Splits `name@version`, where a scoped name starts with `@`.
fn split_name_version(s: &str) -> Option<(&str, &str)> {
    let at = s.get(1..)?.find('@')? + 1;
    Some((s.get(..at)?, s.get(at + 1..)?))
}

/// `yarn.lock`, classic (v1) and berry (v2+). Each entry starts with an unindented line of
/// descriptors ending in `:`; its `version` is indented by two spaces.
pub(super) fn yarn_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    struct Entry<'a> {
        descriptor: &'a str,
        line: usize,
        version: Option<&'a str>,
        resolution: Option<&'a str>,
    }
    let mut entries: Vec<Entry<'_>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(head) = line.strip_suffix(':') else {
                return Err(format!("line {}: expected an entry ending in `:`", i + 1));
            };
            let first = head.split(", ").next().unwrap_or(head).trim_matches('"');
            entries.push(Entry {
                descriptor: first,
                line: i + 1,
                version: None,
                resolution: None,
            });
            continue;
        }
        // Only the entry's own fields (two spaces), not nested dependency lists.
        let Some(field) = line.strip_prefix("  ").filter(|f| !f.starts_with(' ')) else {
            continue;
        };
        let Some(entry) = entries.last_mut() else {
            return Err(format!("line {}: a field before any entry", i + 1));
        };
        let (key, value) = match field.split_once(':') {
            // berry: `version: 1.2.3`
            Some((k, v)) if !k.contains(' ') => (k, v.trim()),
            // classic: `version "1.2.3"`
            _ => field.split_once(' ').unwrap_or((field, "")),
        };
        let value = value.trim().trim_matches('"');
        match key {
            "version" => entry.version = Some(value),
            "resolution" => entry.resolution = Some(value),
            _ => {}
        }
    }
    let mut out = Parsed::default();
    for e in entries {
        if e.descriptor == "__metadata" {
            continue;
        }
        let Some(version) = e.version else { continue };
        // berry's resolution names the real package: `name@npm:1.2.3`; workspace and link
        // entries are the project's own.
        let name = match e.resolution {
            Some(r)
                if r.contains("@workspace:")
                    || r.contains("@link:")
                    || r.contains("@portal:")
                    || r.contains("@file:") =>
            {
                continue;
            }
            Some(r) => split_name_version(r).map(|(n, _)| n),
            None => None,
        };
        let name = name.or_else(|| descriptor_name(e.descriptor));
        let Some(name) = name else { continue };
        if version == "0.0.0-use.local" {
            continue;
        }
        out.packages.push(package(name, version, rel, e.line));
    }
    Ok(out)
}

/// The package a yarn descriptor resolves: `lodash@^4.17.0` → `lodash`,
/// `@babel/core@npm:^7.0.0` → `@babel/core`, an alias `strip-cjs@npm:strip-ansi@^6` →
/// `strip-ansi`.
fn descriptor_name(descriptor: &str) -> Option<&str> {
    let (name, range) = split_name_version(descriptor)?;
    if let Some(target) = range.strip_prefix("npm:")
        && let Some((real, _)) = split_name_version(target)
    {
        return Some(real);
    }
    Some(name)
}

/// `pnpm-lock.yaml`: the keys of `packages` name each package and version, in the forms of
/// lockfile v5 (`/name/1.2.3_peer`), v6 (`/name@1.2.3(peer)`) and v9 (`name@1.2.3`); an entry's
/// own `name` and `version` win when present (tarball and git dependencies).
pub(super) fn pnpm_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    let Some(doc) = docs.first() else {
        return Ok(Parsed::default());
    };
    if doc["lockfileVersion"].is_badvalue() {
        return Err("no `lockfileVersion`".to_owned());
    }
    // Lines of the `packages:` section's keys (two-space indent), quotes removed.
    let mut key_lines: HashMap<&str, usize> = HashMap::new();
    let mut in_packages = false;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages {
            continue;
        }
        if let Some(k) = line.strip_prefix("  ").filter(|k| !k.starts_with(' '))
            && let Some(k) = k.trim_end().strip_suffix(':')
        {
            key_lines
                .entry(k.trim_matches(|c| c == '\'' || c == '"'))
                .or_insert(i + 1);
        }
    }
    let mut out = Parsed::default();
    let Some(packages) = doc["packages"].as_hash() else {
        return Ok(out);
    };
    for (key, entry) in packages {
        let Some(key) = key.as_str() else { continue };
        let from_key = pnpm_key(key);
        let name = entry["name"].as_str().or(from_key.map(|(n, _)| n));
        let version = entry["version"].as_str().or(from_key.map(|(_, v)| v));
        let (Some(name), Some(version)) = (name, version) else {
            out.notes.push(format!(
                "package `{key}` has no name and version; not checked"
            ));
            continue;
        };
        let line = key_lines.get(key).copied().unwrap_or(1);
        out.packages.push(package(name, version, rel, line));
    }
    Ok(out)
}

fn pnpm_key(key: &str) -> Option<(&str, &str)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    // Peer dependency suffixes: v6+ `(peer@1.0.0)`, v5 `_peer@1.0.0`.
    let k = k.split('(').next().unwrap_or(k);
    if let Some((name, version)) = split_name_version(k) {
        // v6 / v9 `name@version`; a v5 key has no `@` after a scope's first segment.
        if !name.contains('/') || name.starts_with('@') && name.matches('/').count() == 1 {
            return Some((name, version));
        }
    }
    // v5: `name/version` or `@scope/name/version`, version possibly `1.2.3_peer@2.0.0`.
    let (name, version) = k.rsplit_once('/')?;
    let version = version.split('_').next().unwrap_or(version);
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}

/// `node_modules/<name>/package.json`: an installed package's own manifest.
pub(super) fn node_modules_package(rel: &str, text: &str) -> Result<Parsed, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Parsed::default();
    if let (Some(name), Some(version)) = (
        doc.get("name").and_then(Value::as_str),
        doc.get("version").and_then(Value::as_str),
    ) {
        let line = json_key_lines(text).get("version").copied().unwrap_or(1);
        out.packages.push(package(name, version, rel, line));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pnpm_keys_of_every_lockfile_version() {
        assert_eq!(pnpm_key("/lodash/4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(
            pnpm_key("/@babel/core/7.22.0"),
            Some(("@babel/core", "7.22.0"))
        );
        assert_eq!(
            pnpm_key("/react-dom/18.2.0_react@18.2.0"),
            Some(("react-dom", "18.2.0"))
        );
        assert_eq!(pnpm_key("/lodash@4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(
            pnpm_key("/@babel/core@7.22.0(supports-color@8.1.1)"),
            Some(("@babel/core", "7.22.0"))
        );
        assert_eq!(pnpm_key("minimist@1.2.5"), Some(("minimist", "1.2.5")));
        assert_eq!(
            pnpm_key("@types/node@20.1.0"),
            Some(("@types/node", "20.1.0"))
        );
    }

    #[test]
    fn descriptors() {
        assert_eq!(descriptor_name("lodash@^4.17.0"), Some("lodash"));
        assert_eq!(
            descriptor_name("@babel/core@npm:^7.0.0"),
            Some("@babel/core")
        );
        assert_eq!(
            descriptor_name("string-width-cjs@npm:string-width@^4.2.0"),
            Some("string-width")
        );
        assert_eq!(split_name_version("@a/b@1.0.0"), Some(("@a/b", "1.0.0")));
        assert_eq!(split_name_version("nover"), None);
    }
}
