"""Statistics: pure functions over numbers (no I/O, no drawing, no wording).

- ``intervals``: Wilson, Newcombe, exact Poisson, Kish's effective n, histogram medians
- ``comparisons``: score test for two proportions, Poisson E-test (plain and overdispersed),
  dispersion index, Mood's median test
- ``dispersion``: year-on-year overdispersion of monthly counts and proportions (the engine's)
- ``verdicts``: verdict, strength of wording, base rule, direction given polarity
- ``spc``: XmR, P' and p charts with Making Data Count rules; the variation icon
- ``trends``: Mann-Kendall, Poisson slope, "trending" and "trend halted"
- ``disclosure``: primary and secondary suppression for public outputs

Methods, defaults and sources: docs/methods.md.
"""
