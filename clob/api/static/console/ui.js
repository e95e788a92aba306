// Shared building blocks: the html tag (htm over Preact), data hooks and small components.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";

import { getJSON } from "./api.js";
import { onMessage } from "./live.js";

export const html = htm.bind(h);

// GET `path` (skipped while it is null); refetch every `every` ms if given, and whenever `refresh()` is called.
export function useFetch(path, every = 0) {
  const [state, setState] = useState({ data: null, error: null });
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path == null) return undefined;
    let alive = true;
    getJSON(path).then(
      (data) => alive && setState({ data, error: null }),
      (error) => alive && setState((s) => ({ data: s.data, error })),
    );
    return () => {
      alive = false;
    };
  }, [path, tick]);
  useEffect(() => {
    if (!every) return undefined;
    const id = setInterval(refresh, every);
    return () => clearInterval(id);
  }, [every, refresh]);
  useEffect(() => setState({ data: null, error: null }), [path]);
  return [state.data, state.error, refresh];
}

// Call `refresh` when a live message matches `wanted(message)`: at once, then at most once every `ms` (a burst
// of messages costs one refresh at its start and one at its end).
export function useLiveRefresh(wanted, refresh, ms = 250) {
  const latest = useRef(wanted);
  latest.current = wanted;
  useEffect(() => {
    let last = 0;
    let timer = null;
    const run = () => {
      timer = null;
      last = Date.now();
      refresh();
    };
    const off = onMessage((message) => {
      if (timer != null || !latest.current(message)) return;
      const wait = last + ms - Date.now();
      if (wait <= 0) run();
      else timer = setTimeout(run, wait);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [refresh, ms]);
}

export function Loading({ error, what }) {
  if (error) return html`<p role="alert" class="error">Could not load ${what}: ${error.message}</p>`;
  return html`<p class="muted">Loading ${what}…</p>`;
}

export function Badge({ value }) {
  const kind = String(value ?? "").toLowerCase().replace(/[^a-z]+/g, "-");
  return html`<span class=${`badge badge-${kind}`}>${value ?? "—"}</span>`;
}

// A long hex value, shortened on screen; the full value in the title and for screen readers.
export function Hash({ value }) {
  if (!value) return html`<span class="muted">—</span>`;
  const short = value.length > 18 ? `${value.slice(0, 10)}…${value.slice(-6)}` : value;
  return html`<code class="hash" title=${value} aria-label=${value}>${short}</code>`;
}

// columns: [{ label, cell: (row) => content }]
// A caption names the table for assistive technology; `quiet` hides it on screen where a heading says the same.
export function Table({ caption, columns, rows, empty = "Nothing yet.", rowKey, quiet = false }) {
  return html`
    <div class="table-scroll">
      <table>
        <caption class=${quiet ? "visually-hidden" : undefined}>${caption}</caption>
        <thead>
          <tr>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr>
        </thead>
        <tbody>
          ${rows.length === 0
            ? html`<tr><td colspan=${columns.length} class="muted">${empty}</td></tr>`
            : rows.map((row, i) => html`<tr key=${rowKey ? rowKey(row) : i}>${columns.map((c) => html`<td>${c.cell(row)}</td>`)}</tr>`)}
        </tbody>
      </table>
    </div>
  `;
}

// Facts as a definition list: [[term, value], ...]
export function Facts({ items, label }) {
  return html`
    <dl class="facts" aria-label=${label}>
      ${items.map(([term, value]) => html`<div><dt>${term}</dt><dd>${value}</dd></div>`)}
    </dl>
  `;
}

export function Section({ title, id, children }) {
  return html`
    <section aria-labelledby=${id} class="panel">
      <h2 id=${id}>${title}</h2>
      ${children}
    </section>
  `;
}
