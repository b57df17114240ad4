"""What counts as markup in a plain-text field, for the admin's forms and the import alike.

Names and titles are drawn on maps, in tooltips and in exports: markup in one is a paste
from a web page or an injection attempt, never a fact.
"""

import re

from django.core.validators import RegexValidator

# Where an HTML parser opens a tag, an end tag, a comment or a processing instruction: "<"
# directly followed by an ASCII letter, "/", "!" or "?". Any other "<" is text to a browser,
# so "a < b" and "5<10 km" stay allowed. The rest of the match (up to the next ">", if any)
# only quotes the tag in a message.
MARKUP = re.compile(r"<[A-Za-z/!?][^<>]*>?")

# A RegexValidator rather than a function of this app: a migration freezes its regex and
# message and imports nothing from here.
no_markup = RegexValidator(
    MARKUP,
    "Names may not contain markup such as <img …>: write it as plain text.",
    code="markup",
    inverse_match=True,
)
