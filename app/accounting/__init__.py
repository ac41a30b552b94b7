"""Pure accounting code: which account a line uses (resolver), entries, FEC / Isacompta / XLSX."""
