"""How a PDF page is read as a person reads it: each reading rule a small pure function over
positioned words, lines and tables (`geometry`), applied in order by `document`.

`running` drops running headers, footers and page numbers; `columns` gives the reading order
of a page in columns; `rows` finds tables set without lines; `grid` finds ruled tables;
`tables` reads a table with its headers; `headings` tells headings by their type;
`hyphenation` joins words broken at a line end. `legends` writes a table's abbreviations out
where a legend beside it explains them (for every document, PDF, Word or Markdown).
"""

__all__ = [
    "columns",
    "document",
    "geometry",
    "grid",
    "headings",
    "hyphenation",
    "legends",
    "rows",
    "running",
    "tables",
]
