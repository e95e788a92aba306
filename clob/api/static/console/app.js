// The console's shell: navigation, the live-feed indicator and the page of the current #/route.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";

import { onState } from "./live.js";
import { ChainPage } from "./pages/chain.js";
import { MarketPage, Overview } from "./pages/markets.js";
import { ReconciliationPage } from "./pages/reconciliation.js";
import { SettlementPage } from "./pages/settlement.js";
import { TradePage } from "./pages/trade.js";
import { html } from "./ui.js";

const SECTIONS = [
  { href: "#/", label: "Markets", match: ["", "markets", "trades"] },
  { href: "#/settlement", label: "Settlement", match: ["settlement"] },
  { href: "#/reconciliation", label: "Reconciliation", match: ["reconciliation"] },
  { href: "#/chain", label: "Chain and journal", match: ["chain"] },
];

function parse(hash) {
  const [section = "", id] = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { section, id };
}

function useRoute() {
  const [route, setRoute] = useState(parse(location.hash));
  useEffect(() => {
    const changed = () => {
      setRoute(parse(location.hash));
      window.scrollTo(0, 0);
    };
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return route;
}

function LiveIndicator() {
  const [state, setState] = useState("connecting");
  useEffect(() => onState(setState), []);
  const text = { live: "Live updates on", connecting: "Connecting…", reconnecting: "Reconnecting…" }[state];
  return html`<p role="status" class=${`live live-${state}`}>${text}</p>`;
}

function Page({ route }) {
  switch (route.section) {
    case "":
      return html`<${Overview} />`;
    case "markets":
      return route.id ? html`<${MarketPage} key=${route.id} conditionId=${route.id} />` : html`<${Overview} />`;
    case "trades":
      return html`<${TradePage} key=${route.id} tradeId=${route.id} />`;
    case "settlement":
      return html`<${SettlementPage} />`;
    case "reconciliation":
      return html`<${ReconciliationPage} />`;
    case "chain":
      return html`<${ChainPage} />`;
    default:
      return html`<h1>Not found</h1><p>No console page at ${location.hash}. <a href="#/">Back to the markets</a>.</p>`;
  }
}

function App() {
  const route = useRoute();
  const current = SECTIONS.find((s) => s.match.includes(route.section));
  useEffect(() => {
    document.title = `${current?.label ?? "Not found"} · polyclob console`;
  }, [current]);
  return html`
    <header class="top">
      <a class="brand" href="#/">polyclob console</a>
      <nav aria-label="Console sections">
        ${SECTIONS.map(
          (s) => html`<a href=${s.href} aria-current=${s === current ? "page" : undefined}>${s.label}</a>`,
        )}
        <a href="/docs">API reference</a>
      </nav>
      <${LiveIndicator} />
    </header>
    <main><${Page} route=${route} /></main>
  `;
}

const root = document.getElementById("app");
root.replaceChildren();
render(html`<${App} />`, root);
