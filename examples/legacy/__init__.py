"""Small, honest stand-ins for legacy systems, used by the adapters' tests and the demos."""
