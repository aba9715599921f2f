"""The financial tier at checkout: past it RateLimited before Stripe is asked; other users go on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe
from sqlmodel import Session

from pixel_studio.cache import get_cache
from pixel_studio.services.billing import payments
from pixel_studio.services.errors import PaymentUnavailable, RateLimited
from pixel_studio.settings import Settings
from tests.services.generation_helpers import make_user


@pytest.fixture
def fresh_limits() -> Iterator[None]:
    get_cache.cache_clear()
    yield
    get_cache.cache_clear()


def test_checkout_burst_is_refused_before_stripe(
    session: Session, settings: Settings, fresh_limits: None
) -> None:
    tiny = settings.model_copy(update={"rate_limit_financial": "2 per 1 minute"})
    # Stripe unreachable: a request that gets as far as Stripe ends in PaymentUnavailable, so
    # RateLimited shows the refusal came first.
    client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": "http://127.0.0.1:1"}, max_network_retries=0
    )
    ann, ben = make_user(session, "ann", 0), make_user(session, "ben", 0)
    for n in range(2):  # within the allowance: Stripe is asked (and is unreachable here)
        with pytest.raises(PaymentUnavailable):
            payments.create_checkout(session, client, tiny, ann, "small", f"k{n}")
    with pytest.raises(RateLimited) as err:
        payments.create_checkout(session, client, tiny, ann, "small", "k3")
    assert 0 < err.value.retry_after <= 60 and "Too many payment requests." in err.value.message
    with pytest.raises(PaymentUnavailable):  # another user is not slowed down
        payments.create_checkout(session, client, tiny, ben, "small", "k4")
