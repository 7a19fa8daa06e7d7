// Figure exports, all through the Rust drawing code or the Rust figure data: PNG (the canvas
// drawing at device pixel ratio, or at a chosen size), SVG (plotters' SVG backend), CSV and JSON
// of every data series with a header that records the full state and the schema version.

export async function exportFigure(view, format, { width, height, dark = false } = {}) {
  const h = view.handle;
  const plot = document.getElementById('plot');
  const css = plot.getBoundingClientRect();
  switch (format) {
    case 'svg': {
      const w = Math.round(width || css.width || 900);
      const ht = Math.round(height || css.height || 600);
      return { mime: 'image/svg+xml', text: h.svg(w, ht, dark), width: w, height: ht };
    }
    case 'csv':
      return { mime: 'text/csv', text: h.csv() };
    case 'json':
      return { mime: 'application/json', text: h.figure_json() };
    case 'png': {
      const dpr = window.devicePixelRatio || 1;
      const w = Math.round(width || css.width * dpr);
      const ht = Math.round(height || css.height * dpr);
      if (!(w >= 16 && ht >= 16 && w <= 8000 && ht <= 8000)) throw new Error('PNG size must be 16 to 8000 pixels a side');
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = ht;
      // Line widths and fonts scale with the image, as they do with the device pixel ratio.
      const scale = width ? Math.max(1, w / Math.max(1, css.width || 900)) : dpr;
      h.draw_to(canvas, scale, dark);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
      return { mime: 'image/png', blob, width: w, height: ht };
    }
    default:
      throw new Error(`unknown export format '${format}'`);
  }
}

export function download(out, name) {
  const blob = out.blob || new Blob([out.text], { type: out.mime });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
