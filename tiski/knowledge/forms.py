"""The agents' forms: an article translation, a category, a section."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Category, Language, Section


class ArticleForm(forms.Form):
    section = forms.ModelChoiceField(
        label=_("Section"), queryset=Section.objects.select_related("category")
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=160,
        required=False,
        allow_unicode=False,
        help_text=_("The end of the article's web address; made from the title when empty."),
    )
    description = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("One or two sentences for search engines and lists."),
    )
    body_html = forms.CharField(
        label=_("Body"), required=False, widget=forms.Textarea(attrs={"rows": 16})
    )
    internal = forms.BooleanField(
        label=_("Internal only: agents see it, the help centre does not"), required=False
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["section"].label_from_instance = lambda s: (
            f"{s.category.name('fi')} › {s.name('fi')}"
        )


def _names(data: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        "fi": {"name": data["name_fi"], "description": data.get("description_fi", "")},
        "en": {"name": data["name_en"], "description": data.get("description_en", "")},
    }


class CategoryForm(forms.Form):
    slug = forms.SlugField(label=_("Address"), max_length=120)
    name_fi = forms.CharField(label=_("Name in Finnish"), max_length=120)
    name_en = forms.CharField(label=_("Name in English"), max_length=120)
    description_fi = forms.CharField(label=_("Description in Finnish"), required=False)
    description_en = forms.CharField(label=_("Description in English"), required=False)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Category.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This address is already in use."))
        return slug

    def names(self) -> dict[str, dict[str, str]]:
        return _names(self.cleaned_data)


class SectionForm(CategoryForm):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    is_faq = forms.BooleanField(label=_("Questions and answers (FAQ)"), required=False)

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if Section.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This address is already in use."))
        return slug
