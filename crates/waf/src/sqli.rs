//! SQL injection detection: a SQL tokenizer and rules on the token types, tried in the three
//! contexts an input can land in (as is, inside a single-quoted string, inside a double-quoted
//! string).
//!
//! The approach (tokenize, fold into a short type sequence, judge the sequence, try each quote
//! context) follows libinjection's design:
//!
//! > libinjection, Copyright (c) 2012-2016, Nick Galbreath. All rights reserved.
//! > Redistribution and use in source and binary forms, with or without modification, are
//! > permitted under the BSD 3-Clause License (see `docs/waf.md` for the full notice).
//!
//! The code, keyword lists and sequence rules here are mudroom's own; no libinjection code or
//! fingerprint data is included.

/// At most this many bytes of one value are tokenized.
pub const MAX_INPUT: usize = 16 * 1024;
/// At most this many tokens of one value are judged.
pub const MAX_TOKENS: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A quoted string.
    Str,
    /// A number.
    Num,
    /// A plain identifier.
    Word,
    /// A statement-starting keyword (`SELECT`, `INSERT`, `DROP`, ...).
    Stmt,
    /// `UNION`, `INTERSECT`, `EXCEPT`.
    Union,
    /// A clause keyword (`FROM`, `WHERE`, `ORDER`, `GROUP`, `HAVING`, `LIMIT`, `INTO`, ...).
    Clause,
    /// `AND`, `OR`, `XOR`, `&&`, `||`.
    Logic,
    /// `NOT`, `!`.
    Not,
    /// A comparison or arithmetic operator, or `LIKE`, `IN`, `IS`, `BETWEEN`, `REGEXP`.
    Op,
    /// A function name followed by `(`.
    Func,
    /// A known dangerous function (sleep, benchmark, ...) followed by `(`.
    BadFunc,
    /// `@var`, `@@var`.
    Var,
    /// A comment.
    Comment,
    /// `(`
    Open,
    /// `)`
    Close,
    /// `,`
    Comma,
    /// `;`
    Semi,
    /// Anything else.
    Other,
}

const STMT: &[&str] = &[
    "select", "insert", "update", "delete", "drop", "create", "alter", "truncate", "exec",
    "execute", "declare", "waitfor", "shutdown", "grant", "revoke", "replace", "merge", "call",
    "handler", "load", "rename", "values",
];
const CLAUSE: &[&str] = &[
    "from",
    "where",
    "order",
    "group",
    "having",
    "limit",
    "into",
    "offset",
    "procedure",
    "outfile",
    "dumpfile",
    "top",
    "case",
    "when",
    "then",
    "else",
    "end",
    "distinct",
    "all",
    "table",
    "join",
    "delay",
    "by",
    "asc",
    "desc",
    "null",
    "true",
    "false",
    "sounds",
];
const LOGIC: &[&str] = &["and", "or", "xor"];
const OPS: &[&str] = &[
    "like", "in", "is", "between", "regexp", "rlike", "div", "mod", "collate", "escape",
];
const BAD_FUNCS: &[&str] = &[
    "sleep",
    "benchmark",
    "pg_sleep",
    "load_file",
    "extractvalue",
    "updatexml",
    "version",
    "database",
    "user",
    "current_user",
    "system_user",
    "session_user",
    "schema",
    "char",
    "chr",
    "concat",
    "concat_ws",
    "group_concat",
    "substring",
    "substr",
    "mid",
    "ascii",
    "ord",
    "hex",
    "unhex",
    "if",
    "ifnull",
    "iif",
    "cast",
    "convert",
    "count",
    "length",
    "len",
    "md5",
    "sha1",
    "rand",
    "floor",
    "exp",
    "name_const",
    "utl_inaddr.get_host_address",
    "dbms_pipe.receive_message",
    "xp_cmdshell",
    "xmltype",
    "row",
    "json_keys",
    "pg_read_file",
    "lo_import",
    "randomblob",
    "sqlite_version",
    "char_length",
    "elt",
    "make_set",
    "geometrycollection",
    "polygon",
    "multipoint",
    "linestring",
    "procedure_analyse",
    "db_name",
    "is_srvrolemember",
    "current_database",
    "waitfor",
    "instr",
    "locate",
    "position",
    "sys_eval",
    "sys_exec",
    "dbms_lock.sleep",
];

