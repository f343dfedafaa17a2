"""The request size limit covers the whole body, files included."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


class RefuseToParse(FileUploadHandler):
    """Django's upload handlers see a multipart body as soon as anything parses it."""

    def handle_raw_input(self, *args, **kwargs):
        raise AssertionError("The over-size body was parsed.")

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


def test_a_30_mib_upload_to_the_login_page_is_refused_before_it_is_parsed(settings):
    settings.FILE_UPLOAD_HANDLERS = ["tests.readinggroup.test_middleware.RefuseToParse"]
    upload = SimpleUploadedFile("big.bin", b"x" * (30 * MIB))
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/accounts/login/", {"username": "someone", "password": "x", "file": upload}
    )

    content = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Too much sent at once</h1>" in content
    assert "over the site's limits (2500 fields, 5 MB)" in content


def test_a_multipart_form_under_the_limit_is_still_read(client, organizer):
    response = client.post(
        "/accounts/login/",
        {
            "username": "organizer",
            "password": "correct horse battery staple",
            "note": SimpleUploadedFile("small.txt", b"x" * MIB),
        },
    )

    assert (response.status_code, response.url) == (302, "/admin/")  # an organizer
