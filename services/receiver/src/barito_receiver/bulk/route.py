"""The route class of the Elasticsearch-compatible endpoints: every answer in ES's shape.

A route of :mod:`barito_receiver.api.bulk` may raise Barito's ``ApiError``
(from authentication, the body limits, the rate or Kafka) or an
:class:`~barito_receiver.bulk.responses.ElasticError`; either is answered as
Elasticsearch answers an error, ``{"error":{"root_cause":..,"type":..,
"reason":..},"status":..}``, and every answer, errors included, carries
``X-Elastic-Product: Elasticsearch``: the official clients refuse a server
whose 2xx answers lack it, and read errors only in this shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from barito_common.errors import ApiError
from barito_receiver.bulk.responses import (
    PRODUCT_HEADER,
    ElasticError,
    error_response,
    from_api_error,
)

__all__ = ["ElasticRoute"]


class ElasticRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_as_elasticsearch(request: Request) -> Response:
            try:
                response = await handle(request)
            except ApiError as err:
                response = error_response(from_api_error(err))
            except ElasticError as err:
                response = error_response(err)
            except RequestValidationError as err:
                problems = "; ".join(
                    f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
                    for problem in err.errors()
                )
                response = error_response(ElasticError(400, "illegal_argument_exception", problems))
            response.headers[PRODUCT_HEADER[0]] = PRODUCT_HEADER[1]
            return response

        return handle_as_elasticsearch
