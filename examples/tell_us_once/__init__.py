"""Tell Us Once: a death registered once reaches every organisation that needs to know."""
