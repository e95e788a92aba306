// Chain and journal: the indexer's progress, each stream's journal head and engine state hash, and the published
// audit of settlement batches (each with the journal position of the trades it settled).
import { count, utc } from "../api.js";
import { Badge, Facts, Hash, Loading, Section, Table, html, useFetch, useLiveRefresh } from "../ui.js";

export function ChainPage() {
  const [overview, error] = useFetch("/console/api/overview", 5000);
  const [audit, auditError, refreshAudit] = useFetch("/audit/settlements?limit=100", 10000);
  useLiveRefresh((m) => m.event_type === "trade_status", refreshAudit, 1000);
  const indexer = overview?.indexer;
  return html`
    <h1>Chain and journal</h1>
    <${Section} title="Indexer" id="indexer-h">
      ${!overview
        ? html`<${Loading} error=${error} what="the indexer" />`
        : indexer
          ? html`<${Facts}
              label="Indexer progress"
              items=${[
                ["Lag", `${count(indexer.lag_blocks)} blocks`],
                ["Last indexed block", count(indexer.last_indexed_block)],
                ["Confirmed block", count(indexer.confirmed_block)],
                ["Chain head", count(indexer.head_block)],
                ["Chain id", indexer.chain_id],
                ["Updated", utc(indexer.updated_at_ms)],
              ]}
            />`
          : html`<p>The indexer has not run yet.</p>`}
    <//>
    <${Section} title="Journal" id="journal-h">
      ${overview
        ? html`<${Table}
            caption="Journal heads"
            rows=${overview.streams}
            rowKey=${(s) => s.stream}
            columns=${[
              { label: "Stream", cell: (s) => s.stream },
              { label: "Head seq", cell: (s) => count(s.head_seq) },
              { label: "Head hash", cell: (s) => html`<${Hash} value=${s.head_hash} />` },
              { label: "State hash", cell: (s) => html`<${Hash} value=${s.state_hash} />` },
              { label: "Resting orders", cell: (s) => count(s.resting_orders) },
            ]}
          />`
        : html`<${Loading} error=${error} what="the journal" />`}
    <//>
    <${Section} title="Audit of settlement batches" id="audit-h">
      ${audit
        ? html`<${Table}
            caption="Published settlement batches"
            rows=${audit.data}
            rowKey=${(b) => b.batch_id}
            empty="No batch yet."
            columns=${[
              { label: "Batch", cell: (b) => b.batch_id },
              { label: "Status", cell: (b) => html`<${Badge} value=${b.status} />` },
              { label: "Block", cell: (b) => (b.block_number == null ? "—" : count(b.block_number)) },
              { label: "Transaction", cell: (b) => html`<${Hash} value=${b.transaction_hash} />` },
              { label: "Trades", cell: (b) => b.trade_ids.map((t) => html`<a href=${`#/trades/${t}`}>${t.slice(0, 8)}</a> `) },
              { label: "Journal seq", cell: (b) => count(b.journal_seq) },
              { label: "Journal hash", cell: (b) => html`<${Hash} value=${b.journal_hash} />` },
            ]}
          />`
        : html`<${Loading} error=${auditError} what="the audit" />`}
    <//>
  `;
}
