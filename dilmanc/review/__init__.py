"""The review workspace: translation jobs a person reads, corrects and approves in a browser.

`jobs` keeps jobs on disk (the source document and, per unit, its target, status, QE verdict,
glossary terms and tags); `make` builds a job by translating a document through the service
layer, or from a document already translated with `--report`; `export` writes the document
back in its own format (or the job as XLIFF/TMX); `web` is the FastAPI router of the page,
used by `dilmanc review` and mounted at /review by `dilmanc serve --review`."""
