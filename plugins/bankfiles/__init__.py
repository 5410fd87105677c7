"""Bank statements in the banks' own formats: camt.053/camt.054, MT940, BAI2, OFX."""
