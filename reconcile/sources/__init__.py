"""Sources: where the two sides come from, read into DataFrames with every rule of the loaders.

* :mod:`.files`: the table reader (CSV/XLSX sniffing: encodings, separators, title lines, text-only cells, limits);
* :mod:`.payfit`: Payfit's collaborator model (columns, flattening of the API's JSON, contracts);
* :mod:`.payfit_files`: Payfit pages (JSON) and exports (CSV/XLSX);
* :mod:`.payfit_api`: the Payfit API client (OAuth key check, paging, pacing, retries);
* :mod:`.equify`: Equify's account model and exports;
* :mod:`.mapping`: the field mapping (which Payfit field feeds each Equify field) and its transforms.
"""
