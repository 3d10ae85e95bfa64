"""Importers for public data: data.police.uk street and outcomes files (``police_uk``) and the
Home Office / ONS force-level tables (``home_office``). Both validate, quarantine and merge
through the foundation loader (``forcestat.store.loader``); see docs/police-uk.md."""

FORMATS = ("canonical", "police-uk", "home-office")
