from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderflow.fulfilment.carrier_selection import (
    NO_RATES,
    MixedCurrencies,
    SelectionPolicy,
    format_money,
    select_rate,
)
from orderflow.fulfilment.types import DeliveryPromise, Money, Rate


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


USPS = Rate("rate_1", "USPS", "GroundAdvantage", usd("7.58"), 3, date(2026, 12, 2), "ca_1")
UPS_GROUND = Rate("rate_2", "UPS", "Ground", usd("9.68"), 3, date(2026, 12, 2), "ca_2")
FEDEX_HOME = Rate("rate_3", "FedEx", "Home", usd("6.10"), 5, date(2026, 12, 5), "ca_3")
UPS_AIR = Rate("rate_4", "UPS", "NextDayAir", usd("45.10"), 1, date(2026, 11, 30), "ca_2")
RATES = [USPS, UPS_GROUND, FEDEX_HOME, UPS_AIR]
BY_DEC_3 = DeliveryPromise(deliver_by=date(2026, 12, 3))
RELIABILITY = {("USPS", "GroundAdvantage"): 0.96, ("FedEx", "Home"): 0.80}


def why_not(selection, rate: Rate) -> str:
    return next(alt.why_not for alt in selection.alternatives if alt.rate == rate)


def test_cheapest_picks_the_lowest_amount_and_says_how_much_dearer_the_others_are():
    selection = select_rate(RATES, SelectionPolicy())

    assert selection.rate == FEDEX_HOME
    assert selection.reason == "Cheapest: FedEx Home at 6.10 USD, 5 days (2026-12-05)"
    assert why_not(selection, USPS) == "1.48 USD dearer"
    assert len(selection.alternatives) == 3


def test_fastest_picks_the_fewest_days():
    selection = select_rate(RATES, SelectionPolicy(mode="fastest"))

    assert selection.rate == UPS_AIR
    assert why_not(selection, USPS) == "2 days slower"


def test_fastest_breaks_a_tie_in_speed_by_price():
    selection = select_rate([UPS_GROUND, USPS], SelectionPolicy(mode="fastest"))

    assert selection.rate == USPS
    assert why_not(selection, UPS_GROUND) == "as fast, 2.10 USD dearer"


def test_cheapest_on_time_skips_late_rates_and_cites_reliability():
    policy = SelectionPolicy(mode="cheapest_on_time")
    selection = select_rate(RATES, policy, RELIABILITY, BY_DEC_3)

    assert selection.rate == USPS
    assert selection.reason == (
        "Cheapest that arrives by 2026-12-03: USPS GroundAdvantage at 7.58 USD, "
        "3 days (2026-12-02), on time 96% of the time"
    )
    assert why_not(selection, FEDEX_HOME) == (
        "arrives after the promise (2026-12-05, promised by 2026-12-03)"
    )
    assert why_not(selection, UPS_GROUND) == "2.10 USD dearer"


def test_cheapest_on_time_with_a_number_of_days():
    policy = SelectionPolicy(mode="cheapest_on_time")
    selection = select_rate(RATES, policy, promise=DeliveryPromise(max_days=2))

    assert selection.rate == UPS_AIR
    assert why_not(selection, USPS) == "arrives after the promise (3 days, promised within 2 days)"


def test_the_shops_standard_promise_applies_when_the_order_has_none():
    policy = SelectionPolicy(mode="cheapest_on_time", max_days=4)

    assert select_rate(RATES, policy).rate == USPS


def test_cheapest_on_time_without_any_promise_is_cheapest_and_says_so():
    selection = select_rate(RATES, SelectionPolicy(mode="cheapest_on_time"))

    assert selection.rate == FEDEX_HOME
    assert selection.reason.startswith("Cheapest (no delivery promise to meet)")


def test_rate_without_an_estimate_cannot_be_shown_on_time():
    vague = Rate("rate_9", "Pigeon", "Eventually", usd("1.00"))
    policy = SelectionPolicy(mode="cheapest_on_time")
    selection = select_rate([vague, USPS], policy, promise=BY_DEC_3)

    assert selection.rate == USPS
    assert why_not(selection, vague) == "no delivery date to check against the promise"


def test_an_unreliable_rate_that_meets_the_estimate_is_not_on_time():
    policy = SelectionPolicy(mode="cheapest_on_time", min_reliability=0.97)
    selection = select_rate(RATES, policy, RELIABILITY, BY_DEC_3)

    assert selection.rate == UPS_GROUND  # unknown reliability is not held against it
    assert why_not(selection, USPS) == "on time only 96% of the time, below the minimum of 97%"


def test_when_no_rate_is_reliable_enough_the_reason_names_the_best():
    policy = SelectionPolicy(mode="cheapest_on_time", min_reliability=0.99)
    selection = select_rate([USPS, FEDEX_HOME], policy, RELIABILITY, DeliveryPromise(max_days=6))

    assert selection.rate is None
    assert selection.reason == (
        "No rate is on time at least 99% of the time: "
        "the most reliable is USPS GroundAdvantage, on time 96%"
    )


def test_no_rate_on_time_names_the_fastest():
    policy = SelectionPolicy(mode="cheapest_on_time")
    selection = select_rate([USPS, FEDEX_HOME], policy, promise=DeliveryPromise(max_days=1))

    assert selection.rate is None
    assert selection.reason == (
        "No rate arrives within 1 day: the fastest is USPS GroundAdvantage, 3 days (2026-12-02)"
    )


