//! `mudroom waf test`: inspect requests read from standard input with a web ACL.
//!
//! One JSON object a line in, one JSON line out, in order and nothing else on stdout:
//! `{"request_b64": "<raw HTTP/1.1 request, base64>"}` or
//! `{"method": "GET", "uri": "/a?b=c", "headers": [["Host", "x"]], "body": "..."}` becomes
//! `{"action": "BLOCK" | "ALLOW" | "COUNT", "rule": <terminating rule or null>, "labels": [...]}`.
//! A line that cannot be read as a request is blocked by the protocol-violation rules and its
//! object also carries an `error`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use base64::Engine as _;
use clap::{Args, Subcommand};
use mudroom_waf::{Limits, Request, Verdict, WebAcl, managed, parse_raw, unparseable_verdict};
use serde_json::{Value, json};

use super::UsageError;

/// Input lines longer than this are answered as oversized without being decoded.
const MAX_LINE: usize = 16 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum WafCommand {
    /// Inspect requests from standard input (one JSON object a line) and print one verdict a
    /// line.
    ///
    /// Each line is `{"request_b64": "..."}` (raw HTTP/1.1 bytes) or `{"method": ..., "uri":
    /// ..., "headers": [[name, value], ...], "body": ...}`. Each answer is `{"action": "BLOCK" |
    /// "ALLOW" | "COUNT", "rule": ..., "labels": [...]}`; requests that cannot be parsed are
    /// blocked and their answer carries an `error`.
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The web ACL (AWS WAFv2 JSON); without it, the ACL `mudroom up` applies by default.
    #[arg(long, value_name = "FILE")]
    acl: Option<PathBuf>,
}

pub fn run(command: WafCommand) -> Result<ExitCode> {
    match command {
        WafCommand::Test(args) => test(&args),
    }
}

fn load_acl(path: Option<&PathBuf>) -> Result<WebAcl> {
    match path {
        None => managed::default_acl().context("the default web ACL is broken"),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read `{}`", p.display()))?;
            managed::acl_from_json(&text).map_err(|e| {
                anyhow::Error::new(UsageError(format!(
                    "invalid web ACL `{}`: {e}",
                    p.display()
                )))
            })
        }
    }
}

fn verdict_json(v: &Verdict, error: Option<&str>) -> Value {
    let mut out = json!({
        "action": v.action.name(),
        "rule": v.rule,
        "labels": v.labels,
    });
    if let (Some(e), Some(o)) = (error, out.as_object_mut()) {
        o.insert("error".to_owned(), Value::String(e.to_owned()));
    }
    out
}

/// Reads one request from a JSON line.
fn request_of(line: &[u8], limits: &Limits) -> Result<Request, String> {
    let v: Value = serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let o = v.as_object().ok_or("expected a JSON object")?;
    if let Some(b64) = o.get("request_b64") {
        let b64 = b64.as_str().ok_or("`request_b64` is not a string")?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| format!("`request_b64` is not base64: {e}"))?;
        return parse_raw(&raw, limits).map_err(|e| e.to_string());
    }
    let method = o
        .get("method")
        .and_then(Value::as_str)
        .ok_or("expected `request_b64` or `method` and `uri`")?;
    let uri = o
        .get("uri")
        .and_then(Value::as_str)
        .ok_or("missing `uri`")?;
    let mut headers = Vec::new();
    if let Some(h) = o.get("headers") {
        let list = h.as_array().ok_or("`headers` is not an array")?;
        for pair in list {
            match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(k), Value::String(v)]) => headers.push((k.clone(), v.clone())),
                _ => return Err("each header is a [name, value] pair of strings".to_owned()),
            }
        }
    }
    let body = match o.get("body") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("`body` is not a string".to_owned()),
    };
    if body.len() > limits.max_request_bytes {
        return Err("request too large: body".to_owned());
    }
    Ok(Request::from_parts(
        method,
        uri,
        headers,
        body.as_bytes(),
        limits,
    ))
}

fn test(args: &TestArgs) -> Result<ExitCode> {
    let acl = load_acl(args.acl.as_ref())?;
    let limits = Limits::default();
    let mut input = BufReader::with_capacity(256 * 1024, std::io::stdin().lock());
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .context("cannot read standard input")?;
        if n == 0 {
            break;
        }
        let answer = if line.last() != Some(&b'\n') && n >= MAX_LINE {
            // Skip the rest of the oversized line.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let m = (&mut input)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut rest)
                    .context("cannot read standard input")?;
                if m == 0 || rest.last() == Some(&b'\n') {
                    break;
                }
            }
            verdict_json(
                &unparseable_verdict(),
                Some("request too large: input line"),
            )
        } else {
            let trimmed = line.strip_suffix(b"\n").unwrap_or(&line);
            let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
            match request_of(trimmed, &limits) {
                Ok(req) => verdict_json(&acl.evaluate(&req), None),
                Err(e) => verdict_json(&unparseable_verdict(), Some(&e)),
            }
        };
        let ok = serde_json::to_writer(&mut out, &answer).is_ok() && out.write_all(b"\n").is_ok();
        if !ok || (input.buffer().is_empty() && out.flush().is_err()) {
            // stdout closed: nobody reads the answers any more.
            return Ok(ExitCode::SUCCESS);
        }
    }
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}
