"""How the admin names a user wherever one is picked or shown: “Kaivu Hariharan (khariharan)”.

A full name alone can be shared by two people and a user name alone says little to the next
organizer: both, so either can be searched for (the user admin searches names and user names).
"""


def person_label(user) -> str:
    """“Kaivu Hariharan (khariharan)”, or the user name alone when there is no full name."""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()
