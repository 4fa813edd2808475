"""Transform: raw response pages → normalized Arrow tables with one declared schema each."""