fn classify_word(w: &str, next_is_open: bool) -> Tok {
    let lw = w.to_ascii_lowercase();
    let lw = lw.as_str();
    if next_is_open {
        if BAD_FUNCS.contains(&lw) {
            return Tok::BadFunc;
        }
        if LOGIC.contains(&lw) {
            return Tok::Logic;
        }
        if lw == "not" {
            return Tok::Not;
        }
        if STMT.contains(&lw) && lw != "values" && lw != "replace" {
            return Tok::Stmt;
        }
        if lw == "in" || lw == "exists" {
            return Tok::Op;
        }
        return Tok::Func;
    }
    match lw {
        "union" | "intersect" | "except" | "minus" => Tok::Union,
        "not" => Tok::Not,
        _ if LOGIC.contains(&lw) => Tok::Logic,
        _ if OPS.contains(&lw) => Tok::Op,
        _ if STMT.contains(&lw) => Tok::Stmt,
        _ if CLAUSE.contains(&lw) => Tok::Clause,
        _ => Tok::Word,
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.') || b >= 0x80
}

/// Tokenizes `s`; when `quote` is set, the input starts inside a string closed by that quote.
fn tokenize(s: &[u8], quote: Option<u8>) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut i = 0;
    if let Some(q) = quote {
        match s.iter().position(|&b| b == q) {
            Some(p) => {
                toks.push(Tok::Str);
                i = p + 1;
            }
            None => return vec![Tok::Str],
        }
    }
    while let Some(&b) = s.get(i) {
        if toks.len() >= MAX_TOKENS {
            break;
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0 | 0 => i += 1,
            b'\'' | b'"' | b'`' => {
                // A backtick quotes an identifier: a word.
                let mut j = i + 1;
                loop {
                    match s.get(j) {
                        None => break,
                        Some(&c) if c == b => {
                            if s.get(j + 1) == Some(&b) {
                                j += 2;
                                continue;
                            }
                            j += 1;
                            break;
                        }
                        Some(b'\\') => j += 2,
                        Some(_) => j += 1,
                    }
                }
                toks.push(if b == b'`' { Tok::Word } else { Tok::Str });
                i = j;
            }
            b'/' if s.get(i + 1) == Some(&b'*') => {
                // `/*! ... */` is MySQL's executable comment: its content is code.
                if s.get(i + 2) == Some(&b'!') {
                    let mut j = i + 3;
                    while s.get(j).is_some_and(u8::is_ascii_digit) {
                        j += 1;
                    }
                    i = j;
                    continue;
                }
                toks.push(Tok::Comment);
                i = match s
                    .get(i + 2..)
                    .and_then(|r| r.windows(2).position(|w| w == b"*/"))
                {
                    Some(p) => i + 2 + p + 2,
                    None => s.len(),
                };
            }
            b'*' if s.get(i + 1) == Some(&b'/') => i += 2,
            b'-' if s.get(i + 1) == Some(&b'-') => {
                toks.push(Tok::Comment);
                i = s.len();
            }
            b'#' => {
                toks.push(Tok::Comment);
                i = s.len();
            }
            b'(' => {
                toks.push(Tok::Open);
                i += 1;
            }
            b')' => {
                toks.push(Tok::Close);
                i += 1;
            }
            b',' => {
                toks.push(Tok::Comma);
                i += 1;
            }
            b';' => {
                toks.push(Tok::Semi);
                i += 1;
            }
            b'@' => {
                let mut j = i + 1;
                while s.get(j) == Some(&b'@') {
                    j += 1;
                }
                while s.get(j).is_some_and(|&c| is_word_byte(c)) {
                    j += 1;
                }
                toks.push(Tok::Var);
                i = j.max(i + 1);
            }
            b'&' | b'|' if s.get(i + 1) == Some(&b) => {
                toks.push(Tok::Logic);
                i += 2;
            }
            b'!' if s.get(i + 1) != Some(&b'=') => {
                toks.push(Tok::Not);
                i += 1;
            }
            b'=' | b'<' | b'>' | b'!' | b'+' | b'-' | b'*' | b'/' | b'%' | b'^' | b'&' | b'|'
            | b'~' | b':' => {
                let mut j = i + 1;
                while s.get(j).is_some_and(|c| b"=<>!".contains(c)) && j < i + 3 {
                    j += 1;
                }
                toks.push(Tok::Op);
                i = j;
            }
            b'0'..=b'9' => {
                let mut j = i + 1;
                if b == b'0' && matches!(s.get(j), Some(b'x' | b'X' | b'b' | b'B')) {
                    j += 1;
                }
                while s
                    .get(j)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.')
                {
                    j += 1;
                }
                toks.push(Tok::Num);
                i = j;
            }
            b'.' if s.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let mut j = i + 1;
                while s.get(j).is_some_and(|c| c.is_ascii_alphanumeric()) {
                    j += 1;
                }
                toks.push(Tok::Num);
                i = j;
            }
            _ if is_word_byte(b) => {
                let mut j = i + 1;
                while s.get(j).is_some_and(|&c| is_word_byte(c)) {
                    j += 1;
                }
                let word = String::from_utf8_lossy(s.get(i..j).unwrap_or(&[]));
                let mut k = j;
                while s
                    .get(k)
                    .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
                {
                    k += 1;
                }
                // `/**/` between a function name and `(` is still a call.
                if s.get(k..k + 2) == Some(b"/*")
                    && let Some(p) = s
                        .get(k + 2..)
                        .and_then(|r| r.windows(2).position(|w| w == b"*/"))
                {
                    k += 2 + p + 2;
                }
                let tok = classify_word(&word, s.get(k) == Some(&b'('));
                // `a.b` after a keyword: keep as a word.
                toks.push(tok);
                i = j;
            }
            _ => {
                toks.push(Tok::Other);
                i += 1;
            }
        }
    }
    toks
}

