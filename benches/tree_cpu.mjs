// CPU seconds of this Node process and its children (Chromium's processes), read from /proc:
// the benchmarks divide by it to compare builds on a machine that other work slows down.

import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) of this process and every process under it. */
export function treeCpu() {
  const kids = {};
  const cpu = {};
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      (kids[f[1]] ??= []).push(d);
      cpu[d] = (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // the process ended meanwhile
    }
  }
  let total = 0;
  const stack = [String(process.pid)];
  while (stack.length) {
    const p = stack.pop();
    total += cpu[p] ?? 0;
    stack.push(...(kids[p] ?? []));
  }
  return total;
}
