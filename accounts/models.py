from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.identity import canonical_email
from core.stored_text import shown


class PlatformRole(models.TextChoices):
    CSM = "csm", _("Customer success manager")
    FINANCE = "finance", _("Finance")
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")
    PRODUCT = "product", _("Product")


def email_language(language: str) -> str:
    """The language to write to a person whose `User.language` is `language`: theirs, else
    the platform's default."""
    return language or settings.LANGUAGE_CODE


class EmailUserManager(UserManager):
    """Users sign in with their email; `username` is kept equal to it for Django's admin."""

    def _create_user(self, username, email, password, **extra_fields):
        email = canonical_email(self.normalize_email(email or username))
        return super()._create_user(email, email, password, **extra_fields)

    def create_user(self, email, password=None, **extra_fields):
        return super().create_user(email, email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("platform_roles", [PlatformRole.PLATFORM_ADMIN])
        return super().create_superuser(email, email, password, **extra_fields)


class User(AbstractUser):
    """Every person: merchant owners and staff, and platform staff. Lives in the public schema."""

    email = models.EmailField(_("email address"), unique=True)
    platform_roles = ArrayField(
        models.CharField(max_length=20, choices=PlatformRole.choices),
        default=list,
        blank=True,
        help_text=_("Platform staff roles; empty for merchant users."),
    )

    # The language of what the platform writes to this person on its own (CSM alerts,
    # escalations, renewal heads-ups); empty: the platform's default (settings.LANGUAGE_CODE).
    # A shop's emails follow the shop's language instead (Merchant.language).
    # db_default: rows written by set-based SQL (bulk seeds) that name no language.
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        db_default="",
        help_text=_("The language of the platform's emails to this person; empty: the default."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = EmailUserManager()

    def save(self, *args, **kwargs):
        self.email = canonical_email(self.email)
        self.username = self.email
        super().save(*args, **kwargs)

    @property
    def email_language(self) -> str:
        """The language to write to this person in: theirs, else the platform's default."""
        return email_language(self.language)

    @property
    def is_platform_staff(self) -> bool:
        return bool(self.platform_roles)

    def has_platform_role(self, role: str) -> bool:
        """A platform admin holds every platform role."""
        return role in self.platform_roles or PlatformRole.PLATFORM_ADMIN in self.platform_roles


class Notification(models.Model):
    """A notice in a person's console (beside the email sent for the same thing)."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    # The shop the notice is about: a shop console lists a person's notices of that shop
    # only (someone who works in two shops must not read shop A's failed payment in shop B,
    # nor follow its relative link there). None: a platform notice (a CSM's), or a row
    # written before shops were recorded, shown in every console of its reader.
    merchant = models.ForeignKey(
        "tenants.Merchant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40, blank=True)
    # As written (the writer's language); shown only when `message` is empty (older rows).
    text = models.CharField(max_length=500)
    # The catalogue message and its values (core.stored_text), translated when shown: the
    # reader's language, whatever language the sweep that wrote it ran in.
    message = models.CharField(max_length=500, blank=True, default="", db_default="")
    params = models.JSONField(blank=True, default=dict, db_default={})
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.text[:40]}"

    @property
    def shown_text(self) -> str:
        """The notice in the active (the reader's) language."""
        return shown(self.message, self.params) if self.message else self.text
