//! `guichet`: parse arguments, start logging, run the command.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = guichet::cli::Cli::parse();
    let format = cli.log_format;
    guichet::observe::logging::init(format);
    match guichet::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            if format == guichet::observe::logging::LogFormat::Json {
                eprintln!(
                    "{}",
                    serde_json::json!({"level": "ERROR", "message": format!("error: {e}")})
                );
            } else {
                eprintln!("error: {e}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
