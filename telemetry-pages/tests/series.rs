//! The numbers of the pages and the JSON API, on small populations whose every number
//! can be worked out by hand: reports filtered by the real client filter, aggregated,
//! and read back as series, participation and the decide summary.

use std::collections::BTreeMap;

use telemetry_formats::config::{Config, CounterConfig, ProgramConfig, StackConfig};
use telemetry_formats::date;
use telemetry_formats::report::Report;
use telemetry_formats::upload;
use telemetry_pages::rates::{ConfigRates, RatesByKey, by_key};
use telemetry_pages::series::{self, Kind};
use telemetry_pages::stats::{self, Estimate};
use telemetry_pages::{Aggregate, Indexed, decide};

const WEEK1: &str = "2026-11-19";
const WEEK2: &str = "2026-11-26";

fn config(sample_rate: f64) -> Config {
    let counter = |name: &str, rate: f64| CounterConfig {
        name: name.into(),
        rate,
        expires: None,
    };
    Config {
        format: 1,
        version: 1,
        sample_rate,
        programs: vec![ProgramConfig {
            name: "kv".into(),
            versions: ">=0.1, <1".into(),
            os: vec!["linux".into()],
            arch: vec!["x86_64".into()],
            counters: vec![
                counter("kv/command:{get,set}", 1.0),
                counter("kv/latency:{<1ms,<10ms,>=10ms}", 1.0),
                counter("kv/rare", 0.5),
                counter("kv/never", 0.5),
            ],
            stacks: vec![StackConfig {
                name: "kv/bug".into(),
                depth: 2,
                rate: 1.0,
                expires: None,
            }],
        }],
    }
}

/// What the server would store of a report of kv 0.1.0 (or `version`) with `x` and
/// `counters`: the client's filter's output, naming the config.
fn sent(
    config: &Config,
    week: &str,
    x: f64,
    version: &str,
    counters: &[(&str, u64)],
) -> Option<Report> {
    let mut local = test_support::kv_report(week, x, "", counters, &[]);
    local.programs[0].version = version.into();
    let end = date::parse(week).unwrap();
    let (sent, _) = upload::filter(&local, config, 0, end + 1, "");
    sent
}

