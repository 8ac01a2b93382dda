fn main() {
    let editors = telemetry::counter!("ui/editor:{vscode,vim}");
    editors.inc("vim");
    editors.inc("vim");
    editors.inc("vscode");
    assert_eq!(editors.with("vim").get(), 2);
    assert_eq!(
        telemetry::registry().get("ui/editor:vscode").unwrap().get(),
        1
    );
    assert_eq!(
        telemetry::registry().get("ui/editor:other").unwrap().get(),
        0
    );
    assert_eq!(editors.labels(), ["vscode", "vim", "other"]);
}
