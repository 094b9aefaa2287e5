from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.catalog.models import Category, Product, ProductImage, Variant
from core.fields import integer_form_field


class ProductForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    new_category = forms.CharField(label=_("Or a new category"), max_length=120, required=False)
    is_published = forms.BooleanField(label=_("Published in the shop"), required=False)
    image = forms.FileField(
        label=_("Add an image"),
        required=False,
        help_text=_("JPEG, PNG, GIF or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}
        ),
    )
    image_alt = forms.CharField(
        label=_("Image description (for screen readers)"), max_length=200, required=False
    )


class ImageRemovalForm(forms.Form):
    """The product's images the merchant ticked for removal (rendered by the template)."""

    remove_images = forms.ModelMultipleChoiceField(
        queryset=ProductImage.objects.none(), required=False
    )

    def __init__(self, *args, product: Product | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if product is not None:
            self.fields["remove_images"].queryset = product.images.all()


class VariantForm(forms.Form):
    id = integer_form_field(Variant._meta.get_field("id"), widget=forms.HiddenInput, required=False)
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Variant"), max_length=120, required=False)
    # Text, not DecimalField: the service checks the amount against the column's precision
    # and the shop's currency, and names the field and the currency (JPY has no cents).
    price = forms.CharField(label=_("Price"), max_length=20)
    compare_at_price = forms.CharField(label=_("Compare-at price"), max_length=20, required=False)


VariantFormSet = forms.formset_factory(
    VariantForm, extra=1, min_num=1, validate_min=True, max_num=100, validate_max=True
)
