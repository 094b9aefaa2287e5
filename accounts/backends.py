from django.contrib.auth.backends import ModelBackend

from accounts.identity import canonical_email


class EmailBackend(ModelBackend):
    """Email login in the canonical spelling (the login form's field is still `username`).

    django-axes keys failed attempts on the same canonical_email (AXES_USERNAME_CALLABLE),
    so every spelling this backend accepts for an account counts against one lock.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            username = canonical_email(username)
        return super().authenticate(request, username=username, password=password, **kwargs)
