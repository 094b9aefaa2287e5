from django import forms

from commerce.store.models import Outlet, StoreSettings


class StoreSettingsForm(forms.ModelForm):
    class Meta:
        model = StoreSettings
        fields = ["display_name", "tagline", "contact_email", "contact_phone"]


class OutletForm(forms.ModelForm):
    class Meta:
        model = Outlet
        fields = ["name", "address", "is_active"]

    def validate_unique(self) -> None:
        """Uniqueness is the service's job (case-insensitive); see save_outlet."""
