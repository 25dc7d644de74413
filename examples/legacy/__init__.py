"""Stand-ins for the legacy systems of the Tell Us Once demo, real enough to test adapters on."""
