"""The admin's search, bounded as the analyst list's is: every word is one more OR over
every search field, so a search of a thousand words would hold a worker (or fail with
"Expression tree is too large"). Every admin of the site uses this, the user, group and
login-attempt admins included."""

from django.contrib import messages

from .filters import MAX_WORDS
from .querysets import search_terms


def bounded_search(text):
    """The first MAX_WORDS distinct words or "phrases" of a search, as the admin splits them."""
    terms = search_terms(text)[:MAX_WORDS]
    return " ".join(f'"{term}"' if " " in term else term for term in terms)


class BoundedSearchMixin:
    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, bounded_search(search_term))

    def changelist_view(self, request, extra_context=None):
        if len(search_terms(request.GET.get("q", ""))) > MAX_WORDS:
            messages.warning(
                request, f"Only the first {MAX_WORDS} words or phrases of the search were used."
            )
        return super().changelist_view(request, extra_context)
