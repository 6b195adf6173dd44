//! A page rendered in a real browser, as a person would see the HTML part of a mail: headless
//! Chromium (`/usr/bin/chromium`, Debian packages `chromium` and `fonts-noto-cjk`, installed by
//! `.ci/run`) screenshots it to PNG, kept under the target folder to look at
//! (tests/digest_browser.rs, tests/query_browser.rs).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// A page's screenshot: its file and its RGB pixels.
pub struct Screenshot {
    /// Where the PNG was written.
    pub png: PathBuf,
    /// Its pixels, row by row.
    pub pixels: Vec<[u8; 3]>,
}

impl Screenshot {
    /// How many pixels hold ink: any channel darker than light grey.
    pub fn ink(&self) -> usize {
        self.pixels
            .iter()
            .filter(|p| p.iter().any(|c| *c < 200))
            .count()
    }

    /// How many distinct colours the page shows (a blank page shows one).
    pub fn colours(&self) -> usize {
        let mut seen: Vec<[u8; 3]> = self.pixels.clone();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    }

    /// How many pixels are within a few steps of `colour`.
    pub fn near(&self, colour: (u8, u8, u8)) -> usize {
        let d = |x: u8, y: u8| (i16::from(x) - i16::from(y)).abs() <= 6;
        self.pixels
            .iter()
            .filter(|p| d(p[0], colour.0) && d(p[1], colour.1) && d(p[2], colour.2))
            .count()
    }

    /// Fails unless the page shows more than one colour and at least `min_ink` dark pixels
    /// (a line of 14px Chinese text is about 1,500).
    pub fn assert_not_blank(&self, what: &str, min_ink: usize) {
        let ink = self.ink();
        assert!(
            self.colours() > 1 && ink >= min_ink,
            "{what}: the page is blank ({ink} dark pixels of {}, {min_ink} expected), see {}",
            self.pixels.len(),
            self.png.display()
        );
    }
}

/// The folder the screenshots of `suite` are kept in, under the target folder.
pub fn output_dir(suite: &str) -> PathBuf {
    let out = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::root().join("target"))
        .join(suite);
    std::fs::create_dir_all(&out).expect("output folder");
    out
}

/// Fails with how to install the browser when it is missing.
pub fn require_chromium() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} missing: apt-get install chromium fonts-noto-cjk (.ci/run does)"
    );
}

/// Renders `html` (a whole page) in headless Chromium, `height` pixels tall and 1000 wide,
/// and writes the screenshot to `png`. `work` holds the page file and the browser profile.
pub fn screenshot(html: &str, png: &Path, work: &Path, height: u32) -> Screenshot {
    let stem = png
        .file_stem()
        .map_or_else(|| "page".into(), |s| s.to_string_lossy().into_owned());
    let page = work.join(format!("{stem}.html"));
    std::fs::write(&page, html).expect("write html");
    let status = std::process::Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--window-size=1000,{height}"))
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("chromium runs");
    assert!(status.success(), "chromium failed on {}", page.display());
    Screenshot {
        png: png.to_path_buf(),
        pixels: pixels(png),
    }
}

/// RGB pixels of a PNG.
fn pixels(path: &Path) -> Vec<[u8; 3]> {
    let file = std::fs::File::open(path).expect("screenshot exists");
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("png");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("frame");
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}
