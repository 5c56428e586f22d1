"""Findings from delivered transcripts: participation, themes, saturation and a codebook."""
