fn main() {
    let os = telemetry::counter!("ui/os:{other,linux,macos}");
    // `other` is already in the list: it is neither added again nor moved.
    assert_eq!(os.labels(), ["other", "linux", "macos"]);
    os.inc("linux");
    os.inc("plan9");
    os.inc("other");
    assert_eq!(os.with("linux").get(), 1);
    assert_eq!(os.with("other").get(), 2);
    let names = telemetry::registry()
        .iter()
        .filter(|c| c.name() == "ui/os:other")
        .count();
    assert_eq!(names, 1);
}
