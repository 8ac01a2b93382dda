//! The pages as a reader sees them: every name findable by its full name and linked to
//! its own page, estimates written with their intervals and counts as counts, and what
//! opt-in data cannot tell said on the page.

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig};
use telemetry_formats::date;
use telemetry_formats::upload;
use telemetry_pages::decide;
use telemetry_pages::rates::{ConfigRates, by_key};
use telemetry_pages::render::{self, Links};
use telemetry_pages::{Aggregate, Indexed, Unsampled, stats};

const WEEKS: [&str; 3] = ["2026-11-12", "2026-11-19", "2026-11-26"];

fn config() -> Config {
    let counter = |name: &str, rate: f64| CounterConfig {
        name: name.into(),
        rate,
        expires: None,
    };
    Config {
        format: 1,
        version: 3,
        sample_rate: 0.5,
        programs: vec![ProgramConfig {
            name: "kv".into(),
            versions: "*".into(),
            os: vec!["linux".into()],
            arch: vec!["x86_64".into()],
            counters: vec![
                counter("kv/command:{get,set}", 1.0),
                counter("kv/latency:{<1ms,<10ms,>=10ms}", 1.0),
                counter("kv/commands/scan", 0.25),
                counter("kv/legacy", 0.25),
            ],
            stacks: vec![],
        }],
    }
}

/// Three weeks of 60 installations at sample rate 0.5: the ones with x <= 0.5 report.
fn aggregate() -> Aggregate {
    let config = config();
    let rates = ConfigRates::new(&config);
    let mut rng = test_support::Rng(7);
    let mut aggregate = Aggregate::new();
    for week in WEEKS {
        for i in 0..60u64 {
            let mut counters = vec![("kv/command:get", 1 + i % 5), ("kv/latency:<1ms", 3)];
            if i % 3 == 0 {
                counters.push(("kv/command:set", 2));
                counters.push(("kv/latency:>=10ms", 1));
            }
            if i % 2 == 0 {
                counters.push(("kv/commands/scan", 4));
                counters.push(("kv/latency:<10ms", 2));
            }
            let local = test_support::kv_report(week, rng.unit(), "", &counters, &[]);
            let end = date::parse(week).unwrap();
            if let (Some(sent), _) = upload::filter(&local, &config, 0, end + 1, "") {
                aggregate.add(&sent, &rates);
            }
        }
    }
    aggregate
}

fn name_link(program: &str, name: &str) -> String {
    format!("/trends/{program}/{}", render::url_encode(name))
}

fn program_link(program: &str) -> String {
    format!("/trends/{program}")
}

fn week_link(week: &str) -> String {
    format!("/charts?week={week}")
}

const LINKS: Links<'static> = Links {
    week: &week_link,
    name: &name_link,
    program: &program_link,
};

fn no_inline_style(html: &str) {
    assert!(
        !html.contains("style="),
        "an inline style would break the CSP"
    );
    assert!(!html.contains("<script"), "no script");
}

#[test]
fn week_charts_write_estimates_with_intervals_and_full_names() {
    let aggregate = aggregate();
    let rates = by_key([&config()]);
    let html = render::week_charts(&aggregate, &rates, None, 0.95, &LINKS, &|_| None);
    no_inline_style(&html);
    assert!(html.contains("interval at 95%"));
    // The group of plain counters has no page of its own; its bars do.
    assert!(html.contains("<h3 id=\"kv:kv/commands/*\">kv/commands/*</h3>"));
    assert!(
        html.contains("<g id=\"kv:kv/commands/scan\"><a href=\"/trends/kv/kv/commands/scan\">")
    );
    assert!(html.contains(
        "<h3 id=\"kv:kv/latency\"><a href=\"/trends/kv/kv/latency\">kv/latency</a></h3>"
    ));
    // An estimate: ≈, its interval, how many of how many reports carried it.
    let title = html
        .split("<title>kv/commands/scan: ")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap();
    assert!(
        title.starts_with('≈') && title.contains(" of reporting installations"),
        "{title}"
    );
    assert!(title.contains(" reports; ≈"), "{title}");
    assert!(html.contains("class=\"whisker\""));
}

