// Settlement: trades per status, the backlog and lag (sampled every 10 s by the API), every operator transaction.
import { useMemo } from "preact/hooks";

import { count, utc } from "../api.js";
import { Chart, backlogData, backlogOptions } from "../charts.js";
import { Badge, Facts, Hash, Loading, Section, Table, html, useFetch, useLiveRefresh } from "../ui.js";

const STATUSES = ["MATCHED", "MINED", "RETRYING", "CONFIRMED", "FAILED"];

export function SettlementPage() {
  const [data, error, refresh] = useFetch("/console/api/settlement?limit=100", 5000);
  useLiveRefresh((m) => m.event_type === "trade_status", refresh, 500);
  const options = useMemo(backlogOptions, []);
  const series = useMemo(() => (data ? backlogData(data.backlog) : [[]]), [data]);
  if (!data) return html`<${Loading} error=${error} what="settlement" />`;
  return html`
    <h1>Settlement</h1>
    <${Facts} label="Trades by settlement status" items=${STATUSES.map((s) => [s, count(data.trades_by_status[s] ?? 0)])} />
    <${Section} title="Backlog and lag" id="backlog-h">
      <${Chart} label="Unsettled trades and the age of the oldest, every 10 s" options=${options} data=${series} />
    <//>
    <${Section} title="Operator transactions" id="txs-h">
      <${Table}
        caption="Settlement transactions"
        quiet
        rows=${data.transactions}
        rowKey=${(s) => s.id}
        empty="No settlement transaction yet."
        columns=${[
          { label: "Batch", cell: (s) => s.id },
          { label: "Nonce", cell: (s) => s.nonce },
          { label: "Kind", cell: (s) => s.kind },
          { label: "Status", cell: (s) => html`<${Badge} value=${s.status} />` },
          { label: "Trades", cell: (s) => s.trade_count },
          { label: "Fills", cell: (s) => s.fill_count },
          { label: "Gas limit", cell: (s) => count(s.gas_limit) },
          { label: "Gas used", cell: (s) => count(s.gas_used) },
          { label: "Retries", cell: (s) => s.retries },
          { label: "Block", cell: (s) => (s.block_number == null ? "—" : count(s.block_number)) },
          { label: "Transaction", cell: (s) => html`<${Hash} value=${s.tx_hash} />` },
          { label: "Error", cell: (s) => s.error || "—" },
          { label: "Updated", cell: (s) => utc(s.updated_at_ms) },
        ]}
      />
    <//>
  `;
}
