fn main() -> std::process::ExitCode {
    provbase::cli::run()
}
