//! `llemc`: check, compile and explain rule corpora.

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = llemc::run(std::env::args_os(), &mut stdout.lock(), &mut stderr.lock());
    std::process::exit(code);
}
