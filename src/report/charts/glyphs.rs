//! Text on the PNG charts drawn exactly as plotters draws it (its ab_glyph text: kerning,
//! advance, each glyph rasterised at the origin and shifted by whole pixels), but with
//! each glyph of a size rasterised once per thread instead of at every label: a chart's
//! axis labels repeat the same few digits dozens of times. The pixels are the same.

use super::FONT;
use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontStyle,
};
use std::cell::RefCell;
use std::collections::HashMap;

/// A glyph rasterised at the origin: its vertical shift and its covered pixels in the
/// order ab_glyph yields them.
struct Raster {
    y_shift: i32,
    pixels: Vec<(i32, i32, f32)>,
}

thread_local! {
    static CACHE: RefCell<HashMap<(u32, char), Option<Raster>>> = RefCell::new(HashMap::new());
    static FONT_REF: Option<FontRef<'static>> = FontRef::try_from_slice(FONT).ok();
}

/// A bitmap backend whose text goes through the glyph cache; everything else is the
/// bitmap backend's own.
pub struct Cached<'a>(BitMapBackend<'a>);

impl<'a> Cached<'a> {
    pub fn new(b: BitMapBackend<'a>) -> Self {
        Cached(b)
    }
}

type Res<E> = Result<(), DrawingErrorKind<E>>;

impl<'a> DrawingBackend for Cached<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Res<Self::ErrorType> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Res<Self::ErrorType> {
        self.0.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res<Self::ErrorType> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Res<Self::ErrorType> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Res<Self::ErrorType> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Res<Self::ErrorType> {
        self.0.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Res<Self::ErrorType> {
        self.0.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Res<Self::ErrorType> {
        self.0.fill_polygon(vert, style)
    }
    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        self.0.estimate_text_size(text, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Res<Self::ErrorType> {
        self.0.blit_bitmap(pos, size, src)
    }

    /// plotters' default `draw_text` with its font's `draw` inlined over cached glyphs.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Res<Self::ErrorType> {
        // Only the bundled font, registered as sans-serif (normal and bold), is cached.
        let ours = style.family().as_str() == "sans-serif"
            && matches!(style.style(), FontStyle::Normal | FontStyle::Bold);
        let Some(font) = FONT_REF.with(|f| f.clone()).filter(|_| ours) else {
            return self.0.draw_text(text, style, pos);
        };
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let layout = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let ((min_x, min_y), (max_x, max_y)) = layout;
        let width = max_x - min_x;
        let height = max_y - min_y;
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let trans = style.transform();
        let (w, h) = self.get_size();
        let size = style.size();
        let scaled = font.as_scaled(PxScale::from(size as f32));
        let key = (size as f32).to_bits();
        let mut x_shift = 0f32;
        let mut prev = None;
        CACHE.with(|cache| {
            let mut cache = cache.borrow_mut();
            for c in text.chars() {
                if let Some(pc) = prev {
                    x_shift += scaled.kern(scaled.glyph_id(pc), scaled.glyph_id(c));
                }
                prev = Some(c);
                let raster = cache.entry((key, c)).or_insert_with(|| {
                    let glyph = scaled.scaled_glyph(c);
                    scaled.outline_glyph(glyph).map(|q| {
                        let rect = q.px_bounds();
                        let mut pixels = Vec::new();
                        q.draw(|x, y, a| pixels.push((x as i32, y as i32, a)));
                        Raster {
                            y_shift: ((size as f32) / 2.0 + rect.min.y) as i32,
                            pixels,
                        }
                    })
                });
                if let Some(r) = raster {
                    let xs = x_shift as i32;
                    for &(x, y, a) in &r.pixels {
                        let (x, y) =
                            trans.transform(x + xs + dx - min_x, y + r.y_shift + dy - min_y);
                        let (x, y) = (pos.0 + x, pos.1 + y);
                        if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                            self.0.draw_pixel((x, y), color.mix(a as f64))?;
                        }
                    }
                }
                x_shift += scaled.h_advance(scaled.glyph_id(c));
            }
            Ok(())
        })
    }
}
