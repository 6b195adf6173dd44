//! Writes the benchmark corpus: `cargo run --release --example gen_corpus -- DIR N [SEED]`.
//! DIR gets a Maildir `mail/` with N mails in `new/` and a matching `config.toml`; then e.g.
//! `supportbot --config DIR/config.toml replay DIR/mail`.

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen_corpus DIR N [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(42);
    if let Err(e) = corpus::write(std::path::Path::new(dir), n, seed) {
        eprintln!("gen_corpus: {e}");
        std::process::exit(1);
    }
}
