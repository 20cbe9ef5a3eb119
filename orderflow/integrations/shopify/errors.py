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
