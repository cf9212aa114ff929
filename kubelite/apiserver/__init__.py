"""The kubelite apiserver: aiohttp shell around the registries (``kubelite apiserver``)."""
