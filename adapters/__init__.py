"""Edges of Candor: chat platforms, the terminal, the command line. They may import ``bot``, never the reverse."""
