"""The server: API v1 over the rows ``forcestat refresh`` computed, users and roles, one query
layer for every endpoint and page (docs/serve.md). Rank 6: it may import store, framework,
engine, findings, outputs, stats and period, never pipeline or cli (docs/architecture.md §8).
"""
