//! Entry point: parses the command line and hands over to the part asked for.

fn main() -> std::process::ExitCode {
    yichuang::cli::main()
}
