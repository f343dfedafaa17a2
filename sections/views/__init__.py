"""sections' pages by concern: `schedule` (public pages), `feeds` (calendars and JSON),
`meetings` (meeting changes) and `notes` (the notes editor)."""
