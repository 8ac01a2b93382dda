//! The commands as a clap subcommand (feature `clap`): clap routes `mytool telemetry
//! …` here and leaves every argument after `telemetry` alone, and this crate parses
//! them, so the words, `--help` and exit statuses are those of every other host.
//!
//! With clap's derive, a variant holds [`TelemetryArgs`]:
//!
//! ```
//! # use clap_builder as clap;
//! use telemetry_command::clap::TelemetryArgs;
//!
//! // #[derive(clap::Subcommand)] enum Command { …, Telemetry(TelemetryArgs) }
//! // With the builder, the same subcommand:
//! let cli = clap::Command::new("mytool").subcommand(telemetry_command::clap::subcommand("telemetry"));
//! let matches = cli.get_matches_from(["mytool", "telemetry", "status", "--help"]);
//! let (name, sub) = matches.subcommand().unwrap();
//! assert_eq!(name, "telemetry");
//! let args = <TelemetryArgs as clap::FromArgMatches>::from_arg_matches(sub).unwrap();
//! assert_eq!(args.args, ["status", "--help"]);
//! ```

use std::ffi::OsString;

use clap_builder as clap;

/// The name of the one argument that takes everything after the subcommand.
const ARGS: &str = "args";

/// The arguments of a `telemetry` subcommand, as clap hands them over: everything
/// after the subcommand's name, unparsed. Run them with [`crate::main`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TelemetryArgs {
    /// The arguments after `telemetry`.
    pub args: Vec<OsString>,
}

impl clap::FromArgMatches for TelemetryArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let args = matches
            .get_many::<OsString>(ARGS)
            .map(|values| values.cloned().collect())
            .unwrap_or_default();
        Ok(TelemetryArgs { args })
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = TelemetryArgs::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for TelemetryArgs {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .about("Turn this program's telemetry on, off or local, and look at what it counted")
            .long_about(
                "Turn this program's telemetry on, off or local, and look at or delete what \
                 it counted. `telemetry help` lists the commands.",
            )
            .disable_help_flag(true)
            .disable_version_flag(true)
            .arg(
                clap::Arg::new(ARGS)
                    .num_args(0..)
                    .trailing_var_arg(true)
                    .allow_hyphen_values(true)
                    .value_parser(clap::value_parser!(OsString))
                    .action(clap::ArgAction::Append),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        TelemetryArgs::augment_args(command)
    }
}

/// A clap subcommand named `name` (usually `telemetry`) that hands every argument
/// after it to this crate.
pub fn subcommand(name: &'static str) -> clap::Command {
    <TelemetryArgs as clap::Args>::augment_args(clap::Command::new(name))
}
