"""hearth-hello: the smallest useful Hearth plugin."""
