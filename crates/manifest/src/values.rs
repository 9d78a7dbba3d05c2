//! The manifest's small languages: durations, memory sizes, egress rules and names.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The shortest timeout a function may have.
pub const MIN_TIMEOUT: Duration = Duration::from_millis(100);
/// The longest timeout a function may have: Lambda's 900 seconds.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(900);
/// A function's timeout when the manifest gives none: Lambda's 3 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// The least memory a function may have, in MiB.
pub const MIN_MEMORY_MIB: u32 = 128;
/// The most memory a function may have, in MiB (10 GiB, as Lambda).
pub const MAX_MEMORY_MIB: u32 = 10240;
/// A function's memory when the manifest gives none, in MiB.
pub const DEFAULT_MEMORY_MIB: u32 = 128;
/// The most reserved concurrency a function may ask for.
pub const MAX_RESERVED_CONCURRENCY: i64 = 1000;
/// The most bytes a function's environment may hold, names and values together, as Lambda.
pub const MAX_ENVIRONMENT_BYTES: usize = 4096;

/// Parses a duration like `100ms`, `3s`, `2m` or `1m30s`: whole numbers, each followed by
/// `ms`, `s` or `m`, added up.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let hint = "write whole numbers with units `ms`, `s` or `m`, like `3s`, `500ms` or `1m30s`";
    if text.is_empty() {
        return Err(format!("duration is empty: {hint}"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let (number, after) = rest.split_at(digits);
        let unit_len = after
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .map(char::len_utf8)
            .sum::<usize>();
        let (unit, after) = after.split_at(unit_len);
        if number.is_empty() || unit.is_empty() {
            return Err(format!("`{text}` is not a duration: {hint}"));
        }
        let per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            _ => {
                return Err(format!("unknown unit `{unit}` in `{text}`: {hint}"));
            }
        };
        let n: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is too long a duration"))?;
        total = n
            .checked_mul(per_unit)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        rest = after;
    }
    Ok(Duration::from_millis(total))
}

/// Parses a memory size like `128MiB` or `2GiB` into MiB: a whole number and the unit `MiB`
/// or `GiB`.
pub fn parse_memory(text: &str) -> Result<u32, String> {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let unit_trimmed = unit.trim_start();
    let factor: u64 = match unit_trimmed {
        "MiB" => 1,
        "GiB" => 1024,
        _ => {
            let suggestion = match unit_trimmed.to_ascii_lowercase().as_str() {
                "mb" | "m" | "mib" | "megabytes" => Some("MiB"),
                "gb" | "g" | "gib" | "gigabytes" => Some("GiB"),
                _ => None,
            };
            return Err(match (number.is_empty(), suggestion) {
                (false, Some(u)) => {
                    format!("memory `{text}`: write the unit as `{u}`, like `{number}{u}`")
                }
                _ => format!(
                    "`{text}` is not a memory size: write a whole number and `MiB` or `GiB`, like `512MiB` or `2GiB`"
                ),
            });
        }
    };
    if number.is_empty() || unit != unit_trimmed {
        return Err(format!(
            "`{text}` is not a memory size: write a whole number and `MiB` or `GiB`, like `512MiB` or `2GiB`"
        ));
    }
    let n: u64 = number
        .parse()
        .map_err(|_| format!("memory `{text}` is more than {MAX_MEMORY_MIB}MiB"))?;
    let mib = n.saturating_mul(factor);
    if mib > u64::from(MAX_MEMORY_MIB) {
        return Err(format!("memory `{text}` is more than {MAX_MEMORY_MIB}MiB"));
    }
    let mib = u32::try_from(mib).unwrap_or(MAX_MEMORY_MIB);
    if mib < MIN_MEMORY_MIB {
        return Err(format!("memory `{text}` is less than {MIN_MEMORY_MIB}MiB"));
    }
    Ok(mib)
}

/// A host a function may connect to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EgressHost {
    /// A DNS name, lowercase, without a trailing dot.
    Name(String),
    /// `*.example.com`: any name with one or more labels before `example.com` (stored
    /// without the `*.`), but not `example.com` itself.
    Subdomains(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written `[addr]:port`.
    Ipv6(Ipv6Addr),
}

/// One entry of a function's egress allow-list: a host and a port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Egress {
    /// Where.
    pub host: EgressHost,
    /// Which TCP port, 1 to 65535.
    pub port: u16,
}

