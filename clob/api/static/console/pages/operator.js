// Operator actions on one market: halt, resume, resolve, tick size. Each is confirmed in a dialog, sent with the
// admin token typed here (kept for this browser tab only), and its answer shown: the market's new state, or why
// the API refused.
import { useEffect, useRef, useState } from "preact/hooks";

import { adminPost, adminToken, marketStatus } from "../api.js";
import { Section, html } from "../ui.js";

const TICKS = ["0.1", "0.01", "0.001", "0.0001"];

function actionsFor(market) {
  const finer = TICKS.filter((t) => Number(t) < Number(market.minimum_tick_size));
  return [
    { name: "Halt market", path: "halt", done: "Halted", warning: "New orders will be refused; cancels still work." },
    { name: "Resume market", path: "resume", done: "Resumed", warning: "The market will accept orders again." },
    {
      name: "Resolve market",
      path: "resolve",
      done: "Resolved",
      warning: "Every resting order is cancelled and no order is accepted any more. This cannot be undone.",
    },
    { name: "Change tick size", path: "tick-size", done: "Tick size changed", ticks: finer },
  ];
}

export function OperatorActions({ market, onDone }) {
  const [token, setToken] = useState(adminToken.get());
  const [tick, setTick] = useState("");
  const [pending, setPending] = useState(null);
  const [result, setResult] = useState(null);
  const dialog = useRef(null);
  const actions = actionsFor(market);
  const tickAction = actions[3];
  const chosenTick = tick || tickAction.ticks[0] || "";

  useEffect(() => {
    if (pending && !dialog.current.open) dialog.current.showModal();
    if (!pending && dialog.current.open) dialog.current.close();
  }, [pending]);

  const saveToken = (event) => {
    setToken(event.target.value);
    adminToken.set(event.target.value);
  };

  const ask = (action) => {
    const body = action.ticks ? { tick_size: chosenTick } : {};
    const warning = action.ticks ? `The tick size becomes ${chosenTick}; resting orders stay.` : action.warning;
    setResult(null);
    setPending({ ...action, body, warning });
  };

  const confirm = async () => {
    const action = pending;
    setPending(null);
    try {
      const updated = await adminPost(`/admin/markets/${market.condition_id}/${action.path}`, token, action.body);
      setResult({
        ok: true,
        text: `${action.done}: the market is now ${marketStatus(updated)}, tick size ${updated.minimum_tick_size}.`,
      });
      onDone();
    } catch (error) {
      setResult({ ok: false, text: `Refused (HTTP ${error.status ?? "?"}): ${error.message}` });
    }
  };

  return html`
    <${Section} title="Operator actions" id="operator-h">
      <p class="muted">Each action asks for confirmation and needs the admin token (var/admin.token); without it the API refuses.</p>
      <div class="controls">
        <label>Admin token <input type="password" autocomplete="off" value=${token} onInput=${saveToken} /></label>
        ${actions.slice(0, 3).map((a) => html`<button type="button" onClick=${() => ask(a)}>${a.name}</button>`)}
        <label>
          New tick size
          <select value=${chosenTick} onChange=${(e) => setTick(e.target.value)} disabled=${!tickAction.ticks.length}>
            ${tickAction.ticks.map((t) => html`<option value=${t}>${t}</option>`)}
          </select>
        </label>
        <button type="button" onClick=${() => ask(tickAction)} disabled=${!tickAction.ticks.length}>Change tick size</button>
      </div>
      ${result && html`<p role=${result.ok ? "status" : "alert"} class=${result.ok ? "ok" : "error"}>${result.text}</p>`}
      <dialog ref=${dialog} aria-labelledby="confirm-h" onClose=${() => setPending(null)}>
        <h2 id="confirm-h">${pending ? `Confirm: ${pending.name}` : "Confirm"}</h2>
        <p>${pending?.warning}</p>
        <p class="muted">Market: ${market.question || market.condition_id}</p>
        <div class="controls">
          <button type="button" class="primary" onClick=${confirm}>Confirm</button>
          <button type="button" onClick=${() => setPending(null)}>Cancel</button>
        </div>
      </dialog>
    <//>
  `;
}
