"""The training kit of iqabench's model plugins: what every trained metric shares, so that each model
keeps only what is its own (data, network, loss, metric).

It is a library, not a plugin: it registers nothing, and the core (``iqabench``) never imports it. A
third-party model plugin may use it as the built-in ones do. Its modules are listed in
``docs/architecture.md``.
"""
