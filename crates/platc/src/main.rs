//! `platc`: argument parsing, files and exit codes around the library pipeline.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use platc::{render_problems, CompileError, Style};

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
    /// Workloads are `app.service`, `app.service.database`, `app.service.cache`, pods an
    /// operator runs next to a store (`app.service.database.logical-backup`,
    /// `app.service.database.pooler`, `.router`, `.backup`, `.user-setup`), and the shared
    /// peers `ingress`, `prometheus`, `dns`, `kafka`, `internet`, `managed:<cidr>`.
    Explain(ExplainArgs),
    /// Draw one stage of the platform (apps, services, calls, exposure, data, events).
    Graph(GraphArgs),
    /// Add a service to platform.toml and scaffold its repository (Dockerfile, CI, dev
    /// container, Telepresence intercept).
    ///
    /// Only the new `[apps.APP.services.NAME]` table is added; the rest of the file stays byte
    /// for byte. Nothing is written when the result would not validate (exit 2).
    NewService(NewServiceArgs),
    /// Explain a diagnostic code such as `platc::calls::unknown-service`.
    ExplainError {
        /// The code, as printed above each problem.
        code: String,
    },
}

#[derive(clap::Args)]
struct NewServiceArgs {
    #[command(flatten)]
    input: Input,
    /// Name of the service (lower-case letters, digits and `-`, starting with a letter).
    name: String,
    /// App of the service; a new app is created when there is none of that name.
    #[arg(long)]
    app: String,
    /// Port the container listens on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Give the service its own database: postgresql, mysql or mongodb.
    #[arg(long, value_name = "ENGINE")]
    database: Option<String>,
    /// Expose the service publicly under this host label (`HOST.<stage>.<domain>`).
    #[arg(long, value_name = "HOST")]
    expose: Option<String>,
    /// Folder of the service repository to scaffold [default: `services/NAME` next to the
    /// config file]. It must not exist.
    #[arg(long, value_name = "DIR")]
    scaffold: Option<PathBuf>,
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
        Command::NewService(args) => new_service(&args),
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
        Err(CompileError::Internal(msg)) => Err(internal_error(&msg)),
    }
}

fn internal_error(msg: &str) -> ExitCode {
    eprintln!("error: internal error in platc: {msg}");
    eprintln!("help: this is a bug; please report it with your platform.toml");
    ExitCode::from(EXIT_INTERNAL)
}

/// What went wrong while rendering into a [`platc_write::Writer`] or
/// [`platc_write::Comparer`].
fn stream_error(e: platc::StreamError<platc_write::WriteError>) -> ExitCode {
    match e {
        platc::StreamError::Compile(CompileError::Internal(msg)) => internal_error(&msg),
        platc::StreamError::Compile(CompileError::Invalid(problems)) => internal_error(&format!(
            "{} problem(s) found after checking",
            problems.len()
        )),
        // Two emitters claiming one path is platc's bug, not the file system's.
        platc::StreamError::Sink(
            e @ (platc_write::WriteError::DuplicatePath { .. }
            | platc_write::WriteError::FileDirConflict { .. }),
        ) => internal_error(&format!(
            "two emitters claim `{}` (the same path, or a file and a directory)",
            e.path().display()
        )),
        platc::StreamError::Sink(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_IO)
        }
    }
}

