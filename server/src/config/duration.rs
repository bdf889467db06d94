//! Human durations in configuration: `"45s"`, `"30m"`, `"8h"`, `"1d"`, `"1h30m"`.

use std::time::Duration;

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration (expected e.g. \"30m\", \"8h\", \"1d\")".into());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "bad duration {text:?}: unknown unit {ch:?} (use s, m, h or d, e.g. \"8h\")"
                ));
            }
        };
        let amount: u64 = digits
            .parse()
            .map_err(|_| format!("bad duration {text:?}: a number must come before {ch:?}"))?;
        digits.clear();
        total = amount
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(|| format!("bad duration {text:?}: too large"))?;
    }
    if !digits.is_empty() {
        return Err(format!(
            "bad duration {text:?}: the number {digits} has no unit (use s, m, h or d)"
        ));
    }
    if total == 0 {
        return Err(format!("bad duration {text:?}: must be longer than zero"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "8",
            "h",
            "8x",
            "8 hours",
            "0s",
            "-1h",
            "99999999999999999999d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
