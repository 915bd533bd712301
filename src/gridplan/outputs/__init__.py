"""What a plan writes: its files (``save``, ``tables``, ``folder``), the review map (``map``) and
the interactive review page with its edits (``review``)."""
