"""bench/webhook_ingest.py's figures: a phase's rate and CPU, and what the drain lost or doubled."""

from __future__ import annotations

from bench.common import say
from bench.cpu import NCPU
from bench.ingest_requests import ORDER_ID_BASE

EVENT_KINDS = ("received", "updated", "stale_update_ignored")


def phase_summary(name: str, result: dict, duration: float, cpu: dict) -> dict:
    rows = result["threads"]
    rps = sum(r["by_deadline"] for r in rows) / duration
    sent = sum(r["sent"] for r in rows)
    answered = sum(r["answered"] for r in rows)
    ok = sum(r["ok"] for r in rows)
    bad = sum(r["bad"] for r in rows)
    wraps = sum(r["wraps"] for r in rows)
    wall = cpu["wall"]
    gen_share = cpu["generator"] / (wall * NCPU) if wall else 0.0
    other = cpu["other"]
    say(f"  {name:<16} {rps:8.0f} req/s  p50 {result['p50_ms']:6.1f} ms"
        f"  p90 {result['p90_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms"
        f"  max {result['max_ms']:6.1f} ms | sent {sent} answered {answered} 2xx {ok} other {bad}"
        f"{f' WRAPPED x{wraps} (duplicates sent)' if wraps else ''}")
    say(f"  {'':<16} CPU over {wall:.1f} s (cores busy): generator {cpu['generator'] / wall:.2f}"
        f" ({gen_share:.0%} of the machine), gunicorn {cpu['server'] / wall:.2f},"
        f" postgres {cpu['postgres'] / wall:.2f}, this process {cpu['bench'] / wall:.2f},"
        f" anything else {other / wall:.2f}; whole machine {cpu['machine'] / wall:.2f}"
        f" of {NCPU}")
    if other > 0.2 * wall:
        say(f"  {'':<16} NOISY: something outside this benchmark used {other / wall:.2f} cores")
    errs = {k: v for k, v in result.get("socket_errors", {}).items() if v}
    if errs:
        say(f"  {'':<16} generator errors: {errs}")
    return {"name": name, "rps": rps, "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"],
            "sent": sent, "answered": answered, "ok": ok, "bad": bad, "wraps": wraps,
            "gen_cores": cpu["generator"] / wall if wall else 0.0, "gen_share": gen_share}


def answered_ids(result: dict, ids: list[list[str]]) -> tuple[set[str], set[str], int]:
    """(ids known answered 2xx, ids whose fate the generator cannot tell, how many of those got
    2xx)."""
    known, unsure, unsure_ok = set(), set(), 0
    for row, mine in zip(result["threads"], ids, strict=False):
        sent_ids = mine[:row["sent"]] if not row["wraps"] else mine
        if row["ok_index"] is not None:  # Python client: exact
            known.update(mine[i % len(mine)] for i in row["ok_index"])
        elif row["answered"] == row["sent"] and row["bad"] == 0:  # wrk, every request sent got 2xx
            known.update(sent_ids)
        else:  # wrk with non-2xx answers or requests cut off: can't map answers to ids
            unsure.update(sent_ids)
            unsure_ok += row["ok"]
    return known, unsure, unsure_ok


def intake_losses(intake_ids: list, recorded: set[str]) -> dict:
    """The ids answered 2xx in the intake phases against the deliveries recorded."""
    missing = unsure_missing = unsure_slack = sent_dupes = 0
    accepted: set[str] = set()
    for result, ids in intake_ids:
        known, unsure, unsure_ok = answered_ids(result, ids)
        accepted |= known
        missing += len(known - recorded)
        gone = len(unsure - recorded)
        slack = len(unsure) - unsure_ok  # ids that may have had no 2xx answer
        unsure_missing += max(0, gone - slack)
        unsure_slack += min(gone, slack)
        sent_dupes += sum(r["wraps"] for r in result["threads"])
    return {"accepted": accepted, "missing": missing, "unsure_missing": unsure_missing,
            "unsure_slack": unsure_slack, "sent_dupes": sent_dupes}


def after_drain(conn) -> dict:
    """What the database holds once the drain is over."""
    kinds = (list(EVENT_KINDS),)
    return {
        "recorded": {row[0] for row in conn.execute("SELECT webhook_id FROM webhook_deliveries")},
        "not_done": conn.execute(
            "SELECT count(*) FROM webhook_deliveries WHERE status <> 'done'").fetchone()[0],
        "twice": conn.execute(
            "SELECT count(*) FROM (SELECT delivery_id FROM order_events WHERE kind = ANY(%s)"
            " AND delivery_id IS NOT NULL GROUP BY delivery_id HAVING count(*) > 1) t",
            kinds).fetchone()[0],
        "never": conn.execute(
            "SELECT count(*) FROM webhook_deliveries d WHERE NOT EXISTS (SELECT 1 FROM"
            " order_events e WHERE e.delivery_id = d.id AND e.kind = ANY(%s))",
            kinds).fetchone()[0],
        "orders": conn.execute(
            "SELECT count(*), count(DISTINCT (shop_id, shopify_id)),"
            " count(*) FILTER (WHERE shopify_id BETWEEN %s AND %s) FROM orders",
            (ORDER_ID_BASE, ORDER_ID_BASE + 10**9)).fetchone(),
        "states": dict(conn.execute(
            "SELECT state, count(*) FROM orders GROUP BY state").fetchall()),
        "base_rows": conn.execute("SELECT count(*) FROM bench_baseline").fetchone()[0],
    }


def report_checks(losses: dict, db: dict, timed_out: int, baseline_ok: int) -> int:
    """Prints what was lost or processed twice; returns `lost`."""
    accepted = losses["accepted"]
    missing, unsure_missing = losses["missing"], losses["unsure_missing"]
    unsure_slack, sent_dupes = losses["unsure_slack"], losses["sent_dupes"]
    say(f"intake: {len(accepted)} webhook ids answered 2xx (all phases, warm-up included),"
        f" {len(db['recorded'])} deliveries recorded, {missing} answered but not recorded"
        + (f"; {unsure_slack} unrecorded ids among requests wrk could not match to an answer"
           f" (not counted), {unsure_missing} counted lost"
           if unsure_slack or unsure_missing else "")
        + (f"; {sent_dupes} list wrap(s): duplicate ids were sent" if sent_dupes else ""))
    say(f"after the drain: {db['not_done']} deliveries not done"
        + (f" ({timed_out} still waiting when the drain gave up)" if timed_out else "")
        + f"; {db['never']} with no received/updated event; {db['twice']} with more than one")
    orders, distinct_orders, cloned = db["orders"]
    say(f"orders: {orders} rows, {distinct_orders} distinct (shop, order id), {cloned} from the"
        f" benchmark's webhooks (expected {len(accepted)}); states {db['states']}")
    say(f"baseline: {db['base_rows']} rows in bench_baseline for {baseline_ok} 2xx answers")
    return missing + unsure_missing + db["not_done"]
