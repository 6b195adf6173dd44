//! The monthly digest's one chart (queries.md §4): reports and complaints per presales for the
//! last 6 months, as a PNG drawn with `plotters`' bitmap backend and sent inline (cid:), since
//! Outlook shows no SVG.
//!
//! The PNG holds no text: plotters would need a font from the system (and a CJK one for the
//! names), which a server may lack. Bars are coloured per presales; the HTML beside the image
//! gives the key (each name in its colour) and the months, and the figures as a table, so the
//! chart reads without any font in the image and the numbers stay in text for the blind and
//! for mail clients that block images.

use plotters::prelude::*;

/// Width of the PNG in pixels.
pub const WIDTH: u32 = 720;
/// Height of the PNG in pixels.
pub const HEIGHT: u32 = 260;
/// The attachment's file name, which is also its Content-ID (`cid:chart.png`).
pub const FILENAME: &str = "chart.png";

/// The colours of the presales, in order (repeated past the eighth).
pub const PALETTE: [(u8, u8, u8); 8] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
];

/// The colour of the `i`th presales as CSS (`#1f77b4`).
pub fn css_colour(i: usize) -> String {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// One presales' figures, a value per month (oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Name.
    pub name: String,
    /// Accepted reports per month.
    pub reports: Vec<u32>,
    /// Complaints per month.
    pub complaints: Vec<u32>,
}

/// Draws the chart: two panels side by side, reports (left) and complaints (right), one group
/// of bars per month, one bar per presales in their colour, with a faint line for every step of
/// the scale.
pub fn png(months: usize, people: &[Series]) -> anyhow::Result<Vec<u8>> {
    let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| anyhow::anyhow!("chart: {e}"))?;
        let (left, right) = root.split_horizontally(WIDTH / 2);
        panel(&left, months, people, |s| &s.reports)?;
        panel(&right, months, people, |s| &s.complaints)?;
        root.present().map_err(|e| anyhow::anyhow!("chart: {e}"))?;
    }
    encode(&buf)
}

fn panel<'a, DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    months: usize,
    people: &'a [Series],
    values: impl Fn(&'a Series) -> &'a Vec<u32>,
) -> anyhow::Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow::anyhow!("chart: {e}");
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let (pad, top, bottom) = (14, 10, h - 14);
    let max = people
        .iter()
        .flat_map(|s| values(s).iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as i32;
    let grey = RGBColor(225, 228, 232);
    // The scale: a line for every step, at most 10 lines.
    let step = (max + 9) / 10;
    let y_of = |v: i32| bottom - (bottom - top) * v / max;
    let mut v = 0;
    while v <= max {
        area.draw(&PathElement::new(
            vec![(pad, y_of(v)), (w - pad, y_of(v))],
            grey.stroke_width(1),
        ))
        .map_err(err)?;
        v += step.max(1);
    }
    area.draw(&PathElement::new(
        vec![(pad, bottom), (w - pad, bottom)],
        BLACK.stroke_width(1),
    ))
    .map_err(err)?;
    let months_i = months.max(1) as i32;
    let group = (w - 2 * pad) / months_i;
    let n = people.len().max(1) as i32;
    let bar = ((group - 8) / n).max(1);
    for m in 0..months {
        let x0 = pad + group * m as i32 + 4;
        for (i, s) in people.iter().enumerate() {
            let value = values(s).get(m).copied().unwrap_or(0) as i32;
            if value == 0 {
                continue;
            }
            let (r, g, b) = PALETTE[i % PALETTE.len()];
            let x = x0 + bar * i as i32;
            area.draw(&Rectangle::new(
                [(x, y_of(value)), (x + bar - 1, bottom)],
                RGBColor(r, g, b).filled(),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

fn encode(rgb: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_a_png_with_a_bar_in_each_presales_colour() {
        let people = vec![
            Series {
                name: "张三".into(),
                reports: vec![1, 2, 3, 4, 5, 6],
                complaints: vec![0, 0, 1, 0, 0, 2],
            },
            Series {
                name: "李四".into(),
                reports: vec![0, 1, 0, 1, 0, 1],
                complaints: vec![0; 6],
            },
        ];
        let bytes = png(6, &people).expect("chart");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        reader.next_frame(&mut pixels).expect("png frame");
        for (i, &(r, g, b)) in PALETTE.iter().enumerate().take(2) {
            assert!(
                pixels.chunks(3).any(|p| p == [r, g, b]),
                "no bar in colour {i}"
            );
        }
    }

    #[test]
    fn a_chart_of_nobody_is_still_a_picture() {
        let bytes = png(6, &[]).expect("chart");
        assert_eq!(&bytes[..4], b"\x89PNG");
    }
}
