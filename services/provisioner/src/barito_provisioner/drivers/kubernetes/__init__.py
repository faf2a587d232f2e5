"""The ``kubernetes`` driver: rendered objects, server-side applied with kubernetes-asyncio."""
