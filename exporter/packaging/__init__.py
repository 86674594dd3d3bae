"""The package: bundle.json (:mod:`.bundle`), the manifest, atomic publishing, verification and
encryption (:mod:`.package`)."""
