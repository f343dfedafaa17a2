import datetime
import time

import pytest
from django.core.management import call_command
from django.utils import timezone


@pytest.fixture(scope="session")
def _empty_static_root(tmp_path_factory):
    return tmp_path_factory.mktemp("static-root")


@pytest.fixture(autouse=True)
def _test_settings(settings, _empty_static_root):
    """Production uses WhiteNoise's manifest storage, which needs `collectstatic` first; and
    password hashing made slow on purpose would dominate the suite's time. STATIC_ROOT is an
    empty folder, as in a fresh clone: WhiteNoise scans it for every test client, which took a
    fifth of the suite's time once `collectstatic` had filled `staticfiles/` (the servers of
    tests/readinggroup/test_two_servers.py run it), and a test could pass or fail by what it
    held."""
    settings.STATIC_ROOT = _empty_static_root
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # django-axes needs the request in authenticate(), which the test client's login() does not
    # pass; throttling has its own tests, which turn it back on.
    settings.AXES_ENABLED = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Links in emails start with the site's address: the test client's.
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def fall2022(db):
    """The Fall 2022 demo fixture, loaded as `make run` loads it."""
    call_command("loaddata", "fall2022", verbosity=0)
    from syllabus.models import Term

    return Term.objects.get(slug="fall-2022")


@pytest.fixture
def organizer(db):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(username="organizer", is_staff=True)
    user.groups.add(Group.objects.get(name="Organizers"))
    return user


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (cached pages would leak between tests)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def steady_clock(monkeypatch):
    """Django's clock at its real pace, but set to half past the current hour (same hour, same
    day). Cached pages are keyed by the hour, so a test that expects its second request to be
    answered from the cache would fail by chance whenever the hour turned between the two."""
    half_past = timezone.now().replace(minute=30, second=0, microsecond=0)
    started = time.monotonic()
    monkeypatch.setattr(
        timezone,
        "now",
        lambda: half_past + datetime.timedelta(seconds=time.monotonic() - started),
    )
