"""The public pages: the district's documents, results, calendar, initiatives and budget on the
web, read-only, in Kazakh and Russian, from the bot's own process (``WEB_PORT``, ``PUBLIC_URL``).

- ``app``: the application, its cache, and how it starts beside the bot (polling or webhook).
- ``routes``: one function per address; ``views``: what the templates are given.
- ``opendata``: every list as CSV and JSON; ``guard``: limits, rate per client, safe headers.
- ``links``: the addresses, and the «🌐 On the web» button the bot's keyboards add.
"""