#[test]
fn a_program_page_lists_every_name_with_its_trend_and_says_what_opt_in_cannot_tell() {
    let weeks = Indexed::new(aggregate());
    let rates = by_key([&config()]);
    let html =
        render::program_page(&weeks, &rates, "kv", 0.95, &LINKS, Some("/decide/kv"), true).unwrap();
    no_inline_style(&html);
    assert!(html.contains(render::OPT_IN));
    assert!(html.contains("<a href=\"/decide/kv\">Decide</a>"));
    assert!(html.contains("<h2 id=\"installations\">Reporting installations</h2>"));
    assert!(html.contains("<title>kv: reporting installations</title>"));
    for name in [
        "kv/command",
        "kv/command:get",
        "kv/command:set",
        "kv/latency",
        "kv/latency:<1ms",
        "kv/commands/scan",
        "kv/legacy",
    ] {
        let escaped = render::escape(name);
        assert!(
            html.contains(&format!(
                "<a href=\"{}\"><code>{escaped}</code></a>",
                render::escape(&name_link("kv", name))
            )),
            "{name}"
        );
        assert!(
            html.contains(&format!("<tr id=\"kv:{escaped}\">")),
            "{name}"
        );
    }
    // Buckets of a histogram follow the histogram, in the order of their bounds.
    let at = |name: &str| {
        html.find(&format!("id=\"kv:{}\"", render::escape(name)))
            .unwrap()
    };
    assert!(at("kv/latency") < at("kv/latency:<1ms"));
    assert!(at("kv/latency:<1ms") < at("kv/latency:<10ms"));
    assert!(at("kv/latency:<10ms") < at("kv/latency:>=10ms"));
    // Nine names, and one value each of version, toolchain, os and arch.
    assert_eq!(html.matches("<svg class=\"spark\"").count(), 9 + 4);
    assert!(render::program_page(&weeks, &rates, "nope", 0.95, &LINKS, None, true).is_none());
}

#[test]
fn a_name_page_draws_its_share_and_total_across_weeks_and_a_histogram_by_bound() {
    let aggregate = aggregate();
    let rates = by_key([&config()]);
    let scan = render::counter_page(
        &aggregate,
        &rates,
        "kv",
        "kv/commands/scan",
        None,
        0.95,
        &LINKS,
    )
    .unwrap();
    no_inline_style(&scan);
    assert!(scan.contains("<h2>Share of reporting installations</h2>"));
    assert!(scan.contains("<h2>Estimated count</h2>"));
    assert_eq!(scan.matches("<circle class=\"latest\"").count(), 2);
    assert_eq!(scan.matches("<circle class=\"point\"").count(), 4);
    assert!(scan.contains("<title>kv/commands/scan, week of 2026-11-26: "));
    assert_eq!(
        scan.matches("<tr class=\"latest\"><td>2026-11-26</td>")
            .count(),
        1
    );
    let latency = render::counter_page(
        &aggregate,
        &rates,
        "kv",
        "kv/latency",
        Some(WEEKS[1]),
        0.95,
        &LINKS,
    )
    .unwrap();
    assert!(latency.contains("<h2>Histogram, week of 2026-11-19</h2>"));
    assert!(latency.contains("<a href=\"/trends/kv/kv/latency?week=2026-11-26\">2026-11-26</a>"));
    let histogram = latency
        .split("<svg class=\"chart histogram\"")
        .nth(1)
        .unwrap();
    let at = |bucket: &str| {
        histogram
            .find(&format!(">{}</text>", render::escape(bucket)))
            .unwrap()
    };
    assert!(at("<1ms") < at("<10ms") && at("<10ms") < at(">=10ms"));
    assert!(histogram.contains("<g id=\"kv:kv/latency:&lt;10ms@2026-11-19\">"));
    assert!(
        render::counter_page(&aggregate, &rates, "kv", "kv/none", None, 0.95, &LINKS).is_none()
    );
}

#[test]
fn the_decide_page_gives_verdicts_at_the_threshold_and_links_others() {
    let weeks = Indexed::new(aggregate());
    let rates = by_key([&config()]);
    let d = decide::decide(&weeks, &rates, "kv", None, 0.01, stats::LEVEL).unwrap();
    let html = render::decide_page(&d, &LINKS, &|t| format!("/decide/kv?below={t}"));
    no_inline_style(&html);
    assert!(html.contains(render::OPT_IN));
    assert!(html.contains("Used by fewer than 1% of reporting installations"));
    assert!(html.contains("<strong>1%</strong>"));
    assert!(html.contains("<a href=\"/decide/kv?below=0.004\">0.40%</a>"));
    // kv/legacy is never counted, but sampled at 0.25 of 0.5: it may be above 1%.
    assert!(html.contains("<code>kv/legacy</code>"));
    assert!(html.contains("<span class=\"within\">may be above</span>"));
    assert!(html.contains("<h2 id=\"moved\">Moved most since 2026-11-19</h2>"));
    assert!(html.contains("<h2 id=\"versions\">Versions in use</h2>"));
    assert!(html.contains("<tr><td><code>0.1.0</code></td>"));
}

