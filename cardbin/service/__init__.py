"""The HTTP lookup service (Litestar + msgspec).

Kept import-light on purpose: `cardbin.service.wire` is shared with the httpx client, which must not pull in
Litestar. The app factory lives in `cardbin.service.app`.
"""