def test_excluded_carriers_and_services_are_skipped():
    policy = SelectionPolicy(
        excluded_carriers=frozenset({"fedex"}),
        excluded_services=frozenset({("USPS", "GroundAdvantage")}),
    )
    selection = select_rate(RATES, policy)

    assert selection.rate == UPS_GROUND
    assert why_not(selection, FEDEX_HOME) == "excluded carrier"
    assert why_not(selection, USPS) == "excluded service"


def test_everything_excluded():
    policy = SelectionPolicy(excluded_carriers=frozenset({"UPS", "USPS", "FedEx"}))
    selection = select_rate(RATES, policy)

    assert selection.rate is None
    assert selection.reason.startswith("Every rate is from an excluded carrier or service")


def test_nothing_under_the_maximum_cost_says_what_the_cheapest_is():
    dear = Rate("rate_5", "UPS", "Ground", usd("24.10"), 3)
    selection = select_rate([dear, UPS_AIR], SelectionPolicy(max_cost=usd("20")))

    assert selection.rate is None
    assert selection.reason == (
        "No rate under the maximum of 20.00 USD: the cheapest is 24.10 USD (UPS Ground)"
    )
    assert why_not(selection, dear) == "over the maximum cost of 20.00 USD"


def test_the_filter_that_removes_the_last_rates_gives_the_reason():
    policy = SelectionPolicy(excluded_carriers=frozenset({"FedEx"}), max_cost=usd("7"))
    selection = select_rate(RATES, policy)

    assert selection.reason.startswith(
        "No rate under the maximum of 7.00 USD: the cheapest is 7.58 USD"
    )


def test_no_rates_at_all():
    assert select_rate([], SelectionPolicy()).reason == NO_RATES


def test_preferred_carrier_wins_within_the_margin():
    policy = SelectionPolicy(preferred=("USPS",), preference_margin=Decimal("0.25"))
    selection = select_rate(RATES, policy)

    assert selection.rate == USPS
    assert selection.reason.startswith("Preferred carrier within 25% of the best: USPS")
    assert why_not(selection, FEDEX_HOME) == "1.48 USD cheaper, but USPS is preferred"


def test_preferred_carrier_outside_the_margin_loses():
    policy = SelectionPolicy(preferred=("USPS",), preference_margin=Decimal("0.05"))

    assert select_rate(RATES, policy).rate == FEDEX_HOME


def test_preference_can_name_a_service():
    policy = SelectionPolicy(preferred=(("ups", "ground"),), preference_margin=Decimal("0.60"))

    assert select_rate(RATES, policy).rate == UPS_GROUND


def test_in_fastest_mode_a_preferred_rate_must_be_as_fast():
    policy = SelectionPolicy(mode="fastest", preferred=("USPS",), preference_margin=Decimal("9"))

    assert select_rate(RATES, policy).rate == UPS_AIR


def test_ties_go_to_the_faster_then_by_name():
    slow_twin = Rate("rate_6", "Aardvark", "Post", usd("7.58"), 4)
    name_twin = Rate("rate_7", "Aardvark", "Express", usd("7.58"), 3)
    selection = select_rate([USPS, slow_twin, name_twin], SelectionPolicy())

    assert selection.rate == name_twin
    assert why_not(selection, slow_twin) == "same price, 1 day slower"
    assert why_not(selection, USPS) == "same price and speed: ties go by name"


def test_mixed_currencies_are_refused():
    euro = Rate("rate_8", "DHL", "Express", Money(Decimal("8"), "EUR"), 2)

    with pytest.raises(MixedCurrencies):
        select_rate([USPS, euro], SelectionPolicy())
    with pytest.raises(MixedCurrencies):
        select_rate([euro], SelectionPolicy(max_cost=usd("10")))


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="Unknown selection mode"):
        SelectionPolicy(mode="random")


def test_money_keeps_the_currencys_places():
    assert format_money(Money(Decimal("1200"), "JPY")) == "1200 JPY"
    assert format_money(usd("7.5")) == "7.50 USD"


rates = st.lists(
    st.builds(
        Rate,
        id=st.uuids().map(str),
        carrier=st.sampled_from(["UPS", "USPS", "FedEx"]),
        service=st.sampled_from(["Ground", "Priority", "Express"]),
        amount=st.decimals(1, 50, places=2).map(lambda a: Money(a, "USD")),
        delivery_days=st.none() | st.integers(1, 7),
    ),
    max_size=8,
)


@given(rates, st.sampled_from(["cheapest", "fastest", "cheapest_on_time"]))
def test_every_rate_is_chosen_or_explained_and_order_does_not_matter(offered, mode):
    policy = SelectionPolicy(mode=mode, max_cost=usd("40"), max_days=4)
    selection = select_rate(offered, policy)

    explained = [alt.rate for alt in selection.alternatives]
    chosen = [selection.rate] if selection.rate else []
    assert sorted(explained + chosen, key=id) == sorted(offered, key=id)
    assert select_rate(list(reversed(offered)), policy).rate == selection.rate
    if selection.rate is not None and mode != "fastest":
        eligible = [alt.rate for alt in selection.alternatives if _lost_on_price(alt.why_not)]
        assert all(selection.rate.amount.amount <= rate.amount.amount for rate in eligible)


def _lost_on_price(why_not: str) -> bool:
    return "dearer" in why_not or "same price" in why_not
