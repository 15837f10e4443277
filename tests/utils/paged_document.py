"""A document with pages, for the tests of page-aware sources against a real server.

Markdown converted from a PDF keeps its page breaks as `<!-- page N -->` lines; its one passage
starts on page 41 and runs onto page 42. Its subject (a dog guard) is asked about by no other
test, and it names no model, so ingesting it into a running server changes no other answer.
"""

from __future__ import annotations

import httpx

from tests.utils.server import ServerProcess

SOURCE = "specs/dog-guard-guide.md"
QUESTION = "What torque do the dog guard pole knobs need when I fit it?"
PAGES = "pp. 41–42"
SNIPPET_START = "Stand the dog guard behind the rear seat backs"
DOCUMENT = """---
title: Kestrel dog guard guide
domain: specs
---
# Kestrel dog guard guide

<!-- page 41 -->

## Fitting the dog guard

Stand the dog guard behind the rear seat backs so that its mesh faces the load space. Extend
the four telescopic poles against the headlining and turn each pole knob until it clicks: the
knob slips at 6 Nm, so the poles cannot be overtightened.

<!-- page 42 -->

Check the pole knobs again after the first 50 km. The dog guard holds back at most 40 kg of
load, and it must be taken out before the rear seat backs are folded down.
"""


def ingest_paged_document(server: ServerProcess) -> None:
    """Add the document to the server's knowledge base over REST, as an admin would; the next
    turn answers from it."""
    response = httpx.post(
        f"{server.base_url}/api/v1/knowledge/ingest",
        json={"documents": [{"source": SOURCE, "content": DOCUMENT}]},
        headers={"Authorization": f"Bearer {server.token('admin-pages', 'admin')}"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
