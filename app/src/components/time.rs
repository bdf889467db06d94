//! The one time component: every time on every page goes through [`Time`] (and durations
//! through `time_text::duration`), so a time reads the same everywhere.
//!
//! Without JavaScript a time is shown in UTC, or in the zone the user fixed in their
//! settings, with the zone named. Once the page has hydrated it switches to the browser's own
//! zone (or the fixed one, through the browser's `Intl`: no zone database in the bundle).
//! The exact time is on hover; relative times ("3 min ago") move on by themselves.

use leptos::prelude::*;

use crate::time_text;

/// What every time on a page reads: the user's fixed zone (`None`: the browser's), whether
/// the page has hydrated (before that, times are what the server wrote), and the current
/// time for relative ones.
#[derive(Clone, Copy)]
pub struct TimeContext {
    pub zone: Signal<Option<String>>,
    pub hydrated: Signal<bool>,
    pub now_ms: Signal<i64>,
}

/// The reader's fixed zone (`None`: none fixed) as the server resolved it before rendering the
/// page, in the request's extensions (server only). Pages write their times as soon as their
/// own data is in, which may be before a zone read beside them: the zone must be known first.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct ReaderZone(pub Option<String>);

#[cfg(feature = "ssr")]
impl ReaderZone {
    /// The zone the page handler resolved for the request being rendered; `None` outside a
    /// page render (a server function called by the browser).
    pub fn of_request() -> Option<Self> {
        crate::functions::request_extension::<Self>()
    }
}

/// Called once by the app's root.
pub fn provide_time_context(zone: Signal<Option<String>>, hydrated: Signal<bool>) {
    let now = RwSignal::new(now_ms());
    #[cfg(feature = "hydrate")]
    {
        // Relative times ("3 min ago") move on while the page stays open.
        let tick = leptos::prelude::set_interval_with_handle(
            move || now.set(now_ms()),
            std::time::Duration::from_secs(30),
        );
        if let Ok(tick) = tick {
            on_cleanup(move || tick.clear());
        }
    }
    provide_context(TimeContext {
        zone,
        hydrated,
        now_ms: now.into(),
    });
}

fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A time from Airflow or Hangar (RFC 3339), "—" when there is none.
#[component]
pub fn Time(
    #[prop(into)] at: Option<String>,
    /// Show "3 min ago" (the exact time on hover) instead of the time itself.
    #[prop(optional)]
    relative: bool,
) -> impl IntoView {
    let Some(ms) = at.as_deref().and_then(time_text::parse_rfc3339) else {
        return view! { <span class="no-time">{at.unwrap_or_else(|| "—".into())}</span> }
            .into_any();
    };
    let context = use_context::<TimeContext>();
    // `try_get`: the context lives in the app's root; a render still finishing after the
    // root was disposed (the request ended) falls back to UTC instead of panicking.
    let zone = move || context.and_then(|c| c.zone.try_get().flatten());
    let hydrated = move || context.is_some_and(|c| c.hydrated.try_get().unwrap_or(false));
    let now = move || {
        context
            .and_then(|c| c.now_ms.try_get())
            .unwrap_or_else(now_ms)
    };
    let place = move || ZonePlace::at(ms, zone().as_deref(), hydrated());
    let exact = move || place().exact(ms);
    let shown = move || {
        if relative {
            time_text::relative(now(), ms)
        } else {
            place().shown(ms)
        }
    };
    view! {
        <time datetime=at.clone().unwrap_or_default() title=exact data-zone=move || place().zone
            data-testid="time">{shown}</time>
    }
    .into_any()
}

/// A time as HTML text, for rows the server writes as text (`dag_rows`): what [`Time`] renders
/// before hydration, in UTC (a kept page is shared by every viewer, whatever their zone).
/// Once the rows are in the browser, [`localize_text_times`] shows them in the reader's zone.
pub fn write_time_html(out: &mut String, at: Option<&str>) {
    let Some(ms) = at.and_then(time_text::parse_rfc3339) else {
        out.push_str("<span class=\"no-time\">");
        crate::html::escape_into(out, at.unwrap_or("—"));
        out.push_str("</span>");
        return;
    };
    let place = ZonePlace::utc();
    out.push_str("<time datetime=\"");
    crate::html::escape_into(out, at.unwrap_or_default());
    out.push_str("\" title=\"");
    crate::html::escape_into(out, &place.exact(ms));
    out.push_str("\" data-zone=\"UTC\" data-testid=\"time\">");
    crate::html::escape_into(out, &place.shown(ms));
    out.push_str("</time>");
}

