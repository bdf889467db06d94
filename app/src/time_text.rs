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

/// The current time as RFC 3339 (UTC, to the second), from the machine's clock.
pub fn now_rfc3339() -> String {
    #[cfg(feature = "hydrate")]
    let ms = js_sys::Date::now() as i64;
    #[cfg(not(feature = "hydrate"))]
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let (date, hour, minute) = civil(ms);
    let second = ms.div_euclid(1000).rem_euclid(60);
    format!("{date}T{hour:02}:{minute:02}:{second:02}Z")
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

/// Milliseconds since the epoch of an RFC 3339 time as Airflow writes them
/// (`2026-12-05T23:29:19.162242Z`, `…+00:00`, `…-05:30`); `None` for anything else.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        let first3: String = fraction[..end]
            .chars()
            .chain("000".chars())
            .take(3)
            .collect();
        millis = first3.parse::<i64>().ok()?;
        rest = &fraction[end..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        zone if zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':' =>
        {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let hours: i64 = zone.get(1..3)?.parse().ok()?;
            let minutes: i64 = zone.get(4..6)?.parse().ok()?;
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// A wall-clock time as the time component writes it: "2026-12-05 23:29" and, with
/// seconds, "2026-12-05 23:29:19", for a time `offset_minutes` ahead of UTC.
pub fn wall_clock(ms: i64, offset_minutes: i64, seconds: bool) -> String {
    let shifted = ms + offset_minutes * 60_000;
    let (date, hour, minute) = civil(shifted);
    if seconds {
        let second = shifted.div_euclid(1000).rem_euclid(60);
        format!("{date} {hour:02}:{minute:02}:{second:02}")
    } else {
        format!("{date} {hour:02}:{minute:02}")
    }
}

/// "UTC+01:00" for an offset in minutes ("UTC" for none).
pub fn utc_offset(offset_minutes: i64) -> String {
    if offset_minutes == 0 {
        return "UTC".into();
    }
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let minutes = offset_minutes.abs();
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// "3 min ago" for the past, "in 3 min" for the future (the time component's relative form).
pub fn relative(now_ms: i64, at_ms: i64) -> String {
    if at_ms > now_ms + 5_000 {
        let seconds = (at_ms - now_ms) / 1000;
        return match seconds {
            0..120 => format!("in {seconds} s"),
            120..7200 => format!("in {} min", seconds / 60),
            7200..172_800 => format!("in {} h", seconds / 3600),
            _ => format!("in {} d", seconds / 86_400),
        };
    }
    ago(now_ms, at_ms)
}

/// A duration as people say it: "0.4 s", "12 s", "1 min 12 s", "2 h 5 min", "3 d 4 h".
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "—".into();
    }
    if seconds < 10.0 {
        let tenths = (seconds * 10.0).round() / 10.0;
        return if tenths.fract() == 0.0 {
            format!("{tenths:.0} s")
        } else {
            format!("{tenths:.1} s")
        };
    }
    let whole = seconds.round() as i64;
    match whole {
        0..60 => format!("{whole} s"),
        60..3600 => match whole % 60 {
            0 => format!("{} min", whole / 60),
            s => format!("{} min {s} s", whole / 60),
        },
        3600..86_400 => match whole % 3600 / 60 {
            0 => format!("{} h", whole / 3600),
            m => format!("{} h {m} min", whole / 3600),
        },
        _ => match whole % 86_400 / 3600 {
            0 => format!("{} d", whole / 86_400),
            h => format!("{} d {h} h", whole / 86_400),
        },
    }
}

/// The duration between two RFC 3339 times, in words; `None` if either is missing.
pub fn between(start: Option<&str>, end: Option<&str>) -> Option<String> {
    let (start, end) = (parse_rfc3339(start?)?, parse_rfc3339(end?)?);
    Some(duration((end - start).max(0) as f64 / 1000.0))
}

/// A schedule as Airflow summarises it (`timetable_summary`: a cron expression, a preset,
/// `None`, an asset expression, a time delta) in words: `0 0 * * *` → "daily at 00:00 UTC".
/// What it cannot read is shown as it is.
pub fn schedule_words(summary: &str) -> String {
    let summary = summary.trim();
    let preset = match summary {
        "" | "None" | "null" => Some("not scheduled (triggered by hand or by other DAGs)"),
        "@once" => Some("once"),
        "@continuous" => Some("continuously, one run after another"),
        "@hourly" => Some("hourly at minute 0"),
        "@daily" | "@midnight" => Some("daily at 00:00 UTC"),
        "@weekly" => Some("weekly on Sunday at 00:00 UTC"),
        "@monthly" => Some("monthly on day 1 at 00:00 UTC"),
        "@quarterly" => Some("quarterly on day 1 at 00:00 UTC"),
        "@yearly" | "@annually" => Some("yearly on January 1 at 00:00 UTC"),
        _ => None,
    };
    if let Some(words) = preset {
        return words.to_string();
    }
    cron_words(summary).unwrap_or_else(|| summary.to_string())
}

/// Five-field cron expressions of the shapes people write, in words; `None` otherwise.
fn cron_words(cron: &str) -> Option<String> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, day, month, weekday] = fields[..] else {
        return None;
    };
    let number = |field: &str, max: u32| field.parse::<u32>().ok().filter(|n| *n <= max);
    let every = |field: &str| field.strip_prefix("*/").and_then(|n| n.parse::<u32>().ok());
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let weekday_words = |field: &str| -> Option<String> {
        if field == "1-5" || field.eq_ignore_ascii_case("mon-fri") {
            return Some("on weekdays".into());
        }
        if field == "0,6" || field == "6,0" || field.eq_ignore_ascii_case("sat,sun") {
            return Some("on weekends".into());
        }
        let names: Option<Vec<&str>> = field
            .split(',')
            .map(|d| number(d, 7).map(|n| DAYS[(n % 7) as usize]))
            .collect();
        let names = names?;
        Some(format!("on {}", names.join(", ")))
    };
    let at = |hour: u32, minute: u32| format!("at {hour:02}:{minute:02} UTC");
    match (minute, hour, day, month, weekday) {
        ("*", "*", "*", "*", "*") => Some("every minute".into()),
        (m, "*", "*", "*", "*") if every(m).is_some() => {
            Some(format!("every {} minutes", every(m)?))
        }
        (m, "*", "*", "*", "*") => Some(format!("hourly at minute {}", number(m, 59)?)),
        (m, h, "*", "*", "*") if every(h).is_some() => Some(format!(
            "every {} hours at minute {}",
            every(h)?,
            number(m, 59)?
        )),
        (m, h, "*", "*", "*") => Some(format!("daily {}", at(number(h, 23)?, number(m, 59)?))),
        (m, h, "*", "*", w) => Some(format!(
            "{} {}",
            weekday_words(w)?,
            at(number(h, 23)?, number(m, 59)?)
        )),
        (m, h, d, "*", "*") => Some(format!(
            "monthly on day {} {}",
            number(d, 31)?,
            at(number(h, 23)?, number(m, 59)?)
        )),
        _ => None,
    }
}

