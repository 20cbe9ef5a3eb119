"""bench/tracking_burst.py's checks: everything the burst should have changed, against what it did.

Our database against each history's last status; Shopify's fulfilment events; the notices; the
emails the SMTP server really received, by Message-ID (the app writes `<notice-ID.SHOP@host>`)
and by To+Subject; and what the workers' logs say.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

from bench.procs import Procs
from bench.rq_stats import JOB_DONE, jobs_by_func
from bench.tracking_histories import FINAL_ALERT, FINAL_EMAIL, FINAL_OURS, FINAL_SHOPIFY, History
from bench.tracking_seed import SHOP

_NOTICE_JOB = r": (orderflow\.jobs\.notices\.\w+)\((\d+)\) \([\w.-]+\)$"


def job_stats(procs: Procs) -> dict:
    """From the RQ worker logs: jobs finished by function (count, seconds), and job starts by
    id, to find the notices whose job ran more than once."""
    starts = Counter()
    for _func, notice_id in procs.grep("worker", _NOTICE_JOB):
        starts[notice_id] += 1
    failed = procs.grep("worker", r"^.*(?:Traceback|Error:|Exception:).*$")
    return {"by_func": jobs_by_func(procs.grep("worker", JOB_DONE)),
            "notice_runs": starts, "errors": Counter(line.strip()[:160] for line in failed)}


def check_run(conn, histories: list[History], seeded: dict, shopify, mails: list[dict],
              accepted: set[str], unsure: set[str]) -> dict:
    """Everything the burst should have changed, compared with what it changed."""
    by_k = {h.k: h for h in histories}
    sid_to_k = {sid: k for k, sid in seeded["shipment_ids"].items()}
    recorded = {r[0] for r in conn.execute(
        "SELECT webhook_id FROM webhook_deliveries WHERE topic LIKE 'tracker.%'")}
    deliveries = dict(conn.execute("SELECT status, count(*) FROM webhook_deliveries WHERE topic"
                                   " LIKE 'tracker.%' GROUP BY status").fetchall())
    delivery_errors = conn.execute("SELECT status, left(error, 140), count(*) FROM"
                                   " webhook_deliveries WHERE status NOT IN ('done', 'pending',"
                                   " 'queued') GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 5").fetchall()
    notices = conn.execute("SELECT id, shipment_id, channel, kind, state,"
                           " left(coalesce(error, ''), 120), extract(epoch FROM created_at),"
                           " extract(epoch FROM sent_at), attempts FROM notices").fetchall()
    return {
        "recorded": len(recorded), "unrecorded": accepted - recorded, "unsure": unsure - recorded,
        "deliveries": deliveries, "delivery_errors": delivery_errors,
        **_database(conn, by_k, sid_to_k), **_shopify(shopify, by_k, seeded["fulfillments"]),
        **_notices(notices), **_emails(notices, mails, histories, sid_to_k),
    }


def _database(conn, by_k: dict, sid_to_k: dict) -> dict:
    """Our database against each history's last status."""
    rows = conn.execute("SELECT s.id, s.tracking_status, p.tracking_status, o.state,"
                        " s.delivered_at IS NOT NULL FROM shipments s JOIN parcels p"
                        " ON p.shipment_id = s.id JOIN orders o ON o.id = s.order_id").fetchall()
    db_wrong, order_states = [], Counter()
    for sid, ship_status, parcel_status, order_state, delivered in rows:
        k = sid_to_k[sid]
        want = FINAL_OURS[by_k[k].final]
        order_states[order_state] += 1
        if ship_status != want or parcel_status != want or (want == "delivered") != delivered:
            db_wrong.append((k, want, ship_status, parcel_status))
    return {"db_wrong": db_wrong, "order_states": order_states}


