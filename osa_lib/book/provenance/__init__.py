"""The records layer: record and job-file paths, writing and reading, which data copy made a record."""
