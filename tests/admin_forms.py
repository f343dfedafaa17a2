"""Post an admin form back as a browser would, with some fields changed: the one place the
tests build admin form data (`admin_form_data`, `admin_change`) and throw hostile values at
admin forms (`post_admin_form`)."""

from syllabus.models import Term
from tests.hostile import assert_not_server_error, assert_term_pages_work, form_data, rolled_back


def _add_form(data, form):
    for name in form.fields:
        value = form[name].value()
        key = form.add_prefix(name)
        if value is None or value is False:
            continue
        if value is True:
            data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        else:
            data[key] = str(value)


def admin_form_data(response, **changes):
    """The POST data of the admin change page in `response`, with `changes` applied."""
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    data.update(changes)
    return data


def admin_change(client, url, **changes):
    """GET the admin change page at `url`, POST it back with `changes`; return the response."""
    page = client.get(url)
    assert page.status_code == 200, url
    return client.post(url, admin_form_data(page, **changes))


def post_admin_form(client, url, changes, extra=None, *, rows, baselines=None):
    """POST the admin form at `url` as its page shows it, with `changes` and `extra` fields
    (hostile values), in a savepoint that is rolled back. The answer must be the form again
    with an error and `rows()` as before, or a redirect after which every term's pages still
    work; never a 500. `baselines` (a dict) keeps each page's form data between examples."""
    baselines = {} if baselines is None else baselines
    if url not in baselines:
        baselines[url] = admin_form_data(client.get(url))
    with rolled_back():
        before = rows()
        response = client.post(url, form_data({**baselines[url], **changes}, extra))
        after = rows()
        if response.status_code == 302:
            assert_term_pages_work(client, Term.objects.all())
    assert_not_server_error(response)
    if response.status_code == 200:
        assert after == before
        assert response.context["adminform"].form.errors or any(
            inline.formset.total_error_count()
            for inline in response.context["inline_admin_formsets"]
        )
    else:
        assert response.status_code == 302
