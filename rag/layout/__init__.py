"""How a PDF page is read as a person reads it: each reading rule a small pure function over
positioned words, lines and tables (`geometry`), applied in order by `document`.

`running` drops running headers, footers and page numbers; `columns` gives the reading order
of a page in columns; `rows` finds tables set without lines; `grid` finds ruled tables;
`tables` reads a table with its headers; `headings` tells headings by their type;
`hyphenation` joins words broken at a line end. `legends` writes a table's abbreviations out
where a legend beside it explains them (for every document, PDF, Word or Markdown), and
`finding_aids` finds a book's index and table of contents, which make no passage (the same),
by their lines (`index_entries`).

`turns` moves text set at a quarter turn into the frame where it reads upright, and `page`
puts a page together from its words: a table printed sideways read in its own frame.
`outline` takes headings from a PDF's bookmarks, `footnotes` keeps a table's footnotes with
the rows they mark, `schedules` reads a maintenance schedule's grid of marks item by item.

Two more read what a tool made of a PDF, Markdown page by page: `pipe_tables` reads its
tables as `tables` does a drawn one, `running_text` drops the running lines it kept. For any
paged document a tool made (Word from a PDF), `page_numbers` drops the printed page numbers
and gives pages where the file has none, `running_titles` drops running headers' repeats.
"""

__all__ = [
    "columns",
    "document",
    "finding_aids",
    "footnotes",
    "geometry",
    "grid",
    "headings",
    "hyphenation",
    "index_entries",
    "legends",
    "outline",
    "page",
    "page_numbers",
    "pipe_tables",
    "rows",
    "running",
    "running_text",
    "running_titles",
    "schedules",
    "tables",
    "turns",
]
