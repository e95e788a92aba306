// Markets: the overview (health at a glance, every market) and one market (books, trades, prices, operator actions).
import { useEffect, useMemo } from "preact/hooks";

import { count, marketStatus, units, utcSeconds } from "../api.js";
import { Chart, depthData, depthOptions, priceData, priceOptions } from "../charts.js";
import { follow } from "../live.js";
import { Badge, Facts, Hash, Loading, Section, Table, html, useFetch, useLiveRefresh } from "../ui.js";
import { OperatorActions } from "./operator.js";

const UNSETTLED = ["MATCHED", "MINED", "RETRYING"];

export function Overview() {
  const [overview, overviewError] = useFetch("/console/api/overview", 5000);
  const [open] = useFetch("/chain/discrepancies?status=open&limit=500", 5000);
  const [markets, marketsError] = useFetch("/markets", 10000);
  const head = overview?.streams?.[0];
  const backlog = UNSETTLED.reduce((n, s) => n + (overview?.trades_by_status?.[s] ?? 0), 0);
  return html`
    <h1>Overview</h1>
    ${overview
      ? html`<${Facts}
          label="Health"
          items=${[
            ["Journal head", head ? `seq ${count(head.head_seq)}` : "—"],
            ["Indexer lag", overview.indexer ? `${count(overview.indexer.lag_blocks)} blocks` : "not started"],
            ["Settlement backlog", `${count(backlog)} trades`],
            ["Open discrepancies", open ? `${open.data.length}${open.next_offset ? "+" : ""}` : "—"],
          ]}
        />`
      : html`<${Loading} error=${overviewError} what="the overview" />`}
    <${Section} title="Markets" id="markets-h">
      ${markets
        ? html`<${Table}
            caption="Markets"
            quiet
            rows=${markets.data}
            rowKey=${(m) => m.condition_id}
            columns=${[
              { label: "Question", cell: (m) => html`<a href=${`#/markets/${m.condition_id}`}>${m.question || m.market_slug || m.condition_id}</a>` },
              { label: "Status", cell: (m) => html`<${Badge} value=${marketStatus(m)} />` },
              ...["Yes", "No"].map((name, i) => ({ label: name, cell: (m) => m.tokens[i]?.price ?? "—" })),
              { label: "Tick size", cell: (m) => m.minimum_tick_size },
              { label: "Condition", cell: (m) => html`<${Hash} value=${m.condition_id} />` },
            ]}
          />`
        : html`<${Loading} error=${marketsError} what="markets" />`}
    <//>
  `;
}

function OutcomeBook({ token }) {
  const id = token.token_id;
  const [book, error, refresh] = useFetch(`/book?token_id=${id}`);
  useLiveRefresh(
    (m) => (m.event_type === "book" && m.asset_id === id) || (m.event_type === "price_change" && m.price_changes.some((c) => c.asset_id === id)),
    refresh,
  );
  const options = useMemo(depthOptions, []);
  const data = useMemo(() => depthData(book), [book]);
  const levels = (side) => [...(book?.[side] ?? [])].reverse(); // best first
  const columns = [
    { label: "Price", cell: (l) => l.price },
    { label: "Size", cell: (l) => l.size },
  ];
  return html`
    <section aria-labelledby=${`book-${id}`} class="panel">
      <h2 id=${`book-${id}`}>${token.outcome} book</h2>
      ${book ? null : html`<${Loading} error=${error} what="the book" />`}
      <${Chart} label=${`${token.outcome} depth`} options=${options} data=${data} height=${180} />
      <div class="pair">
        <${Table} caption=${`${token.outcome} bids`} columns=${columns} rows=${levels("bids")} empty="No bids." />
        <${Table} caption=${`${token.outcome} asks`} columns=${columns} rows=${levels("asks")} empty="No asks." />
      </div>
    </section>
  `;
}

function PriceHistory({ market }) {
  const [prices, error, refresh] = useFetch(`/console/api/markets/${market.condition_id}/prices`);
  useLiveRefresh((m) => m.event_type === "last_trade_price" && m.market === market.condition_id, refresh, 1000);
  const options = useMemo(() => priceOptions(market.tokens.map((t) => t.outcome)), [market.condition_id]);
  const data = useMemo(() => (prices ? priceData(prices.tokens) : [[]]), [prices]);
  return html`
    <${Section} title="Price history" id="prices-h">
      ${prices ? null : html`<${Loading} error=${error} what="prices" />`}
      ${prices && html`<${Chart} label="Trade prices by outcome" options=${options} data=${data} />`}
    <//>
  `;
}

function LastTrades({ market }) {
  const [trades, error, refresh] = useFetch(`/console/api/markets/${market.condition_id}/trades?limit=50`);
  useLiveRefresh((m) => m.event_type === "trade_status" && m.market === market.condition_id, refresh);
  return html`
    <${Section} title="Last trades" id="trades-h">
      ${trades
        ? html`<${Table}
            caption="Last trades"
            quiet
            rows=${trades.data}
            rowKey=${(t) => t.trade_id}
            empty="No trades yet."
            columns=${[
              { label: "Matched", cell: (t) => utcSeconds(t.match_time) },
              { label: "Trade", cell: (t) => html`<a href=${`#/trades/${t.trade_id}`}>${t.trade_id.slice(0, 8)}</a>` },
              { label: "Outcome", cell: (t) => t.outcome },
              { label: "Side", cell: (t) => t.side },
              { label: "Price", cell: (t) => t.price },
              { label: "Size", cell: (t) => units(t.size) },
              { label: "Status", cell: (t) => html`<${Badge} value=${t.status} />` },
              { label: "Transaction", cell: (t) => html`<${Hash} value=${t.transaction_hash} />` },
            ]}
          />`
        : html`<${Loading} error=${error} what="trades" />`}
    <//>
  `;
}

export function MarketPage({ conditionId }) {
  const [market, error, refresh] = useFetch(`/markets/${conditionId}`, 10000);
  useEffect(() => market && follow(market.tokens.map((t) => t.token_id)), [market?.condition_id]);
  useLiveRefresh((m) => m.event_type === "tick_size_change" && m.market === conditionId, refresh);
  if (!market) return html`<${Loading} error=${error} what="the market" />`;
  return html`
    <h1>${market.question || market.market_slug}</h1>
    <${Facts}
      label="Market"
      items=${[
        ["Status", html`<${Badge} value=${marketStatus(market)} />`],
        ["Tick size", String(market.minimum_tick_size)],
        ["Minimum size", `${market.minimum_order_size} shares`],
        ["Fee", `${market.taker_base_fee} bps`],
        ["Condition", html`<${Hash} value=${market.condition_id} />`],
      ]}
    />
    <div class="grid">${market.tokens.map((t) => html`<${OutcomeBook} key=${t.token_id} token=${t} />`)}</div>
    <${PriceHistory} market=${market} />
    <${LastTrades} market=${market} />
    <${OperatorActions} market=${market} onDone=${refresh} />
  `;
}
