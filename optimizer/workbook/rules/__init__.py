"""One function per sheet or rule group: typed tables → checked frames and the names they declare.

Each `*_from` function takes what it reads (its typed `Table`, the `Names` registries of
the sheets it refers to, the `Problems` collector) and returns its frame with the
registries it declares; none keeps state between calls, so the order of the calls in
`workbook/validate.py` is the whole data flow. Modules group sheets that share helpers:
`common` (repeats, declarations, periods, frames), `settings`, `catalogue` (Periods,
Materials, Countries, Sites), `supply` (Suppliers, Lanes, material penalties), `site_rows`
(Demand, Stock, Pipeline) and `scenarios` (Scenarios, Controls). A new column is one more
entry in the record a function builds (and in its `*_COLUMNS` list and, when typed,
`EMPTY_DTYPES`).
"""
