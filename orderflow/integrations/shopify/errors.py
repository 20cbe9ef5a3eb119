"""One exception per Shopify failure that a caller handles differently."""


class ShopifyError(RuntimeError):
    """Base of every failure talking to Shopify."""


class ShopifyUnavailable(ShopifyError):
    """Network error, timeout, 5xx or repeated throttling: try again later."""


class ShopifyAuthError(ShopifyError):
    """The access token was refused: the shop must open the app again (or reinstall)."""


class ShopifyQueryError(ShopifyError):
    """Shopify rejected the request itself (GraphQL errors, 400, 403): retrying will not help."""


class TokenExchangeError(ShopifyError):
    """A token exchange, code exchange or refresh was refused."""


class ShopifyUserError(ShopifyQueryError):
    """Shopify refused a mutation with `userErrors` (operations.py raises it, once, for every
    mutation); the message says what it refused and why, `messages` lists Shopify's own."""

    def __init__(self, what: str, errors: list):
        self.messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e)
                         for e in errors]
        super().__init__(f"Shopify refused {what}: " + "; ".join(self.messages))
