//! Times as text, one module for the server and the browser alike (no time zone database
//! in the bundle: calendar arithmetic after Howard Hinnant's algorithms). Every page formats
//! a time through these.

/// "2026-11-22 14:05 UTC" for milliseconds since the epoch (server and browser alike).
pub fn utc_minute(ms: i64) -> String {
    let (date, hour, minute) = civil(ms);
    format!("{date} {hour:02}:{minute:02} UTC")
}

/// "2026-11-22 14:05:09 UTC", where seconds matter (the audit log).
pub fn utc_second(ms: i64) -> String {
    let (date, hour, minute) = civil(ms);
    let second = ms.div_euclid(1000).rem_euclid(60);
    format!("{date} {hour:02}:{minute:02}:{second:02} UTC")
}

/// "14:05" (UTC), for "live in Airflow at 14:05".
pub fn hh_mm(ms: i64) -> String {
    let (_, hour, minute) = civil(ms);
    format!("{hour:02}:{minute:02}")
}

/// The UTC calendar date ("YYYY-MM-DD"), hour and minute of a time (days to civil date after
/// Howard Hinnant's algorithm; no time zone database in the browser bundle).
fn civil(ms: i64) -> (String, i64, i64) {
    let seconds = ms.div_euclid(1000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        second_of_day / 3600,
        second_of_day % 3600 / 60,
    )
}

/// "14:05:09 UTC": the time of day, to the second (the "data as of" notices).
pub fn utc_clock(ms: i64) -> String {
    let (_, hour, minute) = civil(ms);
    let second = ms.div_euclid(1000).rem_euclid(60);
    format!("{hour:02}:{minute:02}:{second:02} UTC")
}

/// "just now", "45 s ago", "12 min ago", "3 h ago", "2 d ago".
pub fn ago(now_ms: i64, at_ms: i64) -> String {
    let seconds = (now_ms - at_ms).max(0) / 1000;
    match seconds {
        0..5 => "just now".to_string(),
        5..120 => format!("{seconds} s ago"),
        120..7200 => format!("{} min ago", seconds / 60),
        7200..172_800 => format!("{} h ago", seconds / 3600),
        _ => format!("{} d ago", seconds / 86_400),
    }
}

/// An RFC 3339 time from Airflow as "2026-11-21 14:05:00 UTC" (UTC times only; anything
/// else is shown as given).
pub fn airflow_time(at: &str) -> String {
    let utc = at.ends_with('Z') || at.ends_with("+00:00");
    match (utc, at.get(..19)) {
        (true, Some(seconds)) => format!("{} UTC", seconds.replacen('T', " ", 1)),
        _ => at.to_string(),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_calendar_minutes() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        // 2026-11-22T14:05:59Z
        assert_eq!(utc_minute(1_795_356_359_000), "2026-11-22 14:05 UTC");
        assert_eq!(hh_mm(1_795_356_359_000), "14:05");
        // A leap day.
        assert_eq!(utc_minute(1_709_208_000_000), "2024-02-29 12:00 UTC");
    }

    #[test]
    fn clock_times_keep_their_seconds() {
        assert_eq!(utc_clock(1_795_356_359_000), "14:05:59 UTC");
        assert_eq!(utc_second(1_795_356_359_000), "2026-11-22 14:05:59 UTC");
    }

    #[test]
    fn days_from_civil_undoes_civil() {
        for ms in [0, 1_709_208_000_000, 1_795_356_359_000] {
            let (date, _, _) = civil(ms);
            let (y, m, d) = (&date[0..4], &date[5..7], &date[8..10]);
            let days = days_from_civil(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap());
            assert_eq!(days, ms.div_euclid(86_400_000));
        }
    }

    #[test]
    fn times_read_as_people_say_them() {
        let now = 1_000_000_000;
        assert_eq!(ago(now, now - 1_000), "just now");
        assert_eq!(ago(now, now - 45_000), "45 s ago");
        assert_eq!(ago(now, now - 12 * 60_000), "12 min ago");
        assert_eq!(ago(now, now - 3 * 3_600_000), "3 h ago");
        assert_eq!(ago(now, now - 50 * 3_600_000), "2 d ago");
        assert_eq!(
            ago(now, now + 5_000),
            "just now",
            "a clock ahead is not the future"
        );
        assert_eq!(
            airflow_time("2026-11-21T14:05:00.123456+00:00"),
            "2026-11-21 14:05:00 UTC"
        );
        assert_eq!(
            airflow_time("2026-11-21T14:05:00Z"),
            "2026-11-21 14:05:00 UTC"
        );
        assert_eq!(
            airflow_time("2026-11-21T15:05:00+01:00"),
            "2026-11-21T15:05:00+01:00"
        );
    }
}
