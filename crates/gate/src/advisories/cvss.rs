//! CVSS v3.0 / v3.1 base scores from vector strings (FIRST's specification, section 7).

/// The base score of a `CVSS:3.x/...` vector, or `None` when it is not a complete v3 vector.
pub fn base_score_v3(vector: &str) -> Option<f64> {
    let mut parts = vector.split('/');
    let version = parts.next()?;
    if version != "CVSS:3.1" && version != "CVSS:3.0" {
        return None;
    }
    let (mut av, mut ac, mut pr, mut ui, mut s, mut c, mut i, mut a) =
        (None, None, None, None, None, None, None, None);
    for p in parts {
        let (k, v) = p.split_once(':')?;
        match k {
            "AV" => av = Some(v),
            "AC" => ac = Some(v),
            "PR" => pr = Some(v),
            "UI" => ui = Some(v),
            "S" => s = Some(v),
            "C" => c = Some(v),
            "I" => i = Some(v),
            "A" => a = Some(v),
            // Temporal and environmental metrics do not change the base score.
            _ => {}
        }
    }
    let changed = match s? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match av? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match ac? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (pr?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match ui? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |m: Option<&str>| match m? {
        "H" => Some(0.56),
        "L" => Some(0.22),
        "N" => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia(c)?, cia(i)?, cia(a)?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let raw = if changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(round_up(raw.min(10.0)))
}

/// CVSS v3.1's Roundup: the smallest number with one decimal at or above `x`, computed in
/// integers to avoid floating-point surprises (`4.000000001` → `4.0`, `4.02` → `4.1`).
fn round_up(x: f64) -> f64 {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "scores are between 0 and 10.8"
    )]
    let int_input = (x * 100_000.0).round() as i64;
    #[expect(clippy::cast_precision_loss, reason = "small integers")]
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn score(v: &str) -> f64 {
        base_score_v3(v).unwrap()
    }

    #[test]
    fn scores_of_published_advisories() {
        // GHSA-xvch-5gv4-984h (minimist): 9.8
        assert!((score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") - 9.8).abs() < 1e-9);
        // GHSA-35jh-r3h4-6jhm (lodash): 7.2
        assert!((score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H") - 7.2).abs() < 1e-9);
        // GHSA-j8r2-6x86-q33q (requests): 6.1, scope changed
        assert!((score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N") - 6.1).abs() < 1e-9);
        // GHSA-v845-jxx5-vc9f (urllib3): 5.9
        assert!((score("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N") - 5.9).abs() < 1e-9);
        // RUSTSEC-2020-0071 (time): 6.2
        assert!((score("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H") - 6.2).abs() < 1e-9);
        // Scope changed, everything high: capped at 10.
        assert!((score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") - 10.0).abs() < 1e-9);
        // No impact: 0.
        assert!(score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N").abs() < 1e-9);
        // Temporal metrics are ignored.
        assert!(
            (score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O") - 9.8).abs() < 1e-9
        );
    }

    #[test]
    fn incomplete_or_other_versions_are_not_scored() {
        assert_eq!(
            base_score_v3("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"),
            None
        );
        assert_eq!(
            base_score_v3("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            None
        );
        assert_eq!(base_score_v3("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
        assert_eq!(
            base_score_v3("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None
        );
    }

    #[test]
    fn roundup_is_exact() {
        assert!((round_up(4.000_000_1) - 4.0).abs() < 1e-9);
        assert!((round_up(4.02) - 4.1).abs() < 1e-9);
        assert!((round_up(4.0) - 4.0).abs() < 1e-9);
    }
}
