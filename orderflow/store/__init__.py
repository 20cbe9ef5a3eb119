"""Persistence of orders, shipments, deliveries and shops inside the caller's transaction.

Nothing here commits: handlers and jobs own their transactions. An order's state moves only
through `store.orders`."""
