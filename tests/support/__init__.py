"""What tests of several areas share: a hub in a temporary folder (:mod:`.hub`), mail
servers (:mod:`.mail`), a QuickBooks company (:mod:`.qbo`), stores (:mod:`.stores`),
sample books (:mod:`.books`), the repository's paths (:mod:`.paths`) and the kill
tests' harness (:mod:`.kills`, :mod:`.killpoint`)."""
