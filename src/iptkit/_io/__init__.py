"""The io wing: formats in and out of the models.

The codec (:func:`~iptkit.load`, :func:`~iptkit.dumps`, schema versions and
their migrations), the JSON Schema, the iCalendar export and the hooks that
make models pydantic types live here.  The model modules never import this
package; it imports them.
"""

# Hands the model layer its pydantic hooks (pydantic itself is imported only when used).
# The compiled path of the ``fast`` extra, when msgspec is installed.
from iptkit._io import _fast as _fast
from iptkit._io import _pydantic as _pydantic