/// Checks and resolves, then renders chunk by chunk straight into the writer (render) or the
/// comparison (check, diff): the whole tree is never in memory at once.
fn run(o: &Output, mode: Mode) -> ExitCode {
    let (path, ir) = match with_source(&o.input, platc::resolve) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // The front end is gone; give its memory back before the emitters allocate theirs.
    platc::release_free_memory();
    let dir = output_dir(o);
    let threads = platc::default_threads();
    match mode {
        Mode::Render => {
            let report = platc_write::Writer::begin(&dir)
                .map_err(platc::StreamError::Sink)
                .and_then(|mut writer| {
                    platc::emit_chunks(&ir, threads, |chunk| writer.add(chunk))?;
                    writer.finish().map_err(platc::StreamError::Sink)
                });
            match report {
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
                Err(e) => stream_error(e),
            }
        }
        Mode::Check | Mode::Diff => {
            let drift = platc_write::Comparer::begin(&dir)
                .map_err(platc::StreamError::Sink)
                .and_then(|mut comparer| {
                    platc::emit_chunks(&ir, threads, |chunk| comparer.add(chunk))?;
                    let files = comparer.len();
                    let drift = comparer.finish().map_err(platc::StreamError::Sink)?;
                    Ok((files, drift))
                });
            match drift {
                Ok((files, drift)) if drift.is_clean() => {
                    if mode == Mode::Check {
                        println!("{}: up to date ({files} files)", dir.display());
                    }
                    ExitCode::SUCCESS
                }
                Ok((_, drift)) => {
                    print!("{}", drift.unified_diff());
                    if mode == Mode::Check {
                        eprintln!(
                            "error: {} is out of date with {path}\nhelp: run `platc render -c {path}` and commit the result",
                            dir.display()
                        );
                    }
                    ExitCode::from(EXIT_DRIFT)
                }
                Err(e) => stream_error(e),
            }
        }
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

/// `platc new-service`: edit platform.toml (toml_edit keeps every other byte), validate the
/// result, scaffold the service repository, then write both — the scaffold into a temporary
/// sibling renamed into place, platform.toml through a temporary file renamed over it.
fn new_service(args: &NewServiceArgs) -> ExitCode {
    use platc_delivery::onboard::{add_service, Refusal, Request};
    let Some((path, source)) = read(&args.input.config) else {
        return ExitCode::from(EXIT_IO);
    };
    let request = Request {
        name: args.name.clone(),
        app: args.app.clone(),
        port: args.port,
        database: args.database.clone(),
        expose: args.expose.clone(),
    };
    let edited = match add_service(&source, &request) {
        Ok(text) => text,
        Err(Refusal::Arguments(problems)) => {
            let (line, _, _) = request.command_line();
            eprint!(
                "{}",
                render_problems("command line", &line, &problems, style())
            );
            return ExitCode::from(EXIT_INVALID);
        }
        Err(Refusal::Source(problems)) => {
            eprint!("{}", render_problems(&path, &source, &problems, style()));
            return ExitCode::from(EXIT_INVALID);
        }
        Err(Refusal::Structure(msg)) => {
            eprintln!("error: {msg}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let problems = platc::validate(&edited);
    if !problems.is_empty() {
        let shown = format!("{path} with the new service");
        eprint!("{}", render_problems(&shown, &edited, &problems, style()));
        eprintln!("help: nothing was written; fix the arguments and run again");
        return ExitCode::from(EXIT_INVALID);
    }
    let ir = match platc::resolve(&edited) {
        Ok(ir) => ir,
        Err(CompileError::Invalid(problems)) => {
            eprint!("{}", render_problems(&path, &edited, &problems, style()));
            return ExitCode::from(EXIT_INVALID);
        }
        Err(CompileError::Internal(msg)) => {
            eprintln!("error: internal error in platc: {msg}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let files = match platc_delivery::scaffold(&ir, &args.app, &args.name) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("error: internal error in platc: {e}");
            return ExitCode::from(EXIT_INTERNAL);
        }
    };
    let config_dir = match args.input.config.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = args
        .scaffold
        .clone()
        .unwrap_or_else(|| config_dir.join("services").join(&args.name));
    if dir.symlink_metadata().is_ok() {
        eprintln!(
            "error: {} already exists; platc new-service does not overwrite it",
            dir.display()
        );
        eprintln!("help: remove it, or scaffold elsewhere with `--scaffold DIR`");
        return ExitCode::from(EXIT_INVALID);
    }
    let written = (|| -> std::io::Result<()> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)?;
        let base = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(
            ".{}.platc-new-service.{}",
            base.unwrap_or_default(),
            std::process::id()
        ));
        let staged = (|| -> std::io::Result<()> {
            for (rel, bytes) in files.iter() {
                let file = staging.join(rel.as_str());
                if let Some(p) = file.parent() {
                    std::fs::create_dir_all(p)?;
                }
                std::fs::write(&file, bytes)?;
                #[cfg(unix)]
                if rel.as_str().ends_with(".sh") {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))?;
                }
            }
            std::fs::rename(&staging, &dir)
        })();
        if staged.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        staged?;
        let config = &args.input.config;
        let temp = config_dir.join(format!(
            ".platform.toml.platc-new-service.{}",
            std::process::id()
        ));
        let replaced = (|| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&temp)?;
            f.write_all(edited.as_bytes())?;
            f.sync_all()?;
            if let Ok(meta) = std::fs::metadata(config) {
                std::fs::set_permissions(&temp, meta.permissions())?;
            }
            std::fs::rename(&temp, config)
        })();
        if replaced.is_err() {
            let _ = std::fs::remove_file(&temp);
            let _ = std::fs::remove_dir_all(&dir);
        }
        replaced
    })();
    if let Err(e) = written {
        eprintln!("error: {e}");
        eprintln!("help: nothing was changed");
        return ExitCode::from(EXIT_IO);
    }
    println!("{path}: added [apps.{}.services.{}]", args.app, args.name);
    println!("{}: service repository scaffold:", dir.display());
    for (rel, _) in files.iter() {
        println!("  {rel}");
    }
    println!(
        "next: run `platc render -c {path}`, commit, and create the service repository from {}",
        dir.display()
    );
    ExitCode::SUCCESS
}
