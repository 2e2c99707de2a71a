//! The `gosync` command: argument parsing and printing around the `gosync`
//! crate. Every capability it shows lives in the library or its examples.

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand};

mod tour;

/// Go's concurrency toolkit in Rust, shown by running it.
#[derive(Parser)]
#[command(name = "gosync", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the ported Go tutorial programs, saying what each shows.
    Tour(TourArgs),
}

#[derive(Args)]
struct TourArgs {
    /// Run only this program (see --list).
    #[arg(value_parser = PossibleValuesParser::new(tour::STOPS.iter().map(|s| s.name)))]
    name: Option<String>,

    /// List the programs instead of running them.
    #[arg(long, conflicts_with = "name")]
    list: bool,
}

fn main() {
    match Cli::parse().command {
        Command::Tour(args) => {
            if args.list {
                tour::list();
                return;
            }
            let stops: Vec<&tour::Stop> = match args.name.as_deref() {
                Some(name) => vec![tour::find(name).expect("clap checked the name")],
                None => tour::STOPS.iter().collect(),
            };
            tour::run(&stops);
        }
    }
}
