// Reconciliation: the runs, the discrepancies still open with their evidence, the ones resolved.
import { count, utc } from "../api.js";
import { Loading, Section, Table, html, useFetch } from "../ui.js";

const Evidence = ({ value }) => html`<pre class="evidence">${JSON.stringify(value, null, 2)}</pre>`;

function Discrepancies({ status, title, id }) {
  const [page, error] = useFetch(`/chain/discrepancies?status=${status}&limit=100`, 5000);
  return html`
    <${Section} title=${title} id=${id}>
      ${page
        ? html`<${Table}
            caption=${title}
            quiet
            rows=${page.data}
            rowKey=${(d) => d.id}
            empty=${status === "open" ? "None: the chain agrees with the book." : "None resolved yet."}
            columns=${[
              { label: "Kind", cell: (d) => html`<strong>${d.kind}</strong>` },
              { label: "Subject", cell: (d) => html`<code class="wrap">${d.subject}</code>` },
              { label: "First seen", cell: (d) => `${utc(d.first_seen_ms)} (run ${d.first_run_id})` },
              {
                label: status === "open" ? "Last seen" : "Resolved",
                cell: (d) => (status === "open" ? `${utc(d.last_seen_ms)} (run ${d.run_id})` : utc(d.resolved_at_ms)),
              },
              { label: "Evidence", cell: (d) => html`<${Evidence} value=${d.evidence} />` },
            ]}
          />`
        : html`<${Loading} error=${error} what=${title.toLowerCase()} />`}
    <//>
  `;
}

export function ReconciliationPage() {
  const [runs, error] = useFetch("/console/api/reconciliation/runs?limit=20", 5000);
  return html`
    <h1>Reconciliation</h1>
    <p class="muted">The indexed chain compared with the book every few seconds; only confirmed blocks count.</p>
    <${Discrepancies} status="open" title="Open discrepancies" id="open-h" />
    <${Section} title="Runs" id="runs-h">
      ${runs
        ? html`<${Table}
            caption="Reconciliation runs"
            rows=${runs.data}
            rowKey=${(r) => r.id}
            empty="No run yet (the first needs the indexer to have run)."
            columns=${[
              { label: "Run", cell: (r) => r.id },
              { label: "Started", cell: (r) => utc(r.started_at_ms) },
              { label: "Took", cell: (r) => `${count(r.finished_at_ms - r.started_at_ms)} ms` },
              { label: "Confirmed block", cell: (r) => count(r.confirmed_block) },
              { label: "Found", cell: (r) => r.found },
              { label: "New", cell: (r) => r.opened },
              { label: "Resolved", cell: (r) => r.resolved },
              { label: "Looked at", cell: (r) => Object.entries(r.stats).map(([k, v]) => `${k} ${v}`).join(", ") },
            ]}
          />`
        : html`<${Loading} error=${error} what="runs" />`}
    <//>
    <${Discrepancies} status="resolved" title="Resolved discrepancies" id="resolved-h" />
  `;
}