def _shopify(shopify, by_k: dict, fulfillments: dict) -> dict:
    """The latest event of each fulfilment, duplicates, and events pushed out of order."""
    from orderflow.fulfilment.tracking import shopify_event_rank
    from orderflow.sandbox.shopify.fulfillments import latest_event

    shopify_wrong, pushed_twice, stale_pushes, events_total = [], 0, 0, 0
    by_status = Counter()
    with shopify.store.lock:
        shop = shopify.store.shop(SHOP)
        for k, fid in fulfillments.items():
            f = shop.fulfillments[fid]
            statuses = [e.status for e in f.events]
            events_total += len(statuses)
            by_status.update(statuses)
            pushed_twice += len(statuses) - len(set(statuses))
            stale_pushes += sum(1 for a, b in itertools.pairwise(statuses)
                                if shopify_event_rank(b) < shopify_event_rank(a))
            latest = latest_event(f)
            want = FINAL_SHOPIFY[by_k[k].final]
            if latest is None or latest.status != want:
                shopify_wrong.append((k, want, latest.status if latest else None, statuses))
    return {"shopify_wrong": shopify_wrong, "pushed_twice": pushed_twice,
            "stale_pushes": stale_pushes, "shopify_events": events_total,
            "shopify_by_status": by_status}


def _notices(notices: list) -> dict:
    superseded = sum(1 for n in notices if n[2] == "shopify" and n[4] == "skipped"
                     and n[5].startswith("Shopify was told"))
    notice_errors = Counter((n[2], n[4], n[5]) for n in notices
                            if n[4] in ("failed", "unconfirmed")
                            or (n[4] == "skipped" and n[2] != "shopify"))
    return {"notice_states": Counter((n[2], n[3], n[4]) for n in notices),
            "superseded": superseded, "notice_errors": notice_errors}


def _emails(notices: list, mails: list[dict], histories: list[History], sid_to_k: dict) -> dict:
    """The emails really received against the (shipment, email) pairs that were due."""
    by_notice = {n[0]: n for n in notices}
    received = Counter()  # (k, channel, kind) -> messages, by Message-ID
    unknown_mail = 0
    for m in mails:
        match = re.match(r"<notice-(\d+)\.", m["message_id"])
        notice = by_notice.get(int(match.group(1))) if match else None
        if notice is None:
            unknown_mail += 1
            continue
        received[(sid_to_k[notice[1]], notice[2], notice[3])] += 1
    by_subject = Counter((m["to"].lower(), m["subject"]) for m in mails)
    due = {(sid_to_k[n[1]], n[2], n[3]) for n in notices if n[2] in ("email", "merchant")
           and n[3] != "shipped" and not (n[4] == "skipped" and n[2] == "email")}
    for h in histories:  # whatever happened on the way, the last status's email is due
        due.add((h.k, "email", FINAL_EMAIL[h.final]))
        if h.final in FINAL_ALERT:
            due.add((h.k, "merchant", FINAL_ALERT[h.final]))
    counts = [received.get(key, 0) for key in due]
    by_kind = Counter()
    for (_k, ch, kind), n in received.items():
        by_kind[(ch, kind)] += n
    return {
        "mails": len(mails), "unknown_mail": unknown_mail, "due": len(due),
        "received_due": sum(counts), "max_per_status": max(counts, default=0),
        "off": sorted((key, received.get(key, 0)) for key in due if received.get(key, 0) != 1),
        "extra": sorted((key, n) for key, n in received.items() if key not in due),
        "shipped_resent": sum(n for (_k, _ch, kind), n in received.items() if kind == "shipped"),
        **_late_out_for_delivery(notices),
        "subject_dupes": sum(1 for n in by_subject.values() if n > 1),
        "received_by_kind": by_kind,
    }


def _late_out_for_delivery(notices: list) -> dict:
    """"Out for delivery" emails that left after the shipment was known to be delivered
    (`late_ofd`), and after the "delivered" email itself (`ofd_after`)."""
    created = {(n[1], n[2], n[3]): n for n in notices}
    late_ofd = sum(1 for (sid, ch, kind), n in created.items()
                   if ch == "email" and kind == "out_for_delivery" and n[7] is not None
                   and (sid, "email", "delivered") in created
                   and float(n[7]) > float(created[(sid, "email", "delivered")][6]))
    ofd_after = sum(1 for (sid, ch, kind), n in created.items()
                    if ch == "email" and kind == "out_for_delivery" and n[7] is not None
                    and created.get((sid, "email", "delivered"), (None,) * 8)[7] is not None
                    and float(n[7]) > float(created[(sid, "email", "delivered")][7]))
    return {"late_ofd": late_ofd, "ofd_after": ofd_after}
