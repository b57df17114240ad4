import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Serving is where production values are demanded: a site with DEBUG off needs its own
# SECRET_KEY and ALLOWED_HOSTS; DEBUG=1 (what `make run` sets) serves the local site.
if not settings.DEBUG and not settings.PRODUCTION:
    raise ImproperlyConfigured(
        "Serving with DEBUG off needs SECRET_KEY and ALLOWED_HOSTS from the environment "
        "(see README, Operations); for a local site, use `make run` (it sets DEBUG=1)."
    )
