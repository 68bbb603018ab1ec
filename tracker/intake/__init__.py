"""Returns intake: scanned pages, phone photos and answer files, every page accounted for."""
