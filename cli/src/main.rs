//! `syncwarden`: the operator's view of the sync history.

mod blockers;
mod input;
mod render;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use shared::events::EventFamily;
use shared::ids::ResourceId;
use shared::store::{HistoryStore, Retention, StateFilter, TABLE};
use shared::{Outcome, RecordError, Recorder};

/// Watch Git-synced CloudFormation stacks and CodePipeline runs: status, history, replay.
///
/// AWS settings come from the usual places (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, …);
/// the flags below override them.
#[derive(Debug, Parser)]
#[command(name = "syncwarden", version)]
struct Cli {
    /// The history table.
    #[arg(long, env = "TABLE_NAME", global = true)]
    table: Option<String>,
    /// AWS profile to use.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// AWS region to use.
    #[arg(long, global = true)]
    region: Option<String>,
    /// Send AWS requests here instead (e.g. a local DynamoDB-compatible server).
    #[arg(long, global = true)]
    endpoint_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the history table (for local use; in AWS the template creates it).
    Init,
    /// Current state of every tracked resource.
    Status {
        /// Only resources whose current state is failing.
        #[arg(long)]
        failing: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Print only the resource ids, one a line (for scripts: `for r in $(syncwarden status
        /// --names)`).
        #[arg(long, conflicts_with = "json")]
        names: bool,
    },
    /// What happened to one resource, newest first.
    History {
        /// stack/NAME (or just NAME), pipeline/NAME, or repository/LINK_ID@BRANCH.
        resource: ResourceId,
        /// At most this many entries.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Record EventBridge events through the functions' code path (redrive a DLQ, backfill an
    /// archive). Takes a file, a directory (every *.json / *.jsonl in it), or - for stdin; a
    /// file holds one JSON object, or one per line. Lambda on-failure records are unwrapped.
    Replay {
        /// File, directory, or - for standard input.
        input: PathBuf,
        /// History retention for recorded entries, in days.
        #[arg(long, env = "HISTORY_RETENTION_DAYS", default_value_t = Retention::DEFAULT_DAYS)]
        retention_days: u32,
        /// Print one JSON outcome per line.
        #[arg(long)]
        json: bool,
    },
    /// Active Git sync blockers, their age, and what the auto-resolve policy would decide
    /// (the policy comes from the AUTO_RESOLVE_* variables, as in the function).
    Blockers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Run the auto-resolve policy and action on a stack's blocker by hand. It acts only when
    /// the policy says Resolve and AUTO_RESOLVE_MODE=enforce; the decision is recorded either way.
    Resolve {
        /// The stack.
        stack: shared::ids::StackName,
        /// A specific blocker (default: the stack's active one).
        #[arg(long)]
        blocker: Option<String>,
        /// Who asks and why (recorded, and part of the ResolvedReason).
        #[arg(long)]
        reason: String,
        /// Decide and record, but do not resolve.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON instead of a line.
        #[arg(long)]
        json: bool,
    },
    /// Print (or write into template.yaml) the table definition as CloudFormation.
    #[command(hide = true)]
    Schema {
        /// Replace the generated block in this template file instead of printing.
        #[arg(long)]
        write: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    shared::telemetry::init_cli();
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("syncwarden: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Schema { write } = &cli.command {
        return schema(write.as_ref());
    }
    let table = cli.table.clone().context("no table: pass --table NAME or set TABLE_NAME")?;
    // The functions' timeouts: a hung endpoint fails the command instead of hanging it.
    let mut loader = shared::aws::loader();
    if let Some(profile) = &cli.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &cli.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(endpoint) = &cli.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let sdk = loader.load().await;
    let client = shared::aws::dynamodb(&sdk);
    let retention = match &cli.command {
        Command::Replay { retention_days, .. } => Retention::days(*retention_days),
        _ => Retention::default(),
    };
    let store = HistoryStore::new(client.clone(), table.clone(), retention);
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Init => {
            TABLE.create(&client, &table).await?;
            writeln!(out, "created table {table}")?;
        }
        Command::Status { failing, json, names } => {
            let filter = if failing { StateFilter::Failing } else { StateFilter::All };
            let states = store.states(filter).await?;
            if names {
                write!(out, "{}", render::state_names(&states))?;
            } else if json {
                serde_json::to_writer_pretty(&mut out, &render::states_json(&states))?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", render::states_table(&states))?;
            }
        }
        Command::History { resource, limit, json } => {
            let entries = store.history(&resource, limit).await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &entries)?;
                writeln!(out)?;
            } else if entries.is_empty() {
                writeln!(out, "no history for {resource}")?;
            } else {
                writeln!(out, "{resource}, newest first\n{}", render::history_table(&entries))?;
            }
        }
        Command::Replay { input, json, .. } => {
            let recorder = Recorder::new(store, EventFamily::ALL);
            return replay(&recorder, &input, json, &mut out).await;
        }
        Command::Blockers { json } => {
            let resolver = resolver(&sdk, store.clone())?;
            let rows = blockers::list(&store, &resolver).await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", blockers::table(&rows, resolver.config().settings.mode))?;
            }
        }
        Command::Resolve { stack, blocker, reason, dry_run, json } => {
            let resolver = resolver(&sdk, store)?;
            let request = shared::resolve::ResolveRequest {
                stack,
                blocker_id: blocker,
                requested_by: reason,
                dry_run,
            };
            let report = resolver.handle(&request).await?;
            if json {
                serde_json::to_writer_pretty(&mut out, &report)?;
                writeln!(out)?;
            } else {
                writeln!(out, "{}", blockers::report_line(&report))?;
            }
        }
        Command::Schema { .. } => unreachable!("handled above"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Records every event; reports each outcome and goes on past bad ones. Fails (exit 1) if any
/// event was not recorded; stops early only when the table itself is missing.
async fn replay(
    recorder: &Recorder,
    input: &std::path::Path,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let events = input::read(input)?;
    if events.is_empty() {
        bail!("no events found in {}", input.display());
    }
    let (mut recorded, mut ignored, mut failed) = (0usize, 0usize, 0usize);
    for event in &events {
        let result = match &event.bytes {
            Ok(bytes) => recorder.record(bytes).await,
            Err(error) => Err(RecordError::Event(error.clone())),
        };
        match &result {
            Ok(Outcome::Recorded(_)) => recorded += 1,
            Ok(Outcome::Ignored(_)) => ignored += 1,
            Err(_) => failed += 1,
        }
        writeln!(out, "{}", render::replay_line(&event.origin, &result, json))?;
        if let Err(RecordError::Store(error)) = &result
            && error.is_table_missing()
        {
            bail!("{error}");
        }
    }
    if !json {
        writeln!(
            out,
            "{recorded} recorded, {ignored} ignored, {failed} failed, {} read",
            events.len()
        )?;
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// The same action the function runs, with the policy from the environment.
fn resolver(sdk: &aws_config::SdkConfig, store: HistoryStore) -> Result<shared::resolve::Resolver> {
    let policy = shared::resolve::PolicyConfig::from_env(&shared::config::Env::process())?;
    let control = shared::clients::ControlPlane::new(
        shared::aws::codeconnections(sdk),
        shared::aws::codepipeline(sdk),
    );
    let stacks = shared::clients::Stacks::new(shared::aws::cloudformation(sdk));
    Ok(shared::resolve::Resolver::new(control, stacks, store, policy))
}

fn schema(write: Option<&PathBuf>) -> Result<ExitCode> {
    match write {
        None => print!("{}", TABLE.to_cloudformation()),
        Some(path) => {
            let template = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let updated = TABLE.splice_into(&template)?;
            std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
