"""Bank statements in the banks' own formats: ISO 20022 camt.053 and camt.054, SWIFT MT940, BAI2."""
