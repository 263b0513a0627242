//! `dbtool indexes --database-url URL [--user ID]`: prints the index report of a live database.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use db::{DEFAULT_SQLITE_URL, DbConfig};

#[derive(Parser)]
#[command(about = "Operator tooling over a live Swole Tracker database")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judge every secondary index: duplicates, prefixes, unused (from the services' query plans).
    Indexes {
        /// Database URL (`sqlite://…` or `postgres://…`).
        #[arg(long, env = "SWOLE_DATABASE_URL", default_value = DEFAULT_SQLITE_URL)]
        database_url: String,
        /// The user whose sample queries are planned (plans can depend on the statistics).
        #[arg(long, default_value_t = 1)]
        user: i64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(it) => it,
        Err(err) => return fail(&err.into()),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {err:#}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Indexes { database_url, user } => {
            let db = db::connect(&DbConfig::new(&database_url)?).await?;
            let report = dbtool::report(&db, user).await?;
            let _ = write!(std::io::stdout(), "{}", report.render());
            Ok(())
        }
    }
}
