"""How many SQL queries a request runs: the one helper behind the "queries do not grow" tests.

Where the count is known, pin it with pytest-django's `django_assert_num_queries(<literal>)`;
`count_queries` is for comparing two counts (a small and a large term, N=1 and N=10).
"""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url, data=None, *, method="get", statuses=(200,)):
    """The SQL queries of one request to `url` (`data`: its query or form data), with the page
    cache emptied first, so that a public page is rendered rather than served from the cache."""
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code in statuses, (url, response.status_code)
    return len(captured)
