"""httpx clients of the cardbin lookup service: sync and async, same methods, same msgspec Structs.

Errors are cardbin's own: InvalidCardNumber / InvalidCnapsCode / InvalidInput / BatchTooLarge (the request was
refused, nothing to retry), UnknownBin / UnknownBranch (not in the release), AccessDenied (401/403) and
ServiceError (transport failure, timeout, 5xx, unexpected body: the lookup may be retried). No card number ever
appears in a URL or an exception message.
"""

from cardbin.client.clients import DEFAULT_TIMEOUT, AsyncCardbinClient, CardbinClient

__all__ = ["DEFAULT_TIMEOUT", "AsyncCardbinClient", "CardbinClient"]
