// Built three times: with TELEMETRY_DEFAULT_MODE=off and TELEMETRY_DEFAULT_PROMPT=never,
// then with only TELEMETRY_DEFAULT_MODE=local, then with neither. Each run is told
// which build it is by DISTRIBUTOR_EXPECT (read when it runs, not when it builds), so a
// build that cargo did not redo after the settings changed fails here.
use telemetry::{DefaultMode, Mode, ModeSource, PromptOutcome, Suppressed};

fn main() {
    let expect = std::env::var("DISTRIBUTOR_EXPECT").expect("DISTRIBUTOR_EXPECT is set");
    let root = std::env::temp_dir().join(format!("distributor-{}", std::process::id()));
    std::fs::create_dir_all(&root).unwrap();
    // SAFETY: no other thread runs yet.
    unsafe {
        std::env::set_var("TELEMETRY_DIR", &root);
        std::env::set_var("TELEMETRY_PROMPT", "now");
        std::env::remove_var("TELEMETRY_MODE");
        std::env::remove_var("DO_NOT_TRACK");
        std::env::remove_var("TELEMETRY_POLICY");
    }
    let program = telemetry::program!();
    let defaults = program.defaults();
    let distributor = program.distributor_setting();
    let session = program
        .prompt(telemetry::prompt!("to check the distributor's switch"))
        .start();
    let written = std::fs::read_dir(&root).unwrap().count();
    match expect.as_str() {
        "off never" => {
            assert_eq!(defaults.distributor, Some(DefaultMode::Off));
            assert!(distributor);
            assert_eq!(session.mode(), Mode::Off);
            assert_eq!(session.mode_source(), &ModeSource::Distributor);
            assert_eq!(session.prompt(), &PromptOutcome::Suppressed(Suppressed::Distributor));
            assert_eq!(written, 0, "off writes nothing");
        }
        "local" => {
            assert_eq!(defaults.distributor, Some(DefaultMode::Local));
            assert!(distributor, "a distributor's default mode alone stops the prompt");
            assert_eq!(session.mode(), Mode::Local);
            assert_eq!(session.mode_source(), &ModeSource::Distributor);
            assert_eq!(session.prompt(), &PromptOutcome::Suppressed(Suppressed::Distributor));
            assert_eq!(written, 1, "local counts to files");
        }
        "none" => {
            assert_eq!(defaults.distributor, None);
            assert!(!distributor);
            assert_eq!(session.mode(), Mode::Local);
            assert_eq!(session.mode_source(), &ModeSource::Default);
            assert_eq!(session.prompt(), &PromptOutcome::Suppressed(Suppressed::NoCollector));
        }
        other => panic!("unknown DISTRIBUTOR_EXPECT {other}"),
    }
    std::fs::remove_dir_all(&root).unwrap();
}
