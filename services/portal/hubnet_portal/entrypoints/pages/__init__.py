"""The portal's pages, one module per area; each gives its routes (`routes(pages)`) to web.py."""
