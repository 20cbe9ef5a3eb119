"""Choosing one rate among those offered, and saying why, for the chosen one and for the others.

Rates pass through filters in a fixed order: exclusions, the maximum cost, the promise (only for
"cheapest_on_time"), then the minimum reliability. A rate that fails one is not chosen, and its
alternative says which. When nothing passes, the reason names the filter that removed the last
rates and the best of those, so the merchant knows what to change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orderflow.fulfilment.types import (
    DeliveryPromise,
    Money,
    Rate,
    RateAlternative,
    Selection,
)

MODES = ("cheapest", "fastest", "cheapest_on_time")
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})
NO_RATES = "No rates offered: check the shipping address, the parcel and the carrier accounts"

Reliability = Mapping[tuple[str, str], float | None]


class MixedCurrencies(ValueError):
    """Rates (or the maximum cost) in more than one currency cannot be compared."""


@dataclass(frozen=True)
class SelectionPolicy:
    """How one shop chooses.

    `preferred` names carriers ("UPS") or carrier services (("UPS", "Ground")); a preferred rate
    wins when it costs at most `preference_margin` more than the best one (0.05: 5% more) and,
    in "fastest" mode, arrives no later. `max_days` is the shop's standard promise, used by
    "cheapest_on_time" when an order has no promise of its own.
    """

    mode: str = "cheapest"
    excluded_carriers: frozenset[str] = frozenset()
    excluded_services: frozenset[tuple[str, str]] = frozenset()
    max_cost: Money | None = None
    preferred: tuple[str | tuple[str, str], ...] = ()
    preference_margin: Decimal = Decimal(0)
    min_reliability: float | None = None
    max_days: int | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"Unknown selection mode {self.mode!r}: use one of {MODES}")
        if self.preference_margin < 0:
            raise ValueError("The preference margin cannot be negative")


def select_rate(
    rates: Sequence[Rate],
    policy: SelectionPolicy,
    reliability: Reliability | None = None,
    promise: DeliveryPromise | None = None,
) -> Selection:
    """The rate to buy under `policy`, with a reason for it and for every other rate.

    `reliability` maps (carrier, service) to the share delivered on time; a service missing from
    it, or None, is unknown and never rejected for it. Raises MixedCurrencies.
    """
    _check_one_currency(rates, policy.max_cost)
    context = _Context(policy, _normalised(reliability or {}), _effective_promise(policy, promise))
    survivors, rejected, emptied_by = _filter(rates, context)
    if not survivors:
        return Selection(None, emptied_by or NO_RATES, _alternatives(rates, rejected))
    ranked = sorted(survivors, key=context.rank_key)
    chosen, preferred_over = _apply_preference(ranked, context)
    reason = _chosen_reason(chosen, preferred_over, context)
    for rate in survivors:
        if rate is not chosen:
            rejected[id(rate)] = _why_not_chosen(rate, chosen, context)
    return Selection(chosen, reason, _alternatives(rates, rejected))


def _check_one_currency(rates: Iterable[Rate], max_cost: Money | None) -> None:
    currencies = {rate.amount.currency for rate in rates}
    if max_cost is not None:
        currencies.add(max_cost.currency)
    if len(currencies) > 1:
        raise MixedCurrencies(f"Rates in several currencies: {', '.join(sorted(currencies))}")


def _normalised(reliability: Reliability) -> dict[tuple[str, str], float | None]:
    return {(c.casefold(), s.casefold()): score for (c, s), score in reliability.items()}


def _effective_promise(policy: SelectionPolicy, promise: DeliveryPromise | None) -> DeliveryPromise:
    if promise is not None and _has_promise(promise):
        return promise
    return DeliveryPromise(max_days=policy.max_days)


def _has_promise(promise: DeliveryPromise) -> bool:
    return promise.deliver_by is not None or promise.max_days is not None


@dataclass(frozen=True)
class _Context:
    policy: SelectionPolicy
    reliability: dict[tuple[str, str], float | None]
    promise: DeliveryPromise = field(default_factory=DeliveryPromise)

    @property
    def on_time_mode(self) -> bool:
        return self.policy.mode == "cheapest_on_time" and _has_promise(self.promise)

    def score(self, rate: Rate) -> float | None:
        return self.reliability.get((rate.carrier.casefold(), rate.service.casefold()))

    def rank_key(self, rate: Rate) -> tuple:
        days = rate.delivery_days if rate.delivery_days is not None else float("inf")
        names = (rate.carrier.casefold(), rate.service.casefold(), rate.id)
        if self.policy.mode == "fastest":
            return (days, rate.amount.amount, *names)
        return (rate.amount.amount, days, *names)


# Filters: each returns why a rate fails it, or None.


def _excluded(rate: Rate, context: _Context) -> str | None:
    policy = context.policy
    if rate.carrier.casefold() in {c.casefold() for c in policy.excluded_carriers}:
        return "excluded carrier"
    excluded = {(c.casefold(), s.casefold()) for c, s in policy.excluded_services}
    if (rate.carrier.casefold(), rate.service.casefold()) in excluded:
        return "excluded service"
    return None


def _over_max(rate: Rate, context: _Context) -> str | None:
    limit = context.policy.max_cost
    if limit is not None and rate.amount.amount > limit.amount:
        return f"over the maximum cost of {format_money(limit)}"
    return None


def _late(rate: Rate, context: _Context) -> str | None:
    if not context.on_time_mode:
        return None
    promise = context.promise
    if promise.deliver_by is not None:
        if rate.delivery_date is None:
            return "no delivery date to check against the promise"
        if rate.delivery_date > promise.deliver_by:
            return (
                f"arrives after the promise ({rate.delivery_date}, "
                f"promised by {promise.deliver_by})"
            )
    if promise.max_days is not None:
        if rate.delivery_days is None:
            return "no delivery estimate to check against the promise"
        if rate.delivery_days > promise.max_days:
            return (
                f"arrives after the promise ({_days(rate.delivery_days)}, "
                f"promised within {_days(promise.max_days)})"
            )
    return None


def _unreliable(rate: Rate, context: _Context) -> str | None:
    minimum = context.policy.min_reliability
    score = context.score(rate)
    if minimum is None or score is None or score >= minimum:
        return None
    return f"on time only {_percent(score)} of the time, below the minimum of {_percent(minimum)}"


_Filter = Callable[[Rate, _Context], str | None]
FILTERS: tuple[_Filter, ...] = (_excluded, _over_max, _late, _unreliable)


def _filter(
    rates: Sequence[Rate], context: _Context
) -> tuple[list[Rate], dict[int, str], str | None]:
    """Survivors, why each other rate failed (by object id), and why none survived, if so."""
    survivors, rejected, emptied_by = list(rates), {}, None
    for check in FILTERS:
        failed = {id(rate): why for rate in survivors if (why := check(rate, context))}
        if failed and len(failed) == len(survivors):
            emptied_by = _nothing_left(check, survivors, context)
        rejected.update(failed)
        survivors = [rate for rate in survivors if id(rate) not in failed]
    return survivors, rejected, emptied_by


def _nothing_left(check: _Filter, rates: list[Rate], context: _Context) -> str:
    cheapest = min(rates, key=lambda r: (r.amount.amount, r.carrier, r.service, r.id))
    if check is _excluded:
        return "Every rate is from an excluded carrier or service: allow another one"
    if check is _over_max:
        return (
            f"No rate under the maximum of {format_money(context.policy.max_cost)}: "
            f"the cheapest is {format_money(cheapest.amount)} ({cheapest.name})"
        )
    if check is _late:
        return f"No rate arrives {_promise_words(context.promise)}: {_fastest_words(rates)}"
    best = max(rates, key=lambda r: (context.score(r) or 0.0, -r.amount.amount))
    return (
        f"No rate is on time at least {_percent(context.policy.min_reliability)} of the time: "
        f"the most reliable is {best.name}, on time {_percent(context.score(best))}"
    )


def _fastest_words(rates: list[Rate]) -> str:
    dated = [rate for rate in rates if rate.delivery_days is not None]
    if not dated:
        return "no carrier gave a delivery estimate"
    fastest = min(dated, key=lambda r: (r.delivery_days, r.amount.amount, r.carrier, r.service))
    return f"the fastest is {fastest.name}, {_arrival(fastest)}"


# Preference


def _is_preferred(rate: Rate, policy: SelectionPolicy) -> bool:
    for entry in policy.preferred:
        if isinstance(entry, str):
            if entry.casefold() == rate.carrier.casefold():
                return True
        elif (entry[0].casefold(), entry[1].casefold()) == (
            rate.carrier.casefold(),
            rate.service.casefold(),
        ):
            return True
    return False


def _apply_preference(ranked: list[Rate], context: _Context) -> tuple[Rate, Rate | None]:
    """The chosen rate, and the best rate it was preferred over (None: it is the best)."""
    best = ranked[0]
    if _is_preferred(best, context.policy):
        return best, None
    ceiling = best.amount.amount * (1 + context.policy.preference_margin)
    for rate in ranked:
        if _is_preferred(rate, context.policy) and rate.amount.amount <= ceiling:
            if context.policy.mode != "fastest" or _not_slower(rate, best):
                return rate, best
    return best, None


def _not_slower(rate: Rate, than: Rate) -> bool:
    if than.delivery_days is None:
        return True
    return rate.delivery_days is not None and rate.delivery_days <= than.delivery_days


# Reasons


def _chosen_reason(chosen: Rate, preferred_over: Rate | None, context: _Context) -> str:
    details = _rate_words(chosen, context)
    if preferred_over is not None:
        extra = chosen.amount.amount - preferred_over.amount.amount
        margin = _percent(float(context.policy.preference_margin))
        return (
            f"Preferred carrier within {margin} of the best: {details}, "
            f"{format_money(Money(extra, chosen.amount.currency))} dearer than "
            f"{preferred_over.name}"
        )
    return f"{_mode_words(context)}: {details}"


def _mode_words(context: _Context) -> str:
    if context.policy.mode == "fastest":
        return "Fastest"
    if context.on_time_mode:
        return f"Cheapest that arrives {_promise_words(context.promise)}"
    if context.policy.mode == "cheapest_on_time":
        return "Cheapest (no delivery promise to meet)"
    return "Cheapest"


def _rate_words(rate: Rate, context: _Context) -> str:
    words = f"{rate.name} at {format_money(rate.amount)}"
    if rate.delivery_days is not None or rate.delivery_date is not None:
        words += f", {_arrival(rate)}"
    score = context.score(rate)
    if score is not None:
        words += f", on time {_percent(score)} of the time"
    return words


def _why_not_chosen(rate: Rate, chosen: Rate, context: _Context) -> str:
    difference = rate.amount.amount - chosen.amount.amount
    money = format_money(Money(abs(difference), rate.amount.currency))
    slower = _days_slower(rate, chosen)
    if context.policy.mode == "fastest" and slower:
        return slower
    policy = context.policy
    if difference <= 0 and _is_preferred(chosen, policy) and not _is_preferred(rate, policy):
        cheaper = f"{money} cheaper" if difference else "same price"
        return f"{cheaper}, but {chosen.carrier} is preferred"
    if difference > 0:
        return f"as fast, {money} dearer" if policy.mode == "fastest" else f"{money} dearer"
    if difference < 0:
        return f"{money} cheaper, but ranked lower"
    return f"same price, {slower}" if slower else "same price and speed: ties go by name"


def _days_slower(rate: Rate, chosen: Rate) -> str | None:
    if rate.delivery_days is None:
        return "no delivery estimate" if chosen.delivery_days is not None else None
    if chosen.delivery_days is None or rate.delivery_days <= chosen.delivery_days:
        return None
    return f"{_days(rate.delivery_days - chosen.delivery_days)} slower"


def _alternatives(rates: Sequence[Rate], why_not: Mapping[int, str]) -> tuple[RateAlternative, ...]:
    return tuple(RateAlternative(rate, why_not[id(rate)]) for rate in rates if id(rate) in why_not)


def _arrival(rate: Rate) -> str:
    parts = []
    if rate.delivery_days is not None:
        parts.append(_days(rate.delivery_days))
    if rate.delivery_date is not None:
        parts.append(f"({rate.delivery_date})" if parts else f"by {rate.delivery_date}")
    return " ".join(parts)


def _promise_words(promise: DeliveryPromise) -> str:
    parts = []
    if promise.deliver_by is not None:
        parts.append(f"by {promise.deliver_by}")
    if promise.max_days is not None:
        parts.append(f"within {_days(promise.max_days)}")
    return " and ".join(parts)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _percent(share: float) -> str:
    return f"{share:.0%}"


def format_money(money: Money) -> str:
    places = 0 if money.currency.upper() in ZERO_DECIMAL_CURRENCIES else 2
    return f"{money.amount:.{places}f} {money.currency}"
