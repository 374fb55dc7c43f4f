use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    renouvo::telemetry::init();
    let cli = renouvo::cli::Cli::parse();
    match renouvo::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Erreur : {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
