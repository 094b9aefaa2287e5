"""How the OpenAPI schema describes API keys (drf-spectacular extension, loaded at start)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "commerce.developers.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key made in /manage/developers/: `Authorization: Bearer mpk_…`.",
        }
