"""One module per section of the bench; each ``measure`` returns its figures as a dict."""