impl Egress {
    /// Parses `host:port`, `*.domain:port`, `1.2.3.4:port` or `[::1]:port`. Refuses URLs,
    /// missing ports, and addresses a function must never reach through egress: loopback,
    /// link-local (the cloud metadata address `169.254.169.254` among them), unspecified,
    /// broadcast and multicast.
    pub fn parse(text: &str) -> Result<Egress, String> {
        if text.contains("://") || text.contains('/') {
            return Err(format!(
                "egress `{text}` must be `host:port`, not a URL: like `api.example.com:443`"
            ));
        }
        let (host_text, port_text) = if let Some(rest) = text.strip_prefix('[') {
            let Some((addr, port)) = rest.split_once("]:") else {
                return Err(format!(
                    "egress `{text}` must be `[address]:port` for IPv6, like `[2001:db8::1]:443`"
                ));
            };
            (addr, port)
        } else {
            match text.rsplit_once(':') {
                Some((host, _)) if host.contains(':') => {
                    return Err(format!(
                        "egress `{text}`: write an IPv6 address in brackets, like `[2001:db8::1]:443`"
                    ));
                }
                Some(pair) => pair,
                None => {
                    return Err(format!(
                        "egress `{text}` has no port: write `{text}:443` (or the port it uses)"
                    ));
                }
            }
        };
        let port = match port_text.parse::<u16>() {
            Ok(p) if p > 0 && port_text.chars().all(|c| c.is_ascii_digit()) => p,
            _ => {
                return Err(format!(
                    "port `{port_text}` in egress `{text}` must be a number from 1 to 65535"
                ));
            }
        };
        let host = if text.starts_with('[') {
            let addr: Ipv6Addr = host_text
                .parse()
                .map_err(|_| format!("`{host_text}` in egress `{text}` is not an IPv6 address"))?;
            if addr.is_loopback()
                || addr.is_unspecified()
                || addr.is_multicast()
                || addr.is_unicast_link_local()
            {
                return Err(format!(
                    "egress `{text}`: loopback, link-local, unspecified and multicast addresses are never reachable"
                ));
            }
            if let Some(v4) = addr.to_ipv4_mapped() {
                check_ipv4(v4, text)?;
            }
            EgressHost::Ipv6(addr)
        } else if let Ok(addr) = host_text.parse::<Ipv4Addr>() {
            check_ipv4(addr, text)?;
            EgressHost::Ipv4(addr)
        } else {
            let lower = host_text.to_ascii_lowercase();
            let (wild, name) = match lower.strip_prefix("*.") {
                Some(n) => (true, n),
                None => (false, lower.as_str()),
            };
            let name = name.strip_suffix('.').unwrap_or(name);
            if name == "*" || name.is_empty() {
                return Err(format!(
                    "egress `{text}` allows too much: name the hosts, like `*.example.com:443`"
                ));
            }
            if name.contains('*') {
                return Err(format!(
                    "egress `{text}`: a wildcard may only be the first label, like `*.example.com:443`"
                ));
            }
            check_dns_name(name).map_err(|why| format!("egress `{text}`: {why}"))?;
            // resolvers read `2130706433` or `0177.1` as addresses (127.0.0.1): a name whose
            // last label is all digits is neither a host name nor an address this accepts
            if name
                .rsplit('.')
                .next()
                .is_some_and(|l| l.chars().all(|c| c.is_ascii_digit()))
            {
                return Err(format!(
                    "egress `{text}`: `{host_text}` is neither a host name nor an IPv4 address like `192.0.2.10`"
                ));
            }
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(format!(
                    "egress `{text}`: loopback is never reachable through egress"
                ));
            }
            if wild && !name.contains('.') {
                return Err(format!(
                    "egress `{text}` allows too much: a wildcard needs a domain with a dot, like `*.example.com:443`"
                ));
            }
            if wild {
                EgressHost::Subdomains(name.to_string())
            } else {
                EgressHost::Name(name.to_string())
            }
        };
        Ok(Egress { host, port })
    }

    /// Whether a connection to `host:port` is allowed by this rule. Host names compare
    /// without case and without a trailing dot; addresses compare as addresses.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        if port != self.port {
            return false;
        }
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let lower = host.to_ascii_lowercase();
        let name = lower.strip_suffix('.').unwrap_or(&lower);
        match &self.host {
            EgressHost::Name(n) => name == n,
            EgressHost::Subdomains(domain) => name
                .strip_suffix(domain.as_str())
                .and_then(|p| p.strip_suffix('.'))
                .is_some_and(|p| !p.is_empty()),
            EgressHost::Ipv4(a) => host.parse::<Ipv4Addr>().is_ok_and(|h| h == *a),
            EgressHost::Ipv6(a) => host.parse::<Ipv6Addr>().is_ok_and(|h| h == *a),
        }
    }
}

