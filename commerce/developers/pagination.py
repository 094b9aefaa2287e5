"""Cursor pagination for every API list: stable under inserts (a new order does not shift
the next page), newest first, `?cursor=` from the `next`/`previous` links, `?page_size=`
up to 200 (default 50). An unknown cursor is a 404."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
