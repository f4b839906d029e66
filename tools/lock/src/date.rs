//! The RFC 2822 dates of Release files (`Sat, 15 Nov 2025 09:04:14 UTC`) as seconds since the
//! Unix epoch, and back to text for messages.

/// A date that is not of the form `[Day, ]DD Mon YYYY HH:MM:SS ZONE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad date {text:?}: {problem}")]
pub struct DateError {
    pub text: String,
    pub problem: &'static str,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Parses `[Day, ]DD Mon YYYY HH:MM[:SS] ZONE` where ZONE is `UTC`, `GMT`, `Z` or `±HHMM`.
/// The day name, when present, is checked to be a day name but not against the date.
pub fn parse_rfc2822(text: &str) -> Result<i64, DateError> {
    let bad = |problem| DateError {
        text: text.to_string(),
        problem,
    };
    let rest = match text.split_once(',') {
        Some((day, rest)) if DAYS.contains(&day.trim()) => rest,
        Some(_) => return Err(bad("bad day name")),
        None => text,
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, zone] = fields.as_slice() else {
        return Err(bad("expected \"DD Mon YYYY HH:MM:SS ZONE\""));
    };
    let number = |s: &str, min: i64, max: i64, problem| {
        s.parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n) && s.bytes().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| bad(problem))
    };
    let year = number(year, 1970, 9999, "bad year")?;
    let month = MONTHS
        .iter()
        .position(|m| m == month)
        .ok_or_else(|| bad("bad month"))? as i64
        + 1;
    let day = number(day, 1, days_in_month(year, month), "bad day of month")?;
    let hms: Vec<&str> = time.split(':').collect();
    let (h, m, s) = match hms.as_slice() {
        [h, m] => (h, m, &"0"),
        [h, m, s] => (h, m, s),
        _ => return Err(bad("bad time")),
    };
    let seconds = number(h, 0, 23, "bad hour")? * 3600
        + number(m, 0, 59, "bad minute")? * 60
        + number(s, 0, 60, "bad second")?;
    let offset = match *zone {
        "UTC" | "GMT" | "UT" | "Z" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let hours = number(&z[1..3], 0, 23, "bad zone")?;
            let minutes = number(&z[3..5], 0, 59, "bad zone")?;
            let offset = hours * 3600 + minutes * 60;
            if z.starts_with('-') {
                -offset
            } else {
                offset
            }
        }
        _ => return Err(bad("unknown time zone")),
    };
    Ok(days_from_civil(year, month, day) * 86400 + seconds - offset)
}

/// `2025-11-15 09:04:14 UTC`.
pub fn format_utc(epoch: i64) -> String {
    let (y, m, d, hh, mm, ss) = fields(epoch);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} UTC")
}

/// `20251115T090414Z` (ISO 8601 basic format, as snapshot.debian.org names its states).
pub fn format_compact(epoch: i64) -> String {
    let (y, m, d, hh, mm, ss) = fields(epoch);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// Year, month, day, hours, minutes, seconds (UTC) of seconds since the epoch.
fn fields(epoch: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = epoch.div_euclid(86400);
    let secs = epoch.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release_dates() {
        assert_eq!(parse_rfc2822("Thu, 01 Jan 1970 00:00:00 UTC"), Ok(0));
        assert_eq!(
            parse_rfc2822("Sat, 15 Nov 2025 09:04:14 UTC"),
            Ok(1_763_197_454)
        );
        assert_eq!(
            parse_rfc2822("15 Nov 2025 11:04:14 +0200"),
            Ok(1_763_197_454)
        );
        assert_eq!(
            parse_rfc2822("Sat, 15 Nov 2025 04:04 -0500"),
            Ok(1_763_197_440)
        );
        assert_eq!(
            parse_rfc2822("Thu, 29 Feb 2024 23:59:59 GMT"),
            Ok(1_709_251_199)
        );
        assert_eq!(format_utc(1_763_197_454), "2025-11-15 09:04:14 UTC");
        assert_eq!(format_utc(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(format_compact(1_763_197_454), "20251115T090414Z");
        assert_eq!(format_compact(1_709_251_199), "20240229T235959Z");
    }

    #[test]
    fn round_trips_every_day_of_some_years() {
        for day in (0..366 * 4).map(|d| 19_000 + d) {
            let epoch = day * 86400 + 3661;
            let text = format_utc(epoch);
            let (date, _) = text.split_once(' ').unwrap();
            let parts: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
            let month = MONTHS[parts[1] as usize - 1];
            let rfc = format!("{} {month} {} 01:01:01 UTC", parts[2], parts[0]);
            assert_eq!(parse_rfc2822(&rfc), Ok(epoch), "{rfc}");
        }
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        for (text, problem) in [
            (
                "Sat, 15 Nov 2025 09:04:14",
                "expected \"DD Mon YYYY HH:MM:SS ZONE\"",
            ),
            ("Sat, 15 Nov 2025 09:04:14 CEST", "unknown time zone"),
            ("Sat, 31 Nov 2025 09:04:14 UTC", "bad day of month"),
            ("Sat, 15 Noe 2025 09:04:14 UTC", "bad month"),
            ("Sat, 15 Nov 2025 24:04:14 UTC", "bad hour"),
            ("Sat, 15 Nov 2025 09-04-14 UTC", "bad time"),
            ("Sam, 15 Nov 2025 09:04:14 UTC", "bad day name"),
            ("Sat, 15 Nov 2025 09:04:14 +02", "unknown time zone"),
            ("Sat, +5 Nov 2025 09:04:14 UTC", "bad day of month"),
        ] {
            assert_eq!(parse_rfc2822(text).unwrap_err().problem, problem, "{text}");
        }
    }
}
