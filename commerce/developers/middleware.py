"""The API's audit log: every request made with a key is recorded against it, with the
answer's status (written after the response, in the shop's schema)."""

from commerce.developers.keys import note_use


class ApiKeyAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "api_key", None)
        if key is not None:
            note_use(
                key,
                method=request.method,
                path=request.path,
                status_code=response.status_code,
            )
        return response
