//! Writes a benchmark corpus: `cargo run --release --example gen_corpus -- DIR N [SEED] [--skewed]`.
//! DIR gets a Maildir `mail/` with N mails in `new/` and a matching `config.toml`; then e.g.
//! `supportbot --config DIR/config.toml replay DIR/mail`. Without `--skewed` it is the even
//! corpus (many projects and people); with it, a year of one busy project (issue 13).

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    let shape = if all.iter().any(|a| a == "--skewed") {
        corpus::Shape::Skewed
    } else {
        corpus::Shape::Even
    };
    let args: Vec<&String> = all.iter().filter(|a| !a.starts_with("--")).collect();
    let (Some(dir), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen_corpus DIR N [SEED] [--skewed]");
        std::process::exit(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    if let Err(e) = corpus::write_shape(std::path::Path::new(dir.as_str()), n, seed, shape) {
        eprintln!("gen_corpus: {e}");
        std::process::exit(1);
    }
}