/// The time-zone names a person may fix their pages to (the IANA database built into the
/// server), sorted.
#[cfg(feature = "ssr")]
pub fn time_zones() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_string())
        .filter(|name| name.contains('/') || name == "UTC")
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `name` is a time zone of the database built into the server.
#[cfg(feature = "ssr")]
pub fn is_time_zone(name: &str) -> bool {
    name.len() <= 64 && jiff::tz::TimeZone::get(name).is_ok()
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
    fn airflow_times_parse_to_the_millisecond() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-22T14:05:59.123456Z"),
            Some(1_795_356_359_123)
        );
        assert_eq!(
            parse_rfc3339("2026-11-22T15:05:59+01:00"),
            Some(1_795_356_359_000)
        );
        assert_eq!(parse_rfc3339("2026-11-22 14:05"), None);
        assert_eq!(parse_rfc3339("not a time"), None);
        assert_eq!(
            wall_clock(1_795_356_359_123, 60, true),
            "2026-11-22 15:05:59"
        );
        assert_eq!(
            wall_clock(1_795_356_359_123, -330, false),
            "2026-11-22 08:35"
        );
        assert_eq!(utc_offset(-330), "UTC-05:30");
        assert_eq!(utc_offset(0), "UTC");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(0.42), "0.4 s");
        assert_eq!(duration(3.0), "3 s");
        assert_eq!(duration(12.4), "12 s");
        assert_eq!(duration(72.0), "1 min 12 s");
        assert_eq!(duration(120.0), "2 min");
        assert_eq!(duration(7_500.0), "2 h 5 min");
        assert_eq!(duration(3.0 * 86_400.0 + 4.0 * 3600.0), "3 d 4 h");
        assert_eq!(
            between(Some("2026-11-22T14:00:00Z"), Some("2026-11-22T14:01:12Z")).as_deref(),
            Some("1 min 12 s")
        );
        assert_eq!(between(None, Some("2026-11-22T14:01:12Z")), None);
        assert_eq!(relative(1_000_000, 1_000_000 + 180_000), "in 3 min");
        assert_eq!(relative(1_000_000, 1_000_000 - 180_000), "3 min ago");
    }

    #[test]
    fn schedules_read_as_words() {
        assert_eq!(schedule_words("0 0 * * *"), "daily at 00:00 UTC");
        assert_eq!(schedule_words("30 6 * * 1-5"), "on weekdays at 06:30 UTC");
        assert_eq!(schedule_words("0 12 * * 1"), "on Monday at 12:00 UTC");
        assert_eq!(schedule_words("*/15 * * * *"), "every 15 minutes");
        assert_eq!(schedule_words("5 * * * *"), "hourly at minute 5");
        assert_eq!(schedule_words("0 3 1 * *"), "monthly on day 1 at 03:00 UTC");
        assert_eq!(schedule_words("@daily"), "daily at 00:00 UTC");
        assert_eq!(
            schedule_words("None"),
            "not scheduled (triggered by hand or by other DAGs)"
        );
        assert_eq!(schedule_words("0 0 1 1 *"), "0 0 1 1 *", "shown as it is");
        assert_eq!(schedule_words("Asset"), "Asset");
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
