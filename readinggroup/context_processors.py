from django.conf import settings


def site(request):
    """The site's name for the header when a page has no term of its own."""
    return {"site_name": settings.SITE_NAME}
