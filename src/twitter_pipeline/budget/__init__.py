"""Know the cost before spending it: estimates from the counts endpoints, and a guard on actual reads.

Sits between extract (it calls the counts and usage endpoints) and the engine (which asks the guard
before each window and lets it count the reads of every page).
"""
