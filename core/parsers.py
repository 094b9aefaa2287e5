"""DRF's JSON parser with a nesting cap: a document nested thousands deep used to raise
RecursionError (a 500) in the parser or in the serializers walking it."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.input import MAX_JSON_DEPTH, TooDeeplyNested, check_json_depth


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(self._too_deep()) from None
        try:
            check_json_depth(data)
        except TooDeeplyNested:
            raise ParseError(self._too_deep()) from None
        return data

    @staticmethod
    def _too_deep() -> str:
        return _("The JSON document is nested more than %(limit)s levels deep.") % {
            "limit": MAX_JSON_DEPTH
        }
