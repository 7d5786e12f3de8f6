//! `platc`: argument parsing, files and exit codes around the library pipeline.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use platc::{compile, render_problems, CompileError, Style};

/// Exit codes: 0 success, 1 drift (check/diff), 2 invalid platform.toml or usage,
/// 3 file system error, 4 internal error.
const EXIT_DRIFT: u8 = 1;
const EXIT_INVALID: u8 = 2;
const EXIT_IO: u8 = 3;
const EXIT_INTERNAL: u8 = 4;

#[derive(Parser)]
#[command(
    name = "platc",
    version,
    about = "Compiles platform.toml into Kustomize overlays, Helm values, Terraform and workflows",
    long_about = "Compiles platform.toml into Kustomize overlays, Helm values, Terraform and delivery \
                  workflows.\n\nExit codes: 0 success, 1 output drifted (check, diff), 2 invalid \
                  platform.toml or usage error, 3 file system error, 4 internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Input {
    /// The platform description to compile.
    #[arg(short, long, value_name = "FILE", default_value = "platform.toml")]
    config: PathBuf,
}

#[derive(clap::Args)]
struct Output {
    #[command(flatten)]
    input: Input,
    /// Output directory [default: `deploy` next to the config file].
    #[arg(short, long, value_name = "DIR")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Render every output into the output directory (atomically; files platc did not
    /// generate are left alone).
    Render(Output),
    /// Exit 1 with a diff when the output directory differs from what platform.toml renders.
    Check(Output),
    /// Print the unified diff between the output directory and a fresh render (exit 1 when
    /// they differ).
    Diff(Output),
    /// Report every problem in platform.toml (exit 2 when there is one).
    Validate(Input),
    /// May FROM reach TO? Evaluates the rendered NetworkPolicies (exit 0 allowed, 1 denied).
    ///
    /// Workloads are `app.service`, `app.service.database`, `app.service.cache`, and the
    /// shared peers `ingress`, `prometheus`, `dns`, `kafka`, `internet`, `managed:<cidr>`.
    Explain(ExplainArgs),
    /// Draw one stage of the platform (apps, services, calls, exposure, data, events).
    Graph(GraphArgs),
    /// Explain a diagnostic code such as `platc::calls::unknown-service`.
    ExplainError {
        /// The code, as printed above each problem.
        code: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(clap::Args)]
struct GraphArgs {
    #[command(flatten)]
    input: Input,
    /// Stage to draw [default: the first deployed stage, by name].
    #[arg(long)]
    stage: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "mermaid")]
    format: GraphFormat,
}

#[derive(clap::Args)]
struct ExplainArgs {
    #[command(flatten)]
    input: Input,
    /// Source workload, e.g. `shop.orders`.
    from: String,
    /// Destination workload, e.g. `shop.payment` or `shop.orders.database`.
    to: String,
    /// Stage to look at [default: the first stage, by name, where both exist].
    #[arg(long)]
    stage: Option<String>,
    /// Destination port [default: the destination's own port].
    #[arg(long)]
    port: Option<u16>,
    /// Ask about UDP instead of TCP.
    #[arg(long)]
    udp: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(input) => match with_source(&input, platc::resolve) {
            Ok((path, _)) => {
                println!("{path}: valid");
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Explain(args) => explain(&args),
        Command::Graph(args) => graph(&args),
        Command::ExplainError { code } => match platc::explain_error(&code) {
            Some(text) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: unknown diagnostic code `{code}`");
                eprintln!("help: codes look like `platc::calls::unknown-service`; all are listed in docs/diagnostics.md");
                ExitCode::from(EXIT_INVALID)
            }
        },
        Command::Render(o) => run(&o, Mode::Render),
        Command::Check(o) => run(&o, Mode::Check),
        Command::Diff(o) => run(&o, Mode::Diff),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Render,
    Check,
    Diff,
}

fn style() -> Style {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    Style { color, width: 100 }
}

fn read(path: &Path) -> Option<(String, String)> {
    let shown = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(s) => Some((shown, s)),
        Err(e) => {
            eprintln!("error: cannot read {shown}: {e}");
            eprintln!("help: pass the platform description with `-c path/to/platform.toml`");
            None
        }
    }
}

fn output_dir(o: &Output) -> PathBuf {
    match &o.output {
        Some(dir) => dir.clone(),
        None => match o.input.config.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.join("deploy"),
            _ => PathBuf::from("deploy"),
        },
    }
}

/// Reads the config and runs `f` on its text; a read failure or a compile error becomes the
/// matching exit code, with the diagnostics printed.
fn with_source<T>(
    input: &Input,
    f: impl FnOnce(&str) -> Result<T, CompileError>,
) -> Result<(String, T), ExitCode> {
    let (path, source) = read(&input.config).ok_or(ExitCode::from(EXIT_IO))?;
    match f(&source) {
        Ok(value) => Ok((path, value)),
        Err(CompileError::Invalid(problems)) => {
            eprint!("{}", render_problems(&path, &source, &problems, style()));
            Err(ExitCode::from(EXIT_INVALID))
        }
        Err(CompileError::Internal(msg)) => {
            eprintln!("error: internal error in platc: {msg}");
            eprintln!("help: this is a bug; please report it with your platform.toml");
            Err(ExitCode::from(EXIT_INTERNAL))
        }
    }
}

fn run(o: &Output, mode: Mode) -> ExitCode {
    let (path, tree) = match with_source(&o.input, compile) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let dir = output_dir(o);
    match mode {
        Mode::Render => match platc_write::write(&tree, &dir) {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("warning: {w}");
                }
                if report.swapped {
                    println!(
                        "{}: {} written, {} unchanged, {} removed",
                        dir.display(),
                        report.written.len(),
                        report.unchanged,
                        report.deleted.len()
                    );
                } else {
                    println!("{}: up to date ({} files)", dir.display(), report.unchanged);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_IO)
            }
        },
        Mode::Check | Mode::Diff => match platc_write::compare(&tree, &dir) {
            Ok(drift) if drift.is_clean() => {
                if mode == Mode::Check {
                    println!("{}: up to date ({} files)", dir.display(), tree.len());
                }
                ExitCode::SUCCESS
            }
            Ok(drift) => {
                print!("{}", drift.unified_diff());
                if mode == Mode::Check {
                    eprintln!(
                        "error: {} is out of date with {path}\nhelp: run `platc render -c {path}` and commit the result",
                        dir.display()
                    );
                }
                ExitCode::from(EXIT_DRIFT)
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_IO)
            }
        },
    }
}

fn explain(args: &ExplainArgs) -> ExitCode {
    let (_, (ir, tree)) = match with_source(&args.input, platc::compile_with_ir) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let q = platc::explain::Question {
        from: &args.from,
        to: &args.to,
        stage: args.stage.as_deref(),
        port: args.port,
        udp: args.udp,
    };
    match platc::explain::explain(&ir, &tree, &q) {
        Ok((allowed, text)) => {
            print!("{text}");
            if allowed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_DRIFT)
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

fn graph(args: &GraphArgs) -> ExitCode {
    let (_, ir) = match with_source(&args.input, platc::resolve) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let format = match args.format {
        GraphFormat::Mermaid => platc::graph::Format::Mermaid,
        GraphFormat::Dot => platc::graph::Format::Dot,
    };
    match platc::graph::graph(&ir, args.stage.as_deref(), format) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}
