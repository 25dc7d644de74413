"""The federation directory: who the members are, who may publish each contract, and the
data-sharing agreements between them (``GOVBUS_FEDERATION``; ``govbus federation validate``).

``model`` holds the models, ``directory`` reads a folder of TOML files, ``checks`` resolves the
references between them, ``fields`` checks agreement fields against contract versions.
Enforcement (Kafka ACLs, per-agreement views, expiry) is built on these models elsewhere.
"""
