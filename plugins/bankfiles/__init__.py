"""Bank statements in the banks' own formats: ISO 20022 camt.053 and SWIFT MT940."""
