"""The operator console in a real browser, against the stack ``make run`` starts (chain, API, batcher, indexer,
reconciler, the demo market).

The page shows the demo market's book; a trade a test client places appears on it and moves to CONFIRMED without
a reload, and its life (journal entry → settlement transaction → block → indexed fills) is shown; a fill made on
chain outside the book appears as an open discrepancy with its evidence; an operator action without the admin token
is refused, with it takes effect; ``/docs`` renders the API's operations from the installed Swagger UI; the pages
work on a phone-sized screen. Elements are found by role and accessible name. The tests run in this order on one
stack (the admin test changes the market's tick size last).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from chain.anvil import dev_key
from chain.exchange import hash_order, order_tuple
from chain.markets import fund_account
from chain.rpc import Signer, connect, contract_at
from clob.client import ClobHttpClient
from tests.integration.console.conftest import Console, Shots

pytestmark = pytest.mark.chain

DEMO_QUESTION = "Will the demo market resolve YES?"
USDC = 1_000_000
SETTLED = 60_000  # ms: a trade is CONFIRMED one block (1 s) after the block that mined it
RECONCILED = 45_000  # ms: the stack reconciles every 10 s, after the indexer has the block

RECORD_STATUSES = """() => {
  window.__seen = {};
  const record = () => {
    const table = [...document.querySelectorAll("table")].find((t) => t.caption?.textContent === "Last trades");
    for (const row of table?.tBodies[0]?.rows ?? []) {
      const link = row.querySelector("a");
      if (!link) continue;
      const seen = (window.__seen[link.textContent] ??= []);
      const status = row.cells[6].textContent;
      if (seen[seen.length - 1] !== status) seen.push(status);
    }
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
  record();
}"""


def market_of(stack: dict[str, Any]) -> tuple[str, int]:
    market = stack["markets"][0]
    return market["condition_id"], int(market["token_ids"][0])


def client(stack: dict[str, Any], index: int) -> ClobHttpClient:
    return ClobHttpClient(stack["api_url"], dev_key(index), stack["chain_id"], stack["exchange"])


def test_the_console_shows_the_demo_market_book(console: Console, stack: dict[str, Any], shots: Shots) -> None:
    cid, yes = market_of(stack)
    page = console.page
    console.open()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Live updates on")).to_be_visible()
    expect(page.get_by_role("table", name="Markets")).to_contain_text("Live")
    shots.take(page, "overview")

    page.get_by_role("link", name=DEMO_QUESTION).click()
    expect(page.get_by_role("heading", name=DEMO_QUESTION)).to_be_visible()
    book = httpx.get(f"{stack['api_url']}/book", params={"token_id": str(yes)}).json()
    for side, name in (("bids", "Yes bids"), ("asks", "Yes asks")):
        rows = page.get_by_role("table", name=name).get_by_role("row")
        expect(rows).to_have_count(1 + len(book[side]))  # the header, then every level, best first
        for i, level in enumerate(reversed(book[side]), start=1):
            expect(rows.nth(i)).to_have_text(f"{level['price']}{level['size']}")
    expect(page.get_by_role("table", name="Yes bids").get_by_role("row").nth(1)).to_have_text("0.45100")
    expect(page.get_by_role("table", name="No bids")).to_be_visible()
    expect(page.get_by_role("img", name="Yes depth")).to_be_visible()
    expect(page.get_by_label("Market", exact=True)).to_contain_text("Live")
    assert page.url.endswith(f"#/markets/{cid}")
    shots.take(page, "market")
    console.check_clean()


def test_a_trade_appears_and_reaches_confirmed_without_a_reload(
    console: Console, stack: dict[str, Any], shots: Shots
) -> None:
    cid, yes = market_of(stack)
    page = console.page
    console.open(f"/markets/{cid}")
    asks = page.get_by_role("table", name="Yes asks").get_by_role("row")
    expect(asks.nth(1)).to_have_text("0.55100")
    page.evaluate("window.__sameDocument = true")
    page.evaluate(RECORD_STATUSES)

    buyer = client(stack, 2)
    buyer.create_api_key()
    placed = buyer.post_order(buyer.limit_order(yes, "BUY", "0.55", "10"))
    assert placed["status"] == "matched", placed
    trade_id = placed["tradeIDs"][0]

    row = page.get_by_role("table", name="Last trades").get_by_role("row").filter(has_text=trade_id[:8])
    expect(row).to_contain_text("0.55")
    expect(row).to_contain_text("CONFIRMED", timeout=SETTLED)
    expect(asks.nth(1)).to_have_text("0.5590")  # the book moved too
    seen = page.evaluate("window.__seen")[trade_id[:8]]
    assert seen[-1] == "CONFIRMED"
    assert seen[0] != "CONFIRMED", seen  # it was on screen before it settled
    assert set(seen) <= {"MATCHED", "MINED", "CONFIRMED"}, seen
    assert page.evaluate("window.__sameDocument") is True  # no reload
    shots.take(page, "market-after-trade")

    # Its life: the journal entry that matched it, the transaction, the block, the indexed fills.
    row.get_by_role("link", name=trade_id[:8]).click()
    life = page.get_by_role("list", name="Trade life")
    expect(life.get_by_role("listitem")).to_have_count(5)
    expect(life.get_by_role("listitem").nth(4)).to_contain_text("done", timeout=SETTLED)  # indexed and confirmed
    audit = httpx.get(f"{stack['api_url']}/audit/settlements").json()["data"]
    batch = next(b for b in audit if trade_id in b["trade_ids"])
    journal = page.get_by_label("Journal entry")
    expect(journal).to_contain_text(f"main seq {batch['journal_seq']}")
    expect(journal).to_contain_text("hash matches the journal")
    expect(journal.get_by_label(batch["journal_hash"])).to_be_visible()
    txs = page.get_by_role("table", name="Settlement transactions of this trade")
    expect(txs.get_by_label(batch["transaction_hash"])).to_be_visible()
    expect(txs).to_contain_text("CONFIRMED")
    fills = page.get_by_role("table", name="Fills the indexer holds for this trade").get_by_role("row")
    expect(fills).to_have_count(3)  # the maker's fill and the taker's
    shots.take(page, "trade")

    page.get_by_role("link", name="Settlement", exact=True).click()
    settled = page.get_by_role("table", name="Settlement transactions").get_by_role("row")
    expect(settled.filter(has=page.get_by_label(batch["transaction_hash"]))).to_contain_text("CONFIRMED")
    expect(page.get_by_role("img", name="Unsettled trades and the age of the oldest, every 10 s")).to_be_visible()
    shots.take(page, "settlement")

    page.get_by_role("link", name="Chain and journal").click()
    batches = page.get_by_role("table", name="Published settlement batches")
    expect(batches.get_by_role("link", name=trade_id[:8])).to_be_visible()
    expect(page.get_by_role("table", name="Journal heads")).to_contain_text("main")
    expect(page.get_by_label("Indexer progress")).to_contain_text("Lag")
    shots.take(page, "chain")
    console.check_clean()


def test_a_fill_outside_the_book_appears_as_a_discrepancy_with_its_evidence(
    console: Console, stack: dict[str, Any], shots: Shots
) -> None:
    _, yes = market_of(stack)
    page = console.page
    console.open("/reconciliation")
    expect(page.get_by_role("table", name="Reconciliation runs").get_by_role("row").nth(1)).to_be_visible()

    # On purpose: the operator key fills a signed order on chain that the book never saw.
    w3 = connect(stack["rpc_url"])
    operator = Signer.from_key(w3, dev_key(0))
    usdc: Any = contract_at(w3, "MockUSDC", stack["collateral"])
    ctf: Any = contract_at(w3, "ConditionalTokens", stack["ctf"])
    exchange: Any = contract_at(w3, "Exchange", stack["exchange"])
    fund_account(operator, operator, usdc, ctf, stack["exchange"], 100 * USDC)
    maker = client(stack, 1)
    order = maker.limit_order(yes, "SELL", "0.30", "10")
    order_hash = "0x" + hash_order(order, stack["chain_id"], stack["exchange"]).hex()
    receipt = operator.transact(exchange.functions.fillOrder(order_tuple(order), 10 * USDC))
    tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()

    found = page.get_by_role("table", name="Open discrepancies").get_by_role("row").filter(has_text=tx_hash)
    expect(found).to_contain_text("FILL_WITHOUT_TRADE", timeout=RECONCILED)
    evidence = ('"claimed_by": []', '"making": "10000000"', '"taking": "3000000"', f'"order_hash": "{order_hash}"')
    for fact in evidence:
        expect(found).to_contain_text(fact)
    shots.take(page, "reconciliation")
    console.check_clean()


def test_operator_actions_need_the_admin_token_and_show_their_effect(
    console: Console, stack: dict[str, Any], shots: Shots
) -> None:
    cid, _ = market_of(stack)
    api = stack["api_url"]
    page = console.page
    console.open(f"/markets/{cid}")
    status = page.get_by_label("Market", exact=True)
    expect(status).to_contain_text("Live")

    def act(button: str, confirm: bool = True) -> None:
        page.get_by_role("button", name=button, exact=True).click()
        dialog = page.get_by_role("dialog", name=f"Confirm: {button}")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Confirm" if confirm else "Cancel").click()
        expect(dialog).to_be_hidden()

    # Without the token: refused, and nothing changed.
    expect(page.get_by_label("Admin token")).to_have_value("")
    act("Halt market")
    expect(page.get_by_role("alert")).to_contain_text("Refused (HTTP 401)")
    assert httpx.get(f"{api}/markets/{cid}").json()["accepting_orders"] is True
    expect(status).to_contain_text("Live")
    shots.take(page, "operator-refused", full_page=False)

    # Cancelled in the dialog: nothing sent.
    page.get_by_label("Admin token").fill(stack["admin_token"])
    act("Halt market", confirm=False)
    assert httpx.get(f"{api}/markets/{cid}").json()["accepting_orders"] is True

    # With the token: halted, shown, resumed.
    act("Halt market")
    expect(page.get_by_role("status").filter(has_text="the market is now Halted")).to_be_visible()
    expect(status).to_contain_text("Halted")
    assert httpx.get(f"{api}/markets/{cid}").json()["accepting_orders"] is False
    act("Resume market")
    expect(page.get_by_role("status").filter(has_text="the market is now Live")).to_be_visible()
    expect(status).to_contain_text("Live")
    assert httpx.get(f"{api}/markets/{cid}").json()["accepting_orders"] is True

    page.get_by_label("New tick size").select_option("0.001")
    act("Change tick size")
    expect(page.get_by_role("status").filter(has_text="tick size 0.001")).to_be_visible()
    expect(status).to_contain_text("0.001")
    assert httpx.get(f"{api}/markets/{cid}").json()["minimum_tick_size"] == 0.001
    console.check_clean()


def test_docs_render_the_operations_offline(console: Console, stack: dict[str, Any], shots: Shots) -> None:
    page = console.page
    page.goto(f"{stack['api_url']}/docs")
    expect(page.get_by_role("heading", name="polyclob")).to_be_visible()
    for path in ("/markets", "/book", "/console/api/trades/{trade_id}", "/chain/discrepancies"):
        expect(page.get_by_role("link", name=path, exact=True).first).to_be_visible()
    shots.take(page, "docs", full_page=False)
    console.check_clean()


def test_the_pages_fit_a_phone(phone: Console, stack: dict[str, Any], shots: Shots) -> None:
    cid, _ = market_of(stack)
    page = phone.page
    for route, name, ready in (
        (f"/markets/{cid}", "market-phone", ("table", "Yes bids")),
        ("/reconciliation", "reconciliation-phone", ("table", "Reconciliation runs")),
    ):
        phone.open(route)
        expect(page.get_by_role(ready[0], name=ready[1])).to_be_visible()  # type: ignore[arg-type]
        expect(
            page.get_by_role("navigation", name="Console sections").get_by_role("link", name="Settlement")
        ).to_be_visible()
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{route} is wider than the screen: {width}"
        shots.take(page, name)
    phone.check_clean()
