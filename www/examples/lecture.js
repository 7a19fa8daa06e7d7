// The lecture-notes example's remote control of its first embedded panel, through the
// documented postMessage protocol (see www/embed.js): set a parameter, read the readouts.
// Messages are sent to our own origin only, and answers accepted only from the frame.

const frame = document.getElementById('ellipses');
const out = document.getElementById('readout');
let nextId = 1;

function send(message) {
  frame.contentWindow.postMessage({ ...message, id: nextId++ }, location.origin);
}

window.addEventListener('message', (e) => {
  if (e.origin !== location.origin || e.source !== frame.contentWindow) return;
  const m = e.data;
  if (!m || m.type !== 'nqm:state') return;
  const r = m.readouts;
  const lossText = Number.isFinite(r.loss_discrete) ? r.loss_discrete.toPrecision(4) : 'none';
  out.textContent = `λ = ${m.params.lr}: exact discrete loss ${lossText}` +
    (m.errors.length ? ` (refused: ${m.errors.join('; ')})` : '');
  out.dataset.lr = String(m.params.lr);
});

document.getElementById('set-lr').addEventListener('click', () => send({ type: 'nqm:set', params: { lr: 1.8 } }));
document.getElementById('read').addEventListener('click', () => send({ type: 'nqm:get' }));
