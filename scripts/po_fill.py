"""List or fill empty entries of a catalogue: python scripts/po_fill.py PO [msgid=translation ...]"""
import sys

from babel.messages.pofile import read_po, write_po

path, pairs = sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:])
with open(path, "rb") as handle:
    catalog = read_po(handle)
for message in catalog:
    if message.id and not message.string:
        if message.id in pairs:
            message.string = pairs[message.id]
        else:
            print("empty:", message.id)
with open(path, "wb") as handle:
    write_po(handle, catalog, width=100)
