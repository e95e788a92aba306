// HTTP helpers: JSON reads, operator actions with the admin token, and the formatting the pages share.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function answer(resp) {
  const body = await resp.json().catch(() => null);
  if (!resp.ok) throw new ApiError(resp.status, body?.error ?? resp.statusText);
  return body;
}

export async function getJSON(path) {
  return answer(await fetch(path, { headers: { Accept: "application/json" } }));
}

// POST to an /admin route. Without a token no Authorization header is sent: the API refuses with 401.
export async function adminPost(path, token, body) {
  const headers = { Accept: "application/json", "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return answer(await fetch(path, { method: "POST", headers, body: JSON.stringify(body ?? {}) }));
}

const TOKEN_KEY = "polyclob.adminToken";
export const adminToken = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? "",
  set: (value) => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY)),
};

// --- formatting ----------------------------------------------------------------------------------------------

export const utc = (ms) => (ms == null ? "—" : new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19) + "Z");
export const utcSeconds = (s) => utc(Number(s) * 1000);

// 6-decimal base units (a decimal string) as shares or USDC.
export function units(value) {
  if (value == null || value === "") return "—";
  const text = String(value).padStart(7, "0");
  const whole = text.slice(0, -6).replace(/^0+(?=\d)/, "");
  const frac = text.slice(-6).replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole;
}

export const count = (n) => (n == null ? "—" : Number(n).toLocaleString("en-US"));

export function marketStatus(market) {
  if (market.closed) return "Resolved";
  return market.accepting_orders ? "Live" : "Halted";
}
