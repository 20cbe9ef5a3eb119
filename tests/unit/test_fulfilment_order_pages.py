"""A fulfilment-order answer whose line page was too short is asked again in full."""

from orderflow.integrations.shopify.fulfilment_orders import lines_cut as _lines_cut


def answer(*pages: bool) -> dict:
    return {"order": {"fulfillmentOrders": {"nodes": [
        {"id": f"gid://shopify/FulfillmentOrder/{n}",
         "lineItems": {"pageInfo": {"hasNextPage": more}, "nodes": []}}
        for n, more in enumerate(pages, 1)]}}}


def test_a_page_with_more_lines_is_cut():
    assert _lines_cut(answer(False, True))


def test_whole_pages_and_missing_orders_are_not():
    assert not _lines_cut(answer(False, False))
    assert not _lines_cut({"order": None})
    no_lines = {"order": {"fulfillmentOrders": {"nodes": [{"lineItems": {"nodes": []}}]}}}
    assert not _lines_cut(no_lines)
