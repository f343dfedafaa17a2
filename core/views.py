from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core import emails, outbox
from core.models import EmailOptOut


@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no CSRF token; the signed
# token in the URL is what proves the request came from the email.
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """The link of every email's footer and List-Unsubscribe header: GET shows a button and what
    it stops, POST (the button, or a mail client's one-click `List-Unsubscribe=One-Click`) stops
    that kind of email to that address. The page also offers to turn it back on."""
    try:
        email, kind = emails.read_unsubscribe_token(token)
    except signing.BadSignature:
        raise Http404("This unsubscribe link is not one the site made.") from None
    done = None
    if request.method == "POST":
        if request.POST.get("action") == "resubscribe":
            outbox.opt_in(email=email, kind=kind)
            done = "resubscribed"
        else:
            outbox.opt_out(email=email, kind=kind)
            done = "unsubscribed"
    context = {
        "email": email,
        "stops": emails.describe(kind),
        "done": done,
        "opted_out": EmailOptOut.objects.filter(email=email, kind=kind).exists(),
    }
    return render(request, "core/email_unsubscribe.html", context)
