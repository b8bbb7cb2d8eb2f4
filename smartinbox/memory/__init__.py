"""The reply memory's review: what the assistant learned from agents, who may trust it, and
how an admin finds, edits or removes it."""