/// A report as sent: its week, its `x`, kv's version and its counters.
type Sent<'a> = (&'a str, f64, &'a str, &'a [(&'a str, u64)]);

fn aggregate(config: &Config, reports: &[Sent]) -> Aggregate {
    let rates = ConfigRates::new(config);
    let mut aggregate = Aggregate::new();
    for (week, x, version, counters) in reports {
        if let Some(report) = sent(config, week, *x, version, counters) {
            aggregate.add(&report, &rates);
        }
    }
    aggregate
}

/// Week 1: four reports at sample rate 1. Only the two with x <= 0.5 can carry
/// `kv/rare`; one of them does.
fn one_week() -> (Aggregate, BTreeMap<String, ConfigRates>) {
    let config = config(1.0);
    let aggregate = aggregate(
        &config,
        &[
            (
                WEEK1,
                0.1,
                "0.1.0",
                &[("kv/command:get", 3), ("kv/rare", 2), ("kvlite/x", 1)],
            ),
            (
                WEEK1,
                0.3,
                "0.1.0",
                &[("kv/command:get", 1), ("kv/latency:<10ms", 4)],
            ),
            (
                WEEK1,
                0.6,
                "0.2.0",
                &[
                    ("kv/command:get", 2),
                    ("kv/rare", 5),
                    ("kv/latency:<1ms", 1),
                ],
            ),
            (
                WEEK1,
                0.9,
                "0.2.0",
                &[("kv/command:get", 1), ("kv/latency:>=10ms", 2)],
            ),
        ],
    );
    (aggregate, by_key([&config]))
}

#[test]
fn a_sampled_counter_has_its_estimate_share_and_intervals() {
    let (aggregate, rates) = one_week();
    let series = series::series(&aggregate, &rates, "kv", "kv/rare", 0.95).unwrap();
    assert_eq!(series.kind, Kind::Counter);
    assert!(series.members.is_empty());
    let [week] = &series.weeks[..] else {
        panic!("{series:?}")
    };
    assert_eq!(
        (week.week.as_str(), week.reports, week.carrying),
        (WEEK1, 4, 1)
    );
    // The report with x = 0.6 had kv/rare too, but the filter left it out.
    assert_eq!((week.total, week.estimate), (2, 4.0));
    // 1 of the 2 reports with x <= 0.5, which are half the population.
    let share = stats::wilson(1.0, 2.0, 0.5, stats::z(0.95));
    assert_eq!(week.share_estimate(), share);
    assert_eq!(week.share, 0.5);
    assert!(!week.exact);
    // One carrying report: the total's spread is unknown, so no upper bound.
    assert_eq!(
        week.total_estimate(),
        Estimate {
            estimate: 4.0,
            low: 2.0,
            high: None
        }
    );
}

#[test]
fn an_unsampled_counter_is_exact_and_a_counter_never_seen_has_an_upper_bound() {
    let (aggregate, rates) = one_week();
    let get = series::series(&aggregate, &rates, "kv", "kv/command:get", 0.95).unwrap();
    let week = &get.weeks[0];
    assert!(week.exact);
    assert_eq!(
        (week.carrying, week.total, week.estimate, week.share),
        (4, 7, 7.0, 1.0)
    );
    assert_eq!((week.low, week.high), (7.0, Some(7.0)));
    // Never carried, at rate 1: exactly nobody.
    let set = series::series(&aggregate, &rates, "kv", "kv/command:set", 0.95).unwrap();
    assert!(set.weeks[0].exact && set.weeks[0].share == 0.0);
    // Never carried, at rate 0.5: none of 2, so an upper bound of the share, and no
    // upper bound of the total.
    let never = series::series(&aggregate, &rates, "kv", "kv/never", 0.95).unwrap();
    let week = &never.weeks[0];
    assert_eq!((week.carrying, week.share, week.share_low), (0, 0.0, 0.0));
    assert_eq!(
        week.share_high,
        stats::wilson(0.0, 2.0, 0.5, stats::z(0.95)).high.unwrap()
    );
    assert_eq!(week.high, None);
    // Not counted by this program and not in the config: no series.
    assert!(series::series(&aggregate, &rates, "kv", "kvlite/x", 0.95).is_none());
    assert!(series::series(&aggregate, &rates, "kv", "kv/nothing", 0.95).is_none());
    assert!(series::series(&aggregate, &rates, "other", "kv/rare", 0.95).is_none());
}

#[test]
fn a_histogram_lists_its_buckets_in_bound_order_and_a_family_counts_any_member() {
    let (aggregate, rates) = one_week();
    let latency = series::series(&aggregate, &rates, "kv", "kv/latency", 0.95).unwrap();
    assert_eq!(latency.kind, Kind::Histogram);
    let members: Vec<&str> = latency.members.iter().map(|m| m.counter.as_str()).collect();
    assert_eq!(
        members,
        ["kv/latency:<1ms", "kv/latency:<10ms", "kv/latency:>=10ms"]
    );
    let week = &latency.weeks[0];
    assert_eq!((week.carrying, week.total), (3, 7));
    let command = series::series(&aggregate, &rates, "kv", "kv/command", 0.95).unwrap();
    assert_eq!(command.kind, Kind::Family);
    let members: Vec<&str> = command.members.iter().map(|m| m.counter.as_str()).collect();
    assert_eq!(members, ["kv/command:get", "kv/command:set"]);
}

#[test]
fn the_api_form_names_every_field() {
    let (aggregate, rates) = one_week();
    let series = series::series(&aggregate, &rates, "kv", "kv/rare", 0.9).unwrap();
    let json: serde_json::Value = serde_json::to_value(&series).unwrap();
    let keys =
        |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    assert_eq!(
        keys(&json),
        ["counter", "kind", "level", "program", "weeks"]
    );
    assert_eq!(json["level"], 0.9);
    assert_eq!(json["kind"], "counter");
    assert_eq!(
        keys(&json["weeks"][0]),
        [
            "carrying",
            "estimate",
            "exact",
            "high",
            "low",
            "reports",
            "share",
            "share_high",
            "share_low",
            "total",
            "week"
        ]
    );
    assert_eq!(json["weeks"][0]["high"], serde_json::Value::Null);
    let family =
        serde_json::to_value(series::series(&aggregate, &rates, "kv", "kv/command", 0.95)).unwrap();
    assert_eq!(family["members"][0]["counter"], "kv/command:get");
    assert!(family["members"][0]["weeks"].is_array());
}

#[test]
fn participation_is_reports_over_the_sample_rate_with_the_binomial_interval() {
    let config = config(0.5);
    let aggregate = aggregate(
        &config,
        &[
            (WEEK1, 0.1, "0.1.0", &[("kv/command:get", 1)]),
            (WEEK1, 0.2, "0.2.0", &[("kv/command:get", 1)]),
            (WEEK1, 0.4, "0.2.0", &[("kv/command:get", 1)]),
            // Sampled out by the client: never seen.
            (WEEK1, 0.7, "0.2.0", &[("kv/command:get", 1)]),
        ],
    );
    let participation = series::participation(&aggregate, "kv", 0.95).unwrap();
    let week = &participation.weeks[0];
    assert_eq!((week.reports, week.installations), (3, 6.0));
    let (low, high) = stats::binomial_total(3.0, 0.5, stats::z(0.95));
    assert_eq!((week.low, week.high), (low, high));
    assert!(!week.exact);
    let versions: Vec<(&str, u64)> = week
        .versions
        .iter()
        .map(|m| (m.value.as_str(), m.reports))
        .collect();
    assert_eq!(versions, [("0.2.0", 2), ("0.1.0", 1)]);
    let expected = stats::wilson(2.0, 3.0, 0.5, stats::z(0.95)).high.unwrap();
    assert!((week.versions[0].share_high - expected).abs() < 1e-12);
    assert!(series::participation(&aggregate, "other", 0.95).is_none());
    // At sample rate 1, a count.
    let (exact, _) = one_week();
    let week = &series::participation(&exact, "kv", 0.95).unwrap().weeks[0];
    assert!(week.exact && week.installations == 4.0 && week.low == 4.0 && week.high == 4.0);
}

#[test]
fn decide_lists_what_is_rare_what_moved_and_the_versions_in_use() {
    let config = config(1.0);
    let rates = by_key([&config]);
    let mut reports: Vec<Sent> = Vec::new();
    // Week 1: 40 reports, each with get; set in 30 of them.
    for i in 0..40 {
        let x = (i as f64 + 0.5) / 40.0;
        let counters: &[(&str, u64)] = if i < 30 {
            &[("kv/command:get", 1), ("kv/command:set", 1)]
        } else {
            &[("kv/command:get", 1)]
        };
        reports.push((WEEK1, x, "0.1.0", counters));
    }
    // Week 2: 40 reports, set in 2 of them, latency in 1.
    for i in 0..40 {
        let x = (i as f64 + 0.5) / 40.0;
        let counters: &[(&str, u64)] = match i {
            0 | 1 => &[("kv/command:get", 1), ("kv/command:set", 1)],
            2 => &[("kv/command:get", 1), ("kv/latency:<1ms", 1)],
            _ => &[("kv/command:get", 1)],
        };
        reports.push((WEEK2, x, if i < 10 { "0.2.0" } else { "0.1.0" }, counters));
    }
    let weeks = Indexed::new(aggregate(&config, &reports));
    let d = decide::decide(&weeks, &rates, "kv", None, 0.06, 0.95).unwrap();
    assert_eq!(d.reporting.week, WEEK2);
    assert_eq!(d.previous.as_deref(), Some(WEEK1));
    let rare: Vec<(&str, bool)> = d
        .rare
        .iter()
        .map(|r| (r.counter.as_str(), r.confident))
        .collect();
    // At sample rate 1 and rate 1 every share is exact: 0, 1/40 and 2/40 are below 6%
    // for certain. kv/rare and kv/never (rate 0.5) are 0 of the 20 reports with
    // x <= 0.5, half the population: their upper bound (8.8%) is above 6%.
    assert_eq!(
        rare,
        [
            ("kv/bug", true),
            ("kv/latency:<10ms", true),
            ("kv/latency:>=10ms", true),
            ("kv/latency", true),
            ("kv/latency:<1ms", true),
            ("kv/command:set", true),
            ("kv/never", false),
            ("kv/rare", false),
        ]
    );
    assert!((d.rare[6].week.share_high - 0.0876).abs() < 1e-4);
    let moved = &d.movers[0];
    assert_eq!(moved.counter, "kv/command:set");
    assert_eq!((moved.before.share, moved.after.share), (0.75, 0.05));
    assert!(moved.beyond_noise && (moved.change + 0.7).abs() < 1e-12);
    let versions: Vec<(&str, u64)> = d
        .versions
        .iter()
        .map(|m| (m.value.as_str(), m.reports))
        .collect();
    assert_eq!(versions, [("0.2.0", 10), ("0.1.0", 30)]);
    // An earlier week is summarized on request; a week without kv is not.
    let first = decide::decide(&weeks, &rates, "kv", Some(WEEK1), 0.06, 0.95).unwrap();
    assert_eq!((first.previous, first.movers.len()), (None, 0));
    assert!(decide::decide(&weeks, &rates, "kv", Some("2026-12-03"), 0.06, 0.95).is_none());
}

#[test]
fn names_unknown_to_a_config_fall_back_to_the_reports_alone() {
    let (aggregate, _) = one_week();
    let none = telemetry_pages::render::NoRates;
    assert!(none.rates("1").is_none());
    let rare = series::series(&aggregate, &none, "kv", "kv/rare", 0.95).unwrap();
    // Without the config the eligible reports are unknown: the share is the weighted
    // count over the estimated installations.
    // (2 estimated reports of 4 installations)
    assert_eq!(rare.weeks[0].share, 0.5);
}

#[test]
fn a_series_finds_the_same_name_and_members_as_the_list_of_every_name() {
    // series() looks up only the names under the one asked for; the answer must be
    // what the whole list gives.
    let (aggregate, rates) = one_week();
    let names = series::names(&aggregate, "kv", &rates);
    assert!(names.len() > 5, "{names:?}");
    for (kind, name) in &names {
        let s = series::series(&aggregate, &rates, "kv", name, 0.95).expect("a series");
        assert_eq!(Some(s.kind), series::kind_of(&names, name), "{name}");
        let members: Vec<&str> = s.members.iter().map(|m| m.counter.as_str()).collect();
        let mut expected: Vec<&str> = names
            .iter()
            .filter(|(k, n)| match kind {
                Kind::Family | Kind::Histogram => {
                    *k == Kind::Counter && series::family_of(n) == Some(name.as_str())
                }
                Kind::Stack => *k == Kind::Chain && n.split('\n').next() == Some(name.as_str()),
                _ => false,
            })
            .map(|(_, n)| n.as_str())
            .collect();
        if *kind == Kind::Histogram {
            expected.sort_by(|a, b| telemetry_rules::bucket::cmp_names(a, b));
        }
        assert_eq!(members, expected, "{name}");
    }
}

#[test]
fn the_index_holds_every_name_but_chains_as_a_walk_through_every_week_finds_them() {
    // Two weeks under two configs: the second also collects a family no report has.
    let first = config(1.0);
    let mut second = config(1.0);
    second.version = 2;
    second.programs[0].counters.push(CounterConfig {
        name: "kv/fresh:{a,b}".into(),
        rate: 1.0,
        expires: None,
    });
    let mut aggregate = Aggregate::new();
    for (week, config) in [(WEEK1, &first), (WEEK2, &second)] {
        let rates = ConfigRates::new(config);
        for i in 0..6u64 {
            let chain = if i % 2 == 0 {
                "kv/bug\nkv/get"
            } else {
                "kv/bug\nkv/main"
            };
            let counters: &[(&str, u64)] = if i < 3 {
                &[("kv/command:get", 1), ("kv/latency:<1ms", 2)]
            } else {
                &[("kv/rare", 1)]
            };
            let local = test_support::kv_report(week, 0.1, "", counters, &[(chain, 1)]);
            let end = date::parse(week).unwrap();
            let (sent, _) = upload::filter(&local, config, 0, end + 1, "");
            aggregate.add(&sent.unwrap(), &rates);
        }
    }
    let rates = by_key([&first, &second]);
    let every = series::names(&aggregate, "kv", &rates);
    let chains = every.iter().filter(|(k, _)| *k == Kind::Chain).count();
    assert_eq!(chains, 2);
    let indexed = Indexed::new(aggregate.clone());
    let names = indexed.names("kv", &rates);
    let expected: std::collections::BTreeSet<(Kind, String)> = every
        .into_iter()
        .filter(|(k, _)| *k != Kind::Chain)
        .collect();
    assert_eq!(names, expected);
    for name in [
        (Kind::Stack, "kv/bug"),
        (Kind::Family, "kv/fresh"),
        (Kind::Counter, "kv/fresh:a"),
        (Kind::Histogram, "kv/latency"),
        (Kind::Counter, "kv/never"),
    ] {
        assert!(names.contains(&(name.0, name.1.to_string())), "{name:?}");
    }
    assert!(indexed.names("other", &rates).is_empty());
    assert_eq!(indexed.aggregate(), &aggregate);
    // Every name's weeks at once (chains too) are each name's weeks one by one.
    let every = series::names(&aggregate, "kv", &rates);
    let each = series::weeks_of_each(&aggregate, &rates, "kv", &every, 0.9);
    assert_eq!(each.len(), every.len());
    let mut weeks = 0;
    for name in &every {
        let one = series::weeks_of(&aggregate, &rates, "kv", name.0, &name.1, 0.9);
        assert_eq!(each.get(name), Some(&one), "{name:?}");
        weeks += one.len();
    }
    assert!(weeks > every.len(), "{weeks}");
}
