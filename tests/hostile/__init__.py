"""Hostile input (issue 21): each case an attacker or a careless exporter tried, named
after it and run through the public interface on every store the tests have."""
