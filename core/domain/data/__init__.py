"""Package data of the domain (the GB/T 2260 division list)."""
