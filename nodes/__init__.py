"""The workflow's nodes, one module each: fetch, specialist, orchestrate, approve, retry, post."""
