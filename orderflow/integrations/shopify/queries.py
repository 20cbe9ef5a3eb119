"""The Admin GraphQL operations this app sends, by name (operations.py sends them).

The sandbox recognises each operation by its name, so a new operation is added here and there.
"""

ADDRESS_FIELDS = """
    name firstName lastName company address1 address2 city
    province provinceCode zip country countryCodeV2 phone
"""

ORDER_FIELDS = f"""
  id legacyResourceId name email createdAt updatedAt cancelledAt cancelReason test note tags
  displayFinancialStatus displayFulfillmentStatus
  totalPriceSet {{ shopMoney {{ amount currencyCode }} }}
  customer {{ id legacyResourceId firstName lastName
             defaultEmailAddress {{ emailAddress }} defaultPhoneNumber {{ phoneNumber }} }}
  shippingAddress {{ {ADDRESS_FIELDS} }}
  billingAddress {{ {ADDRESS_FIELDS} }}
  lineItems(first: 100) {{
    nodes {{
      id title sku quantity requiresShipping isGiftCard unfulfilledQuantity
      originalUnitPriceSet {{ shopMoney {{ amount currencyCode }} }}
      variant {{ legacyResourceId }}
      product {{ legacyResourceId }}
    }}
  }}
"""

SHOP_INFO = """
query ShopInfo {
  shop { id name email myshopifyDomain currencyCode }
}
"""

# Ids only: a page of full orders would cost far above Shopify's 1,000-point ceiling per query.
ORDERS_UPDATED_SINCE = """
query OrdersUpdatedSince($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId updatedAt }
  }
}
"""

ORDER_BY_ID = f"""
query OrderById($id: ID!) {{
  order(id: $id) {{ {ORDER_FIELDS} }}
}}
"""

# An order's fulfilment orders: `fulfilment_orders.QUERY`, with its parser and its cost notes.

INVENTORY_AT_LOCATION = """
query InventoryAtLocation($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id tracked
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["on_hand"]) { name quantity }
      }
    }
  }
}
"""

WEBHOOK_SUBSCRIPTIONS = """
query WebhookSubscriptions {
  webhookSubscriptions(first: 100) { nodes { id topic uri } }
}
"""

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!,
                                   $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

# Before creating a fulfilment: has an earlier attempt already created it? (Shopify has no
# idempotency key for fulfillmentCreate, so we look for our tracking numbers.)
ORDER_FULFILLMENTS = """
query OrderFulfillments($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 50) { id status trackingInfo(first: 10) { company number url } }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
"""

# The reconciler puts back tracking that went missing from, or changed on, a fulfilment of ours.
FULFILLMENT_TRACKING_INFO_UPDATE = """
mutation FulfillmentTrackingInfoUpdate($fulfillmentId: ID!,
                                       $trackingInfoInput: FulfillmentTrackingInput!,
                                       $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId,
                                trackingInfoInput: $trackingInfoInput,
                                notifyCustomer: $notifyCustomer) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
"""

# Voiding a label after its fulfilment reached Shopify reopens the lines there.
FULFILLMENT_CANCEL = """
mutation FulfillmentCancel($id: ID!) {
  fulfillmentCancel(id: $id) { fulfillment { id status } userErrors { field message } }
}
"""

# Tracking news for a fulfilment (status is a FulfillmentEventStatus).
FULFILLMENT_EVENT_CREATE = """
mutation FulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status happenedAt }
    userErrors { field message }
  }
}
"""

# Whether an event we may have sent before reached Shopify: a retry looks before it sends.
FULFILLMENT_EVENTS = """
query FulfillmentEvents($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 20) { id events(first: 30) { nodes { status happenedAt } } }
  }
}
"""
