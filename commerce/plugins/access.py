from functools import wraps

from django.http import Http404

from commerce.plugins.selectors import is_enabled


def plugin_required(key: str):
    """A disabled plugin's pages answer 404, as if they did not exist."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not is_enabled(key):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