impl std::fmt::Display for Egress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.host {
            EgressHost::Name(n) => write!(f, "{n}:{}", self.port),
            EgressHost::Subdomains(d) => write!(f, "*.{d}:{}", self.port),
            EgressHost::Ipv4(a) => write!(f, "{a}:{}", self.port),
            EgressHost::Ipv6(a) => write!(f, "[{a}]:{}", self.port),
        }
    }
}

fn check_ipv4(addr: Ipv4Addr, text: &str) -> Result<(), String> {
    if addr.is_loopback()
        || addr.octets().first() == Some(&0)
        || addr.is_link_local()
        || addr.is_unspecified()
        || addr.is_broadcast()
        || addr.is_multicast()
    {
        return Err(format!(
            "egress `{text}`: loopback, link-local (the metadata address among them), unspecified, broadcast and multicast addresses are never reachable"
        ));
    }
    Ok(())
}

/// A DNS name: labels of letters, digits and `-` (not first or last), 1 to 63 characters,
/// 253 in all.
fn check_dns_name(name: &str) -> Result<(), String> {
    if name.len() > 253 {
        return Err("a host name is at most 253 characters".to_string());
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(format!("`{name}` has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!("label `{label}` is longer than 63 characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(format!("character `{c}` is not allowed in a host name"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label `{label}` must not start or end with `-`"));
        }
    }
    Ok(())
}

/// Environment variable names Lambda reserves (and refuses to set), and those mudroom sets
/// for every function.
pub const RESERVED_ENVIRONMENT: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
];

/// Why an environment variable name cannot be set, if it cannot.
pub fn check_environment_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "environment variable name `{name}` must be letters, digits and `_`, not starting with a digit"
        ));
    }
    if RESERVED_ENVIRONMENT.contains(&name) || name.starts_with("AWS_ENDPOINT_URL_") {
        return Err(format!(
            "environment variable `{name}` is reserved: the platform sets it"
        ));
    }
    Ok(())
}

/// Whether an environment variable name suggests it holds a secret.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

/// A Secrets Manager secret name: 1 to 512 of letters, digits and `/_+=.@-`.
pub fn check_secret_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 512 {
        return Err(format!("secret name `{name}` must be 1 to 512 characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(*c)))
    {
        let why = if c == '*' || c == '?' {
            "wildcards are not allowed: name each secret".to_string()
        } else if name.starts_with("arn:") {
            "write the secret's name, not its ARN".to_string()
        } else {
            format!("character `{c}` is not allowed (letters, digits and `/_+=.@-` are)")
        };
        return Err(format!("secret `{name}`: {why}"));
    }
    Ok(())
}

/// An app name: 1 to 40 of `a-z`, `0-9` and `-`, not starting or ending with `-`.
pub fn check_app_name(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.is_empty() || name.len() > 40 || !ok_chars {
        return Err(format!(
            "app name `{name}` must be 1 to 40 characters of `a-z`, `0-9` and `-`"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(format!("app name `{name}` must not start or end with `-`"));
    }
    Ok(())
}

/// A function name, as Lambda: 1 to 64 of letters, digits, `-` and `_`.
pub fn check_function_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "function name `{name}` must be 1 to 64 letters, digits, `-` and `_`"
        ));
    }
    Ok(())
}

