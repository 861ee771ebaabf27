"""The io wing: formats in and out of the models.

The codec (:func:`~iptkit.load`, :func:`~iptkit.dumps`, schema versions and
their migrations), the JSON Schema and the iCalendar export live here.  The
model modules never import this package; it imports them.
"""
