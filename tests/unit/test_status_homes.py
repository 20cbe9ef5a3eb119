"""Tracking words and carrier names live in fulfilment/; the adapter keeps only EasyPost's."""

from orderflow.fulfilment import carrier_names, tracking_status
from orderflow.integrations.easypost import statuses
from orderflow.jobs import notices


def test_the_names_have_their_homes_in_fulfilment():
    """Everyone imports them from fulfilment/; the EasyPost adapter re-exports none of them."""
    for name in ("TrackingStatus", "rank", "moves_forward", "shopify_event_status"):
        assert callable(getattr(tracking_status, name))
    for name in ("rank", "moves_forward", "shopify_event_status", "carrier_key", "shopify_company",
                 "tracking_url"):
        assert not hasattr(statuses, name)
    assert notices.tracking_url is carrier_names.tracking_url


def test_easypost_words_map_to_ours():
    ours = tracking_status.TrackingStatus
    assert statuses.status_from_easypost("pre_transit") is ours.LABEL_CREATED
    assert statuses.status_from_easypost(" Delivered ") is ours.DELIVERED
    assert statuses.status_from_easypost("teleported") is ours.UNKNOWN


def test_a_stored_word_we_do_not_know_reads_as_unknown_and_ranks_lowest():
    assert tracking_status.read_status("teleported") is tracking_status.TrackingStatus.UNKNOWN
    assert tracking_status.rank("teleported") == 0
    assert tracking_status.shopify_event_status("teleported") is None


def test_carrier_names_meet_whatever_the_spelling():
    assert carrier_names.carrier_key("DHL Express") == carrier_names.carrier_key("DhlExpress")
    assert carrier_names.shopify_company("dhl express") == "DHL Express"
    assert carrier_names.tracking_url("UPS", "1Z 9") == "https://www.ups.com/track?tracknum=1Z%209"
    assert carrier_names.tracking_url("UPS", "", fallback="https://x") == "https://x"
