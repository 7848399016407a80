"""Limit/offset pages with bounds, so no page size or offset reaches the database unchecked.

Like DRF's own `max_limit`, a larger `limit` is cut to the maximum and an `offset` beyond any
row is cut to the largest the databases take (64-bit): the page is just empty. Without the
cut, SQLite refuses an offset or limit beyond 64 bits with a 500.
"""
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response

from config.filters import INTEGER_RANGES

MAX_PAGE_SIZE = 1000
MAX_OFFSET = INTEGER_RANGES["BigIntegerField"][1]


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE_SIZE

    def get_offset(self, request) -> int:
        """DRF's reading (an offset that is not a whole number >= 0 is 0), capped."""
        try:
            offset = int(request.query_params[self.offset_query_param])
        except (KeyError, ValueError):
            return 0
        return min(max(offset, 0), MAX_OFFSET)


def page_response(paginator: BoundedLimitOffsetPagination, request: Request, count: int,
                  results: list) -> Response:
    """A page in the API's limit/offset shape for a list built from a count and one page's
    results (change history: config/history.py), not from a queryset."""
    paginator.request, paginator.count = request, count
    paginator.limit, paginator.offset = paginator.get_limit(request), paginator.get_offset(request)
    return paginator.get_paginated_response(results)