/// A role name, as IAM: 1 to 64 of letters, digits and `+=,.@_-`.
pub fn check_role_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(format!(
            "role name `{name}` must be 1 to 64 letters, digits and `+=,.@_-`"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("100ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
        let hint = "write whole numbers with units `ms`, `s` or `m`, like `3s`, `500ms` or `1m30s`";
        assert_eq!(
            parse_duration("3"),
            Err(format!("`3` is not a duration: {hint}"))
        );
        assert_eq!(
            parse_duration("s"),
            Err(format!("`s` is not a duration: {hint}"))
        );
        assert_eq!(
            parse_duration("1.5s"),
            Err(format!("`1.5s` is not a duration: {hint}"))
        );
        assert_eq!(
            parse_duration("3 s"),
            Err(format!("`3 s` is not a duration: {hint}"))
        );
        assert_eq!(
            parse_duration("2h"),
            Err(format!("unknown unit `h` in `2h`: {hint}"))
        );
        assert_eq!(
            parse_duration(""),
            Err(format!("duration is empty: {hint}"))
        );
        assert_eq!(
            parse_duration("99999999999999999999s"),
            Err("`99999999999999999999s` is too long a duration".to_string())
        );
        assert_eq!(
            parse_duration("18446744073709552s"),
            Err("`18446744073709552s` is too long a duration".to_string())
        );
    }

    #[test]
    fn memory() {
        assert_eq!(parse_memory("128MiB"), Ok(128));
        assert_eq!(parse_memory("1GiB"), Ok(1024));
        assert_eq!(parse_memory("10GiB"), Ok(10240));
        assert_eq!(parse_memory("10240MiB"), Ok(10240));
        assert_eq!(
            parse_memory("512MB"),
            Err("memory `512MB`: write the unit as `MiB`, like `512MiB`".to_string())
        );
        assert_eq!(
            parse_memory("2gb"),
            Err("memory `2gb`: write the unit as `GiB`, like `2GiB`".to_string())
        );
        assert_eq!(
            parse_memory("64MiB"),
            Err("memory `64MiB` is less than 128MiB".to_string())
        );
        assert_eq!(
            parse_memory("11GiB"),
            Err("memory `11GiB` is more than 10240MiB".to_string())
        );
        assert_eq!(
            parse_memory("99999999999999999999GiB"),
            Err("memory `99999999999999999999GiB` is more than 10240MiB".to_string())
        );
        let not = |t: &str| {
            format!(
                "`{t}` is not a memory size: write a whole number and `MiB` or `GiB`, like `512MiB` or `2GiB`"
            )
        };
        assert_eq!(parse_memory("MiB"), Err(not("MiB")));
        assert_eq!(parse_memory("512 MiB"), Err(not("512 MiB")));
        assert_eq!(parse_memory("1.5GiB"), Err(not("1.5GiB")));
        assert_eq!(parse_memory("lots"), Err(not("lots")));
    }

    #[test]
    fn egress_parses() {
        let e = |t: &str| Egress::parse(t).unwrap();
        assert_eq!(
            e("api.example.com:443").host,
            EgressHost::Name("api.example.com".into())
        );
        assert_eq!(e("API.Example.com.:443").to_string(), "api.example.com:443");
        assert_eq!(
            e("*.example.com:443").host,
            EgressHost::Subdomains("example.com".into())
        );
        assert_eq!(
            e("10.0.0.5:5432").host,
            EgressHost::Ipv4(Ipv4Addr::new(10, 0, 0, 5))
        );
        assert_eq!(e("[2001:db8::1]:443").to_string(), "[2001:db8::1]:443");
        assert_eq!(e("db:5432").port, 5432);
    }

    #[test]
    fn egress_refuses() {
        let cases = [
            (
                "https://api.example.com",
                "egress `https://api.example.com` must be `host:port`, not a URL: like `api.example.com:443`",
            ),
            (
                "api.example.com",
                "egress `api.example.com` has no port: write `api.example.com:443` (or the port it uses)",
            ),
            (
                "api.example.com:0",
                "port `0` in egress `api.example.com:0` must be a number from 1 to 65535",
            ),
            (
                "api.example.com:70000",
                "port `70000` in egress `api.example.com:70000` must be a number from 1 to 65535",
            ),
            (
                "api.example.com:+443",
                "port `+443` in egress `api.example.com:+443` must be a number from 1 to 65535",
            ),
            (
                "api.example.com:*",
                "port `*` in egress `api.example.com:*` must be a number from 1 to 65535",
            ),
            (
                "*:443",
                "egress `*:443` allows too much: name the hosts, like `*.example.com:443`",
            ),
            (
                "*.com:443",
                "egress `*.com:443` allows too much: a wildcard needs a domain with a dot, like `*.example.com:443`",
            ),
            (
                "api.*.com:443",
                "egress `api.*.com:443`: a wildcard may only be the first label, like `*.example.com:443`",
            ),
            (
                "api_x.example.com:443",
                "egress `api_x.example.com:443`: character `_` is not allowed in a host name",
            ),
            (
                "-a.example.com:443",
                "egress `-a.example.com:443`: label `-a` must not start or end with `-`",
            ),
            ("a..b:443", "egress `a..b:443`: `a..b` has an empty label"),
            (
                "localhost:80",
                "egress `localhost:80`: loopback is never reachable through egress",
            ),
            (
                "127.0.0.1:80",
                "egress `127.0.0.1:80`: loopback, link-local (the metadata address among them), unspecified, broadcast and multicast addresses are never reachable",
            ),
            (
                "169.254.169.254:80",
                "egress `169.254.169.254:80`: loopback, link-local (the metadata address among them), unspecified, broadcast and multicast addresses are never reachable",
            ),
            (
                "[::1]:443",
                "egress `[::1]:443`: loopback, link-local, unspecified and multicast addresses are never reachable",
            ),
            (
                "[::ffff:127.0.0.1]:443",
                "egress `[::ffff:127.0.0.1]:443`: loopback, link-local (the metadata address among them), unspecified, broadcast and multicast addresses are never reachable",
            ),
            (
                "2001:db8::1:443",
                "egress `2001:db8::1:443`: write an IPv6 address in brackets, like `[2001:db8::1]:443`",
            ),
            (
                "[2001:db8::1]",
                "egress `[2001:db8::1]` must be `[address]:port` for IPv6, like `[2001:db8::1]:443`",
            ),
            (
                "[nope]:443",
                "`nope` in egress `[nope]:443` is not an IPv6 address",
            ),
            (
                "2130706433:80",
                "egress `2130706433:80`: `2130706433` is neither a host name nor an IPv4 address like `192.0.2.10`",
            ),
            (
                "0177.0.0.1:80",
                "egress `0177.0.0.1:80`: `0177.0.0.1` is neither a host name nor an IPv4 address like `192.0.2.10`",
            ),
            (
                "0x7f.1:80",
                "egress `0x7f.1:80`: `0x7f.1` is neither a host name nor an IPv4 address like `192.0.2.10`",
            ),
            (
                "0.1.2.3:80",
                "egress `0.1.2.3:80`: loopback, link-local (the metadata address among them), unspecified, broadcast and multicast addresses are never reachable",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(Egress::parse(text), Err(message.to_string()), "{text}");
        }
    }

    #[test]
    fn egress_allows() {
        let e = |t: &str| Egress::parse(t).unwrap();
        assert!(e("api.example.com:443").allows("API.example.com.", 443));
        assert!(!e("api.example.com:443").allows("api.example.com", 80));
        assert!(!e("api.example.com:443").allows("evil-api.example.com", 443));
        let wild = e("*.example.com:443");
        assert!(wild.allows("a.example.com", 443));
        assert!(wild.allows("a.b.example.com", 443));
        assert!(!wild.allows("example.com", 443));
        assert!(!wild.allows("badexample.com", 443));
        assert!(!wild.allows(".example.com", 443));
        assert!(e("10.0.0.5:5432").allows("10.0.0.5", 5432));
        assert!(!e("10.0.0.5:5432").allows("10.0.0.6", 5432));
        assert!(e("[2001:db8::1]:443").allows("[2001:db8:0::1]", 443));
    }

    #[test]
    fn names() {
        assert!(check_app_name("quickstart").is_ok());
        assert!(check_app_name(&"a".repeat(40)).is_ok());
        assert!(check_app_name(&"a".repeat(41)).is_err());
        assert!(check_app_name("Quick").is_err());
        assert!(check_app_name("-x").is_err());
        assert!(check_app_name("").is_err());
        assert!(check_function_name("hello_world-2").is_ok());
        assert!(check_function_name("hello.world").is_err());
        assert!(check_role_name("hello-role@x.y+z=w,v").is_ok());
        assert!(check_role_name("hello role").is_err());
        assert!(check_environment_name("TABLE").is_ok());
        assert!(check_environment_name("_private").is_ok());
        assert!(check_environment_name("AWS_LAMBDA_EXEC_WRAPPER").is_ok());
        assert!(check_environment_name("1X").is_err());
        assert!(check_environment_name("A-B").is_err());
        assert!(check_environment_name("").is_err());
        assert!(check_environment_name("AWS_REGION").is_err());
        assert!(check_environment_name("AWS_ENDPOINT_URL_S3").is_err());
        assert!(check_secret_name("app/db").is_ok());
        assert!(check_secret_name("a+b=c.d@e-f_g").is_ok());
        assert_eq!(
            check_secret_name("app/*"),
            Err("secret `app/*`: wildcards are not allowed: name each secret".to_string())
        );
        assert_eq!(
            check_secret_name("arn:aws:secretsmanager:us-east-1:1:secret:x"),
            Err("secret `arn:aws:secretsmanager:us-east-1:1:secret:x`: write the secret's name, not its ARN".to_string())
        );
        assert!(check_secret_name(&"a".repeat(513)).is_err());
        assert!(looks_secret("DB_PASSWORD"));
        assert!(looks_secret("stripe_api_key"));
        assert!(!looks_secret("TABLE"));
    }
}
