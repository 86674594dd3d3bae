"""The package: bundle.json as a whole (:mod:`.assemble`) from the per-category entries
(:mod:`.bundle`), the documents beside the data files (:mod:`.outputs`: bundle.json, schemas,
report.pdf, index.html), the manifest and its verification (:mod:`.manifest`), the staged folder's
atomic publishing and encryption (:mod:`.package`)."""
