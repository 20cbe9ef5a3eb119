"""The Admin GraphQL texts the sandbox's own tests send: the app's (queries.py), and the two
fulfilment-order queries the app sent before issue 10 made them one
(integrations/shopify/fulfilment_orders.QUERY). Those two stay here as they were: the sandbox's
tests pin their answers' shapes and their costs (621 points for 100 lines, 27 for one)."""

from orderflow.integrations.shopify.queries import *  # noqa: F403

ORDER_FULFILLMENT_ORDERS = """
query OrderFulfillmentOrders($id: ID!, $lines: Int = 100) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 3) {
      nodes {
        id status
        assignedLocation { name location { id } }
        fulfillmentHolds { reason reasonNotes }
        lineItems(first: $lines) {
          pageInfo { hasNextPage }
          nodes { id remainingQuantity requiresShipping sku inventoryItemId lineItem { id } }
        }
      }
    }
  }
}
"""

FULFILLMENT_ORDERS_TO_SHIP = """
query FulfillmentOrdersToShip($id: ID!, $lines: Int = 100) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 3) {
      nodes {
        id status
        assignedLocation {
          name address1 address2 city province countryCode zip phone
          location { id }
        }
        fulfillmentHolds { reason reasonNotes }
        lineItems(first: $lines) {
          pageInfo { hasNextPage }
          nodes {
            id remainingQuantity requiresShipping sku productTitle
            weight { unit value } lineItem { id }
          }
        }
      }
    }
  }
}
"""