#[test]
fn a_stack_counter_is_one_row_of_its_program_and_its_chains_are_on_its_own_page() {
    // Ten reports a week; kv/bug counted in three, by two distinct chains.
    let mut aggregate = Aggregate::new();
    for week in &WEEKS[1..] {
        for i in 0..10u64 {
            let stacks: &[(&str, u64)] = match i {
                0 | 1 => &[("kv/bug\nkv/get", 1)],
                2 => &[("kv/bug\nkv/set\nkv/main", 2)],
                _ => &[],
            };
            let report =
                test_support::kv_report(week, 0.5, "", &[("kv/command:get", 1 + i)], stacks);
            aggregate.add(&report, &Unsampled);
        }
    }
    let chains = ["kv/bug\nkv/get", "kv/bug\nkv/set\nkv/main"];
    let weeks = Indexed::new(aggregate);
    let program =
        render::program_page(&weeks, &Unsampled, "kv", 0.95, &LINKS, None, false).unwrap();
    assert!(program.contains(&format!(
        "<tr id=\"kv:kv/bug\"><td><a href=\"{}\"><code>kv/bug</code></a></td><td>stack counter</td>",
        render::escape(&name_link("kv", "kv/bug"))
    )));
    for chain in chains {
        assert!(
            !program.contains(&render::escape(&name_link("kv", chain))),
            "{chain:?}"
        );
        assert!(
            !program.contains(&format!("id=\"kv:{chain}\"")),
            "{chain:?}"
        );
    }
    // kv/bug, kv/command and kv/command:get, and no builds (as `telemetry view`).
    assert_eq!(program.matches("<svg class=\"spark\"").count(), 3);
    let bug = render::counter_page(
        weeks.aggregate(),
        &Unsampled,
        "kv",
        "kv/bug",
        None,
        0.95,
        &LINKS,
    )
    .unwrap();
    assert!(bug.contains("<h2>Chains</h2>"));
    for chain in chains {
        assert!(
            bug.contains(&format!(
                "<tr id=\"kv:{chain}\"><td><a href=\"{}\">",
                render::escape(&name_link("kv", chain))
            )),
            "{chain:?}"
        );
    }
    // The summary weighs the stack counter as a whole, never a chain: in 3 of 10
    // reports, it is below 50%.
    let d = decide::decide(&weeks, &Unsampled, "kv", None, 0.5, stats::LEVEL).unwrap();
    let rare: Vec<(&str, f64)> = d
        .rare
        .iter()
        .map(|r| (r.counter.as_str(), r.week.share))
        .collect();
    assert_eq!(rare, [("kv/bug", 0.3)]);
    assert!(d.movers.iter().all(|m| !m.counter.contains('\n')));
    assert!(d.movers.iter().any(|m| m.counter == "kv/bug"));
}

#[test]
fn trends_computed_once_draw_the_same_page_as_trends_computed_per_request() {
    let rates = by_key([&config()]);
    let each = Indexed::new(aggregate());
    let once = Indexed::with_trends(aggregate(), &rates);
    for level in [stats::LEVEL, 0.9] {
        let page = |weeks: &Indexed| {
            render::program_page(weeks, &rates, "kv", level, &LINKS, None, true).unwrap()
        };
        assert_eq!(page(&once), page(&each), "{level}");
    }
    // Computed without the config, the trends lack the names only it collects: those
    // are computed when the page is drawn.
    let without = Indexed::with_trends(aggregate(), &render::NoRates);
    let page = render::program_page(&without, &rates, "kv", 0.95, &LINKS, None, true).unwrap();
    assert!(page.contains("<tr id=\"kv:kv/legacy\">"));
    let page = render::program_page(&without, &render::NoRates, "kv", 0.95, &LINKS, None, true);
    assert!(!page.unwrap().contains("<tr id=\"kv:kv/legacy\">"));
}
