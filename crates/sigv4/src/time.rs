//! Timestamps as SigV4 writes them (`20150830T123600Z`) and as HTTP's `Date` header writes them
//! (`Sun, 30 Aug 2015 12:36:00 GMT`), converted to and from Unix seconds without any I/O.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A request time: Unix seconds plus the ISO 8601 basic text that goes into the string to sign.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct AmzTime {
    /// Seconds since the Unix epoch.
    pub(crate) unix: i64,
    /// `YYYYMMDDTHHMMSSZ`, always ASCII.
    pub(crate) text: [u8; 16],
}

impl AmzTime {
    /// Parses `YYYYMMDDTHHMMSSZ`.
    pub(crate) fn parse_basic(s: &str) -> Option<Self> {
        let bytes: &[u8; 16] = s.as_bytes().try_into().ok()?;
        let [
            y0,
            y1,
            y2,
            y3,
            mo0,
            mo1,
            d0,
            d1,
            b'T',
            h0,
            h1,
            mi0,
            mi1,
            s0,
            s1,
            b'Z',
        ] = *bytes
        else {
            return None;
        };
        let year = digits(&[y0, y1, y2, y3])?;
        let month = digits(&[mo0, mo1])?;
        let day = digits(&[d0, d1])?;
        let hour = digits(&[h0, h1])?;
        let minute = digits(&[mi0, mi1])?;
        let second = digits(&[s0, s1])?;
        let unix = to_unix(year, month, day, hour, minute, second)?;
        Some(Self { unix, text: *bytes })
    }

    /// Parses an HTTP date in IMF-fixdate form (`Sun, 30 Aug 2015 12:36:00 GMT`), also accepting
    /// the numeric zone `+0000` / `-0000` that some signers write instead of `GMT`.
    pub(crate) fn parse_http(s: &str) -> Option<Self> {
        let s = s.trim();
        let rest = s
            .strip_suffix(" GMT")
            .or_else(|| s.strip_suffix(" +0000"))
            .or_else(|| s.strip_suffix(" -0000"))?;
        let bytes: &[u8; 25] = rest.as_bytes().try_into().ok()?;
        let [
            _,
            _,
            _,
            b',',
            b' ',
            d0,
            d1,
            b' ',
            m0,
            m1,
            m2,
            b' ',
            y0,
            y1,
            y2,
            y3,
            b' ',
            h0,
            h1,
            b':',
            mi0,
            mi1,
            b':',
            s0,
            s1,
        ] = *bytes
        else {
            return None;
        };
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let month_name = [m0, m1, m2];
        let month = MONTHS.iter().position(|m| **m == month_name)? as u32 + 1;
        let unix = to_unix(
            digits(&[y0, y1, y2, y3])?,
            month,
            digits(&[d0, d1])?,
            digits(&[h0, h1])?,
            digits(&[mi0, mi1])?,
            digits(&[s0, s1])?,
        )?;
        Self::from_unix(unix)
    }

    /// The time at `unix` seconds; `None` outside years 0000..=9999.
    pub(crate) fn from_unix(unix: i64) -> Option<Self> {
        let days = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        if !(0..=9999).contains(&year) {
            return None;
        }
        let mut text = *b"00000000T000000Z";
        let fields: [(usize, i64, usize); 6] = [
            (0, year, 4),
            (4, i64::from(month), 2),
            (6, i64::from(day), 2),
            (9, secs / 3600, 2),
            (11, secs % 3600 / 60, 2),
            (13, secs % 60, 2),
        ];
        for (start, mut value, width) in fields {
            for slot in text.iter_mut().skip(start).take(width).rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Some(Self { unix, text })
    }

    /// The time of `t`, truncated to whole seconds; `None` before 1970 or after 9999.
    pub(crate) fn from_system(t: SystemTime) -> Option<Self> {
        let secs = t.duration_since(UNIX_EPOCH).ok()?.as_secs();
        Self::from_unix(i64::try_from(secs).ok()?)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    /// `YYYYMMDD`.
    pub(crate) fn date(&self) -> &str {
        self.as_str().get(..8).unwrap_or("")
    }

    /// As a `SystemTime`.
    pub(crate) fn to_system(self) -> SystemTime {
        let secs = self.unix.unsigned_abs();
        if self.unix >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs)
        }
    }
}

/// Seconds since the Unix epoch of `now`, saturating (times before 1970 are negative).
pub(crate) fn unix_seconds(now: SystemTime) -> i64 {
    match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The decimal value of ASCII digits.
fn digits(ds: &[u8]) -> Option<u32> {
    ds.iter().try_fold(0u32, |acc, &d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix seconds of a UTC calendar time, validating every field (no leap seconds).
fn to_unix(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// Days since 1970-01-01 of a proleptic Gregorian date. Years are counted from March so that the
/// leap day is the last day of the counted year; eras are 400-year cycles of 146097 days.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_suite_timestamp() {
        let t = AmzTime::parse_basic("20150830T123600Z").unwrap();
        assert_eq!(t.unix, 1_440_938_160);
        assert_eq!(t.as_str(), "20150830T123600Z");
        assert_eq!(t.date(), "20150830");
    }

    #[test]
    fn rejects_malformed_basic_times() {
        for bad in [
            "",
            "20150830T123600",
            "20150830T123600z",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20150229T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "20150830T123600Z ",
        ] {
            assert!(AmzTime::parse_basic(bad).is_none(), "{bad}");
        }
        assert!(AmzTime::parse_basic("20160229T000000Z").is_some());
        assert!(AmzTime::parse_basic("20000229T000000Z").is_some());
        assert!(AmzTime::parse_basic("21000229T000000Z").is_none());
    }

    #[test]
    fn parses_http_dates() {
        let expected = AmzTime::parse_basic("20150830T123600Z").unwrap();
        for s in [
            "Sun, 30 Aug 2015 12:36:00 GMT",
            "Sun, 30 Aug 2015 12:36:00 -0000",
            "Sun, 30 Aug 2015 12:36:00 +0000",
        ] {
            assert!(AmzTime::parse_http(s) == Some(expected), "{s}");
        }
        for bad in [
            "Sun, 30 Aug 2015 12:36:00 PST",
            "Sun, 30 Foo 2015 12:36:00 GMT",
            "Sunday, 30-Aug-15 12:36:00 GMT",
            "Sun Aug 30 12:36:00 2015",
        ] {
            assert!(AmzTime::parse_http(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn round_trips_through_unix_seconds() {
        for unix in [
            0,
            951_782_400,
            1_440_938_160,
            1_709_164_800,
            4_102_444_799,
            253_402_300_799,
        ] {
            let t = AmzTime::from_unix(unix).unwrap();
            let back = AmzTime::parse_basic(t.as_str()).unwrap();
            assert_eq!(back.unix, unix, "{}", t.as_str());
        }
        assert_eq!(AmzTime::from_unix(0).unwrap().as_str(), "19700101T000000Z");
        assert_eq!(
            AmzTime::from_unix(951_782_400).unwrap().as_str(),
            "20000229T000000Z"
        );
        assert!(AmzTime::from_unix(253_402_300_800).is_none());
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        for days in (-719_468..146_097 * 2).step_by(7) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn system_time_conversions_agree() {
        let t = AmzTime::parse_basic("20150830T123600Z").unwrap();
        assert_eq!(unix_seconds(t.to_system()), t.unix);
        assert!(AmzTime::from_system(t.to_system()) == Some(t));
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_secs(5)), -5);
    }
}
