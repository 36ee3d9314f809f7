"""What a caller may not see, no CKAN path shows (#12 §1).

CKAN core answers some questions about datasets from its tables without asking whether
the caller may read them: tag lists, format autocomplete, members of an organisation,
activity streams recorded while a dataset was public. Here they only count the datasets
the caller may read (``visibility.py``), and a dataset the caller may not read is answered
exactly as one that does not exist (``actions.py``); the activity streams are filtered in
their SQL (``activity_seam.py``). Sysadmins and calls with ``ignore_auth`` keep CKAN's
answers, and so do members: they may read their office's datasets.
"""
