"""jalon: an open REST API for the insertion par l'activité économique (IAE)."""
