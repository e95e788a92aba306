"""The service layer around the pure engine: sequencer, projections, chain view, event bus."""
