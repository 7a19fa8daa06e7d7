//! A drawing backend that measures text with a function of ours instead of through plotters'
//! font machinery, so that SVG can be written with no font installed (natively) and without
//! touching the page's DOM (in WebAssembly, where plotters would measure text by inserting
//! styled elements, which the page's Content Security Policy refuses).

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

/// `inner` with text measured by `measure(text, size in pixels) → (width, height)`.
pub struct Measured<B, M> {
    /// The wrapped backend.
    pub inner: B,
    /// The text measure.
    pub measure: M,
}

/// The width of `text` in a sans-serif font of `size` pixels, from typical glyph widths (within
/// about 10 % for Latin text): good enough to size a legend box.
pub fn approximate_text_size(text: &str, size: f64) -> (u32, u32) {
    let em: f64 =
        text.chars()
            .map(|c| match c {
                'i' | 'l' | 'j' | '.' | ',' | ':' | ';' | '|' | '!' | '\'' | '(' | ')' | '['
                | ']' => 0.3,
                'f' | 't' | 'r' | ' ' | '-' | '/' => 0.38,
                'm' | 'w' | 'M' | 'W' => 0.85,
                c if c.is_ascii_uppercase() => 0.68,
                c if c.is_ascii_digit() => 0.56,
                _ => 0.56,
            })
            .sum();
    ((em * size).ceil() as u32, size.ceil() as u32)
}

impl<B: DrawingBackend, M: Fn(&str, f64) -> (u32, u32)> DrawingBackend for Measured<B, M> {
    type ErrorType = B::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        p: BackendCoord,
        c: BackendColor,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        ul: BackendCoord,
        br: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_rect(ul, br, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.draw_text(text, style, pos)
    }
    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
        Ok((self.measure)(text, style.size()))
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        rgb: &[u8],
    ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
        self.inner.blit_bitmap(pos, size, rgb)
    }
}