/// Shows the `<time>`s [`write_time_html`] wrote under `root` in the reader's zone (the fixed
/// one from their settings, else the browser's), as [`Time`] does once hydrated.
#[cfg(feature = "hydrate")]
pub fn localize_text_times(root: &web_sys::Element) {
    let fixed = use_context::<TimeContext>().and_then(|c| c.zone.try_get_untracked().flatten());
    let Ok(times) = root.query_selector_all("time[datetime]") else {
        return;
    };
    for index in 0..times.length() {
        let Some(node) = times.item(index) else {
            continue;
        };
        let Ok(time) = wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(node) else {
            continue;
        };
        let at = time.get_attribute("datetime").unwrap_or_default();
        let Some(ms) = time_text::parse_rfc3339(&at) else {
            continue;
        };
        let place = browser::place(ms, fixed.as_deref()).unwrap_or_else(ZonePlace::utc);
        let _ = time.set_attribute("title", &place.exact(ms));
        let _ = time.set_attribute("data-zone", &place.zone);
        time.set_text_content(Some(&place.shown(ms)));
    }
}

/// A duration between two times, in words ("1 min 12 s"), or "—".
#[component]
pub fn Span(start: Option<String>, end: Option<String>) -> impl IntoView {
    time_text::between(start.as_deref(), end.as_deref()).unwrap_or_else(|| "—".into())
}

/// Where a time is shown: the zone's name, its short label and its offset at that time.
struct ZonePlace {
    zone: String,
    label: String,
    offset_minutes: i64,
}

impl ZonePlace {
    /// "2026-12-05 23:29 UTC"
    fn shown(&self, ms: i64) -> String {
        format!(
            "{} {}",
            time_text::wall_clock(ms, self.offset_minutes, false),
            self.label
        )
    }

    /// "2026-12-05 23:29:19 UTC (+00:00)", on hover.
    fn exact(&self, ms: i64) -> String {
        format!(
            "{} {} ({})",
            time_text::wall_clock(ms, self.offset_minutes, true),
            self.label,
            time_text::utc_offset(self.offset_minutes)
        )
    }

    fn utc() -> Self {
        Self {
            zone: "UTC".into(),
            label: "UTC".into(),
            offset_minutes: 0,
        }
    }

    fn at(ms: i64, fixed: Option<&str>, hydrated: bool) -> Self {
        #[cfg(feature = "hydrate")]
        if hydrated {
            return browser::place(ms, fixed).unwrap_or_else(Self::utc);
        }
        let _ = hydrated;
        #[cfg(feature = "ssr")]
        if let Some(zone) = fixed {
            return server::place(ms, zone).unwrap_or_else(Self::utc);
        }
        let _ = (ms, fixed);
        Self::utc()
    }
}

/// A fixed zone on the server, from the time-zone database built into the binary.
#[cfg(feature = "ssr")]
mod server {
    use super::ZonePlace;

    pub(super) fn place(ms: i64, zone: &str) -> Option<ZonePlace> {
        let tz = jiff::tz::TimeZone::get(zone).ok()?;
        let timestamp = jiff::Timestamp::from_millisecond(ms).ok()?;
        let info = tz.to_offset_info(timestamp);
        Some(ZonePlace {
            zone: zone.to_string(),
            label: info.abbreviation().to_string(),
            offset_minutes: i64::from(info.offset().seconds()) / 60,
        })
    }
}

/// The browser's zone, or a fixed one, through `Intl.DateTimeFormat`.
#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Array, Date, Intl, Object, Reflect};
    use wasm_bindgen::JsValue;

    use super::ZonePlace;

    pub(super) fn place(ms: i64, fixed: Option<&str>) -> Option<ZonePlace> {
        let options = Object::new();
        let set = |key: &str, value: &str| {
            let _ = Reflect::set(&options, &key.into(), &value.into());
        };
        for part in ["year", "month", "day", "hour", "minute", "second"] {
            set(part, "numeric");
        }
        set("hourCycle", "h23");
        set("timeZoneName", "short");
        if let Some(zone) = fixed {
            set("timeZone", zone);
        }
        let locales = Array::of1(&JsValue::from_str("en-US"));
        let format = Intl::DateTimeFormat::new(&locales, &options);
        let date = Date::new(&JsValue::from_f64(ms as f64));
        let parts = format.format_to_parts(&date);
        let mut values = std::collections::HashMap::new();
        for part in parts.iter() {
            let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
            let value = Reflect::get(&part, &"value".into()).ok()?.as_string()?;
            values.insert(kind, value);
        }
        let number = |kind: &str| values.get(kind)?.parse::<i64>().ok();
        let wall_ms =
            (crate::time_text::days_from_civil(number("year")?, number("month")?, number("day")?)
                * 86_400
                + number("hour")? * 3600
                + number("minute")? * 60
                + number("second")?)
                * 1000;
        let offset_minutes = (wall_ms - ms.div_euclid(1000) * 1000).div_euclid(60_000);
        let resolved = format.resolved_options();
        let zone = Reflect::get(&resolved, &"timeZone".into())
            .ok()
            .and_then(|z| z.as_string())
            .unwrap_or_else(|| "UTC".into());
        Some(ZonePlace {
            zone,
            label: values
                .get("timeZoneName")
                .cloned()
                .unwrap_or_else(|| crate::time_text::utc_offset(offset_minutes)),
            offset_minutes,
        })
    }
}
