"""OpenAPI schema post-processing: the answers every operation may give besides its own.

drf-spectacular documents each operation's success only; the API also answers 400 (bad
input naming the field, or a body it cannot parse), 401/403 (not signed in, not a member
of this shop), 404 (no such object, or a page past the end) and 429 (throttled). Clients
and schemathesis read the schema, so it says so.
"""

ERROR_BODY = {
    "type": "object",
    "description": 'DRF\'s error shape: {"detail": "..."} or {"<field>": ["..."]}.',
    "additionalProperties": True,
}
COMMON_ERRORS = {
    "400": "The request names a field with a problem, or cannot be parsed.",
    "401": "Not signed in.",
    "403": "Not signed in, or not a member of this shop.",
    "404": "No such object here, or a page past the last.",
    "429": "Too many requests; wait as Retry-After says.",
}


def add_common_error_responses(result, generator, request, public):
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in COMMON_ERRORS.items():
                operation["responses"].setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_BODY}},
                    },
                )
    return result
