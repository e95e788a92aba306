// A trade's life: matched in the book (the journal entry that produced it) → settlement transaction(s) → block →
// confirmations → the indexer's fills. Moves on screen as the settlement status changes (live trade_status events).
import { useEffect } from "preact/hooks";

import { count, units, utc, utcSeconds } from "../api.js";
import { follow } from "../live.js";
import { Badge, Facts, Hash, Loading, Table, html, useFetch, useLiveRefresh } from "../ui.js";

const FINAL = ["CONFIRMED", "FAILED"];

function Step({ title, state, children }) {
  return html`
    <li class=${`step step-${state}`}>
      <h2>${title} <span class="step-state">${{ done: "✓ done", pending: "… pending", failed: "✗ failed" }[state]}</span></h2>
      ${children}
    </li>
  `;
}

export function TradePage({ tradeId }) {
  const [life, error, refresh] = useFetch(`/console/api/trades/${tradeId}`);
  const trade = life?.trade;
  const settled = trade && FINAL.includes(trade.status) && life.indexer_confirmed;
  // The indexer and the confirmations move without a trade_status event: poll until the trade is settled.
  useEffect(() => {
    if (!life || settled) return undefined;
    const id = setInterval(refresh, 2000);
    return () => clearInterval(id);
  }, [life, settled, refresh]);
  useEffect(() => trade && follow([trade.asset_id]), [trade?.asset_id]);
  useLiveRefresh((m) => m.event_type === "trade_status" && m.trade_id === tradeId, refresh, 100);
  if (!life) return html`<${Loading} error=${error} what="the trade" />`;

  const j = life.journal;
  const mined = life.block_number != null;
  const failed = trade.status === "FAILED";
  const sent = life.settlements.length > 0;
  return html`
    <h1>Trade <code>${trade.trade_id}</code></h1>
    <${Facts}
      label="Trade"
      items=${[
        ["Status", html`<${Badge} value=${trade.status} />`],
        ["Market", html`<a href=${`#/markets/${trade.market}`}><${Hash} value=${trade.market} /></a>`],
        ["Taker", `${trade.side} ${units(trade.size)} ${trade.outcome} @ ${trade.price}`],
        ["Matched", utcSeconds(trade.match_time)],
      ]}
    />
    <ol class="life" aria-label="Trade life">
      <${Step} title="1. Matched in the book" state="done">
        <${Facts}
          label="Journal entry"
          items=${[
            ["Journal", `${j.stream} seq ${count(j.seq)}`],
            ["Entry hash", html`<${Hash} value=${j.hash} />`],
            ["Command", j.kind ?? "—"],
            ["Journal check", j.hash_matches == null ? "entry not in this database" : j.hash_matches ? "hash matches the journal" : "HASH DIFFERS"],
            ["Taker order", html`<${Hash} value=${life.taker_order_id} />`],
            ["Maker orders", life.maker_order_ids.length],
          ]}
        />
      <//>
      <${Step} title="2. Settlement transaction" state=${sent ? (failed ? "failed" : "done") : "pending"}>
        ${trade.error && html`<p class="error">${trade.error}</p>`}
        <${Table}
          caption="Settlement transactions of this trade"
          rows=${life.settlements}
          empty="Not batched yet."
          columns=${[
            { label: "Batch", cell: (s) => s.id },
            { label: "Nonce", cell: (s) => s.nonce },
            { label: "Status", cell: (s) => html`<${Badge} value=${s.status} />` },
            { label: "Attempts", cell: (s) => `${s.attempts} (${s.retries} retries)` },
            { label: "Gas limit / used", cell: (s) => `${count(s.gas_limit)} / ${count(s.gas_used)}` },
            { label: "Transaction", cell: (s) => html`<${Hash} value=${s.tx_hash} />` },
            { label: "Error", cell: (s) => s.error || "—" },
          ]}
        />
      <//>
      <${Step} title="3. Mined" state=${mined ? "done" : "pending"}>
        <p>${mined ? html`Block ${count(life.block_number)}, transaction <${Hash} value=${trade.transaction_hash} />` : "Not mined yet."}</p>
      <//>
      <${Step} title="4. Confirmations" state=${trade.status === "CONFIRMED" ? "done" : "pending"}>
        <p>
          ${count(life.confirmations)} confirmation(s) as the indexer last saw the chain
          ${life.indexer ? ` (head ${count(life.indexer.head_block)}, confirmed up to ${count(life.indexer.confirmed_block)})` : ""}.
        </p>
      <//>
      <${Step} title="5. Indexed fills" state=${life.indexer_confirmed ? "done" : "pending"}>
        <${Table}
          caption="Fills the indexer holds for this trade"
          rows=${life.fills}
          empty="No fill indexed yet."
          columns=${[
            { label: "Block:log", cell: (f) => `${f.block_number}:${f.log_index}` },
            { label: "Order", cell: (f) => html`<${Hash} value=${f.order_hash} />` },
            { label: "Maker", cell: (f) => html`<${Hash} value=${f.maker} />` },
            { label: "Made", cell: (f) => units(f.maker_amount_filled) },
            { label: "Taken", cell: (f) => units(f.taker_amount_filled) },
            { label: "Fee", cell: (f) => units(f.fee) },
            { label: "Confirmed", cell: (f) => (f.confirmed ? "yes" : "no") },
          ]}
        />
      <//>
    </ol>
    <p class="muted">Last checked ${utc(Date.now())}.</p>
  `;
}
