// The live feed: one connection to the market WebSocket (/ws/market) for every asset the open pages show, with the
// opt-in trade_status events. Pages register handlers with onMessage; the connection comes back after a drop.

const handlers = new Set();
const stateHandlers = new Set();
const assets = new Set();
let socket = null;
let state = "connecting";
let retryMs = 500;

function setState(next) {
  state = next;
  stateHandlers.forEach((fn) => fn(state));
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/market`);
  socket.onopen = () => {
    retryMs = 500;
    send({ type: "market", assets_ids: [...assets], initial_dump: false, trade_status: true });
    setState("live");
  };
  socket.onmessage = (event) => {
    if (event.data === "PONG") return;
    const data = JSON.parse(event.data);
    for (const message of Array.isArray(data) ? data : [data]) handlers.forEach((fn) => fn(message));
  };
  socket.onclose = () => {
    setState("reconnecting");
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 8000);
  };
}

setInterval(() => socket?.readyState === WebSocket.OPEN && socket.send("PING"), 10000);

export function follow(assetIds) {
  const fresh = assetIds.map(String).filter((a) => !assets.has(a));
  fresh.forEach((a) => assets.add(a));
  if (fresh.length) send({ operation: "subscribe", assets_ids: fresh, initial_dump: false });
}

export function onMessage(fn) {
  handlers.add(fn);
  return () => handlers.delete(fn);
}

export function onState(fn) {
  stateHandlers.add(fn);
  fn(state);
  return () => stateHandlers.delete(fn);
}

connect();
