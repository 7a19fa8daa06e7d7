// The embedding page's remote control, for a panel shown in an iframe (`embed=1`).
//
// Messages in (from the parent window only; with `origin=<origin>` in the iframe's URL, only
// from that origin):
//   {type: 'nqm:set', id, params: {key: value, …}}  sets parameters through the same validation
//                                                   as the page's controls
//   {type: 'nqm:get', id}                           asks for the state
// Replies, sent only to the asking window and origin:
//   {type: 'nqm:state', id, panel, query, params, readouts, errors}
// On load the panel announces itself to its parent with {type: 'nqm:ready', panel} (no state).
// Anything else is ignored. Values are strings or numbers; everything is validated in Rust.

const MAX_KEYS = 64;

export function listen(app) {
  const inFrame = window.parent !== window;
  window.addEventListener('message', (event) => {
    if (!inFrame || event.source !== window.parent) return;
    if (app.embed.origin && event.origin !== app.embed.origin) return;
    const m = event.data;
    if (!m || typeof m !== 'object' || typeof m.type !== 'string' || !m.type.startsWith('nqm:')) return;
    const view = app.view;
    if (!view) return;
    const errors = [];
    if (m.type === 'nqm:set') {
      if (!m.params || typeof m.params !== 'object') return;
      for (const [k, v] of Object.entries(m.params).slice(0, MAX_KEYS)) {
        if (typeof v !== 'string' && typeof v !== 'number') {
          errors.push(`${k}: the value must be a string or a number`);
          continue;
        }
        const err = view.set(String(k).slice(0, 64), String(v));
        if (err) errors.push(`${k}: ${err}`);
      }
      view.writeUrl();
    } else if (m.type !== 'nqm:get') {
      return;
    }
    const reply = {
      type: 'nqm:state',
      id: typeof m.id === 'string' || typeof m.id === 'number' ? m.id : null,
      panel: view.spec.name,
      query: view.query(),
      params: JSON.parse(view.handle.params_json()),
      readouts: view.readouts(),
      errors,
    };
    // An opaque origin ('null', e.g. a file:// page) cannot be targeted safely: no reply.
    if (event.origin !== 'null') event.source.postMessage(reply, event.origin);
  });
  if (inFrame && app.embed.on) {
    window.parent.postMessage({ type: 'nqm:ready', panel: app.view ? app.view.spec.name : '' }, '*');
  }
}
