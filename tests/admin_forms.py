"""Post an admin change form back as a browser would, with some fields changed."""


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
