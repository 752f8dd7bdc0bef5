fn main() -> std::process::ExitCode {
    provbase::harness::main()
}