fn is_value(t: Tok) -> bool {
    matches!(t, Tok::Str | Tok::Num | Tok::Var | Tok::Word)
}

fn is_strong_value(t: Tok) -> bool {
    matches!(t, Tok::Str | Tok::Num | Tok::Var)
}

/// Whether the sequence holds code anywhere: union-select, stacked statements, dangerous calls
/// after an operator, full queries.
fn code_anywhere(t: &[Tok], high: bool) -> bool {
    for (i, w) in t.windows(2).enumerate() {
        let (a, b) = match w {
            [a, b] => (*a, *b),
            _ => continue,
        };
        let rest = t.get(i + 2..).unwrap_or(&[]);
        let hit = match (a, b) {
            // UNION [ALL|DISTINCT] [(] SELECT
            (Tok::Union, _) => t
                .get(i + 1..i + 4)
                .unwrap_or(&[])
                .iter()
                .take_while(|x| matches!(x, Tok::Clause | Tok::Open | Tok::Comment | Tok::Stmt))
                .any(|x| *x == Tok::Stmt),
            // ; SELECT / ; DROP / ; EXEC / ; DECLARE ...
            (Tok::Semi, Tok::Stmt) => true,
            // [op] sleep( / benchmark( ... after something that ends an expression
            (
                Tok::Logic | Tok::Op | Tok::Semi | Tok::Open | Tok::Comma | Tok::Not,
                Tok::BadFunc,
            ) => rest.first() == Some(&Tok::Open) && i > 0,
            // SELECT * FROM, SELECT @@version, SELECT f(
            (Tok::Stmt, Tok::Op | Tok::Var | Tok::BadFunc | Tok::Num) => {
                rest.iter().take(6).any(|x| {
                    matches!(
                        x,
                        Tok::Clause | Tok::Open | Tok::Comma | Tok::Comment | Tok::Semi
                    )
                }) || rest.is_empty() && b != Tok::Num
            }
            (Tok::Stmt, Tok::Word) => matches!(
                rest,
                [Tok::Comma, ..] | [Tok::Clause, Tok::Var, ..] | [Tok::Op, ..]
            ),
            // value AND/OR value OP value (a tautology or test) after a string or number
            (Tok::Str | Tok::Num | Tok::Close, Tok::Logic) => match rest {
                [x, Tok::Op, y, ..] if is_value(*x) && is_value(*y) => {
                    is_strong_value(*x) || is_strong_value(*y)
                }
                [
                    Tok::Func | Tok::BadFunc | Tok::Open | Tok::Var | Tok::Not,
                    ..,
                ] => true,
                [x, ..] => high && is_strong_value(*x),
                [] => false,
            },
            _ => false,
        };
        if hit {
            return true;
        }
    }
    false
}

