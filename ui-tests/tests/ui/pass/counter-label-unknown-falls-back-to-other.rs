fn main() {
    let editors = telemetry::counter!("ui/editor:{vscode,vim}");
    editors.inc("notepad");
    editors.inc("emacs");
    assert_eq!(editors.with("other").get(), 2);
    assert_eq!(editors.with("notepad").get(), 2);
    assert!(editors.get("notepad").is_none());
    assert_eq!(
        telemetry::registry().get("ui/editor:other").unwrap().get(),
        2
    );
    assert!(telemetry::registry().get("ui/editor:notepad").is_none());
}
