// Charts drawn by uPlot: a Preact wrapper, and the data shapes of the depth, price and backlog charts.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

import { html } from "./ui.js";

const BID = "#1a7f37";
const ASK = "#cf222e";
const LINE = ["#0969da", "#bc4c00"];

// `options` must keep its identity between renders (useMemo): a new one rebuilds the chart.
export function Chart({ label, options, data, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    const chart = new uPlot({ ...options, width: Math.max(el.clientWidth, 200), height }, data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [options, height]);
  useEffect(() => plot.current?.setData(data), [data]);
  return html`
    <figure class="chart">
      <figcaption>${label}</figcaption>
      <div ref=${box} role="img" aria-label=${label}></div>
    </figure>
  `;
}

// Cumulative size from the best price outwards: bids below the spread, asks above it. A /book summary lists
// levels best last.
export function depthData(book) {
  const levels = (side) => side.map((l) => [Number(l.price), Number(l.size)]);
  const bids = levels(book?.bids ?? []).sort((a, b) => b[0] - a[0]);
  const asks = levels(book?.asks ?? []).sort((a, b) => a[0] - b[0]);
  const cumulative = (side) => {
    let total = 0;
    return new Map(side.map(([price, size]) => [price, (total += size)]));
  };
  const bidDepth = cumulative(bids);
  const askDepth = cumulative(asks);
  const xs = [...new Set([...bidDepth.keys(), ...askDepth.keys()])].sort((a, b) => a - b);
  return [xs, xs.map((x) => bidDepth.get(x) ?? null), xs.map((x) => askDepth.get(x) ?? null)];
}

export const depthOptions = () => ({
  legend: { show: false },
  scales: { x: { time: false, range: (_u, min, max) => [Math.max(0, min - 0.02), Math.min(1, max + 0.02)] } },
  axes: [{ label: "price" }, { label: "shares" }],
  series: [
    { label: "price" },
    { label: "bids", stroke: BID, fill: `${BID}33`, spanGaps: true, paths: uPlot.paths.stepped({ align: -1 }) },
    { label: "asks", stroke: ASK, fill: `${ASK}33`, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) },
  ],
});

// Trade prices per outcome over time: [{ outcome, history: [{ time, price }] }]
export function priceData(tokens) {
  const xs = [...new Set(tokens.flatMap((t) => t.history.map((p) => p.time)))].sort((a, b) => a - b);
  const series = tokens.map((t) => {
    const last = new Map(t.history.map((p) => [p.time, Number(p.price)]));
    return xs.map((x) => last.get(x) ?? null);
  });
  return [xs, ...series];
}

// A lone trade (or a burst within a minute) still gets a readable time axis: at least ten minutes around the data.
// (The bounds come from the data: for one point uPlot proposes a range of 1000 days.)
const atLeast = (span) => (u, min, max) => {
  const xs = u.data[0];
  const [lo, hi] = xs.length ? [xs[0], xs[xs.length - 1]] : [min, max];
  return hi - lo >= span ? [lo, hi] : [(lo + hi - span) / 2, (lo + hi + span) / 2];
};

export const priceOptions = (outcomes) => ({
  scales: { x: { range: atLeast(600) }, y: { range: [0, 1] } },
  axes: [{}, { label: "price" }],
  series: [
    { label: "time" },
    ...outcomes.map((name, i) => ({ label: name, stroke: LINE[i % LINE.length], spanGaps: true, points: { show: true } })),
  ],
});

// Settlement backlog (trades) and lag (seconds) over time: [{ time, backlog, lag_seconds }]
export const backlogData = (points) => [
  points.map((p) => p.time),
  points.map((p) => p.backlog),
  points.map((p) => p.lag_seconds),
];

export const backlogOptions = () => ({
  scales: {
    x: { range: atLeast(600) },
    trades: { range: (_u, _min, max) => [0, Math.max(1, max)] },
    s: { range: (_u, _min, max) => [0, Math.max(1, max)] },
  },
  axes: [{}, { scale: "trades", label: "unsettled trades" }, { scale: "s", side: 1, label: "lag (s)", grid: { show: false } }],
  series: [
    { label: "time" },
    { label: "backlog (trades)", scale: "trades", stroke: LINE[0], fill: `${LINE[0]}22` },
    { label: "lag (s)", scale: "s", stroke: LINE[1] },
  ],
});