/// Whether the sequence, seen as the input's start, breaks out of a value: the rules applied
/// in a quote context and to inputs that start with a number.
fn breaks_out(t: &[Tok], high: bool) -> bool {
    let Some((first, rest)) = t.split_first() else {
        return false;
    };
    if !matches!(first, Tok::Str | Tok::Num) {
        return false;
    }
    let mut rest = rest;
    while let [Tok::Close, r @ ..] = rest {
        rest = r;
    }
    match rest {
        // 'x' -- / 1 # : the rest of the query is commented out
        [Tok::Comment, ..] => *first == Tok::Str || high,
        // '; ...
        [Tok::Semi, Tok::Stmt | Tok::BadFunc, ..] => true,
        // ' OR x ...
        [Tok::Logic | Tok::Not, Tok::Not, next, ..] | [Tok::Logic, next, ..] => match next {
            Tok::Num | Tok::Str | Tok::Var => {
                *first == Tok::Str
                    || high
                    || matches!(
                        rest.get(2),
                        Some(Tok::Op | Tok::Comment | Tok::Logic | Tok::Close | Tok::Semi)
                    )
            }
            Tok::Open | Tok::Func | Tok::BadFunc => true,
            Tok::Word => {
                matches!(
                    rest.get(2),
                    Some(Tok::Op | Tok::Open | Tok::Comment | Tok::Logic)
                ) || (*first == Tok::Str && rest.len() == 2)
            }
            Tok::Clause | Tok::Stmt => true,
            _ => high,
        },
        // '=' / '<>' ... comparisons right after the quote
        [Tok::Op, next, ..] if *first == Tok::Str => {
            matches!(
                next,
                Tok::Str | Tok::Num | Tok::Var | Tok::Func | Tok::BadFunc | Tok::Open
            ) && rest.len() >= 2
                || matches!(next, Tok::Word)
                    && matches!(rest.get(2), Some(Tok::Op | Tok::Logic | Tok::Comment))
        }
        [Tok::Clause | Tok::Stmt, ..] if *first == Tok::Str => true,
        [Tok::Union, ..] => true,
        _ => false,
    }
}

/// Whether `input` looks like SQL injection. `high` is WAFv2's `HIGH` sensitivity (more
/// detections, more false positives).
pub fn is_sqli(input: &[u8], high: bool) -> bool {
    let input = input.get(..input.len().min(MAX_INPUT)).unwrap_or(input);
    if input.len() < 2 {
        return false;
    }
    let contexts: [Option<u8>; 3] = [None, Some(b'\''), Some(b'"')];
    for q in contexts {
        if let Some(q) = q
            && !input.contains(&q)
        {
            continue;
        }
        let t = tokenize(input, q);
        if code_anywhere(&t, high) || breaks_out(&t, high) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_classic_injections() {
        for s in [
            "1' or '1'='1",
            "' OR 1=1--",
            "admin'--",
            "1 UNION SELECT username, password FROM users",
            "1 union all select 1,2,3",
            "1; DROP TABLE users",
            "1 AND SLEEP(5)",
            "1' and benchmark(10000000,md5(1))#",
            "') or ('a'='a",
            "-1 uNiOn/**/sElEcT 1,2",
            "1' waitfor delay '0:0:5'--",
            "\" or \"\"=\"",
            "1 or 1=1",
            "x' AND extractvalue(1,concat(0x5c,version()))-- -",
            "SELECT * FROM users WHERE id=1",
            "1/*!50000union*/ select 1",
        ] {
            assert!(is_sqli(s.as_bytes(), false), "missed `{s}`");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for s in [
            "hello world",
            "o'neil and sons",
            "rock and roll",
            "select a color from the list",
            "john.doe@example.com",
            "c/ caridad s/n",
            "I'm here; or there",
            "1-2-3",
            "the union of two sets",
            "",
            "3 or 4 apples",
        ] {
            assert!(!is_sqli(s.as_bytes(), false), "false positive on `{s}`");
        }
    }

    #[test]
    fn high_sensitivity_detects_more() {
        assert!(!is_sqli(b"' or 'x", false) || is_sqli(b"' or 'x", true));
        assert!(is_sqli(b"1 -- ", true));
        assert!(!is_sqli(b"1 -- ", false));
    }
}
